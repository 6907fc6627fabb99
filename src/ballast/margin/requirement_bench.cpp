// Cost per position of the margin rules on the full-recompute path (1M sub-accounts × 8
// positions in 100 ms on 2 cores leaves about 25 ns per position for everything): one initial
// plus one maintenance requirement per position for each rule, the collateral weights, the
// short-option leg and the latency add-on. Positions vary (sizes, notionals, open interest) so
// branches are not trivially predicted; items/s in the output is positions per second.

#include <benchmark/benchmark.h>

#include <vector>

#include "ballast/margin/requirement.hpp"

namespace ballast::margin {
namespace {

struct Position {
  Money notional;
  Quantity size;
  Money open_interest;
};

std::vector<Position> positions() {
  std::vector<Position> out;
  std::uint64_t state = 0x9e3779b97f4a7c15ULL;
  const auto next = [&state] {  // splitmix64: cheap, fixed, no dependence on the library
    state += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  for (int i = 0; i < 4096; ++i) {
    const auto size_raw = static_cast<std::int64_t>(next() % 100'000'000'000'000ULL) - 50'000'000'000'000;
    const auto notional_raw = static_cast<std::int64_t>(next() % 500'000'000'000'000ULL);  // ≤ $500M
    const auto oi_raw = static_cast<std::int64_t>(next() % 3'000'000'000'000'000ULL);     // ≤ $3B
    out.push_back({Money::from_raw(notional_raw), Quantity::from_raw(size_raw), Money::from_raw(oi_raw)});
  }
  return out;
}

Ratio r(const char* text) { return Ratio::parse(text, Round::down).value(); }

void run_rule(benchmark::State& state, const RequirementRule& rule) {
  const std::vector<Position> book = positions();
  for (auto _ : state) {
    for (const Position& p : book) {
      benchmark::DoNotOptimize(initial_requirement(rule, p.notional, p.size, p.open_interest));
      benchmark::DoNotOptimize(maintenance_requirement(rule, p.notional, p.size, p.open_interest));
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(book.size()));
}

// The same through requirements(), which shares one square root between the two kinds.
void run_rule_pair(benchmark::State& state, const RequirementRule& rule) {
  const std::vector<Position> book = positions();
  for (auto _ : state) {
    for (const Position& p : book) {
      benchmark::DoNotOptimize(requirements(rule, p.notional, p.size, p.open_interest));
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(book.size()));
}

void BM_BaseRule(benchmark::State& state) { run_rule(state, BaseRule{r("0.05"), r("0.03")}); }
BENCHMARK(BM_BaseRule);

void BM_SizeRule(benchmark::State& state) {
  run_rule(state, SizeRule{r("0.1"), r("0.05"), r("0.001")});
}
BENCHMARK(BM_SizeRule);

void BM_SizeRulePair(benchmark::State& state) {
  run_rule_pair(state, SizeRule{r("0.1"), r("0.05"), r("0.001")});
}
BENCHMARK(BM_SizeRulePair);

// Sizes where the √size premium does not bind (the common case for majors): the double screen
// skips the exact square root.
void BM_SizeRuleNotBinding(benchmark::State& state) {
  run_rule_pair(state, SizeRule{r("0.1"), r("0.05"), r("0.00001")});
}
BENCHMARK(BM_SizeRuleNotBinding);

void BM_OiRampRule(benchmark::State& state) {
  // Caps $1B-$2B: a third of the positions see an open interest inside the ramp.
  run_rule(state, OiRampRule{r("0.05"), r("0.03"), Money::from_whole(1'000'000'000).value(),
                             Money::from_whole(2'000'000'000).value()});
}
BENCHMARK(BM_OiRampRule);

void BM_TierRule(benchmark::State& state) {
  const TierRule::LeverageTier tiers[] = {{Money{}, 50},
                                          {Money::from_whole(10'000'000).value(), 40},
                                          {Money::from_whole(50'000'000).value(), 25},
                                          {Money::from_whole(150'000'000).value(), 20},
                                          {Money::from_whole(300'000'000).value(), 10}};
  run_rule(state, TierRule::from_leverage(tiers).value());
}
BENCHMARK(BM_TierRule);

// One asset weight and one liability weight (initial) per position, with the size discount and
// deposit scaling on: the collateral side of a balance.
void BM_CollateralWeights(benchmark::State& state) {
  const std::vector<Position> book = positions();
  CollateralParams p;
  p.init_asset_weight = r("0.8");
  p.maint_asset_weight = r("0.9");
  p.init_liability_weight = r("1.2");
  p.maint_liability_weight = r("1.1");
  p.imf_factor = r("0.001");
  p.deposit_scale_start = Money::from_whole(1'000'000'000).value();
  p.borrow_scale_start = Money::from_whole(1'000'000'000).value();
  for (auto _ : state) {
    for (const Position& pos : book) {
      benchmark::DoNotOptimize(asset_weight(p, MarginKind::initial, pos.size, pos.open_interest));
      benchmark::DoNotOptimize(liability_weight(p, MarginKind::initial, pos.size, pos.open_interest));
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(book.size()));
}
BENCHMARK(BM_CollateralWeights);

void BM_ShortOptionLeg(benchmark::State& state) {
  const std::vector<Position> book = positions();
  const ShortOptionRule rule{};
  const Price spot = Price::from_whole(50'000).value();
  std::vector<OptionLeg> legs;
  for (const Position& p : book) {
    legs.push_back({(p.size.raw() & 1) != 0 ? pricing::OptionKind::call : pricing::OptionKind::put,
                    Price::from_raw(40'000'000'000'000 + (p.notional.raw() % 20'000'000'000'000)),
                    Quantity::from_raw(-(p.size.raw() < 0 ? -p.size.raw() : p.size.raw()) / 1000),
                    Price::from_whole(1'000).value()});
  }
  for (auto _ : state) {
    for (const OptionLeg& leg : legs) {
      benchmark::DoNotOptimize(option_leg_requirement(rule, MarginKind::initial, leg, spot));
      benchmark::DoNotOptimize(option_leg_requirement(rule, MarginKind::maintenance, leg, spot));
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(legs.size()));
}
BENCHMARK(BM_ShortOptionLeg);

// An iron condor (4 legs) with its max-loss cap: per set of legs.
void BM_IronCondorSet(benchmark::State& state) {
  const ShortOptionRule rule{};
  const Price spot = Price::from_whole(50'000).value();
  const auto leg = [](pricing::OptionKind kind, std::int64_t strike, std::int64_t size) {
    return OptionLeg{kind, Price::from_whole(strike).value(), Quantity::from_whole(size).value(),
                     Price::from_whole(200).value()};
  };
  const OptionLeg legs[] = {leg(pricing::OptionKind::put, 43'000, 1), leg(pricing::OptionKind::put, 45'000, -1),
                            leg(pricing::OptionKind::call, 55'000, -1), leg(pricing::OptionKind::call, 56'000, 1)};
  for (auto _ : state) {
    benchmark::DoNotOptimize(option_set_requirement(rule, MarginKind::initial, legs, spot));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IronCondorSet);

// The add-on with the rate precomputed per market (the hot path) and computed from the
// volatility each time.
void BM_LatencyAddon(benchmark::State& state) {
  const std::vector<Position> book = positions();
  const LatencyBuffer buffer{Ratio::from_whole(3).value(), 400'000'000, 1'600'000'000};
  const Ratio rate = latency_buffer_rate(buffer, 0.8).value();
  for (auto _ : state) {
    for (const Position& p : book) benchmark::DoNotOptimize(latency_addon(rate, p.notional));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(book.size()));
}
BENCHMARK(BM_LatencyAddon);

void BM_LatencyBufferRate(benchmark::State& state) {
  const LatencyBuffer buffer{Ratio::from_whole(3).value(), 400'000'000, 1'600'000'000};
  double vol = 0.8;
  for (auto _ : state) {
    benchmark::DoNotOptimize(latency_buffer_rate(buffer, vol));
    benchmark::DoNotOptimize(vol);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LatencyBufferRate);

}  // namespace
}  // namespace ballast::margin
