#pragma once
// Liquidation of borrowings (issue 6, item 3): a liquidator repays part of an unhealthy margin
// group's debt in one asset and seizes collateral in another at a bonus, as Aave's
// liquidationCall does, under the venue's liquidation rules. Planned from the state before the
// event as a pure function, so that validation and execution read the same plan.
//
// The rules, in the order they are judged (each a status; nothing changes on a rejection):
//   - the target's group is liquidatable (account_healthy otherwise) and its equity is not negative
//     (account_bankrupt: a deficit is the waterfall's, not a liquidator's);
//   - the repayment, valued at the debt asset's oracle price, is at most what the rules allow in
//     one event: the close factor of the debt, or all of it when the group's coverage is below the
//     full-close threshold or when what would be left is worth less than the dust limit; and at most
//     the event cap and what the account cap leaves in its window (liquidation_too_large);
//   - the target holds the collateral seized (liquidation_too_large otherwise);
//   - the seized collateral's value at its oracle price is at most the repayment's value times
//     (1 + the auction's bonus now), and leaves the target's group with equity >= 0 (the bonus
//     comes out of that equity: a liquidation creates no bad debt) (liquidation_price_out_of_band);
//   - the liquidator has the repayment in its free balance (insufficient_balance) and its own group
//     passes the initial-margin check afterwards (insufficient_margin).
// The protocol's share of the bonus (the auction's protocol_share of the collateral seized beyond
// the repayment's worth) goes to the insurance fund instead of the liquidator.
//
// Values: units × oracle price, in quote Money; the quote asset is worth 1. The repayment's value
// rounds down (a liquidator is never credited more than it paid), the seizure's up (it never takes
// more than the bonus allows), the protocol's share down.

#include <optional>
#include <vector>

#include "ballast/core/status.hpp"
#include "ballast/engine/engine.hpp"

namespace ballast {

struct BorrowLiquidationPlan {
  Status status = Status::ok;
  Money repaid_value;        // the repayment at the debt's oracle price: what the caps count
  Amount to_insurance;       // collateral units: the protocol's share of the bonus
  std::vector<Posting> postings;  // repayment, seizure, the protocol's share
};

// The plan for `e` against the target's margin group `group` (its books; the target is a user
// sub-account, not portfolio; both assets are configured and their prices trusted: the caller's
// gates). The liquidator's side (free balance, margin) is the caller's to judge on the postings.
BorrowLiquidationPlan plan_borrow_liquidation(const Ledger& ledger, const margin::RiskConfig& risk,
                                              const PriceState& prices, const LiquidationRules& rules,
                                              const std::optional<LiquidationEpisode>& episode,
                                              const std::vector<margin::SubAccountBook>& group,
                                              const LiquidateBorrow& e, TimestampNs now_ns);

}  // namespace ballast
