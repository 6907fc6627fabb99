#pragma once
// The engine's building blocks shared by its event handlers (engine.cpp) and the bankruptcy
// waterfall (bankruptcy.cpp): unit conversion, configuration lookups, the venue totals' keeper,
// a fill's double-entry plan and a sub-account's margin group. Internal to the engine: nothing
// outside src/ballast/engine includes it.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "ballast/engine/engine.hpp"

namespace ballast::detail {

// The system accounts' sub-accounts (ledger.hpp): each system account has one, of its own id.
inline constexpr SubAccountId kVaultSub{kVault.value};
inline constexpr SubAccountId kInsuranceSub{kInsuranceFund.value};
inline constexpr SubAccountId kBadDebtSub{kBadDebt.value};

// A plan (any of the planners' result structs) that carries only its rejection.
template <typename Plan>
Plan rejected_plan(Status status) {
  Plan plan;
  plan.status = status;
  return plan;
}

// Quote money or a size in an asset's smallest unit, rounded as asked (as the pre-trade check
// converts them).
template <typename T>
std::optional<std::int64_t> to_units(T value, std::uint8_t decimals, Round round) {
  const auto scaled = scale_pow10(value.raw(), decimals - T::kDecimals, round);
  return scaled ? narrow_i64(*scaled) : std::nullopt;
}


// The inverse: units of an asset with `decimals` as a fixed-point T (Money, Quantity), rounded
// as asked; nullopt beyond T's range.
template <typename T>
std::optional<T> from_units(std::int64_t units, std::uint8_t decimals, Round round) {
  const auto scaled = scale_pow10(units, T::kDecimals - decimals, round);
  const auto narrowed = scaled ? narrow_i64(*scaled) : std::nullopt;
  return narrowed ? std::optional<T>(T::from_raw(*narrowed)) : std::nullopt;
}

market::Fill market_fill(const Fill& e);

// ceil(a × b × c / 10^k) for a, b, c >= 0 and 0 <= k <= 38, saturating at INT64_MAX.
std::int64_t product_up(int128 a, std::int64_t b, std::int64_t c, int k);
inline int128 positive_part(std::int64_t v) { return v > 0 ? v : 0; }
inline int128 negative_part(std::int64_t v) { return v < 0 ? -static_cast<int128>(v) : 0; }
inline std::int64_t magnitude(std::int64_t raw) { return raw < 0 ? -raw : raw; }

template <typename T, typename Id>
inline std::size_t sorted_index(const std::vector<T>& items, Id id, Id T::*key) {
  const auto it = std::lower_bound(items.begin(), items.end(), id,
                                   [key](const T& item, Id wanted) { return item.*key < wanted; });
  return static_cast<std::size_t>(it - items.begin());
}

template <typename T, typename Id>
inline std::optional<std::size_t> index_of(const std::vector<T>& items, Id id, Id T::*key) {
  const std::size_t i = sorted_index(items, id, key);
  if (i == items.size() || items[i].*key != id) return std::nullopt;
  return i;
}


std::optional<std::size_t> asset_index(const margin::RiskConfig& risk, AssetId id);
std::optional<std::size_t> market_index(const margin::RiskConfig& risk, InstrumentId id);
// The slot of an asset or market the configuration lists: asserted, for ids that validation,
// fills or restore have already checked against it.
std::size_t asset_slot(const margin::RiskConfig& risk, AssetId id);
std::size_t market_slot(const margin::RiskConfig& risk, InstrumentId id);
margin::MarketPrice* find_price(std::vector<margin::MarketPrice>& markets, InstrumentId id);
// Open interest: the longs' notional at the mark, rounded up (a higher figure only raises the
// OI-ramped initial requirement).
Money open_interest_of(int128 long_size, const market::Instrument& instrument, Price mark);

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
  void size_moved(SubAccountId holder, InstrumentId instrument, Quantity before, Quantity after) {
    const std::size_t i = market_slot(risk_, instrument);
    totals_.long_size[i] += positive_part(after.raw()) - positive_part(before.raw());
    if ((before.raw() > 0) != (after.raw() > 0)) (after.raw() > 0 ? insert : erase)(totals_.longs[i], holder);
    if ((before.raw() < 0) != (after.raw() < 0)) (after.raw() < 0 ? insert : erase)(totals_.shorts[i], holder);
    refresh_market(i);
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

  void refresh_market(std::size_t i) {
    const market::Instrument& instrument = risk_.markets[i].instrument;
    margin::MarketPrice* price = find_price(prices_.book.markets, instrument.id);
    if (price == nullptr) return;
    price->open_interest = open_interest_of(totals_.long_size[i], instrument, price->mark);
  }

 private:
  static void insert(std::set<SubAccountId>& holders, SubAccountId holder) { holders.insert(holder); }
  static void erase(std::set<SubAccountId>& holders, SubAccountId holder) { holders.erase(holder); }

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
//   perpetual    funding owed since the position's snapshot (settled lazily, at the fill):
//                toward +inf for the payer: user -owed, clearing +owed
struct FillPlan {
  bool ok = false;  // false: a value left its range
  std::vector<Posting> postings;
  Amount delivered;  // spot: the underlying the user receives (< 0: gives)
  bool has_position = false;
  market::Position position;
};


// Appends user +units, counter −units; false when units is nullopt or cannot be negated.
bool add_pair(std::vector<Posting>& postings, SubAccountId user, SubAccountId counter, AssetId asset,
              std::optional<std::int64_t> units);

// The fee goes to `fee_to`: the fee pool for a trade, the insurance fund for a liquidation's
// protocol share.
FillPlan plan_fill(const Ledger& ledger, const margin::RiskConfig& risk, const PriceState& prices,
                   const margin::MarketRisk& market, const Fill& e, AccountId fee_to = kFeePool);

// A sub-account as the margin calculators read it. Positive balances in assets the risk
// configuration does not list count for nothing (weight 0) and are left out.
margin::SubAccountBook book_of(const SubAccount& sub_account, const margin::RiskConfig& risk);
// The members of a sub-account's margin group: the owner's cross sub-accounts (by id), or the
// isolated (or portfolio) one alone; visit(const SubAccount&) for each.
template <typename Visit>
void for_each_member(const Ledger& ledger, const SubAccount& sub_account, Visit visit) {
  // A cross sub-account that is its owner's only one (most are) stands alone too: no lookup.
  if (sub_account.mode != MarginMode::cross || ledger.sub_accounts_of(sub_account.owner).size() == 1) {
    visit(sub_account);
    return;
  }
  for (const SubAccountId id : ledger.sub_accounts_of(sub_account.owner)) {
    const SubAccount& member = *ledger.find_sub_account(id);
    if (member.mode == MarginMode::cross) visit(member);
  }
}
// The same members into `members` (cleared first: a buffer the caller reuses).
void group_members(const Ledger& ledger, const SubAccount& sub_account, std::vector<const SubAccount*>& members);
// The margin group of a sub-account as the calculator reads it: its members' books.
std::vector<margin::SubAccountBook> group_books(const Ledger& ledger, const margin::RiskConfig& risk,
                                                const SubAccount& sub_account);
GroupKey group_key(const SubAccount& sub_account);
// Adds every posting whose sub-account is a member of `group` to that member's book (a plan's
// view of the group after its postings).
void apply_postings(std::vector<margin::SubAccountBook>& group, std::span<const Posting> postings);
// Sets `instrument`'s position in `book` (a flat one is removed), keeping the positions sorted by
// instrument: a plan's view of a sub-account after its fills.
void set_book_position(margin::SubAccountBook& book, InstrumentId instrument, const market::Position& position);
std::optional<LiquidationEpisode> episode_of(const std::map<GroupKey, LiquidationEpisode>& episodes, GroupKey key);

// The insurance fund's floor (insurance_keep_minimum) in quote units, rounded up: the balance
// neither the waterfall nor cover_bad_debt pays it below. nullopt beyond the range.
std::optional<std::int64_t> insurance_floor_units(const margin::RiskConfig& risk, const LiquidationRules& rules);

// The asset's oracle price as a Price raw (the quote is worth 1).
std::int64_t oracle_raw(const margin::RiskConfig& risk, const PriceState& prices, AssetId asset);
// Units of a configured asset valued at its oracle price, in Money (10^-6 quote), rounded as
// asked: units × price_raw / 10^(decimals + 3). nullopt beyond Money's range.
std::optional<Money> value_of_units(const margin::RiskConfig& risk, const PriceState& prices, AssetId asset,
                                    std::int64_t units, Round round);

}  // namespace ballast::detail
