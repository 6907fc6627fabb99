#include "ballast/sim/runner.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <thread>
#include <utility>

#include "ballast/core/assert.hpp"
#include "ballast/sim/scenarios.hpp"

namespace ballast::sim {
namespace {

constexpr TimestampNs kStartNs = 1'735'689'600'000'000'000;  // 2025-01-01T00:00:00Z
// Account ids by role (sub-account ids equal them): liquidators, LPs, the attacker's pair, traders.
constexpr std::uint64_t kFirstLiquidator = 100;
constexpr std::uint64_t kFirstLp = 200;
constexpr std::uint64_t kAttackerLong = 300;
constexpr std::uint64_t kAttackerShort = 301;
constexpr std::uint64_t kFirstTrader = 10'000;
// Agent numbers of the per-path streams (agent_rng).
constexpr std::uint64_t kTradersStream = 1;
constexpr std::uint64_t kFirstLiquidatorStream = 16;

Error config_error(const std::string& message) { return make_error(ErrorCode::invalid_input, "simulation: " + message); }

// Everything the configuration resolves to before any path runs: shared, read-only, by the paths.
struct Plan {
  const Scenario* scenario = nullptr;
  std::uint64_t scenario_key = 0;
  std::size_t generated_steps = 0;  // the path model's length (>= the scenario's last knot)
  std::uint32_t steps = 0;          // run
  std::vector<TradedMarket> markets;  // one per scenario column
  std::vector<double> depth;          // (scenario.steps + 1) x columns
  std::vector<double> manipulation;   // empty, or (generated_steps + 1) x columns
  std::optional<Bridge> model;
  std::optional<OracleModel> oracle;
  std::optional<World> prepared;  // the venue after setup, copied by every path
  std::vector<TraderSpec> traders;
  std::optional<std::size_t> attacker_market;
  std::uint32_t funding_steps = 0;  // 0: no funding
};

const margin::AssetRisk* find_asset(const margin::RiskConfig& risk, std::string_view symbol) {
  for (const margin::AssetRisk& asset : risk.assets) {
    if (asset.symbol == symbol) return &asset;
  }
  return nullptr;
}

const margin::MarketRisk* find_perpetual(const margin::RiskConfig& risk, AssetId underlying) {
  for (const margin::MarketRisk& market : risk.markets) {
    if (market.instrument.kind == market::InstrumentKind::perpetual && market.instrument.underlying == underlying) {
      return &market;
    }
  }
  return nullptr;
}

// Each scenario column's venue asset (through the aliases) and its perpetual.
Result<std::vector<TradedMarket>> resolve_markets(const SimulationConfig& config, const Scenario& scenario) {
  std::vector<TradedMarket> markets;
  for (std::size_t column = 0; column < scenario.symbols.size(); ++column) {
    const std::string& symbol = scenario.symbols[column];
    const auto alias = config.asset_aliases.find(symbol);
    const std::string venue_symbol = alias == config.asset_aliases.end() ? symbol : alias->second;
    const margin::AssetRisk* asset = find_asset(config.risk, venue_symbol);
    if (asset == nullptr) return config_error("scenario asset " + symbol + ": the venue lists no asset " + venue_symbol);
    const margin::MarketRisk* perp = find_perpetual(config.risk, asset->id);
    if (perp == nullptr) return config_error("scenario asset " + symbol + ": the venue has no perpetual on " + venue_symbol);
    for (const TradedMarket& other : markets) {
      if (other.asset == asset->id) return config_error("scenario assets map twice to " + venue_symbol);
    }
    markets.push_back({column, asset->id, perp->instrument});
  }
  return markets;
}

Result<OracleModel> make_oracle(const OracleChoice& choice, double dt_s) {
  if (const auto* push = std::get_if<PushParams>(&choice)) {
    auto made = PushOracle::make(*push, dt_s);
    if (!made.ok()) return made.error();
    return OracleModel{*made};
  }
  if (const auto* ema = std::get_if<EmaParams>(&choice)) {
    auto made = EmaOracle::make(*ema, dt_s);
    if (!made.ok()) return made.error();
    return OracleModel{*made};
  }
  auto made = MedianOracle::make(std::get<MedianParams>(choice));
  if (!made.ok()) return made.error();
  return OracleModel{*made};
}

double start_price_of(const SimulationConfig& config, const Plan& plan, const margin::AssetRisk& asset) {
  for (const TradedMarket& market : plan.markets) {
    if (market.asset == asset.id) return plan.scenario->start_prices[market.column];
  }
  const auto fixed = config.fixed_prices.find(asset.symbol);
  return fixed == config.fixed_prices.end() ? 1.0 : fixed->second;
}

Result<std::vector<Venue>> make_venues(const SimulationConfig& config, const Plan& plan) {
  std::vector<Venue> venues;
  for (const TradedMarket& market : plan.markets) {
    const margin::AssetRisk& asset = *config.risk.find_asset(market.asset);
    const auto named = config.depth_by_asset.find(asset.symbol);
    const VenueDepth& depth = named == config.depth_by_asset.end() ? config.depth : named->second;
    auto venue = make_venue(depth, asset.symbol, plan.scenario->start_prices[market.column]);
    if (!venue.ok()) return config_error("depth: " + venue.error().message);
    venues.push_back(std::move(*venue));
  }
  return venues;
}

// Steps between funding accruals: ceil(interval / dt), at least 1; 0 for none.
Result<std::uint32_t> funding_steps(const FundingSchedule& funding, double dt_s) {
  if (Outcome checked = check_parameters("funding", {{"interval_s", funding.interval_s, ParamBound::non_negative},
                                                     {"impact_margin_quote", funding.impact_margin_quote,
                                                      ParamBound::positive}});
      !checked) {
    return config_error(checked.error().message);
  }
  if (funding.interval_s == 0.0) return std::uint32_t{0};
  const double steps = std::ceil(funding.interval_s / dt_s);
  return static_cast<std::uint32_t>(std::clamp(steps, 1.0, double{std::numeric_limits<std::uint32_t>::max()}));
}

// Lists the assets, prices every asset and market (margin needs them all, even those no path
// moves), funds the insurance fund and opens every agent's account.
Outcome set_up(const SimulationConfig& config, Plan& plan, World& world) {
  const margin::RiskConfig& risk = config.risk;
  for (const margin::AssetRisk& asset : risk.assets) {
    if (world.submit(ListAsset{asset.id, asset.symbol, asset.decimals, kAssetFlagsAll}) != Status::ok) {
      return config_error("cannot list " + asset.symbol);
    }
  }
  for (const margin::AssetRisk& asset : risk.assets) {
    if (asset.id == risk.quote) continue;
    const auto price = to_price(start_price_of(config, plan, asset));
    if (!price.ok() || world.submit(OraclePrice{asset.id, *price, *price}) != Status::ok) {
      return config_error("no valid start price for " + asset.symbol);
    }
  }
  for (const margin::MarketRisk& market : risk.markets) {
    const bool option = market.instrument.kind == market::InstrumentKind::option;
    const auto mark = price_on_tick(start_price_of(config, plan, *risk.find_asset(market.instrument.underlying)),
                                    market.instrument, true);
    if (!mark || world.submit(MarkPrice{market.instrument.id, option ? Price{} : *mark}) != Status::ok) {
      return config_error("no valid start mark for " + market.instrument.symbol);
    }
  }
  const std::uint8_t decimals = risk.find_asset(risk.quote)->decimals;
  const auto open = [&world, &config, decimals](std::uint64_t id, double deposit_quote) {
    world.submit(CreateAccount{AccountId{id}});
    world.submit(CreateSubAccount{AccountId{id}, SubAccountId{id}, MarginMode::cross});
    world.submit(Deposit{AccountId{id}, SubAccountId{id}, config.risk.quote, quote_units(deposit_quote, decimals)});
  };
  world.submit(Deposit{kInsuranceFund, SubAccountId{kInsuranceFund.value}, risk.quote,
                       quote_units(config.insurance_fund_quote, decimals)});
  for (std::uint32_t j = 0; j < config.agents.liquidators.count; ++j) {
    open(kFirstLiquidator + j, config.agents.liquidators.capital_quote);
  }
  for (std::uint32_t j = 0; j < config.agents.lps.count; ++j) open(kFirstLp + j, config.agents.lps.deposit_quote);
  if (config.agents.attacker) {
    open(kAttackerLong, config.agents.attacker->deposit_quote);
    open(kAttackerShort, config.agents.attacker->deposit_quote);
  }
  Traders(config.agents.traders, plan.traders, CounterRng(0, 0)).open_all(world);
  world.scan();  // builds the mirror once, for every path to copy
  world.reset_counts();
  return Ok{};
}

// The manipulated sources' factor: 1 everywhere but the attacker's column, which follows the
// pump's knots (piecewise linear from 1 at step 0, flat after the last).
std::vector<double> manipulation_series(const AttackerParams& attacker, std::size_t column, std::size_t columns,
                                        std::size_t steps) {
  std::vector<double> out((steps + 1) * columns, 1.0);
  for (std::size_t t = 0; t <= steps; ++t) {
    double value = attacker.pump.empty() ? 1.0 : attacker.pump.back().value;
    std::size_t from_step = 0;
    double from_value = 1.0;
    for (const Knot& knot : attacker.pump) {
      if (t <= knot.step) {
        const double w = static_cast<double>(t - from_step) / static_cast<double>(knot.step - from_step);
        value = from_value + (knot.value - from_value) * w;
        break;
      }
      from_step = knot.step;
      from_value = knot.value;
    }
    out[t * columns + column] = value;
  }
  return out;
}

Result<Plan> make_plan(const SimulationConfig& config) {
  Plan plan;
  auto scenario = scenario_by_name(config.scenario);
  if (!scenario.ok()) return config_error(scenario.error().message);
  plan.scenario = *scenario;
  plan.scenario_key = scenario_id(config.scenario);
  auto model = scenario_model(*plan.scenario);
  if (!model.ok()) return model.error();
  plan.model = std::move(*model);
  plan.steps = config.steps == 0 ? static_cast<std::uint32_t>(plan.scenario->steps) : config.steps;
  plan.generated_steps = std::max<std::size_t>(plan.steps, plan.scenario->steps);
  if (config.paths == 0) return config_error("paths must be at least 1");
  auto markets = resolve_markets(config, *plan.scenario);
  if (!markets.ok()) return markets.error();
  plan.markets = std::move(*markets);
  const std::size_t columns = plan.markets.size();
  plan.depth.resize((plan.scenario->steps + 1) * columns);
  depth_series(*plan.scenario, plan.depth);
  auto funding = funding_steps(config.funding, plan.scenario->dt_s);
  if (!funding.ok()) return funding.error();
  plan.funding_steps = *funding;
  auto oracle = make_oracle(config.oracle, plan.scenario->dt_s);
  if (!oracle.ok()) return config_error(oracle.error().message);
  plan.oracle = std::move(*oracle);
  if (const auto& attacker = config.agents.attacker) {
    const margin::AssetRisk* asset = find_asset(config.risk, attacker->asset);
    for (const TradedMarket& market : plan.markets) {
      if (asset != nullptr && market.asset == asset->id) plan.attacker_market = market.column;
    }
    if (!plan.attacker_market) return config_error("attacker asset " + attacker->asset + " is not traded by the scenario");
    if (const Outcome knots = check_knots("attacker.pump", attacker->pump); !knots.ok()) return knots.error();
    plan.manipulation = manipulation_series(*attacker, *plan.attacker_market, columns, plan.generated_steps);
  }
  auto engine = Engine::make(config.risk, config.options);
  if (!engine.ok()) return config_error(engine.error().message);
  auto venues = make_venues(config, plan);
  if (!venues.ok()) return venues.error();
  plan.traders = draw_traders(config.agents.traders, config.seed, plan.scenario_key, config.accounts, columns, kFirstTrader);
  plan.prepared.emplace(std::move(*engine), 1, kStartNs, plan.scenario->dt_s, plan.markets, std::move(*venues));
  if (const Outcome ready = set_up(config, plan, *plan.prepared); !ready.ok()) return ready.error();
  return plan;
}

// ---- One path -----------------------------------------------------------------------------

std::vector<Agent> make_agents(const SimulationConfig& config, const Plan& plan, const PathKey& key) {
  std::vector<Agent> agents;
  agents.emplace_back(Arbitrageur(config.agents.arbitrageurs));
  for (std::uint32_t j = 0; j < config.agents.liquidators.count; ++j) {
    agents.emplace_back(Liquidator(config.agents.liquidators, AccountId{kFirstLiquidator + j},
                                   SubAccountId{kFirstLiquidator + j}, agent_rng(key, kFirstLiquidatorStream + j)));
  }
  agents.emplace_back(Traders(config.agents.traders, plan.traders, agent_rng(key, kTradersStream)));
  const CounterRng lp_rng = agent_rng(key, 2);
  for (std::uint32_t j = 0; j < config.agents.lps.count; ++j) {
    const std::uint32_t within = std::max<std::uint32_t>(config.agents.lps.enter_within_steps, 1);
    const auto enter = static_cast<std::uint32_t>(lp_rng.at(j) % within);
    agents.emplace_back(
        LiquidityProvider(config.agents.lps, AccountId{kFirstLp + j}, SubAccountId{kFirstLp + j}, enter));
  }
  if (config.agents.attacker) {
    agents.emplace_back(Attacker(*config.agents.attacker, *plan.attacker_market, AccountId{kAttackerLong},
                                 SubAccountId{kAttackerLong}, AccountId{kAttackerShort}, SubAccountId{kAttackerShort}));
  }
  return agents;
}

// Oracle events where the oracle published; the venues recover, take the depth of the step and
// re-centre on the oracle; the arbitrageurs trade; each perpetual's mark is its venue's quoted
// mid.
void publish_prices(const Plan& plan, const OracleTrack& track, World& world, std::vector<Agent>& agents) {
  const std::uint32_t t = world.step();
  const std::size_t columns = plan.markets.size();
  const std::size_t depth_row = std::min<std::size_t>(t, plan.scenario->steps);
  for (std::size_t m = 0; m < columns; ++m) {
    const std::size_t at = t * columns + m;
    if (track.published[at] == 0) continue;
    if (const auto price = to_price(track.price[at]); price.ok()) {
      world.submit(OraclePrice{plan.markets[m].asset, *price, *price});
    }
  }
  for (std::size_t m = 0; m < columns; ++m) {
    Venue& venue = world.venue(m);
    recover(venue, world.dt_s());
    set_depth_multiplier(venue, plan.depth[depth_row * columns + m]);
    set_mid_price(venue, world.oracle(plan.markets[m]));
  }
  for (Agent& agent : agents) {
    if (std::holds_alternative<Arbitrageur>(agent)) act(agent, world);
  }
  for (std::size_t m = 0; m < columns; ++m) {
    if (const auto mark = price_on_tick(quoted_mid(world.venue(m)), plan.markets[m].perp, false)) {
      world.submit(MarkPrice{plan.markets[m].perp.id, *mark});
    }
  }
}

// Each traded perpetual's funding accrual at the step's prices (the first only starts its clock).
void accrue_all_funding(const SimulationConfig& config, World& world) {
  for (std::size_t m = 0; m < world.markets().size(); ++m) {
    if (const auto event = funding_event(world, m, config.funding.impact_margin_quote)) world.accrue_funding(*event);
  }
}

// The protocol's own events on the scan's list: bankrupt groups go down the waterfall, groups
// past the backstop threshold to the vault (when there is one), the rest get their episode.
void protocol_acts(World& world) {
  const LiquidationRules& rules = world.engine().options().liquidation;
  const double backstop = to_double(rules.sizing.stages.backstop_below);
  // The backstop is asked only while the vault has equity to take a group on.
  const std::optional<Money> vault_equity = world.engine().vault_equity();
  const bool vault = world.engine().vault() != nullptr && vault_equity && vault_equity->raw() > 0;
  const std::vector<AtRiskGroup> listed(world.at_risk().begin(), world.at_risk().end());
  for (const AtRiskGroup& group : listed) {
    if (group.bankrupt) {
      world.submit(ResolveBankruptcy{group.sub_account});
      continue;
    }
    if (!world.episode_open(group.sub_account)) world.submit(CheckHealth{group.sub_account});
    const double requirement = to_double(group.maintenance_requirement);
    const double coverage = requirement > 0 ? (to_double(group.maintenance_health) + requirement) / requirement : 1.0;
    if (vault && coverage < backstop) world.submit(BackstopTakeover{group.sub_account});
  }
}

std::int64_t clamp_units(int128 value) {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  return value > kMax ? kMax : value < -kMax ? -kMax : static_cast<std::int64_t>(value);
}

double quote_utilization(const World& world) {
  const margin::RiskConfig& risk = *world.engine().risk_config();
  for (std::size_t i = 0; i < risk.assets.size(); ++i) {
    if (risk.assets[i].id != risk.quote) continue;
    const int128 deposits = world.engine().totals().deposit_units[i];
    const int128 borrows = world.engine().totals().borrow_units[i];
    return deposits > 0 ? std::min(1.0, static_cast<double>(borrows) / static_cast<double>(deposits)) : 0.0;
  }
  return 0.0;
}

std::int64_t insurance_fund(const World& world) {
  return world.engine().ledger().balance(SubAccountId{kInsuranceFund.value}, world.quote()).raw();
}

void finish(const World& world, PathOutcome& out) {
  const LossTotals& losses = world.engine().waterfall().losses;
  out.bad_debt_units = clamp_units(losses.deficit);
  out.insurance_paid_units = clamp_units(losses.insurance);
  out.adl_units = clamp_units(losses.adl);
  out.socialized_units = clamp_units(losses.socialized);
  out.unresolved_units = clamp_units(losses.unresolved);
  out.adl_hits = losses.adl_closes;
  out.liquidations = world.counts().liquidations;
  out.bankruptcies = world.counts().bankruptcies;
  out.liquidation_volume_units = world.counts().liquidation_volume_units;
  out.events_applied = world.counts().applied;
  out.events_rejected = world.counts().rejected;
  std::int64_t peak = out.insurance_fund_start_units;
  for (const std::int64_t fund : out.insurance_fund_units) {
    peak = std::max(peak, fund);
    out.insurance_drawdown_units = std::max(out.insurance_drawdown_units, peak - fund);
  }
}

// `world` is the thread's: each path starts from a copy of the prepared venue assigned into it,
// which reuses the previous path's allocations (a venue of 10,000 accounts is some 100,000
// blocks: the ledger's, the idempotency ids', the mirror's), where a fresh copy allocates them
// all and frees them at the path's end.
PathOutcome run_path(const SimulationConfig& config, const Plan& plan, std::uint64_t path, const StepObserver& observer,
                     std::optional<World>& world_slot) {
  const PathKey key{config.seed, plan.scenario_key, path};
  const std::size_t columns = plan.markets.size();
  const std::size_t cells = (plan.generated_steps + 1) * columns;
  std::vector<double> prices(cells);
  generate_prices(*plan.model, key, plan.generated_steps, plan.scenario->start_prices, prices);
  std::vector<double> published_price(cells);
  std::vector<std::uint8_t> published(cells);
  const OracleTrack track{published_price, published};
  publish(*plan.oracle, OracleInput{key, columns, prices, plan.manipulation}, track);

  if (world_slot) {
    *world_slot = *plan.prepared;
  } else {
    world_slot.emplace(*plan.prepared);
  }
  World& world = *world_slot;
  std::vector<Agent> agents = make_agents(config, plan, key);
  PathOutcome out;
  out.path = path;
  out.insurance_fund_start_units = insurance_fund(world);
  out.insurance_fund_units.reserve(plan.steps);
  for (std::uint32_t t = 1; t <= plan.steps; ++t) {
    world.begin_step(t);
    publish_prices(plan, track, world, agents);
    if (plan.funding_steps > 0 && (t - 1) % plan.funding_steps == 0) accrue_all_funding(config, world);
    world.scan();
    protocol_acts(world);
    for (Agent& agent : agents) {
      if (!std::holds_alternative<Arbitrageur>(agent)) act(agent, world);
    }
    out.insurance_fund_units.push_back(insurance_fund(world));
    out.utilization_max = std::max(out.utilization_max, quote_utilization(world));
    if (observer) observer(path, t, world.engine());
  }
  finish(world, out);
  return out;
}

// Workers take whole paths in turn; the calling thread reports progress as they finish.
void run_paths(const SimulationConfig& config, const Plan& plan, std::uint32_t threads,
               const ProgressCallback& progress, const StepObserver& observer, std::vector<PathOutcome>& out) {
  std::atomic<std::uint64_t> next{0};
  std::mutex mutex;
  std::condition_variable finished;
  std::uint64_t done = 0;
  const std::uint64_t total = out.size();
  const auto work = [&] {
    std::optional<World> world;
    for (std::uint64_t p = next++; p < total; p = next++) {
      out[p] = run_path(config, plan, p, observer, world);
      const std::lock_guard lock(mutex);
      ++done;
      finished.notify_one();
    }
  };
  std::vector<std::jthread> workers;
  const std::uint64_t count = std::min<std::uint64_t>(std::max<std::uint32_t>(threads, 1), total);
  for (std::uint64_t i = 0; i < count; ++i) workers.emplace_back(work);
  std::uint64_t reported = 0;
  std::unique_lock lock(mutex);
  while (reported < total) {
    finished.wait(lock, [&] { return done > reported; });
    const std::uint64_t now = done;
    lock.unlock();
    while (reported < now) {
      ++reported;
      if (progress) progress(reported, total);
    }
    lock.lock();
  }
}

}  // namespace

Result<Venue> make_venue(const VenueDepth& depth, const std::string& asset, double start_price) {
  if (depth.kind == VenueKind::book) {
    auto book = DepthCurveBook::make({asset, start_price, depth.calm_depth_quote / start_price, depth.max_distance,
                                      depth.depth_exponent, depth.recovery_half_life_s});
    if (!book.ok()) return book.error();
    return Venue{std::move(*book)};
  }
  auto pool = ConstantProductPool::make(
      {asset, depth.calm_depth_quote / start_price, depth.calm_depth_quote, depth.fee, depth.recovery_half_life_s});
  if (!pool.ok()) return pool.error();
  return Venue{std::move(*pool)};
}

Result<SimulationConfig> default_simulation_config(const margin::VenueConfig& venue, std::string_view scenario) {
  SimulationConfig config;
  config.venue_name = venue.name.empty() ? venue.source : venue.name;
  config.risk = venue.risk;
  config.scenario = std::string(scenario);
  auto found = scenario_by_name(scenario);
  if (!found.ok()) return config_error(found.error().message);
  const auto& push = std::get<PushParams>(config.oracle);
  const double age_s = push.heartbeat_s + static_cast<double>(push.latency_steps + 2) * (*found)->dt_s;
  config.options.price_max_age_ns = static_cast<TimestampNs>(age_s * 1e9);
  config.options.vault = lending::VaultParams{3'600'000'000'000, Money::from_raw(100'000'000),
                                              lending::VaultShares::from_raw(1'000), Money::from_raw(1), 64};
  if (auto markets = resolve_markets(config, **found); !markets.ok()) return markets.error();
  return config;
}

Result<SimulationResults> run_simulation(const SimulationConfig& config, std::uint32_t threads,
                                         const ProgressCallback& progress, const StepObserver& observer) {
  auto plan = make_plan(config);
  if (!plan.ok()) return plan.error();
  SimulationResults results;
  results.venue = config.venue_name;
  results.scenario = config.scenario;
  results.seed = config.seed;
  results.threads = std::max<std::uint32_t>(threads, 1);
  results.steps = plan->steps;
  results.accounts = config.accounts;
  results.paths.resize(config.paths);
  run_paths(config, *plan, results.threads, progress, observer, results.paths);
  return results;
}

bool same_figures(const SimulationResults& a, const SimulationResults& b) {
  return a.venue == b.venue && a.scenario == b.scenario && a.seed == b.seed && a.steps == b.steps &&
         a.accounts == b.accounts && a.paths == b.paths;
}

}  // namespace ballast::sim
