#include "ballast/sim/agents.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <utility>

#include "ballast/core/assert.hpp"
#include "ballast/liquidation/auction.hpp"
#include "ballast/liquidation/sizing.hpp"
#include "ballast/margin/account.hpp"
#include "ballast/margin/requirement.hpp"
#include "ballast/pricing/dmath.hpp"

namespace ballast::sim {
namespace {

namespace dmath = pricing::dmath;

constexpr double kPriceScale = 1e9;   // Price and Quantity: 9 decimals
constexpr double kMoneyScale = 1e6;   // Money: 6 decimals
constexpr TimestampNs kEventSpacingNs = 1'000;  // events of one step, a microsecond apart
// Draw indices of one step: step · kDrawsPerStep + k, so a step's draws never meet another's.
constexpr std::uint64_t kDrawsPerStep = std::uint64_t{1} << 24;

// A uniform in the open interval (0, 1) from a 64-bit draw (53 bits, centred in its cell).
double open_uniform(std::uint64_t draw) {
  return (static_cast<double>(draw >> 11) + 0.5) * 0x1.0p-53;
}

// SplitMix64's finalizer: a bijective mix, so distinct inputs stay distinct.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A standard normal from one draw (inverse CDF, deterministic: paths.hpp).
double normal_draw(std::uint64_t draw) { return normal_quantile(open_uniform(draw)); }

std::optional<Money> money_of(double quote) {
  const auto raw = raw_from_double(quote, Money::kDecimals, Round::up);
  return raw ? std::optional<Money>(Money::from_raw(*raw)) : std::nullopt;
}

const SubAccount* held_sub_account(const World& world, SubAccountId id) {
  return world.engine().ledger().find_sub_account(id);
}

Quantity held_size(const World& world, SubAccountId sub, InstrumentId instrument) {
  const market::Position* held = world.engine().ledger().position(sub, instrument);
  return held == nullptr ? Quantity{} : held->size;
}

// A fill at `price` (quote per unit of the underlying) on the tick against the trader (a buy
// rounds up, a sell down), with a fee of fee_rate on its notional at that price (rounded up).
std::optional<ballast::Fill> fill_at(const TradedMarket& market, AccountId account, SubAccountId sub, Quantity size,
                                     double price, double fee_rate) {
  if (size.raw() == 0) return std::nullopt;
  const auto at = price_on_tick(price, market.perp, size.raw() > 0);
  const auto fee = money_of(std::abs(to_double(size)) * to_double(market.perp.contract_size) * price * fee_rate);
  if (!at || !fee) return std::nullopt;
  return ballast::Fill{account, sub, market.perp.id, size, *at, *fee};
}

std::optional<ballast::Fill> fill_at_mark(const World& world, const TradedMarket& market, AccountId account,
                                          SubAccountId sub, Quantity size, double fee_rate) {
  return fill_at(market, account, sub, size, world.mark(market), fee_rate);
}

}  // namespace

// ---- Helpers ------------------------------------------------------------------------------

std::optional<Price> price_on_tick(double value, const market::Instrument& instrument, bool up) {
  const auto raw = raw_from_double(value, Price::kDecimals, up ? Round::up : Round::down);
  const std::int64_t tick = instrument.tick.raw();
  if (!raw || *raw <= 0 || tick <= 0) return std::nullopt;
  std::int64_t on_tick = *raw - *raw % tick;
  if (up && on_tick != *raw) on_tick += tick;
  if (on_tick <= 0) return std::nullopt;
  return Price::from_raw(on_tick);
}

Quantity size_on_lot(double base, const market::Instrument& instrument) {
  const double contracts = base / to_double(instrument.contract_size);
  const auto raw = raw_from_double(std::abs(contracts), Quantity::kDecimals, Round::down);
  const std::int64_t lot = instrument.lot.raw();
  if (!raw || lot <= 0) return Quantity{};
  const std::int64_t on_lot = *raw - *raw % lot;
  return Quantity::from_raw(contracts < 0 ? -on_lot : on_lot);
}

Amount quote_units(double quote, std::uint8_t decimals) {
  const auto raw = raw_from_double(quote, decimals, Round::down);
  return Amount::from_raw(raw ? std::max<std::int64_t>(*raw, 0) : 0);
}

double to_double(Price price) { return static_cast<double>(price.raw()) / kPriceScale; }
double to_double(Quantity quantity) { return static_cast<double>(quantity.raw()) / kPriceScale; }
double to_double(Money money) { return static_cast<double>(money.raw()) / kMoneyScale; }
double to_double(Ratio ratio) { return static_cast<double>(ratio.raw()) / 1e12; }

bool trade_through_venue(World& world, std::size_t m, AccountId account, SubAccountId sub, Quantity size,
                         double fee_rate) {
  if (size.raw() == 0) return false;
  const TradedMarket& market = world.markets()[m];
  const Side side = size.raw() > 0 ? Side::buy : Side::sell;
  const double base = std::abs(to_double(size)) * to_double(market.perp.contract_size);
  const Result<sim::Fill> priced = impact(world.venue(m), side, base);
  if (!priced.ok()) return false;
  const auto fill = fill_at(market, account, sub, size, priced->average_price, fee_rate);
  if (!fill || world.submit(*fill) != Status::ok) return false;
  const Result<sim::Fill> taken = consume(world.venue(m), side, base);
  BALLAST_ASSERT(taken.ok());  // the trade impact() has just priced
  return true;
}

std::optional<AccrueFunding> funding_event(const World& world, std::size_t m, double impact_margin_quote) {
  const TradedMarket& market = world.markets()[m];
  AccrueFunding event{market.perp.id, Price{}, Price{}};
  if (!market.perp.funding.impact_premium) return event;
  const margin::MarketRisk& risk = *world.engine().risk_config()->find_market(market.perp.id);
  const double initial_fraction =
      to_double(margin::marginal_rate(risk.rule, margin::MarginKind::initial, Money{}, Quantity{}, Money{}));
  const Venue& venue = world.venue(m);
  // A zero fraction asks for an infinite size, which no venue fills.
  const double base = impact_margin_quote / initial_fraction / quoted_mid(venue);
  const Result<sim::Fill> bid = impact(venue, Side::sell, base);
  const Result<sim::Fill> ask = impact(venue, Side::buy, base);
  if (!bid.ok() || !ask.ok()) return std::nullopt;
  const auto bid_raw = raw_from_double(bid->average_price, Price::kDecimals, Round::down);
  const auto ask_raw = raw_from_double(ask->average_price, Price::kDecimals, Round::up);
  if (!bid_raw || !ask_raw || *bid_raw <= 0) return std::nullopt;
  event.impact_bid = Price::from_raw(*bid_raw);
  event.impact_ask = Price::from_raw(*ask_raw);
  return event;
}

CounterRng agent_rng(const PathKey& key, std::uint64_t agent) {
  return CounterRng(key.seed, mix(key.scenario ^ mix(key.path ^ mix(agent + 0x5151))));
}

// ---- World --------------------------------------------------------------------------------

World::World(Engine engine, std::uint64_t next_id, TimestampNs start_ns, double dt_s,
             std::vector<TradedMarket> markets, std::vector<Venue> venues)
    : engine_(std::move(engine)),
      next_id_(next_id),
      start_ns_(start_ns),
      dt_s_(dt_s),
      now_ns_(start_ns - 1'000'000'000),  // setup events come a second before step 0
      markets_(std::move(markets)),
      venues_(std::move(venues)) {
  BALLAST_ASSERT(engine_.risk_config() != nullptr);
  BALLAST_ASSERT(markets_.size() == venues_.size());
}

std::optional<std::size_t> World::market_of(InstrumentId instrument) const {
  for (std::size_t m = 0; m < markets_.size(); ++m) {
    if (markets_[m].perp.id == instrument) return m;
  }
  return std::nullopt;
}

void World::begin_step(std::uint32_t step) {
  step_ = step;
  touched_.clear();
  now_ns_ = start_ns_ + static_cast<TimestampNs>(std::llround(static_cast<double>(step) * dt_s_ * 1e9));
}

Status World::submit(EventBody body) {
  now_ns_ += kEventSpacingNs;
  const Event event{EventId{next_id_++}, now_ns_, std::move(body)};
  const Status status = engine_.apply(event);
  if (status != Status::ok) {
    ++counts_.rejected;
    return status;
  }
  ++counts_.applied;
  if (const auto* liquidate = std::get_if<Liquidate>(&event.body)) {
    ++counts_.liquidations;
    const auto notional = mul<Money>(Quantity::from_raw(std::abs(liquidate->size.raw())), liquidate->price, Round::down);
    counts_.liquidation_volume_units += notional ? notional->raw() : 0;
    touched_.push_back(liquidate->target);
  } else if (std::holds_alternative<ResolveBankruptcy>(event.body)) {
    ++counts_.bankruptcies;
  }
  follow_ledger();
  return Status::ok;
}

// The mirror takes the holdings of every sub-account the ledger changed since it last looked
// (its change feed), each once: O(what the event touched), where a rebuild reads every
// sub-account. A feed that no longer reaches back that far, or a sub-account the mirror does
// not hold, and it is rebuilt before the next scan.
void World::follow_ledger() {
  const Ledger& ledger = engine_.ledger();
  const auto changed = ledger.changes_since(followed_);
  followed_ = ledger.change_count();
  if (mirror_stale_ || !mirror_) return;
  if (!changed) {
    mirror_stale_ = true;
    return;
  }
  changed_.assign(changed->begin(), changed->end());
  std::sort(changed_.begin(), changed_.end());
  changed_.erase(std::unique(changed_.begin(), changed_.end()), changed_.end());
  for (const SubAccountId id : changed_) {
    const SubAccount& sub = *ledger.find_sub_account(id);
    if (!mirrored(sub)) continue;
    if (!mirror_->set_holdings(id, sub.balances, sub.positions)) {
      mirror_stale_ = true;
      return;
    }
  }
}

bool World::mirrored(const SubAccount& sub) {
  return sub.id.value >= kFirstUserId && sub.mode != MarginMode::portfolio;
}

// The mirror reads the sub-accounts as the engine's margin calculator does: balances in assets
// the risk configuration lists.
void World::rebuild_mirror() {
  const margin::RiskConfig& risk = *engine_.risk_config();
  std::vector<margin::SubAccountBook> books;
  for (const SubAccount* sub : engine_.ledger().sub_accounts_in_order()) {
    if (!mirrored(*sub)) continue;
    margin::SubAccountBook book{sub->id, sub->owner, sub->mode, {}, sub->positions};
    for (const Balance& balance : sub->balances) {
      if (risk.find_asset(balance.asset) != nullptr) book.balances.push_back(balance);
    }
    books.push_back(std::move(book));
  }
  Result<margin::MarginBook> built = margin::MarginBook::build(risk, engine_.prices().book, books);
  BALLAST_ASSERT(built.ok());  // the runner prices every asset and market before step 0
  mirror_ = std::move(*built);
  mirror_stale_ = false;
}

void World::scan() {
  if (mirror_stale_ || !mirror_) rebuild_mirror();
  // Screened: most traders are far from liquidation from one step to the next, and the mirror
  // is read only here and followed by set_holdings(), which makes a group current again.
  const Outcome repriced =
      margin::recompute_and_scan(*mirror_, engine_.prices().book, 1, entries_, margin::MarginBook::Screening::screened);
  BALLAST_ASSERT(repriced.ok());
  std::map<SubAccountId, std::uint32_t> since;
  at_risk_.clear();
  for (const margin::LiquidationEntry& entry : entries_) {
    const SubAccountId sub = mirror_->sub_accounts(entry.group).front();
    const auto seen = listed_since_.find(sub);
    const std::uint32_t first = seen == listed_since_.end() ? step_ : seen->second;
    since.emplace(sub, first);
    at_risk_.push_back({sub, entry.bankrupt, entry.equity, entry.maintenance_requirement, entry.maintenance_health, first});
  }
  listed_since_ = std::move(since);
}

namespace {
GroupKey group_key_of(const SubAccount& sub) {
  return GroupKey{sub.owner, sub.mode == MarginMode::cross ? SubAccountId{} : sub.id};
}
}  // namespace

bool World::touched(SubAccountId sub_account) const {
  return std::find(touched_.begin(), touched_.end(), sub_account) != touched_.end();
}

bool World::episode_open(SubAccountId sub_account) const {
  const SubAccount* sub = engine_.ledger().find_sub_account(sub_account);
  return sub != nullptr && engine_.liquidation_episodes().contains(group_key_of(*sub));
}

double World::mark(const TradedMarket& market) const {
  return to_double(engine_.prices().book.find_market(market.perp.id)->mark);
}

double World::oracle(const TradedMarket& market) const {
  return to_double(engine_.prices().book.find_asset(market.asset)->oracle);
}

Status World::accrue_funding(const AccrueFunding& event) {
  const Status status = submit(event);
  // A stale mirror is rebuilt from the engine's price book, index included, before the next scan.
  if (status != Status::ok || mirror_stale_ || !mirror_) return status;
  const std::optional<std::uint32_t> market = mirror_->market_index(event.instrument);
  BALLAST_ASSERT(market.has_value());  // the mirror is built on the engine's risk configuration
  // A tick needs every group current: the screened scan leaves the groups it skipped stale.
  if (mirror_->stale_count() > 0) mirror_->catch_up(1);
  margin::ChangedGroups changed;  // unused: the scan judges every group the screen cannot clear
  mirror_->on_market_funding(*market, engine_.prices().book.find_market(event.instrument)->funding_index, changed);
  return status;
}

// ---- Traders ------------------------------------------------------------------------------

std::vector<TraderSpec> draw_traders(const TraderParams& params, std::uint64_t seed, std::uint64_t scenario,
                                     std::uint64_t count, std::size_t markets, std::uint64_t first_id) {
  BALLAST_ASSERT(markets > 0);
  // Path 0's key with a path value no path uses: the population is the same on every path.
  const CounterRng rng = agent_rng(PathKey{seed, scenario, ~std::uint64_t{0}}, 0);
  std::vector<TraderSpec> specs;
  specs.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t side_market = rng.at(4 * i);
    const double leverage = params.leverage_median * dmath::exp(params.leverage_log_std * normal_draw(rng.at(4 * i + 1)));
    const double collateral =
        params.collateral_median_quote * dmath::exp(params.collateral_log_std * normal_draw(rng.at(4 * i + 2)));
    specs.push_back({AccountId{first_id + i}, SubAccountId{first_id + i},
                     static_cast<std::uint32_t>((side_market >> 1) % markets), (side_market & 1) == 0,
                     std::clamp(leverage, 1.0, params.leverage_max), collateral});
  }
  return specs;
}

// The venue's open interest at step 0 is a given state, not trades into the step-0 venue: the
// opening fills are at the mark and leave the venues as made.
void Traders::open_all(World& world) const {
  const std::uint8_t decimals = world.engine().ledger().find_asset(world.quote())->decimals;
  for (const TraderSpec& trader : specs_) {
    world.submit(CreateAccount{trader.account});
    world.submit(CreateSubAccount{trader.account, trader.sub_account, MarginMode::cross});
    world.submit(Deposit{trader.account, trader.sub_account, world.quote(), quote_units(trader.collateral_quote, decimals)});
    const TradedMarket& market = world.markets()[trader.market];
    const double base = trader.leverage * trader.collateral_quote / world.mark(market);
    const Quantity size = size_on_lot(trader.long_side ? base : -base, market.perp);
    if (auto fill = fill_at_mark(world, market, trader.account, trader.sub_account, size, params_.fee_rate)) {
      world.submit(*fill);
    }
  }
}

const TraderSpec* Traders::find(SubAccountId sub_account) const {
  const auto it = std::lower_bound(specs_.begin(), specs_.end(), sub_account,
                                   [](const TraderSpec& t, SubAccountId id) { return t.sub_account < id; });
  return it != specs_.end() && it->sub_account == sub_account ? &*it : nullptr;
}

// Margin calls first (the groups listed `delay` steps ago and still listed), then the few traders
// this step's stream picks: the gap to the next is geometric, so picking costs O(picked).
void Traders::act(World& world) {
  const std::uint64_t base = world.step() * kDrawsPerStep;
  for (const AtRiskGroup& group : world.at_risk()) {
    if (group.bankrupt || group.since_step + params_.margin_call_delay_steps != world.step()) continue;
    if (const TraderSpec* trader = find(group.sub_account)) {
      answer_margin_call(world, *trader, rng_.at(base + kDrawsPerStep / 2 + group.sub_account.value % (kDrawsPerStep / 2)));
    }
  }
  if (params_.act_probability <= 0.0) return;
  const double log_stay = dmath::log(1.0 - std::min(params_.act_probability, 0.999999));
  std::uint64_t k = 0;
  for (double next = -1.0;;) {
    next += 1.0 + std::floor(dmath::log(open_uniform(rng_.at(base + 2 * k))) / log_stay);
    if (next >= static_cast<double>(specs_.size()) || 2 * k + 1 >= kDrawsPerStep / 2) break;
    trade(world, specs_[static_cast<std::size_t>(next)], rng_.at(base + 2 * k + 1));
    ++k;
  }
}

// Flat: opens at its leverage on its side. Holding: adds half its opening size (40%) or
// reduces by half (60%): a crowd that slowly takes risk off.
void Traders::trade(World& world, const TraderSpec& trader, std::uint64_t draw) {
  const TradedMarket& market = world.markets()[trader.market];
  const Quantity held = held_size(world, trader.sub_account, market.perp.id);
  const double opening_base = trader.leverage * trader.collateral_quote / world.mark(market);
  Quantity size;
  if (held.raw() == 0) {
    size = size_on_lot(trader.long_side ? opening_base : -opening_base, market.perp);
  } else if (open_uniform(draw) < 0.4) {
    size = size_on_lot(held.raw() > 0 ? opening_base / 2 : -opening_base / 2, market.perp);
  } else {
    size = size_on_lot(-to_double(held) / 2 * to_double(market.perp.contract_size), market.perp);
  }
  trade_through_venue(world, trader.market, trader.account, trader.sub_account, size, params_.fee_rate);
}

// Deposits enough to stand at twice the maintenance requirement, or halves every position.
void Traders::answer_margin_call(World& world, const TraderSpec& trader, std::uint64_t draw) {
  const AtRiskGroup* group = nullptr;
  for (const AtRiskGroup& g : world.at_risk()) {
    if (g.sub_account == trader.sub_account) group = &g;
  }
  if (group == nullptr) return;
  if (open_uniform(draw) < params_.margin_call_deposit_probability) {
    const double health = to_double(group->maintenance_health);
    const double wanted = to_double(group->maintenance_requirement) - health;
    const std::uint8_t decimals = world.engine().ledger().find_asset(world.quote())->decimals;
    world.submit(Deposit{trader.account, trader.sub_account, world.quote(), quote_units(std::max(wanted, 1.0), decimals)});
    return;
  }
  const TradedMarket& market = world.markets()[trader.market];
  const Quantity held = held_size(world, trader.sub_account, market.perp.id);
  const Quantity half = size_on_lot(-to_double(held) / 2 * to_double(market.perp.contract_size), market.perp);
  trade_through_venue(world, trader.market, trader.account, trader.sub_account, half, params_.fee_rate);
}

// ---- Liquidator ---------------------------------------------------------------------------

// Each listed group whose listing is at least `latency` steps old, most underwater first: one bid
// on its first position in a traded market. An outage skips the whole step.
void Liquidator::act(World& world) {
  if (open_uniform(rng_.at(world.step())) < params_.outage_probability) return;
  const std::vector<AtRiskGroup> listed(world.at_risk().begin(), world.at_risk().end());
  for (const AtRiskGroup& group : listed) {
    if (group.bankrupt || world.step() < group.since_step + params_.latency_steps) continue;
    if (world.touched(group.sub_account)) continue;  // its figures moved since the scan
    const SubAccount* target = held_sub_account(world, group.sub_account);
    if (target == nullptr || target->owner == account_) continue;
    for (const PositionEntry& held : target->positions) {
      if (world.market_of(held.instrument) && bid(world, group, held)) break;
    }
  }
}

namespace {

// The target's margin group as the engine's calculator reads it: the owner's cross sub-accounts,
// or the isolated one alone; balances in assets the venue does not list count only as debts.
std::vector<margin::SubAccountBook> margin_group(const Ledger& ledger, const margin::RiskConfig& risk,
                                                 const SubAccount& target) {
  const std::vector<SubAccountId> members =
      target.mode == MarginMode::cross ? ledger.sub_accounts_of(target.owner) : std::vector<SubAccountId>{target.id};
  std::vector<margin::SubAccountBook> group;
  for (const SubAccountId id : members) {
    const SubAccount& member = *ledger.find_sub_account(id);
    if (member.mode != target.mode) continue;
    margin::SubAccountBook& book = group.emplace_back();
    book = {member.id, member.owner, member.mode, {}, member.positions};
    std::copy_if(member.balances.begin(), member.balances.end(), std::back_inserter(book.balances),
                 [&risk](const Balance& b) { return b.amount.is_negative() || risk.find_asset(b.asset) != nullptr; });
  }
  return group;
}

// The requirement a unit of the position releases: its maintenance requirement over its exposure,
// rounded down, as the engine prices a close's progress.
std::optional<Price> release_per_unit(const margin::GroupMargin& figures, SubAccountId holder,
                                      InstrumentId instrument, Quantity exposure) {
  for (const margin::SubAccountMargin& member : figures.sub_accounts) {
    for (const margin::PositionMargin& position : member.positions) {
      if (member.id == holder && position.instrument == instrument) {
        return div<Price>(position.maintenance_requirement, Quantity::from_raw(std::abs(exposure.raw())), Round::down);
      }
    }
  }
  return std::nullopt;
}

// What one liquidate event may close (exposure, units of the underlying), and the group's equity
// at the mark: the figures the engine judges a liquidate event by.
struct AllowedClose {
  Quantity close;
  Money equity;
};

// What one liquidate event may close of `held` now, worked out as a keeper would from what is
// public: the group's margin figures at the engine's prices (margin::evaluate), the venue's
// liquidation rules, the auction's bonus and the account cap the episode has left. The sizing is
// the engine's own (liquidation::size_liquidation, as the engine validates a Liquidate): restore
// maintenance health plus the buffer, a unit releasing its share of the requirement and costing
// the bonus on the mark (rounded up), clamped by the close factor, the dust rule and the caps.
// Where a unit costs at least what it releases no partial close helps, and the rules let the
// whole position go within the caps. nullopt when the group is not liquidatable or a figure
// cannot be computed. The event lands a microsecond later at a bonus no smaller, and a larger
// cost never allows less, so this size is always accepted.
std::optional<AllowedClose> allowed_close(const World& world, const SubAccount& target,
                                          const market::Instrument& instrument, Ratio bonus) {
  const Engine& engine = world.engine();
  const margin::RiskConfig& risk = *engine.risk_config();
  const std::vector<margin::SubAccountBook> group = margin_group(engine.ledger(), risk, target);
  const margin::MarginOutcome outcome = margin::evaluate(risk, engine.prices().book, group);
  if (outcome.status != margin::MarginStatus::ok || !outcome.margin.liquidatable()) return std::nullopt;
  const margin::GroupMargin& figures = outcome.margin;
  const LiquidationRules& rules = engine.options().liquidation;
  const Price mark = engine.prices().book.find_market(instrument.id)->mark;
  const auto exposure = market::exposure_of(engine.ledger().position(target.id, instrument.id)->size, instrument.contract_size);
  const auto lot = market::exposure_of(instrument.lot, instrument.contract_size);
  const auto release = exposure ? release_per_unit(figures, target.id, instrument.id, *exposure) : std::nullopt;
  const auto cost = mul<Price>(mark, bonus, Round::up);
  const auto buffer = liquidation::maintenance_buffer(figures.maintenance_requirement, rules.buffer_ratio);
  if (!lot || !release || !cost || !buffer) return std::nullopt;
  const auto episode = engine.liquidation_episodes().find(group_key_of(target));
  const Money account_cap = account_cap_remaining(
      rules, episode == engine.liquidation_episodes().end() ? std::nullopt : std::optional(episode->second), world.now_ns());
  const liquidation::Sizing sizing = liquidation::size_liquidation(
      rules.sizing, {{figures.maintenance_collateral, figures.maintenance_requirement}, *buffer, *exposure, *lot, mark,
                     *release, *cost, account_cap, rules.event_cap_notional});
  if (sizing.status == liquidation::SizingStatus::ok) return AllowedClose{sizing.close, figures.equity};
  if (sizing.status != liquidation::SizingStatus::cannot_restore && release->raw() > 0) return std::nullopt;
  const auto within_caps = div<Quantity>(std::min(account_cap, rules.event_cap_notional), mark, Round::down);
  if (!within_caps) return std::nullopt;
  const std::int64_t whole_lots = within_caps->raw() - within_caps->raw() % lot->raw();
  return AllowedClose{Quantity::from_raw(std::min(std::abs(exposure->raw()), whole_lots)), figures.equity};
}

}  // namespace

// The size: what the rules allow (allowed_close above), within 10x the liquidator's capital, halved
// while the hedge's slippage leaves less than the profit threshold. The price: the best for the
// liquidator in the engine's band (liquidation_price_band: the auction's discount now from the
// mark, never past the bankruptcy price of the size closed), on the tick inside it.
bool Liquidator::bid(World& world, const AtRiskGroup& group, const PositionEntry& held) {
  const std::size_t m = *world.market_of(held.instrument);
  const TradedMarket& market = world.markets()[m];
  const LiquidationRules& rules = world.engine().options().liquidation;
  const SubAccount& target = *held_sub_account(world, group.sub_account);
  const auto& episodes = world.engine().liquidation_episodes();
  const auto episode = episodes.find(group_key_of(target));
  const TimestampNs start = episode == episodes.end() ? world.now_ns() : episode->second.started_ns;
  const liquidation::AuctionQuote quote = liquidation::auction_bonus(rules.auction, start, world.now_ns());
  if (quote.status != liquidation::AuctionStatus::ok) return false;
  const std::optional<AllowedClose> allowed_now = allowed_close(world, target, market.perp, quote.bonus);
  if (!allowed_now) return false;
  const Price mark = world.engine().prices().book.find_market(held.instrument)->mark;
  const bool long_target = held.position.size.raw() > 0;
  const double contract = to_double(market.perp.contract_size);
  const auto allowed_size = div<Quantity>(allowed_now->close, market.perp.contract_size, Round::down);
  if (!allowed_size) return false;
  Quantity size = std::min(*allowed_size, size_on_lot(10.0 * params_.capital_quote / to_double(mark), market.perp));
  for (int attempt = 0; attempt < 8; ++attempt, size = size_on_lot(to_double(size) * contract / 2, market.perp)) {
    const double base = to_double(size) * contract;
    const auto closed = market::exposure_of(size, market.perp.contract_size);
    if (size.raw() == 0 || !closed) return false;
    const Quantity signed_closed = long_target ? *closed : Quantity::from_raw(-closed->raw());
    const liquidation::BandOutcome band = liquidation::liquidation_price_band(
        signed_closed, mark, quote.bonus, liquidation::bankruptcy_price(allowed_now->equity, signed_closed, mark));
    if (band.status != liquidation::BandStatus::ok) return false;
    const auto price = price_on_tick(to_double(long_target ? band.band.low : band.band.high), market.perp, long_target);
    if (!price || !liquidation::price_in_band(band.band, *price)) continue;
    const Result<sim::Fill> hedge = impact(world.venue(m), long_target ? Side::sell : Side::buy, base);
    if (!hedge.ok()) continue;
    const double edge = long_target ? hedge->average_price - to_double(*price) : to_double(*price) - hedge->average_price;
    const double protocol_fee = std::abs(to_double(mark) - to_double(*price)) * base * to_double(rules.auction.protocol_share);
    if (edge * base - protocol_fee - 2 * params_.gas_quote < params_.min_profit_quote) continue;
    const Status status = world.submit(Liquidate{account_, sub_account_, group.sub_account, held.instrument, size, *price});
    if (status == Status::ok) hedge_position(world, m);
    return status == Status::ok;
  }
  return false;
}

// Sells (buys back) what the liquidator now holds into the venue, and closes it on the engine at
// the venue's average price: the liquidator keeps no inventory.
void Liquidator::hedge_position(World& world, std::size_t m) {
  const TradedMarket& market = world.markets()[m];
  const Quantity held = held_size(world, sub_account_, market.perp.id);
  if (held.raw() == 0) return;
  const double base = std::abs(to_double(held)) * to_double(market.perp.contract_size);
  const Result<sim::Fill> sold = consume(world.venue(m), held.raw() > 0 ? Side::sell : Side::buy, base);
  if (!sold.ok()) return;  // the venue cannot take it now: the position waits for a later step
  const auto at = price_on_tick(sold->average_price, market.perp, held.raw() < 0);
  if (at) world.submit(ballast::Fill{account_, sub_account_, market.perp.id, Quantity::from_raw(-held.raw()), *at, Money{}});
}

// ---- Arbitrageur --------------------------------------------------------------------------

// Each venue more than `threshold` from the oracle is traded back to it, within the capital.
void Arbitrageur::act(World& world) const {
  for (std::size_t m = 0; m < world.markets().size(); ++m) {
    Venue& venue = world.venue(m);
    const double oracle = world.oracle(world.markets()[m]);
    auto* pool = std::get_if<ConstantProductPool>(&venue);
    if (pool == nullptr) {
      set_mid_price(venue, oracle);  // a book is quoted around its mid directly
      continue;
    }
    const double gap = pool->price() / oracle - 1.0;
    if (std::abs(gap) <= params_.threshold) continue;
    const Side side = gap > 0 ? Side::sell : Side::buy;
    const Result<double> size = pool->size_for_price_move(side, gap > 0 ? gap / (1.0 + gap) : -gap / (1.0 + gap));
    if (!size.ok()) continue;
    const double capped = std::min(*size, params_.capital_quote_per_step / oracle);
    if (capped > 0.0) (void)pool->consume(side, capped);
  }
}

// ---- Liquidity provider -------------------------------------------------------------------

void LiquidityProvider::act(World& world) {
  const lending::LiquidityVault* vault = world.engine().vault();
  const std::optional<Money> equity = world.engine().vault_equity();
  if (vault == nullptr || !equity) return;
  const std::optional<Price> share = vault->share_price(*equity);
  const double share_price = share ? to_double(*share) : 0.0;
  if (leaving_) {
    const auto lp = vault->positions().find(account_);
    const bool claimable = lp != vault->positions().end() && lp->second.claimable_ns <= world.now_ns();
    if (!claimable || equity->raw() <= 0 || world.step() < retry_step_) return;
    retry_step_ = world.step() + kRetrySteps;  // a vault that cannot pay now is asked again later
    if (world.submit(VaultWithdraw{account_, sub_account_}) == Status::ok) {
      leaving_ = false;
      in_vault_ = false;
      exit_share_price_ = share_price;
    }
    return;
  }
  if (!in_vault_) {
    const bool enter = exit_share_price_ == 0.0 ? world.step() >= enter_step_
                                                : share_price >= exit_share_price_ * (1.0 + params_.drawdown_exit);
    const Amount free = world.engine().ledger().balance(sub_account_, world.quote());
    if (enter && free.raw() > 0 && equity->raw() >= 0 && world.submit(VaultDeposit{account_, sub_account_, free}) == Status::ok) {
      in_vault_ = true;
      peak_share_price_ = share_price;
    }
    return;
  }
  peak_share_price_ = std::max(peak_share_price_, share_price);
  if (share_price < peak_share_price_ * (1.0 - params_.drawdown_exit)) {
    leaving_ = world.submit(VaultRequestWithdrawal{account_, vault->shares_of(account_)}) == Status::ok;
  }
}

// ---- Attacker -----------------------------------------------------------------------------

std::uint32_t Attacker::close_step() const {
  std::size_t best = 0;
  double peak = 0.0;
  for (const Knot& knot : params_.pump) {
    if (knot.value >= peak) {
      peak = knot.value;
      best = knot.step;
    }
  }
  return static_cast<std::uint32_t>(best);
}

// Opens both sides at open_step; at the pump's top the long closes and, from then on, withdraws
// everything it holds (gated after bad debt: it tries again each step).
void Attacker::act(World& world) {
  const TradedMarket& market = world.markets()[market_];
  const std::uint32_t step = world.step();
  if (step == params_.open_step) {
    const Quantity size = size_on_lot(params_.notional_quote / world.mark(market), market.perp);
    if (auto bought = fill_at_mark(world, market, long_account_, long_sub_, size, 0.0)) world.submit(*bought);
    const Quantity sold_size = Quantity::from_raw(-size.raw());
    if (auto sold = fill_at_mark(world, market, short_account_, short_sub_, sold_size, 0.0)) world.submit(*sold);
    return;
  }
  if (step < close_step()) return;
  const Quantity held = held_size(world, long_sub_, market.perp.id);
  if (held.raw() != 0) {
    if (auto close = fill_at_mark(world, market, long_account_, long_sub_, Quantity::from_raw(-held.raw()), 0.0)) {
      world.submit(*close);
    }
  }
  const Amount free = world.engine().ledger().balance(long_sub_, world.quote());
  if (held_size(world, long_sub_, market.perp.id).raw() == 0 && free.raw() > 0) {
    world.submit(Withdraw{long_account_, long_sub_, world.quote(), free});
  }
}

void act(Agent& agent, World& world) {
  std::visit([&world](auto& a) { a.act(world); }, agent);
}

}  // namespace ballast::sim
