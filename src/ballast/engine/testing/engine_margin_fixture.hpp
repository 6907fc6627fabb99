#pragma once
// The engine test venue (engine_margin_test, engine_lifecycle_test): USDC, BTC and ETH listed;
// a BTC perpetual, a dated future and spot; Alice and Bob with 10,000 USDC each; helpers that
// apply an event and check that it passed (value conserved, totals equal to a recount) or was
// rejected with the expected status and changed nothing.

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "ballast/core/testing/fixed_text.hpp"
#include "ballast/engine/codec.hpp"
#include "ballast/engine/engine.hpp"

namespace ballast {

inline void PrintTo(Status status, std::ostream* os) { *os << status_name(status); }

namespace engine_testing {

constexpr TimestampNs kT0 = 1'735'689'600'000'000'000;  // 2025-01-01T00:00:00Z
constexpr TimestampNs kSecond = 1'000'000'000;

constexpr AssetId kUsdc{1};
constexpr AssetId kBtc{2};
constexpr AssetId kEth{3};  // listed in the ledger, not in the risk configuration
constexpr InstrumentId kPerp{10};
constexpr InstrumentId kFuture{11};
constexpr InstrumentId kSpot{12};
constexpr InstrumentId kNoMarket{99};
constexpr AccountId kAlice{16};
constexpr AccountId kBob{17};
constexpr SubAccountId kAliceMain{100};
constexpr SubAccountId kAliceIsolated{101};
constexpr SubAccountId kBobMain{200};
constexpr SubAccountId kClearingSub{kClearing.value};
constexpr SubAccountId kFeeSub{kFeePool.value};

inline std::int64_t usdc(std::int64_t whole) { return whole * 1'000'000; }

inline market::Instrument instrument(InstrumentId id, const char* symbol, market::InstrumentKind kind) {
  market::Instrument out;
  out.id = id;
  out.symbol = symbol;
  out.kind = kind;
  out.underlying = kBtc;
  out.settle = kUsdc;
  out.contract_size = qty("1");
  out.tick = price("0.1");
  out.lot = qty("0.001");
  return out;
}

// USDC the quote; BTC collateral at 0.8 initial / 0.9 maintenance; a BTC perpetual and a future
// at 10% initial / 5% maintenance; BTC-USDC spot, not borrowable.
inline margin::RiskConfig venue() {
  margin::RiskConfig config;
  config.quote = kUsdc;
  config.assets.push_back(margin::AssetRisk{kUsdc, "USDC", 6, {}});
  margin::AssetRisk btc{kBtc, "BTC", 8, {}};
  btc.collateral.init_asset_weight = ratio("0.8");
  btc.collateral.maint_asset_weight = ratio("0.9");
  btc.collateral.maint_liability_weight = ratio("1.1");
  btc.collateral.init_liability_weight = ratio("1.2");
  config.assets.push_back(btc);
  margin::MarketRisk perp{instrument(kPerp, "BTC-PERP", market::InstrumentKind::perpetual), {}, {}, {}};
  perp.instrument.funding.interval_ns = 3'600 * kSecond;
  perp.instrument.funding.clamp = ratio("0.04");
  perp.rule = margin::BaseRule{ratio("0.1"), ratio("0.05")};
  config.markets.push_back(perp);
  margin::MarketRisk future{instrument(kFuture, "BTC-JAN25", market::InstrumentKind::future), {}, {}, {}};
  future.instrument.expiry_ns = kT0 + 3'600 * kSecond;
  future.rule = margin::BaseRule{ratio("0.1"), ratio("0.05")};
  config.markets.push_back(future);
  config.markets.push_back(
      margin::MarketRisk{instrument(kSpot, "BTC-USDC", market::InstrumentKind::spot), {}, {}, {}});
  return config;
}

inline Fill fill(AccountId account, SubAccountId sub, InstrumentId id, const char* size, const char* at,
          const char* fee = "0") {
  return Fill{account, sub, id, qty(size), price(at), money(fee)};
}

class EngineMarginTest : public ::testing::Test {
 protected:
  // USDC, BTC and ETH listed; Alice (cross 100, isolated 101) and Bob (cross 200) hold 10,000
  // USDC each; BTC at 50,000 (oracle, stable and marks).
  void SetUp() override {
    engine_ = Engine(risk(), options());
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

  Engine engine_;
  std::uint64_t next_id_ = 1;
  TimestampNs now_ = kT0;
  std::vector<std::pair<std::string, Status>> log_;  // every event given, with its outcome
};

}  // namespace engine_testing
}  // namespace ballast
