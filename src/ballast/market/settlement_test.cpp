// Expiry settlement (settlement.hpp): the time-weighted index by hand (window edges, missing
// history, zero-length windows), futures and options closed at expiry with their rounding, and
// properties: the average against a brute-force sum over every time unit, and zero sum (less
// what the protocol keeps) across a long and a short.

#include "ballast/market/settlement.hpp"
#include "ballast/market/testing/instruments.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace ballast::market {
namespace {

constexpr TimestampNs kMinuteNs = 60'000'000'000;
constexpr TimestampNs kExpiryNs = 1'750'000'000'000'000'000;

Instrument btc_future() {
  Instrument future = testing::instrument({.id = InstrumentId{8}, .symbol = "BTC-27JUN25", .kind = InstrumentKind::future,
                                           .tick = "0.5", .expiry_ns = kExpiryNs});
  future.settlement_window_ns = 30 * kMinuteNs;
  return future;
}

Instrument btc_option(OptionKind kind) {
  Instrument option = testing::option({.id = InstrumentId{9},
                                       .symbol = kind == OptionKind::call ? "BTC-27JUN25-60000-C" : "BTC-27JUN25-60000-P",
                                       .contract_size = "0.1", .tick = "0.5", .lot = "1", .expiry_ns = kExpiryNs},
                                      "60000", kind);
  option.settlement_window_ns = 30 * kMinuteNs;
  return option;
}

const std::vector<PriceSample> kSamples{
    {0, price("100")}, {10, price("110")}, {30, price("90")}, {50, price("1000")}};

TEST(TimeWeightedPrice, StepFunctionOverTheWindow) {
  // (100 × 10 + 110 × 20 + 90 × 10) / 40; the sample at 50 lies after the window.
  EXPECT_EQ(time_weighted_price(kSamples, 0, 40, Round::down), price("102.5"));
  // From 5 the first sample still holds: 3600 / 35 = 102.857142857142...
  EXPECT_EQ(time_weighted_price(kSamples, 5, 40, Round::down), price("102.857142857"));
  EXPECT_EQ(time_weighted_price(kSamples, 5, 40, Round::up), price("102.857142858"));
}

TEST(TimeWeightedPrice, WithoutHistoryTheWindowStartsAtTheFirstSample) {
  const std::vector<PriceSample> late{{10, price("110")}, {30, price("90")}};
  EXPECT_EQ(time_weighted_price(late, 0, 40, Round::down), price("103.333333333"));  // 3100 / 30
  EXPECT_EQ(time_weighted_price(late, 0, 10, Round::down), price("110"));
  EXPECT_EQ(time_weighted_price(late, 0, 9, Round::down), std::nullopt);
  EXPECT_EQ(time_weighted_price({}, 0, 9, Round::down), std::nullopt);
}

TEST(TimeWeightedPrice, ZeroLengthWindowIsThePriceInForce) {
  EXPECT_EQ(time_weighted_price(kSamples, 30, 30, Round::down), price("90"));
  EXPECT_EQ(time_weighted_price(kSamples, 29, 29, Round::down), price("110"));
}

TEST(WindowAverage, ASecondSampleAtTheSameTimeReplacesTheFirst) {
  WindowAverage window(0, 40);
  window.record({0, price("100")});
  window.record({10, price("500")});
  window.record({10, price("110")});  // two readings in one event time: the later stands
  window.record({30, price("90")});
  EXPECT_EQ(window.average(Round::down), price("102.5"));  // as kSamples
}

TEST(WindowAverage, RestoreRefusesStatesRecordCannotReach) {
  const TimestampNs start = 10;
  const TimestampNs end = 40;
  WindowAverage::State weighted_before_start{PriceSample{5, price("1")}, std::nullopt, 7};
  WindowAverage::State from_after_last{PriceSample{20, price("1")}, TimestampNs{25}, 0};
  WindowAverage::State last_after_end{PriceSample{41, price("1")}, TimestampNs{20}, 0};
  WindowAverage::State non_positive{PriceSample{20, Price{}}, TimestampNs{20}, 0};
  for (const auto& state : {weighted_before_start, from_after_last, last_after_end, non_positive}) {
    EXPECT_FALSE(WindowAverage::restore(start, end, state).has_value());
  }
  WindowAverage window(start, end);
  window.record({5, price("100")});
  window.record({20, price("110")});
  EXPECT_TRUE(WindowAverage::restore(start, end, window.state()).has_value());
}

TEST(SettlementPrice, TwapOverTheInstrumentWindow) {
  // Every ten minutes before expiry; the window is the last 30 minutes.
  std::vector<PriceSample> index;
  const char* prices[] = {"40000", "50000", "50100", "50200", "50300", "99999"};
  for (int i = 0; i < 6; ++i) {
    index.push_back({kExpiryNs + (i - 4) * 10 * kMinuteNs, price(prices[i])});
  }
  // In force over the window: 50000 (from −30 to −20), 50100, 50200; 50300 only at expiry.
  EXPECT_EQ(settlement_price(btc_future(), index), price("50100"));
}

TEST(OptionIntrinsic, CallsAndPuts) {
  EXPECT_EQ(option_intrinsic(btc_option(OptionKind::call), price("65000")), price("5000"));
  EXPECT_EQ(option_intrinsic(btc_option(OptionKind::call), price("55000")), Price{});
  EXPECT_EQ(option_intrinsic(btc_option(OptionKind::put), price("55000")), price("5000"));
  EXPECT_EQ(option_intrinsic(btc_option(OptionKind::put), price("65000")), Price{});
}

Position opened(const Instrument& instrument, const char* size, const char* at) {
  const Fill fill{AccountId{20}, SubAccountId{20}, instrument.id, qty(size), price(at), Money{}};
  return apply_fill(Position{}, fill, instrument.contract_size).value().position;
}

TEST(SettleAtExpiry, FuturePaysPnlAgainstTheBasis) {
  const Instrument future = btc_future();
  const auto long_side = settle_at_expiry(opened(future, "2", "50000"), future, price("51000.5"));
  ASSERT_TRUE(long_side.has_value());
  EXPECT_EQ(long_side->cash_flow, money("2001"));
  EXPECT_EQ(long_side->realized_pnl, money("2001"));
  EXPECT_EQ(long_side->position, (Position{Quantity{}, Money{}, money("2001"), FundingIndex{}}));
  const auto short_side = settle_at_expiry(opened(future, "-2", "50000"), future, price("51000.5"));
  ASSERT_TRUE(short_side.has_value());
  EXPECT_EQ(short_side->cash_flow, money("-2001"));
}

TEST(SettleAtExpiry, OptionPaysItsPayoff) {
  const Instrument call = btc_option(OptionKind::call);
  // Ten contracts of 0.1 BTC bought at 1,234.5 per BTC: premium 1,234.5.
  const auto holder = settle_at_expiry(opened(call, "10", "1234.5"), call, price("65000"));
  ASSERT_TRUE(holder.has_value());
  EXPECT_EQ(holder->cash_flow, money("5000"));  // 5,000 × 10 × 0.1
  EXPECT_EQ(holder->realized_pnl, money("3765.5"));
  const auto writer = settle_at_expiry(opened(call, "-10", "1234.5"), call, price("65000"));
  ASSERT_TRUE(writer.has_value());
  EXPECT_EQ(writer->cash_flow, money("-5000"));
  EXPECT_EQ(writer->realized_pnl, money("-3765.5"));
  const auto worthless = settle_at_expiry(opened(call, "10", "1234.5"), call, price("59999"));
  ASSERT_TRUE(worthless.has_value());
  EXPECT_EQ(worthless->cash_flow, Money{});
  EXPECT_EQ(worthless->realized_pnl, money("-1234.5"));
  EXPECT_TRUE(worthless->position.size.is_zero());
}

TEST(SettleAtExpiry, HolderRoundsDownWriterUp) {
  Instrument put = btc_option(OptionKind::put);
  put.contract_size = qty("1");
  put.strike = price("0.000002");
  // Intrinsic 0.0000013 per unit on 3 units: 3.9 micro.
  const auto holder = settle_at_expiry(opened(put, "3", "0.000001"), put, price("0.0000007"));
  const auto writer = settle_at_expiry(opened(put, "-3", "0.000001"), put, price("0.0000007"));
  ASSERT_TRUE(holder.has_value() && writer.has_value());
  EXPECT_EQ(holder->cash_flow, money("0.000003"));
  EXPECT_EQ(writer->cash_flow, money("-0.000004"));
}

TEST(SettleAtExpiry, FlatPositionSettlesNothing) {
  const Position flat{Quantity{}, Money{}, money("12"), FundingIndex{}};
  const auto settled = settle_at_expiry(flat, btc_future(), price("50000"));
  ASSERT_TRUE(settled.has_value());
  EXPECT_EQ(settled->position, flat);
  EXPECT_EQ(settled->cash_flow, Money{});
}

// ---- Properties --------------------------------------------------------------------------------

std::vector<PriceSample> gen_samples(TimestampNs horizon) {
  const int count = *rc::gen::inRange(1, 12);
  std::vector<TimestampNs> times;
  for (int i = 0; i < count; ++i) times.push_back(*rc::gen::inRange<TimestampNs>(0, horizon));
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  std::vector<PriceSample> samples;
  for (const TimestampNs ts : times) {
    samples.push_back({ts, Price::from_raw(*rc::gen::inRange<std::int64_t>(1, 9'000'000'000'000'000'000))});
  }
  return samples;
}

RC_GTEST_PROP(SettlementProperty, AverageMatchesASumOverEveryTimeUnit, ()) {
  const std::vector<PriceSample> samples = gen_samples(100);
  const TimestampNs start = *rc::gen::inRange<TimestampNs>(0, 100);
  const TimestampNs end = *rc::gen::inRange<TimestampNs>(start, 101);
  const auto down = time_weighted_price(samples, start, end, Round::down);
  const auto up = time_weighted_price(samples, start, end, Round::up);
  // Brute force: the price in force during each unit [t, t + 1) of the window.
  int128 sum = 0;
  TimestampNs units = 0;
  for (TimestampNs t = start; t < end; ++t) {
    const PriceSample* in_force = nullptr;
    for (const PriceSample& sample : samples) {
      if (sample.ts_ns <= t) in_force = &sample;
    }
    if (in_force == nullptr) continue;
    sum += in_force->price.raw();
    ++units;
  }
  if (samples.front().ts_ns > end) {
    RC_ASSERT(!down.has_value());
    return;
  }
  RC_ASSERT(down.has_value() && up.has_value());
  if (units == 0) {  // zero-length: the price in force at end
    RC_ASSERT(*down == *up);
    return;
  }
  RC_ASSERT(static_cast<int128>(down->raw()) * units <= sum);
  RC_ASSERT(sum < (static_cast<int128>(down->raw()) + 1) * units);
  RC_ASSERT(up->raw() - down->raw() == (sum % units == 0 ? 0 : 1));
}

// The engine keeps a WindowAverage in its snapshot: one restored from its state part way
// through the history must end where the uninterrupted one ends, and both where the batch does.
RC_GTEST_PROP(SettlementProperty, RestoredWindowContinuesExactly, ()) {
  const std::vector<PriceSample> samples = gen_samples(100);
  const TimestampNs start = *rc::gen::inRange<TimestampNs>(0, 100);
  const TimestampNs end = *rc::gen::inRange<TimestampNs>(start, 101);
  const std::size_t cut = *rc::gen::inRange<std::size_t>(0, samples.size() + 1);
  WindowAverage whole(start, end);
  for (std::size_t i = 0; i < cut; ++i) whole.record(samples[i]);
  auto resumed = WindowAverage::restore(start, end, whole.state());
  RC_ASSERT(resumed.has_value());
  for (std::size_t i = cut; i < samples.size(); ++i) {
    whole.record(samples[i]);
    resumed->record(samples[i]);
  }
  RC_ASSERT(resumed->state() == whole.state());
  RC_ASSERT(whole.average(Round::down) == time_weighted_price(samples, start, end, Round::down));
}

RC_GTEST_PROP(SettlementProperty, FutureSettlementSumsToZeroLessWhatTheProtocolKeeps, ()) {
  const Instrument future = btc_future();
  const Quantity size = Quantity::from_raw(*rc::gen::inRange<std::int64_t>(1, 1'000'000) * 1'000'000);
  const Price entry = Price::from_raw(*rc::gen::inRange<std::int64_t>(1, 200'000'000'000'000));
  const Price settlement = Price::from_raw(*rc::gen::inRange<std::int64_t>(0, 200'000'000'000'000));
  const Fill buy{AccountId{20}, SubAccountId{20}, future.id, size, entry, Money{}};
  const Fill sell{AccountId{21}, SubAccountId{21}, future.id, Quantity::from_raw(-size.raw()), entry, Money{}};
  const auto long_position = apply_fill(Position{}, buy, future.contract_size);
  const auto short_position = apply_fill(Position{}, sell, future.contract_size);
  RC_ASSERT(long_position.has_value() && short_position.has_value());
  const auto long_side = settle_at_expiry(long_position->position, future, settlement);
  const auto short_side = settle_at_expiry(short_position->position, future, settlement);
  RC_ASSERT(long_side.has_value() && short_side.has_value());
  // Two roundings at entry (the fill residual) and two at settlement, each keeping 0 or 1.
  const std::int64_t total = long_side->cash_flow.raw() + short_side->cash_flow.raw();
  RC_ASSERT(total <= 0);
  RC_ASSERT(total >= -2);
}

}  // namespace
}  // namespace ballast::market
