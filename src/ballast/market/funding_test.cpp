// Funding (funding.hpp): premiums, the dYdX clamp 6 × (IMF − MMF) and its hourly index step,
// Synthetix SIP-279's 30 sUSD (research note E11), exact index steps beyond 128 bits, and
// properties: longs pay at least what shorts receive, lazy settlement against settlement in many
// steps, accrual in one step against many.

#include "ballast/market/funding.hpp"
#include "ballast/core/testing/fixed_text.hpp"
#include "ballast/market/testing/instruments.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <vector>

namespace ballast::market {
namespace {

constexpr TimestampNs kHourNs = 3'600'000'000'000;
constexpr TimestampNs kDayNs = 24 * kHourNs;

FundingIndex index(const char* text) { return testing::funding_index(text); }

const Quantity kOne = qty("1");

Instrument perpetual(TimestampNs interval_ns, const char* clamp) {
  Instrument perp = testing::instrument({.id = InstrumentId{1}, .symbol = "ETH-PERP", .tick = "0.01"});
  perp.funding.interval_ns = interval_ns;
  perp.funding.clamp = ratio(clamp);
  return perp;
}

TEST(FundingPremium, MarkAgainstIndex) {
  EXPECT_EQ(premium_from_mark(price("50500"), price("50000")), ratio("0.01"));
  EXPECT_EQ(premium_from_mark(price("49999"), price("50000")), ratio("-0.00002"));
  // Toward zero on both sides.
  EXPECT_EQ(premium_from_mark(price("4"), price("3")), ratio("0.333333333333"));
  EXPECT_EQ(premium_from_mark(price("2"), price("3")), ratio("-0.333333333333"));
  EXPECT_EQ(premium_from_mark(price("1"), Price{}), std::nullopt);
}

TEST(FundingPremium, DydxImpactPrices) {
  EXPECT_EQ(premium_from_impact(price("50100"), price("50200"), price("50000")), ratio("0.002"));
  EXPECT_EQ(premium_from_impact(price("49990"), price("50010"), price("50000")), Ratio{});
  EXPECT_EQ(premium_from_impact(price("49800"), price("49900"), price("50000")), ratio("-0.002"));
  EXPECT_EQ(premium_from_impact(price("1"), price("2"), Price{}), std::nullopt);
}

TEST(FundingPremium, TheInstrumentChoosesTheSource) {
  const PremiumInputs inputs{price("50500"), price("50000"), price("50100"), price("50200")};
  FundingParams params;
  EXPECT_EQ(premium(params, inputs), ratio("0.01"));
  params.impact_premium = true;
  EXPECT_EQ(premium(params, inputs), ratio("0.002"));
}

TEST(FundingPremium, AverageOfSamplesTowardZero) {
  const std::vector<Ratio> rising{ratio("0.001"), ratio("0.002"), ratio("-0.0005")};
  EXPECT_EQ(average_premium(rising), ratio("0.000833333333"));
  const std::vector<Ratio> falling{ratio("-0.001"), ratio("-0.002"), ratio("0.0005")};
  EXPECT_EQ(average_premium(falling), ratio("-0.000833333333"));
  EXPECT_EQ(average_premium({}), std::nullopt);
}

// Research note (b), dYdX: the |rate| clamp is 6 × (IMF − MMF); Large-Cap IMF 2%, maintenance
// fraction 0.6, so MMF 1.2% and the clamp 4.8% per 8 h; the index moves rate × Δt / 8 h × price.
TEST(FundingDydx, ClampSixTimesImfMinusMmf) {
  const auto clamp = dydx_funding_clamp(ratio("0.02"), ratio("0.012"));
  ASSERT_EQ(clamp, ratio("0.048"));
  FundingParams params{8 * kHourNs, *clamp, Ratio{}, true};
  EXPECT_EQ(funding_rate(ratio("0.1"), params), ratio("0.048"));
  EXPECT_EQ(funding_rate(ratio("-0.2"), params), ratio("-0.048"));
  EXPECT_EQ(funding_rate(ratio("0.01"), params), ratio("0.01"));
  params.base_rate = ratio("0.0001");
  EXPECT_EQ(funding_rate(ratio("0.01"), params), ratio("0.0101"));
  EXPECT_EQ(funding_rate(ratio("0.0479"), params), ratio("0.048"));  // base joins before the clamp
  // One hour at the clamp, BTC at $50,000: 0.048 / 8 × 50,000 = $300 per BTC.
  EXPECT_EQ(funding_index_step(ratio("0.048"), price("50000"), kOne, kHourNs, 8 * kHourNs),
            index("300"));
  const Position long_tenth{qty("0.1"), money("5000"), Money{}, FundingIndex{}};
  EXPECT_EQ(funding_payment(long_tenth, index("300")), money("30"));
}

// Research note E11, Synthetix SIP-279: balanced market, a 100 ETH long at $2,000; the skew
// 100 / 1e6 with velocity 300%/day drives the rate from 0 to 0.03%/day over 24 h, and the long
// accrues 30 sUSD (paid to the shorts). Here: eight 3-hour steps, each at the ramp's mid rate
// (per day), exact in our fixed point.
TEST(FundingSynthetix, E11ThirtySusdOverADayOfLinearRamp) {
  const Instrument perp = perpetual(kDayNs, "1");
  FundingAccrual accrual{FundingIndex{}, 0};
  for (int step = 0; step < 8; ++step) {
    const Ratio rate = Ratio::from_raw(ratio("0.0003").raw() * (2 * step + 1) / 16);
    const auto next = accrue_funding(accrual, perp, rate, price("2000"), accrual.updated_ns + 3 * kHourNs);
    ASSERT_TRUE(next.has_value());
    accrual = *next;
  }
  EXPECT_EQ(accrual.index, index("0.3"));
  EXPECT_EQ(accrual.updated_ns, kDayNs);
  const Position long_eth{qty("100"), money("200000"), Money{}, FundingIndex{}};
  const Position short_eth{qty("-100"), money("-200000"), Money{}, FundingIndex{}};
  EXPECT_EQ(funding_payment(long_eth, accrual.index), money("30"));
  EXPECT_EQ(funding_payment(short_eth, accrual.index), money("-30"));
}

TEST(FundingIndexStep, RoundsTowardZero) {
  // 0.1 × 0.000000015 = 1.5e-9 per interval.
  EXPECT_EQ(funding_index_step(ratio("0.1"), price("0.000000015"), kOne, kHourNs, kHourNs),
            FundingIndex::from_raw(1));
  EXPECT_EQ(funding_index_step(ratio("-0.1"), price("0.000000015"), kOne, kHourNs, kHourNs),
            FundingIndex::from_raw(-1));
  EXPECT_EQ(funding_index_step(Ratio::from_raw(-1), price("1"), kOne, kHourNs, kHourNs),
            FundingIndex{});
  EXPECT_EQ(funding_index_step(ratio("0.5"), price("100"), kOne, 0, kHourNs), FundingIndex{});
  // Contract size scales the index: per contract of 1000 units.
  EXPECT_EQ(funding_index_step(ratio("0.001"), price("0.00001"), qty("1000"), kHourNs, kHourNs),
            index("0.00001"));
}

TEST(FundingIndexStep, ExactBeyondOneHundredTwentyEightBits) {
  // 0.01%/h at $100,000 for ten years: 1e8 × 1e14 × 1e9 × 3.15e17 ≈ 3e48 before dividing.
  const TimestampNs ten_years = 87'600 * kHourNs;
  EXPECT_EQ(funding_index_step(ratio("0.0001"), price("100000"), kOne, ten_years, kHourNs),
            index("876000"));
  EXPECT_EQ(funding_index_step(ratio("0.048"), price("9000000000"), kOne, kHourNs, kHourNs),
            index("432000000"));
  EXPECT_EQ(funding_index_step(ratio("1"), price("9000000000"), qty("9"), kHourNs, kHourNs),
            std::nullopt);
}

TEST(FundingAccrue, AccruesPerInstrumentInterval) {
  const Instrument perp = perpetual(8 * kHourNs, "0.048");
  const FundingAccrual start{index("10"), 5 * kHourNs};
  const auto next = accrue_funding(start, perp, ratio("-0.008"), price("3000"), 7 * kHourNs);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->index, index("4"));  // 10 − 0.008 × 3000 × 2/8
  EXPECT_EQ(next->updated_ns, 7 * kHourNs);
  const FundingAccrual top{FundingIndex::from_raw(INT64_MAX), 0};
  EXPECT_EQ(accrue_funding(top, perp, ratio("0.01"), price("3000"), kHourNs), std::nullopt);
}

// ---- Properties --------------------------------------------------------------------------------

Quantity gen_size() { return Quantity::from_raw(*rc::gen::inRange<std::int64_t>(1, 1'000'000'000'000)); }

FundingIndex gen_move() {
  return FundingIndex::from_raw(*rc::gen::inRange<std::int64_t>(-1'000'000'000'000, 1'000'000'000'000));
}

// size × move at 18 decimals, against a payment at 6.
int128 exact18(Quantity size, FundingIndex move) { return static_cast<int128>(size.raw()) * move.raw(); }
constexpr int128 kMoneyTo18 = 1'000'000'000'000;

RC_GTEST_PROP(FundingProperty, LongsPayAtLeastWhatShortsReceive, ()) {
  const int longs = *rc::gen::inRange(1, 20);
  std::vector<Quantity> sizes;
  std::int64_t open_interest = 0;
  for (int i = 0; i < longs; ++i) {
    sizes.push_back(gen_size());
    open_interest += sizes.back().raw();
  }
  // The shorts split the same open interest at random cut points.
  std::int64_t left = open_interest;
  while (left > 0) {
    const std::int64_t part = std::min(left, *rc::gen::inRange<std::int64_t>(1, open_interest + 1));
    sizes.push_back(Quantity::from_raw(-part));
    left -= part;
  }
  const FundingIndex snapshot = gen_move();
  const FundingIndex move = gen_move();
  const FundingIndex now = FundingIndex::from_raw(snapshot.raw() + move.raw());
  std::int64_t paid_by_longs = 0;
  std::int64_t received_by_shorts = 0;
  for (const Quantity size : sizes) {
    const auto payment = funding_payment(Position{size, Money{}, Money{}, snapshot}, now);
    RC_ASSERT(payment.has_value());
    // Whoever pays pays at least the exact amount; whoever receives gets at most that.
    RC_ASSERT(static_cast<int128>(payment->raw()) * kMoneyTo18 >= exact18(size, move));
    (size.is_negative() ? received_by_shorts : paid_by_longs) += payment->raw();
  }
  received_by_shorts = -received_by_shorts;
  // Signed: when the index falls, longs "pay" a negative amount (they receive).
  RC_ASSERT(paid_by_longs >= received_by_shorts);
  RC_ASSERT(paid_by_longs - received_by_shorts < static_cast<std::int64_t>(sizes.size()));
}

RC_GTEST_PROP(FundingProperty, SettlingOnChangeEqualsSettlingInManySteps, ()) {
  const Quantity size = *rc::gen::arbitrary<bool>() ? gen_size() : Quantity::from_raw(-gen_size().raw());
  const int steps = *rc::gen::inRange(1, 50);
  Position stepwise{size, Money{}, Money{}, FundingIndex{}};
  std::int64_t paid_in_steps = 0;
  FundingIndex now;
  for (int i = 0; i < steps; ++i) {
    now = FundingIndex::from_raw(now.raw() + gen_move().raw() / 100);
    const auto payment = funding_payment(stepwise, now);
    RC_ASSERT(payment.has_value());
    paid_in_steps += payment->raw();
    stepwise.funding_snapshot = now;
  }
  const auto paid_once = funding_payment(Position{size, Money{}, Money{}, FundingIndex{}}, now);
  RC_ASSERT(paid_once.has_value());
  // Each step rounds its payment up: the steps pay at least as much, and less than one
  // micro-unit more per extra settlement.
  RC_ASSERT(paid_in_steps >= paid_once->raw());
  RC_ASSERT(paid_in_steps - paid_once->raw() < steps);
}

RC_GTEST_PROP(FundingProperty, AccruingInStepsStaysWithinOneUnitPerStep, ()) {
  const Instrument perp = perpetual(8 * kHourNs, "0.048");
  const Ratio rate = Ratio::from_raw(*rc::gen::inRange<std::int64_t>(-48'000'000'000, 48'000'000'001));
  const Price at = Price::from_raw(*rc::gen::inRange<std::int64_t>(1, 200'000'000'000'000));
  const int steps = *rc::gen::inRange(1, 30);
  FundingAccrual stepwise{FundingIndex{}, 0};
  for (int i = 0; i < steps; ++i) {
    const TimestampNs now = stepwise.updated_ns + *rc::gen::inRange<TimestampNs>(0, 2 * kHourNs);
    const auto next = accrue_funding(stepwise, perp, rate, at, now);
    RC_ASSERT(next.has_value());
    stepwise = *next;
  }
  const auto once = accrue_funding(FundingAccrual{}, perp, rate, at, stepwise.updated_ns);
  RC_ASSERT(once.has_value());
  // Every step truncates toward zero, so the steps never move the index further than one step.
  const std::int64_t shortfall = rate.is_negative() ? stepwise.index.raw() - once->index.raw()
                                                    : once->index.raw() - stepwise.index.raw();
  RC_ASSERT(shortfall >= 0);
  RC_ASSERT(shortfall < steps);
}

}  // namespace
}  // namespace ballast::market
