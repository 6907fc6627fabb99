#pragma once
// The engine test fixture (engine_margin_test, engine_lifecycle_test) on margin_venue.hpp's
// venue: USDC, BTC and ETH listed; Alice and Bob with 10,000 USDC each; helpers that apply an
// event and check that it passed (value conserved, totals equal to a recount) or was rejected
// with the expected status and changed nothing.

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "ballast/engine/codec.hpp"
#include "ballast/engine/engine.hpp"
#include "ballast/engine/testing/margin_venue.hpp"

namespace ballast {

inline void PrintTo(Status status, std::ostream* os) { *os << status_name(status); }

namespace engine_testing {

class EngineMarginTest : public ::testing::Test {
 protected:
  // USDC, BTC and ETH listed; Alice (cross 100, isolated 101) and Bob (cross 200) hold 10,000
  // USDC each; BTC at 50,000 (oracle, stable and marks).
  void SetUp() override {
    Result<Engine> made = Engine::make(risk(), options(), portfolio());
    ASSERT_TRUE(made.ok()) << made.error().message;
    engine_ = std::move(*made);
    ok(ListAsset{kUsdc, "USDC", 6, kAssetFlagsAll});
    ok(ListAsset{kBtc, "BTC", 8, kAssetFlagsAll});
    ok(ListAsset{kEth, "ETH", 9, kAssetFlagsAll});
    ok(CreateAccount{kAlice});
    ok(CreateAccount{kBob});
    ok(CreateSubAccount{kAlice, kAliceMain, MarginMode::cross});
    ok(CreateSubAccount{kAlice, kAliceIsolated, MarginMode::isolated});
    ok(CreateSubAccount{kBob, kBobMain, MarginMode::cross});
    ok(Deposit{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(10'000))});
    ok(Deposit{kBob, kBobMain, kUsdc, Amount::from_raw(usdc(10'000))});
    set_prices("50000");
  }

  void set_prices(const char* btc) {
    ok(OraclePrice{kBtc, price(btc), price(btc)});
    ok(MarkPrice{kPerp, price(btc)});
    ok(MarkPrice{kFuture, price(btc)});
  }

  Event next(EventBody body) {
    now_ += kSecond / 1000;
    return Event{EventId{next_id_++}, now_, std::move(body)};
  }
  // The venue the fixture runs, and its engine options: subclasses change them.
  virtual margin::RiskConfig risk() const { return venue(); }
  virtual EngineOptions options() const { return {}; }
  virtual std::optional<portfolio::PortfolioConfig> portfolio() const { return std::nullopt; }

  void ok(EventBody body) {
    const Event e = next(std::move(body));
    EXPECT_EQ(engine_.apply(e), Status::ok) << event_to_json(e);
    EXPECT_TRUE(engine_.ledger().conserves_value()) << event_to_json(e);
    EXPECT_TRUE(engine_.totals() == engine_.recount_totals()) << event_to_json(e);
    log_.emplace_back(encode_event(e), Status::ok);
  }
  // Rejected with `expected`, and nothing changes.
  void rejected(EventBody body, Status expected) {
    const Event e = next(std::move(body));
    const Digest before = engine_.state_hash();
    const VenueTotals totals_before = engine_.totals();
    EXPECT_EQ(engine_.apply(e), expected) << event_to_json(e);
    EXPECT_EQ(engine_.state_hash(), before) << event_to_json(e);
    EXPECT_TRUE(engine_.totals() == totals_before) << event_to_json(e);
    EXPECT_TRUE(engine_.ledger().conserves_value());
    log_.emplace_back(encode_event(e), expected);
  }
  std::int64_t balance(SubAccountId sub, AssetId asset) const {
    return engine_.ledger().balance(sub, asset).raw();
  }
  Quantity size(SubAccountId sub, InstrumentId id) const {
    const market::Position* held = engine_.ledger().position(sub, id);
    return held == nullptr ? Quantity{} : held->size;
  }

  // Lets every price age past price_max_age_ns (events keep coming a millisecond apart).
  void let_prices_go_stale() { now_ += engine_.options().price_max_age_ns; }
  Money open_interest(InstrumentId id) const {
    return engine_.prices().book.find_market(id)->open_interest;
  }
  const margin::AssetPrice& btc_price() const { return *engine_.prices().book.find_asset(kBtc); }
  // The log replayed into a fresh engine made like this one gives every event its recorded
  // answer and ends at this engine's state hash; so does restore(snapshot()).
  void expect_replay_and_restore_match() {
    Result<Engine> replayed = Engine::make(risk(), options(), portfolio());
    ASSERT_TRUE(replayed.ok()) << replayed.error().message;
    for (const auto& [bytes, status] : log_) {
      const Result<Event> e = decode_event(bytes);
      ASSERT_TRUE(e.ok()) << e.error().message;
      EXPECT_EQ(replayed->apply(*e), status);
    }
    EXPECT_EQ(replayed->state_hash(), engine_.state_hash());
    Result<Engine> restored = Engine::restore(engine_.snapshot());
    ASSERT_TRUE(restored.ok()) << restored.error().message;
    EXPECT_EQ(restored->state_hash(), engine_.state_hash());
  }

  Engine engine_;
  std::uint64_t next_id_ = 1;
  TimestampNs now_ = kT0;
  std::vector<std::pair<std::string, Status>> log_;  // every event given, with its outcome
};

}  // namespace engine_testing
}  // namespace ballast
