#include "ballast/engine/backstop.hpp"

#include <map>

#include "ballast/engine/engine_parts.hpp"
#include "ballast/engine/portfolio_margin.hpp"

namespace ballast {
namespace {

using namespace detail;

// The target's figures from its calculator: a portfolio sub-account's scenarios (its maintenance
// collateral is its equity), or the group's weighted sums.
struct TargetFigures {
  Status status = Status::ok;
  Money equity;
  liquidation::GroupHealth maintenance;
};

TargetFigures target_figures(const PortfolioVenue* portfolio, const margin::RiskConfig& risk, const PriceState& prices,
                             const std::vector<margin::SubAccountBook>& group, TimestampNs now_ns) {
  if (group.front().mode == MarginMode::portfolio) {
    const PortfolioOutcome outcome = evaluate_portfolio(*portfolio, risk, prices.book, group.front(), now_ns);
    const PortfolioFigures& f = outcome.figures;
    return {outcome.status, f.equity, {f.equity, f.maintenance_requirement}};
  }
  const margin::MarginOutcome outcome = margin::evaluate(risk, prices.book, group);
  const margin::GroupMargin& f = outcome.margin;
  return {status_of(outcome.status), f.equity, {f.maintenance_collateral, f.maintenance_requirement}};
}

Status judge_target(const TargetFigures& figures, const LiquidationRules& rules) {
  if (figures.status != Status::ok) return figures.status;
  switch (liquidation::classify(figures.maintenance, rules.sizing.stages)) {
    case liquidation::Stage::healthy: return Status::account_healthy;
    case liquidation::Stage::backstop: return figures.equity.is_negative() ? Status::account_bankrupt : Status::ok;
    default: return figures.equity.is_negative() ? Status::account_bankrupt : Status::backstop_not_reached;
  }
}

// Plans `fill` and appends its postings; the position it leaves, for the vault's view.
std::optional<FillPlan> add_fill(BackstopPlan& plan, const Ledger& ledger, const margin::RiskConfig& risk,
                                 const PriceState& prices, const Fill& fill) {
  FillPlan planned = plan_fill(ledger, risk, prices, *risk.find_market(fill.instrument), fill);
  if (!planned.ok) return std::nullopt;
  plan.fills.push_back(fill);
  plan.postings.insert(plan.postings.end(), planned.postings.begin(), planned.postings.end());
  return planned;
}

// Whether the vault's group stays at or above maintenance with the positions and balances it
// takes over.
Status judge_vault(const Ledger& ledger, const margin::RiskConfig& risk, const PriceState& prices,
                   const BackstopPlan& plan, const std::map<InstrumentId, market::Position>& opened) {
  std::vector<margin::SubAccountBook> vault = group_books(ledger, risk, *ledger.find_sub_account(kVaultSub));
  apply_postings(vault, plan.postings);
  margin::SubAccountBook& book = vault.front();
  for (const auto& [instrument, position] : opened) set_book_position(book, instrument, position);
  const margin::MarginOutcome outcome = margin::evaluate(risk, prices.book, vault);
  if (outcome.status != margin::MarginStatus::ok) return status_of(outcome.status);
  return outcome.margin.maintenance_health().is_negative() ? Status::insufficient_margin : Status::ok;
}

}  // namespace

BackstopPlan plan_backstop(const Ledger& ledger, const margin::RiskConfig& risk, const PortfolioVenue* portfolio,
                           const PriceState& prices, const LiquidationRules& rules, const SubAccount& sub_account,
                           TimestampNs now_ns) {
  BackstopPlan plan;
  std::vector<margin::SubAccountBook> group = group_books(ledger, risk, sub_account);
  plan.status = judge_target(target_figures(portfolio, risk, prices, group, now_ns), rules);
  if (plan.status != Status::ok) return plan;
  // The group's closes, summing what the vault opens per instrument.
  std::map<InstrumentId, Quantity> taken;
  for (const margin::SubAccountBook& member : group) {
    for (const margin::HeldPosition& held : member.positions) {
      const Price mark = prices.book.find_market(held.instrument)->mark;
      const Quantity size = held.position.size;
      const auto closed = add_fill(plan, ledger, risk, prices,
                                   Fill{member.owner, member.id, held.instrument, Quantity::from_raw(-size.raw()), mark, Money{}});
      if (!closed) return plan.status = Status::balance_overflow, plan;
      apply_postings(group, closed->postings);
      taken[held.instrument] = Quantity::from_raw(taken[held.instrument].raw() + size.raw());
    }
  }
  std::map<InstrumentId, market::Position> opened;
  for (const auto& [instrument, size] : taken) {
    if (size.is_zero()) continue;
    const Price mark = prices.book.find_market(instrument)->mark;
    const auto open = add_fill(plan, ledger, risk, prices, Fill{kVault, kVaultSub, instrument, size, mark, Money{}});
    if (!open) return plan.status = Status::balance_overflow, plan;
    opened[instrument] = open->position;
  }
  // Then every balance the group holds after the closes.
  plan.moves_from = plan.postings.size();
  for (const margin::SubAccountBook& member : group) {
    for (const Balance& balance : member.balances) {
      if (!add_pair(plan.postings, kVaultSub, member.id, balance.asset, balance.amount.raw())) {
        return plan.status = Status::balance_overflow, plan;
      }
    }
  }
  plan.status = judge_vault(ledger, risk, prices, plan, opened);
  return plan;
}

}  // namespace ballast
