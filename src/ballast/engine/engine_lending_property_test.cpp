// Property test of lending and liquidation in the engine (RapidCheck), on margin_venue.hpp's venue
// with a USDC pool (Aave's StableTwo, reserves to the insurance fund) and a BTC pool (VolatileOne,
// reserves to the treasury): lending_venue.hpp. Four traders and a liquidator; random price paths
// and, at random, deposits, borrows, withdrawals, perpetual trades, accrue_interest after a random
// time (a minute to 30 days), and sweeps in which every group with negative equity is resolved and
// every liquidatable one gets a liquidate or a liquidate_borrow attempt (mostly inside the rules,
// sometimes beyond them). After every event:
//   - value is conserved exactly (ledger().conserves_value()) and the venue totals equal a recount;
//   - a rejected event changes nothing (the state hash);
//   - an accrue_interest pays out what it charges, to the unit: the pool's cumulative interest
//     paid moves by earned + reserves; the borrowers' balances (negative before) fall by exactly
//     the paid part, each charge at least its debt's exact growth (the protocol rounds up); the
//     suppliers' (positive before) rise by exactly the earned part, at most paid x (1 - reserve
//     factor); the reserves' destination rises by exactly the reserves; nothing else moves;
//   - an accepted liquidation, of a position or of a borrowing, never makes a group liquidatable
//     that was not (the set after is a subset of the set before), and never leaves the target's
//     group with negative equity;
//   - a resolve_bankruptcy (accepted: prices are fresh) puts every unit of the deficit in exactly
//     one bucket: the insurance fund's USDC falls by its part, the ADL and socialized charges and
//     the unresolved rest make up the others, the engine's loss totals move by the same amounts,
//     the unresolved rest's debts move to the bad-debt account by exactly the units written off,
//     and the group is left at equity >= 0;
//   - a cover_bad_debt (some of what is written off in an asset, within what the insurance fund
//     holds of it) moves exactly its amount: the fund falls by it, the written-off units fall by
//     it, the pool's cash rises by it, and no loss total moves.
// At the end, restore(snapshot()) gives the same hash.

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ballast/core/testing/pick.hpp"
#include "ballast/engine/bankruptcy.hpp"
#include "ballast/engine/codec.hpp"
#include "ballast/engine/engine.hpp"
#include "ballast/engine/engine_parts.hpp"
#include "ballast/engine/pools.hpp"
#include "ballast/engine/testing/engine_margin_fixture.hpp"
#include "ballast/engine/testing/event_driver.hpp"
#include "ballast/engine/testing/lending_venue.hpp"
#include "ballast/engine/testing/margin_venue.hpp"

namespace ballast {
namespace {

using namespace engine_testing;  // NOLINT: the venue, its ids and builders

constexpr AccountId kLiquidator{50};
constexpr SubAccountId kLiquidatorSub{500};
constexpr SubAccountId kInsuranceSub{kInsuranceFund.value};
constexpr SubAccountId kBadDebtSub{kBadDebt.value};
constexpr std::uint32_t kTraders = 4;
constexpr TimestampNs kMillisecond = kSecond / 1000;
constexpr TimestampNs kDay = 86'400 * kSecond;
// BTC units (10^-8) x Price raw (10^-9 USDC per BTC) = micro-USDC x 10^11.
constexpr std::int64_t kBtcValueScale = 100'000'000'000;

AccountId trader(std::uint32_t i) { return AccountId{60u + i}; }
SubAccountId trader_sub(std::uint32_t i) { return SubAccountId{600u + i}; }

class Run {
 public:
  Run() : driver_(Engine(venue(), lending_options(true)), kMillisecond) {}

  const Engine& engine() const { return driver_.engine(); }
  std::int64_t balance(SubAccountId id, AssetId asset) const { return engine().ledger().balance(id, asset).raw(); }

  // The event a millisecond after the last (prices stay fresh), with the checks every event gets.
  // Each event and its answer go to the case's log, which RapidCheck prints for a counterexample.
  Status apply(EventBody body) {
    const Event e = driver_.next(std::move(body));
    const Digest before = engine().state_hash();
    const Status status = driver_.engine().apply(e);
    RC_LOG() << event_to_json(e) << " -> " << status_name(status) << "\n";
    RC_ASSERT(engine().ledger().conserves_value());
    RC_ASSERT(engine().totals() == engine().recount_totals());
    if (status != Status::ok) RC_ASSERT(engine().state_hash() == before);
    return status;
  }
  void must(EventBody body) { RC_ASSERT(apply(std::move(body)) == Status::ok); }
  void advance(TimestampNs ns) { driver_.advance(ns); }

  std::set<SubAccountId> liquidatable() const {
    std::set<SubAccountId> found;
    for (const LiquidatableGroup& group : engine().liquidatable_groups()) found.insert(group.sub_account);
    return found;
  }
  Money equity(SubAccountId id) const {
    const SubAccount& held = *engine().ledger().find_sub_account(id);
    const std::vector<margin::SubAccountBook> group{{held.id, held.owner, held.mode, held.balances, held.positions}};
    const margin::MarginOutcome outcome = margin::evaluate(*engine().risk_config(), engine().prices().book, group);
    RC_ASSERT(outcome.status == margin::MarginStatus::ok);
    return outcome.margin.equity;
  }

 private:
  EventDriver driver_;
};

// What the case did, for RapidCheck's classification: each kind of check ran on some cases.
struct Tally {
  int accruals_paying = 0;
  int liquidations = 0;
  int borrow_liquidations = 0;
  int resolved = 0;
  int covered = 0;
};

// ---- cover_bad_debt ------------------------------------------------------------------------

// The pool's cash (pools.hpp): user deposits less borrows less the written-off debt.
int128 cash(const Run& run, AssetId asset) {
  const std::size_t i = detail::asset_slot(*run.engine().risk_config(), asset);
  return PoolFigures{run.engine().totals().deposit_units[i], run.engine().totals().borrow_units[i],
                     written_off_units(run.engine().ledger(), asset)}
      .cash();
}

// The insurance fund pays back some of what is written off in `asset`, as far as it holds it.
void cover_some(Run& run, AssetId asset, Tally& tally) {
  const SubAccountId fund{kInsuranceFund.value};
  const int128 owed = written_off_units(run.engine().ledger(), asset);
  const std::int64_t held = run.balance(fund, asset);
  if (owed <= 0 || held <= 0) return;
  const std::int64_t amount = pick<std::int64_t>(1, static_cast<std::int64_t>(std::min<int128>(owed, held)) + 1);
  const int128 cash_before = cash(run, asset);
  const LossTotals losses = run.engine().waterfall().losses;
  run.must(CoverBadDebt{asset, Amount::from_raw(amount)});
  RC_ASSERT(run.balance(fund, asset) == held - amount);
  RC_ASSERT(written_off_units(run.engine().ledger(), asset) == owed - amount);
  RC_ASSERT(cash(run, asset) == cash_before + amount);
  RC_ASSERT(run.engine().waterfall().losses == losses);
  ++tally.covered;
}

// ---- accrue_interest ------------------------------------------------------------------------

std::map<SubAccountId, std::int64_t> balances_of(const Run& run, AssetId asset) {
  std::map<SubAccountId, std::int64_t> held;
  for (const SubAccount* sub_account : run.engine().ledger().sub_accounts_in_order()) {
    held[sub_account->id] = run.balance(sub_account->id, asset);
  }
  return held;
}

void accrue(Run& run, AssetId asset, Tally& tally) {
  const std::size_t slot = pool_slot(run.engine().options().pools, asset);
  const AssetPool& pool = run.engine().options().pools[slot];
  const PoolState before = run.engine().pool_states()[slot];
  const std::map<SubAccountId, std::int64_t> held = balances_of(run, asset);
  run.must(AccrueInterest{asset});
  const PoolState& after = run.engine().pool_states()[slot];
  const int128 paid = after.interest_paid - before.interest_paid;
  const int128 earned = after.interest_earned - before.interest_earned;
  const int128 reserves = after.reserves - before.reserves;
  RC_ASSERT(paid == earned + reserves);
  RC_ASSERT(static_cast<int128>(earned) * Ratio::kScale <= paid * (Ratio::kScale - pool.config.reserve_factor.raw()));
  if (before.accrued_ns == 0) RC_ASSERT(paid == 0);  // the first accrual only starts the clock
  const SubAccountId reserves_to = reserves_sub_account(pool.config);
  const int128 growth = after.borrow_index - before.borrow_index;
  int128 charged = 0;
  int128 credited = 0;
  for (const auto& [id, was] : held) {
    const int128 delta = static_cast<int128>(run.balance(id, asset)) - was;
    if (id == reserves_to) {
      RC_ASSERT(delta == reserves);
    } else if (id.value < kFirstUserId || was == 0) {
      RC_ASSERT(delta == 0);
    } else if (was < 0) {
      // Rounded up: the charge is at least the debt's exact growth, |b| x (index' / index - 1).
      RC_ASSERT(delta <= 0);
      RC_ASSERT(-delta * before.borrow_index >= static_cast<int128>(-was) * growth);
      charged -= delta;
    } else {
      RC_ASSERT(delta >= 0);
      credited += delta;
    }
  }
  RC_ASSERT(charged == paid);
  RC_ASSERT(credited == earned);
  if (paid > 0) ++tally.accruals_paying;
}

// ---- resolve_bankruptcy ---------------------------------------------------------------------

int128 charged(const std::vector<BankruptcyCharge>& charges) {
  int128 total = 0;
  for (const BankruptcyCharge& charge : charges) total += charge.amount.raw();
  return total;
}

// resolve_bankruptcy on a group with negative equity, and where each unit of its deficit went.
void resolve(Run& run, SubAccountId target) {
  const std::int64_t fund_before = run.balance(kInsuranceSub, kUsdc);
  const LossTotals before = run.engine().waterfall().losses;
  const std::map<AssetId, std::int64_t> bad_debt_before{{kUsdc, run.balance(kBadDebtSub, kUsdc)},
                                                        {kBtc, run.balance(kBadDebtSub, kBtc)}};
  const BankruptcyPlan plan = run.engine().plan_bankruptcy(target);
  RC_ASSERT(plan.status == Status::ok);
  run.must(ResolveBankruptcy{target});
  const int128 adl = charged(plan.adl_charges);
  const int128 socialized = charged(plan.socialized);
  RC_ASSERT(static_cast<int128>(plan.deficit.raw()) ==
            plan.from_insurance.raw() + adl + socialized + plan.unresolved.raw());
  RC_ASSERT(run.balance(kInsuranceSub, kUsdc) == fund_before - plan.from_insurance.raw());
  const LossTotals& after = run.engine().waterfall().losses;
  RC_ASSERT(after.deficit - before.deficit == plan.deficit.raw());
  RC_ASSERT(after.insurance - before.insurance == plan.from_insurance.raw());
  RC_ASSERT(after.adl - before.adl == adl);
  RC_ASSERT(after.socialized - before.socialized == socialized);
  RC_ASSERT(after.unresolved - before.unresolved == plan.unresolved.raw());
  RC_ASSERT(run.engine().ledger().position(target, kPerp) == nullptr);
  // The unresolved part left the group's debts for the bad-debt account, by exactly the units
  // written off; the group is left at equity >= 0 either way.
  RC_ASSERT(!run.equity(target).is_negative());
  RC_ASSERT(plan.unresolved.raw() > 0 || plan.written_off.empty());
  for (const AssetId asset : {kUsdc, kBtc}) {
    int128 written_off = 0;
    for (const Posting& leg : plan.written_off) written_off += leg.asset == asset ? leg.delta.raw() : 0;
    RC_ASSERT(run.balance(kBadDebtSub, asset) == bad_debt_before.at(asset) - written_off);
  }
}

// ---- liquidations ---------------------------------------------------------------------------

// A price in whole ticks of 0.1 (1e8 raw).
Price on_tick(std::int64_t raw) { return Price::from_raw(raw / 100'000'000 * 100'000'000); }

// Units of `asset` <-> micro-USDC at the BTC price `mark` (USDC is worth 1; BTC has 8 decimals).
int128 value_of(AssetId asset, int128 units, std::int64_t mark) {
  return asset == kUsdc ? units : units * mark / kBtcValueScale;
}
int128 units_for(AssetId asset, int128 value, std::int64_t mark) {
  return asset == kUsdc ? value : value * kBtcValueScale / mark;
}

// A liquidator's take of the target's debt: a part of it (mostly within the 50% close factor,
// sometimes beyond), against collateral worth the repayment plus a bonus of 0 to 1.5% over the
// auction's (which starts at 1%): sometimes out of band.
LiquidateBorrow borrow_take(const Run& run, SubAccountId target, std::int64_t mark) {
  const AssetId debt = run.balance(target, kUsdc) < 0 ? kUsdc : kBtc;
  const AssetId collateral = debt == kUsdc ? kBtc : kUsdc;
  const std::int64_t owed = std::max<std::int64_t>(-run.balance(target, debt), 1);
  const std::int64_t repay = pick<std::int64_t>(1, owed / 2 + owed / 8 + 2);
  const int128 worth = value_of(debt, repay, mark) * (10'000 + pick<std::int64_t>(0, 250)) / 10'000;
  const int128 seize = std::max<int128>(units_for(collateral, worth, mark), 1);
  return LiquidateBorrow{kLiquidator, kLiquidatorSub, target, debt, Amount::from_raw(repay), collateral,
                         Amount::from_raw(static_cast<std::int64_t>(seize))};
}

// A liquidator's take of the target's perpetual (as engine_liquidation_property_test.cpp's):
// mostly a small part at a discount within the bonus, sometimes beyond.
Liquidate position_take(const market::Position& held, SubAccountId target, std::int64_t mark) {
  const std::int64_t lots = (held.size.raw() < 0 ? -held.size.raw() : held.size.raw()) / 1'000'000;
  const Quantity size = Quantity::from_raw(pick<std::int64_t>(1, lots / 8 + 2) * 1'000'000);
  const auto discount_bp = pick<std::int64_t>(0, 150);
  const std::int64_t at = held.size.raw() > 0 ? mark - mark / 10'000 * discount_bp : mark + mark / 10'000 * discount_bp;
  return Liquidate{kLiquidator, kLiquidatorSub, target, kPerp, size, on_tick(at)};
}

// Every group with negative equity resolved; then each liquidatable group (check_health first)
// gets one attempt, on its position or its borrowing.
void sweep(Run& run, std::int64_t mark, Tally& tally) {
  for (std::uint32_t i = 0; i < kTraders; ++i) {
    if (!run.equity(trader_sub(i)).is_negative()) continue;
    resolve(run, trader_sub(i));
    ++tally.resolved;
  }
  for (const SubAccountId target : run.liquidatable()) {
    if (target == kLiquidatorSub) continue;
    run.apply(CheckHealth{target});
    const market::Position* held = run.engine().ledger().position(target, kPerp);
    const bool of_position = held != nullptr && pick(0, 2) == 0;
    const std::set<SubAccountId> before = run.liquidatable();
    const Status status = of_position ? run.apply(position_take(*held, target, mark))
                                      : run.apply(borrow_take(run, target, mark));
    if (status != Status::ok) continue;
    ++(of_position ? tally.liquidations : tally.borrow_liquidations);
    RC_ASSERT(!run.equity(target).is_negative());
    for (const SubAccountId now_liquidatable : run.liquidatable()) RC_ASSERT(before.contains(now_liquidatable));
  }
}

// ---- the case -------------------------------------------------------------------------------

AssetId any_asset() { return pick(0, 2) == 0 ? kUsdc : kBtc; }
// 100 to 20,000 USDC, or 0.001 to 0.4 BTC, in units.
std::int64_t any_amount(AssetId asset) {
  return asset == kUsdc ? usdc(pick<std::int64_t>(100, 20'000)) : pick<std::int64_t>(100'000, 40'000'000);
}

void open(Run& run, AccountId account, SubAccountId sub) {
  run.must(CreateAccount{account});
  run.must(CreateSubAccount{account, sub, MarginMode::cross});
}

RC_GTEST_PROP(EngineLendingProperty, LendingConservesValuePaysInterestExactlyAndLiquidatesSafely, ()) {
  Run run;
  run.must(ListAsset{kUsdc, "USDC", 6, kAssetFlagsAll});
  run.must(ListAsset{kBtc, "BTC", 8, kAssetFlagsAll});
  std::int64_t mark = price("50000").raw();
  const auto set_prices = [&] {
    run.must(OraclePrice{kBtc, Price::from_raw(mark), Price::from_raw(mark)});
    run.must(MarkPrice{kPerp, Price::from_raw(mark)});
  };
  set_prices();
  // The liquidator supplies both pools, which stay small beside the traders' borrowing.
  open(run, kLiquidator, kLiquidatorSub);
  run.must(Deposit{kLiquidator, kLiquidatorSub, kUsdc, Amount::from_raw(usdc(30'000))});
  run.must(Deposit{kLiquidator, kLiquidatorSub, kBtc, Amount::from_raw(100'000'000)});
  for (std::uint32_t i = 0; i < kTraders; ++i) {
    open(run, trader(i), trader_sub(i));
    run.must(Deposit{trader(i), trader_sub(i), kUsdc, Amount::from_raw(usdc(pick<std::int64_t>(2'000, 20'000)))});
    run.must(Deposit{trader(i), trader_sub(i), kBtc, Amount::from_raw(pick<std::int64_t>(0, 50'000'000) + 1)});
  }
  Tally tally;
  accrue(run, kUsdc, tally);
  accrue(run, kBtc, tally);
  const auto steps = pick(150, 400);
  for (int step = 0; step < steps; ++step) {
    const auto who = pick<std::uint32_t>(0, kTraders);
    switch (pick(0, 11)) {
      case 0:
      case 1: {  // a matched trade between two traders at the mark (either may be refused)
        const auto other = (who + pick<std::uint32_t>(1, kTraders)) % kTraders;
        const Quantity size = Quantity::from_raw(pick<std::int64_t>(50, 1'500) * 1'000'000);
        if (run.apply(Fill{trader(who), trader_sub(who), kPerp, size, Price::from_raw(mark), Money{}}) == Status::ok) {
          run.apply(Fill{trader(other), trader_sub(other), kPerp, Quantity::from_raw(-size.raw()), Price::from_raw(mark),
                         Money{}});
        }
        break;
      }
      case 2:
      case 3: {  // the price moves by up to +-12%: gaps that can leave groups bankrupt
        mark = on_tick(mark + mark / 10'000 * pick<std::int64_t>(-1'200, 1'201)).raw();
        set_prices();
        break;
      }
      case 4: {
        const AssetId asset = any_asset();
        run.apply(Deposit{trader(who), trader_sub(who), asset, Amount::from_raw(any_amount(asset))});
        break;
      }
      case 5:
      case 6: {
        const AssetId asset = any_asset();
        run.apply(Borrow{trader(who), trader_sub(who), asset, Amount::from_raw(any_amount(asset))});
        break;
      }
      case 7: {  // up to 1.5x what is held (or a fresh amount when nothing is)
        const AssetId asset = any_asset();
        const std::int64_t held = run.balance(trader_sub(who), asset);
        const std::int64_t amount = held > 1 ? pick<std::int64_t>(1, held + held / 2) : any_amount(asset);
        run.apply(Withdraw{trader(who), trader_sub(who), asset, Amount::from_raw(amount)});
        break;
      }
      // Interest after a minute to 30 days; then the prices again, fresh. Bad debt no longer bounds
      // the interval (written off, it pays no interest; accrue() checks that the bad-debt account
      // never moves), but live debt does: the BTC pool charges up to 307% a year, and the case can
      // run several accruals with no sweep between (half the time one more): at a year each, a few
      // of them take a debt nobody liquidated past Money's range in margin::evaluate. A venue
      // accrues hourly and liquidates in between.
      case 8: {
        run.advance(pick<TimestampNs>(60 * kSecond, 30 * kDay));
        accrue(run, any_asset(), tally);
        set_prices();
        break;
      }
      case 9:
        cover_some(run, any_asset(), tally);
        break;
      default:
        sweep(run, mark, tally);
    }
  }
  RC_CLASSIFY(tally.accruals_paying > 0, "interest paid");
  RC_CLASSIFY(tally.liquidations > 0, "position liquidated");
  RC_CLASSIFY(tally.borrow_liquidations > 0, "borrowing liquidated");
  RC_CLASSIFY(tally.resolved > 0, "bankruptcy resolved");
  const LossTotals& losses = run.engine().waterfall().losses;
  RC_CLASSIFY(losses.insurance > 0, "insurance fund paid");
  RC_CLASSIFY(losses.adl + losses.socialized > 0, "loss charged to others");
  RC_CLASSIFY(losses.unresolved > 0, "loss unresolved");
  RC_CLASSIFY(tally.covered > 0, "written-off debt covered");
  Result<Engine> restored = Engine::restore(run.engine().snapshot());
  RC_ASSERT(restored.ok());
  RC_ASSERT(restored->state_hash() == run.engine().state_hash());
}

// The property's first counterexample, minimised by hand: a liquidate_borrow seizing collateral at
// a bonus the auction allows, from a group whose equity is smaller than that bonus. Alice holds 1
// BTC and owes 8,000 USDC; at 8,020 her equity is 20 and her health 0.9 x 8,020 - 8,000 = -782.
// Repaying the close factor's 4,000 at the 1% bonus would buy 4,040 of BTC: 50,374,064 units
// (ceil(50,374,064 x 80.2) = 4,039,999,933 micro-USDC, within 4,040,000,000), leaving her at
// 20 - 39.999933 = -19.999933. The seizure stops where her equity does: 4,020 of BTC, 50,124,688
// units (4,019,999,978 micro-USDC), leaves her 0.000022.
class EngineLendingRegression : public EngineMarginTest {
 protected:
  EngineOptions options() const override { return lending_options(true); }
  void accrue_btc_at(TimestampNs at) {
    now_ = at - kMillisecond;  // next() adds a millisecond
    ok(AccrueInterest{kBtc});
  }
};

TEST_F(EngineLendingRegression, ABorrowLiquidationStopsAtTheTargetsBankruptcy) {
  ok(Deposit{kAlice, kAliceMain, kBtc, Amount::from_raw(100'000'000)});
  ok(Borrow{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(18'000))});
  set_prices("8020");
  const auto take = [](std::int64_t seize) {
    return LiquidateBorrow{kBob, kBobMain, kAliceMain, kUsdc, Amount::from_raw(usdc(4'000)), kBtc,
                           Amount::from_raw(seize)};
  };
  rejected(take(50'374'064), Status::liquidation_price_out_of_band);
  rejected(take(50'124'689), Status::liquidation_price_out_of_band);
  ok(take(50'124'688));
  EXPECT_EQ(balance(kAliceMain, kBtc), 100'000'000 - 50'124'688);
  EXPECT_EQ(balance(kAliceMain, kUsdc), usdc(-4'000));
}

// The property's second counterexample, minimised by hand: the growth of a period, rise x 10^18 /
// index, left 128 bits once the borrow index had grown tenfold and the period grew debt 17-fold,
// and the accrual was refused as balance_overflow, balances nowhere near their range (and with
// them every later accrual as long). Bob supplies 0.1 BTC and Alice borrows it: the BTC pool
// (VolatileOne) is at 100%, 7% + 300% = 307% a year. Each year multiplies debt by e^3.07 =
// 21.5419026750024167... (Python's decimal at 60 digits): Alice pays ceil(10^7 x 20.5419...) =
// 205,419,027 units, then ceil(205,419,027 + 10^7) x 20.5419...) = 4,425,116,687 (the index at
// 21.5 rises by 442). Bob, the only supplier, earns floor(80%) of each, 164,335,221 and
// 3,540,093,349; the treasury keeps 41,083,806 and 885,023,338.
TEST_F(EngineLendingRegression, InterestAccruesOnceTheBorrowIndexHasGrownTenfold) {
  constexpr TimestampNs kYear = 365 * kDay;
  ok(Deposit{kBob, kBobMain, kBtc, Amount::from_raw(10'000'000)});
  ok(Borrow{kAlice, kAliceMain, kBtc, Amount::from_raw(10'000'000)});
  const TimestampNs start = now_ + kSecond;
  accrue_btc_at(start);
  accrue_btc_at(start + kYear);
  EXPECT_EQ(balance(kAliceMain, kBtc), -10'000'000 - 205'419'027);
  accrue_btc_at(start + 2 * kYear);
  EXPECT_EQ(balance(kAliceMain, kBtc), -10'000'000 - 205'419'027 - 4'425'116'687);
  EXPECT_EQ(balance(kBobMain, kBtc), 10'000'000 + 164'335'221 + 3'540'093'349);
  EXPECT_EQ(balance(SubAccountId{kTreasury.value}, kBtc), 41'083'806 + 885'023'338);
  const PoolState& pool = engine_.pool_states().back();
  EXPECT_EQ(pool.interest_paid, 205'419'027 + 4'425'116'687);
  EXPECT_EQ(pool.interest_earned, 164'335'221 + 3'540'093'349);
  EXPECT_EQ(pool.reserves, 41'083'806 + 885'023'338);
}

}  // namespace
}  // namespace ballast
