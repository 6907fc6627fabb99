#pragma once
// The vault's backstop takeover (issue 6, item 3; Hyperliquid's HLP liquidator vault): what one
// backstop_takeover event does, planned from the state before it so that validation and execution
// read the same plan.
//
// A margin group whose coverage (maintenance collateral / requirement) has fallen below the
// rules' backstop threshold, with equity still >= 0, is past what partial liquidation by
// liquidators is for. The vault takes all of it: every position is closed at its mark and opened
// in the vault's sub-account at the same mark (both against the clearing account, no fee), net
// per instrument on the vault's side; then every balance the group holds after those closes moves
// to the vault, debts included. The group is left empty; its equity, >= 0, is the vault's
// liquidation surplus. Refused when the vault's own group would then be below maintenance.

#include <cstddef>
#include <vector>

#include "ballast/core/status.hpp"
#include "ballast/engine/engine.hpp"

namespace ballast {

struct BackstopPlan {
  Status status = Status::ok;  // account_healthy, account_bankrupt, backstop_not_reached, a margin
                               // status, insufficient_margin (the vault), balance_overflow
  // The group's closes, then the vault's opens (one per instrument), each at the mark, no fee.
  std::vector<Fill> fills;
  // The fills' postings, then (from moves_from) the balances moving to the vault.
  std::vector<Posting> postings;
  std::size_t moves_from = 0;
};

// The plan for backstop_takeover on the margin group of `sub_account` (a user sub-account on a
// venue with a risk configuration and a vault; the group's prices are trusted). A portfolio
// sub-account is judged by its scenarios (`portfolio`, at `now_ns`): its coverage is equity /
// maintenance requirement.
BackstopPlan plan_backstop(const Ledger& ledger, const margin::RiskConfig& risk, const PortfolioVenue* portfolio,
                           const PriceState& prices, const LiquidationRules& rules, const SubAccount& sub_account,
                           TimestampNs now_ns);

}  // namespace ballast
