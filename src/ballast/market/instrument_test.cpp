// Instruments (instrument.hpp): validation messages naming instrument and field, tick/lot/expiry
// helpers, exact exposure, and check_fill's answers in precedence order.

#include "ballast/market/instrument.hpp"
#include "ballast/market/testing/instruments.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ballast::market {
namespace {

using testing::kHourNs;
constexpr TimestampNs kExpiryNs = 1'750'000'000'000'000'000;  // 2025-06-15T15:06:40Z

using testing::instrument;

Instrument btc_perp() {
  Instrument perp = instrument({.id = InstrumentId{7}, .symbol = "BTC-PERP", .tick = "0.5"});
  perp.funding.interval_ns = 8 * kHourNs;
  perp.funding.clamp = ratio("0.048");
  return perp;
}

Instrument eth_spot() {
  Instrument spot = instrument({.id = InstrumentId{3}, .symbol = "ETH-USDC", .kind = InstrumentKind::spot,
                                .underlying = AssetId{4}, .tick = "0.01", .lot = "0.0001"});
  spot.borrowable = true;
  return spot;
}

Instrument btc_future() {
  Instrument future = instrument({.id = InstrumentId{8}, .symbol = "BTC-27JUN25", .kind = InstrumentKind::future,
                                  .tick = "0.5", .expiry_ns = kExpiryNs});
  future.settlement_window_ns = kHourNs / 2;
  return future;
}

Instrument btc_call() {
  Instrument option = testing::option({.id = InstrumentId{9}, .symbol = "BTC-27JUN25-60000-C", .contract_size = "0.1",
                                       .tick = "0.5", .lot = "1", .expiry_ns = kExpiryNs},
                                      "60000", OptionKind::call);
  option.settlement_window_ns = kHourNs / 2;
  return option;
}

std::string error_of(const Instrument& instrument) {
  const Outcome outcome = validate(instrument);
  EXPECT_FALSE(outcome.ok());
  if (outcome.ok()) return {};
  EXPECT_EQ(outcome.error().code, ErrorCode::invalid_input);
  return outcome.error().message;
}

TEST(Instrument, EveryKindValidates) {
  for (const Instrument& instrument : {btc_perp(), eth_spot(), btc_future(), btc_call()}) {
    const Outcome outcome = validate(instrument);
    EXPECT_TRUE(outcome.ok()) << outcome.error().message;
  }
}

TEST(Instrument, KindNames) {
  EXPECT_STREQ(instrument_kind_name(InstrumentKind::spot), "spot");
  EXPECT_STREQ(instrument_kind_name(InstrumentKind::perpetual), "perpetual");
  EXPECT_STREQ(instrument_kind_name(InstrumentKind::future), "future");
  EXPECT_STREQ(instrument_kind_name(InstrumentKind::option), "option");
  EXPECT_STREQ(instrument_kind_name(static_cast<InstrumentKind>(9)), "unknown");
}

TEST(InstrumentValidate, CommonFieldsNameInstrumentAndField) {
  Instrument perp = btc_perp();
  perp.tick = Price{};
  EXPECT_EQ(error_of(perp), "instrument 7 (BTC-PERP): tick must be positive, got 0");
  perp = btc_perp();
  perp.lot = qty("-0.001");
  EXPECT_EQ(error_of(perp), "instrument 7 (BTC-PERP): lot must be positive, got -0.001");
  perp = btc_perp();
  perp.contract_size = Quantity{};
  EXPECT_EQ(error_of(perp), "instrument 7 (BTC-PERP): contract_size must be positive, got 0");
  perp = btc_perp();
  perp.symbol = "btc-perp";
  EXPECT_EQ(error_of(perp),
            "instrument 7 (btc-perp): symbol must be 1..32 characters of A-Z 0-9 . - _, got "
            "\"btc-perp\"");
  perp = btc_perp();
  perp.settle = perp.underlying;
  EXPECT_EQ(error_of(perp),
            "instrument 7 (BTC-PERP): underlying and settle must be different assets, got 2");
}

TEST(InstrumentValidate, LotTimesContractSizeMustBeExact) {
  Instrument call = btc_call();  // contract 0.1
  call.lot = Quantity::from_raw(1);  // 1e-9 contracts = 1e-10 BTC: not representable
  EXPECT_EQ(error_of(call),
            "instrument 9 (BTC-27JUN25-60000-C): lot × contract_size must be a multiple of "
            "0.000000001, got 0.000000001");
  call.lot = Quantity::from_raw(10);  // 1e-9 BTC: fine
  EXPECT_TRUE(validate(call).ok());
}

TEST(InstrumentValidate, PerpetualFunding) {
  Instrument perp = btc_perp();
  perp.funding.interval_ns = 0;
  EXPECT_EQ(error_of(perp), "instrument 7 (BTC-PERP): funding interval_ns must be positive, got 0");
  perp = btc_perp();
  perp.funding.clamp = Ratio::parse("-0.01", Round::down).value();
  EXPECT_EQ(error_of(perp), "instrument 7 (BTC-PERP): funding clamp must not be negative, got -0.01");
  perp = btc_perp();
  perp.funding.clamp = Ratio::parse("1.5", Round::down).value();
  EXPECT_EQ(error_of(perp), "instrument 7 (BTC-PERP): funding clamp must be at most 1, got 1.5");
  perp = btc_perp();
  perp.funding.base_rate = Ratio::parse("-2", Round::down).value();
  EXPECT_EQ(error_of(perp), "instrument 7 (BTC-PERP): funding base_rate must be in [-1, 1], got -2");
  perp = btc_perp();
  perp.expiry_ns = kExpiryNs;
  EXPECT_EQ(error_of(perp),
            "instrument 7 (BTC-PERP): expiry_ns must be 0, got 1750000000000000000");
}

TEST(InstrumentValidate, ExpiryAndWindow) {
  Instrument future = btc_future();
  future.expiry_ns = 0;
  EXPECT_EQ(error_of(future), "instrument 8 (BTC-27JUN25): expiry_ns must be positive, got 0");
  future = btc_future();
  future.settlement_window_ns = -1;
  EXPECT_EQ(error_of(future),
            "instrument 8 (BTC-27JUN25): settlement_window_ns must be in [0, expiry_ns], got -1");
  Instrument spot = eth_spot();
  spot.settlement_window_ns = kHourNs;
  EXPECT_EQ(error_of(spot),
            "instrument 3 (ETH-USDC): settlement_window_ns must be 0, got 3600000000000");
}

TEST(InstrumentValidate, FieldsOfOtherKindsMustBeUnset) {
  Instrument future = btc_future();
  future.strike = price("60000");
  EXPECT_EQ(error_of(future), "instrument 8 (BTC-27JUN25): strike is for options only, got 60000");
  future = btc_future();
  future.funding.interval_ns = kHourNs;
  EXPECT_EQ(error_of(future),
            "instrument 8 (BTC-27JUN25): funding is for perpetuals only, got 3600000000000");
  Instrument perp = btc_perp();
  perp.borrowable = true;
  EXPECT_EQ(error_of(perp), "instrument 7 (BTC-PERP): borrowable is for spot only, got true");
}

TEST(InstrumentValidate, Options) {
  Instrument call = btc_call();
  call.strike = Price{};
  EXPECT_EQ(error_of(call), "instrument 9 (BTC-27JUN25-60000-C): strike must be positive, got 0");
  call = btc_call();
  call.option_kind = static_cast<OptionKind>(5);
  EXPECT_EQ(error_of(call),
            "instrument 9 (BTC-27JUN25-60000-C): option_kind must be call or put, got 5");
  Instrument odd = btc_perp();
  odd.kind = static_cast<InstrumentKind>(9);
  EXPECT_EQ(error_of(odd),
            "instrument 7 (BTC-PERP): kind must be spot, perpetual, future or option, got 9");
}

TEST(Instrument, TickLotAndExpiryHelpers) {
  const Instrument future = btc_future();
  EXPECT_TRUE(future.price_on_tick(price("50000.5")));
  EXPECT_FALSE(future.price_on_tick(price("50000.25")));
  EXPECT_TRUE(future.price_on_tick(price("-1.5")));  // the helper is arithmetic only
  EXPECT_TRUE(future.size_on_lot(qty("1.234")));
  EXPECT_FALSE(future.size_on_lot(qty("1.2345")));
  EXPECT_TRUE(future.size_on_lot(qty("-0.001")));
  EXPECT_FALSE(future.is_expired(kExpiryNs - 1));
  EXPECT_TRUE(future.is_expired(kExpiryNs));  // the window ends at expiry: no fills from then on
  EXPECT_FALSE(btc_perp().is_expired(INT64_MAX));
  EXPECT_FALSE(eth_spot().is_expired(INT64_MAX));
}

TEST(Instrument, ExposureIsExactOrOverflows) {
  EXPECT_EQ(exposure_of(qty("3"), qty("0.1")), qty("0.3"));
  EXPECT_EQ(exposure_of(qty("-12.5"), qty("0.001")), qty("-0.0125"));
  EXPECT_EQ(exposure_of(qty("9000000000"), qty("10")), std::nullopt);
}

Fill fill_of(const Instrument& instrument, const char* size, const char* fill_price,
             const char* fee) {
  return Fill{AccountId{20}, SubAccountId{21}, instrument.id, qty(size), price(fill_price),
              Money::parse(fee, Round::down).value()};
}

TEST(CheckFill, AcceptsAValidFill) {
  const Instrument perp = btc_perp();
  EXPECT_EQ(check_fill(perp, fill_of(perp, "0.25", "50000.5", "1.25"), kExpiryNs), FillStatus::ok);
  EXPECT_EQ(check_fill(perp, fill_of(perp, "-0.001", "0.5", "0"), kExpiryNs), FillStatus::ok);
}

TEST(CheckFill, EachRejection) {
  const Instrument future = btc_future();
  const TimestampNs before = kExpiryNs - 1;
  EXPECT_EQ(check_fill(future, fill_of(future, "0", "50000", "0"), before), FillStatus::size_zero);
  EXPECT_EQ(check_fill(future, fill_of(future, "0.0005", "50000", "0"), before),
            FillStatus::size_off_lot);
  EXPECT_EQ(check_fill(future, fill_of(future, "1", "0", "0"), before),
            FillStatus::price_not_positive);
  EXPECT_EQ(check_fill(future, fill_of(future, "1", "-0.5", "0"), before),
            FillStatus::price_not_positive);
  EXPECT_EQ(check_fill(future, fill_of(future, "1", "50000.1", "0"), before),
            FillStatus::price_off_tick);
  EXPECT_EQ(check_fill(future, fill_of(future, "1", "50000", "-0.01"), before),
            FillStatus::fee_negative);
  EXPECT_EQ(check_fill(future, fill_of(future, "1", "50000", "0"), kExpiryNs),
            FillStatus::instrument_expired);
}

TEST(CheckFill, PrecedenceIsTheEnumOrder) {
  const Instrument future = btc_future();
  // Breaks every rule at once: the first in the list answers.
  EXPECT_EQ(check_fill(future, fill_of(future, "0", "-0.1", "-1"), kExpiryNs), FillStatus::size_zero);
  EXPECT_EQ(check_fill(future, fill_of(future, "0.0001", "-0.1", "-1"), kExpiryNs),
            FillStatus::size_off_lot);
  EXPECT_EQ(check_fill(future, fill_of(future, "1", "-0.1", "-1"), kExpiryNs),
            FillStatus::price_not_positive);
  EXPECT_EQ(check_fill(future, fill_of(future, "1", "0.1", "-1"), kExpiryNs),
            FillStatus::price_off_tick);
  EXPECT_EQ(check_fill(future, fill_of(future, "1", "0.5", "-1"), kExpiryNs),
            FillStatus::fee_negative);
}

TEST(CheckFill, StatusNames) {
  EXPECT_STREQ(fill_status_name(FillStatus::ok), "ok");
  EXPECT_STREQ(fill_status_name(FillStatus::size_off_lot), "size_off_lot");
  EXPECT_STREQ(fill_status_name(FillStatus::instrument_expired), "instrument_expired");
  EXPECT_STREQ(fill_status_name(static_cast<FillStatus>(99)), "unknown");
}

}  // namespace
}  // namespace ballast::market
