// Option pricing and implied volatility against QuantLib, the reference open-source pricer: one
// binary, one run. Single thread; one iteration values a whole book of 4,096 options and items
// are options, so ns per option = 1e9 / items_per_second. Paths this machine cannot run are
// reported as skipped, never timed on a fallback.
//
// Pricing: the same random BSM options for everyone (testing/option_grid.hpp, the grid
// black_quantlib_test checks). Peers: QuantLib's AnalyticEuropeanEngine reused across options
// (quotes set, engine recalculated: price and all first-order Greeks), its BlackCalculator (the
// leanest Greeks path), and its blackFormula, its cheapest valuation (price only, forward and
// discount factor built with std::exp per option).
//
// Implied volatility (implied_vol.hpp): random attainable Black-76 options. The mixed book draws
// ln(F/K) in [-3, 3], T from a day to 3 years and vol from 5% to 150%, calls and puts, and keeps
// the options whose time value is a normal double (the others imply 0 at once and would flatter
// the figure). The per-branch books hold the mix to one region of Jäckel's four: deep out of the
// money (lowest branch), near the money (middle) and very high total volatility (highest).
// Target: 5 million per second per core (200 ns each). Peer: QuantLib's
// blackFormulaImpliedStdDev on the same prices, solved to 1e-12 in std dev
// (peer::quantlib_implied_vol; black_quantlib_test checks it agrees with ours near the money),
// with counters for where it fails or disagrees (run_quantlib_implied_vol).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "ballast/core/random.hpp"
#include "ballast/pricing/black.hpp"
#include "ballast/pricing/black_batch.hpp"
#include "ballast/pricing/implied_vol.hpp"
#include "ballast/pricing/testing/option_grid.hpp"
#include "ballast/pricing/testing/quantlib_peer.hpp"

namespace ballast::pricing {
namespace {

constexpr std::size_t kCount = 4096;

// ---------------------------------------------------------------------------------------------
// Price and Greeks.

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

// ---------------------------------------------------------------------------------------------
// Implied volatility.

struct VolRange {
  double log_moneyness_lo, log_moneyness_hi;
  double vol_lo, vol_hi;
};

// Black-76 options and their prices, as columns (ours) and as rows with vol 0 (QuantLib's).
struct VolBook {
  std::vector<Black76Input> rows;
  std::vector<OptionKind> kind;
  std::vector<double> price, forward, strike, expiry, discount;
};

double between(CounterRng& rng, double lo, double hi) { return lo + (hi - lo) * rng.uniform(); }

VolBook make_vol_book(const VolRange& range, std::uint64_t stream) {
  VolBook b;
  CounterRng rng(11, stream);
  while (b.price.size() < kCount) {
    const OptionKind kind = rng.below(2) == 0 ? OptionKind::call : OptionKind::put;
    const double forward = 100.0;
    const double strike =
        forward * std::exp(-between(rng, range.log_moneyness_lo, range.log_moneyness_hi));
    const double expiry = std::exp(between(rng, std::log(1.0 / 365.0), std::log(3.0)));
    const double vol = std::exp(between(rng, std::log(range.vol_lo), std::log(range.vol_hi)));
    const double discount = between(rng, 0.9, 1.0);
    const double price =
        price_black76({kind, forward, strike, expiry, discount, vol}).value().price;
    const double intrinsic =
        std::max(kind == OptionKind::call ? forward * discount - strike * discount
                                          : strike * discount - forward * discount,
                 0.0);
    if (!(price - intrinsic >= std::numeric_limits<double>::min() * forward)) continue;
    b.rows.push_back({kind, forward, strike, expiry, discount, 0.0});
    b.kind.push_back(kind);
    b.price.push_back(price);
    b.forward.push_back(forward);
    b.strike.push_back(strike);
    b.expiry.push_back(expiry);
    b.discount.push_back(discount);
  }
  return b;
}

const VolBook& mixed_vol_book() {
  static const VolBook made = make_vol_book({-3.0, 3.0, 0.05, 1.5}, 0);
  return made;
}

void run_implied_vol_batch(benchmark::State& state, const VolBook& b, Isa isa) {
  if (!runnable(state, isa)) return;
  std::vector<double> vol(kCount);
  std::size_t failures = 0;
  for (auto _ : state) {
    failures = implied_vol_black76_batch(b.kind, b.price, b.forward, b.strike, b.expiry,
                                         b.discount, vol, isa);
    benchmark::DoNotOptimize(failures);
    benchmark::ClobberMemory();
  }
  state.counters["failures"] = static_cast<double>(failures);
  count_options(state);
}

// The mixed book on each path. There is no AVX-512 entry: Isa::avx512 runs the AVX2 path
// (implied_vol.hpp). Isa::scalar is the baseline's SSE lanes, what machines without AVX2 run.
void BM_Ballast_ImpliedVolBatch(benchmark::State& state, Isa isa) {
  run_implied_vol_batch(state, mixed_vol_book(), isa);
}
BENCHMARK_CAPTURE(BM_Ballast_ImpliedVolBatch, scalar, Isa::scalar)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Ballast_ImpliedVolBatch, avx2, Isa::avx2)->Unit(benchmark::kMicrosecond);

// The Result-returning one-option entry point over the same book.
void BM_Ballast_ImpliedVolScalarApi(benchmark::State& state) {
  const VolBook& b = mixed_vol_book();
  for (auto _ : state) {
    double sum = 0.0;
    for (std::size_t i = 0; i < kCount; ++i) {
      sum += implied_vol_black76(b.kind[i], b.price[i], b.forward[i], b.strike[i], b.expiry[i],
                                 b.discount[i])
                 .value();
    }
    benchmark::DoNotOptimize(sum);
  }
  count_options(state);
}
BENCHMARK(BM_Ballast_ImpliedVolScalarApi)->Unit(benchmark::kMicrosecond);

// One region of the solver each, on the widest path.
void BM_Ballast_ImpliedVolNearMoney(benchmark::State& state) {
  static const VolBook b = make_vol_book({-0.1, 0.1, 0.05, 1.5}, 1);
  run_implied_vol_batch(state, b, best_isa());
}
BENCHMARK(BM_Ballast_ImpliedVolNearMoney)->Unit(benchmark::kMicrosecond);

void BM_Ballast_ImpliedVolDeepOutOfMoney(benchmark::State& state) {
  static const VolBook b = make_vol_book({-5.0, -2.0, 0.05, 0.5}, 2);
  run_implied_vol_batch(state, b, best_isa());
}
BENCHMARK(BM_Ballast_ImpliedVolDeepOutOfMoney)->Unit(benchmark::kMicrosecond);

void BM_Ballast_ImpliedVolHighVol(benchmark::State& state) {
  static const VolBook b = make_vol_book({-0.5, 0.5, 2.0, 3.0}, 3);
  run_implied_vol_batch(state, b, best_isa());
}
BENCHMARK(BM_Ballast_ImpliedVolHighVol)->Unit(benchmark::kMicrosecond);

// Counters: "failures", the options where QuantLib threw (NaN, the throw's time included);
// "disagree", those where its vol is NaN or differs from ours by more than 1e-8 (ours is checked
// against 40-digit references in implied_vol_test). QuantLib prices through (1 + erf)/2 and puts
// in-the-money options out of the money by parity, so it cannot invert time values below about
// 1e-8 of the forward to that accuracy: on the mixed book about a third of the options.
void run_quantlib_implied_vol(benchmark::State& state, const VolBook& b) {
  std::vector<double> theirs(kCount);
  for (auto _ : state) {
    for (std::size_t i = 0; i < kCount; ++i) {
      theirs[i] = peer::quantlib_implied_vol(b.rows[i], b.price[i]);
    }
    benchmark::DoNotOptimize(theirs.data());
    benchmark::ClobberMemory();
  }
  std::vector<double> ours(kCount);
  implied_vol_black76_batch(b.kind, b.price, b.forward, b.strike, b.expiry, b.discount, ours);
  std::size_t failures = 0, disagree = 0;
  for (std::size_t i = 0; i < kCount; ++i) {
    if (std::isnan(theirs[i])) ++failures;
    if (!(std::fabs(theirs[i] - ours[i]) <= 1e-8)) ++disagree;
  }
  state.counters["failures"] = static_cast<double>(failures);
  state.counters["disagree"] = static_cast<double>(disagree);
  count_options(state);
}

void BM_PeerQuantLib_ImpliedVol(benchmark::State& state) {
  run_quantlib_implied_vol(state, mixed_vol_book());
}
BENCHMARK(BM_PeerQuantLib_ImpliedVol)->Unit(benchmark::kMicrosecond);

// QuantLib on BM_Ballast_ImpliedVolNearMoney's book (|ln(F/K)| <= 0.1).
void BM_PeerQuantLib_ImpliedVolNearMoney(benchmark::State& state) {
  static const VolBook b = make_vol_book({-0.1, 0.1, 0.05, 1.5}, 1);
  run_quantlib_implied_vol(state, b);
}
BENCHMARK(BM_PeerQuantLib_ImpliedVolNearMoney)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ballast::pricing
