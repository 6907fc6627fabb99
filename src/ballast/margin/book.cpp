#include "ballast/margin/book.hpp"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>
#include <thread>
#include <utility>

#include "ballast/market/reference_price.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ballast::margin {
namespace {

// The bound that clears most groups without computing their PnL credit (never negative, so it
// can only raise collateral): maintenance health is not negative and the group is not bankrupt
// (equity positive, or zero with no requirement: an empty group). A group that only borrows has no
// requirement but is judged all the same, its weighted borrowings against its collateral.
bool cleared_by_bound(auto equity, auto maintenance_collateral, auto negative_pnl, auto maintenance_requirement) {
  return maintenance_collateral + negative_pnl >= maintenance_requirement &&
         (equity > 0 || (equity == 0 && maintenance_requirement <= 0));
}

using detail::uint128;

constexpr std::int64_t kPriceOneRaw = Price::kScale;

static_assert(sizeof(MarginBook::PositionSlot) == 24, "a position slot is 24 bytes");
static_assert(sizeof(MarginBook::BalanceSlot) == 40, "a balance slot is 40 bytes");

// v / 10^n rounded as asked, n from 1 to 39 at run time: the compile-time divisions of
// requirement.hpp (one divq) for n ≤ 18, scale_pow10 beyond. Exact, so equal to scale_pow10.
int128 div_pow10_runtime(int128 v, int n, Round round) {
  switch (n) {
#define BALLAST_BOOK_CASE(N) \
  case N: return detail::div_pow10<N>(v, round);
    BALLAST_BOOK_CASE(1) BALLAST_BOOK_CASE(2) BALLAST_BOOK_CASE(3) BALLAST_BOOK_CASE(4)
    BALLAST_BOOK_CASE(5) BALLAST_BOOK_CASE(6) BALLAST_BOOK_CASE(7) BALLAST_BOOK_CASE(8)
    BALLAST_BOOK_CASE(9) BALLAST_BOOK_CASE(10) BALLAST_BOOK_CASE(11) BALLAST_BOOK_CASE(12)
    BALLAST_BOOK_CASE(13) BALLAST_BOOK_CASE(14) BALLAST_BOOK_CASE(15) BALLAST_BOOK_CASE(16)
    BALLAST_BOOK_CASE(17) BALLAST_BOOK_CASE(18)
#undef BALLAST_BOOK_CASE
    default: return *scale_pow10(v, -n, round);  // a division never overflows
  }
}

// account.cpp's balance_value: amount (smallest units) × price → Money, rounded as asked.
std::optional<std::int64_t> balance_value(std::int64_t amount, std::uint8_t decimals, std::int64_t price,
                                          Round round) {
  const int128 product = static_cast<int128>(amount) * price;
  return narrow_i64(div_pow10_runtime(product, Price::kDecimals + decimals - Money::kDecimals, round));
}

// account.cpp's units_of: |amount| in whole units as a Quantity, rounded up, saturating.
Quantity units_of(std::int64_t amount, std::uint8_t decimals) {
  const int128 magnitude = amount < 0 ? -static_cast<int128>(amount) : amount;
  const int shift = Quantity::kDecimals - decimals;
  const int128 scaled =
      shift >= 0 ? magnitude * pow10_i128(shift) : div_pow10_runtime(magnitude, -shift, Round::up);
  const auto raw = narrow_i64(scaled);
  return Quantity::from_raw(raw ? *raw : INT64_MAX);
}

// notional × rate / 10^12 rounded up, both ≥ 0: money_times_ratio(…, Round::up) without a divq.
inline std::optional<Money> times_rate_up(Money notional, std::int64_t rate) {
  const book_detail::Quotient d =
      book_detail::div_1e12(static_cast<uint128>(notional.raw()) * static_cast<std::uint64_t>(rate));
  if (!d.fits) return std::nullopt;
  const auto raw = narrow_i64(static_cast<int128>(d.quotient) + (d.inexact ? 1 : 0));
  return raw ? std::optional<Money>(Money::from_raw(*raw)) : std::nullopt;
}

std::optional<std::int64_t> to_amount_from_money(std::int64_t money, std::uint8_t decimals, Round round) {
  const auto scaled = scale_pow10(money, decimals - Money::kDecimals, round);
  return scaled ? narrow_i64(*scaled) : std::nullopt;
}

std::optional<std::int64_t> to_amount_from_units(std::int64_t units, std::uint8_t decimals, Round round) {
  const auto scaled = scale_pow10(units, decimals - Quantity::kDecimals, round);
  return scaled ? narrow_i64(*scaled) : std::nullopt;
}

// account.cpp's shrinks(): the size moved toward zero without crossing it.
bool shrinks(std::int64_t before, std::int64_t after) {
  if (after == 0) return before != 0;
  const bool same_side = (before < 0) == (after < 0);
  const auto magnitude = [](std::int64_t q) { return q < 0 ? -q : q; };
  return same_side && magnitude(after) < magnitude(before);
}

std::int64_t money_raw_or_zero(std::optional<Money> value, bool& ok) {
  if (!value) {
    ok = false;
    return 0;
  }
  return value->raw();
}

// The largest |size| (Quantity raw) at which a √size rule's margin ratio is its base rate for
// both kinds: size_premium_liability_weight(rate, imf, size) == rate, i.e. premium_weight's
// max(rate, ⌈0.8·rate⌉ + ⌈imf·√|size|⌉) is the rate. The size term never falls as |size| grows,
// so the set is an interval from 0 and a binary search over the exact term finds its end.
std::uint64_t size_rule_limit(const SizeRule& rule) {
  if (rule.imf_factor.raw() == 0) return ~0ULL;
  const auto base_at = [&](std::int64_t size) {
    const int128 term = detail::size_term_up(rule.imf_factor, Quantity::from_raw(size));
    return detail::premium_weight(rule.initial_rate, term) == rule.initial_rate &&
           detail::premium_weight(rule.maintenance_rate, term) == rule.maintenance_rate;
  };
  std::int64_t lo = 0;  // base_at(0): the term is 0
  std::int64_t hi = INT64_MAX;
  if (base_at(hi)) return static_cast<std::uint64_t>(hi);
  while (hi - lo > 1) {  // base_at(lo), !base_at(hi)
    const std::int64_t mid = lo + (hi - lo) / 2;
    (base_at(mid) ? lo : hi) = mid;
  }
  return static_cast<std::uint64_t>(lo);
}

// A tier's requirement, notional × rate − deduction rounded up (TierRule::requirement for one
// tier) through the reciprocal division; the library's own path where the reciprocal does not
// apply (a negative or huge exact figure).
inline std::optional<Money> tier_requirement_up(const TierRule& rule, MarginKind kind, std::size_t tier,
                                                Money notional) {
  const NotionalTier& t = rule.tiers()[tier];
  const std::int64_t rate = kind == MarginKind::initial ? t.initial_rate.raw() : t.maintenance_rate.raw();
  const int128 exact = static_cast<int128>(notional.raw()) * rate - rule.deduction(kind, tier);
  if (exact >= 0) {
    const book_detail::Quotient d = book_detail::div_1e12(static_cast<uint128>(exact));
    if (d.fits) {
      if (d.quotient >= static_cast<std::uint64_t>(INT64_MAX)) {
        if (d.quotient > static_cast<std::uint64_t>(INT64_MAX) || d.inexact) return std::nullopt;
      }
      return Money::from_raw(static_cast<std::int64_t>(d.quotient) + (d.inexact ? 1 : 0));
    }
  }
  return rule.requirement(kind, notional);
}

}  // namespace


// ---------------------------------------------------------------------------------------------
// Building

Result<MarginBook> MarginBook::build(const RiskConfig& config, const PriceBook& prices,
                                     std::span<const SubAccountBook> sub_accounts) {
  if (Outcome valid = config.validate(); !valid) return std::move(valid).error();
  const auto invalid = [](std::string message) { return make_error(ErrorCode::invalid_input, std::move(message)); };
  if (config.markets.size() > 65'535 || config.assets.size() > 65'535) return invalid("too many markets or assets");

  MarginBook book;
  book.config_ = config;
  const RiskConfig& cfg = book.config_;
  book.quote_ = static_cast<std::uint32_t>(cfg.find_asset(cfg.quote) - cfg.assets.data());
  book.settle_ = settle_weights(cfg);
  book.has_net_ = std::any_of(cfg.markets.begin(), cfg.markets.end(), [](const MarketRisk& market) {
    return market.perp_health == PerpHealth::settle_weighted_net;
  });

  // Prices, aligned with the configuration.
  book.assets_.resize(cfg.assets.size());
  for (std::size_t a = 0; a < cfg.assets.size(); ++a) {
    AssetTick& tick = book.assets_[a];
    tick.decimals = cfg.assets[a].decimals;
    if (a == book.quote_) continue;
    const AssetPrice* price = prices.find_asset(cfg.assets[a].id);
    if (price == nullptr) return invalid("no price for asset " + cfg.assets[a].symbol);
    tick.price_entry = static_cast<std::int32_t>(book.prices_.assets.size());
    book.prices_.assets.push_back(*price);
  }
  book.markets_.resize(cfg.markets.size());
  book.size_limit_.assign(cfg.markets.size(), ~0ULL);
  book.option_markets_.resize(cfg.assets.size());
  for (std::size_t m = 0; m < cfg.markets.size(); ++m) {
    const MarketPrice* price = prices.find_market(cfg.markets[m].instrument.id);
    if (price == nullptr) return invalid("no price for market " + cfg.markets[m].instrument.symbol);
    if (price->mark.is_negative()) return invalid("negative mark for market " + cfg.markets[m].instrument.symbol);
    book.prices_.markets.push_back(*price);
    if (cfg.markets[m].instrument.kind == market::InstrumentKind::option) {
      const auto underlying = *book.asset_index(cfg.markets[m].instrument.underlying);
      book.option_markets_[underlying].push_back(static_cast<std::uint32_t>(m));
    }
    if (const auto* rule = std::get_if<SizeRule>(&cfg.markets[m].rule)) book.size_limit_[m] = size_rule_limit(*rule);
    if (const auto* rule = std::get_if<TierRule>(&cfg.markets[m].rule)) {
      book.piece_count_ = std::max(book.piece_count_, static_cast<std::uint32_t>(rule->tiers().size()));
    }
  }

  // Sub-accounts and groups: cross by owner in order of first appearance, isolated alone.
  const std::size_t sub_count = sub_accounts.size();
  book.subs_.resize(sub_count);
  book.sub_index_.reserve(sub_count);
  std::map<AccountId, GroupIndex> cross_group;
  std::vector<std::vector<std::uint32_t>> members;
  for (std::size_t i = 0; i < sub_count; ++i) {
    const SubAccountBook& sub = sub_accounts[i];
    SubAccountInfo& info = book.subs_[i];
    info.id = sub.id;
    info.owner = sub.owner;
    info.mode = sub.mode;
    book.sub_index_.emplace_back(sub.id, static_cast<std::uint32_t>(i));
    GroupIndex group = static_cast<GroupIndex>(members.size());
    if (sub.mode == MarginMode::cross) {
      const auto [it, inserted] = cross_group.emplace(sub.owner, group);
      group = it->second;
    }
    if (group == members.size()) members.emplace_back();
    members[group].push_back(static_cast<std::uint32_t>(i));
    info.group = group;
  }
  std::sort(book.sub_index_.begin(), book.sub_index_.end());
  for (std::size_t i = 1; i < book.sub_index_.size(); ++i) {
    if (book.sub_index_[i - 1].first == book.sub_index_[i].first) {
      return invalid("sub-account " + std::to_string(book.sub_index_[i].first.value) + " listed twice");
    }
  }

  // Slots, group by group.
  const std::size_t group_count = members.size();
  book.groups_.resize(group_count);
  book.group_position_begin_.reserve(group_count + 1);
  book.group_balance_begin_.reserve(group_count + 1);
  book.group_sub_begin_.reserve(group_count + 1);
  book.group_subs_.reserve(sub_count);
  book.group_sub_ids_.reserve(sub_count);
  book.market_slots_.resize(cfg.markets.size());
  book.asset_slots_.resize(cfg.assets.size());
  for (GroupIndex g = 0; g < group_count; ++g) {
    book.group_position_begin_.push_back(static_cast<std::uint32_t>(book.positions_.size()));
    book.group_balance_begin_.push_back(static_cast<std::uint32_t>(book.balances_.size()));
    book.group_sub_begin_.push_back(static_cast<std::uint32_t>(book.group_subs_.size()));
    for (const std::uint32_t s : members[g]) {
      book.group_subs_.push_back(s);
      book.group_sub_ids_.push_back(sub_accounts[s].id);
      const SubAccountBook& sub = sub_accounts[s];
      SubAccountInfo& info = book.subs_[s];
      for (const HeldPosition& held : sub.positions) {
        const auto m = book.market_index(held.instrument);
        if (!m) return invalid("instrument " + std::to_string(held.instrument.value) + " is not listed");
        const market::Instrument& instrument = cfg.markets[*m].instrument;
        const auto exposure = market::exposure_of(held.position.size, instrument.contract_size);
        const bool option = instrument.kind == market::InstrumentKind::option;
        const auto slot = static_cast<std::uint32_t>(book.positions_.size());
        book.positions_.push_back(PositionSlot{exposure ? exposure->raw() : 0, 0, g,
                                               static_cast<std::uint16_t>(*m),
                                               static_cast<std::uint8_t>(book.market_flags(*m) |
                                                                         (exposure ? 0 : kExposureOverflow)),
                                               0});
        book.set_charged_basis(book.positions_.back(), held.position);
        book.position_state_.push_back(held.position);
        book.position_sub_.push_back(s);
        book.market_slots_[*m].push_back(slot);
        info.positions.push_back(slot);
        if (option && !held.position.size.is_zero()) ++book.groups_[g].options;
      }
      for (const Balance& balance : sub.balances) {
        const auto a = book.asset_index(balance.asset);
        if (!a) return invalid("asset " + std::to_string(balance.asset.value) + " is not listed");
        const bool counts = sub.mode == MarginMode::isolated || !cfg.assets[*a].collateral.isolated_only;
        const auto slot = static_cast<std::uint32_t>(book.balances_.size());
        book.balances_.push_back(BalanceSlot{balance.amount.raw(), 0, 0, 0, g, static_cast<std::uint16_t>(*a),
                                             static_cast<std::uint8_t>(counts ? 1 : 0), 1});
        book.balance_sub_.push_back(s);
        book.asset_slots_[*a].push_back(slot);
        info.balances.push_back(slot);
      }
      // By market and asset index (the sorted-by-id form); one slot per market and asset.
      std::sort(info.positions.begin(), info.positions.end(),
                [&](std::uint32_t x, std::uint32_t y) { return book.positions_[x].market < book.positions_[y].market; });
      std::sort(info.balances.begin(), info.balances.end(),
                [&](std::uint32_t x, std::uint32_t y) { return book.balances_[x].asset < book.balances_[y].asset; });
      for (std::size_t i = 1; i < info.positions.size(); ++i) {
        if (book.positions_[info.positions[i - 1]].market == book.positions_[info.positions[i]].market) {
          return invalid("sub-account " + std::to_string(info.id.value) + " holds one instrument twice");
        }
      }
      for (std::size_t i = 1; i < info.balances.size(); ++i) {
        if (book.balances_[info.balances[i - 1]].asset == book.balances_[info.balances[i]].asset) {
          return invalid("sub-account " + std::to_string(info.id.value) + " holds one asset twice");
        }
      }
    }
  }
  book.group_position_begin_.push_back(static_cast<std::uint32_t>(book.positions_.size()));
  book.group_balance_begin_.push_back(static_cast<std::uint32_t>(book.balances_.size()));
  book.group_sub_begin_.push_back(static_cast<std::uint32_t>(book.group_subs_.size()));
  book.laid_out_positions_ = static_cast<std::uint32_t>(book.positions_.size());
  book.laid_out_balances_ = static_cast<std::uint32_t>(book.balances_.size());
  if (book.has_net_) book.nets_.resize(group_count);
  book.option_groups_.assign((group_count + 63) / 64, 0);
  for (GroupIndex g = 0; g < group_count; ++g) book.mark_options(g);
  book.screens_.resize(group_count);
  book.tail_groups_.assign((group_count + 63) / 64, 0);
  book.full_recompute(1);
  return book;
}

std::optional<MarginBook::GroupIndex> MarginBook::group_of(SubAccountId sub_account) const {
  const auto it = std::lower_bound(sub_index_.begin(), sub_index_.end(), std::make_pair(sub_account, 0U));
  if (it == sub_index_.end() || it->first != sub_account) return std::nullopt;
  return subs_[it->second].group;
}

std::optional<std::uint32_t> MarginBook::market_index(InstrumentId instrument) const {
  const MarketRisk* market = config_.find_market(instrument);
  if (market == nullptr) return std::nullopt;
  return static_cast<std::uint32_t>(market - config_.markets.data());
}

std::optional<std::uint32_t> MarginBook::asset_index(AssetId asset) const {
  const AssetRisk* found = config_.find_asset(asset);
  if (found == nullptr) return std::nullopt;
  return static_cast<std::uint32_t>(found - config_.assets.data());
}

// ---------------------------------------------------------------------------------------------
// Per-tick inputs

void MarginBook::set_market_tick(std::uint32_t m) {
  const MarketRisk& risk = config_.markets[m];
  const MarketPrice& price = prices_.markets[m];
  MarketTick& tick = markets_[m];
  tick.mark = price.mark.raw();
  tick.open_interest = price.open_interest.raw();
  tick.latency_rate = risk.latency_rate.raw();
  tick.contract_size = risk.instrument.contract_size.raw();
  tick.underlying = *asset_index(risk.instrument.underlying);
  tick.fixed_limit = ~0ULL;
  tick.pieces = {};
  if (risk.instrument.kind == market::InstrumentKind::option) {
    tick.kind = RuleKind::option;
  } else if (const auto* base = std::get_if<BaseRule>(&risk.rule)) {
    tick.kind = RuleKind::fixed;
    tick.initial_rate = base->initial_rate.raw();
    tick.maintenance_rate = base->maintenance_rate.raw();
  } else if (const auto* ramp = std::get_if<OiRampRule>(&risk.rule)) {
    // The ramp depends on the market only: one division per tick, BaseRule speed per position.
    tick.kind = RuleKind::fixed;
    tick.initial_rate = effective_imf(*ramp, price.open_interest).raw();
    tick.maintenance_rate = ramp->maintenance_rate.raw();
  } else if (const auto* size = std::get_if<SizeRule>(&risk.rule)) {
    tick.kind = RuleKind::size;
    tick.initial_rate = size->initial_rate.raw();
    tick.maintenance_rate = size->maintenance_rate.raw();
    tick.fixed_limit = size_limit_[m];
  } else if (const auto* tiers = std::get_if<TierRule>(&risk.rule)) {
    tick.kind = RuleKind::tier;
    for (std::size_t t = 0; t < tiers->tiers().size(); ++t) {
      const NotionalTier& tier = tiers->tiers()[t];
      tick.pieces[t] = Piece{t == 0 ? INT64_MIN : tier.lower_bound.raw(), tier.initial_rate.raw(),
                             tier.maintenance_rate.raw(), 0, tiers->deduction(MarginKind::initial, t),
                             tiers->deduction(MarginKind::maintenance, t)};
    }
  } else {
    tick.kind = RuleKind::general;
  }
  tick.tier_mask = tick.kind == RuleKind::tier ? ~std::uint64_t{0} : 0;
  switch (tick.kind) {
    case RuleKind::fixed:
    case RuleKind::size:
      tick.pieces[0] = Piece{INT64_MIN, tick.initial_rate, tick.maintenance_rate, 0, 0, 0};
      // |exposure| ≤ 2^63 < ~0: every exposure (fixed), or up to the size limit (√size).
      tick.linear_bound = tick.fixed_limit == ~0ULL ? ~0ULL : tick.fixed_limit + 1;
      break;
    case RuleKind::tier: tick.linear_bound = ~0ULL; break;
    default: tick.linear_bound = 0; break;
  }
  set_narrow(tick);
}

std::uint8_t MarginBook::market_flags(std::uint32_t m) const {
  const MarketRisk& market = config_.markets[m];
  if (market.instrument.kind == market::InstrumentKind::option) return kOptionSlot;
  return market.perp_health == PerpHealth::settle_weighted_net ? kNetSlot : 0;
}

void MarginBook::set_charged_basis(PositionSlot& slot, const market::Position& position) const {
  const std::optional<Money> basis =
      charged_basis(config_.markets[slot.market].instrument, position, prices_.markets[slot.market]);
  slot.charged_basis = basis ? basis->raw() : 0;
  slot.flags = static_cast<std::uint8_t>((slot.flags & ~kBasisOverflow) | (basis ? 0 : kBasisOverflow));
}

namespace {

uint128 gcd128(uint128 a, uint128 b) {
  while (b != 0) a = std::exchange(b, a % b);
  return a;
}

}  // namespace

// The 64-bit form of the tick's pieces (MarketTick::narrow); narrow_exposure 0 where it does
// not apply.
void MarginBook::set_narrow(MarketTick& tick) const {
  constexpr std::uint64_t kScale = 1'000'000'000'000ULL;
  constexpr std::uint64_t kBound = std::uint64_t{1} << 62;
  tick.narrow_exposure = 0;
  tick.narrow_notional = 0;
  if (tick.linear_bound == 0) return;
  // Notional: mark / 10^12 over their gcd (a divisor of at least 2).
  auto g = static_cast<std::uint64_t>(gcd128(static_cast<std::uint64_t>(tick.mark), kScale));
  if (g == kScale) g /= 2;
  tick.notional_multiplier = static_cast<std::uint64_t>(tick.mark) / g;
  tick.notional_divisor = book_detail::Divisor::of(kScale / g);
  tick.narrow_exposure =
      std::min<std::uint64_t>(tick.notional_multiplier == 0 ? ~0ULL : kBound / tick.notional_multiplier, tick.linear_bound);
  // Requirements: every rate and deduction the pieces use. The latency add-on divides on its
  // own (div_1e12): its rate comes from a volatility and a square root, so it has twelve
  // significant digits, and folded in here it would shrink every other bound to nothing.
  if (tick.latency_rate < 0 || tick.latency_rate >= static_cast<std::int64_t>(kScale)) {
    tick.narrow_exposure = 0;
    return;
  }
  uint128 common = kScale;
  for (std::uint32_t t = 0; t < piece_count_; ++t) {
    const Piece& piece = tick.pieces[t];
    if (piece.lower == INT64_MAX) continue;
    if (piece.initial_rate < 0 || piece.maintenance_rate < 0 || piece.initial_deduction < 0 ||
        piece.maintenance_deduction < 0) {
      tick.narrow_exposure = 0;
      return;
    }
    common = gcd128(common, static_cast<uint128>(piece.initial_rate));
    common = gcd128(common, static_cast<uint128>(piece.maintenance_rate));
    common = gcd128(common, static_cast<uint128>(piece.initial_deduction));
    common = gcd128(common, static_cast<uint128>(piece.maintenance_deduction));
  }
  auto r = static_cast<std::uint64_t>(common);
  if (r == kScale) r /= 2;
  tick.requirement_divisor = book_detail::Divisor::of(kScale / r);
  const auto rate = static_cast<std::int64_t>(r);
  std::int64_t largest = 1;
  for (std::uint32_t t = 0; t < piece_count_; ++t) {
    const Piece& piece = tick.pieces[t];
    MarketTick::NarrowPiece& narrow = tick.narrow[t];
    narrow = {};
    if (piece.lower == INT64_MAX) continue;
    const int128 initial_deduction = piece.initial_deduction / rate;
    const int128 maintenance_deduction = piece.maintenance_deduction / rate;
    if (initial_deduction >= static_cast<int128>(kBound) || maintenance_deduction >= static_cast<int128>(kBound)) {
      tick.narrow_exposure = 0;
      return;
    }
    narrow = {piece.initial_rate / rate, piece.maintenance_rate / rate, static_cast<std::int64_t>(initial_deduction),
              static_cast<std::int64_t>(maintenance_deduction)};
    largest = std::max({largest, narrow.initial_multiplier, narrow.maintenance_multiplier});
  }
  tick.narrow_notional = static_cast<std::int64_t>(kBound) / largest;
}

void MarginBook::set_asset_tick(std::uint32_t a) {
  AssetTick& tick = assets_[a];
  if (tick.price_entry < 0) {
    tick.oracle = tick.stable = tick.initial_price = tick.liability_price = kPriceOneRaw;
    tick.total_deposits = tick.total_borrows = 0;
  } else {
    const AssetPrice& price = prices_.assets[static_cast<std::size_t>(tick.price_entry)];
    tick.oracle = price.oracle.raw();
    tick.stable = price.stable.raw();
    tick.initial_price = market::asset_price(price.oracle, price.stable).raw();
    tick.liability_price = market::liability_price(price.oracle, price.stable).raw();
    tick.total_deposits = price.total_deposits.raw();
    tick.total_borrows = price.total_borrows.raw();
  }
  set_narrow_balance(a);
}

namespace {

// The fractions n_i / scale as multipliers m_i over one divisor d ≥ 2 (Divisor's least): their
// gcd taken out, but for a factor 2 where that would leave d = 1. Each n_i ≥ 0; scale even.
template <std::size_t N>
book_detail::Divisor common_divisor(std::uint64_t scale, std::array<std::uint64_t, N>& n) {
  BALLAST_ASSERT(scale % 2 == 0);
  std::uint64_t g = scale;
  for (const std::uint64_t x : n) g = std::gcd(g, x);
  if (g == scale) g /= 2;
  for (std::uint64_t& x : n) x /= g;
  return book_detail::Divisor::of(scale / g);
}

// 2^62 / (the largest multiplier): the bound below which a factor keeps every product below 2^62.
template <std::size_t N>
std::uint64_t product_bound(const std::array<std::uint64_t, N>& multipliers) {
  constexpr std::uint64_t kBound = std::uint64_t{1} << 62;
  return kBound / std::max<std::uint64_t>(1, *std::max_element(multipliers.begin(), multipliers.end()));
}

}  // namespace

void MarginBook::set_narrow_balance(std::uint32_t a) {
  AssetTick& tick = assets_[a];
  const CollateralParams& params = config_.assets[a].collateral;
  tick.amount_bound = 0;
  const int decimals = Price::kDecimals + tick.decimals - Money::kDecimals;  // balance_value()'s
  if (params.tier_count != 0 || params.imf_factor.raw() != 0 || decimals < 1 || decimals > 18 || tick.oracle < 0 ||
      tick.initial_price < 0 || tick.liability_price < 0) {
    return;
  }
  // asset_weight() and liability_weight() at any size, without tiers or an IMF factor.
  const Ratio weights[] = {
      deposit_scaled_weight(params.init_asset_weight, params.deposit_scale_start, Money::from_raw(tick.total_deposits)),
      params.maint_asset_weight,
      borrow_scaled_weight(params.init_liability_weight, params.borrow_scale_start, Money::from_raw(tick.total_borrows)),
      params.maint_liability_weight};
  std::array<std::uint64_t, 4> weight{};
  for (std::size_t i = 0; i < weight.size(); ++i) {
    if (weights[i].raw() < 0) return;
    weight[i] = static_cast<std::uint64_t>(weights[i].raw());
  }
  std::array<std::uint64_t, 3> price{static_cast<std::uint64_t>(tick.oracle), static_cast<std::uint64_t>(tick.initial_price),
                                     static_cast<std::uint64_t>(tick.liability_price)};
  tick.price_divisor = common_divisor(static_cast<std::uint64_t>(pow10_i64(decimals)), price);
  tick.weight_divisor = common_divisor(static_cast<std::uint64_t>(Ratio::kScale), weight);
  tick.oracle_multiplier = price[0];
  tick.initial_multiplier = price[1];
  tick.liability_multiplier = price[2];
  tick.weight_multiplier = weight;
  tick.value_bound = product_bound(weight);
  tick.amount_bound = product_bound(price);
}

// ---------------------------------------------------------------------------------------------
// Contributions: account.cpp's linear_position and balance_margin, figure for figure.

// Inlined into each loop: the call and the result through memory cost as much as the work.
[[gnu::always_inline]] inline MarginBook::PositionContribution MarginBook::position_contribution(
    const MarketTick& tick, std::uint32_t m,
                                                                   std::int64_t exposure,
                                                                   std::int64_t charged_basis) const {
  PositionContribution out;
  // |exposure| × mark once: its floor and ceiling give the notional (up) and the value (down).
  const uint128 magnitude = exposure < 0 ? -static_cast<uint128>(static_cast<int128>(exposure))
                                         : static_cast<uint128>(exposure);
  const book_detail::Quotient d = book_detail::div_1e12(magnitude * static_cast<std::uint64_t>(tick.mark));
  std::int64_t notional_raw = 0;
  std::int64_t value = 0;
  if (!d.fits) {
    out.ok = false;
  } else {
    const int128 ceiling = static_cast<int128>(d.quotient) + (d.inexact ? 1 : 0);
    const auto n = narrow_i64(ceiling);
    const auto v = narrow_i64(exposure >= 0 ? static_cast<int128>(d.quotient) : -ceiling);
    out.ok = n.has_value() && v.has_value();
    notional_raw = n ? *n : 0;
    value = v ? *v : 0;
  }
  if (__builtin_sub_overflow(value, charged_basis, &out.upnl)) {
    out.ok = false;
    out.upnl = 0;
  }
  const Money notional = Money::from_raw(notional_raw);
  std::int64_t initial = 0;
  std::int64_t maintenance = 0;
  if (tick.kind == RuleKind::fixed || (tick.kind == RuleKind::size && magnitude <= tick.fixed_limit)) {
    initial = money_raw_or_zero(times_rate_up(notional, tick.initial_rate), out.ok);
    maintenance = money_raw_or_zero(times_rate_up(notional, tick.maintenance_rate), out.ok);
  } else if (tick.kind == RuleKind::tier) {
    // TierRule::requirement: the tier whose lower bound the notional reaches, one for both kinds.
    const auto& rule = *std::get_if<TierRule>(&config_.markets[m].rule);
    const std::span<const NotionalTier> tiers = rule.tiers();
    std::size_t tier = 0;
    while (tier + 1 < tiers.size() && tiers[tier + 1].lower_bound <= notional) ++tier;
    initial = money_raw_or_zero(tier_requirement_up(rule, MarginKind::initial, tier, notional), out.ok);
    maintenance = money_raw_or_zero(tier_requirement_up(rule, MarginKind::maintenance, tier, notional), out.ok);
  } else {
    const Requirements required = requirements(config_.markets[m].rule, notional, Quantity::from_raw(exposure),
                                               Money::from_raw(tick.open_interest));
    initial = money_raw_or_zero(required.initial, out.ok);
    maintenance = money_raw_or_zero(required.maintenance, out.ok);
  }
  std::int64_t latency = 0;
  if (tick.latency_rate != 0) {
    latency = money_raw_or_zero(times_rate_up(notional, tick.latency_rate), out.ok);  // latency_addon
  }
  if (__builtin_add_overflow(initial, latency, &out.initial_requirement)) {
    out.ok = false;
    out.initial_requirement = 0;
  }
  if (__builtin_add_overflow(maintenance, latency, &out.maintenance_requirement)) {
    out.ok = false;
    out.maintenance_requirement = 0;
  }
  return out;
}

[[gnu::always_inline]] inline MarginBook::BalanceContribution MarginBook::balance_contribution(
    const AssetTick& tick, std::uint32_t a, std::int64_t amount, bool counts) const {
  BalanceContribution out;
  if (narrow_balance(tick, amount, counts, out)) return out;
  return general_balance(tick, a, amount, counts);
}

// balance_contribution() in 64 bits where the tick allows (AssetTick::amount_bound): the four
// 128-bit divisions by powers of ten of the general path become reciprocal multiplications.
// False, leaving `out` to be overwritten, where it does not apply.
[[gnu::always_inline]] inline bool MarginBook::narrow_balance(const AssetTick& tick, std::int64_t amount, bool counts,
                                                              BalanceContribution& out) {
  const std::uint64_t magnitude =
      amount < 0 ? 0 - static_cast<std::uint64_t>(amount) : static_cast<std::uint64_t>(amount);
  if (magnitude >= tick.amount_bound) return false;
  const book_detail::Divisor& prices = tick.price_divisor;
  const book_detail::Divisor& weights = tick.weight_divisor;
  if (amount >= 0) {  // a deposit (0 counts 0): values and weighted values rounded down
    const std::uint64_t value = prices.quotient(magnitude * tick.oracle_multiplier);
    const std::uint64_t initial_value =
        tick.initial_multiplier == tick.oracle_multiplier ? value : prices.quotient(magnitude * tick.initial_multiplier);
    if (value >= tick.value_bound || initial_value >= tick.value_bound) return false;
    out.value = static_cast<std::int64_t>(value);
    out.initial_collateral =
        counts ? static_cast<std::int64_t>(weights.quotient(initial_value * tick.weight_multiplier[0])) : 0;
    out.maintenance_collateral =
        counts ? static_cast<std::int64_t>(weights.quotient(value * tick.weight_multiplier[1])) : 0;
  } else {  // a borrow: what is owed rounded up, and its weighted values too
    const std::uint64_t owed = prices.ceiling(magnitude * tick.oracle_multiplier);
    const std::uint64_t initial_owed = tick.liability_multiplier == tick.oracle_multiplier
                                           ? owed
                                           : prices.ceiling(magnitude * tick.liability_multiplier);
    if (owed >= tick.value_bound || initial_owed >= tick.value_bound) return false;
    out.value = -static_cast<std::int64_t>(owed);
    out.initial_collateral = -static_cast<std::int64_t>(weights.ceiling(initial_owed * tick.weight_multiplier[2]));
    out.maintenance_collateral = -static_cast<std::int64_t>(weights.ceiling(owed * tick.weight_multiplier[3]));
  }
  out.ok = true;
  return true;
}

// balance_contribution() in 128 bits, for what narrow_balance() does not cover.
MarginBook::BalanceContribution MarginBook::general_balance(const AssetTick& tick, std::uint32_t a,
                                                            std::int64_t amount, bool counts) const {
  BalanceContribution out;
  if (amount == 0) return out;  // evaluate() never sees a zero balance; it would count 0
  const CollateralParams& params = config_.assets[a].collateral;
  const Quantity units = units_of(amount, tick.decimals);
  const auto checked = [&out](std::optional<std::int64_t> raw) {
    if (!raw) out.ok = false;
    return raw ? *raw : 0;
  };
  out.value = checked(balance_value(amount, tick.decimals, tick.oracle, Round::down));
  if (amount > 0) {
    const Ratio initial_weight =
        counts ? asset_weight(params, MarginKind::initial, units, Money::from_raw(tick.total_deposits)) : Ratio{};
    const Ratio maintenance_weight =
        counts ? asset_weight(params, MarginKind::maintenance, units, Money::from_raw(tick.total_deposits))
               : Ratio{};
    const std::int64_t initial_value =
        tick.initial_price == tick.oracle ? out.value
                                          : checked(balance_value(amount, tick.decimals, tick.initial_price, Round::down));
    out.initial_collateral =
        money_raw_or_zero(weighted_asset_value(Money::from_raw(initial_value), initial_weight), out.ok);
    out.maintenance_collateral =
        money_raw_or_zero(weighted_asset_value(Money::from_raw(out.value), maintenance_weight), out.ok);
  } else {
    const std::int64_t owed = -amount;
    const Money borrows = Money::from_raw(tick.total_borrows);
    const Ratio initial_weight = liability_weight(params, MarginKind::initial, units, borrows);
    const Ratio maintenance_weight = liability_weight(params, MarginKind::maintenance, units, borrows);
    const std::int64_t maintenance_owed = checked(balance_value(owed, tick.decimals, tick.oracle, Round::up));
    const std::int64_t initial_owed =
        tick.liability_price == tick.oracle ? maintenance_owed
                                            : checked(balance_value(owed, tick.decimals, tick.liability_price, Round::up));
    out.initial_collateral =
        -money_raw_or_zero(weighted_liability_value(Money::from_raw(initial_owed), initial_weight), out.ok);
    out.maintenance_collateral =
        -money_raw_or_zero(weighted_liability_value(Money::from_raw(maintenance_owed), maintenance_weight), out.ok);
  }
  return out;
}

namespace {

// account.cpp's net_collateral() for one kind of a contribution; 0 when it overflows (the
// contribution is then not ok).
std::optional<std::int64_t> net_collateral_raw(const MarginBook::PositionContribution& c, MarginKind kind,
                                               const SettleWeights& settle) {
  const std::int64_t requirement =
      kind == MarginKind::initial ? c.initial_requirement : c.maintenance_requirement;
  const std::optional<Money> out =
      net_collateral(Money::from_raw(c.upnl), Money::from_raw(requirement), settle.liability(kind));
  return out ? std::optional<std::int64_t>(out->raw()) : std::nullopt;
}

using PositionContribution = MarginBook::PositionContribution;
using BalanceContribution = MarginBook::BalanceContribution;

// account.cpp's add_net(): the net collateral now, the positive nets to the group's net sums.
template <typename Sums>
void add_net(Sums& sums, MarginBook::NetSink sink, const PositionContribution& c, int sign) {
  NetTotals& nets = *sink.nets;
  sums.initial_collateral += sign * static_cast<int128>(net_collateral_raw(c, MarginKind::initial, *sink.settle).value_or(0));
  sums.maintenance_collateral +=
      sign * static_cast<int128>(net_collateral_raw(c, MarginKind::maintenance, *sink.settle).value_or(0));
  const auto positive = [&](std::int64_t requirement) {
    const int128 net = static_cast<int128>(c.upnl) - requirement;
    return net > 0 ? sign * net : 0;
  };
  nets.initial_positive += positive(c.initial_requirement);
  nets.maintenance_positive += positive(c.maintenance_requirement);
}

template <typename Sums>
void add(Sums& sums, MarginBook::NetSink sink, const PositionContribution& c, int sign) {
  sums.equity += sign * static_cast<int128>(c.upnl);
  if (c.net) {
    add_net(sums, sink, c, sign);
  } else {
    (c.upnl > 0 ? sums.positive_pnl : sums.negative_pnl) += sign * static_cast<int128>(c.upnl);
  }
  sums.initial_requirement += sign * static_cast<int128>(c.initial_requirement);
  sums.maintenance_requirement += sign * static_cast<int128>(c.maintenance_requirement);
  if (!c.ok) sums.bad += sign;
}

template <typename Sums>
void add(Sums& sums, const BalanceContribution& c, int sign) {
  sums.equity += sign * static_cast<int128>(c.value);
  sums.initial_collateral += sign * static_cast<int128>(c.initial_collateral);
  sums.maintenance_collateral += sign * static_cast<int128>(c.maintenance_collateral);
  if (!c.ok) sums.bad += sign;
}

BalanceContribution cached(const MarginBook::BalanceSlot& s) {
  return {s.value, s.initial_collateral, s.maintenance_collateral, s.ok != 0};
}

void store(MarginBook::BalanceSlot& s, const BalanceContribution& c) {
  s.value = c.value;
  s.initial_collateral = c.initial_collateral;
  s.maintenance_collateral = c.maintenance_collateral;
  s.ok = c.ok ? 1 : 0;
}

// Replaces a slot's contribution in its group's sums.
template <typename Sums, typename Slot, typename Contribution>
void replace(Sums& sums, Slot& slot, const Contribution& next) {
  add(sums, cached(slot), -1);
  add(sums, next, 1);
  store(slot, next);
}

}  // namespace

// position_contribution() where the market's requirement is linear in the notional over the
// piece the notional falls in (fixed rates, the OI ramp at its tick's IMF, a √size rule below
// its size limit, a tier) and every figure is comfortably in range: narrow_contribution() in 64
// bits where the market's figures allow, else wide_contribution() in 128. False where neither
// applies; the caller then takes position_contribution(), which gives the same figures wherever
// both apply (the differential test holds both to evaluate()).
[[gnu::always_inline]] inline bool MarginBook::linear_contribution(const MarketTick& tick, std::int64_t exposure,
                                                                   std::int64_t charged_basis,
                                                                   PositionContribution& out) const {
  return narrow_contribution(tick, exposure, charged_basis, piece_count_, out) ||
         wide_contribution(tick, exposure, charged_basis, out);
}

// The 64-bit kernel: four reciprocal divisions and no data-dependent branch (the piece by
// counting the bounds the notional reaches, the latency add-on computed at a zero rate too, the
// range checks or-ed). `pieces` is piece_count_, passed in so that a loop keeps it in a register.
[[gnu::always_inline]] inline bool MarginBook::narrow_contribution(const MarketTick& tick, std::int64_t exposure,
                                                                   std::int64_t charged_basis, std::uint32_t pieces,
                                                                   PositionContribution& out) {
  const std::uint64_t magnitude =
      exposure < 0 ? 0 - static_cast<std::uint64_t>(exposure) : static_cast<std::uint64_t>(exposure);
  // narrow_exposure ≤ linear_bound: every product below 2^62, every quotient below 2^61.
  if (magnitude >= tick.narrow_exposure) return false;
  std::uint64_t quotient = 0;
  bool inexact = false;
  tick.notional_divisor.divide(magnitude * tick.notional_multiplier, quotient, inexact);
  const auto notional = static_cast<std::int64_t>(quotient + (inexact ? 1 : 0));
  if (notional >= tick.narrow_notional) return false;
  const std::int64_t value = exposure >= 0 ? static_cast<std::int64_t>(quotient) : -notional;
  bool bad = __builtin_sub_overflow(value, charged_basis, &out.upnl);
  std::uint32_t tier = 0;
  for (std::uint32_t t = 1; t < pieces; ++t) tier += notional >= tick.pieces[t].lower ? 1U : 0U;
  const MarketTick::NarrowPiece& piece = tick.narrow[tier];
  const std::int64_t initial_exact = notional * piece.initial_multiplier - piece.initial_deduction;
  const std::int64_t maintenance_exact = notional * piece.maintenance_multiplier - piece.maintenance_deduction;
  // A negative exact figure (never, for a valid tier rule): the 128-bit kernel decides.
  bad |= (initial_exact | maintenance_exact) < 0;
  const book_detail::Divisor& divisor = tick.requirement_divisor;
  // notional < 2^62 and latency_rate < 10^12: inside div_1e12's range, the quotient below 2^62.
  const book_detail::Quotient latency_exact =
      book_detail::div_1e12(static_cast<uint128>(notional) * static_cast<std::uint64_t>(tick.latency_rate));
  const std::uint64_t latency = latency_exact.quotient + (latency_exact.inexact ? 1 : 0);
  out.initial_requirement =
      static_cast<std::int64_t>(divisor.ceiling(static_cast<std::uint64_t>(initial_exact)) + latency);
  out.maintenance_requirement =
      static_cast<std::int64_t>(divisor.ceiling(static_cast<std::uint64_t>(maintenance_exact)) + latency);
  out.ok = true;
  return !bad;
}

// The 128-bit kernel, out of line: rare on most venues, and inlined it would crowd the
// registers of the loops around the 64-bit one.
bool MarginBook::wide_contribution(const MarketTick& tick, std::int64_t exposure, std::int64_t charged_basis,
                                   PositionContribution& out) const {
  const std::uint64_t magnitude =
      exposure < 0 ? 0 - static_cast<std::uint64_t>(exposure) : static_cast<std::uint64_t>(exposure);
  if (magnitude >= tick.linear_bound) return false;
  constexpr std::uint64_t kLimit = std::uint64_t{1} << 62;  // every figure below: sums of two fit
  const book_detail::Quotient d = book_detail::div_1e12(static_cast<uint128>(magnitude) * static_cast<std::uint64_t>(tick.mark));
  bool bad = !d.fits || d.quotient >= kLimit;
  const auto notional = static_cast<std::int64_t>(d.quotient + (d.inexact ? 1 : 0));
  const std::int64_t value = exposure >= 0 ? static_cast<std::int64_t>(d.quotient) : -notional;
  bad |= __builtin_sub_overflow(value, charged_basis, &out.upnl);
  std::uint32_t tier = 0;
  for (std::uint32_t t = 1; t < piece_count_; ++t) tier += notional >= tick.pieces[t].lower ? 1U : 0U;
  const Piece& piece = tick.pieces[tier];
  const int128 initial_exact = static_cast<int128>(notional) * piece.initial_rate - piece.initial_deduction;
  const int128 maintenance_exact = static_cast<int128>(notional) * piece.maintenance_rate - piece.maintenance_deduction;
  // A negative exact figure (never, for a valid tier rule) wraps past div_1e12's range: bad.
  const book_detail::Quotient initial = book_detail::div_1e12(static_cast<uint128>(initial_exact));
  const book_detail::Quotient maintenance = book_detail::div_1e12(static_cast<uint128>(maintenance_exact));
  const book_detail::Quotient latency =
      book_detail::div_1e12(static_cast<uint128>(static_cast<std::uint64_t>(notional)) *
                            static_cast<std::uint64_t>(tick.latency_rate));
  bad |= !initial.fits || initial.quotient >= kLimit || !maintenance.fits || maintenance.quotient >= kLimit ||
         !latency.fits || latency.quotient >= kLimit;
  const std::uint64_t latency_up = latency.quotient + (latency.inexact ? 1 : 0);
  out.initial_requirement = static_cast<std::int64_t>(initial.quotient + (initial.inexact ? 1 : 0) + latency_up);
  out.maintenance_requirement =
      static_cast<std::int64_t>(maintenance.quotient + (maintenance.inexact ? 1 : 0) + latency_up);
  out.ok = true;
  return !bad;
}

// A slot's contribution at `tick` (its market's): options count through evaluate() (a flat
// option slot counts 0).
[[gnu::always_inline]] inline MarginBook::PositionContribution MarginBook::slot_contribution(
    const MarketTick& tick, const PositionSlot& s) const {
  if ((s.flags & kOptionSlot) != 0) return {};
  PositionContribution c;
  if ((s.flags & (kOverflowFlags | kNetSlot)) == 0 && linear_contribution(tick, s.exposure, s.charged_basis, c)) {
    return c;
  }
  return general_contribution(tick, s);
}

// slot_contribution() off its fast path: an overflowed input, a settle_weighted_net slot, or a
// position the linear kernel does not cover. Kept out of line so the tick's loop stays small.
MarginBook::PositionContribution MarginBook::general_contribution(const MarketTick& tick, const PositionSlot& s) const {
  PositionContribution c;
  if ((s.flags & kOverflowFlags) != 0 || !linear_contribution(tick, s.exposure, s.charged_basis, c)) {
    c = position_contribution(tick, s.market, s.exposure, s.charged_basis);
    c.ok = c.ok && (s.flags & kOverflowFlags) == 0;
  }
  if ((s.flags & kNetSlot) != 0) set_net(c);
  return c;
}

void MarginBook::set_net(PositionContribution& c) const {
  c.net = true;
  c.ok = c.ok && net_collateral_raw(c, MarginKind::initial, settle_) &&
         net_collateral_raw(c, MarginKind::maintenance, settle_);
}

MarginBook::PositionContribution MarginBook::slot_contribution(std::uint32_t slot) const {
  const PositionSlot& s = positions_[slot];
  return slot_contribution(markets_[s.market], s);
}

template <typename Sums>
[[gnu::always_inline]] inline void MarginBook::compute_balance(std::uint32_t slot, Sums& sums) {
  BalanceSlot& s = balances_[slot];
  const BalanceContribution c = balance_contribution(assets_[s.asset], s.asset, s.amount, s.counts != 0);
  store(s, c);
  add(sums, c, 1);
}

namespace {

template <typename Sums>
void reset(Sums& sums) {
  sums.equity = sums.initial_collateral = sums.maintenance_collateral = 0;
  sums.initial_requirement = sums.maintenance_requirement = 0;
  sums.positive_pnl = sums.negative_pnl = 0;
  sums.bad = 0;
  sums.status = MarginStatus::ok;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Judging

namespace {

// |x| < 2^60: sums within this bound narrow to Money and add up (at most three) without overflow.
bool small(int128 x) { return static_cast<detail::uint128>(x + (int128{1} << 60)) < (detail::uint128{1} << 61); }

// small() of every x: no bit from 61 up in any x + 2^60.
template <typename... Int128>
bool all_small(Int128... x) {
  return ((static_cast<detail::uint128>(x + (int128{1} << 60)) | ...) >> 61) == 0;
}

}  // namespace

bool MarginBook::plain(const GroupSums& s) const {
  return s.options == 0 && s.bad == 0 && !has_net_ && small(s.equity) && small(s.maintenance_collateral) &&
         small(s.initial_collateral) && small(s.initial_requirement) && small(s.maintenance_requirement) &&
         small(s.positive_pnl) && small(s.negative_pnl);
}

std::optional<MarginBook::MaintenanceFigures> MarginBook::judge_sums(const GroupSums& s, const NetTotals& nets) const {
  MaintenanceFigures f;
  if (plain(s)) {
    // A bound first: the PnL credit is never negative, so balances plus negative PnL at or
    // above the requirement (and positive equity) clear the group without the credit.
    if (cleared_by_bound(s.equity, s.maintenance_collateral, s.negative_pnl, s.maintenance_requirement)) {
      return std::nullopt;
    }
    f = plain_maintenance(s);
  } else {
    f = maintenance_figures(s, nets);
  }
  const bool bankrupt = f.equity.raw() < 0 || (f.maintenance_requirement.raw() > 0 && f.equity.raw() == 0);
  if (f.status != MarginStatus::ok || f.maintenance_health.raw() < 0 || bankrupt) return f;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Full recompute

namespace {

// |x| of a two's-complement 64-bit value (no overflow at the least one).
std::uint64_t magnitude(std::uint64_t x) { return static_cast<std::int64_t>(x) < 0 ? 0 - x : x; }

// A group's sums as a recompute accumulates them (in registers), stored once per group.
struct Accumulator : GroupTotals {
  std::int32_t bad = 0;
  NetTotals nets;
};

// About this many slots (positions and balances) per chunk of a recompute: a few hundred
// microseconds of work, so that a thread the scheduler delays leaves its share to the others.
constexpr std::uint64_t kChunkSlots = std::uint64_t{1} << 16;
// At least this many chunks per thread, so that small books spread over the threads too.
constexpr std::uint64_t kChunksPerThread = 8;

// A recompute writes every group's two lines once and does not read them again: it writes
// them past the cache, since a plain store would first read each line in (on the 1M fixture,
// 115 MB more traffic). Each sum goes from the two registers that hold it: a 16-byte load of
// what two 8-byte stores just wrote would wait for them (store forwarding fails).
void stream(int128& destination, int128 value) {
#if defined(__SSE2__)
  _mm_stream_si128(reinterpret_cast<__m128i*>(&destination),
                   _mm_set_epi64x(static_cast<std::int64_t>(value >> 64), static_cast<std::int64_t>(value)));
#else
  destination = value;
#endif
}

// The 16 bytes of a group's record after its sums (GroupTotals), past the cache too.
template <typename Record>
void stream_tail(Record& destination, const Record& value) {
  static_assert(sizeof(Record) == sizeof(GroupTotals) + 16 && alignof(Record) % 16 == 0, "two whole lines");
  char* const to = reinterpret_cast<char*>(&destination) + sizeof(GroupTotals);
  const char* const from = reinterpret_cast<const char*>(&value) + sizeof(GroupTotals);
#if defined(__SSE2__)
  _mm_stream_si128(reinterpret_cast<__m128i*>(to), _mm_load_si128(reinterpret_cast<const __m128i*>(from)));
#else
  std::memcpy(to, from, 16);
#endif
}

// A group's screen note past the cache too (four notes fill a line).
template <typename Note>
void stream_note(Note& destination, const Note& value) {
#if defined(__SSE2__)
  static_assert(sizeof(Note) == 16 && alignof(Note) == 16, "one aligned 16-byte store");
  __m128i bits;
  std::memcpy(&bits, &value, sizeof bits);
  _mm_stream_si128(reinterpret_cast<__m128i*>(&destination), bits);
#else
  destination = value;
#endif
}

// The recompute streams the slot arrays forward, but the hardware prefetchers of the machines
// this runs on (virtual ones among them) do not run far enough ahead: a single thread waited on
// the position slots a third of its time. This many bytes ahead it asks for them itself.
constexpr std::uintptr_t kPrefetchBytes = 2048;

// Read prefetches of the lines kPrefetchBytes past [first, last), one per line (a prefetch
// never faults, wherever it points).
template <typename T>
void prefetch_ahead(const T* first, const T* last) {
  constexpr std::uintptr_t kLine = 64;
  const std::uintptr_t end = reinterpret_cast<std::uintptr_t>(last) + kPrefetchBytes;
  for (std::uintptr_t line = (reinterpret_cast<std::uintptr_t>(first) + kPrefetchBytes) & ~(kLine - 1); line < end;
       line += kLine) {
    __builtin_prefetch(reinterpret_cast<const void*>(line));
  }
}

// Group sums up to this size are stored plainly: they stay in cache from one recompute to the
// next (a simulator's 10,000 groups take 1.3 MB), where streaming them would send every line
// to memory and the next recompute's reads and the scan's would fetch them back.
constexpr std::size_t kCachedSumsBytes = std::size_t{4} << 20;

// A sum stored as its two 64-bit halves: the recompute adds them with add and adc, often on
// the stack, and a 16-byte load of what two 8-byte stores just wrote would wait for them (store
// forwarding fails), as stream() says.
void store_halves(int128& destination, int128 value) {
  const auto low = static_cast<std::uint64_t>(value);
  const auto high = static_cast<std::uint64_t>(static_cast<detail::uint128>(value) >> 64);
  std::memcpy(reinterpret_cast<char*>(&destination), &low, sizeof low);
  std::memcpy(reinterpret_cast<char*>(&destination) + sizeof low, &high, sizeof high);
}

// Orders a thread's streamed stores before what it does next (its part of the join).
void stream_fence() {
#if defined(__SSE2__)
  _mm_sfence();
#endif
}

}  // namespace

template <std::uint32_t kPieces>
void MarginBook::recompute_groups(GroupIndex first, GroupIndex last, std::vector<AtRisk>* at_risk,
                                  const ScreenPass* pass, std::size_t& skipped) {
  const PositionSlot* const positions = positions_.data();
  BalanceSlot* const balances = balances_.data();
  const MarketTick* const markets = markets_.data();
  const AssetTick* const assets = assets_.data();
  const std::uint32_t pieces = kPieces != 0 ? kPieces : piece_count_;
  const bool streamed = groups_.size() * sizeof(GroupSums) > kCachedSumsBytes;
  for (GroupIndex g = first; g < last; ++g) {
    // An exact recompute never reads the notes, only writes them (past the cache when the
    // book is large); a screened one reads each, and a plain store then finds it in cache.
    Screen& screen = screens_[g];
    const auto note_down = [&screen, pass, streamed](const Screen& note) {
      pass == nullptr && streamed ? stream_note(screen, note) : static_cast<void>(screen = note);
    };
    if (holds_options(g)) {
      evaluate_group(g);
      note_down(Screen{-1.0F, generation_, 0, 0});
      if (at_risk != nullptr) judge(g, *at_risk);
      continue;
    }
    if (pass != nullptr && !holds_tail(g) && pass->skips(screen)) {
      ++skipped;
      continue;
    }
    const std::uint32_t begin = group_position_begin_[g];
    const std::uint32_t end = group_position_begin_[g + 1];
    prefetch_ahead(positions + begin, positions + end);
    prefetch_ahead(balances + group_balance_begin_[g], balances + group_balance_begin_[g + 1]);
    // The linear kernels (the 64-bit one, else the 128-bit one: a tick whose rates have many
    // digits, such as an OI ramp's or a latency add-on's, leaves most slots to it) into 64-bit
    // sums; any slot neither covers, or a sum leaving 64 bits, and the group is summed again
    // through slot_contribution() in 128 bits. Both kernels give slot_contribution()'s figures.
    std::int64_t positive = 0;
    std::int64_t negative = 0;
    std::int64_t initial = 0;
    std::int64_t maintenance = 0;
    bool slow = false;
    // The screen's sensitivity (make_screen).
    uint128 gross = 0;
    std::uint64_t tier_notional = 0;
    std::uint32_t mask = 0;
    for (std::uint32_t p = begin; p < end; ++p) {
      const PositionSlot& s = positions[p];
      const MarketTick& tick = markets[s.market];
      PositionContribution c;
      slow |= (s.flags != 0) || !(narrow_contribution(tick, s.exposure, s.charged_basis, pieces, c) ||
                                  wide_contribution(tick, s.exposure, s.charged_basis, c));
      // The value (upnl + basis), which the kernels bound below 2^62 when they succeed.
      const std::uint64_t notional = magnitude(static_cast<std::uint64_t>(c.upnl) + static_cast<std::uint64_t>(s.charged_basis));
      gross += notional + magnitude(static_cast<std::uint64_t>(c.maintenance_requirement));
      tier_notional += notional & tick.tier_mask;
      mask |= std::uint32_t{1} << (s.market % 32);
      slow |= __builtin_add_overflow(positive, c.upnl > 0 ? c.upnl : 0, &positive);
      slow |= __builtin_add_overflow(negative, c.upnl > 0 ? 0 : c.upnl, &negative);
      slow |= __builtin_add_overflow(initial, c.initial_requirement, &initial);
      slow |= __builtin_add_overflow(maintenance, c.maintenance_requirement, &maintenance);
    }
    // Scalars rather than a record, so that the sums stay in registers.
    int128 equity = static_cast<int128>(positive) + negative;
    int128 positive_pnl = positive;
    int128 negative_pnl = negative;
    int128 initial_requirement = initial;
    int128 maintenance_requirement = maintenance;
    int128 initial_collateral = 0;
    int128 maintenance_collateral = 0;
    std::int32_t bad = 0;
    NetTotals nets;
    if (slow) {
      Accumulator acc;
      for (std::uint32_t p = begin; p < end; ++p) {
        add(acc, sink(acc.nets), slot_contribution(markets[positions[p].market], positions[p]), 1);
      }
      equity = acc.equity;
      positive_pnl = acc.positive_pnl;
      negative_pnl = acc.negative_pnl;
      initial_requirement = acc.initial_requirement;
      maintenance_requirement = acc.maintenance_requirement;
      initial_collateral = acc.initial_collateral;
      maintenance_collateral = acc.maintenance_collateral;
      bad = acc.bad;
      nets = acc.nets;
    }
    for (std::uint32_t b = group_balance_begin_[g]; b < group_balance_begin_[g + 1]; ++b) {
      BalanceSlot& slot = balances[b];
      const BalanceContribution c = balance_contribution(assets[slot.asset], slot.asset, slot.amount, slot.counts != 0);
      // Most balances are in the quote, whose contribution a crash does not move: a line left
      // clean is a line not written back.
      if (c != cached(slot)) store(slot, c);
      equity += c.value;
      initial_collateral += c.initial_collateral;
      maintenance_collateral += c.maintenance_collateral;
      bad += c.ok ? 0 : 1;
      // The quote's price is fixed: its balances never move the figures.
      if (slot.asset != quote_) {
        gross += uint128{magnitude(static_cast<std::uint64_t>(c.value))} +
                 magnitude(static_cast<std::uint64_t>(c.maintenance_collateral));
      }
    }
    // The whole record: no tick can report the group again in this epoch (each starts a new one).
    // The sums go from the scalars, never through a GroupSums on the stack (copying its 16-byte
    // fields loads what 8-byte adds just wrote: store forwarding fails, on every group).
    GroupSums& record = groups_[g];
    const auto put = [streamed](int128& destination, int128 value) {
      streamed ? stream(destination, value) : store_halves(destination, value);
    };
    put(record.equity, equity);
    put(record.initial_collateral, initial_collateral);
    put(record.maintenance_collateral, maintenance_collateral);
    put(record.initial_requirement, initial_requirement);
    put(record.maintenance_requirement, maintenance_requirement);
    put(record.positive_pnl, positive_pnl);
    put(record.negative_pnl, negative_pnl);
    if (streamed) {
      GroupSums tail;
      tail.bad = bad;
      tail.stamp = epoch_;
      stream_tail(record, tail);
    } else {  // field by field: a GroupSums on the stack is 128 bytes to clear first
      record.bad = bad;
      record.stamp = epoch_;
      record.options = 0;
      record.status = MarginStatus::ok;
    }
    if (has_net_) nets_[g] = nets;
    const bool screenable = !slow && bad == 0 && !has_net_ && !holds_tail(g) &&
                            all_small(equity, maintenance_collateral, maintenance_requirement, negative_pnl);
    const Screen note =
        screenable ? make_screen(equity, maintenance_collateral, negative_pnl, maintenance_requirement, gross, tier_notional,
                                 end - begin + group_balance_begin_[g + 1] - group_balance_begin_[g], mask)
                   : Screen{-1.0F, generation_, 0, 0};
    note_down(note);
    // Judged from the sums still at hand, not read back (liquidation_scan.hpp). Most groups are
    // plain and cleared by judge_sums()'s bound; that much is decided on the scalars, without
    // a branch per sum.
    if (at_risk != nullptr) {
      const bool plain = bad == 0 && !has_net_ &&
                         all_small(equity, initial_collateral, maintenance_collateral, initial_requirement,
                                   maintenance_requirement, positive_pnl, negative_pnl);
      const bool cleared = cleared_by_bound(equity, maintenance_collateral, negative_pnl, maintenance_requirement);
      if (!(plain && cleared)) {
        GroupSums sums;
        sums.bad = bad;
        sums.stamp = epoch_;
        sums.equity = equity;
        sums.initial_collateral = initial_collateral;
        sums.maintenance_collateral = maintenance_collateral;
        sums.initial_requirement = initial_requirement;
        sums.maintenance_requirement = maintenance_requirement;
        sums.positive_pnl = positive_pnl;
        sums.negative_pnl = negative_pnl;
        if (const std::optional<MaintenanceFigures> figures = judge_sums(sums, nets)) at_risk->push_back({g, *figures});
      }
    }
  }
}

void MarginBook::full_recompute(unsigned threads) { recompute(threads, nullptr); }

// ---------------------------------------------------------------------------------------------
// Screening

namespace {

// Each figure a slot adds is rounded once at each end of a move (its value, its requirement and
// latency add-on, a weighted balance), the PnL credit once per group: this much per slot and
// group covers them all, in Money units.
constexpr std::int64_t kRoundingAllowance = 8;
// Relative slack on the doubles of the bound (each sum of n terms errs by under n · 2^-53).
constexpr double kBoundSlack = 0x1p-30;

// |now / then − 1|, rounded up; any move from zero is infinite.
double relative_move(std::int64_t then, std::int64_t now) {
  if (then == now) return 0.0;
  if (then == 0) return std::numeric_limits<double>::infinity();
  return std::abs(static_cast<double>(now) / static_cast<double>(then) - 1.0) * (1.0 + kBoundSlack);
}

}  // namespace

bool MarginBook::ScreenPass::skips(const Screen& screen) const {
  const std::uint32_t slot = screen.generation % kScreenGenerations;
  return screen.generation != 0 && generation[slot] == screen.generation &&
         (funding_moved[slot] & screen.market_mask) == 0 && static_cast<double>(screen.safe_fraction) > move[slot];
}

MarginBook::ScreenPass MarginBook::screen_pass() const {
  ScreenPass pass;
  for (std::uint32_t back = 0; back < kScreenGenerations && back < generation_; ++back) {
    const std::uint32_t generation = generation_ - back;
    const std::uint32_t slot = generation % kScreenGenerations;
    const PriceBook& then = screen_prices_[slot];
    double move = 0.0;
    std::uint32_t funding = 0;
    for (std::size_t m = 0; m < prices_.markets.size(); ++m) {
      move = std::max(move, relative_move(then.markets[m].mark.raw(), prices_.markets[m].mark.raw()));
      if (then.markets[m].funding_index != prices_.markets[m].funding_index) funding |= std::uint32_t{1} << (m % 32);
    }
    for (std::size_t a = 0; a < prices_.assets.size(); ++a) {
      move = std::max({move, relative_move(then.assets[a].oracle.raw(), prices_.assets[a].oracle.raw()),
                       relative_move(then.assets[a].stable.raw(), prices_.assets[a].stable.raw())});
    }
    pass.generation[slot] = generation;
    pass.move[slot] = move;
    pass.funding_moved[slot] = funding;
  }
  return pass;
}

void MarginBook::note_generation() {
  if (++generation_ == 0) {  // after 2^32 recomputes: no note may alias a new generation
    for (Screen& screen : screens_) screen.generation = 0;
    generation_ = 1;
  }
  screen_prices_[generation_ % kScreenGenerations] = prices_;
}

// Moves of at most `move` (relative) in every price change the maintenance health and the equity
// by at most move · gross plus the rounding allowance: a position's value by move · notional,
// its requirement by move · max(requirement, slope · notional) (linear in the notional, or a
// tier's piecewise-linear curve, at rates that depend on its size alone; the OI ramp moves the
// initial rate only), the PnL credit no more than the PnL (a weight ≤ 1 and a cap), a balance's
// value and weighted value in proportion (maintenance weights depend on the amount alone). The
// health bound is the judge's own (the credit left out), so a group whose bound stays positive
// after such a move cannot be listed.
MarginBook::Screen MarginBook::make_screen(int128 equity, int128 maintenance_collateral, int128 negative_pnl,
                                           int128 maintenance_requirement, uint128 gross, std::uint64_t tier_notional,
                                           std::uint32_t slots, std::uint32_t mask) const {
  const int128 health_floor = maintenance_collateral + negative_pnl - maintenance_requirement;
  const int128 margin = std::min(health_floor, equity) - kRoundingAllowance * (int128{slots} + 1);
  if (margin <= 0) return Screen{-1.0F, generation_, mask, 0};
  // max(requirement, slope · notional) ≤ requirement + slope · notional, with the book's
  // steepest tier slope for every tier slot.
  const double sensitivity =
      (static_cast<double>(gross) + tier_slope_ * static_cast<double>(tier_notional)) * (1.0 + kBoundSlack) + 1.0;
  // Rounded down well past float's precision (2^-24), so the float never exceeds the bound.
  const double safe = static_cast<double>(margin) / sensitivity * (1.0 - 0x1p-20);
  return Screen{static_cast<float>(std::min(safe, 1e30)), generation_, mask, 0};
}

void MarginBook::make_current(GroupIndex group) {
  if (stale(group)) --stale_count_;
  screens_[group].generation = 0;  // its holdings moved: no note until the next recompute
}

Outcome MarginBook::reprice(const PriceBook& prices, unsigned threads, std::vector<AtRisk>& at_risk,
                            Screening screening) {
  const auto invalid = [](std::string message) { return make_error(ErrorCode::invalid_input, std::move(message)); };
  // Every price found and checked before any is stored: a rejection changes nothing.
  std::vector<const MarketPrice*> markets(config_.markets.size());
  for (std::size_t m = 0; m < markets.size(); ++m) {
    const std::string& symbol = config_.markets[m].instrument.symbol;
    markets[m] = prices.find_market(config_.markets[m].instrument.id);
    if (markets[m] == nullptr) return invalid("no price for market " + symbol);
    if (markets[m]->mark.is_negative()) return invalid("negative mark for market " + symbol);
    if (markets[m]->funding_index != prices_.markets[m].funding_index) {
      return invalid("the funding index of market " + symbol + " moved: on_market_funding() books that");
    }
  }
  std::vector<const AssetPrice*> assets(config_.assets.size());
  for (std::size_t a = 0; a < assets.size(); ++a) {
    if (assets_[a].price_entry < 0) continue;  // the quote
    assets[a] = prices.find_asset(config_.assets[a].id);
    if (assets[a] == nullptr) return invalid("no price for asset " + config_.assets[a].symbol);
  }
  for (std::size_t m = 0; m < markets.size(); ++m) prices_.markets[m] = *markets[m];
  for (std::size_t a = 0; a < assets.size(); ++a) {
    if (assets[a] != nullptr) prices_.assets[static_cast<std::size_t>(assets_[a].price_entry)] = *assets[a];
  }
  if (screening == Screening::screened) {
    const ScreenPass pass = screen_pass();
    recompute(threads, &at_risk, &pass);
  } else {
    recompute(threads, &at_risk);
  }
  return Ok{};
}

void MarginBook::full_recompute(unsigned threads, std::vector<AtRisk>& at_risk) { recompute(threads, &at_risk); }

std::vector<MarginBook::GroupIndex> MarginBook::chunk_bounds(unsigned threads) const {
  const auto group_count = static_cast<GroupIndex>(groups_.size());
  const std::uint64_t total = std::uint64_t{laid_out_positions_} + laid_out_balances_;
  const std::uint64_t chunks =
      std::max<std::uint64_t>(1, std::min<std::uint64_t>(std::max(total / kChunkSlots, threads * kChunksPerThread), group_count));
  // Contiguous group ranges of about equal slot counts (a group is never split, so no two
  // threads write one group's sums).
  std::vector<GroupIndex> bounds{0};
  for (std::uint64_t c = 1; c < chunks; ++c) {
    const std::uint64_t target = total * c / chunks;
    GroupIndex lo = bounds.back();
    GroupIndex hi = group_count;
    while (lo < hi) {  // first group whose slots start at or past the target
      const GroupIndex mid = lo + (hi - lo) / 2;
      if (std::uint64_t{group_position_begin_[mid]} + group_balance_begin_[mid] < target) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (lo > bounds.back()) bounds.push_back(lo);
  }
  if (group_count > bounds.back()) bounds.push_back(group_count);
  return bounds;
}

void MarginBook::recompute(unsigned threads, std::vector<AtRisk>* at_risk, const ScreenPass* pass) {
  tier_slope_ = 0.0;
  for (std::uint32_t m = 0; m < markets_.size(); ++m) {
    set_market_tick(m);
    const MarketTick& tick = markets_[m];
    if (tick.kind != RuleKind::tier) continue;
    for (std::uint32_t t = 0; t < piece_count_; ++t) {
      if (tick.pieces[t].lower == INT64_MAX) continue;
      tier_slope_ = std::max(tier_slope_, static_cast<double>(tick.pieces[t].maintenance_rate + tick.latency_rate) / 1e12);
    }
  }
  for (std::uint32_t a = 0; a < assets_.size(); ++a) set_asset_tick(a);
  note_generation();
  threads = std::max(threads, 1U);
  const std::vector<GroupIndex> bounds = chunk_bounds(threads);
  const std::size_t chunks = bounds.size() - 1;
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(chunks, 1)));
  // Threads take the chunks in turn. Each lists its groups in a vector of its own (vectors side
  // by side would share cache lines between the threads on every append), and each chunk's run
  // of its list is noted: ascending within the chunk, so the runs joined in chunk order are
  // too, whichever thread did which.
  std::vector<std::vector<AtRisk>> lists(threads);
  std::vector<ChunkRun> runs(chunks);
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> skipped{0};
  const auto work = [&](unsigned t) {
    std::vector<AtRisk> list;
    std::size_t skips = 0;
    for (std::size_t c = next.fetch_add(1, std::memory_order_relaxed); c < chunks;
         c = next.fetch_add(1, std::memory_order_relaxed)) {
      const std::size_t begin = list.size();
      std::vector<AtRisk>* const out = at_risk != nullptr ? &list : nullptr;
      switch (piece_count_) {  // the usual counts: fixed rates alone, or tiers of two or three
        case 1: recompute_groups<1>(bounds[c], bounds[c + 1], out, pass, skips); break;
        case 2: recompute_groups<2>(bounds[c], bounds[c + 1], out, pass, skips); break;
        case 3: recompute_groups<3>(bounds[c], bounds[c + 1], out, pass, skips); break;
        default: recompute_groups<0>(bounds[c], bounds[c + 1], out, pass, skips); break;
      }
      runs[c] = {t, begin, list.size()};
    }
    stream_fence();
    skipped.fetch_add(skips, std::memory_order_relaxed);
    lists[t] = std::move(list);
  };
  std::vector<std::thread> workers;
  workers.reserve(threads - 1);
  for (unsigned t = 1; t < threads; ++t) workers.emplace_back(work, t);
  work(0);
  for (std::thread& worker : workers) worker.join();
  stale_count_ = skipped.load(std::memory_order_relaxed);  // every other group was recomputed
  // Slots opened after the layout: exact sums, so adding them last changes nothing.
  for (auto p = laid_out_positions_; p < positions_.size(); ++p) {
    const GroupIndex g = positions_[p].group;
    if (groups_[g].options == 0) add(groups_[g], sink(g), slot_contribution(p), 1);
  }
  for (auto b = laid_out_balances_; b < balances_.size(); ++b) {
    GroupSums& sums = groups_[balances_[b].group];
    if (sums.options == 0) compute_balance(b, sums);
  }
  if (at_risk != nullptr) collect_at_risk(lists, runs, *at_risk);
}

void MarginBook::collect_at_risk(std::span<const std::vector<AtRisk>> lists, std::span<const ChunkRun> runs,
                                 std::vector<AtRisk>& at_risk) const {
  at_risk.clear();
  for (const ChunkRun& run : runs) {
    const std::vector<AtRisk>& list = lists[run.thread];
    at_risk.insert(at_risk.end(), list.begin() + static_cast<std::ptrdiff_t>(run.begin),
                   list.begin() + static_cast<std::ptrdiff_t>(run.end));
  }
  // The tail's groups moved after their thread judged them: judged again.
  std::vector<GroupIndex> tail;
  for (auto p = laid_out_positions_; p < positions_.size(); ++p) tail.push_back(positions_[p].group);
  for (auto b = laid_out_balances_; b < balances_.size(); ++b) tail.push_back(balances_[b].group);
  if (tail.empty()) return;
  std::sort(tail.begin(), tail.end());
  tail.erase(std::unique(tail.begin(), tail.end()), tail.end());
  std::erase_if(at_risk, [&tail](const AtRisk& a) { return std::binary_search(tail.begin(), tail.end(), a.group); });
  const auto judged = static_cast<std::ptrdiff_t>(at_risk.size());
  for (const GroupIndex g : tail) judge(g, at_risk);
  std::inplace_merge(at_risk.begin(), at_risk.begin() + judged, at_risk.end(),
                     [](const AtRisk& a, const AtRisk& b) { return a.group < b.group; });
}

void MarginBook::judge(GroupIndex group, std::vector<AtRisk>& at_risk) const {
  if (const std::optional<MaintenanceFigures> figures = this->at_risk(group)) at_risk.push_back({group, *figures});
}

void MarginBook::mark_options(GroupIndex group) {
  std::uint64_t& word = option_groups_[group / 64];
  const std::uint64_t bit = std::uint64_t{1} << (group % 64);
  word = groups_[group].options > 0 ? word | bit : word & ~bit;
}

// figures_from()'s maintenance side: credited_pnl() on the positive sum (its division by 10^12
// through div_1e12: the product is below 2^100), the negative sum in full.
MarginBook::MaintenanceFigures MarginBook::plain_maintenance(const GroupSums& s) const {
  std::int64_t credit = 0;
  if (s.positive_pnl > 0) {
    const book_detail::Quotient q = book_detail::div_1e12(static_cast<uint128>(s.positive_pnl) *
                                                          static_cast<std::uint64_t>(config_.pnl.maintenance_weight.raw()));
    assert(q.fits);
    credit = std::min(static_cast<std::int64_t>(q.quotient), config_.pnl.maintenance_cap.raw());
  }
  const int128 collateral = s.maintenance_collateral + credit + s.negative_pnl;
  return {MarginStatus::ok, Money::from_raw(static_cast<std::int64_t>(s.equity)),
          Money::from_raw(static_cast<std::int64_t>(s.maintenance_requirement)),
          Money::from_raw(static_cast<std::int64_t>(collateral - s.maintenance_requirement))};
}

MarginBook::MaintenanceFigures MarginBook::maintenance_figures(GroupIndex group) const {
  BALLAST_DASSERT(!stale(group));
  return maintenance_figures(groups_[group], nets_of(group));
}

MarginBook::MaintenanceFigures MarginBook::maintenance_figures(const GroupSums& s, const NetTotals& nets) const {
  if (plain(s)) return plain_maintenance(s);
  const BookFigures f = figures(s, nets);
  if (f.status != MarginStatus::ok) return {f.status, {}, {}, {}};
  // Collateral and requirement each in Money's range, their difference need not be: an
  // overflow like any other figure's (MarginFigures::maintenance_health() would wrap).
  std::int64_t health = 0;
  if (__builtin_sub_overflow(f.maintenance_collateral.raw(), f.maintenance_requirement.raw(), &health)) {
    return {MarginStatus::overflow, {}, {}, {}};
  }
  return {MarginStatus::ok, f.equity, f.maintenance_requirement, Money::from_raw(health)};
}

std::optional<MarginBook::MaintenanceFigures> MarginBook::at_risk(GroupIndex group) const {
  // A stale group was cleared by the screen at the book's prices, which nothing has moved since
  // (a tick needs every group current).
  if (stale(group)) return std::nullopt;
  return judge_sums(groups_[group], nets_of(group));
}


void MarginBook::refresh_group(GroupIndex g) {
  GroupSums& sums = groups_[g];
  reset(sums);
  nets_of(g) = {};
  if (sums.options > 0) {
    evaluate_group(g);
    return;
  }
  for (std::uint32_t i = group_sub_begin_[g]; i < group_sub_begin_[g + 1]; ++i) {
    const SubAccountInfo& sub = subs_[group_subs_[i]];
    for (const std::uint32_t p : sub.positions) add(sums, sink(g), slot_contribution(p), 1);
    for (const std::uint32_t b : sub.balances) compute_balance(b, sums);
  }
}

// Groups with options: evaluate() over the group rebuilt from the columns; its final figures
// are kept in the sums (the PnL sums zero, so reading them applies nothing twice).
void MarginBook::evaluate_group(GroupIndex g) {
  const std::vector<SubAccountBook> books = group_books(g);
  const MarginOutcome outcome = evaluate(config_, prices_, books);
  GroupSums& sums = groups_[g];
  reset(sums);
  sums.status = outcome.status;
  sums.equity = outcome.margin.equity.raw();
  sums.initial_collateral = outcome.margin.initial_collateral.raw();
  sums.maintenance_collateral = outcome.margin.maintenance_collateral.raw();
  sums.initial_requirement = outcome.margin.initial_requirement.raw();
  sums.maintenance_requirement = outcome.margin.maintenance_requirement.raw();
}

std::vector<SubAccountBook> MarginBook::group_books(GroupIndex g) const {
  std::vector<SubAccountBook> out;
  for (std::uint32_t i = group_sub_begin_[g]; i < group_sub_begin_[g + 1]; ++i) {
    const SubAccountInfo& sub = subs_[group_subs_[i]];
    SubAccountBook book{sub.id, sub.owner, sub.mode, {}, {}};
    for (const std::uint32_t b : sub.balances) {
      if (balances_[b].amount != 0) {
        book.balances.push_back(Balance{config_.assets[balances_[b].asset].id, Amount::from_raw(balances_[b].amount)});
      }
    }
    for (const std::uint32_t p : sub.positions) {
      if (!position_state_[p].size.is_zero()) {
        book.positions.push_back(HeldPosition{config_.markets[positions_[p].market].instrument.id, position_state_[p]});
      }
    }
    out.push_back(std::move(book));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading

BookFigures MarginBook::figures(const GroupSums& sums, const NetTotals& nets) const {
  BookFigures out;
  if (sums.options > 0) {  // evaluate()'s own figures
    out.status = sums.status;
    out.equity = Money::from_raw(static_cast<std::int64_t>(sums.equity));
    out.initial_collateral = Money::from_raw(static_cast<std::int64_t>(sums.initial_collateral));
    out.maintenance_collateral = Money::from_raw(static_cast<std::int64_t>(sums.maintenance_collateral));
    out.initial_requirement = Money::from_raw(static_cast<std::int64_t>(sums.initial_requirement));
    out.maintenance_requirement = Money::from_raw(static_cast<std::int64_t>(sums.maintenance_requirement));
    return out;
  }
  if (sums.bad != 0) {
    out.status = MarginStatus::overflow;
    return out;
  }
  const std::optional<MarginFigures> figures =
      figures_from(sums, nets, config_.pnl, settle_);
  if (!figures) {
    out.status = MarginStatus::overflow;
    return out;
  }
  static_cast<MarginFigures&>(out) = *figures;
  return out;
}

BookFigures MarginBook::group_margin(GroupIndex group) const {
  BALLAST_DASSERT(!stale(group));
  return figures(groups_[group], nets_of(group));
}

// ---------------------------------------------------------------------------------------------
// Ticks

constexpr std::size_t kSlotsAhead = 16;
constexpr std::size_t kGroupsAhead = 8;

void MarginBook::prefetch_group(GroupIndex group) const {
  const char* line = reinterpret_cast<const char*>(&groups_[group]);
  __builtin_prefetch(line, 1);
  __builtin_prefetch(line + 64, 1);
}

bool MarginBook::report(GroupIndex group, ChangedGroups& changed) {
  GroupSums& sums = groups_[group];
  if (sums.stamp == epoch_) return false;
  sums.stamp = epoch_;
  changed.push(group);
  return true;
}

std::size_t MarginBook::on_market_price(std::uint32_t m, Price mark, Money open_interest, ChangedGroups& changed) {
  BALLAST_ASSERT(stale_count_ == 0);  // a tick applies deltas to current sums: catch_up() first
  BALLAST_ASSERT(m < markets_.size() && !mark.is_negative());
  const MarketTick before = markets_[m];
  prices_.markets[m].mark = mark;
  prices_.markets[m].open_interest = open_interest;
  set_market_tick(m);
  ++epoch_;
  const MarketTick& tick = markets_[m];
  const std::vector<std::uint32_t>& slots = market_slots_[m];
  const std::size_t count = slots.size();
  for (std::size_t i = 0; i < count; ++i) {
    // The slots are spread over the whole array: fetch ahead (the slot 16 on, the group of the
    // slot 8 on, whose record the first prefetch has brought in by now).
    if (i + kSlotsAhead < count) __builtin_prefetch(&positions_[slots[i + kSlotsAhead]], 1);
    if (i + kGroupsAhead < count) prefetch_group(positions_[slots[i + kGroupsAhead]].group);
    const std::uint32_t p = slots[i];
    const PositionSlot& s = positions_[p];
    GroupSums& sums = groups_[s.group];
    if (sums.options > 0) {
      if (report(s.group, changed)) evaluate_group(s.group);
      continue;
    }
    if (tick.kind == RuleKind::option) continue;  // a flat option slot in a group without options
    // What the sums hold for the slot (its contribution at the old tick) out, the new one in.
    const PositionContribution old = slot_contribution(before, s);
    const PositionContribution c = slot_contribution(tick, s);
    if (c == old) continue;
    add(sums, sink(s.group), old, -1);
    add(sums, sink(s.group), c, 1);
    report(s.group, changed);
  }
  return count;
}

std::size_t MarginBook::on_market_funding(std::uint32_t m, market::FundingIndex index, ChangedGroups& changed) {
  BALLAST_ASSERT(stale_count_ == 0);  // a tick applies deltas to current sums: catch_up() first
  BALLAST_ASSERT(m < markets_.size());
  prices_.markets[m].funding_index = index;
  if (config_.markets[m].instrument.kind != market::InstrumentKind::perpetual) return 0;
  ++epoch_;
  const MarketTick& tick = markets_[m];
  const std::vector<std::uint32_t>& slots = market_slots_[m];
  for (const std::uint32_t p : slots) {
    PositionSlot& s = positions_[p];
    GroupSums& sums = groups_[s.group];
    if (sums.options > 0) {  // evaluate() reads the positions and the index itself
      set_charged_basis(s, position_state_[p]);
      if (report(s.group, changed)) evaluate_group(s.group);
      continue;
    }
    const PositionContribution old = slot_contribution(tick, s);
    set_charged_basis(s, position_state_[p]);
    const PositionContribution c = slot_contribution(tick, s);
    if (c == old) continue;
    add(sums, sink(s.group), old, -1);
    add(sums, sink(s.group), c, 1);
    report(s.group, changed);
  }
  return slots.size();
}

std::size_t MarginBook::on_asset_price(std::uint32_t a, const AssetPrice& price, ChangedGroups& changed) {
  BALLAST_ASSERT(stale_count_ == 0);  // a tick applies deltas to current sums: catch_up() first
  BALLAST_ASSERT(a < assets_.size());
  if (a == quote_) return 0;
  AssetPrice& entry = prices_.assets[static_cast<std::size_t>(assets_[a].price_entry)];
  entry.oracle = price.oracle;
  entry.stable = price.stable;
  entry.total_deposits = price.total_deposits;
  entry.total_borrows = price.total_borrows;
  set_asset_tick(a);
  ++epoch_;
  const AssetTick& tick = assets_[a];
  std::size_t count = 0;
  const std::vector<std::uint32_t>& slots = asset_slots_[a];
  for (std::size_t i = 0; i < slots.size(); ++i) {
    ++count;
    if (i + kSlotsAhead < slots.size()) __builtin_prefetch(&balances_[slots[i + kSlotsAhead]], 1);
    if (i + kGroupsAhead < slots.size()) prefetch_group(balances_[slots[i + kGroupsAhead]].group);
    BalanceSlot& s = balances_[slots[i]];
    GroupSums& sums = groups_[s.group];
    if (sums.options > 0) {
      if (report(s.group, changed)) evaluate_group(s.group);
      continue;
    }
    const BalanceContribution c = balance_contribution(tick, a, s.amount, s.counts != 0);
    if (c == cached(s)) continue;
    replace(sums, s, c);
    report(s.group, changed);
  }
  // Options on this underlying: their requirements read its oracle price.
  for (const std::uint32_t m : option_markets_[a]) {
    for (const std::uint32_t p : market_slots_[m]) {
      ++count;
      const GroupIndex g = positions_[p].group;
      if (groups_[g].options > 0 && report(g, changed)) evaluate_group(g);
    }
  }
  return count;
}

// ---------------------------------------------------------------------------------------------
// Fills

std::int64_t MarginBook::balance_amount(std::uint32_t sub, std::uint32_t asset, std::int64_t* slot) const {
  for (const std::uint32_t b : subs_[sub].balances) {
    if (balances_[b].asset == asset) {
      *slot = b;
      return balances_[b].amount;
    }
  }
  *slot = -1;
  return 0;
}

// account.cpp's apply_to(), on the columns: the same roundings, the same order.
MarginBook::FillPlan MarginBook::plan_fill(const market::Fill& fill) const {
  FillPlan plan;
  const auto it = std::lower_bound(sub_index_.begin(), sub_index_.end(), std::make_pair(fill.sub_account, 0U));
  const auto m = market_index(fill.instrument);
  if (it == sub_index_.end() || it->first != fill.sub_account || !m) return plan;
  plan.sub = it->second;
  plan.market = *m;
  const SubAccountInfo& sub = subs_[plan.sub];
  const market::Instrument& instrument = config_.markets[*m].instrument;
  const std::uint8_t quote_decimals = assets_[quote_].decimals;
  const auto fee = to_amount_from_money(fill.fee.raw(), quote_decimals, Round::up);
  if (!fee) return plan;
  std::int64_t quote_delta = -*fee;
  const auto add_balance_change = [&](std::uint32_t asset, std::int64_t delta) {
    FillPlan::BalanceChange& change = plan.balances[plan.balance_count++];
    change.asset = asset;
    const std::int64_t before = balance_amount(plan.sub, asset, &change.slot);
    if (__builtin_add_overflow(before, delta, &change.amount)) return false;
    const bool counts = sub.mode == MarginMode::isolated || !config_.assets[asset].collateral.isolated_only;
    change.after = balance_contribution(assets_[asset], asset, change.amount, counts);
    return true;
  };
  if (instrument.kind == market::InstrumentKind::spot) {
    const auto underlying = *asset_index(instrument.underlying);
    const auto exposure = market::exposure_of(fill.size, instrument.contract_size);
    const auto value = market::fill_value(fill.size, fill.price, instrument.contract_size);
    if (!exposure || !value) return plan;
    const auto delivered = to_amount_from_units(exposure->raw(), assets_[underlying].decimals, Round::down);
    const auto paid = to_amount_from_money(value->raw(), quote_decimals, Round::up);
    if (!delivered || !paid) return plan;
    std::int64_t slot = -1;
    const std::int64_t before = balance_amount(plan.sub, underlying, &slot);
    if (!add_balance_change(underlying, *delivered)) return plan;
    plan.reduces_risk = shrinks(before, plan.balances[0].amount);
    if (__builtin_sub_overflow(quote_delta, *paid, &quote_delta)) return plan;
  } else {
    plan.option = instrument.kind == market::InstrumentKind::option;
    for (const std::uint32_t p : sub.positions) {
      if (positions_[p].market == *m) plan.position_slot = p;
    }
    const market::Position before =
        plan.position_slot >= 0 ? position_state_[static_cast<std::size_t>(plan.position_slot)] : market::Position{};
    // The fill settles the funding owed (apply_to in account.cpp): the snapshot moves to the
    // index now, so the position after it owes nothing and its charged basis is its cost basis.
    const auto change = market::apply_fill(before, fill, instrument.contract_size,
                                           settlement_index(instrument, before, prices_.markets[*m]));
    if (!change) return plan;
    plan.position = change->position;
    plan.charged_basis = plan.position.cost_basis.raw();
    const auto exposure = market::exposure_of(plan.position.size, instrument.contract_size);
    plan.exposure_ok = exposure.has_value();
    plan.exposure = exposure ? exposure->raw() : 0;
    const auto cash = plan.option ? to_amount_from_money(change->value.raw(), quote_decimals, Round::up)
                                  : to_amount_from_money(change->realized_pnl.raw(), quote_decimals, Round::down);
    const auto funding = to_amount_from_money(change->funding_owed.raw(), quote_decimals, Round::up);
    if (!cash || !funding) return plan;
    if (plan.option ? __builtin_sub_overflow(quote_delta, *cash, &quote_delta)
                    : __builtin_add_overflow(quote_delta, *cash, &quote_delta)) {
      return plan;
    }
    if (__builtin_sub_overflow(quote_delta, *funding, &quote_delta)) return plan;
    plan.reduces_risk = shrinks(before.size.raw(), plan.position.size.raw());
    if (!plan.option) {
      plan.position_after = position_contribution(markets_[*m], *m, plan.exposure, plan.charged_basis);
      plan.position_after.ok = plan.position_after.ok && plan.exposure_ok;
      if (market_flags(*m) == kNetSlot) set_net(plan.position_after);
    }
  }
  if (!add_balance_change(quote_, quote_delta)) return plan;
  plan.ok = true;
  return plan;
}

PreTrade MarginBook::pre_trade(GroupIndex group, const market::Fill& fill) const {
  PreTrade out;
  if (group >= groups_.size()) return out;
  BALLAST_ASSERT(!stale(group));
  const GroupSums& sums = groups_[group];
  const auto m = market_index(fill.instrument);
  const bool option = m && config_.markets[*m].instrument.kind == market::InstrumentKind::option;
  if (sums.options > 0 || option) {
    const std::vector<SubAccountBook> books = group_books(group);
    return pre_trade_check(config_, prices_, books, fill);
  }
  const BookFigures before = figures(sums, nets_of(group));
  out.margin_status = before.status;
  if (before.status != MarginStatus::ok) return out;
  out.initial_health_before = before.initial_health();
  if (!m) {
    out.margin_status = MarginStatus::instrument_unknown;
    return out;
  }
  const auto sub = group_of(fill.sub_account);
  if (!sub || *sub != group) return out;
  const FillPlan plan = plan_fill(fill);
  if (!plan.ok) {
    out.margin_status = MarginStatus::overflow;
    return out;
  }
  // The sums with the changed slots' old contributions out and their new ones in.
  GroupSums after = sums;
  NetTotals after_nets = nets_of(group);
  if (plan.option) {
    // unreachable: options take pre_trade_check above
  } else if (config_.markets[plan.market].instrument.kind != market::InstrumentKind::spot) {
    if (plan.position_slot >= 0) {
      add(after, sink(after_nets), slot_contribution(static_cast<std::uint32_t>(plan.position_slot)), -1);
    }
    add(after, sink(after_nets), plan.position_after, 1);
  }
  for (int i = 0; i < plan.balance_count; ++i) {
    const FillPlan::BalanceChange& change = plan.balances[i];
    if (change.slot >= 0) add(after, cached(balances_[static_cast<std::size_t>(change.slot)]), -1);
    add(after, change.after, 1);
  }
  const BookFigures figures_after = figures(after, after_nets);
  out.margin_status = figures_after.status;
  if (figures_after.status != MarginStatus::ok) return out;
  out.initial_health_after = figures_after.initial_health();
  out.status = !out.initial_health_after.is_negative() ? PreTradeStatus::passes_initial
               : plan.reduces_risk                     ? PreTradeStatus::reduces_risk
                                                       : PreTradeStatus::breaches_initial;
  return out;
}

bool MarginBook::apply_fill(const market::Fill& fill) {
  const FillPlan plan = plan_fill(fill);
  if (!plan.ok) return false;
  SubAccountInfo& sub = subs_[plan.sub];
  const GroupIndex g = sub.group;
  BALLAST_ASSERT(!stale(g));
  screens_[g].generation = 0;  // its holdings move: its note no longer holds (and it is current)
  GroupSums& sums = groups_[g];
  const std::uint32_t options_before = sums.options;
  const bool fast = options_before == 0;
  if (config_.markets[plan.market].instrument.kind != market::InstrumentKind::spot) {
    const std::uint32_t p = plan.position_slot >= 0 ? static_cast<std::uint32_t>(plan.position_slot)
                                                    : open_position_slot(plan.sub, plan.market);
    PositionSlot& s = positions_[p];
    if (plan.option) {
      const bool was_open = !position_state_[p].size.is_zero();
      const bool is_open = !plan.position.size.is_zero();
      sums.options = sums.options + (is_open ? 1U : 0U) - (was_open ? 1U : 0U);
      mark_options(g);
    }
    if (fast && !plan.option) {
      // A new slot (exposure and cost basis 0) contributes 0 before the fill.
      if (plan.position_slot >= 0) add(sums, sink(g), slot_contribution(p), -1);
      add(sums, sink(g), plan.position_after, 1);
    }
    position_state_[p] = plan.position;
    s.exposure = plan.exposure;
    s.flags = static_cast<std::uint8_t>(market_flags(plan.market) | (plan.exposure_ok ? 0 : kExposureOverflow));
    s.charged_basis = plan.charged_basis;
  }
  for (int i = 0; i < plan.balance_count; ++i) {
    const FillPlan::BalanceChange& change = plan.balances[i];
    const std::uint32_t b = change.slot >= 0 ? static_cast<std::uint32_t>(change.slot)
                                             : open_balance_slot(plan.sub, change.asset);
    BalanceSlot& s = balances_[b];
    if (fast) {
      replace(sums, s, change.after);
    } else {
      store(s, change.after);
    }
    s.amount = change.amount;
  }
  if (sums.options > 0) {
    evaluate_group(g);  // into, or still inside, the option path
  } else if (!fast) {
    refresh_group(g);  // the last option closed: the slots' caches are stale
  }
  return true;
}

namespace {

// Inserts `slot` into a sub-account's slot list, which stays ordered by key (its market or
// asset index; the list holds none with the same key).
template <typename Key>
void insert_ordered(std::vector<std::uint32_t>& list, std::uint32_t slot, Key key) {
  list.insert(std::upper_bound(list.begin(), list.end(), slot,
                               [&key](std::uint32_t a, std::uint32_t b) { return key(a) < key(b); }),
              slot);
}

}  // namespace

// A new slot at the tail (exposure, basis and amount 0: it contributes nothing yet), in its
// market's or asset's list (the largest index: the list stays ascending) and in its
// sub-account's (by market or asset index).
std::uint32_t MarginBook::open_position_slot(std::uint32_t sub, std::uint32_t market) {
  SubAccountInfo& info = subs_[sub];
  const auto p = static_cast<std::uint32_t>(positions_.size());
  positions_.push_back(PositionSlot{0, 0, info.group, static_cast<std::uint16_t>(market), market_flags(market), 0});
  position_state_.emplace_back();
  position_sub_.push_back(sub);
  market_slots_[market].push_back(p);
  mark_tail(info.group);
  insert_ordered(info.positions, p, [this](std::uint32_t x) { return positions_[x].market; });
  return p;
}

std::uint32_t MarginBook::open_balance_slot(std::uint32_t sub, std::uint32_t asset) {
  SubAccountInfo& info = subs_[sub];
  const auto b = static_cast<std::uint32_t>(balances_.size());
  const bool counts = info.mode == MarginMode::isolated || !config_.assets[asset].collateral.isolated_only;
  balances_.push_back(
      BalanceSlot{0, 0, 0, 0, info.group, static_cast<std::uint16_t>(asset), static_cast<std::uint8_t>(counts ? 1 : 0), 1});
  balance_sub_.push_back(sub);
  asset_slots_[asset].push_back(b);
  mark_tail(info.group);
  insert_ordered(info.balances, b, [this](std::uint32_t x) { return balances_[x].asset; });
  return b;
}

// ---------------------------------------------------------------------------------------------
// Holdings

bool MarginBook::set_holdings(SubAccountId sub_account, std::span<const Balance> balances,
                              std::span<const HeldPosition> positions) {
  const auto it = std::lower_bound(sub_index_.begin(), sub_index_.end(), std::make_pair(sub_account, 0U));
  if (it == sub_index_.end() || it->first != sub_account) return false;
  for (const HeldPosition& held : positions) {
    if (!market_index(held.instrument)) return false;
  }
  const std::uint32_t sub = it->second;
  // Every slot the sub-account has is set: to its amount or position here, else to nothing.
  for (const std::uint32_t b : subs_[sub].balances) balances_[b].amount = 0;
  for (const std::uint32_t p : subs_[sub].positions) set_position_slot(p, market::Position{});
  for (const Balance& balance : balances) {
    const auto a = asset_index(balance.asset);
    if (!a) continue;  // an asset the configuration does not list counts for nothing here
    std::int64_t slot = -1;
    balance_amount(sub, *a, &slot);
    const std::uint32_t b = slot >= 0 ? static_cast<std::uint32_t>(slot) : open_balance_slot(sub, *a);
    balances_[b].amount = balance.amount.raw();
  }
  for (const HeldPosition& held : positions) {
    const std::uint32_t m = *market_index(held.instrument);
    const std::span<const std::uint32_t> slots = subs_[sub].positions;
    const auto found = std::find_if(slots.begin(), slots.end(), [&](std::uint32_t x) { return positions_[x].market == m; });
    set_position_slot(found != slots.end() ? *found : open_position_slot(sub, m), held.position);
  }
  // The group's option count from its slots, then its sums (or evaluate()) from scratch.
  const GroupIndex g = subs_[sub].group;
  std::uint32_t options = 0;
  for (std::uint32_t i = group_sub_begin_[g]; i < group_sub_begin_[g + 1]; ++i) {
    for (const std::uint32_t p : subs_[group_subs_[i]].positions) {
      options += (positions_[p].flags & kOptionSlot) != 0 && !position_state_[p].size.is_zero() ? 1U : 0U;
    }
  }
  groups_[g].options = options;
  mark_options(g);
  refresh_group(g);
  make_current(g);
  return true;
}

// The slot's inputs from a position, as build() sets them.
void MarginBook::set_position_slot(std::uint32_t p, const market::Position& position) {
  PositionSlot& slot = positions_[p];
  const auto exposure = market::exposure_of(position.size, config_.markets[slot.market].instrument.contract_size);
  slot.exposure = exposure ? exposure->raw() : 0;
  slot.flags = static_cast<std::uint8_t>(market_flags(slot.market) | (exposure ? 0 : kExposureOverflow));
  set_charged_basis(slot, position);
  position_state_[p] = position;
}

}  // namespace ballast::margin
