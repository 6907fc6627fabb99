#include "ballast/market/option_mark.hpp"

#include <algorithm>
#include <string>

#include "ballast/pricing/black.hpp"

namespace ballast::market {
namespace {

Error mark_error(const Instrument& option, ErrorCode code, const std::string& what) {
  return make_error(code, "option mark of instrument " + std::to_string(option.id.value) + " (" +
                              option.symbol + "): " + what);
}

auto by_asset = [](const std::pair<AssetId, pricing::VolSurface>& entry, AssetId id) {
  return entry.first < id;
};

}  // namespace

double year_fraction_act365(TimestampNs from_ns, TimestampNs to_ns) noexcept {
  if (to_ns <= from_ns) return 0.0;
  // One division of two doubles: the constant is exact, and so is the span below 2^53 ns (104
  // days); beyond that the span rounds once more, by under 1e-16 relative.
  return static_cast<double>(to_ns - from_ns) / static_cast<double>(kNsPerYearAct365);
}

Result<Price> option_mark(const Instrument& option, const OptionMarket& market, double vol,
                          Round round) {
  BALLAST_ASSERT(option.kind == InstrumentKind::option);
  pricing::Black76Input input;
  input.kind = option.option_kind;
  input.forward = market.forward;
  input.strike = option.strike.to_double();
  input.expiry_years = year_fraction_act365(market.now_ns, option.expiry_ns);
  input.discount = market.discount;
  input.vol = vol;
  Result<pricing::Greeks> greeks = pricing::price_black76(input);
  if (!greeks) return mark_error(option, ErrorCode::invalid_input, greeks.error().message);
  const auto mark = Price::from_double(greeks->price, round);
  if (!mark) {
    return mark_error(option, ErrorCode::invalid_input,
                      "value " + pricing::shortest_digits(greeks->price) + " is beyond a Price");
  }
  return *mark;
}

Result<Price> option_mark(const Instrument& option, const OptionMarket& market,
                          const pricing::VolSurface& surface, Round round) {
  BALLAST_ASSERT(option.kind == InstrumentKind::option);
  const double expiry_years = year_fraction_act365(market.now_ns, option.expiry_ns);
  Result<double> vol = surface.vol(option.strike.to_double(), expiry_years);
  if (!vol) return mark_error(option, ErrorCode::invalid_input, vol.error().message);
  return option_mark(option, market, *vol, round);
}

void VolSurfaces::set(AssetId underlying, pricing::VolSurface surface) {
  const auto at = std::lower_bound(surfaces_.begin(), surfaces_.end(), underlying, by_asset);
  if (at != surfaces_.end() && at->first == underlying) {
    at->second = std::move(surface);
  } else {
    surfaces_.emplace(at, underlying, std::move(surface));
  }
}

const pricing::VolSurface* VolSurfaces::find(AssetId underlying) const noexcept {
  const auto at = std::lower_bound(surfaces_.begin(), surfaces_.end(), underlying, by_asset);
  return at != surfaces_.end() && at->first == underlying ? &at->second : nullptr;
}

Result<Price> option_mark(const Instrument& option, const OptionMarket& market,
                          const VolSurfaces& surfaces, Round round) {
  const pricing::VolSurface* surface = surfaces.find(option.underlying);
  if (surface == nullptr) {
    return mark_error(option, ErrorCode::not_found,
                      "no volatility surface for asset " + std::to_string(option.underlying.value));
  }
  return option_mark(option, market, *surface, round);
}

}  // namespace ballast::market
