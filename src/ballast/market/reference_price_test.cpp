// Reference prices (reference_price.hpp): the stable price step by step (values worked by hand
// from Mango's formula with our named roundings), its interval averages, spacing and gaps; TWAP
// over windows that start before, at and between samples, across gaps and after the ring drops
// samples; Drift's EMA and its rounding toward the new value; Hyperliquid's mark price with every
// combination of missing inputs. Properties: the stable price moves toward the oracle without
// passing it and within its growth bound; TWAP and EMA stay within their inputs.

#include "ballast/market/reference_price.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <utility>
#include <vector>

#include "ballast/market/settlement.hpp"

namespace ballast::market {
namespace {

constexpr TimestampNs kSecond = kNsPerSecond;
constexpr TimestampNs kHour = 3600 * kSecond;
constexpr TimestampNs kT0 = 1000 * kHour;  // on an interval boundary

Price px(const char* text) { return Price::parse(text, Round::down).value(); }
Price raw(std::int64_t value) { return Price::from_raw(value); }

// --- Stable price -----------------------------------------------------------------------------

TEST(StablePriceTest, StartsAtTheOracleEverywhere) {
  const StablePrice model = StablePrice::start({}, px("100"), kT0);
  EXPECT_EQ(model.stable_price(), px("100"));
  EXPECT_EQ(model.delay_price(), px("100"));
  EXPECT_EQ(model.newest_delay_price(), px("100"));
  EXPECT_EQ(model.last_update_ns(), kT0);
}

TEST(StablePriceTest, HandComputedSteps) {
  const StablePriceConfig config;  // Mango's defaults: 0.0003/s, 10 s spacing, 10 min cap
  StablePrice model = StablePrice::start(config, px("100"), kT0);
  // Step 1, 60 s, stable = delay so r = 1: growth 0.0003 * 60 = 0.018, move 1.8.
  EXPECT_EQ(model.update(config, px("110"), kT0 + 60 * kSecond), StableUpdate::updated);
  EXPECT_EQ(model.stable_price(), px("101.8"));
  // Step 2, 60 s: r = 100 / 101.8 = 0.982318271119 (down), r^2 = 0.964949185774 (down),
  // per second 0.0003 r^2 = 0.000289484755 (down), growth x 60 = 0.0173690853,
  // move = 101.8 x 0.0173690853 = 1.768172883(54) (down): 103.568172883.
  EXPECT_EQ(model.update(config, px("110"), kT0 + 120 * kSecond), StableUpdate::updated);
  EXPECT_EQ(model.stable_price(), px("103.568172883"));
  // Step 3, back down toward 101.5, still limited: 101.830187217.
  EXPECT_EQ(model.update(config, px("101.5"), kT0 + 180 * kSecond), StableUpdate::updated);
  EXPECT_EQ(model.stable_price(), px("101.830187217"));
  // Step 4: the oracle is within reach: the stable price lands on it, not past it.
  EXPECT_EQ(model.update(config, px("101.5"), kT0 + 240 * kSecond), StableUpdate::updated);
  EXPECT_EQ(model.stable_price(), px("101.5"));
}

TEST(StablePriceTest, UpdatesCloserThanTheSpacingChangeNothing) {
  const StablePriceConfig config;
  StablePrice model = StablePrice::start(config, px("100"), kT0);
  EXPECT_EQ(model.update(config, px("110"), kT0 + 10 * kSecond - 1), StableUpdate::too_soon);
  EXPECT_EQ(model.stable_price(), px("100"));
  EXPECT_EQ(model.last_update_ns(), kT0);
  EXPECT_EQ(model.update(config, px("110"), kT0 + 10 * kSecond), StableUpdate::updated);
  EXPECT_EQ(model.stable_price(), px("100.3"));  // 0.0003 x 10 s
  EXPECT_EQ(model.update(config, px("0"), kT0 + 60 * kSecond), StableUpdate::non_positive);
  EXPECT_EQ(model.update(config, px("-1"), kT0 + 60 * kSecond), StableUpdate::non_positive);
  EXPECT_EQ(model.stable_price(), px("100.3"));
  EXPECT_EQ(model.last_update_ns(), kT0 + 10 * kSecond);
}

TEST(StablePriceTest, AnHourOfUpdatesClosesAnIntervalClampedToSixPercent) {
  const StablePriceConfig config;
  StablePrice model = StablePrice::start(config, px("100"), kT0);
  const std::vector<const char*> expected{"118", "133.254237222", "146.762250430",
                                          "159.026984635", "170.345818335", "180.912558496"};
  for (std::size_t k = 0; k < expected.size(); ++k) {
    model.update(config, px("200"), kT0 + static_cast<TimestampNs>(k + 1) * 600 * kSecond);
    EXPECT_EQ(model.stable_price(), px(expected[k])) << "step " << k + 1;
  }
  // The hour averaged 200; clamped to 100 x 1.06. It is read 24 hours later: the delay price
  // for now is still the start.
  EXPECT_EQ(model.newest_delay_price(), px("106"));
  EXPECT_EQ(model.delay_price(), px("100"));
  model.update(config, px("200"), kT0 + kHour + 600 * kSecond);
  EXPECT_EQ(model.stable_price(), px("190.862116525"));
  EXPECT_EQ(model.newest_delay_price(), px("106"));  // the new interval is still open
}

TEST(StablePriceTest, AnIntervalAverageIsTimeWeighted) {
  StablePriceConfig config;
  config.delay_growth_limit = Ratio::from_raw(Ratio::kScale);  // 100%: no clamp, see the mean
  StablePrice model = StablePrice::start(config, px("100"), kT0);
  model.update(config, px("100"), kT0 + 600 * kSecond);   // 600 s at 100
  model.update(config, px("130"), kT0 + 1200 * kSecond);  // 600 s at 130
  model.update(config, px("120"), kT0 + 1500 * kSecond);  // 300 s at 120
  model.update(config, px("100"), kT0 + kHour);            // the capped 600 s at 100
  // (100 x 600 + 130 x 600 + 120 x 300 + 100 x 600) / 2100 = 234000 / 2100 = 111.428571428(57)
  // (down). Mango would divide by the uncapped 3600 s and get 65.
  EXPECT_EQ(model.newest_delay_price(), px("111.428571428"));
}

TEST(StablePriceTest, ALongGapIsCappedAndRefreshesEveryInterval) {
  const StablePriceConfig config;
  StablePrice model = StablePrice::start(config, px("100"), kT0);
  model.update(config, px("200"), kT0 + 30 * kHour);
  // The gap counts as 10 min; its average, 200, clamps to 106 and fills all 24 intervals.
  EXPECT_EQ(model.delay_price(), px("106"));
  EXPECT_EQ(model.newest_delay_price(), px("106"));
  // r = 100/106 = 0.943396226415, r^2 = 0.889996440014, x 0.0003 = 0.000266998932,
  // x 600 s = 0.1601993592: 116.01993592.
  EXPECT_EQ(model.stable_price(), px("116.01993592"));
}

TEST(StablePriceTest, InitialMarginPrices) {
  EXPECT_EQ(asset_price(px("100"), px("90")), px("90"));
  EXPECT_EQ(asset_price(px("80"), px("90")), px("80"));
  EXPECT_EQ(liability_price(px("100"), px("90")), px("100"));
  EXPECT_EQ(liability_price(px("80"), px("90")), px("90"));
}

TEST(StablePriceTest, ClampGrowthRoundsTheMoveTowardTheStart) {
  // 3 x 0.5 = 1.5 raw units of move: rounded down to 1 either way.
  EXPECT_EQ(clamp_growth(raw(100), raw(3), Ratio::from_raw(500'000'000'000)), raw(4));
  EXPECT_EQ(clamp_growth(raw(0), raw(3), Ratio::from_raw(500'000'000'000)), raw(2));
  EXPECT_EQ(clamp_growth(raw(3), raw(3), Ratio::from_raw(0)), raw(3));
}

std::string stable_config_error(const StablePriceConfig& config) {
  const Outcome outcome = config.validate();
  EXPECT_FALSE(outcome.ok());
  return outcome.ok() ? std::string() : outcome.error().message;
}

// The engine snapshots the model: restored part way through a day of updates (across interval
// closes and a long gap) it must continue exactly as the original.
TEST(StablePriceTest, RestoredModelContinuesExactly) {
  const StablePriceConfig config;
  StablePrice model = StablePrice::start(config, px("100"), kT0);
  std::optional<StablePrice> resumed;
  for (int step = 1; step <= 400; ++step) {
    const TimestampNs at = kT0 + step * 97 * kSecond + (step > 300 ? 5 * kHour : 0);
    const Price oracle = px(step % 7 < 3 ? "104.5" : "97.25");
    if (step == 150) resumed = StablePrice::restore(config, model.state());
    model.update(config, oracle, at);
    if (resumed) resumed->update(config, oracle, at);
  }
  ASSERT_TRUE(resumed.has_value());
  EXPECT_EQ(resumed->state(), model.state());
}

TEST(StablePriceTest, RestoreRefusesStatesNoUpdateReaches) {
  const StablePriceConfig config;
  const StablePrice::State good = StablePrice::start(config, px("100"), kT0).state();
  ASSERT_TRUE(StablePrice::restore(config, good).has_value());
  StablePrice::State zero_delay = good;
  zero_delay.delay_prices[5] = Price{};
  StablePrice::State wrong_interval = good;
  wrong_interval.interval += 1;
  StablePrice::State negative_sum = good;
  negative_sum.accumulated_price_ns = -1;
  for (const auto& state : {zero_delay, wrong_interval, negative_sum}) {
    EXPECT_FALSE(StablePrice::restore(config, state).has_value());
  }
}

TEST(StablePriceConfigTest, DefaultsAreValidAndEachBadFieldIsNamed) {
  EXPECT_TRUE(StablePriceConfig{}.validate().ok());
  StablePriceConfig config;
  config.delay_interval_ns = 0;
  EXPECT_EQ(stable_config_error(config),
            "stable price config: delay_interval_ns must be positive, got 0");
  config = {};
  config.delay_growth_limit = Ratio::parse("1.5", Round::down).value();
  EXPECT_EQ(stable_config_error(config),
            "stable price config: delay_growth_limit must be in [0, 1], got 1.5");
  config = {};
  config.min_update_spacing_ns = 0;
  EXPECT_EQ(stable_config_error(config),
            "stable price config: min_update_spacing_ns must be positive, got 0");
  config = {};
  config.max_dt_ns = kSecond;
  EXPECT_EQ(stable_config_error(config),
            "stable price config: max_dt_ns must be >= min_update_spacing_ns, got 1000000000");
  config = {};
  config.stable_growth_limit_per_s = Ratio::parse("0.002", Round::down).value();  // x 600 s > 1
  EXPECT_EQ(stable_config_error(config),
            "stable price config: stable_growth_limit_per_s must be >= 0 with at most 1 per "
            "max_dt_ns, got 0.002");
  config.max_dt_ns = 500 * kSecond;  // exactly 1 per step: allowed
  EXPECT_TRUE(config.validate().ok());
}

// --- TWAP -------------------------------------------------------------------------------------

// A TWAP holding the given (price, seconds after kT0) samples, in order.
template <std::size_t N>
Twap<N> twap_of(std::initializer_list<std::pair<const char*, int>> samples) {
  Twap<N> twap;
  for (const auto& [price, seconds] : samples) twap.record(px(price), kT0 + seconds * kSecond);
  return twap;
}

TEST(TwapTest, EmptyHasNoAverage) {
  const Twap<4> twap;
  EXPECT_FALSE(twap.average(kT0, kSecond, Round::down).has_value());
}

TEST(TwapTest, AFirstSampleAtNowCoversNothingAndIsItsOwnPrice) {
  auto twap = twap_of<4>({{"100", 0}});
  const auto value = twap.average(kT0, 60 * kSecond, Round::down);
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(value->price, px("100"));
  EXPECT_EQ(value->covered_ns, 0);
}

TEST(TwapTest, WindowStartingBetweenSamples) {
  auto twap = twap_of<4>({{"100", 0}, {"200", 10}});
  // [5 s, 20 s]: 100 x 5 + 200 x 10 = 2500 over 15 s = 166.666666666(67)
  const auto down = twap.average(kT0 + 20 * kSecond, 15 * kSecond, Round::down);
  const auto up = twap.average(kT0 + 20 * kSecond, 15 * kSecond, Round::up);
  EXPECT_EQ(down->price, px("166.666666666"));
  EXPECT_EQ(up->price, px("166.666666667"));
  EXPECT_EQ(down->covered_ns, 15 * kSecond);
}

TEST(TwapTest, WindowBoundariesOnSamplesAndBeforeTheFirst) {
  auto twap = twap_of<4>({{"100", 0}, {"200", 10}});
  const TimestampNs now = kT0 + 20 * kSecond;
  EXPECT_EQ(twap.average(now, 10 * kSecond, Round::down)->price, px("200"));  // starts on a sample
  EXPECT_EQ(twap.average(now, 20 * kSecond, Round::down)->price, px("150"));  // on the first
  const auto longer = twap.average(now, 100 * kSecond, Round::down);  // before the first
  EXPECT_EQ(longer->price, px("150"));
  EXPECT_EQ(longer->covered_ns, 20 * kSecond);
  EXPECT_EQ(twap.average(kT0 + 10 * kSecond, 10 * kSecond, Round::down)->price, px("100"));
}

TEST(TwapTest, APriceHoldsAcrossAGap) {
  auto twap = twap_of<4>({{"100", 0}, {"200", 10}});
  EXPECT_EQ(twap.average(kT0 + 1000 * kSecond, 100 * kSecond, Round::down)->price, px("200"));
  // A window spanning the gap and the first piece: (100 x 10 + 200 x 990) / 1000 = 199.
  EXPECT_EQ(twap.average(kT0 + 1000 * kSecond, 1000 * kSecond, Round::down)->price, px("199"));
}

TEST(TwapTest, ASampleAtTheSameTimeReplacesThePrice) {
  auto twap = twap_of<4>({{"100", 0}, {"300", 10}, {"200", 10}});
  EXPECT_EQ(twap.size(), 2U);
  EXPECT_EQ(twap.average(kT0 + 20 * kSecond, 20 * kSecond, Round::down)->price, px("150"));
}

TEST(TwapTest, AFullRingDropsTheOldestAndSaysHowMuchItCovers) {
  auto twap = twap_of<2>({{"100", 0}, {"200", 10}, {"300", 20}});
  EXPECT_EQ(twap.size(), 2U);
  const auto value = twap.average(kT0 + 30 * kSecond, 30 * kSecond, Round::down);
  EXPECT_EQ(value->price, px("250"));  // [10 s, 30 s]: the piece at 100 is gone
  EXPECT_EQ(value->covered_ns, 20 * kSecond);
}

TEST(TwapTest, SignedValuesAverageExactly) {
  auto twap = twap_of<4>({{"-1", 0}, {"1", 10}});
  EXPECT_EQ(twap.average(kT0 + 20 * kSecond, 20 * kSecond, Round::down)->price, px("0"));
  twap.record(px("1"), kT0 + 21 * kSecond);
  // (-10 + 11) / 30 s... over [0, 30]: -1 x 10 + 1 x 20 = 10 / 30 = 0.333333333(3)
  EXPECT_EQ(twap.average(kT0 + 30 * kSecond, 30 * kSecond, Round::down)->price,
            px("0.333333333"));
  // Negative exact means round toward minus infinity when down.
  auto negative = twap_of<4>({{"-1", 0}, {"0", 10}});
  EXPECT_EQ(negative.average(kT0 + 30 * kSecond, 30 * kSecond, Round::down)->price,
            px("-0.333333334"));
}

// --- EMA ----------------------------------------------------------------------------------------

TEST(EmaTest, DriftsTimeWeightedUpdate) {
  Ema ema(10 * kSecond);
  EXPECT_FALSE(ema.value().has_value());
  ema.update(px("100"), kT0);
  EXPECT_EQ(ema.value(), px("100"));
  ema.update(px("110"), kT0 + 5 * kSecond);  // (110 x 5 + 100 x 5) / 10
  EXPECT_EQ(ema.value(), px("105"));
  ema.update(px("90"), kT0 + 7 * kSecond);  // (90 x 2 + 105 x 8) / 10 = 102
  EXPECT_EQ(ema.value(), px("102"));
  ema.update(px("120"), kT0 + 17 * kSecond);  // stood a whole period: replaces
  EXPECT_EQ(ema.value(), px("120"));
  ema.update(px("0"), kT0 + 17 * kSecond);  // the same instant weighs nothing
  EXPECT_EQ(ema.value(), px("120"));
}

TEST(EmaTest, RoundsTowardTheNewValueSoItConverges) {
  Ema up(10 * kSecond);
  up.update(px("100"), kT0);
  up.update(px("100.000000001"), kT0 + 1);  // exact: 100 + 1e-19: up to the next unit
  EXPECT_EQ(up.value(), px("100.000000001"));
  Ema down(10 * kSecond);
  down.update(px("100.000000001"), kT0);
  down.update(px("100"), kT0 + 1);
  EXPECT_EQ(down.value(), px("100"));
}

// --- Mark price ---------------------------------------------------------------------------------

TEST(MarkPriceTest, MedianOfTheThreeComponents) {
  const std::vector<Price> external{px("10012"), px("10020"), px("10018")};
  MarkPriceInputs inputs;
  inputs.oracle = px("10000");
  inputs.basis_ema = px("20");  // component 1: 10020
  inputs.best_bid = px("10005");
  inputs.best_ask = px("10015");
  inputs.last_trade = px("10010");  // component 2: 10010
  inputs.external_perp_mids = external;  // component 3: 10018
  EXPECT_EQ(mark_price(inputs), px("10018"));
  inputs.book_median_ema = px("1");  // ignored: three components are present
  EXPECT_EQ(mark_price(inputs), px("10018"));
}

TEST(MarkPriceTest, OnlyTheOracle) {
  MarkPriceInputs inputs;
  inputs.oracle = px("10000");
  EXPECT_EQ(mark_price(inputs), px("10000"));  // no basis EMA yet: zero basis
  inputs.basis_ema = px("-15");
  EXPECT_EQ(mark_price(inputs), px("9985"));
}

TEST(MarkPriceTest, TwoComponentsTakeTheBookEmaAsAThird) {
  MarkPriceInputs inputs;
  inputs.oracle = px("10000");
  inputs.best_bid = px("10004");
  inputs.best_ask = px("10006");  // component 2: mean of two, 10005
  EXPECT_EQ(mark_price(inputs), px("10002.5"));  // mean of 10000 and 10005
  inputs.book_median_ema = px("10003");
  EXPECT_EQ(mark_price(inputs), px("10003"));  // median of 10000, 10005, 10003
  // The same with the external median as the second component.
  const std::vector<Price> external{px("10001"), px("10002")};  // 10001.5
  MarkPriceInputs external_only;
  external_only.oracle = px("10000");
  external_only.external_perp_mids = external;
  EXPECT_EQ(mark_price(external_only), px("10000.75"));
  external_only.book_median_ema = px("10009");
  EXPECT_EQ(mark_price(external_only), px("10001.5"));
}

TEST(MarkPriceTest, PartialBooks) {
  MarkPriceInputs inputs;
  inputs.oracle = px("100");
  inputs.last_trade = px("103");  // component 2 is the last trade alone
  EXPECT_EQ(mark_price(inputs), px("101.5"));
  inputs.best_ask = px("100.000000001");  // component 2: (100.000000001 + 103) / 2, down
  EXPECT_EQ(mark_price(inputs), px("100.75"));  // mean of 100 and 101.5000000005 -> down
}

TEST(MarkPriceTest, OverflowIsReported) {
  MarkPriceInputs inputs;
  inputs.oracle = Price::from_raw(INT64_MAX);
  inputs.basis_ema = raw(1);
  EXPECT_FALSE(mark_price(inputs).has_value());
}

TEST(MarkPriceTest, BookMid) {
  EXPECT_EQ(book_mid(px("99"), px("101")), px("100"));
  EXPECT_EQ(book_mid(raw(1), raw(2)), raw(1));
  EXPECT_FALSE(book_mid(std::nullopt, px("101")).has_value());
  EXPECT_FALSE(book_mid(px("99"), std::nullopt).has_value());
}

// --- Properties -------------------------------------------------------------------------------

rc::Gen<Price> prices_up_to_a_million() {
  return rc::gen::map(rc::gen::inRange<std::int64_t>(1, 1'000'000'000'000'000),
                      [](std::int64_t v) { return Price::from_raw(v); });
}

RC_GTEST_PROP(StablePriceProperty, MovesTowardTheOracleWithinItsBound, ()) {
  const StablePriceConfig config;
  StablePrice model = StablePrice::start(config, *prices_up_to_a_million(), kT0);
  TimestampNs now = kT0;
  const auto steps = *rc::gen::inRange(1, 60);
  for (int i = 0; i < steps; ++i) {
    now += *rc::gen::inRange<TimestampNs>(0, 2 * kHour);
    const Price oracle = *prices_up_to_a_million();
    const Price before = model.stable_price();
    const TimestampNs capped_dt = std::min(now - model.last_update_ns(), config.max_dt_ns);
    const StableUpdate outcome = model.update(config, oracle, now);
    const Price after = model.stable_price();
    if (outcome != StableUpdate::updated) {
      RC_ASSERT(after == before);
      continue;
    }
    // Toward the oracle, never past it.
    RC_ASSERT(after >= std::min(before, oracle) && after <= std::max(before, oracle));
    // |after - before| <= before x growth_per_s x dt_s (r^2 <= 1), exactly.
    const int128 moved = after.raw() > before.raw() ? after.raw() - before.raw()
                                                    : before.raw() - after.raw();
    RC_ASSERT(moved * Ratio::kScale * kNsPerSecond <=
              static_cast<int128>(before.raw()) * config.stable_growth_limit_per_s.raw() *
                  capped_dt);
    RC_ASSERT(after.raw() > 0);
  }
}

RC_GTEST_PROP(TwapProperty, AverageLiesWithinTheSamples, ()) {
  Twap<64> twap;
  const auto count = *rc::gen::inRange(1, 64);
  TimestampNs now = kT0;
  std::int64_t low = INT64_MAX;
  std::int64_t high = INT64_MIN;
  for (int i = 0; i < count; ++i) {
    now += *rc::gen::inRange<TimestampNs>(0, 100 * kSecond);
    const std::int64_t value = *rc::gen::inRange<std::int64_t>(-1'000'000'000'000'000,
                                                               1'000'000'000'000'000);
    twap.record(Price::from_raw(value), now);
    low = std::min(low, value);
    high = std::max(high, value);
  }
  now += *rc::gen::inRange<TimestampNs>(0, 100 * kSecond);
  const TimestampNs window = *rc::gen::inRange<TimestampNs>(1, 10000 * kSecond);
  for (const Round round : {Round::down, Round::up}) {
    const auto value = twap.average(now, window, round);
    RC_ASSERT(value.has_value());
    RC_ASSERT(value->price.raw() >= low && value->price.raw() <= high);
    RC_ASSERT(value->covered_ns <= window);
  }
}

// Two independent implementations of the same integral: the streaming ring here and the batch
// time_weighted_price that expiry settlement uses (settlement.hpp) must agree to the unit.
RC_GTEST_PROP(TwapProperty, AgreesWithTheSettlementTwap, ()) {
  Twap<64> twap;
  std::vector<PriceSample> samples;
  TimestampNs now = kT0;
  const auto count = *rc::gen::inRange(1, 64);
  for (int i = 0; i < count; ++i) {
    now += *rc::gen::inRange<TimestampNs>(1, 100 * kSecond);
    const Price price = *prices_up_to_a_million();
    twap.record(price, now);
    samples.push_back(PriceSample{now, price});
  }
  now += *rc::gen::inRange<TimestampNs>(0, 100 * kSecond);
  const TimestampNs window = *rc::gen::inRange<TimestampNs>(1, 10000 * kSecond);
  for (const Round round : {Round::down, Round::up}) {
    const auto streaming = twap.average(now, window, round);
    const auto batch = time_weighted_price(samples, now - window, now, round);
    RC_ASSERT(streaming.has_value() && batch.has_value());
    RC_ASSERT(streaming->price == *batch);
  }
}

RC_GTEST_PROP(EmaProperty, StaysBetweenTheOldAverageAndTheNewValue, ()) {
  Ema ema(*rc::gen::inRange<TimestampNs>(1, kHour));
  TimestampNs now = kT0;
  ema.update(*prices_up_to_a_million(), now);
  const auto steps = *rc::gen::inRange(1, 50);
  for (int i = 0; i < steps; ++i) {
    now += *rc::gen::inRange<TimestampNs>(0, kHour);
    const Price value = *prices_up_to_a_million();
    const Price before = *ema.value();
    ema.update(value, now);
    RC_ASSERT(*ema.value() >= std::min(before, value) && *ema.value() <= std::max(before, value));
  }
}

RC_GTEST_PROP(MarkPriceProperty, LiesWithinItsComponents, ()) {
  MarkPriceInputs inputs;
  inputs.oracle = *prices_up_to_a_million();
  auto maybe = []() -> std::optional<Price> {
    if (*rc::gen::arbitrary<bool>()) return std::nullopt;
    return *prices_up_to_a_million();
  };
  inputs.best_bid = maybe();
  inputs.best_ask = maybe();
  inputs.last_trade = maybe();
  inputs.book_median_ema = maybe();
  const auto external = *rc::gen::container<std::vector<Price>>(
      static_cast<std::size_t>(*rc::gen::inRange(0, 4)), prices_up_to_a_million());
  inputs.external_perp_mids = external;
  std::vector<Price> all{inputs.oracle};
  for (const auto& p : {inputs.best_bid, inputs.best_ask, inputs.last_trade, inputs.book_median_ema}) {
    if (p) all.push_back(*p);
  }
  all.insert(all.end(), external.begin(), external.end());
  const auto mark = mark_price(inputs);
  RC_ASSERT(mark.has_value());
  RC_ASSERT(*mark >= *std::min_element(all.begin(), all.end()));
  RC_ASSERT(*mark <= *std::max_element(all.begin(), all.end()));
}

}  // namespace
}  // namespace ballast::market
