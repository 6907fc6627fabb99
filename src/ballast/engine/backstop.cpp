#include "ballast/engine/backstop.hpp"

#include <map>

#include "ballast/engine/engine_parts.hpp"
#include "ballast/engine/portfolio_margin.hpp"

namespace ballast {
namespace {

using namespace detail;

constexpr SubAccountId kVaultSub{kVault.value};

// Coverage below the threshold: maintenance collateral < ratio × requirement, cross-multiplied
// (Ratio has 12 decimals) so that no division rounds the comparison.
bool below_backstop(const margin::MarginFigures& figures, Ratio backstop_below) {
  const int128 collateral = static_cast<int128>(figures.maintenance_collateral.raw()) * pow10_i64(Ratio::kDecimals);
  return collateral < static_cast<int128>(backstop_below.raw()) * figures.maintenance_requirement.raw();
}

Status judge_target(const margin::MarginOutcome& outcome, const LiquidationRules& rules) {
  if (outcome.status != margin::MarginStatus::ok) return status_of(outcome.status);
  const margin::GroupMargin& figures = outcome.margin;
  if (!figures.liquidatable()) return Status::account_healthy;
  if (figures.equity.is_negative()) return Status::account_bankrupt;
  if (!below_backstop(figures, rules.sizing.stages.backstop_below)) return Status::backstop_not_reached;
  return Status::ok;
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
  for (const auto& entry : opened) {
    const InstrumentId instrument = entry.first;  // a variable, not a binding: lambdas capture it
    std::erase_if(book.positions, [&](const margin::HeldPosition& held) { return held.instrument == instrument; });
    if (!entry.second.size.is_zero()) book.positions.push_back({instrument, entry.second});
  }
  std::sort(book.positions.begin(), book.positions.end(),
            [](const margin::HeldPosition& a, const margin::HeldPosition& b) { return a.instrument < b.instrument; });
  const margin::MarginOutcome outcome = margin::evaluate(risk, prices.book, vault);
  if (outcome.status != margin::MarginStatus::ok) return status_of(outcome.status);
  return outcome.margin.maintenance_health().is_negative() ? Status::insufficient_margin : Status::ok;
}

}  // namespace

BackstopPlan plan_backstop(const Ledger& ledger, const margin::RiskConfig& risk, const PriceState& prices,
                           const LiquidationRules& rules, const SubAccount& sub_account) {
  BackstopPlan plan;
  std::vector<margin::SubAccountBook> group = group_books(ledger, risk, sub_account);
  plan.status = judge_target(margin::evaluate(risk, prices.book, group), rules);
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
