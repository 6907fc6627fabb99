#include "ballast/liquidation/sizing.hpp"

#include <algorithm>

#include "ballast/core/assert.hpp"

namespace ballast::liquidation {
namespace {

constexpr int128 kRatioScale = Ratio::kScale;

int128 abs128(int128 value) { return value < 0 ? -value : value; }

// value rounded up (away from zero for positives) to a whole number of lots; value ≥ 0, lot > 0.
int128 ceil_to_lot(int128 value, int128 lot) { return div_round(value, lot, Round::up) * lot; }
int128 floor_to_lot(int128 value, int128 lot) { return div_round(value, lot, Round::down) * lot; }

// How many base units (Quantity raw) a notional buys at a price, rounded down: a cap's size.
// Money(6) / Price(9) -> Quantity(9): raw × 10^12 / price raw.
int128 units_for_notional_down(Money notional, Price price) {
  return div_round(static_cast<int128>(notional.raw()) * pow10_i128(12), price.raw(), Round::down);
}

// coverage < threshold  <=>  collateral × 10^12 < requirement × threshold (requirement > 0).
bool coverage_below(const GroupHealth& group, Ratio threshold) {
  return static_cast<int128>(group.maintenance_collateral.raw()) * kRatioScale <
         static_cast<int128>(group.maintenance_requirement.raw()) * threshold.raw();
}

bool thresholds_ordered(const StageThresholds& t) {
  return t.backstop_below.raw() >= 0 && t.backstop_below <= t.full_close_below &&
         t.full_close_below.raw() <= Ratio::kScale;
}

bool request_valid(const SizingRequest& r) {
  return !r.position_size.is_zero() && r.lot.raw() > 0 && r.mark.raw() > 0 && !r.release_per_unit.is_negative() &&
         !r.cost_per_unit.is_negative() && !r.buffer.is_negative() && !r.account_cap_remaining.is_negative() &&
         !r.event_cap_remaining.is_negative();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// dYdX v4

std::optional<Money> dydx_bankruptcy_quote(Money net_notional_delta, Money maintenance_delta,
                                           Money total_net_collateral, Money total_maintenance) {
  BALLAST_ASSERT(total_maintenance.raw() > 0);
  // −TNC·|ΔMMR|/TMMR rounded up once, then −ΔNNV added exactly.
  const int128 share = div_round(-static_cast<int128>(total_net_collateral.raw()) *
                                     abs128(maintenance_delta.raw()),
                                 total_maintenance.raw(), Round::up);
  const auto raw = narrow_i64(share - static_cast<int128>(net_notional_delta.raw()));
  return raw ? std::optional<Money>(Money::from_raw(*raw)) : std::nullopt;
}

Ratio dydx_adjusted_bankruptcy_ratio(Ratio bankruptcy_adjustment, Money total_net_collateral,
                                     Money total_maintenance) {
  BALLAST_ASSERT(total_maintenance.raw() > 0 && !bankruptcy_adjustment.is_negative());
  const int128 tmmr = total_maintenance.raw();
  const int128 gap = tmmr - total_net_collateral.raw();  // TMMR − TNC
  if (gap <= 0) {
    return Ratio{};
  }
  // BA ≥ 1 and gap ≥ TMMR already clamp to 1; otherwise BA·gap stays within 128 bits (one
  // factor is below 10^12 or below TMMR).
  if (bankruptcy_adjustment.raw() >= kRatioScale && gap >= tmmr) {
    return Ratio::from_raw(Ratio::kScale);
  }
  const int128 abr = div_round(static_cast<int128>(bankruptcy_adjustment.raw()) * gap, tmmr, Round::down);
  return Ratio::from_raw(static_cast<std::int64_t>(std::min<int128>(abr, kRatioScale)));
}

std::optional<Price> dydx_fillable_price(const DydxFillableInputs& in) {
  BALLAST_ASSERT(!in.size.is_zero() && !in.position_maintenance.is_negative() &&
                 !in.spread_to_maintenance.is_negative());
  const Ratio abr = dydx_adjusted_bankruptcy_ratio(in.bankruptcy_adjustment, in.total_net_collateral,
                                                   in.total_maintenance);
  const auto abr_smmr = mul<Ratio>(abr, in.spread_to_maintenance, Round::down);
  const auto adjustment = abr_smmr ? mul<Money>(*abr_smmr, in.position_maintenance, Round::down) : std::nullopt;
  const auto numerator = adjustment ? checked_sub(in.position_net_notional, *adjustment) : std::nullopt;
  if (!numerator) {
    return std::nullopt;
  }
  // A long is sold: its limit rounds up (demands more); a short is bought: its limit rounds down.
  return div<Price>(*numerator, in.size, in.size.raw() > 0 ? Round::up : Round::down);
}

std::optional<Money> dydx_insurance_fund_delta(Money proceeds, Money bankruptcy_quote, Ratio max_fee) {
  BALLAST_ASSERT(!max_fee.is_negative());
  const auto surplus = checked_sub(proceeds, bankruptcy_quote);
  if (!surplus || surplus->raw() <= 0) {
    return surplus;
  }
  const auto magnitude = proceeds.is_negative() ? checked_neg(proceeds) : std::optional<Money>(proceeds);
  const auto fee = magnitude ? mul<Money>(*magnitude, max_fee, Round::up) : std::nullopt;
  return fee ? std::optional<Money>(std::min(*surplus, *fee)) : std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Drift v2

std::optional<Quantity> drift_base_to_cover(const DriftShortageInputs& in) {
  BALLAST_ASSERT(in.oracle.raw() > 0 && in.quote_price.raw() > 0 && in.shortage.raw() > 0);
  const auto less_fee = checked_sub(in.margin_ratio, in.liquidation_fee);
  const auto net_ratio = less_fee ? checked_sub(*less_fee, in.insurance_fee) : std::nullopt;
  if (!net_ratio || net_ratio->raw() <= 0) {
    return std::nullopt;
  }
  // Margin freed per unit closed, quote per unit: rounded down, so the size rounds up.
  const auto quote_per_unit = mul<Price>(in.oracle, in.quote_price, Round::down);
  const auto freed_per_unit = quote_per_unit ? mul<Price>(*quote_per_unit, *net_ratio, Round::down) : std::nullopt;
  if (!freed_per_unit || freed_per_unit->raw() <= 0) {
    return std::nullopt;
  }
  return div<Quantity>(in.shortage, *freed_per_unit, Round::up);
}

std::optional<Ratio> drift_insurance_fee_rate(Ratio max_insurance_fee, Ratio margin_ratio, Ratio liquidation_fee,
                                              Money shortage, Quantity base, Price oracle) {
  BALLAST_ASSERT(!max_insurance_fee.is_negative());
  const auto notional = mul<Money>(base, oracle, Round::down);
  if (!notional || notional->raw() <= 0) {
    return std::nullopt;
  }
  const auto shortage_ratio = div<Ratio>(shortage, *notional, Round::up);
  const auto less_fee = checked_sub(margin_ratio, liquidation_fee);
  const auto room = (shortage_ratio && less_fee) ? checked_sub(*less_fee, *shortage_ratio) : std::nullopt;
  if (!room) {
    return std::nullopt;
  }
  // 95% of the room left after the shortage, so the fee never takes the account to bankruptcy.
  constexpr Ratio kDriftShare = Ratio::from_raw(950'000'000'000);
  const auto bounded = mul<Ratio>(*room, kDriftShare, Round::down);
  if (!bounded) {
    return std::nullopt;
  }
  return std::clamp(*bounded, Ratio{}, max_insurance_fee);
}

// ---------------------------------------------------------------------------------------------
// Ballast: stages

Money GroupHealth::health() const {
  const auto value = checked_sub(maintenance_collateral, maintenance_requirement);
  BALLAST_ASSERT(value.has_value());
  return *value;
}

const char* stage_name(Stage stage) noexcept {
  switch (stage) {
    case Stage::healthy: return "healthy";
    case Stage::partial: return "partial";
    case Stage::full_close: return "full_close";
    case Stage::backstop: return "backstop";
  }
  return "unknown";
}

Stage classify(const GroupHealth& group, const StageThresholds& thresholds) {
  BALLAST_ASSERT(thresholds_ordered(thresholds));
  // dYdX's rule: liquidatable only with a positive requirement and collateral below it.
  if (group.maintenance_requirement.raw() <= 0 || group.maintenance_collateral >= group.maintenance_requirement) {
    return Stage::healthy;
  }
  if (coverage_below(group, thresholds.backstop_below)) {
    return Stage::backstop;
  }
  return coverage_below(group, thresholds.full_close_below) ? Stage::full_close : Stage::partial;
}

// ---------------------------------------------------------------------------------------------
// Ballast: partial liquidation size

const char* sizing_status_name(SizingStatus status) noexcept {
  switch (status) {
    case SizingStatus::ok: return "ok";
    case SizingStatus::not_liquidatable: return "not_liquidatable";
    case SizingStatus::params_invalid: return "params_invalid";
    case SizingStatus::input_invalid: return "input_invalid";
    case SizingStatus::cannot_restore: return "cannot_restore";
    case SizingStatus::overflow: return "overflow";
  }
  return "unknown";
}

SizingStatus SizingParams::validate() const {
  const bool factor_ok = close_factor.raw() > 0 && close_factor.raw() <= Ratio::kScale;
  const bool ok = factor_ok && thresholds_ordered(stages) && !min_leftover_notional.is_negative() &&
                  !rounding_allowance.is_negative();
  return ok ? SizingStatus::ok : SizingStatus::params_invalid;
}

namespace {

// The unclamped size that restores the target, in Quantity raw, whole lots (below 2^110: no
// overflow).
int128 needed_units(const SizingParams& params, const SizingRequest& r, Money health,
                                   int128 net_per_unit) {
  const int128 shortfall =
      static_cast<int128>(r.buffer.raw()) + params.rounding_allowance.raw() - static_cast<int128>(health.raw());
  // Money(6) / Price(9) -> Quantity(9): raw × 10^12 / raw, up (at least the target).
  const int128 units = div_round(shortfall * pow10_i128(12), net_per_unit, Round::up);
  return ceil_to_lot(units, r.lot.raw());
}

// The close factor's cap for a partial stage: ceil(|size| × factor) to a whole lot, so that one
// lot can always be closed.
int128 close_factor_cap(Ratio factor, int128 size, int128 lot) {
  const int128 share = div_round(size * factor.raw(), kRatioScale, Round::up);
  return std::min(ceil_to_lot(share, lot), size);
}

// Applies one notional cap: the most units the cap buys at the mark, down to a whole lot.
void apply_cap(Money cap, const SizingRequest& r, SizingLimit flag, int128& close, std::uint8_t& limits) {
  const int128 allowed = units_for_notional_down(cap, r.mark);
  if (close > allowed) {
    close = floor_to_lot(allowed, r.lot.raw());
    limits = static_cast<std::uint8_t>(limits | flag);
  }
}

}  // namespace

Sizing size_liquidation(const SizingParams& params, const SizingRequest& r) {
  Sizing out;
  if (params.validate() != SizingStatus::ok) {
    out.status = SizingStatus::params_invalid;
    return out;
  }
  if (!request_valid(r)) {
    out.status = SizingStatus::input_invalid;
    return out;
  }
  out.stage = classify(r.group, params.stages);
  if (out.stage == Stage::healthy) {
    out.status = SizingStatus::not_liquidatable;
    return out;
  }
  const int128 net_per_unit = static_cast<int128>(r.release_per_unit.raw()) - r.cost_per_unit.raw();
  if (net_per_unit <= 0) {
    out.status = SizingStatus::cannot_restore;
    return out;
  }
  const int128 size = abs128(r.position_size.raw());
  const int128 needed = needed_units(params, r, r.group.health(), net_per_unit);
  out.needed = Quantity::from_raw(static_cast<std::int64_t>(std::min<int128>(needed, INT64_MAX)));
  int128 close = std::min(needed, size);
  if (needed > size) {
    out.limits |= limit_position;
  }
  if (out.stage == Stage::partial) {
    const int128 cap = close_factor_cap(params.close_factor, size, r.lot.raw());
    if (close > cap) {
      close = cap;
      out.limits |= limit_close_factor;
    }
  }
  // Dust: a remainder worth less than the minimum leftover (valued down) is closed too.
  const auto remainder_value = notional(Quantity::from_raw(static_cast<std::int64_t>(size - close)), r.mark, Round::down);
  if (close < size && (!remainder_value || *remainder_value < params.min_leftover_notional)) {
    close = size;
    out.limits |= limit_dust;
  }
  apply_cap(r.account_cap_remaining, r, limit_account_cap, close, out.limits);
  apply_cap(r.event_cap_remaining, r, limit_event_cap, close, out.limits);
  out.close = Quantity::from_raw(static_cast<std::int64_t>(close));
  return out;
}

std::optional<Money> maintenance_buffer(Money maintenance_requirement, Ratio buffer_ratio) {
  BALLAST_ASSERT(!buffer_ratio.is_negative());
  return mul<Money>(maintenance_requirement, buffer_ratio, Round::up);
}

// ---------------------------------------------------------------------------------------------
// Ballast: the price band

Price bankruptcy_price(Money equity, Quantity size, Price mark) {
  BALLAST_ASSERT(!size.is_zero());
  // equity/size as Price: Money(6) / Quantity(9) -> Price(9) is raw × 10^12 / raw. A long's price
  // rounds up, so its quotient rounds down; a short's the other way.
  const bool is_long = size.raw() > 0;
  const int128 numerator = static_cast<int128>(equity.raw()) * pow10_i128(12);
  const int128 per_unit = is_long ? div_round(numerator, size.raw(), Round::down)
                                  : div_round(-numerator, -static_cast<int128>(size.raw()), Round::up);
  const int128 price = static_cast<int128>(mark.raw()) - per_unit;
  return Price::from_raw(static_cast<std::int64_t>(std::clamp<int128>(price, INT64_MIN, INT64_MAX)));
}

const char* band_status_name(BandStatus status) noexcept {
  switch (status) {
    case BandStatus::ok: return "ok";
    case BandStatus::input_invalid: return "input_invalid";
    case BandStatus::empty: return "empty";
    case BandStatus::overflow: return "overflow";
  }
  return "unknown";
}

BandOutcome liquidation_price_band(Quantity size, Price oracle, Ratio max_discount, std::optional<Price> bankruptcy) {
  if (size.is_zero() || oracle.raw() <= 0 || max_discount.is_negative() || max_discount.raw() >= Ratio::kScale) {
    return {BandStatus::input_invalid, {}};
  }
  const bool is_long = size.raw() > 0;
  const auto bound = discounted_price(size, oracle, max_discount);
  if (!bound) {
    return {BandStatus::overflow, {}};
  }
  PriceBand band = is_long ? PriceBand{*bound, oracle} : PriceBand{oracle, *bound};
  if (bankruptcy) {
    band.low = is_long ? std::max(band.low, *bankruptcy) : band.low;
    band.high = is_long ? band.high : std::min(band.high, *bankruptcy);
  }
  return {band.low <= band.high ? BandStatus::ok : BandStatus::empty, band};
}

std::optional<Price> discounted_price(Quantity position_size, Price oracle, Ratio discount) {
  BALLAST_ASSERT(!position_size.is_zero() && oracle.raw() > 0 && !discount.is_negative() &&
                 discount.raw() < Ratio::kScale);
  const bool is_long = position_size.raw() > 0;
  const int128 factor = is_long ? kRatioScale - discount.raw() : kRatioScale + discount.raw();
  const int128 price = div_round(static_cast<int128>(oracle.raw()) * factor, kRatioScale,
                                 is_long ? Round::up : Round::down);
  const auto raw = narrow_i64(price);
  return raw ? std::optional<Price>(Price::from_raw(*raw)) : std::nullopt;
}

bool price_in_band(const PriceBand& band, Price price) { return band.low <= price && price <= band.high; }

}  // namespace ballast::liquidation
