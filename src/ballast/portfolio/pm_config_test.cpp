// Portfolio-margin configuration files (pm_config.hpp): the shipped configs load; Derive's
// published PMRM_2 case is reproduced from configs/portfolio-derive-test.toml with the same bits
// as the configuration built in code; errors are one line naming file, line, place and key.

#include "ballast/portfolio/pm_config.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <string>

#include "ballast/core/testing/fixed_text.hpp"
#include "ballast/portfolio/risk_matrix.hpp"
#include "ballast/portfolio/testing/portfolios.hpp"

namespace ballast::portfolio {
namespace {

std::string config_path(const char* name) { return std::string(BALLAST_CONFIGS_DIR) + "/" + name; }

std::string error_of(std::string_view text) {
  const Result<Model> model = read_portfolio_model(text, "pm.toml");
  return model.ok() ? std::string() : model.error().message;
}

TEST(PmConfig, ShippedConfigsLoad) {
  const Result<Model> deribit = load_portfolio_model(config_path("portfolio-deribit.toml"));
  ASSERT_TRUE(deribit.ok()) << deribit.error().message;
  ASSERT_EQ(deribit->size(), 2u);
  EXPECT_EQ(deribit->scenarios(0).size(), 35u);
  EXPECT_EQ(deribit->underlying(1).grid.range, 0.18);
  EXPECT_EQ(deribit->correlation(0, 1), 0.85);
  EXPECT_EQ(deribit->config().cross.gain_weight, 0.6);
  const Result<Model> derive = load_portfolio_model(config_path("portfolio-derive.toml"));
  ASSERT_TRUE(derive.ok()) << derive.error().message;
  EXPECT_EQ(derive->scenarios(1).size(), 33u);
  EXPECT_TRUE(derive->underlying(0).discount.enabled);
  EXPECT_EQ(derive->config().cross.max_offset, 0.0);
  // The close-out curve reads as written.
  const auto curve = read_portfolio_model(
      "[[underlying]]\nsymbol = \"BTC\"\n[underlying.liquidity]\nhalf_spread = 0.001\nimpact = 0.01\ndepth = 100\n",
      "pm.toml");
  ASSERT_TRUE(curve.ok()) << curve.error().message;
  EXPECT_EQ(curve->underlying(0).liquidity.half_spread, 0.001);
  EXPECT_EQ(curve->underlying(0).liquidity.depth, 100.0);
  EXPECT_EQ(load_portfolio_model(config_path("missing.toml")).error().code, ErrorCode::not_found);
}

TEST(PmConfig, DeriveReferenceFromTheFile) {
  const Result<Model> from_file = load_portfolio_model(config_path("portfolio-derive-test.toml"));
  ASSERT_TRUE(from_file.ok()) << from_file.error().message;
  const Model in_code = Model::make(testing::make_portfolio({testing::derive_test_underlying()})).value();
  const MarketState market{{UnderlyingMarket{95663.50604855, {{794852.0 / 31536000.0, 95776.67392708939, 0.15000000000000002}},
                                             std::nullopt}}};
  const std::vector<Position> book{
      testing::make_option(1, 0, pricing::OptionKind::call, 100000, 0, -1, 0.453803924321583)};
  RiskMatrix a(*from_file);
  RiskMatrix b(in_code);
  ASSERT_EQ(a.build(market, book), PmStatus::ok);
  ASSERT_EQ(b.build(market, book), PmStatus::ok);
  // test_12: IM -14,604.05 and MM -11,824.86 as health (risk_matrix_test derives the figures).
  EXPECT_EQ(*checked_sub(a.report().value, a.report().initial), money("-14604.048121"));
  EXPECT_EQ(*checked_sub(a.report().value, a.report().maintenance), money("-11824.858705"));
  EXPECT_EQ(std::bit_cast<std::uint64_t>(a.report().initial_amount),
            std::bit_cast<std::uint64_t>(b.report().initial_amount));
}

TEST(PmConfig, ErrorsNameFileLineAndKey) {
  EXPECT_EQ(error_of("[[underlying]]\nsymbol = \"BTC\"\n[underlying.grid]\nrnage = 0.1\n"),
            "pm.toml:4: underlying BTC.grid: rnage: unknown key");
  EXPECT_EQ(error_of("[[underlying]]\nsymbol = \"BTC\"\n[underlying.grid]\nrange = \"wide\"\n"),
            "pm.toml:4: underlying BTC.grid: range: must be a number");
  EXPECT_EQ(error_of("[[underlying]]\nsymbol = \"BTC\"\n[underlying.grid]\nsteps = 1.5\n"),
            "pm.toml:4: underlying BTC.grid: steps: must be an integer");
  EXPECT_EQ(error_of("[[underlying]]\ndynamics = \"sticky_strike\"\n"), "pm.toml:1: underlying 0: symbol: is missing");
  EXPECT_EQ(error_of("[[underlying]]\nsymbol = \"BTC\"\ndynamics = \"sticky_delta\"\n"),
            "pm.toml:3: underlying BTC: dynamics: must be \"sticky_strike\" or \"sticky_moneyness\"");
  EXPECT_EQ(error_of("[[underlying]]\nsymbol = \"BTC\"\n[underlying.grid]\ntail_moves = [0.5, 1]\ntail_weights = [0.1]\n"),
            "pm.toml:5: underlying BTC.grid: tail_weights: must have one weight per tail move");
  EXPECT_EQ(error_of("[[underlying]]\nsymbol = \"BTC\"\n[underlying.grid]\ntail_moves = [0.5]\n"),
            "pm.toml:4: underlying BTC.grid: tail_moves: needs tail_weights or tail_weight_numerator");
  EXPECT_EQ(error_of("[[underlying]]\nsymbol = \"BTC\"\n[cross]\ncorrelation = [[1, 0.5]]\n"),
            "pm.toml:4: cross: correlation: each row needs one number per underlying");
  EXPECT_EQ(error_of("colour = 1\n"), "pm.toml:1: colour: unknown key");
  // The model's checks come last, prefixed with the file.
  EXPECT_EQ(error_of("[[underlying]]\nsymbol = \"BTC\"\n[underlying.naked_short]\ninitial = 0.001\nmaintenance = 0.003\n"),
            "pm.toml: underlying BTC: naked_short.initial must be finite and at least the maintenance factor, "
            "got 0.001");
  // A close-out curve with impact needs a depth to divide by.
  EXPECT_EQ(error_of("[[underlying]]\nsymbol = \"BTC\"\n[underlying.liquidity]\nimpact = 0.01\n"),
            "pm.toml: underlying BTC: liquidity.depth must be positive when impact > 0, got 0");
  // Syntax errors carry toml++'s description and line.
  EXPECT_EQ(error_of("[[underlying]]\nsymbol = \"BTC\"\nrange = \n").rfind("pm.toml:3: ", 0), 0u);
}

}  // namespace
}  // namespace ballast::portfolio
