#include "ballast/engine/bankruptcy.hpp"

#include <algorithm>
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

// The group's exposure to `underlying` besides `holder`'s position in `instrument` (units of the
// underlying, signed): its balances of the underlying and its linear positions on it elsewhere.
// ADL's hedge-aware ranking reads it: a short perp against a long spot balance is a hedge.
std::optional<Quantity> hedge_of(const margin::RiskConfig& risk, const std::vector<margin::SubAccountBook>& books,
                                 SubAccountId holder, InstrumentId instrument, AssetId underlying) {
  int128 hedge = 0;
  const margin::AssetRisk* asset = risk.find_asset(underlying);
  const std::uint8_t decimals = asset != nullptr ? asset->decimals : 0;
  for (const margin::SubAccountBook& member : books) {
    for (const Balance& balance : member.balances) {
      if (balance.asset != underlying) continue;
      const auto units = from_units<Quantity>(balance.amount.raw(), decimals, Round::down);
      if (!units) return std::nullopt;
      hedge += units->raw();
    }
    for (const margin::HeldPosition& held : member.positions) {
      if (member.id == holder && held.instrument == instrument) continue;
      const margin::MarketRisk* market = risk.find_market(held.instrument);
      if (market == nullptr || !is_linear(market->instrument) || market->instrument.underlying != underlying) continue;
      const auto exposure = market::exposure_of(held.position.size, market->instrument.contract_size);
      if (!exposure) return std::nullopt;
      hedge += exposure->raw();
    }
  }
  const auto narrowed = narrow_i64(hedge);
  return narrowed ? std::optional<Quantity>(Quantity::from_raw(*narrowed)) : std::nullopt;
}

// Contracts for an exposure that is a whole number of lots (so the division is exact).
Quantity contracts_of(Quantity exposure, const market::Instrument& instrument) {
  const int128 scaled = static_cast<int128>(exposure.raw()) * pow10_i64(Quantity::kDecimals);
  BALLAST_ASSERT(scaled % instrument.contract_size.raw() == 0);
  return Quantity::from_raw(static_cast<std::int64_t>(scaled / instrument.contract_size.raw()));
}

struct PlanBuilder {
  const Ledger& ledger;
  const margin::RiskConfig& risk;
  const PriceState& prices;
  const LiquidationRules& rules;
  const SubAccount& named;
  GroupKey key;
  OtherGroups others;
  BankruptcyPlan plan;
  std::map<SubAccountId, int128> adl_weight;  // notional each counterparty closed (Money raw)
  std::vector<InstrumentId> markets;  // the markets the group held

  Price mark_of(InstrumentId instrument) const { return prices.book.find_market(instrument)->mark; }

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

  // Step 1 for one linear market the group is net `exposure` in: the opposite side's positions,
  // ranked, closed at the mark for the same size as far as they go.
  bool deleverage(const margin::MarketRisk& market, Quantity exposure) {
    const market::Instrument& instrument = market.instrument;
    const Price mark = mark_of(instrument.id);
    const auto lot = market::exposure_of(instrument.lot, instrument.contract_size);
    if (!lot) return false;
    const bool group_long = exposure.raw() > 0;
    std::vector<liquidation::AdlCandidate> candidates;
    std::vector<const SubAccount*> holders;
    for (const SubAccount* holder : holders_of(instrument.id)) {
      if (holder->mode == MarginMode::portfolio) continue;  // scenario-margined: not ranked by equity
      const Quantity size = position_of(*holder, instrument.id)->size;
      if ((size.raw() > 0) == group_long) continue;
      const OtherGroup& group = others.of(*holder);
      if (group.outcome.status != margin::MarginStatus::ok) continue;  // no figures: not eligible
      const margin::PositionMargin* figures = position_figures(group.outcome.margin, holder->id, instrument.id);
      const auto held = market::exposure_of(size, instrument.contract_size);
      const auto hedge = hedge_of(risk, group.books, holder->id, instrument.id, instrument.underlying);
      if (figures == nullptr || !held || !hedge) return false;
      candidates.push_back({holder->id, *held, figures->unrealized_pnl, group.outcome.margin.equity, *hedge});
      holders.push_back(holder);
    }
    const liquidation::Side needed = group_long ? liquidation::Side::short_side : liquidation::Side::long_side;
    const liquidation::AdlQueue queue = liquidation::rank_adl(candidates, rules.adl_ranking, needed, *lot);
    const liquidation::AdlPlan adl =
        liquidation::plan_adl(Quantity::from_raw(magnitude(exposure.raw())), mark, queue);
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
  bool cover(Amount deficit, const std::optional<LiquidationEpisode>& episode, TimestampNs now_ns) {
    const margin::AssetRisk& quote = *risk.find_asset(risk.quote);
    const auto units_down = [&](Money m) { return to_units(m, quote.decimals, Round::down); };
    const auto units_up = [&](Money m) { return to_units(m, quote.decimals, Round::up); };
    const auto per_account = units_down(rules.insurance.per_account_window);
    const auto per_event = units_down(rules.insurance.per_event);
    const auto floor = units_up(rules.insurance.keep_minimum);
    const auto used = units_up(insurance_used(rules, episode, now_ns));
    if (!per_account || !per_event || !floor || !used) return false;
    // The waterfall in quote units: Money's raw carries the integers (no scaling happens inside).
    const Amount fund = ledger.balance(SubAccountId{kInsuranceFund.value}, risk.quote);
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
        !add_pair(plan.postings, credited, SubAccountId{kInsuranceFund.value}, risk.quote, plan.from_insurance.raw())) {
      return false;
    }
    return share_rest(Money::from_raw(waterfall.remaining.raw()));
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

BankruptcyPlan plan_bankruptcy(const Ledger& ledger, const margin::RiskConfig& risk, const PriceState& prices,
                               const LiquidationRules& rules, const std::optional<LiquidationEpisode>& episode,
                               const SubAccount& sub_account, TimestampNs now_ns) {
  PlanBuilder builder{ledger, risk, prices, rules, sub_account, group_key(sub_account),
                      OtherGroups(ledger, risk, prices), {}, {}, {}};
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
  if (plan.deficit.raw() > 0 && !builder.cover(plan.deficit, episode, now_ns)) {
    plan.status = Status::balance_overflow;
  }
  return std::move(plan);
}

}  // namespace ballast
