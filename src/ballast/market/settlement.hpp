#pragma once
// Expiry settlement of dated futures and European options: the settlement price is the
// time-weighted average of the index over [expiry − window, expiry], and each position is closed
// against it in the settle asset.
//
// Rounding. The settlement price rounds toward −∞ (settlement_price): it is a market price, not a
// payment, so its rounding (under 1e-9 per unit) moves value only between longs and shorts; the
// direction is fixed once so that every replay agrees. The cash flows round as fills do
// (position.hpp): what a holder receives rounds down, what a writer or a losing side pays rounds
// up, so the protocol keeps at most one micro-unit per position.

#include <optional>
#include <span>

#include "ballast/core/fixed.hpp"
#include "ballast/market/instrument.hpp"
#include "ballast/market/position.hpp"

namespace ballast::market {

struct PriceSample {
  TimestampNs ts_ns = 0;
  Price price;
};

// The average over [start_ns, end_ns] of the step function the samples define (each price holds
// from its timestamp until the next sample), weighted by time, computed exactly and rounded once.
// Samples must be in strictly increasing time (asserted); those after end_ns are ignored. Where
// no sample is at or before start_ns the average starts at the first sample; a zero-length
// window gives the price in force at end_ns. nullopt when no sample is at or before end_ns.
std::optional<Price> time_weighted_price(std::span<const PriceSample> samples,
                                         TimestampNs start_ns, TimestampNs end_ns, Round round);

// The instrument's settlement price: time_weighted_price over [expiry − window, expiry], down.
std::optional<Price> settlement_price(const Instrument& instrument,
                                      std::span<const PriceSample> index_samples);

// max(w (settlement − strike), 0) per unit of the underlying, exact.
Price option_intrinsic(const Instrument& option, Price settlement);

struct ExpirySettlement {
  Position position;   // flat, with the realized PnL carried on
  Money cash_flow;     // paid to the holder in the settle asset (< 0: the holder pays)
  Money realized_pnl;  // realized by the settlement
};

// Closes the position at expiry. A future pays its PnL against the cost basis, the exact
// (settlement − entry) × size × contract_size, floored. An option pays its payoff,
// intrinsic × size × contract_size floored (a writer pays the ceiling); its premium moved when
// it was traded, so realized PnL is payoff − premium. nullopt on overflow.
std::optional<ExpirySettlement> settle_at_expiry(const Position& position,
                                                 const Instrument& instrument,
                                                 Price settlement);

}  // namespace ballast::market
