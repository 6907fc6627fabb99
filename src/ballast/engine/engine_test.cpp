#include "ballast/engine/engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "ballast/engine/codec.hpp"

namespace ballast {

// Statuses print by name in failure messages.
void PrintTo(Status status, std::ostream* os) { *os << status_name(status); }

namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr TimestampNs kT0 = 1'735'689'600'000'000'000;  // 2025-01-01T00:00:00Z

constexpr AssetId kUsdc{1};
constexpr AssetId kBtc{2};
constexpr AssetId kNoAsset{99};
constexpr AccountId kAlice{16};
constexpr AccountId kBob{17};
constexpr AccountId kNobody{18};
constexpr SubAccountId kAliceMain{100};
constexpr SubAccountId kAliceHedge{101};
constexpr SubAccountId kBobMain{200};
constexpr SubAccountId kNoSub{300};

Amount amount(std::int64_t raw) { return Amount::from_raw(raw); }

std::size_t rank(Status status) {
  return static_cast<std::size_t>(
      std::find(kStatusPrecedence.begin(), kStatusPrecedence.end(), status) -
      kStatusPrecedence.begin());
}

class EngineTest : public ::testing::Test {
 protected:
  // USDC and BTC listed with every flag; Alice with a cross and an isolated sub-account, Bob
  // with one; Alice holds 1,000 USDC (6 decimals) in her main sub-account.
  void SetUp() override {
    ok(ListAsset{kUsdc, "USDC", 6, kAssetFlagsAll});
    ok(ListAsset{kBtc, "BTC", 8, kAssetFlagsAll});
    ok(CreateAccount{kAlice});
    ok(CreateAccount{kBob});
    ok(CreateSubAccount{kAlice, kAliceMain, MarginMode::cross});
    ok(CreateSubAccount{kAlice, kAliceHedge, MarginMode::isolated});
    ok(CreateSubAccount{kBob, kBobMain, MarginMode::cross});
    ok(Deposit{kAlice, kAliceMain, kUsdc, amount(1'000'000'000)});
  }

  Event next(EventBody body) {
    now_ += 1'000;
    return Event{EventId{next_id_++}, now_, std::move(body)};
  }
  Status apply(EventBody body) { return engine_.apply(next(std::move(body))); }
  void ok(EventBody body) {
    const Event e = next(std::move(body));
    EXPECT_EQ(engine_.apply(e), Status::ok) << event_to_json(e);
    EXPECT_TRUE(engine_.ledger().conserves_value());
  }

  // The event is rejected with `expected`, and nothing changes: not the state hash, not the
  // clock, not the idempotency table. A rejection is not remembered, so a retry answers the same.
  void rejected(const Event& e, Status expected) {
    const Digest before = engine_.state_hash();
    const std::string snapshot_before = engine_.snapshot();
    const auto applied_before = engine_.applied_count();
    const TimestampNs clock_before = engine_.clock_ns();
    EXPECT_EQ(engine_.apply(e), expected) << event_to_json(e);
    EXPECT_EQ(engine_.state_hash(), before) << event_to_json(e);
    EXPECT_EQ(engine_.snapshot(), snapshot_before);
    EXPECT_EQ(engine_.applied_count(), applied_before);
    EXPECT_EQ(engine_.clock_ns(), clock_before);
    EXPECT_EQ(engine_.apply(e), expected) << "retry of " << event_to_json(e);
    EXPECT_EQ(engine_.state_hash(), before);
    EXPECT_TRUE(engine_.ledger().conserves_value());
  }
  void rejected(EventBody body, Status expected) { rejected(next(std::move(body)), expected); }

  // `body` breaks two rules; the one ranked first wins.
  void precedence(EventBody body, Status first, Status second) {
    ASSERT_LT(rank(first), rank(second)) << status_name(first) << " vs " << status_name(second);
    rejected(std::move(body), first);
  }

  std::int64_t balance(SubAccountId sub_account, AssetId asset) const {
    return engine_.ledger().balance(sub_account, asset).raw();
  }

  Engine engine_;
  std::uint64_t next_id_ = 1;
  TimestampNs now_ = kT0;
};

// ---- every status an event can produce ----------------------------------------------------

TEST_F(EngineTest, SetUpIsAccepted) {
  EXPECT_EQ(engine_.applied_count(), 8u);
  EXPECT_EQ(engine_.clock_ns(), kT0 + 8'000);
  EXPECT_EQ(balance(kAliceMain, kUsdc), 1'000'000'000);
  EXPECT_EQ(engine_.ledger().account_count(), 6u);
  EXPECT_EQ(engine_.ledger().sub_account_count(), 7u);
}

TEST_F(EngineTest, IdZero) {
  rejected(Event{EventId{0}, now_ + 1, CreateAccount{AccountId{50}}}, Status::id_zero);
}

TEST_F(EngineTest, TimestampInvalid) {
  rejected(Event{EventId{500}, 0, CreateAccount{AccountId{50}}}, Status::timestamp_invalid);
  rejected(Event{EventId{500}, -1, CreateAccount{AccountId{50}}}, Status::timestamp_invalid);
  rejected(Event{EventId{500}, kMin, CreateAccount{AccountId{50}}}, Status::timestamp_invalid);
}

TEST_F(EngineTest, ExistsForTheSameIdAndTheSameEvent) {
  const Event deposit = next(Deposit{kAlice, kAliceMain, kUsdc, amount(5)});
  ASSERT_EQ(engine_.apply(deposit), Status::ok);
  EXPECT_EQ(balance(kAliceMain, kUsdc), 1'000'000'005);
  rejected(deposit, Status::exists);  // applied once only
  EXPECT_EQ(balance(kAliceMain, kUsdc), 1'000'000'005);
  // Still a retry after the clock has moved on and other events have been applied.
  ok(Withdraw{kAlice, kAliceMain, kUsdc, amount(1'000'000'005)});
  rejected(deposit, Status::exists);
}

TEST_F(EngineTest, IdReusedForTheSameIdAndAnotherEvent) {
  const Event deposit = next(Deposit{kAlice, kAliceMain, kUsdc, amount(5)});
  ASSERT_EQ(engine_.apply(deposit), Status::ok);
  Event other_amount = deposit;
  std::get<Deposit>(other_amount.body).amount = amount(6);
  rejected(other_amount, Status::id_reused);
  Event other_time = deposit;
  other_time.timestamp_ns += 1;
  rejected(other_time, Status::id_reused);
  rejected(Event{deposit.id, deposit.timestamp_ns, CreateAccount{AccountId{50}}},
           Status::id_reused);
}

TEST_F(EngineTest, TimestampRegressed) {
  rejected(Event{EventId{500}, now_ - 1, CreateAccount{AccountId{50}}},
           Status::timestamp_regressed);
  // Equal timestamps are allowed: time does not have to move, only not go back.
  EXPECT_EQ(engine_.apply(Event{EventId{501}, now_, CreateAccount{AccountId{50}}}), Status::ok);
  EXPECT_EQ(engine_.clock_ns(), now_);
}

TEST_F(EngineTest, AmountZero) {
  rejected(Deposit{kAlice, kAliceMain, kUsdc, amount(0)}, Status::amount_zero);
  rejected(Withdraw{kAlice, kAliceMain, kUsdc, amount(0)}, Status::amount_zero);
  rejected(Transfer{kAlice, kAliceMain, kAliceHedge, kUsdc, amount(0)}, Status::amount_zero);
}

TEST_F(EngineTest, AmountNegative) {
  rejected(Deposit{kAlice, kAliceMain, kUsdc, amount(-1)}, Status::amount_negative);
  rejected(Withdraw{kAlice, kAliceMain, kUsdc, amount(-5)}, Status::amount_negative);
  rejected(Transfer{kAlice, kAliceMain, kAliceHedge, kUsdc, amount(kMin)}, Status::amount_negative);
  rejected(Deposit{kAlice, kAliceMain, kUsdc, amount(kMin)}, Status::amount_negative);
}

TEST_F(EngineTest, SymbolInvalid) {
  for (const std::string& symbol : {std::string(""), std::string(16, 'A'), std::string("btc"),
                                    std::string("BT C"), std::string("B$"), std::string("SOL\n"),
                                    std::string("\xc3\x89TH"), std::string("A\0B", 3)}) {
    rejected(ListAsset{AssetId{9}, symbol, 6, kAssetFlagsAll}, Status::symbol_invalid);
  }
  ok(ListAsset{AssetId{9}, std::string(15, 'A'), 6, kAssetFlagsAll});
  ok(ListAsset{AssetId{10}, "W.ETH-2_0", 6, kAssetFlagsAll});
}

TEST_F(EngineTest, DecimalsInvalid) {
  rejected(ListAsset{AssetId{9}, "SOL", 19, kAssetFlagsAll}, Status::decimals_invalid);
  rejected(ListAsset{AssetId{9}, "SOL", 255, kAssetFlagsAll}, Status::decimals_invalid);
  ok(ListAsset{AssetId{9}, "SOL", 18, kAssetFlagsAll});
  ok(ListAsset{AssetId{10}, "DOGE", 0, kAssetFlagsAll});
}

TEST_F(EngineTest, FlagsInvalid) {
  // Unknown bits are carried by both codecs (they are a byte in the format) and judged here:
  // a rejection, never an assertion in the ledger.
  rejected(ListAsset{AssetId{9}, "SOL", 9, 0x08}, Status::flags_invalid);
  rejected(ListAsset{AssetId{9}, "SOL", 9, 0xff}, Status::flags_invalid);
  rejected(SetAssetFlags{kUsdc, 0x10}, Status::flags_invalid);
  rejected(SetAssetFlags{kUsdc, kAssetFlagsAll | 0x80}, Status::flags_invalid);
  ok(ListAsset{AssetId{9}, "SOL", 9, 0});
  ok(SetAssetFlags{AssetId{9}, kAssetFlagsAll});
}

TEST_F(EngineTest, ModeInvalid) {
  // A margin mode is a byte in the format, and the codecs carry any byte; only cross (0),
  // isolated (1) and portfolio (2) exist. Accepting another would put a sub-account in the
  // snapshot that Engine::restore refuses.
  for (const int mode : {3, 0x7f, 0xff}) {
    rejected(CreateSubAccount{kAlice, SubAccountId{400}, static_cast<MarginMode>(mode)},
             Status::mode_invalid);
  }
  // As decoded from the log's bytes and from JSON.
  std::string bytes =
      encode_event(next(CreateSubAccount{kAlice, SubAccountId{400}, MarginMode::cross}));
  bytes.back() = '\x03';
  const auto decoded = decode_event(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  rejected(*decoded, Status::mode_invalid);
  const auto parsed = event_from_json(event_to_json(*decoded));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, *decoded);
  rejected(*parsed, Status::mode_invalid);
  ASSERT_TRUE(Engine::restore(engine_.snapshot()).ok());
  ok(CreateSubAccount{kAlice, SubAccountId{400}, MarginMode::cross});
  ok(CreateSubAccount{kAlice, SubAccountId{401}, MarginMode::isolated});
  const auto restored = Engine::restore(engine_.snapshot());
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(restored->state_hash(), engine_.state_hash());
}

TEST_F(EngineTest, DecodedUnknownFlagBitsAreRejectedNotRefused) {
  // The binary decoder carries unknown flag bits; the engine answers flags_invalid.
  std::string listing = encode_event(next(ListAsset{AssetId{9}, "SOL", 9, 0}));
  listing.back() = '\x08';
  const auto decoded_listing = decode_event(listing);
  ASSERT_TRUE(decoded_listing.ok()) << decoded_listing.error().message;
  rejected(*decoded_listing, Status::flags_invalid);
  std::string update = encode_event(next(SetAssetFlags{kUsdc, 0}));
  update.back() = '\xff';
  const auto decoded_update = decode_event(update);
  ASSERT_TRUE(decoded_update.ok()) << decoded_update.error().message;
  rejected(*decoded_update, Status::flags_invalid);
}

TEST_F(EngineTest, AccountIdReserved) {
  rejected(CreateAccount{AccountId{0}}, Status::account_id_reserved);
  rejected(CreateAccount{AccountId{15}}, Status::account_id_reserved);
  rejected(CreateSubAccount{kAlice, SubAccountId{15}, MarginMode::cross},
           Status::account_id_reserved);
  rejected(CreateSubAccount{kAlice, SubAccountId{0}, MarginMode::cross},
           Status::account_id_reserved);
  ok(CreateAccount{AccountId{kFirstUserId + 100}});
}

TEST_F(EngineTest, SameSubAccount) {
  rejected(Transfer{kAlice, kAliceMain, kAliceMain, kUsdc, amount(1)}, Status::same_sub_account);
}

TEST_F(EngineTest, AssetExists) {
  rejected(ListAsset{kUsdc, "USDT", 6, kAssetFlagsAll}, Status::asset_exists);
}

TEST_F(EngineTest, SymbolExists) {
  rejected(ListAsset{AssetId{9}, "USDC", 2, kAssetFlagsAll}, Status::symbol_exists);
}

TEST_F(EngineTest, AssetUnknown) {
  rejected(SetAssetFlags{kNoAsset, 0}, Status::asset_unknown);
  rejected(Deposit{kAlice, kAliceMain, kNoAsset, amount(1)}, Status::asset_unknown);
  rejected(Withdraw{kAlice, kAliceMain, kNoAsset, amount(1)}, Status::asset_unknown);
  rejected(Transfer{kAlice, kAliceMain, kAliceHedge, kNoAsset, amount(1)}, Status::asset_unknown);
}

TEST_F(EngineTest, AccountExists) { rejected(CreateAccount{kAlice}, Status::account_exists); }

TEST_F(EngineTest, AccountUnknown) {
  rejected(CreateSubAccount{kNobody, SubAccountId{400}, MarginMode::cross},
           Status::account_unknown);
  rejected(Deposit{kNobody, kAliceMain, kUsdc, amount(1)}, Status::account_unknown);
  rejected(Withdraw{kNobody, kAliceMain, kUsdc, amount(1)}, Status::account_unknown);
  rejected(Transfer{kNobody, kAliceMain, kAliceHedge, kUsdc, amount(1)}, Status::account_unknown);
}

TEST_F(EngineTest, SubAccountExists) {
  rejected(CreateSubAccount{kAlice, kAliceMain, MarginMode::cross}, Status::sub_account_exists);
  rejected(CreateSubAccount{kBob, kAliceMain, MarginMode::isolated}, Status::sub_account_exists);
}

TEST_F(EngineTest, SubAccountUnknown) {
  rejected(Deposit{kAlice, kNoSub, kUsdc, amount(1)}, Status::sub_account_unknown);
  rejected(Withdraw{kAlice, kNoSub, kUsdc, amount(1)}, Status::sub_account_unknown);
  rejected(Transfer{kAlice, kNoSub, kAliceMain, kUsdc, amount(1)}, Status::sub_account_unknown);
}

TEST_F(EngineTest, SubAccountForeign) {
  ok(Deposit{kBob, kBobMain, kUsdc, amount(50)});
  rejected(Deposit{kAlice, kBobMain, kUsdc, amount(1)}, Status::sub_account_foreign);
  rejected(Withdraw{kAlice, kBobMain, kUsdc, amount(1)}, Status::sub_account_foreign);
  rejected(Transfer{kAlice, kBobMain, kAliceMain, kUsdc, amount(1)}, Status::sub_account_foreign);
  // A system sub-account is foreign to every user.
  rejected(Withdraw{kAlice, SubAccountId{kInsuranceFund.value}, kUsdc, amount(1)},
           Status::sub_account_foreign);
}

TEST_F(EngineTest, ToSubAccountUnknown) {
  rejected(Transfer{kAlice, kAliceMain, kNoSub, kUsdc, amount(1)}, Status::to_sub_account_unknown);
}

TEST_F(EngineTest, ToSubAccountForeign) {
  rejected(Transfer{kAlice, kAliceMain, kBobMain, kUsdc, amount(1)},
           Status::to_sub_account_foreign);
  rejected(Transfer{kAlice, kAliceMain, SubAccountId{kFeePool.value}, kUsdc, amount(1)},
           Status::to_sub_account_foreign);
}

TEST_F(EngineTest, DepositsDisabled) {
  ok(SetAssetFlags{kUsdc, kAssetWithdrawals | kAssetTransfers});
  rejected(Deposit{kAlice, kAliceMain, kUsdc, amount(1)}, Status::deposits_disabled);
  // The others still work.
  ok(Withdraw{kAlice, kAliceMain, kUsdc, amount(1)});
  ok(Transfer{kAlice, kAliceMain, kAliceHedge, kUsdc, amount(1)});
}

TEST_F(EngineTest, WithdrawalsDisabled) {
  ok(SetAssetFlags{kUsdc, kAssetDeposits | kAssetTransfers});
  rejected(Withdraw{kAlice, kAliceMain, kUsdc, amount(1)}, Status::withdrawals_disabled);
  ok(Deposit{kAlice, kAliceMain, kUsdc, amount(1)});
  ok(Transfer{kAlice, kAliceMain, kAliceHedge, kUsdc, amount(1)});
}

TEST_F(EngineTest, TransfersDisabled) {
  ok(SetAssetFlags{kUsdc, kAssetDeposits | kAssetWithdrawals});
  rejected(Transfer{kAlice, kAliceMain, kAliceHedge, kUsdc, amount(1)}, Status::transfers_disabled);
  ok(SetAssetFlags{kUsdc, kAssetFlagsAll});
  ok(Transfer{kAlice, kAliceMain, kAliceHedge, kUsdc, amount(1)});
}

TEST_F(EngineTest, InsufficientBalance) {
  rejected(Withdraw{kAlice, kAliceMain, kUsdc, amount(1'000'000'001)},
           Status::insufficient_balance);
  rejected(Transfer{kAlice, kAliceMain, kAliceHedge, kUsdc, amount(1'000'000'001)},
           Status::insufficient_balance);
  rejected(Withdraw{kAlice, kAliceHedge, kUsdc, amount(1)}, Status::insufficient_balance);
  rejected(Withdraw{kAlice, kAliceMain, kBtc, amount(1)}, Status::insufficient_balance);
  rejected(Withdraw{kAlice, kAliceMain, kUsdc, amount(kMax)}, Status::insufficient_balance);
  // Exactly the free balance is fine.
  ok(Transfer{kAlice, kAliceMain, kAliceHedge, kUsdc, amount(400'000'000)});
  ok(Withdraw{kAlice, kAliceMain, kUsdc, amount(600'000'000)});
  EXPECT_EQ(balance(kAliceMain, kUsdc), 0);
  rejected(Transfer{kAlice, kAliceMain, kAliceHedge, kUsdc, amount(1)},
           Status::insufficient_balance);
}

TEST_F(EngineTest, BalanceOverflowOnDeposit) {
  // The sub-account's balance.
  ok(Deposit{kBob, kBobMain, kBtc, amount(kMax - 10)});
  rejected(Deposit{kBob, kBobMain, kBtc, amount(11)}, Status::balance_overflow);
  // The asset's deposited total, with room left in the sub-account.
  rejected(Deposit{kAlice, kAliceHedge, kBtc, amount(11)}, Status::balance_overflow);
  ok(Deposit{kAlice, kAliceHedge, kBtc, amount(10)});
  // Everything withdrawn: balances are empty, but the total ever deposited is at its limit.
  ok(Withdraw{kBob, kBobMain, kBtc, amount(kMax - 10)});
  ok(Withdraw{kAlice, kAliceHedge, kBtc, amount(10)});
  rejected(Deposit{kAlice, kAliceMain, kBtc, amount(1)}, Status::balance_overflow);
  EXPECT_EQ(engine_.ledger().find_asset(kBtc)->deposited.raw(), kMax);
  EXPECT_EQ(engine_.ledger().find_asset(kBtc)->withdrawn.raw(), kMax);
}

// A snapshot with borrows (negative balances), which the engine cannot create yet but the
// snapshot format allows: withdrawals and transfers can then overflow too.
//   asset 1: deposited INT64_MAX, withdrawn INT64_MAX - 60 (60 held in all)
//   sub-account 100 (Alice): +100;  101 (Alice): INT64_MAX - 50;  102 (Alice): 10 - INT64_MAX
std::string snapshot_with_borrows() {
  ByteWriter out;
  out.u32(0x54534c42);  // "BLST"
  out.u32(9);
  out.i64(kT0);
  out.u64(0);  // idempotency table
  out.u32(1);  // assets
  out.u32(1);
  out.text("USDC");
  out.u8(6);
  out.u8(kAssetFlagsAll);
  out.i64(kMax);
  out.i64(kMax - 60);
  out.u64(5);  // accounts
  for (const std::uint64_t id : {1u, 2u, 3u, 4u, 16u}) out.u64(id);
  out.u64(7);  // sub-accounts
  for (const std::uint64_t id : {1u, 2u, 3u, 4u}) {
    out.u64(id);
    out.u64(id);
    out.u8(0);
    out.u32(0);  // balances
    out.u32(0);  // positions
  }
  const std::int64_t balances[] = {100, kMax - 50, 10 - kMax};
  for (std::uint64_t i = 0; i < 3; ++i) {
    out.u64(100 + i);
    out.u64(16);
    out.u8(0);
    out.u32(1);
    out.u32(1);
    out.i64(balances[i]);
    out.u32(0);  // positions
  }
  out.u8(0);                 // no risk configuration
  out.i64(60'000'000'000);   // price_max_age_ns
  out.u32(0);                // oracle prices
  out.u32(0);                // marks
  out.u32(0);                // liquidation episodes
  out.u8(0);                 // no bad debt seen
  out.i64(0);
  out.u64(0);                // bankruptcies
  out.u64(0);                // ADL closes
  for (int total = 0; total < 5; ++total) {  // loss totals, 128-bit each
    out.u64(0);
    out.u64(0);
  }
  out.u8(0);                 // no vault
  return out.take();
}

TEST(EngineBorrows, BalanceOverflowOnWithdrawAndTransfer) {
  auto restored = Engine::restore(snapshot_with_borrows());
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  Engine& engine = *restored;
  ASSERT_TRUE(engine.ledger().conserves_value());
  const Digest before = engine.state_hash();
  // Withdrawing 61 would take the withdrawn total past INT64_MAX.
  EXPECT_EQ(engine.apply(Event{EventId{1}, kT0 + 1,
                               Withdraw{kAlice, SubAccountId{100}, AssetId{1}, amount(61)}}),
            Status::balance_overflow);
  // Moving 51 into sub-account 101 would take its balance past INT64_MAX.
  EXPECT_EQ(engine.apply(Event{
                EventId{2}, kT0 + 1,
                Transfer{kAlice, SubAccountId{100}, SubAccountId{101}, AssetId{1}, amount(51)}}),
            Status::balance_overflow);
  // Precedence: more than the free balance is reported before the overflow it would cause.
  ASSERT_LT(rank(Status::insufficient_balance), rank(Status::balance_overflow));
  EXPECT_EQ(engine.apply(Event{
                EventId{3}, kT0 + 1,
                Transfer{kAlice, SubAccountId{100}, SubAccountId{101}, AssetId{1}, amount(101)}}),
            Status::insufficient_balance);
  EXPECT_EQ(engine.apply(Event{EventId{4}, kT0 + 1,
                               Withdraw{kAlice, SubAccountId{100}, AssetId{1}, amount(101)}}),
            Status::insufficient_balance);
  // A borrower has no free balance.
  EXPECT_EQ(engine.apply(Event{EventId{5}, kT0 + 1,
                               Withdraw{kAlice, SubAccountId{102}, AssetId{1}, amount(1)}}),
            Status::insufficient_balance);
  EXPECT_EQ(engine.state_hash(), before);
  // What fits is accepted.
  EXPECT_EQ(engine.apply(Event{
                EventId{6}, kT0 + 1,
                Transfer{kAlice, SubAccountId{100}, SubAccountId{101}, AssetId{1}, amount(50)}}),
            Status::ok);
  EXPECT_EQ(engine.apply(Event{EventId{7}, kT0 + 1,
                               Withdraw{kAlice, SubAccountId{100}, AssetId{1}, amount(50)}}),
            Status::ok);
  EXPECT_EQ(engine.ledger().balance(SubAccountId{101}, AssetId{1}).raw(), kMax);
  EXPECT_EQ(engine.ledger().balance(SubAccountId{100}, AssetId{1}).raw(), 0);
  EXPECT_EQ(engine.ledger().find_asset(AssetId{1})->withdrawn.raw(), kMax - 10);
  EXPECT_TRUE(engine.ledger().conserves_value());
}

TEST_F(EngineTest, EveryRejectionStatusIsCoveredAbove) {
  // A reminder that keeps this file honest: when a status is added, add its test above and
  // its name here.
  const std::set<std::string_view> covered = {"id_zero",
                                              "timestamp_invalid",
                                              "exists",
                                              "id_reused",
                                              "timestamp_regressed",
                                              "amount_zero",
                                              "amount_negative",
                                              "symbol_invalid",
                                              "decimals_invalid",
                                              "flags_invalid",
                                              "mode_invalid",
                                              "account_id_reserved",
                                              "same_sub_account",
                                              "asset_exists",
                                              "symbol_exists",
                                              "asset_unknown",
                                              "account_exists",
                                              "account_unknown",
                                              "sub_account_exists",
                                              "sub_account_unknown",
                                              "sub_account_foreign",
                                              "to_sub_account_unknown",
                                              "to_sub_account_foreign",
                                              "deposits_disabled",
                                              "withdrawals_disabled",
                                              "transfers_disabled",
                                              "insufficient_balance",
                                              "balance_overflow",
                                              // In engine_margin_test.cpp:
                                              "price_invalid",
                                              "fill_size_zero",
                                              "fill_price_invalid",
                                              "fee_negative",
                                              "instrument_unknown",
                                              "fill_size_off_lot",
                                              "fill_price_off_tick",
                                              "instrument_expired",
                                              "price_missing",
                                              "price_stale",
                                              "insufficient_margin",
                                              // In engine_lifecycle_test.cpp:
                                              "quotes_invalid",
                                              "instrument_not_perpetual",
                                              "instrument_not_dated",
                                              "expiry_not_reached",
                                              "instrument_settled",
                                              "oracle_untrusted",
                                              // In engine_portfolio_test.cpp:
                                              "portfolio_unsupported",
                                              "portfolio_price_invalid",
                                              // In engine_liquidation_test.cpp:
                                              "liquidation_self",
                                              "position_missing",
                                              "account_healthy",
                                              "health_unchanged",
                                              "account_bankrupt",
                                              "liquidation_too_large",
                                              "liquidation_price_out_of_band",
                                              // In engine_bankruptcy_test.cpp:
                                              "account_solvent",
                                              "withdrawals_gated",
                                              // In engine_vault_test.cpp:
                                              "vault_missing",
                                              "vault_deposit_too_small",
                                              "vault_request_pending",
                                              "vault_no_request",
                                              "vault_queue_full",
                                              "vault_cooldown",
                                              "vault_equity_negative",
                                              "backstop_not_reached",
                                              // In engine_lending_test.cpp:
                                              "pool_missing",
                                              "supply_cap_exceeded",
                                              "borrow_cap_exceeded",
                                              "insufficient_liquidity",
                                              "deficit_exceeded",
                                              // In engine_controls_test.cpp:
                                              "breakers_missing",
                                              "governance_missing",
                                              "proposal_id_invalid",
                                              "parameter_unknown",
                                              "proposal_unknown",
                                              "proposal_exists",
                                              "proposal_executed",
                                              "proposal_cancelled",
                                              "proposal_expired",
                                              "timelock_pending",
                                              "parameter_out_of_bounds",
                                              "parameter_unchanged",
                                              "parameter_step_too_large",
                                              "parameter_busy",
                                              "proposals_full",
                                              "parameter_conflict",
                                              "emergency_not_allowed",
                                              "open_interest_cap_exceeded"};
  for (std::uint8_t value = 1; value < kStatusCount; ++value) {
    EXPECT_TRUE(covered.contains(status_name(*status_from_value(value))))
        << status_name(*status_from_value(value));
  }
}

// ---- precedence ---------------------------------------------------------------------------

TEST_F(EngineTest, PrecedenceEnvelopeAndIdempotency) {
  ASSERT_LT(rank(Status::id_zero), rank(Status::timestamp_invalid));
  rejected(Event{EventId{0}, 0, CreateAccount{AccountId{50}}}, Status::id_zero);
  const Event applied = next(CreateAccount{AccountId{50}});
  ASSERT_EQ(engine_.apply(applied), Status::ok);
  // timestamp_invalid before exists / id_reused.
  rejected(Event{applied.id, 0, applied.body}, Status::timestamp_invalid);
  // exists before timestamp_regressed: a late retry is still a retry.
  ok(CreateAccount{AccountId{51}});
  ASSERT_LT(rank(Status::exists), rank(Status::timestamp_regressed));
  rejected(applied, Status::exists);
  // id_reused before timestamp_regressed and before anything wrong in the body.
  rejected(Event{applied.id, applied.timestamp_ns, Deposit{kNobody, kNoSub, kNoAsset, amount(0)}},
           Status::id_reused);
  // timestamp_regressed before the body's own problems.
  ASSERT_LT(rank(Status::timestamp_regressed), rank(Status::amount_zero));
  rejected(Event{EventId{900}, kT0, Deposit{kAlice, kAliceMain, kUsdc, amount(0)}},
           Status::timestamp_regressed);
}

TEST_F(EngineTest, PrecedenceWithinListings) {
  precedence(ListAsset{kUsdc, "bad", 19, 0x08}, Status::symbol_invalid, Status::decimals_invalid);
  precedence(ListAsset{kUsdc, "NEW", 19, 0x08}, Status::decimals_invalid, Status::flags_invalid);
  precedence(ListAsset{kUsdc, "NEW", 6, 0x08}, Status::flags_invalid, Status::asset_exists);
  precedence(ListAsset{kUsdc, "BTC", 6, 0}, Status::asset_exists, Status::symbol_exists);
  precedence(SetAssetFlags{kNoAsset, 0x08}, Status::flags_invalid, Status::asset_unknown);
}

TEST_F(EngineTest, PrecedenceWithinAccounts) {
  // mode_invalid sits with the shape of the fields, right after flags_invalid (no event has
  // both), and before account_id_reserved and anything about existence.
  ASSERT_LT(rank(Status::flags_invalid), rank(Status::mode_invalid));
  ASSERT_EQ(rank(Status::mode_invalid), rank(Status::flags_invalid) + 1);
  const auto bad_mode = static_cast<MarginMode>(3);
  precedence(CreateSubAccount{kAlice, SubAccountId{5}, bad_mode}, Status::mode_invalid,
             Status::account_id_reserved);
  precedence(CreateSubAccount{kNobody, SubAccountId{400}, bad_mode}, Status::mode_invalid,
             Status::account_unknown);
  precedence(CreateSubAccount{kAlice, kAliceMain, bad_mode}, Status::mode_invalid,
             Status::sub_account_exists);
  precedence(CreateSubAccount{kNobody, SubAccountId{5}, static_cast<MarginMode>(0xff)},
             Status::mode_invalid, Status::account_id_reserved);
  precedence(CreateAccount{kInsuranceFund}, Status::account_id_reserved, Status::account_exists);
  precedence(CreateSubAccount{kNobody, SubAccountId{5}, MarginMode::cross},
             Status::account_id_reserved, Status::account_unknown);
  precedence(CreateSubAccount{kNobody, kAliceMain, MarginMode::cross}, Status::account_unknown,
             Status::sub_account_exists);
}

TEST_F(EngineTest, PrecedenceWithinMovements) {
  precedence(Deposit{kNobody, kNoSub, kNoAsset, amount(0)}, Status::amount_zero,
             Status::asset_unknown);
  precedence(Transfer{kAlice, kAliceMain, kAliceMain, kUsdc, amount(-1)}, Status::amount_negative,
             Status::same_sub_account);
  precedence(Transfer{kAlice, kAliceMain, kAliceMain, kNoAsset, amount(1)},
             Status::same_sub_account, Status::asset_unknown);
  precedence(Deposit{kNobody, kAliceMain, kNoAsset, amount(1)}, Status::asset_unknown,
             Status::account_unknown);
  precedence(Withdraw{kNobody, kNoSub, kUsdc, amount(1)}, Status::account_unknown,
             Status::sub_account_unknown);
  precedence(Transfer{kAlice, kNoSub, SubAccountId{301}, kUsdc, amount(1)},
             Status::sub_account_unknown, Status::to_sub_account_unknown);
  precedence(Transfer{kAlice, kBobMain, kNoSub, kUsdc, amount(1)}, Status::sub_account_foreign,
             Status::to_sub_account_unknown);
  ok(SetAssetFlags{kUsdc, 0});
  precedence(Deposit{kAlice, kBobMain, kUsdc, amount(1)}, Status::sub_account_foreign,
             Status::deposits_disabled);
  precedence(Transfer{kAlice, kAliceMain, kNoSub, kUsdc, amount(1)}, Status::to_sub_account_unknown,
             Status::transfers_disabled);
  precedence(Transfer{kAlice, kAliceMain, kBobMain, kUsdc, amount(1)},
             Status::to_sub_account_foreign, Status::transfers_disabled);
  precedence(Withdraw{kAlice, kAliceMain, kUsdc, amount(2'000'000'000)},
             Status::withdrawals_disabled, Status::insufficient_balance);
  precedence(Transfer{kAlice, kAliceMain, kAliceHedge, kUsdc, amount(2'000'000'000)},
             Status::transfers_disabled, Status::insufficient_balance);
  // Deposits disabled and an overflowing amount.
  ok(SetAssetFlags{kBtc, kAssetDeposits});
  ok(Deposit{kBob, kBobMain, kBtc, amount(kMax)});
  ok(SetAssetFlags{kBtc, 0});
  precedence(Deposit{kBob, kBobMain, kBtc, amount(1)}, Status::deposits_disabled,
             Status::balance_overflow);
}

// ---- exact balances -----------------------------------------------------------------------

TEST_F(EngineTest, ExactBalancesAfterASequence) {
  ok(Deposit{kBob, kBobMain, kBtc, amount(150'000'000)});  // 1.5 BTC
  ok(Transfer{kAlice, kAliceMain, kAliceHedge, kUsdc, amount(250'000'001)});
  ok(Withdraw{kAlice, kAliceHedge, kUsdc, amount(1)});
  ok(Deposit{kAlice, kAliceHedge, kBtc, amount(7)});
  ok(Transfer{kAlice, kAliceHedge, kAliceMain, kBtc, amount(7)});  // moved out entirely
  ok(Withdraw{kBob, kBobMain, kBtc, amount(49'999'999)});
  rejected(Withdraw{kBob, kBobMain, kBtc, amount(100'000'002)}, Status::insufficient_balance);
  ok(Deposit{kAlice, kAliceMain, kUsdc, amount(999)});

  EXPECT_EQ(balance(kAliceMain, kUsdc), 749'999'999 + 999);
  EXPECT_EQ(balance(kAliceHedge, kUsdc), 250'000'000);
  EXPECT_EQ(balance(kAliceMain, kBtc), 7);
  EXPECT_EQ(balance(kAliceHedge, kBtc), 0);
  EXPECT_EQ(balance(kBobMain, kBtc), 100'000'001);
  EXPECT_EQ(balance(kBobMain, kUsdc), 0);
  // Zero balances are not stored: Alice's hedge holds USDC only.
  const SubAccount* hedge = engine_.ledger().find_sub_account(kAliceHedge);
  ASSERT_EQ(hedge->balances.size(), 1u);
  EXPECT_EQ(hedge->balances[0].asset, kUsdc);
  EXPECT_EQ(engine_.ledger().find_asset(kUsdc)->deposited.raw(), 1'000'000'999);
  EXPECT_EQ(engine_.ledger().find_asset(kUsdc)->withdrawn.raw(), 1);
  EXPECT_EQ(engine_.ledger().find_asset(kBtc)->deposited.raw(), 150'000'007);
  EXPECT_EQ(engine_.ledger().find_asset(kBtc)->withdrawn.raw(), 49'999'999);
  EXPECT_EQ(engine_.applied_count(), 15u);
  EXPECT_TRUE(engine_.ledger().conserves_value());
}

// ---- determinism, snapshot and restore ----------------------------------------------------

std::vector<Event> clean_sequence() {
  std::vector<Event> events;
  std::uint64_t id = 1;
  TimestampNs ts = kT0;
  const auto add = [&](EventBody body) {
    events.push_back(Event{EventId{id++}, ts += 1'000'000, std::move(body)});
  };
  add(ListAsset{kUsdc, "USDC", 6, kAssetFlagsAll});
  add(ListAsset{kBtc, "BTC", 8, kAssetFlagsAll});
  for (std::uint64_t user = 0; user < 20; ++user) {
    add(CreateAccount{AccountId{100 + user}});
    add(CreateSubAccount{AccountId{100 + user}, SubAccountId{1000 + 2 * user}, MarginMode::cross});
    add(CreateSubAccount{AccountId{100 + user}, SubAccountId{1001 + 2 * user},
                         MarginMode::isolated});
    add(Deposit{AccountId{100 + user}, SubAccountId{1000 + 2 * user}, kUsdc,
                amount(static_cast<std::int64_t>(1'000'000 * (user + 1)))});
  }
  for (std::uint64_t round = 0; round < 10; ++round) {
    for (std::uint64_t user = 0; user < 20; ++user) {
      const AccountId owner{100 + user};
      const SubAccountId cross{1000 + 2 * user};
      const SubAccountId isolated{1001 + 2 * user};
      const auto small = static_cast<std::int64_t>(1 + (round * 7 + user * 13) % 50);
      add(Transfer{owner, cross, isolated, kUsdc, amount(small)});
      add(Deposit{owner, isolated, kBtc, amount(small * 3)});
      add(Withdraw{owner, isolated, kBtc, amount(small)});
      add(Transfer{owner, isolated, cross, kUsdc, amount(small / 2 + 1)});
    }
  }
  return events;
}

TEST(EngineDeterminism, SameSequenceSameHash) {
  Engine a;
  Engine b;
  for (const Event& e : clean_sequence()) {
    ASSERT_EQ(a.apply(e), Status::ok) << event_to_json(e);
    ASSERT_EQ(b.apply(e), Status::ok);
  }
  EXPECT_EQ(a.state_hash(), b.state_hash());
  EXPECT_EQ(a.snapshot(), b.snapshot());
  EXPECT_EQ(a.applied_count(), clean_sequence().size());
  EXPECT_TRUE(a.ledger().conserves_value());
  // And a different history gives a different hash.
  ASSERT_EQ(b.apply(Event{EventId{1'000'000}, kT0 + 1'000'000'000'000,
                          Deposit{AccountId{100}, SubAccountId{1000}, kUsdc, amount(1)}}),
            Status::ok);
  EXPECT_NE(a.state_hash(), b.state_hash());
}

TEST(EngineDeterminism, PinnedStateHash) {
  // Same log in, same state hash out, on every machine. If the snapshot format changes on
  // purpose, bump kSnapshotVersion and update this value in the same change.
  Engine engine;
  for (const Event& e : clean_sequence()) ASSERT_EQ(engine.apply(e), Status::ok);
  EXPECT_EQ(to_hex(engine.state_hash()),
            "4eb0a8267d5b712f162093c9e4c7b3ecec81a03b9cc265b2771391a397000806");
}

TEST(EngineDeterminism, EmptyEngine) {
  const Engine a;
  const Engine b;
  EXPECT_EQ(a.state_hash(), b.state_hash());
  EXPECT_EQ(a.clock_ns(), 0);
  EXPECT_EQ(a.applied_count(), 0u);
  EXPECT_TRUE(a.ledger().conserves_value());
}

TEST_F(EngineTest, SnapshotRestoreGivesEqualStateAndBehaviour) {
  ok(Deposit{kBob, kBobMain, kBtc, amount(12345)});
  ok(Transfer{kAlice, kAliceMain, kAliceHedge, kUsdc, amount(77)});
  const std::string snapshot = engine_.snapshot();
  auto restored_result = Engine::restore(snapshot);
  ASSERT_TRUE(restored_result.ok()) << restored_result.error().message;
  Engine& restored = *restored_result;
  EXPECT_EQ(restored.state_hash(), engine_.state_hash());
  EXPECT_EQ(restored.snapshot(), snapshot);
  EXPECT_EQ(restored.clock_ns(), engine_.clock_ns());
  EXPECT_EQ(restored.applied_count(), engine_.applied_count());
  EXPECT_EQ(restored.ledger().balance(kAliceHedge, kUsdc).raw(), 77);
  // The restored engine remembers ids and the clock...
  const Event first = Event{EventId{1}, kT0 + 1'000, ListAsset{kUsdc, "USDC", 6, kAssetFlagsAll}};
  EXPECT_EQ(restored.apply(first), Status::exists);
  EXPECT_EQ(restored.apply(Event{EventId{1}, kT0 + 1'000, CreateAccount{AccountId{60}}}),
            Status::id_reused);
  EXPECT_EQ(restored.apply(Event{EventId{5000}, kT0, CreateAccount{AccountId{60}}}),
            Status::timestamp_regressed);
  // ...and goes on exactly as the original does.
  for (const EventBody& body :
       {EventBody{Withdraw{kBob, kBobMain, kBtc, amount(45)}},
        EventBody{Withdraw{kBob, kBobMain, kBtc, amount(1'000'000)}},
        EventBody{CreateSubAccount{kBob, SubAccountId{201}, MarginMode::isolated}},
        EventBody{Transfer{kBob, kBobMain, SubAccountId{201}, kBtc, amount(300)}}}) {
    const Event e = next(body);
    EXPECT_EQ(restored.apply(e), engine_.apply(e)) << event_to_json(e);
    EXPECT_EQ(restored.state_hash(), engine_.state_hash()) << event_to_json(e);
  }
  EXPECT_EQ(restored.ledger().balance(SubAccountId{201}, kBtc).raw(), 300);
}

TEST(EngineSnapshot, EmptyEngineRoundTrip) {
  const Engine engine;
  auto restored = Engine::restore(engine.snapshot());
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(restored->state_hash(), engine.state_hash());
}

std::string restore_error(std::string_view bytes) {
  auto restored = Engine::restore(bytes);
  EXPECT_FALSE(restored.ok());
  if (restored.ok()) return {};
  EXPECT_EQ(restored.error().code, ErrorCode::corrupt);
  return restored.error().message;
}

TEST_F(EngineTest, RestoreRejectsCorruptSnapshots) {
  const std::string snapshot = engine_.snapshot();
  std::string bad = snapshot;
  bad[0] = 'X';
  EXPECT_NE(restore_error(bad).find("not a Ballast snapshot"), std::string::npos);
  bad = snapshot;
  bad[4] = 1;  // version 1 predates the risk configuration in the state
  EXPECT_NE(restore_error(bad).find("unsupported version"), std::string::npos);
  bad = snapshot;
  bad[15] = static_cast<char>(0x80);  // clock's sign bit
  EXPECT_NE(restore_error(bad).find("bad clock"), std::string::npos);
  EXPECT_NE(restore_error(snapshot + "x").find("trailing bytes"), std::string::npos);
  // Idempotency ids out of order: swap the first two (id, fingerprint) entries.
  bad = snapshot;
  std::swap_ranges(bad.begin() + 24, bad.begin() + 40, bad.begin() + 40);
  EXPECT_NE(restore_error(bad).find("idempotency ids not in strictly increasing order"),
            std::string::npos);
  // A count larger than the bytes behind it.
  bad = snapshot;
  bad[23] = 0x7f;
  EXPECT_NE(restore_error(bad).find("bad idempotency count"), std::string::npos);
  // Every truncation is an error.
  for (std::size_t length = 0; length < snapshot.size(); ++length) {
    auto restored = Engine::restore(std::string_view(snapshot).substr(0, length));
    ASSERT_FALSE(restored.ok()) << "cut to " << length;
    EXPECT_EQ(restored.error().code, ErrorCode::corrupt);
  }
}

TEST_F(EngineTest, RestoreSurvivesEveryByteFlip) {
  // Never a crash; what is accepted is canonical and a working engine.
  const std::string snapshot = engine_.snapshot();
  int accepted = 0;
  for (std::size_t i = 0; i < snapshot.size(); ++i) {
    std::string bad = snapshot;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    auto restored = Engine::restore(bad);
    if (!restored.ok()) continue;
    ++accepted;
    EXPECT_EQ(restored->snapshot(), bad) << "byte " << i;
    EXPECT_TRUE(restored->ledger().conserves_value());
    restored->apply(next(Deposit{kAlice, kAliceMain, kUsdc, amount(1)}));
    EXPECT_TRUE(restored->ledger().conserves_value());
  }
  EXPECT_GT(accepted, 0);  // fingerprints and symbols are not checked: they can be any bytes
}

}  // namespace
}  // namespace ballast
