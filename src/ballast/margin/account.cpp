#include "ballast/margin/account.hpp"

#include "ballast/market/reference_price.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

namespace ballast::margin {
namespace {

constexpr Price kPriceOne = Price::from_raw(Price::kScale);

template <typename T, typename Id>
const T* find_sorted(const std::vector<T>& items, Id id, Id T::*key) {
  const auto it = std::lower_bound(items.begin(), items.end(), id,
                                   [key](const T& item, Id wanted) { return item.*key < wanted; });
  return it != items.end() && (*it).*key == id ? &*it : nullptr;
}

// amount (smallest units, `decimals`) × price → quote money, rounded as asked.
std::optional<Money> balance_value(Amount amount, std::uint8_t decimals, Price price, Round round) {
  const int128 product = static_cast<int128>(amount.raw()) * price.raw();
  const auto scaled = scale_pow10(product, Money::kDecimals - Price::kDecimals - decimals, round);
  if (!scaled) return std::nullopt;
  const auto raw = narrow_i64(*scaled);
  return raw ? std::optional<Money>(Money::from_raw(*raw)) : std::nullopt;
}

// |amount| in whole units as a Quantity, rounded up: a larger size never gives a kinder weight
// (asset weights fall and liability weights rise with size).
Quantity units_of(Amount amount, std::uint8_t decimals) {
  const int128 magnitude = amount.raw() < 0 ? -static_cast<int128>(amount.raw()) : amount.raw();
  const auto scaled = scale_pow10(magnitude, Quantity::kDecimals - decimals, Round::up);
  const auto raw = scaled ? narrow_i64(*scaled) : std::nullopt;
  return Quantity::from_raw(raw ? *raw : INT64_MAX);
}

Money negate(Money value) { return Money::from_raw(-value.raw()); }

Money money_or_zero(std::optional<Money> value) { return value ? *value : Money{}; }

// The short option legs of one underlying and expiry, capped together.
using OptionSetKey = std::pair<AssetId, TimestampNs>;

// How the group's maintenance health moves with one underlying's price (its oracle and every
// mark on it moving together), exactly: 10^-21 Money per 1.0 of price (a Quantity times a
// Ratio), from balances and linear positions (see PositionMargin::liquidation_price).
struct Slope {
  int128 per_price = 0;
  std::optional<std::int64_t> move;  // the shift that takes health to 0 (Price raw), once solved
};
using Slopes = std::map<AssetId, Slope>;
constexpr int kSlopeDecimals = Quantity::kDecimals + Ratio::kDecimals;

// v × weight (v at any scale), exact when the weight is 1, else toward zero in v's last unit:
// split so that nothing overflows for any v a slope holds (|v| < 2^104).
int128 times_weight(int128 v, Ratio weight) {
  if (weight == kRatioOne) return v;
  const int128 scale = Ratio::kScale;
  return v / scale * weight.raw() + v % scale * weight.raw() / scale;
}

// numerator × 10^digits / denominator (denominator != 0), rounded as asked; nullopt when it
// leaves int64. Long division in decimal chunks as large as keep remainder × 10^chunk below
// 2^126 (0.3 digits per spare bit, under log10 2): one 128-bit division per chunk, two for a
// typical slope (|denominator| < 2^120, digits <= 36).
std::optional<std::int64_t> divide_scaled(int128 numerator, int128 denominator, int digits, Round round) {
  const bool negative = (numerator < 0) != (denominator < 0);
  const int128 n = numerator < 0 ? -numerator : numerator;
  const int128 d = denominator < 0 ? -denominator : denominator;
  const auto high = static_cast<std::uint64_t>(static_cast<detail::uint128>(d) >> 64);
  const int bits = high != 0 ? 128 - __builtin_clzll(high) : 64 - __builtin_clzll(static_cast<std::uint64_t>(d));
  const int chunk_max = std::max(1, std::min(18, (126 - bits) * 3 / 10));
  int128 quotient = n < d ? 0 : n / d;
  int128 remainder = n - quotient * d;
  while (digits > 0) {
    const int chunk = std::min(digits, chunk_max);
    const int128 scale = pow10_i128(chunk);
    if (quotient > INT64_MAX) return std::nullopt;
    remainder *= scale;
    const int128 step = remainder / d;
    quotient = quotient * scale + step;
    remainder -= step * d;
    digits -= chunk;
  }
  const bool away = remainder != 0 && (negative ? round == Round::down : round == Round::up);
  const int128 magnitude = quotient + (away ? 1 : 0);
  return narrow_i64(negative ? -magnitude : magnitude);
}

class Evaluator {
 public:
  Evaluator(const RiskConfig& config, const PriceBook& prices) : config_(config), prices_(prices) {}

  MarginOutcome run(std::span<const SubAccountBook> group) {
    MarginOutcome out;
    for (const SubAccountBook& sub : group) {
      sub_index_ = static_cast<std::uint32_t>(out.margin.sub_accounts.size());
      out.margin.sub_accounts.push_back(sub_account(sub));
      if (failed()) return failure();
    }
    add_option_sets();
    if (failed()) return failure();
    finish(out.margin);
    if (failed()) return failure();
    set_liquidation_prices(out.margin);
    return out;
  }

 private:
  bool failed() const { return status_ != MarginStatus::ok; }

  MarginOutcome failure() const {
    MarginOutcome out;
    out.status = status_;
    out.where = where_;
    return out;
  }

  void fail(MarginStatus status, std::string where) {
    if (failed()) return;
    status_ = status;
    where_ = std::move(where);
  }

  Money checked(std::optional<Money> value, const std::string& where) {
    if (!value) fail(MarginStatus::overflow, where);
    return money_or_zero(value);
  }

  SubAccountMargin sub_account(const SubAccountBook& sub) {
    SubAccountMargin out{sub.id, {}, {}};
    for (const Balance& balance : sub.balances) {
      out.balances.push_back(balance_margin(balance, sub.mode));
      if (failed()) return out;
    }
    for (const HeldPosition& held : sub.positions) {
      position_index_ = static_cast<std::uint32_t>(out.positions.size());
      out.positions.push_back(position_margin(held));
      if (failed()) return out;
    }
    return out;
  }

  struct AssetQuote {
    Price oracle;
    Price stable;
    Money total_deposits;
    Money total_borrows;
  };

  std::optional<AssetQuote> quote_of(const AssetRisk& asset) {
    if (asset.id == config_.quote) return AssetQuote{kPriceOne, kPriceOne, {}, {}};
    const AssetPrice* price = prices_.find_asset(asset.id);
    if (price == nullptr) {
      fail(MarginStatus::price_missing, asset.symbol);
      return std::nullopt;
    }
    return AssetQuote{price->oracle, price->stable, price->total_deposits, price->total_borrows};
  }

  BalanceMargin balance_margin(const Balance& balance, MarginMode mode) {
    BalanceMargin out{balance.asset, {}, {}, {}};
    const AssetRisk* asset = config_.find_asset(balance.asset);
    if (asset == nullptr) {
      fail(MarginStatus::asset_unknown, "asset " + std::to_string(balance.asset.value));
      return out;
    }
    const std::optional<AssetQuote> quote = quote_of(*asset);
    if (!quote) return out;
    const Quantity units = units_of(balance.amount, asset->decimals);
    const bool counts = mode == MarginMode::isolated || !asset->collateral.isolated_only;
    out.value = checked(balance_value(balance.amount, asset->decimals, quote->oracle, Round::down),
                        asset->symbol);
    if (balance.amount.raw() > 0) {
      const Ratio initial_weight =
          counts ? asset_weight(asset->collateral, MarginKind::initial, units, quote->total_deposits)
                 : Ratio{};
      const Ratio maintenance_weight =
          counts ? asset_weight(asset->collateral, MarginKind::maintenance, units, quote->total_deposits)
                 : Ratio{};
      const Money initial_value = checked(
          balance_value(balance.amount, asset->decimals, market::asset_price(quote->oracle, quote->stable),
                        Round::down),
          asset->symbol);
      out.initial_collateral = checked(weighted_asset_value(initial_value, initial_weight), asset->symbol);
      out.maintenance_collateral = checked(weighted_asset_value(out.value, maintenance_weight), asset->symbol);
      add_balance_slope(balance.asset, units, maintenance_weight, 1);
    } else {
      const Amount owed = Amount::from_raw(-balance.amount.raw());
      const Ratio initial_weight =
          liability_weight(asset->collateral, MarginKind::initial, units, quote->total_borrows);
      const Ratio maintenance_weight =
          liability_weight(asset->collateral, MarginKind::maintenance, units, quote->total_borrows);
      const Money initial_owed = checked(
          balance_value(owed, asset->decimals, market::liability_price(quote->oracle, quote->stable),
                        Round::up),
          asset->symbol);
      const Money maintenance_owed =
          checked(balance_value(owed, asset->decimals, quote->oracle, Round::up), asset->symbol);
      out.initial_collateral =
          negate(checked(weighted_liability_value(initial_owed, initial_weight), asset->symbol));
      out.maintenance_collateral =
          negate(checked(weighted_liability_value(maintenance_owed, maintenance_weight), asset->symbol));
      add_balance_slope(balance.asset, units, maintenance_weight, -1);
    }
    totals_.equity += out.value.raw();
    totals_.initial_collateral += out.initial_collateral.raw();
    totals_.maintenance_collateral += out.maintenance_collateral.raw();
    return out;
  }

  // A balance's maintenance value moves by units × weight per 1.0 of its price (exact for
  // assets of at most 9 decimals; units_of rounds finer ones up).
  void add_balance_slope(AssetId asset, Quantity units, Ratio weight, int sign) {
    if (asset == config_.quote) return;
    slopes_[asset].per_price += sign * static_cast<int128>(units.raw()) * weight.raw();
  }

  PositionMargin position_margin(const HeldPosition& held) {
    PositionMargin out{held.instrument, held.position.size, {}, {}, {}, {}, {}, {}, {}, {}, {}};
    const MarketRisk* market = config_.find_market(held.instrument);
    if (market == nullptr) {
      fail(MarginStatus::instrument_unknown, "instrument " + std::to_string(held.instrument.value));
      return out;
    }
    const market::Instrument& instrument = market->instrument;
    const MarketPrice* price = prices_.find_market(held.instrument);
    if (price == nullptr) {
      fail(MarginStatus::price_missing, instrument.symbol);
      return out;
    }
    const auto exposure = market::exposure_of(held.position.size, instrument.contract_size);
    if (!exposure) {
      fail(MarginStatus::overflow, instrument.symbol);
      return out;
    }
    const Quantity magnitude = Quantity::from_raw(exposure->raw() < 0 ? -exposure->raw() : exposure->raw());
    out.notional = checked(notional(magnitude, price->mark, Round::up), instrument.symbol);
    out.value = checked(market::position_value(held.position, price->mark, instrument.contract_size),
                        instrument.symbol);
    if (instrument.kind == market::InstrumentKind::option) {
      option_position(*market, *exposure, price->mark, out);
    } else {
      linear_position(*market, *exposure, magnitude, *price, held.position, out);
    }
    return out;
  }

  void linear_position(const MarketRisk& market, Quantity exposure, Quantity magnitude,
                       const MarketPrice& price, const market::Position& position, PositionMargin& out) {
    const std::string& where = market.instrument.symbol;
    out.pending_funding = checked(pending_funding(market.instrument, position, price), where);
    const std::optional<Money> basis = charged_basis(market.instrument, position, price);
    out.unrealized_pnl = checked(basis ? checked_sub(out.value, *basis) : std::nullopt, where);
    const Requirements required = requirements(market.rule, out.notional, exposure, price.open_interest);
    const Money latency = checked(latency_addon(market.latency_rate, out.notional), where);
    out.initial_requirement = checked(checked_add(checked(required.initial, where), latency), where);
    out.maintenance_requirement =
        checked(checked_add(checked(required.maintenance, where), latency), where);
    totals_.equity += out.unrealized_pnl.raw();
    totals_.initial_requirement += out.initial_requirement.raw();
    totals_.maintenance_requirement += out.maintenance_requirement.raw();
    const bool net = market.perp_health == PerpHealth::settle_weighted_net;
    if (net) {
      add_net(out, where);
    } else {
      add_pnl(out);
    }
    // Health moves with the price through the position's value and its requirement, at the
    // requirement's marginal rate here (the latency add-on is a rate too).
    const Ratio rate = Ratio::from_raw(
        marginal_rate(market.rule, MarginKind::maintenance, out.notional, exposure, price.open_interest).raw() +
        market.latency_rate.raw());
    const int128 value = static_cast<int128>(exposure.raw()) * Ratio::kScale;
    const int128 requirement = static_cast<int128>(rate.raw()) * magnitude.raw();
    const Money counted = net ? checked(checked_sub(out.unrealized_pnl, out.maintenance_requirement), where)
                              : out.unrealized_pnl;
    linear_terms_.push_back(
        {market.instrument.underlying, value, requirement, counted, net, sub_index_, position_index_, price.mark});
  }

  // PerpHealth::pnl_less_requirement: the PnL through the policy (on the group's sum in
  // finish()).
  void add_pnl(PositionMargin& out) {
    out.initial_collateral = credited_pnl(config_.pnl, MarginKind::initial, out.unrealized_pnl);
    out.maintenance_collateral = credited_pnl(config_.pnl, MarginKind::maintenance, out.unrealized_pnl);
    (out.unrealized_pnl.raw() > 0 ? totals_.positive_pnl : totals_.negative_pnl) += out.unrealized_pnl.raw();
  }

  // PerpHealth::settle_weighted_net, per kind: the requirement and a negative net (weighted) to
  // collateral now, a positive net to the group's net sum (weighted in finish()). The position's
  // own collateral figure counts its positive net as if it were alone.
  void add_net(PositionMargin& out, const std::string& where) {
    for (const MarginKind kind : {MarginKind::initial, MarginKind::maintenance}) {
      const bool initial = kind == MarginKind::initial;
      const Money requirement = initial ? out.initial_requirement : out.maintenance_requirement;
      const Money collateral = checked(net_collateral(out.unrealized_pnl, requirement, settle_.liability(kind)), where);
      const int128 net = static_cast<int128>(out.unrealized_pnl.raw()) - requirement.raw();
      const Money positive = net > 0 ? Money::from_raw(out.unrealized_pnl.raw() - requirement.raw()) : Money{};
      nets_.positive(kind) += positive.raw();
      (initial ? totals_.initial_collateral : totals_.maintenance_collateral) += collateral.raw();
      (initial ? out.initial_collateral : out.maintenance_collateral) = checked(
          checked_add(collateral, credited_net(config_.pnl, kind, positive, Money{}, settle_)), where);
    }
  }

  void option_position(const MarketRisk& market, Quantity exposure, Price mark, PositionMargin& out) {
    const market::Instrument& instrument = market.instrument;
    totals_.equity += out.value.raw();
    const OptionLeg leg{instrument.option_kind, instrument.strike, exposure, mark};
    option_sets_[{instrument.underlying, instrument.expiry_ns}].push_back({&market, leg, out.value});
    if (exposure.raw() > 0) {
      out.initial_collateral = out.value;
      out.maintenance_collateral = out.value;
      return;
    }
    const std::optional<Price> underlying = underlying_price(instrument);
    if (!underlying) return;
    out.initial_requirement = checked(
        option_leg_requirement(market.option_rule, MarginKind::initial, leg, *underlying), instrument.symbol);
    out.maintenance_requirement = checked(
        option_leg_requirement(market.option_rule, MarginKind::maintenance, leg, *underlying),
        instrument.symbol);
  }

  std::optional<Price> underlying_price(const market::Instrument& instrument) {
    const AssetRisk* asset = config_.find_asset(instrument.underlying);
    if (asset == nullptr) {
      fail(MarginStatus::asset_unknown, instrument.symbol);
      return std::nullopt;
    }
    const std::optional<AssetQuote> quote = quote_of(*asset);
    if (!quote) return std::nullopt;
    return quote->oracle;
  }

  // The options of one underlying and expiry, per kind: long legs count their value as
  // collateral, short legs need the short-option rule; and when the rule caps, the set's net
  // (long values − short requirements) is never worse than minus its maximum loss at expiry.
  // The cap replaces the long legs' value by their payoff, so they are not counted twice: the
  // requirement becomes long values + maximum loss, and collateral − requirement = −maximum loss.
  void add_option_sets() {
    for (const auto& [key, entries] : option_sets_) {
      std::vector<OptionLeg> legs;
      int128 long_values = 0;
      for (const OptionEntry& entry : entries) {
        legs.push_back(entry.leg);
        if (entry.leg.size.raw() > 0) long_values += entry.value.raw();
      }
      const MarketRisk& market = *entries.front().market;
      const std::optional<Price> underlying = underlying_price(market.instrument);
      if (!underlying) return;
      const std::optional<Money> max_loss = max_loss_at_expiry(legs);
      const bool capped = market.option_rule.cap_at_max_loss && max_loss.has_value();
      const int128 floor = capped ? -static_cast<int128>(max_loss.value_or(Money{}).raw()) : 0;
      totals_.initial_collateral += long_values;
      totals_.maintenance_collateral += long_values;
      for (const MarginKind kind : {MarginKind::initial, MarginKind::maintenance}) {
        int128 shorts = 0;
        for (const OptionLeg& leg : legs) {
          shorts += checked(option_leg_requirement(market.option_rule, kind, leg, *underlying),
                            market.instrument.symbol).raw();
        }
        int128 net = long_values - shorts;
        if (capped && net < floor) net = floor;
        (kind == MarginKind::initial ? totals_.initial_requirement : totals_.maintenance_requirement) +=
            long_values - net;
      }
    }
  }

  void finish(GroupMargin& margin) {
    const std::optional<MarginFigures> figures = figures_from(totals_, nets_, config_.pnl, settle_);
    if (!figures) {
      fail(MarginStatus::overflow, "group total");
      return;
    }
    static_cast<MarginFigures&>(margin) = *figures;
  }

  // A linear position's part of the slopes, weighted in set_liquidation_prices() when the
  // group's region is known: how its value and its requirement move (exposure and marginal rate
  // × |exposure|, 10^-21 Money per 1.0 of price), and the PnL (or net) whose sign picks the
  // weight: the PnL's for the value alone, a net's for both.
  struct LinearTerm {
    AssetId underlying;
    int128 value;
    int128 requirement;
    Money counted;
    bool net;
    std::uint32_t sub;  // where its PositionMargin is
    std::uint32_t position;
    Price mark;
  };

  // The maintenance weights health moves with a linear position's PnL (or net) at, here: the
  // region the group is in now (see PositionMargin::liquidation_price).
  struct Regions {
    bool pnl_capped = false;  // the group's positive PnL already credits the whole cap
    bool net_capped = false;  // its positive nets credit all the cap left
  };

  Regions regions() const {
    const PnlPolicy& pnl = config_.pnl;
    constexpr MarginKind kKind = MarginKind::maintenance;
    const auto positive = narrow_i64(totals_.positive_pnl);
    const Money pnl_credit = positive ? credited_pnl(pnl, kKind, Money::from_raw(*positive)) : Money{};
    const auto nets = narrow_i64(nets_.maintenance_positive);
    PnlPolicy left = pnl;
    left.maintenance_cap = Money::from_raw(pnl.maintenance_cap.raw() - pnl_credit.raw());
    const Money net_credit = nets ? credited_pnl(left, kKind, Money::from_raw(*nets)) : Money{};
    return {!positive || pnl_credit >= pnl.maintenance_cap, !nets || net_credit >= left.maintenance_cap};
  }

  int128 weighted(const LinearTerm& term, const Regions& regions) const {
    const bool gain = term.counted.raw() > 0;
    const bool capped = gain && (term.net ? regions.net_capped : regions.pnl_capped);  // more gain credits nothing
    if (!term.net) {
      const int128 value = capped ? 0 : gain ? times_weight(term.value, config_.pnl.maintenance_weight) : term.value;
      return value - term.requirement;
    }
    const int128 net = term.value - term.requirement;
    if (!gain) return times_weight(net, settle_.maintenance_liability);
    return capped ? 0 : times_weight(times_weight(net, config_.pnl.maintenance_weight), settle_.maintenance_asset);
  }

  // P* = mark − h / slope, exactly, for each linear position's underlying (see PositionMargin).
  // The shift of the underlying's prices that takes health to 0, once per underlying: Price
  // raw, rounded up where health rises with the price (the reported price is never on the far
  // side of the exact one), down where it falls; nullopt with no slope or out of range.
  std::optional<std::int64_t> liquidation_move(int128 health, int128 slope) const {
    if (slope == 0) return std::nullopt;
    constexpr int kDigits = kSlopeDecimals + Price::kDecimals - Money::kDecimals;  // h / slope → Price
    return divide_scaled(-health, slope, kDigits, slope > 0 ? Round::up : Round::down);
  }

  void set_liquidation_prices(GroupMargin& margin) {
    const Regions now = regions();
    for (const LinearTerm& term : linear_terms_) slopes_[term.underlying].per_price += weighted(term, now);
    const int128 health = margin.maintenance_health().raw();
    for (auto& [underlying, slope] : slopes_) slope.move = liquidation_move(health, slope.per_price);
    for (const LinearTerm& term : linear_terms_) {
      const std::optional<std::int64_t>& move = slopes_.find(term.underlying)->second.move;
      const int128 at = static_cast<int128>(term.mark.raw()) + move.value_or(0);
      if (move && at > 0 && at <= INT64_MAX) {
        margin.sub_accounts[term.sub].positions[term.position].liquidation_price =
            Price::from_raw(static_cast<std::int64_t>(at));
      }
    }
  }


  struct OptionEntry {
    const MarketRisk* market;
    OptionLeg leg;
    Money value;  // at the mark, credited down
  };

  const RiskConfig& config_;
  const PriceBook& prices_;
  const SettleWeights settle_ = settle_weights(config_);
  GroupTotals totals_;
  NetTotals nets_;
  Slopes slopes_;  // balances as they are read, linear positions added once the group is known
  std::uint32_t sub_index_ = 0;       // the sub-account and position being read
  std::uint32_t position_index_ = 0;
  std::vector<LinearTerm> linear_terms_;
  std::map<OptionSetKey, std::vector<OptionEntry>> option_sets_;
  MarginStatus status_ = MarginStatus::ok;
  std::string where_;
};

}  // namespace

const AssetRisk* RiskConfig::find_asset(AssetId id) const {
  return find_sorted(assets, id, &AssetRisk::id);
}

const MarketRisk* RiskConfig::find_market(InstrumentId id) const {
  const auto it = std::lower_bound(
      markets.begin(), markets.end(), id,
      [](const MarketRisk& market, InstrumentId wanted) { return market.instrument.id < wanted; });
  return it != markets.end() && it->instrument.id == id ? &*it : nullptr;
}

Outcome RiskConfig::validate() const {
  for (std::size_t i = 0; i < assets.size(); ++i) {
    const AssetRisk& asset = assets[i];
    if (i > 0 && !(assets[i - 1].id < asset.id)) {
      return make_error(ErrorCode::invalid_input, "asset " + asset.symbol + ": ids must be unique and sorted");
    }
    for (const Outcome& checked :
         {asset.collateral.validate(), asset.oracle.validate(), asset.stable_price.validate()}) {
      if (!checked) {
        return make_error(ErrorCode::invalid_input, "asset " + asset.symbol + ": " + checked.error().message);
      }
    }
  }
  if (find_asset(quote) == nullptr) {
    return make_error(ErrorCode::invalid_input, "quote asset " + std::to_string(quote.value) + " is not listed");
  }
  for (std::size_t i = 0; i < markets.size(); ++i) {
    const MarketRisk& market = markets[i];
    const std::string name = "market " + market.instrument.symbol + ": ";
    if (i > 0 && !(markets[i - 1].instrument.id < market.instrument.id)) {
      return make_error(ErrorCode::invalid_input, name + "ids must be unique and sorted");
    }
    for (const Outcome& checked : {market::validate(market.instrument), margin::validate(market.rule),
                                   market.option_rule.validate()}) {
      if (!checked) return make_error(ErrorCode::invalid_input, name + checked.error().message);
    }
    if (find_asset(market.instrument.underlying) == nullptr ||
        find_asset(market.instrument.settle) == nullptr) {
      return make_error(ErrorCode::invalid_input, name + "underlying and settle must be listed assets");
    }
    if (market.latency_rate.is_negative()) {
      return make_error(ErrorCode::invalid_input, name + "latency_rate must be non-negative");
    }
    const bool linear = market.instrument.kind == market::InstrumentKind::perpetual ||
                        market.instrument.kind == market::InstrumentKind::future;
    if (!linear && market.perp_health != PerpHealth::pnl_less_requirement) {
      return make_error(ErrorCode::invalid_input,
                        name + "perp_health settle_weighted_net is for perpetuals and futures only");
    }
    if (market.perp_health == PerpHealth::settle_weighted_net && market.instrument.settle != quote) {
      return make_error(ErrorCode::invalid_input, name + "perp_health settle_weighted_net needs the quote as settle asset");
    }
    if (market.perp_health > PerpHealth::settle_weighted_net) {
      return make_error(ErrorCode::invalid_input, name + "perp_health is not a known mode");
    }
  }
  return Ok{};
}

market::FundingIndex settlement_index(const market::Instrument& instrument, const market::Position& position,
                                      const MarketPrice& price) {
  return instrument.kind == market::InstrumentKind::perpetual ? price.funding_index : position.funding_snapshot;
}

std::optional<Money> pending_funding(const market::Instrument& instrument, const market::Position& position,
                                     const MarketPrice& price) {
  const market::FundingIndex index = settlement_index(instrument, position, price);
  // Settled up to now (every non-perpetual, and most perpetuals between funding events): nothing
  // owed, without the product's division.
  if (index == position.funding_snapshot) return Money{};
  return market::funding_payment(position, index);
}

std::optional<Money> charged_basis(const market::Instrument& instrument, const market::Position& position,
                                   const MarketPrice& price) {
  const std::optional<Money> owed = pending_funding(instrument, position, price);
  return owed ? checked_add(position.cost_basis, *owed) : std::nullopt;
}

const AssetPrice* PriceBook::find_asset(AssetId id) const {
  return find_sorted(assets, id, &AssetPrice::asset);
}

const MarketPrice* PriceBook::find_market(InstrumentId id) const {
  return find_sorted(markets, id, &MarketPrice::instrument);
}

namespace {

// collateral − requirement, saturating at Money's range: a deeply negative collateral less a large
// requirement leaves int64, and what callers read there is the sign (liquidatable) or the floor
// at zero (free collateral), which saturation keeps.
Money health_of(Money collateral, Money requirement) {
  const int128 health = static_cast<int128>(collateral.raw()) - requirement.raw();
  const int128 clamped = std::clamp<int128>(health, std::numeric_limits<std::int64_t>::min(),
                                           std::numeric_limits<std::int64_t>::max());
  return Money::from_raw(static_cast<std::int64_t>(clamped));
}

}  // namespace

Money MarginFigures::initial_health() const { return health_of(initial_collateral, initial_requirement); }

Money MarginFigures::maintenance_health() const { return health_of(maintenance_collateral, maintenance_requirement); }

Money MarginFigures::free_collateral() const {
  const Money health = initial_health();
  return health.is_negative() ? Money{} : health;
}

bool MarginFigures::liquidatable() const { return maintenance_health().is_negative(); }

namespace {

// -1, 0 or +1: which infinity num / den is (0 for a finite ratio, 0/0 included).
int infinity_of(std::int64_t num, std::int64_t den) {
  if (den > 0) return 0;
  return num > 0 ? 1 : (num < 0 ? -1 : 0);
}

}  // namespace

bool coverage_less(std::int64_t a_num, std::int64_t a_den, std::int64_t b_num, std::int64_t b_den) {
  BALLAST_ASSERT(a_den >= 0 && b_den >= 0);
  const int a_infinity = infinity_of(a_num, a_den);
  const int b_infinity = infinity_of(b_num, b_den);
  if (a_infinity != 0 || b_infinity != 0) return a_infinity < b_infinity;
  // Finite: 0/0 is 0/1. 64 × 64 bits fit 128.
  const int128 left = static_cast<int128>(a_num) * (b_den > 0 ? b_den : 1);
  const int128 right = static_cast<int128>(b_num) * (a_den > 0 ? a_den : 1);
  return left < right;
}

SettleWeights settle_weights(const RiskConfig& config) {
  const AssetRisk* quote = config.find_asset(config.quote);
  if (quote == nullptr) return {};
  const CollateralParams& c = quote->collateral;
  return {c.init_asset_weight, c.maint_asset_weight, c.init_liability_weight, c.maint_liability_weight};
}

std::optional<Money> net_collateral(Money upnl, Money requirement, Ratio liability_weight) {
  const int128 net = static_cast<int128>(upnl.raw()) - requirement.raw();
  if (net >= 0) return requirement;
  const auto owed = narrow_i64(-net);
  const auto weighted = owed ? weighted_liability_value(Money::from_raw(*owed), liability_weight) : std::nullopt;
  return weighted ? checked_sub(requirement, *weighted) : std::nullopt;
}

Money credited_net(const PnlPolicy& pnl, MarginKind kind, Money positive_nets, Money cap_used,
                   const SettleWeights& settle) {
  const Money cap = kind == MarginKind::initial ? pnl.initial_cap : pnl.maintenance_cap;
  PnlPolicy left = pnl;  // the same weight, with what the group's positive PnL left of the cap
  (kind == MarginKind::initial ? left.initial_cap : left.maintenance_cap) =
      Money::from_raw(cap.raw() - std::min(cap.raw(), std::max<std::int64_t>(cap_used.raw(), 0)));
  const Money credited = credited_pnl(left, kind, positive_nets);
  // credited <= positive_nets and the weight <= 1: no overflow.
  return weighted_asset_value(credited, settle.asset(kind)).value_or(Money{});
}

std::optional<MarginFigures> figures_from(const GroupTotals& totals, const NetTotals& nets, const PnlPolicy& pnl,
                                          const SettleWeights& settle) {
  const auto positive = narrow_i64(totals.positive_pnl);
  // Each kind: the positive PnL's credit, then the nets' credit within what is left of the cap
  // (a sum beyond Money's range drops its positive side only, as a single position's would).
  const auto credited = [&](MarginKind kind) {
    const Money pnl_credit = positive ? credited_pnl(pnl, kind, Money::from_raw(*positive)) : Money{};
    const auto positive_nets = narrow_i64(nets.positive(kind));
    // No positive nets (every venue without settle_weighted_net markets): no credit, no division.
    const Money net_credit = positive_nets && *positive_nets > 0
                                 ? credited_net(pnl, kind, Money::from_raw(*positive_nets), pnl_credit, settle)
                                 : Money{};
    return static_cast<int128>(pnl_credit.raw()) + net_credit.raw() + totals.negative_pnl;
  };
  bool ok = true;
  const auto narrow = [&ok](int128 value) {
    const auto raw = narrow_i64(value);
    if (!raw) ok = false;
    return Money::from_raw(raw ? *raw : 0);
  };
  MarginFigures out;
  out.equity = narrow(totals.equity);
  out.initial_collateral = narrow(totals.initial_collateral + credited(MarginKind::initial));
  out.maintenance_collateral = narrow(totals.maintenance_collateral + credited(MarginKind::maintenance));
  out.initial_requirement = narrow(totals.initial_requirement);
  out.maintenance_requirement = narrow(totals.maintenance_requirement);
  return ok ? std::optional<MarginFigures>(out) : std::nullopt;
}

const char* margin_status_name(MarginStatus status) noexcept {
  switch (status) {
    case MarginStatus::ok: return "ok";
    case MarginStatus::asset_unknown: return "asset_unknown";
    case MarginStatus::instrument_unknown: return "instrument_unknown";
    case MarginStatus::price_missing: return "price_missing";
    case MarginStatus::overflow: return "overflow";
  }
  return "unknown";
}

MarginOutcome evaluate(const RiskConfig& config, const PriceBook& prices,
                       std::span<const SubAccountBook> group) {
  return Evaluator(config, prices).run(group);
}

namespace {

Amount balance_of(const SubAccountBook& sub, AssetId asset) {
  for (const Balance& balance : sub.balances) {
    if (balance.asset == asset) return balance.amount;
  }
  return Amount{};
}

// The initial collateral `amount` of this deposit adds, rounded up (what leaving costs is never
// understated); nullopt on overflow.
std::optional<Money> initial_credit(Amount amount, std::uint8_t decimals, Price price, Ratio weight) {
  const auto value = balance_value(amount, decimals, price, Round::up);
  return value ? detail::money_times_ratio(*value, weight, Round::up) : std::nullopt;
}

}  // namespace

Amount max_withdrawable(const RiskConfig& config, const PriceBook& prices, const GroupMargin& margin,
                        const SubAccountBook& from, AssetId asset_id) {
  const Amount balance = balance_of(from, asset_id);
  const Money health = margin.initial_health();
  const AssetRisk* asset = config.find_asset(asset_id);
  if (balance.raw() <= 0 || health.is_negative() || asset == nullptr) return Amount{};
  Price price = kPriceOne;
  Money deposits;
  if (asset_id != config.quote) {
    const AssetPrice* quoted = prices.find_asset(asset_id);
    if (quoted == nullptr) return Amount{};
    price = market::asset_price(quoted->oracle, quoted->stable);
    deposits = quoted->total_deposits;
  }
  const bool counts = from.mode == MarginMode::isolated || !asset->collateral.isolated_only;
  const Ratio weight = counts ? asset_weight(asset->collateral, MarginKind::initial,
                                             units_of(balance, asset->decimals), deposits)
                              : Ratio{};
  // The largest x <= balance whose credit fits in the health: the credit is monotone in x, so a
  // bisection over the 63-bit range finds it exactly.
  std::int64_t lo = 0;
  std::int64_t hi = balance.raw();
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo + 1) / 2;
    const auto credit = initial_credit(Amount::from_raw(mid), asset->decimals, price, weight);
    if (credit && *credit <= health) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return Amount::from_raw(lo);
}

bool shrinks(int128 before, int128 after) {
  if (after == 0) return before != 0;
  return (before < 0) == (after < 0) && (after < 0 ? -after < -before : after < before);
}

bool pre_trade_allows(PreTradeStatus status) {
  return status == PreTradeStatus::passes_initial || status == PreTradeStatus::reduces_risk;
}

void add_to_balance(SubAccountBook& sub, AssetId asset, std::int64_t delta) {
  auto it = std::lower_bound(sub.balances.begin(), sub.balances.end(), asset,
                             [](const Balance& b, AssetId wanted) { return b.asset < wanted; });
  if (it == sub.balances.end() || it->asset != asset) {
    it = sub.balances.insert(it, Balance{asset, Amount{}});
  }
  it->amount = Amount::from_raw(it->amount.raw() + delta);
  if (it->amount.is_zero()) sub.balances.erase(it);
}

namespace {

// Quote money in the quote asset's smallest unit, rounded as asked.
std::optional<std::int64_t> to_amount(Money money, std::uint8_t decimals, Round round) {
  const auto scaled = scale_pow10(money.raw(), decimals - Money::kDecimals, round);
  return scaled ? narrow_i64(*scaled) : std::nullopt;
}

// A position size in the asset's smallest unit, rounded as asked.
std::optional<std::int64_t> to_amount(Quantity units, std::uint8_t decimals, Round round) {
  const auto scaled = scale_pow10(units.raw(), decimals - Quantity::kDecimals, round);
  return scaled ? narrow_i64(*scaled) : std::nullopt;
}

struct AppliedFill {
  bool ok = false;
  bool reduces_risk = false;
};

// The fill's effect on the sub-account: positions for derivatives, balances for spot, the
// premium or realized PnL and the fee in the quote asset, each rounded against the holder.
AppliedFill apply_to(const RiskConfig& config, const PriceBook& prices, SubAccountBook& sub,
                     const MarketRisk& market, const market::Fill& fill) {
  const market::Instrument& instrument = market.instrument;
  const AssetRisk* quote = config.find_asset(config.quote);
  const AssetRisk* underlying = config.find_asset(instrument.underlying);
  const auto fee = to_amount(fill.fee, quote->decimals, Round::up);
  if (!fee) return {};
  add_to_balance(sub, config.quote, -*fee);
  if (instrument.kind == market::InstrumentKind::spot) {
    const auto exposure = market::exposure_of(fill.size, instrument.contract_size);
    const auto value = market::fill_value(fill.size, fill.price, instrument.contract_size);
    if (!exposure || !value) return {};
    const auto delivered = to_amount(*exposure, underlying->decimals, Round::down);
    const auto paid = to_amount(*value, quote->decimals, Round::up);
    if (!delivered || !paid) return {};
    const Quantity before = Quantity::from_raw(balance_of(sub, instrument.underlying).raw());
    add_to_balance(sub, instrument.underlying, *delivered);
    add_to_balance(sub, config.quote, -*paid);
    const Quantity after = Quantity::from_raw(balance_of(sub, instrument.underlying).raw());
    return {true, shrinks(before.raw(), after.raw())};
  }
  auto held = std::lower_bound(sub.positions.begin(), sub.positions.end(), fill.instrument,
                               [](const HeldPosition& h, InstrumentId id) { return h.instrument < id; });
  if (held == sub.positions.end() || held->instrument != fill.instrument) {
    held = sub.positions.insert(held, HeldPosition{fill.instrument, {}});
  }
  const Quantity before = held->position.size;
  const MarketPrice* price = prices.find_market(fill.instrument);
  if (price == nullptr) return {};
  // The fill settles the funding owed: the position's snapshot moves to the index now and what
  // it owed moves to the quote balance (health changes by that part only through rounding and
  // the PnL policy's weight on a receivable).
  const auto change = market::apply_fill(held->position, fill, instrument.contract_size,
                                         settlement_index(instrument, held->position, *price));
  if (!change) return {};
  held->position = change->position;
  const bool premium_paid = instrument.kind == market::InstrumentKind::option;
  const auto cash = premium_paid ? to_amount(change->value, quote->decimals, Round::up)
                                 : to_amount(change->realized_pnl, quote->decimals, Round::down);
  const auto funding = to_amount(change->funding_owed, quote->decimals, Round::up);
  if (!cash || !funding) return {};
  add_to_balance(sub, config.quote, premium_paid ? -*cash : *cash);
  add_to_balance(sub, config.quote, -*funding);
  if (held->position.size.is_zero()) sub.positions.erase(held);
  return {true, shrinks(before.raw(), change->position.size.raw())};
}

}  // namespace

std::optional<SubAccountBook> book_after_fill(const RiskConfig& config, const PriceBook& prices, SubAccountBook sub,
                                              const market::Fill& fill) {
  BALLAST_ASSERT(fill.sub_account == sub.id);
  const MarketRisk* market = config.find_market(fill.instrument);
  if (market == nullptr || !apply_to(config, prices, sub, *market, fill).ok) return std::nullopt;
  return sub;
}

PreTrade pre_trade_check(const RiskConfig& config, const PriceBook& prices,
                         std::span<const SubAccountBook> group, const market::Fill& fill) {
  PreTrade out;
  const MarginOutcome before = evaluate(config, prices, group);
  out.margin_status = before.status;
  if (before.status != MarginStatus::ok) return out;
  out.initial_health_before = before.margin.initial_health();
  const MarketRisk* market = config.find_market(fill.instrument);
  std::vector<SubAccountBook> after_group(group.begin(), group.end());
  const auto sub = std::find_if(after_group.begin(), after_group.end(),
                                [&](const SubAccountBook& s) { return s.id == fill.sub_account; });
  if (market == nullptr) out.margin_status = MarginStatus::instrument_unknown;
  if (market == nullptr || sub == after_group.end()) return out;
  const AppliedFill applied = apply_to(config, prices, *sub, *market, fill);
  if (!applied.ok) {
    out.margin_status = MarginStatus::overflow;
    return out;
  }
  const MarginOutcome after = evaluate(config, prices, after_group);
  out.margin_status = after.status;
  if (after.status != MarginStatus::ok) return out;
  out.initial_health_after = after.margin.initial_health();
  out.status = !out.initial_health_after.is_negative() ? PreTradeStatus::passes_initial
               : applied.reduces_risk                 ? PreTradeStatus::reduces_risk
                                                      : PreTradeStatus::breaches_initial;
  return out;
}

}  // namespace ballast::margin
