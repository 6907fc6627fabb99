// Property test of liquidation in the engine over random price paths and random trading
// (RapidCheck), on margin_venue.hpp's venue. After every event:
//   - value is conserved exactly (ledger().conserves_value());
//   - a rejected event changes nothing (the state hash);
//   - an accepted liquidation never leaves the target's group with negative equity (the band
//     stops at the bankruptcy price: a liquidation creates no bad debt) and never makes a group
//     liquidatable that was not (the liquidator passes a fill's initial-margin check, nothing
//     else moves): the set of liquidatable groups after is a subset of the set before;
//   - a group with negative equity is resolved by resolve_bankruptcy (accepted: the prices are
//     fresh), and every unit of its deficit lands in exactly one bucket: the insurance fund's
//     balance falls by exactly its part, the charges and the unresolved rest make up the rest,
//     the engine's loss totals move by the same amounts, and the group is left with equity >= 0
//     or, when nobody could carry the deficit, exactly its unresolved part below zero.
// At the end, restore(snapshot()) gives the same hash.

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <set>
#include <vector>

#include "ballast/engine/bankruptcy.hpp"
#include "ballast/engine/engine.hpp"
#include "ballast/engine/testing/margin_venue.hpp"

namespace ballast {
namespace {

using namespace engine_testing;  // NOLINT: the venue, its ids and builders

constexpr AccountId kLiquidator{50};
constexpr SubAccountId kLiquidatorSub{500};
constexpr std::uint32_t kTraders = 4;

AccountId trader(std::uint32_t i) { return AccountId{60u + i}; }
SubAccountId trader_sub(std::uint32_t i) { return SubAccountId{600u + i}; }

class Run {
 public:
  Run() : engine_(venue()) {}

  Status apply(EventBody body) {
    now_ += 1'000'000;  // a millisecond apart: prices stay fresh
    const Event e{EventId{next_id_++}, now_, std::move(body)};
    const Digest before = engine_.state_hash();
    const Status status = engine_.apply(e);
    RC_ASSERT(engine_.ledger().conserves_value());
    if (status != Status::ok) RC_ASSERT(engine_.state_hash() == before);
    return status;
  }
  void must(EventBody body) { RC_ASSERT(apply(std::move(body)) == Status::ok); }

  std::set<SubAccountId> liquidatable() const {
    std::set<SubAccountId> found;
    for (const LiquidatableGroup& group : engine_.liquidatable_groups()) found.insert(group.sub_account);
    return found;
  }
  Money equity(SubAccountId id) const {
    const SubAccount& held = *engine_.ledger().find_sub_account(id);
    const std::vector<margin::SubAccountBook> group{{held.id, held.owner, held.mode, held.balances, held.positions}};
    const margin::MarginOutcome outcome = margin::evaluate(*engine_.risk_config(), engine_.prices().book, group);
    RC_ASSERT(outcome.status == margin::MarginStatus::ok);
    return outcome.margin.equity;
  }

  Engine engine_;
  std::uint64_t next_id_ = 1;
  TimestampNs now_ = kT0;
};

int128 charged(const std::vector<BankruptcyCharge>& charges) {
  int128 total = 0;
  for (const BankruptcyCharge& charge : charges) total += charge.amount.raw();
  return total;
}

// resolve_bankruptcy on a group with negative equity, and where each unit of its deficit went.
void resolve(Run& run, SubAccountId target) {
  const SubAccountId fund{kInsuranceFund.value};
  const std::int64_t fund_before = run.engine_.ledger().balance(fund, kUsdc).raw();
  const LossTotals before = run.engine_.waterfall().losses;
  const SubAccountId bad_debt{kBadDebt.value};
  const std::int64_t bad_debt_before = run.engine_.ledger().balance(bad_debt, kUsdc).raw();
  const BankruptcyPlan plan = run.engine_.plan_bankruptcy(target);
  RC_ASSERT(plan.status == Status::ok);
  run.must(ResolveBankruptcy{target});
  const int128 adl = charged(plan.adl_charges);
  const int128 socialized = charged(plan.socialized);
  RC_ASSERT(static_cast<int128>(plan.deficit.raw()) == plan.from_insurance.raw() + adl + socialized + plan.unresolved.raw());
  RC_ASSERT(run.engine_.ledger().balance(fund, kUsdc).raw() == fund_before - plan.from_insurance.raw());
  const LossTotals& after = run.engine_.waterfall().losses;
  RC_ASSERT(after.deficit - before.deficit == plan.deficit.raw());
  RC_ASSERT(after.insurance - before.insurance == plan.from_insurance.raw());
  RC_ASSERT(after.adl - before.adl == adl);
  RC_ASSERT(after.socialized - before.socialized == socialized);
  RC_ASSERT(after.unresolved - before.unresolved == plan.unresolved.raw());
  RC_ASSERT(run.engine_.ledger().position(target, kPerp) == nullptr);
  // The unresolved part left the group's debts for the bad-debt account, by exactly the units
  // written off; the group is left at equity >= 0 either way.
  RC_ASSERT(!run.equity(target).is_negative());
  int128 written_off = 0;
  for (const Posting& leg : plan.written_off) written_off += leg.delta.raw();
  RC_ASSERT(plan.unresolved.raw() > 0 || written_off == 0);
  RC_ASSERT(run.engine_.ledger().balance(bad_debt, kUsdc).raw() == bad_debt_before - written_off);
}

// A price in whole ticks of 0.1 (1e8 raw).
Price on_tick(std::int64_t raw) { return Price::from_raw(raw / 100'000'000 * 100'000'000); }

RC_GTEST_PROP(EngineLiquidationProperty, LiquidationsConserveValueAndCreateNoBadDebt, ()) {
  Run run;
  run.must(ListAsset{kUsdc, "USDC", 6, kAssetFlagsAll});
  run.must(ListAsset{kBtc, "BTC", 8, kAssetFlagsAll});
  run.must(CreateAccount{kLiquidator});
  run.must(CreateSubAccount{kLiquidator, kLiquidatorSub, MarginMode::cross});
  run.must(Deposit{kLiquidator, kLiquidatorSub, kUsdc, Amount::from_raw(usdc(10'000'000))});
  for (std::uint32_t i = 0; i < kTraders; ++i) {
    run.must(CreateAccount{trader(i)});
    run.must(CreateSubAccount{trader(i), trader_sub(i), MarginMode::cross});
    const auto deposit = *rc::gen::inRange<std::int64_t>(2'000, 20'000);
    run.must(Deposit{trader(i), trader_sub(i), kUsdc, Amount::from_raw(usdc(deposit))});
  }
  std::int64_t mark = price("50000").raw();
  const auto set_prices = [&] {
    run.must(OraclePrice{kBtc, Price::from_raw(mark), Price::from_raw(mark)});
    run.must(MarkPrice{kPerp, Price::from_raw(mark)});
  };
  set_prices();
  int liquidated = 0;
  int resolved = 0;
  const auto steps = *rc::gen::inRange(40, 120);
  for (int step = 0; step < steps; ++step) {
    switch (*rc::gen::inRange(0, 3)) {
      case 0: {  // a matched trade between two traders at the mark (either may be refused)
        const auto buyer = *rc::gen::inRange<std::uint32_t>(0, kTraders);
        const auto seller = (buyer + *rc::gen::inRange<std::uint32_t>(1, kTraders)) % kTraders;
        const Quantity size = Quantity::from_raw(*rc::gen::inRange<std::int64_t>(50, 1'500) * 1'000'000);
        const Status bought = run.apply(Fill{trader(buyer), trader_sub(buyer), kPerp, size, Price::from_raw(mark), Money{}});
        if (bought == Status::ok) {
          run.apply(Fill{trader(seller), trader_sub(seller), kPerp, Quantity::from_raw(-size.raw()),
                         Price::from_raw(mark), Money{}});
        }
        break;
      }
      case 1: {  // the price moves by up to ±12%: gaps that can leave groups bankrupt
        const auto move_bp = *rc::gen::inRange<std::int64_t>(-1200, 1201);
        mark = on_tick(mark + mark / 10'000 * move_bp).raw();
        set_prices();
        break;
      }
      default: {  // the scan, then a liquidator's attempt on each liquidatable group
        for (const SubAccountId target : run.liquidatable()) {
          if (run.equity(target).is_negative()) {
            resolve(run, target);
            ++resolved;
            continue;
          }
          run.apply(CheckHealth{target});
          const market::Position* held = run.engine_.ledger().position(target, kPerp);
          if (held == nullptr) continue;
          const std::int64_t lots = (held->size.raw() < 0 ? -held->size.raw() : held->size.raw()) / 1'000'000;
          // Mostly within what the rules allow (a small part), sometimes beyond.
          const Quantity size = Quantity::from_raw(*rc::gen::inRange<std::int64_t>(1, lots / 8 + 2) * 1'000'000);
          const auto discount_bp = *rc::gen::inRange<std::int64_t>(0, 150);
          const std::int64_t at = held->size.raw() > 0 ? mark - mark / 10'000 * discount_bp
                                                        : mark + mark / 10'000 * discount_bp;
          const std::set<SubAccountId> before = run.liquidatable();
          const Status status = run.apply(Liquidate{kLiquidator, kLiquidatorSub, target, kPerp, size, on_tick(at)});
          if (status != Status::ok) continue;
          ++liquidated;
          RC_ASSERT(!run.equity(target).is_negative());
          for (const SubAccountId now_liquidatable : run.liquidatable()) RC_ASSERT(before.contains(now_liquidatable));
        }
      }
    }
  }
  RC_CLASSIFY(liquidated > 0, "some liquidation accepted");
  RC_CLASSIFY(resolved > 0, "some bankruptcy resolved");
  const LossTotals& losses = run.engine_.waterfall().losses;
  RC_CLASSIFY(losses.adl > 0, "ADL counterparties charged");
  RC_CLASSIFY(losses.insurance > 0, "the insurance fund paid");
  Result<Engine> restored = Engine::restore(run.engine_.snapshot());
  RC_ASSERT(restored.ok());
  RC_ASSERT(restored->state_hash() == run.engine_.state_hash());
}

}  // namespace
}  // namespace ballast
