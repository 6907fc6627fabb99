#pragma once
// The struct-of-arrays margin book (issue 4, item 7): every margin group of a venue held as
// columns of exact integers, recomputed in full (threads over contiguous group ranges) or
// incrementally (an oracle tick recomputes only the slots exposed to it), with an incremental
// pre-trade check. Its figures are evaluate()'s (account.hpp), to the micro-unit: the
// differential test (book_test.cpp) holds it to that.
//
// Layout. Each entity kind is its own array, and hot data is split from cold:
//   position slots  one 24-byte record per (sub-account, market) ever held: exposure and charged
//                   basis (the inputs: cost basis + pending funding, charged_basis() in
//                   account.hpp, refreshed by fills and funding-index moves, so that a mark tick
//                   reads funding at no cost), group and market index. A slot's contribution (unrealized
//                   PnL, initial and maintenance requirement with the latency add-on) is a pure
//                   function of these and its market's tick, so it is not cached: a full
//                   recompute streams the inputs read-only, and a tick recomputes each exposed
//                   slot's contribution at the old tick and at the new one and applies the
//                   difference. The Position itself (size, realized PnL, funding snapshot) and
//                   the owning sub-account live in cold columns that only fills read.
//   balance slots   one 40-byte record per (sub-account, asset): amount, cached value and
//                   weighted collateral, group and asset index.
//   groups          exact 128-bit sums: equity, initial and maintenance collateral (balances),
//                   requirements, and the positive and negative PnL sums. The PnL policy (haircut
//                   and cap) applies to the group's positive sum when figures are read, as
//                   evaluate() does, so a tick never needs anything but exact integer deltas.
//   markets/assets  the current price inputs with what can be precomputed per tick (the
//                   OI-ramp's effective IMF, the |exposure| below which a √size rule is its base
//                   rate, the initial and liability prices), and the list of slots exposed to
//                   each, in ascending slot order.
// Slots are laid out group by group at build time, so a full recompute streams them and a
// market's slot list walks memory forward (8 positions over 50 markets: a stride of a few
// hundred bytes). Slots opened later by fills go to a tail that a full recompute adds after the
// threads join; sums are exact integers, so the figures never depend on the thread split or
// on the order of additions.
//
// The full recompute streams a lot of memory (on the 1M fixture it reads 190 MB of position
// slots and 50 MB of balance slots and writes 115 MB of group sums) for little arithmetic per
// byte, so it moves as few bytes as it can and waits on none: each group's record is written
// whole past the cache (never read for ownership first), a balance's cached contribution is
// written back only when it moved, the slots are prefetched ahead of the hardware's own
// prefetchers, and both kernels stay in 64 bits (reciprocal multiplications, no divq) wherever
// the tick's figures allow. Threads take contiguous chunks of groups in turn, so a thread the
// scheduler delays leaves its share to the other.
//
// Options: a group holding an option position is computed by evaluate() itself (rebuilt from
// the columns) whenever anything it holds moves, and its pre-trade check is pre_trade_check().
// The per-underlying-and-expiry capped sets make options a whole-group computation; the book's
// incremental path covers balances, perpetuals and futures, which are the bulk of a venue. The
// option path allocates; nothing else on the tick or pre-trade path does.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "ballast/core/fixed.hpp"
#include "ballast/core/ids.hpp"
#include "ballast/core/result.hpp"
#include "ballast/margin/account.hpp"
#include "ballast/market/instrument.hpp"
#include "ballast/market/position.hpp"

namespace ballast::margin {

namespace book_detail {

// floor(x / 10^12) and whether x was not a multiple, for x < 10^12 · 2^64 (fits: the quotient
// fits 64 bits). Möller and Granlund's 2-by-1 division by an invariant divisor ("Improved
// division by invariant integers", IEEE TC 2011, algorithm 4): one widening multiply by a
// precomputed reciprocal and two corrections instead of a divq, exact for every such x (the
// test checks it against the plain division at the edges and at random).
struct Quotient {
  std::uint64_t quotient = 0;
  bool inexact = false;
  bool fits = false;
};

inline Quotient div_1e12(detail::uint128 x) {
  using u128 = detail::uint128;
  constexpr int kShift = 24;  // 10^12 < 2^40: normalized, the divisor's top bit is set
  constexpr std::uint64_t kDivisor = 1'000'000'000'000ULL << kShift;
  constexpr auto kReciprocal = static_cast<std::uint64_t>(((static_cast<u128>(~kDivisor) << 64) | ~0ULL) / kDivisor);
  if (x >= static_cast<u128>(1'000'000'000'000ULL) << 64) return {};
  const u128 n = x << kShift;
  const auto high = static_cast<std::uint64_t>(n >> 64);
  const auto low = static_cast<std::uint64_t>(n);
  const u128 estimate = static_cast<u128>(high) * kReciprocal + ((static_cast<u128>(high + 1) << 64) | low);
  auto quotient = static_cast<std::uint64_t>(estimate >> 64);
  std::uint64_t remainder = low - quotient * kDivisor;
  if (remainder > static_cast<std::uint64_t>(estimate)) {
    --quotient;
    remainder += kDivisor;
  }
  if (remainder >= kDivisor) {
    ++quotient;
    remainder -= kDivisor;
  }
  return {quotient, remainder != 0, true};
}

// x / d for x < 2^63 and a run-time d ≥ 2: one high multiply by m = ⌈2^(64+s)/d⌉ with
// 2^s < d ≤ 2^(s+1), whose error x·(m·d − 2^(64+s)) < 2^63 · 2^(s+1) never reaches the next
// integer (Granlund and Montgomery, "Division by invariant integers using multiplication",
// 1994, §4), and the remainder from one low multiply.
struct Divisor {
  std::uint64_t divisor = 2;
  std::uint64_t magic = std::uint64_t{1} << 63;
  int shift = 0;

  static Divisor of(std::uint64_t d) {  // d ≥ 2
    const int s = 63 - __builtin_clzll(d - 1);
    return {d, static_cast<std::uint64_t>(((static_cast<detail::uint128>(1) << (64 + s)) + d - 1) / d), s};
  }
  // floor(x / d), and whether it was inexact, for x < 2^63.
  void divide(std::uint64_t x, std::uint64_t& floor, bool& inexact) const {
    floor = quotient(x);
    inexact = x != floor * divisor;
  }
  // ⌈x / d⌉ for x < 2^62: floor((x + d − 1) / d), which stays below 2^63 (d < 2^62).
  std::uint64_t ceiling(std::uint64_t x) const { return quotient(x + divisor - 1); }
  std::uint64_t quotient(std::uint64_t x) const {
    return static_cast<std::uint64_t>((static_cast<detail::uint128>(x) * magic) >> 64) >> shift;
  }
};

}  // namespace book_detail

// A group's figures as evaluate() reports them (GroupMargin without the per-slot detail).
struct BookFigures : MarginFigures {
  MarginStatus status = MarginStatus::ok;  // ok or overflow (the book holds every price)
};

// Where a tick reports the groups whose figures moved: each once per tick, in slot order, up
// to the buffer's size; past it `overflowed` is set and the caller must treat every exposed
// group as changed.
struct ChangedGroups {
  std::span<std::uint32_t> buffer;
  std::size_t count = 0;
  bool overflowed = false;

  std::span<const std::uint32_t> groups() const { return buffer.first(count); }
  void clear() {
    count = 0;
    overflowed = false;
  }
  void push(std::uint32_t group) {
    if (count < buffer.size()) {
      buffer[count++] = group;
    } else {
      overflowed = true;
    }
  }
};

class MarginBook {
 public:
  using GroupIndex = std::uint32_t;

  // Groups as evaluate() sees them: the cross sub-accounts of one owner form one group (in the
  // order of their first appearance), an isolated sub-account a group of its own. The prices
  // must cover every listed market and every listed asset but the quote. invalid_input names
  // an unknown asset or instrument, a missing price, or a repeated sub-account.
  static Result<MarginBook> build(const RiskConfig& config, const PriceBook& prices,
                                  std::span<const SubAccountBook> sub_accounts);

  std::size_t group_count() const { return groups_.size(); }
  std::size_t position_slot_count() const { return positions_.size(); }
  std::optional<GroupIndex> group_of(SubAccountId sub_account) const;
  // The group's sub-accounts, in the order evaluate() takes them (group_books()'s).
  std::span<const SubAccountId> sub_accounts(GroupIndex group) const {
    return std::span<const SubAccountId>(group_sub_ids_).subspan(group_sub_begin_[group],
                                                                 group_sub_begin_[group + 1] - group_sub_begin_[group]);
  }
  std::optional<std::uint32_t> market_index(InstrumentId instrument) const;  // config order
  std::optional<std::uint32_t> asset_index(AssetId asset) const;             // config order
  const RiskConfig& config() const { return config_; }
  const PriceBook& prices() const { return prices_; }

  // Every slot and every group sum from the current prices, over `threads` threads (contiguous
  // group ranges; the figures do not depend on the count).
  void full_recompute(unsigned threads = 1);

  // What a liquidator reads of a group: group_margin()'s status, equity, maintenance requirement
  // and health, to the micro-unit, without the initial side (one PnL credit instead of two).
  struct MaintenanceFigures {
    MarginStatus status = MarginStatus::ok;  // not ok: the figures are zero
    Money equity;
    Money maintenance_requirement;
    Money maintenance_health;
  };
  MaintenanceFigures maintenance_figures(GroupIndex group) const;

  // The group's maintenance figures when a liquidator must look at it: they are not ok, or
  // liquidatable() (maintenance requirement > 0, maintenance health < 0), or bankrupt
  // (maintenance requirement > 0, equity <= 0); nullopt otherwise. Exact; most groups are
  // cleared by a bound on their sums without the PnL credit (which never lowers collateral).
  std::optional<MaintenanceFigures> at_risk(GroupIndex group) const;

  struct AtRisk {
    GroupIndex group = 0;
    MaintenanceFigures figures;
  };
  // full_recompute(threads) that also lists every at_risk() group in `at_risk`, ascending by
  // group (it is cleared first). Each thread judges a group as it finishes it, its sums still in
  // cache: a later pass would stream 1M groups' 128 MB of sums again (liquidation_scan.hpp).
  void full_recompute(unsigned threads, std::vector<AtRisk>& at_risk);

  // Every price at once, then full_recompute(threads, at_risk): a crash moves every price, and
  // one recompute costs a fraction of a tick per price (nothing here is computed per price).
  // `prices` names every market and every asset but the quote, as build() requires, in any
  // order; a funding index must be the book's (funding moves through on_market_funding()).
  // invalid_input, changing nothing, otherwise.
  //
  // Screening::screened lists exactly the same groups but recomputes only those its screen
  // cannot clear. Every exact recompute notes per group a safe fraction: how far every price
  // may move, relative to this recompute's prices, before the group could be at risk (the lower
  // bound of its maintenance health and its equity, less a rounding allowance, over its gross
  // sensitivity: each position's notional plus the steepest requirement slope of its market
  // times it, each non-quote balance's value plus its weighted value). A group is skipped when
  // the largest relative move of any mark, oracle or stable price since the recompute its note
  // refers to (one of the last kScreenGenerations) stays below its safe fraction, and no funding
  // index of a market it holds moved. A skipped group's sums are stale: group_margin(),
  // at_risk(g), maintenance_figures(g), pre_trade() and apply_fill() assert it is not, and the
  // ticks assert no group is; set_holdings() and any exact recompute make it current again,
  // catch_up() all of them. Why: after a crash most groups are far from liquidation, and the
  // screen reads 24 bytes of each where the recompute reads ~350 (liquidation_scan.hpp).
  enum class Screening : std::uint8_t { exact, screened };
  Outcome reprice(const PriceBook& prices, unsigned threads, std::vector<AtRisk>& at_risk,
                  Screening screening = Screening::exact);
  // Groups skipped by the last screened recompute and not made current since.
  std::size_t stale_count() const { return stale_count_; }
  bool stale(GroupIndex group) const {
    const std::uint32_t noted = screens_[group].generation;
    return noted != 0 && noted != generation_;
  }
  // Every stale group's sums made current (a full recompute).
  void catch_up(unsigned threads) { full_recompute(threads); }
  static constexpr std::uint32_t kScreenGenerations = 64;

  // One market's mark (and open interest) moved: recomputes its position slots only and applies
  // the exact deltas to their groups. Returns the number of slots recomputed.
  std::size_t on_market_price(std::uint32_t market, Price mark, Money open_interest,
                              ChangedGroups& changed);
  // A perpetual's cumulative funding index moved: every position on it owes more or less
  // (pending funding), so each slot's charged basis is refreshed and the exact deltas applied.
  // Other kinds owe no funding: their index is stored and nothing else changes. Returns the
  // number of slots recomputed.
  std::size_t on_market_funding(std::uint32_t market, market::FundingIndex index, ChangedGroups& changed);
  // One asset's prices moved (oracle, stable, venue totals): its balance slots, and the groups
  // holding options on it. The quote asset's price is fixed at 1: refused (returns 0).
  std::size_t on_asset_price(std::uint32_t asset, const AssetPrice& price, ChangedGroups& changed);

  BookFigures group_margin(GroupIndex group) const;

  // pre_trade_check()'s answer for `fill` on this group, from the sums and the changed slots'
  // old and new contributions (options: pre_trade_check itself).
  PreTrade pre_trade(GroupIndex group, const market::Fill& fill) const;

  // Books the fill as pre_trade_check() models it (position, premium or realized PnL, fee, spot
  // balances) and updates the sums. False, changing nothing, for an unknown sub-account or
  // instrument or a value out of range. A new sub-account slot goes to the tail.
  bool apply_fill(const market::Fill& fill);

  // Sets one sub-account's holdings to these, whatever the book held for it before, and
  // recomputes its group: for a view that follows a ledger through changes that are not fills
  // (a deposit, a withdrawal, a bankruptcy's closes and cover, a takeover). Balances in assets
  // the configuration does not list are left out. False, changing nothing, for an unknown
  // sub-account or a position in an unlisted market. Afterwards the group's figures are
  // build()'s for these holdings (slots of what it no longer holds stay, at zero).
  bool set_holdings(SubAccountId sub_account, std::span<const Balance> balances,
                    std::span<const HeldPosition> positions);

  // The group's sub-accounts as evaluate() takes them, rebuilt from the columns.
  std::vector<SubAccountBook> group_books(GroupIndex group) const;

  // Hot slot records (public for the layout's static checks).
  struct PositionSlot {
    std::int64_t exposure;    // size × contract_size, units of the underlying, signed
    std::int64_t charged_basis;  // Money raw: cost basis + pending funding
    std::uint32_t group;
    std::uint16_t market;
    std::uint8_t flags;  // kOptionSlot, kExposureOverflow, kBasisOverflow
    std::uint8_t reserved;
  };
  static constexpr std::uint8_t kOptionSlot = 1;
  static constexpr std::uint8_t kExposureOverflow = 2;  // size × contract_size left Quantity's range
  static constexpr std::uint8_t kBasisOverflow = 4;     // pending funding or the charged basis did
  static constexpr std::uint8_t kOverflowFlags = kExposureOverflow | kBasisOverflow;
  static constexpr std::uint8_t kNetSlot = 8;  // its market counts PerpHealth::settle_weighted_net
  struct BalanceSlot {
    std::int64_t amount;  // smallest units, signed
    std::int64_t value;   // cached contributions, Money raw
    std::int64_t initial_collateral;
    std::int64_t maintenance_collateral;
    std::uint32_t group;
    std::uint16_t asset;
    std::uint8_t counts;  // isolated, or the asset is not isolated-only
    std::uint8_t ok;
  };

  // What one slot adds to its group's sums.
  struct PositionContribution {
    std::int64_t upnl = 0;
    std::int64_t initial_requirement = 0;
    std::int64_t maintenance_requirement = 0;
    bool ok = true;
    bool net = false;  // settle_weighted_net: counted by add_net() (32 bytes kept: the tick's copies)
    friend bool operator==(const PositionContribution&, const PositionContribution&) = default;
  };
  struct BalanceContribution {
    std::int64_t value = 0;
    std::int64_t initial_collateral = 0;
    std::int64_t maintenance_collateral = 0;
    bool ok = true;
    friend bool operator==(const BalanceContribution&, const BalanceContribution&) = default;
  };

 private:
  MarginBook() = default;

  // 128 bytes on two whole cache lines (a tick prefetches both). The settle_weighted_net sums
  // live apart (nets_): a third line here cost the full recompute ~15% in bandwidth on venues
  // that have no such market.
  struct alignas(64) GroupSums : GroupTotals {
    std::int32_t bad = 0;         // slots with ok == 0
    std::uint32_t stamp = 0;      // the tick that last reported or re-evaluated it, or a later epoch
    std::uint32_t options = 0;    // non-flat option positions: > 0 means evaluate() computes it
    MarginStatus status = MarginStatus::ok;  // evaluate()'s, for option groups
  };

  // fixed: notional × rate (base rules, the OI ramp at its tick's IMF); size: Drift's √size rule,
  // its base rates up to |exposure| ≤ fixed_limit; tier: Hyperliquid's tiers, inline.
  enum class RuleKind : std::uint8_t { fixed, size, tier, general, option };

  // One linear piece of a market's requirement: from notional `lower` up, each kind's
  // requirement is ⌈(notional × rate − deduction) / 10^12⌉ (deductions at 18 decimals).
  struct Piece {
    std::int64_t lower = INT64_MAX;  // unused pieces never apply
    std::int64_t initial_rate = 0;
    std::int64_t maintenance_rate = 0;
    std::int64_t reserved = 0;
    int128 initial_deduction = 0;
    int128 maintenance_deduction = 0;
  };

  struct MarketTick {
    std::int64_t mark = 0;
    std::int64_t open_interest = 0;
    std::int64_t initial_rate = 0;  // fixed rules: base, or the OI ramp's effective IMF
    std::int64_t maintenance_rate = 0;
    std::int64_t latency_rate = 0;
    std::int64_t contract_size = 0;
    std::uint64_t fixed_limit = ~0ULL;  // size rules: the rates are the base ones up to this |exposure|
    // The linear kernel (linear_contribution) applies below this |exposure|: every exposure for
    // fixed and tier rules, up to fixed_limit for √size rules, none for the rest.
    std::uint64_t linear_bound = 0;
    // All ones for a tier rule, whose requirement's slope may exceed requirement / notional
    // (make_screen); a fixed or √size rule's is that quotient.
    std::uint64_t tier_mask = 0;
    RuleKind kind = RuleKind::fixed;
    std::uint32_t underlying = 0;  // asset index
    // Fixed rules and √size rules below the limit: one piece at the tick's rates; tier rules:
    // one per tier. piece_count_ (the most over the markets) of them are read per slot.
    std::array<Piece, kMaxNotionalTiers> pieces{};
    // The same in 64 bits where the market's figures allow: notional = ⌈|exposure| ×
    // notional_multiplier / notional_divisor⌉ (mark and 10^12 over their gcd), each requirement
    // ⌈(notional × a − b) / requirement_divisor⌉ (rates, deductions and 10^12 over theirs), for
    // |exposure| < narrow_exposure (≤ linear_bound) and notional < narrow_notional (every
    // product below 2^62); the latency add-on ⌈notional × latency_rate / 10^12⌉ by div_1e12.
    std::uint64_t notional_multiplier = 0;
    std::uint64_t narrow_exposure = 0;
    std::int64_t narrow_notional = 0;
    book_detail::Divisor notional_divisor;
    book_detail::Divisor requirement_divisor;
    struct NarrowPiece {
      std::int64_t initial_multiplier = 0;
      std::int64_t maintenance_multiplier = 0;
      std::int64_t initial_deduction = 0;
      std::int64_t maintenance_deduction = 0;
    };
    std::array<NarrowPiece, kMaxNotionalTiers> narrow{};
  };

  struct AssetTick {
    std::int64_t oracle = 0;
    std::int64_t stable = 0;
    std::int64_t initial_price = 0;    // min(oracle, stable)
    std::int64_t liability_price = 0;  // max(oracle, stable)
    std::int64_t total_deposits = 0;
    std::int64_t total_borrows = 0;
    std::uint8_t decimals = 0;
    std::int32_t price_entry = -1;  // index in prices_.assets; -1 for the quote
    // The 64-bit balance kernel (narrow_balance), for an asset whose weights do not depend on
    // the size (no weight tiers, no IMF factor): the oracle, initial and liability prices over
    // 10^(price and asset decimals − money decimals) as multipliers over price_divisor, the
    // four weights (asset and liability, initial and maintenance, at this tick's deposit and
    // borrow scaling) as multipliers over weight_divisor. It applies for |amount| < amount_bound
    // and values below value_bound: every product below 2^62.
    std::uint64_t amount_bound = 0;
    std::uint64_t value_bound = 0;
    std::uint64_t oracle_multiplier = 0;
    std::uint64_t initial_multiplier = 0;
    std::uint64_t liability_multiplier = 0;
    std::array<std::uint64_t, 4> weight_multiplier{};  // asset initial, maintenance; liability initial, maintenance
    book_detail::Divisor price_divisor;
    book_detail::Divisor weight_divisor;
  };

  struct SubAccountInfo {
    SubAccountId id;
    AccountId owner;
    MarginMode mode = MarginMode::cross;
    GroupIndex group = 0;
    std::vector<std::uint32_t> positions;  // slot indices, by market index
    std::vector<std::uint32_t> balances;   // slot indices, by asset index
  };


  // A fill's effect, computed without changing anything (pre_trade) and then booked (apply_fill).
  struct FillPlan {
    bool ok = false;
    bool reduces_risk = false;
    bool option = false;
    std::uint32_t sub = 0;
    std::uint32_t market = 0;
    std::int64_t position_slot = -1;  // -1: a new slot
    market::Position position;        // after the fill
    std::int64_t exposure = 0;
    bool exposure_ok = true;
    std::int64_t charged_basis = 0;  // of the position after the fill (funding settled: its cost basis)
    PositionContribution position_after;
    struct BalanceChange {
      std::uint32_t asset = 0;
      std::int64_t slot = -1;  // -1: a new slot
      std::int64_t amount = 0;  // after the fill
      BalanceContribution after;
    };
    BalanceChange balances[2];
    int balance_count = 0;
  };

  PositionContribution position_contribution(const MarketTick& tick, std::uint32_t market,
                                             std::int64_t exposure, std::int64_t charged_basis) const;
  BalanceContribution balance_contribution(const AssetTick& tick, std::uint32_t asset,
                                           std::int64_t amount, bool counts) const;
  static bool narrow_balance(const AssetTick& tick, std::int64_t amount, bool counts, BalanceContribution& out);
  [[gnu::noinline]] BalanceContribution general_balance(const AssetTick& tick, std::uint32_t asset,
                                                        std::int64_t amount, bool counts) const;
  bool linear_contribution(const MarketTick& tick, std::int64_t exposure, std::int64_t charged_basis,
                           PositionContribution& out) const;
  static bool narrow_contribution(const MarketTick& tick, std::int64_t exposure, std::int64_t charged_basis,
                                  std::uint32_t pieces, PositionContribution& out);
  [[gnu::noinline]] bool wide_contribution(const MarketTick& tick, std::int64_t exposure, std::int64_t charged_basis,
                                           PositionContribution& out) const;
  PositionContribution slot_contribution(const MarketTick& tick, const PositionSlot& slot) const;
  PositionContribution slot_contribution(std::uint32_t slot) const;  // at the current tick
  [[gnu::noinline]] PositionContribution general_contribution(const MarketTick& tick, const PositionSlot& slot) const;
  // Marks a settle_weighted_net slot's contribution, not ok when its net collateral overflows.
  void set_net(PositionContribution& c) const;
  std::uint8_t market_flags(std::uint32_t market) const;  // kOptionSlot or kNetSlot or 0
  template <typename Sums>
  void compute_balance(std::uint32_t slot, Sums& sums);
  // A group's screen note (reprice()'s Screening): 16 bytes, apart from the sums, so that the
  // screen reads no more and writes nothing for a group it skips. A group is stale when its note
  // refers to an older recompute than the last (stale()): every recompute notes each group it
  // computes, and set_holdings() and apply_fill() clear the note (generation 0).
  struct alignas(16) Screen {
    float safe_fraction = -1.0F;  // < 0: never skipped
    std::uint32_t generation = 0;  // the recompute whose prices it is relative to; 0: none
    std::uint32_t market_mask = 0;  // bit m % 32 of each market it holds (funding moves)
    std::uint32_t reserved = 0;
  };
  // What a screened recompute compares each note with, per generation slot.
  struct ScreenPass {
    std::array<std::uint32_t, kScreenGenerations> generation{};
    std::array<double, kScreenGenerations> move{};  // largest relative price move since it
    std::array<std::uint32_t, kScreenGenerations> funding_moved{};  // market bits
    bool skips(const Screen& screen) const;
  };
  ScreenPass screen_pass() const;  // against the current prices
  void note_generation();          // a new generation at the current prices
  // The group's screen from an exact plain recompute's figures and its sensitivity: `gross`,
  // plus `tier_notional` at the steepest tier slope.
  Screen make_screen(int128 equity, int128 maintenance_collateral, int128 negative_pnl,
                     int128 maintenance_requirement, detail::uint128 gross, std::uint64_t tier_notional,
                     std::uint32_t slots, std::uint32_t mask) const;
  void make_current(GroupIndex group);  // set_holdings(): the group's note and staleness

  // Appends the at_risk() groups to `at_risk` when it is not null. kPieces: piece_count_ when
  // it is known at compile time (a loop per slot fewer), else 0. `pass`: skip what it clears.
  template <std::uint32_t kPieces>
  void recompute_groups(GroupIndex first, GroupIndex last, std::vector<AtRisk>* at_risk, const ScreenPass* pass,
                        std::size_t& skipped);
  void recompute(unsigned threads, std::vector<AtRisk>* at_risk, const ScreenPass* pass = nullptr);
  // The recompute's chunks: contiguous group ranges of about equal slot counts, ascending.
  std::vector<GroupIndex> chunk_bounds(unsigned threads) const;
  // Where a chunk's at-risk groups lie: [begin, end) of its thread's list.
  struct ChunkRun {
    unsigned thread = 0;
    std::size_t begin = 0;
    std::size_t end = 0;
  };
  // The threads' lists joined in chunk order, with the groups of tail slots judged again.
  void collect_at_risk(std::span<const std::vector<AtRisk>> lists, std::span<const ChunkRun> runs,
                       std::vector<AtRisk>& at_risk) const;
  void judge(GroupIndex group, std::vector<AtRisk>& at_risk) const;  // appends it when at_risk()
  // at_risk() and maintenance_figures() of a group whose sums are these (the recompute's own,
  // before they reach memory).
  [[gnu::always_inline]] inline std::optional<MaintenanceFigures> judge_sums(const GroupSums& sums,
                                                                            const NetTotals& nets) const;
  MaintenanceFigures maintenance_figures(const GroupSums& sums, const NetTotals& nets) const;
  // Sums whose figures are ok for certain and follow from the maintenance side alone: no
  // options, nets or bad slots, every sum far inside Money's range.
  [[gnu::always_inline]] inline bool plain(const GroupSums& sums) const;
  MaintenanceFigures plain_maintenance(const GroupSums& sums) const;  // for plain() sums
  // Whether the group holds options, from option_groups_.
  bool holds_options(GroupIndex group) const { return (option_groups_[group / 64] >> (group % 64) & 1) != 0; }
  // Whether the group holds slots opened after the layout (the recompute adds them after the
  // threads join, so its sensitivity is not the threads' to note: never skipped).
  bool holds_tail(GroupIndex group) const { return (tail_groups_[group / 64] >> (group % 64) & 1) != 0; }
  void mark_tail(GroupIndex group) { tail_groups_[group / 64] |= std::uint64_t{1} << (group % 64); }
  void mark_options(GroupIndex group);  // option_groups_ from the group's options count
  void refresh_group(GroupIndex group);  // from scratch: slots and sums (or evaluate())
  void evaluate_group(GroupIndex group);
  bool report(GroupIndex group, ChangedGroups& changed);
  void prefetch_group(GroupIndex group) const;  // true the first time this tick
  void set_market_tick(std::uint32_t market);
  // The slot's charged basis and overflow flag from its position and its market's index.
  void set_charged_basis(PositionSlot& slot, const market::Position& position) const;
  void set_narrow(MarketTick& tick) const;
  void set_asset_tick(std::uint32_t asset);
  void set_narrow_balance(std::uint32_t asset);
  FillPlan plan_fill(const market::Fill& fill) const;
  // A new slot of a sub-account (index into subs_) at the tail; returns its index.
  std::uint32_t open_position_slot(std::uint32_t sub, std::uint32_t market);
  std::uint32_t open_balance_slot(std::uint32_t sub, std::uint32_t asset);
  void set_position_slot(std::uint32_t slot, const market::Position& position);
  BookFigures figures(const GroupSums& sums, const NetTotals& nets) const;
  // The group's settle_weighted_net sums: nets_[group], or an all-zero stand-in when no market
  // counts that way (nothing then writes it).
  NetTotals& nets_of(GroupIndex group) { return has_net_ ? nets_[group] : no_nets_; }
  const NetTotals& nets_of(GroupIndex group) const { return has_net_ ? nets_[group] : no_nets_; }

 public:
  // Where a settle_weighted_net contribution goes: a group's net sums, at the settle weights.
  struct NetSink {
    NetTotals* nets;
    const SettleWeights* settle;
  };

 private:
  NetSink sink(GroupIndex group) { return {&nets_of(group), &settle_}; }
  NetSink sink(NetTotals& nets) const { return {&nets, &settle_}; }
  std::int64_t balance_amount(std::uint32_t sub, std::uint32_t asset, std::int64_t* slot) const;

  RiskConfig config_;
  PriceBook prices_;  // aligned with config_.markets; assets aligned with AssetTick::price_entry
  std::uint32_t quote_ = 0;  // asset index of the quote

  std::vector<MarketTick> markets_;
  std::vector<AssetTick> assets_;
  std::vector<std::vector<std::uint32_t>> market_slots_;   // ascending slot indices
  std::vector<std::vector<std::uint32_t>> asset_slots_;    // ascending slot indices
  std::vector<std::vector<std::uint32_t>> option_markets_;  // per asset: option markets on it
  std::vector<std::uint64_t> size_limit_;  // per market: MarketTick::fixed_limit of a √size rule
  std::uint32_t piece_count_ = 1;          // the most pieces any market's tick uses
  SettleWeights settle_;                   // settle_weights(config_)
  bool has_net_ = false;                   // a market counts settle_weighted_net

  std::vector<PositionSlot> positions_;
  std::vector<market::Position> position_state_;  // cold
  std::vector<std::uint32_t> position_sub_;        // cold
  std::vector<BalanceSlot> balances_;
  std::vector<std::uint32_t> balance_sub_;  // cold

  std::vector<GroupSums> groups_;
  // A bit per group: its options count is not 0. The full recompute reads this rather than the
  // records it writes whole past the cache (stream() in book.cpp); fills keep it current.
  std::vector<std::uint64_t> option_groups_;
  std::vector<std::uint64_t> tail_groups_;  // a bit per group: holds_tail()
  std::vector<NetTotals> nets_;  // per group when has_net_, else empty
  NetTotals no_nets_;
  std::vector<std::uint32_t> group_position_begin_;  // size groups + 1, over the laid-out region
  std::vector<std::uint32_t> group_balance_begin_;
  std::vector<std::uint32_t> group_sub_begin_;  // size groups + 1, into group_subs_
  std::vector<std::uint32_t> group_subs_;
  std::vector<SubAccountId> group_sub_ids_;  // subs_[group_subs_[i]].id: sub_accounts()'s span
  std::uint32_t laid_out_positions_ = 0;  // slots below this are in group order; the rest: tail
  std::uint32_t laid_out_balances_ = 0;

  std::vector<SubAccountInfo> subs_;
  std::vector<std::pair<SubAccountId, std::uint32_t>> sub_index_;  // sorted by id
  std::uint32_t epoch_ = 0;

  std::vector<Screen> screens_;  // per group
  std::array<PriceBook, kScreenGenerations> screen_prices_;  // by generation % kScreenGenerations
  double tier_slope_ = 0.0;  // the steepest tier's maintenance rate plus its latency add-on
  std::uint32_t generation_ = 0;  // the last exact recompute's
  std::size_t stale_count_ = 0;
};

}  // namespace ballast::margin
