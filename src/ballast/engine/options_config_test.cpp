#include "ballast/engine/options_config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "ballast/engine/risk_codec.hpp"
#include "ballast/margin/testing/venue_fixtures.hpp"

namespace ballast {
namespace {

const std::string kConfigs = BALLAST_CONFIGS_DIR;

// The Mango v4 test venue (quote USDC id 1, BASE id 4 at 6 decimals, PERP id 9 with a base rule
// of 0.2 / 0.1) for the engine tables to refer to.
const std::string kVenue = margin::testing::kMangoVenueToml;

// Every engine table with every key, none at its default; numbers written as strings, integers,
// floats and exponents, as a venue file may.
constexpr const char* kOptions = R"(
[engine]
price_max_age = "90s"

[oracle_policy]
open_risk = ["valid", "insufficient_sources"]
withdraw = []

[liquidation]
close_factor = "0.4"
full_close_below = 0.9
backstop_below = "0.5"
min_leftover_notional = "250.5"
buffer_ratio = "0.03"
min_bonus = "0.005"
max_bonus = "0.08"
auction_duration = "5m"
protocol_share = "0.2"
account_cap_notional = "2000000"
account_window = "30s"
event_cap_notional = 500_000
insurance_per_account_window = "750000"
insurance_per_event = "5000000"
insurance_keep_minimum = "1"
after_insurance = "market_holders"
adl_ranking = "hedge_aware"
withdrawal_gate = 120000000000
bankruptcy_adjustment = "1"
spread_to_maintenance = "1.5"
target_fee_rate = "0.015"
rounding_allowance = "0.000005"

[vault]
cooldown = "1h"
min_deposit = "100"
virtual_shares = "0.000002"
virtual_assets = "0.000003"
max_pending_withdrawals = 64

[[pool]]
asset = "BASE"
borrow_cap = "1000.5"
[pool.curve]
kind = "points"
min_rate = "0.001"
points = [
  { utilization = 0, rate = 0 },
  { utilization = "0.8", rate = "0.04" },
  { utilization = 1, rate = "0.75" },
]

[[pool]]
asset = "USDC"
reserve_factor = "0.1"
reserves_to = "treasury"
supply_cap = "50000000"
borrow_cap = "none"
curve = { kind = "mango_two_kink", util0 = "0.7", rate0 = "0.06", util1 = "0.9", rate1 = "0.5", max_rate = "2" }
adaptive = { target_utilization = "0.7", adjustment = "0.004" }

[breakers]
oi_depth_factor = "3"
emergency_outage = "30m"
sample_interval = "30s"
ewma_lambda = 0.97
garch_omega = 2e-7
garch_alpha = "0.05"
garch_beta = 0.9
baseline_variance = 4e-6
breach_sigmas = 5
vol_ratio_thresholds = [1.25, 2, 2.5]
multipliers = ["1", "1.5", "2", "3"]
calm_period = "2h"

[governance]
timelock = "1d"
grace = "7d"
max_pending = 8
max_proposals = 1000

[[governance.parameter]]
name = "liquidation.close_factor"
min = "0.2"
max = "0.8"
max_step = "0.1"

[[governance.parameter]]
name = "PERP.maintenance_rate"
min = "0.05"
max = "0.15"
max_step = "0.01"
max_relative_step = "0.5"

[[governance.parameter]]
name = "liquidation.withdrawal_gate_ns"
min = "1m"
max = "10m"
max_step = "1m"

[[governance.parameter]]
name = "breakers.oi_depth_factor"
min = "1"
max = "5"
max_relative_step = "0.25"
)";

const std::string kFull = kVenue + kOptions;

Ratio ratio(std::string_view text) { return *Ratio::parse(text, Round::down); }
Money money(std::string_view text) { return *Money::parse(text, Round::down); }
constexpr std::int64_t kSecondNs = 1'000'000'000;

Result<VenueFile> parse(const std::string& text) { return parse_venue_file(text, "venue.toml"); }

std::string error_of(const std::string& text) {
  const Result<VenueFile> file = parse(text);
  EXPECT_FALSE(file.ok());
  return file.ok() ? std::string() : file.error().message;
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

// "venue.toml:<line>: " for the first line of text holding needle.
std::string at_line_of(const std::string& text, const std::string& needle) {
  const std::size_t at = text.find(needle);
  EXPECT_NE(at, std::string::npos) << needle;
  const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n');
  return "venue.toml:" + std::to_string(line) + ": ";
}

// kFull with one line replaced: the error must name that line.
void expect_error(const std::string& from, const std::string& to, const std::string& message) {
  const std::string text = replaced(kFull, from, to);
  EXPECT_EQ(error_of(text), at_line_of(text, to) + message) << to;
}

EngineOptions expected_full_options() {
  EngineOptions o;
  o.price_max_age_ns = 90 * kSecondNs;
  using market::OracleAction;
  using market::OracleValidity;
  for (std::size_t v = 0; v < market::kOracleValidityCount; ++v) {
    o.oracle_policy.set(OracleAction::open_risk, static_cast<OracleValidity>(v), false);
    o.oracle_policy.set(OracleAction::withdraw, static_cast<OracleValidity>(v), false);
  }
  o.oracle_policy.set(OracleAction::open_risk, OracleValidity::valid, true);
  o.oracle_policy.set(OracleAction::open_risk, OracleValidity::insufficient_sources, true);

  LiquidationRules& l = o.liquidation;
  l.sizing.close_factor = ratio("0.4");
  l.sizing.stages = {ratio("0.9"), ratio("0.5")};
  l.sizing.min_leftover_notional = money("250.5");
  l.buffer_ratio = ratio("0.03");
  l.auction = {ratio("0.005"), ratio("0.08"), 300 * kSecondNs, ratio("0.2")};
  l.account_cap_notional = money("2000000");
  l.account_window_ns = 30 * kSecondNs;
  l.event_cap_notional = money("500000");
  l.insurance = {money("750000"), money("5000000"), money("1")};
  l.after_insurance = LossAbsorber::market_holders;
  l.adl_ranking = liquidation::AdlRanking::hedge_aware;
  l.withdrawal_gate_ns = 120 * kSecondNs;
  l.bankruptcy_adjustment = ratio("1");
  l.spread_to_maintenance = ratio("1.5");
  l.target_fee_rate = ratio("0.015");
  l.sizing.rounding_allowance = Money::from_raw(5);

  o.vault = lending::VaultParams{3600 * kSecondNs, money("100"), lending::VaultShares::from_raw(2'000),
                                 Money::from_raw(3), 64};

  const lending::RatePoint points[] = {{ratio("0"), ratio("0")}, {ratio("0.8"), ratio("0.04")}, {ratio("1"), ratio("0.75")}};
  lending::PoolConfig usdc{*lending::RateCurve::mango_two_kink(ratio("0.7"), ratio("0.06"), ratio("0.9"), ratio("0.5"),
                                                               ratio("2"))};
  usdc.adaptive = lending::AdaptiveScaling{ratio("0.7"), ratio("0.004")};
  usdc.reserve_factor = ratio("0.1");
  usdc.reserves_to = lending::ReservesDestination::treasury;
  usdc.supply_cap = Amount::from_raw(50'000'000'000'000);  // 50M USDC at 6 decimals
  lending::PoolConfig base{*lending::RateCurve::make(points, ratio("0.001"))};
  base.borrow_cap = Amount::from_raw(1'000'500'000);  // 1000.5 BASE at 6 decimals
  o.pools = {AssetPool{AssetId{1}, usdc}, AssetPool{AssetId{4}, base}};  // sorted by asset

  BreakerOptions b;
  b.oi_depth_factor = ratio("3");
  b.emergency_outage_ns = 1800 * kSecondNs;
  b.volatility.sample_interval_ns = 30 * kSecondNs;
  b.volatility.ewma_lambda = 0.97;
  b.volatility.garch_omega = 2e-7;
  b.volatility.garch_alpha = 0.05;
  b.volatility.garch_beta = 0.9;
  b.volatility.baseline_variance = 4e-6;
  b.volatility.breach_sigmas = 5.0;
  b.volatility.vol_ratio_thresholds = {1.25, 2.0, 2.5};
  b.volatility.multipliers = {ratio("1"), ratio("1.5"), ratio("2"), ratio("3")};
  b.volatility.calm_period_ns = 7200 * kSecondNs;
  o.breakers = b;

  GovernanceOptions g;
  g.params = {86'400 * kSecondNs, 7 * 86'400 * kSecondNs, 8, 1000};
  g.parameters = {
      {"liquidation.close_factor", ratio("0.2").raw(), ratio("0.8").raw(), ratio("0.1").raw(), std::nullopt},
      {"PERP.maintenance_rate", ratio("0.05").raw(), ratio("0.15").raw(), ratio("0.01").raw(), ratio("0.5")},
      {"liquidation.withdrawal_gate_ns", 60 * kSecondNs, 600 * kSecondNs, 60 * kSecondNs, std::nullopt},
      {"breakers.oi_depth_factor", ratio("1").raw(), ratio("5").raw(), std::nullopt, ratio("0.25")},
  };
  o.governance = g;
  return o;
}

TEST(OptionsConfig, FullFileReadsEveryFieldExactly) {
  const Result<VenueFile> file = parse(kFull);
  ASSERT_TRUE(file.ok()) << file.error().message;
  const EngineOptions& got = file->options;
  const EngineOptions want = expected_full_options();
  EXPECT_EQ(got.price_max_age_ns, want.price_max_age_ns);
  EXPECT_EQ(got.oracle_policy, want.oracle_policy);
  EXPECT_EQ(got.liquidation.sizing, want.liquidation.sizing);
  EXPECT_EQ(got.liquidation.auction, want.liquidation.auction);
  EXPECT_EQ(got.liquidation.insurance, want.liquidation.insurance);
  EXPECT_EQ(got.liquidation, want.liquidation);
  EXPECT_EQ(got.vault, want.vault);
  ASSERT_EQ(got.pools.size(), 2u);
  EXPECT_EQ(got.pools[0], want.pools[0]);
  EXPECT_EQ(got.pools[1], want.pools[1]);
  ASSERT_TRUE(got.breakers.has_value());
  EXPECT_EQ(got.breakers->volatility, want.breakers->volatility);
  EXPECT_EQ(got.breakers, want.breakers);
  ASSERT_TRUE(got.governance.has_value());
  EXPECT_EQ(got.governance->params, want.governance->params);
  EXPECT_EQ(got.governance->parameters, want.governance->parameters);
  EXPECT_EQ(got, want);
  // The venue's own tables read as before, and the engine takes both.
  EXPECT_EQ(file->venue.risk.markets.size(), 2u);
  const Result<Engine> engine = Engine::make(file->venue.risk, file->options);
  ASSERT_TRUE(engine.ok()) << engine.error().message;
  EXPECT_EQ(engine->options(), want);
}

TEST(OptionsConfig, TheVenueReaderPassesOverTheEngineTables) {
  const Result<margin::VenueConfig> venue = margin::parse_venue_config(kFull, "venue.toml");
  ASSERT_TRUE(venue.ok()) << venue.error().message;
  const Result<margin::VenueConfig> plain = margin::parse_venue_config(kVenue, "venue.toml");
  ByteWriter with_tables;
  ByteWriter without;
  encode_risk_config(with_tables, venue->risk);
  encode_risk_config(without, plain->risk);
  EXPECT_EQ(with_tables.bytes(), without.bytes());
}

TEST(OptionsConfig, NoEngineTablesGiveTheDefaults) {
  const Result<VenueFile> file = parse(kVenue);
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(file->options, EngineOptions{});
  const Result<EngineOptions> alone = parse_engine_options(kVenue, file->venue.risk, "venue.toml");
  ASSERT_TRUE(alone.ok()) << alone.error().message;
  EXPECT_EQ(*alone, EngineOptions{});
}

TEST(OptionsConfig, OmittedKeysKeepTheBase) {
  EngineOptions base;
  base.price_max_age_ns = 5 * kSecondNs;
  base.vault = lending::VaultParams{kSecondNs, money("10"), lending::VaultShares::from_raw(1'000), Money::from_raw(1), 8};
  const std::string text = std::string(kVenue) + "[liquidation]\nclose_factor = \"0.6\"\n[vault]\nmin_deposit = \"20\"\n";
  const Result<VenueFile> file = parse_venue_file(text, "venue.toml", base);
  ASSERT_TRUE(file.ok()) << file.error().message;
  EngineOptions want = base;
  want.liquidation.sizing.close_factor = ratio("0.6");
  want.vault->min_deposit = money("20");
  EXPECT_EQ(file->options, want);
}

TEST(OptionsConfig, ParsesFromAParsedTable) {
  const toml::table root = toml::parse(kFull);
  const Result<margin::VenueConfig> venue = margin::parse_venue_config(kFull, "venue.toml");
  const Result<EngineOptions> options = parse_engine_options(root, kFull, venue->risk, "venue.toml");
  ASSERT_TRUE(options.ok()) << options.error().message;
  EXPECT_EQ(*options, expected_full_options());
}

TEST(OptionsConfig, EngineAndOraclePolicyErrorsNameTheLineAndKey) {
  expect_error("price_max_age = \"90s\"", "price_max_age = \"0s\"", "engine.price_max_age: must be positive, got 0 ns");
  expect_error("price_max_age = \"90s\"", "price_max_age = \"90 seconds\"",
               "engine.price_max_age: not a duration (a count and a unit: ns, us, ms, s, m, h, d): \"90 seconds\"");
  expect_error("price_max_age = \"90s\"", "price_max_age_s = 90", "engine.price_max_age_s: unknown key");
  expect_error("withdraw = []", "withdraw = [\"fresh\"]",
               "oracle_policy.withdraw[0]: must be one of non_positive, too_volatile, uncertain, stale, "
               "insufficient_sources or valid");
  expect_error("withdraw = []", "trade = [\"valid\"]", "oracle_policy.trade: unknown key");
  expect_error("withdraw = []", "withdraw = \"valid\"", "oracle_policy.withdraw: must be an array of validities, got a string");
}

TEST(OptionsConfig, LiquidationErrorsNameTheLineAndKey) {
  expect_error("close_factor = \"0.4\"", "close_factor = \"1.5\"", "liquidation.close_factor: must be in (0, 1]");
  expect_error("close_factor = \"0.4\"", "clse_factor = \"0.4\"", "liquidation.clse_factor: unknown key");
  expect_error("min_bonus = \"0.005\"", "min_bonus = \"0.5%\"", "liquidation.min_bonus: not a decimal: \"0.5%\"");
  expect_error("buffer_ratio = \"0.03\"", "buffer_ratio = 0.0000000000001",
               "liquidation.buffer_ratio: has more than 12 decimal places: 0.0000000000001");
  expect_error("min_leftover_notional = \"250.5\"", "min_leftover_notional = \"250.0000001\"",
               "liquidation.min_leftover_notional: has more than 6 decimal places: 250.0000001");
  expect_error("max_bonus = \"0.08\"", "max_bonus = \"0.001\"", "liquidation.max_bonus: must be >= min_bonus");
  expect_error("auction_duration = \"5m\"", "auction_duration = 0", "liquidation.auction_duration: must be > 0");
  expect_error("after_insurance = \"market_holders\"", "after_insurance = \"socialize\"",
               "liquidation.after_insurance: must be adl_counterparties or market_holders, got \"socialize\"");
  expect_error("adl_ranking = \"hedge_aware\"", "adl_ranking = 1",
               "liquidation.adl_ranking: must be a string, got an integer");
}

TEST(OptionsConfig, VaultAndPoolErrorsNameTheLineAndKey) {
  expect_error("max_pending_withdrawals = 64", "max_pending_withdrawals = 0",
               "vault.max_pending_withdrawals: must be in [1, 4294967295], got 0");
  expect_error("virtual_shares = \"0.000002\"", "virtual_shares = \"0\"",
               "vault: virtual_shares 0 must be positive");
  // Without a base vault, max_pending_withdrawals has no usable default: the table's line.
  const std::string no_pending = replaced(kFull, "max_pending_withdrawals = 64\n", "");
  EXPECT_EQ(error_of(no_pending), at_line_of(no_pending, "[vault]") + "vault: max_pending_withdrawals must be at least 1");
  expect_error("asset = \"BASE\"\nborrow_cap", "asset = \"DOGE\"\nborrow_cap", "pool: asset: no asset \"DOGE\" is listed");
  expect_error("asset = \"USDC\"\nreserve_factor", "asset = \"BASE\"\nreserve_factor", "pool: asset: another pool lends BASE");
  expect_error("reserve_factor = \"0.1\"", "reserve_factor = \"1.5\"",
               "pool USDC: reserve factor 1.5 outside [0, 1]");
  expect_error("supply_cap = \"50000000\"", "supply_cap = \"50000000.0000001\"",
               "pool USDC: supply_cap: has more than 6 decimal places: 50000000.0000001");
  expect_error("reserves_to = \"treasury\"", "reserves_to = \"dao\"",
               "pool USDC: reserves_to: must be insurance_fund or treasury, got \"dao\"");
  expect_error("{ utilization = 1, rate = \"0.75\" }", "{ utilization = 1, rate = \"0.03\" }",
               "pool BASE: curve.points[2]: rate must not decrease");
  expect_error("{ utilization = 1, rate = \"0.75\" }", "{ utilization = 1, rate = \"0.75\", slope = 1 }",
               "pool BASE: curve.points[2].slope: unknown key");
  expect_error("kind = \"points\"", "kind = \"jump\"",
               "pool BASE: curve.kind: must be points, aave_two_slope, drift_multi_stage or mango_two_kink, got \"jump\"");
  expect_error("adaptive = { target_utilization = \"0.7\", adjustment = \"0.004\" }",
               "adaptive = { target_utilization = \"1.5\", adjustment = \"0.004\" }",
               "pool USDC: adaptive: target utilization 1.5 outside (0, 1)");
}

TEST(OptionsConfig, BreakerErrorsNameTheLineAndKey) {
  expect_error("garch_beta = 0.9", "garch_beta = 0.96", "breakers.garch_beta: garch_alpha + garch_beta must be below 1");
  expect_error("ewma_lambda = 0.97", "ewma_lambda = \"abc\"", "breakers.ewma_lambda: not a number: \"abc\"");
  expect_error("ewma_lambda = 0.97", "ewma_lambda = 1", "breakers.ewma_lambda: must be in (0, 1)");
  expect_error("multipliers = [\"1\", \"1.5\", \"2\", \"3\"]", "multipliers = [\"1\", \"1.5\", \"2\"]",
               "breakers.multipliers: must be an array of 4 numbers");
  expect_error("multipliers = [\"1\", \"1.5\", \"2\", \"3\"]", "multipliers = [\"1\", \"1.5\", \"1.2\", \"3\"]",
               "breakers.multipliers: must start at 1 or more and never decrease");
  expect_error("vol_ratio_thresholds = [1.25, 2, 2.5]", "vol_ratio_thresholds = [1.25, 2, \"2.5x\"]",
               "breakers.vol_ratio_thresholds[2]: not a number: \"2.5x\"");
  expect_error("oi_depth_factor = \"3\"", "oi_depth_factor = \"-1\"", "breakers.oi_depth_factor: must be >= 0");
}

TEST(OptionsConfig, GovernanceErrorsNameTheLineAndKey) {
  expect_error("name = \"PERP.maintenance_rate\"", "name = \"PERP.tick\"",
               "governance.parameter.name: \"PERP.tick\" names no governable parameter of this venue");
  expect_error("name = \"PERP.maintenance_rate\"", "name = \"liquidation.close_factor\"  # again",
               "governance.parameter.name: another parameter has this name");
  expect_error("min = \"0.2\"", "min = \"0.5\"",
               "governance parameter liquidation.close_factor: min: the value in force, 0.4, is outside [0.5, 0.8]");
  expect_error("min = \"0.2\"", "min = \"0.2x\"",
               "governance parameter liquidation.close_factor: min: not a decimal: \"0.2x\"");
  expect_error("max = \"10m\"", "max = \"0.5\"",
               "governance parameter liquidation.withdrawal_gate_ns: max: not a duration (a count and a unit: ns, us, "
               "ms, s, m, h, d): \"0.5\"");
  expect_error("max = \"0.8\"", "max = \"0.1\"",
               "governance parameter liquidation.close_factor: max: must be at least min (and min at least 0 for a "
               "duration)");
  expect_error("max_pending = 8", "max_pending = 0", "governance.max_pending: must be in [1, 1024], got 0");
  expect_error("timelock = \"1d\"", "timelock_s = 86400", "governance.timelock_s: unknown key");
  const std::string no_step = replaced(kFull, "max_step = \"0.1\"\n", "");
  EXPECT_EQ(error_of(no_step), at_line_of(no_step, "[[governance.parameter]]") +
                                   "governance parameter liquidation.close_factor: give max_step, max_relative_step "
                                   "or both");
}

TEST(OptionsConfig, AMisspeltTableIsAnErrorForEitherReader) {
  const std::string text = replaced(kFull, "[engine]", "[engines]");
  const std::string want = at_line_of(text, "[engines]") + "engines: unknown key";
  EXPECT_EQ(error_of(text), want);
  const Result<margin::VenueConfig> venue = margin::parse_venue_config(text, "venue.toml");
  ASSERT_FALSE(venue.ok());
  EXPECT_EQ(venue.error().message, want);
  const Result<margin::VenueConfig> small = margin::parse_venue_config(kVenue, "venue.toml");
  const Result<EngineOptions> options = parse_engine_options(text, small->risk, "venue.toml");
  ASSERT_FALSE(options.ok());
  EXPECT_EQ(options.error().message, want);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(OptionsConfig, TheDefaultVenueLoadsWithTheStructDefaults) {
  const Result<VenueFile> file = load_venue_file(kConfigs + "/venue-default.toml");
  ASSERT_TRUE(file.ok()) << file.error().message;
  // Its tables write the defaults out: the same options as none.
  EXPECT_EQ(file->options, EngineOptions{});
  const Result<Engine> engine = Engine::make(file->venue.risk, file->options);
  ASSERT_TRUE(engine.ok()) << engine.error().message;
}

// The default venue's commented examples, uncommented ("#| " lines), load and run.
TEST(OptionsConfig, TheDefaultVenuesExamplesLoad) {
  std::string text = read_text(kConfigs + "/venue-default.toml");
  std::size_t examples = 0;
  for (std::size_t at = text.find("\n#| "); at != std::string::npos; at = text.find("\n#| ", at)) {
    text.erase(at + 1, 3);
    ++examples;
  }
  EXPECT_GT(examples, 30u);
  const Result<VenueFile> file = parse_venue_file(text, "venue-default.toml");
  ASSERT_TRUE(file.ok()) << file.error().message;
  const EngineOptions& o = file->options;
  EXPECT_EQ(o.price_max_age_ns, 60 * kSecondNs);
  ASSERT_TRUE(o.vault.has_value());
  EXPECT_EQ(o.vault->max_pending_withdrawals, 64u);
  ASSERT_EQ(o.pools.size(), 1u);
  EXPECT_EQ(o.pools[0].asset, AssetId{1});
  ASSERT_TRUE(o.breakers.has_value());
  EXPECT_EQ(o.breakers->volatility, liquidation::VolatilityParams{});
  ASSERT_TRUE(o.governance.has_value());
  EXPECT_GE(o.governance->parameters.size(), 3u);
  const Result<Engine> engine = Engine::make(file->venue.risk, o);
  ASSERT_TRUE(engine.ok()) << engine.error().message;
}

}  // namespace
}  // namespace ballast
