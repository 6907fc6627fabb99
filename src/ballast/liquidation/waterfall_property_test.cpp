// Properties of the bankruptcy waterfall and ADL on random inputs:
// - the insurance fund pays no more than any cap's room or its balance above the floor, the
//   buckets sum to the shortfall exactly, and the fund pays all it may (a bound is named whenever
//   something is left);
// - socialize_loss charges sum to the loss exactly, each within one micro-unit of its exact share;
//   socialize_per_unit charges each cover their exact share and exceed the loss by the surplus;
// - rank_adl queues only profitable, solvent positions on the needed side, never offers more than a
//   position holds, puts every unhedged part before any hedged one and orders by the score,
//   recomputed here independently in 128 bits, and for scores too large for that, against an
//   exact comparison by continued fractions (no products at all);
// - plan_adl closes whole lots, never more than a counterparty holds, pays cash in the direction
//   of its side rounded against it, and leaves something uncovered only when the queue ran dry.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

#include "ballast/liquidation/adl.hpp"
#include "ballast/liquidation/waterfall.hpp"

namespace ballast::liquidation {
namespace {

Money gen_money(std::int64_t lo, std::int64_t hi) { return Money::from_raw(*rc::gen::inRange<std::int64_t>(lo, hi)); }

std::int64_t room(Money cap, Money used) { return std::max<std::int64_t>(0, cap.raw() - used.raw()); }

RC_GTEST_PROP(WaterfallProperties, InsuranceWithinEveryBoundAndBucketsExact, ()) {
  constexpr std::int64_t kMax = 1'000'000'000'000'000;  // $1e9
  const Money shortfall = gen_money(1, kMax);
  const Money balance = gen_money(0, kMax);
  const InsuranceCaps caps{.per_account_window = gen_money(0, kMax), .per_event = gen_money(0, kMax),
                           .keep_minimum = gen_money(0, kMax / 100)};
  const InsuranceUse use{.used_by_account_in_window = gen_money(0, kMax), .used_in_event = gen_money(0, kMax)};
  const WaterfallPlan plan = plan_waterfall(shortfall, balance, caps, use);
  RC_ASSERT(plan.status == WaterfallStatus::ok);
  RC_ASSERT(plan.from_insurance.raw() + plan.remaining.raw() == shortfall.raw());
  RC_ASSERT(plan.from_insurance.raw() >= 0);
  const std::int64_t balance_room = room(balance, caps.keep_minimum);
  const std::int64_t account_room = room(caps.per_account_window, use.used_by_account_in_window);
  const std::int64_t event_room = room(caps.per_event, use.used_in_event);
  RC_ASSERT(plan.from_insurance.raw() <= balance_room);
  RC_ASSERT(plan.from_insurance.raw() <= account_room);
  RC_ASSERT(plan.from_insurance.raw() <= event_room);
  if (plan.remaining.is_zero()) {
    RC_ASSERT(plan.limits == insurance_not_limited);
  } else {
    // Whatever is left, some named bound is exactly what the fund paid.
    RC_ASSERT(plan.limits != insurance_not_limited);
    RC_ASSERT(((plan.limits & insurance_limit_balance) != 0) == (balance_room == plan.from_insurance.raw()));
    RC_ASSERT(((plan.limits & insurance_limit_account_cap) != 0) == (account_room == plan.from_insurance.raw()));
    RC_ASSERT(((plan.limits & insurance_limit_event_cap) != 0) == (event_room == plan.from_insurance.raw()));
  }
}

// Holders with distinct ids in random order; weights often zero or tiny so remainders tie.
std::vector<Holder> gen_holders() {
  const auto count = *rc::gen::inRange<std::size_t>(1, 40);
  const std::int64_t max_weight = *rc::gen::element<std::int64_t>(3, 1'000, 1'000'000'000'000);
  std::vector<Holder> holders;
  for (std::size_t i = 0; i < count; ++i) {
    holders.push_back({SubAccountId{i * 7 % 41}, Quantity::from_raw(*rc::gen::inRange<std::int64_t>(0, max_weight))});
  }
  if (std::all_of(holders.begin(), holders.end(), [](const Holder& h) { return h.weight.is_zero(); })) {
    holders.front().weight = Quantity::from_raw(1);
  }
  return holders;
}

int128 weight_sum(const std::vector<Holder>& holders) {
  int128 total = 0;
  for (const Holder& h : holders) {
    total += h.weight.raw();
  }
  return total;
}

RC_GTEST_PROP(WaterfallProperties, SocializedChargesSumToTheLossWithinOneUnit, ()) {
  const std::vector<Holder> holders = gen_holders();
  const Money loss = *rc::gen::arbitrary<bool>() ? gen_money(0, 100) : gen_money(0, 1'000'000'000'000'000);
  const Socialization out = socialize_loss(loss, holders);
  RC_ASSERT(out.status == SocializeStatus::ok);
  RC_ASSERT(out.charges.size() == holders.size());
  const int128 total_weight = weight_sum(holders);
  int128 charged = 0;
  for (std::size_t i = 0; i < holders.size(); ++i) {
    // |charge − loss·w/W| < 1  ⇔  |charge·W − loss·w| < W
    const int128 gap = static_cast<int128>(out.charges[i].raw()) * total_weight -
                       static_cast<int128>(loss.raw()) * holders[i].weight.raw();
    RC_ASSERT((gap < 0 ? -gap : gap) < total_weight);
    RC_ASSERT(out.charges[i].raw() >= 0);
    charged += out.charges[i].raw();
  }
  RC_ASSERT(charged == static_cast<int128>(loss.raw()));
}

RC_GTEST_PROP(WaterfallProperties, PerUnitChargesCoverEachShareAndNameTheSurplus, ()) {
  const std::vector<Holder> holders = gen_holders();
  const Money loss = gen_money(0, 1'000'000'000'000);
  const PerUnitSocialization out = socialize_per_unit(loss, holders);
  if (out.status == SocializeStatus::overflow) {
    return;  // a tiny total weight: the rate leaves Price's range, which the engine must refuse
  }
  RC_ASSERT(out.status == SocializeStatus::ok);
  const int128 total_weight = weight_sum(holders);
  int128 charged = 0;
  for (std::size_t i = 0; i < holders.size(); ++i) {
    RC_ASSERT(static_cast<int128>(out.charges[i].raw()) * total_weight >=
              static_cast<int128>(loss.raw()) * holders[i].weight.raw());
    charged += out.charges[i].raw();
  }
  RC_ASSERT(out.surplus.raw() >= 0);
  RC_ASSERT(charged == static_cast<int128>(loss.raw()) + out.surplus.raw());
}

// ---------------------------------------------------------------------------------------------
// ADL

struct AdlCase {
  std::vector<AdlCandidate> candidates{};
  AdlRanking ranking;
  Side side;
  Quantity lot;
};

AdlCase gen_adl_case() {
  AdlCase c{.ranking = *rc::gen::element(AdlRanking::pnl_leverage, AdlRanking::hedge_aware),
            .side = *rc::gen::element(Side::long_side, Side::short_side),
            .lot = Quantity::from_raw(*rc::gen::element<std::int64_t>(1, 1'000, 1'000'000))};
  const auto count = *rc::gen::inRange<std::size_t>(0, 30);
  const std::int64_t lot = c.lot.raw();
  for (std::size_t i = 0; i < count; ++i) {
    // Ids from a small range, so that equal ids (ordered by index) occur too.
    c.candidates.push_back(
        {.id = {*rc::gen::inRange<std::uint64_t>(0, 12)},
         .size = Quantity::from_raw(*rc::gen::inRange<std::int64_t>(-50, 51) * lot),
         .unrealized_pnl = gen_money(-1'000'000'000, 1'000'000'000),
         .equity = gen_money(-1'000'000'000, 10'000'000'000),
         .hedge = Quantity::from_raw(*rc::gen::inRange<std::int64_t>(-60 * lot, 60 * lot + 1))});
  }
  return c;
}

bool on_needed_side(const AdlCase& c, const AdlCandidate& cand) {
  return c.side == Side::long_side ? cand.size.raw() > 0 : cand.size.raw() < 0;
}

std::int64_t abs64(std::int64_t v) { return v < 0 ? -v : v; }

// The test's own unhedged part: how much of |size| the hedge leaves exposed.
std::int64_t unhedged(const AdlCandidate& c) {
  if (c.hedge.raw() == 0 || (c.hedge.raw() > 0) == (c.size.raw() > 0)) {
    return abs64(c.size.raw());
  }
  return std::max<std::int64_t>(0, abs64(c.size.raw()) - abs64(c.hedge.raw()));
}

// The score of a slot's part, as numerator and denominator in 128 bits (small inputs here).
struct Fraction {
  int128 num;
  int128 den;
};

Fraction slot_score(const AdlCandidate& c, const AdlSlot& slot, AdlRanking ranking) {
  const std::int64_t size = abs64(c.size.raw());
  const std::int64_t part = ranking == AdlRanking::pnl_leverage ? size
                            : slot.hedged                       ? size - unhedged(c)
                                                                : unhedged(c);
  return {static_cast<int128>(c.unrealized_pnl.raw()) * part, static_cast<int128>(size) * c.equity.raw()};
}

void check_queue(const AdlCase& c, const AdlQueue& queue) {
  std::map<std::uint32_t, std::int64_t> offered;
  for (std::size_t k = 0; k < queue.slots.size(); ++k) {
    const AdlSlot& slot = queue.slots[k];
    const AdlCandidate& cand = c.candidates.at(slot.candidate);
    RC_ASSERT(slot.id == cand.id);
    RC_ASSERT(on_needed_side(c, cand) && cand.unrealized_pnl.raw() > 0 && cand.equity.raw() > 0);
    RC_ASSERT(slot.capacity.raw() > 0 && slot.capacity.raw() % c.lot.raw() == 0);
    RC_ASSERT(c.ranking == AdlRanking::hedge_aware || !slot.hedged);
    if (!slot.hedged) {
      RC_ASSERT(slot.capacity.raw() <= unhedged(cand) || c.ranking == AdlRanking::pnl_leverage);
    }
    offered[slot.candidate] += slot.capacity.raw();
    if (k == 0) {
      continue;
    }
    const AdlSlot& prev = queue.slots[k - 1];
    RC_ASSERT(!prev.hedged || slot.hedged);  // every unhedged part first
    if (prev.hedged == slot.hedged) {
      const Fraction a = slot_score(c.candidates[prev.candidate], prev, c.ranking);
      const Fraction b = slot_score(cand, slot, c.ranking);
      const int128 lhs = a.num * b.den;
      const int128 rhs = b.num * a.den;
      RC_ASSERT(lhs >= rhs);
      if (lhs == rhs) {
        RC_ASSERT(prev.id < slot.id || (prev.id == slot.id && prev.candidate < slot.candidate));
      }
    }
  }
  // Each eligible position is offered whole (down to lots), never more.
  for (std::size_t i = 0; i < c.candidates.size(); ++i) {
    const AdlCandidate& cand = c.candidates[i];
    const bool eligible = on_needed_side(c, cand) && cand.unrealized_pnl.raw() > 0 && cand.equity.raw() > 0;
    const auto it = offered.find(static_cast<std::uint32_t>(i));
    const std::int64_t total = it == offered.end() ? 0 : it->second;
    RC_ASSERT(total == (eligible ? abs64(cand.size.raw()) : 0));  // sizes are whole lots here
  }
}

RC_GTEST_PROP(AdlProperties, QueueAndPlanNeverOvercloseOrFlip, ()) {
  const AdlCase c = gen_adl_case();
  const AdlQueue queue = rank_adl(c.candidates, c.ranking, c.side, c.lot);
  RC_ASSERT(queue.side == c.side && queue.lot == c.lot);
  check_queue(c, queue);

  const Quantity to_close = Quantity::from_raw(*rc::gen::inRange<std::int64_t>(1, 400) * c.lot.raw());
  const Price price = Price::from_raw(*rc::gen::inRange<std::int64_t>(1, 100'000'000'000'000));
  const AdlPlan plan = plan_adl(to_close, price, queue);
  RC_ASSERT(plan.status == AdlStatus::ok);
  RC_ASSERT(plan.covered.raw() + plan.uncovered.raw() == to_close.raw());
  RC_ASSERT(plan.uncovered.raw() >= 0);
  std::map<std::uint32_t, std::int64_t> closed;
  std::int64_t covered = 0;
  for (const AdlFill& fill : plan.fills) {
    RC_ASSERT(fill.closed.raw() > 0 && fill.closed.raw() % c.lot.raw() == 0);
    closed[fill.candidate] += fill.closed.raw();
    RC_ASSERT(closed[fill.candidate] <= abs64(c.candidates.at(fill.candidate).size.raw()));
    covered += fill.closed.raw();
    // closed × price in micro-units: the exact value is closed·price / 10^12.
    const int128 exact = static_cast<int128>(fill.closed.raw()) * price.raw();
    const int128 cash = fill.cash.raw();
    if (c.side == Side::long_side) {  // receives, rounded down
      RC_ASSERT(cash >= 0 && cash * 1'000'000'000'000 <= exact && exact < (cash + 1) * 1'000'000'000'000);
    } else {  // pays, rounded up
      RC_ASSERT(cash <= 0 && -cash * 1'000'000'000'000 >= exact && exact > (-cash - 1) * 1'000'000'000'000);
    }
  }
  RC_ASSERT(covered == plan.covered.raw());
  if (!plan.uncovered.is_zero()) {
    std::int64_t capacity = 0;
    for (const AdlSlot& slot : queue.slots) {
      capacity += slot.capacity.raw();
    }
    RC_ASSERT(covered == capacity);  // the queue ran dry
  }
}

// ---------------------------------------------------------------------------------------------
// The 256-bit comparison, against a reference that never multiplies: n1/d1 vs n2/d2 by their
// continued fractions (integer parts, then the reciprocals of the remainders, compared reversed).

__extension__ using uint128 = unsigned __int128;

int compare_fractions(uint128 n1, uint128 d1, uint128 n2, uint128 d2) {
  for (;;) {
    const uint128 q1 = n1 / d1;
    const uint128 q2 = n2 / d2;
    if (q1 != q2) {
      return q1 < q2 ? -1 : 1;
    }
    const uint128 r1 = n1 % d1;
    const uint128 r2 = n2 % d2;
    if (r1 == 0 || r2 == 0) {
      return r1 == r2 ? 0 : (r1 == 0 ? -1 : 1);
    }
    // r1/d1 vs r2/d2 is d2/r2 vs d1/r1.
    const uint128 old_d1 = d1;
    n1 = d2;
    d1 = r2;
    n2 = old_d1;
    d2 = r1;
  }
}

std::int64_t gen_bits() {  // a positive value of a random bit length: small and huge alike
  const int bits = *rc::gen::inRange(1, 64);
  const std::int64_t low = std::int64_t{1} << (bits - 1);
  return *rc::gen::inRange<std::int64_t>(low, bits == 63 ? INT64_MAX : low * 2);
}

// One pair of candidates, ranked hedge-aware; each tier's order checked against the reference.
void check_wide_pair() {
  const std::int64_t size = gen_bits();
  AdlCandidate a{.id = {1}, .size = Quantity::from_raw(-size), .unrealized_pnl = Money::from_raw(gen_bits()),
                 .equity = Money::from_raw(gen_bits()),
                 .hedge = Quantity::from_raw(*rc::gen::inRange<std::int64_t>(0, size))};
  // The second: independent, or a near tie of the first (one unit off, or scaled by an odd factor).
  AdlCandidate b = a;
  b.id = {2};
  const int twist = *rc::gen::inRange(0, 5);
  const auto bump = [](Money m, std::int64_t by) { return Money::from_raw(std::max<std::int64_t>(1, m.raw() + by)); };
  if (twist == 0) {
    const std::int64_t other = gen_bits();
    b.size = Quantity::from_raw(-other);
    b.unrealized_pnl = Money::from_raw(gen_bits());
    b.equity = Money::from_raw(gen_bits());
    b.hedge = Quantity::from_raw(*rc::gen::inRange<std::int64_t>(0, other));
  } else if (twist == 1 && a.unrealized_pnl.raw() < INT64_MAX / 7 && a.equity.raw() < INT64_MAX / 7) {
    b.unrealized_pnl = Money::from_raw(a.unrealized_pnl.raw() * 7);
    b.equity = bump(Money::from_raw(a.equity.raw() * 7), *rc::gen::inRange<std::int64_t>(-1, 2));
  } else {
    b.equity = bump(a.equity, *rc::gen::element<std::int64_t>(-1, 1));
    b.unrealized_pnl = bump(a.unrealized_pnl, *rc::gen::inRange<std::int64_t>(-1, 2));
  }
  const std::vector<AdlCandidate> pair{a, b};
  const AdlQueue queue = rank_adl(pair, AdlRanking::hedge_aware, Side::short_side, Quantity::from_raw(1));
  for (const bool hedged : {false, true}) {
    std::vector<const AdlSlot*> tier;
    for (const AdlSlot& slot : queue.slots) {
      if (slot.hedged == hedged) {
        tier.push_back(&slot);
      }
    }
    if (tier.size() != 2) {
      continue;
    }
    const auto score = [&](const AdlSlot& slot) {
      const AdlCandidate& c = pair[slot.candidate];
      const auto magnitude = static_cast<uint128>(-c.size.raw());
      const auto open = static_cast<uint128>(unhedged(c));
      const uint128 part = hedged ? magnitude - open : open;
      return std::pair{static_cast<uint128>(c.unrealized_pnl.raw()) * part,
                       magnitude * static_cast<uint128>(c.equity.raw())};
    };
    const auto [n1, d1] = score(*tier[0]);
    const auto [n2, d2] = score(*tier[1]);
    const int order = compare_fractions(n1, d1, n2, d2);
    RC_LOG() << "tier " << hedged << ": " << tier[0]->id.value << " then " << tier[1]->id.value << ", order "
             << order << '\n';
    RC_ASSERT(order >= 0);
    if (order == 0) {
      RC_ASSERT(tier[0]->id < tier[1]->id);
    }
  }
}

// Many pairs per case: the near ties that reach the products' lowest limbs and carries are rare.
RC_GTEST_PROP(AdlProperties, WideScoresMatchAnExactReference, ()) {
  for (int i = 0; i < 32; ++i) {
    check_wide_pair();
  }
}

}  // namespace
}  // namespace ballast::liquidation
