#include "ballast/sim/liquidity.hpp"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <cmath>
#include <system_error>
#include <utility>

#include "ballast/core/assert.hpp"
#include "ballast/pricing/dmath.hpp"

namespace ballast::sim {
namespace {

namespace dmath = pricing::dmath;

constexpr double kLn2 = 0.693147180559945309417232121458;

// The shortest text that reads back as the same double: a message shows the exact value that
// failed (12.6, 0.30000000000000004), not a six-digit rounding of it.
std::string number(double value) {
  char text[32];
  const std::to_chars_result written = std::to_chars(text, text + sizeof text, value);
  BALLAST_ASSERT(written.ec == std::errc{});
  return std::string(text, written.ptr);
}

Error invalid(std::string message) {
  return make_error(ErrorCode::invalid_input, std::move(message));
}

// x^r for x in [0, 1] by the deterministic exp and log; 0^r = 0 (r > 0).
double power(double x, double r) {
  return x > 0.0 ? dmath::exp(r * dmath::log(x)) : 0.0;
}

// venue: "pool" or "book"; the message is built only on failure (impact is on the hot path).
Outcome check_size(const char* venue, const std::string& asset, Side side, double size_base) {
  if (!std::isfinite(size_base) || !(size_base > 0.0)) {
    return invalid(std::string(venue) + " " + asset + ": " + side_name(side) + " of " + number(size_base) +
                   " base: the size must be positive and finite");
  }
  return Ok{};
}

void check_multiplier(double m) {
  // Scenario depth series are checked positive (check_knots): anything else is a caller's bug.
  BALLAST_ASSERT(std::isfinite(m) && m > 0.0);
}

}  // namespace

const char* side_name(Side side) noexcept {
  return side == Side::sell ? "sell" : "buy";
}

double Fill::slippage() const {
  return std::abs(average_price / start_price - 1.0);
}

double Fill::price_impact() const {
  return std::abs(end_price / start_price - 1.0);
}

double half_life_decay(double dt_s, double half_life_s) {
  BALLAST_ASSERT(dt_s >= 0.0 && half_life_s > 0.0);
  return dmath::exp(-kLn2 * (dt_s / half_life_s));
}

Outcome check_parameters(std::string_view owner, std::initializer_list<ParamCheck> checks) {
  for (const ParamCheck& check : checks) {
    const double v = check.value;
    const char* broken = !std::isfinite(v)                                             ? "not finite"
                         : check.bound == ParamBound::positive && !(v > 0.0)           ? "must be > 0"
                         : check.bound == ParamBound::non_negative && v < 0.0          ? "must be >= 0"
                         : check.bound == ParamBound::unit_interval && !(v < 1.0 && v >= 0.0) ? "must be in [0, 1)"
                                                                                       : nullptr;
    if (broken != nullptr) {
      return invalid(std::string(owner) + ": " + check.field + " = " + number(v) + ": " + broken);
    }
  }
  return Ok{};
}

// ---- ConstantProductPool ----

Result<ConstantProductPool> ConstantProductPool::make(PoolParams params) {
  const std::string owner = "pool " + params.asset;
  if (Outcome checked = check_parameters(owner, {{"reserve_base", params.reserve_base, ParamBound::positive},
                                                 {"reserve_quote", params.reserve_quote, ParamBound::positive},
                                                 {"fee", params.fee, ParamBound::unit_interval},
                                                 {"recovery_half_life_s", params.recovery_half_life_s,
                                                  ParamBound::positive}});
      !checked) {
    return std::move(checked).error();
  }
  ConstantProductPool pool;
  pool.asset_ = std::move(params.asset);
  pool.reserve_base_ = pool.calm_base_ = params.reserve_base;
  pool.reserve_quote_ = pool.calm_quote_ = params.reserve_quote;
  pool.fee_ = params.fee;
  pool.half_life_s_ = params.recovery_half_life_s;
  return pool;
}

Result<Fill> ConstantProductPool::impact(Side side, double size_base) const {
  if (Outcome checked = check_size("pool", asset_, side, size_base); !checked) {
    return std::move(checked).error();
  }
  const double x = reserve_base_;
  const double y = reserve_quote_;
  const double kept = 1.0 - fee_;
  Fill fill{.size_base = size_base, .start_price = y / x};
  if (side == Side::sell) {
    // getAmountOut: the fee is taken from the input, the rest trades on x·y = k.
    const double input = size_base * kept;
    fill.amount_quote = y * input / (x + input);
    fill.end_price = (y - fill.amount_quote) / (x + size_base);
  } else {
    if (!(size_base < x)) {
      return invalid("pool " + asset_ + ": buy of " + number(size_base) + " base: not below the reserve of " +
                     number(x) + " base");
    }
    // getAmountIn: the quote that, less the fee, keeps x·y = k after size_base leaves.
    fill.amount_quote = y * size_base / ((x - size_base) * kept);
    fill.end_price = (y + fill.amount_quote) / (x - size_base);
  }
  fill.average_price = fill.amount_quote / size_base;
  return fill;
}

Result<Fill> ConstantProductPool::consume(Side side, double size_base) {
  Result<Fill> fill = impact(side, size_base);
  if (fill) {
    const double sign = side == Side::sell ? 1.0 : -1.0;
    reserve_base_ += sign * fill->size_base;
    reserve_quote_ -= sign * fill->amount_quote;
  }
  return fill;
}

void ConstantProductPool::recover(double dt_s) {
  const double decay = half_life_decay(dt_s, half_life_s_);
  reserve_base_ = calm_reserve_base() + (reserve_base_ - calm_reserve_base()) * decay;
  reserve_quote_ = calm_reserve_quote() + (reserve_quote_ - calm_reserve_quote()) * decay;
}

void ConstantProductPool::set_depth_multiplier(double m) {
  check_multiplier(m);
  const double ratio = m / multiplier_;
  reserve_base_ *= ratio;
  reserve_quote_ *= ratio;
  multiplier_ = m;
}

void ConstantProductPool::set_mid_price(double price_quote_per_base) {
  BALLAST_ASSERT(std::isfinite(price_quote_per_base) && price_quote_per_base > 0.0);
  const double liquidity = std::sqrt(calm_base_ * calm_quote_);
  const double root_price = std::sqrt(price_quote_per_base);
  calm_base_ = liquidity / root_price;
  calm_quote_ = liquidity * root_price;
}

Result<double> ConstantProductPool::size_for_price_move(Side side, double fraction) const {
  const bool in_range = std::isfinite(fraction) && fraction > 0.0 && (side == Side::buy || fraction < 1.0);
  if (!in_range) {
    return invalid("pool " + asset_ + ": a " + side_name(side) + " price move of " + number(fraction) +
                   ": must be in " + (side == Side::sell ? "(0, 1)" : "(0, inf)"));
  }
  const double kept = 1.0 - fee_;
  // The header's quadratics, as a u² + b u - c = 0 (sell) and a u² - b u + c = 0 (buy).
  const double a = side == Side::sell ? kept : kept * (1.0 + fraction);
  const double b = side == Side::sell ? 1.0 + kept : 2.0 * a + fee_;
  const double c = side == Side::sell ? fraction / (1.0 - fraction) : kept * fraction;
  const double discriminant = b * b + (side == Side::sell ? 4.0 : -4.0) * a * c;
  return reserve_base_ * (2.0 * c / (b + std::sqrt(discriminant)));
}

// ---- DepthCurveBook ----

Result<DepthCurveBook> DepthCurveBook::make(BookParams params) {
  const std::string owner = "book " + params.asset;
  if (Outcome checked = check_parameters(owner, {{"mid_price", params.mid_price, ParamBound::positive},
                                                 {"depth_base", params.depth_base, ParamBound::positive},
                                                 {"max_distance", params.max_distance, ParamBound::positive},
                                                 {"depth_exponent", params.depth_exponent, ParamBound::positive},
                                                 {"recovery_half_life_s", params.recovery_half_life_s,
                                                  ParamBound::positive}});
      !checked) {
    return std::move(checked).error();
  }
  if (!(params.max_distance < 1.0)) {
    // A sell that far below the mid would fill at a price of zero or less.
    return invalid(owner + ": max_distance = " + number(params.max_distance) + ": must be below 1");
  }
  DepthCurveBook book;
  book.asset_ = std::move(params.asset);
  book.mid_ = params.mid_price;
  book.depth_base_ = params.depth_base;
  book.max_distance_ = params.max_distance;
  book.inverse_exponent_ = 1.0 / params.depth_exponent;
  book.half_life_s_ = params.recovery_half_life_s;
  return book;
}

double DepthCurveBook::available_base(Side side) const {
  return std::max(0.0, depth() - consumed_[index(side)]);
}

double DepthCurveBook::distance_at(double u) const {
  return max_distance_ * power(std::min(u / depth(), 1.0), inverse_exponent_);
}

double DepthCurveBook::price_at(Side side, double distance) const {
  return mid_ * (side == Side::sell ? 1.0 - distance : 1.0 + distance);
}

Result<Fill> DepthCurveBook::impact(Side side, double size_base) const {
  if (Outcome checked = check_size("book", asset_, side, size_base); !checked) {
    return std::move(checked).error();
  }
  const double available = available_base(side);
  if (!(size_base <= available)) {
    return invalid("book " + asset_ + ": " + side_name(side) + " of " + number(size_base) + " base exceeds the " +
                   number(available) + " base left within " + number(max_distance_ * 100.0) + "% of the mid");
  }
  const double depth_base = depth();
  const double consumed = consumed_[index(side)];
  const double r = 1.0 + inverse_exponent_;
  const double from = consumed / depth_base;
  const double to = std::min((consumed + size_base) / depth_base, 1.0);
  // The header's closed form: the mean of δ(u) over the slice [consumed, consumed + size].
  const double mean_distance =
      max_distance_ * depth_base / (size_base * r) * (power(to, r) - power(from, r));
  Fill fill{.size_base = size_base,
            .start_price = price_at(side, distance_at(consumed)),
            .average_price = price_at(side, mean_distance),
            .end_price = price_at(side, distance_at(consumed + size_base))};
  fill.amount_quote = fill.average_price * size_base;
  return fill;
}

Result<Fill> DepthCurveBook::consume(Side side, double size_base) {
  Result<Fill> fill = impact(side, size_base);
  if (fill) {
    consumed_[index(side)] += size_base;
  }
  return fill;
}

void DepthCurveBook::recover(double dt_s) {
  const double decay = half_life_decay(dt_s, half_life_s_);
  for (double& consumed : consumed_) consumed *= decay;
}

void DepthCurveBook::set_depth_multiplier(double m) {
  check_multiplier(m);
  multiplier_ = m;
}

void DepthCurveBook::set_mid_price(double price_quote_per_base) {
  BALLAST_ASSERT(std::isfinite(price_quote_per_base) && price_quote_per_base > 0.0);
  mid_ = price_quote_per_base;
}

double DepthCurveBook::touch_mid() const {
  return mid_ * (1.0 + (distance_at(consumed_[index(Side::buy)]) - distance_at(consumed_[index(Side::sell)])) / 2.0);
}

// ---- Venue ----

Result<Fill> impact(const Venue& venue, Side side, double size_base) {
  return std::visit([&](const auto& v) { return v.impact(side, size_base); }, venue);
}

Result<Fill> consume(Venue& venue, Side side, double size_base) {
  return std::visit([&](auto& v) { return v.consume(side, size_base); }, venue);
}

void recover(Venue& venue, double dt_s) {
  std::visit([&](auto& v) { v.recover(dt_s); }, venue);
}

void set_depth_multiplier(Venue& venue, double m) {
  std::visit([&](auto& v) { v.set_depth_multiplier(m); }, venue);
}

void set_mid_price(Venue& venue, double price_quote_per_base) {
  std::visit([&](auto& v) { v.set_mid_price(price_quote_per_base); }, venue);
}

double quoted_mid(const Venue& venue) {
  if (const auto* pool = std::get_if<ConstantProductPool>(&venue)) return pool->price();
  return std::get<DepthCurveBook>(venue).touch_mid();
}

}  // namespace ballast::sim
