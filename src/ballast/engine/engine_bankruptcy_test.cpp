// The bankruptcy waterfall in the engine (issue 6, item 4; bankruptcy.hpp): a resolve_bankruptcy
// event closes a group with negative equity at the mark against the ADL queue, the insurance fund
// pays within its caps, the rest goes to the ADL counterparties or the markets' holders, and
// withdrawals are gated for a minute. Every figure is worked by hand on margin_venue.hpp's venue
// (BTC perpetual, 10% initial / 5% maintenance, lots of 0.001) with the default rules unless a
// test says otherwise.

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "ballast/core/random.hpp"
#include "ballast/engine/bankruptcy.hpp"
#include "ballast/engine/engine_parts.hpp"
#include "ballast/liquidation/adl.hpp"
#include "ballast/engine/testing/engine_margin_fixture.hpp"

namespace ballast {
namespace {

using namespace engine_testing;  // NOLINT: the fixture's venue, ids and helpers

constexpr SubAccountId kInsuranceSub{kInsuranceFund.value};
constexpr AccountId kCarol{18};
constexpr SubAccountId kCarolMain{300};

class EngineBankruptcyTest : public EngineMarginTest {
 protected:
  // Tests change the rules, then call SetUp() again for an engine under them.
  EngineOptions options() const override {
    EngineOptions options;
    options.liquidation = rules_;
    return options;
  }
  void add_carol(std::int64_t usdc_whole) {
    ok(CreateAccount{kCarol});
    ok(CreateSubAccount{kCarol, kCarolMain, MarginMode::cross});
    ok(Deposit{kCarol, kCarolMain, kUsdc, Amount::from_raw(usdc(usdc_whole))});
  }
  void fund_insurance(std::int64_t usdc_whole) {
    ok(Deposit{kInsuranceFund, kInsuranceSub, kUsdc, Amount::from_raw(usdc(usdc_whole))});
  }
  // Alice long 1.2 BTC from 50,000; Bob short 1.0 and Carol (3,000 USDC) short 0.5, also from
  // 50,000 (0.3 of the shorts rests against the clearing account). Then BTC at 41,000: Alice's
  // equity 10,000 − 1.2 × 9,000 = −800. Bob: uPnL 9,000, equity 19,000; Carol: uPnL 4,500,
  // equity 7,500.
  void bankrupt_alice_against_two_shorts() {
    add_carol(3'000);
    ok(fill(kAlice, kAliceMain, kPerp, "1.2", "50000"));
    ok(fill(kBob, kBobMain, kPerp, "-1.0", "50000"));
    ok(fill(kCarol, kCarolMain, kPerp, "-0.5", "50000"));
    set_prices("41000");
  }
  const LossTotals& losses() const { return engine_.waterfall().losses; }

  LiquidationRules rules_;
};

TEST_F(EngineBankruptcyTest, TheInsuranceFundPaysFirstAndTheAdlCounterpartyTheRest) {
  // Alice long 1.5 from 50,000 against Bob; at 43,000 her equity is 10,000 − 10,500 = −500.
  fund_insurance(200);
  ok(fill(kAlice, kAliceMain, kPerp, "1.5", "50000"));
  ok(fill(kBob, kBobMain, kPerp, "-1.5", "50000"));
  set_prices("43000");
  rejected(Liquidate{kBob, kBobMain, kAliceMain, kPerp, qty("0.001"), price("43000")}, Status::account_bankrupt);
  const BankruptcyPlan plan = engine_.plan_bankruptcy(kAliceMain);
  ASSERT_EQ(plan.status, Status::ok);
  EXPECT_EQ(plan.deficit.raw(), usdc(500));
  EXPECT_EQ(plan.from_insurance.raw(), usdc(200));
  ASSERT_EQ(plan.adl_charges.size(), 1u);
  EXPECT_EQ(plan.adl_charges[0], (BankruptcyCharge{kBobMain, Amount::from_raw(usdc(300))}));
  ok(ResolveBankruptcy{kAliceMain});
  // Both positions closed at 43,000: Alice realizes −10,500, Bob +10,500; the fund pays 200 of
  // Alice's −500 and Bob the other 300 (as if he had bought back at 43,000 + 300 / 1.5 = 43,200,
  // Alice's bankruptcy price).
  EXPECT_EQ(size(kAliceMain, kPerp), Quantity{});
  EXPECT_EQ(size(kBobMain, kPerp), Quantity{});
  EXPECT_EQ(balance(kAliceMain, kUsdc), 0);
  EXPECT_EQ(balance(kBobMain, kUsdc), usdc(20'200));
  EXPECT_EQ(balance(kInsuranceSub, kUsdc), 0);
  EXPECT_EQ(losses(), (LossTotals{1, 1, usdc(500), usdc(200), usdc(300), 0, 0}));
  EXPECT_EQ(engine_.waterfall().last_bad_debt_ns, now_);
}

TEST_F(EngineBankruptcyTest, AdlClosesTheHighestRankedCounterpartyFirstAndChargesByNotional) {
  bankrupt_alice_against_two_shorts();
  ok(ResolveBankruptcy{kAliceMain});
  // pnl_leverage ranks by uPnL / equity: Carol 4,500 / 7,500 = 0.6 before Bob 9,000 / 19,000.
  // Carol's 0.5 closes, then 0.7 of Bob's 1.0.
  EXPECT_EQ(size(kCarolMain, kPerp), Quantity{});
  EXPECT_EQ(size(kBobMain, kPerp), qty("-0.3"));
  // The 800 is shared by closed notional, Carol 0.5 × 41,000 = 20,500 and Bob 0.7 × 41,000 =
  // 28,700: Carol 333.3333333 (floored to 333.333333), Bob 466.6666667 (floored, then the one
  // micro-unit left to the larger remainder: 466.666667). Carol: 3,000 + 4,500 − 333.333333;
  // Bob: 10,000 + 0.7 × 9,000 realized − 466.666667.
  EXPECT_EQ(balance(kAliceMain, kUsdc), 0);
  EXPECT_EQ(balance(kCarolMain, kUsdc), 7'166'666'667);
  EXPECT_EQ(balance(kBobMain, kUsdc), 15'833'333'333);
  EXPECT_EQ(losses(), (LossTotals{1, 2, usdc(800), 0, usdc(800), 0, 0}));
}

TEST_F(EngineBankruptcyTest, WithdrawalsAreGatedForAMinuteAfterBadDebt) {
  bankrupt_alice_against_two_shorts();
  ok(ResolveBankruptcy{kAliceMain});
  const TimestampNs bad_debt_ns = now_;
  rejected(Withdraw{kCarol, kCarolMain, kUsdc, Amount::from_raw(usdc(1))}, Status::withdrawals_gated);
  // Carol is flat now, so her withdrawal needs no price: only the gate decides. The next event
  // comes a millisecond after now_.
  now_ = bad_debt_ns + 60 * kSecond - 2 * (kSecond / 1000);
  rejected(Withdraw{kCarol, kCarolMain, kUsdc, Amount::from_raw(usdc(1))}, Status::withdrawals_gated);
  ok(Withdraw{kCarol, kCarolMain, kUsdc, Amount::from_raw(usdc(1))});  // exactly one minute later
}

TEST_F(EngineBankruptcyTest, MarketHoldersShareTheRestByNotionalWhenTheRulesSaySo) {
  rules_.after_insurance = LossAbsorber::market_holders;
  SetUp();
  bankrupt_alice_against_two_shorts();
  ok(ResolveBankruptcy{kAliceMain});
  // The same closes, but the 800 goes to every other holder by notional before the closes:
  // Bob 1.0 × 41,000 and Carol 0.5 × 41,000, 2:1: Bob 533.33333333 and Carol 266.66666667,
  // each floored to the micro-unit; the micro-unit left goes to the larger remainder, Carol's.
  EXPECT_EQ(balance(kBobMain, kUsdc), usdc(16'300) - 533'333'333);
  EXPECT_EQ(balance(kCarolMain, kUsdc), usdc(7'500) - 266'666'667);
  EXPECT_EQ(losses(), (LossTotals{1, 2, usdc(800), 0, 0, usdc(800), 0}));
}

TEST_F(EngineBankruptcyTest, HedgeAwareRankingClosesUnhedgedShortsBeforeAHedgedOne) {
  rules_.adl_ranking = liquidation::AdlRanking::hedge_aware;
  SetUp();
  add_carol(3'000);
  // Carol also holds 0.5 BTC: her short is fully hedged, so although she ranks first by score
  // she is closed only after Bob's unhedged short.
  ok(Deposit{kCarol, kCarolMain, kBtc, Amount::from_raw(50'000'000)});
  ok(fill(kAlice, kAliceMain, kPerp, "1.2", "50000"));
  ok(fill(kBob, kBobMain, kPerp, "-1.0", "50000"));
  ok(fill(kCarol, kCarolMain, kPerp, "-0.5", "50000"));
  set_prices("41000");
  ok(ResolveBankruptcy{kAliceMain});
  EXPECT_EQ(size(kBobMain, kPerp), Quantity{});
  EXPECT_EQ(size(kCarolMain, kPerp), qty("-0.3"));
}

// The ADL closes the rule of adl.hpp gives, worked the long way (as the engine did before it ranked
// by figures read from the ledger and evaluated only the queue's head): every opposite holder of
// the perpetual outside Alice's group evaluated, the eligible ones ranked by rank_adl's whole
// queue (pnl_leverage), plan_adl over it. The size each holder closes, by sub-account.
std::map<SubAccountId, std::int64_t> closes_by_full_ranking(const Engine& engine, Quantity to_close) {
  const margin::RiskConfig& risk = *engine.risk_config();
  std::vector<liquidation::AdlCandidate> candidates;
  for (const SubAccountId id : engine.ledger().holders_of(kPerp)) {
    const SubAccount& holder = *engine.ledger().find_sub_account(id);
    if (id.value < kFirstUserId || holder.owner == kAlice) continue;
    const Quantity size = engine.ledger().position(id, kPerp)->size;
    const margin::MarginOutcome outcome =
        margin::evaluate(risk, engine.prices().book, detail::group_books(engine.ledger(), risk, holder));
    if (size.raw() > 0 || outcome.status != margin::MarginStatus::ok) continue;
    for (const margin::SubAccountMargin& member : outcome.margin.sub_accounts) {
      for (const margin::PositionMargin& position : member.positions) {
        if (member.id == id && position.instrument == kPerp) {
          candidates.push_back({id, size, position.unrealized_pnl, outcome.margin.equity, {}});
        }
      }
    }
  }
  const liquidation::AdlQueue queue =
      liquidation::rank_adl(candidates, liquidation::AdlRanking::pnl_leverage, liquidation::Side::short_side, qty("0.001"));
  std::map<SubAccountId, std::int64_t> closed;
  for (const liquidation::AdlFill& fill : liquidation::plan_adl(to_close, price("43000"), queue).fills) {
    closed[fill.id] += fill.closed.raw();
  }
  return closed;
}

// Seeded random holders of the perpetual (core/random.hpp): shorts opened at 40,000 to 60,000 (in
// loss at 43,000 below it), on 2,000 to 20,000 USDC; some with a second cross sub-account holding
// BTC or a long future (some of those groups end at equity <= 0), some isolated, some long (the
// side ADL does not take). Fills the margin check refuses are left out.
TEST_F(EngineBankruptcyTest, AdlClosesWhatRankingEveryHolderWouldClose) {
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    SetUp();
    CounterRng rng(seed, 0);
    for (std::uint64_t i = 0; i < 60; ++i) {
      const AccountId account{1'000 + i};
      const SubAccountId main{10'000 + i};
      const SubAccountId other{20'000 + i};
      ok(CreateAccount{account});
      ok(CreateSubAccount{account, main, rng.below(5) == 0 ? MarginMode::isolated : MarginMode::cross});
      ok(Deposit{account, main, kUsdc, Amount::from_raw(usdc(2'000 + static_cast<std::int64_t>(rng.below(18'000))))});
      const std::string at = std::to_string(40'000 + rng.below(20'000));
      set_prices(at.c_str());
      const std::int64_t lots = 1 + static_cast<std::int64_t>(rng.below(500));
      const bool is_long = rng.below(6) == 0;
      engine_.apply(next(Fill{account, main, kPerp, Quantity::from_raw((is_long ? 1 : -1) * lots * 1'000'000),
                              price(at.c_str()), Money{}}));
      if (rng.below(3) != 0) continue;
      ok(CreateSubAccount{account, other, MarginMode::cross});
      ok(Deposit{account, other, kUsdc, Amount::from_raw(usdc(1'000))});
      if (rng.below(2) == 0) {
        ok(Deposit{account, other, kBtc, Amount::from_raw(static_cast<std::int64_t>(rng.below(50'000'000)) + 1)});
      } else {
        engine_.apply(next(fill(account, other, kFuture, "0.2", at.c_str())));
      }
    }
    set_prices("50000");
    ok(fill(kAlice, kAliceMain, kPerp, "2", "50000"));
    set_prices("43000");
    const BankruptcyPlan plan = engine_.plan_bankruptcy(kAliceMain);
    ASSERT_EQ(plan.status, Status::ok);
    std::map<SubAccountId, std::int64_t> closed;
    for (std::size_t i = plan.group_closes; i < plan.closes.size(); ++i) {
      closed[plan.closes[i].sub_account] += plan.closes[i].size.raw();
    }
    EXPECT_FALSE(closed.empty());
    EXPECT_EQ(closed, closes_by_full_ranking(engine_, qty("2"))) << "seed " << seed;
    ok(ResolveBankruptcy{kAliceMain});
  }
}

TEST_F(EngineBankruptcyTest, ThePerAccountCapLimitsTheFundAndTheCounterpartyPaysTheRest) {
  rules_.insurance.per_account_window = money("100");
  SetUp();
  fund_insurance(1'000);
  ok(fill(kAlice, kAliceMain, kPerp, "1.5", "50000"));
  ok(fill(kBob, kBobMain, kPerp, "-1.5", "50000"));
  set_prices("43000");
  ok(ResolveBankruptcy{kAliceMain});
  EXPECT_EQ(balance(kInsuranceSub, kUsdc), usdc(900));
  EXPECT_EQ(balance(kBobMain, kUsdc), usdc(20'500) - usdc(400));
  // The episode the payment opened counts it against the cap for the rest of its window.
  const auto& episodes = engine_.liquidation_episodes();
  ASSERT_EQ(episodes.size(), 1u);
  EXPECT_EQ(episodes.begin()->second.window_insurance, money("100"));
}

TEST_F(EngineBankruptcyTest, WithNobodyToCarryItTheDeficitIsWrittenOffToTheBadDebtAccount) {
  // Alice long 1.2 against the clearing account alone: no counterparty, no other holder. Her
  // 10,000 − 10,800 = −800 leaves her USDC debt for the bad-debt account (engine_lending_test
  // shows it then pays no interest).
  ok(fill(kAlice, kAliceMain, kPerp, "1.2", "50000"));
  set_prices("41000");
  ok(ResolveBankruptcy{kAliceMain});
  EXPECT_EQ(size(kAliceMain, kPerp), Quantity{});
  EXPECT_EQ(balance(kAliceMain, kUsdc), 0);
  EXPECT_EQ(balance(SubAccountId{kBadDebt.value}, kUsdc), -usdc(800));
  EXPECT_EQ(losses(), (LossTotals{1, 0, usdc(800), 0, 0, 0, usdc(800)}));
  expect_replay_and_restore_match();
}

TEST_F(EngineBankruptcyTest, RejectionsChangeNothing) {
  rejected(ResolveBankruptcy{kAliceMain}, Status::account_solvent);  // equity 10,000
  rejected(ResolveBankruptcy{SubAccountId{999}}, Status::sub_account_unknown);
  rejected(ResolveBankruptcy{kClearingSub}, Status::sub_account_unknown);
  ok(fill(kAlice, kAliceMain, kPerp, "1.2", "50000"));
  set_prices("41000");
  // A liquidation may run on a stale price; charging a deficit to others may not.
  let_prices_go_stale();
  rejected(ResolveBankruptcy{kAliceMain}, Status::price_stale);
  // No bad debt resolved: nothing gates withdrawals.
  ok(Withdraw{kBob, kBobMain, kUsdc, Amount::from_raw(usdc(1))});
}

TEST_F(EngineBankruptcyTest, SnapshotAndReplayCarryTheGateAndTheTotals) {
  bankrupt_alice_against_two_shorts();
  ok(ResolveBankruptcy{kAliceMain});
  expect_replay_and_restore_match();
  Result<Engine> restored = Engine::restore(engine_.snapshot());
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(restored->waterfall(), engine_.waterfall());
  // A snapshot whose loss totals do not add up is refused, naming why.
  std::string corrupt = engine_.snapshot();
  // The last bytes are the vault flag (none here), the lending pools' count (u32, none) and the
  // breaker and governance flags (none); before them, unresolved's last byte.
  corrupt[corrupt.size() - 8] = static_cast<char>(corrupt[corrupt.size() - 8] + 1);
  Result<Engine> refused = Engine::restore(corrupt);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("loss totals do not add up"), std::string::npos);
}

}  // namespace
}  // namespace ballast
