// Margin requirement rules (requirement.hpp): dYdX v4's OI-based IMF cases, Drift v2's
// size-based perp case, Hyperliquid's tier rule, validation messages, the oracle-latency buffer,
// and properties for every rule: non-decreasing in notional (and in |size| and open interest),
// initial ≥ maintenance, tier requirements continuous at every boundary, and every result at or
// above the exact figure (checked in exact big-integer arithmetic) and within a few units of it.

#include "ballast/margin/requirement.hpp"
#include "ballast/core/testing/fixed_text.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <boost/multiprecision/cpp_int.hpp>
#include <cmath>
#include <string>
#include <vector>

namespace ballast::margin {
namespace {

using BigInt = boost::multiprecision::cpp_int;

Money raw_money(std::int64_t raw) { return Money::from_raw(raw); }

std::string error_of(const Outcome& outcome) {
  EXPECT_FALSE(outcome.ok());
  return outcome.ok() ? std::string() : outcome.error().message;
}

// ---------------------------------------------------------------------------------------------
// dYdX v4: x/perpetuals/types/liquidity_tier_test.go (TestGetInitialMarginQuoteQuantums,
// TestGetAdjustedInitialMarginPpm), research defi-engines.md E4. dYdX's quote quantums are
// 10^-6 USDC, which is exactly Money's raw unit, so the cases carry over digit for digit.

RequirementRule oi_rule(const char* base, std::int64_t lower, std::int64_t upper) {
  return OiRampRule{ratio(base), ratio("0.1"), raw_money(lower), raw_money(upper)};
}

TEST(RequirementReference, DydxInitialMarginQuoteQuantums) {
  struct Case {
    const char* name;
    const char* base;
    std::int64_t lower, upper, open_interest, notional, expected;
  };
  const Case cases[] = {
      {"initial margin 20%", "0.2", 0, 0, 0, 500'000, 100'000},
      {"initial margin 50%", "0.5", 0, 0, 0, 1'000'000, 500'000},
      {"10% of 1 quantum rounds up to 1", "0.1", 0, 0, 0, 1, 1},
      {"56.7243% of 123,456 rounds up to 70,030", "0.567243", 0, 0, 0, 123'456, 70'030},
      {"no OIMF since lower = upper = 0", "0.2", 0, 0, 1'500'000'000'000, 500'000, 100'000},
      {"scaling 0.5: IMF 60%", "0.2", 1'000'000'000'000, 2'000'000'000'000, 1'500'000'000'000,
       500'000, 300'000},
      {"OI above the upper cap: IMF 100%", "0.2", 25'000'000'000'000, 50'000'000'000'000,
       80'000'000'000'000, 500'000, 500'000},
      {"OI at the lower cap: base IMF", "0.2", 25'000'000'000'000, 50'000'000'000'000,
       25'000'000'000'000, 500'000, 100'000},
      {"realistic numbers: IMF 27.1393%", "0.2", 25'000'000'000'000, 60'000'000'000'000,
       28'123'456'789'123, 500'000, 135'697},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const RequirementRule rule = oi_rule(c.base, c.lower, c.upper);
    ASSERT_TRUE(validate(rule).ok());
    EXPECT_EQ(initial_requirement(rule, raw_money(c.notional), Quantity{}, raw_money(c.open_interest)),
              raw_money(c.expected));
  }
}

TEST(RequirementReference, DydxAdjustedInitialMarginFraction) {
  const OiRampRule rule{ratio("0.2"), ratio("0.1"), raw_money(1'000'000), raw_money(2'000'000)};
  EXPECT_EQ(effective_imf(rule, raw_money(0)), ratio("0.2"));
  EXPECT_EQ(effective_imf(rule, raw_money(1'500'000)), ratio("0.6"));
  // dYdX truncates this to 387,653 ppm; ours is exact (0.2 + 0.234567 × 0.8), rounded up if
  // it were not.
  EXPECT_EQ(effective_imf(rule, raw_money(1'234'567)), ratio("0.3876536"));
  EXPECT_EQ(effective_imf(rule, raw_money(1'000'000)), ratio("0.2"));
  EXPECT_EQ(effective_imf(rule, raw_money(2'000'000)), ratio("1"));
  EXPECT_EQ(effective_imf(rule, raw_money(2'500'000)), ratio("1"));
  const OiRampRule no_caps{ratio("0.2"), ratio("0.1"), Money{}, Money{}};
  EXPECT_EQ(effective_imf(no_caps, raw_money(1'500'000)), ratio("0.2"));
  // The brief's dollar form of E4: notional $500,000, OI $1.5M, caps $1M-$2M.
  const RequirementRule dollars =
      OiRampRule{ratio("0.2"), ratio("0.1"), money("1000000"), money("2000000")};
  EXPECT_EQ(initial_requirement(dollars, money("500000"), Quantity{}, money("1500000")),
            money("300000"));
  EXPECT_EQ(initial_requirement(dollars, money("500000"), Quantity{}, money("2000001")),
            money("500000"));
  // Maintenance is never OI-scaled (dYdX: MMR = notional × base IMF × maintenance fraction).
  EXPECT_EQ(maintenance_requirement(dollars, money("500000"), Quantity{}, money("2000001")),
            money("50000"));
  // Research E4 [D]: Small-Cap tier (10%, $20-50M) at $35M of OI: 55%.
  const OiRampRule small_cap{ratio("0.1"), ratio("0.05"), money("20000000"), money("50000000")};
  EXPECT_EQ(effective_imf(small_cap, money("35000000")), ratio("0.55"));
}

// ---------------------------------------------------------------------------------------------
// Drift v2: programs/drift/src/math/margin/tests.rs calculate_user_equity_value_tests, research
// defi-engines.md E5: a short of 12295081967/2 base units (−6.147540983 BTC) at $22,050, margin
// ratio 10%, imf_factor 0.001. The √size term 0.8·10% + 0.001·√6.1475 = 8.25% does not bind.
// Drift truncates to $13,555.327867; we round up, so ours is one micro-dollar above it, and the
// exact figure (|size| × price × 10% = 13,555.327867515) lies between the two.
TEST(RequirementReference, DriftSizeBasedPerp) {
  const SizeRule size_rule{ratio("0.1"), ratio("0.05"), ratio("0.001")};
  ASSERT_TRUE(validate(size_rule).ok());
  const RequirementRule rule = size_rule;
  const Quantity size = Quantity::from_raw(-12'295'081'967 / 2);
  EXPECT_EQ(size_margin_ratio(size_rule, MarginKind::initial, size), ratio("0.1"));
  const Money notional = *ballast::notional(Quantity::from_raw(6'147'540'983), price("22050"), Round::up);
  EXPECT_EQ(notional, money("135553.278676"));  // exact 135,553.27867515
  EXPECT_EQ(initial_requirement(rule, notional, size, Money{}), money("13555.327868"));
  const Money exact_floor = *ballast::notional(Quantity::from_raw(6'147'540'983), price("2205"), Round::down);
  EXPECT_EQ(exact_floor, money("13555.327867"));  // Drift's 13555327867: same figure truncated
  // Oracle lowered to $21,050: Drift 12940573769 (truncated); exact 12,940.573769215.
  const Money lower = *ballast::notional(Quantity::from_raw(6'147'540'983), price("21050"), Round::up);
  EXPECT_EQ(initial_requirement(rule, lower, size, Money{}), money("12940.573770"));
  // A size where the premium binds: 1,000 BTC → 0.08 + 0.001·√1000 = 0.111622776602 (up).
  EXPECT_EQ(size_margin_ratio(size_rule, MarginKind::initial, qty("1000")), ratio("0.111622776602"));
  EXPECT_EQ(size_margin_ratio(size_rule, MarginKind::maintenance, qty("-1000")),
            ratio("0.071622776602"));
}

// ---------------------------------------------------------------------------------------------
// Hyperliquid docs (margin-tiers), research defi-engines.md "Hyperliquid": MM = notional ×
// MMR_n − deduction_n, deduction_n = deduction_{n−1} + lower_bound_n × (MMR_n − MMR_{n−1}); MM
// is half the initial margin at max leverage. BTC: 40× up to $150M, then 20×.
TEST(RequirementReference, HyperliquidBtcTiers) {
  const TierRule::LeverageTier btc[] = {{Money{}, 40}, {money("150000000"), 20}};
  const Result<TierRule> made = TierRule::from_leverage(btc);
  ASSERT_TRUE(made.ok()) << made.error().message;
  const RequirementRule rule = *made;
  const auto im = [&](const char* n) { return *initial_requirement(rule, money(n), Quantity{}, Money{}); };
  const auto mm = [&](const char* n) { return *maintenance_requirement(rule, money(n), Quantity{}); };
  EXPECT_EQ(made->tiers()[1].initial_rate, ratio("0.05"));
  EXPECT_EQ(made->tiers()[1].maintenance_rate, ratio("0.025"));
  // deduction_1 = 150M × (2.5% − 1.25%) = 1.875M for MM, 3.75M for IM (at 18 decimals).
  EXPECT_EQ(made->deduction(MarginKind::maintenance, 1), static_cast<int128>(1'875'000) * pow10_i128(18));
  EXPECT_EQ(made->deduction(MarginKind::initial, 1), static_cast<int128>(3'750'000) * pow10_i128(18));
  EXPECT_EQ(im("100000000"), money("2500000"));
  EXPECT_EQ(mm("100000000"), money("1250000"));
  EXPECT_EQ(im("150000000"), money("3750000"));
  EXPECT_EQ(mm("150000000"), money("1875000"));
  EXPECT_EQ(im("149999999.999999"), money("3750000"));  // 3,749,999.999999975 rounds up
  EXPECT_EQ(mm("149999999.999999"), money("1875000"));  // 1,874,999.9999999875 rounds up
  EXPECT_EQ(mm("150000000.000001"), money("1875000.000001"));  // + 0.025 µ$ rounds up
  EXPECT_EQ(im("200000000"), money("6250000"));  // 10M − 3.75M
  EXPECT_EQ(mm("200000000"), money("3125000"));  // 5M − 1.875M
  // MM is half of IM wherever both are exact.
  for (const char* n : {"1", "1000", "1000000", "150000000", "150000040", "987654320", "2000000000"}) {
    EXPECT_EQ(mm(n).raw() * 2, im(n).raw()) << n;
  }
}

// ETH: 25× up to $100M, then 15×; 1/15 is not a decimal, so the rates round up and the tiers
// still meet exactly at the boundary.
TEST(RequirementReference, HyperliquidEthTiersContinuous) {
  const TierRule::LeverageTier eth[] = {{Money{}, 25}, {money("100000000"), 15}};
  const Result<TierRule> made = TierRule::from_leverage(eth);
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(made->tiers()[1].initial_rate, ratio("0.066666666667"));
  EXPECT_EQ(made->tiers()[1].maintenance_rate, ratio("0.033333333334"));
  for (const MarginKind kind : {MarginKind::initial, MarginKind::maintenance}) {
    const Money at = *made->requirement(kind, money("100000000"));
    const Money below = *made->requirement(kind, money("99999999.999999"));
    EXPECT_EQ(at, kind == MarginKind::initial ? money("4000000") : money("2000000"));
    EXPECT_LE(below, at);
    EXPECT_LE(at.raw() - below.raw(), 1);
  }
}

// ---------------------------------------------------------------------------------------------
// Base rule, validation.

TEST(Requirement, BaseRuleRoundsUp) {
  const RequirementRule rule = BaseRule{ratio("0.05"), ratio("0.03")};
  EXPECT_EQ(initial_requirement(rule, money("0.000001"), Quantity{}, Money{}), money("0.000001"));
  EXPECT_EQ(maintenance_requirement(rule, money("0.000001"), Quantity{}), money("0.000001"));
  EXPECT_EQ(initial_requirement(rule, Money{}, Quantity{}, Money{}), Money{});
  EXPECT_EQ(initial_requirement(rule, money("123.456789"), Quantity{}, Money{}), money("6.17284"));
  EXPECT_EQ(maintenance_requirement(rule, money("123.456789"), Quantity{}), money("3.703704"));
  EXPECT_EQ(initial_requirement(rule, Money::from_raw(INT64_MAX), Quantity{}, Money{}),
            Money::from_raw(461'168'601'842'738'791));  // ceil(0.05 × max)
}

TEST(Requirement, OverflowIsNullopt) {
  const RequirementRule rule = SizeRule{ratio("1"), ratio("1"), ratio("1")};
  // MR at 9.2e9 units is ~0.8 + 96,000: far beyond any notional's range.
  EXPECT_FALSE(initial_requirement(rule, Money::from_raw(INT64_MAX / 2), Quantity::from_raw(INT64_MAX), Money{}));
}

TEST(RequirementValidate, NamesTheRuleAndField) {
  EXPECT_TRUE(validate(RequirementRule{BaseRule{ratio("0.1"), ratio("0.05")}}).ok());
  EXPECT_EQ(error_of(validate(RequirementRule{BaseRule{ratio("1.1"), ratio("0.05")}})),
            "base rule: initial_rate: must be in [0, 1], got 1.1");
  EXPECT_EQ(error_of(validate(RequirementRule{BaseRule{ratio("0.1"), ratio("0.2")}})),
            "base rule: maintenance_rate: must be in [0, initial_rate (0.1)], got 0.2");
  EXPECT_EQ(error_of(validate(RequirementRule{SizeRule{ratio("0.1"), ratio("0.05"), ratio("-0.001")}})),
            "size rule: imf_factor: must be in [0, 1], got -0.001");
  EXPECT_EQ(error_of(validate(RequirementRule{OiRampRule{ratio("0.1"), ratio("0.05"), money("-1"), Money{}}})),
            "oi ramp rule: oi_lower_cap: must be at least 0, got -1");
  EXPECT_EQ(error_of(validate(RequirementRule{OiRampRule{ratio("0.1"), ratio("0.05"), money("2"), money("1")}})),
            "oi ramp rule: oi_upper_cap: must be 0 (no ramp) or at least oi_lower_cap (2), got 1");

  const auto tier_error = [](std::vector<NotionalTier> tiers) {
    const Result<TierRule> made = TierRule::make(tiers);
    EXPECT_FALSE(made.ok());
    return made.ok() ? std::string() : made.error().message;
  };
  EXPECT_EQ(tier_error({}), "tier rule: tiers: must hold 1 to 8 tiers, got 0");
  EXPECT_EQ(tier_error({{money("1"), ratio("0.1"), ratio("0.05")}}),
            "tier rule: tiers[0].lower_bound: must be 0 in the first tier, got 1");
  EXPECT_EQ(tier_error({{Money{}, ratio("0.1"), ratio("0.05")}, {Money{}, ratio("0.2"), ratio("0.1")}}),
            "tier rule: tiers[1].lower_bound: must be above tiers[0].lower_bound (0), got 0");
  EXPECT_EQ(tier_error({{Money{}, ratio("0.1"), ratio("0.05")}, {money("5"), ratio("0.09"), ratio("0.05")}}),
            "tier rule: tiers[1].initial_rate: must be at least tiers[0].initial_rate (0.1), got 0.09");
  EXPECT_EQ(tier_error({{Money{}, ratio("0.1"), ratio("0.05")}, {money("5"), ratio("0.2"), ratio("0.04")}}),
            "tier rule: tiers[1].maintenance_rate: must be at least tiers[0].maintenance_rate (0.05), got 0.04");
  EXPECT_EQ(tier_error({{Money{}, ratio("0.1"), ratio("0.15")}}),
            "tier rule: tiers[0].maintenance_rate: must be in [0, initial_rate (0.1)], got 0.15");
  const TierRule::LeverageTier zero[] = {{Money{}, 0}};
  EXPECT_EQ(TierRule::from_leverage(zero).error().message,
            "tier rule: tiers[0].max_leverage: must be at least 1, got 0");
}

// ---------------------------------------------------------------------------------------------
// Oracle-latency buffer.

TEST(LatencyBuffer, ScalesWithVolatilityAndRootLatency) {
  const LatencyBuffer buffer{ratio("3"), 400'000'000, 1'600'000'000};  // 0.4 s + 1.6 s
  ASSERT_TRUE(buffer.validate().ok());
  const Ratio rate = *latency_buffer_rate(buffer, 0.8);
  const long double exact = 3.0L * 0.8L * std::sqrt(2.0L / (365.0L * 86400.0L));
  EXPECT_GE(static_cast<long double>(rate.raw()), exact * 1e12L);
  EXPECT_LE(static_cast<long double>(rate.raw()), exact * 1e12L + 1.0L);
  // 3 × 0.8 × √(2 s / year) × $1M = $604.3979...
  EXPECT_EQ(latency_addon(buffer, 0.8, money("1000000")), money("604.397886"));

  // Doubling latency scales the buffer by √2 (to within the last place of the rate).
  const LatencyBuffer doubled{ratio("3"), 800'000'000, 3'200'000'000};
  const Ratio rate2 = *latency_buffer_rate(doubled, 0.8);
  EXPECT_NEAR(static_cast<double>(rate2.raw()) / static_cast<double>(rate.raw()), std::sqrt(2.0), 1e-8);
  // Zero latency, zero volatility or a zero multiplier: no buffer.
  EXPECT_EQ(latency_buffer_rate(LatencyBuffer{ratio("3"), 0, 0}, 0.8), Ratio{});
  EXPECT_EQ(latency_buffer_rate(buffer, 0.0), Ratio{});
  EXPECT_EQ(latency_buffer_rate(LatencyBuffer{Ratio{}, 1, 1}, 0.8), Ratio{});
  EXPECT_EQ(latency_addon(LatencyBuffer{ratio("3"), 0, 0}, 0.8, money("1000000")), Money{});
  // A slower oracle requires more capital.
  const LatencyBuffer slow{ratio("3"), 60'000'000'000, 1'600'000'000};
  EXPECT_GT(*latency_addon(slow, 0.8, money("1000000")), *latency_addon(buffer, 0.8, money("1000000")));
  // Bad volatilities.
  EXPECT_FALSE(latency_buffer_rate(buffer, -0.1));
  EXPECT_FALSE(latency_buffer_rate(buffer, std::nan("")));
  EXPECT_FALSE(latency_buffer_rate(buffer, HUGE_VAL));
  EXPECT_FALSE(latency_buffer_rate(buffer, 1e300));  // beyond Ratio's range
  // Validation.
  EXPECT_EQ(error_of(LatencyBuffer{ratio("-1"), 0, 0}.validate()),
            "latency buffer: multiplier: must be at least 0, got -1");
  EXPECT_EQ(error_of(LatencyBuffer{ratio("1"), -1, 0}.validate()),
            "latency buffer: oracle_latency_ns: must be at least 0, got -1");
  EXPECT_EQ(error_of(LatencyBuffer{ratio("1"), 0, -1}.validate()),
            "latency buffer: liquidation_latency_ns: must be at least 0, got -1");
  const LatencyBuffer too_slow{ratio("1"), 10 * kNanosecondsPerYear, 1};
  EXPECT_FALSE(too_slow.validate().ok());
}

RC_GTEST_PROP(LatencyBufferProperty, NeverBelowTheExactRateAndMonotone, ()) {
  const LatencyBuffer buffer{Ratio::from_raw(*rc::gen::inRange<std::int64_t>(0, 10 * Ratio::kScale)),
                             *rc::gen::inRange<std::int64_t>(0, 3'600'000'000'000),
                             *rc::gen::inRange<std::int64_t>(0, 3'600'000'000'000)};
  const double vol = *rc::gen::inRange(0, 500'000) / 100'000.0;
  const Ratio rate = *latency_buffer_rate(buffer, vol);
  const long double exact = static_cast<long double>(buffer.multiplier.raw()) * static_cast<long double>(vol) *
                            std::sqrt(static_cast<long double>(buffer.oracle_latency_ns + buffer.liquidation_latency_ns) /
                                      static_cast<long double>(kNanosecondsPerYear));
  RC_ASSERT(static_cast<long double>(rate.raw()) >= exact * (1.0L - 1e-17L));
  RC_ASSERT(static_cast<long double>(rate.raw()) <= exact * (1.0L + 1e-13L) + 1.0L);
  LatencyBuffer slower = buffer;
  slower.oracle_latency_ns += *rc::gen::inRange<std::int64_t>(0, 1'000'000'000);
  RC_ASSERT(*latency_buffer_rate(slower, vol) >= rate);
}

// ---------------------------------------------------------------------------------------------
// Properties over every rule.

rc::Gen<Ratio> ratio_in(std::int64_t lo, std::int64_t hi) {
  return rc::gen::map(rc::gen::inRange<std::int64_t>(lo, hi + 1),
                      [](std::int64_t raw) { return Ratio::from_raw(raw); });
}

rc::Gen<Money> money_in(std::int64_t lo, std::int64_t hi) {
  return rc::gen::map(rc::gen::inRange<std::int64_t>(lo, hi),
                      [](std::int64_t raw) { return Money::from_raw(raw); });
}

rc::Gen<Money> any_notional() {
  return rc::gen::oneOf(money_in(0, 1'000'000'000'000'000), money_in(0, INT64_MAX));
}

rc::Gen<TierRule> tier_rules() {
  return rc::gen::exec([] {
    const auto count = *rc::gen::inRange<std::size_t>(1, kMaxNotionalTiers + 1);
    std::vector<NotionalTier> tiers;
    std::int64_t bound = 0;
    std::int64_t im = *rc::gen::inRange<std::int64_t>(0, Ratio::kScale / 10);
    std::int64_t mm = *rc::gen::inRange<std::int64_t>(0, im + 1);
    for (std::size_t i = 0; i < count; ++i) {
      tiers.push_back({Money::from_raw(bound), Ratio::from_raw(im), Ratio::from_raw(mm)});
      bound += *rc::gen::inRange<std::int64_t>(1, 1'000'000'000'000'000);
      im = *rc::gen::inRange<std::int64_t>(im, Ratio::kScale + 1);
      mm = *rc::gen::inRange<std::int64_t>(mm, im + 1);
    }
    const Result<TierRule> made = TierRule::make(tiers);
    RC_ASSERT(made.ok());
    return *made;
  });
}

rc::Gen<RequirementRule> any_rule() {
  return rc::gen::exec([]() -> RequirementRule {
    const Ratio im = *ratio_in(0, Ratio::kScale);
    const Ratio mm = *ratio_in(0, im.raw());
    switch (*rc::gen::inRange(0, 4)) {
      case 0:
        return BaseRule{im, mm};
      case 1:
        return SizeRule{im, mm, *rc::gen::oneOf(ratio_in(0, Ratio::kScale / 100), ratio_in(0, Ratio::kScale))};
      case 2: {
        const Money lower = *money_in(0, 1'000'000'000'000'000'000);
        const Money upper = *rc::gen::oneOf(rc::gen::just(Money{}),
                                            money_in(lower.raw(), 2'000'000'000'000'000'000));
        return OiRampRule{im, mm, lower, upper};
      }
      default:
        return *tier_rules();
    }
  });
}

rc::Gen<Quantity> any_size() {
  return rc::gen::map(rc::gen::oneOf(rc::gen::inRange<std::int64_t>(-1'000'000'000'000, 1'000'000'000'000),
                                     rc::gen::arbitrary<std::int64_t>()),
                      [](std::int64_t raw) { return Quantity::from_raw(raw); });
}

// nullopt is "beyond range", i.e. larger than every value.
bool at_most(const std::optional<Money>& a, const std::optional<Money>& b) {
  return !b || (a && *a <= *b);
}

std::int64_t magnitude(Quantity q) { return q.raw() == INT64_MIN ? INT64_MAX : std::abs(q.raw()); }

RC_GTEST_PROP(RequirementProperty, NonDecreasingInNotionalSizeAndOpenInterest, ()) {
  const RequirementRule rule = *any_rule();
  RC_ASSERT(validate(rule).ok());
  const auto kind = *rc::gen::element(MarginKind::initial, MarginKind::maintenance);
  Money n1 = *any_notional();
  Money n2 = *any_notional();
  if (n1 > n2) std::swap(n1, n2);
  Quantity s1 = *any_size();
  Quantity s2 = *any_size();
  if (magnitude(s1) > magnitude(s2)) std::swap(s1, s2);
  Money oi1 = *money_in(0, INT64_MAX);
  Money oi2 = *money_in(0, INT64_MAX);
  if (oi1 > oi2) std::swap(oi1, oi2);
  const auto base = requirement(rule, kind, n1, s1, oi1);
  RC_ASSERT(at_most(base, requirement(rule, kind, n2, s1, oi1)));
  RC_ASSERT(at_most(base, requirement(rule, kind, n1, s2, oi1)));
  RC_ASSERT(at_most(base, requirement(rule, kind, n1, s1, oi2)));
}

// marginal_rate is the requirement's slope in the notional: between two notionals on one piece
// (one tier) the requirement moves by rate × the difference, up to the two ceilings' micro-unit.
RC_GTEST_PROP(RequirementProperty, MarginalRateIsTheSlope, ()) {
  const RequirementRule rule = *any_rule();
  const auto kind = *rc::gen::element(MarginKind::initial, MarginKind::maintenance);
  const Quantity size = *any_size();
  const Money oi = *money_in(0, INT64_MAX);
  Money n1 = *money_in(0, 1'000'000'000'000'000);
  Money n2 = *money_in(0, 1'000'000'000'000'000);
  if (n1 > n2) std::swap(n1, n2);
  if (const auto* tiers = std::get_if<TierRule>(&rule)) RC_PRE(tiers->tier_at(n1) == tiers->tier_at(n2));
  const Ratio rate = marginal_rate(rule, kind, n1, size, oi);
  RC_ASSERT(rate == marginal_rate(rule, kind, n2, size, oi));
  const std::optional<Money> r1 = requirement(rule, kind, n1, size, oi);
  const std::optional<Money> r2 = requirement(rule, kind, n2, size, oi);
  RC_PRE(r1.has_value() && r2.has_value());  // a huge √size premium leaves Money's range
  const int128 moved = static_cast<int128>(r2->raw() - r1->raw()) * Ratio::kScale;
  const int128 exact = static_cast<int128>(n2.raw() - n1.raw()) * rate.raw();
  RC_ASSERT(moved - exact < static_cast<int128>(Ratio::kScale) && exact - moved < static_cast<int128>(Ratio::kScale));
}

RC_GTEST_PROP(RequirementProperty, InitialAtLeastMaintenance, ()) {
  const RequirementRule rule = *any_rule();
  const Money n = *any_notional();
  const Quantity s = *any_size();
  const Money oi = *money_in(0, INT64_MAX);
  RC_ASSERT(at_most(maintenance_requirement(rule, n, s, oi), initial_requirement(rule, n, s, oi)));
}

// Around every boundary a step of one micro-dollar of notional moves the requirement by at
// most the rate (≤ 1 µ$) plus the rounding: continuity, no jump at the tier edge.
RC_GTEST_PROP(RequirementProperty, TiersContinuousAtEveryBoundary, ()) {
  const TierRule rule = *tier_rules();
  const auto kind = *rc::gen::element(MarginKind::initial, MarginKind::maintenance);
  const auto tiers = rule.tiers();
  for (std::size_t i = 1; i < tiers.size(); ++i) {
    const NotionalTier& below = tiers[i - 1];
    const NotionalTier& at = tiers[i];
    // Exactly: both tiers' formulas agree at the boundary.
    const Ratio rate_below = kind == MarginKind::initial ? below.initial_rate : below.maintenance_rate;
    const Ratio rate_at = kind == MarginKind::initial ? at.initial_rate : at.maintenance_rate;
    const int128 l = at.lower_bound.raw();
    RC_ASSERT(l * rate_below.raw() - rule.deduction(kind, i - 1) == l * rate_at.raw() - rule.deduction(kind, i));
    const auto left = rule.requirement(kind, Money::from_raw(at.lower_bound.raw() - 1));
    const auto right = rule.requirement(kind, at.lower_bound);
    RC_ASSERT(left && right);
    RC_ASSERT(*left <= *right);
    RC_ASSERT(right->raw() - left->raw() <= 1);
  }
}

// Each result against the exact figure in big integers: result ≥ exact, and result is not more
// than the rounding allows above it (1 µ$, plus notional × 10^-12 where a rate rounds first).
RC_GTEST_PROP(RequirementProperty, NeverBelowTheExactValue, ()) {
  const RequirementRule rule = *any_rule();
  const auto kind = *rc::gen::element(MarginKind::initial, MarginKind::maintenance);
  const Money n = *any_notional();
  const Quantity s = *any_size();
  const Money oi = *money_in(0, INT64_MAX);
  const std::optional<Money> got = requirement(rule, kind, n, s, oi);
  const BigInt N(n.raw());
  const BigInt scale(Ratio::kScale);
  const bool initial = kind == MarginKind::initial;
  if (const auto* base = std::get_if<BaseRule>(&rule)) {
    const BigInt exact = N * (initial ? base->initial_rate : base->maintenance_rate).raw();  // 10^-18
    RC_ASSERT(got.has_value());
    RC_ASSERT(BigInt(got->raw()) * scale >= exact);
    RC_ASSERT(BigInt(got->raw() - 1) * scale < exact);
  } else if (const auto* size_rule = std::get_if<SizeRule>(&rule)) {
    if (!got) return;  // beyond range
    // got ≥ N·m and got ≥ N·(0.8m + f·√s): with L = 5·10^12·got − 4·N·m, L ≥ 0 and
    // L²·10^9 ≥ 25·N²·f²·s.
    const BigInt m((initial ? size_rule->initial_rate : size_rule->maintenance_rate).raw());
    const BigInt f(size_rule->imf_factor.raw());
    const BigInt S = BigInt(magnitude(s)) + (s.raw() == INT64_MIN ? 1 : 0);
    const BigInt g(got->raw());
    RC_ASSERT(g * scale >= N * m);
    const BigInt l = 5 * scale * g - 4 * N * m;
    RC_ASSERT(l >= 0);
    RC_ASSERT(l * l * 1'000'000'000 >= 25 * N * N * f * f * S);
    // Not far above: (got − 2 − N·10^-12·3) below the exact value unless the floor m binds.
    const BigInt slack = (N * 3) / scale + 2;
    const BigInt l2 = 5 * scale * (g - slack) - 4 * N * m;
    RC_ASSERT(BigInt(g - slack) * scale < N * m || l2 < 0 || l2 * l2 * 1'000'000'000 < 25 * N * N * f * f * S);
  } else if (const auto* ramp = std::get_if<OiRampRule>(&rule)) {
    RC_ASSERT(got.has_value());
    // exact = N·(b + (OI − L)/(U − L)·(1 − b)) for lower < OI < upper; the other cases exact rates.
    const BigInt g(got->raw());
    const Ratio rate = initial ? effective_imf(*ramp, oi) : ramp->maintenance_rate;
    const bool ramping = initial && ramp->oi_upper_cap.raw() != 0 && oi > ramp->oi_lower_cap && oi < ramp->oi_upper_cap;
    if (!ramping) {
      RC_ASSERT(g * scale >= N * rate.raw());
      RC_ASSERT((g - 1) * scale < N * rate.raw());
    } else {
      const BigInt b(ramp->initial_rate.raw());
      const BigInt span = BigInt(ramp->oi_upper_cap.raw()) - ramp->oi_lower_cap.raw();
      const BigInt over = BigInt(oi.raw()) - ramp->oi_lower_cap.raw();
      const BigInt exact_times = N * (b * span + over * (scale - b));  // exact × 10^12 × span
      RC_ASSERT(g * scale * span >= exact_times);
      RC_ASSERT((g - 2 - N / scale) * scale * span < exact_times);
    }
  } else {
    const auto& tiers = std::get<TierRule>(rule);
    RC_ASSERT(got.has_value());
    // Σ over tiers of rate × the part of the notional inside the tier: the marginal form.
    BigInt exact = 0;
    const auto list = tiers.tiers();
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::int64_t lo = list[i].lower_bound.raw();
      const std::int64_t hi = i + 1 < list.size() ? list[i + 1].lower_bound.raw() : INT64_MAX;
      if (n.raw() <= lo) break;
      const BigInt part = BigInt(std::min(hi, n.raw())) - lo;
      exact += part * (initial ? list[i].initial_rate : list[i].maintenance_rate).raw();
    }
    RC_ASSERT(BigInt(got->raw()) * scale >= exact);
    RC_ASSERT(BigInt(got->raw() - 1) * scale < exact);
  }
}

}  // namespace
}  // namespace ballast::margin
