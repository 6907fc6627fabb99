#include "ballast/engine/engine.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <vector>

#include "ballast/engine/backstop.hpp"
#include "ballast/engine/bankruptcy.hpp"
#include "ballast/engine/borrow_liquidation.hpp"
#include "ballast/engine/codec.hpp"
#include "ballast/engine/engine_parts.hpp"
#include "ballast/engine/portfolio_liquidation.hpp"
#include "ballast/engine/risk_codec.hpp"

namespace ballast {
namespace {

using namespace detail;  // the engine's own building blocks (engine_parts.hpp)

constexpr std::uint32_t kSnapshotMagic = 0x54534c42;  // "BLST" little-endian
// 2: the risk configuration, the engine options (and, later in the same version, prices and
// positions) joined the state. 3: the oracle feeds (validity, reference, stable-price model)
// and the markets' funding and settlement state. Older snapshots are not read: their bytes
// re-encode differently, so their recorded hash could not be verified anyway. 4: the
// portfolio-margin model (a flag, then its configuration) after the oracle policy, and sub-accounts
// in mode portfolio. 5: the liquidation rules after the oracle policy, the open liquidation
// episodes at the end. 6: the waterfall's rules, each episode's insurance use in its window, and
// the waterfall state (the withdrawal gate, the loss totals) after the episodes; then a flag and
// the liquidity vault's state (its parameters included). 7: the lending pools (their parameters,
// then each one's state) after the vault. 8: the governed risk configuration in place of the
// one in force (the breakers' multipliers are derived on restore), the liquidation rules' dYdX
// fields (bankruptcy adjustment, spread to maintenance, target fee), then after the pools a flag
// with the circuit breakers' options and state, and a flag with the governor's state. 9: the
// bad-debt account (kBadDebt) exists on every venue with a risk configuration, and the unresolved
// part of a bankruptcy is written off into it instead of staying on the group (where it paid
// interest): an older snapshot's groups may still carry such debt.
constexpr std::uint32_t kSnapshotVersion = 9;

// The vault library's rejections as engine statuses (beside portfolio_margin.hpp's for margin).
using ballast::status_of;
Status status_of(lending::VaultStatus status) {
  switch (status) {
    case lending::VaultStatus::ok: return Status::ok;
    case lending::VaultStatus::time_regressed: return Status::timestamp_regressed;
    case lending::VaultStatus::amount_invalid: return Status::amount_zero;
    case lending::VaultStatus::below_min_deposit:
    case lending::VaultStatus::no_shares_minted: return Status::vault_deposit_too_small;
    case lending::VaultStatus::withdrawals_gated: return Status::withdrawals_gated;
    case lending::VaultStatus::no_pending_withdrawal: return Status::vault_no_request;
    case lending::VaultStatus::withdrawal_pending: return Status::vault_request_pending;
    case lending::VaultStatus::insufficient_shares: return Status::insufficient_balance;
    case lending::VaultStatus::too_many_pending: return Status::vault_queue_full;
    case lending::VaultStatus::cooldown_pending: return Status::vault_cooldown;
    case lending::VaultStatus::equity_negative:
    case lending::VaultStatus::equity_exhausted: return Status::vault_equity_negative;
    case lending::VaultStatus::overflow: return Status::balance_overflow;
  }
  return Status::balance_overflow;
}

// The vault's marked equity: its sub-account's cash and positions at the engine's prices.
margin::MarginOutcome vault_margin(const Ledger& ledger, const margin::RiskConfig& risk, const PriceState& prices) {
  return margin::evaluate(risk, prices.book, group_books(ledger, risk, *ledger.find_sub_account(kVaultSub)));
}

// Quote units as Money, rounded down (a deposit counts for at most what it brings).
std::optional<Money> quote_money(const margin::RiskConfig& risk, Amount units) {
  return from_units<Money>(units.raw(), risk.find_asset(risk.quote)->decimals, Round::down);
}

Status amount_shape(Amount amount) {
  if (amount.is_zero()) return Status::amount_zero;
  if (amount.is_negative()) return Status::amount_negative;
  return Status::ok;
}

// The accrual an accrue_funding event makes: the premium from the prices now (mark vs the
// underlying's oracle, or the event's impact prices), the clamped rate, the index step since the
// last accrual. The first accrual only starts the clock. nullopt when a value leaves its range.
// The prices are there: the event's price gate has passed.
std::optional<market::FundingAccrual> next_funding(const margin::MarketRisk& market,
                                                   const MarketLife& life,
                                                   const PriceState& prices,
                                                   const AccrueFunding& e, TimestampNs now_ns) {
  const market::Instrument& perpetual = market.instrument;
  if (life.funding.updated_ns == 0) return market::FundingAccrual{life.funding.index, now_ns};
  const Price mark = prices.book.find_market(perpetual.id)->mark;
  const Price index = prices.book.find_asset(perpetual.underlying)->oracle;
  const auto premium =
      market::premium(perpetual.funding, {mark, index, e.impact_bid, e.impact_ask});
  if (!premium) return std::nullopt;
  return market::accrue_funding(life.funding, perpetual,
                                market::funding_rate(*premium, perpetual.funding), index, now_ns);
}

// What settling a dated instrument at `price` does: every holder's cash flow (settle_at_expiry,
// floored for the holder: a writer or losing side pays the ceiling) against the clearing account,
// in holder id order. ok = false when a value leaves its range.
struct SettlementPlan {
  bool ok = false;
  std::vector<Posting> postings;
  std::vector<SubAccountId> holders;
};

SettlementPlan plan_settlement(const Ledger& ledger, const margin::RiskConfig& risk,
                               const market::Instrument& instrument, Price price) {
  SettlementPlan plan;
  const std::uint8_t decimals = risk.find_asset(risk.quote)->decimals;
  for (const SubAccountId holder : ledger.holders_of(instrument.id)) {
    const auto settled = market::settle_at_expiry(*ledger.position(holder, instrument.id), instrument, price);
    const auto units =
        settled ? to_units(settled->cash_flow, decimals, Round::down) : std::nullopt;
    if (!add_pair(plan.postings, holder, SubAccountId{kClearing.value}, risk.quote, units)) {
      return plan;
    }
    plan.holders.push_back(holder);
  }
  plan.ok = true;
  return plan;
}


// The two sides of a liquidate event and the notional it counts against the caps: the target
// closes `size` of its position at the event's price (no fee), the liquidator takes the other
// side and pays the protocol's share of its discount to the mark. A function of the event, the
// position's side and the mark only, so execution rebuilds it without judging the group again.
struct LiquidationFills {
  Fill target;
  Fill liquidator;
  Money notional;  // the closed exposure at the mark (rounded up)
};

// dYdX's liquidation fee on the target (LiquidationRules::target_fee_rate): the fund's delta on the
// proceeds |closed × price|, with the surplus over bankruptcy the group's equity after the close
// (the price band keeps it >= 0, so the fee never creates bad debt). nullopt on overflow.
std::optional<Money> target_fee(const LiquidationRules& rules, Quantity closed_signed, Price price, Price mark,
                                Money equity_before) {
  if (rules.target_fee_rate.is_zero()) return Money{};
  const auto proceeds = mul<Money>(Quantity::from_raw(magnitude(closed_signed.raw())), price, Round::down);
  const auto pnl = mul<Money>(closed_signed, Price::from_raw(price.raw() - mark.raw()), Round::down);
  const auto after = pnl ? checked_add(equity_before, *pnl) : std::nullopt;
  const auto bankruptcy_quote = proceeds && after ? checked_sub(*proceeds, *after) : std::nullopt;
  const auto delta = bankruptcy_quote ? liquidation::dydx_insurance_fund_delta(*proceeds, *bankruptcy_quote,
                                                                               rules.target_fee_rate)
                                      : std::nullopt;
  if (!delta) return std::nullopt;
  return std::max(*delta, Money{});
}

// The two sides of a liquidate event; `equity_before` is the target group's equity at the mark
// (read only for the target's fee).
std::optional<LiquidationFills> liquidation_fills(const Ledger& ledger, const PriceState& prices,
                                                  const LiquidationRules& rules, const market::Instrument& instrument,
                                                  const Liquidate& e, Money equity_before) {
  const SubAccount& target = *ledger.find_sub_account(e.target);
  const bool is_long = ledger.position(e.target, e.instrument)->size.raw() > 0;
  const auto closed = market::exposure_of(e.size, instrument.contract_size);
  if (!closed) return std::nullopt;
  const Price mark = prices.book.find_market(e.instrument)->mark;
  const auto notional = mul<Money>(*closed, mark, Round::up);
  const auto discount = mul<Money>(*closed, Price::from_raw(magnitude(mark.raw() - e.price.raw())), Round::up);
  const auto protocol_fee = discount ? mul<Money>(*discount, rules.auction.protocol_share, Round::up) : std::nullopt;
  const auto fee = target_fee(rules, is_long ? *closed : Quantity::from_raw(-closed->raw()), e.price, mark,
                              equity_before);
  if (!notional || !protocol_fee || !fee) return std::nullopt;
  const Quantity taken = is_long ? e.size : Quantity::from_raw(-e.size.raw());
  return LiquidationFills{
      Fill{target.owner, e.target, e.instrument, Quantity::from_raw(-taken.raw()), e.price, *fee},
      Fill{e.liquidator, e.liquidator_sub_account, e.instrument, taken, e.price, *protocol_fee}, *notional};
}

// The maintenance requirement the position releases per unit of the underlying closed: its
// requirement over its exposure, rounded down (Money(6) / Quantity(9) -> Price(9): × 10^12).
// The average, not the margin: for a rule convex in size (√size, tiers) the last units release
// more than the average, so the size it gives restores at least the target.
Price release_per_unit(const margin::GroupMargin& figures, SubAccountId holder, InstrumentId instrument,
                       Quantity exposure) {
  for (const margin::SubAccountMargin& member : figures.sub_accounts) {
    if (member.id != holder) continue;
    for (const margin::PositionMargin& position : member.positions) {
      if (position.instrument != instrument) continue;
      const int128 scaled = static_cast<int128>(position.maintenance_requirement.raw()) * 1'000'000'000'000;
      return Price::from_raw(static_cast<std::int64_t>(scaled / magnitude(exposure.raw())));
    }
  }
  return Price{};
}

// How much of the position the rules let one event close, as exposure (units of the underlying).
// When closing at the auction's discount costs at least the requirement it releases (or it
// releases none), no partial close restores health: the whole position may go, within the caps
// (each cap over the mark, rounded down to whole lots: a cap is never exceeded).
std::optional<Quantity> allowed_close(const LiquidationRules& rules, const margin::GroupMargin& figures,
                                      Quantity exposure, Quantity lot, Price mark, Price release, Price cost,
                                      Money account_cap) {
  const auto buffer = liquidation::maintenance_buffer(figures.maintenance_requirement, rules.buffer_ratio);
  if (!buffer) return std::nullopt;
  const liquidation::SizingRequest request{{figures.maintenance_collateral, figures.maintenance_requirement},
                                           *buffer, exposure, lot, mark, release, cost, account_cap,
                                           rules.event_cap_notional};
  const liquidation::Sizing sizing = liquidation::size_liquidation(rules.sizing, request);
  if (sizing.status == liquidation::SizingStatus::ok) return sizing.close;
  if (sizing.status != liquidation::SizingStatus::cannot_restore && release.raw() > 0) return std::nullopt;
  const auto cap_units = div<Quantity>(std::min(account_cap, rules.event_cap_notional), mark, Round::down);
  if (!cap_units) return std::nullopt;
  const std::int64_t whole_lots = cap_units->raw() - cap_units->raw() % lot.raw();
  return Quantity::from_raw(std::min(magnitude(exposure.raw()), whole_lots));
}

// Where a close of `closed_signed` (exposure; > 0 closes a long) may be priced, and what its
// discount costs per unit of the underlying (the sizing's cost): the auction's bonus from the
// mark, or with spread_to_maintenance > 0 dYdX's fillable price, whose discount per unit is
// ABR × SMMR × the requirement a unit releases; both never past the bankruptcy price.
struct ClosePricing {
  liquidation::BandOutcome band;
  Price cost;
};

std::optional<ClosePricing> close_pricing(const LiquidationRules& rules, const margin::GroupMargin& figures,
                                          Quantity closed_signed, Price mark, Price release, Ratio bonus) {
  const Price bankruptcy = liquidation::bankruptcy_price(figures.equity, closed_signed, mark);
  const bool dydx = rules.spread_to_maintenance.raw() > 0 && figures.maintenance_requirement.raw() > 0;
  liquidation::BandOutcome band =
      liquidation::liquidation_price_band(closed_signed, mark, dydx ? Ratio{} : bonus, bankruptcy);
  if (!dydx) {
    const auto cost = mul<Price>(mark, bonus, Round::up);
    return cost ? std::optional<ClosePricing>(ClosePricing{band, *cost}) : std::nullopt;
  }
  if (band.status != liquidation::BandStatus::ok && band.status != liquidation::BandStatus::empty) {
    return ClosePricing{band, Price{}};
  }
  const auto position_net = mul<Money>(closed_signed, mark, Round::down);
  const auto position_maintenance =
      mul<Money>(Quantity::from_raw(magnitude(closed_signed.raw())), release, Round::up);
  const auto fillable = position_net && position_maintenance
                            ? liquidation::dydx_fillable_price({*position_net, *position_maintenance,
                                                                figures.maintenance_collateral,
                                                                figures.maintenance_requirement, closed_signed,
                                                                rules.bankruptcy_adjustment,
                                                                rules.spread_to_maintenance})
                            : std::nullopt;
  if (!fillable) return std::nullopt;
  const bool is_long = closed_signed.raw() > 0;
  band.band = is_long ? liquidation::PriceBand{std::max(*fillable, bankruptcy), mark}
                      : liquidation::PriceBand{mark, std::min(*fillable, bankruptcy)};
  band.status = band.band.low <= band.band.high ? liquidation::BandStatus::ok : liquidation::BandStatus::empty;
  return ClosePricing{band, Price::from_raw(magnitude(mark.raw() - fillable->raw()))};
}

// The target's side of a liquidate event: ok, or the first liquidation rule it breaks in Status
// precedence order (the liquidator's own margin is the fill check's). `group` is the target's
// margin group; `equity` receives its equity at the mark once it has been evaluated.
Status judge_liquidation(const Ledger& ledger, const margin::RiskConfig& risk, const PriceState& prices,
                         const LiquidationRules& rules, const std::optional<LiquidationEpisode>& episode,
                         const std::vector<margin::SubAccountBook>& group, const market::Instrument& instrument,
                         const Liquidate& e, TimestampNs now_ns, Money& equity) {
  const margin::MarginOutcome outcome = margin::evaluate(risk, prices.book, group);
  if (const Status s = status_of(outcome.status); s != Status::ok) return s;
  const margin::GroupMargin& figures = outcome.margin;
  equity = figures.equity;
  if (!figures.liquidatable()) return Status::account_healthy;
  const Quantity held = ledger.position(e.target, e.instrument)->size;
  const auto exposure = market::exposure_of(held, instrument.contract_size);
  const auto lot = market::exposure_of(instrument.lot, instrument.contract_size);
  const auto closed = market::exposure_of(e.size, instrument.contract_size);
  if (!exposure || !lot || !closed) return Status::balance_overflow;
  const Quantity closed_signed = held.raw() > 0 ? *closed : Quantity::from_raw(-closed->raw());
  const Price mark = prices.book.find_market(e.instrument)->mark;
  const liquidation::AuctionQuote bonus =
      liquidation::auction_bonus(rules.auction, episode ? episode->started_ns : now_ns, now_ns);
  const Price release = release_per_unit(figures, e.target, e.instrument, *exposure);
  const auto pricing = close_pricing(rules, figures, closed_signed, mark, release, bonus.bonus);
  if (!pricing) return Status::balance_overflow;
  if (pricing->band.status == liquidation::BandStatus::empty) return Status::account_bankrupt;
  if (pricing->band.status != liquidation::BandStatus::ok) return Status::balance_overflow;
  const auto allowed = allowed_close(rules, figures, *exposure, *lot, mark, release, pricing->cost,
                                     account_cap_remaining(rules, episode, now_ns));
  if (!allowed) return Status::balance_overflow;
  if (e.size.raw() > magnitude(held.raw()) || closed->raw() > allowed->raw()) return Status::liquidation_too_large;
  if (!liquidation::price_in_band(pricing->band.band, e.price)) return Status::liquidation_price_out_of_band;
  return Status::ok;
}

// What the prices an action reads are worth: nullopt when one was never set, else the most
// severe validity among them (OracleValidity's declaration order is its severity): an oracle
// reading's own, and stale for any price set longer than price_max_age_ns ago.
using Trust = std::optional<market::OracleValidity>;

Trust worse(Trust a, Trust b) {
  if (!a || !b) return std::nullopt;
  return std::min(*a, *b);
}

// Who a fill in fill_margin is: a trader (its fee to the fee pool, open interest capped) or a
// liquidator taking a position over (the protocol's share of its discount to the insurance fund).
enum class FillSide : std::uint8_t { trader, liquidator };

// The emergency settlement's closes: every holder's position in the market, at the settlement
// price (an option at its intrinsic value there), without fee, in holder id order.
std::vector<Fill> emergency_closes(const Ledger& ledger, const margin::MarketRisk& market, Price settlement) {
  const market::Instrument& instrument = market.instrument;
  const Price close_price = instrument.kind == market::InstrumentKind::option
                                ? market::option_intrinsic(instrument, settlement)
                                : settlement;
  std::vector<Fill> closes;
  for (const SubAccountId holder : ledger.holders_of(instrument.id)) {
    const Quantity size = ledger.position(holder, instrument.id)->size;
    closes.push_back(Fill{ledger.find_sub_account(holder)->owner, holder, instrument.id,
                          Quantity::from_raw(-size.raw()), close_price, Money{}});
  }
  return closes;
}

}  // namespace

// What a validation worked out that its execution, on the same state, would only work out again
// (Engine::apply keeps it between the two): each is a function of the state and the event.
struct Planned {
  std::optional<BankruptcyPlan> bankruptcy;     // resolve_bankruptcy: a plan reads every ADL candidate
  std::optional<LiquidationFills> liquidation;  // liquidate: the target's fee reads its group's equity
  std::vector<Fill> emergency_closes;           // emergency_settle: one close per holder
  std::optional<PortfolioLiquidationPlan> portfolio_liquidation;  // liquidate_portfolio: the evaluations
};

namespace {

// The checks for one event kind, each written in Status precedence order.
class Validator {
 public:
  Validator(const Ledger& ledger, const margin::RiskConfig* risk, const PortfolioVenue* portfolio,
            const PriceState& prices, const std::vector<AssetFeed>& feeds,
            const std::vector<MarketLife>& lives, const VenueTotals& totals,
            const std::map<GroupKey, LiquidationEpisode>& episodes, const WaterfallState& waterfall,
            const std::optional<lending::LiquidityVault>& vault, const std::vector<PoolState>& pool_states,
            const BreakerState& breakers, const GovernedParameters* governed, const margin::RiskConfig& governed_risk,
            const EngineOptions& options, TimestampNs now_ns)
      : ledger_(ledger),
        risk_(risk),
        portfolio_(portfolio),
        prices_(prices),
        feeds_(feeds),
        lives_(lives),
        totals_(totals),
        episodes_(episodes),
        waterfall_(waterfall),
        vault_(vault),
        pool_states_(pool_states),
        breakers_(breakers),
        governed_(governed),
        governed_risk_(governed_risk),
        options_(options),
        now_ns_(now_ns) {}

  Status operator()(const ListAsset& e) const {
    if (!asset_symbol_valid(e.symbol)) return Status::symbol_invalid;
    if (e.decimals > kMaxDecimals) return Status::decimals_invalid;
    // The margin calculator reads amounts at the risk configuration's decimals.
    if (const margin::AssetRisk* configured = risk_ ? risk_->find_asset(e.asset) : nullptr;
        configured != nullptr && configured->decimals != e.decimals) {
      return Status::decimals_invalid;
    }
    if (!asset_flags_known(e.flags)) return Status::flags_invalid;
    if (ledger_.find_asset(e.asset) != nullptr) return Status::asset_exists;
    if (ledger_.symbol_listed(e.symbol)) return Status::symbol_exists;
    return Status::ok;
  }
  Status operator()(const SetAssetFlags& e) const {
    if (!asset_flags_known(e.flags)) return Status::flags_invalid;
    return ledger_.find_asset(e.asset) == nullptr ? Status::asset_unknown : Status::ok;
  }
  Status operator()(const CreateAccount& e) const {
    if (e.account.value < kFirstUserId) return Status::account_id_reserved;
    if (ledger_.has_account(e.account)) return Status::account_exists;
    return Status::ok;
  }
  Status operator()(const CreateSubAccount& e) const {
    if (e.mode > MarginMode::portfolio) return Status::mode_invalid;
    if (e.sub_account.value < kFirstUserId) return Status::account_id_reserved;
    if (!ledger_.has_account(e.account)) return Status::account_unknown;
    if (ledger_.find_sub_account(e.sub_account) != nullptr) return Status::sub_account_exists;
    if (e.mode == MarginMode::portfolio && portfolio_ == nullptr) return Status::portfolio_unsupported;
    return Status::ok;
  }
  Status operator()(const Deposit& e) const {
    const Asset* asset = nullptr;
    if (const Status s = owned_move(e.account, e.sub_account, e.asset, e.amount, asset);
        s != Status::ok) {
      return s;
    }
    if ((asset->flags & kAssetDeposits) == 0) return Status::deposits_disabled;
    if (!portfolio_holds(*ledger_.find_sub_account(e.sub_account), e.asset)) {
      return Status::portfolio_unsupported;
    }
    if (const AssetPool* pool = user_pool(e.sub_account, e.asset)) {
      if (const Status s = judge_supply(*pool, totals_.deposit_units[asset_slot(*risk_, e.asset)],
                                        ledger_.balance(e.sub_account, e.asset), e.amount);
          s != Status::ok) {
        return s;
      }
    }
    if (!ledger_.deposit_fits(e.sub_account, e.asset, e.amount)) return Status::balance_overflow;
    return Status::ok;
  }
  Status operator()(const Withdraw& e) const {
    const Asset* asset = nullptr;
    if (const Status s = owned_move(e.account, e.sub_account, e.asset, e.amount, asset);
        s != Status::ok) {
      return s;
    }
    if ((asset->flags & kAssetWithdrawals) == 0) return Status::withdrawals_disabled;
    if (withdrawals_gated_now()) return Status::withdrawals_gated;
    const SubAccount& from = *ledger_.find_sub_account(e.sub_account);
    if (const Status s = margin_prices(from); s != Status::ok) return s;
    if (e.amount > ledger_.free_balance(e.sub_account, e.asset)) {
      return Status::insufficient_balance;
    }
    if (!ledger_.withdraw_fits(e.sub_account, e.asset, e.amount)) return Status::balance_overflow;
    return margin_after_move(from, e.asset, e.amount, nullptr);
  }
  Status operator()(const Borrow& e) const {
    const Asset* asset = nullptr;
    if (const Status s = owned_move(e.account, e.sub_account, e.asset, e.amount, asset); s != Status::ok) {
      return s;
    }
    const AssetPool* pool = user_pool(e.sub_account, e.asset);
    if (pool == nullptr) return Status::pool_missing;
    if ((asset->flags & kAssetWithdrawals) == 0) return Status::withdrawals_disabled;
    if (withdrawals_gated_now()) return Status::withdrawals_gated;
    const SubAccount& from = *ledger_.find_sub_account(e.sub_account);
    if (!portfolio_holds(from, e.asset)) return Status::portfolio_unsupported;
    // The borrowed asset's price counts even when the group does not hold it yet.
    const Trust trust = worse(prices_trust(group_of(from), nullptr),
                              e.asset == risk_->quote ? Trust{market::OracleValidity::valid} : asset_trust(e.asset));
    if (const Status s = price_gate(trust, market::OracleAction::withdraw); s != Status::ok) return s;
    const std::size_t i = asset_slot(*risk_, e.asset);
    if (const Status s = judge_borrow(*pool, {totals_.deposit_units[i], totals_.borrow_units[i],
                                              written_off_units(ledger_, e.asset)},
                                      ledger_.balance(e.sub_account, e.asset), e.amount);
        s != Status::ok) {
      return s;
    }
    if (!ledger_.withdraw_fits(e.sub_account, e.asset, e.amount)) return Status::balance_overflow;
    return margin_after_move(from, e.asset, e.amount, nullptr);
  }
  Status operator()(const AccrueInterest& e) const {
    if (risk_ == nullptr || risk_->find_asset(e.asset) == nullptr) return Status::asset_unknown;
    const AssetPool* pool = find_pool(options_.pools, e.asset);
    if (pool == nullptr) return Status::pool_missing;
    const InterestPlan plan =
        plan_interest(ledger_, *pool, pool_states_[pool_slot(options_.pools, e.asset)], now_ns_);
    if (plan.status != Status::ok) return plan.status;
    return ledger_.postings_fit(plan.postings) ? Status::ok : Status::balance_overflow;
  }
  Status operator()(const Transfer& e) const {
    if (const Status s = amount_shape(e.amount); s != Status::ok) return s;
    if (e.from == e.to) return Status::same_sub_account;
    const Asset* asset = nullptr;
    if (const Status s = owned_move(e.account, e.from, e.asset, e.amount, asset); s != Status::ok) {
      return s;
    }
    const SubAccount* to = ledger_.find_sub_account(e.to);
    if (to == nullptr) return Status::to_sub_account_unknown;
    if (to->owner != e.account) return Status::to_sub_account_foreign;
    if ((asset->flags & kAssetTransfers) == 0) return Status::transfers_disabled;
    if (!portfolio_holds(*to, e.asset)) return Status::portfolio_unsupported;
    const SubAccount& from = *ledger_.find_sub_account(e.from);
    if (const Status s = margin_prices(from); s != Status::ok) return s;
    if (e.amount > ledger_.free_balance(e.from, e.asset)) return Status::insufficient_balance;
    if (!ledger_.transfer_fits(e.to, e.asset, e.amount)) return Status::balance_overflow;
    return margin_after_move(from, e.asset, e.amount, to);
  }
  Status operator()(const OraclePrice& e) const {
    if (e.price.raw() <= 0 || e.stable_price.raw() <= 0) return Status::price_invalid;
    if (risk_ == nullptr || risk_->find_asset(e.asset) == nullptr) return Status::asset_unknown;
    return Status::ok;
  }
  Status operator()(const MarkPrice& e) const {
    if (e.mark.is_negative()) return Status::price_invalid;
    const margin::MarketRisk* market = find_market(e.instrument);
    if (market == nullptr) return Status::instrument_unknown;
    // Judged once the instrument is known: only an option may be worth nothing.
    if (e.mark.is_zero() && market->instrument.kind != market::InstrumentKind::option) {
      return Status::price_invalid;
    }
    return Status::ok;
  }
  Status operator()(const Fill& e) const {
    if (e.account.value < kFirstUserId) return Status::account_id_reserved;
    if (e.size.is_zero()) return Status::fill_size_zero;
    if (e.price.raw() <= 0) return Status::fill_price_invalid;
    if (e.fee.is_negative()) return Status::fee_negative;
    const margin::MarketRisk* market = find_market(e.instrument);
    if (market == nullptr) return Status::instrument_unknown;
    const market::Instrument& instrument = market->instrument;
    const bool spot = instrument.kind == market::InstrumentKind::spot;
    if (ledger_.find_asset(risk_->quote) == nullptr ||
        (spot && ledger_.find_asset(instrument.underlying) == nullptr)) {
      return Status::asset_unknown;  // the balances the fill moves are not listed yet
    }
    if (!ledger_.has_account(e.account)) return Status::account_unknown;
    const SubAccount* sub_account = ledger_.find_sub_account(e.sub_account);
    if (sub_account == nullptr) return Status::sub_account_unknown;
    if (sub_account->owner != e.account) return Status::sub_account_foreign;
    if (!instrument.size_on_lot(e.size)) return Status::fill_size_off_lot;
    if (!instrument.price_on_tick(e.price)) return Status::fill_price_off_tick;
    if (instrument.is_expired(now_ns_)) return Status::instrument_expired;
    if (lives_[market_slot(*risk_, e.instrument)].settled_at) return Status::instrument_settled;
    const bool portfolio = sub_account->mode == MarginMode::portfolio;
    if (portfolio && !portfolio_->trades(instrument)) return Status::portfolio_unsupported;
    return fill_margin(*sub_account, *market, e, FillSide::trader);
  }
  Status operator()(const Liquidate& e) const {
    if (e.liquidator.value < kFirstUserId) return Status::account_id_reserved;
    if (e.size.is_negative()) return Status::amount_negative;
    if (e.size.is_zero()) return Status::fill_size_zero;
    if (e.price.raw() <= 0) return Status::fill_price_invalid;
    const margin::MarketRisk* market = find_market(e.instrument);
    if (market == nullptr) return Status::instrument_unknown;
    const market::Instrument& instrument = market->instrument;
    if (ledger_.find_asset(risk_->quote) == nullptr) return Status::asset_unknown;
    const SubAccount* mine = nullptr;
    const SubAccount* target = nullptr;
    if (const Status s = liquidation_parties(e.liquidator, e.liquidator_sub_account, e.target, mine, target);
        s != Status::ok) {
      return s;
    }
    if (ledger_.position(e.target, e.instrument) == nullptr) return Status::position_missing;
    if (!instrument.size_on_lot(e.size)) return Status::fill_size_off_lot;
    if (!instrument.price_on_tick(e.price)) return Status::fill_price_off_tick;
    if (instrument.is_expired(now_ns_)) return Status::instrument_expired;
    // A portfolio sub-account is margined by scenarios, which release no requirement per unit of
    // one position: it is liquidated by slices of everything it holds (liquidate_portfolio).
    if (target->mode == MarginMode::portfolio || mine->mode == MarginMode::portfolio) {
      return Status::portfolio_unsupported;
    }
    const std::vector<margin::SubAccountBook> group = group_of(*target);
    if (const Status s = price_gate(prices_trust(group, market), market::OracleAction::liquidate); s != Status::ok) {
      return s;
    }
    Money equity;
    if (const Status s = judge_liquidation(ledger_, *risk_, prices_, options_.liquidation,
                                           episode_of(episodes_, group_key(*target)), group, instrument, e, now_ns_,
                                           equity);
        s != Status::ok) {
      return s;
    }
    const auto fills = liquidation_fills(ledger_, prices_, options_.liquidation, instrument, e, equity);
    if (!fills) return Status::balance_overflow;
    const FillPlan target_plan = plan_fill(ledger_, *risk_, prices_, *market, fills->target, kInsuranceFund);
    if (!target_plan.ok || !ledger_.postings_fit(target_plan.postings)) return Status::balance_overflow;
    const Status status = fill_margin(*mine, *market, fills->liquidator, FillSide::liquidator);
    if (status == Status::ok) planned->liquidation = *fills;
    return status;
  }
  Status operator()(const LiquidateBorrow& e) const {
    if (e.liquidator.value < kFirstUserId) return Status::account_id_reserved;
    if (const Status s = amount_shape(e.repay); s != Status::ok) return s;
    if (const Status s = amount_shape(e.seize); s != Status::ok) return s;
    for (const AssetId asset : {e.debt_asset, e.collateral_asset}) {
      if (risk_ == nullptr || risk_->find_asset(asset) == nullptr || ledger_.find_asset(asset) == nullptr) {
        return Status::asset_unknown;
      }
    }
    const SubAccount* mine = nullptr;
    const SubAccount* target = nullptr;
    if (const Status s = liquidation_parties(e.liquidator, e.liquidator_sub_account, e.target, mine, target);
        s != Status::ok) {
      return s;
    }
    if (!ledger_.balance(e.target, e.debt_asset).is_negative() || ledger_.balance(e.target, e.collateral_asset).raw() <= 0) {
      return Status::position_missing;
    }
    if (target->mode == MarginMode::portfolio || mine->mode == MarginMode::portfolio) {
      return Status::portfolio_unsupported;
    }
    const std::vector<margin::SubAccountBook> group = group_of(*target);
    const Trust trust = worse(prices_trust(group, nullptr), prices_trust(group_of(*mine), nullptr));
    if (const Status s = price_gate(trust, market::OracleAction::liquidate); s != Status::ok) return s;
    const BorrowLiquidationPlan plan = plan_borrow_liquidation(
        ledger_, *risk_, prices_, options_.liquidation, episode_of(episodes_, group_key(*target)), group, e, now_ns_);
    if (plan.status != Status::ok) return plan.status;
    if (e.repay > ledger_.free_balance(e.liquidator_sub_account, e.debt_asset)) return Status::insufficient_balance;
    if (!ledger_.postings_fit(plan.postings)) return Status::balance_overflow;
    return margin_after_postings(*mine, plan.postings);
  }
  Status operator()(const CoverBadDebt& e) const {
    if (const Status s = amount_shape(e.amount); s != Status::ok) return s;
    if (risk_ == nullptr || risk_->find_asset(e.asset) == nullptr || ledger_.find_asset(e.asset) == nullptr) {
      return Status::asset_unknown;
    }
    if (e.amount.raw() > written_off_units(ledger_, e.asset)) return Status::deficit_exceeded;
    // The fund never pays itself below its floor (insurance_keep_minimum, in the quote), here as
    // in the waterfall: the floor is kept for the bankruptcies to come, before old debt.
    std::int64_t floor_units = 0;
    if (e.asset == risk_->quote) {
      const auto floor = insurance_floor_units(*risk_, options_.liquidation);
      if (!floor) return Status::balance_overflow;
      floor_units = *floor;
    }
    if (e.amount.raw() > ledger_.free_balance(kInsuranceSub, e.asset).raw() - floor_units) {
      return Status::insufficient_balance;
    }
    // Both balances move toward zero after the checks above; the ledger's rule stays the last word.
    return ledger_.transfer_fits(kBadDebtSub, e.asset, e.amount) ? Status::ok : Status::balance_overflow;
  }
  Status operator()(const CheckHealth& e) const {
    const SubAccount* sub_account = ledger_.find_sub_account(e.sub_account);
    if (sub_account == nullptr || sub_account->id.value < kFirstUserId) return Status::sub_account_unknown;
    if (risk_ == nullptr) return Status::health_unchanged;  // no margin rules: nothing to liquidate
    const std::vector<margin::SubAccountBook> group = group_of(*sub_account);
    if (const Status s = price_gate(prices_trust(group, nullptr), market::OracleAction::liquidate); s != Status::ok) {
      return s;
    }
    bool liquidatable = false;
    if (sub_account->mode == MarginMode::portfolio) {
      const PortfolioOutcome outcome = portfolio_margin(group.front());
      if (outcome.status != Status::ok) return outcome.status;
      liquidatable = outcome.figures.liquidatable();
    } else {
      const margin::MarginOutcome outcome = margin::evaluate(*risk_, prices_.book, group);
      if (const Status s = status_of(outcome.status); s != Status::ok) return s;
      liquidatable = outcome.margin.liquidatable();
    }
    const bool open = episodes_.contains(group_key(*sub_account));
    return liquidatable != open ? Status::ok : Status::health_unchanged;
  }
  // The target's side is the plan's (portfolio_liquidation.hpp); the liquidator's group must pass
  // the initial-margin check with the slice, as a fill's does.
  Status operator()(const LiquidatePortfolio& e) const {
    if (e.liquidator.value < kFirstUserId) return Status::account_id_reserved;
    if (e.discount.is_negative()) return Status::amount_negative;
    if (e.fraction_ppm == 0) return Status::fill_size_zero;
    const SubAccount* mine = nullptr;
    const SubAccount* target = nullptr;
    if (const Status s = liquidation_parties(e.liquidator, e.liquidator_sub_account, e.target, mine, target);
        s != Status::ok) {
      return s;
    }
    if (target->mode != MarginMode::portfolio) return Status::portfolio_unsupported;
    if (ledger_.find_asset(risk_->quote) == nullptr) return Status::asset_unknown;
    const Trust trust = worse(prices_trust(group_of(*target), nullptr), prices_trust(group_of(*mine), nullptr));
    if (const Status s = price_gate(trust, market::OracleAction::liquidate); s != Status::ok) return s;
    MarkVols vols;
    PortfolioLiquidationPlan plan = plan_portfolio_liquidation({ledger_, *risk_, *portfolio_, prices_, options_.liquidation,
                                                                episode_of(episodes_, group_key(*target)), now_ns_, vols},
                                                               e);
    if (plan.status != Status::ok) return plan.status;
    if (!ledger_.postings_fit(plan.slice.postings)) return Status::balance_overflow;
    if (const Status s = liquidator_after(*mine, plan.slice, vols); s != Status::ok) return s;
    planned->portfolio_liquidation = std::move(plan);
    return Status::ok;
  }
  // Where a valid event leaves what its execution would otherwise work out again (Planned).
  Planned* planned = nullptr;
  Status operator()(const ResolveBankruptcy& e) const {
    if (risk_ != nullptr && ledger_.find_asset(risk_->quote) == nullptr) return Status::asset_unknown;
    const SubAccount* sub_account = ledger_.find_sub_account(e.sub_account);
    if (sub_account == nullptr || sub_account->id.value < kFirstUserId) return Status::sub_account_unknown;
    if (risk_ == nullptr) return Status::account_solvent;  // no margin rules: no bad debt
    if (const Status s = price_gate(prices_trust(group_of(*sub_account), nullptr), market::OracleAction::resolve_bankruptcy);
        s != Status::ok) {
      return s;
    }
    BankruptcyPlan plan = plan_bankruptcy(ledger_, totals_, *risk_, prices_, portfolio_, options_.liquidation,
                                          episode_of(episodes_, group_key(*sub_account)), *sub_account, now_ns_);
    if (plan.status != Status::ok) return plan.status;
    if (!ledger_.postings_fit(plan.postings)) return Status::balance_overflow;
    planned->bankruptcy = std::move(plan);
    return Status::ok;
  }
  Status operator()(const VaultDeposit& e) const {
    if (const Status s = amount_shape(e.amount); s != Status::ok) return s;
    if (!vault_) return vault_missing_after(e.account, &e.sub_account);
    const Asset* asset = nullptr;
    if (const Status s = owned_move(e.account, e.sub_account, risk_->quote, e.amount, asset); s != Status::ok) {
      return s;
    }
    const SubAccount& from = *ledger_.find_sub_account(e.sub_account);
    if (const Status s = margin_prices(from); s != Status::ok) return s;
    const margin::MarginOutcome vault = vault_margin(ledger_, *risk_, prices_);
    if (const Status s = status_of(vault.status); s != Status::ok) return s;
    const std::optional<Money> money = quote_money(*risk_, e.amount);
    if (!money) return Status::balance_overflow;
    lending::LiquidityVault trial = *vault_;
    if (const Status s = status_of(trial.deposit(e.account, *money, vault.margin.equity, now_ns_).status);
        s != Status::ok) {
      return s;
    }
    if (e.amount > ledger_.free_balance(e.sub_account, risk_->quote)) return Status::insufficient_balance;
    if (!ledger_.transfer_fits(kVaultSub, risk_->quote, e.amount)) return Status::balance_overflow;
    return margin_after_move(from, risk_->quote, e.amount, nullptr);
  }
  Status operator()(const VaultRequestWithdrawal& e) const {
    if (e.shares.is_negative()) return Status::amount_negative;
    if (e.shares.is_zero()) return Status::amount_zero;
    if (!vault_) return vault_missing_after(e.account, nullptr);
    if (!ledger_.has_account(e.account)) return Status::account_unknown;
    lending::LiquidityVault trial = *vault_;
    return status_of(trial.request_withdrawal(e.account, e.shares, now_ns_));
  }
  Status operator()(const VaultCancelWithdrawal& e) const {
    if (!vault_) return vault_missing_after(e.account, nullptr);
    if (!ledger_.has_account(e.account)) return Status::account_unknown;
    lending::LiquidityVault trial = *vault_;
    return status_of(trial.cancel_withdrawal(e.account, now_ns_));
  }
  Status operator()(const VaultWithdraw& e) const {
    if (!vault_) return vault_missing_after(e.account, &e.sub_account);
    if (ledger_.find_asset(risk_->quote) == nullptr) return Status::asset_unknown;
    if (!ledger_.has_account(e.account)) return Status::account_unknown;
    const SubAccount* to = ledger_.find_sub_account(e.sub_account);
    if (to == nullptr) return Status::sub_account_unknown;
    if (to->owner != e.account) return Status::sub_account_foreign;
    if (withdrawals_gated_now()) return Status::withdrawals_gated;
    const SubAccount& vault_sub = *ledger_.find_sub_account(kVaultSub);
    if (const Status s = margin_prices(vault_sub); s != Status::ok) return s;
    const margin::MarginOutcome vault = vault_margin(ledger_, *risk_, prices_);
    if (const Status s = status_of(vault.status); s != Status::ok) return s;
    lending::LiquidityVault trial = *vault_;
    const lending::WithdrawResult result = trial.withdraw(e.account, vault.margin.equity, now_ns_);
    if (const Status s = status_of(result.status); s != Status::ok) return s;
    const auto units = to_units(result.paid, ledger_.find_asset(risk_->quote)->decimals, Round::down);
    if (!units) return Status::balance_overflow;
    if (*units == 0) return Status::ok;
    const Amount paid = Amount::from_raw(*units);
    if (paid > ledger_.free_balance(kVaultSub, risk_->quote)) return Status::insufficient_balance;
    if (!ledger_.transfer_fits(e.sub_account, risk_->quote, paid)) return Status::balance_overflow;
    return margin_after_move(vault_sub, risk_->quote, paid, nullptr);
  }
  Status operator()(const BackstopTakeover& e) const {
    if (vault_ && ledger_.find_asset(risk_->quote) == nullptr) return Status::asset_unknown;
    const SubAccount* sub_account = ledger_.find_sub_account(e.sub_account);
    if (sub_account == nullptr || sub_account->id.value < kFirstUserId) return Status::sub_account_unknown;
    if (!vault_) return Status::vault_missing;
    if (const Status s = price_gate(prices_trust(group_of(*sub_account), nullptr), market::OracleAction::liquidate);
        s != Status::ok) {
      return s;
    }
    const BackstopPlan plan =
        plan_backstop(ledger_, *risk_, portfolio_, prices_, options_.liquidation, *sub_account, now_ns_);
    if (plan.status != Status::ok) return plan.status;
    return ledger_.postings_fit(plan.postings) ? Status::ok : Status::balance_overflow;
  }

 private:
  // A fill's prices, balances and margin for its sub-account's group: the checks after the
  // event's own shape and ownership (a liquidation's side for the liquidator goes through them
  // as a fill does).
  Status fill_margin(const SubAccount& sub_account, const margin::MarketRisk& market, const Fill& e,
                     FillSide side) const {
    // A liquidator pays the protocol's share of its discount to the insurance fund.
    const AccountId fee_to = side == FillSide::trader ? kFeePool : kInsuranceFund;
    const market::Instrument& instrument = market.instrument;
    const bool spot = instrument.kind == market::InstrumentKind::spot;
    const bool portfolio = sub_account.mode == MarginMode::portfolio;
    const std::vector<margin::SubAccountBook> group = group_of(sub_account);
    // Prices: missing, then untrusted unless the oracle policy allows this fill's action at
    // their validity (the fill is classified only when that matters: open_risk not allowed).
    const Trust trust = prices_trust(group, &market);
    auto action = market::OracleAction::open_risk;
    if (trust && !options_.oracle_policy.allows(action, *trust) && reduces_risk(market, e)) {
      action = market::OracleAction::reduce_risk;
    }
    if (const Status s = price_gate(trust, action); s != Status::ok) return s;
    const FillPlan plan = plan_fill(ledger_, *risk_, prices_, market, e, fee_to);
    if (!plan.ok) return Status::balance_overflow;
    if (spot && !instrument.borrowable) {
      const int128 after = static_cast<int128>(ledger_.balance(e.sub_account, instrument.underlying).raw()) +
                           plan.delivered.raw();
      if (after < 0) return Status::insufficient_balance;  // selling what is not held
    }
    if (!ledger_.postings_fit(plan.postings)) return Status::balance_overflow;
    // A liquidation moves open interest between accounts: only a trader's fill is capped.
    if (side == FillSide::trader) {
      if (const Status s = open_interest_gate(market, e, plan); s != Status::ok) return s;
    }
    if (portfolio) return portfolio_fill(group.front(), e);
    std::optional<margin::PriceBook> scratch;
    const margin::PreTrade check = margin::pre_trade_check(
        *risk_, book_for_fill(market, e, plan, scratch), group, market_fill(e));
    if (const Status s = status_of(check.margin_status); s != Status::ok) return s;
    return margin::pre_trade_allows(check.status) ? Status::ok : Status::insufficient_margin;
  }

 public:
  Status operator()(const OracleQuotes& e) const {
    const bool published_positive =
        std::all_of(e.quotes.begin(), e.quotes.end(),
                    [](const market::SourceQuote& quote) { return quote.published_ns > 0; });
    if (e.quotes.empty() || !published_positive || !market::check_quotes(e.quotes, now_ns_)) {
      return Status::quotes_invalid;
    }
    if (risk_ == nullptr || risk_->find_asset(e.asset) == nullptr) return Status::asset_unknown;
    return Status::ok;
  }
  Status operator()(const SetMarketDepth& e) const {
    if (e.depth.is_negative()) return Status::amount_negative;
    if (find_market(e.instrument) == nullptr) return Status::instrument_unknown;
    return options_.breakers ? Status::ok : Status::breakers_missing;
  }
  Status operator()(const EmergencySettle& e) const {
    const margin::MarketRisk* market = find_market(e.instrument);
    if (market == nullptr) return Status::instrument_unknown;
    if (!options_.breakers) return Status::breakers_missing;
    if (lives_[market_slot(*risk_, e.instrument)].settled_at) return Status::instrument_settled;
    const std::size_t asset = asset_slot(*risk_, market->instrument.underlying);
    if (now_ns_ - breakers_.assets[asset].last_valid_ns < options_.breakers->emergency_outage_ns) {
      return Status::emergency_not_allowed;
    }
    const std::optional<Price> price = feeds_[asset].reference;
    if (!price) return Status::price_missing;
    std::vector<Fill> closes = emergency_closes(ledger_, *market, *price);
    for (const Fill& close : closes) {
      const FillPlan plan = plan_fill(ledger_, *risk_, prices_, *market, close, kFeePool);
      if (!plan.ok || !ledger_.postings_fit(plan.postings)) return Status::balance_overflow;
    }
    planned->emergency_closes = std::move(closes);
    return Status::ok;
  }
  Status operator()(const ProposeParameter& e) const {
    if (e.proposal.value == 0) return Status::proposal_id_invalid;
    if (governed_ == nullptr) return Status::governance_missing;
    return governed_->check_propose(e.proposal, e.parameter, e.value, governed_risk_, options_, now_ns_);
  }
  Status operator()(const CancelProposal& e) const {
    if (e.proposal.value == 0) return Status::proposal_id_invalid;
    if (governed_ == nullptr) return Status::governance_missing;
    return governed_->check_cancel(e.proposal, now_ns_);
  }
  Status operator()(const ExecuteProposal& e) const {
    if (e.proposal.value == 0) return Status::proposal_id_invalid;
    if (governed_ == nullptr) return Status::governance_missing;
    return governed_->check_execute(e.proposal, governed_risk_, options_, now_ns_);
  }
  Status operator()(const AccrueFunding& e) const {
    if (e.impact_bid.is_negative() || e.impact_ask.is_negative()) return Status::price_invalid;
    const margin::MarketRisk* market = find_market(e.instrument);
    if (market == nullptr) return Status::instrument_unknown;
    const market::Instrument& instrument = market->instrument;
    if (instrument.kind != market::InstrumentKind::perpetual) {
      return Status::instrument_not_perpetual;
    }
    // Judged once the market is known: impact prices are for markets whose premium uses them.
    const bool impact_given = e.impact_bid.raw() > 0 && e.impact_ask.raw() > 0;
    const bool impact_absent = e.impact_bid.is_zero() && e.impact_ask.is_zero();
    if (!(instrument.funding.impact_premium ? impact_given : impact_absent)) {
      return Status::price_invalid;
    }
    const Trust trust = worse(mark_trust(instrument.id), asset_trust(instrument.underlying));
    if (const Status s = price_gate(trust, market::OracleAction::funding); s != Status::ok) {
      return s;
    }
    const std::size_t i = market_slot(*risk_, e.instrument);
    return next_funding(*market, lives_[i], prices_, e, now_ns_) ? Status::ok
                                                                  : Status::balance_overflow;
  }
  Status operator()(const SettleExpiry& e) const {
    const margin::MarketRisk* market = find_market(e.instrument);
    if (market == nullptr) return Status::instrument_unknown;
    const market::Instrument& instrument = market->instrument;
    if (!instrument.has_expiry()) return Status::instrument_not_dated;
    if (now_ns_ < instrument.expiry_ns) return Status::expiry_not_reached;
    const MarketLife& life = lives_[market_slot(*risk_, e.instrument)];
    if (life.settled_at) return Status::instrument_settled;
    const auto price = life.settlement->average(Round::down);
    if (!price) return Status::price_missing;
    // The window holds valid readings only; the one in force at expiry must not be stale then.
    const TimestampNs last_ns = life.settlement->state().last->ts_ns;
    const Trust trust = instrument.expiry_ns - last_ns > options_.price_max_age_ns
                            ? market::OracleValidity::stale
                            : market::OracleValidity::valid;
    if (const Status s = price_gate(trust, market::OracleAction::expiry_settlement);
        s != Status::ok) {
      return s;
    }
    const SettlementPlan plan = plan_settlement(ledger_, *risk_, instrument, *price);
    return plan.ok && ledger_.postings_fit(plan.postings) ? Status::ok : Status::balance_overflow;
  }

 private:
  // The price book the fill's own pre-trade check reads: with the market's open interest after
  // the fill where the market's requirement ramps with it (dYdX counts a trade's own OI change
  // in its check), copied into `scratch`; otherwise the book as it is.
  const margin::PriceBook& book_for_fill(const margin::MarketRisk& market, const Fill& e,
                                         const FillPlan& plan,
                                         std::optional<margin::PriceBook>& scratch) const {
    if (!plan.has_position || !std::holds_alternative<margin::OiRampRule>(market.rule)) {
      return prices_.book;
    }
    scratch = prices_.book;
    margin::MarketPrice* price = find_price(scratch->markets, e.instrument);
    BALLAST_ASSERT(price != nullptr);  // the price gate passed: the mark is set
    price->open_interest = open_interest_of(long_size_after(e, plan), market.instrument, price->mark);
    return *scratch;
  }

  // The market's long size (users') after the fill: the venue totals with the fill's position
  // in place of the sub-account's position now.
  int128 long_size_after(const Fill& e, const FillPlan& plan) const {
    const market::Position* held = ledger_.position(e.sub_account, e.instrument);
    const std::int64_t before = held != nullptr ? held->size.raw() : 0;
    return totals_.long_size[market_slot(*risk_, e.instrument)] - positive_part(before) +
           positive_part(plan.position.size.raw());
  }

  // The circuit breakers' cap on open interest against the market's depth (breakers.hpp).
  Status open_interest_gate(const margin::MarketRisk& market, const Fill& e, const FillPlan& plan) const {
    if (!options_.breakers || !plan.has_position) return Status::ok;
    const std::size_t slot = market_slot(*risk_, e.instrument);
    const Price mark = prices_.book.find_market(e.instrument)->mark;  // the price gate passed
    return judge_open_interest(*options_.breakers, breakers_.depth[slot],
                               open_interest_of(totals_.long_size[slot], market.instrument, mark),
                               open_interest_of(long_size_after(e, plan), market.instrument, mark));
  }

  // Nobody leaves ahead of a loss that is still being shared out: value leaving the venue (a
  // withdrawal, a vault payout) waits out the gate after bad debt.
  bool withdrawals_gated_now() const {
    return liquidation::withdrawals_gated(waterfall_.last_bad_debt_ns, now_ns_, options_.liquidation.withdrawal_gate_ns);
  }

  // The lending pool a user sub-account's balance of `asset` is in; nullptr for an asset without
  // one, and for the system accounts (they neither pay nor earn interest).
  const AssetPool* user_pool(SubAccountId sub_account, AssetId asset) const {
    if (risk_ == nullptr || sub_account.value < kFirstUserId) return nullptr;
    return find_pool(options_.pools, asset);
  }

  std::vector<margin::SubAccountBook> group_of(const SubAccount& sub_account) const {
    return group_books(ledger_, *risk_, sub_account);
  }

  // Over every price evaluating the group (and `extra`, the market a fill trades) reads, and the
  // oracle every mark is anchored to: oracle prices of the non-quote assets held and of every
  // market's underlying, marks of the derivatives held or traded. A perpetual's margin reads
  // only its mark, but a mark is only as good as the index it follows (Drift checks the perp
  // market's oracle for every action on it), so an untrusted index gates the perpetual too.
  Trust prices_trust(const std::vector<margin::SubAccountBook>& group,
                     const margin::MarketRisk* extra) const {
    std::set<AssetId> assets;
    std::set<InstrumentId> marks;
    const auto need_market = [&](const margin::MarketRisk& market) {
      const market::Instrument& instrument = market.instrument;
      if (instrument.kind != market::InstrumentKind::spot) marks.insert(instrument.id);
      assets.insert(instrument.underlying);
    };
    for (const margin::SubAccountBook& member : group) {
      for (const Balance& balance : member.balances) assets.insert(balance.asset);
      for (const margin::HeldPosition& held : member.positions) {
        if (const margin::MarketRisk* market = find_market(held.instrument)) need_market(*market);
      }
    }
    if (extra != nullptr) need_market(*extra);
    assets.erase(risk_->quote);
    Trust trust = market::OracleValidity::valid;
    for (const AssetId asset : assets) trust = worse(trust, asset_trust(asset));
    for (const InstrumentId instrument : marks) trust = worse(trust, mark_trust(instrument));
    return trust;
  }

  // An oracle price: its reading's validity, stale once older than price_max_age_ns.
  Trust asset_trust(AssetId asset) const {
    const auto set_ns = prices_.asset_set_ns_of(asset);
    if (!set_ns) return std::nullopt;
    // Prices are set for configured assets only.
    return worse(feeds_[asset_slot(*risk_, asset)].validity, age_trust(*set_ns));
  }
  // A mark: valid, stale once older than price_max_age_ns.
  Trust mark_trust(InstrumentId instrument) const {
    const auto set_ns = prices_.mark_set_ns_of(instrument);
    if (!set_ns) return std::nullopt;
    return age_trust(*set_ns);
  }
  market::OracleValidity age_trust(TimestampNs set_ns) const {
    return now_ns_ - set_ns > options_.price_max_age_ns ? market::OracleValidity::stale
                                                         : market::OracleValidity::valid;
  }

  // price_missing for a price never set; else ok when the oracle policy allows `action` at the
  // prices' validity, price_stale when they are only stale, oracle_untrusted otherwise.
  Status price_gate(Trust trust, market::OracleAction action) const {
    if (!trust) return Status::price_missing;
    if (options_.oracle_policy.allows(action, *trust)) return Status::ok;
    return *trust == market::OracleValidity::stale ? Status::price_stale
                                                   : Status::oracle_untrusted;
  }

  // Whether the fill only shrinks what its sub-account holds in the market without flipping
  // through zero: a derivative's position size, or for spot the underlying balance (by the
  // units the fill would deliver, rounded down as the plan books them). The rule by which
  // margin::pre_trade_check reports reduces_risk; the oracle policy's action reduce_risk. A size
  // beyond range is not a reduction (and the fill fails later anyway).
  bool reduces_risk(const margin::MarketRisk& market, const Fill& e) const {
    const market::Instrument& instrument = market.instrument;
    if (instrument.kind == market::InstrumentKind::spot) {
      const auto exposure = market::exposure_of(e.size, instrument.contract_size);
      const margin::AssetRisk* underlying = risk_->find_asset(instrument.underlying);
      const auto delivered =
          exposure ? to_units(*exposure, underlying->decimals, Round::down) : std::nullopt;
      if (!delivered) return false;
      const std::int64_t held = ledger_.balance(e.sub_account, instrument.underlying).raw();
      return margin::shrinks(held, static_cast<int128>(held) + *delivered);
    }
    const market::Position* held = ledger_.position(e.sub_account, e.instrument);
    const std::int64_t size = held != nullptr ? held->size.raw() : 0;
    return margin::shrinks(size, static_cast<int128>(size) + e.size.raw());
  }

  // Whether value leaving `from` is margin-checked: its group holds positions or borrows.
  // Otherwise the free-balance rule alone stands.
  bool margin_checked(const std::vector<margin::SubAccountBook>& group) const {
    return std::any_of(group.begin(), group.end(), [](const margin::SubAccountBook& member) {
      return !member.positions.empty() ||
             std::any_of(member.balances.begin(), member.balances.end(),
                         [](const Balance& b) { return b.amount.is_negative(); });
    });
  }

  // Value leaving a margin-checked group: the oracle policy's action withdraw (a transfer too:
  // it leaves the sub-account's group, or moves within it under the same check).
  Status margin_prices(const SubAccount& from) const {
    if (risk_ == nullptr) return Status::ok;
    const std::vector<margin::SubAccountBook> group = group_of(from);
    if (!margin_checked(group)) return Status::ok;
    return price_gate(prices_trust(group, nullptr), market::OracleAction::withdraw);
  }

  // The group's initial health after `amount` of `asset` leaves `from` (and, for a transfer
  // inside the same cross group, arrives in `to`) must stay >= 0 (insufficient_margin).
  Status margin_after_move(const SubAccount& from, AssetId asset, Amount amount,
                           const SubAccount* to) const {
    if (risk_ == nullptr || risk_->find_asset(asset) == nullptr) return Status::ok;
    std::vector<Posting> moves{{from.id, asset, Amount::from_raw(-amount.raw())}};
    if (to != nullptr) moves.push_back({to->id, asset, amount});
    return margin_after_postings(from, moves);
  }

  // The initial health of `member`'s group after the postings that touch it (of configured assets;
  // they fit: checked before) must stay >= 0 (insufficient_margin). Judged after the postings: a
  // borrow is what makes a plain group margin-checked.
  Status margin_after_postings(const SubAccount& member, std::span<const Posting> postings) const {
    std::vector<margin::SubAccountBook> group = group_of(member);
    apply_postings(group, postings);
    if (!margin_checked(group)) return Status::ok;
    return initial_margin_of(member, group);
  }

  // insufficient_margin when `group` (member's, as some plan leaves it) has negative initial
  // health by member's calculator; a margin status when it cannot be evaluated.
  Status initial_margin_of(const SubAccount& member, const std::vector<margin::SubAccountBook>& group,
                           MarkVols* vols = nullptr) const {
    if (member.mode == MarginMode::portfolio) {
      const PortfolioOutcome after = portfolio_margin(group.front(), vols);
      if (after.status != Status::ok) return after.status;
      return after.figures.initial_health.is_negative() ? Status::insufficient_margin : Status::ok;
    }
    const margin::MarginOutcome after = margin::evaluate(*risk_, prices_.book, group);
    if (const Status s = status_of(after.status); s != Status::ok) return s;
    return after.margin.initial_health().is_negative() ? Status::insufficient_margin : Status::ok;
  }

  // The liquidator's initial health after a portfolio slice (its balances and the positions it
  // opens) must stay >= 0 (insufficient_margin). `vols` holds the marks the plan inverted.
  Status liquidator_after(const SubAccount& mine, const PortfolioSlice& slice, MarkVols& vols) const {
    std::vector<margin::SubAccountBook> group = group_of(mine);
    apply_postings(group, slice.postings);
    margin::SubAccountBook& book = *std::find_if(group.begin(), group.end(),
                                                 [&](const margin::SubAccountBook& member) { return member.id == mine.id; });
    for (std::size_t i = 1; i < slice.fills.size(); i += 2) {
      set_book_position(book, slice.fills[i].instrument, slice.positions_after[i]);
    }
    return initial_margin_of(mine, group, &vols);
  }

  const margin::MarketRisk* find_market(InstrumentId id) const {
    return risk_ == nullptr ? nullptr : risk_->find_market(id);
  }

  // A portfolio sub-account holds only the quote and the model's underlyings; others anything.
  bool portfolio_holds(const SubAccount& sub_account, AssetId asset) const {
    return sub_account.mode != MarginMode::portfolio || portfolio_->holds(asset);
  }

  PortfolioOutcome portfolio_margin(const margin::SubAccountBook& book, MarkVols* vols = nullptr) const {
    return evaluate_portfolio(*portfolio_, *risk_, prices_.book, book, now_ns_, vols);
  }

  // A portfolio sub-account's fill passes when its initial health after the fill is >= 0 or no
  // lower than before. Not the cross rule "a reduction always passes": in a portfolio, closing
  // one leg of a hedge can raise the requirement, and whether it does is exactly what the risk
  // matrix tells.
  Status portfolio_fill(const margin::SubAccountBook& before, const Fill& e) const {
    // nullopt only when a value leaves its range, which plan_fill has refused already.
    const std::optional<margin::SubAccountBook> after =
        margin::book_after_fill(*risk_, prices_.book, before, market_fill(e));
    if (!after) return Status::balance_overflow;
    const PortfolioOutcome then = portfolio_margin(*after);
    if (then.status != Status::ok) return then.status;
    if (!then.figures.initial_health.is_negative()) return Status::ok;
    const PortfolioOutcome now = portfolio_margin(before);
    if (now.status != Status::ok) return now.status;
    return then.figures.initial_health >= now.figures.initial_health ? Status::ok
                                                                     : Status::insufficient_margin;
  }

  // The liquidator's account and sub-account (its own) and the target (another owner's), shared by
  // both kinds of liquidation.
  Status liquidation_parties(AccountId liquidator, SubAccountId mine_id, SubAccountId target_id,
                             const SubAccount*& mine, const SubAccount*& target) const {
    if (!ledger_.has_account(liquidator)) return Status::account_unknown;
    mine = ledger_.find_sub_account(mine_id);
    target = ledger_.find_sub_account(target_id);
    if (mine == nullptr || target == nullptr) return Status::sub_account_unknown;
    if (mine->owner != liquidator) return Status::sub_account_foreign;
    if (target->owner == liquidator) return Status::liquidation_self;
    return Status::ok;
  }

  // Without a vault its events are vault_missing once their parties are known and belong together:
  // existence and ownership come first in precedence. (There is no quote asset to look for: a
  // venue without a vault may have no risk configuration.)
  Status vault_missing_after(AccountId account, const SubAccountId* sub_account_id) const {
    if (!ledger_.has_account(account)) return Status::account_unknown;
    if (sub_account_id != nullptr) {
      const SubAccount* sub_account = ledger_.find_sub_account(*sub_account_id);
      if (sub_account == nullptr) return Status::sub_account_unknown;
      if (sub_account->owner != account) return Status::sub_account_foreign;
    }
    return Status::vault_missing;
  }

  // Shared checks of a value movement out of or into a sub-account the actor must own.
  Status owned_move(AccountId account, SubAccountId sub_account_id, AssetId asset_id,
                    Amount amount, const Asset*& asset) const {
    if (const Status s = amount_shape(amount); s != Status::ok) return s;
    asset = ledger_.find_asset(asset_id);
    if (asset == nullptr) return Status::asset_unknown;
    if (!ledger_.has_account(account)) return Status::account_unknown;
    const SubAccount* sub_account = ledger_.find_sub_account(sub_account_id);
    if (sub_account == nullptr) return Status::sub_account_unknown;
    if (sub_account->owner != account) return Status::sub_account_foreign;
    return Status::ok;
  }

  const Ledger& ledger_;
  const margin::RiskConfig* risk_;
  const PortfolioVenue* portfolio_;
  const PriceState& prices_;
  const std::vector<AssetFeed>& feeds_;
  const std::vector<MarketLife>& lives_;
  const VenueTotals& totals_;
  const std::map<GroupKey, LiquidationEpisode>& episodes_;
  const WaterfallState& waterfall_;
  const std::optional<lending::LiquidityVault>& vault_;
  const std::vector<PoolState>& pool_states_;
  const BreakerState& breakers_;
  const GovernedParameters* governed_;
  const margin::RiskConfig& governed_risk_;
  const EngineOptions& options_;
  TimestampNs now_ns_;
};

// Applies a validated event, and keeps the venue totals (and their values in the price book)
// in step with what it changed: the balances it moved, the position it set, the price it set.
class Executor {
 public:
  Executor(Ledger& ledger, PriceState& prices, std::vector<AssetFeed>& feeds,
           std::vector<MarketLife>& lives, VenueTotals& totals,
           std::map<GroupKey, LiquidationEpisode>& episodes, WaterfallState& waterfall,
           std::optional<lending::LiquidityVault>& vault, std::vector<PoolState>& pool_states,
           BreakerState& breakers, GovernedParameters* governed, margin::RiskConfig& governed_risk,
           const margin::RiskConfig* risk, const PortfolioVenue* portfolio, EngineOptions& options,
           TimestampNs now_ns)
      : ledger_(ledger),
        prices_(prices),
        feeds_(feeds),
        lives_(lives),
        totals_(totals),
        episodes_(episodes),
        waterfall_(waterfall),
        vault_(vault),
        pool_states_(pool_states),
        breakers_(breakers),
        governed_(governed),
        governed_config_{governed_risk, options},
        risk_(risk),
        portfolio_(portfolio),
        rules_(options.liquidation),
        pools_(options.pools),
        now_ns_(now_ns) {}

  void operator()(const ListAsset& e) { ledger_.list_asset(e.asset, e.symbol, e.decimals, e.flags); }
  void operator()(const SetAssetFlags& e) { ledger_.set_asset_flags(e.asset, e.flags); }
  void operator()(const CreateAccount& e) { ledger_.create_account(e.account); }
  void operator()(const CreateSubAccount& e) {
    ledger_.create_sub_account(e.sub_account, e.account, e.mode);
  }
  void operator()(const Deposit& e) {
    const Amount before = ledger_.balance(e.sub_account, e.asset);
    ledger_.deposit(e.sub_account, e.asset, e.amount);
    balance_moved(e.sub_account, e.asset, before);
  }
  void operator()(const Withdraw& e) {
    const Amount before = ledger_.balance(e.sub_account, e.asset);
    ledger_.withdraw(e.sub_account, e.asset, e.amount);
    balance_moved(e.sub_account, e.asset, before);
  }
  void operator()(const Borrow& e) {
    const Amount before = ledger_.balance(e.sub_account, e.asset);
    ledger_.borrow(e.sub_account, e.asset, e.amount);
    balance_moved(e.sub_account, e.asset, before);
  }
  void operator()(const AccrueInterest& e) {
    const std::size_t slot = pool_slot(pools_, e.asset);
    const InterestPlan plan = plan_interest(ledger_, pools_[slot], pool_states_[slot], now_ns_);
    BALLAST_ASSERT(plan.status == Status::ok);
    post_moves(plan.postings);
    pool_states_[slot] = plan.next;
  }
  void operator()(const Transfer& e) { move(e.from, e.to, e.asset, e.amount); }
  void operator()(const OraclePrice& e) {
    const std::size_t i = asset_slot(*risk_, e.asset);
    AssetFeed& feed = feeds_[i];
    feed.validity = market::OracleValidity::valid;
    feed.reference = e.price;
    feed.stable.reset();  // the event states its own stable price
    prices_.set_asset(e.asset, e.price, e.stable_price, now_ns_);
    keeper().refresh_asset(i);
    record_settlement_sample(e.asset, e.price);
    observe_valid_reading(i, e.price);
  }
  // Aggregation under the asset's OracleConfig. A non-positive reading leaves the last price in
  // place, judged non_positive (nothing runs on it); any other reading becomes the price, with
  // its validity and the age of its newest quote. Only a valid one moves the reference, steps
  // the stable price and enters settlement windows: an untrusted reading must not steer what
  // later readings are judged against, nor what initial margin or expiry pays.
  void operator()(const OracleQuotes& e) {
    const std::size_t i = asset_slot(*risk_, e.asset);
    const margin::AssetRisk& asset = risk_->assets[i];
    AssetFeed& feed = feeds_[i];
    const market::OracleReading reading =
        market::aggregate(asset.oracle, e.quotes, now_ns_, feed.reference);
    feed.validity = reading.validity;
    if (reading.validity == market::OracleValidity::non_positive) return;
    const margin::AssetPrice* before = prices_.book.find_asset(e.asset);
    Price stable = before != nullptr ? before->stable : reading.price;
    if (reading.validity == market::OracleValidity::valid) {
      feed.reference = reading.price;
      if (feed.stable) {
        feed.stable->update(asset.stable_price, reading.price, now_ns_);
      } else {
        feed.stable = market::StablePrice::start(asset.stable_price, reading.price, now_ns_);
      }
      stable = feed.stable->stable_price();
      record_settlement_sample(e.asset, reading.price);
      observe_valid_reading(i, reading.price);
    }
    prices_.set_asset(e.asset, reading.price, stable, reading.newest_published_ns);
    keeper().refresh_asset(i);
  }
  void operator()(const AccrueFunding& e) {
    const std::size_t i = market_slot(*risk_, e.instrument);
    const auto next = next_funding(risk_->markets[i], lives_[i], prices_, e, now_ns_);
    BALLAST_ASSERT(next.has_value());  // validated
    lives_[i].funding = *next;
    margin::MarketPrice* price = find_price(prices_.book.markets, e.instrument);
    BALLAST_ASSERT(price != nullptr);  // the price gate passed: the mark is set
    price->funding_index = next->index;
  }
  void operator()(const SettleExpiry& e) {
    const std::size_t i = market_slot(*risk_, e.instrument);
    MarketLife& life = lives_[i];
    const market::Instrument& instrument = risk_->markets[i].instrument;
    const Price price = life.settlement->average(Round::down).value();  // validated
    const SettlementPlan plan = plan_settlement(ledger_, *risk_, instrument, price);
    BALLAST_ASSERT(plan.ok);
    std::vector<Amount> before;
    before.reserve(plan.holders.size());
    for (const SubAccountId holder : plan.holders) {
      before.push_back(ledger_.balance(holder, risk_->quote));
    }
    ledger_.post(plan.postings);
    for (std::size_t h = 0; h < plan.holders.size(); ++h) {
      const SubAccountId holder = plan.holders[h];
      balance_moved(holder, risk_->quote, before[h]);
      const Quantity size = ledger_.position(holder, e.instrument)->size;
      ledger_.set_position(holder, e.instrument, market::Position{});
      // The totals are users' (VenueTotals): the vault's backstop positions are the venue's own.
      if (holder.value >= kFirstUserId) keeper().size_moved(holder, e.instrument, size, Quantity{});
    }
    life.settled_at = price;
  }
  void operator()(const SetMarketDepth& e) { breakers_.depth[market_slot(*risk_, e.instrument)] = e.depth; }
  void operator()(const EmergencySettle& e) {
    const std::size_t i = market_slot(*risk_, e.instrument);
    const margin::MarketRisk& market = risk_->markets[i];
    const Price price = *feeds_[asset_slot(*risk_, market.instrument.underlying)].reference;  // validated
    for (const Fill& close : planned->emergency_closes) book_fill(market, close, kFeePool);
    lives_[i].settled_at = price;
  }
  void operator()(const ProposeParameter& e) { governed_->propose(e.proposal, e.parameter, e.value, now_ns_); }
  void operator()(const CancelProposal& e) { governed_->cancel(e.proposal, now_ns_); }
  void operator()(const ExecuteProposal& e) {
    governed_->execute(e.proposal, governed_config_, now_ns_);
    rules_changed_ = true;
  }

  // True when the event changed the governed rules or a volatility regime: the engine derives the
  // rules in force again (breakers.hpp).
  bool rules_changed() const { return rules_changed_; }

  void operator()(const MarkPrice& e) {
    prices_.set_mark(e.instrument, e.mark, now_ns_);
    keeper().refresh_market(market_slot(*risk_, e.instrument));
  }
  void operator()(const Fill& e) {
    BALLAST_ASSERT(risk_ != nullptr);
    const margin::MarketRisk* market = risk_->find_market(e.instrument);
    BALLAST_ASSERT(market != nullptr);
    book_fill(*market, e, kFeePool);
  }
  // Both sides at the validated terms: the target's against the clearing account, the
  // liquidator's too, its fee (the protocol's share of the discount) to the insurance fund. The
  // episode counts the notional against the account cap, and ends once the group is healthy.
  void operator()(const Liquidate& e) {
    const margin::MarketRisk& market = *risk_->find_market(e.instrument);
    const SubAccount& target = *ledger_.find_sub_account(e.target);
    const std::optional<LiquidationFills>& fills = planned->liquidation;
    BALLAST_ASSERT(fills.has_value());  // validated
    book_fill(market, fills->target, kInsuranceFund);
    book_fill(market, fills->liquidator, kInsuranceFund);
    count_liquidation(target, fills->notional);
  }
  // The validated plan: the repayment, the seizure and the protocol's share, counted against the
  // account cap like a position's liquidation.
  void operator()(const LiquidateBorrow& e) {
    const SubAccount& target = *ledger_.find_sub_account(e.target);
    const BorrowLiquidationPlan plan =
        plan_borrow_liquidation(ledger_, *risk_, prices_, rules_, episode_of(episodes_, group_key(target)),
                                group_books(ledger_, *risk_, target), e, now_ns_);
    BALLAST_ASSERT(plan.status == Status::ok);
    post_moves(plan.postings);
    count_liquidation(target, plan.repaid_value);
  }
  // The validated slice: the positions' fills, then the balances' moves and payments, counted
  // against the account cap like a position's liquidation.
  void operator()(const LiquidatePortfolio& e) {
    BALLAST_ASSERT(planned->portfolio_liquidation.has_value());  // validated
    const PortfolioLiquidationPlan& plan = *planned->portfolio_liquidation;
    const PortfolioSlice& slice = plan.slice;
    for (const Fill& fill : slice.fills) book_fill(*risk_->find_market(fill.instrument), fill, kInsuranceFund);
    post_moves(std::span<const Posting>(slice.postings).subspan(slice.moves_from));
    // The books are now the plan's target_after (the same fills and moves from the same state).
    count_liquidation(*ledger_.find_sub_account(e.target), slice.gross, plan.target_after.liquidatable());
  }
  // Validated: the fund holds the amount and the bad-debt account owes at least it. Both are
  // system accounts, outside the users' totals: the pool's cash rises by the written-off debt
  // that falls (pools.hpp).
  void operator()(const CoverBadDebt& e) { move(kInsuranceSub, kBadDebtSub, e.asset, e.amount); }
  // Validated: the group is liquidatable with no episode open (start one), or healthy with one
  // open (end it).
  void operator()(const CheckHealth& e) {
    const GroupKey key = group_key(*ledger_.find_sub_account(e.sub_account));
    if (episodes_.erase(key) == 0) episodes_.emplace(key, LiquidationEpisode{now_ns_, now_ns_, Money{}, Money{}});
  }
  // What the validation of this event left (Validator::planned).
  Planned* planned = nullptr;
  // The validated plan: the closes as fills, then the cover, then the waterfall's books. The
  // episode counts the fund's payment against the per-account cap (and stays open until a
  // check_health finds the group healthy, so the count outlives this event within its window).
  void operator()(const ResolveBankruptcy& e) {
    const SubAccount& sub_account = *ledger_.find_sub_account(e.sub_account);
    const GroupKey key = group_key(sub_account);
    const std::optional<LiquidationEpisode> episode = episode_of(episodes_, key);
    BALLAST_ASSERT(planned->bankruptcy.has_value());  // validated
    const BankruptcyPlan plan = std::move(*planned->bankruptcy);
    BALLAST_ASSERT(plan.status == Status::ok);
    for (const Fill& close : plan.closes) book_fill(*risk_->find_market(close.instrument), close, kFeePool);
    post_moves(std::span<const Posting>(plan.postings).subspan(plan.cover_from));
    if (plan.from_insurance.raw() > 0) {
      episodes_[key] = after_insurance_payment(rules_, episode, plan.insurance_counted, now_ns_);
    }
    record_losses(plan);
  }
  void operator()(const VaultDeposit& e) {
    const Money equity = vault_margin(ledger_, *risk_, prices_).margin.equity;
    const lending::DepositResult result = vault_->deposit(e.account, *quote_money(*risk_, e.amount), equity, now_ns_);
    BALLAST_ASSERT(result.status == lending::VaultStatus::ok);
    move_quote(e.sub_account, kVaultSub, e.amount);
  }
  void operator()(const VaultRequestWithdrawal& e) {
    BALLAST_ASSERT(vault_->request_withdrawal(e.account, e.shares, now_ns_) == lending::VaultStatus::ok);
  }
  void operator()(const VaultCancelWithdrawal& e) {
    BALLAST_ASSERT(vault_->cancel_withdrawal(e.account, now_ns_) == lending::VaultStatus::ok);
  }
  void operator()(const VaultWithdraw& e) {
    const Money equity = vault_margin(ledger_, *risk_, prices_).margin.equity;
    const lending::WithdrawResult result = vault_->withdraw(e.account, equity, now_ns_);
    BALLAST_ASSERT(result.status == lending::VaultStatus::ok);
    const std::int64_t units = *to_units(result.paid, ledger_.find_asset(risk_->quote)->decimals, Round::down);
    if (units > 0) move_quote(kVaultSub, e.sub_account, Amount::from_raw(units));
  }
  // The validated plan: the closes and the vault's opens as fills, then the balances; the group's
  // episode is over (it holds nothing).
  void operator()(const BackstopTakeover& e) {
    const SubAccount& sub_account = *ledger_.find_sub_account(e.sub_account);
    const BackstopPlan plan = plan_backstop(ledger_, *risk_, portfolio_, prices_, rules_, sub_account, now_ns_);
    BALLAST_ASSERT(plan.status == Status::ok);
    for (const Fill& fill : plan.fills) book_fill(*risk_->find_market(fill.instrument), fill, kFeePool);
    post_moves(std::span<const Posting>(plan.postings).subspan(plan.moves_from));
    episodes_.erase(group_key(sub_account));
  }

 private:
  void book_fill(const margin::MarketRisk& market, const Fill& e, AccountId fee_to) {
    const FillPlan plan = plan_fill(ledger_, *risk_, prices_, market, e, fee_to);
    BALLAST_ASSERT(plan.ok);
    // The user balances the postings touch (the quote, and the underlying for spot), each once;
    // the other legs are the clearing account's and the fee recipient's, which the totals leave
    // out.
    std::array<std::pair<AssetId, Amount>, 2> touched{};
    std::size_t touched_count = 0;
    for (const Posting& leg : plan.postings) {
      if (leg.sub_account != e.sub_account) continue;
      const auto end = touched.begin() + static_cast<std::ptrdiff_t>(touched_count);
      if (std::find_if(touched.begin(), end, [&](const auto& t) { return t.first == leg.asset; }) ==
          end) {
        BALLAST_ASSERT(touched_count < touched.size());
        touched[touched_count++] = {leg.asset, ledger_.balance(e.sub_account, leg.asset)};
      }
    }
    ledger_.post(plan.postings);
    for (std::size_t i = 0; i < touched_count; ++i) {
      balance_moved(e.sub_account, touched[i].first, touched[i].second);
    }
    if (plan.has_position) {
      const market::Position* held = ledger_.position(e.sub_account, e.instrument);
      const Quantity before = held != nullptr ? held->size : Quantity{};
      ledger_.set_position(e.sub_account, e.instrument, plan.position);
      // The totals are users' (VenueTotals): the vault's backstop positions are the venue's own.
      if (e.sub_account.value >= kFirstUserId) keeper().size_moved(e.sub_account, e.instrument, before, plan.position.size);
    }
  }

  // Postings outside a fill (the waterfall's cover, the backstop's balance moves, an accrual),
  // with the totals of every balance they touch kept in step: each counted once, from its value
  // before (sorted and deduplicated, so an accrual's million postings cost O(n log n)).
  void post_moves(std::span<const Posting> moves) {
    std::vector<std::tuple<SubAccountId, AssetId, Amount>> before;
    before.reserve(moves.size());
    for (const Posting& leg : moves) before.emplace_back(leg.sub_account, leg.asset, Amount{});
    std::sort(before.begin(), before.end());
    before.erase(std::unique(before.begin(), before.end()), before.end());
    for (auto& [sub_account, asset, amount] : before) amount = ledger_.balance(sub_account, asset);
    ledger_.post(moves);
    for (const auto& [sub_account, asset, amount] : before) balance_moved(sub_account, asset, amount);
  }

  // A liquidation of `notional` on the target's group: counted in its episode (started now when
  // none was open), which ends when the group is no longer `liquidatable_after`.
  void count_liquidation(const SubAccount& target, Money notional, bool liquidatable_after) {
    const GroupKey key = group_key(target);
    episodes_[key] = after_liquidation(rules_, episode_of(episodes_, key), notional, now_ns_);
    if (!liquidatable_after) episodes_.erase(key);
  }
  // The same for a linear group, judged on its books after the event (a group that cannot be
  // evaluated stays in its episode).
  void count_liquidation(const SubAccount& target, Money notional) {
    BALLAST_ASSERT(target.mode != MarginMode::portfolio);
    const margin::MarginOutcome after = margin::evaluate(*risk_, prices_.book, group_books(ledger_, *risk_, target));
    count_liquidation(target, notional, after.status != margin::MarginStatus::ok || after.margin.liquidatable());
  }

  void move_quote(SubAccountId from, SubAccountId to, Amount amount) { move(from, to, risk_->quote, amount); }
  void move(SubAccountId from, SubAccountId to, AssetId asset, Amount amount) {
    const Amount from_before = ledger_.balance(from, asset);
    const Amount to_before = ledger_.balance(to, asset);
    ledger_.transfer(from, to, asset, amount);
    balance_moved(from, asset, from_before);
    balance_moved(to, asset, to_before);
  }

  void record_losses(const BankruptcyPlan& plan) {
    LossTotals& losses = waterfall_.losses;
    const auto sum = [](const std::vector<BankruptcyCharge>& charges) {
      int128 total = 0;
      for (const BankruptcyCharge& charge : charges) total += charge.amount.raw();
      return total;
    };
    losses.bankruptcies += 1;
    losses.adl_closes += plan.closes.size() - plan.group_closes;
    losses.deficit += plan.deficit.raw();
    losses.insurance += plan.from_insurance.raw();
    losses.adl += sum(plan.adl_charges);
    losses.socialized += sum(plan.socialized);
    losses.unresolved += plan.unresolved.raw();
    BALLAST_ASSERT(losses.deficit == losses.insurance + losses.adl + losses.socialized + losses.unresolved);
    if (plan.deficit.raw() > 0) waterfall_.last_bad_debt_ns = now_ns_;
  }

  TotalsKeeper keeper() {
    BALLAST_ASSERT(risk_ != nullptr);
    return TotalsKeeper(totals_, prices_, *risk_);
  }
  // A valid reading of `asset` enters the settlement window of every unsettled dated market on
  // it, at the event's time (so samples never go back in time, whatever the quotes say).
  void record_settlement_sample(AssetId asset, Price price) {
    for (std::size_t i = 0; i < lives_.size(); ++i) {
      MarketLife& life = lives_[i];
      if (life.settlement && !life.settled_at && risk_->markets[i].instrument.underlying == asset) {
        life.settlement->record(market::PriceSample{now_ns_, price});
      }
    }
  }
  // A valid reading steps the asset's volatility regime and restarts its outage clock.
  void observe_valid_reading(std::size_t asset, Price price) {
    const EngineOptions& options = governed_config_.options;
    if (!options.breakers) return;
    rules_changed_ = ballast::observe_valid_reading(*options.breakers, breakers_, asset, price, now_ns_) || rules_changed_;
  }
  // A balance changed (its new value read from the ledger); nothing to keep without a venue.
  void balance_moved(SubAccountId sub_account, AssetId asset, Amount before) {
    if (risk_ == nullptr) return;
    keeper().balance_moved(sub_account, asset, before, ledger_.balance(sub_account, asset));
  }

  Ledger& ledger_;
  PriceState& prices_;
  std::vector<AssetFeed>& feeds_;
  std::vector<MarketLife>& lives_;
  VenueTotals& totals_;
  std::map<GroupKey, LiquidationEpisode>& episodes_;
  WaterfallState& waterfall_;
  std::optional<lending::LiquidityVault>& vault_;
  std::vector<PoolState>& pool_states_;
  BreakerState& breakers_;
  GovernedParameters* governed_;
  GovernedConfig governed_config_;
  bool rules_changed_ = false;
  const margin::RiskConfig* risk_;
  const PortfolioVenue* portfolio_;
  const LiquidationRules& rules_;
  const std::vector<AssetPool>& pools_;
  TimestampNs now_ns_;
};

Error snapshot_error(std::string_view what) {
  return make_error(ErrorCode::corrupt, "engine snapshot: " + std::string(what));
}


}  // namespace

void encode_oracle_policy(ByteWriter& out, const market::OracleActionPolicy& policy) {
  for (std::size_t a = 0; a < market::kOracleActionCount; ++a) {
    std::uint8_t bits = 0;
    for (std::size_t v = 0; v < market::kOracleValidityCount; ++v) {
      if (policy.allows(static_cast<market::OracleAction>(a), static_cast<market::OracleValidity>(v))) {
        bits = static_cast<std::uint8_t>(bits | (1u << v));
      }
    }
    out.u8(bits);
  }
}

Result<market::OracleActionPolicy> decode_oracle_policy(ByteReader& in) {
  market::OracleActionPolicy policy = market::OracleActionPolicy::none();
  for (std::size_t a = 0; a < market::kOracleActionCount; ++a) {
    const auto bits = in.u8();
    if (!bits || *bits >> market::kOracleValidityCount != 0) {
      return make_error(ErrorCode::corrupt,
                        "bad oracle policy row " +
                            std::string(market::oracle_action_name(static_cast<market::OracleAction>(a))));
    }
    for (std::size_t v = 0; v < market::kOracleValidityCount; ++v) {
      policy.set(static_cast<market::OracleAction>(a), static_cast<market::OracleValidity>(v),
                 ((*bits >> v) & 1) != 0);
    }
  }
  return policy;
}

void PriceState::set_asset(AssetId asset, Price oracle, Price stable, TimestampNs now_ns) {
  const std::size_t i = sorted_index(book.assets, asset, &margin::AssetPrice::asset);
  const auto offset = static_cast<std::ptrdiff_t>(i);
  if (i == book.assets.size() || book.assets[i].asset != asset) {
    book.assets.insert(book.assets.begin() + offset, margin::AssetPrice{asset, {}, {}, {}, {}});
    asset_set_ns.insert(asset_set_ns.begin() + offset, 0);
  }
  book.assets[i].oracle = oracle;
  book.assets[i].stable = stable;
  asset_set_ns[i] = now_ns;
}

void PriceState::set_mark(InstrumentId instrument, Price mark, TimestampNs now_ns) {
  const std::size_t i = sorted_index(book.markets, instrument, &margin::MarketPrice::instrument);
  const auto offset = static_cast<std::ptrdiff_t>(i);
  if (i == book.markets.size() || book.markets[i].instrument != instrument) {
    book.markets.insert(book.markets.begin() + offset, margin::MarketPrice{instrument, {}, {}, {}});
    market_set_ns.insert(market_set_ns.begin() + offset, 0);
  }
  book.markets[i].mark = mark;
  market_set_ns[i] = now_ns;
}

std::optional<TimestampNs> PriceState::asset_set_ns_of(AssetId asset) const {
  const std::size_t i = sorted_index(book.assets, asset, &margin::AssetPrice::asset);
  if (i == book.assets.size() || book.assets[i].asset != asset) return std::nullopt;
  return asset_set_ns[i];
}

std::optional<TimestampNs> PriceState::mark_set_ns_of(InstrumentId instrument) const {
  const std::size_t i = sorted_index(book.markets, instrument, &margin::MarketPrice::instrument);
  if (i == book.markets.size() || book.markets[i].instrument != instrument) return std::nullopt;
  return market_set_ns[i];
}

Engine::Engine(margin::RiskConfig risk, EngineOptions options, std::optional<PortfolioVenue> portfolio)
    : has_risk_(true), risk_(std::move(risk)), options_(options), portfolio_(std::move(portfolio)) {
  BALLAST_ASSERT(risk_.validate().ok() && risk_.pnl.validate().ok());
  BALLAST_ASSERT(options_.price_max_age_ns > 0);
  BALLAST_ASSERT(options_.liquidation.validate().ok());
  if (options_.vault) {
    Result<lending::LiquidityVault> vault = lending::LiquidityVault::make(*options_.vault, 0);
    BALLAST_ASSERT(vault.ok());
    vault_ = std::move(*vault);
    ledger_.create_account(kVault);
    ledger_.create_sub_account(kVaultSub, kVault, MarginMode::cross);
  }
  ledger_.create_account(kBadDebt);
  ledger_.create_sub_account(kBadDebtSub, kBadDebt, MarginMode::cross);
  BALLAST_ASSERT(validate_pools(options_.pools, risk_).ok());
  pool_states_.resize(options_.pools.size());
  governed_risk_ = risk_;
  if (options_.breakers) {
    BALLAST_ASSERT(ballast::validate(*options_.breakers).ok());
    breakers_ = initial_breaker_state(*options_.breakers, risk_);
  }
  if (options_.governance) {
    Result<GovernedParameters> governed = GovernedParameters::make(*options_.governance, risk_, options_);
    BALLAST_ASSERT(governed.ok());
    governed_ = std::move(*governed);
  }
  feeds_.resize(risk_.assets.size());
  lives_.resize(risk_.markets.size());
  for (std::size_t i = 0; i < risk_.markets.size(); ++i) {
    const market::Instrument& instrument = risk_.markets[i].instrument;
    if (instrument.has_expiry()) lives_[i].settlement = market::settlement_window(instrument);
  }
  totals_ = recount_totals();
}

VenueTotals Engine::recount_totals() const {
  VenueTotals totals;
  if (!has_risk_) return totals;
  totals.deposit_units.assign(risk_.assets.size(), 0);
  totals.borrow_units.assign(risk_.assets.size(), 0);
  totals.long_size.assign(risk_.markets.size(), 0);
  totals.longs.assign(risk_.markets.size(), {});
  totals.shorts.assign(risk_.markets.size(), {});
  for (const SubAccount* sub_account : ledger_.sub_accounts_in_order()) {
    if (sub_account->id.value < kFirstUserId) continue;
    for (const Balance& balance : sub_account->balances) {
      if (const auto i = asset_index(risk_, balance.asset)) {
        totals.deposit_units[*i] += positive_part(balance.amount.raw());
        totals.borrow_units[*i] += negative_part(balance.amount.raw());
      }
    }
    for (const PositionEntry& held : sub_account->positions) {
      // Fills and restore keep positions in configured markets.
      const std::size_t slot = market_slot(risk_, held.instrument);
      totals.long_size[slot] += positive_part(held.position.size.raw());
      (held.position.size.raw() > 0 ? totals.longs : totals.shorts)[slot].insert(sub_account->id);
    }
  }
  return totals;
}

void Engine::refresh_all_totals() {
  if (!has_risk_) return;
  TotalsKeeper keeper(totals_, prices_, risk_);
  for (std::size_t i = 0; i < risk_.assets.size(); ++i) keeper.refresh_asset(i);
  for (std::size_t i = 0; i < risk_.markets.size(); ++i) keeper.refresh_market(i);
}

Result<Engine> Engine::make(margin::RiskConfig risk, EngineOptions options,
                           std::optional<portfolio::PortfolioConfig> portfolio) {
  if (Outcome valid = risk.validate(); !valid) return std::move(valid).error();
  if (Outcome valid = risk.pnl.validate(); !valid) {
    return make_error(ErrorCode::invalid_input, "pnl policy: " + valid.error().message);
  }
  if (options.price_max_age_ns <= 0) {
    return make_error(ErrorCode::invalid_input, "price_max_age_ns must be positive, got " +
                                                    std::to_string(options.price_max_age_ns));
  }
  if (Outcome valid = options.liquidation.validate(); !valid) return std::move(valid).error();
  if (options.vault) {
    if (Outcome valid = lending::validate(*options.vault); !valid) {
      return make_error(ErrorCode::invalid_input, "vault: " + valid.error().message);
    }
  }
  if (Outcome valid = validate_pools(options.pools, risk); !valid) return std::move(valid).error();
  if (options.breakers) {
    if (Outcome valid = ballast::validate(*options.breakers); !valid) return std::move(valid).error();
  }
  if (options.governance) {
    if (Result<GovernedParameters> governed = GovernedParameters::make(*options.governance, risk, options); !governed) {
      return std::move(governed).error();
    }
  }
  if (!portfolio) return Engine(std::move(risk), options);
  auto venue = PortfolioVenue::make(std::move(*portfolio), risk);
  if (!venue) return std::move(venue).error();
  return Engine(std::move(risk), options, std::move(*venue));
}

Status Engine::apply(const Event& event) {
  scratch_.clear();
  encode_event_into(event, scratch_);
  const std::uint64_t fingerprint = fingerprint64(scratch_.bytes());
  Planned planned;
  const Status status = validate(event, fingerprint, planned);
  if (status != Status::ok) {
    return status;
  }
  clock_ns_ = event.timestamp_ns;  // execution reads the event's time as "now"
  execute(event.body, planned);
  applied_.emplace(event.id, fingerprint);
  return Status::ok;
}

Status Engine::validate(const Event& event, std::uint64_t fingerprint, Planned& planned) const {
  if (event.id.value == 0) return Status::id_zero;
  if (event.timestamp_ns <= 0) return Status::timestamp_invalid;
  if (const auto seen = applied_.find(event.id); seen != applied_.end()) {
    return seen->second == fingerprint ? Status::exists : Status::id_reused;
  }
  if (event.timestamp_ns < clock_ns_) return Status::timestamp_regressed;
  Validator validator(ledger_, risk_config(), portfolio(), prices_, feeds_, lives_, totals_, episodes_, waterfall_,
                      vault_, pool_states_, breakers_, governed_ ? &*governed_ : nullptr, governed_risk_, options_,
                      event.timestamp_ns);
  validator.planned = &planned;
  return std::visit(validator, event.body);
}

void Engine::execute(const EventBody& body, Planned& planned) {
  Executor executor(ledger_, prices_, feeds_, lives_, totals_, episodes_, waterfall_, vault_, pool_states_, breakers_,
                    governed_ ? &*governed_ : nullptr, governed_risk_, risk_config(), portfolio(), options_, clock_ns_);
  executor.planned = &planned;
  std::visit(executor, body);
  if (executor.rules_changed()) derive_rules();
}

void Engine::derive_rules() {
  derive_rules_in_force(options_.breakers ? &*options_.breakers : nullptr, breakers_, governed_risk_, risk_);
}

std::optional<Money> Engine::vault_equity() const {
  if (!vault_) return std::nullopt;
  const margin::MarginOutcome outcome = vault_margin(ledger_, risk_, prices_);
  if (outcome.status != margin::MarginStatus::ok) return std::nullopt;
  return outcome.margin.equity;
}

BankruptcyPlan Engine::plan_bankruptcy(SubAccountId sub_account) const {
  const SubAccount* found = ledger_.find_sub_account(sub_account);
  BALLAST_ASSERT(has_risk_ && found != nullptr && sub_account.value >= kFirstUserId);
  return ballast::plan_bankruptcy(ledger_, totals_, risk_, prices_, portfolio_ ? &*portfolio_ : nullptr,
                                  options_.liquidation, episode_of(episodes_, group_key(*found)), *found, clock_ns_);
}

std::vector<LiquidatableGroup> Engine::liquidatable_groups() const {
  std::vector<LiquidatableGroup> found;
  if (!has_risk_) return found;
  std::set<GroupKey> seen;
  std::optional<portfolio::RiskMatrix> matrix;  // one for every portfolio sub-account
  if (portfolio_) matrix.emplace(portfolio_->model());
  for (const SubAccount* sub_account : ledger_.sub_accounts_in_order()) {
    if (sub_account->id.value < kFirstUserId) continue;
    const GroupKey key = group_key(*sub_account);
    if (!seen.insert(key).second) continue;
    if (sub_account->mode == MarginMode::portfolio) {
      const PortfolioOutcome outcome = portfolio_margin(sub_account->id, *matrix);
      if (outcome.status != Status::ok || !outcome.figures.liquidatable()) continue;
      const PortfolioFigures& p = outcome.figures;
      found.push_back({key, sub_account->id, p.equity, p.equity, p.maintenance_requirement});
      continue;
    }
    const margin::MarginOutcome outcome = margin::evaluate(risk_, prices_.book, group_books(ledger_, risk_, *sub_account));
    if (outcome.status != margin::MarginStatus::ok || !outcome.margin.liquidatable()) continue;
    const margin::MarginFigures& m = outcome.margin;
    found.push_back({key, sub_account->id, m.equity, m.maintenance_collateral, m.maintenance_requirement});
  }
  // collateral_a / requirement_a < collateral_b / requirement_b, requirements > 0: exact in 128 bits.
  std::sort(found.begin(), found.end(), [](const LiquidatableGroup& a, const LiquidatableGroup& b) {
    const std::int64_t ac = a.maintenance_collateral.raw(), ar = a.maintenance_requirement.raw();
    const std::int64_t bc = b.maintenance_collateral.raw(), br = b.maintenance_requirement.raw();
    if (margin::coverage_less(ac, ar, bc, br)) return true;
    if (margin::coverage_less(bc, br, ac, ar)) return false;
    return a.key < b.key;
  });
  return found;
}

std::optional<std::uint32_t> Engine::portfolio_liquidation_allowance(const LiquidatePortfolio& e) const {
  const SubAccount* target = ledger_.find_sub_account(e.target);
  BALLAST_ASSERT(has_risk_ && portfolio_ && target != nullptr && target->mode == MarginMode::portfolio &&
                 ledger_.find_sub_account(e.liquidator_sub_account) != nullptr);
  MarkVols vols;
  return ballast::portfolio_liquidation_allowance({ledger_, risk_, *portfolio_, prices_, options_.liquidation,
                                                   episode_of(episodes_, group_key(*target)), clock_ns_, vols},
                                                  e);
}

PortfolioOutcome Engine::portfolio_margin(SubAccountId sub_account, portfolio::RiskMatrix& matrix) const {
  const SubAccount* held = ledger_.find_sub_account(sub_account);
  BALLAST_ASSERT(held != nullptr && held->mode == MarginMode::portfolio && portfolio_);
  return evaluate_portfolio(*portfolio_, risk_, prices_.book, book_of(*held, risk_), clock_ns_, matrix);
}

Digest Engine::state_hash() const { return sha256(snapshot()); }

std::string Engine::snapshot() const {
  ByteWriter out;
  out.u32(kSnapshotMagic);
  out.u32(kSnapshotVersion);
  out.i64(clock_ns_);
  std::vector<std::pair<EventId, std::uint64_t>> applied(applied_.begin(), applied_.end());
  std::sort(applied.begin(), applied.end());
  out.u64(applied.size());
  for (const auto& [id, fingerprint] : applied) {
    out.u64(id.value);
    out.u64(fingerprint);
  }
  ledger_.encode(out);
  out.u8(has_risk_ ? 1 : 0);
  if (has_risk_) {
    encode_risk_config(out, governed_risk_);
    encode_oracle_policy(out, options_.oracle_policy);
    encode_liquidation_rules(out, options_.liquidation);
    out.u8(portfolio_ ? 1 : 0);
    if (portfolio_) encode_portfolio_config(out, portfolio_->config());
  }
  out.i64(options_.price_max_age_ns);
  out.u32(static_cast<std::uint32_t>(prices_.book.assets.size()));
  for (std::size_t i = 0; i < prices_.book.assets.size(); ++i) {
    const margin::AssetPrice& price = prices_.book.assets[i];
    out.u32(price.asset.value);
    out.i64(price.oracle.raw());
    out.i64(price.stable.raw());
    out.i64(prices_.asset_set_ns[i]);
  }
  out.u32(static_cast<std::uint32_t>(prices_.book.markets.size()));
  for (std::size_t i = 0; i < prices_.book.markets.size(); ++i) {
    const margin::MarketPrice& price = prices_.book.markets[i];
    out.u32(price.instrument.value);
    out.i64(price.mark.raw());
    out.i64(prices_.market_set_ns[i]);
  }
  encode_feeds(out);
  out.u32(static_cast<std::uint32_t>(episodes_.size()));
  for (const auto& [key, episode] : episodes_) {
    out.u64(key.owner.value);
    out.u64(key.isolated.value);
    out.i64(episode.started_ns);
    out.i64(episode.window_start_ns);
    out.i64(episode.window_notional.raw());
    out.i64(episode.window_insurance.raw());
  }
  out.u8(waterfall_.last_bad_debt_ns ? 1 : 0);
  out.i64(waterfall_.last_bad_debt_ns.value_or(0));
  const LossTotals& losses = waterfall_.losses;
  out.u64(losses.bankruptcies);
  out.u64(losses.adl_closes);
  for (const int128 total : {losses.deficit, losses.insurance, losses.adl, losses.socialized, losses.unresolved}) {
    out.i128(total);
  }
  out.u8(vault_ ? 1 : 0);
  if (vault_) vault_->encode(out);
  if (has_risk_) {
    encode_pools(out, options_.pools);
    for (const PoolState& state : pool_states_) encode_pool_state(out, state);
    encode_controls(out);
  }
  return out.take();
}

void Engine::encode_controls(ByteWriter& out) const {
  out.u8(options_.breakers ? 1 : 0);
  if (options_.breakers) {
    encode_breaker_options(out, *options_.breakers);
    encode_breaker_state(out, breakers_);
  }
  out.u8(governed_ ? 1 : 0);
  if (governed_) governed_->encode(out);
}

// After the configuration, the liquidation rules and the pools: governance reads them to check
// that every governed value in force is the configuration's.
Outcome Engine::restore_controls(ByteReader& in) {
  if (!has_risk_) return Ok{};
  const auto has_breakers = in.u8();
  if (!has_breakers || *has_breakers > 1) return snapshot_error("bad circuit-breaker flag");
  if (*has_breakers == 1) {
    Result<BreakerOptions> options = decode_breaker_options(in);
    if (!options) return snapshot_error(options.error().message);
    options_.breakers = *options;
    Result<BreakerState> state = decode_breaker_state(in, risk_);
    if (!state) return snapshot_error(state.error().message);
    breakers_ = std::move(*state);
  }
  const auto has_governance = in.u8();
  if (!has_governance || *has_governance > 1) return snapshot_error("bad governance flag");
  if (*has_governance == 1) {
    Result<GovernedParameters> governed = GovernedParameters::decode(in, governed_risk_, options_);
    if (!governed) return snapshot_error(governed.error().message);
    if (governed->governor().clock_ns() > clock_ns_) return snapshot_error("governance clock after the engine's");
    options_.governance = governed->options();
    governed_ = std::move(*governed);
  }
  derive_rules();
  return Ok{};
}

namespace {

void encode_optional_price(ByteWriter& out, const std::optional<Price>& price) {
  out.u8(price ? 1 : 0);
  if (price) out.i64(price->raw());
}

// A flag byte then, when set, a positive price; nullopt (outer) when corrupt.
std::optional<std::optional<Price>> decode_optional_price(ByteReader& in) {
  const auto has = in.u8();
  if (!has || *has > 1) return std::nullopt;
  if (*has == 0) return std::optional<Price>{};
  const auto raw = in.i64();
  if (!raw || *raw <= 0) return std::nullopt;
  return std::optional<Price>{Price::from_raw(*raw)};
}

void encode_stable(ByteWriter& out, const market::StablePrice::State& state) {
  out.i64(state.stable.raw());
  for (const Price delay : state.delay_prices) out.i64(delay.raw());
  out.i128(state.accumulated_price_ns);
  out.i64(state.accumulated_ns);
  out.i64(state.interval);
  out.i64(state.last_update_ns);
}

std::optional<market::StablePrice::State> decode_stable(ByteReader& in) {
  market::StablePrice::State state;
  const auto stable = in.i64();
  if (!stable) return std::nullopt;
  state.stable = Price::from_raw(*stable);
  for (Price& delay : state.delay_prices) {
    const auto raw = in.i64();
    if (!raw) return std::nullopt;
    delay = Price::from_raw(*raw);
  }
  const auto accumulated_price_ns = in.i128();
  const auto accumulated_ns = in.i64();
  const auto interval = in.i64();
  const auto last_update_ns = in.i64();
  if (!accumulated_price_ns || !accumulated_ns || !interval || !last_update_ns) return std::nullopt;
  state.accumulated_price_ns = *accumulated_price_ns;
  state.accumulated_ns = *accumulated_ns;
  state.interval = *interval;
  state.last_update_ns = *last_update_ns;
  return state;
}

void encode_window(ByteWriter& out, const market::WindowAverage::State& state) {
  out.u8(state.last ? 1 : 0);
  if (state.last) {
    out.i64(state.last->ts_ns);
    out.i64(state.last->price.raw());
  }
  out.u8(state.from_ns ? 1 : 0);
  if (state.from_ns) out.i64(*state.from_ns);
  out.i128(state.weighted);
}

std::optional<market::WindowAverage::State> decode_window(ByteReader& in) {
  market::WindowAverage::State state;
  const auto has_last = in.u8();
  if (!has_last || *has_last > 1) return std::nullopt;
  if (*has_last == 1) {
    const auto ts = in.i64();
    const auto price = in.i64();
    if (!ts || !price) return std::nullopt;
    state.last = market::PriceSample{*ts, Price::from_raw(*price)};
  }
  const auto has_from = in.u8();
  if (!has_from || *has_from > 1) return std::nullopt;
  if (*has_from == 1) {
    const auto from = in.i64();
    if (!from) return std::nullopt;
    state.from_ns = *from;
  }
  const auto weighted = in.i128();
  if (!weighted) return std::nullopt;
  state.weighted = *weighted;
  return state;
}

}  // namespace

// Per configured asset its feed, then per configured market its life (nothing without a risk
// configuration: both lists are empty).
void Engine::encode_feeds(ByteWriter& out) const {
  for (const AssetFeed& feed : feeds_) {
    out.u8(static_cast<std::uint8_t>(feed.validity));
    encode_optional_price(out, feed.reference);
    out.u8(feed.stable ? 1 : 0);
    if (feed.stable) encode_stable(out, feed.stable->state());
  }
  for (const MarketLife& life : lives_) {
    out.i64(life.funding.index.raw());
    out.i64(life.funding.updated_ns);
    if (life.settlement) {
      encode_window(out, life.settlement->state());
      encode_optional_price(out, life.settled_at);
    }
  }
}

Result<Engine> Engine::restore(std::string_view snapshot) {
  ByteReader in(snapshot);
  const auto magic = in.u32();
  const auto version = in.u32();
  const auto clock = in.i64();
  if (!magic || *magic != kSnapshotMagic) return snapshot_error("not a Ballast snapshot");
  if (!version || *version != kSnapshotVersion) return snapshot_error("unsupported version");
  if (!clock || *clock < 0) return snapshot_error("bad clock");
  Engine engine;
  engine.clock_ns_ = *clock;
  return restore_idempotency(in, std::move(engine));
}

Result<Engine> Engine::restore_idempotency(ByteReader& in, Engine engine) {
  const auto count = in.u64();
  if (!count || *count > in.remaining() / 16) return snapshot_error("bad idempotency count");
  engine.applied_.reserve(*count);
  EventId previous{0};
  for (std::uint64_t i = 0; i < *count; ++i) {
    const auto id = in.u64();
    const auto fingerprint = in.u64();
    if (!id || !fingerprint || EventId{*id} <= previous) {
      return snapshot_error("idempotency ids not in strictly increasing order");
    }
    previous = EventId{*id};
    engine.applied_.emplace(previous, *fingerprint);
  }
  auto ledger = Ledger::decode(in);
  if (!ledger) return std::move(ledger).error();
  engine.ledger_ = std::move(*ledger);
  return restore_risk(in, std::move(engine));
}

Result<Engine> Engine::restore_risk(ByteReader& in, Engine engine) {
  const auto has_risk = in.u8();
  if (!has_risk || *has_risk > 1) return snapshot_error("bad risk configuration flag");
  engine.has_risk_ = *has_risk == 1;
  if (engine.has_risk_) {
    auto risk = decode_risk_config(in);
    if (!risk) return snapshot_error(risk.error().message);
    engine.risk_ = std::move(*risk);
    engine.governed_risk_ = engine.risk_;  // the breakers' multipliers are applied once restored
    auto policy = decode_oracle_policy(in);
    if (!policy) return snapshot_error(policy.error().message);
    engine.options_.oracle_policy = *policy;
    auto rules = decode_liquidation_rules(in);
    if (!rules) return snapshot_error(rules.error().message);
    engine.options_.liquidation = *rules;
    if (Outcome restored = engine.restore_portfolio(in); !restored) return std::move(restored).error();
  }
  if (engine.has_risk_ && engine.ledger_.find_sub_account(kBadDebtSub) == nullptr) {
    return snapshot_error("no bad-debt account on a venue with a risk configuration");
  }
  const auto max_age = in.i64();
  if (!max_age || *max_age <= 0) return snapshot_error("bad price_max_age_ns");
  engine.options_.price_max_age_ns = *max_age;
  // Every position is in a derivative market of the configuration, as fills put it there; a
  // portfolio sub-account holds only what the portfolio venue allows.
  for (const SubAccount* sub_account : engine.ledger_.sub_accounts_in_order()) {
    const std::string where = "sub-account " + std::to_string(sub_account->id.value);
    const PortfolioVenue* portfolio =
        sub_account->mode == MarginMode::portfolio ? engine.portfolio() : nullptr;
    if (sub_account->mode == MarginMode::portfolio && portfolio == nullptr) {
      return snapshot_error(where + " is in mode portfolio on a venue without portfolio margin");
    }
    for (const PositionEntry& held : sub_account->positions) {
      const margin::MarketRisk* market =
          engine.has_risk_ ? engine.risk_.find_market(held.instrument) : nullptr;
      if (market == nullptr || market->instrument.kind == market::InstrumentKind::spot) {
        return snapshot_error("position in " + where + " is not in a derivative market of the risk configuration");
      }
      if (portfolio != nullptr && !portfolio->trades(market->instrument)) {
        return snapshot_error("position in " + where + " is outside the portfolio-margin model");
      }
    }
    for (const Balance& balance : sub_account->balances) {
      if (portfolio != nullptr && !portfolio->holds(balance.asset)) {
        return snapshot_error("balance in " + where + " is outside the portfolio-margin model");
      }
    }
  }
  return restore_prices(in, std::move(engine));
}

// Prices are re-checked as the events that set them were: sorted, for configured assets and
// markets, valid values, set no later than the clock.
Outcome Engine::restore_portfolio(ByteReader& in) {
  const auto has_portfolio = in.u8();
  if (!has_portfolio || *has_portfolio > 1) return snapshot_error("bad portfolio-margin flag");
  if (*has_portfolio == 0) return Ok{};
  auto config = decode_portfolio_config(in);
  if (!config) return snapshot_error(config.error().message);
  auto venue = PortfolioVenue::make(std::move(*config), risk_);
  if (!venue) return snapshot_error(venue.error().message);
  portfolio_ = std::move(*venue);
  return Ok{};
}

Result<Engine> Engine::restore_prices(ByteReader& in, Engine engine) {
  const margin::RiskConfig* risk = engine.risk_config();
  const auto asset_count = in.u32();
  if (!asset_count || *asset_count > in.remaining() / 28) return snapshot_error("bad price count");
  for (std::uint32_t i = 0; i < *asset_count; ++i) {
    const auto asset = in.u32();
    const auto oracle = in.i64();
    const auto stable = in.i64();
    const auto set_ns = in.i64();
    if (!asset || !oracle || !stable || !set_ns || *oracle <= 0 || *stable <= 0 || *set_ns <= 0 ||
        *set_ns > engine.clock_ns_ || risk == nullptr ||
        risk->find_asset(AssetId{*asset}) == nullptr ||
        (!engine.prices_.book.assets.empty() &&
         AssetId{*asset} <= engine.prices_.book.assets.back().asset)) {
      return snapshot_error("bad oracle price " + std::to_string(i));
    }
    engine.prices_.set_asset(AssetId{*asset}, Price::from_raw(*oracle), Price::from_raw(*stable),
                             *set_ns);
  }
  const auto market_count = in.u32();
  if (!market_count || *market_count > in.remaining() / 20) return snapshot_error("bad mark count");
  for (std::uint32_t i = 0; i < *market_count; ++i) {
    const auto instrument = in.u32();
    const auto mark = in.i64();
    const auto set_ns = in.i64();
    const margin::MarketRisk* market =
        instrument && risk != nullptr ? risk->find_market(InstrumentId{*instrument}) : nullptr;
    if (!instrument || !mark || !set_ns || market == nullptr || *mark < 0 ||
        (*mark == 0 && market->instrument.kind != market::InstrumentKind::option) ||
        *set_ns <= 0 || *set_ns > engine.clock_ns_ ||
        (!engine.prices_.book.markets.empty() &&
         InstrumentId{*instrument} <= engine.prices_.book.markets.back().instrument)) {
      return snapshot_error("bad mark " + std::to_string(i));
    }
    engine.prices_.set_mark(InstrumentId{*instrument}, Price::from_raw(*mark), *set_ns);
  }
  return restore_feeds(in, std::move(engine));
}

// Feeds and market lives are re-checked as the events that made them: validities in range,
// positive prices, models and windows that updates can reach, times no later than the clock,
// funding only on perpetuals (mirrored into their price-book entries, which a funded market has).
Result<Engine> Engine::restore_feeds(ByteReader& in, Engine engine) {
  if (engine.has_risk_) {
    engine.feeds_.resize(engine.risk_.assets.size());
    for (std::size_t i = 0; i < engine.feeds_.size(); ++i) {
      AssetFeed& feed = engine.feeds_[i];
      const std::string where = "oracle feed of asset " + engine.risk_.assets[i].symbol;
      const auto validity = in.u8();
      const auto reference = decode_optional_price(in);
      const auto has_stable = in.u8();
      if (!validity || *validity >= market::kOracleValidityCount || !reference || !has_stable ||
          *has_stable > 1) {
        return snapshot_error("bad " + where);
      }
      feed.validity = static_cast<market::OracleValidity>(*validity);
      feed.reference = *reference;
      if (*has_stable == 1) {
        const auto state = decode_stable(in);
        if (state) {
          feed.stable = market::StablePrice::restore(engine.risk_.assets[i].stable_price, *state);
        }
        if (!feed.stable || feed.stable->last_update_ns() > engine.clock_ns_) {
          return snapshot_error("bad stable price in " + where);
        }
      }
    }
    engine.lives_.resize(engine.risk_.markets.size());
    for (std::size_t i = 0; i < engine.lives_.size(); ++i) {
      if (Outcome restored = engine.restore_life(in, i); !restored) {
        return std::move(restored).error();
      }
    }
  }
  if (Outcome restored = engine.restore_episodes(in); !restored) return std::move(restored).error();
  if (Outcome restored = engine.restore_waterfall(in); !restored) return std::move(restored).error();
  if (Outcome restored = engine.restore_vault(in); !restored) return std::move(restored).error();
  if (Outcome restored = engine.restore_pools(in); !restored) return std::move(restored).error();
  if (Outcome restored = engine.restore_controls(in); !restored) return std::move(restored).error();
  if (!in.at_end()) return snapshot_error("trailing bytes");
  // The venue totals are derived state: counted afresh from the restored ledger and valued at
  // the restored prices, equal to what the original kept event by event.
  engine.totals_ = engine.recount_totals();
  engine.refresh_all_totals();
  return engine;
}

// Episodes as execution leaves them: keys in increasing order, each naming an existing owner
// (and for an isolated group, its own non-cross sub-account), times no later than the clock, and
// a window count within the account cap.
Outcome Engine::restore_episodes(ByteReader& in) {
  const auto count = in.u32();
  if (!count || *count > in.remaining() / 48) return snapshot_error("bad liquidation episode count");
  std::optional<GroupKey> previous;
  for (std::uint32_t i = 0; i < *count; ++i) {
    const auto owner = in.u64();
    const auto isolated = in.u64();
    const auto started = in.i64();
    const auto window_start = in.i64();
    const auto notional = in.i64();
    const auto insurance = in.i64();
    if (!owner || !isolated || !started || !window_start || !notional || !insurance) {
      return snapshot_error("truncated liquidation episode");
    }
    const GroupKey key{AccountId{*owner}, SubAccountId{*isolated}};
    const SubAccount* sub_account = key.isolated.value == 0 ? nullptr : ledger_.find_sub_account(key.isolated);
    const bool names_group = ledger_.has_account(key.owner) && key.owner.value >= kFirstUserId &&
                             (key.isolated.value == 0 ||
                              (sub_account != nullptr && sub_account->owner == key.owner &&
                               sub_account->mode != MarginMode::cross));
    const std::string where = "liquidation episode of account " + std::to_string(*owner);
    if (previous && !(*previous < key)) return snapshot_error("liquidation episodes not in increasing order");
    if (!names_group) return snapshot_error(where + " names no margin group");
    if (*started <= 0 || *started > clock_ns_ || *window_start < *started || *window_start > clock_ns_) {
      return snapshot_error(where + " has times out of order or after the clock");
    }
    if (*notional < 0 || *notional > options_.liquidation.account_cap_notional.raw()) {
      return snapshot_error(where + " counts a notional outside the account cap");
    }
    if (*insurance < 0 || *insurance > options_.liquidation.insurance.per_account_window.raw()) {
      return snapshot_error(where + " counts an insurance payment outside the per-account cap");
    }
    episodes_.emplace(key, LiquidationEpisode{*started, *window_start, Money::from_raw(*notional),
                                              Money::from_raw(*insurance)});
    previous = key;
  }
  return Ok{};
}

// The gate's time is a past event's; the totals are sums of non-negative amounts whose buckets add
// up to the deficits.
Outcome Engine::restore_waterfall(ByteReader& in) {
  const auto has_gate = in.u8();
  const auto gate_ns = in.i64();
  const auto bankruptcies = in.u64();
  const auto adl_closes = in.u64();
  if (!has_gate || *has_gate > 1 || !gate_ns || !bankruptcies || !adl_closes) {
    return snapshot_error("truncated waterfall state");
  }
  if (*has_gate == 1 ? (*gate_ns <= 0 || *gate_ns > clock_ns_) : *gate_ns != 0) {
    return snapshot_error("bad time of the last bad debt");
  }
  std::array<int128, 5> totals{};
  for (int128& total : totals) {
    const auto value = in.i128();
    if (!value || *value < 0) return snapshot_error("bad loss total");
    total = *value;
  }
  const auto [deficit, insurance, adl, socialized, unresolved] = totals;
  if (deficit != insurance + adl + socialized + unresolved) {
    return snapshot_error("loss totals do not add up to the deficits");
  }
  if (*has_gate == 1) waterfall_.last_bad_debt_ns = *gate_ns;
  waterfall_.losses = LossTotals{*bankruptcies, *adl_closes, deficit, insurance, adl, socialized, unresolved};
  return Ok{};
}

// A vault needs a venue and its sub-account in the ledger; its options are its parameters.
Outcome Engine::restore_vault(ByteReader& in) {
  const auto has_vault = in.u8();
  if (!has_vault || *has_vault > 1) return snapshot_error("bad vault flag");
  if (*has_vault == 0) return Ok{};
  const SubAccount* sub_account = ledger_.find_sub_account(kVaultSub);
  if (!has_risk_ || sub_account == nullptr || sub_account->owner != kVault) {
    return snapshot_error("a vault without a venue or its sub-account");
  }
  Result<lending::LiquidityVault> vault = lending::LiquidityVault::decode(in);
  if (!vault) return snapshot_error(vault.error().message);
  if (vault->clock_ns() > clock_ns_) return snapshot_error("vault's clock after the engine's");
  options_.vault = vault->params();
  vault_ = std::move(*vault);
  return Ok{};
}

// Pools are the options' (re-validated against the venue); each state's times are a past event's.
Outcome Engine::restore_pools(ByteReader& in) {
  if (!has_risk_) return Ok{};
  Result<std::vector<AssetPool>> pools = decode_pools(in, risk_);
  if (!pools) return snapshot_error(pools.error().message);
  options_.pools = std::move(*pools);
  pool_states_.clear();
  for (const AssetPool& pool : options_.pools) {
    const std::optional<PoolState> state = decode_pool_state(in);
    if (!state || state->accrued_ns > clock_ns_) {
      return snapshot_error("bad lending pool state of asset " + std::to_string(pool.asset.value));
    }
    pool_states_.push_back(*state);
  }
  return Ok{};
}

Outcome Engine::restore_life(ByteReader& in, std::size_t i) {
  const market::Instrument& instrument = risk_.markets[i].instrument;
  MarketLife& life = lives_[i];
  const std::string where = "market " + instrument.symbol;
  const auto index = in.i64();
  const auto updated_ns = in.i64();
  const bool perpetual = instrument.kind == market::InstrumentKind::perpetual;
  // An index moves only by accruals, and only a perpetual accrues.
  if (!index || !updated_ns || *updated_ns < 0 || *updated_ns > clock_ns_ ||
      ((!perpetual || *updated_ns == 0) && *index != 0) || (!perpetual && *updated_ns != 0)) {
    return snapshot_error("bad funding of " + where);
  }
  life.funding = market::FundingAccrual{market::FundingIndex::from_raw(*index), *updated_ns};
  if (perpetual && *updated_ns != 0) {
    margin::MarketPrice* price = find_price(prices_.book.markets, instrument.id);
    if (price == nullptr) return snapshot_error("funding of " + where + " without a mark");
    price->funding_index = life.funding.index;
  }
  if (!instrument.has_expiry()) return Ok{};
  const auto window = decode_window(in);
  const auto settled_at = decode_optional_price(in);
  if (window) {
    life.settlement = market::WindowAverage::restore(
        instrument.expiry_ns - instrument.settlement_window_ns, instrument.expiry_ns, *window);
  }
  if (!life.settlement || !settled_at ||
      (window->last && window->last->ts_ns > clock_ns_) ||
      (*settled_at && clock_ns_ < instrument.expiry_ns)) {
    return snapshot_error("bad settlement of " + where);
  }
  life.settled_at = *settled_at;
  return Ok{};
}

}  // namespace ballast
