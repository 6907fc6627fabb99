#pragma once
// Perpetual funding: a premium from mark vs index (or dYdX's impact prices), a clamped rate per
// interval accrued pro rata for the time that passes, and a cumulative funding index per
// instrument that positions settle against lazily (position.hpp, funding_payment).
//
// Sign: a positive rate means longs pay shorts, and the index rises.
//
// Rounding. The premium, the rate and the index are shared by both sides of the market, so their
// rounding moves value between longs and shorts, never in or out of the system; they round toward
// zero, so nobody pays more than the clamped rate asks. What a position owes rounds toward +∞
// (funding_payment), so for any move of the index what longs pay is never less than what shorts
// receive; with open interest balanced the difference, at most one micro-unit per position per
// settlement, is the funding residual, booked to the fee pool.

#include <optional>
#include <span>

#include "ballast/core/fixed.hpp"
#include "ballast/market/instrument.hpp"
#include "ballast/market/position.hpp"

namespace ballast::market {

// (mark − index) / index, toward zero; nullopt unless index > 0 (or on overflow).
std::optional<Ratio> premium_from_mark(Price mark, Price index);

// dYdX: (max(0, impact_bid − index) − max(0, index − impact_ask)) / index, toward zero; zero
// while the index lies between the impact prices.
std::optional<Ratio> premium_from_impact(Price impact_bid, Price impact_ask, Price index);

// The premium the instrument's funding parameters ask for: from impact prices when
// impact_premium is set (dYdX), from mark vs index otherwise.
struct PremiumInputs {
  Price mark;
  Price index;
  Price impact_bid;
  Price impact_ask;
};
std::optional<Ratio> premium(const FundingParams& params, const PremiumInputs& inputs);

// The mean of premium samples (dYdX samples each minute and averages over the hour), toward
// zero; nullopt for no samples.
std::optional<Ratio> average_premium(std::span<const Ratio> samples);

// dYdX's clamp on |rate| per 8-hour interval: 6 × (initial − maintenance margin fraction).
std::optional<Ratio> dydx_funding_clamp(Ratio initial_fraction, Ratio maintenance_fraction);

// clamp(premium + base_rate, −clamp, +clamp) per interval; exact (no rounding).
Ratio funding_rate(Ratio premium, const FundingParams& params);

// rate × index_price × contract_size × elapsed / interval: the index move over `elapsed_ns` at
// `rate` per interval, toward zero, computed exactly (one rounding, 256-bit intermediate).
// index_price > 0, contract_size > 0, elapsed_ns >= 0, interval_ns > 0; nullopt on overflow.
std::optional<FundingIndex> funding_index_step(Ratio rate, Price index_price,
                                               Quantity contract_size, TimestampNs elapsed_ns,
                                               TimestampNs interval_ns);

// One perpetual's cumulative index and the time it was last accrued to.
struct FundingAccrual {
  FundingIndex index;
  TimestampNs updated_ns = 0;
};

// Accrues `rate` (per the instrument's interval) at `index_price` from updated_ns to now_ns
// (now_ns >= updated_ns); nullopt when the index would leave its range.
std::optional<FundingAccrual> accrue_funding(const FundingAccrual& accrual,
                                             const Instrument& perpetual, Ratio rate,
                                             Price index_price, TimestampNs now_ns);

}  // namespace ballast::market
