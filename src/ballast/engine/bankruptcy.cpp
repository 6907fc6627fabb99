#include "ballast/engine/bankruptcy.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "ballast/engine/engine_parts.hpp"
#include "ballast/engine/portfolio_margin.hpp"
#include "ballast/liquidation/adl.hpp"
#include "ballast/liquidation/waterfall.hpp"

namespace ballast {
namespace {

using namespace detail;

bool is_linear(const market::Instrument& instrument) {
  return instrument.kind == market::InstrumentKind::perpetual || instrument.kind == market::InstrumentKind::future;
}

// The other margin groups a plan reads (ADL candidates, holders): their books and figures at the
// engine's prices, each evaluated once per plan.
struct OtherGroup {
  std::vector<margin::SubAccountBook> books;
  margin::MarginOutcome outcome;
};

class OtherGroups {
 public:
  OtherGroups(const Ledger& ledger, const margin::RiskConfig& risk, const PriceState& prices)
      : ledger_(ledger), risk_(risk), prices_(prices) {}

  const OtherGroup& of(const SubAccount& sub_account) {
    const auto [it, inserted] = groups_.try_emplace(group_key(sub_account));
    if (inserted) {
      it->second.books = group_books(ledger_, risk_, sub_account);
      it->second.outcome = margin::evaluate(risk_, prices_.book, it->second.books);
    }
    return it->second;
  }

 private:
  const Ledger& ledger_;
  const margin::RiskConfig& risk_;
  const PriceState& prices_;
  std::map<GroupKey, OtherGroup> groups_;
};

const margin::PositionMargin* position_figures(const margin::GroupMargin& group, SubAccountId holder,
                                               InstrumentId instrument) {
  for (const margin::SubAccountMargin& member : group.sub_accounts) {
    if (member.id != holder) continue;
    for (const margin::PositionMargin& position : member.positions) {
      if (position.instrument == instrument) return &position;
    }
  }
  return nullptr;
}

const margin::SubAccountBook& member_of(const margin::SubAccountBook& book) { return book; }
const SubAccount& member_of(const SubAccount* sub_account) { return *sub_account; }

// The group's exposure to `underlying` besides `holder`'s position in `instrument` (units of the
// underlying, signed): its balances of the underlying, its linear positions on it elsewhere, and
// its options on it at their mark's delta (mark_delta, toward zero). ADL's hedge-aware ranking
// reads it: a short perp against a long spot balance is a hedge, and so is a long perp against
// short calls (a delta-neutral option seller is the account the ranking exists to spare). The
// members are the group's books or its ledger sub-accounts (a positive balance in an asset the
// configuration does not list is in neither: book_of leaves it out). nullopt when an option has no
// delta (no mark, or one above its bound) or the sum leaves the range.
template <typename Members>
std::optional<Quantity> hedge_of(const margin::RiskConfig& risk, const PriceState& prices, TimestampNs now_ns,
                                 MarkVols& vols, const Members& members, SubAccountId holder, InstrumentId instrument,
                                 AssetId underlying) {
  int128 hedge = 0;
  const margin::AssetRisk* asset = risk.find_asset(underlying);
  const std::uint8_t decimals = asset != nullptr ? asset->decimals : 0;
  for (const auto& each : members) {
    const auto& member = member_of(each);
    for (const Balance& balance : member.balances) {
      if (balance.asset != underlying || (asset == nullptr && balance.amount.raw() > 0)) continue;
      const auto units = from_units<Quantity>(balance.amount.raw(), decimals, Round::down);
      if (!units) return std::nullopt;
      hedge += units->raw();
    }
    for (const margin::HeldPosition& held : member.positions) {
      if (member.id == holder && held.instrument == instrument) continue;
      const margin::MarketRisk* market = risk.find_market(held.instrument);
      if (market == nullptr || market->instrument.underlying != underlying) continue;
      if (market->instrument.kind == market::InstrumentKind::option) {
        const auto delta = mark_delta(risk, prices.book, market->instrument, now_ns, &vols);
        if (!delta) return std::nullopt;
        hedge += static_cast<int128>(std::trunc(static_cast<double>(held.position.size.raw()) * *delta));
        continue;
      }
      if (!is_linear(market->instrument)) continue;
      const auto exposure = market::exposure_of(held.position.size, market->instrument.contract_size);
      if (!exposure) return std::nullopt;
      hedge += exposure->raw();
    }
  }
  const auto narrowed = narrow_i64(hedge);
  return narrowed ? std::optional<Quantity>(Quantity::from_raw(*narrowed)) : std::nullopt;
}

constexpr Price kOne = Price::from_raw(1'000'000'000);  // the quote's price in itself

Amount balance_in(const margin::SubAccountBook& member, AssetId asset) {
  for (const Balance& balance : member.balances) {
    if (balance.asset == asset) return balance.amount;
  }
  return Amount{};
}

// 10^k with k = Price::kDecimals + decimals − Money::kDecimals: units × price / 10^k is Money raw,
// as margin values a balance.
int value_shift(std::uint8_t decimals) { return Price::kDecimals + decimals - Money::kDecimals; }

// The fewest units of an asset at `price` (> 0) worth at least `value` (Money raw, > 0):
// ⌈value × 10^k / price⌉, saturating at INT64_MAX (the caller caps it at the debt).
std::int64_t units_worth(int128 value, std::uint8_t decimals, Price price) {
  const auto scaled = scale_pow10(value, value_shift(decimals), Round::up);
  const auto units = scaled ? narrow_i64(div_round(*scaled, price.raw(), Round::up)) : std::nullopt;
  return units ? *units : INT64_MAX;
}

// ⌊units × price / 10^k⌋ in Money raw: margin::evaluate's value of a balance (rounded down, toward
// −∞); nullopt beyond Money's range, where evaluate fails too.
std::optional<std::int64_t> value_down(std::int64_t units, std::uint8_t decimals, Price price) {
  // At the quote's price the product's 10^9 cancels exactly: the same floor without a 128-bit
  // division (none at all for a quote of Money's 6 decimals), which ranking does per holder.
  const auto value = price == kOne
                         ? scale_pow10(units, Money::kDecimals - decimals, Round::down)
                         : scale_pow10(static_cast<int128>(units) * price.raw(), -value_shift(decimals), Round::down);
  return value ? narrow_i64(*value) : std::nullopt;
}

// What ADL ranks a holder by.
struct HolderFigures {
  Money unrealized_pnl;  // of its position in the market
  Money equity;          // its group's
};

// A holder's figures as margin::evaluate computes them, from the ledger, without the rest of the
// evaluation (weights, requirements, health), which ranking does not read: evaluate's equity is
// the sum of every balance at its oracle rounded down (the quote at 1), every linear position's
// value less its charged basis (its uPnL) and every option's value, and this is that sum, term by
// term, with the same functions. Why: ranking evaluated every profitable holder's group, ~1 ms a
// bankruptcy on a 10,000-account venue. nullopt where a term is missing or out of range (evaluate
// fails there, or the caller evaluates to find out). Evaluation still decides: a holder is closed
// only once its group is evaluated, ok and with these same figures (asserted).
std::optional<HolderFigures> quick_figures(const margin::RiskConfig& risk, const PriceState& prices,
                                           std::span<const SubAccount* const> members, SubAccountId holder,
                                           InstrumentId instrument) {
  int128 equity = 0;
  std::optional<Money> pnl;
  for (const SubAccount* member : members) {
    for (const Balance& balance : member->balances) {
      const margin::AssetRisk* asset = risk.find_asset(balance.asset);
      if (asset == nullptr) {
        if (balance.amount.is_negative()) return std::nullopt;  // evaluate: asset_unknown
        continue;                                               // left out of the books
      }
      const bool quote = asset->id == risk.quote;
      const margin::AssetPrice* price = quote ? nullptr : prices.book.find_asset(asset->id);
      if (!quote && price == nullptr) return std::nullopt;
      const auto value = value_down(balance.amount.raw(), asset->decimals, quote ? kOne : price->oracle);
      if (!value) return std::nullopt;
      equity += *value;
    }
    for (const margin::HeldPosition& held : member->positions) {
      const margin::MarketRisk* market = risk.find_market(held.instrument);
      const margin::MarketPrice* price = prices.book.find_market(held.instrument);
      if (market == nullptr || price == nullptr) return std::nullopt;
      const auto value = market::position_value(held.position, price->mark, market->instrument.contract_size);
      if (!value) return std::nullopt;
      if (market->instrument.kind == market::InstrumentKind::option) {
        equity += value->raw();
        continue;
      }
      const auto basis = margin::charged_basis(market->instrument, held.position, *price);
      const auto upnl = basis ? checked_sub(*value, *basis) : std::nullopt;
      if (!upnl) return std::nullopt;
      equity += upnl->raw();
      if (member->id == holder && held.instrument == instrument) pnl = *upnl;
    }
  }
  const auto narrowed = narrow_i64(equity);
  if (!pnl || !narrowed) return std::nullopt;
  return HolderFigures{*pnl, Money::from_raw(*narrowed)};
}

// Contracts for an exposure that is a whole number of lots (so the division is exact).
Quantity contracts_of(Quantity exposure, const market::Instrument& instrument) {
  const int128 scaled = static_cast<int128>(exposure.raw()) * pow10_i64(Quantity::kDecimals);
  BALLAST_ASSERT(scaled % instrument.contract_size.raw() == 0);
  return Quantity::from_raw(static_cast<std::int64_t>(scaled / instrument.contract_size.raw()));
}

struct PlanBuilder {
  const Ledger& ledger;
  const VenueTotals& totals;
  const margin::RiskConfig& risk;
  const PriceState& prices;
  const PortfolioVenue* portfolio;  // nullptr: no portfolio sub-account can exist
  TimestampNs now_ns;
  const LiquidationRules& rules;
  const SubAccount& named;
  GroupKey key;
  OtherGroups others;
  BankruptcyPlan plan;
  std::map<SubAccountId, int128> adl_weight;  // notional each counterparty closed (Money raw)
  std::vector<InstrumentId> markets;  // the markets the group held
  std::vector<const SubAccount*> members;  // a holder's group: a buffer add_candidate reuses
  MarkVols vols;  // the option vols of this event's prices: hedges' deltas, portfolio holders' checks

  Price mark_of(InstrumentId instrument) const { return prices.book.find_market(instrument)->mark; }
  Price oracle_of(AssetId asset) const {
    const margin::AssetPrice* price = prices.book.find_asset(asset);
    return price != nullptr ? price->oracle : Price{};
  }

  // The user sub-accounts outside the group holding `instrument`, by id (the ledger's index of
  // holders: O(holders), not O(sub-accounts)).
  std::vector<const SubAccount*> holders_of(InstrumentId instrument) const {
    std::vector<const SubAccount*> holders;
    for (const SubAccountId id : ledger.holders_of(instrument)) {
      const SubAccount* sub_account = ledger.find_sub_account(id);
      if (id.value >= kFirstUserId && group_key(*sub_account) != key) holders.push_back(sub_account);
    }
    return holders;
  }

  // What the ranking reads as the holder's hedge: hedge_of under hedge_aware; pnl_leverage reads
  // none, so its queue inverts no option marks.
  template <typename Members>
  std::optional<Quantity> hedge_for(const Members& group, SubAccountId holder, const market::Instrument& instrument) {
    if (rules.adl_ranking != liquidation::AdlRanking::hedge_aware) return Quantity{};
    return hedge_of(risk, prices, now_ns, vols, group, holder, instrument.id, instrument.underlying);
  }

  // A holder on the side ADL needs, as a candidate: its figures read from the ledger
  // (quick_figures), or from its group's evaluation where they cannot be. `evaluated` says which.
  // nullopt: not eligible (its group has no figures, or an option of it no delta); false: a figure
  // left its range (the plan fails).
  std::optional<bool> add_candidate(const SubAccount& holder, const market::Instrument& instrument, Quantity size,
                                    std::vector<liquidation::AdlCandidate>& candidates, bool& evaluated) {
    group_members(ledger, holder, members);
    const auto held = market::exposure_of(size, instrument.contract_size);
    const auto quick = quick_figures(risk, prices, members, holder.id, instrument.id);
    const auto hedge = quick ? hedge_for(members, holder.id, instrument) : std::nullopt;
    evaluated = !quick || !held || !hedge;
    if (!evaluated) {
      candidates.push_back({holder.id, *held, quick->unrealized_pnl, quick->equity, *hedge});
      return true;
    }
    const OtherGroup& group = others.of(holder);
    if (group.outcome.status != margin::MarginStatus::ok) return std::nullopt;  // no figures: not eligible
    const margin::PositionMargin* figures = position_figures(group.outcome.margin, holder.id, instrument.id);
    const auto books_hedge = hedge_for(group.books, holder.id, instrument);
    if (!books_hedge) return std::nullopt;  // an option without a delta: not ranked, as without figures
    if (figures == nullptr || !held) return false;
    candidates.push_back({holder.id, *held, figures->unrealized_pnl, group.outcome.margin.equity, *books_hedge});
    return true;
  }

  // Whether a queued candidate read from the ledger may be closed: its group evaluates, with the
  // figures it was ranked by (asserted: quick_figures is evaluate's sum). A group that does not
  // evaluate was never eligible, and leaving it out of the queue leaves the others' order as it is.
  bool evaluates(const SubAccount& holder, const liquidation::AdlCandidate& candidate, InstrumentId instrument) {
    const OtherGroup& group = others.of(holder);
    if (group.outcome.status != margin::MarginStatus::ok) return false;
    const margin::PositionMargin* figures = position_figures(group.outcome.margin, holder.id, instrument);
    BALLAST_ASSERT(figures != nullptr && figures->unrealized_pnl == candidate.unrealized_pnl &&
                   group.outcome.margin.equity == candidate.equity);
    return holder.mode != MarginMode::portfolio || closing_keeps_health(holder, instrument);
  }

  // Whether ADL may close a portfolio holder's position in `instrument`: with the whole position
  // closed, its maintenance health is at least min(0, its health now). Why the check: closing one
  // leg of a hedge can raise a scenario requirement, where a linear account's only falls. Why the
  // whole position suffices for the part the queue may take: a close at the mark leaves equity as
  // it is, and the requirement is convex in the book, so the health after any part is at least
  // the worse of the two ends. ADL never makes a healthy portfolio unhealthy, nor an unhealthy one
  // less healthy.
  bool closing_keeps_health(const SubAccount& holder, InstrumentId instrument) {
    BALLAST_ASSERT(portfolio != nullptr);
    const margin::SubAccountBook now = book_of(holder, risk);
    margin::SubAccountBook closed = now;
    set_book_position(closed, instrument, market::Position{});
    const PortfolioOutcome before = evaluate_portfolio(*portfolio, risk, prices.book, now, now_ns, &vols);
    const PortfolioOutcome after = evaluate_portfolio(*portfolio, risk, prices.book, closed, now_ns, &vols);
    if (before.status != Status::ok || after.status != Status::ok) return false;
    // The closed book's own equity lacks the position's PnL, which the close realizes: the
    // equity is the one before.
    const auto health_after = checked_sub(before.figures.equity, after.figures.maintenance_requirement);
    return health_after && *health_after >= std::min(before.figures.maintenance_health, Money{});
  }

  // Step 1 for one linear market the group is net `exposure` in: the opposite side's positions,
  // ranked, closed at the mark for the same size as far as they go. Only the head of the queue is
  // ranked and evaluated: as many slots as cover the size (liquidation::AdlRanker).
  bool deleverage(const margin::MarketRisk& market, Quantity exposure) {
    const market::Instrument& instrument = market.instrument;
    const Price mark = mark_of(instrument.id);
    const auto lot = market::exposure_of(instrument.lot, instrument.contract_size);
    if (!lot) return false;
    const bool group_long = exposure.raw() > 0;
    std::vector<liquidation::AdlCandidate> candidates;
    std::vector<const SubAccount*> holders;
    std::vector<std::uint8_t> checked;  // per candidate: 1 once its group has evaluated ok
    // The opposite side's holders by id, as the venue totals index them (users only).
    const std::size_t market_at = market_slot(risk, instrument.id);
    for (const SubAccountId id : group_long ? totals.shorts[market_at] : totals.longs[market_at]) {
      const SubAccount* holder = ledger.find_sub_account(id);
      if (group_key(*holder) == key) continue;
      bool evaluated = false;
      const Quantity size = position_of(*holder, instrument.id)->size;
      const std::optional<bool> added = add_candidate(*holder, instrument, size, candidates, evaluated);
      if (!added) continue;
      if (!*added) return false;
      holders.push_back(holder);
      // A portfolio holder is ranked like any other (its equity and the position's PnL are the
      // cross calculator's) but checked at the head of the queue (closing_keeps_health).
      checked.push_back(evaluated && holder->mode != MarginMode::portfolio ? 1 : 0);
    }
    const liquidation::Side needed = group_long ? liquidation::Side::short_side : liquidation::Side::long_side;
    const Quantity to_close = Quantity::from_raw(magnitude(exposure.raw()));
    liquidation::AdlRanker ranker(candidates, rules.adl_ranking, needed, *lot);
    liquidation::AdlQueue queue{.side = needed, .lot = *lot};
    int128 queued = 0;
    for (liquidation::AdlSlot slot; queued < to_close.raw() && ranker.next(slot);) {
      const std::uint32_t c = slot.candidate;
      if (checked[c] == 0 && !evaluates(*holders[c], candidates[c], instrument.id)) continue;
      checked[c] = 1;
      queue.slots.push_back(slot);
      queued += slot.capacity.raw();
    }
    const liquidation::AdlPlan adl = liquidation::plan_adl(to_close, mark, queue);
    if (adl.status != liquidation::AdlStatus::ok) return false;
    // hedge_aware may give one account two slots: one fill per account, of both.
    std::map<std::uint32_t, std::int64_t> closed;
    for (const liquidation::AdlFill& fill : adl.fills) closed[fill.candidate] += fill.closed.raw();
    for (const auto& [candidate, amount] : closed) {
      const SubAccount& holder = *holders[candidate];
      const Quantity contracts = contracts_of(Quantity::from_raw(amount), instrument);
      const auto notional = mul<Money>(Quantity::from_raw(amount), mark, Round::up);
      if (!notional) return false;
      plan.closes.push_back(Fill{holder.owner, holder.id, instrument.id,
                                 group_long ? contracts : Quantity::from_raw(-contracts.raw()), mark, Money{}});
      adl_weight[holder.id] += notional->raw();
    }
    return true;
  }

  // Step 1: the group's own closes, then ADL market by market (by instrument id).
  bool close_positions(const std::vector<margin::SubAccountBook>& group) {
    std::map<InstrumentId, int128> net;
    for (const margin::SubAccountBook& member : group) {
      for (const margin::HeldPosition& held : member.positions) {
        const margin::MarketRisk& market = *risk.find_market(held.instrument);
        plan.closes.push_back(Fill{member.owner, member.id, held.instrument,
                                   Quantity::from_raw(-held.position.size.raw()), mark_of(held.instrument), Money{}});
        const auto exposure = market::exposure_of(held.position.size, market.instrument.contract_size);
        if (!exposure) return false;
        net[held.instrument] += exposure->raw();
      }
    }
    plan.group_closes = plan.closes.size();
    for (const auto& [instrument, exposure] : net) {
      markets.push_back(instrument);
      const margin::MarketRisk& market = *risk.find_market(instrument);
      if (exposure == 0 || !is_linear(market.instrument) || mark_of(instrument).raw() <= 0) continue;
      const auto narrowed = narrow_i64(exposure);
      if (!narrowed || !deleverage(market, Quantity::from_raw(*narrowed))) return false;
    }
    return true;
  }

  // The closes' postings (all of them, for the range check), and the group's books after its own.
  bool book_closes(std::vector<margin::SubAccountBook>& group) {
    for (std::size_t i = 0; i < plan.closes.size(); ++i) {
      const Fill& close = plan.closes[i];
      const FillPlan fill = plan_fill(ledger, risk, prices, *risk.find_market(close.instrument), close);
      if (!fill.ok) return false;
      plan.postings.insert(plan.postings.end(), fill.postings.begin(), fill.postings.end());
      if (i < plan.group_closes) apply_postings(group, fill.postings);
    }
    for (margin::SubAccountBook& member : group) member.positions.clear();
    plan.cover_from = plan.postings.size();
    return true;
  }

  // Every other holder of the group's markets, weighted by its notional in them at the mark
  // (each market once, however many of the group's members held it).
  std::vector<liquidation::Holder> market_holders() const {
    std::map<SubAccountId, int128> weight;
    for (const InstrumentId id : markets) {
      const market::Instrument& instrument = risk.find_market(id)->instrument;
      for (const SubAccount* holder : holders_of(id)) {
        const Quantity size = position_of(*holder, id)->size;
        const auto exposure = market::exposure_of(Quantity::from_raw(magnitude(size.raw())), instrument.contract_size);
        const auto notional = exposure ? mul<Money>(*exposure, mark_of(id), Round::up) : std::nullopt;
        weight[holder->id] += notional ? notional->raw() : 0;
      }
    }
    return holders_from(weight);
  }

  static std::vector<liquidation::Holder> holders_from(const std::map<SubAccountId, int128>& weight) {
    std::vector<liquidation::Holder> holders;
    for (const auto& [id, w] : weight) {
      const auto narrowed = narrow_i64(w);
      if (w > 0) holders.push_back({id, Quantity::from_raw(narrowed ? *narrowed : INT64_MAX)});
    }
    return holders;
  }

  // Steps 3 to 5 on a deficit in quote units.
  bool cover(Amount deficit, const std::optional<LiquidationEpisode>& episode) {
    const margin::AssetRisk& quote = *risk.find_asset(risk.quote);
    const auto units_down = [&](Money m) { return to_units(m, quote.decimals, Round::down); };
    const auto units_up = [&](Money m) { return to_units(m, quote.decimals, Round::up); };
    const auto per_account = units_down(rules.insurance.per_account_window);
    const auto per_event = units_down(rules.insurance.per_event);
    const auto floor = insurance_floor_units(risk, rules);
    const auto used = units_up(insurance_used(rules, episode, now_ns));
    if (!per_account || !per_event || !floor || !used) return false;
    // The waterfall in quote units: Money's raw carries the integers (no scaling happens inside).
    const Amount fund = ledger.balance(kInsuranceSub, risk.quote);
    const liquidation::WaterfallPlan waterfall = liquidation::plan_waterfall(
        Money::from_raw(deficit.raw()), Money::from_raw(std::max<std::int64_t>(fund.raw(), 0)),
        {Money::from_raw(*per_account), Money::from_raw(*per_event), Money::from_raw(*floor)},
        {Money::from_raw(*used), Money{}});
    if (waterfall.status != liquidation::WaterfallStatus::ok) return false;
    plan.from_insurance = Amount::from_raw(waterfall.from_insurance.raw());
    const auto counted = from_units<Money>(plan.from_insurance.raw(), quote.decimals, Round::up);
    if (!counted) return false;
    plan.insurance_counted = *counted;
    const SubAccountId credited = named.id;
    if (plan.from_insurance.raw() > 0 &&
        !add_pair(plan.postings, credited, kInsuranceSub, risk.quote, plan.from_insurance.raw())) {
      return false;
    }
    return share_rest(Money::from_raw(waterfall.remaining.raw()));
  }

  // Step 5: debts worth at least `unresolved` leave the group (after its closes and cover) for the
  // bad-debt account: the quote's first, then the other assets' by id, member by member.
  bool write_off(std::vector<margin::SubAccountBook> group) {
    apply_postings(group, std::span<const Posting>(plan.postings).subspan(plan.cover_from));
    const auto owed = from_units<Money>(plan.unresolved.raw(), risk.find_asset(risk.quote)->decimals, Round::up);
    if (!owed) return false;
    int128 left = owed->raw();
    const auto write_off_asset = [&](const margin::AssetRisk& asset) {
      const Price price = asset.id == risk.quote ? kOne : oracle_of(asset.id);
      for (const margin::SubAccountBook& member : group) {
        const Amount held = balance_in(member, asset.id);
        if (left == 0 || held.raw() >= 0 || price.raw() <= 0) continue;
        const auto units = static_cast<std::int64_t>(
            std::min<int128>(units_worth(left, asset.decimals, price), -static_cast<int128>(held.raw())));
        left -= std::min<int128>(left, value_down(units, asset.decimals, price).value_or(0));
        plan.written_off.push_back({member.id, asset.id, Amount::from_raw(units)});
        if (!add_pair(plan.postings, member.id, kBadDebtSub, asset.id, units)) return false;
      }
      return true;
    };
    if (!write_off_asset(*risk.find_asset(risk.quote))) return false;
    for (const margin::AssetRisk& asset : risk.assets) {
      if (asset.id != risk.quote && !write_off_asset(asset)) return false;
    }
    return true;
  }

  bool share_rest(Money rest) {
    if (rest.raw() == 0) return true;
    const bool to_adl = rules.after_insurance == LossAbsorber::adl_counterparties && !adl_weight.empty();
    const std::vector<liquidation::Holder> holders = to_adl ? holders_from(adl_weight) : market_holders();
    if (holders.empty()) {
      plan.unresolved = Amount::from_raw(rest.raw());
      return true;
    }
    const liquidation::Socialization shares = liquidation::socialize_loss(rest, holders);
    if (shares.status != liquidation::SocializeStatus::ok) return false;
    std::vector<BankruptcyCharge>& charges = to_adl ? plan.adl_charges : plan.socialized;
    for (std::size_t i = 0; i < holders.size(); ++i) {
      const std::int64_t amount = shares.charges[i].raw();
      if (amount == 0) continue;
      charges.push_back({holders[i].id, Amount::from_raw(amount)});
      if (!add_pair(plan.postings, named.id, holders[i].id, risk.quote, amount)) return false;
    }
    return true;
  }
};

}  // namespace

BankruptcyPlan plan_bankruptcy(const Ledger& ledger, const VenueTotals& totals, const margin::RiskConfig& risk,
                               const PriceState& prices, const PortfolioVenue* portfolio, const LiquidationRules& rules,
                               const std::optional<LiquidationEpisode>& episode, const SubAccount& sub_account,
                               TimestampNs now_ns) {
  PlanBuilder builder{ledger, totals, risk, prices, portfolio, now_ns, rules, sub_account, group_key(sub_account),
                      OtherGroups(ledger, risk, prices), {}, {}, {}, {}, {}};
  BankruptcyPlan& plan = builder.plan;
  const std::vector<margin::SubAccountBook> before = group_books(ledger, risk, sub_account);
  const margin::MarginOutcome outcome = margin::evaluate(risk, prices.book, before);
  if (outcome.status != margin::MarginStatus::ok) {
    plan.status = status_of(outcome.status);
    return std::move(plan);
  }
  if (!outcome.margin.equity.is_negative()) {
    plan.status = Status::account_solvent;
    return std::move(plan);
  }
  std::vector<margin::SubAccountBook> after = before;
  if (!builder.close_positions(before) || !builder.book_closes(after)) {
    plan.status = Status::balance_overflow;
    return std::move(plan);
  }
  const margin::MarginOutcome closed = margin::evaluate(risk, prices.book, after);
  if (closed.status != margin::MarginStatus::ok) {
    plan.status = status_of(closed.status);
    return std::move(plan);
  }
  const Money shortfall = closed.margin.equity.is_negative() ? Money::from_raw(-closed.margin.equity.raw()) : Money{};
  const auto deficit = to_units(shortfall, risk.find_asset(risk.quote)->decimals, Round::up);
  if (!deficit) {
    plan.status = Status::balance_overflow;
    return std::move(plan);
  }
  plan.deficit = Amount::from_raw(*deficit);
  if (plan.deficit.raw() > 0 && !builder.cover(plan.deficit, episode)) {
    plan.status = Status::balance_overflow;
  } else if (plan.unresolved.raw() > 0 && !builder.write_off(std::move(after))) {
    plan.status = Status::balance_overflow;
  }
  return std::move(plan);
}

}  // namespace ballast
