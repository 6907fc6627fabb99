// Issue 6's reference tests through the engine: the public cases of research/defi-engines.md
// section (e) reached the way a venue operator reaches them, by configuration and events. The
// risk parameters are read from TOML (margin::parse_venue_config), the liquidation rules are set
// field by field (they have no TOML table yet), and every number is the engine's answer to a
// liquidate or resolve_bankruptcy event and the ledger's balances after it. The same cases at
// library level: liquidation/sizing_test.cpp's DydxReference and DriftReference tests.
//
// How the engine's rules carry each venue's (liquidation_rules.hpp, sizing.hpp):
//   - a liquidate closes at a price in [max(bankruptcy, mark × (1 − bonus)), mark] for a long,
//     mirrored for a short, where bonus is the auction's (min_bonus rising to max_bonus; equal
//     here, so constant), and the bankruptcy price is where the close leaves zero equity;
//   - the liquidator pays protocol_share × (mark − price) × size to the insurance fund;
//   - one event closes at most what restores maintenance health plus buffer_ratio × requirement
//     (plus a 3 micro-unit rounding allowance), per unit closed freeing the requirement it
//     carried less the bonus it costs.
// dYdX's own pricing is a rule setting too: with bankruptcy_adjustment and spread_to_maintenance
// set, a close may go down to dYdX's health-aware fillable price instead of the auction's discount,
// and target_fee_rate charges the liquidated account dYdX's insurance-fund fee. The E1 and E3
// cases are reproduced both ways: by calibrating the auction to the fixture's account (which
// E1NotHealthAware shows stops holding for a deeper account) and exactly, with dYdX's rules.

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <utility>

#include "ballast/engine/bankruptcy.hpp"
#include "ballast/engine/testing/engine_margin_fixture.hpp"
#include "ballast/liquidation/sizing.hpp"
#include "ballast/margin/venue_config.hpp"

namespace ballast {
namespace {

using namespace engine_testing;  // NOLINT: the fixture's ids, events and helpers

constexpr SubAccountId kInsuranceSub{kInsuranceFund.value};

}  // namespace

// A charge as gtest prints it when an expectation fails (found by ADL, so in BankruptcyCharge's
// namespace).
void PrintTo(const BankruptcyCharge& charge, std::ostream* os) {
  *os << "{sub-account " << charge.sub_account.value << ", " << charge.amount.raw() << " quote units}";
}

namespace {

// A venue on the fixture's ids: USDC 1 (the quote), BTC 2 (only an underlying here: no BTC
// balance is held, so its collateral weights stay at par), the perpetual 10 under test and a
// dated future 11 that the fixture marks but no test trades, both with `rule`, `tick` and `lot`.
std::string venue_toml(const std::string& name, const std::string& rule, const std::string& tick,
                       const std::string& lot) {
  const std::string market_keys =
      "underlying = \"BTC\"\ntick = \"" + tick + "\"\nlot = \"" + lot + "\"\nrule = " + rule + "\n";
  return "name = \"" + name + R"("
quote = "USDC"

[[asset]]
symbol = "USDC"
id = 1
decimals = 6

[[asset]]
symbol = "BTC"
id = 2
decimals = 8

[[market]]
symbol = "BTC-PERP"
id = 10
kind = "perpetual"
funding = { interval = "8h", clamp = "0.6" }
)" + market_keys + R"(
[[market]]
symbol = "BTC-JAN25"
id = 11
kind = "future"
expiry = "2025-01-01T01:00:00Z"
)" + market_keys;
}

// dYdX v4's Long-Tail liquidity tier (the E1-E3 fixture: IMF 20%, maintenance 0.5 of it = 10%).
std::string dydx_venue() {
  return venue_toml("dydx-reference", R"({ kind = "base", initial_rate = "0.2", maintenance_fraction = "0.5" })",
                    "0.1", "0.001");
}

// Drift v2's E6 market: maintenance margin ratio 10% (initial 20%), sizes to Drift's base
// precision (1e-9), at $100.
std::string drift_venue() {
  return venue_toml("drift-reference", R"({ kind = "base", initial_rate = "0.2", maintenance_rate = "0.1" })",
                    "0.01", "0.000000001");
}

margin::RiskConfig risk_from_toml(const std::string& toml, const char* source) {
  Result<margin::VenueConfig> venue = margin::parse_venue_config(toml, source);
  EXPECT_TRUE(venue.ok()) << venue.error().message;
  return venue.ok() ? venue->risk : margin::RiskConfig{};
}

// Quote units of USDC from decimal text (USDC's 6 decimals are Money's).
Amount usdc_text(const char* text) { return Amount::from_raw(money(text).raw()); }

// The fixture on a venue read from TOML, under liquidation rules a test chooses with reopen().
// Alice's isolated sub-account (its own margin group, like a dYdX subaccount) is liquidated; Bob's
// cross sub-account (10,000 USDC) is the liquidator.
class ReferenceVenueTest : public EngineMarginTest {
 protected:
  explicit ReferenceVenueTest(std::string toml) : toml_(std::move(toml)) {}

  margin::RiskConfig risk() const override { return risk_from_toml(toml_, "reference.toml"); }
  EngineOptions options() const override {
    EngineOptions options;
    options.liquidation = rules_;
    return options;
  }
  // A fresh engine under `rules` (the fixture's SetUp again).
  void reopen(const LiquidationRules& rules) {
    rules_ = rules;
    log_.clear();
    SetUp();
  }
  // Alice's isolated sub-account gets `cash` USDC and opens `size` at `entry` (entry the oracle
  // and mark then, so the fill passes initial margin); then the prices move to `mark`.
  void open_isolated(const char* cash, const char* size, const char* entry, const char* mark) {
    ok(Transfer{kAlice, kAliceMain, kAliceIsolated, kUsdc, usdc_text(cash)});
    set_prices(entry);
    ok(fill(kAlice, kAliceIsolated, kPerp, size, entry));
    set_prices(mark);
  }
  static Liquidate liquidate(const char* size, const char* at) {
    return Liquidate{kBob, kBobMain, kAliceIsolated, kPerp, qty(size), price(at)};
  }
  // Alice's group as the engine's scan finds it: equity and maintenance requirement.
  void expect_liquidatable(const char* equity, const char* requirement) const {
    const std::vector<LiquidatableGroup> found = engine_.liquidatable_groups();
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].sub_account, kAliceIsolated);
    EXPECT_EQ(found[0].equity, money(equity));
    EXPECT_EQ(found[0].maintenance_requirement, money(requirement));
  }
  // The band's end: a liquidate of `size` one tick past `edge` is out of the band, at `edge` it
  // passes.
  void expect_band_ends_at(const char* size, const char* edge, const char* one_tick_past) {
    rejected(liquidate(size, one_tick_past), Status::liquidation_price_out_of_band);
    ok(liquidate(size, edge));
  }
  // The largest size the rules let one liquidate at `at` close: one lot more is too large; the
  // close restores the group's health.
  void expect_largest_size(const char* size, const char* one_lot_more, const char* at) {
    rejected(liquidate(one_lot_more, at), Status::liquidation_too_large);
    ok(liquidate(size, at));
    EXPECT_TRUE(engine_.liquidatable_groups().empty());
  }
  // Alice's whole position went to Bob, who holds `bob_size` now.
  void expect_taken_over(const char* bob_size) const {
    EXPECT_EQ(size(kAliceIsolated, kPerp), Quantity{});
    EXPECT_EQ(size(kBobMain, kPerp), qty(bob_size));
  }
  void expect_usdc(const char* alice, const char* bob, const char* insurance) const {
    EXPECT_EQ(balance(kAliceIsolated, kUsdc), money(alice).raw());
    EXPECT_EQ(balance(kBobMain, kUsdc), money(bob).raw());
    EXPECT_EQ(balance(kInsuranceSub, kUsdc), money(insurance).raw());
  }

  std::string toml_;
  LiquidationRules rules_;
};

// ---------------------------------------------------------------------------------------------
// dYdX v4, E1-E3: BTC oracle $50,000, 0.1 BTC, IMF 20% / MMF 10% (PMMR = TMMR = $500).
//
// dYdX keeps a perpetual's notional in the quote balance: USDC −4,501 with 0.1 BTC long at
// $50,000 is TNC 499. Ballast keeps cash and the position's cost basis apart, so the same account
// is 1,499 USDC with 0.1 BTC bought at $60,000 (1,499 − 6,000 = −4,501), marked at $50,000:
// equity 499, maintenance requirement 500.

class DydxReferenceTest : public ReferenceVenueTest {
 protected:
  DydxReferenceTest() : ReferenceVenueTest(dydx_venue()) {}

  // dYdX prices one liquidation order for the whole position, so the whole 0.1 BTC must be
  // closable by one event: a position left worth under $5,000 closes whole (the dust rule; the
  // engine's own sizing would stop at the 0.003 or 0.012 BTC that restore maintenance plus 2%).
  // The auction's bonus is constant at `discount`; `protocol_share` of it goes to the fund.
  static LiquidationRules dydx_rules(const char* discount, const char* protocol_share) {
    LiquidationRules rules;
    rules.auction.min_bonus = ratio(discount);
    rules.auction.max_bonus = ratio(discount);
    rules.auction.protocol_share = ratio(protocol_share);
    rules.sizing.min_leftover_notional = money("5000");
    return rules;
  }
  // The E1 account under `rules`: 0.1 BTC long (`size` "0.1", bought at $60,000) or short
  // ("-0.1": USDC +5,499 in dYdX's terms, 1,499 USDC sold at $40,000), equity 499.
  void open_e1(const LiquidationRules& rules, const char* size) {
    reopen(rules);
    open_isolated("1499", size, size[0] == '-' ? "40000" : "60000", "50000");
    expect_liquidatable("499", "500");
  }
  // The E1 account liquidated whole to Bob at `edge`, the end of its band.
  void liquidate_e1_at_band_end(const LiquidationRules& rules, const char* size, const char* edge,
                                const char* one_tick_past) {
    open_e1(rules, size);
    expect_band_ends_at("0.1", edge, one_tick_past);
    expect_taken_over(size);
  }
};

// E1, dYdX liquidations_test.go TestGetFillablePrice (BA 1, SMMR 0.1): ABR = 1 × (1 − 499/500) =
// 0.002, fillable (5,000 − 0.002 × 0.1 × 500) / 0.1 = $49,999. As a discount from the oracle:
// ABR × SMMR × MMF = 0.002 × 0.1 × 10% = 0.00002, the auction's bonus here.
TEST_F(DydxReferenceTest, E1GetFillablePriceLongIsTheLowestAcceptedPrice) {
  liquidate_e1_at_band_end(dydx_rules("0.00002", "0"), "0.1", "49999", "49998.9");
  // Alice realizes (49,999 − 60,000) × 0.1 = −1,000.1: 498.9 left (TNC 499 less the 0.1 spread).
  expect_usdc("498.9", "10000", "0");
}

// E1, TestGetFillablePrice with BA 2, or with SMMR 0.2: ABR 0.004 (or SMMR doubled), $49,998.
// The engine holds only the product ABR × SMMR × MMF = 0.00004, so both cases are one config.
TEST_F(DydxReferenceTest, E1GetFillablePriceDoubleAdjustmentOrSpread) {
  liquidate_e1_at_band_end(dydx_rules("0.00004", "0"), "0.1", "49998", "49997.9");
  expect_usdc("498.8", "10000", "0");
}

// E1, TestGetFillablePrice's short: 0.1 BTC short with USDC +5,499 (TNC 499), $50,001: the
// highest price the liquidator may sell the account's buy-back at.
TEST_F(DydxReferenceTest, E1GetFillablePriceShortIsTheHighestAcceptedPrice) {
  liquidate_e1_at_band_end(dydx_rules("0.00002", "0"), "-0.1", "50001", "50001.1");
  // (40,000 − 50,001) × 0.1 = −1,000.1.
  expect_usdc("498.9", "10000", "0");
}

// Where the calibration stops: dYdX's discount grows as the account sinks (ABR = BA × (1 −
// TNC/TMMR)); the engine's bonus does not. At TNC 450 (1,450 USDC, same position) dYdX's
// fillable price is (5,000 − 0.1 × 0.1 × 500) / 0.1 = $49,950, the engine's band still ends at
// $49,999 under the same rules.
TEST_F(DydxReferenceTest, E1NotHealthAwareADeeperAccountKeepsTheSameBand) {
  const liquidation::DydxFillableInputs deeper{.position_net_notional = money("5000"),
                                               .position_maintenance = money("500"),
                                               .total_net_collateral = money("450"),
                                               .total_maintenance = money("500"),
                                               .size = qty("0.1"),
                                               .bankruptcy_adjustment = ratio("1"),
                                               .spread_to_maintenance = ratio("0.1")};
  EXPECT_EQ(liquidation::dydx_fillable_price(deeper), price("49950"));
  reopen(dydx_rules("0.00002", "0"));
  open_isolated("1450", "0.1", "60000", "50000");
  expect_liquidatable("450", "500");
  rejected(liquidate("0.1", "49950"), Status::liquidation_price_out_of_band);
  expect_band_ends_at("0.1", "49999", "49998.9");
}

// The same E1 cases under dYdX's own rules (DydxExact): the fillable price is computed from the
// account, not calibrated to it.
class DydxExactTest : public DydxReferenceTest {
 protected:
  // No auction discount and no liquidator share: dYdX's fillable price bounds the close, and
  // `max_fee` of the proceeds (capped by the surplus over bankruptcy) is the target's fee.
  static LiquidationRules dydx_exact(const char* bankruptcy_adjustment, const char* spread_to_maintenance,
                                     const char* max_fee = "0") {
    LiquidationRules rules = dydx_rules("0", "0");
    rules.bankruptcy_adjustment = ratio(bankruptcy_adjustment);
    rules.spread_to_maintenance = ratio(spread_to_maintenance);
    rules.target_fee_rate = ratio(max_fee);
    return rules;
  }
};

// E1, TestGetFillablePrice: BA 1, SMMR 0.1, TNC 499 / TMMR 500: $49,999; BA 2 and SMMR 0.2, now
// two settings, both $49,998; the short at $50,001.
TEST_F(DydxExactTest, E1FillablePriceFromTheAccountsHealth) {
  liquidate_e1_at_band_end(dydx_exact("1", "0.1"), "0.1", "49999", "49998.9");
  expect_usdc("498.9", "10000", "0");
  liquidate_e1_at_band_end(dydx_exact("2", "0.1"), "0.1", "49998", "49997.9");
  liquidate_e1_at_band_end(dydx_exact("1", "0.2"), "0.1", "49998", "49997.9");
  liquidate_e1_at_band_end(dydx_exact("1", "0.1"), "-0.1", "50001", "50001.1");
  expect_usdc("498.9", "10000", "0");
}

// E1 with dYdX's mainnet SMMR 1.5 (research/defi-engines.md E1 [D]): (5,000 − 0.002 × 1.5 × 500)
// / 0.1 = $49,985.
TEST_F(DydxExactTest, E1MainnetSpreadToMaintenance) {
  liquidate_e1_at_band_end(dydx_exact("1", "1.5"), "0.1", "49985", "49984.9");
}

// Health-aware: at TNC 450 ABR is 1 × (1 − 450/500) = 0.1 and the fillable price
// (5,000 − 0.1 × 0.1 × 500) / 0.1 = $49,950, which dydx_fillable_price gives too (the calibrated
// auction of E1NotHealthAware stops at $49,999 for this account).
TEST_F(DydxExactTest, E1DeeperAccountGetsADeeperFillablePrice) {
  reopen(dydx_exact("1", "0.1"));
  open_isolated("1450", "0.1", "60000", "50000");
  expect_liquidatable("450", "500");
  expect_band_ends_at("0.1", "49950", "49949.9");
}

// E3, TestGetLiquidationInsuranceFundDelta exactly: USDC −5,100 (1,900 USDC with 0.1 BTC bought at
// $70,000), sold at $56,100 (the mark here: a Ballast close is priced against the mark), max fee
// 0.5%: the liquidated account pays min(0.5% × 5,610, 5,610 − 5,100) = $28.05 to the fund; the
// liquidator pays the full $56,100 and no share.
TEST_F(DydxExactTest, E3InsuranceFundFeeIsChargedToTheLiquidatedAccount) {
  reopen(dydx_exact("1", "1.5", "0.005"));
  open_isolated("1900", "0.1", "70000", "50000");
  set_prices("56100");
  expect_liquidatable("510", "561");
  ok(liquidate("0.1", "56100"));
  expect_taken_over("0.1");
  // Alice: 1,900 + (56,100 − 70,000) × 0.1 − 28.05 = 481.95, i.e. −5,100 + 5,610 − 28.05.
  expect_usdc("481.95", "10000", "28.05");
}

// The fee never takes more than the surplus over bankruptcy: with a 20% max fee (1,122 of 5,610)
// the fund takes the whole 510 and Alice is left at exactly zero.
TEST_F(DydxExactTest, E3FeeIsCappedByTheSurplus) {
  reopen(dydx_exact("1", "1.5", "0.2"));
  open_isolated("1900", "0.1", "70000", "50000");
  set_prices("56100");
  ok(liquidate("0.1", "56100"));
  expect_usdc("0", "10000", "510");
}

// E2, dYdX liquidations_test.go TestGetBankruptcyPriceInQuoteQuantums: closing the 0.1 long needs
// at least $4,501 (4,501,000,000 quantums), i.e. $45,010 a BTC; the engine's band ends at the
// price where the close leaves zero equity, 50,000 − 499 / 0.1 = 45,010. A 10% bonus (low end
// $45,000) leaves the bankruptcy bound as the binding one.
TEST_F(DydxReferenceTest, E2BankruptcyPriceInQuoteQuantumsLong) {
  liquidate_e1_at_band_end(dydx_rules("0.1", "0"), "0.1", "45010", "45009.9");
  // 0.1 × 45,010 = 4,501 of proceeds against dYdX's −4,501: Alice ends at exactly zero. Bob
  // bought at 45,010 and pays no fee (protocol share 0).
  expect_usdc("0", "10000", "0");
}

// E2, TestGetBankruptcyPriceInQuoteQuantums's short: buying back 0.1 may cost at most $5,499:
// $54,990 a BTC (50,000 + 499 / 0.1).
TEST_F(DydxReferenceTest, E2BankruptcyPriceInQuoteQuantumsShort) {
  liquidate_e1_at_band_end(dydx_rules("0.1", "0"), "-0.1", "54990", "54990.1");
  expect_usdc("0", "10000", "0");
}

// E2's partial close is where the two bounds part. dYdX's quote for closing half, 0.05 BTC, keeps
// the remainder its share of TNC: 2,500 − 499 × 250 / 500 = 2,250.5, still $45,010 a BTC. The
// engine's bound is zero equity after the close, 50,000 − 499 / 0.05 = $40,020, so the 10% bonus
// is what binds: 0.05 at $45,000 is accepted and leaves Alice 249 of equity where dYdX keeps
// 249.5 (the fund would cover the 0.5).
TEST_F(DydxReferenceTest, E2PartialCloseIsBoundedByZeroEquityNotTheRemaindersShare) {
  EXPECT_EQ(liquidation::dydx_bankruptcy_quote(money("-2500"), money("-250"), money("499"), money("500")),
            money("2250.5"));
  open_e1(dydx_rules("0.1", "0"), "0.1");
  expect_band_ends_at("0.05", "45000", "44999.9");
  // (45,000 − 60,000) × 0.05 = −750; the 0.05 left is worth −500 at the mark: equity 249.
  expect_usdc("749", "10000", "0");
  expect_liquidatable("249", "250");
}

// E3, dYdX liquidations_test.go TestGetLiquidationInsuranceFundDelta: USDC −5,100 (1,900 USDC
// with 0.1 BTC bought at $70,000), sold at $56,100 with max fee 0.5%: the fund takes
// min(0.5% × 5,610, 5,610 − 5,100) = $28.05.
//
// In dYdX the fill comes from the book at $56,100 while the oracle is $50,000 (TNC −100). A
// Ballast liquidation is priced against the mark, never above it for a long, so at a $50,000 mark
// the account has no band at all (negative equity: resolve_bankruptcy's case). With the mark at
// the fill price the case is expressible: bonus 0.5% (the max fee) with protocol share 100%; the
// liquidator pays $56,100 in effect (55,819.5 to Alice, 28.05 to the fund), Alice receives
// 5,610 − 28.05, as in dYdX. The surplus cap (510) is the band's bankruptcy bound, $51,000.
TEST_F(DydxReferenceTest, E3LiquidationInsuranceFundDelta) {
  reopen(dydx_rules("0.005", "1"));
  open_isolated("1900", "0.1", "70000", "50000");
  rejected(liquidate("0.1", "56100"), Status::account_bankrupt);
  set_prices("56100");
  // Equity 1,900 + 0.1 × (56,100 − 70,000) = 510 against 561: liquidatable.
  expect_liquidatable("510", "561");
  rejected(liquidate("0.1", "56100.1"), Status::liquidation_price_out_of_band);  // above the mark
  expect_band_ends_at("0.1", "55819.5", "55819.4");  // a 0.5% discount
  // Alice: 1,900 + (55,819.5 − 70,000) × 0.1 = 481.95 = −5,100 + 5,610 − 28.05. Bob pays the
  // fund 100% of his discount (56,100 − 55,819.5) × 0.1 = 28.05.
  expect_usdc("481.95", "9971.95", "28.05");
}

// ---------------------------------------------------------------------------------------------
// Drift v2, E6 (math/liquidation/tests.rs): shortage $10, MR 10%, price $100; base to liquidate
// = shortage / (P × (MR − liquidator fee − IF fee)).
//
// Alice: 140.000003 USDC and 5 BTC bought at $120, marked at $100: equity 40.000003 against a
// requirement of 50. The engine's shortage is requirement + buffer + its 3 micro-unit rounding
// allowance − equity: with no buffer (Drift's MR here is the whole ratio) exactly $10. Drift's
// two fees are one discount to the engine: bonus = liquidator fee + IF fee, the IF's part as the
// protocol share; both are charged to the liquidated account, as in Drift.

class DriftReferenceTest : public ReferenceVenueTest {
 protected:
  DriftReferenceTest() : ReferenceVenueTest(drift_venue()) {}

  static LiquidationRules drift_rules(const char* total_fee, const char* insurance_share) {
    LiquidationRules rules;
    rules.buffer_ratio = Ratio{};
    rules.auction.min_bonus = ratio(total_fee);
    rules.auction.max_bonus = ratio(total_fee);
    rules.auction.protocol_share = ratio(insurance_share);
    rules.sizing.min_leftover_notional = Money{};  // Drift has no dust close
    return rules;
  }
  void open_e6(const LiquidationRules& rules) {
    reopen(rules);
    open_isolated("140.000003", "5", "120", "100");
    expect_liquidatable("40.000003", "50");
  }
};

// E6 with no fee: 10 / (100 × 0.1) = 1.0.
TEST_F(DriftReferenceTest, E6LiquidationSizeWithoutFee) {
  open_e6(drift_rules("0", "0"));
  expect_largest_size("1", "1.000000001", "100");
  // (100 − 120) × 1 = −20. Equity 40.000003 − 0 against 4 × 10 = 40: healthy, by the allowance.
  expect_usdc("120.000003", "10000", "0");
}

// E6 with a 1% liquidator fee: 10 / (100 × (0.1 − 0.01)) = 1.1111…; rounded up to the lot (1e-9)
// it is 1.111111112, so the close covers at least the shortage (Drift's test shows 1.1111).
TEST_F(DriftReferenceTest, E6LiquidationSizeWithLiquidatorFee) {
  open_e6(drift_rules("0.01", "0"));
  rejected(liquidate("1.111111112", "98.99"), Status::liquidation_price_out_of_band);
  expect_largest_size("1.111111112", "1.111111113", "99");
  // Alice sells 1.111111112 at 99 for 110.000000088, credited 110.000000 (a fill's value rounds
  // toward +∞), and releases 600 × 1.111111112 / 5 = 133.33333344 of basis, rounded up to
  // 133.333334: realized −23.333334.
  expect_usdc("116.666669", "10000", "0");
}

// E6 with a 1% liquidator fee and a 1% insurance-fund fee: 10 / (100 × 0.08) = 1.25.
TEST_F(DriftReferenceTest, E6LiquidationSizeWithInsuranceFundFee) {
  open_e6(drift_rules("0.02", "0.5"));
  expect_largest_size("1.25", "1.250000001", "98");
  // Alice: (98 − 120) × 1.25 = −27.5. Bob's discount (100 − 98) × 1.25 = 2.5: half, 1% of the
  // 125 notional, to the fund; he keeps the other 1.25, Drift's 1% liquidator fee.
  expect_usdc("112.500003", "9998.75", "1.25");
}

// E6's quote-price case (quote at $0.99: 10 / (100 × 0.99 × 0.1) = 1.010101010) is not
// expressible: a venue's markets settle in its quote asset, which counts at par by definition.
// The venue reader refuses a market settled in another asset, saying why.
TEST(DriftReferenceConfig, E6QuotePriceIsNotExpressibleAMarketSettlesInTheQuote) {
  std::string toml = drift_venue();
  toml += R"(
[[asset]]
symbol = "USDT"
id = 3
decimals = 6

[[market]]
symbol = "BTC-USDT-PERP"
id = 12
kind = "perpetual"
underlying = "BTC"
settle = "USDT"
tick = "0.01"
lot = "0.000000001"
rule = { kind = "base", initial_rate = "0.2", maintenance_rate = "0.1" }
funding = { interval = "1h", clamp = "0.1" }
)";
  const Result<margin::VenueConfig> venue = margin::parse_venue_config(toml, "drift.toml");
  ASSERT_FALSE(venue.ok());
  EXPECT_NE(venue.error().message.find("settle: must be the quote asset"), std::string::npos)
      << venue.error().message;
}

// ---------------------------------------------------------------------------------------------
// resolve_bankruptcy's market_holders absorber on a group of two cross members that both hold
// the perpetual: the loss is weighed over the group's distinct markets, each once (bankruptcy.cpp,
// PlanBuilder::market_holders; before commit 3119132 a market two members held was counted
// twice). Worked on margin_venue.hpp's venue (10% / 5%), default rules but the absorber.

constexpr AccountId kCarol{18};
constexpr SubAccountId kAliceSecond{102};
constexpr SubAccountId kCarolMain{300};

class EngineGroupBankruptcyTest : public EngineMarginTest {
 protected:
  EngineOptions options() const override {
    EngineOptions options;
    options.liquidation.after_insurance = LossAbsorber::market_holders;
    return options;
  }
};

TEST_F(EngineGroupBankruptcyTest, MarketHoldersAreWeighedOverTheGroupsDistinctMarketsOnce) {
  ok(CreateSubAccount{kAlice, kAliceSecond, MarginMode::cross});
  ok(CreateAccount{kCarol});
  ok(CreateSubAccount{kCarol, kCarolMain, MarginMode::cross});
  ok(Deposit{kCarol, kCarolMain, kUsdc, Amount::from_raw(usdc(5'000))});
  // Alice's cross group: the perpetual in both members (1.0 and 0.2) and the future in the second
  // (0.3), 1.5 BTC long on her 10,000 USDC. Bob is short 1.0 perpetual and 0.3 future, Carol 0.2
  // perpetual; everything at 50,000.
  ok(fill(kAlice, kAliceMain, kPerp, "1.0", "50000"));
  ok(fill(kAlice, kAliceSecond, kPerp, "0.2", "50000"));
  ok(fill(kAlice, kAliceSecond, kFuture, "0.3", "50000"));
  ok(fill(kBob, kBobMain, kPerp, "-1.0", "50000"));
  ok(fill(kBob, kBobMain, kFuture, "-0.3", "50000"));
  ok(fill(kCarol, kCarolMain, kPerp, "-0.2", "50000"));
  set_prices("43000");  // Alice's group: 10,000 − 1.5 × 7,000 = −500
  // The fund is empty, so the 500 goes to the holders by notional at 43,000, the perpetual and the
  // future once each: Bob 1.0 × 43,000 + 0.3 × 43,000 = 55,900, Carol 0.2 × 43,000 = 8,600, 13:2.
  // Bob 433.3333333 and Carol 66.6666667, floored; the micro-unit left goes to Carol's larger
  // remainder. (Counting the perpetual once per member, 98,900 : 17,200, gave 425.925926 and
  // 74.074074.)
  const BankruptcyPlan plan = engine_.plan_bankruptcy(kAliceMain);
  ASSERT_EQ(plan.status, Status::ok);
  EXPECT_EQ(plan.deficit.raw(), usdc(500));
  EXPECT_EQ(plan.from_insurance.raw(), 0);
  ASSERT_EQ(plan.socialized.size(), 2u);
  EXPECT_EQ(plan.socialized[0], (BankruptcyCharge{kBobMain, Amount::from_raw(433'333'333)}));
  EXPECT_EQ(plan.socialized[1], (BankruptcyCharge{kCarolMain, Amount::from_raw(66'666'667)}));
  ok(ResolveBankruptcy{kAliceMain});
  // Every position closed at 43,000 (the shorts by ADL): Bob realizes 1.3 × 7,000, Carol 0.2 ×
  // 7,000; Alice's members −7,000 and −3,500, the cover credited to the member the event named.
  for (const SubAccountId sub : {kAliceMain, kAliceSecond, kBobMain, kCarolMain}) {
    EXPECT_EQ(size(sub, kPerp), Quantity{});
    EXPECT_EQ(size(sub, kFuture), Quantity{});
  }
  EXPECT_EQ(balance(kBobMain, kUsdc), usdc(19'100) - 433'333'333);
  EXPECT_EQ(balance(kCarolMain, kUsdc), usdc(6'400) - 66'666'667);
  EXPECT_EQ(balance(kAliceMain, kUsdc), usdc(3'000) + usdc(500));
  EXPECT_EQ(balance(kAliceSecond, kUsdc), -usdc(3'500));
  EXPECT_EQ(engine_.waterfall().losses, (LossTotals{1, 3, usdc(500), 0, 0, usdc(500), 0}));
  expect_replay_and_restore_match();
}

}  // namespace
}  // namespace ballast
