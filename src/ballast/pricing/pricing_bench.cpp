// Option pricing against QuantLib, the reference open-source pricer, on the same 4,096 random
// BSM options for everyone (testing/option_grid.hpp, the grid black_quantlib_test checks). One
// iteration prices the whole book; items are options, so ns per option = 1e9 / items_per_second.
//
// Peers: QuantLib's AnalyticEuropeanEngine reused across options (quotes set, engine
// recalculated: price and all first-order Greeks), and QuantLib's blackFormula, its cheapest
// valuation (price only, forward and discount factor built with std::exp per option).

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "ballast/core/random.hpp"
#include "ballast/pricing/black.hpp"
#include "ballast/pricing/black_batch.hpp"
#include "ballast/pricing/testing/option_grid.hpp"
#include "ballast/pricing/testing/quantlib_peer.hpp"

namespace ballast::pricing {
namespace {

constexpr std::size_t kCount = 4096;

// The same options as rows (for the scalar API and QuantLib) and as columns (for the batches).
struct Book {
  std::vector<BsmInput> rows;
  std::vector<OptionKind> kind;
  std::vector<double> spot, strike, expiry, rate, dividend, vol;

  BsmColumns columns() const { return {kind, spot, strike, expiry, rate, dividend, vol}; }

  void push_back(const BsmInput& in) {
    rows.push_back(in);
    kind.push_back(in.kind);
    spot.push_back(in.spot);
    strike.push_back(in.strike);
    expiry.push_back(in.expiry_years);
    rate.push_back(in.rate);
    dividend.push_back(in.dividend);
    vol.push_back(in.vol);
  }
};

const Book& book() {
  static const Book made = [] {
    Book b;
    CounterRng rng(7, 0);
    for (std::size_t i = 0; i < kCount; ++i) b.push_back(peer::random_bsm(rng));
    return b;
  }();
  return made;
}

struct GreeksBuffers {
  std::vector<double> price = std::vector<double>(kCount), delta = price, gamma = price,
                      vega = price, theta = price, rho = price, dividend_rho = price,
                      vanna = price, volga = price;

  GreeksColumns columns() {
    return {price, delta, gamma, vega, theta, rho, dividend_rho, vanna, volga};
  }
};

void count_options(benchmark::State& state) {
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kCount));
}

// Reports a path this machine cannot run as skipped rather than timing a fallback.
bool runnable(benchmark::State& state, Isa isa) {
  if (isa_supported(isa)) return true;
  state.SkipWithError((std::string(isa_name(isa)) + " is not supported on this machine").c_str());
  return false;
}

void BM_PeerQuantLib_PriceGreeks(benchmark::State& state) {
  peer::QuantLibPeer quantlib;
  for (auto _ : state) {
    for (const BsmInput& option : book().rows) benchmark::DoNotOptimize(quantlib.bsm(option));
  }
  count_options(state);
}
BENCHMARK(BM_PeerQuantLib_PriceGreeks)->Unit(benchmark::kMicrosecond);

void BM_PeerQuantLib_BlackCalculatorGreeks(benchmark::State& state) {
  for (auto _ : state) {
    for (const BsmInput& option : book().rows) {
      benchmark::DoNotOptimize(peer::quantlib_black_calculator(option));
    }
  }
  count_options(state);
}
BENCHMARK(BM_PeerQuantLib_BlackCalculatorGreeks)->Unit(benchmark::kMicrosecond);

void BM_PeerQuantLib_BlackFormula(benchmark::State& state) {
  for (auto _ : state) {
    for (const BsmInput& option : book().rows) {
      benchmark::DoNotOptimize(peer::quantlib_black_formula(option));
    }
  }
  count_options(state);
}
BENCHMARK(BM_PeerQuantLib_BlackFormula)->Unit(benchmark::kMicrosecond);

void BM_Ballast_GreeksBatch(benchmark::State& state, Isa isa) {
  if (!runnable(state, isa)) return;
  const BsmColumns in = book().columns();
  GreeksBuffers out;
  const GreeksColumns columns = out.columns();
  for (auto _ : state) {
    bsm_greeks_batch(in, columns, isa);
    benchmark::ClobberMemory();
  }
  count_options(state);
}
BENCHMARK_CAPTURE(BM_Ballast_GreeksBatch, scalar, Isa::scalar)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Ballast_GreeksBatch, avx2, Isa::avx2)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Ballast_GreeksBatch, avx512, Isa::avx512)->Unit(benchmark::kMicrosecond);

void BM_Ballast_PriceBatch(benchmark::State& state, Isa isa) {
  if (!runnable(state, isa)) return;
  const BsmColumns in = book().columns();
  std::vector<double> price(kCount);
  for (auto _ : state) {
    bsm_price_batch(in, price, isa);
    benchmark::ClobberMemory();
  }
  count_options(state);
}
BENCHMARK_CAPTURE(BM_Ballast_PriceBatch, scalar, Isa::scalar)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Ballast_PriceBatch, avx2, Isa::avx2)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Ballast_PriceBatch, avx512, Isa::avx512)->Unit(benchmark::kMicrosecond);

// The validated one-option entry point, as the CLI and engine call it.
void BM_Ballast_GreeksScalarApi(benchmark::State& state) {
  for (auto _ : state) {
    for (const BsmInput& option : book().rows) benchmark::DoNotOptimize(price_bsm(option));
  }
  count_options(state);
}
BENCHMARK(BM_Ballast_GreeksScalarApi)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ballast::pricing
