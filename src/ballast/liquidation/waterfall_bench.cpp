// Cost of the bankruptcy path over a whole market: ranking 100k ADL candidates (both rankings;
// hedge_aware splits about half of them in two tiers, ~150k slots), planning the closes against
// the queue, and socializing a loss over 100k holders by largest remainder.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "ballast/core/random.hpp"
#include "ballast/liquidation/adl.hpp"
#include "ballast/liquidation/waterfall.hpp"

namespace ballast::liquidation {
namespace {

constexpr std::int64_t kLot = 1'000'000;  // 0.001 base units

// Uniform in [lo, hi): the same inputs on every run (core's counter-based generator).
std::int64_t draw(CounterRng& rng, std::int64_t lo, std::int64_t hi) {
  return lo + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(hi - lo)));
}

// Shorts of 0.001-100 units, mostly in profit, half of them hedged in part or in whole.
std::vector<AdlCandidate> candidates(std::size_t count) {
  std::vector<AdlCandidate> out;
  out.reserve(count);
  CounterRng rng(7, 0);
  for (std::size_t i = 0; i < count; ++i) {
    const std::int64_t size = draw(rng, 1, 100'000) * kLot;
    const std::int64_t hedge = (i % 2 == 0) ? draw(rng, 0, size + 1) : 0;
    out.push_back({.id = {rng.next()},
                   .size = Quantity::from_raw(-size),
                   .unrealized_pnl = Money::from_raw(draw(rng, -1'000'000'000, 50'000'000'000)),
                   .equity = Money::from_raw(draw(rng, 1'000'000, 100'000'000'000)),
                   .hedge = Quantity::from_raw(hedge)});
  }
  return out;
}

void BM_RankAdl(benchmark::State& state) {
  const auto ranking = static_cast<AdlRanking>(state.range(1));
  const std::vector<AdlCandidate> input = candidates(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    AdlQueue queue = rank_adl(input, ranking, Side::short_side, Quantity::from_raw(kLot));
    benchmark::DoNotOptimize(queue.slots.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetLabel(adl_ranking_name(ranking));
}
BENCHMARK(BM_RankAdl)
    ->Args({100'000, static_cast<int>(AdlRanking::pnl_leverage)})
    ->Args({100'000, static_cast<int>(AdlRanking::hedge_aware)})
    ->Unit(benchmark::kMillisecond);

void BM_PlanAdl(benchmark::State& state) {
  const AdlQueue queue = rank_adl(candidates(100'000), AdlRanking::hedge_aware, Side::short_side,
                                  Quantity::from_raw(kLot));
  // 500,000 units: about a tenth of the queue's ~5 million.
  const Quantity to_close = Quantity::from_raw(500'000'000 * kLot);
  for (auto _ : state) {
    AdlPlan plan = plan_adl(to_close, Price::from_raw(60'000'000'000'000), queue);
    benchmark::DoNotOptimize(plan.fills.data());
  }
}
BENCHMARK(BM_PlanAdl)->Unit(benchmark::kMicrosecond);

void BM_SocializeLoss(benchmark::State& state) {
  std::vector<Holder> holders;
  CounterRng rng(11, 0);
  for (std::int64_t i = 0; i < state.range(0); ++i) {
    holders.push_back({SubAccountId{rng.next()}, Quantity::from_raw(draw(rng, 1, 100'000) * kLot)});
  }
  for (auto _ : state) {
    Socialization out = socialize_loss(Money::from_raw(1'234'567'890'123), holders);
    benchmark::DoNotOptimize(out.charges.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SocializeLoss)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ballast::liquidation
