#include "ballast/liquidation/adl.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>

#include "ballast/core/assert.hpp"

namespace ballast::liquidation {
namespace {

__extension__ using uint128 = unsigned __int128;

constexpr uint128 kU64Max = std::numeric_limits<std::uint64_t>::max();

// a × b as a 256-bit number (hi, lo), compared lexicographically.
struct Wide {
  uint128 hi = 0;
  uint128 lo = 0;
  friend constexpr auto operator<=>(const Wide&, const Wide&) = default;
};

Wide mul_wide(uint128 a, uint128 b) {
  const uint128 a0 = a & kU64Max;
  const uint128 a1 = a >> 64;
  const uint128 b0 = b & kU64Max;
  const uint128 b1 = b >> 64;
  const uint128 low = a0 * b0;
  const uint128 cross_a = a0 * b1;
  const uint128 cross_b = a1 * b0;
  // Three terms below 2^64 each: no overflow.
  const uint128 middle = (low >> 64) + (cross_a & kU64Max) + (cross_b & kU64Max);
  return {.hi = a1 * b1 + (cross_a >> 64) + (cross_b >> 64) + (middle >> 64),
          .lo = (middle << 64) | (low & kU64Max)};
}

// A positive rational score num / den (both > 0 for eligible parts).
struct Score {
  uint128 num = 0;
  uint128 den = 1;
};

// The sign of a − b, exactly: a.num × b.den against b.num × a.den, in 128 bits when both products
// fit and in 256 bits otherwise.
int compare_exact(const Score& a, const Score& b) {
  uint128 left = 0;
  uint128 right = 0;
  if (!__builtin_mul_overflow(a.num, b.den, &left) && !__builtin_mul_overflow(b.num, a.den, &right)) {
    return left == right ? 0 : (left > right ? 1 : -1);
  }
  const Wide wide_left = mul_wide(a.num, b.den);
  const Wide wide_right = mul_wide(b.num, a.den);
  return wide_left == wide_right ? 0 : (wide_left > wide_right ? 1 : -1);
}

// |raw| (2^63 for INT64_MIN fits too). Sizes, parts and lots stay in 64 bits: 128-bit division is a
// library call, and the ranking does one per slot.
std::uint64_t magnitude(std::int64_t raw) {
  const auto bits = static_cast<std::uint64_t>(raw);
  return raw < 0 ? 0 - bits : bits;
}

bool on_side(Quantity size, Side side) { return side == Side::long_side ? size.raw() > 0 : size.raw() < 0; }

// The part of the position its hedge does not offset: sign(size) × (size + hedge), within
// [0, |size|]. Exact in 128 bits.
std::uint64_t unhedged_part(const AdlCandidate& c) {
  const int128 net = static_cast<int128>(c.size.raw()) + c.hedge.raw();
  const int128 along = c.size.raw() > 0 ? net : -net;
  if (along <= 0) {
    return 0;
  }
  const std::uint64_t size = magnitude(c.size.raw());
  return along >= size ? size : static_cast<std::uint64_t>(along);
}

// What one slot of a candidate scores on and may close. pnl_leverage: the whole position.
// hedge_aware: the unhedged part (its capacity rounded down to lots) or the hedged rest.
struct Part {
  std::uint64_t scored = 0;    // the exact part the score is taken on
  std::uint64_t capacity = 0;  // whole lots
};

Part slot_part(const AdlCandidate& c, AdlRanking ranking, bool hedged, std::uint64_t lot) {
  const std::uint64_t size = magnitude(c.size.raw());
  const std::uint64_t whole = size / lot * lot;
  if (ranking == AdlRanking::pnl_leverage) {
    return {.scored = size, .capacity = whole};
  }
  const std::uint64_t open = unhedged_part(c);
  const std::uint64_t first_tier = open / lot * lot;
  return hedged ? Part{.scored = size - open, .capacity = whole - first_tier}
                : Part{.scored = open, .capacity = first_tier};
}

// uPnL × part / (|size| × equity); a whole position reduces to uPnL / equity.
Score part_score(const AdlCandidate& c, std::uint64_t part) {
  const auto pnl = uint128(c.unrealized_pnl.raw());
  const auto equity = uint128(c.equity.raw());
  const std::uint64_t size = magnitude(c.size.raw());
  if (part == size) {
    return {.num = pnl, .den = equity};
  }
  return {.num = pnl * part, .den = size * equity};
}

// AdlEntry, one queue entry while sorting, is kept small (32 bytes) and holds all its slot needs, so
// that the sort and the queue never reach back into the candidates in random order (but for near
// ties). `approx` is the score in double, a filter only: num and den each convert with a relative error of at most
// 2^-53 and the quotient adds one more, so approx is within 2^-51 of the exact score, relatively.
// Two approximations further apart than kFilterMargin (far above that) order their scores exactly
// as the exact comparison would; closer pairs (ties, near ties) are compared exactly. The order is
// the exact one either way: the double never decides anything on its own.
using Entry = AdlEntry;

constexpr double kFilterMargin = 1e-12;

class EntryOrder {
 public:
  EntryOrder(std::span<const AdlCandidate> candidates, AdlRanking ranking, std::uint64_t lot)
      : candidates_(candidates), ranking_(ranking), lot_(lot) {}

  Score exact(const Entry& e) const {
    const AdlCandidate& c = candidates_[e.candidate];
    return part_score(c, slot_part(c, ranking_, e.hedged, lot_).scored);
  }

  // Every unhedged part first; then score, higher first; then id, then index.
  bool operator()(const Entry& a, const Entry& b) const {
    if (a.hedged != b.hedged) {
      return !a.hedged;
    }
    if (a.approx > b.approx * (1 + kFilterMargin)) {
      return true;
    }
    if (b.approx > a.approx * (1 + kFilterMargin)) {
      return false;
    }
    const int order = compare_exact(exact(a), exact(b));
    if (order != 0) {
      return order > 0;
    }
    return a.id != b.id ? a.id < b.id : a.candidate < b.candidate;
  }

 private:
  std::span<const AdlCandidate> candidates_;
  AdlRanking ranking_;
  std::uint64_t lot_;
};

void add_entry(std::vector<Entry>& entries, const AdlCandidate& c, std::uint32_t index, const Part& part,
               bool hedged) {
  if (part.capacity == 0) {
    return;
  }
  const Score score = part_score(c, part.scored);
  entries.push_back({.approx = static_cast<double>(score.num) / static_cast<double>(score.den),
                     .id = c.id,
                     .capacity = part.capacity,
                     .candidate = index,
                     .hedged = hedged});
}

// Every eligible candidate's entries (one slot each, two with hedge_aware), unordered.
std::vector<Entry> entries_of(std::span<const AdlCandidate> candidates, AdlRanking ranking, Side needed,
                              std::uint64_t lot) {
  BALLAST_ASSERT(lot > 0);
  BALLAST_ASSERT(candidates.size() <= std::numeric_limits<std::uint32_t>::max());
  std::vector<Entry> entries;
  entries.reserve(candidates.size());
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const AdlCandidate& c = candidates[i];
    if (!on_side(c.size, needed) || c.unrealized_pnl.raw() <= 0 || c.equity.raw() <= 0) {
      continue;
    }
    const auto index = static_cast<std::uint32_t>(i);
    add_entry(entries, c, index, slot_part(c, ranking, false, lot), false);
    if (ranking == AdlRanking::hedge_aware) {
      add_entry(entries, c, index, slot_part(c, ranking, true, lot), true);
    }
  }
  return entries;
}

// A max-heap under "ranks later" has at its top the entry that ranks first.
struct RanksLater {
  EntryOrder first;
  bool operator()(const Entry& a, const Entry& b) const { return first(b, a); }
};

AdlSlot slot_of(const Entry& e) {
  return {.candidate = e.candidate,
          .id = e.id,
          .capacity = Quantity::from_raw(static_cast<std::int64_t>(e.capacity)),
          .hedged = e.hedged};
}

}  // namespace

AdlRanker::AdlRanker(std::span<const AdlCandidate> candidates, AdlRanking ranking, Side needed, Quantity lot)
    : candidates_(candidates),
      ranking_(ranking),
      lot_(static_cast<std::uint64_t>(lot.raw())),
      heap_(entries_of(candidates, ranking, needed, lot_)) {
  std::make_heap(heap_.begin(), heap_.end(), RanksLater{EntryOrder(candidates_, ranking_, lot_)});
}

bool AdlRanker::next(AdlSlot& slot) {
  if (heap_.empty()) {
    return false;
  }
  std::pop_heap(heap_.begin(), heap_.end(), RanksLater{EntryOrder(candidates_, ranking_, lot_)});
  slot = slot_of(heap_.back());
  heap_.pop_back();
  return true;
}

const char* adl_ranking_name(AdlRanking ranking) noexcept {
  switch (ranking) {
    case AdlRanking::pnl_leverage: return "pnl_leverage";
    case AdlRanking::hedge_aware: return "hedge_aware";
  }
  return "unknown";
}

const char* adl_status_name(AdlStatus status) noexcept {
  switch (status) {
    case AdlStatus::ok: return "ok";
    case AdlStatus::close_not_positive: return "close_not_positive";
    case AdlStatus::close_off_lot: return "close_off_lot";
    case AdlStatus::price_not_positive: return "price_not_positive";
    case AdlStatus::overflow: return "overflow";
  }
  return "unknown";
}

AdlQueue rank_adl(std::span<const AdlCandidate> candidates, AdlRanking ranking, Side needed, Quantity lot) {
  BALLAST_ASSERT(lot.raw() > 0);
  const auto lot_raw = static_cast<std::uint64_t>(lot.raw());
  std::vector<Entry> entries = entries_of(candidates, ranking, needed, lot_raw);
  std::sort(entries.begin(), entries.end(), EntryOrder(candidates, ranking, lot_raw));
  AdlQueue queue{.side = needed, .lot = lot};
  queue.slots.reserve(entries.size());
  for (const Entry& e : entries) {
    queue.slots.push_back(slot_of(e));
  }
  return queue;
}

AdlPlan plan_adl(Quantity to_close, Price bankruptcy_price, const AdlQueue& queue) {
  BALLAST_ASSERT(queue.lot.raw() > 0);
  if (to_close.raw() <= 0) {
    return {.status = AdlStatus::close_not_positive};
  }
  if (to_close.raw() % queue.lot.raw() != 0) {
    return {.status = AdlStatus::close_off_lot};
  }
  if (bankruptcy_price.raw() <= 0) {
    return {.status = AdlStatus::price_not_positive};
  }
  // A long counterparty sells (receives, rounded down); a short one buys back (pays, rounded up).
  const bool receives = queue.side == Side::long_side;
  AdlPlan plan;
  std::int64_t left = to_close.raw();
  for (const AdlSlot& slot : queue.slots) {
    if (left == 0) {
      break;
    }
    const std::int64_t take = std::min(left, slot.capacity.raw() / queue.lot.raw() * queue.lot.raw());
    if (take == 0) {
      continue;
    }
    const auto value = notional(Quantity::from_raw(take), bankruptcy_price, receives ? Round::down : Round::up);
    if (!value) {
      return {.status = AdlStatus::overflow};
    }
    plan.fills.push_back({.candidate = slot.candidate,
                          .id = slot.id,
                          .closed = Quantity::from_raw(take),
                          .cash = receives ? *value : Money::from_raw(-value->raw()),
                          .hedged = slot.hedged});
    left -= take;
  }
  plan.covered = Quantity::from_raw(to_close.raw() - left);
  plan.uncovered = Quantity::from_raw(left);
  return plan;
}

}  // namespace ballast::liquidation
