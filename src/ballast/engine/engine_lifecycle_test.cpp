// The engine's own oracle, funding and expiry (issue 4, items 2 and 6 at the engine level):
// source quotes aggregated under the asset's OracleConfig with a validity the action policy
// reads, the stable price stepped by valid readings only; perpetual funding accrued from mark vs
// index into a cumulative index and settled lazily at the next fill; futures and options settled
// at the TWAP of the valid index readings over their window. Every figure worked by hand in the
// comments; every rejection changes nothing; snapshots and replays carry it all.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ballast/core/random.hpp"
#include "ballast/engine/testing/engine_margin_fixture.hpp"

namespace ballast {
namespace {

using namespace engine_testing;  // NOLINT: the fixture's venue, ids and helpers

constexpr InstrumentId kCall{13};
constexpr TimestampNs kMinute = 60 * kSecond;
constexpr TimestampNs kExpiry = kT0 + 60 * kMinute;  // the fixture's future

market::SourceQuote quote(std::uint32_t source, const char* at, TimestampNs published_ns,
                          const char* confidence = "0") {
  return market::SourceQuote{source, price(at), price(confidence), published_ns};
}

// The fixture's venue with BTC's oracle needing two sources, the future settling over the last
// 30 minutes before its expiry, and a call on BTC (strike 50,000) expiring with it.
class EngineLifecycleTest : public EngineMarginTest {
 protected:
  margin::RiskConfig risk() const override {
    margin::RiskConfig config = venue();
    config.assets[1].oracle.min_sources = 2;
    config.markets[1].instrument.settlement_window_ns = 30 * kMinute;
    margin::MarketRisk call{instrument(kCall, "BTC-JAN25-50000-C", market::InstrumentKind::option),
                            {}, {}, {}};
    call.instrument.expiry_ns = kExpiry;
    call.instrument.settlement_window_ns = 30 * kMinute;
    call.instrument.strike = price("50000");
    config.markets.push_back(call);
    return config;
  }

  // Two quotes, a second apart, both fresh: the reading is their mean.
  void quotes(const char* low, const char* high) {
    ok(OracleQuotes{kBtc, {quote(0, low, now_), quote(1, high, now_)}});
  }
  const AssetFeed& btc_feed() const { return engine_.feeds()[1]; }
  market::FundingIndex perp_index() const { return engine_.lives()[0].funding.index; }
  void at(TimestampNs time) { now_ = time - kSecond / 1000; }  // the next event lands at `time`
};

// ---- oracle quotes ----------------------------------------------------------------------

TEST_F(EngineLifecycleTest, QuotesAreAggregatedAndTheirValidityGatesActions) {
  // Fresh quotes at 50,100 and 50,300: the median of two is their mean, 50,200, valid; the
  // stable-price model starts there (the fixture's oracle_price events had dropped it).
  quotes("50100", "50300");
  EXPECT_EQ(btc_price().oracle, price("50200"));
  EXPECT_EQ(btc_price().stable, price("50200"));
  EXPECT_EQ(btc_feed().validity, market::OracleValidity::valid);
  EXPECT_EQ(btc_feed().reference, price("50200"));
  ASSERT_TRUE(btc_feed().stable.has_value());
  ok(MarkPrice{kPerp, price("50200")});
  ok(fill(kAlice, kAliceMain, kPerp, "0.5", "50200"));

  // One source only (BTC needs two): insufficient_sources. The price moves to it, but new risk
  // and margin-checked withdrawals are refused; reducing risk still runs (Drift's table).
  ok(OracleQuotes{kBtc, {quote(0, "50150", now_)}});
  EXPECT_EQ(btc_feed().validity, market::OracleValidity::insufficient_sources);
  EXPECT_EQ(btc_price().oracle, price("50150"));
  EXPECT_EQ(btc_feed().reference, price("50200"));  // only a valid reading moves it
  rejected(fill(kAlice, kAliceMain, kPerp, "0.1", "50200"), Status::oracle_untrusted);
  rejected(Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(1))}, Status::oracle_untrusted);
  ok(fill(kAlice, kAliceMain, kPerp, "-0.1", "50200"));

  // 90,000 is a 79% move from the reference 50,200 (the limit is 50%): too_volatile, on which
  // not even a reduction runs.
  quotes("90000", "90000");
  EXPECT_EQ(btc_feed().validity, market::OracleValidity::too_volatile);
  rejected(fill(kAlice, kAliceMain, kPerp, "-0.1", "50200"), Status::oracle_untrusted);
  // The spike never became the reference: 50,250 is judged against 50,200 and is valid again.
  quotes("50200", "50300");
  EXPECT_EQ(btc_feed().validity, market::OracleValidity::valid);
  ok(fill(kAlice, kAliceMain, kPerp, "0.1", "50200"));

  // Quotes from longer ago than max_staleness (10 s) give a stale reading, dated by its newest
  // quote: reducing risk passes, opening it answers price_stale.
  const TimestampNs newest_ns = now_ - 11 * kSecond;
  ok(OracleQuotes{kBtc, {quote(0, "50250", newest_ns), quote(1, "50250", newest_ns - kSecond)}});
  EXPECT_EQ(btc_feed().validity, market::OracleValidity::stale);
  EXPECT_EQ(engine_.prices().asset_set_ns_of(kBtc), newest_ns);
  rejected(fill(kAlice, kAliceMain, kPerp, "0.1", "50200"), Status::price_stale);
  ok(fill(kAlice, kAliceMain, kPerp, "-0.1", "50200"));

  // No positive quote at all: the last price stays, judged non_positive: nothing runs.
  ok(OracleQuotes{kBtc, {quote(0, "0", now_), quote(1, "0", now_)}});
  EXPECT_EQ(btc_feed().validity, market::OracleValidity::non_positive);
  EXPECT_EQ(btc_price().oracle, price("50250"));
  rejected(fill(kAlice, kAliceMain, kPerp, "-0.1", "50200"), Status::oracle_untrusted);
}

TEST_F(EngineLifecycleTest, ValidReadingsStepTheStablePrice) {
  // Mango's model under the default StablePriceConfig (reference_price_test works the steps):
  // from 50,000, 60 s later toward 55,000 with r = 1: growth 0.0003 × 60 = 0.018 of 50,000 =
  // 900, so the stable price is 50,900 while the oracle is 55,000.
  quotes("50000", "50000");
  at(now_ + kMinute);
  quotes("55000", "55000");
  EXPECT_EQ(btc_price().oracle, price("55000"));
  EXPECT_EQ(btc_price().stable, price("50900"));
  // An untrusted reading moves neither the reference nor the stable price.
  at(now_ + kMinute);
  ok(OracleQuotes{kBtc, {quote(0, "56000", now_)}});
  EXPECT_EQ(btc_price().stable, price("50900"));
  EXPECT_EQ(btc_feed().stable->last_update_ns(), now_ - kMinute);
}

TEST_F(EngineLifecycleTest, MalformedQuotesAreNamedAndChangeNothing) {
  rejected(OracleQuotes{kBtc, {}}, Status::quotes_invalid);
  rejected(OracleQuotes{kBtc, {quote(0, "1", now_), quote(0, "1", now_)}}, Status::quotes_invalid);
  rejected(OracleQuotes{kBtc, {quote(16, "1", now_)}}, Status::quotes_invalid);
  rejected(OracleQuotes{kBtc, {quote(0, "1", now_ + kSecond)}}, Status::quotes_invalid);
  rejected(OracleQuotes{kBtc, {quote(0, "1", 0)}}, Status::quotes_invalid);
  rejected(OracleQuotes{kBtc, {market::SourceQuote{0, price("1"), price("-1"), now_}}},
           Status::quotes_invalid);
  std::vector<market::SourceQuote> seventeen;
  for (std::uint32_t i = 0; i < 17; ++i) seventeen.push_back(quote(i % 16, "1", now_));
  rejected(OracleQuotes{kBtc, seventeen}, Status::quotes_invalid);
  // quotes_invalid comes before asset_unknown (shape before existence).
  rejected(OracleQuotes{kEth, {}}, Status::quotes_invalid);
  rejected(OracleQuotes{kEth, {quote(0, "1", now_)}}, Status::asset_unknown);
}

// ---- funding ----------------------------------------------------------------------------

TEST_F(EngineLifecycleTest, FundingAccruesIntoTheIndexAndSettlesAtTheNextFill) {
  ok(fill(kAlice, kAliceMain, kPerp, "1", "50000"));
  ok(fill(kBob, kBobMain, kPerp, "-1", "50000"));
  // The first accrual starts the clock and moves nothing.
  ok(AccrueFunding{kPerp, {}, {}});
  const TimestampNs started_ns = now_;
  EXPECT_EQ(perp_index(), market::FundingIndex{});
  EXPECT_EQ(engine_.lives()[0].funding.updated_ns, started_ns);
  // Mark 50,500 over index 50,000: premium 0.01, rate 0.01 per hour (clamp 0.04). Half an hour
  // later (the three price events land in its last three milliseconds) the index rises by
  // 0.01 × 50,000 × 1 contract × 0.5 = 250 per contract.
  at(started_ns + 30 * kMinute - 3 * kSecond / 1000);
  ok(OraclePrice{kBtc, price("50000"), price("50000")});
  ok(MarkPrice{kPerp, price("50500")});
  ok(MarkPrice{kFuture, price("50000")});
  ok(AccrueFunding{kPerp, {}, {}});
  EXPECT_EQ(perp_index(), market::FundingIndex::from_raw(250'000'000'000));
  EXPECT_EQ(engine_.prices().book.find_market(kPerp)->funding_index, perp_index());
  // Nothing moved yet (lazy): Alice owes 250, Bob is owed 250.
  EXPECT_EQ(balance(kAliceMain, kUsdc), usdc(10'000));
  // But margin counts it: Alice's equity is 10,000 + 500 uPnL at the mark − 250 owed = 10,250,
  // her initial requirement 10% of 50,500, so 5,200 may leave and not a unit more (5,450 if
  // the debt were ignored).
  rejected(Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(5'200) + 1)},
           Status::insufficient_margin);
  ok(Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(5'200))});
  // Alice sells half at 51,000: +500 realized (0.5 × 1,000) and −250 funding for the whole
  // contract held until now; her snapshot moves to 250.
  ok(fill(kAlice, kAliceMain, kPerp, "-0.5", "51000"));
  EXPECT_EQ(balance(kAliceMain, kUsdc), usdc(10'250 - 5'200));
  EXPECT_EQ(engine_.ledger().position(kAliceMain, kPerp)->funding_snapshot, perp_index());
  // Bob buys it: −500 realized, +250 funding received.
  ok(fill(kBob, kBobMain, kPerp, "0.5", "51000"));
  EXPECT_EQ(balance(kBobMain, kUsdc), usdc(9'750));
  EXPECT_EQ(balance(kClearingSub, kUsdc), 0);
}

TEST_F(EngineLifecycleTest, FundingRejectionsAreNamedAndChangeNothing) {
  rejected(AccrueFunding{kPerp, price("-1"), {}}, Status::price_invalid);
  rejected(AccrueFunding{kNoMarket, {}, {}}, Status::instrument_unknown);
  rejected(AccrueFunding{kFuture, {}, {}}, Status::instrument_not_perpetual);
  // Impact prices belong to markets whose premium uses them (dYdX); this one uses the mark.
  rejected(AccrueFunding{kPerp, price("49990"), price("50010")}, Status::price_invalid);
  // A stale price still accrues funding (Drift's UpdateFunding row); an untrusted one does not.
  let_prices_go_stale();
  ok(AccrueFunding{kPerp, {}, {}});
  quotes("90000", "90000");  // 80% from the reference: too volatile
  rejected(AccrueFunding{kPerp, {}, {}}, Status::oracle_untrusted);
}

// Random matched trading with funding accruing at random marks: whatever the path, once both
// sides are flat the clearing account holds what rounding kept for the protocol, never less than
// zero (longs never pay less funding than shorts receive, fills and settlements round against
// the holder) and at most a micro-unit per rounding.
TEST_F(EngineLifecycleTest, RandomTradingWithFundingLeavesOnlyProtocolResiduals) {
  ok(Deposit{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(5'000'000))});
  ok(Deposit{kBob, kBobMain, kUsdc, Amount::from_raw(usdc(5'000'000))});
  ok(AccrueFunding{kPerp, {}, {}});
  CounterRng rng(7, 0);
  std::int64_t roundings = 0;
  for (int step = 0; step < 300; ++step) {
    const auto btc = 45'000 + static_cast<std::int64_t>(rng.below(10'000));
    const Price mark = Price::from_raw(btc * 1'000'000'000 + static_cast<std::int64_t>(rng.below(999'999'999)));
    at(now_ + static_cast<TimestampNs>(rng.below(50)) * kSecond);
    set_prices(std::to_string(btc).c_str());
    ok(MarkPrice{kPerp, mark});
    ok(AccrueFunding{kPerp, {}, {}});
    const auto lots = static_cast<std::int64_t>(rng.below(200)) - 100;
    if (lots == 0) continue;
    const Quantity amount = Quantity::from_raw(lots * 1'000'000 + (lots > 0 ? 3'000'000 : -3'000'000));
    const Price at_price = Price::from_raw(btc * 1'000'000'000);
    ok(Fill{kAlice, kAliceMain, kPerp, amount, at_price, Money{}});
    ok(Fill{kBob, kBobMain, kPerp, Quantity::from_raw(-amount.raw()), at_price, Money{}});
    roundings += 4;  // each side: its fill value and its funding settlement
  }
  const Quantity held = size(kAliceMain, kPerp);
  if (!held.is_zero()) {
    ok(Fill{kAlice, kAliceMain, kPerp, Quantity::from_raw(-held.raw()), price("50000"), Money{}});
    ok(Fill{kBob, kBobMain, kPerp, held, price("50000"), Money{}});
    roundings += 4;
  }
  EXPECT_NE(perp_index(), market::FundingIndex{});
  EXPECT_EQ(size(kBobMain, kPerp), Quantity{});
  const std::int64_t clearing = balance(kClearingSub, kUsdc);
  EXPECT_GE(clearing, 0);
  EXPECT_LE(clearing, roundings);
}

// ---- expiry -----------------------------------------------------------------------------

class EngineExpiryTest : public EngineLifecycleTest {
 protected:
  // Alice long 1 future and 1 call (bought at 1,000), Bob the other side of both; then BTC at
  // 50,000 until 40 minutes before expiry, 52,000 from 20 minutes before, 53,000 from 10
  // minutes before (a quotes reading), confirmed 30 s before expiry.
  void trade_and_move_the_index() {
    // Bob writes the call: 0.15 × 50,000 + 1,000 (Deribit's rule) beside 5,000 for the future.
    ok(Deposit{kBob, kBobMain, kUsdc, Amount::from_raw(usdc(20'000))});
    ok(MarkPrice{kCall, price("1000")});
    ok(fill(kAlice, kAliceMain, kFuture, "1", "50000"));
    ok(fill(kBob, kBobMain, kFuture, "-1", "50000"));
    ok(fill(kAlice, kAliceMain, kCall, "1", "1000"));
    ok(fill(kBob, kBobMain, kCall, "-1", "1000"));
    at(kExpiry - 40 * kMinute);
    set_prices("50000");
    at(kExpiry - 20 * kMinute);
    set_prices("52000");
    at(kExpiry - 10 * kMinute);
    quotes("53000", "53000");
    at(kExpiry - 30 * kSecond);
    quotes("53000", "53000");
  }
};

TEST_F(EngineExpiryTest, FuturesAndOptionsSettleAtTheWindowsTwap) {
  trade_and_move_the_index();
  rejected(SettleExpiry{kFuture}, Status::expiry_not_reached);
  at(kExpiry + kSecond);
  // Over [expiry − 30 min, expiry]: 50,000 for 10 min, 52,000 for 10, 53,000 for 10: the TWAP
  // is 155,000 / 3 = 51,666.666666666(6), rounded down.
  ok(SettleExpiry{kFuture});
  EXPECT_EQ(engine_.lives()[1].settled_at, price("51666.666666666"));
  // The long receives (51,666.666666666 − 50,000) × 1 floored to the micro-unit; the short pays
  // the ceiling; clearing keeps the 0.000001 between them.
  EXPECT_EQ(balance(kAliceMain, kUsdc), usdc(10'000 - 1'000) + 1'666'666'666);
  EXPECT_EQ(balance(kBobMain, kUsdc), usdc(30'000 + 1'000) - 1'666'666'667);
  EXPECT_EQ(balance(kClearingSub, kUsdc), 1);
  EXPECT_EQ(engine_.ledger().position(kAliceMain, kFuture), nullptr);
  EXPECT_EQ(engine_.ledger().position(kBobMain, kFuture), nullptr);
  EXPECT_EQ(open_interest(kFuture), Money{});
  // The call pays max(51,666.666666666 − 50,000, 0) = 1,666.666666666 per unit: the holder gets
  // the floor, the writer pays the ceiling.
  ok(SettleExpiry{kCall});
  EXPECT_EQ(balance(kAliceMain, kUsdc), usdc(9'000) + 2 * std::int64_t{1'666'666'666});
  EXPECT_EQ(balance(kBobMain, kUsdc), usdc(31'000) - 2 * std::int64_t{1'666'666'667});
  EXPECT_EQ(balance(kClearingSub, kUsdc), 2);
  // Once only; and an expired instrument takes no fills.
  rejected(SettleExpiry{kFuture}, Status::instrument_settled);
  rejected(fill(kAlice, kAliceMain, kFuture, "1", "50000"), Status::instrument_expired);
}

TEST_F(EngineExpiryTest, SettlementNeedsADatedInstrumentAndAFreshWindow) {
  rejected(SettleExpiry{kNoMarket}, Status::instrument_unknown);
  rejected(SettleExpiry{kPerp}, Status::instrument_not_dated);
  trade_and_move_the_index();
  // Readings judged untrusted never enter the window: after a too-volatile spike the window
  // still averages 51,666.666666666.
  quotes("99000", "99000");
  EXPECT_EQ(btc_feed().validity, market::OracleValidity::too_volatile);
  at(kExpiry + kSecond);
  ok(SettleExpiry{kFuture});
  EXPECT_EQ(engine_.lives()[1].settled_at, price("51666.666666666"));
}

TEST_F(EngineLifecycleTest, ASettlementWindowWithoutARecentReadingIsStale) {
  // The last valid reading is 40 minutes before expiry: older than price_max_age (60 s) at
  // expiry, so the window's price is stale, and expiry settlement needs a valid one.
  at(kExpiry - 40 * kMinute);
  set_prices("50000");
  at(kExpiry);
  rejected(SettleExpiry{kFuture}, Status::price_stale);
}

// ---- state ------------------------------------------------------------------------------

TEST_F(EngineExpiryTest, SnapshotAndReplayCarryFeedsFundingAndWindows) {
  ok(fill(kAlice, kAliceMain, kPerp, "1", "50000"));
  ok(fill(kBob, kBobMain, kPerp, "-1", "50000"));
  ok(AccrueFunding{kPerp, {}, {}});
  trade_and_move_the_index();
  ok(MarkPrice{kPerp, price("53100")});
  ok(AccrueFunding{kPerp, {}, {}});
  ASSERT_NE(perp_index(), market::FundingIndex{});
  const std::string snapshot = engine_.snapshot();
  auto restored = Engine::restore(snapshot);
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(restored->snapshot(), snapshot);
  EXPECT_EQ(restored->prices().book.find_market(kPerp)->funding_index, perp_index());
  // Both go on alike: the window, the stable model and the index continue exactly.
  at(kExpiry + kSecond);
  const std::vector<EventBody> tail = {SettleExpiry{kFuture}, OracleQuotes{kBtc, {}},
                                       fill(kAlice, kAliceMain, kPerp, "-1", "53100")};
  for (EventBody body : tail) {
    if (auto* q = std::get_if<OracleQuotes>(&body)) {
      q->quotes = {quote(0, "53050", now_), quote(1, "53060", now_)};
    }
    const Event e = next(body);
    EXPECT_EQ(restored->apply(e), engine_.apply(e)) << event_to_json(e);
    EXPECT_EQ(restored->state_hash(), engine_.state_hash()) << event_to_json(e);
  }
  // And a replay of everything from genesis lands on the same state.
  Engine replayed{risk()};
  for (const auto& [bytes, outcome] : log_) {
    auto e = decode_event(bytes);
    ASSERT_TRUE(e.ok());
    replayed.apply(*e);
  }
  auto settled = Engine::restore(snapshot);
  ASSERT_TRUE(settled.ok());
  EXPECT_EQ(replayed.state_hash(), settled->state_hash());
}

TEST_F(EngineLifecycleTest, CorruptFeedBytesAreRefused) {
  quotes("50000", "50000");
  const std::string snapshot = engine_.snapshot();
  ASSERT_TRUE(Engine::restore(snapshot).ok());
  // Every single-byte change in the feed and market tail either fails to restore or restores to
  // an engine whose snapshot is those exact bytes (never a silently different state).
  const std::size_t tail_bytes = 2 * (3 + 8 + 1 + 8 + 24 * 8 + 16 + 24) + 4 * 16 + 2 * 40;
  for (std::size_t at_byte = snapshot.size() - std::min(tail_bytes, snapshot.size());
       at_byte < snapshot.size(); ++at_byte) {
    std::string bad = snapshot;
    bad[at_byte] = static_cast<char>(bad[at_byte] ^ 0x5a);
    auto restored = Engine::restore(bad);
    if (restored.ok()) {
      EXPECT_EQ(restored->snapshot(), bad) << "byte " << at_byte;
    }
  }
}

}  // namespace
}  // namespace ballast
