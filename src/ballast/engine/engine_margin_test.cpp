// The engine with a venue's risk configuration (issue 4 at the engine level): oracle prices,
// marks and fills as events, fills executed with margin::pre_trade_check's accounting against
// the clearing account, withdrawals and transfers checked against initial margin, what a stale
// price still allows (the oracle action policy), the venue totals the calculator reads (open
// interest, deposits, borrows), every bad input a clear status that changes nothing, and value
// conserved and the incremental totals equal to a recount after every event.

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "ballast/core/random.hpp"
#include "ballast/engine/testing/engine_margin_fixture.hpp"

namespace ballast {

namespace {

using namespace engine_testing;  // NOLINT: the fixture's venue, ids and helpers

TEST_F(EngineMarginTest, AFillThatPassesMovesValueThroughClearingAndTheFeePool) {
  ok(fill(kAlice, kAliceMain, kPerp, "1", "50000", "5"));
  ok(fill(kBob, kBobMain, kPerp, "-1", "50000", "5"));
  EXPECT_EQ(size(kAliceMain, kPerp), qty("1"));
  EXPECT_EQ(size(kBobMain, kPerp), qty("-1"));
  EXPECT_EQ(balance(kAliceMain, kUsdc), usdc(9'995));
  EXPECT_EQ(balance(kFeeSub, kUsdc), usdc(10));
  EXPECT_EQ(balance(kClearingSub, kUsdc), 0);  // no cash moves at an opening perp fill
  // Alice closes half at 51,000 to Bob: +500 realized for her, -500 for Bob, through clearing.
  ok(fill(kAlice, kAliceMain, kPerp, "-0.5", "51000"));
  EXPECT_EQ(balance(kClearingSub, kUsdc), usdc(-500));
  ok(fill(kBob, kBobMain, kPerp, "0.5", "51000"));
  EXPECT_EQ(balance(kAliceMain, kUsdc), usdc(10'495));
  EXPECT_EQ(balance(kBobMain, kUsdc), usdc(9'495));
  EXPECT_EQ(balance(kClearingSub, kUsdc), 0);  // both sides applied: only the residual (0 here)
  EXPECT_EQ(engine_.ledger().position(kAliceMain, kPerp)->realized_pnl, money("500"));
  // Closing the rest drops the position.
  ok(fill(kAlice, kAliceMain, kPerp, "-0.5", "50000"));
  EXPECT_EQ(engine_.ledger().position(kAliceMain, kPerp), nullptr);
  EXPECT_TRUE(engine_.ledger().find_sub_account(kAliceMain)->positions.empty());
}

TEST_F(EngineMarginTest, AFillThatBreachesInitialMarginIsRejected) {
  // 2.5 BTC at 50,000: 12,500 initial requirement against 10,000 of collateral.
  rejected(fill(kAlice, kAliceMain, kPerp, "2.5", "50000"), Status::insufficient_margin);
  // Exactly at the limit passes: 2 BTC needs 10,000 (the fee would take it below).
  rejected(fill(kAlice, kAliceMain, kPerp, "2", "50000", "0.000001"), Status::insufficient_margin);
  ok(fill(kAlice, kAliceMain, kPerp, "2", "50000"));
  // An isolated sub-account stands alone: it holds nothing, so it cannot open anything.
  rejected(fill(kAlice, kAliceIsolated, kPerp, "0.001", "50000"), Status::insufficient_margin);
}

TEST_F(EngineMarginTest, ARiskReducingFillWhileUnderwaterIsAccepted) {
  ok(fill(kAlice, kAliceMain, kPerp, "1.5", "50000"));
  set_prices("45000");  // -7,500 unrealized: collateral 2,500 against 6,750 required
  rejected(fill(kAlice, kAliceMain, kPerp, "0.001", "45000"), Status::insufficient_margin);
  ok(fill(kAlice, kAliceMain, kPerp, "-0.5", "45000"));
  EXPECT_EQ(size(kAliceMain, kPerp), qty("1"));
  EXPECT_EQ(balance(kAliceMain, kUsdc), usdc(7'500));  // 2,500 realized loss
  // Flipping through zero is not a reduction.
  rejected(fill(kAlice, kAliceMain, kPerp, "-3", "45000"), Status::insufficient_margin);
}

TEST_F(EngineMarginTest, BadFillsAreNamedAndChangeNothing) {
  rejected(fill(kAlice, kAliceMain, kNoMarket, "1", "50000"), Status::instrument_unknown);
  rejected(fill(AccountId{4}, kClearingSub, kPerp, "1", "50000"), Status::account_id_reserved);
  rejected(fill(kAlice, kAliceMain, kPerp, "0", "50000"), Status::fill_size_zero);
  rejected(fill(kAlice, kAliceMain, kPerp, "1", "0"), Status::fill_price_invalid);
  rejected(fill(kAlice, kAliceMain, kPerp, "1", "-5"), Status::fill_price_invalid);
  rejected(fill(kAlice, kAliceMain, kPerp, "1", "50000", "-0.01"), Status::fee_negative);
  rejected(fill(AccountId{18}, kAliceMain, kPerp, "1", "50000"), Status::account_unknown);
  rejected(fill(kAlice, SubAccountId{999}, kPerp, "1", "50000"), Status::sub_account_unknown);
  rejected(fill(kAlice, kBobMain, kPerp, "1", "50000"), Status::sub_account_foreign);
  rejected(fill(kAlice, kAliceMain, kPerp, "0.0015", "50000"), Status::fill_size_off_lot);
  rejected(fill(kAlice, kAliceMain, kPerp, "1", "50000.05"), Status::fill_price_off_tick);
  // Precedence: the shape of the fields before the instrument's existence.
  rejected(fill(kAlice, kAliceMain, kNoMarket, "0", "50000"), Status::fill_size_zero);
  rejected(fill(kAlice, kBobMain, kPerp, "0.0015", "50000"), Status::sub_account_foreign);
  // An engine without a risk configuration knows no instrument at all.
  Engine plain;
  EXPECT_EQ(plain.apply(Event{EventId{1}, kT0, fill(kAlice, kAliceMain, kPerp, "1", "50000")}),
            Status::instrument_unknown);
}

TEST_F(EngineMarginTest, ExpiredInstrumentsTakeNoFills) {
  ok(fill(kAlice, kAliceMain, kFuture, "1", "50000"));
  now_ = kT0 + 3'600 * kSecond - kSecond;
  set_prices("50000");
  ok(fill(kAlice, kAliceMain, kFuture, "-0.5", "50000"));
  now_ = kT0 + 3'600 * kSecond - 1;  // the next event lands exactly at expiry
  rejected(fill(kAlice, kAliceMain, kFuture, "-0.5", "50000"), Status::instrument_expired);
}

TEST_F(EngineMarginTest, PricesMissingStaleAndInvalid) {
  // A fresh venue: no mark for the perpetual yet.
  Engine fresh{venue()};
  std::uint64_t id = 1;
  const auto apply = [&](EventBody body, TimestampNs ts) {
    return fresh.apply(Event{EventId{id++}, ts, std::move(body)});
  };
  for (EventBody body : {EventBody{ListAsset{kUsdc, "USDC", 6, kAssetFlagsAll}},
                         EventBody{ListAsset{kBtc, "BTC", 8, kAssetFlagsAll}},
                         EventBody{CreateAccount{kAlice}},
                         EventBody{CreateSubAccount{kAlice, kAliceMain, MarginMode::cross}},
                         EventBody{Deposit{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(100))}}}) {
    ASSERT_EQ(apply(body, kT0), Status::ok);
  }
  EXPECT_EQ(apply(fill(kAlice, kAliceMain, kPerp, "0.001", "50000"), kT0), Status::price_missing);
  ASSERT_EQ(apply(MarkPrice{kPerp, price("50000")}, kT0), Status::ok);
  // The mark alone is not enough: a perpetual's mark follows its index, which is not set yet.
  EXPECT_EQ(apply(fill(kAlice, kAliceMain, kPerp, "0.001", "50000"), kT0), Status::price_missing);
  ASSERT_EQ(apply(OraclePrice{kBtc, price("50000"), price("50000")}, kT0), Status::ok);
  EXPECT_EQ(apply(fill(kAlice, kAliceMain, kPerp, "0.001", "50000"), kT0), Status::ok);
  // A minute later the prices are still fresh (exactly the maximum age); a nanosecond more and
  // they are stale.
  const TimestampNs age = fresh.options().price_max_age_ns;
  EXPECT_EQ(apply(fill(kAlice, kAliceMain, kPerp, "0.001", "50000"), kT0 + age), Status::ok);
  const Digest before = fresh.state_hash();
  EXPECT_EQ(apply(fill(kAlice, kAliceMain, kPerp, "0.001", "50000"), kT0 + age + 1),
            Status::price_stale);
  EXPECT_EQ(fresh.state_hash(), before);
  // A withdrawal from a group with positions needs fresh prices too.
  EXPECT_EQ(apply(Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(1)}, kT0 + age + 1),
            Status::price_stale);
  // A fresh mark over a stale index is still stale.
  ASSERT_EQ(apply(MarkPrice{kPerp, price("50000")}, kT0 + age + 1), Status::ok);
  EXPECT_EQ(apply(fill(kAlice, kAliceMain, kPerp, "0.001", "50000"), kT0 + age + 1),
            Status::price_stale);
  ASSERT_EQ(apply(OraclePrice{kBtc, price("50000"), price("50000")}, kT0 + age + 1), Status::ok);
  EXPECT_EQ(apply(fill(kAlice, kAliceMain, kPerp, "0.001", "50000"), kT0 + age + 1), Status::ok);

  // Invalid prices, and prices for things the configuration does not list.
  rejected(OraclePrice{kBtc, price("0"), price("50000")}, Status::price_invalid);
  rejected(OraclePrice{kBtc, price("50000"), price("-1")}, Status::price_invalid);
  rejected(OraclePrice{kEth, price("3000"), price("3000")}, Status::asset_unknown);
  rejected(MarkPrice{kPerp, price("-0.1")}, Status::price_invalid);
  rejected(MarkPrice{kPerp, price("0")}, Status::price_invalid);  // only an option may be 0
  rejected(MarkPrice{kNoMarket, price("1")}, Status::instrument_unknown);
  rejected(MarkPrice{kNoMarket, price("-1")}, Status::price_invalid);
  EXPECT_EQ(engine_.prices().mark_set_ns_of(kPerp), kT0 + 12 * kSecond / 1000);
  EXPECT_EQ(engine_.prices().book.find_asset(kBtc)->stable, price("50000"));
}

TEST_F(EngineMarginTest, WithdrawalsAndTransfersAreCheckedAgainstInitialMargin) {
  // Without positions or borrows, the free-balance rule alone: all of it may leave.
  ok(Withdraw{kBob, kBobMain, kUsdc, Amount::from_raw(usdc(1'000))});
  ok(fill(kAlice, kAliceMain, kPerp, "1.5", "50000"));  // 7,500 required, 10,000 held
  rejected(Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(2'501))},
           Status::insufficient_margin);
  rejected(Transfer{kAlice, kAliceMain, kAliceIsolated, kUsdc, Amount::from_raw(usdc(2'501))},
           Status::insufficient_margin);
  // More than the balance is still insufficient_balance.
  rejected(Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(10'001))},
           Status::insufficient_balance);
  ok(Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(2'000))});
  ok(Transfer{kAlice, kAliceMain, kAliceIsolated, kUsdc, Amount::from_raw(usdc(500))});
  EXPECT_EQ(balance(kAliceMain, kUsdc), usdc(7'500));
  rejected(Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(1)}, Status::insufficient_margin);
  // The isolated sub-account is its own group: no positions there, so its balance is free.
  ok(Withdraw{kAlice, kAliceIsolated, kUsdc, Amount::from_raw(usdc(500))});
  // BTC collateral counts at 0.8 of min(oracle, stable): depositing 0.1 BTC (4,000 of initial
  // collateral) frees 4,000 USDC.
  ok(Deposit{kAlice, kAliceMain, kBtc, Amount::from_raw(10'000'000)});
  rejected(Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(4'000) + 1)},
           Status::insufficient_margin);
  ok(Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(4'000))});
}

TEST_F(EngineMarginTest, SpotFillsMoveBalancesAndNeverSellWhatIsNotHeld) {
  ok(fill(kAlice, kAliceMain, kSpot, "0.1", "50000", "1"));
  EXPECT_EQ(balance(kAliceMain, kBtc), 10'000'000);
  EXPECT_EQ(balance(kAliceMain, kUsdc), usdc(10'000 - 5'000 - 1));
  EXPECT_EQ(balance(kClearingSub, kBtc), -10'000'000);
  EXPECT_EQ(balance(kClearingSub, kUsdc), usdc(5'000));
  EXPECT_EQ(engine_.ledger().position(kAliceMain, kSpot), nullptr);  // a holding, no position
  rejected(fill(kAlice, kAliceMain, kSpot, "-0.101", "50000"), Status::insufficient_balance);
  ok(fill(kBob, kBobMain, kSpot, "0.1", "50000"));
  ok(fill(kAlice, kAliceMain, kSpot, "-0.1", "50000"));
  ok(fill(kBob, kBobMain, kSpot, "-0.1", "50000"));
  EXPECT_EQ(balance(kClearingSub, kBtc), 0);
  EXPECT_EQ(balance(kClearingSub, kUsdc), 0);
}

// Random matched fills between Alice and Bob (both sides applied, opening, adding, reducing and
// flipping, at tick-aligned prices), with price moves: value is conserved after every event, and
// the clearing account keeps only the pairs' rounding residuals (never negative). Both hold
// enough that no side is refused, so the pairs stay matched.
TEST_F(EngineMarginTest, RandomMatchedFillsConserveValueAndLeaveOnlyResiduals) {
  ok(Deposit{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(5'000'000))});
  ok(Deposit{kBob, kBobMain, kUsdc, Amount::from_raw(usdc(5'000'000))});
  CounterRng rng(42, 0);
  std::int64_t pairs = 0;
  for (int step = 0; step < 400; ++step) {
    if (step % 25 == 0) {
      const auto btc = 45'000 + static_cast<std::int64_t>(rng.below(10'000));
      set_prices(std::to_string(btc).c_str());
    }
    const auto lots = static_cast<std::int64_t>(rng.below(200)) - 100;
    if (lots == 0) continue;
    const Quantity amount = Quantity::from_raw(lots * 1'000'000 + (lots > 0 ? 7'000'000 : -7'000'000));
    const Price at = Price::from_raw((450'000 + static_cast<std::int64_t>(rng.below(100'000))) *
                                     100'000'000 + 100'000'000 * static_cast<std::int64_t>(rng.below(9)));
    ok(Fill{kAlice, kAliceMain, kPerp, amount, at, money("0.000001")});
    ok(Fill{kBob, kBobMain, kPerp, Quantity::from_raw(-amount.raw()), at, Money{}});
    ++pairs;
  }
  EXPECT_GT(pairs, 300);
  EXPECT_EQ(size(kAliceMain, kPerp), Quantity::from_raw(-size(kBobMain, kPerp).raw()));
  const std::int64_t clearing = balance(kClearingSub, kUsdc);
  EXPECT_GE(clearing, 0);
  EXPECT_LE(clearing, 2 * pairs) << "clearing holds more than the pairs' rounding residuals";
}

TEST_F(EngineMarginTest, SnapshotRestoreGivesTheSameHashWithPositionsAndPrices) {
  ok(fill(kAlice, kAliceMain, kPerp, "1", "50000", "5"));
  ok(fill(kBob, kBobMain, kPerp, "-1", "50000", "5"));
  ok(fill(kAlice, kAliceMain, kSpot, "0.01", "50000"));
  const std::string snapshot = engine_.snapshot();
  auto restored = Engine::restore(snapshot);
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(restored->state_hash(), engine_.state_hash());
  EXPECT_EQ(restored->snapshot(), snapshot);
  ASSERT_NE(restored->risk_config(), nullptr);
  EXPECT_EQ(restored->risk_config()->markets.size(), 3u);
  EXPECT_EQ(restored->ledger().find_sub_account(kAliceMain)->positions,
            engine_.ledger().find_sub_account(kAliceMain)->positions);
  EXPECT_EQ(restored->prices().mark_set_ns_of(kPerp), engine_.prices().mark_set_ns_of(kPerp));
  // It goes on exactly as the original does, rejections included.
  for (const EventBody& body :
       {EventBody{fill(kAlice, kAliceMain, kPerp, "5", "50000")},
        EventBody{MarkPrice{kPerp, price("49000")}},
        EventBody{fill(kAlice, kAliceMain, kPerp, "-0.4", "49000")},
        EventBody{Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(9'000))}}}) {
    const Event e = next(body);
    EXPECT_EQ(restored->apply(e), engine_.apply(e)) << event_to_json(e);
    EXPECT_EQ(restored->state_hash(), engine_.state_hash()) << event_to_json(e);
  }
}

TEST_F(EngineMarginTest, ALoggedSequenceReplaysToTheSameHash) {
  ok(fill(kAlice, kAliceMain, kPerp, "1", "50000", "5"));
  rejected(fill(kAlice, kAliceMain, kPerp, "9", "50000"), Status::insufficient_margin);
  ok(fill(kBob, kBobMain, kPerp, "-1", "50000", "5"));
  const std::string snapshot = engine_.snapshot();
  const std::size_t snapshot_at = log_.size();
  set_prices("48000");
  ok(fill(kBob, kBobMain, kPerp, "0.5", "48000"));
  rejected(Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(9'000))},
           Status::insufficient_margin);
  ok(fill(kAlice, kAliceMain, kPerp, "-0.5", "48000"));
  // From genesis: decode every logged record and re-apply it; every outcome and the final hash
  // agree. (The store's genesis record carries the configuration for ballast replay.)
  Engine replayed{venue()};
  for (const auto& [bytes, outcome] : log_) {
    auto e = decode_event(bytes);
    ASSERT_TRUE(e.ok()) << e.error().message;
    EXPECT_EQ(replayed.apply(*e), outcome) << event_to_json(*e);
  }
  EXPECT_EQ(replayed.state_hash(), engine_.state_hash());
  // From the snapshot plus the tail.
  auto tail = Engine::restore(snapshot);
  ASSERT_TRUE(tail.ok()) << tail.error().message;
  for (std::size_t i = snapshot_at; i < log_.size(); ++i) {
    auto e = decode_event(log_[i].first);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(tail->apply(*e), log_[i].second) << event_to_json(*e);
  }
  EXPECT_EQ(tail->state_hash(), engine_.state_hash());
}

// --- What a stale price still allows (OracleActionPolicy::defaults()) --------------------------

TEST_F(EngineMarginTest, OnAStalePriceOnlyRiskReducingFillsPass) {
  ok(fill(kAlice, kAliceMain, kPerp, "1", "50000"));
  ok(fill(kAlice, kAliceMain, kSpot, "0.1", "50000"));  // 0.1 BTC held, 5,000 USDC paid
  let_prices_go_stale();
  // Opening or adding is open_risk: valid prices only, whatever the margin would say (this one
  // would pass: 10% of 5,000 against ~9,000 of collateral).
  rejected(fill(kAlice, kAliceMain, kPerp, "0.1", "50000"), Status::price_stale);
  rejected(fill(kBob, kBobMain, kPerp, "-0.1", "50000"), Status::price_stale);
  // price_stale comes before the margin verdict: this one would also breach initial margin.
  rejected(fill(kAlice, kAliceMain, kPerp, "5", "50000"), Status::price_stale);
  // Flipping through zero is not a reduction.
  rejected(fill(kAlice, kAliceMain, kPerp, "-1.5", "50000"), Status::price_stale);
  // Shrinking is reduce_risk, which the policy allows on a stale price.
  ok(fill(kAlice, kAliceMain, kPerp, "-0.4", "50000", "1"));
  EXPECT_EQ(size(kAliceMain, kPerp), qty("0.6"));
  ok(fill(kAlice, kAliceMain, kPerp, "-0.6", "50000"));  // closing to zero is a reduction too
  EXPECT_EQ(engine_.ledger().position(kAliceMain, kPerp), nullptr);
  // Spot: selling part of the holding reduces it; buying more opens risk.
  ok(fill(kAlice, kAliceMain, kSpot, "-0.05", "50000"));
  EXPECT_EQ(balance(kAliceMain, kBtc), 5'000'000);
  rejected(fill(kAlice, kAliceMain, kSpot, "0.01", "50000"), Status::price_stale);
  // The checks before the price gate still come first.
  rejected(fill(kAlice, kAliceMain, kPerp, "0.0015", "50000"), Status::fill_size_off_lot);
  // Fresh prices again: opening is back.
  set_prices("50000");
  ok(fill(kAlice, kAliceMain, kPerp, "0.1", "50000"));
}

TEST_F(EngineMarginTest, OnAStalePriceAMarginCheckedWithdrawalOrTransferIsRefused) {
  ok(fill(kAlice, kAliceMain, kPerp, "1", "50000"));
  let_prices_go_stale();
  // Alice's group holds a position: withdraw needs a valid price, even for one unit well inside
  // her free collateral, and before the balance check (price_stale precedes insufficient_balance).
  rejected(Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(1)}, Status::price_stale);
  rejected(Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(20'000))}, Status::price_stale);
  rejected(Transfer{kAlice, kAliceMain, kAliceIsolated, kUsdc, Amount::from_raw(1)},
           Status::price_stale);
  // Bob holds no position or borrow: no margin check, no price needed.
  ok(Withdraw{kBob, kBobMain, kUsdc, Amount::from_raw(usdc(1'000))});
  // Deposits need no price.
  ok(Deposit{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(1))});
  set_prices("50000");
  ok(Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(1)});
}

// The policy is the engine's option: a venue whose table refuses reduce_risk on a stale price
// refuses even a reducing fill; one that allows withdraw lets a healthy group withdraw. The
// policy is carried by the snapshot, and a policy byte encoding cannot write is refused.
TEST(EngineOraclePolicy, TheTableDecidesAndTheSnapshotCarriesIt) {
  EngineOptions options;
  options.oracle_policy.set(market::OracleAction::reduce_risk, market::OracleValidity::stale, false);
  options.oracle_policy.set(market::OracleAction::withdraw, market::OracleValidity::stale, true);
  Engine engine{venue(), options};
  std::uint64_t id = 1;
  TimestampNs now = kT0;
  const auto apply = [&](EventBody body) {
    now += kSecond;
    return engine.apply(Event{EventId{id++}, now, std::move(body)});
  };
  for (EventBody body : {EventBody{ListAsset{kUsdc, "USDC", 6, kAssetFlagsAll}},
                         EventBody{ListAsset{kBtc, "BTC", 8, kAssetFlagsAll}},
                         EventBody{CreateAccount{kAlice}},
                         EventBody{CreateSubAccount{kAlice, kAliceMain, MarginMode::cross}},
                         EventBody{Deposit{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(10'000))}},
                         EventBody{OraclePrice{kBtc, price("50000"), price("50000")}},
                         EventBody{MarkPrice{kPerp, price("50000")}},
                         EventBody{fill(kAlice, kAliceMain, kPerp, "1", "50000")}}) {
    ASSERT_EQ(apply(body), Status::ok);
  }
  now += engine.options().price_max_age_ns;
  EXPECT_EQ(apply(fill(kAlice, kAliceMain, kPerp, "-0.5", "50000")), Status::price_stale);
  // Withdraw allowed on stale: judged by the margin check at the stale mark (5,000 required).
  EXPECT_EQ(apply(Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(5'000) + 1)}),
            Status::insufficient_margin);
  EXPECT_EQ(apply(Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(5'000))}), Status::ok);

  const std::string bytes = engine.snapshot();
  auto restored = Engine::restore(bytes);
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(restored->options(), options);
  EXPECT_EQ(restored->snapshot(), bytes);
  // The same state under the default policy differs in exactly the two policy bytes (reduce_risk
  // and withdraw rows, in OracleAction order); a bit beyond the last validity is refused.
  Engine defaults{venue()};
  std::string other = Engine{venue(), options}.snapshot();
  std::string plain = defaults.snapshot();
  ASSERT_EQ(other.size(), plain.size());
  std::vector<std::size_t> differ;
  for (std::size_t i = 0; i < plain.size(); ++i) {
    if (other[i] != plain[i]) differ.push_back(i);
  }
  ASSERT_EQ(differ.size(), 2u);
  EXPECT_EQ(differ[1], differ[0] + 2);  // reduce_risk is row 1, withdraw row 3
  plain[differ[0]] = static_cast<char>(0x40);
  auto bad = Engine::restore(plain);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("bad oracle policy row reduce_risk"), std::string::npos)
      << bad.error().message;
}

// --- Venue totals: open interest, deposits, borrows --------------------------------------------

constexpr SubAccountId kBobSecond{201};

// The fixture's venue with the BTC perpetual on dYdX's open-interest ramp (base 10% initial from
// 100,000 of open interest to 100% at 1,100,000), BTC's initial asset weight scaled down above
// 100,000 of deposits and its initial liability weight up above 100,000 of borrows, and the spot
// market borrowable.
class EngineTotalsTest : public EngineMarginTest {
 protected:
  margin::RiskConfig risk() const override {
    margin::RiskConfig config = venue();
    config.assets[1].collateral.deposit_scale_start = money("100000");
    config.assets[1].collateral.borrow_scale_start = money("100000");
    config.markets[0].rule =
        margin::OiRampRule{ratio("0.1"), ratio("0.05"), money("100000"), money("1100000")};
    config.markets[2].instrument.borrowable = true;
    return config;
  }
};

TEST_F(EngineTotalsTest, OpenInterestRampRaisesTheInitialRequirement) {
  ok(Deposit{kBob, kBobMain, kUsdc, Amount::from_raw(usdc(1'000'000))});
  EXPECT_EQ(open_interest(kPerp), Money{});
  // Bob goes long 6 BTC. Judged at the open interest before it (0: base 10%).
  ok(fill(kBob, kBobMain, kPerp, "6", "50000"));
  // Open interest = longs × mark = 6 × 50,000 = 300,000. IMF = 0.1 + (300,000 − 100,000) /
  // (1,100,000 − 100,000) × (1 − 0.1) = 0.1 + 0.2 × 0.9 = 0.28.
  EXPECT_EQ(open_interest(kPerp), money("300000"));
  // Shorts do not count (dYdX: the open notional of the longs): Alice shorts 0.1 (0.1 × 50,000 ×
  // 0.28 = 1,400 required) and buys it back.
  ok(fill(kAlice, kAliceMain, kPerp, "-0.1", "50000"));
  EXPECT_EQ(open_interest(kPerp), money("300000"));
  ok(fill(kAlice, kAliceMain, kPerp, "0.1", "50000"));
  EXPECT_EQ(engine_.ledger().position(kAliceMain, kPerp), nullptr);
  // Alice holds 10,000. A fill is judged at the open interest after it (dYdX counts the trade's
  // own OI change in its check): 1 BTC long makes it 7 × 50,000 = 350,000, IMF = 0.1 + 0.25 ×
  // 0.9 = 0.325, 16,250 required: refused.
  rejected(fill(kAlice, kAliceMain, kPerp, "1", "50000"), Status::insufficient_margin);
  // 0.7 BTC would pass at the open interest before it (35,000 × 0.28 = 9,800), but its own OI
  // counts: 6.7 × 50,000 = 335,000, IMF = 0.1 + 0.235 × 0.9 = 0.3115, 10,902.5 > 10,000.
  rejected(fill(kAlice, kAliceMain, kPerp, "0.7", "50000"), Status::insufficient_margin);
  // 0.6 BTC: 330,000, IMF = 0.1 + 0.23 × 0.9 = 0.307, 30,000 × 0.307 = 9,210: passes.
  ok(fill(kAlice, kAliceMain, kPerp, "0.6", "50000"));
  EXPECT_EQ(open_interest(kPerp), money("330000"));
  // Initial health 10,000 − 9,210 = 790: exactly that may leave, not a unit more.
  rejected(Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(790) + 1)},
           Status::insufficient_margin);
  ok(Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(790))});
  rejected(Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(1)}, Status::insufficient_margin);
  // The mark moves the open interest: 6.6 × 40,000 = 264,000.
  set_prices("40000");
  EXPECT_EQ(open_interest(kPerp), money("264000"));
  // Bob closing lowers it: 0.6 × 40,000 = 24,000, below the lower cap (base IMF again).
  ok(fill(kBob, kBobMain, kPerp, "-6", "40000"));
  EXPECT_EQ(open_interest(kPerp), money("24000"));
  // Rounded up to the micro-unit: 0.6 × 40,000.000000001 = 24,000.0000000006 → 24,000.000001.
  ok(MarkPrice{kPerp, price("40000.000000001")});
  EXPECT_EQ(open_interest(kPerp), money("24000.000001"));
}

TEST_F(EngineTotalsTest, DepositsAboveTheScaleStartLowerANewDepositorsCollateral) {
  // Bob deposits 3.9 BTC: 195,000 at the oracle.
  ok(Deposit{kBob, kBobMain, kBtc, Amount::from_raw(390'000'000)});
  EXPECT_EQ(btc_price().total_deposits, money("195000"));
  EXPECT_EQ(btc_price().total_borrows, Money{});
  ok(fill(kAlice, kAliceMain, kPerp, "1", "50000"));  // 5,000 required of her 10,000 USDC
  // Alice deposits 0.1 BTC: total 4 BTC = 200,000, so BTC's initial weight is 0.8 × 100,000 /
  // 200,000 = 0.4 and her 0.1 BTC (5,000 at min(oracle, stable)) counts 2,000, not 4,000 (as in
  // WithdrawalsAndTransfersAreCheckedAgainstInitialMargin): 5,000 + 2,000 may leave.
  ok(Deposit{kAlice, kAliceMain, kBtc, Amount::from_raw(10'000'000)});
  EXPECT_EQ(btc_price().total_deposits, money("200000"));
  rejected(Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(7'000) + 1)},
           Status::insufficient_margin);
  ok(Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(7'000))});
  // Bob moving BTC between his own sub-accounts changes no total; withdrawing it does, and
  // Alice's collateral rises with it: 0.1 BTC of 2 BTC total (100,000, not above the start)
  // counts at the full 0.8 again, 4,000: 2,000 more may leave.
  ok(CreateSubAccount{kBob, kBobSecond, MarginMode::cross});
  ok(Transfer{kBob, kBobMain, kBobSecond, kBtc, Amount::from_raw(100'000'000)});
  EXPECT_EQ(btc_price().total_deposits, money("200000"));
  ok(Withdraw{kBob, kBobSecond, kBtc, Amount::from_raw(100'000'000)});
  ok(Withdraw{kBob, kBobMain, kBtc, Amount::from_raw(100'000'000)});
  EXPECT_EQ(btc_price().total_deposits, money("100000"));
  rejected(Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(2'000) + 1)},
           Status::insufficient_margin);
  ok(Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(2'000))});
  // The oracle price revalues the totals: 2 BTC at 51,000.5.
  ok(OraclePrice{kBtc, price("51000.5"), price("51000.5")});
  EXPECT_EQ(btc_price().total_deposits, money("102001"));
  // Deposits in units that do not divide evenly round up: 1 satoshi more at 51,000.5 is
  // 0.000510005 → 0.000511.
  ok(Deposit{kBob, kBobMain, kBtc, Amount::from_raw(1)});
  EXPECT_EQ(btc_price().total_deposits, money("102001.000511"));
}

TEST_F(EngineTotalsTest, BorrowsCountUsersOnlyNotTheClearingAccount) {
  // A spot purchase: Alice +0.1 BTC, clearing -0.1 BTC. Clearing's side is no borrow.
  ok(fill(kAlice, kAliceMain, kSpot, "0.1", "50000"));
  EXPECT_EQ(btc_price().total_deposits, money("5000"));
  EXPECT_EQ(btc_price().total_borrows, Money{});
  // Bob sells 0.1 BTC he does not hold on the borrowable market: a 0.1 BTC borrow (5,000),
  // clearing back to 0.
  ok(fill(kBob, kBobMain, kSpot, "-0.1", "50000"));
  EXPECT_EQ(balance(kClearingSub, kBtc), 0);
  EXPECT_EQ(btc_price().total_borrows, money("5000"));
  // Repaying part of it with a deposit: the balance goes from -0.1 to +0.05.
  ok(Deposit{kBob, kBobMain, kBtc, Amount::from_raw(15'000'000)});
  EXPECT_EQ(btc_price().total_borrows, Money{});
  EXPECT_EQ(btc_price().total_deposits, money("7500"));
  // The fee pool's USDC and the system accounts never enter: USDC is the quote (no book entry).
  EXPECT_EQ(engine_.prices().book.find_asset(kUsdc), nullptr);
}

// The totals are derived state: not in the snapshot, recounted on restore; a restored engine and
// a replay from genesis hold the same totals and book figures as the original, and go on
// keeping them equal.
TEST_F(EngineTotalsTest, SnapshotAndReplayGiveTheSameTotals) {
  ok(Deposit{kBob, kBobMain, kBtc, Amount::from_raw(390'000'000)});
  ok(Deposit{kBob, kBobMain, kUsdc, Amount::from_raw(usdc(1'000'000))});
  ok(fill(kBob, kBobMain, kPerp, "6", "50000"));
  ok(fill(kAlice, kAliceMain, kPerp, "-0.5", "50000"));
  ok(fill(kAlice, kAliceMain, kSpot, "0.05", "50000"));
  ok(fill(kBob, kBobMain, kSpot, "-4", "50000"));  // 0.1 BTC borrowed
  rejected(fill(kAlice, kAliceMain, kPerp, "2", "50000"), Status::insufficient_margin);
  const std::string snapshot = engine_.snapshot();
  const std::size_t snapshot_at = log_.size();
  const auto same_book = [](const Engine& a, const Engine& b) {
    EXPECT_TRUE(a.totals() == b.totals());
    ASSERT_EQ(a.prices().book.assets.size(), b.prices().book.assets.size());
    for (std::size_t i = 0; i < a.prices().book.assets.size(); ++i) {
      EXPECT_EQ(a.prices().book.assets[i].total_deposits, b.prices().book.assets[i].total_deposits);
      EXPECT_EQ(a.prices().book.assets[i].total_borrows, b.prices().book.assets[i].total_borrows);
    }
    ASSERT_EQ(a.prices().book.markets.size(), b.prices().book.markets.size());
    for (std::size_t i = 0; i < a.prices().book.markets.size(); ++i) {
      EXPECT_EQ(a.prices().book.markets[i].open_interest, b.prices().book.markets[i].open_interest);
    }
  };
  EXPECT_EQ(btc_price().total_borrows, money("5000"));
  EXPECT_EQ(btc_price().total_deposits, money("2500"));  // Alice's 0.05 BTC
  EXPECT_EQ(open_interest(kPerp), money("300000"));
  auto restored = Engine::restore(snapshot);
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  same_book(*restored, engine_);
  EXPECT_EQ(restored->state_hash(), engine_.state_hash());
  set_prices("47000");
  ok(fill(kBob, kBobMain, kPerp, "-1", "47000"));
  ok(fill(kBob, kBobMain, kSpot, "0.2", "47000"));
  ok(Transfer{kAlice, kAliceMain, kAliceIsolated, kBtc, Amount::from_raw(1'000'000)});
  for (std::size_t i = snapshot_at; i < log_.size(); ++i) {
    auto e = decode_event(log_[i].first);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(restored->apply(*e), log_[i].second) << event_to_json(*e);
  }
  same_book(*restored, engine_);
  EXPECT_EQ(restored->state_hash(), engine_.state_hash());
  Engine replayed{risk()};
  for (const auto& [bytes, outcome] : log_) {
    auto e = decode_event(bytes);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(replayed.apply(*e), outcome) << event_to_json(*e);
  }
  same_book(replayed, engine_);
  EXPECT_EQ(replayed.state_hash(), engine_.state_hash());
  EXPECT_EQ(open_interest(kPerp), money("235000"));  // 5 × 47,000
}

TEST(EngineMarginCodec, NewEventsRoundTripBinaryAndJson) {
  const std::vector<Event> events = {
      Event{EventId{1}, kT0, OraclePrice{kBtc, price("65000.5"), price("64900")}},
      Event{EventId{2}, kT0, MarkPrice{kPerp, price("65010")}},
      Event{EventId{3}, kT0, fill(kAlice, kAliceMain, kPerp, "-0.25", "65000.5", "4.063")},
  };
  for (const Event& e : events) {
    auto binary = decode_event(encode_event(e));
    ASSERT_TRUE(binary.ok()) << binary.error().message;
    EXPECT_EQ(*binary, e);
    auto json = event_from_json(event_to_json(e));
    ASSERT_TRUE(json.ok()) << json.error().message;
    EXPECT_EQ(*json, e);
  }
  EXPECT_EQ(event_to_json(events[2]),
            R"({"account":16,"fee":4063000,"id":3,"instrument":10,"price":65000500000000,)"
            R"("size":-250000000,"sub_account":100,"ts":1735689600000000000,"type":"fill"})");
  // Fields as digit strings, and errors naming the field.
  auto parsed = event_from_json(
      R"({"id":4,"ts":5,"type":"oracle_price","asset":2,"price":"1","stable_price":"2"})");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(std::get<OraclePrice>(parsed->body).stable_price, Price::from_raw(2));
  auto missing = event_from_json(R"({"id":4,"ts":5,"type":"mark_price","instrument":10})");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("\"mark\" is missing"), std::string::npos);
  auto extra = event_from_json(
      R"({"id":4,"ts":5,"type":"fill","account":16,"sub_account":100,"instrument":10,)"
      R"("size":1,"price":1,"fee":0,"asset":1})");
  ASSERT_FALSE(extra.ok());
  EXPECT_NE(extra.error().message.find("\"asset\" is not a field"), std::string::npos);
  const std::string bytes = encode_event(events[2]);
  auto cut = decode_event(std::string_view(bytes).substr(0, 50));
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.error().message.find("offset 46: truncated before field price"), std::string::npos)
      << cut.error().message;
}

}  // namespace
}  // namespace ballast
