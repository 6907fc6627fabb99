#include "ballast/engine/codec.hpp"

#include <charconv>
#include <initializer_list>
#include <nlohmann/json.hpp>

#include "ballast/core/bytes.hpp"

namespace ballast {
namespace {

using nlohmann::json;

// ---- names ------------------------------------------------------------------------------

constexpr std::size_t kSymbolBytesMax = 64;  // the engine then checks 1..15 and the alphabet

constexpr const char* kKindNames[] = {"list_asset",  "set_asset_flags", "create_account",
                                      "create_sub_account", "deposit", "withdraw", "transfer"};
static_assert(std::size(kKindNames) == std::variant_size_v<EventBody>);

struct FlagName {
  std::uint8_t bit;
  const char* name;
};
constexpr FlagName kFlagNames[] = {
    {kAssetDeposits, "deposits"}, {kAssetWithdrawals, "withdrawals"}, {kAssetTransfers, "transfers"}};

const char* mode_name(MarginMode mode) { return mode == MarginMode::cross ? "cross" : "isolated"; }

// ---- binary -----------------------------------------------------------------------------

void encode_body(ByteWriter& out, const ListAsset& e) {
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
void encode_body(ByteWriter& out, const Transfer& e) {
  out.u64(e.account.value);
  out.u64(e.from.value);
  out.u64(e.to.value);
  out.u32(e.asset.value);
  out.i64(e.amount.raw());
}

Error binary_error(const ByteReader& in, std::string_view what) {
  return make_error(ErrorCode::invalid_input,
                    "event bytes, offset " + std::to_string(in.offset()) + ": " + std::string(what));
}

// Reads fields in order and remembers the first that is missing.
struct FieldReader {
  ByteReader& in;
  const char* missing = nullptr;

  template <typename T>
  T take(std::optional<T> value, const char* field) {
    if (!value && missing == nullptr) {
      missing = field;
    }
    return value.value_or(T{});
  }
  std::uint64_t u64(const char* field) { return take(in.u64(), field); }
  std::int64_t i64(const char* field) { return take(in.i64(), field); }
  std::uint32_t u32(const char* field) { return take(in.u32(), field); }
  std::uint8_t u8(const char* field) { return take(in.u8(), field); }
};

Result<std::uint8_t> checked_flags(std::uint8_t flags, std::string_view where) {
  if ((flags & ~kAssetFlagsAll) != 0) {
    return make_error(ErrorCode::invalid_input,
                      std::string(where) + ": unknown asset flag bits " +
                          std::to_string(flags & ~kAssetFlagsAll));
  }
  return flags;
}

Result<EventBody> decode_body(std::uint8_t kind, ByteReader& in) {
  FieldReader r{in};
  EventBody body;
  switch (kind) {
    case 0: {
      ListAsset e{AssetId{r.u32("asset")}, {}, 0, 0};
      const auto symbol = in.text(kSymbolBytesMax);
      if (!symbol && r.missing == nullptr) r.missing = "symbol";
      e.symbol = std::string(symbol.value_or(""));
      e.decimals = r.u8("decimals");
      e.flags = r.u8("flags");
      body = e;
      break;
    }
    case 1: body = SetAssetFlags{AssetId{r.u32("asset")}, r.u8("flags")}; break;
    case 2: body = CreateAccount{AccountId{r.u64("account")}}; break;
    case 3: {
      CreateSubAccount e{AccountId{r.u64("account")}, SubAccountId{r.u64("sub_account")}, {}};
      const std::uint8_t mode = r.u8("mode");
      if (r.missing == nullptr && mode > 1) return binary_error(in, "mode must be 0 or 1");
      e.mode = static_cast<MarginMode>(mode);
      body = e;
      break;
    }
    case 4:
    case 5: {
      const AccountId account{r.u64("account")};
      const SubAccountId sub_account{r.u64("sub_account")};
      const AssetId asset{r.u32("asset")};
      const Amount amount = Amount::from_raw(r.i64("amount"));
      if (kind == 4) body = Deposit{account, sub_account, asset, amount};
      else body = Withdraw{account, sub_account, asset, amount};
      break;
    }
    case 6:
      body = Transfer{AccountId{r.u64("account")}, SubAccountId{r.u64("from")},
                      SubAccountId{r.u64("to")}, AssetId{r.u32("asset")},
                      Amount::from_raw(r.i64("amount"))};
      break;
    default: return binary_error(in, "unknown event kind " + std::to_string(kind));
  }
  if (r.missing != nullptr) {
    return binary_error(in, std::string("truncated before field ") + r.missing);
  }
  return body;
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
  std::uint8_t flags(const char* field) {
    if (!object_.contains(field)) return kAssetFlagsAll;  // a listing enables everything
    const json& value = object_.at(field);
    if (!value.is_array()) {
      fail(field, "must be an array of \"deposits\", \"withdrawals\", \"transfers\"");
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
    const std::string name = text(field);
    if (name == "isolated") return MarginMode::isolated;
    if (name != "cross") fail(field, "must be \"cross\" or \"isolated\"");
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
                       f.text("symbol"),
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
    case 5: {
      f.allow_only({"id", "ts", "type", "account", "sub_account", "asset", "amount"});
      const AccountId account{f.unsigned_id("account")};
      const SubAccountId sub_account{f.unsigned_id("sub_account")};
      const AssetId asset{f.narrow<std::uint32_t>("asset", f.unsigned_id("asset"))};
      const Amount amount = Amount::from_raw(f.signed_integer("amount"));
      if (kind == 4) return Deposit{account, sub_account, asset, amount};
      return Withdraw{account, sub_account, asset, amount};
    }
    default:
      f.allow_only({"id", "ts", "type", "account", "from", "to", "asset", "amount"});
      return Transfer{AccountId{f.unsigned_id("account")}, SubAccountId{f.unsigned_id("from")},
                      SubAccountId{f.unsigned_id("to")},
                      AssetId{f.narrow<std::uint32_t>("asset", f.unsigned_id("asset"))},
                      Amount::from_raw(f.signed_integer("amount"))};
  }
}

json flags_to_json(std::uint8_t flags) {
  json names = json::array();
  for (const FlagName& flag : kFlagNames) {
    if ((flags & flag.bit) != 0) names.push_back(flag.name);
  }
  return names;
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
          out["mode"] = mode_name(e.mode);
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
  ByteReader in(bytes);
  if (bytes.size() > kEventBytesMax) {
    return binary_error(in, "event longer than " + std::to_string(kEventBytesMax) + " bytes");
  }
  const auto version = in.u8();
  if (!version || *version != kEventCodecVersion) {
    return binary_error(in, "unsupported codec version");
  }
  const auto kind = in.u8();
  const auto id = in.u64();
  const auto timestamp = in.i64();
  if (!kind || !id || !timestamp) {
    return binary_error(in, "truncated envelope");
  }
  auto body = decode_body(*kind, in);
  if (!body) {
    return std::move(body).error();
  }
  if (!in.at_end()) {
    return binary_error(in, std::to_string(in.remaining()) + " unexpected trailing bytes");
  }
  Event event{EventId{*id}, *timestamp, std::move(*body)};
  if (const auto* listing = std::get_if<ListAsset>(&event.body)) {
    auto flags = checked_flags(listing->flags, "event bytes, list_asset");
    if (!flags) return std::move(flags).error();
  }
  if (const auto* update = std::get_if<SetAssetFlags>(&event.body)) {
    auto flags = checked_flags(update->flags, "event bytes, set_asset_flags");
    if (!flags) return std::move(flags).error();
  }
  return event;
}

std::string event_to_json(const Event& event) {
  json out;
  out["id"] = event.id.value;
  out["ts"] = event.timestamp_ns;
  out["type"] = event_kind_name(event.body);
  body_to_json(out, event.body);
  return out.dump();
}

Result<Event> event_from_json(std::string_view line) {
  json object;
  try {
    object = json::parse(line);
  } catch (const json::parse_error& error) {
    return json_error("not valid JSON at byte " + std::to_string(error.byte));
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
