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
// Some traders are portfolio-margined (a scenario model on BTC): they are liquidated by slices
// (liquidate_portfolio, mostly at the keeper's allowance, sometimes one millionth past it) under
// the same two checks, and they stand in the ADL queue like the others. When the waterfall writes
// debt off, the insurance fund (seeded, and fed by the liquidations' protocol share) pays some of
// it back (cover_bad_debt): the fund and the written-off units fall by exactly the amount and no
// loss total moves.
// At the end, restore(snapshot()) gives the same hash.

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <set>
#include <vector>

#include "ballast/core/testing/pick.hpp"
#include "ballast/engine/bankruptcy.hpp"
#include "ballast/engine/engine.hpp"
#include "ballast/engine/pools.hpp"
#include "ballast/engine/portfolio_liquidation.hpp"
#include "ballast/engine/testing/margin_venue.hpp"

namespace ballast {
namespace {

using namespace engine_testing;  // NOLINT: the venue, its ids and builders

constexpr AccountId kLiquidator{50};
constexpr SubAccountId kLiquidatorSub{500};
constexpr std::uint32_t kTraders = 4;

AccountId trader(std::uint32_t i) { return AccountId{60u + i}; }
SubAccountId trader_sub(std::uint32_t i) { return SubAccountId{600u + i}; }

// The venue with a portfolio model on BTC (the default grid: ±16% in 4 steps, vol up and down).
Engine venue_engine() {
  portfolio::PortfolioConfig model;
  model.underlyings.push_back(portfolio::UnderlyingConfig{});
  model.underlyings[0].symbol = "BTC";
  Result<Engine> made = Engine::make(venue(), {}, std::move(model));
  RC_ASSERT(made.ok());
  return std::move(*made);
}

class Run {
 public:
  Run() : engine_(venue_engine()) {}

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

// A liquidator's slice of a portfolio target: mostly the keeper's allowance at a discount within
// the bonus, sometimes one millionth more (which the rules refuse).
Status slice_portfolio(Run& run, SubAccountId target) {
  const Ratio discount = Ratio::from_raw(pick<std::int64_t>(0, 150) * 100'000'000);
  LiquidatePortfolio e{kLiquidator, kLiquidatorSub, target, 0, discount};
  const std::optional<std::uint32_t> allowed = run.engine_.portfolio_liquidation_allowance(e);
  if (!allowed) return Status::account_healthy;  // nothing to take at this discount now
  e.fraction_ppm = *allowed + (pick(0, 5) == 0 && *allowed < kFractionWhole ? 1 : 0);
  const Status status = run.apply(e);
  if (e.fraction_ppm == *allowed) RC_ASSERT(status == Status::ok || status == Status::insufficient_margin);
  // One millionth more is past the need or the close factor (too large), or past the equity the
  // discount may consume, when that is what held the allowance back (out of band).
  if (e.fraction_ppm != *allowed) {
    RC_ASSERT(status == Status::liquidation_too_large || status == Status::liquidation_price_out_of_band);
  }
  return status;
}

// Whether the portfolio target's books are liquidatable now, by its own scenario evaluation.
bool still_liquidatable(const Run& run, SubAccountId target) {
  portfolio::RiskMatrix matrix(run.engine_.portfolio()->model());
  const PortfolioOutcome outcome = run.engine_.portfolio_margin(target, matrix);
  RC_ASSERT(outcome.status == Status::ok);
  return outcome.figures.liquidatable();
}

// cover_bad_debt of some of what is written off in USDC, within what the fund holds.
bool cover_some_bad_debt(Run& run) {
  const SubAccountId fund{kInsuranceFund.value};
  const int128 owed = written_off_units(run.engine_.ledger(), kUsdc);
  const std::int64_t held = run.engine_.ledger().balance(fund, kUsdc).raw();
  if (owed <= 0 || held <= 0) return false;
  const std::int64_t most = static_cast<std::int64_t>(std::min<int128>(owed, held));
  const std::int64_t amount = pick<std::int64_t>(1, most + 1);
  const LossTotals losses = run.engine_.waterfall().losses;
  run.must(CoverBadDebt{kUsdc, Amount::from_raw(amount)});
  RC_ASSERT(run.engine_.ledger().balance(fund, kUsdc).raw() == held - amount);
  RC_ASSERT(written_off_units(run.engine_.ledger(), kUsdc) == owed - amount);
  RC_ASSERT(run.engine_.waterfall().losses == losses);
  return true;
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
  run.must(Deposit{kInsuranceFund, SubAccountId{kInsuranceFund.value}, kUsdc,
                   Amount::from_raw(usdc(pick<std::int64_t>(1, 2'000)))});
  std::set<SubAccountId> portfolios;
  for (std::uint32_t i = 0; i < kTraders; ++i) {
    const bool portfolio = pick(0, 3) == 0;
    if (portfolio) portfolios.insert(trader_sub(i));
    run.must(CreateAccount{trader(i)});
    run.must(CreateSubAccount{trader(i), trader_sub(i), portfolio ? MarginMode::portfolio : MarginMode::cross});
    const auto deposit = pick<std::int64_t>(2'000, 20'000);
    run.must(Deposit{trader(i), trader_sub(i), kUsdc, Amount::from_raw(usdc(deposit))});
  }
  std::int64_t mark = price("50000").raw();
  const auto set_prices = [&] {
    run.must(OraclePrice{kBtc, Price::from_raw(mark), Price::from_raw(mark)});
    run.must(MarkPrice{kPerp, Price::from_raw(mark)});
  };
  set_prices();
  int liquidated = 0;
  int sliced = 0;
  int resolved = 0;
  int covered = 0;
  const auto steps = pick(40, 160);
  for (int step = 0; step < steps; ++step) {
    switch (pick(0, 4)) {
      case 0: {  // a matched trade between two traders at the mark (either may be refused)
        const auto buyer = pick<std::uint32_t>(0, kTraders);
        const auto seller = (buyer + pick<std::uint32_t>(1, kTraders)) % kTraders;
        const Quantity size = Quantity::from_raw(pick<std::int64_t>(50, 1'500) * 1'000'000);
        const Status bought = run.apply(Fill{trader(buyer), trader_sub(buyer), kPerp, size, Price::from_raw(mark), Money{}});
        if (bought == Status::ok) {
          run.apply(Fill{trader(seller), trader_sub(seller), kPerp, Quantity::from_raw(-size.raw()),
                         Price::from_raw(mark), Money{}});
        }
        break;
      }
      case 1: {  // the price moves by up to ±12%: gaps that can leave groups bankrupt
        const auto move_bp = pick<std::int64_t>(-1200, 1201);
        mark = on_tick(mark + mark / 10'000 * move_bp).raw();
        set_prices();
        break;
      }
      case 2:  // the insurance fund pays written-off debt back
        covered += cover_some_bad_debt(run) ? 1 : 0;
        break;
      default: {  // the scan, then a liquidator's attempt on each liquidatable group
        for (const SubAccountId target : run.liquidatable()) {
          if (run.equity(target).is_negative()) {
            resolve(run, target);
            ++resolved;
            continue;
          }
          run.apply(CheckHealth{target});
          if (portfolios.contains(target)) {
            const std::set<SubAccountId> before = run.liquidatable();
            if (slice_portfolio(run, target) != Status::ok) continue;
            ++sliced;
            RC_ASSERT(!run.equity(target).is_negative());
            // The episode is open exactly while the books are liquidatable: execution read the
            // plan's figures after the slice, and they must be the figures of the books it left.
            const AccountId owner = run.engine_.ledger().find_sub_account(target)->owner;
            RC_ASSERT(run.engine_.liquidation_episodes().contains(GroupKey{owner, target}) ==
                      still_liquidatable(run, target));
            for (const SubAccountId now_liquidatable : run.liquidatable()) RC_ASSERT(before.contains(now_liquidatable));
            continue;
          }
          const market::Position* held = run.engine_.ledger().position(target, kPerp);
          if (held == nullptr) continue;
          const std::int64_t lots = (held->size.raw() < 0 ? -held->size.raw() : held->size.raw()) / 1'000'000;
          // Mostly within what the rules allow (a small part), sometimes beyond.
          const Quantity size = Quantity::from_raw(pick<std::int64_t>(1, lots / 8 + 2) * 1'000'000);
          const auto discount_bp = pick<std::int64_t>(0, 150);
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
  RC_CLASSIFY(sliced > 0, "some portfolio slice accepted");
  RC_CLASSIFY(covered > 0, "some bad debt covered");
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
