// Liquidation sizing: the public reference cases (research/defi-engines.md (e): E1-E3 dYdX v4,
// E6 Drift v2) and hand-worked cases of our own partial liquidation, stages and price band.

#include "ballast/liquidation/sizing.hpp"

#include <gtest/gtest.h>

namespace ballast::liquidation {
namespace {

Money usd(std::int64_t micro) { return Money::from_raw(micro); }
Money dollars(std::int64_t whole) { return *Money::from_whole(whole); }
Price price(std::int64_t whole) { return *Price::from_whole(whole); }
Quantity units(std::int64_t whole) { return *Quantity::from_whole(whole); }
Quantity nano(std::int64_t raw) { return Quantity::from_raw(raw); }
Ratio pct(std::int64_t hundredths_of_percent) { return Ratio::from_raw(hundredths_of_percent * 100'000'000); }

// ---------------------------------------------------------------------------------------------
// dYdX v4: BTC oracle $50,000, 0.1 BTC, IMF 20% / MMF 10% (PMMR = TMMR = $500).

DydxFillableInputs e1_long() {
  return {.position_net_notional = dollars(5'000), .position_maintenance = dollars(500),
          .total_net_collateral = dollars(499), .total_maintenance = dollars(500),
          .size = nano(100'000'000), .bankruptcy_adjustment = pct(10'000), .spread_to_maintenance = pct(1'000)};
}

// E1 (dYdX liquidations_test.go TestGetFillablePrice): USDC −4,501, BA 1, SMMR 0.1 → ABR 0.002.
TEST(DydxReference, E1FillablePriceLong) {
  EXPECT_EQ(dydx_adjusted_bankruptcy_ratio(pct(10'000), dollars(499), dollars(500)), Ratio::from_raw(2'000'000'000));
  EXPECT_EQ(dydx_fillable_price(e1_long()), price(49'999));
}

TEST(DydxReference, E1DoubleAdjustmentOrSpread) {
  DydxFillableInputs ba2 = e1_long();
  ba2.bankruptcy_adjustment = pct(20'000);
  EXPECT_EQ(dydx_fillable_price(ba2), price(49'998));
  DydxFillableInputs smmr2 = e1_long();
  smmr2.spread_to_maintenance = pct(2'000);
  EXPECT_EQ(dydx_fillable_price(smmr2), price(49'998));
}

TEST(DydxReference, E1Short) {  // short 0.1 with USDC +5,499: TNC 499 again
  DydxFillableInputs in = e1_long();
  in.position_net_notional = dollars(-5'000);
  in.size = nano(-100'000'000);
  EXPECT_EQ(dydx_fillable_price(in), price(50'001));
}

TEST(DydxReference, E1MainnetSpread) {  // [D] in the notes: genesis SMMR 1.5 → $49,985
  DydxFillableInputs in = e1_long();
  in.spread_to_maintenance = pct(15'000);
  EXPECT_EQ(dydx_fillable_price(in), price(49'985));
}

TEST(DydxFillable, AbrClampsToZeroAndOne) {
  EXPECT_EQ(dydx_adjusted_bankruptcy_ratio(pct(10'000), dollars(600), dollars(500)), Ratio{});
  EXPECT_EQ(dydx_adjusted_bankruptcy_ratio(pct(10'000), dollars(-100), dollars(500)), Ratio::from_raw(Ratio::kScale));
  EXPECT_EQ(dydx_adjusted_bankruptcy_ratio(pct(5'000), dollars(-100), dollars(500)),
            Ratio::from_raw(600'000'000'000));  // 0.5 × 1.2
}

TEST(DydxFillable, RoundsTowardTheTighterLimit) {
  // (5000 − 0.1)/0.3 = 16,666.333...: a sale's limit rounds up, a purchase's down.
  DydxFillableInputs in = e1_long();
  in.size = nano(300'000'000);
  EXPECT_EQ(dydx_fillable_price(in), Price::from_raw(16'666'333'333'334));
  in.size = nano(-300'000'000);
  in.position_net_notional = dollars(-5'000);
  EXPECT_EQ(dydx_fillable_price(in), Price::from_raw(16'667'000'000'000));  // (5000.1)/0.3 exact
}

// E2 (TestGetBankruptcyPriceInQuoteQuantums): closing the whole 0.1 needs ≥ $4,501; short −$5,499.
TEST(DydxReference, E2BankruptcyQuote) {
  EXPECT_EQ(dydx_bankruptcy_quote(dollars(-5'000), dollars(-500), dollars(499), dollars(500)), dollars(4'501));
  EXPECT_EQ(dydx_bankruptcy_quote(dollars(5'000), dollars(-500), dollars(499), dollars(500)), dollars(-5'499));
}

TEST(DydxBankruptcyQuote, PartialCloseAndRounding) {
  // Half the position: 2,500 − 499 × 250/500 = 2,250.5.
  EXPECT_EQ(dydx_bankruptcy_quote(dollars(-2'500), dollars(-250), dollars(499), dollars(500)), usd(2'250'500'000));
  // −499 × 1 µ / 500 = −0.998 µ rounds up to 0: the remainder keeps at least its exact share.
  EXPECT_EQ(dydx_bankruptcy_quote(dollars(-10), usd(-1), dollars(499), dollars(500)), dollars(10));
  // A negative TNC: +0.998 µ rounds up to 1 µ.
  EXPECT_EQ(dydx_bankruptcy_quote(dollars(-10), usd(-1), dollars(-499), dollars(500)), usd(10'000'001));
}

// E3 (TestGetLiquidationInsuranceFundDelta): USDC −5,100, sell 0.1 at $56,100, max fee 0.5%.
TEST(DydxReference, E3InsuranceFundFee) {
  const Money quote = *dydx_bankruptcy_quote(dollars(-5'000), dollars(-500), dollars(-100), dollars(500));
  EXPECT_EQ(quote, dollars(5'100));
  EXPECT_EQ(dydx_insurance_fund_delta(dollars(5'610), quote, pct(50)), usd(28'050'000));  // $28.05
}

TEST(DydxInsuranceFund, SurplusCapsTheFeeAndDeficitIsPaid) {
  EXPECT_EQ(dydx_insurance_fund_delta(dollars(5'110), dollars(5'100), pct(50)), dollars(10));
  EXPECT_EQ(dydx_insurance_fund_delta(dollars(5'000), dollars(5'100), pct(50)), dollars(-100));
  // A buy: proceeds −5,000 against a quote of −5,499 leaves 499; fee 0.5% × 5,000 = 25.
  EXPECT_EQ(dydx_insurance_fund_delta(dollars(-5'000), dollars(-5'499), pct(50)), dollars(25));
  // The fee rounds up: 0.5% × 0.000201 = 0.000001005 → 0.000002.
  EXPECT_EQ(dydx_insurance_fund_delta(usd(201), usd(0), pct(50)), usd(2));
}

// ---------------------------------------------------------------------------------------------
// Drift v2, E6 (math/liquidation/tests.rs): shortage $10, MR 10%, price $100.

DriftShortageInputs e6() {
  return {.shortage = dollars(10), .margin_ratio = pct(1'000), .liquidation_fee = Ratio{}, .insurance_fee = Ratio{},
          .oracle = price(100)};
}

TEST(DriftReference, E6BaseToCover) {
  EXPECT_EQ(drift_base_to_cover(e6()), units(1));
  DriftShortageInputs fee = e6();
  fee.liquidation_fee = pct(100);
  // 10/9 = 1.1111...: Drift reports 1.1111; rounded up (covers at least the shortage).
  EXPECT_EQ(drift_base_to_cover(fee), nano(1'111'111'112));
  fee.insurance_fee = pct(100);
  EXPECT_EQ(drift_base_to_cover(fee), nano(1'250'000'000));
  DriftShortageInputs quote = e6();
  quote.quote_price = Price::from_raw(990'000'000);
  // 10/9.9 = 1.0101010101...: Drift's test truncates to 1.010101010; ours rounds up, one unit more.
  EXPECT_EQ(drift_base_to_cover(quote), nano(1'010'101'011));
}

TEST(DriftBaseToCover, FeesEatingTheMarginCannotRestore) {
  DriftShortageInputs in = e6();
  in.liquidation_fee = pct(600);
  in.insurance_fee = pct(400);
  EXPECT_EQ(drift_base_to_cover(in), std::nullopt);
}

TEST(DriftInsuranceFee, BoundedSoTheFeeNeverBankrupts) {
  // shortage/(base·P) = 10/125 = 0.08; 0.95 × (0.10 − 0.01 − 0.08) = 0.0095.
  EXPECT_EQ(drift_insurance_fee_rate(pct(100), pct(1'000), pct(100), dollars(10), nano(1'250'000'000), price(100)),
            Ratio::from_raw(9'500'000'000));
  EXPECT_EQ(drift_insurance_fee_rate(pct(50), pct(1'000), pct(100), dollars(10), nano(1'250'000'000), price(100)),
            pct(50));
  // No room left: 0.
  EXPECT_EQ(drift_insurance_fee_rate(pct(100), pct(1'000), pct(100), dollars(10), units(1), price(100)), Ratio{});
  EXPECT_EQ(drift_insurance_fee_rate(pct(100), pct(1'000), pct(100), dollars(10), Quantity{}, price(100)),
            std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// Ballast stages

StageThresholds stages() { return {.full_close_below = pct(9'000), .backstop_below = Ratio::from_raw(666'666'666'667)}; }

TEST(Stages, ByCoverage) {
  EXPECT_EQ(classify({dollars(1'000), dollars(1'000)}, stages()), Stage::healthy);
  EXPECT_EQ(classify({dollars(-5), dollars(0)}, stages()), Stage::healthy);  // no requirement
  EXPECT_EQ(classify({dollars(950), dollars(1'000)}, stages()), Stage::partial);
  EXPECT_EQ(classify({dollars(900), dollars(1'000)}, stages()), Stage::partial);  // 0.9 is not below 0.9
  EXPECT_EQ(classify({usd(899'999'999), dollars(1'000)}, stages()), Stage::full_close);
  EXPECT_EQ(classify({dollars(666), dollars(1'000)}, stages()), Stage::backstop);
  EXPECT_EQ(classify({dollars(-10), dollars(1'000)}, stages()), Stage::backstop);
  EXPECT_STREQ(stage_name(Stage::full_close), "full_close");
}

// ---------------------------------------------------------------------------------------------
// Ballast partial liquidation. The base case: a long of 100 units at mark $100 with a 10%
// maintenance fraction (requirement $1,000, release $10 per unit), collateral $950 (health −$50),
// closed at a 2% discount (cost $2 per unit, net $8): buffer $30 needs (30 + 50)/8 = 10 units.

SizingParams params() {
  return {.close_factor = pct(5'000), .stages = stages(), .min_leftover_notional = dollars(1'000),
          .rounding_allowance = Money{}};
}

SizingRequest base_request() {
  return {.group = {dollars(950), dollars(1'000)}, .buffer = dollars(30), .position_size = units(100),
          .lot = units(1), .mark = price(100), .release_per_unit = price(10), .cost_per_unit = price(2),
          .account_cap_remaining = dollars(1'000'000), .event_cap_remaining = dollars(1'000'000)};
}

TEST(Sizing, RestoresExactlyMaintenancePlusBuffer) {
  const Sizing s = size_liquidation(params(), base_request());
  ASSERT_EQ(s.status, SizingStatus::ok);
  EXPECT_EQ(s.stage, Stage::partial);
  EXPECT_EQ(s.close, units(10));
  EXPECT_EQ(s.needed, units(10));
  EXPECT_EQ(s.limits, limit_none);
  // −50 + 10 × (10 − 2) = 30: the buffer, exactly.
}

TEST(Sizing, RoundsUpToWholeLots) {
  SizingRequest r = base_request();
  r.lot = units(3);
  EXPECT_EQ(size_liquidation(params(), r).close, units(12));
  r = base_request();
  r.buffer = dollars(31);  // 81/8 = 10.125
  r.lot = nano(1'000'000);
  EXPECT_EQ(size_liquidation(params(), r).close, nano(10'125'000'000));
  r.lot = units(1);
  EXPECT_EQ(size_liquidation(params(), r).close, units(11));
}

TEST(Sizing, RoundingAllowanceAddsToTheTarget) {
  SizingParams p = params();
  p.rounding_allowance = usd(3);
  SizingRequest r = base_request();
  r.lot = nano(1);
  // (80 + 0.000003)/8 = 10.000000375 units.
  EXPECT_EQ(size_liquidation(p, r).close, nano(10'000'000'375));
}

TEST(Sizing, CloseFactorLimitsAPartialStage) {
  SizingRequest r = base_request();
  r.cost_per_unit = price(9);  // net $1 a unit: 80 units needed, the close factor allows 50
  const Sizing s = size_liquidation(params(), r);
  EXPECT_EQ(s.needed, units(80));
  EXPECT_EQ(s.close, units(50));
  EXPECT_EQ(s.limits, limit_close_factor);
}

TEST(Sizing, FullCloseStageIgnoresTheCloseFactor) {
  SizingRequest r = base_request();
  r.group.maintenance_collateral = dollars(850);  // coverage 0.85 < 0.9
  r.cost_per_unit = price(9);                     // (30 + 150)/1 = 180 > 100 units held
  const Sizing s = size_liquidation(params(), r);
  EXPECT_EQ(s.stage, Stage::full_close);
  EXPECT_EQ(s.close, units(100));
  EXPECT_EQ(s.limits, limit_position);
}

TEST(Sizing, DustRuleClosesTheRemainderAndWinsOverTheCloseFactor) {
  SizingRequest r = base_request();
  r.position_size = units(15);  // $1,500: the close factor allows 8 (7.5 up), leaving $700 < $1,000
  const Sizing s = size_liquidation(params(), r);
  EXPECT_EQ(s.close, units(15));
  EXPECT_EQ(s.limits, limit_close_factor | limit_dust);
  r.position_size = units(25);  // 10 needed leaves $1,500: no dust
  EXPECT_EQ(size_liquidation(params(), r).close, units(10));
  r.position_size = units(19);  // 10 needed leaves $900 < $1,000 (the close factor allows 10)
  EXPECT_EQ(size_liquidation(params(), r).close, units(19));
}

TEST(Sizing, DustRuleOnAShort) {
  SizingRequest r = base_request();
  r.position_size = units(-15);
  EXPECT_EQ(size_liquidation(params(), r).close, units(15));  // unsigned
}

TEST(Sizing, CapsWinAndRoundDownToLots) {
  SizingRequest r = base_request();
  r.account_cap_remaining = dollars(500);  // 5 units
  Sizing s = size_liquidation(params(), r);
  EXPECT_EQ(s.close, units(5));
  EXPECT_EQ(s.limits, limit_account_cap);
  EXPECT_TRUE(s.capped());
  r.event_cap_remaining = dollars(350);  // 3.5 units → 3 lots
  s = size_liquidation(params(), r);
  EXPECT_EQ(s.close, units(3));
  EXPECT_EQ(s.limits, limit_account_cap | limit_event_cap);
  // Over the dust rule too: 15 held, dust says all, the account cap allows 10.
  r = base_request();
  r.position_size = units(15);
  r.account_cap_remaining = dollars(1'000);
  s = size_liquidation(params(), r);
  EXPECT_EQ(s.close, units(10));
  EXPECT_EQ(s.limits, limit_close_factor | limit_dust | limit_account_cap);
  r.account_cap_remaining = Money{};
  EXPECT_EQ(size_liquidation(params(), r).close, Quantity{});
}

TEST(Sizing, Rejections) {
  SizingRequest r = base_request();
  r.group.maintenance_collateral = dollars(1'000);
  EXPECT_EQ(size_liquidation(params(), r).status, SizingStatus::not_liquidatable);
  r = base_request();
  r.cost_per_unit = price(10);
  EXPECT_EQ(size_liquidation(params(), r).status, SizingStatus::cannot_restore);
  r = base_request();
  r.lot = Quantity{};
  EXPECT_EQ(size_liquidation(params(), r).status, SizingStatus::input_invalid);
  SizingParams p = params();
  p.close_factor = Ratio{};
  EXPECT_EQ(size_liquidation(p, base_request()).status, SizingStatus::params_invalid);
  p = params();
  p.stages.backstop_below = pct(9'500);  // deeper than the full-close threshold: out of order
  EXPECT_EQ(p.validate(), SizingStatus::params_invalid);
  EXPECT_STREQ(sizing_status_name(SizingStatus::cannot_restore), "cannot_restore");
}

TEST(Sizing, MaintenanceBufferRoundsUp) {
  EXPECT_EQ(maintenance_buffer(dollars(1'000), pct(300)), dollars(30));
  EXPECT_EQ(maintenance_buffer(usd(1'000'000'001), pct(300)), usd(30'000'001));  // 30.00000003 up
}

// ---------------------------------------------------------------------------------------------
// The price band

TEST(BankruptcyPrice, BothSidesAndRounding) {
  EXPECT_EQ(bankruptcy_price(dollars(30), units(10), price(100)), price(97));
  EXPECT_EQ(bankruptcy_price(dollars(30), units(-10), price(100)), price(103));
  EXPECT_EQ(bankruptcy_price(dollars(10), units(3), price(100)), Price::from_raw(96'666'666'667));   // up
  EXPECT_EQ(bankruptcy_price(dollars(10), units(-3), price(100)), Price::from_raw(103'333'333'333));  // down
  EXPECT_EQ(bankruptcy_price(dollars(-50), units(10), price(100)), price(105));
  EXPECT_EQ(bankruptcy_price(*Money::from_whole(-9'000'000'000'000), nano(-1), price(1)).raw(), INT64_MIN);
}

TEST(PriceBand, LongAndShort) {
  EXPECT_EQ(liquidation_price_band(units(1), price(100), pct(500), std::nullopt).band, (PriceBand{price(95), price(100)}));
  EXPECT_EQ(liquidation_price_band(units(1), price(100), pct(500), price(97)).band, (PriceBand{price(97), price(100)}));
  EXPECT_EQ(liquidation_price_band(units(1), price(100), pct(500), price(101)).status, BandStatus::empty);
  EXPECT_EQ(liquidation_price_band(units(-1), price(100), pct(500), std::nullopt).band,
            (PriceBand{price(100), price(105)}));
  EXPECT_EQ(liquidation_price_band(units(-1), price(100), pct(500), price(103)).band,
            (PriceBand{price(100), price(103)}));
  EXPECT_EQ(liquidation_price_band(units(-1), price(100), pct(500), price(99)).status, BandStatus::empty);
  EXPECT_EQ(liquidation_price_band(units(1), price(100), pct(10'000), std::nullopt).status, BandStatus::input_invalid);
  EXPECT_STREQ(band_status_name(BandStatus::empty), "empty");
}

TEST(PriceBand, DiscountedBoundRoundsTowardTheOracle) {
  // 3 nano × 0.5 = 1.5 nano: a long's floor rounds up to 2, a short's ceiling down to 1.5 → 4 of 4.5.
  EXPECT_EQ(liquidation_price_band(units(1), Price::from_raw(3), pct(5'000), std::nullopt).band.low, Price::from_raw(2));
  EXPECT_EQ(liquidation_price_band(units(-1), Price::from_raw(3), pct(5'000), std::nullopt).band.high,
            Price::from_raw(4));
}

TEST(PriceBand, SubmittedPriceInBounds) {
  const PriceBand band = liquidation_price_band(units(1), price(100), pct(500), price(97)).band;
  EXPECT_TRUE(price_in_band(band, price(97)));
  EXPECT_TRUE(price_in_band(band, price(100)));
  EXPECT_FALSE(price_in_band(band, Price::from_raw(96'999'999'999)));
  EXPECT_FALSE(price_in_band(band, Price::from_raw(100'000'000'001)));
  EXPECT_EQ(discounted_price(units(1), price(100), pct(300)), price(97));
  EXPECT_EQ(discounted_price(units(-1), price(100), pct(300)), price(103));
}

}  // namespace
}  // namespace ballast::liquidation
