#pragma once
// Sub-account margin (issue 4, item 5): equity, initial and maintenance requirement, health,
// free collateral, maximum withdrawable and per-position liquidation price, for cross and
// isolated sub-accounts, and the pre-trade check.
//
// This is the reference calculator: one margin group at a time, written for clarity, used by
// `ballast margin`, by the pre-trade check, and as the oracle of the struct-of-arrays book's
// differential test. Every figure is exact fixed point with the rounding of the policy table
// (docs/ARCHITECTURE.md): collateral credited down, liabilities and requirements up.
//
// The model (what a sub-account's health is made of):
//   balances     each asset balance × price × weight: deposits at the asset weight (initial:
//                at min(oracle, stable) and the deposit-scaled initial weight; maintenance: at
//                the oracle and the maintenance weight), borrows likewise at the liability
//                weight and max(oracle, stable). Isolated-only assets count 0 in cross.
//   perps and    no cash moves at a fill; the position's unrealized PnL (value at the mark minus
//   futures      cost basis, minus a perpetual's pending funding) counts through the PnL policy
//                (positive: haircut and cap, negative in full); the requirement is the market's
//                rule on |exposure| × mark, plus the oracle-latency add-on.
//   options      the premium moves at the fill (it is in the quote balance); a long option counts
//                its value at the mark (rounded down), a short one counts nothing as
//                collateral and needs the short-option rule's requirement, which includes its
//                mark, capped per underlying and expiry at the legs' maximum loss.
//   spot         a spot instrument's holding is its asset balance (no position).
// health = collateral − requirement, per kind; cross sub-accounts of one owner form one margin
// group and share one health, an isolated sub-account is a group of its own.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ballast/core/fixed.hpp"
#include "ballast/core/ids.hpp"
#include "ballast/core/result.hpp"
#include "ballast/ledger/ledger.hpp"
#include "ballast/margin/requirement.hpp"
#include "ballast/market/instrument.hpp"
#include "ballast/market/oracle.hpp"
#include "ballast/market/position.hpp"
#include "ballast/market/reference_price.hpp"

namespace ballast::margin {

struct AssetRisk {
  AssetId id;
  std::string symbol;
  std::uint8_t decimals = 0;
  CollateralParams collateral;
  // How the engine aggregates and guards this asset's oracle, and how its stable price (the
  // initial-margin price) follows it. Unused for the quote asset, whose price is 1.
  market::OracleConfig oracle{};
  market::StablePriceConfig stable_price{};
};

// How a perpetual or future market's position enters health.
enum class PerpHealth : std::uint8_t {
  // Unrealized PnL through the venue's PnL policy, summed over the group; the requirement
  // apart (dYdX, Drift).
  pnl_less_requirement,
  // Mango v4 (health/cache.rs, PerpInfo: the base weighted, then the PnL in the settle token):
  // per kind, the position's net = unrealized PnL − requirement counts like a balance of the
  // settle asset. A negative net × the settle asset's liability weight (up), per position; the
  // group's positive nets through the PnL policy (weight down, then the cap: what the group's
  // other positive PnL left of it) × the settle asset's asset weight (down). The settle asset
  // must be the quote. The requirement stays in the figures' requirement (and is added back to
  // collateral), so that health is the weighted net and a group holding such positions still
  // has MMR > 0 for liquidatable().
  settle_weighted_net,
};

struct MarketRisk {
  market::Instrument instrument;
  RequirementRule rule = BaseRule{};  // perpetuals and futures
  ShortOptionRule option_rule;        // options
  // The oracle-latency add-on as a fraction of notional (latency_buffer_rate of the market's
  // buffer and volatility), recomputed when either changes; 0 for none.
  Ratio latency_rate;
  // Perpetuals and futures only; validate() refuses settle_weighted_net elsewhere.
  PerpHealth perp_health = PerpHealth::pnl_less_requirement;
};

// A venue's risk parameters: everything the calculator reads that governance changes.
struct RiskConfig {
  AssetId quote;                    // values are quote money (Money); its price is 1
  std::vector<AssetRisk> assets;    // sorted by id
  std::vector<MarketRisk> markets;  // sorted by instrument id
  PnlPolicy pnl;

  const AssetRisk* find_asset(AssetId id) const;
  const MarketRisk* find_market(InstrumentId id) const;
  // Ok, or an invalid_input error naming the asset or market and field.
  Outcome validate() const;
};

struct AssetPrice {
  AssetId asset;
  Price oracle;
  Price stable;             // the slow price initial margin uses (reference_price.hpp)
  Money total_deposits;     // venue-wide, for the deposit-scaled initial weight
  Money total_borrows;      // venue-wide, for the borrow-scaled initial weight
};

struct MarketPrice {
  InstrumentId instrument;
  Price mark;             // perp/future mark, option mark (per unit of the underlying)
  Money open_interest;    // notional, for the open-interest ramp
  // Perpetuals: the market's cumulative funding index now. A position owes
  // funding_payment(position, funding_index) until a fill or settlement books it (lazy).
  market::FundingIndex funding_index;
};

// The prices a calculation reads; both lists sorted by id. The quote asset needs no entry.
struct PriceBook {
  std::vector<AssetPrice> assets;
  std::vector<MarketPrice> markets;

  const AssetPrice* find_asset(AssetId id) const;
  const MarketPrice* find_market(InstrumentId id) const;
};

// The funding index a position settles against now: the market's for a perpetual; for any other
// instrument the position's own snapshot, so that it owes nothing.
market::FundingIndex settlement_index(const market::Instrument& instrument, const market::Position& position,
                                      const MarketPrice& price);

// funding_payment(position, settlement_index(...)): what the position owes now, > 0 the holder
// pays; nullopt on overflow.
std::optional<Money> pending_funding(const market::Instrument& instrument, const market::Position& position,
                                     const MarketPrice& price);

// What a perpetual or future's unrealized PnL is measured against: cost basis + pending funding
// (value − this is the PnL); nullopt on overflow. One function for evaluate() and the book.
std::optional<Money> charged_basis(const market::Instrument& instrument, const market::Position& position,
                                   const MarketPrice& price);

// The ledger's own position entry (fields instrument, position), so that a sub-account's
// positions go from the ledger to the calculator without conversion.
using HeldPosition = PositionEntry;

// One sub-account as the calculator sees it (balances from the ledger, positions from the
// position store).
struct SubAccountBook {
  SubAccountId id;
  AccountId owner;
  MarginMode mode = MarginMode::cross;
  std::vector<Balance> balances;        // sorted by asset, no zeros (the ledger's canonical form)
  std::vector<HeldPosition> positions;  // sorted by instrument, no flat positions
};

struct BalanceMargin {
  AssetId asset;
  Money value;                 // at the oracle price: credited down, borrows counted up
  Money initial_collateral;    // weighted, signed (a borrow is negative)
  Money maintenance_collateral;
};

struct PositionMargin {
  InstrumentId instrument;
  Quantity size;
  Money notional;            // |exposure| × mark
  Money value;               // signed, at the mark
  // Perpetuals: funding owed since the position's snapshot at the market's index now (> 0 the
  // holder pays; funding_payment, rounded against the holder). Settled lazily, at the next fill
  // or settlement, but charged to health now: lazy settlement must not hide a debt.
  Money pending_funding;
  Money unrealized_pnl;      // value − cost basis − pending funding (perps and futures; 0 for options)
  Money initial_collateral;  // what the position adds to collateral (credited PnL, long options)
  Money maintenance_collateral;
  Money initial_requirement;
  Money maintenance_requirement;
  // The mark at which the group's maintenance health reaches 0 when every price of the
  // underlying (its oracle and every linear mark on it) moves by the same amount, other
  // underlyings held; none when no such positive price exists. Solved exactly on the linear
  // piece the group is in now, rounded toward the mark (docs/ARCHITECTURE.md, Margin); options
  // on the underlying enter with their current value.
  std::optional<Price> liquidation_price;
};

struct SubAccountMargin {
  SubAccountId id;
  std::vector<BalanceMargin> balances;
  std::vector<PositionMargin> positions;
};

// A margin group's totals and what follows from them (the reference calculator and the
// struct-of-arrays book report the same figures).
struct MarginFigures {
  Money equity;  // balances at the oracle + unrealized PnL + option values, unweighted
  Money initial_collateral;
  Money maintenance_collateral;
  Money initial_requirement;
  Money maintenance_requirement;

  Money initial_health() const;
  Money maintenance_health() const;
  Money free_collateral() const;  // max(initial health, 0)
  // A group is liquidatable when its maintenance health is negative: dYdX's NC < MMR where it
  // holds positions, and Aave's health factor below 1 where it only borrows (no requirement, but
  // its weighted borrowings exceed its weighted collateral).
  bool liquidatable() const;
};

// a_num / a_den < b_num / b_den, exactly, for the orderings of groups by coverage (equity or
// collateral over the maintenance requirement; dens >= 0). A zero requirement (a group that only
// borrows) is +infinity for a positive numerator, -infinity for a negative one and 0 for zero, so
// that the order is total: the most underwater first, whatever their requirements.
bool coverage_less(std::int64_t a_num, std::int64_t a_den, std::int64_t b_num, std::int64_t b_den);

// The settle asset's base weights a settle_weighted_net market's net counts at: no size tiers
// and no bank scaling (the settle asset is the quote, whose venue totals the price book does
// not carry).
struct SettleWeights {
  Ratio initial_asset = kRatioOne;
  Ratio maintenance_asset = kRatioOne;
  Ratio initial_liability = kRatioOne;
  Ratio maintenance_liability = kRatioOne;

  Ratio asset(MarginKind kind) const { return kind == MarginKind::initial ? initial_asset : maintenance_asset; }
  Ratio liability(MarginKind kind) const {
    return kind == MarginKind::initial ? initial_liability : maintenance_liability;
  }
};

// The quote asset's (validate() requires settle_weighted_net markets to settle in it).
SettleWeights settle_weights(const RiskConfig& config);

// What a settle_weighted_net position adds to a kind's collateral besides its positive net:
// its requirement (added back: health = collateral − requirement must be the weighted net) plus,
// when net = upnl − requirement is negative, net × the liability weight rounded away from zero
// (a debt never counts for less); nullopt on overflow.
std::optional<Money> net_collateral(Money upnl, Money requirement, Ratio liability_weight);

// The group's positive settle_weighted_net nets per kind, before the policy: exact sums.
struct NetTotals {
  int128 initial_positive = 0;
  int128 maintenance_positive = 0;

  int128& positive(MarginKind kind) { return kind == MarginKind::initial ? initial_positive : maintenance_positive; }
  int128 positive(MarginKind kind) const {
    return kind == MarginKind::initial ? initial_positive : maintenance_positive;
  }
};

// A group's sums before the PnL policy, exact in 128 bits: what the reference calculator and
// the book both accumulate.
struct GroupTotals {
  int128 equity = 0;
  int128 initial_collateral = 0;  // balances and long options; PnL is added by figures_from
  int128 maintenance_collateral = 0;
  int128 initial_requirement = 0;
  int128 maintenance_requirement = 0;
  int128 positive_pnl = 0;  // perps and futures, before the PnL policy
  int128 negative_pnl = 0;
};

// The figures of a group from its totals: the PnL policy on the positive sum (0 if that sum
// leaves Money's range), the negative sum in full; the positive nets through the policy with
// what its cap has left, then the settle asset weight; each total narrowed once; nullopt when a
// total leaves Money's range.
std::optional<MarginFigures> figures_from(const GroupTotals& totals, const NetTotals& nets, const PnlPolicy& pnl,
                                          const SettleWeights& settle);

// What a kind's positive nets (>= 0) add to collateral when `cap_used` of the policy's cap is
// already taken by positive PnL: min(nets × weight down, cap − cap_used) × the settle asset
// weight, down.
Money credited_net(const PnlPolicy& pnl, MarginKind kind, Money positive_nets, Money cap_used,
                   const SettleWeights& settle);

struct GroupMargin : MarginFigures {
  std::vector<SubAccountMargin> sub_accounts;  // in the order given
};

enum class MarginStatus : std::uint8_t {
  ok,
  asset_unknown,       // a balance in an asset the risk configuration does not list
  instrument_unknown,  // a position in an instrument the configuration does not list
  price_missing,       // no price for an asset or market the group holds
  overflow,            // a value beyond the fixed-point range
};

const char* margin_status_name(MarginStatus status) noexcept;

struct MarginOutcome {
  MarginStatus status = MarginStatus::ok;
  std::string where;  // the asset or instrument, when status != ok
  GroupMargin margin;
};

// The margin of one group: cross sub-accounts of one owner, or one isolated sub-account.
MarginOutcome evaluate(const RiskConfig& config, const PriceBook& prices,
                       std::span<const SubAccountBook> group);

// How much of `asset` may leave the group's sub-account `from` keeping initial health >= 0,
// in the asset's smallest unit, rounded down: never more than the positive balance. Assumes the
// asset's current weight for what leaves (conservative: weights fall with size).
Amount max_withdrawable(const RiskConfig& config, const PriceBook& prices, const GroupMargin& margin,
                        const SubAccountBook& from, AssetId asset);

enum class PreTradeStatus : std::uint8_t {
  passes_initial,        // initial health stays >= 0 after the fill
  reduces_risk,          // the fill only shrinks a position (no flip): always allowed
  breaches_initial,      // rejected: initial health would be negative
  invalid,               // the fill or its instrument is unusable (see margin status)
};

struct PreTrade {
  PreTradeStatus status = PreTradeStatus::invalid;
  Money initial_health_before;
  Money initial_health_after;
  MarginStatus margin_status = MarginStatus::ok;
};

bool pre_trade_allows(PreTradeStatus status);

// A position or holding (raw fixed point) that only shrinks: toward zero on the same side, or to
// zero exactly; a flip through zero is not a reduction. The one rule for reduces_risk here and
// for the oracle policy's reduce_risk action in the engine.
bool shrinks(int128 before, int128 after);

// `delta` of `asset` added to the sub-account's balance, kept canonical (sorted by asset, no
// zeros). The caller has checked that the sum fits.
void add_to_balance(SubAccountBook& sub, AssetId asset, std::int64_t delta);

// The sub-account after `fill` (fill.sub_account is sub.id): the accounting pre_trade_check
// judges and the engine books, each amount rounded against the holder. nullopt when the market
// is not configured or has no price, or a value leaves its range.
std::optional<SubAccountBook> book_after_fill(const RiskConfig& config, const PriceBook& prices, SubAccountBook sub,
                                              const market::Fill& fill);

// Would this fill (on the group's sub-account fill.sub_account) keep the group's initial health
// >= 0, or does it only reduce risk? The fill is assumed already checked by market::check_fill.
PreTrade pre_trade_check(const RiskConfig& config, const PriceBook& prices,
                         std::span<const SubAccountBook> group, const market::Fill& fill);

}  // namespace ballast::margin
