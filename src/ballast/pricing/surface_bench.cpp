// Vol surface costs on the margin path: one SVI evaluation (with and without derivatives), one
// surface lookup by strike, a butterfly scan, and one SVI calibration to a 41-quote smile.

#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include "ballast/pricing/surface.hpp"
#include "ballast/pricing/svi_fit.hpp"

namespace ballast::pricing {
namespace {

constexpr SviParams kSkewed{0.04, 0.4, -0.4, 0.1, 0.2};

std::vector<double> moneyness_grid() {
  std::vector<double> ks;
  for (int i = 0; i < 1024; ++i) ks.push_back(-1.0 + 2.0 * static_cast<double>(i) / 1023.0);
  return ks;
}

void BM_SviTotalVariance(benchmark::State& state) {
  const std::vector<double> ks = moneyness_grid();
  for (auto _ : state) {
    for (const double k : ks) benchmark::DoNotOptimize(svi_total_variance(kSkewed, k));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(ks.size()));
}
BENCHMARK(BM_SviTotalVariance);

void BM_SviPoint(benchmark::State& state) {
  const std::vector<double> ks = moneyness_grid();
  for (auto _ : state) {
    for (const double k : ks) benchmark::DoNotOptimize(svi_point(kSkewed, k));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(ks.size()));
}
BENCHMARK(BM_SviPoint);

void BM_SurfaceVolByStrike(benchmark::State& state) {
  const VolSurface surface = VolSurface::make({{0.02, 100.0, {0.0005, 0.01, -0.3, 0.0, 0.1}},
                                               {0.25, 101.0, {0.01, 0.1, -0.5, 0.0, 0.1}},
                                               {1.0, 104.0, {0.04, 0.15, -0.4, 0.05, 0.2}}})
                                 .value();
  const std::vector<double> ks = moneyness_grid();
  for (auto _ : state) {
    for (const double k : ks) benchmark::DoNotOptimize(surface.vol(100.0 + 50.0 * k, 0.5));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(ks.size()));
}
BENCHMARK(BM_SurfaceVolByStrike);

void BM_ButterflyScan401(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(check_butterfly(kSkewed, {-2.0, 2.0, 401}));
}
BENCHMARK(BM_ButterflyScan401);

void BM_FitSvi41Quotes(benchmark::State& state) {
  std::vector<SmileQuote> quotes;
  for (int i = 0; i < 41; ++i) {
    const double k = -1.0 + 0.05 * static_cast<double>(i);
    // A fixed +-0.2 vol point wobble so that the fit is not exact.
    const double wobble = (i % 3 == 0 ? 0.002 : -0.001);
    quotes.push_back({k, std::sqrt(svi_total_variance(kSkewed, k) / 0.25) + wobble});
  }
  int evaluations = 0;
  for (auto _ : state) {
    const Result<SviFit> fit = fit_svi(quotes, QuoteUnit::vol, 0.25);
    evaluations = fit->evaluations;
    benchmark::DoNotOptimize(fit);
  }
  state.counters["inner_solves"] = evaluations;
}
BENCHMARK(BM_FitSvi41Quotes)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ballast::pricing
