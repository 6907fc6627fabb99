#pragma once
// The portfolio-margin engine fixture (engine_portfolio_test, engine_portfolio_liquidation_test):
// engine_margin_fixture.hpp's venue with a 30-day BTC call and a portfolio model on BTC, and
// Alice's portfolio sub-account holding 10,000 USDC.

#include <optional>

#include "ballast/engine/testing/engine_margin_fixture.hpp"

namespace ballast::engine_testing {

constexpr InstrumentId kCall{13};
constexpr SubAccountId kAlicePortfolio{102};
constexpr TimestampNs kDay = 86'400 * kSecond;
constexpr TimestampNs kCallExpiry = kT0 + 30 * kDay;

// The fixture's venue with a 30-day BTC call (strike 50,000, marked at 2,500) and a portfolio
// model on BTC: spot moves of ±4, 8, 12, 16% with vol up, same and down; IM = the worst loss,
// MM = 0.8 of it; no add-ons. Alice's portfolio sub-account holds 10,000 USDC.
class EnginePortfolioTest : public EngineMarginTest {
 protected:
  margin::RiskConfig risk() const override {
    margin::RiskConfig config = venue();
    margin::MarketRisk call{instrument(kCall, "BTC-31JAN25-50000-C", market::InstrumentKind::option), {}, {}, {}};
    call.instrument.expiry_ns = kCallExpiry;
    call.instrument.strike = price("50000");
    config.markets.push_back(call);
    return config;
  }
  std::optional<portfolio::PortfolioConfig> portfolio() const override { return model_config(); }

  static portfolio::PortfolioConfig model_config() {
    portfolio::PortfolioConfig config;
    portfolio::UnderlyingConfig btc;
    btc.symbol = "BTC";
    btc.grid.range = 0.16;
    btc.grid.steps = 4;
    config.underlyings.push_back(btc);
    config.loss = {1.0, 0.8};
    return config;
  }

  void SetUp() override {
    EngineMarginTest::SetUp();
    ok(MarkPrice{kCall, price("2500")});
    ok(CreateSubAccount{kAlice, kAlicePortfolio, MarginMode::portfolio});
    ok(Deposit{kAlice, kAlicePortfolio, kUsdc, Amount::from_raw(usdc(10'000))});
  }

  PortfolioFigures figures_of(SubAccountId sub_account) const {
    portfolio::RiskMatrix matrix(engine_.portfolio()->model());
    const PortfolioOutcome outcome = engine_.portfolio_margin(sub_account, matrix);
    EXPECT_EQ(outcome.status, Status::ok);
    return outcome.figures;
  }
  PortfolioFigures figures() const { return figures_of(kAlicePortfolio); }
  static Money money_up(double value) { return *Money::from_double(value, Round::up); }
};

}  // namespace ballast::engine_testing
