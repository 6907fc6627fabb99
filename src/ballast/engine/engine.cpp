#include "ballast/engine/engine.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <vector>

#include "ballast/engine/codec.hpp"
#include "ballast/engine/risk_codec.hpp"

namespace ballast {
namespace {

constexpr std::uint32_t kSnapshotMagic = 0x54534c42;  // "BLST" little-endian
// 2: the risk configuration, the engine options (and, later in the same version, prices and
// positions) joined the state. Version 1 snapshots are not read: their bytes re-encode
// differently, so their recorded hash could not be verified anyway.
constexpr std::uint32_t kSnapshotVersion = 2;
Status amount_shape(Amount amount) {
  if (amount.is_zero()) return Status::amount_zero;
  if (amount.is_negative()) return Status::amount_negative;
  return Status::ok;
}

Status from_margin(margin::MarginStatus status) {
  switch (status) {
    case margin::MarginStatus::ok: return Status::ok;
    case margin::MarginStatus::asset_unknown: return Status::asset_unknown;
    case margin::MarginStatus::instrument_unknown: return Status::instrument_unknown;
    case margin::MarginStatus::price_missing: return Status::price_missing;
    case margin::MarginStatus::overflow: break;
  }
  return Status::balance_overflow;  // a margin figure beyond the fixed-point range
}

// Quote money or a size in an asset's smallest unit, rounded as asked (as the pre-trade check
// converts them).
template <typename T>
std::optional<std::int64_t> to_units(T value, std::uint8_t decimals, Round round) {
  const auto scaled = scale_pow10(value.raw(), decimals - T::kDecimals, round);
  return scaled ? narrow_i64(*scaled) : std::nullopt;
}

market::Fill market_fill(const Fill& e) {
  return market::Fill{e.account, e.sub_account, e.instrument, e.size, e.price, e.fee};
}

// ceil(a × b × c / 10^k) for a, b, c >= 0 and 0 <= k <= 38, saturating at INT64_MAX (a total
// beyond Money's range counts as the largest one: every total is read on the cautious side when
// larger). Exact: the product is formed in 256 bits (a < 2^127, b, c < 2^63) and divided by
// powers of ten that fit 64 bits.
std::int64_t product_up(int128 a, std::int64_t b, std::int64_t c, int k) {
  using u64 = std::uint64_t;
  __extension__ using u128 = unsigned __int128;
  BALLAST_ASSERT(a >= 0 && b >= 0 && c >= 0 && k >= 0 && k <= 38);
  std::array<u64, 4> limbs{static_cast<u64>(a), static_cast<u64>(static_cast<u128>(a) >> 64), 0, 0};
  const auto times = [&limbs](u64 factor) {
    u128 carry = 0;
    for (u64& limb : limbs) {
      const u128 product = static_cast<u128>(limb) * factor + carry;
      limb = static_cast<u64>(product);
      carry = product >> 64;
    }
  };
  times(static_cast<u64>(b));
  times(static_cast<u64>(c));
  bool inexact = false;
  for (int left = k; left > 0;) {
    const int step = left < 19 ? left : 19;
    const auto divisor = static_cast<u64>(pow10_i64(step));
    u128 remainder = 0;
    for (auto limb = limbs.rbegin(); limb != limbs.rend(); ++limb) {
      const u128 current = (remainder << 64) | *limb;
      *limb = static_cast<u64>(current / divisor);
      remainder = current % divisor;
    }
    inexact = inexact || remainder != 0;
    left -= step;
  }
  constexpr auto kMax = static_cast<u64>(INT64_MAX);
  if (limbs[3] != 0 || limbs[2] != 0 || limbs[1] != 0 || limbs[0] >= kMax) return INT64_MAX;
  return static_cast<std::int64_t>(limbs[0] + (inexact ? 1 : 0));
}

int128 positive_part(std::int64_t v) { return v > 0 ? v : 0; }
int128 negative_part(std::int64_t v) { return v < 0 ? -static_cast<int128>(v) : 0; }

template <typename T, typename Id>
std::size_t sorted_index(const std::vector<T>& items, Id id, Id T::*key) {
  const auto it = std::lower_bound(items.begin(), items.end(), id,
                                   [key](const T& item, Id wanted) { return item.*key < wanted; });
  return static_cast<std::size_t>(it - items.begin());
}

template <typename T, typename Id>
std::optional<std::size_t> index_of(const std::vector<T>& items, Id id, Id T::*key) {
  const std::size_t i = sorted_index(items, id, key);
  if (i == items.size() || items[i].*key != id) return std::nullopt;
  return i;
}

std::optional<std::size_t> asset_index(const margin::RiskConfig& risk, AssetId id) {
  return index_of(risk.assets, id, &margin::AssetRisk::id);
}

std::optional<std::size_t> market_index(const margin::RiskConfig& risk, InstrumentId id) {
  const auto it = std::lower_bound(
      risk.markets.begin(), risk.markets.end(), id,
      [](const margin::MarketRisk& m, InstrumentId wanted) { return m.instrument.id < wanted; });
  if (it == risk.markets.end() || it->instrument.id != id) return std::nullopt;
  return static_cast<std::size_t>(it - risk.markets.begin());
}

// The venue totals and their values in the price book, kept together: every change to a total
// or to the price it is valued at refreshes that one book entry (O(1) after the lookups).
class TotalsKeeper {
 public:
  TotalsKeeper(VenueTotals& totals, PriceState& prices, const margin::RiskConfig& risk)
      : totals_(totals), prices_(prices), risk_(risk) {}

  // A user balance went from `before` to `after`.
  void balance_moved(SubAccountId sub_account, AssetId asset, Amount before, Amount after) {
    if (sub_account.value < kFirstUserId) return;
    const auto i = asset_index(risk_, asset);
    if (!i) return;  // unlisted in the configuration: no price, no weight
    totals_.deposit_units[*i] += positive_part(after.raw()) - positive_part(before.raw());
    totals_.borrow_units[*i] += negative_part(after.raw()) - negative_part(before.raw());
    refresh_asset(*i);
  }

  // A user position in `instrument` went from `before` to `after` contracts.
  void size_moved(InstrumentId instrument, Quantity before, Quantity after) {
    const auto i = market_index(risk_, instrument);
    BALLAST_ASSERT(i.has_value());
    totals_.long_size[*i] += positive_part(after.raw()) - positive_part(before.raw());
    refresh_market(*i);
  }

  // Deposits and borrows at the oracle price, rounded up: more deposits give a lower
  // deposit-scaled asset weight, more borrows a higher borrow-scaled liability weight, so
  // rounding up never lets collateral count for more or debt for less.
  void refresh_asset(std::size_t i) {
    const margin::AssetRisk& asset = risk_.assets[i];
    const auto at = index_of(prices_.book.assets, asset.id, &margin::AssetPrice::asset);
    if (!at) return;  // not priced yet: valued when its first price arrives
    margin::AssetPrice& price = prices_.book.assets[*at];
    const int k = Price::kDecimals + asset.decimals - Money::kDecimals;
    price.total_deposits = Money::from_raw(product_up(totals_.deposit_units[i], price.oracle.raw(), 1, k));
    price.total_borrows = Money::from_raw(product_up(totals_.borrow_units[i], price.oracle.raw(), 1, k));
  }

  // Open interest: the longs' notional at the mark, rounded up (a higher figure only raises the
  // OI-ramped initial requirement).
  void refresh_market(std::size_t i) {
    const market::Instrument& instrument = risk_.markets[i].instrument;
    const auto at = index_of(prices_.book.markets, instrument.id, &margin::MarketPrice::instrument);
    if (!at) return;
    margin::MarketPrice& price = prices_.book.markets[*at];
    const int k = Quantity::kDecimals + Quantity::kDecimals + Price::kDecimals - Money::kDecimals;
    price.open_interest = Money::from_raw(
        product_up(totals_.long_size[i], instrument.contract_size.raw(), price.mark.raw(), k));
  }

 private:
  VenueTotals& totals_;
  PriceState& prices_;
  const margin::RiskConfig& risk_;
};

// What one fill does to the ledger: the accounting of margin::pre_trade_check, to the unit, as
// double-entry postings against the clearing account (the fee against the fee pool), and the
// sub-account's new position (derivatives).
//   fee          quote, toward +inf: user -fee, fee pool +fee
//   spot         underlying exposure toward -inf: user +delivered, clearing -delivered;
//                quote value toward +inf: user -paid, clearing +paid (a sale: paid < 0)
//   option       premium (the value bought) toward +inf: user -premium, clearing +premium
//   perp/future  realized PnL toward -inf: user +pnl, clearing -pnl
struct FillPlan {
  bool ok = false;  // false: a value left its range
  std::vector<Posting> postings;
  Amount delivered;  // spot: the underlying the user receives (< 0: gives)
  bool has_position = false;
  market::Position position;
};

bool add_pair(FillPlan& plan, SubAccountId user, SubAccountId counter, AssetId asset,
              std::optional<std::int64_t> units) {
  if (!units) return false;
  const auto negated = checked_neg(Amount::from_raw(*units));
  if (!negated) return false;
  plan.postings.push_back(Posting{user, asset, Amount::from_raw(*units)});
  plan.postings.push_back(Posting{counter, asset, *negated});
  return true;
}

FillPlan plan_fill(const Ledger& ledger, const margin::RiskConfig& risk,
                   const margin::MarketRisk& market, const Fill& e) {
  FillPlan plan;
  const market::Instrument& instrument = market.instrument;
  const margin::AssetRisk* quote = risk.find_asset(risk.quote);
  const SubAccountId clearing{kClearing.value};
  const auto fee = to_units(e.fee, quote->decimals, Round::up);
  if (!fee || !add_pair(plan, e.sub_account, SubAccountId{kFeePool.value}, risk.quote,
                        -*fee)) {  // fee >= 0, so -fee cannot overflow
    return plan;
  }
  if (instrument.kind == market::InstrumentKind::spot) {
    const margin::AssetRisk* underlying = risk.find_asset(instrument.underlying);
    const auto exposure = market::exposure_of(e.size, instrument.contract_size);
    const auto value = market::fill_value(e.size, e.price, instrument.contract_size);
    if (!exposure || !value) return plan;
    const auto delivered = to_units(*exposure, underlying->decimals, Round::down);
    const auto paid = to_units(*value, quote->decimals, Round::up);
    const auto received = paid ? checked_neg(Amount::from_raw(*paid)) : std::nullopt;
    if (!delivered || !received ||
        !add_pair(plan, e.sub_account, clearing, instrument.underlying, delivered) ||
        !add_pair(plan, e.sub_account, clearing, risk.quote, received->raw())) {
      return plan;
    }
    plan.delivered = Amount::from_raw(*delivered);
    plan.ok = true;
    return plan;
  }
  const market::Position* held = ledger.position(e.sub_account, e.instrument);
  const market::Position current = held != nullptr ? *held : market::Position{};
  const auto change =
      market::apply_fill(current, market_fill(e), instrument.contract_size, current.funding_snapshot);
  if (!change) return plan;
  if (instrument.kind == market::InstrumentKind::option) {
    const auto premium = to_units(change->value, quote->decimals, Round::up);
    const auto paid = premium ? checked_neg(Amount::from_raw(*premium)) : std::nullopt;
    if (!paid || !add_pair(plan, e.sub_account, clearing, risk.quote, paid->raw())) return plan;
  } else {
    const auto pnl = to_units(change->realized_pnl, quote->decimals, Round::down);
    if (!add_pair(plan, e.sub_account, clearing, risk.quote, pnl)) return plan;
  }
  plan.has_position = true;
  plan.position = change->position;
  plan.ok = true;
  return plan;
}

// The checks for one event kind, each written in Status precedence order.
class Validator {
 public:
  Validator(const Ledger& ledger, const margin::RiskConfig* risk, const PriceState& prices,
            const EngineOptions& options, TimestampNs now_ns)
      : ledger_(ledger), risk_(risk), prices_(prices), options_(options), now_ns_(now_ns) {}

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
    if (e.mode != MarginMode::cross && e.mode != MarginMode::isolated) return Status::mode_invalid;
    if (e.sub_account.value < kFirstUserId) return Status::account_id_reserved;
    if (!ledger_.has_account(e.account)) return Status::account_unknown;
    if (ledger_.find_sub_account(e.sub_account) != nullptr) return Status::sub_account_exists;
    return Status::ok;
  }
  Status operator()(const Deposit& e) const {
    const Asset* asset = nullptr;
    if (const Status s = owned_move(e.account, e.sub_account, e.asset, e.amount, asset);
        s != Status::ok) {
      return s;
    }
    if ((asset->flags & kAssetDeposits) == 0) return Status::deposits_disabled;
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
    const SubAccount& from = *ledger_.find_sub_account(e.sub_account);
    if (const Status s = margin_prices(from); s != Status::ok) return s;
    if (e.amount > ledger_.free_balance(e.sub_account, e.asset)) {
      return Status::insufficient_balance;
    }
    if (!ledger_.withdraw_fits(e.sub_account, e.asset, e.amount)) return Status::balance_overflow;
    return margin_after_move(from, e.asset, e.amount, nullptr);
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
    const std::vector<margin::SubAccountBook> group = group_of(*sub_account);
    // Prices: missing, then stale unless the oracle policy allows this fill's action on a stale
    // price (only then is the fill classified: the classification reads the ledger only).
    if (const Freshness fresh = prices_freshness(group, market); fresh != Freshness::fresh) {
      const auto action = fresh == Freshness::stale && reduces_risk(*market, e)
                              ? market::OracleAction::reduce_risk
                              : market::OracleAction::open_risk;
      if (const Status s = price_gate(fresh, action); s != Status::ok) return s;
    }
    const FillPlan plan = plan_fill(ledger_, *risk_, *market, e);
    if (!plan.ok) return Status::balance_overflow;
    if (spot && !instrument.borrowable) {
      const int128 after = static_cast<int128>(ledger_.balance(e.sub_account, instrument.underlying).raw()) +
                           plan.delivered.raw();
      if (after < 0) return Status::insufficient_balance;  // selling what is not held
    }
    if (!ledger_.postings_fit(plan.postings)) return Status::balance_overflow;
    const margin::PreTrade check =
        margin::pre_trade_check(*risk_, prices_.book, group, market_fill(e));
    if (const Status s = from_margin(check.margin_status); s != Status::ok) return s;
    return margin::pre_trade_allows(check.status) ? Status::ok : Status::insufficient_margin;
  }

 private:
  // The margin group of a sub-account as the calculator reads it: the owner's cross
  // sub-accounts (by id), or the isolated one alone. Positive balances in assets the risk
  // configuration does not list count for nothing (weight 0) and are left out.
  std::vector<margin::SubAccountBook> group_of(const SubAccount& sub_account) const {
    std::vector<margin::SubAccountBook> group;
    const auto add = [&](const SubAccount& member) {
      margin::SubAccountBook book{member.id, member.owner, member.mode, {}, member.positions};
      for (const Balance& balance : member.balances) {
        if (balance.amount.is_negative() || risk_->find_asset(balance.asset) != nullptr) {
          book.balances.push_back(balance);
        }
      }
      group.push_back(std::move(book));
    };
    if (sub_account.mode == MarginMode::isolated) {
      add(sub_account);
      return group;
    }
    for (const SubAccountId id : ledger_.sub_accounts_of(sub_account.owner)) {
      const SubAccount& member = *ledger_.find_sub_account(id);
      if (member.mode == MarginMode::cross) add(member);
    }
    return group;
  }

  enum class Freshness : std::uint8_t { fresh, missing, stale };

  // Over every price evaluating the group (and `extra`, the market a fill trades) reads: oracle
  // prices of the non-quote assets held and of option and spot underlyings, marks of the
  // derivatives held or traded. missing if one was never set, else stale if one is older than
  // price_max_age_ns.
  Freshness prices_freshness(const std::vector<margin::SubAccountBook>& group,
                             const margin::MarketRisk* extra) const {
    std::set<AssetId> assets;
    std::set<InstrumentId> marks;
    const auto need_market = [&](const margin::MarketRisk& market) {
      const market::Instrument& instrument = market.instrument;
      if (instrument.kind != market::InstrumentKind::spot) marks.insert(instrument.id);
      if (instrument.kind == market::InstrumentKind::spot ||
          instrument.kind == market::InstrumentKind::option) {
        assets.insert(instrument.underlying);
      }
    };
    for (const margin::SubAccountBook& member : group) {
      for (const Balance& balance : member.balances) assets.insert(balance.asset);
      for (const margin::HeldPosition& held : member.positions) {
        if (const margin::MarketRisk* market = find_market(held.instrument)) need_market(*market);
      }
    }
    if (extra != nullptr) need_market(*extra);
    assets.erase(risk_->quote);
    std::vector<TimestampNs> set_times;
    for (const AssetId asset : assets) {
      const auto set_ns = prices_.asset_set_ns_of(asset);
      if (!set_ns) return Freshness::missing;
      set_times.push_back(*set_ns);
    }
    for (const InstrumentId instrument : marks) {
      const auto set_ns = prices_.mark_set_ns_of(instrument);
      if (!set_ns) return Freshness::missing;
      set_times.push_back(*set_ns);
    }
    for (const TimestampNs set_ns : set_times) {
      if (now_ns_ - set_ns > options_.price_max_age_ns) return Freshness::stale;
    }
    return Freshness::fresh;
  }

  // price_missing for a price never set; price_stale for a stale one unless the oracle policy
  // allows `action` at OracleValidity::stale. A fresh price is valid, on which every action runs.
  Status price_gate(Freshness fresh, market::OracleAction action) const {
    if (fresh == Freshness::missing) return Status::price_missing;
    if (fresh == Freshness::stale &&
        !options_.oracle_policy.allows(action, market::OracleValidity::stale)) {
      return Status::price_stale;
    }
    return Status::ok;
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
    return price_gate(prices_freshness(group, nullptr), market::OracleAction::withdraw);
  }

  // The group's initial health after `amount` of `asset` leaves `from` (and, for a transfer
  // inside the same cross group, arrives in `to`) must stay >= 0 (insufficient_margin).
  Status margin_after_move(const SubAccount& from, AssetId asset, Amount amount,
                           const SubAccount* to) const {
    if (risk_ == nullptr || risk_->find_asset(asset) == nullptr) return Status::ok;
    std::vector<margin::SubAccountBook> group = group_of(from);
    if (!margin_checked(group)) return Status::ok;
    const auto move = [&](SubAccountId id, std::int64_t delta) {
      for (margin::SubAccountBook& member : group) {
        if (member.id != id) continue;
        auto& balances = member.balances;
        auto at = std::lower_bound(balances.begin(), balances.end(), asset,
                                   [](const Balance& b, AssetId wanted) { return b.asset < wanted; });
        if (at == balances.end() || at->asset != asset) at = balances.insert(at, Balance{asset, {}});
        at->amount = Amount::from_raw(at->amount.raw() + delta);  // fits: checked above
        if (at->amount.is_zero()) balances.erase(at);
      }
    };
    move(from.id, -amount.raw());
    if (to != nullptr) move(to->id, amount.raw());
    const margin::MarginOutcome after = margin::evaluate(*risk_, prices_.book, group);
    if (const Status s = from_margin(after.status); s != Status::ok) return s;
    return after.margin.initial_health().is_negative() ? Status::insufficient_margin : Status::ok;
  }

  const margin::MarketRisk* find_market(InstrumentId id) const {
    return risk_ == nullptr ? nullptr : risk_->find_market(id);
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
  const PriceState& prices_;
  const EngineOptions& options_;
  TimestampNs now_ns_;
};

// Applies a validated event, and keeps the venue totals (and their values in the price book)
// in step with what it changed: the balances it moved, the position it set, the price it set.
class Executor {
 public:
  Executor(Ledger& ledger, PriceState& prices, VenueTotals& totals, const margin::RiskConfig* risk,
           TimestampNs now_ns)
      : ledger_(ledger), prices_(prices), totals_(totals), risk_(risk), now_ns_(now_ns) {}

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
  void operator()(const Transfer& e) {
    const Amount from_before = ledger_.balance(e.from, e.asset);
    const Amount to_before = ledger_.balance(e.to, e.asset);
    ledger_.transfer(e.from, e.to, e.asset, e.amount);
    balance_moved(e.from, e.asset, from_before);
    balance_moved(e.to, e.asset, to_before);
  }
  void operator()(const OraclePrice& e) {
    prices_.set_asset(e.asset, e.price, e.stable_price, now_ns_);
    const auto i = asset_index(*risk_, e.asset);  // validated: the configuration lists it
    BALLAST_ASSERT(i.has_value());
    keeper().refresh_asset(*i);
  }
  void operator()(const MarkPrice& e) {
    prices_.set_mark(e.instrument, e.mark, now_ns_);
    const auto i = market_index(*risk_, e.instrument);
    BALLAST_ASSERT(i.has_value());
    keeper().refresh_market(*i);
  }
  void operator()(const Fill& e) {
    BALLAST_ASSERT(risk_ != nullptr);
    const margin::MarketRisk* market = risk_->find_market(e.instrument);
    BALLAST_ASSERT(market != nullptr);
    const FillPlan plan = plan_fill(ledger_, *risk_, *market, e);
    BALLAST_ASSERT(plan.ok);
    // The user balances the postings touch (the quote, and the underlying for spot), each once;
    // the other legs are the clearing account's and the fee pool's, which the totals leave out.
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
      keeper().size_moved(e.instrument, before, plan.position.size);
    }
  }

 private:
  TotalsKeeper keeper() {
    BALLAST_ASSERT(risk_ != nullptr);
    return TotalsKeeper(totals_, prices_, *risk_);
  }
  // A balance changed (its new value read from the ledger); nothing to keep without a venue.
  void balance_moved(SubAccountId sub_account, AssetId asset, Amount before) {
    if (risk_ == nullptr) return;
    keeper().balance_moved(sub_account, asset, before, ledger_.balance(sub_account, asset));
  }

  Ledger& ledger_;
  PriceState& prices_;
  VenueTotals& totals_;
  const margin::RiskConfig* risk_;
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
                 ((*bits >> v) & 1u) != 0);
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

Engine::Engine(margin::RiskConfig risk, EngineOptions options)
    : has_risk_(true), risk_(std::move(risk)), options_(options) {
  BALLAST_ASSERT(risk_.validate().ok() && risk_.pnl.validate().ok());
  BALLAST_ASSERT(options_.price_max_age_ns > 0);
  totals_ = recount_totals();
}

VenueTotals Engine::recount_totals() const {
  VenueTotals totals;
  if (!has_risk_) return totals;
  totals.deposit_units.assign(risk_.assets.size(), 0);
  totals.borrow_units.assign(risk_.assets.size(), 0);
  totals.long_size.assign(risk_.markets.size(), 0);
  for (const SubAccount* sub_account : ledger_.sub_accounts_in_order()) {
    if (sub_account->id.value < kFirstUserId) continue;
    for (const Balance& balance : sub_account->balances) {
      if (const auto i = asset_index(risk_, balance.asset)) {
        totals.deposit_units[*i] += positive_part(balance.amount.raw());
        totals.borrow_units[*i] += negative_part(balance.amount.raw());
      }
    }
    for (const PositionEntry& held : sub_account->positions) {
      const auto i = market_index(risk_, held.instrument);
      BALLAST_ASSERT(i.has_value());  // fills and restore keep positions in configured markets
      totals.long_size[*i] += positive_part(held.position.size.raw());
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

Result<Engine> Engine::make(margin::RiskConfig risk, EngineOptions options) {
  if (Outcome valid = risk.validate(); !valid) return std::move(valid).error();
  if (Outcome valid = risk.pnl.validate(); !valid) {
    return make_error(ErrorCode::invalid_input, "pnl policy: " + valid.error().message);
  }
  if (options.price_max_age_ns <= 0) {
    return make_error(ErrorCode::invalid_input, "price_max_age_ns must be positive, got " +
                                                    std::to_string(options.price_max_age_ns));
  }
  return Engine(std::move(risk), options);
}

Status Engine::apply(const Event& event) {
  scratch_.clear();
  encode_event_into(event, scratch_);
  const std::uint64_t fingerprint = fingerprint64(scratch_.bytes());
  const Status status = validate(event, fingerprint);
  if (status != Status::ok) {
    return status;
  }
  clock_ns_ = event.timestamp_ns;  // execution reads the event's time as "now"
  execute(event.body);
  applied_.emplace(event.id, fingerprint);
  return Status::ok;
}

Status Engine::validate(const Event& event, std::uint64_t fingerprint) const {
  if (event.id.value == 0) return Status::id_zero;
  if (event.timestamp_ns <= 0) return Status::timestamp_invalid;
  if (const auto seen = applied_.find(event.id); seen != applied_.end()) {
    return seen->second == fingerprint ? Status::exists : Status::id_reused;
  }
  if (event.timestamp_ns < clock_ns_) return Status::timestamp_regressed;
  return std::visit(Validator(ledger_, risk_config(), prices_, options_, event.timestamp_ns),
                    event.body);
}

void Engine::execute(const EventBody& body) {
  std::visit(Executor(ledger_, prices_, totals_, risk_config(), clock_ns_), body);
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
    encode_risk_config(out, risk_);
    encode_oracle_policy(out, options_.oracle_policy);
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
  return out.take();
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
    auto policy = decode_oracle_policy(in);
    if (!policy) return snapshot_error(policy.error().message);
    engine.options_.oracle_policy = *policy;
  }
  const auto max_age = in.i64();
  if (!max_age || *max_age <= 0) return snapshot_error("bad price_max_age_ns");
  engine.options_.price_max_age_ns = *max_age;
  // Every position is in a derivative market of the configuration, as fills put it there.
  for (const SubAccount* sub_account : engine.ledger_.sub_accounts_in_order()) {
    for (const PositionEntry& held : sub_account->positions) {
      const margin::MarketRisk* market =
          engine.has_risk_ ? engine.risk_.find_market(held.instrument) : nullptr;
      if (market == nullptr || market->instrument.kind == market::InstrumentKind::spot) {
        return snapshot_error("position in sub-account " + std::to_string(sub_account->id.value) +
                              " is not in a derivative market of the risk configuration");
      }
    }
  }
  return restore_prices(in, std::move(engine));
}

// Prices are re-checked as the events that set them were: sorted, for configured assets and
// markets, valid values, set no later than the clock.
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
  if (!in.at_end()) return snapshot_error("trailing bytes");
  // The venue totals are derived state: counted afresh from the restored ledger and valued at
  // the restored prices, equal to what the original kept event by event.
  engine.totals_ = engine.recount_totals();
  engine.refresh_all_totals();
  return engine;
}

}  // namespace ballast
