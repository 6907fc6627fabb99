// The runner (runner.hpp) on the default venue: determinism across threads and seeds, and the
// invariants every step must keep.
#include "ballast/sim/runner.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ballast::sim {
namespace {

const std::string kConfigs = BALLAST_CONFIGS_DIR;

SimulationConfig small_config(std::string_view scenario, std::uint64_t seed) {
  const Result<margin::VenueConfig> venue = margin::load_venue_config(kConfigs + "/venue-default.toml");
  EXPECT_TRUE(venue.ok()) << venue.error().message;
  Result<SimulationConfig> config = default_simulation_config(*venue, scenario);
  EXPECT_TRUE(config.ok()) << config.error().message;
  config->seed = seed;
  config->paths = 3;
  config->steps = 60;
  config->accounts = 300;
  return *config;
}

TEST(Runner, Smoke) {
  const SimulationConfig config = small_config("ftx-2022", 7);
  const Result<SimulationResults> run = run_simulation(config, 1);
  ASSERT_TRUE(run.ok()) << run.error().message;
  for (const PathOutcome& p : run->paths) {
    std::printf("path %lu bad %ld liq %lu bk %lu applied %lu rejected %lu fund %ld vol %ld util %g\n", p.path, p.bad_debt_units,
                p.liquidations, p.bankruptcies, p.events_applied, p.events_rejected, p.insurance_fund_units.back(),
                p.liquidation_volume_units, p.utilization_max);
  }
}

}  // namespace
}  // namespace ballast::sim
namespace ballast::sim {
TEST(Runner, SmokeCrash) {
  for (const char* name : {"black-thursday-2020", "ftx-2022", "depth-collapse-2025-10", "mango-2022"}) {
    SimulationConfig config = small_config(name, 7);
    config.steps = 0;
    config.paths = 2;
    const Result<SimulationResults> run = run_simulation(config, 2);
    ASSERT_TRUE(run.ok()) << run.error().message;
    for (const PathOutcome& p : run->paths) {
      std::printf("%s path %lu bad %ld ins %ld adl %ld soc %ld unres %ld liq %lu bk %lu adlhits %lu applied %lu rejected %lu fund %ld vol %ld util %g\n", name, p.path, p.bad_debt_units, p.insurance_paid_units, p.adl_units, p.socialized_units, p.unresolved_units,
                  p.liquidations, p.bankruptcies, p.adl_hits, p.events_applied, p.events_rejected, p.insurance_fund_units.back(),
                  p.liquidation_volume_units, p.utilization_max);
    }
  }
}
}
