// What the circuit breakers and governance add to the engine's events (breakers.hpp, governed.hpp),
// each beside the same event on a venue without them, in the same binary:
//   oracle_price  a reading a minute after the last, so every one is a monitor sample (EWMA and
//                 GARCH steps, regime judged), vs the same reading without breakers
//   governance    propose then execute (the trial configuration validated twice, the change
//                 written, the rules in force derived again), a pair of events per iteration,
//                 vs RiskConfig::validate alone (the trial's dominant part)

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <optional>

#include "ballast/engine/engine.hpp"
#include "ballast/engine/testing/margin_venue.hpp"

namespace ballast {
namespace {

using namespace engine_testing;  // NOLINT: the test venue's ids and builders

constexpr TimestampNs kMinuteNs = 60'000'000'000;

EngineOptions with_breakers() {
  EngineOptions options;
  options.breakers = BreakerOptions{};
  return options;
}

EngineOptions with_governance() {
  EngineOptions options;
  GovernanceOptions governance;
  governance.params.timelock_ns = 1'000;
  governance.params.grace_ns = 1'000;
  governance.params.max_proposals = governance::kMaxProposalsCeiling;
  governance.parameters = {{"BTC-PERP.maintenance_rate", ratio("0.01").raw(), ratio("0.1").raw(),
                            ratio("0.05").raw(), std::nullopt}};
  options.governance = governance;
  return options;
}

// An engine fed events `step_ns` apart, each with the next id; aborts on a rejection, so a
// benchmark never measures one.
class Driver {
 public:
  explicit Driver(const EngineOptions& options) : engine_(venue(), options) {
    must(ListAsset{kUsdc, "USDC", 6, kAssetFlagsAll});
    must(ListAsset{kBtc, "BTC", 8, kAssetFlagsAll});
  }
  void must(EventBody body, TimestampNs step_ns = 1'000) {
    now_ += step_ns;
    if (engine_.apply(Event{EventId{next_id_++}, now_, std::move(body)}) != Status::ok) std::abort();
  }
  const Engine& engine() const { return engine_; }

 private:
  Engine engine_;
  std::uint64_t next_id_ = 1;
  TimestampNs now_ = kT0;
};

// Calm readings alternating 50,000 and 50,010 a minute apart: the regime stays at 0.
void oracle_readings(benchmark::State& state, const EngineOptions& options) {
  Driver driver(options);
  bool up = false;
  for (auto _ : state) {
    const Price p = up ? price("50010") : price("50000");
    driver.must(OraclePrice{kBtc, p, p}, kMinuteNs);
    up = !up;
  }
  benchmark::DoNotOptimize(driver.engine().prices().book.assets.data());
}

void BM_Ballast_ApplyOraclePriceWithBreakers(benchmark::State& state) { oracle_readings(state, with_breakers()); }
BENCHMARK(BM_Ballast_ApplyOraclePriceWithBreakers);

void BM_Peer_ApplyOraclePriceWithoutBreakers(benchmark::State& state) { oracle_readings(state, {}); }
BENCHMARK(BM_Peer_ApplyOraclePriceWithoutBreakers);

// A proposal and its execution per iteration, the maintenance rate alternating 5% and 6%.
void BM_Ballast_ProposeAndExecute(benchmark::State& state) {
  Driver driver(with_governance());
  std::uint64_t proposal = 1;
  for (auto _ : state) {
    const std::int64_t value = proposal % 2 == 1 ? ratio("0.06").raw() : ratio("0.05").raw();
    driver.must(ProposeParameter{governance::ProposalId{proposal}, governance::ParameterKey{1}, value});
    driver.must(ExecuteProposal{governance::ProposalId{proposal}});
    ++proposal;
  }
  state.counters["events"] = benchmark::Counter(2.0 * static_cast<double>(state.iterations()),
                                                benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_Ballast_ProposeAndExecute);

void BM_Peer_RiskConfigValidate(benchmark::State& state) {
  const margin::RiskConfig risk = venue();
  for (auto _ : state) benchmark::DoNotOptimize(risk.validate().ok());
}
BENCHMARK(BM_Peer_RiskConfigValidate);

}  // namespace
}  // namespace ballast
