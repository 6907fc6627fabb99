#include "ballast/ledger/ledger.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace ballast {
namespace {

constexpr AssetId kUsdc{1};
constexpr AssetId kBtc{2};
constexpr AssetId kEth{5};
constexpr AccountId kAlice{16};
constexpr AccountId kBob{17};
constexpr SubAccountId kAliceMain{100};
constexpr SubAccountId kAliceHedge{101};
constexpr SubAccountId kBobMain{200};
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

Amount amount(std::int64_t raw) { return Amount::from_raw(raw); }

std::string encode(const Ledger& ledger) {
  ByteWriter out;
  ledger.encode(out);
  return out.take();
}

std::vector<AssetId> assets_held(const Ledger& ledger, SubAccountId id) {
  std::vector<AssetId> held;
  for (const Balance& balance : ledger.find_sub_account(id)->balances)
    held.push_back(balance.asset);
  return held;
}

// Two users, three assets, a few movements.
Ledger sample_ledger() {
  Ledger ledger;
  ledger.list_asset(kUsdc, "USDC", 6, kAssetFlagsAll);
  ledger.list_asset(kBtc, "BTC", 8, kAssetDeposits | kAssetWithdrawals);
  ledger.list_asset(kEth, "ETH", 18, kAssetFlagsAll);
  ledger.create_account(kAlice);
  ledger.create_account(kBob);
  ledger.create_sub_account(kAliceMain, kAlice, MarginMode::cross);
  ledger.create_sub_account(kAliceHedge, kAlice, MarginMode::isolated);
  ledger.create_sub_account(kBobMain, kBob, MarginMode::cross);
  ledger.deposit(kAliceMain, kUsdc, amount(1'000'000'000));
  ledger.deposit(kAliceMain, kBtc, amount(50'000'000));
  ledger.deposit(kBobMain, kEth, amount(3'000'000'000'000'000'000));
  ledger.transfer(kAliceMain, kAliceHedge, kUsdc, amount(250'000'000));
  ledger.withdraw(kBobMain, kEth, amount(1'000'000'000'000'000'000));
  ledger.transfer(kAliceMain, SubAccountId{kFeePool.value}, kUsdc, amount(1'500'000));
  return ledger;
}

TEST(Ledger, SystemAccountsExistAtConstruction) {
  const Ledger ledger;
  EXPECT_EQ(kInsuranceFund.value, 1u);
  EXPECT_EQ(kFeePool.value, 2u);
  EXPECT_EQ(kTreasury.value, 3u);
  EXPECT_EQ(kClearing.value, 4u);
  EXPECT_EQ(ledger.account_count(), 4u);
  EXPECT_EQ(ledger.sub_account_count(), 4u);
  EXPECT_EQ(ledger.accounts_in_order(),
            (std::vector<AccountId>{kInsuranceFund, kFeePool, kTreasury, kClearing}));
  for (const AccountId system : {kInsuranceFund, kFeePool, kTreasury, kClearing}) {
    EXPECT_TRUE(ledger.has_account(system)) << system.value;
    const SubAccount* sub_account = ledger.find_sub_account(SubAccountId{system.value});
    ASSERT_NE(sub_account, nullptr) << system.value;
    EXPECT_EQ(sub_account->owner, system);
    EXPECT_EQ(sub_account->mode, MarginMode::cross);
    EXPECT_TRUE(sub_account->balances.empty());
  }
  EXPECT_FALSE(ledger.has_account(AccountId{0}));
  EXPECT_FALSE(ledger.has_account(AccountId{5}));
  EXPECT_FALSE(ledger.has_account(kAlice));
  EXPECT_EQ(ledger.find_sub_account(SubAccountId{5}), nullptr);
  EXPECT_TRUE(ledger.assets().empty());
  EXPECT_TRUE(ledger.conserves_value());
}

TEST(Ledger, ListAndFlagAssets) {
  Ledger ledger;
  ledger.list_asset(kBtc, "BTC", 8, kAssetDeposits);
  const Asset* btc = ledger.find_asset(kBtc);
  ASSERT_NE(btc, nullptr);
  EXPECT_EQ(btc->id, kBtc);
  EXPECT_EQ(btc->symbol, "BTC");
  EXPECT_EQ(btc->decimals, 8);
  EXPECT_EQ(btc->flags, kAssetDeposits);
  EXPECT_TRUE(btc->deposited.is_zero());
  EXPECT_TRUE(btc->withdrawn.is_zero());
  EXPECT_TRUE(ledger.symbol_listed("BTC"));
  EXPECT_FALSE(ledger.symbol_listed("btc"));
  EXPECT_FALSE(ledger.symbol_listed("ETH"));
  EXPECT_EQ(ledger.find_asset(kUsdc), nullptr);
  ledger.set_asset_flags(kBtc, kAssetWithdrawals | kAssetTransfers);
  EXPECT_EQ(ledger.find_asset(kBtc)->flags, kAssetWithdrawals | kAssetTransfers);
}

TEST(Ledger, ExactBalancesAfterDepositWithdrawTransfer) {
  const Ledger ledger = sample_ledger();
  EXPECT_EQ(ledger.balance(kAliceMain, kUsdc).raw(), 748'500'000);
  EXPECT_EQ(ledger.balance(kAliceHedge, kUsdc).raw(), 250'000'000);
  EXPECT_EQ(ledger.balance(SubAccountId{kFeePool.value}, kUsdc).raw(), 1'500'000);
  EXPECT_EQ(ledger.balance(kAliceMain, kBtc).raw(), 50'000'000);
  EXPECT_EQ(ledger.balance(kBobMain, kEth).raw(), 2'000'000'000'000'000'000);
  EXPECT_EQ(ledger.balance(kBobMain, kUsdc).raw(), 0);
  EXPECT_EQ(ledger.free_balance(kAliceMain, kUsdc).raw(), 748'500'000);
  EXPECT_EQ(ledger.find_asset(kUsdc)->deposited.raw(), 1'000'000'000);
  EXPECT_EQ(ledger.find_asset(kUsdc)->withdrawn.raw(), 0);
  EXPECT_EQ(ledger.find_asset(kEth)->deposited.raw(), 3'000'000'000'000'000'000);
  EXPECT_EQ(ledger.find_asset(kEth)->withdrawn.raw(), 1'000'000'000'000'000'000);
  EXPECT_EQ(ledger.account_count(), 6u);
  EXPECT_EQ(ledger.sub_account_count(), 7u);
  EXPECT_TRUE(ledger.conserves_value());
  // Canonical iteration order.
  std::vector<std::uint64_t> ids;
  for (const SubAccount* sub_account : ledger.sub_accounts_in_order()) {
    ids.push_back(sub_account->id.value);
  }
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{1, 2, 3, 4, 100, 101, 200}));
  EXPECT_EQ(ledger.accounts_in_order(),
            (std::vector<AccountId>{kInsuranceFund, kFeePool, kTreasury, kClearing, kAlice, kBob}));
}

TEST(Ledger, ZeroBalancesAreDroppedAndBalancesStaySorted) {
  Ledger ledger;
  ledger.list_asset(kUsdc, "USDC", 6, kAssetFlagsAll);
  ledger.list_asset(kBtc, "BTC", 8, kAssetFlagsAll);
  ledger.list_asset(kEth, "ETH", 18, kAssetFlagsAll);
  ledger.create_account(kAlice);
  ledger.create_sub_account(kAliceMain, kAlice, MarginMode::cross);
  ledger.create_sub_account(kAliceHedge, kAlice, MarginMode::cross);
  ledger.deposit(kAliceMain, kEth, amount(5));
  ledger.deposit(kAliceMain, kUsdc, amount(7));
  ledger.deposit(kAliceMain, kBtc, amount(9));
  EXPECT_EQ(assets_held(ledger, kAliceMain), (std::vector<AssetId>{kUsdc, kBtc, kEth}));
  ledger.withdraw(kAliceMain, kBtc, amount(9));  // withdrawn to zero: the entry goes
  EXPECT_EQ(assets_held(ledger, kAliceMain), (std::vector<AssetId>{kUsdc, kEth}));
  ledger.transfer(kAliceMain, kAliceHedge, kUsdc, amount(7));  // moved out entirely
  EXPECT_EQ(assets_held(ledger, kAliceMain), (std::vector<AssetId>{kEth}));
  EXPECT_EQ(assets_held(ledger, kAliceHedge), (std::vector<AssetId>{kUsdc}));
  ledger.withdraw(kAliceMain, kEth, amount(5));
  ledger.withdraw(kAliceHedge, kUsdc, amount(7));
  EXPECT_TRUE(ledger.find_sub_account(kAliceMain)->balances.empty());
  EXPECT_TRUE(ledger.find_sub_account(kAliceHedge)->balances.empty());
  EXPECT_EQ(ledger.balance(kAliceMain, kEth).raw(), 0);
  EXPECT_TRUE(ledger.conserves_value());
  EXPECT_EQ(ledger.find_asset(kBtc)->deposited.raw(), 9);
  EXPECT_EQ(ledger.find_asset(kBtc)->withdrawn.raw(), 9);
}

TEST(Ledger, FitsChecksGuardEveryBalanceAndTotal) {
  Ledger ledger;
  ledger.list_asset(kUsdc, "USDC", 6, kAssetFlagsAll);
  ledger.create_account(kAlice);
  ledger.create_sub_account(kAliceMain, kAlice, MarginMode::cross);
  ledger.create_sub_account(kAliceHedge, kAlice, MarginMode::cross);
  EXPECT_TRUE(ledger.deposit_fits(kAliceMain, kUsdc, amount(kMax)));
  ledger.deposit(kAliceMain, kUsdc, amount(kMax - 1));
  EXPECT_TRUE(ledger.deposit_fits(kAliceMain, kUsdc, amount(1)));
  EXPECT_FALSE(ledger.deposit_fits(kAliceMain, kUsdc, amount(2)));   // balance and total
  EXPECT_FALSE(ledger.deposit_fits(kAliceHedge, kUsdc, amount(2)));  // the total alone
  EXPECT_TRUE(ledger.transfer_fits(kAliceHedge, kUsdc, amount(kMax)));
  ledger.transfer(kAliceMain, kAliceHedge, kUsdc, amount(kMax - 1));
  EXPECT_TRUE(ledger.withdraw_fits(kAliceHedge, kUsdc, amount(kMax - 1)));
  ledger.withdraw(kAliceHedge, kUsdc, amount(kMax - 1));
  // Everything is gone, but the deposited total is at its limit.
  EXPECT_FALSE(ledger.deposit_fits(kAliceMain, kUsdc, amount(2)));
  EXPECT_TRUE(ledger.deposit_fits(kAliceMain, kUsdc, amount(1)));
  EXPECT_TRUE(ledger.conserves_value());
}

// ---- encoding -----------------------------------------------------------------------------

TEST(LedgerEncoding, PinnedLayout) {
  Ledger ledger;
  ledger.list_asset(kUsdc, "USDC", 6, kAssetDeposits | kAssetTransfers);
  ledger.create_account(kAlice);
  ledger.create_sub_account(kAliceMain, kAlice, MarginMode::isolated);
  ledger.deposit(kAliceMain, kUsdc, amount(500));
  ByteWriter expected;
  expected.u32(1);  // assets
  expected.u32(1);
  expected.text("USDC");
  expected.u8(6);
  expected.u8(kAssetDeposits | kAssetTransfers);
  expected.i64(500);  // deposited
  expected.i64(0);    // withdrawn
  expected.u64(5);    // accounts
  for (const std::uint64_t id : {1u, 2u, 3u, 4u, 16u}) expected.u64(id);
  expected.u64(5);  // sub-accounts
  for (const std::uint64_t id : {1u, 2u, 3u, 4u}) {
    expected.u64(id);
    expected.u64(id);
    expected.u8(0);
    expected.u32(0);  // balances
    expected.u32(0);  // positions
  }
  expected.u64(100);
  expected.u64(16);
  expected.u8(1);
  expected.u32(1);
  expected.u32(1);
  expected.i64(500);
  expected.u32(0);  // positions
  EXPECT_EQ(encode(ledger), expected.bytes());
}

TEST(LedgerEncoding, RoundTripGivesEqualBytes) {
  const Ledger ledger = sample_ledger();
  const std::string bytes = encode(ledger);
  ByteReader in(bytes);
  auto decoded = Ledger::decode(in);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_TRUE(in.at_end());
  EXPECT_EQ(encode(*decoded), bytes);
  EXPECT_TRUE(decoded->conserves_value());
  EXPECT_EQ(decoded->balance(kAliceMain, kUsdc).raw(), 748'500'000);
  EXPECT_EQ(decoded->find_sub_account(kAliceHedge)->mode, MarginMode::isolated);
  EXPECT_EQ(decoded->find_asset(kBtc)->flags, kAssetDeposits | kAssetWithdrawals);
  EXPECT_EQ(decoded->find_asset(kEth)->symbol, "ETH");
  EXPECT_EQ(decoded->account_count(), 6u);
  // A decoded ledger is a working ledger.
  decoded->create_sub_account(SubAccountId{102}, kAlice, MarginMode::cross);
  decoded->transfer(kAliceMain, SubAccountId{102}, kUsdc, amount(1));
  EXPECT_EQ(decoded->balance(SubAccountId{102}, kUsdc).raw(), 1);
  EXPECT_TRUE(decoded->conserves_value());
  // The empty ledger too.
  const std::string empty = encode(Ledger{});
  ByteReader empty_in(empty);
  auto empty_decoded = Ledger::decode(empty_in);
  ASSERT_TRUE(empty_decoded.ok()) << empty_decoded.error().message;
  EXPECT_EQ(encode(*empty_decoded), empty);
}

TEST(LedgerEncoding, EqualStatesEncodeEquallyWhateverTheirHistory) {
  Ledger a;
  a.list_asset(kUsdc, "USDC", 6, kAssetFlagsAll);
  a.list_asset(kBtc, "BTC", 8, kAssetFlagsAll);
  a.create_account(kAlice);
  a.create_account(kBob);
  a.create_sub_account(kAliceMain, kAlice, MarginMode::cross);
  a.create_sub_account(kBobMain, kBob, MarginMode::cross);
  a.deposit(kAliceMain, kUsdc, amount(10));
  a.deposit(kBobMain, kBtc, amount(3));

  Ledger b;  // the other order everywhere
  b.list_asset(kBtc, "BTC", 8, kAssetFlagsAll);
  b.list_asset(kUsdc, "USDC", 6, kAssetFlagsAll);
  b.create_account(kBob);
  b.create_account(kAlice);
  b.create_sub_account(kBobMain, kBob, MarginMode::cross);
  b.create_sub_account(kAliceMain, kAlice, MarginMode::cross);
  b.deposit(kBobMain, kBtc, amount(3));
  b.deposit(kAliceMain, kUsdc, amount(4));
  b.deposit(kAliceMain, kUsdc, amount(6));
  EXPECT_EQ(encode(a), encode(b));
  // A zero-balance entry that came and went leaves no trace.
  b.deposit(kAliceMain, kBtc, amount(1));
  b.withdraw(kAliceMain, kBtc, amount(1));
  EXPECT_NE(encode(a), encode(b));  // the totals differ: deposited and withdrawn of BTC
  a.deposit(kBobMain, kBtc, amount(1));
  a.withdraw(kBobMain, kBtc, amount(1));
  EXPECT_EQ(encode(a), encode(b));
}

Result<Ledger> decode_bytes(const std::string& bytes) {
  ByteReader in(bytes);
  return Ledger::decode(in);
}

void expect_corrupt(const std::string& bytes, std::string_view fragment) {
  const auto decoded = decode_bytes(bytes);
  ASSERT_FALSE(decoded.ok()) << "accepted; expected: " << fragment;
  EXPECT_EQ(decoded.error().code, ErrorCode::corrupt);
  EXPECT_NE(decoded.error().message.find("ledger snapshot at byte "), std::string::npos)
      << decoded.error().message;
  EXPECT_NE(decoded.error().message.find(fragment), std::string::npos) << decoded.error().message;
}

// A one-asset, one-user ledger written field by field, with knobs to break it.
struct Manual {
  std::uint32_t asset_count = 1;
  std::string symbol = "USDC";
  std::uint8_t decimals = 6;
  std::uint8_t flags = kAssetFlagsAll;
  std::int64_t deposited = 10;
  std::vector<std::uint64_t> accounts = {1, 16};
  std::uint64_t owner = 16;
  std::uint8_t mode = 0;
  std::uint32_t balance_asset = 1;
  std::int64_t balance = 10;

  std::string bytes() const {
    ByteWriter out;
    out.u32(asset_count);
    out.u32(1);
    out.text(symbol);
    out.u8(decimals);
    out.u8(flags);
    out.i64(deposited);
    out.i64(0);
    out.u64(accounts.size());
    for (const std::uint64_t id : accounts) out.u64(id);
    out.u64(1);
    out.u64(100);
    out.u64(owner);
    out.u8(mode);
    out.u32(1);
    out.u32(balance_asset);
    out.i64(balance);
    out.u32(0);  // positions
    return out.take();
  }
};

TEST(LedgerEncoding, ManualBytesDecode) {
  auto decoded = decode_bytes(Manual{}.bytes());
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->balance(SubAccountId{100}, AssetId{1}).raw(), 10);
  EXPECT_EQ(encode(*decoded), Manual{}.bytes());
}

TEST(LedgerEncoding, DecodeRejectsEachKindOfCorruption) {
  Manual m;
  m.asset_count = 70'000;
  expect_corrupt(m.bytes(), "bad asset count");
  m = {};
  m.asset_count = 2;  // the second record is read from the account section: an empty symbol
  expect_corrupt(m.bytes(), "bad asset record 1");
  m = {};
  m.symbol = "";
  expect_corrupt(m.bytes(), "bad asset record 0");
  m.symbol = std::string(16, 'A');
  expect_corrupt(m.bytes(), "bad asset record 0");
  m = {};
  m.decimals = 19;
  expect_corrupt(m.bytes(), "bad asset record 0");
  m = {};
  m.flags = 8;
  expect_corrupt(m.bytes(), "bad asset record 0");
  m = {};
  m.accounts = {16, 1};
  expect_corrupt(m.bytes(), "accounts not in strictly increasing order");
  m.accounts = {16, 16};
  expect_corrupt(m.bytes(), "accounts not in strictly increasing order");
  m = {};
  m.owner = 17;  // no such account
  expect_corrupt(m.bytes(), "bad sub-account record 0");
  m = {};
  m.mode = 3;  // cross 0, isolated 1, portfolio 2
  expect_corrupt(m.bytes(), "bad sub-account record 0");
  m = {};
  m.balance_asset = 9;  // not listed
  expect_corrupt(m.bytes(), "bad balance in sub-account 100");
  m = {};
  m.balance = 0;  // zero entries are never stored
  m.deposited = 0;
  expect_corrupt(m.bytes(), "bad balance in sub-account 100");
  m = {};
  m.balance = 11;  // value from nowhere
  expect_corrupt(m.bytes(), "balances do not sum to deposits minus withdrawals");
  m = {};
  m.deposited = 9;
  expect_corrupt(m.bytes(), "balances do not sum to deposits minus withdrawals");
}

TEST(LedgerEncoding, DecodeRejectsEveryTruncation) {
  const std::string bytes = encode(sample_ledger());
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    const auto decoded = decode_bytes(bytes.substr(0, length));
    ASSERT_FALSE(decoded.ok()) << "truncated to " << length << " bytes was accepted";
    EXPECT_EQ(decoded.error().code, ErrorCode::corrupt);
    EXPECT_NE(decoded.error().message.find("ledger snapshot at byte "), std::string::npos);
  }
}

TEST(LedgerEncoding, CorruptedBytesNeverCrashAndAcceptedOnesAreCanonical) {
  // Every byte changed in three ways. A change the format cannot detect (a symbol letter, a
  // flag that is still valid, a margin mode) decodes to a ledger that re-encodes to exactly
  // the bytes read; everything else is an Error.
  const std::string bytes = encode(sample_ledger());
  int rejected = 0;
  int accepted = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (const int change : {0x01, 0x80, 0xff}) {
      std::string corrupted = bytes;
      corrupted[i] = static_cast<char>(corrupted[i] ^ change);
      ByteReader in(corrupted);
      const auto decoded = Ledger::decode(in);
      if (!decoded.ok()) {
        ++rejected;
        EXPECT_EQ(decoded.error().code, ErrorCode::corrupt);
        continue;
      }
      ++accepted;
      EXPECT_TRUE(decoded->conserves_value());
      EXPECT_EQ(encode(*decoded), corrupted.substr(0, in.offset())) << "byte " << i;
    }
  }
  EXPECT_GT(rejected, accepted);
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace ballast

namespace ballast {
namespace {

market::Position long_position(std::int64_t size) {
  return market::Position{Quantity::from_raw(size), Money::from_raw(size / 10), Money::from_raw(-3),
                          market::FundingIndex::from_raw(7)};
}

TEST(LedgerPositions, SortedFlatDroppedAndCanonicallyEncoded) {
  Ledger ledger = sample_ledger();
  EXPECT_EQ(ledger.position(kAliceMain, InstrumentId{10}), nullptr);
  ledger.set_position(kAliceMain, InstrumentId{12}, long_position(5'000));
  ledger.set_position(kAliceMain, InstrumentId{10}, long_position(-2'000));
  ledger.set_position(kAliceMain, InstrumentId{11}, long_position(1'000));
  const auto& positions = ledger.find_sub_account(kAliceMain)->positions;
  ASSERT_EQ(positions.size(), 3u);
  EXPECT_EQ(positions[0].instrument, InstrumentId{10});
  EXPECT_EQ(positions[2].instrument, InstrumentId{12});
  EXPECT_EQ(*ledger.position(kAliceMain, InstrumentId{10}), long_position(-2'000));
  ledger.set_position(kAliceMain, InstrumentId{11}, market::Position{});  // flat: dropped
  EXPECT_EQ(positions.size(), 2u);
  EXPECT_EQ(ledger.position(kAliceMain, InstrumentId{11}), nullptr);
  const std::string bytes = encode(ledger);
  ByteReader in(bytes);
  auto decoded = Ledger::decode(in);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(encode(*decoded), bytes);
  EXPECT_EQ(decoded->find_sub_account(kAliceMain)->positions, positions);
  // The same positions reached in another order give the same bytes.
  Ledger other = sample_ledger();
  other.set_position(kAliceMain, InstrumentId{10}, long_position(-2'000));
  other.set_position(kAliceMain, InstrumentId{12}, long_position(5'000));
  EXPECT_EQ(encode(other), bytes);
}

TEST(LedgerPositions, DecodeRejectsFlatAndUnsortedPositions) {
  for (const auto& [first, second] : {std::pair<std::int64_t, std::uint32_t>{0, 11},
                                      std::pair<std::int64_t, std::uint32_t>{5, 10}}) {
    ByteWriter out;
    std::string bytes = encode(Ledger{});
    // The empty ledger's last sub-account (4) ends with its position count: replace it.
    bytes.resize(bytes.size() - 4);
    out.raw(bytes);
    out.u32(2);
    for (const std::uint32_t instrument : {10u, second}) {
      out.u32(instrument);
      out.i64(instrument == 10u ? 1 : first);
      out.i64(0);
      out.i64(0);
      out.i64(0);
    }
    expect_corrupt(out.take(), "bad position in sub-account 4");
  }
}

TEST(LedgerPostings, MoveValueOnlyAndMayBorrow) {
  Ledger ledger = sample_ledger();
  const SubAccountId clearing{kClearing.value};
  const SubAccountId fees{kFeePool.value};
  const std::vector<Posting> fill = {{kBobMain, kUsdc, amount(-700)},
                                     {clearing, kUsdc, amount(500)},
                                     {fees, kUsdc, amount(200)}};
  ASSERT_TRUE(ledger.postings_fit(fill));
  ledger.post(fill);
  EXPECT_EQ(ledger.balance(kBobMain, kUsdc).raw(), -700);  // a borrow
  EXPECT_EQ(ledger.balance(clearing, kUsdc).raw(), 500);
  EXPECT_EQ(ledger.balance(fees, kUsdc).raw(), 1'500'200);
  EXPECT_TRUE(ledger.conserves_value());
  // Postings that do not sum to zero, or leave the range, or name unknown things, do not fit.
  EXPECT_FALSE(ledger.postings_fit(std::vector<Posting>{{kBobMain, kUsdc, amount(1)}}));
  EXPECT_FALSE(ledger.postings_fit(std::vector<Posting>{
      {kBobMain, kUsdc, amount(INT64_MIN + 1)}, {clearing, kUsdc, amount(INT64_MAX)}}));
  EXPECT_FALSE(ledger.postings_fit(std::vector<Posting>{{SubAccountId{999}, kUsdc, amount(1)},
                                                        {clearing, kUsdc, amount(-1)}}));
  EXPECT_FALSE(ledger.postings_fit(std::vector<Posting>{{kBobMain, AssetId{99}, amount(1)},
                                                        {clearing, AssetId{99}, amount(-1)}}));
}

template <typename Range>
std::vector<SubAccountId> ids(const Range& range) {
  return {range.begin(), range.end()};
}

TEST(LedgerPositions, HoldersOfAnInstrumentById) {
  Ledger ledger = sample_ledger();
  const InstrumentId perp{10};
  EXPECT_TRUE(ledger.holders_of(perp).empty());
  ledger.set_position(kBobMain, perp, long_position(-1'000));
  ledger.set_position(kAliceHedge, perp, long_position(3'000));
  ledger.set_position(kAliceMain, perp, long_position(2'000));
  ledger.set_position(kAliceMain, InstrumentId{11}, long_position(2'000));
  ledger.set_position(kAliceMain, perp, long_position(4'000));  // still one entry
  EXPECT_EQ(ids(ledger.holders_of(perp)), (std::vector<SubAccountId>{kAliceMain, kAliceHedge, kBobMain}));
  ledger.set_position(kAliceHedge, perp, market::Position{});  // flat: no longer a holder
  ledger.set_position(kBobMain, InstrumentId{12}, market::Position{});  // never held: nothing
  EXPECT_EQ(ids(ledger.holders_of(perp)), (std::vector<SubAccountId>{kAliceMain, kBobMain}));
  EXPECT_EQ(ids(ledger.holders_of(InstrumentId{11})), (std::vector<SubAccountId>{kAliceMain}));
  EXPECT_TRUE(ledger.holders_of(InstrumentId{12}).empty());
  // A snapshot carries positions, not the index: decoding builds it again.
  const std::string bytes = encode(ledger);
  ByteReader in(bytes);
  const auto decoded = Ledger::decode(in);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(ids(decoded->holders_of(perp)), (std::vector<SubAccountId>{kAliceMain, kBobMain}));
  EXPECT_EQ(ids(decoded->holders_of(InstrumentId{11})), (std::vector<SubAccountId>{kAliceMain}));
}

// The index of balance holders is what the balances say, whatever moved them, and decoding builds
// it again.
std::vector<SubAccountId> holders_by_scan(const Ledger& ledger, AssetId asset) {
  std::vector<SubAccountId> found;
  for (const SubAccount* sub_account : ledger.sub_accounts_in_order()) {
    if (!ledger.balance(sub_account->id, asset).is_zero()) found.push_back(sub_account->id);
  }
  return found;
}

TEST(LedgerBalances, HoldersOfAnAssetById) {
  Ledger ledger = sample_ledger();
  ASSERT_FALSE(holders_by_scan(ledger, kUsdc).empty());
  EXPECT_EQ(ids(ledger.balance_holders_of(kUsdc)), holders_by_scan(ledger, kUsdc));
  const std::vector<SubAccountId> before = holders_by_scan(ledger, kUsdc);
  const auto funded = std::find_if(before.begin(), before.end(),
                                   [&](SubAccountId id) { return ledger.balance(id, kUsdc).raw() > 0; });
  ASSERT_NE(funded, before.end());
  ledger.withdraw(*funded, kUsdc, ledger.balance(*funded, kUsdc));  // emptied: no longer a holder
  EXPECT_FALSE(ledger.balance_holders_of(kUsdc).contains(*funded));
  const SubAccountId clearing{kClearing.value};
  ledger.post(std::vector<Posting>{{kAliceHedge, kUsdc, amount(-5)}, {clearing, kUsdc, amount(5)}});
  EXPECT_EQ(ids(ledger.balance_holders_of(kUsdc)), holders_by_scan(ledger, kUsdc));
  EXPECT_TRUE(ledger.balance_holders_of(AssetId{99}).empty());
  const std::string bytes = encode(ledger);
  ByteReader in(bytes);
  const auto decoded = Ledger::decode(in);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(ids(decoded->balance_holders_of(kUsdc)), holders_by_scan(ledger, kUsdc));
}

// One entry per mutation of a sub-account, in order: a transfer names both sides, postings each
// (sub-account, asset) they net to (fee pool 2, clearing 4, Bob 200: the order they are booked in).
TEST(LedgerChangeFeed, NamesEverySubAccountChangeInOrder) {
  Ledger ledger = sample_ledger();
  // The four system sub-accounts, then sample_ledger's 3 creations, 3 deposits, a withdrawal
  // and two transfers.
  EXPECT_EQ(ledger.change_count(), 4u + 3u + 3u + 1u + 2u * 2u);
  const std::uint64_t from = ledger.change_count();
  ledger.deposit(kBobMain, kUsdc, amount(1'000));
  ledger.transfer(kAliceMain, kAliceHedge, kUsdc, amount(5));
  ledger.set_position(kAliceHedge, InstrumentId{10}, long_position(1'000));
  const SubAccountId fees{kFeePool.value};
  const SubAccountId clearing{kClearing.value};
  ledger.post(std::vector<Posting>{{kBobMain, kUsdc, amount(-700)}, {clearing, kUsdc, amount(500)}, {fees, kUsdc, amount(200)}});
  ledger.create_sub_account(SubAccountId{201}, kBob, MarginMode::isolated);
  EXPECT_EQ(ledger.change_count(), from + 8);
  const auto changed = ledger.changes_since(from);
  ASSERT_TRUE(changed.has_value());
  EXPECT_EQ(ids(*changed), (std::vector<SubAccountId>{kBobMain, kAliceMain, kAliceHedge, kAliceHedge, fees, clearing,
                                                      kBobMain, SubAccountId{201}}));
  EXPECT_EQ(ids(*ledger.changes_since(from + 6)), (std::vector<SubAccountId>{kBobMain, SubAccountId{201}}));
  EXPECT_TRUE(ledger.changes_since(ledger.change_count())->empty());
  EXPECT_FALSE(ledger.changes_since(ledger.change_count() + 1).has_value());
  // A copy carries the feed: a view copied with its ledger follows the copy from where it was.
  const Ledger copy = ledger;
  EXPECT_EQ(copy.change_count(), ledger.change_count());
  EXPECT_EQ(ids(*copy.changes_since(from + 6)), ids(*ledger.changes_since(from + 6)));
}

// The feed keeps at least the latest 4,096 changes; a reader further behind gets nullopt and
// must re-read the whole ledger.
TEST(LedgerChangeFeed, AReaderFarBehindIsToldSo) {
  Ledger ledger = sample_ledger();
  const std::uint64_t from = ledger.change_count();
  for (int i = 0; i < 20'000; ++i) ledger.deposit(i % 2 == 0 ? kAliceMain : kBobMain, kUsdc, amount(1));
  EXPECT_EQ(ledger.change_count(), from + 20'000);
  EXPECT_FALSE(ledger.changes_since(from).has_value());
  const auto recent = ledger.changes_since(ledger.change_count() - 4'096);
  ASSERT_TRUE(recent.has_value());
  ASSERT_EQ(recent->size(), 4'096u);
  EXPECT_EQ(recent->front(), kAliceMain);  // change from + 15,904: an even deposit
  EXPECT_EQ(recent->back(), kBobMain);
}

}  // namespace
}  // namespace ballast
