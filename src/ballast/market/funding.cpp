#include "ballast/market/funding.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace ballast::market {
namespace {

__extension__ using uint128 = unsigned __int128;  // as int128 in fixed.hpp

// Toward zero in Fixed's vocabulary: down for a positive exact value, up for a negative one.
Round toward_zero(bool negative) { return negative ? Round::up : Round::down; }

// An unsigned 256-bit integer, just enough for a product of four 64-bit factors and its exact
// division by 64-bit divisors (the funding step's rate × price × size × time / interval).
struct U256 {
  std::array<std::uint64_t, 4> limb{};  // little-endian

  void multiply(std::uint64_t factor) {
    uint128 carry = 0;
    for (std::uint64_t& word : limb) {
      const uint128 product = static_cast<uint128>(word) * factor + carry;
      word = static_cast<std::uint64_t>(product);
      carry = product >> 64;
    }
    BALLAST_ASSERT(carry == 0);  // four factors below 2^64 each cannot carry out
  }

  // Floor division; nested floors compose: floor(floor(n / a) / b) = floor(n / (a b)).
  void divide(std::uint64_t divisor) {
    uint128 remainder = 0;
    for (auto word = limb.rbegin(); word != limb.rend(); ++word) {
      const uint128 current = (remainder << 64) | *word;
      *word = static_cast<std::uint64_t>(current / divisor);
      remainder = current % divisor;
    }
  }

  std::optional<std::int64_t> to_i64() const {
    if (limb[1] != 0 || limb[2] != 0 || limb[3] != 0 || limb[0] > INT64_MAX) return std::nullopt;
    return static_cast<std::int64_t>(limb[0]);
  }
};

std::uint64_t magnitude(std::int64_t value) {
  return value < 0 ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
}

std::optional<Ratio> relative_to_index(int128 difference_raw, Price index) {
  if (index.raw() <= 0) return std::nullopt;
  const auto difference = narrow_i64(difference_raw);
  if (!difference) return std::nullopt;
  return div<Ratio>(Price::from_raw(*difference), index, toward_zero(*difference < 0));
}

}  // namespace

std::optional<Ratio> premium_from_mark(Price mark, Price index) {
  return relative_to_index(static_cast<int128>(mark.raw()) - index.raw(), index);
}

std::optional<Ratio> premium_from_impact(Price impact_bid, Price impact_ask, Price index) {
  const int128 bid_above = std::max<int128>(0, static_cast<int128>(impact_bid.raw()) - index.raw());
  const int128 ask_below = std::max<int128>(0, static_cast<int128>(index.raw()) - impact_ask.raw());
  return relative_to_index(bid_above - ask_below, index);
}

std::optional<Ratio> premium(const FundingParams& params, const PremiumInputs& inputs) {
  return params.impact_premium
             ? premium_from_impact(inputs.impact_bid, inputs.impact_ask, inputs.index)
             : premium_from_mark(inputs.mark, inputs.index);
}

std::optional<Ratio> average_premium(std::span<const Ratio> samples) {
  if (samples.empty()) return std::nullopt;
  int128 sum = 0;  // 2^63 samples of 2^63 cannot overflow 2^127
  for (const Ratio sample : samples) sum += sample.raw();
  const int128 count = static_cast<int128>(samples.size());
  return Ratio::from_raw(static_cast<std::int64_t>(div_round(sum, count, toward_zero(sum < 0))));
}

std::optional<Ratio> dydx_funding_clamp(Ratio initial_fraction, Ratio maintenance_fraction) {
  const auto gap = checked_sub(initial_fraction, maintenance_fraction);
  if (!gap) return std::nullopt;
  const auto raw = narrow_i64(static_cast<int128>(gap->raw()) * 6);
  return raw ? std::optional<Ratio>(Ratio::from_raw(*raw)) : std::nullopt;
}

Ratio funding_rate(Ratio premium, const FundingParams& params) {
  BALLAST_ASSERT(params.clamp.raw() >= 0);
  const int128 rate = static_cast<int128>(premium.raw()) + params.base_rate.raw();
  const int128 bound = params.clamp.raw();
  return Ratio::from_raw(static_cast<std::int64_t>(std::clamp(rate, -bound, bound)));
}

std::optional<FundingIndex> funding_index_step(Ratio rate, Price index_price,
                                               Quantity contract_size, TimestampNs elapsed_ns,
                                               TimestampNs interval_ns) {
  BALLAST_ASSERT(index_price.raw() > 0 && contract_size.raw() > 0);
  BALLAST_ASSERT(elapsed_ns >= 0 && interval_ns > 0);
  // Ratio (12) × Price (9) × Quantity (9) = 30 decimals; FundingIndex has 9, so divide by 10^21.
  constexpr int kShift = Ratio::kDecimals + Price::kDecimals + Quantity::kDecimals -
                         FundingIndex::kDecimals;
  static_assert(kShift == 21);
  U256 exact;
  exact.limb[0] = magnitude(rate.raw());
  exact.multiply(static_cast<std::uint64_t>(index_price.raw()));
  exact.multiply(static_cast<std::uint64_t>(contract_size.raw()));
  exact.multiply(static_cast<std::uint64_t>(elapsed_ns));
  // Flooring the magnitude is rounding toward zero.
  exact.divide(static_cast<std::uint64_t>(pow10_i64(18)));
  exact.divide(static_cast<std::uint64_t>(pow10_i64(kShift - 18)));
  exact.divide(static_cast<std::uint64_t>(interval_ns));
  const auto raw = exact.to_i64();
  if (!raw) return std::nullopt;
  return FundingIndex::from_raw(rate.is_negative() ? -*raw : *raw);
}

std::optional<FundingAccrual> accrue_funding(const FundingAccrual& accrual,
                                             const Instrument& perpetual, Ratio rate,
                                             Price index_price, TimestampNs now_ns) {
  BALLAST_ASSERT(perpetual.kind == InstrumentKind::perpetual);
  BALLAST_ASSERT(now_ns >= accrual.updated_ns);
  const auto step = funding_index_step(rate, index_price, perpetual.contract_size,
                                       now_ns - accrual.updated_ns, perpetual.funding.interval_ns);
  if (!step) return std::nullopt;
  const auto index = checked_add(accrual.index, *step);
  if (!index) return std::nullopt;
  return FundingAccrual{*index, now_ns};
}

}  // namespace ballast::market
