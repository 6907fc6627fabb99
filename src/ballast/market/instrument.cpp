#include "ballast/market/instrument.hpp"

#include <algorithm>
#include <string_view>

namespace ballast::market {
namespace {

constexpr std::size_t kSymbolLengthMax = 32;  // room for "BTC-27JUN25-100000-C"

bool symbol_valid(std::string_view symbol) {
  if (symbol.empty() || symbol.size() > kSymbolLengthMax) {
    return false;
  }
  return std::all_of(symbol.begin(), symbol.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
  });
}

Error field_error(const Instrument& instrument, const char* what, const std::string& got) {
  return make_error(ErrorCode::invalid_input, "instrument " + std::to_string(instrument.id.value) +
                                                  " (" + instrument.symbol + "): " + what +
                                                  ", got " + got);
}

template <typename T>
Error fixed_error(const Instrument& instrument, const char* what, T value) {
  return field_error(instrument, what, value.to_string());
}

// Lot × contract size must be a whole number of 1e-9 units, so every on-lot size has an exact
// exposure and a fill's value rounds once (at the price), never twice.
bool lot_exposure_exact(const Instrument& instrument) {
  const int128 product = static_cast<int128>(instrument.lot.raw()) * instrument.contract_size.raw();
  return product % Quantity::kScale == 0;
}

Outcome validate_common(const Instrument& in) {
  if (!symbol_valid(in.symbol)) {
    return field_error(in, "symbol must be 1..32 characters of A-Z 0-9 . - _", '"' + in.symbol + '"');
  }
  if (in.underlying == in.settle) {
    return field_error(in, "underlying and settle must be different assets",
                       std::to_string(in.underlying.value));
  }
  if (in.contract_size.raw() <= 0) return fixed_error(in, "contract_size must be positive", in.contract_size);
  if (in.tick.raw() <= 0) return fixed_error(in, "tick must be positive", in.tick);
  if (in.lot.raw() <= 0) return fixed_error(in, "lot must be positive", in.lot);
  if (!lot_exposure_exact(in)) {
    return fixed_error(in, "lot × contract_size must be a multiple of 0.000000001", in.lot);
  }
  return Ok{};
}

Outcome validate_expiry(const Instrument& in) {
  if (in.expiry_ns <= 0) return field_error(in, "expiry_ns must be positive", std::to_string(in.expiry_ns));
  if (in.settlement_window_ns < 0 || in.settlement_window_ns > in.expiry_ns) {
    return field_error(in, "settlement_window_ns must be in [0, expiry_ns]",
                       std::to_string(in.settlement_window_ns));
  }
  return Ok{};
}

Outcome validate_no_expiry(const Instrument& in) {
  if (in.expiry_ns != 0) return field_error(in, "expiry_ns must be 0", std::to_string(in.expiry_ns));
  if (in.settlement_window_ns != 0) {
    return field_error(in, "settlement_window_ns must be 0", std::to_string(in.settlement_window_ns));
  }
  return Ok{};
}

Outcome validate_funding(const Instrument& in) {
  const FundingParams& f = in.funding;
  if (f.interval_ns <= 0) {
    return field_error(in, "funding interval_ns must be positive", std::to_string(f.interval_ns));
  }
  if (f.clamp.raw() < 0) return fixed_error(in, "funding clamp must not be negative", f.clamp);
  if (f.clamp.raw() > Ratio::kScale) return fixed_error(in, "funding clamp must be at most 1", f.clamp);
  if (f.base_rate < Ratio::from_raw(-Ratio::kScale) || f.base_rate > Ratio::from_raw(Ratio::kScale)) {
    return fixed_error(in, "funding base_rate must be in [-1, 1]", f.base_rate);
  }
  return Ok{};
}

// Fields that belong to another kind must be left at zero: a strike on a future is a
// configuration mistake, not something to ignore.
Outcome validate_unused(const Instrument& in) {
  if (in.kind != InstrumentKind::option && !in.strike.is_zero()) {
    return fixed_error(in, "strike is for options only", in.strike);
  }
  if (in.kind != InstrumentKind::spot && in.borrowable) {
    return field_error(in, "borrowable is for spot only", "true");
  }
  if (in.kind != InstrumentKind::perpetual && in.funding.interval_ns != 0) {
    return field_error(in, "funding is for perpetuals only", std::to_string(in.funding.interval_ns));
  }
  return Ok{};
}

Outcome validate_kind(const Instrument& in) {
  switch (in.kind) {
    case InstrumentKind::spot:
      return validate_no_expiry(in);
    case InstrumentKind::perpetual: {
      Outcome no_expiry = validate_no_expiry(in);
      return no_expiry ? validate_funding(in) : no_expiry;
    }
    case InstrumentKind::future:
      return validate_expiry(in);
    case InstrumentKind::option: {
      if (in.strike.raw() <= 0) return fixed_error(in, "strike must be positive", in.strike);
      if (in.option_kind != OptionKind::call && in.option_kind != OptionKind::put) {
        return field_error(in, "option_kind must be call or put",
                           std::to_string(static_cast<int>(in.option_kind)));
      }
      return validate_expiry(in);
    }
  }
  return field_error(in, "kind must be spot, perpetual, future or option",
                     std::to_string(static_cast<int>(in.kind)));
}

}  // namespace

const char* instrument_kind_name(InstrumentKind kind) noexcept {
  switch (kind) {
    case InstrumentKind::spot: return "spot";
    case InstrumentKind::perpetual: return "perpetual";
    case InstrumentKind::future: return "future";
    case InstrumentKind::option: return "option";
  }
  return "unknown";
}

Outcome validate(const Instrument& instrument) {
  for (auto check : {validate_common, validate_kind, validate_unused}) {
    Outcome outcome = check(instrument);
    if (!outcome) return outcome;
  }
  return Ok{};
}

std::optional<Quantity> exposure_of(Quantity size, Quantity contract_size) {
  const int128 product = static_cast<int128>(size.raw()) * contract_size.raw();
  BALLAST_ASSERT(product % Quantity::kScale == 0);  // on lot, and validate() checked the lot
  const auto raw = narrow_i64(product / Quantity::kScale);
  return raw ? std::optional<Quantity>(Quantity::from_raw(*raw)) : std::nullopt;
}

const char* fill_status_name(FillStatus status) noexcept {
  switch (status) {
    case FillStatus::ok: return "ok";
    case FillStatus::size_zero: return "size_zero";
    case FillStatus::size_off_lot: return "size_off_lot";
    case FillStatus::price_not_positive: return "price_not_positive";
    case FillStatus::price_off_tick: return "price_off_tick";
    case FillStatus::fee_negative: return "fee_negative";
    case FillStatus::instrument_expired: return "instrument_expired";
  }
  return "unknown";
}

FillStatus check_fill(const Instrument& instrument, const Fill& fill, TimestampNs now_ns) noexcept {
  BALLAST_ASSERT(instrument.id == fill.instrument);
  if (fill.size.is_zero()) return FillStatus::size_zero;
  if (!instrument.size_on_lot(fill.size)) return FillStatus::size_off_lot;
  if (fill.price.raw() <= 0) return FillStatus::price_not_positive;
  if (!instrument.price_on_tick(fill.price)) return FillStatus::price_off_tick;
  if (fill.fee.is_negative()) return FillStatus::fee_negative;
  if (instrument.is_expired(now_ns)) return FillStatus::instrument_expired;
  return FillStatus::ok;
}

}  // namespace ballast::market
