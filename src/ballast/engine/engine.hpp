#pragma once
// The deterministic state machine (DESIGN principles 1, 2, 6). apply() depends only on the state
// and the event: time comes from the event, there is no randomness, and nothing iterates in an
// order that hash maps or pointers could change. A rejected event changes nothing, the clock and
// the idempotency table included, so state_hash() after a rejection equals the hash before it.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "ballast/core/bytes.hpp"
#include "ballast/core/hash.hpp"
#include "ballast/core/result.hpp"
#include "ballast/core/status.hpp"
#include "ballast/engine/breakers.hpp"
#include "ballast/engine/event.hpp"
#include "ballast/engine/governed.hpp"
#include "ballast/engine/liquidation_rules.hpp"
#include "ballast/engine/pools.hpp"
#include "ballast/engine/portfolio_margin.hpp"
#include "ballast/ledger/ledger.hpp"
#include "ballast/lending/vault.hpp"
#include "ballast/margin/account.hpp"
#include "ballast/market/funding.hpp"
#include "ballast/market/oracle.hpp"
#include "ballast/market/reference_price.hpp"
#include "ballast/market/settlement.hpp"

namespace ballast {

// Engine parameters that are not margin rules. Part of the state (and of its hash).
struct EngineOptions {
  // An oracle price or a mark set longer ago than this (event time minus the time it was set,
  // strictly greater) is stale: a fill or a margin-checked withdrawal that needs it is rejected
  // with price_stale. The engine's option rather than a RiskConfig field because it is about the
  // feed, not the margin model; > 0.
  TimestampNs price_max_age_ns = 60'000'000'000;  // one minute
  // What a stale price still allows (issue 4's per-action validity table), read at
  // OracleValidity::stale: a fill is action reduce_risk when it only shrinks what its sub-account
  // holds in the market without flipping it (pre_trade_check's reduces_risk rule), else
  // open_risk; a margin-checked withdrawal or transfer is action withdraw. Fresh prices are
  // valid, and every action runs on a valid price. Drift's defaults: a stale price still lets
  // risk be reduced, never opened or withdrawn against. Encoded in the snapshot with the risk
  // configuration (an engine without one makes no margin decision, so its policy is the default).
  market::OracleActionPolicy oracle_policy = market::OracleActionPolicy::defaults();
  // How unhealthy margin groups are liquidated (liquidation_rules.hpp). Encoded in the snapshot
  // with the risk configuration, like the oracle policy.
  LiquidationRules liquidation;
  // The liquidity vault's parameters when the venue has one (vault events are vault_missing
  // otherwise). Encoded in the snapshot with the vault's state.
  std::optional<lending::VaultParams> vault;
  // The venue's lending pools, one per asset that has one, sorted by asset (pools.hpp): the
  // interest its borrowers pay and its suppliers earn, its caps. Encoded in the snapshot with the
  // pools' state. An asset without one lends nothing (borrow is pool_missing), though trading can
  // still leave its balances negative, free of interest.
  std::vector<AssetPool> pools;
  // Circuit breakers (breakers.hpp): volatility regimes that raise margin rates, open-interest
  // caps against depth, the emergency settlement rule. None by default. Encoded in the snapshot
  // with their state.
  std::optional<BreakerOptions> breakers;
  // The risk parameters governance may change, with their bounds and steps (governed.hpp). None
  // by default: the parameters are fixed. Encoded in the snapshot as the governor's state.
  std::optional<GovernanceOptions> governance;

  friend bool operator==(const EngineOptions&, const EngineOptions&) = default;
};

// The prices margin reads, each with the event time it was set: oracle readings per asset and
// marks per instrument (both sorted by id, as margin::PriceBook wants them). The book's
// venue-wide figures (AssetPrice::total_deposits, total_borrows, MarketPrice::open_interest) are
// VenueTotals valued at these prices, refreshed whenever the totals or the price change.
struct PriceState {
  margin::PriceBook book;
  std::vector<TimestampNs> asset_set_ns;   // parallel to book.assets
  std::vector<TimestampNs> market_set_ns;  // parallel to book.markets

  void set_asset(AssetId asset, Price oracle, Price stable, TimestampNs now_ns);
  void set_mark(InstrumentId instrument, Price mark, TimestampNs now_ns);
  std::optional<TimestampNs> asset_set_ns_of(AssetId asset) const;
  std::optional<TimestampNs> mark_set_ns_of(InstrumentId instrument) const;
};

// Venue-wide totals the margin calculator reads (deposit- and borrow-scaled initial weights, the
// open-interest ramp), over user sub-accounts only (ids >= kFirstUserId: the clearing account's
// balances are the other side of fills, and the system accounts are the venue's own money).
// Derived state: kept up to date event by event (O(what the event changed)), not in the
// snapshot, recounted from the ledger on restore. Exact integers; valued in quote money at the
// current price, rounded up, into the PriceBook entries of PriceState.
struct VenueTotals {
  // Per asset of the risk configuration (parallel to RiskConfig::assets): the sum of positive
  // balances, and of the magnitudes of negative ones (borrows), in the asset's smallest unit.
  std::vector<int128> deposit_units;
  std::vector<int128> borrow_units;
  // Per market of the risk configuration (parallel to RiskConfig::markets): the sum of long
  // position sizes, in contracts (Quantity raw). Open interest = this × contract size × mark.
  std::vector<int128> long_size;
  // Per market: the user sub-accounts long in it and those short in it, by id. ADL walks the side
  // it closes against (bankruptcy.hpp), not every holder: on a market where most holders are on
  // the bankrupt side, that was most of a resolve_bankruptcy's time.
  std::vector<std::set<SubAccountId>> longs;
  std::vector<std::set<SubAccountId>> shorts;

  friend bool operator==(const VenueTotals&, const VenueTotals&) = default;
};

// What the engine keeps per asset of the risk configuration for its oracle (parallel to
// RiskConfig::assets). Part of the state and the snapshot.
struct AssetFeed {
  // The validity of the reading in force: an oracle_price event's is valid (aggregated and
  // vetted before it arrived); an oracle_quotes event's is what aggregation judged. Every price
  // gate reads it together with the reading's age.
  market::OracleValidity validity = market::OracleValidity::valid;
  // The last valid reading's price: the next aggregation's move guard compares against it, so a
  // spike judged too volatile never becomes the reference.
  std::optional<Price> reference;
  // Mango's stable-price model, started by the first valid quotes reading and stepped by every
  // later valid one. An oracle_price event states its own stable price and drops the model (the
  // next valid quotes reading restarts it there).
  std::optional<market::StablePrice> stable;
};

// Per market of the risk configuration (parallel to RiskConfig::markets): the funding of a
// perpetual, the settlement of a dated instrument. Part of the state and the snapshot.
struct MarketLife {
  // Perpetuals: the cumulative index and when it was last accrued (0: never; the first
  // accrue_funding event starts the clock). Mirrored into the price book's funding_index.
  market::FundingAccrual funding;
  // Futures and options: the underlying's valid readings averaged over the settlement window
  // as they arrive, and the settlement price once settled.
  std::optional<market::WindowAverage> settlement;
  std::optional<Price> settled_at;
};

// The oracle action policy's canonical bytes (the snapshot's, and for any record of an engine's
// options): one byte per action in OracleAction order, bit i set when the action is allowed at
// OracleValidity i. Decoding takes only what encoding writes (no bit at or above
// kOracleValidityCount): a corrupt error naming the row otherwise.
void encode_oracle_policy(ByteWriter& out, const market::OracleActionPolicy& policy);
Result<market::OracleActionPolicy> decode_oracle_policy(ByteReader& in);

// A margin group the liquidation scan found liquidatable: its key, the sub-account a
// check_health or liquidate event names it by (its first member by id), and its maintenance
// side.
struct LiquidatableGroup {
  GroupKey key;
  SubAccountId sub_account;
  Money equity;
  Money maintenance_collateral;
  Money maintenance_requirement;
};

// Where every unit of bad debt went, summed over the resolve_bankruptcy events applied (quote
// units). deficit == insurance + adl + socialized + unresolved, always. Part of the state.
// A later cover_bad_debt (or a deposit into kBadDebt) moves none of them: unresolved stays what the
// waterfall wrote off, and what is still owed is the bad-debt account's balance, asset by asset
// (pools.hpp's written_off_units). The cover is paid in the debt's own asset, whose quote value
// then is not the value it was written off at, so no quote-unit bucket could take it exactly.
struct LossTotals {
  std::uint64_t bankruptcies = 0;  // resolve_bankruptcy events applied
  std::uint64_t adl_closes = 0;    // counterparty positions ADL reduced (one per account and market)
  int128 deficit = 0;              // the groups' deficits after their own collateral
  int128 insurance = 0;            // paid by the insurance fund
  int128 adl = 0;                  // charged to ADL counterparties
  int128 socialized = 0;           // charged to the markets' holders
  int128 unresolved = 0;           // nobody could carry it: written off to kBadDebt

  friend bool operator==(const LossTotals&, const LossTotals&) = default;
};

// The waterfall's state: the loss totals, and when bad debt was last seen (the withdrawal gate).
struct WaterfallState {
  std::optional<TimestampNs> last_bad_debt_ns;
  LossTotals losses;

  friend bool operator==(const WaterfallState&, const WaterfallState&) = default;
};

struct BankruptcyPlan;
struct Planned;

class Engine {
 public:
  // No risk configuration: assets, accounts and transfers only; every fill is instrument_unknown.
  Engine() = default;
  // A venue with these risk parameters (asserted valid: check them with make() or
  // RiskConfig::validate() first). Governance events change the ones options.governance names;
  // circuit breakers scale the margin rates in force (risk_config()) from them.
  // With a portfolio venue (made against this same risk configuration), sub-accounts in mode
  // portfolio are margined by its scenario model; without one that mode is
  // portfolio_unsupported.
  explicit Engine(margin::RiskConfig risk, EngineOptions options = {},
                  std::optional<PortfolioVenue> portfolio = std::nullopt);
  // The same, with the parameters checked: an invalid_input error naming the first bad field.
  static Result<Engine> make(margin::RiskConfig risk, EngineOptions options = {},
                             std::optional<portfolio::PortfolioConfig> portfolio = std::nullopt);

  Status apply(const Event& event);

  const Ledger& ledger() const { return ledger_; }
  // The risk parameters in force: the governed ones with the circuit breakers' margin multipliers
  // applied (breakers.hpp); nullptr for an engine built without them.
  const margin::RiskConfig* risk_config() const { return has_risk_ ? &risk_ : nullptr; }
  // The risk parameters as configured and changed by governance, before the breakers' multipliers.
  const margin::RiskConfig& governed_risk_config() const { return governed_risk_; }
  // The circuit breakers' state (empty without breakers).
  const BreakerState& breakers() const { return breakers_; }
  // The governor: pending proposals and each parameter's history (value_at, history); nullptr on
  // a venue without governed parameters.
  const governance::Governor* governor() const { return governed_ ? &governed_->governor() : nullptr; }
  const EngineOptions& options() const { return options_; }
  // The portfolio-margin venue; nullptr when the venue offers no portfolio margin.
  const PortfolioVenue* portfolio() const { return portfolio_ ? &*portfolio_ : nullptr; }
  // A portfolio sub-account's figures at the engine's clock and prices, as the next event would
  // judge them; `matrix` (made with portfolio()->model()) keeps the report and attribution.
  // The sub-account must exist and be in mode portfolio (asserted).
  PortfolioOutcome portfolio_margin(SubAccountId sub_account, portfolio::RiskMatrix& matrix) const;
  const PriceState& prices() const { return prices_; }
  const std::vector<AssetFeed>& feeds() const { return feeds_; }
  const std::vector<MarketLife>& lives() const { return lives_; }
  const VenueTotals& totals() const { return totals_; }
  // The totals counted afresh from the ledger, O(state): what restore() builds, and what the
  // incremental totals() must always equal.
  VenueTotals recount_totals() const;
  TimestampNs clock_ns() const { return clock_ns_; }
  std::uint64_t applied_count() const { return applied_.size(); }

  // The liquidation episodes open now, by margin group (liquidation_rules.hpp).
  const std::map<GroupKey, LiquidationEpisode>& liquidation_episodes() const { return episodes_; }
  // Every liquidatable margin group at the engine's prices, most underwater first: by maintenance
  // collateral / requirement ascending, compared exactly by cross-multiplication (dYdX ranks by
  // NC/MMR), ties by key. O(state): every group is evaluated, a portfolio sub-account by its
  // scenarios (its maintenance collateral is its equity). Groups whose figures cannot be computed
  // (a price missing) are left out.
  std::vector<LiquidatableGroup> liquidatable_groups() const;
  // The largest fraction_ppm a liquidate_portfolio like `e` (its fraction ignored) would be
  // allowed now, at the engine's clock (portfolio_liquidation.hpp): the keeper's question.
  // nullopt when none is. The target must be a portfolio sub-account and the liquidator's
  // sub-account exist (asserted); the liquidator's own margin is not judged here.
  std::optional<std::uint32_t> portfolio_liquidation_allowance(const LiquidatePortfolio& e) const;
  // The bad debt resolved so far and the withdrawal gate (bankruptcy.hpp).
  const WaterfallState& waterfall() const { return waterfall_; }
  // The liquidity vault's shares and requests; nullptr when the venue has none. Its equity is
  // vault_equity().
  const lending::LiquidityVault* vault() const { return vault_ ? &*vault_ : nullptr; }
  // The vault's marked equity now: its sub-account's cash and positions at the engine's prices
  // (nullopt without a vault, or when a price it needs is missing).
  std::optional<Money> vault_equity() const;
  // Each lending pool's state, parallel to options().pools.
  const std::vector<PoolState>& pool_states() const { return pool_states_; }
  // What a resolve_bankruptcy event for this sub-account would do now, at the engine's clock: the
  // closes, the deficit and each bucket's amounts (its status is the event's answer when the
  // envelope and the sub-account are valid). For the server's log and the simulator, before they
  // apply the event. The sub-account must be a user sub-account (a portfolio one too: bankruptcy
  // reads only equity, which both calculators count alike), on a venue with a risk configuration
  // (asserted).
  BankruptcyPlan plan_bankruptcy(SubAccountId sub_account) const;

  // SHA-256 of snapshot(): covers the whole state in canonical order.
  Digest state_hash() const;
  // Canonical bytes of the whole state; restore() reads them back into a fresh engine.
  std::string snapshot() const;
  static Result<Engine> restore(std::string_view snapshot);

 private:
  // `planned`: what validation worked out that execution would work out again (engine.cpp's
  // Planned: a bankruptcy's plan, a liquidation's fills, an emergency settlement's closes), kept
  // for the execution that follows on the same state.
  Status validate(const Event& event, std::uint64_t fingerprint, Planned& planned) const;
  void execute(const EventBody& body, Planned& planned);

  static Result<Engine> restore_idempotency(ByteReader& in, Engine engine);
  static Result<Engine> restore_risk(ByteReader& in, Engine engine);
  static Result<Engine> restore_prices(ByteReader& in, Engine engine);
  static Result<Engine> restore_feeds(ByteReader& in, Engine engine);
  Outcome restore_life(ByteReader& in, std::size_t market);
  Outcome restore_portfolio(ByteReader& in);
  Outcome restore_episodes(ByteReader& in);
  Outcome restore_waterfall(ByteReader& in);
  Outcome restore_vault(ByteReader& in);
  Outcome restore_pools(ByteReader& in);
  Outcome restore_controls(ByteReader& in);
  void encode_controls(ByteWriter& out) const;
  // risk_ from governed_risk_ and the breakers' regimes.
  void derive_rules();
  void encode_feeds(ByteWriter& out) const;
  // Values every total into prices_.book (after a recount or a restore).
  void refresh_all_totals();

  Ledger ledger_;
  bool has_risk_ = false;
  margin::RiskConfig risk_;           // in force: what every margin decision reads
  margin::RiskConfig governed_risk_;  // before the breakers' multipliers; what governance changes
  EngineOptions options_;
  std::optional<PortfolioVenue> portfolio_;
  PriceState prices_;
  std::vector<AssetFeed> feeds_;
  std::vector<MarketLife> lives_;
  VenueTotals totals_;
  std::map<GroupKey, LiquidationEpisode> episodes_;
  WaterfallState waterfall_;
  std::optional<lending::LiquidityVault> vault_;
  std::vector<PoolState> pool_states_;
  BreakerState breakers_;
  std::optional<GovernedParameters> governed_;
  TimestampNs clock_ns_ = 0;
  // Idempotency id -> fingerprint of the event it was applied with, to tell a retry ("exists")
  // from a different event that reuses the id ("id_reused").
  std::unordered_map<EventId, std::uint64_t> applied_;
  // Reused buffer for the event's canonical bytes, so apply() does not allocate per event.
  ByteWriter scratch_;
};

}  // namespace ballast
