// Auto-deleveraging: the queue under both rankings (scores worked by hand as uPnL / equity, or
// uPnL × part / (|size| × equity) on a part), the Oct 2025 case that hedge-aware ranking exists for,
// the exact 256-bit comparison, and plan_adl's whole-lot walk with its uncovered remainder.

#include "ballast/liquidation/adl.hpp"

#include "ballast/core/random.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace ballast::liquidation {
namespace {

Money dollars(std::int64_t whole) { return *Money::from_whole(whole); }
Quantity btc_milli(std::int64_t thousandths) { return Quantity::from_raw(thousandths * 1'000'000); }
Quantity btc(std::int64_t whole) { return btc_milli(whole * 1'000); }
Price usd_per_btc(std::int64_t whole) { return *Price::from_whole(whole); }

const Quantity kLot = btc_milli(1);  // 0.001 BTC

AdlCandidate short_btc(std::uint64_t id, std::int64_t size_btc, std::int64_t pnl, std::int64_t equity,
                       std::int64_t hedge_btc = 0) {
  return {.id = {id}, .size = btc(-size_btc), .unrealized_pnl = dollars(pnl), .equity = dollars(equity),
          .hedge = btc(hedge_btc)};
}

struct SlotView {
  std::uint64_t id;
  Quantity capacity;
  bool hedged;
  friend bool operator==(const SlotView&, const SlotView&) = default;
};

std::vector<SlotView> view(const AdlQueue& queue) {
  std::vector<SlotView> out;
  for (const AdlSlot& slot : queue.slots) {
    out.push_back({slot.id.value, slot.capacity, slot.hedged});
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The 10-11 Oct 2025 crash (research/defi-engines.md (c)): Hyperliquid's first ADL in two years
// hit delta-neutral users. A long BTC-PERP is bankrupt, so shorts are deleveraged.
//   id 7  short 10 perp, long 10 spot: delta-neutral; uPnL 50,000 / equity 20,000 = 2.5
//   id 4  short 4, long 3 spot: 1 unhedged; 8,000 / 4,000 = 2; unhedged part 2 × 1/4 = 0.5,
//         hedged part 2 × 3/4 = 1.5
//   id 9  short 5, naked; 10,000 / 10,000 = 1
// PnL × leverage closes the delta-neutral account first; hedge-aware closes it last.

std::vector<AdlCandidate> october_2025() {
  return {short_btc(7, 10, 50'000, 20'000, 10), short_btc(4, 4, 8'000, 4'000, 3), short_btc(9, 5, 10'000, 10'000)};
}

TEST(AdlOctober2025, PnlLeverageHitsTheDeltaNeutralAccountFirst) {
  const AdlQueue queue = rank_adl(october_2025(), AdlRanking::pnl_leverage, Side::short_side, kLot);
  EXPECT_EQ(queue.side, Side::short_side);
  EXPECT_EQ(view(queue), (std::vector<SlotView>{{7, btc(10), false}, {4, btc(4), false}, {9, btc(5), false}}));
}

TEST(AdlOctober2025, HedgeAwarePutsItLast) {
  const AdlQueue queue = rank_adl(october_2025(), AdlRanking::hedge_aware, Side::short_side, kLot);
  EXPECT_EQ(view(queue), (std::vector<SlotView>{
                             {9, btc(5), false}, {4, btc(1), false}, {7, btc(10), true}, {4, btc(3), true}}));
  EXPECT_EQ(queue.slots[0].candidate, 2u);
}

TEST(AdlOctober2025, ClosingSixBtc) {
  // At a bankruptcy price of $60,000 each closed short buys back: 5 BTC pays 300,000, 1 BTC 60,000.
  const auto candidates = october_2025();
  const AdlPlan hedged =
      plan_adl(btc(6), usd_per_btc(60'000), rank_adl(candidates, AdlRanking::hedge_aware, Side::short_side, kLot));
  ASSERT_EQ(hedged.status, AdlStatus::ok);
  ASSERT_EQ(hedged.fills.size(), 2u);
  EXPECT_EQ(hedged.fills[0].id.value, 9u);
  EXPECT_EQ(hedged.fills[0].closed, btc(5));
  EXPECT_EQ(hedged.fills[0].cash, dollars(-300'000));
  EXPECT_EQ(hedged.fills[1].id.value, 4u);
  EXPECT_EQ(hedged.fills[1].closed, btc(1));
  EXPECT_EQ(hedged.fills[1].cash, dollars(-60'000));
  EXPECT_FALSE(hedged.fills[1].hedged);
  EXPECT_EQ(hedged.uncovered, Quantity{});

  const AdlPlan naive =
      plan_adl(btc(6), usd_per_btc(60'000), rank_adl(candidates, AdlRanking::pnl_leverage, Side::short_side, kLot));
  ASSERT_EQ(naive.fills.size(), 1u);
  EXPECT_EQ(naive.fills[0].id.value, 7u);  // the delta-neutral account's perp leg, 6 of its 10 BTC
  EXPECT_EQ(naive.fills[0].closed, btc(6));
}

// ---------------------------------------------------------------------------------------------
// Eligibility and ties

TEST(RankAdl, OnlyProfitableSolventPositionsOnTheNeededSide) {
  const std::vector<AdlCandidate> candidates{
      short_btc(1, 1, 100, 100),                                        // score 1
      {.id = {2}, .size = btc(1), .unrealized_pnl = dollars(500), .equity = dollars(100)},  // long: wrong side
      short_btc(3, 1, 0, 100),                                          // no profit
      short_btc(4, 1, -50, 100),                                        // in loss
      short_btc(5, 1, 100, 0),                                          // no equity
      short_btc(6, 1, 100, -10),                                        // negative equity
      {.id = {8}, .size = Quantity::from_raw(-999'999), .unrealized_pnl = dollars(1), .equity = dollars(1)},  // < 1 lot
      short_btc(0, 3, 300, 300),                                        // score 1: ties id 1, smaller id
  };
  const AdlQueue queue = rank_adl(candidates, AdlRanking::pnl_leverage, Side::short_side, kLot);
  EXPECT_EQ(view(queue), (std::vector<SlotView>{{0, btc(3), false}, {1, btc(1), false}}));
  const AdlQueue longs = rank_adl(candidates, AdlRanking::pnl_leverage, Side::long_side, kLot);
  EXPECT_EQ(view(longs), (std::vector<SlotView>{{2, btc(1), false}}));
}

TEST(RankAdl, ScoreComparedExactlyNotByRoundedDivision) {
  // 1,000,001 / 3,000,000 vs 1 / 3: they differ by 1 part in 3e6 × 1e6 micro-units; the larger wins.
  const std::vector<AdlCandidate> candidates{
      {.id = {1}, .size = btc(-1), .unrealized_pnl = Money::from_raw(1), .equity = Money::from_raw(3)},
      {.id = {2}, .size = btc(-1), .unrealized_pnl = Money::from_raw(1'000'001), .equity = Money::from_raw(3'000'000)}};
  const AdlQueue queue = rank_adl(candidates, AdlRanking::pnl_leverage, Side::short_side, kLot);
  EXPECT_EQ(queue.slots[0].id.value, 2u);
}

TEST(RankAdl, DuplicateIdsOrderByIndex) {
  const std::vector<AdlCandidate> candidates{short_btc(5, 2, 10, 10), short_btc(5, 1, 10, 10)};
  const AdlQueue queue = rank_adl(candidates, AdlRanking::pnl_leverage, Side::short_side, kLot);
  ASSERT_EQ(queue.slots.size(), 2u);
  EXPECT_EQ(queue.slots[0].candidate, 0u);
  EXPECT_EQ(queue.slots[1].candidate, 1u);
}

// ---------------------------------------------------------------------------------------------
// hedge_aware: the tier split

TEST(RankAdlHedgeAware, SplitRoundsTheUnhedgedPartDownToLots) {
  // Short 10 BTC: long 2.5005 spot leaves 7.4995 unhedged → 7.499 in tier 1, 2.501 in tier 2;
  // long 9.9995 leaves 0.0005, less than a lot → all 10 in tier 2.
  std::vector<AdlCandidate> candidates{short_btc(1, 10, 100, 100), short_btc(2, 10, 100, 100)};
  candidates[0].hedge = Quantity::from_raw(2'500'500'000);
  candidates[1].hedge = Quantity::from_raw(9'999'500'000);
  const AdlQueue queue = rank_adl(candidates, AdlRanking::hedge_aware, Side::short_side, kLot);
  EXPECT_EQ(view(queue), (std::vector<SlotView>{{1, btc_milli(7'499), false}, {2, btc(10), true},
                                                {1, btc_milli(2'501), true}}));
}

TEST(RankAdlHedgeAware, SameSignHedgeIsNoHedge) {
  // Short perp and short elsewhere too: the whole perp is unhedged exposure (10, not 13).
  const std::vector<AdlCandidate> candidates{short_btc(1, 10, 100, 100, -3)};
  const AdlQueue queue = rank_adl(candidates, AdlRanking::hedge_aware, Side::short_side, kLot);
  EXPECT_EQ(view(queue), (std::vector<SlotView>{{1, btc(10), false}}));
}

TEST(RankAdlHedgeAware, WideScoresCompareExactly) {
  // Round figures: parts so large that uPnL × part passes 2^64 (the 256-bit path); lot 1 nano-unit.
  //   id 2: size −6e18, hedge +2e18 → unhedged 4e18; uPnL 9e18, equity 3e18:
  //         tier 1 score 9e18·4e18 / (6e18·3e18) = 2; tier 2 9e18·2e18 / 18e36 = 1
  //   id 1: size −8e18, hedge +2e18 → unhedged 6e18; uPnL 8e18, equity 3e18 (+1 raw):
  //         tier 1 48e36 / 24e36 = 2 (a hair less with the extra unit); tier 2 16e36 / 24e36 = 2/3
  const auto make = [](std::uint64_t id, std::int64_t size, std::int64_t pnl, std::int64_t equity, std::int64_t hedge) {
    return AdlCandidate{.id = {id}, .size = Quantity::from_raw(-size), .unrealized_pnl = Money::from_raw(pnl),
                        .equity = Money::from_raw(equity), .hedge = Quantity::from_raw(hedge)};
  };
  const Quantity lot = Quantity::from_raw(1);
  constexpr std::int64_t kE18 = 1'000'000'000'000'000'000;
  const std::vector<AdlCandidate> tie{make(2, 6 * kE18, 9 * kE18, 3 * kE18, 2 * kE18),
                                      make(1, 8 * kE18, 8 * kE18, 3 * kE18, 2 * kE18)};
  const AdlQueue tied = rank_adl(tie, AdlRanking::hedge_aware, Side::short_side, lot);
  ASSERT_EQ(tied.slots.size(), 4u);
  EXPECT_EQ(tied.slots[0].id.value, 1u);  // equal scores: the smaller id
  EXPECT_EQ(tied.slots[2].id.value, 2u);  // tier 2: 1 before 2/3
  const std::vector<AdlCandidate> apart{make(2, 6 * kE18, 9 * kE18, 3 * kE18, 2 * kE18),
                                        make(1, 8 * kE18, 8 * kE18, 3 * kE18 + 1, 2 * kE18)};
  const AdlQueue queue = rank_adl(apart, AdlRanking::hedge_aware, Side::short_side, lot);
  EXPECT_EQ(queue.slots[0].id.value, 2u);  // 2 > 2 − ε although id 2 > id 1
  EXPECT_EQ(queue.slots[0].capacity, Quantity::from_raw(4 * kE18));

  // Ragged figures, so that every 64-bit limb and carry of the products matters. Same size S and
  // hedge H; id 5 has uPnL 3m and equity 3n + d, id 3 has 7m and 7n (scores equal at d = 0, and
  // 3 and 7 scale the limbs differently). d = 0 ties (id 3 first); d = +1 lowers id 5's score (id 3
  // first); d = −1 raises it (id 5 first).
  constexpr std::int64_t kS = 7'777'777'777'777'777'777;
  constexpr std::int64_t kH = 1'234'567'890'123'456'789;
  constexpr std::int64_t kM = 1'311'768'467'463'790'321;
  constexpr std::int64_t kN = 1'234'567'890'987'654'321;
  for (const std::int64_t d : {0, 1, -1}) {
    const std::vector<AdlCandidate> ragged{make(5, kS, 3 * kM, 3 * kN + d, kH), make(3, kS, 7 * kM, 7 * kN, kH)};
    const AdlQueue q = rank_adl(ragged, AdlRanking::hedge_aware, Side::short_side, lot);
    ASSERT_EQ(q.slots.size(), 4u);
    EXPECT_EQ(q.slots[0].id.value, d == -1 ? 5u : 3u) << "d = " << d;
    EXPECT_EQ(q.slots[2].id.value, d == -1 ? 5u : 3u) << "d = " << d;  // tier 2 orders the same way
  }
}

TEST(RankAdlHedgeAware, OverHedgedIsFullyHedged) {
  // Short 10 perp, long 15 spot: net +5, the other way from the perp: nothing is unhedged.
  const std::vector<AdlCandidate> candidates{short_btc(1, 10, 100, 100, 15)};
  const AdlQueue queue = rank_adl(candidates, AdlRanking::hedge_aware, Side::short_side, kLot);
  EXPECT_EQ(view(queue), (std::vector<SlotView>{{1, btc(10), true}}));
}

// ---------------------------------------------------------------------------------------------
// plan_adl

AdlQueue two_shorts() {
  return {.side = Side::short_side,
          .lot = btc_milli(100),
          .slots = {{.candidate = 0, .id = {3}, .capacity = btc_milli(300)},
                    {.candidate = 1, .id = {8}, .capacity = btc_milli(200)}}};
}

TEST(PlanAdl, QueueRunsOutAndReportsTheRest) {
  // 0.7 BTC against 0.3 + 0.2: both filled, 0.2 uncovered (to socialization). At $50,000:
  // 0.3 BTC pays 15,000, 0.2 pays 10,000.
  const AdlPlan plan = plan_adl(btc_milli(700), usd_per_btc(50'000), two_shorts());
  ASSERT_EQ(plan.status, AdlStatus::ok);
  ASSERT_EQ(plan.fills.size(), 2u);
  EXPECT_EQ(plan.fills[0].closed, btc_milli(300));
  EXPECT_EQ(plan.fills[0].cash, dollars(-15'000));
  EXPECT_EQ(plan.fills[1].id.value, 8u);
  EXPECT_EQ(plan.fills[1].closed, btc_milli(200));
  EXPECT_EQ(plan.fills[1].cash, dollars(-10'000));
  EXPECT_EQ(plan.covered, btc_milli(500));
  EXPECT_EQ(plan.uncovered, btc_milli(200));
}

TEST(PlanAdl, StopsInsideASlot) {
  const AdlPlan plan = plan_adl(btc_milli(400), usd_per_btc(50'000), two_shorts());
  ASSERT_EQ(plan.fills.size(), 2u);
  EXPECT_EQ(plan.fills[1].closed, btc_milli(100));
  EXPECT_EQ(plan.covered, btc_milli(400));
  EXPECT_EQ(plan.uncovered, Quantity{});
}

TEST(PlanAdl, CashRoundsAgainstTheCounterparty) {
  // 0.5 × 50,000.000000001 = 25,000.0000000005: a short pays 25,000.000001, a long receives 25,000.
  const Price price = Price::from_raw(50'000'000'000'001);
  AdlQueue queue = two_shorts();
  queue.slots[0].capacity = btc_milli(500);
  EXPECT_EQ(plan_adl(btc_milli(500), price, queue).fills[0].cash, Money::from_raw(-25'000'000'001));
  queue.side = Side::long_side;
  EXPECT_EQ(plan_adl(btc_milli(500), price, queue).fills[0].cash, dollars(25'000));
}

TEST(PlanAdl, RejectsBadInput) {
  EXPECT_EQ(plan_adl(Quantity{}, usd_per_btc(1), two_shorts()).status, AdlStatus::close_not_positive);
  EXPECT_EQ(plan_adl(btc_milli(150), usd_per_btc(1), two_shorts()).status, AdlStatus::close_off_lot);
  EXPECT_EQ(plan_adl(btc_milli(100), Price{}, two_shorts()).status, AdlStatus::price_not_positive);
  EXPECT_EQ(plan_adl(btc_milli(100), Price::from_raw(INT64_MAX), two_shorts()).status, AdlStatus::ok);  // 9.2e8 fits
  AdlQueue huge = two_shorts();
  huge.slots[0].capacity = btc(9'000'000);
  EXPECT_EQ(plan_adl(btc(9'000'000), Price::from_raw(INT64_MAX), huge).status, AdlStatus::overflow);
  EXPECT_STREQ(adl_status_name(AdlStatus::close_off_lot), "close_off_lot");
  EXPECT_STREQ(adl_ranking_name(AdlRanking::hedge_aware), "hedge_aware");
}

// ---------------------------------------------------------------------------------------------
// AdlRanker gives rank_adl's queue slot by slot. Seeded random candidates (core/random.hpp) on both
// sides, with few distinct sizes, PnLs and equities so that ties (broken by id, then index, with
// repeated ids) and equal scores from different numbers (2/4 and 3/6) are common, and hedges
// either way: for both rankings and both sides, every slot in the same order.
std::vector<AdlCandidate> random_candidates(std::uint64_t seed) {
  CounterRng rng(seed, 0);
  std::vector<AdlCandidate> candidates(200 + rng.below(300));
  for (AdlCandidate& c : candidates) {
    const auto size = static_cast<std::int64_t>(1 + rng.below(8)) * 250;
    c = {.id = {rng.below(150)},
         .size = btc_milli(rng.below(2) == 0 ? size : -size),
         .unrealized_pnl = dollars(static_cast<std::int64_t>(rng.below(12)) - 2),
         .equity = dollars(static_cast<std::int64_t>(rng.below(12)) - 2),
         .hedge = btc_milli(static_cast<std::int64_t>(rng.below(9)) * 250 - 1'000)};
  }
  return candidates;
}

TEST(AdlRanker, GivesRankAdlsQueueSlotBySlot) {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    const std::vector<AdlCandidate> candidates = random_candidates(seed);
    for (const AdlRanking ranking : {AdlRanking::pnl_leverage, AdlRanking::hedge_aware}) {
      for (const Side side : {Side::long_side, Side::short_side}) {
        const AdlQueue full = rank_adl(candidates, ranking, side, kLot);
        AdlQueue lazy{.side = side, .lot = kLot};
        AdlRanker ranker(candidates, ranking, side, kLot);
        for (AdlSlot slot; ranker.next(slot);) lazy.slots.push_back(slot);
        ASSERT_FALSE(full.slots.empty());
        ASSERT_EQ(view(lazy), view(full)) << "seed " << seed;
        for (std::size_t i = 0; i < full.slots.size(); ++i) {
          ASSERT_EQ(lazy.slots[i].candidate, full.slots[i].candidate) << "seed " << seed << " slot " << i;
        }
      }
    }
  }
}

}  // namespace
}  // namespace ballast::liquidation
