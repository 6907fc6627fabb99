#pragma once
// The simulator's agents (issue 7, item 3) and the world they act in: one path's engine, the
// venues its markets trade on, and the scan that tells who is in trouble.
//
// Agents change the engine only by events (World::submit, which stamps and applies them through
// Engine::apply); the engine validates each as it would a live one, and a rejection is counted,
// never worked around. The set of agents is closed (a std::variant):
//   Traders       the crowd of trader sub-accounts, struct-of-arrays: each has a market, a side
//                 and a leverage drawn at setup. Per step only a few act: those the step's
//                 stream picks (open, add, reduce) and those whose margin call is due (deposit
//                 or reduce). Work per step is O(actors), not O(traders). Every trade goes
//                 through the market's venue (trade_through_venue), so a crowd that sells into
//                 a crash moves the venue's mid, and with it the next step's mark.
//   Liquidator    capital, latency (steps from a group's first listing to its first bid), gas per
//                 event, a profit threshold, outages. It takes over what the rules allow, sized
//                 as the engine sizes it (liquidation::size_liquidation over the group's public
//                 figures), priced at the auction's discount, and sells the takeover into the
//                 venue at once.
//   Arbitrageur   trades each venue toward the oracle within its capital per step, which is
//                 what keeps the venue's mid (the engine's mark) near the oracle.
//   LiquidityProvider  enters the vault at a drawn step and leaves on a drawdown of its share
//                 price; re-enters once the price is back above its exit.
//   Attacker      self-trade insurance-fund drain on a thin asset whose median oracle it can move:
//                 two accounts of its own open opposite sides, the oracle is pumped, the winning
//                 side closes at the top and withdraws, the losing side is left to go bankrupt.
// Randomness: every draw is CounterRng(seed, stream) at an index that names the step (and the
// actor), with stream = a mix of (scenario, path, agent), so nothing depends on what else runs.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <utility>
#include <variant>
#include <vector>

#include "ballast/core/random.hpp"
#include "ballast/engine/engine.hpp"
#include "ballast/margin/book.hpp"
#include "ballast/margin/liquidation_scan.hpp"
#include "ballast/sim/liquidity.hpp"
#include "ballast/sim/paths.hpp"

namespace ballast::sim {

// ---- Parameters ---------------------------------------------------------------------------

struct TraderParams {
  // Leverage (notional / collateral at entry) is lognormal around the median, capped.
  double leverage_median = 5.0;
  double leverage_log_std = 0.6;
  double leverage_max = 25.0;
  // Collateral (USDC) is lognormal around the median.
  double collateral_median_quote = 10'000.0;
  double collateral_log_std = 1.0;
  double act_probability = 0.002;  // per trader per step: open, add or reduce
  double fee_rate = 0.0005;        // of notional, each trade
  std::uint32_t margin_call_delay_steps = 3;
  double margin_call_deposit_probability = 0.5;  // answers by depositing; else by halving
};

struct LiquidatorParams {
  std::uint32_t count = 3;
  double capital_quote = 2'000'000.0;
  std::uint32_t latency_steps = 1;  // steps after a group is first listed
  double gas_quote = 5.0;           // per event
  double min_profit_quote = 20.0;
  double outage_probability = 0.02;  // per liquidator per step
};

struct ArbitrageurParams {
  double capital_quote_per_step = 2'000'000.0;  // per venue
  double threshold = 0.002;                     // |venue / oracle - 1| below this is left alone
};

struct LpParams {
  std::uint32_t count = 4;
  double deposit_quote = 500'000.0;
  std::uint32_t enter_within_steps = 20;  // each LP enters at a step drawn uniformly below this
  double drawdown_exit = 0.05;            // leaves when the share price falls this far from its peak
};

struct AttackerParams {
  std::string asset = "TAIL";  // venue asset symbol; its perpetual is the one traded
  double deposit_quote = 200'000.0;  // per attacker account
  double notional_quote = 1'000'000.0;  // of each side at the open
  std::uint32_t open_step = 5;
  // The factor the manipulated oracle sources apply, piecewise linear from 1 at step 0 through
  // the knots, flat after; the long side closes at the last knot whose value is the largest.
  std::vector<Knot> pump{{20, 2.0}, {40, 1.0}};
};

struct AgentMix {
  TraderParams traders;
  LiquidatorParams liquidators;
  ArbitrageurParams arbitrageurs;
  LpParams lps;
  std::optional<AttackerParams> attacker;
};

// ---- The world ----------------------------------------------------------------------------

// A traded market: a scenario asset, the venue asset it trades as, and that asset's perpetual.
struct TradedMarket {
  std::size_t column = 0;  // the asset's column in the path's prices
  AssetId asset;
  market::Instrument perp;
};

// A margin group the scan listed, by the sub-account events name it with.
struct AtRiskGroup {
  SubAccountId sub_account;
  bool bankrupt = false;
  Money equity;
  Money maintenance_requirement;
  Money maintenance_health;
  std::uint32_t since_step = 0;  // the first step of its current listing
};

// The counts a path reports (PathOutcome's event figures).
struct WorldCounts {
  std::uint64_t applied = 0;
  std::uint64_t rejected = 0;
  std::uint64_t liquidations = 0;
  std::uint64_t bankruptcies = 0;
  std::int64_t liquidation_volume_units = 0;  // quote units, at the liquidation price
};

class World {
 public:
  // `engine` after setup; `next_id` the first free event id; step 0 starts at start_ns.
  World(Engine engine, std::uint64_t next_id, TimestampNs start_ns, double dt_s, std::vector<TradedMarket> markets,
        std::vector<Venue> venues);

  const Engine& engine() const { return engine_; }
  std::uint32_t step() const { return step_; }
  double dt_s() const { return dt_s_; }
  TimestampNs now_ns() const { return now_ns_; }
  const WorldCounts& counts() const { return counts_; }
  std::span<const TradedMarket> markets() const { return markets_; }
  Venue& venue(std::size_t market) { return venues_[market]; }
  const Venue& venue(std::size_t market) const { return venues_[market]; }
  // The venue market trading `instrument`, if any.
  std::optional<std::size_t> market_of(InstrumentId instrument) const;
  // This step's scan, most underwater first (liquidation_scan.hpp's order).
  std::span<const AtRiskGroup> at_risk() const { return at_risk_; }
  AssetId quote() const { return engine_.risk_config()->quote; }

  // Starts step `step`: event times run from start + step·dt, a microsecond apart.
  void begin_step(std::uint32_t step);
  // Applies the event at the next timestamp; counts it; keeps the scan's mirror current.
  Status submit(EventBody body);
  // Lists the at-risk groups at the engine's prices now (after this step's price events).
  void scan();
  // Whether the margin group of this user sub-account has a liquidation episode open.
  bool episode_open(SubAccountId sub_account) const;
  // Whether a liquidation or a bankruptcy already changed this sub-account at this step (the
  // scan's figures of it are then out of date until the next step's scan).
  bool touched(SubAccountId sub_account) const;
  // Counts start again from zero (after the setup every path shares).
  void reset_counts() { counts_ = {}; }
  // Applies a funding accrual (submit) and books the market's new index into the scan's
  // mirror: a repricing refuses a moved index (MarginBook::on_market_funding moves it).
  Status accrue_funding(const AccrueFunding& event);

  // The engine's mark of a market, as a double (quote per unit of the underlying).
  double mark(const TradedMarket& market) const;
  double oracle(const TradedMarket& market) const;

 private:
  void rebuild_mirror();
  void follow_ledger();
  // Whether the mirror holds this sub-account: users' sub-accounts but portfolio ones (their
  // liquidation is not wired).
  static bool mirrored(const SubAccount& sub);

  Engine engine_;
  std::uint64_t next_id_ = 1;
  TimestampNs start_ns_ = 0;
  double dt_s_ = 0.0;
  std::uint32_t step_ = 0;
  TimestampNs now_ns_ = 0;
  std::vector<TradedMarket> markets_;
  std::vector<Venue> venues_;
  WorldCounts counts_;
  std::optional<margin::MarginBook> mirror_;
  bool mirror_stale_ = true;
  std::uint64_t followed_ = 0;  // the ledger's change count the mirror has taken in
  std::vector<SubAccountId> changed_;  // follow_ledger()'s scratch
  std::vector<margin::LiquidationEntry> entries_;
  std::vector<AtRiskGroup> at_risk_;
  std::map<SubAccountId, std::uint32_t> listed_since_;
  std::vector<SubAccountId> touched_;  // this step's, few
};

// ---- Agents -------------------------------------------------------------------------------

// The stream of one agent of one path.
CounterRng agent_rng(const PathKey& key, std::uint64_t agent);

// One trader: who it is and how it trades (drawn at setup; the same on every path).
struct TraderSpec {
  AccountId account;
  SubAccountId sub_account;
  std::uint32_t market = 0;  // index into World::markets()
  bool long_side = true;
  double leverage = 1.0;
  double collateral_quote = 0.0;
};

// The trader population of a venue for (seed, scenario): specs are a pure function of them.
std::vector<TraderSpec> draw_traders(const TraderParams& params, std::uint64_t seed, std::uint64_t scenario,
                                     std::uint64_t count, std::size_t markets, std::uint64_t first_id);

class Traders {
 public:
  Traders(TraderParams params, std::vector<TraderSpec> specs, CounterRng rng)
      : params_(params), specs_(std::move(specs)), rng_(rng) {}
  void act(World& world);
  // Setup: each trader's deposit and opening fill at the start marks.
  void open_all(World& world) const;
  std::span<const TraderSpec> specs() const { return specs_; }

 private:
  void trade(World& world, const TraderSpec& trader, std::uint64_t draw);
  void answer_margin_call(World& world, const TraderSpec& trader, std::uint64_t draw);
  const TraderSpec* find(SubAccountId sub_account) const;

  TraderParams params_;
  std::vector<TraderSpec> specs_;  // by sub-account id
  CounterRng rng_;
};

class Liquidator {
 public:
  Liquidator(LiquidatorParams params, AccountId account, SubAccountId sub_account, CounterRng rng)
      : params_(params), account_(account), sub_account_(sub_account), rng_(rng) {}
  void act(World& world);
  AccountId account() const { return account_; }
  SubAccountId sub_account() const { return sub_account_; }

 private:
  // Bids for one position of a listed group: true when the engine took it.
  bool bid(World& world, const AtRiskGroup& group, const PositionEntry& held);
  void hedge_position(World& world, std::size_t market);

  LiquidatorParams params_;
  AccountId account_;
  SubAccountId sub_account_;
  CounterRng rng_;
};

class Arbitrageur {
 public:
  explicit Arbitrageur(ArbitrageurParams params) : params_(params) {}
  void act(World& world) const;

 private:
  ArbitrageurParams params_;
};

class LiquidityProvider {
 public:
  LiquidityProvider(LpParams params, AccountId account, SubAccountId sub_account, std::uint32_t enter_step)
      : params_(params), account_(account), sub_account_(sub_account), enter_step_(enter_step) {}
  void act(World& world);

 private:
  LpParams params_;
  AccountId account_;
  SubAccountId sub_account_;
  std::uint32_t enter_step_ = 0;
  bool in_vault_ = false;
  bool leaving_ = false;
  double peak_share_price_ = 0.0;
  double exit_share_price_ = 0.0;
  std::uint32_t retry_step_ = 0;
  static constexpr std::uint32_t kRetrySteps = 12;
};

class Attacker {
 public:
  Attacker(AttackerParams params, std::size_t market, AccountId long_account, SubAccountId long_sub,
           AccountId short_account, SubAccountId short_sub)
      : params_(params),
        market_(market),
        long_account_(long_account),
        long_sub_(long_sub),
        short_account_(short_account),
        short_sub_(short_sub) {}
  void act(World& world);
  std::uint32_t close_step() const;

 private:
  AttackerParams params_;
  std::size_t market_ = 0;
  AccountId long_account_;
  SubAccountId long_sub_;
  AccountId short_account_;
  SubAccountId short_sub_;
};

using Agent = std::variant<Traders, Liquidator, Arbitrageur, LiquidityProvider, Attacker>;

void act(Agent& agent, World& world);

// ---- Helpers the agents and the runner share ---------------------------------------------

// A trade of `size` contracts (> 0 buys, < 0 sells) by a user's sub-account through traded
// market `market`'s venue. The engine's record is the trader's Fill, one side of the trade as
// for every trader (the venue is the counterparty, not an account): at the venue's average
// price for the size, on the tick against the trader (a buy rounds up, a sell down), with a fee
// of fee_rate on its notional (rounded up). The venue takes the trade only once the engine has
// accepted the fill. False, and nothing moves, when the size is zero, the venue cannot fill it
// (a book thinner than the size, a buy of a pool's whole reserve) or the engine rejects it.
bool trade_through_venue(World& world, std::size_t market, AccountId account, SubAccountId sub, Quantity size,
                         double fee_rate);

// Traded market `market`'s funding accrual now. The engine takes the premium from the mark and
// the oracle it holds, or, when the perpetual's FundingParams ask for impact prices (dYdX), from
// the impact prices the event carries: here the venue's average prices for selling and buying
// the impact notional, impact_margin_quote / the market's initial margin fraction (dYdX: 500
// USDC / IMF), at the venue's quoted mid; the bid rounds down and the ask up, so the premium
// rounds toward zero as funding.hpp's does. nullopt when the venue cannot fill that size (the
// next accrual then covers the time since the last).
std::optional<AccrueFunding> funding_event(const World& world, std::size_t market, double impact_margin_quote);

// A price on the instrument's tick, rounded toward zero (down) or away (up); nullopt when the
// double is not a valid price.
std::optional<Price> price_on_tick(double value, const market::Instrument& instrument, bool up);
// Contracts on the instrument's lot, rounded down, for `base` units of the underlying.
Quantity size_on_lot(double base, const market::Instrument& instrument);
// Whole quote units for an amount of quote money, rounded down.
Amount quote_units(double quote, std::uint8_t decimals);
double to_double(Price price);
double to_double(Quantity quantity);
double to_double(Money money);
double to_double(Ratio ratio);

}  // namespace ballast::sim
