#pragma once
// Instruments a venue lists (spot assets, linear perpetuals, dated futures, European options
// settled in a quote asset such as USDC) and the fills an external matcher reports on them.
//
// Sizes are counted in contracts; one contract is `contract_size` units of the underlying, and
// prices are quoted per unit of the underlying, so a fill's value is size × contract_size × price.
// validate() makes lot × contract_size a whole number of 1e-9 units: every on-lot size then has
// an exact exposure (exposure_of), and no value below is rounded twice.

#include <cstdint>
#include <optional>
#include <string>

#include "ballast/core/fixed.hpp"
#include "ballast/core/ids.hpp"
#include "ballast/core/result.hpp"
#include "ballast/pricing/black.hpp"

namespace ballast::market {

using pricing::OptionKind;

enum class InstrumentKind : std::uint8_t { spot, perpetual, future, option };

const char* instrument_kind_name(InstrumentKind kind) noexcept;

// Perpetual funding (docs: funding.hpp). The rate is quoted per interval (dYdX: 8 h, Drift and
// Hyperliquid: 1 h) and accrues pro rata for the time that passes.
struct FundingParams {
  TimestampNs interval_ns = 0;
  Ratio clamp;      // |rate| per interval is at most this (dYdX: 6 × (IMF − MMF))
  Ratio base_rate;  // added to the premium before the clamp (dYdX "default funding", HL interest)
  bool impact_premium = false;  // premium from impact bid/ask (dYdX) instead of mark vs index
};

struct Instrument {
  InstrumentId id;
  std::string symbol;  // 1..32 characters of A-Z 0-9 . - _
  InstrumentKind kind = InstrumentKind::spot;
  AssetId underlying;
  AssetId settle;  // the quote asset that prices, PnL and settlements are paid in
  Quantity contract_size;
  Price tick;
  Quantity lot;
  bool borrowable = false;  // spot only: the asset may be borrowed against collateral
  TimestampNs expiry_ns = 0;             // future and option; 0 for spot and perpetual
  TimestampNs settlement_window_ns = 0;  // expiry settles at the index TWAP over this window
  Price strike;                          // option only
  OptionKind option_kind = OptionKind::call;
  FundingParams funding;  // perpetual only

  // Arithmetic only (a negative price can be on tick); for a valid instrument.
  bool price_on_tick(Price price) const noexcept {
    BALLAST_ASSERT(tick.raw() > 0);
    return price.raw() % tick.raw() == 0;
  }
  bool size_on_lot(Quantity size) const noexcept {
    BALLAST_ASSERT(lot.raw() > 0);
    return size.raw() % lot.raw() == 0;
  }
  bool has_expiry() const noexcept {
    return kind == InstrumentKind::future || kind == InstrumentKind::option;
  }
  // Expired from the expiry instant on: the settlement window ends there.
  bool is_expired(TimestampNs now_ns) const noexcept { return has_expiry() && now_ns >= expiry_ns; }
};

// An invalid_input error naming the instrument and the first bad field, e.g.
// "instrument 7 (BTC-PERP): tick must be positive, got 0".
Outcome validate(const Instrument& instrument);

// size × contract_size in units of the underlying; exact for on-lot sizes of a valid instrument
// (asserted), nullopt when it leaves Quantity's range.
std::optional<Quantity> exposure_of(Quantity size, Quantity contract_size);

// One fill as the external matcher reports it, for one side: size > 0 buys, < 0 sells.
struct Fill {
  AccountId account;
  SubAccountId sub_account;
  InstrumentId instrument;
  Quantity size;
  Price price;  // per unit of the underlying
  Money fee;    // charged to this side; rebates arrive as their own events
};

// Answers of check_fill in precedence order: the shape of the fields first, then the
// instrument's state. Values, not exceptions: the engine records them.
enum class FillStatus : std::uint8_t {
  ok,
  size_zero,
  size_off_lot,
  price_not_positive,
  price_off_tick,
  fee_negative,
  instrument_expired,
};

const char* fill_status_name(FillStatus status) noexcept;

// The instrument must be the fill's (a caller's lookup error, asserted) and valid.
FillStatus check_fill(const Instrument& instrument, const Fill& fill, TimestampNs now_ns) noexcept;

}  // namespace ballast::market
