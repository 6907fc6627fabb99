#include "ballast/market/settlement.hpp"

#include <algorithm>
#include <cstddef>

namespace ballast::market {
namespace {

// The last sample at or before `ts_ns`; samples.size() when there is none.
std::size_t in_force_at(std::span<const PriceSample> samples, TimestampNs ts_ns) {
  const auto after = std::upper_bound(
      samples.begin(), samples.end(), ts_ns,
      [](TimestampNs ts, const PriceSample& sample) { return ts < sample.ts_ns; });
  return after == samples.begin() ? samples.size()
                                  : static_cast<std::size_t>(after - samples.begin()) - 1;
}

bool strictly_increasing(std::span<const PriceSample> samples) {
  return std::adjacent_find(samples.begin(), samples.end(), [](const auto& a, const auto& b) {
           return a.ts_ns >= b.ts_ns;
         }) == samples.end();
}

}  // namespace

std::optional<Price> time_weighted_price(std::span<const PriceSample> samples,
                                         TimestampNs start_ns, TimestampNs end_ns, Round round) {
  BALLAST_ASSERT(start_ns <= end_ns);
  BALLAST_ASSERT(strictly_increasing(samples));  // once per window: cheap enough to keep on
  const std::size_t last = in_force_at(samples, end_ns);
  if (last == samples.size()) return std::nullopt;
  const std::size_t at_start = in_force_at(samples, start_ns);
  const std::size_t first = at_start == samples.size() ? 0 : at_start;
  const TimestampNs from_ns = std::max(start_ns, samples[first].ts_ns);
  if (from_ns == end_ns) return samples[last].price;
  // Σ price × duration fits in 128 bits: |price| < 2^63 and the durations sum to < 2^63.
  int128 weighted = 0;
  for (std::size_t i = first; i <= last; ++i) {
    const TimestampNs begin_ns = std::max(from_ns, samples[i].ts_ns);
    const TimestampNs finish_ns = i == last ? end_ns : samples[i + 1].ts_ns;
    weighted += static_cast<int128>(samples[i].price.raw()) * (finish_ns - begin_ns);
  }
  return Price::from_raw(static_cast<std::int64_t>(div_round(weighted, end_ns - from_ns, round)));
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
