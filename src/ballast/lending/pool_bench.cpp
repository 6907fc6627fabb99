// The per-event costs of the lending part: the borrow rate at a utilization (Drift's 8-point
// curve, and a pool's full rate: utilization, curve, Mango scaling), e^x − 1 at the two ends of
// its range, and an accrual over 1 s (the usual per-event step), a day and a year. None allocates.

#include <benchmark/benchmark.h>

#include <cstdint>

#include "ballast/lending/pool.hpp"

namespace ballast::lending {
namespace {

constexpr TimestampNs kStart = 1'700'000'000'000'000'000;
constexpr TimestampNs kSecondNs = 1'000'000'000;

Ratio ratio_of(std::int64_t per_million) { return Ratio::from_raw(per_million * 1'000'000); }

void BM_CurveRateAt(benchmark::State& state) {
  const RateCurve curve =
      RateCurve::drift_multi_stage(ratio_of(700'000), ratio_of(100'000), ratio_of(5'000'000)).value();
  std::int64_t u = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(curve.rate_at(Ratio::from_raw(u)));
    u = (u + 7'919'000'001) % (Ratio::kScale + 1);  // walks every segment
  }
}
BENCHMARK(BM_CurveRateAt);

Pool mango_pool() {
  PoolConfig config{
      .curve = RateCurve::mango_two_kink(ratio_of(700'000), ratio_of(100'000), ratio_of(850'000),
                                         ratio_of(200'000), ratio_of(2'000'000))
                   .value(),
      .adaptive = AdaptiveScaling{.target_utilization = ratio_of(700'000), .adjustment = ratio_of(4'000)},
      .reserve_factor = ratio_of(100'000)};
  Pool pool = Pool::make(config, kStart).value();
  ScaledBalance supplier = 0;
  ScaledBalance borrower = 0;
  BALLAST_ASSERT(pool.deposit(supplier, Amount::from_raw(1'000'000'000'000)) == LendingStatus::ok);
  BALLAST_ASSERT(pool.withdraw(borrower, Amount::from_raw(780'000'000'000), true) == LendingStatus::ok);
  pool.adapt_scaling(pool.utilization());
  return pool;
}

void BM_PoolBorrowRate(benchmark::State& state) {
  const Pool pool = mango_pool();
  for (auto _ : state) {
    benchmark::DoNotOptimize(pool.borrow_rate());
  }
}
BENCHMARK(BM_PoolBorrowRate);

void BM_ExpMinusOne(benchmark::State& state) {
  const int128 x = static_cast<int128>(state.range(0));  // at 10^-18
  for (auto _ : state) {
    int128 value = x;
    benchmark::DoNotOptimize(value);
    benchmark::DoNotOptimize(exp_minus_one_up(value));
  }
}
// x for 1 s at 10% (3.2·10^-9) and x = 1 (the longest series, 20 terms).
BENCHMARK(BM_ExpMinusOne)->Arg(3'170'979'198)->Arg(1'000'000'000'000'000'000);

// Accrual every `range(0)` seconds on one pool, started afresh every 2^16 steps (45 days at 60 s)
// so the debt never compounds out of range; the copy is amortized over the 65,536 steps.
void BM_AccrueStep(benchmark::State& state) {
  const Pool base = mango_pool();
  Pool pool = base;
  const TimestampNs step = state.range(0) * kSecondNs;
  TimestampNs now = kStart;
  std::uint32_t count = 0;
  for (auto _ : state) {
    if ((++count & 0xFFFF) == 0) {
      pool = base;
      now = kStart;
    }
    now += step;
    const LendingStatus status = pool.accrue(now);
    benchmark::DoNotOptimize(status);
    BALLAST_ASSERT(status == LendingStatus::ok);
  }
}
BENCHMARK(BM_AccrueStep)->Arg(1)->Arg(60);

// One accrual over a long gap, from the same state each time (the copy, ~0.1 KB, included).
void BM_AccrueGap(benchmark::State& state) {
  const Pool base = mango_pool();
  const TimestampNs now = kStart + state.range(0) * kSecondNs;
  for (auto _ : state) {
    Pool pool = base;
    benchmark::DoNotOptimize(pool.accrue(now));
    benchmark::DoNotOptimize(pool);
  }
}
BENCHMARK(BM_AccrueGap)->Arg(86'400)->Arg(kSecondsPerYear);

// A deposit and a withdrawal of the same amount by one supplier (the index arithmetic and caps).
void BM_DepositWithdraw(benchmark::State& state) {
  Pool pool = mango_pool();
  BALLAST_ASSERT(pool.accrue(kStart + 86'400 * kSecondNs) == LendingStatus::ok);
  ScaledBalance balance = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(pool.deposit(balance, Amount::from_raw(1'000'000)));
    benchmark::DoNotOptimize(pool.withdraw(balance, Amount::from_raw(900'000), false));
  }
}
BENCHMARK(BM_DepositWithdraw);

}  // namespace
}  // namespace ballast::lending
