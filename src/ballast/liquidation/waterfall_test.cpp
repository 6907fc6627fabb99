// The bankruptcy waterfall: the insurance fund's part under each bound (hand-worked: the fund pays
// the least of the shortfall and the three rooms), withdrawal gating, and both socialization methods
// with remainders worked out unit by unit.

#include "ballast/liquidation/waterfall.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace ballast::liquidation {
namespace {

Money micro(std::int64_t raw) { return Money::from_raw(raw); }
Money dollars(std::int64_t whole) { return *Money::from_whole(whole); }
Quantity btc(std::int64_t whole) { return *Quantity::from_whole(whole); }
SubAccountId sub(std::uint64_t id) { return {id}; }

constexpr InsuranceUse kUnused{};

InsuranceCaps wide_caps() {
  return {.per_account_window = dollars(1'000'000'000), .per_event = dollars(1'000'000'000), .keep_minimum = Money{}};
}

// ---------------------------------------------------------------------------------------------
// plan_waterfall

TEST(PlanWaterfall, FundCoversAll) {
  const WaterfallPlan plan = plan_waterfall(dollars(1'000), dollars(10'000), wide_caps(), kUnused);
  EXPECT_EQ(plan.status, WaterfallStatus::ok);
  EXPECT_EQ(plan.from_insurance, dollars(1'000));
  EXPECT_EQ(plan.remaining, Money{});
  EXPECT_EQ(plan.limits, insurance_not_limited);
}

// Drift resolve_perp_bankruptcy: the fund pays at most its balance less one unit, which stays in the
// vault. 500 − 0.000001 = 499.999999 paid; 800 − 499.999999 = 300.000001 left.
TEST(PlanWaterfall, DriftKeepsOneUnitInTheVault) {
  InsuranceCaps caps = wide_caps();
  caps.keep_minimum = micro(1);
  const WaterfallPlan plan = plan_waterfall(dollars(800), dollars(500), caps, kUnused);
  EXPECT_EQ(plan.from_insurance, micro(499'999'999));
  EXPECT_EQ(plan.remaining, micro(300'000'001));
  EXPECT_EQ(plan.limits, insurance_limit_balance);
}

// dYdX v4 sample genesis: at most $1M of insurance-fund loss per subaccount per block.
// $1.5M short with a $10M fund: $1M paid, $0.5M to deleveraging.
TEST(PlanWaterfall, DydxAccountCapPerBlock) {
  const InsuranceCaps caps{.per_account_window = dollars(1'000'000), .per_event = dollars(5'000'000)};
  const WaterfallPlan plan = plan_waterfall(dollars(1'500'000), dollars(10'000'000), caps, kUnused);
  EXPECT_EQ(plan.from_insurance, dollars(1'000'000));
  EXPECT_EQ(plan.remaining, dollars(500'000));
  EXPECT_EQ(plan.limits, insurance_limit_account_cap);

  // The same account already took $400k this block: room 600k, so 600k paid and 900k left.
  const WaterfallPlan again =
      plan_waterfall(dollars(1'500'000), dollars(10'000'000), caps, {.used_by_account_in_window = dollars(400'000)});
  EXPECT_EQ(again.from_insurance, dollars(600'000));
  EXPECT_EQ(again.remaining, dollars(900'000));
  EXPECT_EQ(again.limits, insurance_limit_account_cap);
}

// The event has paid $1.8M of its $2M: room 200k of a 300k shortfall; 100k left.
TEST(PlanWaterfall, EventCapBinds) {
  const InsuranceCaps caps{.per_account_window = dollars(1'000'000), .per_event = dollars(2'000'000)};
  const WaterfallPlan plan =
      plan_waterfall(dollars(300'000), dollars(10'000'000), caps, {.used_in_event = dollars(1'800'000)});
  EXPECT_EQ(plan.from_insurance, dollars(200'000));
  EXPECT_EQ(plan.remaining, dollars(100'000));
  EXPECT_EQ(plan.limits, insurance_limit_event_cap);
}

TEST(PlanWaterfall, EqualBoundsAllReported) {
  // Balance room 1,000 − 100 = 900, account room 1,000 − 100 = 900, event room 5,000.
  const InsuranceCaps caps{
      .per_account_window = dollars(1'000), .per_event = dollars(5'000), .keep_minimum = dollars(100)};
  const WaterfallPlan plan =
      plan_waterfall(dollars(2'000), dollars(1'000), caps, {.used_by_account_in_window = dollars(100)});
  EXPECT_EQ(plan.from_insurance, dollars(900));
  EXPECT_EQ(plan.remaining, dollars(1'100));
  EXPECT_EQ(plan.limits, insurance_limit_balance | insurance_limit_account_cap);
}

TEST(PlanWaterfall, ExactFitIsNotLimited) {
  // The shortfall equals every room: the fund covers it, nothing was cut.
  const InsuranceCaps caps{.per_account_window = dollars(70), .per_event = dollars(70)};
  const WaterfallPlan plan = plan_waterfall(dollars(70), dollars(70), caps, kUnused);
  EXPECT_EQ(plan.from_insurance, dollars(70));
  EXPECT_EQ(plan.remaining, Money{});
  EXPECT_EQ(plan.limits, insurance_not_limited);
}

TEST(PlanWaterfall, CapLoweredBelowUseLeavesNoRoom) {
  const InsuranceCaps caps{.per_account_window = dollars(100), .per_event = dollars(1'000)};
  const WaterfallPlan plan =
      plan_waterfall(dollars(50), dollars(1'000), caps, {.used_by_account_in_window = dollars(150)});
  EXPECT_EQ(plan.status, WaterfallStatus::ok);
  EXPECT_EQ(plan.from_insurance, Money{});
  EXPECT_EQ(plan.remaining, dollars(50));
  EXPECT_EQ(plan.limits, insurance_limit_account_cap);
}

TEST(PlanWaterfall, BalanceBelowFloorPaysNothing) {
  InsuranceCaps caps = wide_caps();
  caps.keep_minimum = dollars(10);
  const WaterfallPlan plan = plan_waterfall(dollars(5), dollars(8), caps, kUnused);
  EXPECT_EQ(plan.from_insurance, Money{});
  EXPECT_EQ(plan.remaining, dollars(5));
  EXPECT_EQ(plan.limits, insurance_limit_balance);
}

TEST(PlanWaterfall, RejectsBadInput) {
  EXPECT_EQ(plan_waterfall(Money{}, dollars(10), wide_caps(), kUnused).status, WaterfallStatus::shortfall_not_positive);
  EXPECT_EQ(plan_waterfall(micro(-1), dollars(10), wide_caps(), kUnused).status,
            WaterfallStatus::shortfall_not_positive);
  EXPECT_EQ(plan_waterfall(dollars(1), micro(-1), wide_caps(), kUnused).status, WaterfallStatus::input_negative);
  InsuranceCaps caps = wide_caps();
  caps.keep_minimum = micro(-1);
  EXPECT_EQ(plan_waterfall(dollars(1), dollars(10), caps, kUnused).status, WaterfallStatus::input_negative);
  const WaterfallPlan used = plan_waterfall(dollars(1), dollars(10), wide_caps(), {.used_in_event = micro(-1)});
  EXPECT_EQ(used.status, WaterfallStatus::input_negative);
  EXPECT_EQ(used.from_insurance, Money{});
  EXPECT_EQ(used.remaining, Money{});
  EXPECT_STREQ(waterfall_status_name(used.status), "input_negative");
}

// ---------------------------------------------------------------------------------------------
// withdrawals_gated (dYdX: 50 blocks after a negative-TNC account is seen)

TEST(WithdrawalGate, GatedForTheWindowAfterBadDebt) {
  constexpr std::int64_t kGateNs = 50;  // 50 one-nanosecond "blocks"
  EXPECT_FALSE(withdrawals_gated(std::nullopt, 1'000, kGateNs));
  EXPECT_TRUE(withdrawals_gated(1'000, 1'000, kGateNs));
  EXPECT_TRUE(withdrawals_gated(1'000, 1'049, kGateNs));
  EXPECT_FALSE(withdrawals_gated(1'000, 1'050, kGateNs));
  EXPECT_FALSE(withdrawals_gated(1'000, 1'000, 0));                     // no gate configured
  EXPECT_TRUE(withdrawals_gated(INT64_MAX - 10, INT64_MAX, kGateNs));  // no wrap at the end of time
}

// ---------------------------------------------------------------------------------------------
// socialize_loss (largest remainder)

std::vector<Money> charges_of(Money loss, const std::vector<Holder>& holders) {
  const Socialization out = socialize_loss(loss, holders);
  EXPECT_EQ(out.status, SocializeStatus::ok);
  return out.charges;
}

TEST(SocializeLoss, EqualWeightsExtraUnitToSmallestId) {
  // 100 / 3 = 33 rem 1 each: the one left-over unit goes to id 1, wherever it stands.
  const std::vector<Holder> holders{{sub(3), Quantity::from_raw(1)}, {sub(1), Quantity::from_raw(1)},
                                    {sub(2), Quantity::from_raw(1)}};
  EXPECT_EQ(charges_of(micro(100), holders), (std::vector<Money>{micro(33), micro(34), micro(33)}));
}

TEST(SocializeLoss, LargestRemainderBeatsId) {
  // 10 over weights 3, 1, 2 (Σ 6): exact 5, 1.667, 3.333; floors 5, 1, 3 (9); remainders 0, 4, 2
  // (in sixths): the unit goes to id 2.
  const std::vector<Holder> holders{{sub(1), Quantity::from_raw(3)}, {sub(2), Quantity::from_raw(1)},
                                    {sub(3), Quantity::from_raw(2)}};
  EXPECT_EQ(charges_of(micro(10), holders), (std::vector<Money>{micro(5), micro(2), micro(3)}));
}

// Drift weighs longs and shorts alike: $1,000 over |3| + |−1| + |−2| = 6 BTC.
// 10^9 × 3/6 = 500,000,000 exactly; 10^9/6 = 166,666,666 rem 4e9; 2·10^9/6 = 333,333,333 rem 2e9
// (remainders in units of 1e9 of Σweight 6e9). One unit left, to the largest remainder (id 2).
TEST(SocializeLoss, DriftBaseWeights) {
  const std::vector<Holder> holders{{sub(1), btc(3)}, {sub(2), btc(1)}, {sub(3), btc(2)}};
  EXPECT_EQ(charges_of(dollars(1'000), holders),
            (std::vector<Money>{micro(500'000'000), micro(166'666'667), micro(333'333'333)}));
}

TEST(SocializeLoss, ZeroWeightPaysNothing) {
  // 3 over 0, 1, 1: 1.5 each for ids 2 and 3; the unit goes to id 2, never to the empty holder.
  const std::vector<Holder> holders{{sub(1), Quantity{}}, {sub(2), btc(1)}, {sub(3), btc(1)}};
  EXPECT_EQ(charges_of(micro(3), holders), (std::vector<Money>{Money{}, micro(2), micro(1)}));
}

TEST(SocializeLoss, ZeroLossAndBadInput) {
  const std::vector<Holder> none;
  EXPECT_EQ(charges_of(Money{}, none), std::vector<Money>{});
  EXPECT_EQ(charges_of(Money{}, {{sub(1), Quantity{}}}), std::vector<Money>{Money{}});
  EXPECT_EQ(socialize_loss(micro(1), none).status, SocializeStatus::no_weight);
  EXPECT_EQ(socialize_loss(micro(1), std::vector<Holder>{{sub(1), Quantity{}}}).status, SocializeStatus::no_weight);
  EXPECT_EQ(socialize_loss(micro(-1), std::vector<Holder>{{sub(1), btc(1)}}).status, SocializeStatus::loss_negative);
  const Socialization negative = socialize_loss(micro(1), std::vector<Holder>{{sub(1), Quantity::from_raw(-1)}});
  EXPECT_EQ(negative.status, SocializeStatus::weight_negative);
  EXPECT_TRUE(negative.charges.empty());
  EXPECT_STREQ(socialize_status_name(negative.status), "weight_negative");
}

// ---------------------------------------------------------------------------------------------
// The Drift variant: one rate per base unit, rounded up, and the surplus it over-collects

TEST(LossPerBaseUnit, RoundsUp) {
  // $1,000 / 6 BTC = 166.6666666666… per BTC → 166.666666667 (Price has 9 decimals).
  EXPECT_EQ(loss_per_base_unit(dollars(1'000), btc(6)), Price::from_raw(166'666'666'667));
  EXPECT_EQ(loss_per_base_unit(dollars(900), btc(6)), Price::from_raw(150'000'000'000));  // exact
  EXPECT_EQ(loss_per_base_unit(dollars(1), Quantity{}), std::nullopt);
  EXPECT_EQ(loss_per_base_unit(micro(-1), btc(1)), std::nullopt);
  EXPECT_EQ(loss_per_base_unit(dollars(1'000'000'000), Quantity::from_raw(1)), std::nullopt);  // 1e18 per unit
}

TEST(SocializePerUnit, DriftCaseAndItsSurplus) {
  // At 166.666666667 per BTC: 3 BTC owe 500.000000001 → 500.000001; 1 BTC 166.666666667 →
  // 166.666667; 2 BTC 333.333333334 → 333.333334. Σ 1,000.000002: a surplus of 2 micro-units.
  const std::vector<Holder> holders{{sub(1), btc(3)}, {sub(2), btc(1)}, {sub(3), btc(2)}};
  const PerUnitSocialization out = socialize_per_unit(dollars(1'000), holders);
  ASSERT_EQ(out.status, SocializeStatus::ok);
  EXPECT_EQ(out.per_unit, Price::from_raw(166'666'666'667));
  EXPECT_EQ(out.charges, (std::vector<Money>{micro(500'000'001), micro(166'666'667), micro(333'333'334)}));
  EXPECT_EQ(out.surplus, micro(2));
}

TEST(SocializePerUnit, ExactRateHasNoSurplusAndBadInputFails) {
  const std::vector<Holder> holders{{sub(1), btc(4)}, {sub(2), btc(2)}};
  const PerUnitSocialization out = socialize_per_unit(dollars(900), holders);
  EXPECT_EQ(out.charges, (std::vector<Money>{dollars(600), dollars(300)}));
  EXPECT_EQ(out.surplus, Money{});
  EXPECT_EQ(socialize_per_unit(dollars(1), std::vector<Holder>{}).status, SocializeStatus::no_weight);
  const std::vector<Holder> dust{{sub(1), Quantity::from_raw(1)}};
  EXPECT_EQ(socialize_per_unit(dollars(1'000'000'000), dust).status, SocializeStatus::overflow);
}

}  // namespace
}  // namespace ballast::liquidation
