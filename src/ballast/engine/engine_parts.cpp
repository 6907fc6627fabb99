#include "ballast/engine/engine_parts.hpp"

#include <algorithm>
#include <array>

namespace ballast::detail {

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
    const int step = left < 18 ? left : 18;  // 10^18 is the largest power of ten an int64 holds
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

// The slot of an asset or market the configuration lists: asserted, for ids that validation,
// fills or restore have already checked against it.
std::size_t asset_slot(const margin::RiskConfig& risk, AssetId id) {
  const auto i = asset_index(risk, id);
  BALLAST_ASSERT(i.has_value());
  return *i;
}
std::size_t market_slot(const margin::RiskConfig& risk, InstrumentId id) {
  const auto i = market_index(risk, id);
  BALLAST_ASSERT(i.has_value());
  return *i;
}

margin::MarketPrice* find_price(std::vector<margin::MarketPrice>& markets, InstrumentId id) {
  const auto at = index_of(markets, id, &margin::MarketPrice::instrument);
  return at ? &markets[*at] : nullptr;
}

// Open interest: the longs' notional at the mark, rounded up (a higher figure only raises the
// OI-ramped initial requirement).
Money open_interest_of(int128 long_size, const market::Instrument& instrument, Price mark) {
  const int k = Quantity::kDecimals + Quantity::kDecimals + Price::kDecimals - Money::kDecimals;
  return Money::from_raw(product_up(long_size, instrument.contract_size.raw(), mark.raw(), k));
}

bool add_pair(std::vector<Posting>& postings, SubAccountId user, SubAccountId counter,
              AssetId asset, std::optional<std::int64_t> units) {
  if (!units) return false;
  const auto negated = checked_neg(Amount::from_raw(*units));
  if (!negated) return false;
  postings.push_back(Posting{user, asset, Amount::from_raw(*units)});
  postings.push_back(Posting{counter, asset, *negated});
  return true;
}

FillPlan plan_fill(const Ledger& ledger, const margin::RiskConfig& risk, const PriceState& prices,
                   const margin::MarketRisk& market, const Fill& e, AccountId fee_to) {
  FillPlan plan;
  const market::Instrument& instrument = market.instrument;
  const margin::AssetRisk* quote = risk.find_asset(risk.quote);
  const SubAccountId clearing{kClearing.value};
  const auto fee = to_units(e.fee, quote->decimals, Round::up);
  if (!fee || !add_pair(plan.postings, e.sub_account, SubAccountId{fee_to.value}, risk.quote,
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
        !add_pair(plan.postings, e.sub_account, clearing, instrument.underlying, delivered) ||
        !add_pair(plan.postings, e.sub_account, clearing, risk.quote, received->raw())) {
      return plan;
    }
    plan.delivered = Amount::from_raw(*delivered);
    plan.ok = true;
    return plan;
  }
  const market::Position* held = ledger.position(e.sub_account, e.instrument);
  const market::Position current = held != nullptr ? *held : market::Position{};
  // The index pre_trade_check settles against, so the booking is the one it approved. The mark
  // is set: the fill's price gate has passed.
  const margin::MarketPrice* price = prices.book.find_market(e.instrument);
  BALLAST_ASSERT(price != nullptr);
  const auto change = market::apply_fill(current, market_fill(e), instrument.contract_size,
                                         margin::settlement_index(instrument, current, *price));
  if (!change) return plan;
  // Funding owed since the position's snapshot is settled now (lazily): the holder pays what
  // funding_payment rounded up, or receives it rounded down, against the clearing account.
  if (!change->funding_owed.is_zero()) {
    const auto owed = checked_neg(change->funding_owed);
    if (!owed || !add_pair(plan.postings, e.sub_account, clearing, risk.quote,
                           to_units(*owed, quote->decimals, Round::down))) {
      return plan;
    }
  }
  if (instrument.kind == market::InstrumentKind::option) {
    const auto premium = to_units(change->value, quote->decimals, Round::up);
    const auto paid = premium ? checked_neg(Amount::from_raw(*premium)) : std::nullopt;
    if (!paid || !add_pair(plan.postings, e.sub_account, clearing, risk.quote, paid->raw())) return plan;
  } else {
    const auto pnl = to_units(change->realized_pnl, quote->decimals, Round::down);
    if (!add_pair(plan.postings, e.sub_account, clearing, risk.quote, pnl)) return plan;
  }
  plan.has_position = true;
  plan.position = change->position;
  plan.ok = true;
  return plan;
}

// A sub-account as the margin calculators read it. Positive balances in assets the risk
// configuration does not list count for nothing (weight 0) and are left out.
margin::SubAccountBook book_of(const SubAccount& sub_account, const margin::RiskConfig& risk) {
  margin::SubAccountBook book{sub_account.id, sub_account.owner, sub_account.mode, {}, sub_account.positions};
  for (const Balance& balance : sub_account.balances) {
    if (balance.amount.is_negative() || risk.find_asset(balance.asset) != nullptr) {
      book.balances.push_back(balance);
    }
  }
  return book;
}

// The margin group of a sub-account as the calculator reads it: the owner's cross sub-accounts
// (by id), or the isolated (or portfolio) one alone.
void group_members(const Ledger& ledger, const SubAccount& sub_account, std::vector<const SubAccount*>& members) {
  members.clear();
  for_each_member(ledger, sub_account, [&members](const SubAccount& member) { members.push_back(&member); });
}

std::vector<margin::SubAccountBook> group_books(const Ledger& ledger, const margin::RiskConfig& risk,
                                                const SubAccount& sub_account) {
  std::vector<margin::SubAccountBook> group;
  for_each_member(ledger, sub_account, [&](const SubAccount& member) { group.push_back(book_of(member, risk)); });
  return group;
}

void apply_postings(std::vector<margin::SubAccountBook>& group, std::span<const Posting> postings) {
  for (margin::SubAccountBook& member : group) {
    for (const Posting& leg : postings) {
      if (leg.sub_account == member.id) margin::add_to_balance(member, leg.asset, leg.delta.raw());
    }
  }
}

GroupKey group_key(const SubAccount& sub_account) {
  return sub_account.mode == MarginMode::cross ? GroupKey{sub_account.owner, SubAccountId{0}}
                                               : GroupKey{sub_account.owner, sub_account.id};
}

std::optional<LiquidationEpisode> episode_of(const std::map<GroupKey, LiquidationEpisode>& episodes, GroupKey key) {
  const auto found = episodes.find(key);
  if (found == episodes.end()) return std::nullopt;
  return found->second;
}


void set_book_position(margin::SubAccountBook& book, InstrumentId instrument, const market::Position& position) {
  const auto at = std::lower_bound(book.positions.begin(), book.positions.end(), instrument,
                                   [](const margin::HeldPosition& held, InstrumentId id) { return held.instrument < id; });
  const bool held = at != book.positions.end() && at->instrument == instrument;
  if (position.size.is_zero()) {
    if (held) book.positions.erase(at);
  } else if (held) {
    at->position = position;
  } else {
    book.positions.insert(at, margin::HeldPosition{instrument, position});
  }
}

std::optional<std::int64_t> insurance_floor_units(const margin::RiskConfig& risk, const LiquidationRules& rules) {
  return to_units(rules.insurance.keep_minimum, risk.find_asset(risk.quote)->decimals, Round::up);
}

std::int64_t oracle_raw(const margin::RiskConfig& risk, const PriceState& prices, AssetId asset) {
  return asset == risk.quote ? Price::kScale : prices.book.find_asset(asset)->oracle.raw();
}

std::optional<Money> value_of_units(const margin::RiskConfig& risk, const PriceState& prices, AssetId asset,
                                    std::int64_t units, Round round) {
  const margin::AssetRisk* configured = risk.find_asset(asset);
  const int128 scaled = div_round(static_cast<int128>(units) * oracle_raw(risk, prices, asset),
                                  pow10_i128(configured->decimals + Price::kDecimals - Money::kDecimals), round);
  const auto narrowed = narrow_i64(scaled);
  return narrowed ? std::optional<Money>(Money::from_raw(*narrowed)) : std::nullopt;
}

}  // namespace ballast::detail
