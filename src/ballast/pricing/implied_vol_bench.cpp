// Implied volatility (implied_vol.hpp) over 4,096 random attainable Black-76 options. One
// iteration inverts the whole book; items are options, so ns per implied vol =
// 1e9 / items_per_second. Target: 5 million per second per core (200 ns each).
//
// The mixed book draws ln(F/K) in [-3, 3], T from a day to 3 years and vol from 5% to 150%, calls
// and puts, and keeps the options whose time value is a normal double (the others imply 0 at
// once and would flatter the figure). The per-branch books hold the mix to one region of
// Jäckel's four: deep out of the money (lowest branch), near the money (middle) and very high
// total volatility (highest).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "ballast/core/random.hpp"
#include "ballast/pricing/black.hpp"
#include "ballast/pricing/black_batch.hpp"
#include "ballast/pricing/implied_vol.hpp"

namespace ballast::pricing {
namespace {

constexpr std::size_t kCount = 4096;

struct Range {
  double log_moneyness_lo, log_moneyness_hi;
  double vol_lo, vol_hi;
};

struct Book {
  std::vector<OptionKind> kind;
  std::vector<double> price, forward, strike, expiry, discount;
};

double between(CounterRng& rng, double lo, double hi) { return lo + (hi - lo) * rng.uniform(); }

Book make_book(const Range& range, std::uint64_t stream) {
  Book b;
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
    b.kind.push_back(kind);
    b.price.push_back(price);
    b.forward.push_back(forward);
    b.strike.push_back(strike);
    b.expiry.push_back(expiry);
    b.discount.push_back(discount);
  }
  return b;
}

void run_batch(benchmark::State& state, const Book& b, Isa isa = best_isa()) {
  std::vector<double> vol(kCount);
  for (auto _ : state) {
    const std::size_t failures = implied_vol_black76_batch(b.kind, b.price, b.forward, b.strike,
                                                           b.expiry, b.discount, vol, isa);
    benchmark::DoNotOptimize(failures);
    benchmark::DoNotOptimize(vol.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kCount));
}

void BM_Ballast_ImpliedVol_Batch(benchmark::State& state) {
  static const Book b = make_book({-3.0, 3.0, 0.05, 1.5}, 0);
  run_batch(state, b);
}
BENCHMARK(BM_Ballast_ImpliedVol_Batch);

// The same book on the baseline's SSE lanes, what machines without AVX2 run.
void BM_Ballast_ImpliedVol_BatchBaseline(benchmark::State& state) {
  static const Book b = make_book({-3.0, 3.0, 0.05, 1.5}, 0);
  run_batch(state, b, Isa::scalar);
}
BENCHMARK(BM_Ballast_ImpliedVol_BatchBaseline);

// The Result-returning scalar entry point over the same book.
void BM_Ballast_ImpliedVol_Scalar(benchmark::State& state) {
  static const Book b = make_book({-3.0, 3.0, 0.05, 1.5}, 0);
  for (auto _ : state) {
    double sum = 0.0;
    for (std::size_t i = 0; i < kCount; ++i) {
      sum += implied_vol_black76(b.kind[i], b.price[i], b.forward[i], b.strike[i], b.expiry[i],
                                 b.discount[i])
                 .value();
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kCount));
}
BENCHMARK(BM_Ballast_ImpliedVol_Scalar);

void BM_Ballast_ImpliedVol_NearMoney(benchmark::State& state) {
  static const Book b = make_book({-0.1, 0.1, 0.05, 1.5}, 1);
  run_batch(state, b);
}
BENCHMARK(BM_Ballast_ImpliedVol_NearMoney);

void BM_Ballast_ImpliedVol_DeepOutOfMoney(benchmark::State& state) {
  static const Book b = make_book({-5.0, -2.0, 0.05, 0.5}, 2);
  run_batch(state, b);
}
BENCHMARK(BM_Ballast_ImpliedVol_DeepOutOfMoney);

void BM_Ballast_ImpliedVol_HighVol(benchmark::State& state) {
  static const Book b = make_book({-0.5, 0.5, 2.0, 3.0}, 3);
  run_batch(state, b);
}
BENCHMARK(BM_Ballast_ImpliedVol_HighVol);

}  // namespace
}  // namespace ballast::pricing
