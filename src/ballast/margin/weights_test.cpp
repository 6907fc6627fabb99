// Collateral weights (weights.hpp): Drift's published size-discount, size-premium and
// deposit-scaling cases, Mango's borrow scaling, size tiers, validation messages, the PnL
// policy, the exact integer square root, and properties: asset weights never rise with size or
// deposits, liability weights never fall with size or borrows, and every rounding lands on the
// protocol's side of the exact value (checked in exact big-integer arithmetic).

#include "ballast/margin/weights.hpp"
#include "ballast/core/testing/fixed_text.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <boost/multiprecision/cpp_int.hpp>
#include <string>

namespace ballast::margin {
namespace {

using BigInt = boost::multiprecision::cpp_int;


// Drift keeps weights at 4 decimals, truncating; ours carry 12.
std::int64_t truncated_to_4dp(Ratio r) { return r.raw() / 100'000'000; }

CollateralParams drift_spot(const char* iaw, const char* ilw, const char* imf) {
  CollateralParams p;
  p.init_asset_weight = ratio(iaw);
  p.maint_asset_weight = ratio(iaw);
  p.init_liability_weight = ratio(ilw);
  p.maint_liability_weight = ratio(ilw);
  p.imf_factor = ratio(imf);
  return p;
}

std::string error_of(const Outcome& outcome) {
  EXPECT_FALSE(outcome.ok());
  return outcome.ok() ? std::string() : outcome.error().message;
}

// ---------------------------------------------------------------------------------------------
// Public reference cases.

// Drift v2 programs/drift/src/math/margin/tests.rs spot_market_asset_weight, research
// defi-engines.md E5: 1,000 tokens at $1, IAW 0.9, ILW 1.1.
TEST(WeightsReference, DriftSizeDiscountAndPremium) {
  const Quantity thousand = qty("1000");
  {
    const CollateralParams p = drift_spot("0.9", "1.1", "0");  // imf_factor 0: no size effect
    EXPECT_EQ(asset_weight(p, MarginKind::initial, thousand, Money{}), ratio("0.9"));
    EXPECT_EQ(liability_weight(p, MarginKind::initial, thousand, Money{}), ratio("1.1"));
  }
  {
    // imf_factor 10 (of 1e6): too small to bind at 1,000 tokens; binds at 10^9 tokens with the
    // same 0.8357 as imf 0.01 at 1,000 (√(10^6) × 10^-5 = 0.01 × √1 ... the same imf·√size).
    const CollateralParams p = drift_spot("0.9", "1.1", "0.00001");
    EXPECT_EQ(asset_weight(p, MarginKind::initial, thousand, Money{}), ratio("0.9"));
    EXPECT_EQ(liability_weight(p, MarginKind::initial, thousand, Money{}), ratio("1.1"));
    EXPECT_EQ(truncated_to_4dp(asset_weight(p, MarginKind::initial, qty("1000000000"), Money{})),
              8357);
  }
  {
    const CollateralParams p = drift_spot("0.9", "1.1", "0.01");
    const Ratio aw = asset_weight(p, MarginKind::initial, thousand, Money{});
    const Ratio lw = liability_weight(p, MarginKind::initial, thousand, Money{});
    EXPECT_EQ(truncated_to_4dp(aw), 8357);   // 1.1 / (1 + 0.01·√1000) = 0.835715...
    EXPECT_EQ(truncated_to_4dp(lw), 11962);  // 0.88 + 0.01·√1000 = 1.196227...
    // Ours to 12 decimals: asset down, liability up, each within a few units of the last place.
    EXPECT_EQ(aw, ratio("0.835721619312"));
    EXPECT_EQ(lw, ratio("1.196227766017"));
  }
  {
    CollateralParams p = drift_spot("0.9", "1.1", "0.1");
    EXPECT_EQ(truncated_to_4dp(asset_weight(p, MarginKind::initial, thousand, Money{})), 2642);
    EXPECT_EQ(truncated_to_4dp(liability_weight(p, MarginKind::initial, thousand, Money{})),
              40422);
    // Drift's default maintenance liability weight is 0: 0.8·0 + 0.1·√1000 = 3.16227...
    // (a parameter set our validate() refuses, since a liability weight below 1 is unsafe).
    p.maint_liability_weight = Ratio{};
    p.maint_asset_weight = Ratio{};
    p.init_asset_weight = Ratio{};
    EXPECT_EQ(truncated_to_4dp(liability_weight(p, MarginKind::maintenance, thousand, Money{})),
              31622);
    EXPECT_FALSE(p.validate().ok());
  }
}

// Drift v2 math/margin/tests.rs spot_market_asset_weight (second market): IAW 0.15, MAW 0.75,
// ILW 1.5, MLW 1.25, 100,000 tokens at $0.5. Without imf each kind keeps its weight; with imf
// 0.1 the size discount 1.1 / (1 + 0.1·√100000) = 0.0337 binds for both kinds.
TEST(WeightsReference, DriftSizeDiscountBindsBothKinds) {
  CollateralParams p;
  p.init_asset_weight = ratio("0.15");
  p.maint_asset_weight = ratio("0.75");
  p.init_liability_weight = ratio("1.5");
  p.maint_liability_weight = ratio("1.25");
  ASSERT_TRUE(p.validate().ok());
  const Quantity size = qty("100000");
  EXPECT_EQ(asset_weight(p, MarginKind::initial, size, Money{}), ratio("0.15"));
  EXPECT_EQ(asset_weight(p, MarginKind::maintenance, size, Money{}), ratio("0.75"));
  p.imf_factor = ratio("0.1");
  EXPECT_EQ(truncated_to_4dp(asset_weight(p, MarginKind::initial, size, Money{})), 337);
  EXPECT_EQ(truncated_to_4dp(asset_weight(p, MarginKind::maintenance, size, Money{})), 337);
}

// Drift v2 math/margin/tests.rs spot_market_scale_initial_asset_weight, research E5: SOL at
// $25, IAW 0.9, scaling from $500k of deposits.
TEST(WeightsReference, DriftDepositScaledInitialWeight) {
  CollateralParams p = drift_spot("0.9", "1.1", "0");
  p.deposit_scale_start = money("500000");
  const Quantity one = qty("1");
  EXPECT_EQ(asset_weight(p, MarginKind::initial, one, money("25")), ratio("0.9"));          // 1 SOL
  EXPECT_EQ(asset_weight(p, MarginKind::initial, one, money("500000")), ratio("0.9"));      // 20k
  EXPECT_EQ(asset_weight(p, MarginKind::initial, one, money("1000000")), ratio("0.45"));    // 40k
  EXPECT_EQ(asset_weight(p, MarginKind::initial, one, money("1500000")), ratio("0.3"));     // 60k
  // Maintenance is never scaled.
  EXPECT_EQ(asset_weight(p, MarginKind::maintenance, one, money("1500000")), ratio("0.9"));
}

// Mango v4 state/bank.rs (research defi-engines.md "Deposit/borrow weight scaling", [D]): the
// initial liability weight × max(1, borrows / start).
TEST(WeightsReference, MangoBorrowScaledInitialWeight) {
  CollateralParams p = drift_spot("0.9", "1.1", "0");
  p.borrow_scale_start = money("1000000");
  EXPECT_EQ(liability_weight(p, MarginKind::initial, qty("1"), money("999999")), ratio("1.1"));
  EXPECT_EQ(liability_weight(p, MarginKind::initial, qty("1"), money("2000000")), ratio("2.2"));
  EXPECT_EQ(liability_weight(p, MarginKind::initial, qty("1"), money("3000000")), ratio("3.3"));
  EXPECT_EQ(liability_weight(p, MarginKind::initial, qty("1"), money("1000001")),
            ratio("1.1000011"));
  EXPECT_EQ(liability_weight(p, MarginKind::maintenance, qty("1"), money("3000000")), ratio("1.1"));
  p.borrow_scale_start = money("3");
  EXPECT_EQ(liability_weight(p, MarginKind::initial, qty("1"), money("1")), ratio("1.1"));
  EXPECT_EQ(liability_weight(p, MarginKind::initial, qty("1"), money("10")),
            Ratio::from_raw(3'666'666'666'667));  // 11/3 rounded up
}

// ---------------------------------------------------------------------------------------------
// Tiers, isolated-only, weighted values.

TEST(Weights, SizeTiersStepAtTheirMinimum) {
  CollateralParams p = drift_spot("0.9", "1.1", "0");
  p.maint_asset_weight = ratio("0.95");
  p.maint_liability_weight = ratio("1.05");
  p.tiers[0] = {qty("100"), ratio("0.8"), ratio("0.9"), ratio("1.2"), ratio("1.1")};
  p.tiers[1] = {qty("1000"), ratio("0.5"), ratio("0.6"), ratio("1.5"), ratio("1.4")};
  p.tier_count = 2;
  ASSERT_TRUE(p.validate().ok());
  EXPECT_EQ(asset_weight(p, MarginKind::initial, qty("99.999999999"), Money{}), ratio("0.9"));
  EXPECT_EQ(asset_weight(p, MarginKind::initial, qty("100"), Money{}), ratio("0.8"));
  EXPECT_EQ(asset_weight(p, MarginKind::maintenance, qty("-100"), Money{}), ratio("0.9"));
  EXPECT_EQ(liability_weight(p, MarginKind::initial, qty("-999"), Money{}), ratio("1.2"));
  EXPECT_EQ(liability_weight(p, MarginKind::maintenance, qty("1000"), Money{}), ratio("1.4"));
  EXPECT_EQ(asset_weight(p, MarginKind::initial, Quantity::from_raw(INT64_MIN), Money{}),
            ratio("0.5"));
}

TEST(Weights, WeightedValuesRoundForTheProtocol) {
  EXPECT_EQ(weighted_asset_value(money("0.000001"), ratio("0.9")), Money{});
  EXPECT_EQ(weighted_liability_value(money("0.000001"), ratio("1.1")), money("0.000002"));
  EXPECT_EQ(weighted_asset_value(money("-0.000001"), ratio("0.9")), money("-0.000001"));
  EXPECT_EQ(weighted_asset_value(money("1000"), ratio("0.835715114946")), money("835.715114"));
  EXPECT_EQ(weighted_liability_value(money("1000"), ratio("1.196227766017")), money("1196.227767"));
  EXPECT_FALSE(weighted_liability_value(Money::from_raw(INT64_MAX), ratio("1.1")).has_value());
}

TEST(Weights, IsolatedOnlyIsData) {
  CollateralParams p;
  p.isolated_only = true;
  EXPECT_TRUE(p.validate().ok());
}

// ---------------------------------------------------------------------------------------------
// Validation names the field.

TEST(WeightsValidate, NamesTheBadField) {
  CollateralParams p = drift_spot("0.9", "1.1", "0");
  EXPECT_TRUE(p.validate().ok());
  {
    CollateralParams b = p;
    b.init_asset_weight = ratio("-0.1");
    EXPECT_EQ(error_of(b.validate()), "init_asset_weight: must be at least 0, got -0.1");
  }
  {
    CollateralParams b = p;
    b.maint_asset_weight = ratio("0.8");
    EXPECT_EQ(error_of(b.validate()),
              "maint_asset_weight: must be at least init_asset_weight (0.9), got 0.8");
  }
  {
    CollateralParams b = p;
    b.maint_asset_weight = ratio("1.01");
    EXPECT_EQ(error_of(b.validate()), "maint_asset_weight: must be at most 1, got 1.01");
  }
  {
    CollateralParams b = p;
    b.maint_liability_weight = ratio("0.99");
    EXPECT_EQ(error_of(b.validate()), "maint_liability_weight: must be at least 1, got 0.99");
  }
  {
    CollateralParams b = p;
    b.init_liability_weight = ratio("1.05");
    EXPECT_EQ(error_of(b.validate()),
              "init_liability_weight: must be at least maint_liability_weight (1.1), got 1.05");
  }
  {
    CollateralParams b = p;
    b.imf_factor = ratio("1.5");
    EXPECT_EQ(error_of(b.validate()), "imf_factor: must be in [0, 1], got 1.5");
  }
  {
    CollateralParams b = p;
    b.deposit_scale_start = money("-1");
    EXPECT_EQ(error_of(b.validate()),
              "deposit_scale_start: must be at least 0 (0: no scaling), got -1");
  }
  {
    CollateralParams b = p;
    b.borrow_scale_start = money("-1");
    EXPECT_EQ(error_of(b.validate()),
              "borrow_scale_start: must be at least 0 (0: no scaling), got -1");
  }
  {
    CollateralParams b = p;
    b.tier_count = 5;
    EXPECT_EQ(error_of(b.validate()), "tier_count: must be at most 4, got 5");
  }
  {
    CollateralParams b = p;
    b.tiers[0] = {qty("0"), ratio("0.8"), ratio("0.8"), ratio("1.2"), ratio("1.2")};
    b.tier_count = 1;
    EXPECT_EQ(error_of(b.validate()), "tiers[0].min_size: must be above 0, got 0");
    b.tiers[0].min_size = qty("10");
    b.tiers[1] = {qty("10"), ratio("0.8"), ratio("0.8"), ratio("1.2"), ratio("1.2")};
    b.tier_count = 2;
    EXPECT_EQ(error_of(b.validate()),
              "tiers[1].min_size: must be above tiers[0].min_size (10), got 10");
    b.tier_count = 1;
    b.tiers[0].init_asset_weight = ratio("0.95");
    b.tiers[0].maint_asset_weight = ratio("0.95");
    EXPECT_EQ(error_of(b.validate()),
              "tiers[0].init_asset_weight: must be at most the base weight (0.9), got 0.95");
    b.tiers[0].init_asset_weight = ratio("0.8");
    b.tiers[0].maint_asset_weight = ratio("0.9");
    b.tiers[0].maint_liability_weight = ratio("1.05");
    b.tiers[0].init_liability_weight = ratio("1.05");
    EXPECT_EQ(error_of(b.validate()),
              "tiers[0].init_liability_weight: must be at least the base weight (1.1), got 1.05");
  }
}

// ---------------------------------------------------------------------------------------------
// PnL policy.

TEST(PnlPolicy, HaircutCapAndFullLosses) {
  PnlPolicy policy;
  policy.initial_weight = ratio("0.9");
  policy.maintenance_weight = ratio("1");
  policy.initial_cap = money("100");  // Drift's $100 toward initial margin
  ASSERT_TRUE(policy.validate().ok());
  EXPECT_EQ(credited_pnl(policy, MarginKind::initial, money("50")), money("45"));
  EXPECT_EQ(credited_pnl(policy, MarginKind::initial, money("1000")), money("100"));
  EXPECT_EQ(credited_pnl(policy, MarginKind::maintenance, money("1000")), money("1000"));
  EXPECT_EQ(credited_pnl(policy, MarginKind::initial, money("-1000")), money("-1000"));
  EXPECT_EQ(credited_pnl(policy, MarginKind::initial, money("0.000001")), Money{});  // down
  // The Mango v3 exploit: $421M of self-made uPnL counts for at most the cap.
  EXPECT_EQ(credited_pnl(policy, MarginKind::initial, money("421000000")), money("100"));

  PnlPolicy bad = policy;
  bad.maintenance_weight = ratio("0.8");
  EXPECT_EQ(error_of(bad.validate()),
            "maintenance_weight: must be in [initial_weight (0.9), 1], got 0.8");
  bad = policy;
  bad.initial_weight = ratio("1.2");
  EXPECT_EQ(error_of(bad.validate()), "initial_weight: must be in [0, 1], got 1.2");
  bad = policy;
  bad.maintenance_cap = money("50");
  EXPECT_EQ(error_of(bad.validate()), "maintenance_cap: must be at least initial_cap (100), got 50");
  bad = policy;
  bad.initial_cap = money("-1");
  EXPECT_EQ(error_of(bad.validate()), "initial_cap: must be at least 0, got -1");
}

// ---------------------------------------------------------------------------------------------
// Square root.

TEST(SqrtSize, ExactIntegerRoot) {
  EXPECT_EQ(sqrt_size(qty("0"), Round::up), Ratio{});
  EXPECT_EQ(sqrt_size(qty("4"), Round::up), ratio("2"));
  EXPECT_EQ(sqrt_size(qty("-4"), Round::down), ratio("2"));
  EXPECT_EQ(sqrt_size(qty("1000"), Round::down), ratio("31.622776601683"));
  EXPECT_EQ(sqrt_size(qty("1000"), Round::up), ratio("31.622776601684"));
  EXPECT_EQ(sqrt_size(Quantity::from_raw(1), Round::down), Ratio::from_raw(31'622'776));  // √1e-9
  // The largest input: √(2^63 · 10^15) and its neighbour.
  for (const std::int64_t raw : {INT64_MAX, INT64_MIN, INT64_MAX - 1, std::int64_t{999'999'999'999'999'999}}) {
    const Ratio root = sqrt_size(Quantity::from_raw(raw), Round::down);
    const detail::uint128 n = static_cast<detail::uint128>(raw < 0 ? -static_cast<int128>(raw) : raw) *
                              1'000'000'000'000'000ULL;
    const auto r = static_cast<detail::uint128>(root.raw());
    EXPECT_LE(r * r, n);
    EXPECT_GT((r + 1) * (r + 1), n);
  }
}

RC_GTEST_PROP(SqrtSizeProperty, FloorAndCeilBracketTheRoot, ()) {
  const auto raw = *rc::gen::arbitrary<std::int64_t>();
  const int128 wide = raw;
  const auto n = static_cast<detail::uint128>(wide < 0 ? -wide : wide) * 1'000'000'000'000'000ULL;
  const auto down = static_cast<detail::uint128>(sqrt_size(Quantity::from_raw(raw), Round::down).raw());
  const auto up = static_cast<detail::uint128>(sqrt_size(Quantity::from_raw(raw), Round::up).raw());
  RC_ASSERT(down * down <= n);
  RC_ASSERT((down + 1) * (down + 1) > n);
  RC_ASSERT(up * up >= n);
  RC_ASSERT(up == down || up == down + 1);
  RC_ASSERT((up == down) == (down * down == n));
}

// ---------------------------------------------------------------------------------------------
// Properties.

rc::Gen<Ratio> ratio_in(std::int64_t lo, std::int64_t hi) {
  return rc::gen::map(rc::gen::inRange<std::int64_t>(lo, hi + 1),
                      [](std::int64_t raw) { return Ratio::from_raw(raw); });
}

// Valid parameters: base weights, imf, scaling starts; tiers left out (see the tier test).
rc::Gen<CollateralParams> valid_params() {
  return rc::gen::exec([] {
    CollateralParams p;
    constexpr std::int64_t kOne = Ratio::kScale;
    p.maint_asset_weight = *ratio_in(0, kOne);
    p.init_asset_weight = *ratio_in(0, p.maint_asset_weight.raw());
    p.maint_liability_weight = *ratio_in(kOne, 3 * kOne);
    p.init_liability_weight = *ratio_in(p.maint_liability_weight.raw(), 5 * kOne);
    p.imf_factor = *rc::gen::oneOf(rc::gen::just(Ratio{}), ratio_in(0, kOne / 10), ratio_in(0, kOne));
    p.deposit_scale_start = Money::from_raw(*rc::gen::inRange<std::int64_t>(0, 1'000'000'000'000'000));
    p.borrow_scale_start = Money::from_raw(*rc::gen::inRange<std::int64_t>(0, 1'000'000'000'000'000));
    RC_ASSERT(p.validate().ok());
    return p;
  });
}

rc::Gen<Quantity> any_size() {
  return rc::gen::map(rc::gen::oneOf(rc::gen::inRange<std::int64_t>(-1'000'000'000'000, 1'000'000'000'000),
                                     rc::gen::arbitrary<std::int64_t>()),
                      [](std::int64_t raw) { return Quantity::from_raw(raw); });
}

rc::Gen<Money> any_total() {
  return rc::gen::map(rc::gen::inRange<std::int64_t>(0, INT64_MAX),
                      [](std::int64_t raw) { return Money::from_raw(raw); });
}

std::int64_t magnitude(Quantity q) { return q.raw() == INT64_MIN ? INT64_MAX : (q.raw() < 0 ? -q.raw() : q.raw()); }

RC_GTEST_PROP(WeightsProperty, AssetWeightNonIncreasingInSizeAndDeposits, ()) {
  const CollateralParams p = *valid_params();
  const auto kind = *rc::gen::element(MarginKind::initial, MarginKind::maintenance);
  Quantity a = *any_size();
  Quantity b = *any_size();
  if (magnitude(a) > magnitude(b)) std::swap(a, b);
  Money d1 = *any_total();
  Money d2 = *any_total();
  if (d1 > d2) std::swap(d1, d2);
  RC_ASSERT(asset_weight(p, kind, b, d1) <= asset_weight(p, kind, a, d1));
  RC_ASSERT(asset_weight(p, kind, a, d2) <= asset_weight(p, kind, a, d1));
  RC_ASSERT(!asset_weight(p, kind, a, d1).is_negative());
  // Initial never above maintenance.
  RC_ASSERT(asset_weight(p, MarginKind::initial, a, d1) <= asset_weight(p, MarginKind::maintenance, a, d1));
}

RC_GTEST_PROP(WeightsProperty, LiabilityWeightNonDecreasingInSizeAndBorrows, ()) {
  const CollateralParams p = *valid_params();
  const auto kind = *rc::gen::element(MarginKind::initial, MarginKind::maintenance);
  Quantity a = *any_size();
  Quantity b = *any_size();
  if (magnitude(a) > magnitude(b)) std::swap(a, b);
  Money d1 = *any_total();
  Money d2 = *any_total();
  if (d1 > d2) std::swap(d1, d2);
  RC_ASSERT(liability_weight(p, kind, b, d1) >= liability_weight(p, kind, a, d1));
  RC_ASSERT(liability_weight(p, kind, a, d2) >= liability_weight(p, kind, a, d1));
  RC_ASSERT(liability_weight(p, MarginKind::initial, a, d1) >=
            liability_weight(p, MarginKind::maintenance, a, d1));
}

// The size discount never credits more than 1.1 / (1 + imf·√size), and misses it by at most a
// few units of the last place; checked exactly with squares in big integers:
// w·(1 + f·√s) ≤ 1.1 ⟺ (1.1·10^24 − w·10^12)² · 10^9 ≥ (w·f)² · s (all in raw units).
RC_GTEST_PROP(WeightsProperty, SizeDiscountRoundsDownExactly, ()) {
  const Ratio weight = *ratio_in(0, Ratio::kScale);
  const Ratio imf = *ratio_in(0, Ratio::kScale);
  const Quantity size = *any_size();
  const Ratio w = size_discounted_asset_weight(weight, imf, size);
  RC_ASSERT(w <= weight);
  const BigInt s = BigInt(magnitude(size)) + (size.raw() == INT64_MIN ? 1 : 0);
  const auto at_most_exact = [&](std::int64_t raw) {
    const BigInt lhs = BigInt("1100000000000000000000000") - BigInt(raw) * BigInt(Ratio::kScale);
    if (lhs < 0) return false;
    return lhs * lhs * BigInt(1'000'000'000) >= BigInt(raw) * BigInt(imf.raw()) * BigInt(raw) * BigInt(imf.raw()) * s;
  };
  RC_ASSERT(w == weight || at_most_exact(w.raw()));
  if (w < weight) {
    RC_ASSERT(!at_most_exact(w.raw() + 3));  // tight: within 3 units of 10^-12
  }
}

// The size premium never charges less than 0.8·w + f·√s: with L = 5·result − 4·w (raw),
// L ≥ 0 and L² · 10^9 ≥ 25 · f² · s.
RC_GTEST_PROP(WeightsProperty, SizePremiumRoundsUpExactly, ()) {
  const Ratio weight = *ratio_in(Ratio::kScale, 5 * Ratio::kScale);
  const Ratio imf = *ratio_in(0, Ratio::kScale);
  const Quantity size = *any_size();
  const Ratio w = size_premium_liability_weight(weight, imf, size);
  RC_ASSERT(w >= weight);
  const BigInt s = BigInt(magnitude(size)) + (size.raw() == INT64_MIN ? 1 : 0);
  const auto at_least_exact = [&](std::int64_t raw) {
    const BigInt l = BigInt(5) * BigInt(raw) - BigInt(4) * BigInt(weight.raw());
    if (l < 0) return false;
    return l * l * BigInt(1'000'000'000) >= BigInt(25) * BigInt(imf.raw()) * BigInt(imf.raw()) * s;
  };
  RC_ASSERT(at_least_exact(w.raw()));
  if (w > weight) {
    RC_ASSERT(!at_least_exact(w.raw() - 3));
  }
}

RC_GTEST_PROP(WeightsProperty, ScalingRoundsForTheProtocol, ()) {
  const Ratio weight = *ratio_in(0, 5 * Ratio::kScale);
  const Money start = Money::from_raw(*rc::gen::inRange<std::int64_t>(1, INT64_MAX));
  const Money total = *any_total();
  // deposit: w·start/total rounded down: result·total ≤ w·start < (result+1)·total.
  const Ratio down = deposit_scaled_weight(weight, start, total);
  if (total > start) {
    const int128 exact = static_cast<int128>(weight.raw()) * start.raw();
    RC_ASSERT(static_cast<int128>(down.raw()) * total.raw() <= exact);
    RC_ASSERT(static_cast<int128>(down.raw() + 1) * total.raw() > exact);
  } else {
    RC_ASSERT(down == weight);
  }
  const Ratio up = borrow_scaled_weight(weight, start, total);
  if (total > start && up.raw() != INT64_MAX) {
    const int128 exact = static_cast<int128>(weight.raw()) * total.raw();
    RC_ASSERT(static_cast<int128>(up.raw()) * start.raw() >= exact);
    RC_ASSERT(static_cast<int128>(up.raw() - 1) * start.raw() < exact);
  } else if (total <= start) {
    RC_ASSERT(up == weight);
  }
}

RC_GTEST_PROP(PnlPolicyProperty, NeverCreditsMoreThanTheWeightedPnlOrTheCap, ()) {
  PnlPolicy policy;
  policy.initial_weight = *ratio_in(0, Ratio::kScale);
  policy.initial_cap = Money::from_raw(*rc::gen::inRange<std::int64_t>(0, INT64_MAX));
  const Money pnl = Money::from_raw(*rc::gen::arbitrary<std::int64_t>());
  const Money credited = credited_pnl(policy, MarginKind::initial, pnl);
  if (pnl.raw() <= 0) {
    RC_ASSERT(credited == pnl);
  } else {
    RC_ASSERT(credited <= policy.initial_cap);
    const int128 exact = static_cast<int128>(pnl.raw()) * policy.initial_weight.raw();
    RC_ASSERT(static_cast<int128>(credited.raw()) * Ratio::kScale <= exact);
    RC_ASSERT(credited == policy.initial_cap ||
              static_cast<int128>(credited.raw() + 1) * Ratio::kScale > exact);
  }
}

}  // namespace
}  // namespace ballast::margin
