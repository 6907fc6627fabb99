#pragma once
// Option marks: an option instrument valued by Black-76 (pricing/black.hpp) at the volatility a
// surface gives for its strike and expiry, turned into a fixed-point Price with a named rounding.
//
// Rounding (DESIGN principle 4: a double that decides something rounds in the protocol's
// favour): a mark that values a long holding (collateral credited) rounds down, a mark that
// values a short holding (a liability) rounds up. Callers pick with the Round argument.
//
// The mark is per unit of the underlying, as fill prices are: value = size × contract_size × mark.

#include <cstdint>
#include <utility>
#include <vector>

#include "ballast/core/fixed.hpp"
#include "ballast/core/ids.hpp"
#include "ballast/core/result.hpp"
#include "ballast/market/instrument.hpp"
#include "ballast/pricing/surface.hpp"

namespace ballast::market {

inline constexpr std::int64_t kNsPerYearAct365 = 365LL * 86'400 * 1'000'000'000;

// ACT/365 on seconds (DESIGN 4.2): (to − from) / 365 days, 0 once `to` has passed.
double year_fraction_act365(TimestampNs from_ns, TimestampNs to_ns) noexcept;

// The market inputs a mark needs besides the volatility. The forward is the underlying's
// forward to the expiry (the spot for a cash-settled option on a spot index with no carry);
// the discount factor is to the payment date (1 when the settle asset earns nothing).
struct OptionMarket {
  double forward = 0;
  double discount = 1;
  TimestampNs now_ns = 0;
};

// Black-76 at a given volatility. The instrument must be an option (asserted); bad market
// inputs (non-finite, non-positive forward, ...) and a value beyond Price's range are
// invalid_input errors naming the instrument.
Result<Price> option_mark(const Instrument& option, const OptionMarket& market, double vol,
                          Round round);

// The same at the surface's volatility for the option's strike and time to expiry.
Result<Price> option_mark(const Instrument& option, const OptionMarket& market,
                          const pricing::VolSurface& surface, Round round);

// One volatility surface per underlying asset. Kept sorted by asset id, so iteration order never
// depends on insertion order; lookups are a binary search.
class VolSurfaces {
 public:
  void set(AssetId underlying, pricing::VolSurface surface);
  const pricing::VolSurface* find(AssetId underlying) const noexcept;
  std::size_t size() const noexcept { return surfaces_.size(); }

 private:
  std::vector<std::pair<AssetId, pricing::VolSurface>> surfaces_;
};

// option_mark with the surface of the option's underlying; not_found when there is none.
Result<Price> option_mark(const Instrument& option, const OptionMarket& market,
                          const VolSurfaces& surfaces, Round round);

}  // namespace ballast::market
