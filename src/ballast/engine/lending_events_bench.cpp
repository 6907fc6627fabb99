// The engine's lending and loss events end to end (validate, execute, idempotency; issue 6), each
// with the limit or the peer it is read against:
//   accrue_interest over N holders of the asset: O(holders) by design (pools.hpp), beside
//     plan_interest on the same ledger (the plan the engine makes; validation and execution
//     each make it), with the time per holder as a counter;
//   borrow, beside margin::evaluate of the borrower's group (the initial-margin check it runs);
//   liquidate_borrow, against the limit: a liquidation event <= 5 us;
//   resolve_bankruptcy and backstop_takeover on venues with 1k and 100k other, idle sub-accounts:
//     the same events on the same groups, so the 1k figure is the 100k figure's peer. Work
//     proportional to what changed (DESIGN principle 5) keeps them flat in N; a scan of the venue
//     makes them grow 100x;
//   resolve_bankruptcy with ADL over 1k and 10k profitable opposite holders (the simulator's
//     case): every holder is a candidate, so the work grows with them; the 1k figure is the peer.
// Every iteration applies an accepted event: a refusal stops the benchmark with the status
// (SkipWithError), and state that events use up is restored outside the timing.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ballast/engine/engine.hpp"
#include "ballast/engine/testing/event_driver.hpp"
#include "ballast/engine/testing/lending_venue.hpp"
#include "ballast/engine/testing/margin_venue.hpp"

namespace ballast {
namespace {

using namespace engine_testing;  // NOLINT: the test venue's ids and builders

constexpr TimestampNs kHourNs = 3'600 * kSecond;
constexpr AccountId kWhale{999};  // the deep pocket: supplier, counterparty, liquidator
constexpr SubAccountId kWhaleSub{9'999};
constexpr AccountId kLp{998};  // the vault's LP
constexpr SubAccountId kLpSub{9'998};

// Ordinary holders (idle or lending) and the accounts the loss events act on, in separate ranges.
AccountId holder_account(std::uint32_t i) { return AccountId{10'000u + i}; }
SubAccountId holder_sub(std::uint32_t i) { return SubAccountId{10'000'000u + i}; }
AccountId target_account(std::uint32_t i) { return AccountId{5'000'000u + i}; }
SubAccountId target_sub(std::uint32_t i) { return SubAccountId{50'000'000u + i}; }

Amount usdc_units(std::int64_t whole) { return Amount::from_raw(usdc(whole)); }

// Stops a benchmark whose event was refused, naming the status: its figure would time a rejection.
bool refused(benchmark::State& state, Status status) {
  if (status == Status::ok) return false;
  state.SkipWithError(("event refused: " + std::string(status_name(status))).c_str());
  return true;
}

void open_account(EventDriver& v, AccountId account, SubAccountId sub) {
  v.must(CreateAccount{account});
  v.must(CreateSubAccount{account, sub, MarginMode::cross});
}

void set_btc(EventDriver& v, const char* at) {
  v.must(OraclePrice{kBtc, price(at), price(at)});
  v.must(MarkPrice{kPerp, price(at)});
}

EventDriver listed(EngineOptions options) {
  EventDriver v{Engine(venue(), std::move(options))};
  v.must(ListAsset{kUsdc, "USDC", 6, kAssetFlagsAll});
  v.must(ListAsset{kBtc, "BTC", 8, kAssetFlagsAll});
  set_btc(v, "50000");
  return v;
}

// Venues take seconds to build at 1M holders: each is built once per process, under its name.
EventDriver& built_once(const std::string& name, const std::function<EventDriver()>& build) {
  static std::map<std::string, std::unique_ptr<EventDriver>> built;
  std::unique_ptr<EventDriver>& slot = built[name];
  if (!slot) slot = std::make_unique<EventDriver>(build());
  return *slot;
}

// Applies make(step) for step = 0, 1, ... each iteration; after `cycle` events, the venue goes back
// to `prepared` outside the timing (the events use up what they act on).
void cycle(benchmark::State& state, const EventDriver& prepared, std::uint32_t cycle,
           const std::function<EventBody(std::uint32_t)>& make) {
  EventDriver v = prepared;
  std::uint32_t step = 0;
  for (auto _ : state) {
    if (step == cycle) {
      state.PauseTiming();
      v = prepared;
      step = 0;
      state.ResumeTiming();
    }
    if (refused(state, v.apply(make(step++)))) break;
  }
  state.SetItemsProcessed(state.iterations());
}

std::vector<margin::SubAccountBook> books_of(const Engine& engine, SubAccountId id) {
  const SubAccount& held = *engine.ledger().find_sub_account(id);
  return {margin::SubAccountBook{held.id, held.owner, held.mode, held.balances, held.positions}};
}

// ---- accrue_interest ----------------------------------------------------------------------

// `holders` USDC holders in a USDC pool (Aave's StableTwo): even ones supply 10,000 USDC, odd ones
// put up 0.1 BTC and borrow 1,000 USDC (utilization 10%, 0.5% a year); then the first accrual
// starts the pool's clock. Every accrual after it charges each borrower at least a unit (up) and
// credits each supplier: one posting per holder.
EventDriver accrual_venue(std::uint32_t holders) {
  EventDriver v = listed(lending_options(false));
  for (std::uint32_t i = 0; i < holders; ++i) {
    open_account(v, holder_account(i), holder_sub(i));
    if (i % 2 == 0) {
      v.must(Deposit{holder_account(i), holder_sub(i), kUsdc, usdc_units(10'000)});
    } else {
      v.must(Deposit{holder_account(i), holder_sub(i), kBtc, Amount::from_raw(10'000'000)});
      v.must(Borrow{holder_account(i), holder_sub(i), kUsdc, usdc_units(1'000)});
    }
  }
  v.must(AccrueInterest{kUsdc});
  return v;
}

EventDriver& shared_accrual_venue(std::uint32_t holders) {
  return built_once("accrual " + std::to_string(holders), [holders] { return accrual_venue(holders); });
}

void per_holder(benchmark::State& state, std::uint32_t holders) {
  state.SetItemsProcessed(state.iterations() * holders);
  state.counters["per_holder"] = benchmark::Counter(static_cast<double>(holders),
                                                    benchmark::Counter::kIsIterationInvariantRate |
                                                        benchmark::Counter::kInvert);
}

// One accrual an hour after the last, over every holder. No state is used up: balances and the
// clock move on (the venue is shared with the peer below, which reads it).
void BM_Ballast_ApplyAccrueInterest(benchmark::State& state) {
  const auto holders = static_cast<std::uint32_t>(state.range(0));
  EventDriver& v = shared_accrual_venue(holders);
  for (auto _ : state) {
    v.advance(kHourNs);
    if (refused(state, v.apply(AccrueInterest{kUsdc}))) break;
  }
  per_holder(state, holders);
}
BENCHMARK(BM_Ballast_ApplyAccrueInterest)->Arg(1'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

// The plan alone (the holders' scan, the charges and credits as postings), an hour on.
void BM_Peer_PlanInterest(benchmark::State& state) {
  const auto holders = static_cast<std::uint32_t>(state.range(0));
  const Engine& engine = shared_accrual_venue(holders).engine();
  const AssetPool& pool = engine.options().pools.front();
  const PoolState& pool_state = engine.pool_states().front();
  for (auto _ : state) {
    const InterestPlan plan = plan_interest(engine.ledger(), pool, pool_state, pool_state.accrued_ns + kHourNs);
    if (refused(state, plan.status)) break;
    benchmark::DoNotOptimize(plan.postings.data());
  }
  per_holder(state, holders);
}
BENCHMARK(BM_Peer_PlanInterest)->Arg(1'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

// ---- borrow -------------------------------------------------------------------------------

constexpr std::uint32_t kBorrowsEach = 20'000;  // 1 USDC each: half of what 1 BTC can borrow at 50,000

// The whale supplies 1B USDC; one borrower holds 1 BTC (40,000 USDC of borrowing power at 0.8).
EventDriver borrow_venue() {
  EventDriver v = listed(lending_options(false));
  open_account(v, kWhale, kWhaleSub);
  v.must(Deposit{kWhale, kWhaleSub, kUsdc, usdc_units(1'000'000'000)});
  open_account(v, holder_account(0), holder_sub(0));
  v.must(Deposit{holder_account(0), holder_sub(0), kBtc, Amount::from_raw(100'000'000)});
  return v;
}

void BM_Ballast_ApplyBorrow(benchmark::State& state) {
  cycle(state, borrow_venue(), kBorrowsEach,
        [](std::uint32_t) { return Borrow{holder_account(0), holder_sub(0), kUsdc, usdc_units(1)}; });
}
BENCHMARK(BM_Ballast_ApplyBorrow);

// The borrower's group evaluated once, as the initial-margin check after the borrow does.
void BM_Peer_EvaluateBorrower(benchmark::State& state) {
  EventDriver v = borrow_venue();
  v.must(Borrow{holder_account(0), holder_sub(0), kUsdc, usdc_units(10'000)});
  const std::vector<margin::SubAccountBook> group = books_of(v.engine(), holder_sub(0));
  for (auto _ : state) {
    benchmark::DoNotOptimize(margin::evaluate(*v.engine().risk_config(), v.engine().prices().book, group));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Peer_EvaluateBorrower);

// ---- liquidate_borrow ---------------------------------------------------------------------

constexpr std::uint32_t kBorrowers = 1'000;
// Each event repays 1 USDC and seizes 11,882 BTC units (ceil(11,882 x 8,500 / 10^8 x 10^6) =
// 1,009,970 micro-USDC, inside the 1% bonus's 1,010,000): health rises by 1 - 0.9 x 1.00997 =
// 0.0910 USDC per event, so from -350 a borrower stays liquidatable for 3,846 of them.
constexpr std::uint32_t kTakesEach = 3'000;

// kBorrowers groups each holding 1 BTC and owing 8,000 USDC (engine_lending_test's borrower), lent by
// the whale's 1B USDC; then BTC at 8,500: 0.9 x 8,500 = 7,650 no longer covers the debt (health
// -350, equity 500), and a check_health opens each group's episode.
EventDriver borrowers_venue() {
  EventDriver v = listed(lending_options(false));
  open_account(v, kWhale, kWhaleSub);
  v.must(Deposit{kWhale, kWhaleSub, kUsdc, usdc_units(1'000'000'000)});
  for (std::uint32_t i = 0; i < kBorrowers; ++i) {
    open_account(v, target_account(i), target_sub(i));
    v.must(Deposit{target_account(i), target_sub(i), kBtc, Amount::from_raw(100'000'000)});
    v.must(Borrow{target_account(i), target_sub(i), kUsdc, usdc_units(8'000)});
  }
  set_btc(v, "8500");
  for (std::uint32_t i = 0; i < kBorrowers; ++i) v.must(CheckHealth{target_sub(i)});
  return v;
}

// Limit: 5 us (the bound on a liquidation event). The borrowers in turn, one take each.
void BM_Ballast_ApplyLiquidateBorrow(benchmark::State& state) {
  cycle(state, borrowers_venue(), kBorrowers * kTakesEach, [](std::uint32_t step) {
    return LiquidateBorrow{kWhale, kWhaleSub, target_sub(step % kBorrowers), kUsdc, usdc_units(1),
                           kBtc, Amount::from_raw(11'882)};
  });
}
BENCHMARK(BM_Ballast_ApplyLiquidateBorrow);

// ---- resolve_bankruptcy, backstop_takeover ------------------------------------------------

constexpr std::uint32_t kTargets = 200;  // groups acted on before the venue is restored

// `others` idle sub-accounts (10,000 USDC each, no position), the whale (1B USDC) short against
// kTargets accounts each long 1.5 BTC from 50,000 on 10,000 USDC; then BTC at `at`.
EventDriver loss_venue(std::uint32_t others, EngineOptions options, const char* at,
                       const std::function<void(EventDriver&)>& before_targets) {
  EventDriver v = listed(std::move(options));
  for (std::uint32_t i = 0; i < others; ++i) {
    open_account(v, holder_account(i), holder_sub(i));
    v.must(Deposit{holder_account(i), holder_sub(i), kUsdc, usdc_units(10'000)});
  }
  set_btc(v, "50000");  // fresh again after the others
  open_account(v, kWhale, kWhaleSub);
  v.must(Deposit{kWhale, kWhaleSub, kUsdc, usdc_units(1'000'000'000)});
  before_targets(v);
  for (std::uint32_t i = 0; i < kTargets; ++i) {
    open_account(v, target_account(i), target_sub(i));
    v.must(Deposit{target_account(i), target_sub(i), kUsdc, usdc_units(10'000)});
    v.must(fill(target_account(i), target_sub(i), kPerp, "1.5", "50000"));
    v.must(fill(kWhale, kWhaleSub, kPerp, "-1.5", "50000"));
  }
  set_btc(v, at);
  return v;
}

// At 43,000 each target's equity is 10,000 - 1.5 x 7,000 = -500. The insurance fund holds 200 per
// target: each resolution closes the long against the whale's short (ADL), the fund pays 200 and the
// whale 300 (engine_bankruptcy_test's first case).
EventDriver bankrupt_venue(std::uint32_t others) {
  return loss_venue(others, {}, "43000", [](EventDriver& v) {
    v.must(Deposit{kInsuranceFund, SubAccountId{kInsuranceFund.value}, kUsdc, usdc_units(200 * kTargets)});
  });
}

// The event `act` makes on each target in turn, on the venue `build` makes beside state.range(0)
// other sub-accounts (built once per size).
void on_targets(benchmark::State& state, const std::string& name, EventDriver (*build)(std::uint32_t),
                EventBody (*act)(SubAccountId)) {
  const auto others = static_cast<std::uint32_t>(state.range(0));
  const EventDriver& prepared = built_once(name + " " + std::to_string(others), [&] { return build(others); });
  cycle(state, prepared, kTargets, [act](std::uint32_t step) { return act(target_sub(step)); });
}

// Peer: the same event at 1k other sub-accounts (flat in N if it touches only the groups involved);
// limit: 5 us, the bound on a liquidation event.
void BM_Ballast_ApplyResolveBankruptcy(benchmark::State& state) {
  on_targets(state, "bankrupt", bankrupt_venue,
             [](SubAccountId target) -> EventBody { return ResolveBankruptcy{target}; });
}
BENCHMARK(BM_Ballast_ApplyResolveBankruptcy)->Arg(1'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);

// `holders` sub-accounts each short 0.5 BTC from 50,000 on 3,000 to 11,800 USDC (so their ADL
// scores, uPnL / equity, differ), then kTargets accounts each long 1.5 BTC on 10,000 USDC, all
// against the clearing account; then BTC at 43,000: each target's equity is -500, every short is
// 3,500 in profit and eligible for ADL. The insurance fund is empty: each resolution closes the
// target's 1.5 against the three best-ranked shorts and charges them the 500 by notional.
EventDriver adl_venue(std::uint32_t holders) {
  EventDriver v = listed({});
  for (std::uint32_t i = 0; i < holders; ++i) {
    open_account(v, holder_account(i), holder_sub(i));
    v.must(Deposit{holder_account(i), holder_sub(i), kUsdc, usdc_units(3'000 + (i % 89) * 100)});
    v.must(fill(holder_account(i), holder_sub(i), kPerp, "-0.5", "50000"));
  }
  set_btc(v, "50000");  // fresh again after the holders
  for (std::uint32_t i = 0; i < kTargets; ++i) {
    open_account(v, target_account(i), target_sub(i));
    v.must(Deposit{target_account(i), target_sub(i), kUsdc, usdc_units(10'000)});
    v.must(fill(target_account(i), target_sub(i), kPerp, "1.5", "50000"));
  }
  set_btc(v, "43000");
  return v;
}

// The simulator's case (a bankruptcy on a venue where every opposite holder is a candidate): the
// peer is the same event at 1k holders; the limit 5 us, as above.
void BM_Ballast_ApplyResolveBankruptcyAdl(benchmark::State& state) {
  on_targets(state, "adl", adl_venue, [](SubAccountId target) -> EventBody { return ResolveBankruptcy{target}; });
}
BENCHMARK(BM_Ballast_ApplyResolveBankruptcyAdl)->Arg(1'000)->Arg(10'000)->Unit(benchmark::kMicrosecond);

// At 44,000 each target's equity is 1,000 against a requirement of 3,300 (coverage 0.30, under the
// backstop's 2/3): the vault, holding an LP's 100M USDC, takes each over (engine_vault_test's case).
EventDriver backstop_venue(std::uint32_t others) {
  EngineOptions options;
  lending::VaultParams vault;
  vault.max_pending_withdrawals = 1;
  options.vault = vault;
  return loss_venue(others, std::move(options), "44000", [](EventDriver& v) {
    open_account(v, kLp, kLpSub);
    v.must(Deposit{kLp, kLpSub, kUsdc, usdc_units(100'000'000)});
    v.must(VaultDeposit{kLp, kLpSub, usdc_units(100'000'000)});
  });
}

// Peer and limit as resolve_bankruptcy's.
void BM_Ballast_ApplyBackstopTakeover(benchmark::State& state) {
  on_targets(state, "backstop", backstop_venue,
             [](SubAccountId target) -> EventBody { return BackstopTakeover{target}; });
}
BENCHMARK(BM_Ballast_ApplyBackstopTakeover)->Arg(1'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ballast
