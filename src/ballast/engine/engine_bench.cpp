// In-memory apply throughput: the engine alone, no log. Target (issue 2): >= 2M simple events/s
// on one core. The limit beside it: BM_Limit_HashMapCredit, one hash-map lookup and add per
// event, the least any ledger keyed by account must do.

#include <benchmark/benchmark.h>

#include <unordered_map>
#include <vector>

#include "ballast/engine/engine.hpp"
#include "ballast/engine/sample_venue.hpp"

namespace ballast {
namespace {

constexpr std::uint32_t kAccounts = 10'000;
constexpr std::uint64_t kEvents = 1'000'000;

struct Workload {
  std::vector<Event> setup;
  std::vector<Event> activity;
};

// Setup (assets, accounts) applied outside the timing; activity is what the benchmark applies.
Workload sample_workload(std::uint32_t invalid_one_in) {
  SampleVenue venue(SampleVenueOptions{.seed = 7, .accounts = kAccounts,
                                       .activity_events = kEvents,
                                       .invalid_one_in = invalid_one_in});
  Workload workload;
  const std::uint64_t setup_count = venue.total() - kEvents;
  while (!venue.done()) {
    (workload.activity.size() + workload.setup.size() < setup_count ? workload.setup
                                                                    : workload.activity)
        .push_back(venue.next());
  }
  return workload;
}

// Deposits only: the simplest event that moves value.
Workload deposit_workload() {
  Workload workload = sample_workload(0);
  const TimestampNs ts = workload.setup.back().timestamp_ns;
  for (std::uint64_t i = 0; i < kEvents; ++i) {
    const auto account = static_cast<std::uint32_t>(i % kAccounts);
    workload.activity[i] = Event{EventId{1'000'000'000 + i}, ts + static_cast<TimestampNs>(i),
                                 Deposit{SampleVenue::account_id(account),
                                         SampleVenue::cross_sub_account(account), AssetId{1},
                                         Amount::from_raw(1'000'000)}};
  }
  return workload;
}

void run_apply(benchmark::State& state, const Workload& workload) {
  Engine engine;
  for (const Event& event : workload.setup) engine.apply(event);
  std::size_t next = 0;
  std::uint64_t accepted = 0;
  for (auto _ : state) {
    if (next == workload.activity.size()) {
      state.PauseTiming();
      engine = Engine();
      for (const Event& event : workload.setup) engine.apply(event);
      next = 0;
      state.ResumeTiming();
    }
    accepted += engine.apply(workload.activity[next++]) == Status::ok ? 1u : 0u;
  }
  benchmark::DoNotOptimize(accepted);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_Ballast_ApplyDeposit(benchmark::State& state) {
  static const Workload workload = deposit_workload();
  run_apply(state, workload);
}
BENCHMARK(BM_Ballast_ApplyDeposit);

// 45% deposits, 30% transfers, 25% withdrawals, 2% deliberately invalid.
void BM_Ballast_ApplySampleMix(benchmark::State& state) {
  static const Workload workload = sample_workload(50);
  run_apply(state, workload);
}
BENCHMARK(BM_Ballast_ApplySampleMix);

void BM_Limit_HashMapCredit(benchmark::State& state) {
  std::unordered_map<std::uint64_t, std::int64_t> balances;
  for (std::uint64_t i = 0; i < kAccounts; ++i) balances[10'000 + 2 * i] = 0;
  std::uint64_t i = 0;
  for (auto _ : state) {
    balances[10'000 + 2 * (i++ % kAccounts)] += 1'000'000;
  }
  benchmark::DoNotOptimize(balances);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_Limit_HashMapCredit);

// The full state hash (snapshot bytes + SHA-256), per state size in accounts.
void BM_Ballast_StateHash(benchmark::State& state) {
  const auto accounts = static_cast<std::uint32_t>(state.range(0));
  SampleVenue venue(SampleVenueOptions{.seed = 3, .accounts = accounts,
                                       .activity_events = 4ull * accounts});
  Engine engine;
  while (!venue.done()) engine.apply(venue.next());
  for (auto _ : state) {
    benchmark::DoNotOptimize(engine.state_hash());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * accounts);
}
BENCHMARK(BM_Ballast_StateHash)->Arg(1'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ballast
