#pragma once
// Liquidation of portfolio-margin sub-accounts (issue 6, item 3, for MarginMode::portfolio): what
// one liquidate_portfolio event does, planned from the state before it so that validation and
// execution read the same plan.
//
// Why a slice of everything, not one position at a time. A portfolio account's requirement is
// its worst scenario loss: a position's share of it depends on every other position, closing one
// leg of a hedge can raise it, and no requirement is released "per unit" as the linear rules'
// sizing assumes. Derive (Lyra v2), the one open portfolio-margin venue, auctions a percentage of
// the whole subaccount instead. We do the same: the liquidator takes a fraction f of every
// position and every non-quote balance, so the target keeps (1 − f) of the same hedged book and
// the hedges survive the liquidation. The scenario requirement is positively homogeneous and
// convex in the book (the worst of linear scenario losses, plus add-ons that are linear or convex
// in size), so after a slice the target's health is concave in f:
//   health(f) = E − discount(f) − (1 + buffer) × R((1 − f) × book),
// with discount(f) linear in f. With the discount bounded by the equity (health(1) >= 0), the
// fractions that restore the target form one interval [f_needed, 1]: whether f is needed at all
// is one evaluation of f − 1 millionth, and the keeper's allowance (portfolio_liquidation_
// allowance) a bisection over the same predicate. Lots round each position's share toward zero, so
// the interval is exact up to one lot per position.
//
// The rules are the linear ones (liquidation_rules.hpp) read for a whole account:
//   - needed: f restores maintenance health >= buffer_ratio × requirement + the rounding
//     allowance, and f − 1 ppm does not (a liquidation never takes more than it must);
//   - close factor: f <= close_factor unless the account is in the full-close or backstop stage
//     (coverage = equity / maintenance requirement below full_close_below);
//   - dust: the whole account may go when what the close factor and the need would leave is
//     worth less than min_leftover_notional at the marks;
//   - caps: the notional taken (the gross value at the marks) within the event cap and what is
//     left of the account's window cap;
//   - price: discount <= the auction's bonus now, and the target's equity after >= 0 (the
//     bankruptcy bound: a deeper account is resolve_bankruptcy's).
//
// Prices. Each position's share closes at its mark less the discount (more for a short: the
// target pays), a fill like any liquidation's (the protocol's share of that fill's discount is
// the liquidator's fee, to the insurance fund). Each balance's share moves at the oracle: the
// liquidator pays the target value × (1 − discount) for an asset and is paid |value| × (1 +
// discount) for a debt, in the quote, rounded up for the target (its discount never exceeds the
// one asked); the protocol's share of that discount is rounded up and paid by the liquidator.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "ballast/core/status.hpp"
#include "ballast/engine/engine.hpp"

namespace ballast {

inline constexpr std::uint32_t kFractionWhole = 1'000'000;  // fraction_ppm of the whole account

struct PortfolioSlice {
  // Per position taken: the target's close, then the liquidator's open, at the same price.
  std::vector<Fill> fills;
  // The fills' postings, then (from moves_from) the balances' moves, their payments and the
  // protocol's share.
  std::vector<Posting> postings;
  std::size_t moves_from = 0;
  // The positions the fills leave, parallel to fills (the books after the slice read them).
  std::vector<market::Position> positions_after;
  Money gross;     // the notional taken at the marks: positions' exposure × mark, balances' |value|
  Money discount;  // what the target gives up against the marks
};

struct PortfolioLiquidationPlan {
  // ok, or account_healthy, account_bankrupt, liquidation_too_large, liquidation_price_out_of_band,
  // a margin status, balance_overflow. The liquidator's own margin is the caller's check.
  Status status = Status::ok;
  PortfolioSlice slice;
  // The target's figures after the slice (the bankruptcy bound reads its equity; execution ends
  // the episode on them instead of evaluating the same book again).
  PortfolioFigures target_after;
};

// What a plan reads: the engine's state at the event's time.
struct PortfolioLiquidationState {
  const Ledger& ledger;
  const margin::RiskConfig& risk;
  const PortfolioVenue& venue;
  const PriceState& prices;
  const LiquidationRules& rules;
  std::optional<LiquidationEpisode> episode;  // the target's
  TimestampNs now_ns = 0;
  // The decision's option vols, shared by every evaluation the plan makes and, after it, by the
  // caller's check of the liquidator (the same prices at the same instant).
  MarkVols& vols;
};

// The plan for `e` (its parties exist, the target is a portfolio sub-account whose prices are
// trusted, the fraction is in (0, whole] and the discount in [0, 1): the caller's shape checks).
PortfolioLiquidationPlan plan_portfolio_liquidation(const PortfolioLiquidationState& state, const LiquidatePortfolio& e);

// The largest fraction_ppm the rules let `e`'s liquidator take at `e.discount` now (e.fraction_ppm
// is ignored): the keeper's question before it submits. nullopt when no fraction is allowed (the
// account is healthy or bankrupt, the discount is above the bonus, or a cap leaves nothing).
std::optional<std::uint32_t> portfolio_liquidation_allowance(const PortfolioLiquidationState& state,
                                                             const LiquidatePortfolio& e);

}  // namespace ballast
