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
  friend bool operator==(const PriceSample&, const PriceSample&) = default;
};

// The average over one fixed window [start_ns, end_ns] of the step function its samples define
// (each price holds from its timestamp until the next sample), weighted by time, computed exactly
// and rounded once. Where no sample is at or before start_ns the average starts at the first
// sample; a zero-length window gives the price in force at end_ns. Fed sample by sample as prices
// arrive, in O(1) state: what the engine keeps per dated instrument until it settles, instead of
// a history whose length the oracle's update rate would set.
class WindowAverage {
 public:
  // The whole state, for snapshots: the newest sample at or before end_ns, where the average
  // starts once a sample lies after start_ns, and Σ price × duration from there up to `last`.
  struct State {
    std::optional<PriceSample> last;
    std::optional<TimestampNs> from_ns;
    int128 weighted = 0;
    friend bool operator==(const State&, const State&) = default;
  };

  WindowAverage(TimestampNs start_ns, TimestampNs end_ns);
  // A state as state() gave it; nullopt when it could not have come from record() on this window.
  static std::optional<WindowAverage> restore(TimestampNs start_ns, TimestampNs end_ns,
                                              const State& state);

  // Times never go back (asserted); a sample at the newest one's time replaces its price (a
  // zero-length piece weighs nothing); a sample after end_ns changes nothing.
  void record(PriceSample sample);
  // nullopt while no sample is at or before end_ns.
  std::optional<Price> average(Round round) const;
  const State& state() const { return state_; }

 private:
  TimestampNs start_ns_;
  TimestampNs end_ns_;
  State state_;
};

// The same average over a whole history at once. Samples must be in strictly increasing time
// (asserted); nullopt when no sample is at or before end_ns.
std::optional<Price> time_weighted_price(std::span<const PriceSample> samples,
                                         TimestampNs start_ns, TimestampNs end_ns, Round round);

// The instrument's settlement price: time_weighted_price over [expiry − window, expiry], down.
std::optional<Price> settlement_price(const Instrument& instrument,
                                      std::span<const PriceSample> index_samples);
// The window settlement_price averages over, to feed as the index moves.
WindowAverage settlement_window(const Instrument& instrument);

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
