#include "ballast/sim/scenarios.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace ballast::sim {
namespace {

std::vector<double> scenario_prices(const Scenario& scenario, std::uint64_t path) {
  const auto model = scenario_model(scenario);
  EXPECT_TRUE(model.ok()) << (model.ok() ? "" : model.error().message);
  std::vector<double> prices((scenario.steps + 1) * scenario.symbols.size());
  generate_prices(model.value(), PathKey{1, scenario_id(scenario.name), path}, scenario.steps, scenario.start_prices,
                  prices);
  return prices;
}

// Every built-in scenario is valid, named uniquely, described, and its paths stay positive and
// finite.
TEST(ScenarioLibrary, EveryScenarioValidatesAndGenerates) {
  std::set<std::string> names;
  for (const Scenario& scenario : scenario_library()) {
    EXPECT_TRUE(names.insert(scenario.name).second) << scenario.name;
    EXPECT_GT(scenario.description.size(), 100u) << scenario.name;
    for (const double price : scenario_prices(scenario, 0)) {
      ASSERT_TRUE(std::isfinite(price) && price > 0.0) << scenario.name;
    }
  }
  EXPECT_EQ(names.size(), 7u);
}

TEST(ScenarioLibrary, ByNameAndUnknownNames) {
  const auto ftx = scenario_by_name("ftx-2022");
  ASSERT_TRUE(ftx.ok());
  EXPECT_EQ(ftx.value()->symbols, (std::vector<std::string>{"BTC", "ETH", "SOL"}));
  const auto unknown = scenario_by_name("luna-2022");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::not_found);
  EXPECT_EQ(unknown.error().message,
            "unknown scenario 'luna-2022'; known: black-thursday-2020, may-19-2021, ftx-2022, depth-collapse-2025-10, "
            "oracle-pump-thin, mango-2022, jelly-squeeze-2025");
}

// The scenario key is the name's hash: pinned, so a path's key does not move with the library.
TEST(ScenarioLibrary, ScenarioIdIsStable) {
  EXPECT_EQ(scenario_id("ftx-2022"), scenario_id(std::string("ftx-") + "2022"));
  EXPECT_NE(scenario_id("ftx-2022"), scenario_id("ftx-2023"));
  EXPECT_EQ(scenario_id("black-thursday-2020"), 7075252806334663973ull);
}

// The observed moves, to the bit at the knots: BTC -48% from the 11-Mar close to the 13-Mar
// low, about a day later; ETH -51%.
TEST(ScenarioLibrary, BlackThursdayHitsTheObservedLows) {
  const Scenario& scenario = *scenario_by_name("black-thursday-2020").value();
  const std::vector<double> prices = scenario_prices(scenario, 3);
  EXPECT_EQ(prices[312 * 2], 4'106.98 / 7'911.43 * 7'911.43);
  EXPECT_NEAR(prices[312 * 2] / prices[0] - 1.0, -0.481, 0.0005);
  EXPECT_NEAR(prices[312 * 2 + 1] / prices[1] - 1.0, -0.512, 0.0005);
  EXPECT_EQ(scenario.dt_s * 312 / 3600.0, 26.0);  // hours after the 11-Mar close
}

TEST(ScenarioLibrary, ThinAssetPeaks) {
  const Scenario& mango = *scenario_by_name("mango-2022").value();
  EXPECT_NEAR(scenario_prices(mango, 0)[20], 0.91, 1e-12);
  const Scenario& jelly = *scenario_by_name("jelly-squeeze-2025").value();
  const std::vector<double> prices = scenario_prices(jelly, 0);
  EXPECT_NEAR(prices[60] / prices[0], 5.0, 1e-12);  // +400%
  EXPECT_NEAR(prices[240], prices[0], 1e-15);       // and back
  const Scenario& pump = *scenario_by_name("oracle-pump-thin").value();
  EXPECT_EQ(scenario_prices(pump, 0)[20], 2.0);
}

TEST(ScenarioLibrary, DepthSeriesFollowsItsKnots) {
  const Scenario& october = *scenario_by_name("depth-collapse-2025-10").value();
  std::vector<double> depth((october.steps + 1) * 3);
  depth_series(october, depth);
  for (std::size_t a = 0; a < 3; ++a) {
    EXPECT_EQ(depth[a], 1.0);
    EXPECT_EQ(depth[75 * 3 + a], 0.02);  // -98% at the worst minute
    EXPECT_EQ(depth[180 * 3 + a], 0.3);
    EXPECT_EQ(depth[1'440 * 3 + a], 1.0);
  }
  EXPECT_NEAR(depth_multiplier(october, 0, 25), 1.0 - (1.0 - 0.02) / 3.0, 1e-15);
  const Scenario& pump = *scenario_by_name("oracle-pump-thin").value();
  EXPECT_EQ(depth_multiplier(pump, 0, 100), 1.0);  // no knots: calm throughout
  const Scenario& thursday = *scenario_by_name("black-thursday-2020").value();
  EXPECT_NEAR(depth_multiplier(thursday, 1, 444), 0.5, 1e-15);
  EXPECT_EQ(depth_multiplier(thursday, 1, 5'000), 1.0);
}

TEST(ScenarioLibrary, BrokenScenariosAreRejectedByName) {
  Scenario short_run = *scenario_by_name("ftx-2022").value();
  short_run.steps = 600;
  EXPECT_EQ(scenario_model(short_run).error().message,
            "scenario 'ftx-2022': 600 steps for 3 path assets whose last knot is at step 864");
  Scenario bad_depth = *scenario_by_name("may-19-2021").value();
  bad_depth.depth[2].push_back({10, 0.5});
  EXPECT_EQ(scenario_model(bad_depth).error().message,
            "scenario 'may-19-2021': depth[2][2]: step 10 must be after step 456 (step 0 is the start)");
  Scenario bad_start = *scenario_by_name("mango-2022").value();
  bad_start.start_prices[0] = 0.0;
  EXPECT_EQ(scenario_model(bad_start).error().message, "scenario 'mango-2022': start price of THIN must be positive");
  Scenario missing = bad_start;
  missing.symbols.push_back("BTC");
  EXPECT_EQ(scenario_model(missing).error().message,
            "scenario 'mango-2022': 2 symbols, 1 start prices, 1 depth series");
}

}  // namespace
}  // namespace ballast::sim
