// Cost of the liquidation math the engine runs per liquidatable position (size_liquidation with
// its stage, close factor, dust rule and caps; the price band; the auction bonus) and per oracle
// update (the volatility monitor). Inputs vary so branches are not trivially predicted.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "ballast/liquidation/auction.hpp"
#include "ballast/liquidation/circuit_breaker.hpp"
#include "ballast/liquidation/sizing.hpp"

namespace ballast::liquidation {
namespace {

std::uint64_t splitmix(std::uint64_t& state) {
  state += 0x9e3779b97f4a7c15ULL;
  std::uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::int64_t in_range(std::uint64_t& state, std::int64_t lo, std::int64_t hi) {
  return lo + static_cast<std::int64_t>(splitmix(state) % static_cast<std::uint64_t>(hi - lo));
}

std::vector<SizingRequest> requests() {
  std::vector<SizingRequest> out;
  std::uint64_t state = 42;
  for (int i = 0; i < 1024; ++i) {
    const std::int64_t mark = in_range(state, 1'000'000'000, 100'000'000'000'000);
    const std::int64_t size = in_range(state, 1, 10'000) * 1'000'000;
    const std::int64_t requirement = size / 1000 * (mark / 1'000'000) / 10'000;  // ~10% of notional, µ$
    SizingRequest r;
    r.group = {Money::from_raw(requirement - in_range(state, 1, requirement / 2 + 2)), Money::from_raw(requirement)};
    r.buffer = Money::from_raw(requirement / 50);
    r.position_size = Quantity::from_raw((i & 1) ? size : -size);
    r.lot = Quantity::from_raw(1'000'000);
    r.mark = Price::from_raw(mark);
    r.release_per_unit = Price::from_raw(mark / 10);
    r.cost_per_unit = Price::from_raw(mark / 50);
    r.account_cap_remaining = Money::from_raw(in_range(state, 0, 2) ? INT64_MAX : requirement * 3);
    r.event_cap_remaining = Money::from_raw(INT64_MAX);
    out.push_back(r);
  }
  return out;
}

void BM_SizeLiquidation(benchmark::State& state) {
  const SizingParams params{.close_factor = Ratio::from_raw(500'000'000'000),
                            .stages = {Ratio::from_raw(900'000'000'000), Ratio::from_raw(666'666'666'667)},
                            .min_leftover_notional = Money::from_raw(1'000'000'000)};
  const std::vector<SizingRequest> in = requests();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(size_liquidation(params, in[i]));
    i = (i + 1) & 1023;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SizeLiquidation);

void BM_PriceBandAndBonus(benchmark::State& state) {
  const std::vector<SizingRequest> in = requests();
  const AuctionParams auction{Ratio::from_raw(10'000'000'000), Ratio::from_raw(50'000'000'000), 600'000'000'000,
                              Ratio::from_raw(200'000'000'000)};
  std::size_t i = 0;
  TimestampNs now = 1'700'000'000'000'000'000;
  for (auto _ : state) {
    const SizingRequest& r = in[i];
    const AuctionQuote q = auction_bonus(auction, 1'700'000'000'000'000'000, now);
    const BandOutcome band = liquidation_price_band(r.position_size, r.mark, Ratio::from_raw(50'000'000'000),
                                                    bankruptcy_price(r.group.health(), r.position_size, r.mark));
    benchmark::DoNotOptimize(price_in_band(band.band, *discounted_price(r.position_size, r.mark, q.bonus)));
    i = (i + 1) & 1023;
    now += 1'000'000'000;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PriceBandAndBonus);

void BM_MonitorObserve(benchmark::State& state) {
  // Every observation takes a return (one interval apart): the full update path.
  std::vector<Price> prices;
  std::uint64_t seed = 7;
  std::int64_t p = 50'000'000'000'000;
  for (int i = 0; i < 4096; ++i) {
    p += in_range(seed, -p / 200, p / 200);
    prices.push_back(Price::from_raw(p));
  }
  VolatilityMonitor monitor{VolatilityParams{}};
  TimestampNs now = 1'700'000'000'000'000'000;
  std::size_t i = 0;
  for (auto _ : state) {
    now += 60'000'000'000;
    benchmark::DoNotOptimize(monitor.observe(prices[i], now));
    i = (i + 1) & 4095;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MonitorObserve);

}  // namespace
}  // namespace ballast::liquidation
