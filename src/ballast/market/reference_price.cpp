#include "ballast/market/reference_price.hpp"

#include <algorithm>
#include <string>

namespace ballast::market {
namespace {

Error config_error(const char* field, const std::string& wanted) {
  return make_error(ErrorCode::invalid_input,
                    std::string("stable price config: ") + field + " must be " + wanted);
}

bool in_unit_interval(Ratio value) { return value.raw() >= 0 && value.raw() <= Ratio::kScale; }

Price narrow_price(int128 raw) {
  const auto narrowed = narrow_i64(raw);
  BALLAST_ASSERT(narrowed.has_value());
  return Price::from_raw(*narrowed);
}

// stable_growth_limit_per_s * r^2 * dt_s with r = min/max of the two prices. Each of the three
// steps rounds down, so the allowed growth never exceeds the exact product: the stable price
// moves no faster than Mango's formula allows.
Ratio step_growth(const StablePriceConfig& config, Price stable, Price delay, TimestampNs dt_ns) {
  const Price low = std::min(stable, delay);
  const Price high = std::max(stable, delay);
  const Ratio r = div<Ratio>(low, high, Round::down).value();  // in (0, 1]
  const Ratio r_squared = mul<Ratio>(r, r, Round::down).value();
  const Ratio per_s = mul<Ratio>(config.stable_growth_limit_per_s, r_squared, Round::down).value();
  // per_s * dt_s <= stable_growth_limit_per_s * max_dt <= 1 (validate), so it fits.
  return Ratio::from_raw(static_cast<std::int64_t>(
      div_round(static_cast<int128>(per_s.raw()) * dt_ns, kNsPerSecond, Round::down)));
}

}  // namespace

Outcome StablePriceConfig::validate() const {
  if (delay_interval_ns <= 0) {
    return config_error("delay_interval_ns", "positive, got " + std::to_string(delay_interval_ns));
  }
  if (!in_unit_interval(delay_growth_limit)) {
    return config_error("delay_growth_limit", "in [0, 1], got " + delay_growth_limit.to_string());
  }
  if (min_update_spacing_ns <= 0) {
    return config_error("min_update_spacing_ns",
                        "positive, got " + std::to_string(min_update_spacing_ns));
  }
  if (max_dt_ns < min_update_spacing_ns) {
    return config_error("max_dt_ns", ">= min_update_spacing_ns, got " + std::to_string(max_dt_ns));
  }
  // growth * max_dt <= 1, exactly: raw * max_dt_ns <= scale * 1e9.
  if (stable_growth_limit_per_s.is_negative() ||
      static_cast<int128>(stable_growth_limit_per_s.raw()) * max_dt_ns >
          static_cast<int128>(Ratio::kScale) * kNsPerSecond) {
    return config_error("stable_growth_limit_per_s",
                        ">= 0 with at most 1 per max_dt_ns, got " +
                            stable_growth_limit_per_s.to_string());
  }
  return Ok{};
}

Price clamp_growth(Price target, Price from, Ratio limit) {
  BALLAST_ASSERT(from.raw() > 0 && in_unit_interval(limit));
  const Price move = mul<Price>(from, limit, Round::down).value();  // <= from: fits
  const int128 low = static_cast<int128>(from.raw()) - move.raw();
  const int128 high = static_cast<int128>(from.raw()) + move.raw();
  // The result lies between from and target, both Prices, so it narrows.
  return narrow_price(std::clamp(static_cast<int128>(target.raw()), low, high));
}

StablePrice StablePrice::start(const StablePriceConfig& config, Price oracle_price,
                               TimestampNs now_ns) {
  BALLAST_ASSERT(oracle_price.raw() > 0 && config.delay_interval_ns > 0);
  StablePrice model;
  model.stable_ = oracle_price;
  model.delay_prices_.fill(oracle_price);
  model.interval_ = now_ns / config.delay_interval_ns;
  model.last_update_ns_ = now_ns;
  return model;
}

std::optional<StablePrice> StablePrice::restore(const StablePriceConfig& config,
                                                const State& state) {
  const bool prices_positive =
      state.stable.raw() > 0 && std::all_of(state.delay_prices.begin(), state.delay_prices.end(),
                                            [](Price p) { return p.raw() > 0; });
  if (!prices_positive || state.accumulated_price_ns < 0 || state.accumulated_ns < 0 ||
      state.last_update_ns < 0 || state.interval != state.last_update_ns / config.delay_interval_ns) {
    return std::nullopt;
  }
  StablePrice model;
  model.stable_ = state.stable;
  model.delay_prices_ = state.delay_prices;
  model.accumulated_price_ns_ = state.accumulated_price_ns;
  model.accumulated_ns_ = state.accumulated_ns;
  model.interval_ = state.interval;
  model.last_update_ns_ = state.last_update_ns;
  return model;
}

StablePrice::State StablePrice::state() const {
  return State{stable_,   delay_prices_, accumulated_price_ns_, accumulated_ns_,
               interval_, last_update_ns_};
}

StableUpdate StablePrice::update(const StablePriceConfig& config, Price oracle_price,
                                 TimestampNs now_ns) {
  if (oracle_price.raw() <= 0) {
    return StableUpdate::non_positive;
  }
  const TimestampNs dt_ns = now_ns - last_update_ns_;
  if (dt_ns < config.min_update_spacing_ns) {
    return StableUpdate::too_soon;
  }
  const TimestampNs capped_dt_ns = std::min(dt_ns, config.max_dt_ns);
  last_update_ns_ = now_ns;

  // The new price stood for the time since the last update (as in Mango).
  accumulated_price_ns_ += static_cast<int128>(oracle_price.raw()) * capped_dt_ns;
  accumulated_ns_ += capped_dt_ns;
  const std::int64_t interval = now_ns / config.delay_interval_ns;
  if (interval != interval_) {
    close_intervals(config, interval);
  }

  const Ratio growth = step_growth(config, stable_, delay_price(), capped_dt_ns);
  stable_ = clamp_growth(oracle_price, stable_, growth);
  return StableUpdate::updated;
}

// The open interval's average, clamped against the newest stored delay price, fills every
// interval from the last one up to (not including) the current one: intervals skipped by a gap
// get the same value, and a gap of a whole delay or more refreshes them all.
void StablePrice::close_intervals(const StablePriceConfig& config, std::int64_t interval) {
  BALLAST_ASSERT(interval > interval_ && accumulated_ns_ > 0);
  // The average has no side to favour (it only sets how fast the stable price may move);
  // rounded down, named so replays agree.
  const Price average = narrow_price(div_round(accumulated_price_ns_, accumulated_ns_, Round::down));
  const Price delay = clamp_growth(average, newest_delay_price(), config.delay_growth_limit);
  const std::int64_t filled =
      std::min<std::int64_t>(interval - interval_, static_cast<std::int64_t>(kDelayIntervals));
  for (std::int64_t i = 0; i < filled; ++i) {
    delay_prices_[slot(interval_ + i)] = delay;
  }
  accumulated_price_ns_ = 0;
  accumulated_ns_ = 0;
  interval_ = interval;
}

Price time_average(int128 integral, TimestampNs duration_ns, Round round) {
  BALLAST_ASSERT(duration_ns > 0);
  return narrow_price(div_round(integral, duration_ns, round));
}

Ema::Ema(TimestampNs period_ns) : period_ns_(period_ns) {
  BALLAST_ASSERT(period_ns > 0 && period_ns <= kMaxEmaPeriodNs);
}

void Ema::update(Price value, TimestampNs now_ns) {
  if (!value_) {
    value_ = value;
    last_ns_ = now_ns;
    return;
  }
  BALLAST_ASSERT(now_ns >= last_ns_);
  const TimestampNs since_ns = now_ns - last_ns_;
  last_ns_ = now_ns;
  if (since_ns >= period_ns_) {
    value_ = value;  // it stood a whole period: the old average has no weight left
    return;
  }
  const TimestampNs rest_ns = period_ns_ - since_ns;
  // Both weights are below a year in ns (< 2^55) and prices below 2^63: products < 2^118.
  const int128 weighted = static_cast<int128>(value.raw()) * since_ns +
                          static_cast<int128>(value_->raw()) * rest_ns;
  const Round toward_value = value > *value_ ? Round::up : Round::down;
  value_ = narrow_price(div_round(weighted, period_ns_, toward_value));
}

// --- Mark price ---------------------------------------------------------------------------------

std::optional<Price> book_mid(std::optional<Price> best_bid, std::optional<Price> best_ask) {
  if (!best_bid || !best_ask) {
    return std::nullopt;
  }
  std::array<Price, 2> sides{*best_bid, *best_ask};
  return median_in_place(sides, Round::down);
}

namespace {

// The median of the present values, rounded down on even counts; nullopt when none is present.
template <std::size_t N>
std::optional<Price> median_of_present(const std::array<std::optional<Price>, N>& values) {
  std::array<Price, N> present{};
  std::size_t count = 0;
  for (const auto& value : values) {
    if (value) present[count++] = *value;
  }
  if (count == 0) {
    return std::nullopt;
  }
  return median_in_place(std::span(present.data(), count), Round::down);
}

}  // namespace

std::optional<Price> mark_price(const MarkPriceInputs& inputs) {
  BALLAST_ASSERT(inputs.oracle.raw() > 0 && inputs.external_perp_mids.size() <= kMaxOracleSources);
  const auto oracle_with_basis =
      checked_add(inputs.oracle, inputs.basis_ema.value_or(Price::from_raw(0)));
  if (!oracle_with_basis) {
    return std::nullopt;
  }
  const std::optional<Price> book = median_of_present(std::array<std::optional<Price>, 3>{
      inputs.best_bid, inputs.best_ask, inputs.last_trade});
  std::optional<Price> external;
  if (!inputs.external_perp_mids.empty()) {
    std::array<Price, kMaxOracleSources> mids{};
    std::copy(inputs.external_perp_mids.begin(), inputs.external_perp_mids.end(), mids.begin());
    external = median_in_place(std::span(mids.data(), inputs.external_perp_mids.size()), Round::down);
  }
  // With exactly two components Hyperliquid adds the book median's EMA as a third.
  const bool two_components = book.has_value() != external.has_value();
  const std::optional<Price> fourth = two_components ? inputs.book_median_ema : std::nullopt;
  return median_of_present(
      std::array<std::optional<Price>, 4>{oracle_with_basis, book, external, fourth});
}

}  // namespace ballast::market
