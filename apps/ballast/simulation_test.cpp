// Sweep grids over the engine's rules (simulation.hpp): a grid name that is a key of the venue
// file's [liquidation], [breakers] or [vault] table is written into the venue's TOML and read by
// the engine-options reader, so each setting's EngineOptions are the default run's with exactly
// that field changed, and a bad name or value is the reader's error naming the key. The run is
// configs/simulate-default.toml (venue-default.toml: close factor 0.5, no breakers; the simulator
// adds a vault with a 1 h cooldown).
#include "simulation.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ballast::cli {
namespace {

const std::string kConfigs = BALLAST_CONFIGS_DIR;

SimulationSpec default_spec() {
  SimulateArgs args;
  args.config_path = kConfigs + "/simulate-default.toml";
  Result<SimulationSpec> spec = read_simulation_spec(args);
  EXPECT_TRUE(spec.ok()) << spec.error().message;
  return *spec;
}

EngineOptions options_with(const SimulationSpec& spec, const sim::Setting& setting) {
  Result<BuiltSimulation> built = build_simulation(spec, setting);
  EXPECT_TRUE(built.ok()) << built.error().message;
  return built.ok() ? built->config.options : EngineOptions{};
}

std::string error_of(const SimulationSpec& spec, const sim::Setting& setting) {
  Result<BuiltSimulation> built = build_simulation(spec, setting);
  EXPECT_FALSE(built.ok());
  return built.ok() ? std::string() : built.error().message;
}

// Ratio has 12 decimals: 0.25 is 250'000'000'000.
TEST(SweepGrid, EachCloseFactorReachesTheEngineOptionsExactly) {
  const SimulationSpec spec = default_spec();
  const EngineOptions base = options_with(spec, {});
  ASSERT_EQ(base.liquidation.sizing.close_factor, Ratio::from_raw(500'000'000'000));  // the file's 0.5
  const Result<sim::GridAxis> axis = sim::parse_grid_axis("liquidation.close_factor=0.25,0.5,1");
  ASSERT_TRUE(axis.ok());
  const Result<std::vector<sim::Setting>> settings = sim::grid_settings({*axis}, 10);
  ASSERT_TRUE(settings.ok());
  const std::vector<std::int64_t> raw{250'000'000'000, 500'000'000'000, 1'000'000'000'000};
  ASSERT_EQ(settings->size(), raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    EngineOptions expected = base;
    expected.liquidation.sizing.close_factor = Ratio::from_raw(raw[i]);
    EXPECT_EQ(options_with(spec, (*settings)[i]), expected) << sim::setting_label((*settings)[i]);
  }
}

// A duration as the file writes it, a cap in quote money, a word, and two axes at once.
TEST(SweepGrid, OtherLiquidationKeysKeepTheFilesConventions) {
  const SimulationSpec spec = default_spec();
  EngineOptions expected = options_with(spec, {});
  expected.liquidation.auction.duration_ns = 300'000'000'000;                // 5 min
  expected.liquidation.event_cap_notional = Money::from_raw(250'000'000'000);  // 250,000 quote
  expected.liquidation.after_insurance = LossAbsorber::market_holders;
  EXPECT_EQ(options_with(spec, {{"liquidation.auction_duration", "5m"},
                                {"liquidation.event_cap_notional", "250000"},
                                {"liquidation.after_insurance", "market_holders"}}),
            expected);
}

// The default venue has no [breakers]: an axis over one of its keys makes the table, which turns
// the breakers on with the library's defaults and the swept value. [vault] keeps the simulator's
// vault but the cooldown.
TEST(SweepGrid, BreakerAndVaultKeysAreTheirTablesKeys) {
  const SimulationSpec spec = default_spec();
  const EngineOptions base = options_with(spec, {});
  ASSERT_FALSE(base.breakers.has_value());
  ASSERT_TRUE(base.vault.has_value());
  EngineOptions expected = base;
  expected.breakers = BreakerOptions{};
  expected.breakers->oi_depth_factor = Ratio::from_raw(3'000'000'000'000);
  expected.vault->cooldown_ns = 7'200'000'000'000;  // 2 h
  EXPECT_EQ(options_with(spec, {{"breakers.oi_depth_factor", "3"}, {"vault.cooldown", "2h"}}), expected);
}

TEST(SweepGrid, AnUnknownKeyOrAValueOutOfRangeIsRefusedNamingTheKey) {
  const SimulationSpec spec = default_spec();
  EXPECT_NE(error_of(spec, {{"liquidation.close_factr", "0.5"}}).find("liquidation.close_factr: unknown key"),
            std::string::npos);
  EXPECT_NE(error_of(spec, {{"liquidation.close_factor", "1.5"}}).find("liquidation.close_factor: must be in (0, 1]"),
            std::string::npos);
  EXPECT_NE(error_of(spec, {{"liquidation.close_factor", "0.1234567890123"}}).find("liquidation.close_factor: "),
            std::string::npos);  // more places than a Ratio holds
  EXPECT_NE(error_of(spec, {{"liquidation.auction_duration", "soon"}}).find("liquidation.auction_duration: not a duration"),
            std::string::npos);
  EXPECT_NE(error_of(spec, {{"liquidaton.close_factor", "0.5"}}).find("liquidaton"), std::string::npos);
  EXPECT_NE(error_of(spec, {{"pool.USDC.reserve_factor", "0.1"}}).find("pool"), std::string::npos);
  EXPECT_EQ(error_of(spec, {{"traders.leverage_medain", "3"}}),
            "--grid traders.leverage_medain: not a knob of the simulation (37 knobs, see --help) nor a venue key "
            "(table.key, e.g. liquidation.close_factor, or asset.SYMBOL.key / market.SYMBOL.key / pool.ASSET.key)");
}

// The venue's own keys by path still work beside the engine's (asset weight: Ratio, exact).
TEST(SweepGrid, VenueKeysAndEngineKeysTogether) {
  const SimulationSpec spec = default_spec();
  Result<BuiltSimulation> built =
      build_simulation(spec, {{"asset.BTC.maint_asset_weight", "0.85"}, {"liquidation.buffer_ratio", "0.05"}});
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_EQ(built->config.options.liquidation.buffer_ratio, Ratio::from_raw(50'000'000'000));
  const margin::AssetRisk* btc = nullptr;
  for (const margin::AssetRisk& asset : built->config.risk.assets) {
    if (asset.symbol == "BTC") btc = &asset;
  }
  ASSERT_NE(btc, nullptr);
  EXPECT_EQ(btc->collateral.maint_asset_weight, Ratio::from_raw(850'000'000'000));
}

}  // namespace
}  // namespace ballast::cli
