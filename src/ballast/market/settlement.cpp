#include "ballast/market/settlement.hpp"

#include <algorithm>
#include <cstddef>

namespace ballast::market {
namespace {

bool strictly_increasing(std::span<const PriceSample> samples) {
  return std::adjacent_find(samples.begin(), samples.end(), [](const auto& a, const auto& b) {
           return a.ts_ns >= b.ts_ns;
         }) == samples.end();
}

}  // namespace

WindowAverage::WindowAverage(TimestampNs start_ns, TimestampNs end_ns)
    : start_ns_(start_ns), end_ns_(end_ns) {
  BALLAST_ASSERT(start_ns <= end_ns);
}

std::optional<WindowAverage> WindowAverage::restore(TimestampNs start_ns, TimestampNs end_ns,
                                                    const State& state) {
  if (start_ns > end_ns) return std::nullopt;
  const auto& last = state.last;
  const bool shape =
      state.weighted >= 0 && (!last || (last->ts_ns <= end_ns && last->price.raw() > 0)) &&
      // from_ns is set by the first sample after start_ns, which is then or later the last one.
      (state.from_ns ? last && last->ts_ns > start_ns && *state.from_ns >= start_ns &&
                           *state.from_ns <= last->ts_ns
                     : state.weighted == 0 && (!last || last->ts_ns <= start_ns));
  if (!shape) return std::nullopt;
  WindowAverage window(start_ns, end_ns);
  window.state_ = state;
  return window;
}

void WindowAverage::record(PriceSample sample) {
  std::optional<PriceSample>& last = state_.last;
  BALLAST_ASSERT(!last || sample.ts_ns >= last->ts_ns);
  if (sample.ts_ns > end_ns_) return;
  if (last && sample.ts_ns == last->ts_ns) {
    last->price = sample.price;
    return;
  }
  if (sample.ts_ns > start_ns_) {
    // The first sample inside the window: the average starts at start_ns if a price was already
    // in force there, else at this sample.
    if (!state_.from_ns) state_.from_ns = last ? start_ns_ : sample.ts_ns;
    if (last) {
      // Σ price × duration fits in 128 bits: |price| < 2^63 and the durations sum to < 2^63.
      state_.weighted += static_cast<int128>(last->price.raw()) *
                         (sample.ts_ns - std::max(*state_.from_ns, last->ts_ns));
    }
  }
  last = sample;
}

std::optional<Price> WindowAverage::average(Round round) const {
  const std::optional<PriceSample>& last = state_.last;
  if (!last) return std::nullopt;
  const TimestampNs from_ns = state_.from_ns.value_or(start_ns_);
  if (from_ns == end_ns_) return last->price;
  const int128 weighted = state_.weighted + static_cast<int128>(last->price.raw()) *
                                                (end_ns_ - std::max(from_ns, last->ts_ns));
  return Price::from_raw(static_cast<std::int64_t>(div_round(weighted, end_ns_ - from_ns, round)));
}

std::optional<Price> time_weighted_price(std::span<const PriceSample> samples,
                                         TimestampNs start_ns, TimestampNs end_ns, Round round) {
  BALLAST_ASSERT(strictly_increasing(samples));  // once per window: cheap enough to keep on
  WindowAverage window(start_ns, end_ns);
  for (const PriceSample& sample : samples) window.record(sample);
  return window.average(round);
}

WindowAverage settlement_window(const Instrument& instrument) {
  BALLAST_ASSERT(instrument.has_expiry());
  return WindowAverage(instrument.expiry_ns - instrument.settlement_window_ns,
                       instrument.expiry_ns);
}

std::optional<Price> settlement_price(const Instrument& instrument,
                                      std::span<const PriceSample> index_samples) {
  BALLAST_ASSERT(instrument.has_expiry());
  return time_weighted_price(index_samples, instrument.expiry_ns - instrument.settlement_window_ns,
                             instrument.expiry_ns, Round::down);
}

Price option_intrinsic(const Instrument& option, Price settlement) {
  BALLAST_ASSERT(option.kind == InstrumentKind::option && settlement.raw() >= 0);
  // Both prices are non-negative, so the difference cannot overflow.
  const std::int64_t call = settlement.raw() - option.strike.raw();
  const std::int64_t payoff = option.option_kind == OptionKind::call ? call : -call;
  return Price::from_raw(std::max<std::int64_t>(payoff, 0));
}

std::optional<ExpirySettlement> settle_at_expiry(const Position& position,
                                                 const Instrument& instrument,
                                                 Price settlement) {
  BALLAST_ASSERT(instrument.has_expiry() && settlement.raw() >= 0);
  if (position.size.is_zero()) return ExpirySettlement{position, Money{}, Money{}};
  const bool option = instrument.kind == InstrumentKind::option;
  const Price close_price = option ? option_intrinsic(instrument, settlement) : settlement;
  // Expiry closes the position as a fill at the close price would: the same rounding.
  const auto closing_size = checked_neg(position.size);
  if (!closing_size) return std::nullopt;
  const Fill closing{{}, {}, instrument.id, *closing_size, close_price, Money{}};
  const auto change = apply_fill(position, closing, instrument.contract_size,
                                 position.funding_snapshot);
  if (!change) return std::nullopt;
  // A future's cash is its PnL; an option's is its payoff, the value its close "sold" for.
  const auto payoff = checked_neg(change->value);
  if (!payoff) return std::nullopt;
  return ExpirySettlement{change->position, option ? *payoff : change->realized_pnl,
                          change->realized_pnl};
}

}  // namespace ballast::market
