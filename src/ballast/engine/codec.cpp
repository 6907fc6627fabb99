#include "ballast/engine/codec.hpp"

#include <charconv>
#include <initializer_list>
#include <nlohmann/json.hpp>

#include "ballast/core/assert.hpp"
#include "ballast/core/bytes.hpp"

namespace ballast {
namespace {

using nlohmann::json;

// ---- names ------------------------------------------------------------------------------

constexpr std::size_t kSymbolBytesMax = 64;  // the engine then checks 1..15 and the alphabet
constexpr std::uint64_t kByteMax = 255;      // flags and mode: any byte, judged by the engine

constexpr const char* kKindNames[] = {"list_asset", "set_asset_flags", "create_account",
                                      "create_sub_account", "deposit", "withdraw", "transfer",
                                      "oracle_price", "mark_price", "fill", "oracle_quotes",
                                      "accrue_funding", "settle_expiry", "liquidate",
                                      "check_health", "resolve_bankruptcy", "vault_deposit",
                                      "vault_request_withdrawal", "vault_cancel_withdrawal",
                                      "vault_withdraw", "backstop_takeover", "accrue_interest",
                                      "borrow", "liquidate_borrow", "set_market_depth",
                                      "emergency_settle", "propose_parameter", "cancel_proposal",
                                      "execute_proposal", "liquidate_portfolio", "cover_bad_debt"};
static_assert(std::size(kKindNames) == std::variant_size_v<EventBody>);

struct FlagName {
  std::uint8_t bit;
  const char* name;
};
constexpr FlagName kFlagNames[] = {
    {kAssetDeposits, "deposits"}, {kAssetWithdrawals, "withdrawals"}, {kAssetTransfers, "transfers"}};

// ---- binary -----------------------------------------------------------------------------

void encode_body(ByteWriter& out, const ListAsset& e) {
  // The log keeps the encoding of every event the engine is given, rejected ones included, and
  // replay decodes it: bytes decode_event() refuses would make the log unreplayable. Every
  // decoder bounds the symbol at kSymbolBytesMax, so a longer one can only have been built in
  // code: a programmer error, asserted rather than encoded. (Engine::apply encodes every event
  // for its fingerprint, so it stops here too instead of answering symbol_invalid.)
  BALLAST_ASSERT(e.symbol.size() <= kSymbolBytesMax);
  out.u32(e.asset.value);
  out.text(e.symbol);
  out.u8(e.decimals);
  out.u8(e.flags);
}
void encode_body(ByteWriter& out, const SetAssetFlags& e) {
  out.u32(e.asset.value);
  out.u8(e.flags);
}
void encode_body(ByteWriter& out, const CreateAccount& e) { out.u64(e.account.value); }
void encode_body(ByteWriter& out, const CreateSubAccount& e) {
  out.u64(e.account.value);
  out.u64(e.sub_account.value);
  out.u8(static_cast<std::uint8_t>(e.mode));
}
template <typename Move>
void encode_move(ByteWriter& out, const Move& e) {
  out.u64(e.account.value);
  out.u64(e.sub_account.value);
  out.u32(e.asset.value);
  out.i64(e.amount.raw());
}
void encode_body(ByteWriter& out, const Deposit& e) { encode_move(out, e); }
void encode_body(ByteWriter& out, const Withdraw& e) { encode_move(out, e); }
void encode_body(ByteWriter& out, const Borrow& e) { encode_move(out, e); }
void encode_body(ByteWriter& out, const Transfer& e) {
  out.u64(e.account.value);
  out.u64(e.from.value);
  out.u64(e.to.value);
  out.u32(e.asset.value);
  out.i64(e.amount.raw());
}

void encode_body(ByteWriter& out, const OraclePrice& e) {
  out.u32(e.asset.value);
  out.i64(e.price.raw());
  out.i64(e.stable_price.raw());
}
void encode_body(ByteWriter& out, const MarkPrice& e) {
  out.u32(e.instrument.value);
  out.i64(e.mark.raw());
}
void encode_body(ByteWriter& out, const Fill& e) {
  out.u64(e.account.value);
  out.u64(e.sub_account.value);
  out.u32(e.instrument.value);
  out.i64(e.size.raw());
  out.i64(e.price.raw());
  out.i64(e.fee.raw());
}

void encode_body(ByteWriter& out, const OracleQuotes& e) {
  BALLAST_ASSERT(e.quotes.size() <= kQuotesMax);  // see encode_body(ListAsset)
  out.u32(e.asset.value);
  out.u8(static_cast<std::uint8_t>(e.quotes.size()));
  for (const market::SourceQuote& quote : e.quotes) {
    out.u32(quote.source);
    out.i64(quote.price.raw());
    out.i64(quote.confidence.raw());
    out.i64(quote.published_ns);
  }
}
void encode_body(ByteWriter& out, const AccrueFunding& e) {
  out.u32(e.instrument.value);
  out.i64(e.impact_bid.raw());
  out.i64(e.impact_ask.raw());
}
void encode_body(ByteWriter& out, const SettleExpiry& e) { out.u32(e.instrument.value); }
void encode_body(ByteWriter& out, const Liquidate& e) {
  out.u64(e.liquidator.value);
  out.u64(e.liquidator_sub_account.value);
  out.u64(e.target.value);
  out.u32(e.instrument.value);
  out.i64(e.size.raw());
  out.i64(e.price.raw());
}
void encode_body(ByteWriter& out, const CheckHealth& e) { out.u64(e.sub_account.value); }
void encode_body(ByteWriter& out, const ResolveBankruptcy& e) { out.u64(e.sub_account.value); }
void encode_body(ByteWriter& out, const VaultDeposit& e) {
  out.u64(e.account.value);
  out.u64(e.sub_account.value);
  out.i64(e.amount.raw());
}
void encode_body(ByteWriter& out, const VaultRequestWithdrawal& e) {
  out.u64(e.account.value);
  out.i64(e.shares.raw());
}
void encode_body(ByteWriter& out, const VaultCancelWithdrawal& e) { out.u64(e.account.value); }
void encode_body(ByteWriter& out, const VaultWithdraw& e) {
  out.u64(e.account.value);
  out.u64(e.sub_account.value);
}
void encode_body(ByteWriter& out, const BackstopTakeover& e) { out.u64(e.sub_account.value); }
void encode_body(ByteWriter& out, const AccrueInterest& e) { out.u32(e.asset.value); }
void encode_body(ByteWriter& out, const LiquidateBorrow& e) {
  out.u64(e.liquidator.value);
  out.u64(e.liquidator_sub_account.value);
  out.u64(e.target.value);
  out.u32(e.debt_asset.value);
  out.i64(e.repay.raw());
  out.u32(e.collateral_asset.value);
  out.i64(e.seize.raw());
}

void encode_body(ByteWriter& out, const SetMarketDepth& e) {
  out.u32(e.instrument.value);
  out.i64(e.depth.raw());
}
void encode_body(ByteWriter& out, const EmergencySettle& e) { out.u32(e.instrument.value); }
void encode_body(ByteWriter& out, const ProposeParameter& e) {
  out.u64(e.proposal.value);
  out.u32(e.parameter.value);
  out.i64(e.value);
}
void encode_body(ByteWriter& out, const CancelProposal& e) { out.u64(e.proposal.value); }
void encode_body(ByteWriter& out, const ExecuteProposal& e) { out.u64(e.proposal.value); }
void encode_body(ByteWriter& out, const LiquidatePortfolio& e) {
  out.u64(e.liquidator.value);
  out.u64(e.liquidator_sub_account.value);
  out.u64(e.target.value);
  out.u32(e.fraction_ppm);
  out.i64(e.discount.raw());
}
void encode_body(ByteWriter& out, const CoverBadDebt& e) {
  out.u32(e.asset.value);
  out.i64(e.amount.raw());
}

Error binary_error(std::size_t offset, std::string_view what) {
  return make_error(ErrorCode::invalid_input,
                    "event bytes, offset " + std::to_string(offset) + ": " + std::string(what));
}

// Reads fields in order. The first field that cannot be read (or holds a value the format does
// not allow) stops the reading, and the error names that field and the offset where it starts.
class FieldReader {
 public:
  explicit FieldReader(ByteReader& in) : in_(in) {}

  std::uint8_t u8(const char* field) { return read<std::uint8_t>(field, &ByteReader::u8); }
  std::uint32_t u32(const char* field) { return read<std::uint32_t>(field, &ByteReader::u32); }
  std::uint64_t u64(const char* field) { return read<std::uint64_t>(field, &ByteReader::u64); }
  std::int64_t i64(const char* field) { return read<std::int64_t>(field, &ByteReader::i64); }
  std::string text(const char* field, std::size_t length_max) {
    if (error_) return {};
    ByteReader probe = in_;
    if (const auto length = probe.u32(); length && *length > length_max) {
      fail(in_.offset(), std::string("field ") + field + " is longer than " +
                             std::to_string(length_max) + " bytes");
      return {};
    }
    const std::size_t start = in_.offset();
    const auto value = in_.text(length_max);
    if (!value) fail(start, std::string("truncated before field ") + field);
    return std::string(value.value_or(std::string_view{}));
  }
  // Asset flags and the margin mode are a byte in the format, and any byte decodes: unknown
  // flag bits and a mode other than cross or isolated are the engine's to judge (flags_invalid,
  // mode_invalid), and the log must replay every event the engine was given, rejected or not.
  std::uint8_t flags(const char* field) { return u8(field); }
  MarginMode mode(const char* field) { return static_cast<MarginMode>(u8(field)); }
  // Up to kQuotesMax, the codec's bound (the engine then takes at most kMaxOracleSources).
  std::uint8_t quote_count(const char* field) {
    const std::size_t start = in_.offset();
    const std::uint8_t count = u8(field);
    if (count > kQuotesMax) {
      fail(start, std::string("field ") + field + " holds more than " +
                      std::to_string(kQuotesMax) + " quotes");
    }
    return count;
  }
  void fail(std::size_t offset, std::string_view what) {
    if (!error_) error_ = binary_error(offset, what);
  }
  const std::optional<Error>& error() const { return error_; }

 private:
  template <typename T>
  T read(const char* field, std::optional<T> (ByteReader::*read_value)()) {
    if (error_) return T{};
    const std::size_t start = in_.offset();
    const std::optional<T> value = (in_.*read_value)();
    if (!value) {
      fail(start, std::string("truncated before field ") + field);
      return T{};
    }
    return *value;
  }

  ByteReader& in_;
  std::optional<Error> error_;
};

EventBody decode_body(std::uint8_t kind, FieldReader& r) {
  switch (kind) {
    case 0: {
      ListAsset e;
      e.asset = AssetId{r.u32("asset")};
      e.symbol = r.text("symbol", kSymbolBytesMax);
      e.decimals = r.u8("decimals");
      e.flags = r.flags("flags");
      return e;
    }
    case 1: {
      SetAssetFlags e;
      e.asset = AssetId{r.u32("asset")};
      e.flags = r.flags("flags");
      return e;
    }
    case 2: return CreateAccount{AccountId{r.u64("account")}};
    case 3: {
      CreateSubAccount e;
      e.account = AccountId{r.u64("account")};
      e.sub_account = SubAccountId{r.u64("sub_account")};
      e.mode = r.mode("mode");
      return e;
    }
    case 4:
    case 5:
    case 22: {
      const AccountId account{r.u64("account")};
      const SubAccountId sub_account{r.u64("sub_account")};
      const AssetId asset{r.u32("asset")};
      const Amount amount = Amount::from_raw(r.i64("amount"));
      if (kind == 4) return Deposit{account, sub_account, asset, amount};
      if (kind == 22) return Borrow{account, sub_account, asset, amount};
      return Withdraw{account, sub_account, asset, amount};
    }
    case 6: {
      Transfer e;
      e.account = AccountId{r.u64("account")};
      e.from = SubAccountId{r.u64("from")};
      e.to = SubAccountId{r.u64("to")};
      e.asset = AssetId{r.u32("asset")};
      e.amount = Amount::from_raw(r.i64("amount"));
      return e;
    }
    case 7: {
      OraclePrice e;
      e.asset = AssetId{r.u32("asset")};
      e.price = Price::from_raw(r.i64("price"));
      e.stable_price = Price::from_raw(r.i64("stable_price"));
      return e;
    }
    case 8: {
      MarkPrice e;
      e.instrument = InstrumentId{r.u32("instrument")};
      e.mark = Price::from_raw(r.i64("mark"));
      return e;
    }
    case 10: {
      OracleQuotes e;
      e.asset = AssetId{r.u32("asset")};
      const std::uint8_t count = r.quote_count("quotes");
      for (std::uint8_t i = 0; i < count && !r.error(); ++i) {
        market::SourceQuote quote;
        quote.source = r.u32("quotes.source");
        quote.price = Price::from_raw(r.i64("quotes.price"));
        quote.confidence = Price::from_raw(r.i64("quotes.confidence"));
        quote.published_ns = r.i64("quotes.published_ns");
        e.quotes.push_back(quote);
      }
      return e;
    }
    case 11: {
      AccrueFunding e;
      e.instrument = InstrumentId{r.u32("instrument")};
      e.impact_bid = Price::from_raw(r.i64("impact_bid"));
      e.impact_ask = Price::from_raw(r.i64("impact_ask"));
      return e;
    }
    case 12: return SettleExpiry{InstrumentId{r.u32("instrument")}};
    case 13: {
      Liquidate e;
      e.liquidator = AccountId{r.u64("liquidator")};
      e.liquidator_sub_account = SubAccountId{r.u64("liquidator_sub_account")};
      e.target = SubAccountId{r.u64("target")};
      e.instrument = InstrumentId{r.u32("instrument")};
      e.size = Quantity::from_raw(r.i64("size"));
      e.price = Price::from_raw(r.i64("price"));
      return e;
    }
    case 14: return CheckHealth{SubAccountId{r.u64("sub_account")}};
    case 15: return ResolveBankruptcy{SubAccountId{r.u64("sub_account")}};
    case 16: {
      const AccountId account{r.u64("account")};
      const SubAccountId sub_account{r.u64("sub_account")};
      return VaultDeposit{account, sub_account, Amount::from_raw(r.i64("amount"))};
    }
    case 17: {
      const AccountId account{r.u64("account")};
      return VaultRequestWithdrawal{account, lending::VaultShares::from_raw(r.i64("shares"))};
    }
    case 18: return VaultCancelWithdrawal{AccountId{r.u64("account")}};
    case 19: {
      const AccountId account{r.u64("account")};
      return VaultWithdraw{account, SubAccountId{r.u64("sub_account")}};
    }
    case 20: return BackstopTakeover{SubAccountId{r.u64("sub_account")}};
    case 21: return AccrueInterest{AssetId{r.u32("asset")}};
    case 23: {
      LiquidateBorrow e;
      e.liquidator = AccountId{r.u64("liquidator")};
      e.liquidator_sub_account = SubAccountId{r.u64("liquidator_sub_account")};
      e.target = SubAccountId{r.u64("target")};
      e.debt_asset = AssetId{r.u32("debt_asset")};
      e.repay = Amount::from_raw(r.i64("repay"));
      e.collateral_asset = AssetId{r.u32("collateral_asset")};
      e.seize = Amount::from_raw(r.i64("seize"));
      return e;
    }
    case 24: {
      const InstrumentId instrument{r.u32("instrument")};
      return SetMarketDepth{instrument, Money::from_raw(r.i64("depth"))};
    }
    case 25: return EmergencySettle{InstrumentId{r.u32("instrument")}};
    case 26: {
      ProposeParameter e;
      e.proposal = governance::ProposalId{r.u64("proposal")};
      e.parameter = governance::ParameterKey{r.u32("parameter")};
      e.value = r.i64("value");
      return e;
    }
    case 27: return CancelProposal{governance::ProposalId{r.u64("proposal")}};
    case 28: return ExecuteProposal{governance::ProposalId{r.u64("proposal")}};
    case 29: {
      LiquidatePortfolio e;
      e.liquidator = AccountId{r.u64("liquidator")};
      e.liquidator_sub_account = SubAccountId{r.u64("liquidator_sub_account")};
      e.target = SubAccountId{r.u64("target")};
      e.fraction_ppm = r.u32("fraction_ppm");
      e.discount = Ratio::from_raw(r.i64("discount"));
      return e;
    }
    case 30: {
      const AssetId asset{r.u32("asset")};
      return CoverBadDebt{asset, Amount::from_raw(r.i64("amount"))};
    }
    default: {
      BALLAST_ASSERT(kind == 9);
      Fill e;
      e.account = AccountId{r.u64("account")};
      e.sub_account = SubAccountId{r.u64("sub_account")};
      e.instrument = InstrumentId{r.u32("instrument")};
      e.size = Quantity::from_raw(r.i64("size"));
      e.price = Price::from_raw(r.i64("price"));
      e.fee = Money::from_raw(r.i64("fee"));
      return e;
    }
  }
}

// ---- JSON -------------------------------------------------------------------------------

Error json_error(std::string_view what) {
  return make_error(ErrorCode::invalid_input, "event JSON: " + std::string(what));
}

// Typed access to the fields of one JSON object; reports the first problem by field name.
class JsonFields {
 public:
  explicit JsonFields(const json& object) : object_(object) {}

  std::uint64_t unsigned_id(const char* field) {
    const json* value = find(field);
    if (value == nullptr) return 0;
    if (value->is_number_unsigned()) return value->get<std::uint64_t>();
    if (value->is_string()) return parse_digits<std::uint64_t>(field, value->get<std::string>());
    fail(field, "must be a non-negative integer");
    return 0;
  }
  std::int64_t signed_integer(const char* field) {
    const json* value = find(field);
    if (value == nullptr) return 0;
    if (value->is_number_unsigned()) {
      const auto magnitude = value->get<std::uint64_t>();
      if (magnitude > static_cast<std::uint64_t>(INT64_MAX)) fail(field, "out of range");
      return static_cast<std::int64_t>(magnitude);
    }
    if (value->is_number_integer()) return value->get<std::int64_t>();
    if (value->is_string()) return parse_digits<std::int64_t>(field, value->get<std::string>());
    fail(field, "must be an integer");
    return 0;
  }
  // Impact prices are only for markets that use them: a missing one reads as zero.
  std::int64_t signed_integer_or_zero(const char* field) {
    return object_.contains(field) ? signed_integer(field) : 0;
  }
  // [{"source": 0, "price": ..., "confidence": ..., "published_ns": ...}, ...], at most
  // kQuotesMax (so that the event fits the binary codec).
  std::vector<market::SourceQuote> quotes(const char* field) {
    std::vector<market::SourceQuote> result;
    const json* value = find(field);
    if (value == nullptr) return result;
    if (!value->is_array() || value->size() > kQuotesMax) {
      fail(field, "must be an array of at most " + std::to_string(kQuotesMax) + " quotes");
      return result;
    }
    for (const json& item : *value) {
      if (!item.is_object()) {
        fail(field, "must hold objects with source, price, confidence and published_ns");
        return result;
      }
      JsonFields q(item);
      q.allow_only({"source", "price", "confidence", "published_ns"});
      result.push_back(market::SourceQuote{q.narrow<std::uint32_t>("source", q.unsigned_id("source")),
                                           Price::from_raw(q.signed_integer("price")),
                                           Price::from_raw(q.signed_integer("confidence")),
                                           q.signed_integer("published_ns")});
      if (q.error()) {
        // The inner message without its own "event JSON: " prefix.
        const std::string& inner = q.error()->message;
        fail(field, "item " + std::to_string(result.size() - 1) + ": " +
                        inner.substr(inner.find('"')));
        return result;
      }
    }
    return result;
  }
  template <typename Int>
  Int narrow(const char* field, std::uint64_t value) {
    if (value > std::numeric_limits<Int>::max()) fail(field, "out of range");
    return static_cast<Int>(value);
  }
  std::string text(const char* field) {
    const json* value = find(field);
    if (value == nullptr) return {};
    if (!value->is_string()) fail(field, "must be a string");
    return value->is_string() ? value->get<std::string>() : std::string{};
  }
  // Bounded as in the binary codec, so that every event read from JSON can be logged in binary
  // and read back (the engine then checks 1..15 characters and the alphabet).
  std::string symbol(const char* field) {
    std::string value = text(field);
    if (value.size() > kSymbolBytesMax) {
      fail(field, "is longer than " + std::to_string(kSymbolBytesMax) + " bytes");
    }
    return value;
  }
  // Flags and mode are normally names. An integer 0..255 is the raw byte, as in the binary
  // codec: event_to_json writes one for a value that has no name (unknown flag bits, a mode other
  // than cross or isolated), so that every decodable event reads back unchanged; the engine then
  // rejects it (flags_invalid, mode_invalid).
  std::uint8_t flags(const char* field) {
    if (!object_.contains(field)) return kAssetFlagsAll;  // a listing enables everything
    const json& value = object_.at(field);
    if (value.is_number_integer()) return raw_byte(field, value);
    if (!value.is_array()) {
      fail(field,
           "must be an array of \"deposits\", \"withdrawals\", \"transfers\", or an integer "
           "0..255");
      return 0;
    }
    std::uint8_t bits = 0;
    for (const json& item : value) {
      bits |= flag_bit(field, item);
    }
    return bits;
  }
  MarginMode mode(const char* field) {
    if (!object_.contains(field)) return MarginMode::cross;
    const json& value = object_.at(field);
    if (value.is_number_integer()) return static_cast<MarginMode>(raw_byte(field, value));
    for (const MarginMode named : {MarginMode::cross, MarginMode::isolated, MarginMode::portfolio}) {
      if (value.is_string() && value.get<std::string>() == margin_mode_name(named)) return named;
    }
    fail(field, "must be \"cross\", \"isolated\", \"portfolio\" or an integer 0..255");
    return MarginMode::cross;
  }
  void allow_only(std::initializer_list<const char*> fields) {
    for (const auto& [key, value] : object_.items()) {
      bool known = false;
      for (const char* field : fields) known = known || key == field;
      if (!known) fail(key.c_str(), "is not a field of this event type");
    }
  }
  const std::optional<Error>& error() const { return error_; }

 private:
  const json* find(const char* field) {
    const auto found = object_.find(field);
    if (found == object_.end()) {
      fail(field, "is missing");
      return nullptr;
    }
    return &*found;
  }
  template <typename Int>
  Int parse_digits(const char* field, const std::string& digits) {
    Int value{};
    const auto [end, code] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (code != std::errc{} || end != digits.data() + digits.size() || digits.empty()) {
      fail(field, code == std::errc::result_out_of_range ? "out of range" : "must be an integer");
    }
    return value;
  }
  std::uint8_t raw_byte(const char* field, const json& value) {
    if (!value.is_number_unsigned() || value.get<std::uint64_t>() > kByteMax) {
      fail(field, "out of range (0..255)");
      return 0;
    }
    return static_cast<std::uint8_t>(value.get<std::uint64_t>());
  }
  std::uint8_t flag_bit(const char* field, const json& item) {
    for (const FlagName& flag : kFlagNames) {
      if (item.is_string() && item.get<std::string>() == flag.name) return flag.bit;
    }
    fail(field, "has an unknown flag (deposits, withdrawals, transfers)");
    return 0;
  }
  void fail(const char* field, std::string_view what) {
    if (!error_) error_ = json_error("\"" + std::string(field) + "\" " + std::string(what));
  }

  const json& object_;
  std::optional<Error> error_;
};

std::optional<std::size_t> kind_index(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kKindNames); ++i) {
    if (name == kKindNames[i]) return i;
  }
  return std::nullopt;
}

EventBody body_from_json(std::size_t kind, JsonFields& f) {
  switch (kind) {
    case 0:
      f.allow_only({"id", "ts", "type", "asset", "symbol", "decimals", "flags"});
      return ListAsset{AssetId{f.narrow<std::uint32_t>("asset", f.unsigned_id("asset"))},
                       f.symbol("symbol"),
                       f.narrow<std::uint8_t>("decimals", f.unsigned_id("decimals")),
                       f.flags("flags")};
    case 1:
      f.allow_only({"id", "ts", "type", "asset", "flags"});
      return SetAssetFlags{AssetId{f.narrow<std::uint32_t>("asset", f.unsigned_id("asset"))},
                           f.flags("flags")};
    case 2:
      f.allow_only({"id", "ts", "type", "account"});
      return CreateAccount{AccountId{f.unsigned_id("account")}};
    case 3:
      f.allow_only({"id", "ts", "type", "account", "sub_account", "mode"});
      return CreateSubAccount{AccountId{f.unsigned_id("account")},
                              SubAccountId{f.unsigned_id("sub_account")}, f.mode("mode")};
    case 4:
    case 5:
    case 22: {
      f.allow_only({"id", "ts", "type", "account", "sub_account", "asset", "amount"});
      const AccountId account{f.unsigned_id("account")};
      const SubAccountId sub_account{f.unsigned_id("sub_account")};
      const AssetId asset{f.narrow<std::uint32_t>("asset", f.unsigned_id("asset"))};
      const Amount amount = Amount::from_raw(f.signed_integer("amount"));
      if (kind == 4) return Deposit{account, sub_account, asset, amount};
      if (kind == 22) return Borrow{account, sub_account, asset, amount};
      return Withdraw{account, sub_account, asset, amount};
    }
    case 6:
      f.allow_only({"id", "ts", "type", "account", "from", "to", "asset", "amount"});
      return Transfer{AccountId{f.unsigned_id("account")}, SubAccountId{f.unsigned_id("from")},
                      SubAccountId{f.unsigned_id("to")},
                      AssetId{f.narrow<std::uint32_t>("asset", f.unsigned_id("asset"))},
                      Amount::from_raw(f.signed_integer("amount"))};
    case 7:
      f.allow_only({"id", "ts", "type", "asset", "price", "stable_price"});
      return OraclePrice{AssetId{f.narrow<std::uint32_t>("asset", f.unsigned_id("asset"))},
                         Price::from_raw(f.signed_integer("price")),
                         Price::from_raw(f.signed_integer("stable_price"))};
    case 8:
      f.allow_only({"id", "ts", "type", "instrument", "mark"});
      return MarkPrice{
          InstrumentId{f.narrow<std::uint32_t>("instrument", f.unsigned_id("instrument"))},
          Price::from_raw(f.signed_integer("mark"))};
    case 10:
      f.allow_only({"id", "ts", "type", "asset", "quotes"});
      return OracleQuotes{AssetId{f.narrow<std::uint32_t>("asset", f.unsigned_id("asset"))},
                          f.quotes("quotes")};
    case 11:
      f.allow_only({"id", "ts", "type", "instrument", "impact_bid", "impact_ask"});
      return AccrueFunding{
          InstrumentId{f.narrow<std::uint32_t>("instrument", f.unsigned_id("instrument"))},
          Price::from_raw(f.signed_integer_or_zero("impact_bid")),
          Price::from_raw(f.signed_integer_or_zero("impact_ask"))};
    case 12:
      f.allow_only({"id", "ts", "type", "instrument"});
      return SettleExpiry{
          InstrumentId{f.narrow<std::uint32_t>("instrument", f.unsigned_id("instrument"))}};
    case 13:
      f.allow_only({"id", "ts", "type", "liquidator", "liquidator_sub_account", "target",
                    "instrument", "size", "price"});
      return Liquidate{AccountId{f.unsigned_id("liquidator")},
                       SubAccountId{f.unsigned_id("liquidator_sub_account")},
                       SubAccountId{f.unsigned_id("target")},
                       InstrumentId{f.narrow<std::uint32_t>("instrument", f.unsigned_id("instrument"))},
                       Quantity::from_raw(f.signed_integer("size")),
                       Price::from_raw(f.signed_integer("price"))};
    case 14:
      f.allow_only({"id", "ts", "type", "sub_account"});
      return CheckHealth{SubAccountId{f.unsigned_id("sub_account")}};
    case 15:
      f.allow_only({"id", "ts", "type", "sub_account"});
      return ResolveBankruptcy{SubAccountId{f.unsigned_id("sub_account")}};
    case 16:
      f.allow_only({"id", "ts", "type", "account", "sub_account", "amount"});
      return VaultDeposit{AccountId{f.unsigned_id("account")}, SubAccountId{f.unsigned_id("sub_account")},
                          Amount::from_raw(f.signed_integer("amount"))};
    case 17:
      f.allow_only({"id", "ts", "type", "account", "shares"});
      return VaultRequestWithdrawal{AccountId{f.unsigned_id("account")},
                                    lending::VaultShares::from_raw(f.signed_integer("shares"))};
    case 18:
      f.allow_only({"id", "ts", "type", "account"});
      return VaultCancelWithdrawal{AccountId{f.unsigned_id("account")}};
    case 19:
      f.allow_only({"id", "ts", "type", "account", "sub_account"});
      return VaultWithdraw{AccountId{f.unsigned_id("account")}, SubAccountId{f.unsigned_id("sub_account")}};
    case 20:
      f.allow_only({"id", "ts", "type", "sub_account"});
      return BackstopTakeover{SubAccountId{f.unsigned_id("sub_account")}};
    case 21:
      f.allow_only({"id", "ts", "type", "asset"});
      return AccrueInterest{AssetId{f.narrow<std::uint32_t>("asset", f.unsigned_id("asset"))}};
    case 23:
      f.allow_only({"id", "ts", "type", "liquidator", "liquidator_sub_account", "target", "debt_asset", "repay",
                    "collateral_asset", "seize"});
      return LiquidateBorrow{AccountId{f.unsigned_id("liquidator")},
                             SubAccountId{f.unsigned_id("liquidator_sub_account")},
                             SubAccountId{f.unsigned_id("target")},
                             AssetId{f.narrow<std::uint32_t>("debt_asset", f.unsigned_id("debt_asset"))},
                             Amount::from_raw(f.signed_integer("repay")),
                             AssetId{f.narrow<std::uint32_t>("collateral_asset", f.unsigned_id("collateral_asset"))},
                             Amount::from_raw(f.signed_integer("seize"))};
    case 24:
      f.allow_only({"id", "ts", "type", "instrument", "depth"});
      return SetMarketDepth{InstrumentId{f.narrow<std::uint32_t>("instrument", f.unsigned_id("instrument"))},
                            Money::from_raw(f.signed_integer("depth"))};
    case 25:
      f.allow_only({"id", "ts", "type", "instrument"});
      return EmergencySettle{InstrumentId{f.narrow<std::uint32_t>("instrument", f.unsigned_id("instrument"))}};
    case 26:
      f.allow_only({"id", "ts", "type", "proposal", "parameter", "value"});
      return ProposeParameter{
          governance::ProposalId{f.unsigned_id("proposal")},
          governance::ParameterKey{f.narrow<std::uint32_t>("parameter", f.unsigned_id("parameter"))},
          f.signed_integer("value")};
    case 27:
      f.allow_only({"id", "ts", "type", "proposal"});
      return CancelProposal{governance::ProposalId{f.unsigned_id("proposal")}};
    case 28:
      f.allow_only({"id", "ts", "type", "proposal"});
      return ExecuteProposal{governance::ProposalId{f.unsigned_id("proposal")}};
    case 29:
      f.allow_only({"id", "ts", "type", "liquidator", "liquidator_sub_account", "target", "fraction_ppm",
                    "discount"});
      return LiquidatePortfolio{AccountId{f.unsigned_id("liquidator")},
                                SubAccountId{f.unsigned_id("liquidator_sub_account")},
                                SubAccountId{f.unsigned_id("target")},
                                f.narrow<std::uint32_t>("fraction_ppm", f.unsigned_id("fraction_ppm")),
                                Ratio::from_raw(f.signed_integer("discount"))};
    case 30:
      f.allow_only({"id", "ts", "type", "asset", "amount"});
      return CoverBadDebt{AssetId{f.narrow<std::uint32_t>("asset", f.unsigned_id("asset"))},
                          Amount::from_raw(f.signed_integer("amount"))};
    default:
      f.allow_only({"id", "ts", "type", "account", "sub_account", "instrument", "size", "price",
                    "fee"});
      return Fill{AccountId{f.unsigned_id("account")}, SubAccountId{f.unsigned_id("sub_account")},
                  InstrumentId{f.narrow<std::uint32_t>("instrument", f.unsigned_id("instrument"))},
                  Quantity::from_raw(f.signed_integer("size")),
                  Price::from_raw(f.signed_integer("price")),
                  Money::from_raw(f.signed_integer("fee"))};
  }
}

// Names when every bit has one, else the raw byte (which the reader takes back unchanged).
json flags_to_json(std::uint8_t flags) {
  if (!asset_flags_known(flags)) return flags;
  json names = json::array();
  for (const FlagName& flag : kFlagNames) {
    if ((flags & flag.bit) != 0) names.push_back(flag.name);
  }
  return names;
}

json mode_to_json(MarginMode mode) {
  if (const char* name = margin_mode_name(mode)) return name;
  return static_cast<std::uint8_t>(mode);  // no name: the raw byte
}

void body_to_json(json& out, const EventBody& body) {
  std::visit(
      [&out](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, ListAsset>) {
          out["asset"] = e.asset.value;
          out["symbol"] = e.symbol;
          out["decimals"] = e.decimals;
          out["flags"] = flags_to_json(e.flags);
        } else if constexpr (std::is_same_v<T, SetAssetFlags>) {
          out["asset"] = e.asset.value;
          out["flags"] = flags_to_json(e.flags);
        } else if constexpr (std::is_same_v<T, CreateAccount>) {
          out["account"] = e.account.value;
        } else if constexpr (std::is_same_v<T, CreateSubAccount>) {
          out["account"] = e.account.value;
          out["sub_account"] = e.sub_account.value;
          out["mode"] = mode_to_json(e.mode);
        } else if constexpr (std::is_same_v<T, OraclePrice>) {
          out["asset"] = e.asset.value;
          out["price"] = e.price.raw();
          out["stable_price"] = e.stable_price.raw();
        } else if constexpr (std::is_same_v<T, MarkPrice>) {
          out["instrument"] = e.instrument.value;
          out["mark"] = e.mark.raw();
        } else if constexpr (std::is_same_v<T, Fill>) {
          out["account"] = e.account.value;
          out["sub_account"] = e.sub_account.value;
          out["instrument"] = e.instrument.value;
          out["size"] = e.size.raw();
          out["price"] = e.price.raw();
          out["fee"] = e.fee.raw();
        } else if constexpr (std::is_same_v<T, OracleQuotes>) {
          out["asset"] = e.asset.value;
          out["quotes"] = json::array();
          for (const market::SourceQuote& quote : e.quotes) {
            out["quotes"].push_back(json{{"source", quote.source},
                                         {"price", quote.price.raw()},
                                         {"confidence", quote.confidence.raw()},
                                         {"published_ns", quote.published_ns}});
          }
        } else if constexpr (std::is_same_v<T, AccrueFunding>) {
          out["instrument"] = e.instrument.value;
          out["impact_bid"] = e.impact_bid.raw();
          out["impact_ask"] = e.impact_ask.raw();
        } else if constexpr (std::is_same_v<T, SettleExpiry> || std::is_same_v<T, EmergencySettle>) {
          out["instrument"] = e.instrument.value;
        } else if constexpr (std::is_same_v<T, SetMarketDepth>) {
          out["instrument"] = e.instrument.value;
          out["depth"] = e.depth.raw();
        } else if constexpr (std::is_same_v<T, ProposeParameter>) {
          out["proposal"] = e.proposal.value;
          out["parameter"] = e.parameter.value;
          out["value"] = e.value;
        } else if constexpr (std::is_same_v<T, CancelProposal> || std::is_same_v<T, ExecuteProposal>) {
          out["proposal"] = e.proposal.value;
        } else if constexpr (std::is_same_v<T, Liquidate>) {
          out["liquidator"] = e.liquidator.value;
          out["liquidator_sub_account"] = e.liquidator_sub_account.value;
          out["target"] = e.target.value;
          out["instrument"] = e.instrument.value;
          out["size"] = e.size.raw();
          out["price"] = e.price.raw();
        } else if constexpr (std::is_same_v<T, CheckHealth> || std::is_same_v<T, ResolveBankruptcy> ||
                             std::is_same_v<T, BackstopTakeover>) {
          out["sub_account"] = e.sub_account.value;
        } else if constexpr (std::is_same_v<T, VaultDeposit>) {
          out["account"] = e.account.value;
          out["sub_account"] = e.sub_account.value;
          out["amount"] = e.amount.raw();
        } else if constexpr (std::is_same_v<T, VaultRequestWithdrawal>) {
          out["account"] = e.account.value;
          out["shares"] = e.shares.raw();
        } else if constexpr (std::is_same_v<T, VaultWithdraw>) {
          out["account"] = e.account.value;
          out["sub_account"] = e.sub_account.value;
        } else if constexpr (std::is_same_v<T, VaultCancelWithdrawal>) {
          out["account"] = e.account.value;
        } else if constexpr (std::is_same_v<T, AccrueInterest>) {
          out["asset"] = e.asset.value;
        } else if constexpr (std::is_same_v<T, LiquidatePortfolio>) {
          out["liquidator"] = e.liquidator.value;
          out["liquidator_sub_account"] = e.liquidator_sub_account.value;
          out["target"] = e.target.value;
          out["fraction_ppm"] = e.fraction_ppm;
          out["discount"] = e.discount.raw();
        } else if constexpr (std::is_same_v<T, CoverBadDebt>) {
          out["asset"] = e.asset.value;
          out["amount"] = e.amount.raw();
        } else if constexpr (std::is_same_v<T, LiquidateBorrow>) {
          out["liquidator"] = e.liquidator.value;
          out["liquidator_sub_account"] = e.liquidator_sub_account.value;
          out["target"] = e.target.value;
          out["debt_asset"] = e.debt_asset.value;
          out["repay"] = e.repay.raw();
          out["collateral_asset"] = e.collateral_asset.value;
          out["seize"] = e.seize.raw();
        } else if constexpr (std::is_same_v<T, Transfer>) {
          out["account"] = e.account.value;
          out["from"] = e.from.value;
          out["to"] = e.to.value;
          out["asset"] = e.asset.value;
          out["amount"] = e.amount.raw();
        } else {
          out["account"] = e.account.value;
          out["sub_account"] = e.sub_account.value;
          out["asset"] = e.asset.value;
          out["amount"] = e.amount.raw();
        }
      },
      body);
}

}  // namespace

const char* event_kind_name(const EventBody& body) noexcept { return kKindNames[body.index()]; }

std::string encode_event(const Event& event) {
  ByteWriter out;
  encode_event_into(event, out);
  return out.take();
}

void encode_event_into(const Event& event, ByteWriter& out) {
  out.u8(kEventCodecVersion);
  out.u8(static_cast<std::uint8_t>(event.body.index()));
  out.u64(event.id.value);
  out.i64(event.timestamp_ns);
  std::visit([&out](const auto& body) { encode_body(out, body); }, event.body);
}

Result<Event> decode_event(std::string_view bytes) {
  if (bytes.size() > kEventBytesMax) {
    return binary_error(0, "event longer than " + std::to_string(kEventBytesMax) + " bytes");
  }
  ByteReader in(bytes);
  FieldReader r(in);
  const std::uint8_t version = r.u8("version");
  if (!r.error() && version != kEventCodecVersion) {
    return binary_error(0, "unsupported codec version " + std::to_string(version));
  }
  const std::uint8_t kind = r.u8("kind");
  if (!r.error() && kind >= std::variant_size_v<EventBody>) {
    return binary_error(1, "unknown event kind " + std::to_string(kind));
  }
  const EventId id{r.u64("id")};
  const TimestampNs timestamp = r.i64("timestamp_ns");
  if (r.error()) return *r.error();
  EventBody body = decode_body(kind, r);
  if (r.error()) return *r.error();
  if (!in.at_end()) {
    return binary_error(in.offset(), std::to_string(in.remaining()) + " unexpected trailing bytes");
  }
  return Event{id, timestamp, std::move(body)};
}

std::string event_to_json(const Event& event) {
  json out;
  out["id"] = event.id.value;
  out["ts"] = event.timestamp_ns;
  out["type"] = event_kind_name(event.body);
  body_to_json(out, event.body);
  // Binary symbols are bytes and need not be UTF-8: replace invalid sequences instead of
  // throwing (the engine rejects such a symbol anyway, and the event must still be printable).
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<Event> event_from_json(std::string_view line) {
  json object;
  try {
    object = json::parse(line);
  } catch (const json::parse_error& error) {
    return json_error("not valid JSON at byte " + std::to_string(error.byte));
  } catch (const json::exception& error) {
    // out_of_range.406: a number past double's range ("1e400"); the text is cut, it can be long.
    return json_error("not valid JSON: " + std::string(error.what()).substr(0, 120));
  }
  if (!object.is_object()) {
    return json_error("not an object");
  }
  JsonFields fields(object);
  const std::string type = fields.text("type");
  if (fields.error()) return *fields.error();
  const auto kind = kind_index(type);
  if (!kind) {
    return json_error("unknown event type \"" + type.substr(0, 40) + "\"");
  }
  Event event{EventId{fields.unsigned_id("id")}, fields.signed_integer("ts"),
              body_from_json(*kind, fields)};
  if (fields.error()) return *fields.error();
  return event;
}

}  // namespace ballast
