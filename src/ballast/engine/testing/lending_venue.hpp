#pragma once
// Lending pools for margin_venue.hpp's venue, from public rate strategies (research/defi-engines.md
// E8), for the lending benchmarks and property test.

#include "ballast/engine/engine.hpp"
#include "ballast/engine/testing/margin_venue.hpp"

namespace ballast::engine_testing {

// Aave's StableTwo strategy of its rate-strategy tests: base 0, slope 4% to the 80% optimum, then
// 75%; reserve factor 10%, reserves to the insurance fund.
inline lending::PoolConfig aave_stable_two() {
  lending::PoolConfig config{
      lending::RateCurve::aave_two_slope(ratio("0"), ratio("0.04"), ratio("0.75"), ratio("0.8")).value()};
  config.reserve_factor = ratio("0.1");
  return config;
}

// Aave's VolatileOne strategy (WETH, WBTC) of the same tests: base 0, slope 7% to the 45% optimum,
// then 300%; reserve factor 20% (E8's range is 10-20%), reserves to the treasury (the other
// destination).
inline lending::PoolConfig aave_volatile() {
  lending::PoolConfig config{
      lending::RateCurve::aave_two_slope(ratio("0"), ratio("0.07"), ratio("3"), ratio("0.45")).value()};
  config.reserve_factor = ratio("0.2");
  config.reserves_to = lending::ReservesDestination::treasury;
  return config;
}

// A USDC pool (StableTwo), and a BTC pool (volatile) when `lend_btc`.
inline EngineOptions lending_options(bool lend_btc) {
  EngineOptions options;
  options.pools = {{kUsdc, aave_stable_two()}};
  if (lend_btc) options.pools.push_back({kBtc, aave_volatile()});
  return options;
}

}  // namespace ballast::engine_testing
