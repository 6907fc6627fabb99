#pragma once
// Positions: size, cost basis and funding snapshot, changed by fills (increase, reduce, close,
// flip through zero) with exact realized PnL.
//
// The cost basis is the exact quote money the open size cost: the sum of the fill values booked
// into it, each rounded once when the fill happened. Realized PnL is cash out minus the basis
// released, so over a position's life Σ realized = −Σ fill values exactly; the rounding inside a
// partial close only decides when, never whether, a unit is realized.
//
// Rounding (docs/ARCHITECTURE.md, "Rounding policy"):
//   fill value      size × contract_size × price toward +∞: a buyer pays the ceiling, a seller
//                   receives the floor (a charge never undercollects, a credit never overpays).
//                   A matched pair leaves 0 or 1 micro-unit with the protocol: fill_residual.
//   basis released  on a partial close, toward +∞: the PnL realized now rounds down (a credit
//                   never exceeds the exact figure); the remaining basis keeps the complement.
//   position value  exposure × mark toward −∞: a long's value is credited down, a short's
//                   liability is counted up; unrealized PnL = value − basis rounds down.
//   funding owed    size × Δindex toward +∞: a payer pays at least, a receiver gets at most the
//                   exact figure (funding.hpp).
//   average entry   for display and for margin inputs only: longs up, shorts down, so a PnL
//                   computed from the shown entry never exceeds the exact one.

#include <optional>

#include "ballast/core/fixed.hpp"
#include "ballast/market/instrument.hpp"

namespace ballast::market {

// Cumulative funding per contract of size, in quote money per contract, signed: it rises when
// longs pay. Nine decimals like a Price: venues list tiny-priced assets in contracts of many
// units (1000PEPE) so that a contract's value, and so its funding, stays far above 1e-9.
using FundingIndex = Fixed<struct FundingIndexTag, 9>;

struct Position {
  Quantity size;       // contracts; > 0 long, < 0 short
  Money cost_basis;    // signed cash paid for the open size (long > 0, short < 0); 0 when flat
  Money realized_pnl;  // trading PnL realized so far; fees and funding are booked apart
  FundingIndex funding_snapshot;  // the instrument's cumulative index when funding was settled

  friend bool operator==(const Position&, const Position&) = default;
};

struct PositionChange {
  Position position;
  Money realized_pnl;  // realized by this change
  Money value;         // signed value bought: the cash this side pays (sells: receives −value)
  Money funding_owed;  // funding settled before the fill: > 0 the holder pays, < 0 receives
};

// size × contract_size × price rounded toward +∞ (see above); nullopt on overflow.
std::optional<Money> fill_value(Quantity size, Price price, Quantity contract_size);

// What the protocol keeps from one fill matched between a buyer and a seller: the buyer's
// ceiling minus the seller's floor, 0 or 1 micro-unit (booked to the fee pool).
std::optional<Money> fill_residual(Quantity size, Price price, Quantity contract_size);

// Funding the position owes since its snapshot: size × (index_now − snapshot), toward +∞.
std::optional<Money> funding_payment(const Position& position, FundingIndex index_now);

// Settles funding up to index_now (lazily: only when the position changes), then applies the
// fill. For instruments without funding pass the default index. The fill must have a non-zero,
// on-lot size (check_fill); nullopt when a value leaves its range (the caller rejects the fill).
std::optional<PositionChange> apply_fill(const Position& position, const Fill& fill,
                                         Quantity contract_size, FundingIndex index_now = {});

// exposure × mark toward −∞, and that minus the cost basis.
std::optional<Money> position_value(const Position& position, Price mark, Quantity contract_size);
std::optional<Money> unrealized_pnl(const Position& position, Price mark, Quantity contract_size);

// cost_basis / exposure: longs toward +∞, shorts toward −∞; nullopt when flat or out of range.
std::optional<Price> average_entry(const Position& position, Quantity contract_size);

}  // namespace ballast::market
