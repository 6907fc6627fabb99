#include "ballast/engine/codec.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace ballast {
namespace {

constexpr TimestampNs kTs = 1'700'000'000'000'000'000;
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

Event event(std::uint64_t id, EventBody body) { return Event{EventId{id}, kTs, std::move(body)}; }

// One event of every kind, in kind order.
std::vector<Event> one_of_each() {
  return {
      event(1, ListAsset{AssetId{7}, "BTC", 8, kAssetDeposits | kAssetTransfers}),
      event(2, SetAssetFlags{AssetId{7}, kAssetWithdrawals}),
      event(3, CreateAccount{AccountId{16}}),
      event(4, CreateSubAccount{AccountId{16}, SubAccountId{100}, MarginMode::isolated}),
      event(5, Deposit{AccountId{16}, SubAccountId{100}, AssetId{7}, Amount::from_raw(2'500'000)}),
      event(6, Withdraw{AccountId{16}, SubAccountId{100}, AssetId{7}, Amount::from_raw(1)}),
      event(7, Transfer{AccountId{16}, SubAccountId{100}, SubAccountId{101}, AssetId{7},
                        Amount::from_raw(42)}),
      event(8, OraclePrice{AssetId{7}, Price::from_raw(65'000'000'000'000),
                           Price::from_raw(64'900'000'000'000)}),
      event(9, MarkPrice{InstrumentId{10}, Price::from_raw(65'010'000'000'000)}),
      event(10, Fill{AccountId{16}, SubAccountId{100}, InstrumentId{10},
                     Quantity::from_raw(-250'000'000), Price::from_raw(65'000'500'000'000),
                     Money::from_raw(4'063)}),
      event(11, OracleQuotes{AssetId{7},
                             {{0, Price::from_raw(65'000'000'000'000), Price::from_raw(5'000'000'000),
                               kTs - 1'000'000'000},
                              {3, Price::from_raw(65'010'000'000'000), Price::from_raw(0), kTs}}}),
      event(12, AccrueFunding{InstrumentId{10}, Price::from_raw(64'990'000'000'000),
                              Price::from_raw(65'020'000'000'000)}),
      event(13, SettleExpiry{InstrumentId{11}}),
      event(14, Liquidate{AccountId{17}, SubAccountId{200}, SubAccountId{100}, InstrumentId{10},
                          Quantity::from_raw(127'000'000), Price::from_raw(45'045'000'000'000)}),
      event(15, CheckHealth{SubAccountId{100}}),
      event(16, ResolveBankruptcy{SubAccountId{100}}),
      event(17, VaultDeposit{AccountId{16}, SubAccountId{100}, Amount::from_raw(5'000'000)}),
      event(18, VaultRequestWithdrawal{AccountId{16}, lending::VaultShares::from_raw(2'000'000'000)}),
      event(19, VaultCancelWithdrawal{AccountId{16}}),
      event(20, VaultWithdraw{AccountId{16}, SubAccountId{100}}),
      event(21, BackstopTakeover{SubAccountId{100}}),
      event(22, AccrueInterest{AssetId{1}}),
      event(23, Borrow{AccountId{16}, SubAccountId{100}, AssetId{1}, Amount::from_raw(18'000'000'000)}),
      event(24, LiquidateBorrow{AccountId{17}, SubAccountId{200}, SubAccountId{100}, AssetId{1},
                                Amount::from_raw(4'000'000'000), AssetId{2}, Amount::from_raw(47'529'411)}),
      event(25, SetMarketDepth{InstrumentId{10}, Money::from_raw(2'500'000'000'000)}),
      event(26, EmergencySettle{InstrumentId{10}}),
      event(27, ProposeParameter{governance::ProposalId{7}, governance::ParameterKey{1}, 70'000'000'000}),
      event(28, CancelProposal{governance::ProposalId{7}}),
      event(29, ExecuteProposal{governance::ProposalId{8}}),
      event(30, LiquidatePortfolio{AccountId{17}, SubAccountId{200}, SubAccountId{102}, 125'000,
                                   Ratio::from_raw(20'000'000'000)}),
      event(31, CoverBadDebt{AssetId{1}, Amount::from_raw(6'000'000'000)}),
  };
}

// The same kinds at the edges of every field's range.
std::vector<Event> extremes() {
  constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();
  constexpr std::uint32_t u32_max = std::numeric_limits<std::uint32_t>::max();
  return {
      Event{EventId{u64_max}, kMax, ListAsset{AssetId{u32_max}, std::string(64, 'Z'), 255, 0}},
      Event{EventId{1}, kMin, SetAssetFlags{AssetId{0}, kAssetFlagsAll}},
      Event{EventId{u64_max}, 0, CreateAccount{AccountId{u64_max}}},
      Event{EventId{9}, -1,
            CreateSubAccount{AccountId{0}, SubAccountId{u64_max}, MarginMode::cross}},
      Event{EventId{0}, 1,
            Deposit{AccountId{u64_max}, SubAccountId{0}, AssetId{u32_max}, Amount::from_raw(kMin)}},
      Event{EventId{2}, kTs,
            Withdraw{AccountId{1}, SubAccountId{1}, AssetId{1}, Amount::from_raw(kMax)}},
      Event{EventId{3}, kTs,
            Transfer{AccountId{16}, SubAccountId{5}, SubAccountId{5}, AssetId{1},
                     Amount::from_raw(0)}},
      event(4, ListAsset{AssetId{1}, "", 0, kAssetFlagsAll}),
      event(5, ListAsset{AssetId{1}, std::string("a\0b", 3), 18, kAssetDeposits}),
      // Bytes with no name: carried as they are, judged by the engine (flags_invalid,
      // mode_invalid).
      event(6, ListAsset{AssetId{1}, "X", 6, 0xff}),
      event(7, SetAssetFlags{AssetId{1}, kAssetFlagsAll | 0x08}),
      event(8, CreateSubAccount{AccountId{16}, SubAccountId{17}, static_cast<MarginMode>(3)}),
      event(9, CreateSubAccount{AccountId{16}, SubAccountId{17}, static_cast<MarginMode>(0xff)}),
      // Prices, sizes and fees of any sign and size: judged by the engine (price_invalid,
      // fill_size_zero, fill_price_invalid, fee_negative).
      Event{EventId{u64_max}, kMax,
            OraclePrice{AssetId{u32_max}, Price::from_raw(kMin), Price::from_raw(kMax)}},
      Event{EventId{1}, 1, MarkPrice{InstrumentId{u32_max}, Price::from_raw(kMin)}},
      event(10, MarkPrice{InstrumentId{0}, Price::from_raw(0)}),
      Event{EventId{u64_max}, kMin,
            Fill{AccountId{u64_max}, SubAccountId{u64_max}, InstrumentId{u32_max},
                 Quantity::from_raw(kMin), Price::from_raw(kMax), Money::from_raw(kMin)}},
      event(11, Fill{AccountId{0}, SubAccountId{0}, InstrumentId{0}, Quantity::from_raw(0),
                     Price::from_raw(-1), Money::from_raw(kMax)}),
      // Quotes of any shape, up to the codec's bound: judged by the engine (quotes_invalid).
      event(12, OracleQuotes{AssetId{u32_max}, {}}),
      event(13, OracleQuotes{AssetId{0},
                             std::vector<market::SourceQuote>(
                                 kQuotesMax, market::SourceQuote{u32_max, Price::from_raw(kMin),
                                                                 Price::from_raw(kMin), kMin})}),
      Event{EventId{u64_max}, kMax,
            AccrueFunding{InstrumentId{u32_max}, Price::from_raw(kMin), Price::from_raw(kMax)}},
      event(14, SettleExpiry{InstrumentId{0}}),
      Event{EventId{u64_max}, kMin,
            Liquidate{AccountId{u64_max}, SubAccountId{0}, SubAccountId{u64_max}, InstrumentId{u32_max},
                      Quantity::from_raw(kMin), Price::from_raw(kMax)}},
      event(15, CheckHealth{SubAccountId{u64_max}}),
      event(16, ResolveBankruptcy{SubAccountId{u64_max}}),
      event(17, VaultDeposit{AccountId{u64_max}, SubAccountId{0}, Amount::from_raw(kMin)}),
      event(18, VaultRequestWithdrawal{AccountId{0}, lending::VaultShares::from_raw(kMax)}),
      event(19, VaultCancelWithdrawal{AccountId{u64_max}}),
      event(20, VaultWithdraw{AccountId{0}, SubAccountId{u64_max}}),
      event(21, BackstopTakeover{SubAccountId{0}}),
      event(22, AccrueInterest{AssetId{u32_max}}),
      event(23, Borrow{AccountId{u64_max}, SubAccountId{0}, AssetId{0}, Amount::from_raw(kMin)}),
      event(24, LiquidateBorrow{AccountId{0}, SubAccountId{u64_max}, SubAccountId{0}, AssetId{u32_max},
                                Amount::from_raw(kMax), AssetId{0}, Amount::from_raw(kMin)}),
      event(25, SetMarketDepth{InstrumentId{u32_max}, Money::from_raw(kMin)}),
      event(26, EmergencySettle{InstrumentId{0}}),
      event(27, ProposeParameter{governance::ProposalId{0}, governance::ParameterKey{u32_max}, kMin}),
      event(28, CancelProposal{governance::ProposalId{u64_max}}),
      event(29, ExecuteProposal{governance::ProposalId{0}}),
      event(30, LiquidatePortfolio{AccountId{u64_max}, SubAccountId{0}, SubAccountId{u64_max}, u32_max,
                                   Ratio::from_raw(kMin)}),
      event(31, CoverBadDebt{AssetId{u32_max}, Amount::from_raw(kMin)}),
      event(32, CoverBadDebt{AssetId{0}, Amount::from_raw(kMax)}),
  };
}

Event decode_ok(std::string_view bytes) {
  auto decoded = decode_event(bytes);
  EXPECT_TRUE(decoded.ok()) << (decoded.ok() ? "" : decoded.error().message);
  return decoded.ok() ? *decoded : Event{};
}

std::string decode_error(std::string_view bytes) {
  auto decoded = decode_event(bytes);
  EXPECT_FALSE(decoded.ok()) << "accepted: " << (decoded.ok() ? event_to_json(*decoded) : "");
  if (decoded.ok()) return {};
  EXPECT_EQ(decoded.error().code, ErrorCode::invalid_input);
  return decoded.error().message;
}

Event json_ok(std::string_view line) {
  auto parsed = event_from_json(line);
  EXPECT_TRUE(parsed.ok()) << line << ": " << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? *parsed : Event{};
}

std::string json_error(std::string_view line) {
  auto parsed = event_from_json(line);
  EXPECT_FALSE(parsed.ok()) << "accepted: " << line;
  if (parsed.ok()) return {};
  EXPECT_EQ(parsed.error().code, ErrorCode::invalid_input);
  return parsed.error().message;
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0x0f]);
  }
  return out;
}

#define EXPECT_CONTAINS(text, fragment) \
  EXPECT_NE(std::string(text).find(fragment), std::string::npos) << (text)

// ---- binary -------------------------------------------------------------------------------

TEST(BinaryCodec, KindNames) {
  const std::vector<std::string> expected = {
      "list_asset", "set_asset_flags", "create_account", "create_sub_account",
      "deposit",    "withdraw",        "transfer",       "oracle_price",
      "mark_price", "fill",            "oracle_quotes",  "accrue_funding",
      "settle_expiry", "liquidate",       "check_health",   "resolve_bankruptcy", "vault_deposit", "vault_request_withdrawal",
      "vault_cancel_withdrawal", "vault_withdraw", "backstop_takeover", "accrue_interest", "borrow",
      "liquidate_borrow", "set_market_depth", "emergency_settle", "propose_parameter", "cancel_proposal",
      "execute_proposal", "liquidate_portfolio", "cover_bad_debt"};
  ASSERT_EQ(expected.size(), std::variant_size_v<EventBody>);
  const auto events = one_of_each();
  ASSERT_EQ(events.size(), std::variant_size_v<EventBody>);
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].body.index(), i);
    EXPECT_EQ(event_kind_name(events[i].body), expected[i]);
  }
  // The kind byte is the index.
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto kind = static_cast<unsigned char>(encode_event(events[i])[1]);
    EXPECT_EQ(std::size_t{kind}, i) << expected[i];
  }
}

TEST(BinaryCodec, PinnedLayout) {
  // u8 version | u8 kind | u64 id | i64 ts | kind fields, all little-endian.
  const Event deposit =
      event(7, Deposit{AccountId{16}, SubAccountId{100}, AssetId{7}, Amount::from_raw(2'500'000)});
  EXPECT_EQ(hex(encode_event(deposit)),
            "0104"
            "0700000000000000"
            "00002a36fe9c9717"
            "1000000000000000"
            "6400000000000000"
            "07000000"
            "a025260000000000");
  EXPECT_EQ(hex(encode_event(event(1, ListAsset{AssetId{2}, "BTC", 8, kAssetFlagsAll}))),
            "0100010000000000000000002a36fe9c9717"
            "02000000"
            "03000000425443"
            "08"
            "07");
  EXPECT_EQ(hex(encode_event(
                event(1, CreateSubAccount{AccountId{16}, SubAccountId{17}, MarginMode::isolated}))),
            "0103010000000000000000002a36fe9c9717"
            "1000000000000000"
            "1100000000000000"
            "01");
  EXPECT_EQ(hex(encode_event(event(2, CoverBadDebt{AssetId{1}, Amount::from_raw(6'000'000'000)}))),
            "011e020000000000000000002a36fe9c9717"
            "01000000"
            "00bca06501000000");
  // encode_event_into appends.
  ByteWriter out;
  out.u8(0xAA);
  encode_event_into(deposit, out);
  EXPECT_EQ(out.bytes(), std::string(1, '\xAA') + encode_event(deposit));
}

TEST(BinaryCodec, RoundTripEveryKind) {
  // oracle_quotes: 18 + asset 4 + count 1 + 2 × (source 4, price 8, confidence 8, published 8).
  const std::vector<std::size_t> sizes = {31, 23, 26, 35, 46, 46, 54, 38, 30, 62, 79, 38, 22, 62, 26, 26, 42, 34, 26, 34, 26, 22, 46, 66, 30, 22, 38, 26, 26, 54, 30};
  const auto events = one_of_each();
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::string bytes = encode_event(events[i]);
    EXPECT_EQ(bytes.size(), sizes[i]) << event_kind_name(events[i].body);
    EXPECT_EQ(decode_ok(bytes), events[i]) << event_kind_name(events[i].body);
  }
  for (const Event& e : extremes()) {
    const std::string bytes = encode_event(e);
    EXPECT_LE(bytes.size(), kEventBytesMax);
    EXPECT_EQ(decode_ok(bytes), e) << hex(bytes);
  }
}

// The field that byte `offset` of an encoding belongs to, and where that field starts.
std::pair<std::string, std::size_t> field_at(const Event& e, std::size_t offset) {
  std::vector<std::pair<std::string, std::size_t>> fields = {
      {"version", 0}, {"kind", 1}, {"id", 2}, {"timestamp_ns", 10}};
  switch (static_cast<unsigned char>(encode_event(e)[1])) {  // the binary kind
    case 0: {
      const std::size_t n = std::get<ListAsset>(e.body).symbol.size();
      fields.insert(fields.end(),
                    {{"asset", 18}, {"symbol", 22}, {"decimals", 26 + n}, {"flags", 27 + n}});
      break;
    }
    case 1:
      fields.insert(fields.end(), {{"asset", 18}, {"flags", 22}});
      break;
    case 2:
      fields.insert(fields.end(), {{"account", 18}});
      break;
    case 3:
      fields.insert(fields.end(), {{"account", 18}, {"sub_account", 26}, {"mode", 34}});
      break;
    case 4:
    case 5:
    case 22:
      fields.insert(fields.end(),
                    {{"account", 18}, {"sub_account", 26}, {"asset", 34}, {"amount", 38}});
      break;
    case 6:
      fields.insert(fields.end(),
                    {{"account", 18}, {"from", 26}, {"to", 34}, {"asset", 42}, {"amount", 46}});
      break;
    case 7:
      fields.insert(fields.end(), {{"asset", 18}, {"price", 22}, {"stable_price", 30}});
      break;
    case 8:
      fields.insert(fields.end(), {{"instrument", 18}, {"mark", 22}});
      break;
    case 10: {
      fields.insert(fields.end(), {{"asset", 18}, {"quotes", 22}});
      const std::size_t n = std::get<OracleQuotes>(e.body).quotes.size();
      for (std::size_t q = 0; q < n; ++q) {
        const std::size_t at = 23 + 28 * q;
        fields.insert(fields.end(), {{"quotes.source", at},
                                     {"quotes.price", at + 4},
                                     {"quotes.confidence", at + 12},
                                     {"quotes.published_ns", at + 20}});
      }
      break;
    }
    case 11:
      fields.insert(fields.end(), {{"instrument", 18}, {"impact_bid", 22}, {"impact_ask", 30}});
      break;
    case 12:
      fields.insert(fields.end(), {{"instrument", 18}});
      break;
    case 13:
      fields.insert(fields.end(), {{"liquidator", 18},
                                   {"liquidator_sub_account", 26},
                                   {"target", 34},
                                   {"instrument", 42},
                                   {"size", 46},
                                   {"price", 54}});
      break;
    case 14:
    case 15:
    case 20:
      fields.insert(fields.end(), {{"sub_account", 18}});
      break;
    case 16:
      fields.insert(fields.end(), {{"account", 18}, {"sub_account", 26}, {"amount", 34}});
      break;
    case 17:
      fields.insert(fields.end(), {{"account", 18}, {"shares", 26}});
      break;
    case 18:
      fields.insert(fields.end(), {{"account", 18}});
      break;
    case 19:
      fields.insert(fields.end(), {{"account", 18}, {"sub_account", 26}});
      break;
    case 21:
      fields.insert(fields.end(), {{"asset", 18}});
      break;
    case 23:
      fields.insert(fields.end(), {{"liquidator", 18},
                                   {"liquidator_sub_account", 26},
                                   {"target", 34},
                                   {"debt_asset", 42},
                                   {"repay", 46},
                                   {"collateral_asset", 54},
                                   {"seize", 58}});
      break;
    case 24:
      fields.insert(fields.end(), {{"instrument", 18}, {"depth", 22}});
      break;
    case 25:
      fields.insert(fields.end(), {{"instrument", 18}});
      break;
    case 26:
      fields.insert(fields.end(), {{"proposal", 18}, {"parameter", 26}, {"value", 30}});
      break;
    case 27:
    case 28:
      fields.insert(fields.end(), {{"proposal", 18}});
      break;
    case 29:
      fields.insert(fields.end(), {{"liquidator", 18},
                                   {"liquidator_sub_account", 26},
                                   {"target", 34},
                                   {"fraction_ppm", 42},
                                   {"discount", 46}});
      break;
    case 30:
      fields.insert(fields.end(), {{"asset", 18}, {"amount", 22}});
      break;
    default:
      fields.insert(fields.end(), {{"account", 18},
                                   {"sub_account", 26},
                                   {"instrument", 34},
                                   {"size", 38},
                                   {"price", 46},
                                   {"fee", 54}});
  }
  std::pair<std::string, std::size_t> found = fields.front();
  for (const auto& field : fields) {
    if (field.second <= offset) found = field;
  }
  return found;
}

TEST(BinaryCodec, EveryTruncationNamesTheFieldAndItsOffset) {
  auto events = one_of_each();
  events.push_back(event(9, ListAsset{AssetId{1}, "", 0, 0}));
  for (const Event& e : events) {
    const std::string bytes = encode_event(e);
    for (std::size_t length = 0; length < bytes.size(); ++length) {
      const auto [field, start] = field_at(e, length);
      const std::string message = decode_error(bytes.substr(0, length));
      SCOPED_TRACE(std::string(event_kind_name(e.body)) + " cut to " + std::to_string(length));
      EXPECT_CONTAINS(message, "offset " + std::to_string(start) + ":");
      EXPECT_CONTAINS(message, "truncated before field " + field);
    }
  }
}

TEST(BinaryCodec, BadVersionUnknownKindAndTrailingBytes) {
  const std::string deposit = encode_event(one_of_each()[4]);
  for (const char version : {'\x00', '\x02', '\xff'}) {
    std::string bytes = deposit;
    bytes[0] = version;
    const std::string message = decode_error(bytes);
    EXPECT_CONTAINS(message, "offset 0:");
    EXPECT_CONTAINS(message, "version " + std::to_string(static_cast<unsigned char>(version)));
  }
  for (const char kind : {'\x1f', '\x20', '\xff'}) {
    std::string bytes = deposit;
    bytes[1] = kind;
    const std::string message = decode_error(bytes);
    EXPECT_CONTAINS(message, "offset 1:");
    EXPECT_CONTAINS(message,
                    "unknown event kind " + std::to_string(static_cast<unsigned char>(kind)));
  }
  EXPECT_CONTAINS(decode_error(deposit + "x"), "offset 46: 1 unexpected trailing bytes");
  EXPECT_CONTAINS(decode_error(deposit + std::string(9, '\0')),
                  "offset 46: 9 unexpected trailing bytes");
  // A deposit's bytes relabelled as a create_account: 20 bytes left over.
  std::string relabelled = deposit;
  relabelled[1] = '\x02';
  EXPECT_CONTAINS(decode_error(relabelled), "offset 26: 20 unexpected trailing bytes");
  EXPECT_CONTAINS(decode_error(std::string(kEventBytesMax + 1, '\x01')), "longer than 512 bytes");
  // More quotes than the codec carries: named at the count's offset.
  std::string quotes = encode_event(event(1, OracleQuotes{AssetId{7}, {}}));
  quotes.back() = static_cast<char>(kQuotesMax + 1);
  EXPECT_CONTAINS(decode_error(quotes), "offset 22: field quotes holds more than 17 quotes");
}

TEST(BinaryCodec, UnknownFlagBitsAndUnnamedModesDecode) {
  // Flags and mode are a byte in the format: every byte decodes, and the engine judges it. The
  // log stores each event the engine is given, rejected ones included, and must replay it.
  for (const int flags : {0x08, 0x10, 0x80, 0xff}) {
    std::string listing = encode_event(event(1, ListAsset{AssetId{2}, "BTC", 8, 0}));
    listing.back() = static_cast<char>(flags);
    EXPECT_EQ(decode_ok(listing),
              event(1, ListAsset{AssetId{2}, "BTC", 8, static_cast<std::uint8_t>(flags)}));
    std::string update = encode_event(event(1, SetAssetFlags{AssetId{2}, 0}));
    update.back() = static_cast<char>(flags);
    EXPECT_EQ(decode_ok(update),
              event(1, SetAssetFlags{AssetId{2}, static_cast<std::uint8_t>(flags)}));
  }
  for (const int mode : {0x03, 0x7f, 0xff}) {
    std::string sub_account = encode_event(one_of_each()[3]);
    sub_account.back() = static_cast<char>(mode);
    const Event decoded = decode_ok(sub_account);
    EXPECT_EQ(static_cast<int>(std::get<CreateSubAccount>(decoded.body).mode), mode);
    EXPECT_EQ(encode_event(decoded), sub_account);
  }
}

TEST(BinaryCodec, EveryFlagsAndModeByteRoundTripsBinaryAndJson) {
  for (int value = 0; value <= 0xff; ++value) {
    const auto byte = static_cast<std::uint8_t>(value);
    const auto mode = static_cast<MarginMode>(byte);
    for (const Event& e : {event(1, ListAsset{AssetId{2}, "BTC", 8, byte}),
                           event(2, SetAssetFlags{AssetId{2}, byte}),
                           event(3, CreateSubAccount{AccountId{16}, SubAccountId{17}, mode})}) {
      const std::string bytes = encode_event(e);
      EXPECT_EQ(decode_ok(bytes), e) << hex(bytes);
      EXPECT_EQ(json_ok(event_to_json(e)), e) << event_to_json(e);
    }
  }
}

TEST(BinaryCodecDeathTest, EncodingASymbolNoDecoderCouldReadIsAProgrammerError) {
  // Every decoder bounds the symbol at 64 bytes; bytes with a longer one could not be replayed.
  const Event longest = event(1, ListAsset{AssetId{1}, std::string(64, 'A'), 6, 0});
  EXPECT_EQ(decode_ok(encode_event(longest)), longest);
  const Event overlong = event(1, ListAsset{AssetId{1}, std::string(65, 'A'), 6, 0});
  EXPECT_DEATH(encode_event(overlong), "assertion failed: .*kSymbolBytesMax");
  ByteWriter out;
  EXPECT_DEATH(encode_event_into(overlong, out), "assertion failed: .*kSymbolBytesMax");
}

TEST(BinaryCodec, OverlongSymbolIsNamed) {
  ByteWriter out;
  out.u8(kEventCodecVersion);
  out.u8(0);
  out.u64(1);
  out.i64(kTs);
  out.u32(1);
  out.text(std::string(65, 'A'));
  out.u8(0);
  out.u8(0);
  const std::string message = decode_error(out.bytes());
  EXPECT_CONTAINS(message, "offset 22:");
  EXPECT_CONTAINS(message, "symbol");
  EXPECT_CONTAINS(message, "64");
}

TEST(BinaryCodec, MutatedEncodingsNeverCrashAndRoundTripWhenAccepted) {
  // A small, seeded, in-process fuzz: the libFuzzer target goes much further.
  std::mt19937_64 random(20240601);
  std::vector<std::string> seeds;
  for (const Event& e : one_of_each()) seeds.push_back(encode_event(e));
  int accepted = 0;
  for (int round = 0; round < 20'000; ++round) {
    std::string bytes = seeds[random() % seeds.size()];
    const int edits = 1 + static_cast<int>(random() % 3);
    for (int k = 0; k < edits; ++k) {
      const std::size_t at = random() % bytes.size();
      switch (random() % 4) {
        case 0:
          bytes[at] = static_cast<char>(random());
          break;
        case 1:
          bytes.erase(at, 1);
          break;
        case 2:
          bytes.insert(at, 1, static_cast<char>(random()));
          break;
        default:
          bytes[at] = static_cast<char>(bytes[at] ^ (1 << (random() % 8)));
      }
      if (bytes.empty()) bytes = "x";
    }
    const auto decoded = decode_event(bytes);
    if (!decoded.ok()) {
      EXPECT_CONTAINS(decoded.error().message, "event bytes");
      continue;
    }
    ++accepted;
    ASSERT_EQ(encode_event(*decoded), bytes);  // canonical: one encoding per event
  }
  EXPECT_GT(accepted, 1000);
}

// ---- JSON ---------------------------------------------------------------------------------

TEST(JsonCodec, PinnedText) {
  const Event deposit =
      event(7, Deposit{AccountId{16}, SubAccountId{100}, AssetId{7}, Amount::from_raw(2'500'000)});
  EXPECT_EQ(event_to_json(deposit),
            R"({"account":16,"amount":2500000,"asset":7,"id":7,"sub_account":100,)"
            R"("ts":1700000000000000000,"type":"deposit"})");
  EXPECT_EQ(
      event_to_json(event(1, ListAsset{AssetId{2}, "BTC", 8, kAssetDeposits | kAssetTransfers})),
      R"({"asset":2,"decimals":8,"flags":["deposits","transfers"],"id":1,"symbol":"BTC",)"
      R"("ts":1700000000000000000,"type":"list_asset"})");
  EXPECT_EQ(
      event_to_json(event(2, CreateSubAccount{AccountId{16}, SubAccountId{17}, MarginMode::cross})),
      R"({"account":16,"id":2,"mode":"cross","sub_account":17,"ts":1700000000000000000,)"
      R"("type":"create_sub_account"})");
  EXPECT_EQ(event_to_json(event(3, SetAssetFlags{AssetId{2}, 0})),
            R"({"asset":2,"flags":[],"id":3,"ts":1700000000000000000,"type":"set_asset_flags"})");
  EXPECT_EQ(event_to_json(event(4, CoverBadDebt{AssetId{1}, Amount::from_raw(6'000'000'000)})),
            R"({"amount":6000000000,"asset":1,"id":4,"ts":1700000000000000000,"type":"cover_bad_debt"})");
  EXPECT_EQ(json_ok(R"({"id":4,"ts":1700000000000000000,"type":"cover_bad_debt","asset":1,"amount":"-1"})"),
            event(4, CoverBadDebt{AssetId{1}, Amount::from_raw(-1)}));
  EXPECT_CONTAINS(json_error(R"({"id":4,"ts":2,"type":"cover_bad_debt","asset":1,"amount":1,"account":16})"),
                  "\"account\" is not a field of this event type");
}

TEST(JsonCodec, WritesValuesWithoutANameAsTheRawByte) {
  // Unknown flag bits and a mode other than cross or isolated have no name: the whole byte is
  // written as an integer, which reads back unchanged (names would lose the unknown bits).
  EXPECT_EQ(event_to_json(event(3, SetAssetFlags{AssetId{2}, kAssetDeposits | 0x08})),
            R"({"asset":2,"flags":9,"id":3,"ts":1700000000000000000,"type":"set_asset_flags"})");
  EXPECT_EQ(event_to_json(event(1, ListAsset{AssetId{2}, "BTC", 8, 0xff})),
            R"({"asset":2,"decimals":8,"flags":255,"id":1,"symbol":"BTC",)"
            R"("ts":1700000000000000000,"type":"list_asset"})");
  EXPECT_EQ(event_to_json(event(2, CreateSubAccount{AccountId{16}, SubAccountId{17},
                                                     static_cast<MarginMode>(3)})),
            R"({"account":16,"id":2,"mode":3,"sub_account":17,"ts":1700000000000000000,)"
            R"("type":"create_sub_account"})");
  EXPECT_EQ(event_to_json(event(2, CreateSubAccount{AccountId{16}, SubAccountId{17},
                                                     MarginMode::isolated})),
            R"({"account":16,"id":2,"mode":"isolated","sub_account":17,)"
            R"("ts":1700000000000000000,"type":"create_sub_account"})");
}

TEST(JsonCodec, ReadsFlagsAndModeAsTheRawByte) {
  const auto flags_of = [](std::string_view flags) {
    const Event e = json_ok(R"({"id":1,"ts":2,"type":"set_asset_flags","asset":3,"flags":)" +
                            std::string(flags) + "}");
    return static_cast<int>(std::get<SetAssetFlags>(e.body).flags);
  };
  EXPECT_EQ(flags_of("0"), 0);
  EXPECT_EQ(flags_of("5"), kAssetDeposits | kAssetTransfers);
  EXPECT_EQ(flags_of("8"), 8);
  EXPECT_EQ(flags_of("255"), 255);
  EXPECT_EQ(std::get<ListAsset>(json_ok(R"({"id":1,"ts":2,"type":"list_asset","asset":3,)"
                                        R"("symbol":"ETH","decimals":18,"flags":16})")
                                    .body)
                .flags,
            16);
  const auto mode_of = [](std::string_view mode) {
    const Event e = json_ok(
        R"({"id":1,"ts":2,"type":"create_sub_account","account":16,"sub_account":20,"mode":)" +
        std::string(mode) + "}");
    return static_cast<int>(std::get<CreateSubAccount>(e.body).mode);
  };
  EXPECT_EQ(mode_of("0"), static_cast<int>(MarginMode::cross));
  EXPECT_EQ(mode_of("1"), static_cast<int>(MarginMode::isolated));
  EXPECT_EQ(mode_of("2"), 2);
  EXPECT_EQ(mode_of("255"), 255);
  EXPECT_EQ(mode_of("\"cross\""), static_cast<int>(MarginMode::cross));
  EXPECT_EQ(mode_of("\"isolated\""), static_cast<int>(MarginMode::isolated));
  EXPECT_EQ(mode_of("\"portfolio\""), static_cast<int>(MarginMode::portfolio));
  // Past a byte, negative or not an integer.
  for (const char* bad : {"256", "-1", "18446744073709551615", "-9223372036854775808"}) {
    EXPECT_CONTAINS(json_error(R"({"id":1,"ts":2,"type":"set_asset_flags","asset":1,"flags":)" +
                               std::string(bad) + "}"),
                    "\"flags\" out of range (0..255)");
    EXPECT_CONTAINS(json_error(R"({"id":1,"ts":2,"type":"create_sub_account","account":16,)"
                               R"("sub_account":17,"mode":)" +
                               std::string(bad) + "}"),
                    "\"mode\" out of range (0..255)");
  }
  for (const char* bad : {"1.0", "true", "null", "{}", "\"1\""}) {
    EXPECT_CONTAINS(json_error(R"({"id":1,"ts":2,"type":"set_asset_flags","asset":1,"flags":)" +
                               std::string(bad) + "}"),
                    "\"flags\" must be an array");
    EXPECT_CONTAINS(json_error(R"({"id":1,"ts":2,"type":"create_sub_account","account":16,)"
                               R"("sub_account":17,"mode":)" +
                               std::string(bad) + "}"),
                    "\"mode\" must be \"cross\", \"isolated\", \"portfolio\" or an integer 0..255");
  }
}

TEST(JsonCodec, RoundTripEveryKind) {
  for (const Event& e : one_of_each()) {
    EXPECT_EQ(json_ok(event_to_json(e)), e) << event_to_json(e);
  }
  for (const Event& e : extremes()) {
    EXPECT_EQ(json_ok(event_to_json(e)), e) << event_to_json(e);
  }
}

TEST(JsonCodec, ReadsTheDocumentedShape) {
  const Event parsed =
      json_ok(R"({"id":7,"ts":1700000000000000000,"type":"deposit","account":16,"sub_account":16,)"
              R"("asset":1,"amount":2500000})");
  EXPECT_EQ(parsed, event(7, Deposit{AccountId{16}, SubAccountId{16}, AssetId{1},
                                     Amount::from_raw(2'500'000)}));
  // Key order does not matter; whitespace is allowed.
  EXPECT_EQ(json_ok(R"( { "type" : "create_account", "account" : 16, "ts" : 5, "id" : 1 } )"),
            (Event{EventId{1}, 5, CreateAccount{AccountId{16}}}));
  // Defaults: a listing enables everything, a sub-account is cross.
  EXPECT_EQ(
      json_ok(R"({"id":1,"ts":2,"type":"list_asset","asset":3,"symbol":"ETH","decimals":18})"),
      (Event{EventId{1}, 2, ListAsset{AssetId{3}, "ETH", 18, kAssetFlagsAll}}));
  EXPECT_EQ(
      json_ok(R"({"id":1,"ts":2,"type":"create_sub_account","account":16,"sub_account":20})"),
      (Event{EventId{1}, 2, CreateSubAccount{AccountId{16}, SubAccountId{20}, MarginMode::cross}}));
  EXPECT_EQ(json_ok(R"({"id":1,"ts":2,"type":"create_sub_account","account":16,"sub_account":20,)"
                    R"("mode":"isolated"})"),
            (Event{EventId{1}, 2,
                   CreateSubAccount{AccountId{16}, SubAccountId{20}, MarginMode::isolated}}));
  EXPECT_EQ(json_ok(R"({"id":1,"ts":2,"type":"set_asset_flags","asset":3,)"
                    R"("flags":["transfers","deposits","transfers"]})"),
            (Event{EventId{1}, 2, SetAssetFlags{AssetId{3}, kAssetDeposits | kAssetTransfers}}));
}

TEST(JsonCodec, OracleQuotesFundingAndSettlement) {
  EXPECT_EQ(json_ok(R"({"id":1,"ts":2,"type":"oracle_quotes","asset":2,"quotes":[)"
                    R"({"source":1,"price":650,"confidence":5,"published_ns":1},)"
                    R"({"source":0,"price":651,"confidence":0,"published_ns":"2"}]})"),
            (Event{EventId{1}, 2,
                   OracleQuotes{AssetId{2},
                                {{1, Price::from_raw(650), Price::from_raw(5), 1},
                                 {0, Price::from_raw(651), Price::from_raw(0), 2}}}}));
  // Impact prices are for dYdX-style markets only: absent, they read as zero.
  EXPECT_EQ(json_ok(R"({"id":1,"ts":2,"type":"accrue_funding","instrument":201})"),
            (Event{EventId{1}, 2, AccrueFunding{InstrumentId{201}, Price{}, Price{}}}));
  EXPECT_EQ(json_ok(R"({"id":1,"ts":2,"type":"settle_expiry","instrument":202})"),
            (Event{EventId{1}, 2, SettleExpiry{InstrumentId{202}}}));
  // A bad quote is named by its position and field.
  EXPECT_CONTAINS(json_error(R"({"id":1,"ts":2,"type":"oracle_quotes","asset":2,"quotes":[)"
                             R"({"source":1,"price":650,"confidence":5,"published_ns":1},)"
                             R"({"source":0,"confidence":0,"published_ns":2}]})"),
                  R"("quotes" item 1: "price" is missing)");
  EXPECT_CONTAINS(json_error(R"({"id":1,"ts":2,"type":"oracle_quotes","asset":2,"quotes":[)"
                             R"({"source":1,"price":650,"confidence":5,"published_ns":1,"x":0}]})"),
                  R"("quotes" item 0: "x" is not a field of this event type)");
  EXPECT_CONTAINS(json_error(R"({"id":1,"ts":2,"type":"oracle_quotes","asset":2,"quotes":[1]})"),
                  R"("quotes" must hold objects)");
  std::string many = R"({"id":1,"ts":2,"type":"oracle_quotes","asset":2,"quotes":[)";
  for (std::size_t i = 0; i <= kQuotesMax; ++i) {
    many += std::string(i == 0 ? "" : ",") +
            R"({"source":0,"price":1,"confidence":0,"published_ns":1})";
  }
  EXPECT_CONTAINS(json_error(many + "]}"), R"("quotes" must be an array of at most 17 quotes)");
}

TEST(JsonCodec, AmountsAsNumbersAndAsDigitStrings) {
  const auto amount_of = [](std::string_view amount) {
    const Event e = json_ok(std::string(R"({"id":1,"ts":2,"type":"withdraw","account":16,)"
                                        R"("sub_account":16,"asset":1,"amount":)") +
                            std::string(amount) + "}");
    return std::get<Withdraw>(e.body).amount.raw();
  };
  EXPECT_EQ(amount_of("2500000"), 2'500'000);
  EXPECT_EQ(amount_of("\"2500000\""), 2'500'000);
  EXPECT_EQ(amount_of("9223372036854775807"), kMax);
  EXPECT_EQ(amount_of("\"9223372036854775807\""), kMax);
  // Said, so that the engine can reject it with amount_negative / amount_zero.
  EXPECT_EQ(amount_of("-5"), -5);
  EXPECT_EQ(amount_of("\"-5\""), -5);
  EXPECT_EQ(amount_of("-9223372036854775808"), kMin);
  EXPECT_EQ(amount_of("0"), 0);
  // Ids as strings too (64-bit ids do not fit a double).
  const Event e = json_ok(R"({"id":"18446744073709551615","ts":"2","type":"create_account",)"
                          R"("account":"16"})");
  EXPECT_EQ(e.id.value, std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(e.timestamp_ns, 2);
}

constexpr const char* kDeposit =
    R"("id":7,"ts":1700000000000000000,"type":"deposit","account":16,"sub_account":16,"asset":1)";

std::string deposit_with(std::string_view amount) {
  return "{" + std::string(kDeposit) + ",\"amount\":" + std::string(amount) + "}";
}

TEST(JsonCodec, SyntaxErrors) {
  EXPECT_CONTAINS(json_error(""), "not valid JSON at byte");
  EXPECT_CONTAINS(json_error(R"({"id":1,)"), "not valid JSON at byte");
  EXPECT_CONTAINS(json_error(R"({"id":1} {"id":2})"), "not valid JSON at byte 10");
  EXPECT_CONTAINS(json_error("{\"type\":\"deposit\xff\"}"), "not valid JSON");
  EXPECT_CONTAINS(json_error("[1,2]"), "not an object");
  EXPECT_CONTAINS(json_error("42"), "not an object");
  EXPECT_CONTAINS(json_error("null"), "not an object");
  // Numbers past double's range are a JSON error, not an exception.
  EXPECT_CONTAINS(json_error(deposit_with("1e400")), "event JSON");
  EXPECT_CONTAINS(json_error(deposit_with("-1e400")), "event JSON");
}

TEST(JsonCodec, UnknownTypeUnknownFieldMissingField) {
  EXPECT_CONTAINS(json_error(R"({"id":1,"ts":2,"type":"mint","account":16})"),
                  "unknown event type \"mint\"");
  EXPECT_CONTAINS(json_error(R"({"id":1,"ts":2,"account":16})"), "\"type\" is missing");
  EXPECT_CONTAINS(json_error(R"({"id":1,"ts":2,"type":7})"), "\"type\" must be a string");
  EXPECT_CONTAINS(json_error("{" + std::string(kDeposit) + R"(,"amount":1,"memo":"x"})"),
                  "\"memo\" is not a field of this event type");
  // A field of another event type is unknown here.
  EXPECT_CONTAINS(
      json_error(R"({"id":1,"ts":2,"type":"create_account","account":16,"symbol":"X"})"),
      "\"symbol\" is not a field of this event type");
  EXPECT_CONTAINS(json_error("{" + std::string(kDeposit) + "}"), "\"amount\" is missing");
  EXPECT_CONTAINS(json_error(R"({"ts":2,"type":"create_account","account":16})"),
                  "\"id\" is missing");
  EXPECT_CONTAINS(json_error(R"({"id":1,"type":"create_account","account":16})"),
                  "\"ts\" is missing");
  EXPECT_CONTAINS(json_error(R"({"id":1,"ts":2,"type":"transfer","account":16,"from":16,)"
                             R"("asset":1,"amount":5})"),
                  "\"to\" is missing");
  EXPECT_CONTAINS(json_error(R"({"id":1,"ts":2,"type":"list_asset","asset":1,"decimals":6})"),
                  "\"symbol\" is missing");
}

TEST(JsonCodec, WrongTypesAndRanges) {
  EXPECT_CONTAINS(json_error(deposit_with("1.5")), "\"amount\" must be an integer");
  EXPECT_CONTAINS(json_error(deposit_with("true")), "\"amount\" must be an integer");
  EXPECT_CONTAINS(json_error(deposit_with("\"12a\"")), "\"amount\" must be an integer");
  EXPECT_CONTAINS(json_error(deposit_with("\"\"")), "\"amount\" must be an integer");
  EXPECT_CONTAINS(json_error(deposit_with("\"1.5\"")), "\"amount\" must be an integer");
  EXPECT_CONTAINS(json_error(deposit_with("\" 5\"")), "\"amount\" must be an integer");
  EXPECT_CONTAINS(json_error(deposit_with("null")), "\"amount\" must be an integer");
  // Amounts past INT64_MAX.
  EXPECT_CONTAINS(json_error(deposit_with("9223372036854775808")), "\"amount\" out of range");
  EXPECT_CONTAINS(json_error(deposit_with("18446744073709551615")), "\"amount\" out of range");
  EXPECT_CONTAINS(json_error(deposit_with("\"9223372036854775808\"")), "\"amount\" out of range");
  EXPECT_CONTAINS(json_error(deposit_with("\"-9223372036854775809\"")), "\"amount\" out of range");
  EXPECT_CONTAINS(json_error(deposit_with("99999999999999999999")), "\"amount\"");
  // Negative and non-integer ids.
  EXPECT_CONTAINS(json_error(R"({"id":-1,"ts":2,"type":"create_account","account":16})"),
                  "\"id\" must be a non-negative integer");
  EXPECT_CONTAINS(json_error(R"({"id":"-1","ts":2,"type":"create_account","account":16})"),
                  "\"id\" must be an integer");
  EXPECT_CONTAINS(json_error(R"({"id":1.0,"ts":2,"type":"create_account","account":16})"),
                  "\"id\" must be a non-negative integer");
  EXPECT_CONTAINS(json_error(R"({"id":1,"ts":2,"type":"create_account","account":-16})"),
                  "\"account\" must be a non-negative integer");
  EXPECT_CONTAINS(json_error(R"({"id":1,"ts":2,"type":"create_account","account":[16]})"),
                  "\"account\" must be a non-negative integer");
  EXPECT_CONTAINS(json_error(R"({"id":"18446744073709551616","ts":2,"type":"create_account",)"
                             R"("account":16})"),
                  "\"id\" out of range");
  EXPECT_CONTAINS(json_error(R"({"id":1,"ts":2.5,"type":"create_account","account":16})"),
                  "\"ts\" must be an integer");
  // Narrow fields.
  EXPECT_CONTAINS(json_error(R"({"id":1,"ts":2,"type":"set_asset_flags","asset":4294967296,)"
                             R"("flags":[]})"),
                  "\"asset\" out of range");
  EXPECT_CONTAINS(json_error(R"({"id":1,"ts":2,"type":"list_asset","asset":1,"symbol":"X",)"
                             R"("decimals":256})"),
                  "\"decimals\" out of range");
  // Strings, flags, modes.
  EXPECT_CONTAINS(json_error(R"({"id":1,"ts":2,"type":"list_asset","asset":1,"symbol":5,)"
                             R"("decimals":6})"),
                  "\"symbol\" must be a string");
  EXPECT_CONTAINS(json_error(R"({"id":1,"ts":2,"type":"set_asset_flags","asset":1,)"
                             R"("flags":"deposits"})"),
                  "\"flags\" must be an array");
  EXPECT_CONTAINS(json_error(R"({"id":1,"ts":2,"type":"set_asset_flags","asset":1,)"
                             R"("flags":["mint"]})"),
                  "\"flags\" has an unknown flag");
  EXPECT_CONTAINS(json_error(R"({"id":1,"ts":2,"type":"set_asset_flags","asset":1,"flags":[1]})"),
                  "\"flags\" has an unknown flag");
  EXPECT_CONTAINS(json_error(R"({"id":1,"ts":2,"type":"create_sub_account","account":16,)"
                             R"("sub_account":17,"mode":"hedged"})"),
                  "\"mode\" must be \"cross\", \"isolated\", \"portfolio\" or an integer 0..255");
  EXPECT_CONTAINS(json_error(R"({"id":1,"ts":2,"type":"create_sub_account","account":16,)"
                             R"("sub_account":17,"mode":["cross"]})"),
                  "\"mode\" must be \"cross\", \"isolated\", \"portfolio\" or an integer 0..255");
}

TEST(JsonCodec, EveryJsonEventEncodesToDecodableBytes) {
  // The log stores every event it is given, rejected ones included, in binary: a JSON event
  // whose bytes could not be decoded again would break replay.
  const std::string long_symbol = std::string(65, 'A');
  const std::string message =
      json_error(R"({"id":1,"ts":2,"type":"list_asset","asset":1,"decimals":6,"symbol":")" +
                 long_symbol + "\"}");
  EXPECT_CONTAINS(message, "\"symbol\"");
  const Event longest = json_ok(R"({"id":1,"ts":2,"type":"list_asset","asset":1,"decimals":6,)"
                                R"("symbol":")" +
                                std::string(64, 'A') + "\"}");
  EXPECT_EQ(decode_ok(encode_event(longest)), longest);
}

TEST(JsonCodec, WritesAnyDecodedEventWithoutThrowing) {
  // Binary symbols are bytes; JSON needs UTF-8. Invalid sequences are replaced, not thrown.
  const Event e = event(1, ListAsset{AssetId{1}, std::string("B\xff\xfe", 3), 6, 0});
  const Event from_bytes = decode_ok(encode_event(e));
  std::string text;
  EXPECT_NO_THROW(text = event_to_json(from_bytes));
  const Event back = json_ok(text);
  EXPECT_EQ(std::get<ListAsset>(back.body).symbol.substr(0, 1), "B");
  EXPECT_NE(std::get<ListAsset>(back.body).symbol, std::get<ListAsset>(e.body).symbol);
}

}  // namespace
}  // namespace ballast
