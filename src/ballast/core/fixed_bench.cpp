// Fixed-point arithmetic against the double arithmetic it replaces in money paths. The peer is
// the same operation in double (inexact, no overflow check): the price of exactness.

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "ballast/core/fixed.hpp"
#include "ballast/core/random.hpp"

namespace ballast {
namespace {

constexpr std::size_t kCount = 4096;

struct Inputs {
  std::vector<Quantity> quantities;
  std::vector<Price> prices;
  std::vector<double> quantities_f;
  std::vector<double> prices_f;
  std::vector<std::string> texts;
};

const Inputs& inputs() {
  static const Inputs made = [] {
    Inputs in;
    CounterRng rng(11, 0);
    for (std::size_t i = 0; i < kCount; ++i) {
      const auto quantity = Quantity::from_raw(static_cast<std::int64_t>(rng.below(100'000'000'000)));
      const auto price = Price::from_raw(static_cast<std::int64_t>(rng.below(100'000'000'000'000)));
      in.quantities.push_back(quantity);
      in.prices.push_back(price);
      in.quantities_f.push_back(quantity.to_double());
      in.prices_f.push_back(price.to_double());
      in.texts.push_back(price.to_string());
    }
    return in;
  }();
  return made;
}

void BM_Ballast_Notional(benchmark::State& state) {
  const Inputs& in = inputs();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(notional(in.quantities[i], in.prices[i], Round::up));
    i = (i + 1) % kCount;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_Ballast_Notional);

void BM_PeerDouble_Notional(benchmark::State& state) {
  const Inputs& in = inputs();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(in.quantities_f[i] * in.prices_f[i]);
    i = (i + 1) % kCount;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_PeerDouble_Notional);

void BM_Ballast_ParseDecimal(benchmark::State& state) {
  const Inputs& in = inputs();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(Price::parse(in.texts[i], Round::down));
    i = (i + 1) % kCount;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_Ballast_ParseDecimal);

void BM_PeerStrtod_Parse(benchmark::State& state) {
  const Inputs& in = inputs();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(std::strtod(in.texts[i].c_str(), nullptr));
    i = (i + 1) % kCount;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_PeerStrtod_Parse);

}  // namespace
}  // namespace ballast
