#include "ballast/engine/borrow_liquidation.hpp"

#include <algorithm>

#include "ballast/engine/engine_parts.hpp"
#include "ballast/liquidation/auction.hpp"

namespace ballast {
namespace {

using detail::oracle_raw;
using detail::value_of_units;

// Whether the group is in the full-close stage: its coverage below full_close_below. Coverage is
// maintenance collateral / requirement for a group with positions (dYdX's NC/MMR), and Aave's
// health factor, weighted collateral / weighted debt, for a group that only borrows (no
// requirement): Aave v3 lets a liquidator repay all of a debt once HF <= 0.95. Exact, by
// cross-multiplication.
bool full_close_stage(const liquidation::SizingParams& sizing, const margin::GroupMargin& figures) {
  int128 covered = figures.maintenance_collateral.raw();
  int128 required = figures.maintenance_requirement.raw();
  if (required == 0) {
    covered = 0;
    for (const margin::SubAccountMargin& member : figures.sub_accounts) {
      for (const margin::BalanceMargin& balance : member.balances) {
        const std::int64_t weighted = balance.maintenance_collateral.raw();
        if (weighted > 0) {
          covered += weighted;
        } else {
          required -= weighted;  // a borrow's weighted value is negative
        }
      }
    }
    if (required == 0) return false;  // no debt: nothing to close
  }
  return covered * Ratio::kScale < static_cast<int128>(sizing.stages.full_close_below.raw()) * required;
}

// The most of `debt` units one event may repay (at_factor: the close factor's share of it, up)
// under the close factor, the full-close stage and the dust rule, before the caps.
std::int64_t close_allowed(const liquidation::SizingParams& sizing, const margin::GroupMargin& figures,
                           std::int64_t debt, std::int64_t at_factor, Money leftover_value_at_factor) {
  if (full_close_stage(sizing, figures) || leftover_value_at_factor < sizing.min_leftover_notional) return debt;
  return at_factor;
}

constexpr auto* rejected = &detail::rejected_plan<BorrowLiquidationPlan>;

}  // namespace

BorrowLiquidationPlan plan_borrow_liquidation(const Ledger& ledger, const margin::RiskConfig& risk,
                                              const PriceState& prices, const LiquidationRules& rules,
                                              const std::optional<LiquidationEpisode>& episode,
                                              const std::vector<margin::SubAccountBook>& group,
                                              const LiquidateBorrow& e, TimestampNs now_ns) {
  const margin::MarginOutcome outcome = margin::evaluate(risk, prices.book, group);
  if (const Status s = status_of(outcome.status); s != Status::ok) return rejected(s);
  const margin::GroupMargin& figures = outcome.margin;
  if (!figures.liquidatable()) return rejected(Status::account_healthy);
  if (figures.equity.is_negative()) return rejected(Status::account_bankrupt);

  const std::int64_t debt = -ledger.balance(e.target, e.debt_asset).raw();
  const std::int64_t held = ledger.balance(e.target, e.collateral_asset).raw();
  BALLAST_ASSERT(debt > 0 && held > 0);  // the caller's position_missing
  const std::int64_t at_factor = static_cast<std::int64_t>(
      div_round(static_cast<int128>(debt) * rules.sizing.close_factor.raw(), Ratio::kScale, Round::up));
  const auto leftover_value = value_of_units(risk, prices, e.debt_asset, debt - at_factor, Round::down);
  const auto repaid_value = value_of_units(risk, prices, e.debt_asset, e.repay.raw(), Round::down);
  const auto seized_value = value_of_units(risk, prices, e.collateral_asset, e.seize.raw(), Round::up);
  if (!leftover_value || !repaid_value || !seized_value) return rejected(Status::balance_overflow);
  const Money cap = std::min(rules.event_cap_notional, account_cap_remaining(rules, episode, now_ns));
  if (e.repay.raw() > close_allowed(rules.sizing, figures, debt, at_factor, *leftover_value) || *repaid_value > cap ||
      e.seize.raw() > held) {
    return rejected(Status::liquidation_too_large);
  }

  const liquidation::AuctionQuote bonus =
      liquidation::auction_bonus(rules.auction, episode ? episode->started_ns : now_ns, now_ns);
  const int128 seize_max = div_round(static_cast<int128>(repaid_value->raw()) * (Ratio::kScale + bonus.bonus.raw()),
                                     Ratio::kScale, Round::down);
  if (seized_value->raw() > seize_max) return rejected(Status::liquidation_price_out_of_band);

  // The collateral worth the repayment (up), and the protocol's share of what was seized beyond it.
  const margin::AssetRisk* collateral = risk.find_asset(e.collateral_asset);
  const std::int64_t collateral_price = oracle_raw(risk, prices, e.collateral_asset);
  const int128 worth_repaid = div_round(
      static_cast<int128>(repaid_value->raw()) * pow10_i128(collateral->decimals + Price::kDecimals - Money::kDecimals),
      collateral_price, Round::up);
  const int128 beyond = std::max<int128>(0, e.seize.raw() - worth_repaid);
  const auto share = static_cast<std::int64_t>(
      div_round(beyond * rules.auction.protocol_share.raw(), Ratio::kScale, Round::down));

  BorrowLiquidationPlan plan;
  plan.repaid_value = *repaid_value;
  plan.to_insurance = Amount::from_raw(share);
  plan.postings = {
      {e.liquidator_sub_account, e.debt_asset, Amount::from_raw(-e.repay.raw())},
      {e.target, e.debt_asset, e.repay},
      {e.target, e.collateral_asset, Amount::from_raw(-e.seize.raw())},
      {e.liquidator_sub_account, e.collateral_asset, Amount::from_raw(e.seize.raw() - share)},
  };
  if (share > 0) plan.postings.push_back({detail::kInsuranceSub, e.collateral_asset, plan.to_insurance});
  // The bonus comes out of the target's equity: like a position's band at the bankruptcy price, it
  // stops where that equity does, so that a liquidation never creates bad debt.
  std::vector<margin::SubAccountBook> after = group;
  detail::apply_postings(after, plan.postings);
  const margin::MarginOutcome left = margin::evaluate(risk, prices.book, after);
  if (const Status s = status_of(left.status); s != Status::ok) return rejected(s);
  if (left.margin.equity.is_negative()) return rejected(Status::liquidation_price_out_of_band);
  return plan;
}

}  // namespace ballast
