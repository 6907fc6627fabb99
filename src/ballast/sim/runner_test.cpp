// The runner (runner.hpp) on the default venue (configs/venue-default.toml): results independent
// of the thread count and dependent on the seed, the invariants every step keeps, and an oracle
// attack whose outcome turns on how many of the median's sources the attacker holds.
#include "ballast/sim/runner.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <string>
#include <vector>

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
  config->steps = 300;  // through black-thursday-2020's first low (step 150)
  config->accounts = 300;
  return *config;
}

std::int64_t total_bad_debt(const SimulationResults& results) {
  std::int64_t sum = 0;
  for (const PathOutcome& path : results.paths) sum += path.bad_debt_units;
  return sum;
}

TEST(Runner, SameSeedSameFiguresAtOneAndTwoThreads) {
  const SimulationConfig config = small_config("black-thursday-2020", 11);
  const Result<SimulationResults> one = run_simulation(config, 1);
  const Result<SimulationResults> two = run_simulation(config, 2);
  ASSERT_TRUE(one.ok()) << one.error().message;
  ASSERT_TRUE(two.ok()) << two.error().message;
  EXPECT_TRUE(same_figures(*one, *two));
  EXPECT_EQ(one->threads, 1u);
  EXPECT_EQ(two->threads, 2u);
  ASSERT_EQ(one->paths.size(), 3u);
  for (std::size_t p = 0; p < 3; ++p) {
    EXPECT_EQ(one->paths[p].path, p);
    EXPECT_EQ(one->paths[p].insurance_fund_units.size(), 300u);
  }
  // Not a vacuous equality: the crash liquidates and leaves bad debt.
  EXPECT_GT(one->paths[0].liquidations, 0u);
  EXPECT_GT(total_bad_debt(*one), 0);
}

TEST(Runner, DifferentSeedDifferentFigures) {
  const Result<SimulationResults> a = run_simulation(small_config("black-thursday-2020", 11), 2);
  const Result<SimulationResults> b = run_simulation(small_config("black-thursday-2020", 12), 2);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(same_figures(*a, *b));
  EXPECT_NE(a->paths[0].insurance_fund_units, b->paths[0].insurance_fund_units);
}

TEST(Runner, ProgressCountsEveryPathInOrderOnTheCallingThread) {
  SimulationConfig config = small_config("ftx-2022", 3);
  config.paths = 5;
  config.steps = 20;
  std::vector<std::uint64_t> seen;
  const auto caller = std::this_thread::get_id();
  bool same_thread = true;
  const Result<SimulationResults> run = run_simulation(config, 2, [&](std::uint64_t done, std::uint64_t total) {
    seen.push_back(done);
    EXPECT_EQ(total, 5u);
    same_thread = same_thread && std::this_thread::get_id() == caller;
  });
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_TRUE(same_thread);
}

// After every step of every path: each asset's balances sum to its deposits minus withdrawals
// (Ledger::conserves_value, as the engine tests check), and the loss buckets sum to the deficit.
TEST(Runner, EveryStepConservesValueAndSplitsEveryLoss) {
  const SimulationConfig config = small_config("black-thursday-2020", 5);
  std::atomic<std::uint64_t> steps{0};
  std::atomic<std::uint64_t> broken{0};
  const Result<SimulationResults> run =
      run_simulation(config, 2, {}, [&](std::uint64_t, std::uint32_t, const Engine& engine) {
        const LossTotals& losses = engine.waterfall().losses;
        const bool split = losses.deficit == losses.insurance + losses.adl + losses.socialized + losses.unresolved;
        if (!engine.ledger().conserves_value() || !split) ++broken;
        ++steps;
      });
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(steps.load(), 3u * 300u);
  EXPECT_EQ(broken.load(), 0u);
  for (const PathOutcome& path : run->paths) {
    EXPECT_EQ(path.bad_debt_units,
              path.insurance_paid_units + path.adl_units + path.socialized_units + path.unresolved_units);
    EXPECT_GE(path.insurance_drawdown_units, path.insurance_fund_start_units - path.insurance_fund_units.back());
  }
}

TEST(Runner, RejectsAConfigurationThatCannotRun) {
  SimulationConfig config = small_config("ftx-2022", 1);
  config.scenario = "no-such-scenario";
  EXPECT_FALSE(run_simulation(config, 1).ok());
  config = small_config("ftx-2022", 1);
  config.asset_aliases.clear();
  config.scenario = "depth-collapse-2025-10";  // ALT: the default venue lists no such asset
  const Result<SimulationResults> unmapped = run_simulation(config, 1);
  ASSERT_FALSE(unmapped.ok());
  EXPECT_NE(unmapped.error().message.find("ALT"), std::string::npos) << unmapped.error().message;
  config = small_config("ftx-2022", 1);
  config.paths = 0;
  EXPECT_FALSE(run_simulation(config, 1).ok());
}

// The venue a [depth] table asks for, at the asset's start price: a book of 2,500,000 USDC a
// side out to 10% at 50,000 holds 50 BTC a side; a pool of 50,000,000 USDC holds 1,000 BTC.
TEST(Runner, MakeVenueBuildsTheKindTheDepthNames) {
  VenueDepth depth;
  const Result<Venue> pool = make_venue(depth, "BTC", 50'000.0);
  ASSERT_TRUE(pool.ok());
  ASSERT_TRUE(std::holds_alternative<ConstantProductPool>(*pool));
  EXPECT_EQ(std::get<ConstantProductPool>(*pool).reserve_base(), 1'000.0);
  EXPECT_EQ(std::get<ConstantProductPool>(*pool).reserve_quote(), 50'000'000.0);
  depth.kind = VenueKind::book;
  depth.calm_depth_quote = 2'500'000.0;
  const Result<Venue> book = make_venue(depth, "BTC", 50'000.0);
  ASSERT_TRUE(book.ok());
  ASSERT_TRUE(std::holds_alternative<DepthCurveBook>(*book));
  EXPECT_EQ(std::get<DepthCurveBook>(*book).mid_price(), 50'000.0);
  EXPECT_EQ(std::get<DepthCurveBook>(*book).available_base(Side::sell), 50.0);
  EXPECT_EQ(quoted_mid(*book), 50'000.0);
  depth.max_distance = 1.5;
  const Result<Venue> bad = make_venue(depth, "BTC", 50'000.0);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "book BTC: max_distance = 1.5: must be below 1");
}

// A configuration's book is the venue its paths trade on: the same seed on books gives other
// figures than on pools, every step still conserving value; a bad book parameter is refused
// before any path runs, naming the table.
TEST(Runner, ABookVenueChosenByTheConfigurationIsUsed) {
  SimulationConfig config = small_config("black-thursday-2020", 11);
  config.paths = 2;
  const Result<SimulationResults> pools = run_simulation(config, 2);
  config.depth.kind = VenueKind::book;
  config.depth.calm_depth_quote = 2'500'000.0;  // as deep near the mid as the pool (runner.hpp)
  std::atomic<std::uint64_t> broken{0};
  const Result<SimulationResults> books =
      run_simulation(config, 2, {}, [&](std::uint64_t, std::uint32_t, const Engine& engine) {
        if (!engine.ledger().conserves_value()) ++broken;
      });
  ASSERT_TRUE(pools.ok() && books.ok());
  EXPECT_FALSE(same_figures(*pools, *books));
  EXPECT_GT(books->paths[0].liquidations, 0u);
  EXPECT_EQ(broken.load(), 0u);
  config.depth.depth_exponent = 0.0;
  const Result<SimulationResults> bad = run_simulation(config, 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "simulation: depth: book BTC: depth_exponent = 0: must be > 0");
}

// Funding every hour (12 five-minute steps) from step 1, whose accrual starts the clock:
// BTC-PERP's index is still 0 after step 12 and has moved after step 13 (the venue's dYdX
// funding has a base rate of 0.01% per 8 h, so it moves even at a zero premium). Off (interval
// 0), it never moves; a negative interval is refused.
TEST(Runner, FundingAccruesEveryIntervalAndNotWhenOff) {
  SimulationConfig config = small_config("black-thursday-2020", 11);
  config.paths = 1;
  config.steps = 13;
  const margin::MarketRisk* btc_perp = nullptr;
  for (const margin::MarketRisk& market : config.risk.markets) {
    if (market.instrument.symbol == "BTC-PERP") btc_perp = &market;
  }
  ASSERT_NE(btc_perp, nullptr);
  const InstrumentId perp = btc_perp->instrument.id;
  std::vector<std::int64_t> index_by_step;
  const auto watch = [&](std::uint64_t, std::uint32_t, const Engine& engine) {
    index_by_step.push_back(engine.prices().book.find_market(perp)->funding_index.raw());
  };
  ASSERT_TRUE(run_simulation(config, 1, {}, watch).ok());
  ASSERT_EQ(index_by_step.size(), 13u);
  EXPECT_EQ(index_by_step[11], 0);
  EXPECT_NE(index_by_step[12], 0);
  index_by_step.clear();
  config.funding.interval_s = 0.0;
  ASSERT_TRUE(run_simulation(config, 1, {}, watch).ok());
  EXPECT_EQ(index_by_step, std::vector<std::int64_t>(13, 0));
  config.funding.interval_s = -1.0;
  const Result<SimulationResults> bad = run_simulation(config, 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "simulation: funding: interval_s = -1: must be >= 0");
}

// The self-trade drain on ETH over black-thursday-2020's calm first 40 steps: the attacker's two
// accounts open 1M of ETH-PERP each way with 200k each, the manipulated sources pump ETH x3 by
// step 20, the long closes there and withdraws. Nobody else trades or liquidates, so only the
// short can go bankrupt.
SimulationConfig attack_config(std::size_t manipulated_sources) {
  SimulationConfig config = small_config("black-thursday-2020", 9);
  config.paths = 1;
  config.steps = 40;
  config.accounts = 0;
  config.agents.liquidators.count = 0;
  config.agents.lps.count = 0;
  config.agents.arbitrageurs.capital_quote_per_step = 1e12;  // the mark follows the oracle
  config.oracle = MedianParams{3, 0.0, manipulated_sources};
  config.options.price_max_age_ns = 3'600'000'000'000;
  AttackerParams attacker;
  attacker.asset = "ETH";
  attacker.open_step = 1;
  attacker.pump = {{20, 3.0}, {40, 3.0}};
  config.agents.attacker = attacker;
  return config;
}

TEST(Runner, OraclePumpDrainsTheInsuranceFundOnlyWithAMajorityOfSources) {
  // Two of three sources: the median is the pumped price. The short's 200k covers a 20% move of
  // its 1M; the pump is 200%, so it goes bankrupt and the insurance fund pays the deficit, while
  // the long withdraws more than it deposited.
  std::int64_t withdrawn_units = 0;
  const Result<SimulationResults> pumped =
      run_simulation(attack_config(2), 1, {}, [&](std::uint64_t, std::uint32_t, const Engine& engine) {
        withdrawn_units = engine.ledger().find_asset(engine.risk_config()->quote)->withdrawn.raw();
      });
  ASSERT_TRUE(pumped.ok()) << pumped.error().message;
  const PathOutcome& drained = pumped->paths[0];
  EXPECT_GE(drained.bankruptcies, 1u);
  EXPECT_GT(drained.bad_debt_units, 0);
  EXPECT_GT(drained.insurance_paid_units, 0);
  EXPECT_GT(drained.insurance_drawdown_units, 0);
  EXPECT_GT(withdrawn_units, 200'000'000'000);  // 200k USDC deposited by the long

  // One of three: the median ignores the manipulated source, ETH moves only by its own noise, and
  // the short's 20% margin is never exhausted: no bankruptcy, no bad debt.
  const Result<SimulationResults> honest = run_simulation(attack_config(1), 1);
  ASSERT_TRUE(honest.ok());
  EXPECT_EQ(honest->paths[0].bankruptcies, 0u);
  EXPECT_EQ(honest->paths[0].bad_debt_units, 0);
  EXPECT_EQ(honest->paths[0].insurance_drawdown_units, 0);
}

}  // namespace
}  // namespace ballast::sim
