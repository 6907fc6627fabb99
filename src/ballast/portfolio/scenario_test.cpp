// Scenario grids and the model (scenario.hpp, model.hpp): Deribit's and Derive's published grid
// shapes and tail weights, Deribit's vol-shock multipliers through the per-option scenario vols,
// Derive's skew multiplier from its published case, correlation checks, conditional partner
// moves, configuration errors.

#include "ballast/portfolio/model.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <bit>
#include <string>

#include "ballast/portfolio/testing/portfolios.hpp"

namespace ballast::portfolio {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string error_of(const Outcome& outcome) { return outcome.ok() ? "" : outcome.error().message; }

TEST(Grid, DeribitShape) {
  // Research b1: 9 points on +-16% x {down, none, up} = 27, plus the extended table -66% ..
  // +500% with vol up only: 35 scenarios. Tail weight range / |m|: -66% -> 0.16 / 0.66.
  const std::vector<Scenario> s = make_scenarios(testing::deribit_underlying("BTC").grid);
  ASSERT_EQ(s.size(), 35u);
  EXPECT_EQ(s[0].spot_move, 0.16);
  EXPECT_EQ(s[0].vol, VolLevel::down);
  EXPECT_EQ(s[2].vol, VolLevel::up);
  EXPECT_EQ(s[12].spot_move, 0.0);
  EXPECT_EQ(s[26].spot_move, -0.16);
  EXPECT_EQ(s[27].spot_move, -0.66);
  EXPECT_EQ(s[27].kind, ScenarioKind::tail);
  EXPECT_EQ(s[27].vol, VolLevel::up);
  EXPECT_DOUBLE_EQ(s[27].weight, 0.16 / 0.66);
  EXPECT_DOUBLE_EQ(s[34].weight, 0.032);  // +500%
}

TEST(Grid, DerivePublishedDampening) {
  // Research b2 (scripts/config-mainnet.sol): 7 points x 3 vols + x1.18 and x0.82 vol up = 23,
  // tails x0.34 .. x6 with dampening 0.21, 0.42, 0.2772, 0.1386, 0.0693, 0.0462, 0.03465,
  // 0.02772 = 0.1386 / |m|, both skews: 33.
  GridSpec grid;
  grid.range = 0.18;
  grid.steps = 4;
  grid.edges_vol_up_only = true;
  const double moves[] = {-0.66, -0.33, 0.5, 1, 2, 3, 4, 5};
  grid.tails = tails_over_move(moves, 0.1386);
  grid.skew = true;
  ASSERT_TRUE(check_grid(grid).ok());
  const std::vector<Scenario> s = make_scenarios(grid);
  ASSERT_EQ(s.size(), 33u);
  EXPECT_EQ(s[0].spot_move, 0.18);
  EXPECT_EQ(s[0].vol, VolLevel::up);
  EXPECT_EQ(s[1].spot_move, 0.135);
  EXPECT_EQ(s[7].spot_move, 0.045);  // 0.18 x 1 / 4 is 0.045 to the bit
  EXPECT_EQ(s[22].spot_move, -0.18);
  const double published[] = {0.21, 0.42, 0.2772, 0.1386, 0.0693, 0.0462, 0.03465, 0.02772};
  for (std::size_t i = 0; i < 8; ++i) EXPECT_NEAR(s[23 + i].weight, published[i], 1e-15) << i;
  EXPECT_EQ(s[31].vol, VolLevel::skew_linear);
  EXPECT_EQ(s[32].vol, VolLevel::skew_abs);
}

TEST(Grid, Errors) {
  GridSpec grid;
  grid.range = 1.5;
  EXPECT_TRUE(contains(error_of(check_grid(grid)), "grid range must be in (0, 1), got 1.5"));
  grid = GridSpec{};
  grid.steps = 0;
  EXPECT_TRUE(contains(error_of(check_grid(grid)), "grid steps"));
  grid = GridSpec{};
  grid.tails = {{0.1, 0.5}};  // inside the range
  EXPECT_TRUE(contains(error_of(check_grid(grid)), "grid tails[0].spot_move"));
  grid.tails = {{0.5, 0.0}};
  EXPECT_TRUE(contains(error_of(check_grid(grid)), "grid tails[0].weight must be in (0, 1]"));
}

TEST(VolLevels, DeribitPublishedMultipliers) {
  // Research d, "Vol-shock multipliers (Deribit BTC: up 0.5, down 0.25)", to 4 decimals. A vol
  // of 1 keeps the min_vol_up floor (0.5) out of the way, so the shocked vol is the multiplier.
  struct Row {
    double dte, up, down;
  };
  const Row table[] = {{1, 2.3871, 0.3065},   {2, 2.1267, 0.4367},  {7, 1.7737, 0.6131},
                       {14, 1.6284, 0.6858},  {30, 1.5, 0.75},      {90, 1.4335, 0.7833},
                       {365, 1.3613, 0.8193}};
  const UnderlyingConfig c = testing::deribit_underlying("BTC");
  for (const Row& row : table) {
    const double f = pricing::vol_shock_factor(c.vol, row.dte);
    EXPECT_NEAR(scenario_vol(c, 1.0, f, VolLevel::up, 0, 0), row.up, 0.5e-4) << row.dte;
    EXPECT_NEAR(scenario_vol(c, 1.0, f, VolLevel::down, 0, 0), row.down, 0.5e-4) << row.dte;
  }
  // The floor binds for a low vol: 0.2 x 1.3613 < 0.5.
  EXPECT_EQ(scenario_vol(c, 0.2, pricing::vol_shock_factor(c.vol, 365), VolLevel::up, 0, 0), 0.5);
}

RC_GTEST_PROP(VolLevels, SameBitsAsPricingShockVol, ()) {
  // The per-option law is pricing::shock_vol's, without its per-call checks: same bits.
  const double vol = *rc::gen::inRange(0, 3000000) / 1e6;
  const double dte = *rc::gen::inRange(0, 4000000) / 1e4;
  const UnderlyingConfig c = testing::derive_test_underlying();
  const Result<pricing::ShockedVol> reference = pricing::shock_vol(c.vol, vol, dte);
  RC_ASSERT(reference.ok());
  const double f = pricing::vol_shock_factor(c.vol, dte);
  RC_ASSERT(std::bit_cast<std::uint64_t>(scenario_vol(c, vol, f, VolLevel::up, 0, 0)) ==
            std::bit_cast<std::uint64_t>(reference->up));
  RC_ASSERT(std::bit_cast<std::uint64_t>(scenario_vol(c, vol, f, VolLevel::down, 0, 0)) ==
            std::bit_cast<std::uint64_t>(reference->down));
}

TEST(Skew, DerivePublishedMultiplier) {
  // test_12_risk_cancelling_naked_short_call.json: k = ln(100,000 / 95,776.67) = 0.043151...,
  // tau = 794,852 s; "linear_multiplier" and "abs_multiplier" 1.01652586234559
  // (cap 0.142062, k* 0.370941: 1 + k cap / k*).
  const SkewParams skew;
  const double tau = 794852.0 / 31536000.0;
  const double k = 0.043151017850228957;
  EXPECT_NEAR(skew_vol_factor(skew, VolLevel::skew_linear, k, tau), 1.01652586234559, 1e-14);
  EXPECT_NEAR(skew_vol_factor(skew, VolLevel::skew_abs, k, tau), 1.01652586234559, 1e-14);
  // Below the forward the linear rotation lowers the vol, the abs one raises it.
  EXPECT_NEAR(skew_vol_factor(skew, VolLevel::skew_linear, -k, tau), 2.0 - 1.01652586234559, 1e-14);
  EXPECT_NEAR(skew_vol_factor(skew, VolLevel::skew_abs, -k, tau), 1.01652586234559, 1e-14);
  // Far out the tilt is capped at +-cap = -0.05 sqrt(tau) + 0.15.
  const double cap = -0.05 * std::sqrt(tau) + 0.15;
  EXPECT_DOUBLE_EQ(skew_vol_factor(skew, VolLevel::skew_linear, 2.0, tau), 1.0 + cap);
  EXPECT_DOUBLE_EQ(skew_vol_factor(skew, VolLevel::skew_linear, -2.0, tau), 1.0 - cap);
  EXPECT_EQ(skew_vol_factor(skew, VolLevel::up, 2.0, tau), 1.0);
}

TEST(Correlation, Checks) {
  EXPECT_TRUE(check_correlation({}, 3).ok());
  const double ok2[] = {1, 0.8, 0.8, 1};
  EXPECT_TRUE(check_correlation(ok2, 2).ok());
  const double perfect[] = {1, 1, 1, 1};
  EXPECT_TRUE(check_correlation(perfect, 2).ok());
  EXPECT_TRUE(contains(error_of(check_correlation(ok2, 3)), "correlation size"));
  const double asymmetric[] = {1, 0.8, 0.7, 1};
  EXPECT_TRUE(contains(error_of(check_correlation(asymmetric, 2)), "equal to its transpose"));
  const double diagonal[] = {0.9, 0.8, 0.8, 1};
  EXPECT_TRUE(contains(error_of(check_correlation(diagonal, 2)), "correlation[0][0] must be 1 on the diagonal"));
  const double beyond[] = {1, 1.2, 1.2, 1};
  EXPECT_TRUE(contains(error_of(check_correlation(beyond, 2)), "in [-1, 1]"));
  // Each pair is plausible, the three together are not: A ~ B, B ~ C, A ~ -C.
  const double impossible[] = {1, 0.9, -0.9, 0.9, 1, 0.9, -0.9, 0.9, 1};
  EXPECT_TRUE(contains(error_of(check_correlation(impossible, 3)), "positive semidefinite"));
  // A perfectly correlated pair and a third that correlates differently with each of them.
  const double inconsistent[] = {1, 1, 0, 1, 1, 0.5, 0, 0.5, 1};
  EXPECT_TRUE(contains(error_of(check_correlation(inconsistent, 3)), "positive semidefinite"));
}

TEST(ModelTest, PartnerMovesAreConditionalExpectationsInRangeUnits) {
  UnderlyingConfig eth = testing::deribit_underlying("ETH");
  eth.grid.range = 0.18;
  UnderlyingConfig sol = testing::deribit_underlying("SOL");
  sol.grid.tails.clear();  // its envelope is +-range only
  sol.grid.range = 0.25;
  PortfolioConfig config = testing::make_portfolio({testing::deribit_underlying("BTC"), eth, sol},
                                                   {1, 0.8, 0.5, 0.8, 1, 0.4, 0.5, 0.4, 1});
  const Result<Model> model = Model::make(config);
  ASSERT_TRUE(model.ok()) << model.error().message;
  // BTC +16% (z = 1): ETH 0.8 x 18% = 14.4%, SOL 0.5 x 25% = 12.5%.
  EXPECT_DOUBLE_EQ(model->partner_move(0, 0, 1), 0.144);
  EXPECT_DOUBLE_EQ(model->partner_move(0, 0, 2), 0.125);
  // BTC -66% (z = -4.125): ETH -59.4% (inside its own tails), SOL clamped to its -25%.
  EXPECT_DOUBLE_EQ(model->partner_move(0, 27, 1), 0.8 * (-0.66 / 0.16) * 0.18);
  EXPECT_EQ(model->partner_move(0, 27, 2), -0.25);
  EXPECT_EQ(model->find("SOL"), 2u);
  EXPECT_EQ(model->find("DOGE"), 3u);
}

TEST(ModelTest, ErrorsNameTheUnderlyingAndField) {
  const auto error = [](PortfolioConfig config) {
    const Result<Model> model = Model::make(std::move(config));
    return model.ok() ? std::string() : model.error().message;
  };
  UnderlyingConfig btc = testing::deribit_underlying("BTC");
  btc.naked_short = {0.001, 0.003};
  EXPECT_TRUE(contains(error(testing::make_portfolio({btc})),
                       "underlying BTC: naked_short.initial must be finite and at least the maintenance factor"));
  btc = testing::deribit_underlying("BTC");
  btc.vol.pivot_days = 0;
  EXPECT_TRUE(contains(error(testing::make_portfolio({btc})), "underlying BTC: vol shock pivot_days"));
  btc = testing::deribit_underlying("BTC");
  btc.delta_liquidity.max_rate = 2;
  EXPECT_TRUE(contains(error(testing::make_portfolio({btc})), "delta_liquidity.max_rate must be in [0, 1]"));
  btc = testing::derive_test_underlying();
  btc.basis.spot_down = 0.1;
  EXPECT_TRUE(contains(error(testing::make_portfolio({btc})), "basis.spot_down must be in (-1, 0)"));
  btc = testing::derive_test_underlying();
  btc.discount.negative_base = 0;
  EXPECT_TRUE(contains(error(testing::make_portfolio({btc})), "discount.negative_base must be positive"));
  btc = testing::deribit_underlying("BTC");
  EXPECT_TRUE(contains(error(testing::make_portfolio({btc, btc})), "underlying BTC: symbol appears twice"));
  EXPECT_TRUE(contains(error(testing::make_portfolio({btc}, {}, {1.0, 1.5})), "cross.max_offset must be in [0, 1]"));
  EXPECT_TRUE(contains(error(testing::make_portfolio({btc}, {}, {}, {0.5, 0.8})), "loss.initial"));
  EXPECT_EQ(error(testing::make_portfolio({btc})), "");
}

}  // namespace
}  // namespace ballast::portfolio
