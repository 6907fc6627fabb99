#pragma once
// Collateral weights (issue 4, item 3): per asset initial and maintenance asset and liability
// weights, size tiers, Drift's √size discount and premium, Mango's deposit/borrow-total scaling,
// isolated-only assets, and the positive-PnL policy (haircut and cap: the Mango v3 lesson).
//
// Every function here is pure, allocation-free and inline: the cross-margin recompute calls them
// once per balance. Rounding follows docs/ARCHITECTURE.md "Rounding policy": an asset weight
// (what collateral is credited at) rounds down, a liability weight rounds up, credited PnL rounds
// down. No division by a run-time value happens unless the rule that needs it actually binds.

#include <array>
#include <cmath>
#include <cstdint>
#include <optional>

#include "ballast/core/fixed.hpp"
#include "ballast/core/result.hpp"

namespace ballast::margin {

// Which requirement or weight: initial (to open or withdraw) or maintenance (to stay open).
enum class MarginKind : std::uint8_t { initial, maintenance };

inline constexpr Ratio kRatioOne = Ratio::from_raw(Ratio::kScale);

namespace detail {

__extension__ using uint128 = unsigned __int128;

// v / 10^N rounded in the given direction, exact for every v; N a compile-time constant.
// GCC and Clang turn a 128-bit division, even by a constant, into a call to __divti3; when the
// quotient fits 64 bits (every result that can become a Money or Ratio does) one x86-64 divq
// of the magnitude does it instead, exactly, and the general division is left for the rest.
template <int N>
inline int128 div_pow10(int128 v, Round round) {
  static_assert(N >= 1 && N <= 19);
  constexpr int128 kDivisor = pow10_i128(N);
#if defined(__x86_64__)
  constexpr auto kDivisor64 = static_cast<std::uint64_t>(pow10_i64(N));
  const bool negative = v < 0;
  const uint128 magnitude = negative ? -static_cast<uint128>(v) : static_cast<uint128>(v);
  const auto high = static_cast<std::uint64_t>(magnitude >> 64);
  if (high < kDivisor64) {  // the quotient fits 64 bits, so divq cannot fault
    std::uint64_t quotient = 0;
    std::uint64_t remainder = 0;
    __asm__("divq %[d]"
            : "=a"(quotient), "=d"(remainder)
            : "a"(static_cast<std::uint64_t>(magnitude)), "1"(high), [d] "rm"(kDivisor64)
            : "cc");
    // Truncated magnitude; move away from zero when the direction asks for it.
    const bool away = remainder != 0 && ((round == Round::up) != negative);
    const int128 q = static_cast<int128>(quotient) + (away ? 1 : 0);
    return negative ? -q : q;
  }
#endif
  int128 quotient = v / kDivisor;
  const int128 remainder = v - quotient * kDivisor;
  if (round == Round::up && remainder > 0) {
    ++quotient;
  } else if (round == Round::down && remainder < 0) {
    --quotient;
  }
  return quotient;
}

// A non-negative int128 narrowed to int64, saturating at INT64_MAX.
inline std::int64_t saturate_i64(int128 v) { return v > INT64_MAX ? INT64_MAX : static_cast<std::int64_t>(v); }

// floor(√n) for n < 2^113, exactly. A double estimate (≤ 22 away), one correction from the exact
// integer residual, then a final exact step; the answer is the exact integer square root, so it
// is the same on every machine whatever the estimate was.
inline std::uint64_t isqrt_floor(uint128 n) {
  if (n == 0) {
    return 0;
  }
  const double approx = static_cast<double>(static_cast<std::uint64_t>(n >> 64)) * 0x1p64 +
                        static_cast<double>(static_cast<std::uint64_t>(n));
  std::uint64_t root = static_cast<std::uint64_t>(std::sqrt(approx));
  if (root != 0) {
    const auto residual = static_cast<std::int64_t>(static_cast<int128>(n) -
                                                    static_cast<int128>(static_cast<uint128>(root) * root));
    const double step = static_cast<double>(residual) / (2.0 * static_cast<double>(root));
    root = static_cast<std::uint64_t>(static_cast<std::int64_t>(root) + static_cast<std::int64_t>(step));
  }
  while (static_cast<uint128>(root) * root > n) {
    --root;
  }
  while (static_cast<uint128>(root + 1) * (root + 1) <= n) {
    ++root;
  }
  return root;
}

}  // namespace detail

// √|size| as a Ratio (12 decimals), rounded in the given direction: the integer square root of
// |raw| · 10^15, since √(raw · 10^-9) · 10^12 = √(raw · 10^15).
inline Ratio sqrt_size(Quantity size, Round round) {
  const int128 raw = size.raw();
  const auto magnitude = static_cast<detail::uint128>(raw < 0 ? -raw : raw);
  const detail::uint128 n = magnitude * static_cast<detail::uint128>(pow10_i64(15));
  std::uint64_t root = detail::isqrt_floor(n);
  if (round == Round::up && static_cast<detail::uint128>(root) * root < n) {
    ++root;
  }
  return Ratio::from_raw(static_cast<std::int64_t>(root));  // ≤ 9.7e16: fits
}

// Weights that replace the base weights from a position size upward (|size| ≥ min_size).
// Each tier must be at least as strict as the one below it.
struct WeightTier {
  Quantity min_size;
  Ratio init_asset_weight;
  Ratio maint_asset_weight;
  Ratio init_liability_weight;
  Ratio maint_liability_weight;
};

inline constexpr std::size_t kMaxWeightTiers = 4;

// Per-asset collateral parameters. Constraints (validate()): 0 ≤ init asset ≤ maint asset ≤ 1
// ≤ maint liability ≤ init liability; 0 ≤ imf_factor ≤ 1; scaling starts ≥ 0 (0 turns the
// scaling off); tiers by strictly increasing min_size > 0, each at least as strict as the last.
struct CollateralParams {
  Ratio init_asset_weight = kRatioOne;
  Ratio maint_asset_weight = kRatioOne;
  Ratio init_liability_weight = kRatioOne;
  Ratio maint_liability_weight = kRatioOne;
  // Drift's size factor: asset weight ≤ 1.1 / (1 + imf·√size), liability weight ≥ 0.8·LW +
  // imf·√size, size in whole units of the asset. 0 turns both off.
  Ratio imf_factor{};
  // Mango/Drift deposit-total scaling of the initial asset weight: × min(1, start / deposits).
  Money deposit_scale_start{};
  // Mango borrow-total scaling of the initial liability weight: × max(1, borrows / start).
  Money borrow_scale_start{};
  // Only usable as collateral of an isolated position (the cross calculator gives it weight 0).
  bool isolated_only = false;
  std::array<WeightTier, kMaxWeightTiers> tiers{};
  std::uint8_t tier_count = 0;

  // An invalid_input error naming the first bad field, e.g.
  // "maint_asset_weight: must be at least init_asset_weight (0.9), got 0.8".
  Outcome validate() const;
};

namespace detail {

struct BaseWeights {
  Ratio asset;
  Ratio liability;
};

inline BaseWeights base_weights(const CollateralParams& p, MarginKind kind, Quantity size) {
  const bool initial = kind == MarginKind::initial;
  BaseWeights w{initial ? p.init_asset_weight : p.maint_asset_weight,
                initial ? p.init_liability_weight : p.maint_liability_weight};
  if (p.tier_count != 0) {
    const int128 raw = size.raw();
    const int128 magnitude = raw < 0 ? -raw : raw;
    for (std::size_t i = 0; i < p.tier_count; ++i) {
      const WeightTier& tier = p.tiers[i];
      if (magnitude < tier.min_size.raw()) {
        break;
      }
      w = {initial ? tier.init_asset_weight : tier.maint_asset_weight,
           initial ? tier.init_liability_weight : tier.maint_liability_weight};
    }
  }
  return w;
}

// imf·√|size| at 12 decimals, rounded up (√ rounded up too): the size term of both rules.
inline int128 size_term_up(Ratio imf_factor, Quantity size) {
  const int128 product = static_cast<int128>(imf_factor.raw()) * sqrt_size(size, Round::up).raw();
  return div_pow10<12>(product, Round::up);
}

// imf·√|size| in double: a screen only. Its relative error is a few ulps (~1e-15), so a
// comparison that clears the threshold by a relative 1e-9 decides exactly as the integer path
// would, and the exact path runs only near or past the threshold.
inline double size_term_estimate(Ratio imf_factor, Quantity size) {
  return static_cast<double>(imf_factor.raw()) * 1e-12 *
         std::sqrt(std::abs(static_cast<double>(size.raw())) * 1e-9);
}

inline constexpr double kScreenMargin = 1.0 - 1e-9;

// max(w, 0.8·w + term), 0.8·w rounded up (ceil(4w/5), w ≥ 0), saturating.
inline Ratio premium_weight(Ratio weight, int128 term_up) {
  const int128 premium = (static_cast<int128>(weight.raw()) * 4 + 4) / 5 + term_up;
  return premium > weight.raw() ? Ratio::from_raw(saturate_i64(premium)) : weight;
}

}  // namespace detail

// Drift's size discount: min(weight, 1.1 / (1 + imf·√|size|)), rounded down. The division
// happens only when the discount binds (1.1 < weight · (1 + imf·√size)).
inline Ratio size_discounted_asset_weight(Ratio weight, Ratio imf_factor, Quantity size) {
  if (imf_factor.raw() == 0 || size.raw() == 0) {
    return weight;
  }
  const double w = static_cast<double>(weight.raw()) * 1e-12;
  if (w * (1.0 + detail::size_term_estimate(imf_factor, size)) < 1.1 * detail::kScreenMargin) {
    return weight;  // clearly not binding
  }
  const int128 denominator = Ratio::kScale + detail::size_term_up(imf_factor, size);
  constexpr int128 kNumerator = static_cast<int128>(11) * pow10_i128(23);  // 1.1 at 24 decimals
  if (static_cast<int128>(weight.raw()) * denominator <= kNumerator) {
    return weight;
  }
  return Ratio::from_raw(static_cast<std::int64_t>(kNumerator / denominator));  // floor: ≥ 0
}

// Drift's size premium: max(weight, 0.8·weight + imf·√|size|), rounded up; saturates at
// Ratio's maximum (which makes any nonzero liability's value overflow, i.e. refused).
inline Ratio size_premium_liability_weight(Ratio weight, Ratio imf_factor, Quantity size) {
  if (imf_factor.raw() == 0 || size.raw() == 0) {
    return weight;
  }
  if (detail::size_term_estimate(imf_factor, size) <
      0.2 * static_cast<double>(weight.raw()) * 1e-12 * detail::kScreenMargin) {
    return weight;  // clearly not binding
  }
  return detail::premium_weight(weight, detail::size_term_up(imf_factor, size));
}

// Mango/Drift: the initial asset weight × min(1, start / total deposits), rounded down.
inline Ratio deposit_scaled_weight(Ratio weight, Money start, Money total_deposits) {
  if (start.raw() <= 0 || total_deposits <= start) {
    return weight;
  }
  return Ratio::from_raw(static_cast<std::int64_t>(static_cast<int128>(weight.raw()) * start.raw() /
                                                   total_deposits.raw()));
}

// Mango: the initial liability weight × max(1, total borrows / start), rounded up, saturating.
inline Ratio borrow_scaled_weight(Ratio weight, Money start, Money total_borrows) {
  if (start.raw() <= 0 || total_borrows <= start) {
    return weight;
  }
  const int128 product = static_cast<int128>(weight.raw()) * total_borrows.raw();
  const int128 quotient = (product + start.raw() - 1) / start.raw();
  return Ratio::from_raw(detail::saturate_i64(quotient));
}

// The weight a deposit of `size` units counts at, rounded down: the base (or size-tier) weight,
// for `initial` scaled by the asset's total deposits (value in quote money), then Drift's size
// discount. Non-increasing in |size| and in total_deposits_value.
inline Ratio asset_weight(const CollateralParams& p, MarginKind kind, Quantity size,
                          Money total_deposits_value) {
  Ratio w = detail::base_weights(p, kind, size).asset;
  if (kind == MarginKind::initial) {
    w = deposit_scaled_weight(w, p.deposit_scale_start, total_deposits_value);
  }
  return size_discounted_asset_weight(w, p.imf_factor, size);
}

// The weight a borrow of `size` units counts at, rounded up: the base (or size-tier) weight,
// for `initial` scaled by the asset's total borrows (value in quote money), then Drift's size
// premium. Non-decreasing in |size| and in total_borrows_value.
inline Ratio liability_weight(const CollateralParams& p, MarginKind kind, Quantity size,
                              Money total_borrows_value) {
  Ratio w = detail::base_weights(p, kind, size).liability;
  if (kind == MarginKind::initial) {
    w = borrow_scaled_weight(w, p.borrow_scale_start, total_borrows_value);
  }
  return size_premium_liability_weight(w, p.imf_factor, size);
}

namespace detail {

// value × ratio in Money, rounded as asked; nullopt beyond Money's range.
inline std::optional<Money> money_times_ratio(Money value, Ratio ratio, Round round) {
  const int128 product = static_cast<int128>(value.raw()) * ratio.raw();
  const auto raw = narrow_i64(div_pow10<12>(product, round));
  return raw ? std::optional<Money>(Money::from_raw(*raw)) : std::nullopt;
}

}  // namespace detail

// value × weight for a deposit, rounded down (collateral never counts for more than it is
// worth); nullopt on overflow.
inline std::optional<Money> weighted_asset_value(Money value, Ratio weight) {
  return detail::money_times_ratio(value, weight, Round::down);
}

// value × weight for a borrow, rounded up (debt never counts for less); nullopt on overflow.
inline std::optional<Money> weighted_liability_value(Money value, Ratio weight) {
  return detail::money_times_ratio(value, weight, Round::up);
}

// How unrealized PnL counts toward margin. Positive PnL counts × weight (1 − haircut), rounded
// down, and at most the cap (Drift counts at most $100 toward initial margin; Mango v3's $421M
// of self-made uPnL is why); negative PnL counts in full. Constraints (validate()): weights in
// [0, 1], caps ≥ 0, and maintenance at least as generous as initial.
struct PnlPolicy {
  Ratio initial_weight = kRatioOne;
  Ratio maintenance_weight = kRatioOne;
  Money initial_cap = Money::from_raw(INT64_MAX);  // INT64_MAX raw: no cap
  Money maintenance_cap = Money::from_raw(INT64_MAX);

  Outcome validate() const;
};

inline Money credited_pnl(const PnlPolicy& policy, MarginKind kind, Money pnl) {
  if (pnl.raw() <= 0) {
    return pnl;
  }
  const bool initial = kind == MarginKind::initial;
  const Ratio weight = initial ? policy.initial_weight : policy.maintenance_weight;
  const Money cap = initial ? policy.initial_cap : policy.maintenance_cap;
  // pnl × weight ≤ pnl since weight ≤ 1: no overflow.
  const int128 product = static_cast<int128>(pnl.raw()) * weight.raw();
  const std::int64_t credited = detail::saturate_i64(detail::div_pow10<12>(product, Round::down));
  return Money::from_raw(credited < cap.raw() ? credited : cap.raw());
}

}  // namespace ballast::margin
