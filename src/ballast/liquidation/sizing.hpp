#pragma once
// Liquidation sizing (issue 6, item 3): how much of a position a liquidation closes, at which
// prices it may close, and what the insurance fund takes or pays. Pure, exact fixed-point math:
// no engine state, no clock, no allocation. The engine wires it in.
//
// Three families:
//   dYdX v4   bankruptcy quote, fillable price, insurance-fund delta (research/defi-engines.md,
//             (b) dYdX and (e) E1-E3), kept so that a venue configured like dYdX reproduces it.
//   Drift v2  base to liquidate for a margin shortage and the insurance-fund fee rule (E6).
//   Ballast   our own partial liquidation: restore maintenance health plus a buffer, clamped by a
//             close factor, a dust rule and per-account and per-event caps; a stage classifier
//             (partial, full close, backstop takeover); the band a liquidation price must lie in.
//
// Rounding (docs/ARCHITECTURE.md, "Liquidation and circuit breakers"): every function names its
// direction, always the protocol's side: sizes that restore health round up, caps round down,
// price limits round toward the oracle (the liquidator's discount is never larger than allowed),
// charges round up and payouts down.

#include <cstdint>
#include <optional>

#include "ballast/core/fixed.hpp"

namespace ballast::liquidation {

// ---------------------------------------------------------------------------------------------
// dYdX v4

// The quote-currency change at which closing part of a position leaves the account exactly at
// its share of bankruptcy: −ΔNNV − TNC·|ΔMMR|/TMMR. For the seller of a long it is the least the
// close must bring in; negative, the most the buyer of a short may pay. Rounded up (toward +∞):
// an account closed at the quote keeps at least its exact share of net collateral, so the
// remainder is never pushed nearer bankruptcy by the rounding.
//   net_notional_delta   signed change of the account's net notional value by the close
//                        (closing a long: negative)
//   maintenance_delta    change of the maintenance requirement by the close (sign ignored)
//   total_net_collateral TNC, may be negative
//   total_maintenance    TMMR, > 0 (asserted)
// nullopt when the result leaves Money's range.
std::optional<Money> dydx_bankruptcy_quote(Money net_notional_delta, Money maintenance_delta,
                                           Money total_net_collateral, Money total_maintenance);

struct DydxFillableInputs {
  Money position_net_notional;  // PNNV: size × oracle, signed
  Money position_maintenance;   // PMMR, ≥ 0
  Money total_net_collateral;   // TNC
  Money total_maintenance;      // TMMR, > 0
  Quantity size;                // signed, non-zero
  Ratio bankruptcy_adjustment;  // BA ≥ 0 (1 in dYdX's genesis)
  Ratio spread_to_maintenance;  // SMMR ≥ 0 (1.5 in dYdX's genesis, 0.1 in its unit tests)
};

// ABR = clamp(BA·(1 − TNC/TMMR), 0, 1), rounded down: a smaller ABR keeps the limit nearer the
// oracle, which is the side that protects the account and the insurance fund.
Ratio dydx_adjusted_bankruptcy_ratio(Ratio bankruptcy_adjustment, Money total_net_collateral,
                                     Money total_maintenance);

// The worst price a liquidation order of the whole position accepts: (PNNV − ABR·SMMR·PMMR)/size.
// Each step rounds toward the tighter limit: ABR and its product down, the price up when the
// liquidation sells (a long) and down when it buys (a short). nullopt on overflow.
std::optional<Price> dydx_fillable_price(const DydxFillableInputs& in);

// Insurance-fund delta of a liquidation fill: surplus = proceeds − bankruptcy quote. A positive
// surplus pays the fund min(surplus, max_fee × |proceeds|), the fee rounded up (a charge) and then
// capped by the surplus, so it never takes more than the account has beyond bankruptcy; a
// surplus ≤ 0 is returned as it is: the fund pays it. nullopt on overflow.
std::optional<Money> dydx_insurance_fund_delta(Money proceeds, Money bankruptcy_quote, Ratio max_fee);

// ---------------------------------------------------------------------------------------------
// Drift v2

struct DriftShortageInputs {
  Money shortage;            // maintenance (plus buffer) minus collateral, > 0
  Ratio margin_ratio;        // MR including the liquidation buffer, per unit of notional
  Ratio liquidation_fee;     // paid to the liquidator, per unit of notional
  Ratio insurance_fee;       // paid to the insurance fund, per unit of notional
  Price oracle;              // > 0
  Price quote_price = Price::from_raw(Price::kScale);  // the quote asset's price, > 0
};

// Base to liquidate = shortage / (P·q·(MR − liq_fee − if_fee)): each unit closed frees MR of
// margin but costs the two fees. Rounded up: the freed margin per unit is rounded down and the
// quotient up, so the size covers at least the exact shortage (Drift's own test truncates: it
// reports 1.010101010 where we return 1.010101011). nullopt when the fees eat the whole margin
// ratio (no size restores health) or on overflow.
std::optional<Quantity> drift_base_to_cover(const DriftShortageInputs& in);

// The insurance-fund fee rate: min(max_if_fee, 0.95·(MR − liq_fee − shortage/(base·P))), at
// least 0. Drift bounds it so that the fee itself never creates a bankruptcy, so the bound wins
// over the fee-rounds-up rule: shortage/(base·P) rounds up and the result down (the fee amount
// charged from this rate then rounds up, as fees do). nullopt when base·P is zero.
std::optional<Ratio> drift_insurance_fee_rate(Ratio max_insurance_fee, Ratio margin_ratio, Ratio liquidation_fee,
                                              Money shortage, Quantity base, Price oracle);

// ---------------------------------------------------------------------------------------------
// Ballast: stages

// A group's maintenance side, as margin::MarginFigures reports it.
struct GroupHealth {
  Money maintenance_collateral;
  Money maintenance_requirement;

  Money health() const;  // collateral − requirement (asserts no overflow: both are Money sums)
};

// Thresholds on coverage = maintenance collateral / maintenance requirement (1 = the edge of
// liquidation), compared by cross-multiplication, never divided.
struct StageThresholds {
  Ratio full_close_below;  // coverage below this: close factor 100% (Aave: HF ≤ 0.95)
  Ratio backstop_below;    // coverage below this: the backstop vault takes over (Hyperliquid: 2/3)

  friend bool operator==(const StageThresholds&, const StageThresholds&) = default;
};

enum class Stage : std::uint8_t {
  healthy,     // requirement 0 or coverage ≥ 1: nothing to do
  partial,     // liquidatable; the close factor applies
  full_close,  // deeper: positions may be closed whole
  backstop,    // deeper still: the backstop vault takes the positions and the collateral over
};

const char* stage_name(Stage stage) noexcept;

// Requires 0 ≤ backstop_below ≤ full_close_below ≤ 1 (asserted; validate() checks it first).
Stage classify(const GroupHealth& group, const StageThresholds& thresholds);

// ---------------------------------------------------------------------------------------------
// Ballast: partial liquidation size

enum class SizingStatus : std::uint8_t {
  ok,
  not_liquidatable,  // health ≥ 0: nothing is closed
  params_invalid,    // see SizingParams::validate
  input_invalid,     // a non-positive size, lot, mark or release, or a negative cost or cap
  cannot_restore,    // closing a unit costs at least what it releases: closing makes it worse
  overflow,          // a figure beyond the fixed-point range
};

const char* sizing_status_name(SizingStatus status) noexcept;

struct SizingParams {
  Ratio close_factor;            // (0, 1]: the most of a position one partial liquidation closes
  StageThresholds stages;        // at or below full_close_below the close factor is 1
  Money min_leftover_notional;   // ≥ 0: a remainder worth less than this is closed too (dust)
  // The account's figures round value, credit and requirement once each per close (≤ 1 micro-unit
  // each, against the holder), so the target adds this allowance; 3 micro-units covers them.
  Money rounding_allowance = Money::from_raw(3);

  SizingStatus validate() const;  // ok or params_invalid

  friend bool operator==(const SizingParams&, const SizingParams&) = default;
};

struct SizingRequest {
  GroupHealth group;         // the group's maintenance figures now
  Money buffer;              // ≥ 0: the target is maintenance health ≥ buffer after the close
  Quantity position_size;    // signed, non-zero: the position being liquidated
  Quantity lot;              // > 0: closes are whole lots
  Price mark;                // > 0: values the remainder for the dust rule and the caps
  // Per unit closed: the maintenance requirement it releases (≥ 0) and what it costs the group's
  // health at the liquidation price (the discount to the mark plus fees, ≥ 0), both quote per unit
  // of base. The caller rounds release down and cost up so that the net is never overstated.
  Price release_per_unit;
  Price cost_per_unit;
  Money account_cap_remaining;  // ≥ 0: notional this account may still be liquidated in the window
  Money event_cap_remaining;    // ≥ 0: notional this event (block) may still liquidate venue-wide
};

// Why the size is what it is (bits, several may hold).
enum SizingLimit : std::uint8_t {
  limit_none = 0,
  limit_position = 1,      // the whole position is closed and still health may be short of target
  limit_close_factor = 2,  // the close factor cut the size below what restores the target
  limit_dust = 4,          // the remainder would have been dust: the whole position is closed
  limit_account_cap = 8,   // the account's notional cap cut the size
  limit_event_cap = 16,    // the event's notional cap cut the size
};

struct Sizing {
  SizingStatus status = SizingStatus::ok;
  Stage stage = Stage::healthy;
  Quantity close;           // unsigned amount of base to close, a whole number of lots
  Quantity needed;          // unsigned size that restores the target, whole lots, before clamps
  std::uint8_t limits = limit_none;  // SizingLimit bits

  bool capped() const { return (limits & (limit_account_cap | limit_event_cap)) != 0; }
};

// The size of a partial liquidation. needed = ceil((buffer + allowance − health) / (release − cost))
// rounded up to whole lots (restores at least the target); then at most close_factor × |size|
// (rounded up to a lot, so a liquidation always progresses) unless the stage is full_close or
// backstop; then, if the remainder's notional (rounded down) would be below the minimum leftover,
// the whole position (the dust rule wins over the close factor, as in Aave v3.3); then at most
// each cap / mark (rounded down to a lot: a cap is never exceeded, and caps win over dust).
Sizing size_liquidation(const SizingParams& params, const SizingRequest& request);

// The maintenance buffer for a target of (1 + buffer_ratio) × requirement, i.e. requirement ×
// buffer_ratio, rounded up (a requirement). nullopt on overflow.
std::optional<Money> maintenance_buffer(Money maintenance_requirement, Ratio buffer_ratio);

// ---------------------------------------------------------------------------------------------
// Ballast: the band a liquidation price must lie in

// The price at which closing the whole position (equity valued at `mark`) leaves equity exactly
// 0: mark − equity/size. Rounded up for a long (the account must receive at least it) and down for
// a short (must pay at most it). Saturates at Price's range instead of failing; it may be ≤ 0: a
// long then has no bankruptcy side (any price is solvent), a short no solvent price at all, and
// the band says so (empty).
Price bankruptcy_price(Money equity, Quantity size, Price mark);

struct PriceBand {
  Price low;
  Price high;
  friend bool operator==(const PriceBand&, const PriceBand&) = default;
};

enum class BandStatus : std::uint8_t {
  ok,
  input_invalid,  // size 0, oracle ≤ 0, or a discount outside [0, 1)
  empty,          // the bankruptcy side lies beyond the oracle: no price avoids bad debt
  overflow,
};

const char* band_status_name(BandStatus status) noexcept;

struct BandOutcome {
  BandStatus status = BandStatus::ok;
  PriceBand band;
};

// Where a position may close against the liquidator. A long (the account sells) closes in
// [max(bankruptcy, oracle × (1 − max_discount)), oracle]; a short (the account buys) in
// [oracle, min(bankruptcy, oracle × (1 + max_discount))]. The discounted bound rounds toward the
// oracle, so the liquidator's discount never exceeds max_discount. Without a bankruptcy price (the
// caller has none, e.g. the account has other collateral) only the discount bounds the band.
BandOutcome liquidation_price_band(Quantity size, Price oracle, Ratio max_discount,
                                   std::optional<Price> bankruptcy);

// oracle × (1 − discount) for a long (the account sells), oracle × (1 + discount) for a short (it
// buys), rounded toward the oracle: the liquidator's discount is never more than asked. The band's
// discounted bound and the auction's price (auction.hpp) both come from here. discount in [0, 1)
// (asserted); nullopt on overflow.
std::optional<Price> discounted_price(Quantity position_size, Price oracle, Ratio discount);

// Whether a liquidator-submitted price is inside the band (bounds included).
bool price_in_band(const PriceBand& band, Price price);

}  // namespace ballast::liquidation
