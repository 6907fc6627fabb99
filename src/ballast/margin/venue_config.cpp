#include "ballast/margin/venue_config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <toml++/toml.h>
#include <utility>
#include <variant>

#include "ballast/margin/toml_read.hpp"
#include "ballast/market/position.hpp"

namespace ballast::margin {
namespace {

// ---------------------------------------------------------------------------------------------
// Small parsers shared by both formats.

bool symbol_chars_valid(std::string_view symbol, std::size_t max_length) {
  if (symbol.empty() || symbol.size() > max_length) return false;
  return std::all_of(symbol.begin(), symbol.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
  });
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, std::int64_t m, std::int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool leap_year(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

std::int64_t days_in_month(std::int64_t y, std::int64_t m) {
  static constexpr std::int64_t kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap_year(y) ? 29 : kDays[m - 1];
}

// ns since the epoch of a UTC calendar time minus an offset; nullopt out of range or invalid.
std::optional<TimestampNs> epoch_ns(std::int64_t year, std::int64_t month, std::int64_t day,
                                    std::int64_t hour, std::int64_t minute, std::int64_t second,
                                    std::int64_t nanos, std::int64_t offset_minutes) {
  if (year < 1970 || year > 2262 || month < 1 || month > 12 || day < 1 ||
      day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 59 ||
      offset_minutes < -24 * 60 || offset_minutes > 24 * 60) {
    return std::nullopt;
  }
  const int128 seconds = static_cast<int128>(days_from_civil(year, month, day)) * 86'400 +
                         hour * 3'600 + minute * 60 + second - offset_minutes * 60;
  const int128 ns = seconds * 1'000'000'000 + nanos;
  if (ns < 0 || ns > INT64_MAX) return std::nullopt;
  return static_cast<TimestampNs>(ns);
}

bool read_digits(std::string_view text, std::size_t& at, std::size_t count, std::int64_t& out) {
  if (at + count > text.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char c = text[at + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  at += count;
  return true;
}

bool expect_char(std::string_view text, std::size_t& at, char wanted) {
  if (at >= text.size() || (text[at] != wanted && std::toupper(text[at]) != wanted)) return false;
  ++at;
  return true;
}

}  // namespace

namespace toml_read {

[[noreturn]] void fail(std::string message) { throw ConfigError{std::move(message)}; }

// An error is one line: control characters from the input (a quoted key may hold a newline, and
// toml++ quotes what it saw) are written as escapes.
Error input_error(const std::string& message) {
  std::string line;
  for (const char c : message) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      line += c == '\n' ? std::string("\\n") : std::string("\\x") + kHex[byte >> 4] + kHex[byte & 0xF];
    } else {
      line.push_back(c);
    }
  }
  return make_error(ErrorCode::invalid_input, std::move(line));
}

// Decimal text of a TOML or JSON number as written ("1_000.5", "5e-2", "-3"): underscores
// dropped and the exponent applied by moving the point, so parse_decimal sees plain digits.
std::optional<std::string> plain_decimal(std::string_view written) {
  std::string text;
  for (char c : written) {
    if (c != '_') text.push_back(c);
  }
  const std::size_t e = text.find_first_of("eE");
  if (e == std::string::npos) return text;
  int exponent = 0;
  const std::string_view exponent_text = std::string_view(text).substr(e + 1);
  const char* first = exponent_text.data();
  const char* last = first + exponent_text.size();
  if (!exponent_text.empty() && *first == '+') ++first;
  const auto [end, error] = std::from_chars(first, last, exponent);
  if (error != std::errc() || end != last || exponent < -40 || exponent > 40) return std::nullopt;
  std::string mantissa = text.substr(0, e);
  std::string sign;
  if (!mantissa.empty() && (mantissa[0] == '-' || mantissa[0] == '+')) {
    sign = mantissa.substr(0, 1);
    mantissa.erase(0, 1);
  }
  std::size_t point = mantissa.find('.');
  if (point == std::string::npos) point = mantissa.size();
  std::string digits = mantissa;
  if (point < digits.size()) digits.erase(point, 1);
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  // The point moves `exponent` places right of where it was.
  const long shifted = static_cast<long>(point) + exponent;
  if (shifted <= 0) {
    digits.insert(0, static_cast<std::size_t>(-shifted), '0');
    return sign + "0." + digits;
  }
  if (static_cast<std::size_t>(shifted) >= digits.size()) {
    digits.append(static_cast<std::size_t>(shifted) - digits.size(), '0');
    return sign + digits;
  }
  return sign + digits.substr(0, static_cast<std::size_t>(shifted)) + "." +
         digits.substr(static_cast<std::size_t>(shifted));
}

// Exactly `decimals` places or fewer; more, or anything not a decimal, is an error message.
std::variant<std::int64_t, std::string> exact_decimal(std::string_view text, int decimals) {
  const auto plain = plain_decimal(text);
  if (!plain) return "not a decimal: \"" + std::string(text) + "\"";
  const auto down = parse_decimal(*plain, decimals, Round::down);
  if (!down) return "not a decimal: \"" + std::string(text) + "\"";
  const auto up = parse_decimal(*plain, decimals, Round::up);
  if (!up || *up != *down) {
    return "has more than " + std::to_string(decimals) + " decimal places: " + std::string(text);
  }
  return *down;
}

const char* toml_type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

TomlFile::TomlFile(std::string_view text, std::string source) : source_(std::move(source)) {
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = text.find('\n', start);
    lines_.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
}

// toml++ counts columns in code points, so they are walked as such.
std::string_view TomlFile::number_text(const toml::source_region& region) const {
  if (region.begin.line == 0 || region.begin.line > lines_.size()) return {};
  const std::string_view line = lines_[region.begin.line - 1];
  std::size_t byte = 0;
  for (std::uint32_t column = 1; column < region.begin.column && byte < line.size(); ++byte) {
    const auto c = static_cast<unsigned char>(line[byte]);
    if ((c & 0xC0) != 0x80) {
      // The start of a code point: count it once its continuation bytes are passed.
      std::size_t next = byte + 1;
      while (next < line.size() && (static_cast<unsigned char>(line[next]) & 0xC0) == 0x80) ++next;
      byte = next - 1;
      ++column;
    }
  }
  std::size_t end = byte;
  while (end < line.size() && (std::isalnum(static_cast<unsigned char>(line[end])) != 0 ||
                               line[end] == '.' || line[end] == '_' || line[end] == '+' ||
                               line[end] == '-')) {
    ++end;
  }
  return line.substr(byte, end - byte);
}

void Scope::fail_at(const toml::source_region& region, std::string_view key, const std::string& what) const {
  std::string message = file_.where(region);
  if (!context_.empty()) message += context_ + ": ";
  if (!key.empty()) message += prefix_ + std::string(key) + ": ";
  fail(message + what);
}

std::string Scope::string(std::string_view key, std::optional<std::string> fallback) {
  const toml::node* node = fallback ? find(key) : &require(key);
  if (node == nullptr) return *fallback;
  if (!node->is_string()) fail_at(node->source(), key, std::string("must be a string, got ") + toml_type_name(*node));
  return node->value<std::string>().value_or("");
}

std::int64_t Scope::integer(std::string_view key, std::int64_t min, std::int64_t max,
                            std::optional<std::int64_t> fallback) {
  const toml::node* node = fallback ? find(key) : &require(key);
  if (node == nullptr) return *fallback;
  if (!node->is_integer()) fail_at(node->source(), key, std::string("must be an integer, got ") + toml_type_name(*node));
  const std::int64_t value = node->value<std::int64_t>().value_or(0);
  if (value < min || value > max) {
    fail_at(node->source(), key, "must be in [" + std::to_string(min) + ", " + std::to_string(max) +
                                     "], got " + std::to_string(value));
  }
  return value;
}

bool Scope::boolean(std::string_view key, bool fallback) {
  const toml::node* node = find(key);
  if (node == nullptr) return fallback;
  if (!node->is_boolean()) fail_at(node->source(), key, std::string("must be true or false, got ") + toml_type_name(*node));
  return node->value<bool>().value_or(false);
}

std::string Scope::decimal_text(const toml::node& node, std::string_view key) const {
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  if (const auto* f = node.as_floating_point()) return float_text(*f, key);
  fail_at(node.source(), key,
          std::string("must be a decimal (a string such as \"0.05\" or a number), got ") + toml_type_name(node));
}

std::int64_t Scope::raw_decimal(const toml::node& node, std::string_view key, int decimals) const {
  auto raw = exact_decimal(decimal_text(node, key), decimals);
  if (const auto* message = std::get_if<std::string>(&raw)) fail_at(node.source(), key, *message);
  return std::get<std::int64_t>(raw);
}

std::int64_t Scope::duration(std::string_view key, std::optional<std::int64_t> fallback) {
  const toml::node* node = fallback ? find(key) : &require(key);
  if (node == nullptr) return *fallback;
  if (const auto* i = node->as_integer()) {
    if (i->get() < 0) fail_at(node->source(), key, "must be at least 0, got " + std::to_string(i->get()));
    return i->get();
  }
  if (const auto* s = node->as_string()) {
    if (const auto ns = parse_duration_ns(s->get())) return *ns;
    fail_at(node->source(), key, "not a duration (a count and a unit: ns, us, ms, s, m, h, d): \"" + s->get() + "\"");
  }
  fail_at(node->source(), key, std::string("must be a duration such as \"8h\" or integer nanoseconds, got ") +
                                   toml_type_name(*node));
}

std::int64_t Scope::instant(std::string_view key) {
  const toml::node& node = require(key);
  if (const auto* i = node.as_integer()) {
    if (i->get() <= 0) fail_at(node.source(), key, "must be after the epoch, got " + std::to_string(i->get()));
    return i->get();
  }
  if (const auto* s = node.as_string()) {
    if (const auto ns = parse_rfc3339(s->get())) return *ns;
    fail_at(node.source(), key, "not an RFC 3339 time with an offset (\"2025-06-27T08:00:00Z\"): \"" + s->get() + "\"");
  }
  if (const auto* dt = node.as_date_time()) {
    const toml::date_time& v = dt->get();
    if (!v.offset) fail_at(node.source(), key, "needs an offset (Z or +hh:mm): a local time is ambiguous");
    const auto ns = epoch_ns(v.date.year, v.date.month, v.date.day, v.time.hour, v.time.minute, v.time.second,
                             v.time.nanosecond, v.offset->minutes);
    if (ns) return *ns;
    fail_at(node.source(), key, "out of range (1970 to 2262)");
  }
  fail_at(node.source(), key, std::string("must be a time (RFC 3339) or integer nanoseconds, got ") +
                                  toml_type_name(node));
}

const toml::table* Scope::subtable(std::string_view key, bool required) {
  const toml::node* node = required ? &require(key) : find(key);
  if (node == nullptr) return nullptr;
  if (!node->is_table()) fail_at(node->source(), key, std::string("must be a table, got ") + toml_type_name(*node));
  return node->as_table();
}

std::vector<const toml::table*> Scope::tables(std::string_view key, bool required) {
  const toml::node* node = required ? &require(key) : find(key);
  std::vector<const toml::table*> out;
  if (node == nullptr) return out;
  const toml::array* array = node->as_array();
  if (array == nullptr) fail_at(node->source(), key, std::string("must be an array of tables, got ") + toml_type_name(*node));
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& item = *array->get(i);
    if (!item.is_table()) {
      fail_at(item.source(), std::string(key) + "[" + std::to_string(i) + "]",
              std::string("must be a table, got ") + toml_type_name(item));
    }
    out.push_back(item.as_table());
  }
  return out;
}

void Scope::finish() const {
  for (const auto& [key, node] : table_) {
    if (used_.count(std::string(key.str())) == 0) {
      fail_at(key.source().begin.line != 0 ? key.source() : node.source(), key.str(), "unknown key");
    }
  }
}

void Scope::fail_validation(std::string message, bool strip_label) const {
  if (strip_label) {
    const std::size_t colon = message.find(": ");
    if (colon != std::string::npos) message.erase(0, colon + 2);
  }
  const std::size_t colon = message.find(": ");
  if (colon != std::string::npos) {
    const std::string path = message.substr(0, colon);
    // A field in nanoseconds ("auction_duration_ns") may be written as a duration
    // ("auction_duration") or in seconds ("max_dt_s"): named as the file names it.
    std::vector<std::string> keys{path};
    if (path.ends_with("_ns")) {
      const std::string stem = path.substr(0, path.size() - 3);
      keys.insert(keys.end(), {stem, stem + "_s"});
    }
    for (const std::string& key : keys) {
      if (const toml::node* node = lookup(key)) fail_at(node->source(), key, message.substr(colon + 2));
    }
  }
  // The earliest word of the message that names a key ("tick must be positive").
  std::size_t best = std::string::npos;
  const toml::node* best_node = nullptr;
  for (const auto& [key, node] : table_) {
    // A key in seconds ("max_dt_s") is named in nanoseconds by the library ("max_dt_ns").
    const std::string written(key.str());
    const std::string in_ns = written.ends_with("_s") ? written.substr(0, written.size() - 1) + "ns"
                                                      : written + "_ns";
    // Some libraries write a field in words ("reserve factor" for reserve_factor).
    std::string in_words = written;
    std::replace(in_words.begin(), in_words.end(), '_', ' ');
    for (const std::string& name : {written, in_ns, in_words}) {
      std::size_t at = 0;
      while ((at = message.find(name, at)) != std::string::npos) {
        const bool starts = at == 0 || !(std::isalnum(static_cast<unsigned char>(message[at - 1])) != 0 ||
                                        message[at - 1] == '_');
        const std::size_t end = at + name.size();
        const bool ends = end >= message.size() ||
                          !(std::isalnum(static_cast<unsigned char>(message[end])) != 0 || message[end] == '_');
        if (starts && ends) break;
        at = end;
      }
      if (at != std::string::npos && at < best) {
        best = at;
        best_node = &node;
      }
    }
  }
  std::string text = file_.where(best_node != nullptr ? best_node->source() : table_.source());
  if (!context_.empty()) text += context_ + ": ";
  fail(text + (prefix_.empty() ? "" : prefix_.substr(0, prefix_.size() - 1) + ": ") + message);
}

// "tiers[2].initial_rate" within this table.
const toml::node* Scope::lookup(const std::string& path) const {
  const toml::node* node = &table_;
  std::size_t at = 0;
  while (at < path.size() && node != nullptr) {
    std::size_t end = path.find_first_of(".[", at);
    if (end == std::string::npos) end = path.size();
    if (end > at) {
      const toml::table* table = node->as_table();
      node = table == nullptr ? nullptr : table->get(std::string_view(path).substr(at, end - at));
    }
    if (node != nullptr && end < path.size() && path[end] == '[') {
      const std::size_t close = path.find(']', end);
      if (close == std::string::npos) return nullptr;
      std::size_t index = 0;
      const auto [p, error] = std::from_chars(path.data() + end + 1, path.data() + close, index);
      if (error != std::errc() || p != path.data() + close) return nullptr;
      const toml::array* array = node->as_array();
      node = array == nullptr ? nullptr : array->get(index);
      end = close + 1;
    }
    at = end < path.size() && path[end] == '.' ? end + 1 : end;
  }
  return node;
}

std::string Scope::float_text(const toml::value<double>& value, std::string_view key) const {
  const double number = value.get();
  if (!std::isfinite(number)) fail_at(value.source(), key, "must be finite");
  // The written text, checked against the parsed double so a misplaced column cannot pass.
  const std::string_view written = file_.number_text(value.source());
  if (const auto plain = plain_decimal(written)) {
    std::string cleaned;
    for (char c : written) {
      if (c != '_') cleaned.push_back(c);
    }
    char* end = nullptr;
    const double reread = std::strtod(cleaned.c_str(), &end);
    if (end == cleaned.c_str() + cleaned.size() && reread == number) return std::string(written);
  }
  // Fallback (not expected): the shortest text that reads back to the same double.
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, number);
  return std::string(buffer, result.ptr);
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::not_found, path + ": cannot read");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return make_error(ErrorCode::io, path + ": read failed");
  return text.str();
}

}  // namespace toml_read

namespace {

using namespace toml_read;

// ---------------------------------------------------------------------------------------------
// TOML: the venue file.

constexpr std::int64_t kMaxId = UINT32_MAX;

struct Names {
  std::map<std::string, AssetId> assets;
  std::map<std::uint32_t, std::string> asset_ids;
  std::map<std::string, InstrumentId> markets;
  std::map<std::uint32_t, std::string> market_ids;
};

std::optional<Money> cap_or_none(Scope& scope, std::string_view key) {
  const toml::node* node = scope.find(key);
  if (node == nullptr) return std::nullopt;
  if (const auto* s = node->as_string(); s != nullptr && s->get() == "none") return std::nullopt;
  return Money::from_raw(scope.raw_decimal(*node, key, Money::kDecimals));
}

PnlPolicy read_pnl(Scope& scope) {
  PnlPolicy policy;
  policy.initial_weight = scope.decimal<Ratio>("initial_weight", kRatioOne);
  policy.maintenance_weight = scope.decimal<Ratio>("maintenance_weight", kRatioOne);
  if (const auto cap = cap_or_none(scope, "initial_cap")) policy.initial_cap = *cap;
  if (const auto cap = cap_or_none(scope, "maintenance_cap")) policy.maintenance_cap = *cap;
  scope.finish();
  if (Outcome checked = policy.validate(); !checked) scope.fail_validation(checked.error().message, false);
  return policy;
}

struct WeightKeys {
  Ratio init_asset, maint_asset, init_liability, maint_liability;
};

WeightKeys read_weights(Scope& scope, bool required) {
  const auto weight = [&](std::string_view key) {
    return required ? scope.decimal<Ratio>(key) : scope.decimal<Ratio>(key, kRatioOne);
  };
  WeightKeys out{};
  out.init_asset = weight("init_asset_weight");
  out.maint_asset = weight("maint_asset_weight");
  out.init_liability = weight("init_liability_weight");
  out.maint_liability = weight("maint_liability_weight");
  return out;
}

// A duration in seconds written as a decimal, exact to the nanosecond ("10", 0.25, "1e-3"),
// positive; as integer nanoseconds.
TimestampNs positive_seconds(Scope& scope, std::string_view key, TimestampNs fallback) {
  const toml::node* node = scope.find(key);
  if (node == nullptr) return fallback;
  constexpr int kNsDecimals = 9;
  const TimestampNs ns = scope.raw_decimal(*node, key, kNsDecimals);
  if (ns <= 0) scope.fail_key(key, "must be a positive number of seconds");
  return ns;
}

// `[asset.oracle]`: the aggregation and guards (market::OracleConfig); absent keys keep its
// defaults.
market::OracleConfig read_oracle(const TomlFile& file, const toml::table& table, const std::string& context) {
  Scope scope(file, table, context, "oracle.");
  market::OracleConfig out;
  out.min_sources = static_cast<std::uint32_t>(scope.integer(
      "min_sources", 1, static_cast<std::int64_t>(market::kMaxOracleSources), out.min_sources));
  out.max_staleness_ns = positive_seconds(scope, "max_staleness_s", out.max_staleness_ns);
  out.max_confidence = scope.decimal<Ratio>("max_confidence", out.max_confidence);
  out.max_move = scope.decimal<Ratio>("max_move", out.max_move);
  scope.finish();
  if (Outcome checked = out.validate(); !checked) scope.fail_validation(checked.error().message, true);
  return out;
}

// `[asset.stable_price]`: Mango's stable-price model (market::StablePriceConfig); absent keys
// keep its defaults (Mango's).
market::StablePriceConfig read_stable_price(const TomlFile& file, const toml::table& table,
                                            const std::string& context) {
  Scope scope(file, table, context, "stable_price.");
  market::StablePriceConfig out;
  out.delay_interval_ns = positive_seconds(scope, "delay_interval_s", out.delay_interval_ns);
  out.delay_growth_limit = scope.decimal<Ratio>("delay_growth_limit", out.delay_growth_limit);
  out.stable_growth_limit_per_s = scope.decimal<Ratio>("stable_growth_limit_per_s", out.stable_growth_limit_per_s);
  out.min_update_spacing_ns = positive_seconds(scope, "min_update_spacing_s", out.min_update_spacing_ns);
  out.max_dt_ns = positive_seconds(scope, "max_dt_s", out.max_dt_ns);
  scope.finish();
  if (Outcome checked = out.validate(); !checked) scope.fail_validation(checked.error().message, true);
  return out;
}

AssetRisk read_asset(const TomlFile& file, const toml::table& table, Names& names) {
  Scope scope(file, table, "asset");
  AssetRisk asset;
  asset.symbol = scope.string("symbol");
  if (!symbol_chars_valid(asset.symbol, 15)) {
    scope.fail_key("symbol", "must be 1 to 15 characters of A-Z 0-9 . - _, got \"" + asset.symbol + "\"");
  }
  Scope named(file, table, "asset " + asset.symbol);
  named.find("symbol");
  asset.id = AssetId{static_cast<std::uint32_t>(named.integer("id", 1, kMaxId))};
  if (const auto it = names.asset_ids.find(asset.id.value); it != names.asset_ids.end()) {
    named.fail_key("id", std::to_string(asset.id.value) + " is already used by asset " + it->second);
  }
  if (names.assets.count(asset.symbol) != 0) named.fail_key("symbol", "another asset has this symbol");
  asset.decimals = static_cast<std::uint8_t>(named.integer("decimals", 0, kMaxDecimals));
  CollateralParams& c = asset.collateral;
  const WeightKeys w = read_weights(named, false);
  c.init_asset_weight = w.init_asset;
  c.maint_asset_weight = w.maint_asset;
  c.init_liability_weight = w.init_liability;
  c.maint_liability_weight = w.maint_liability;
  c.imf_factor = named.decimal<Ratio>("imf_factor", Ratio{});
  c.deposit_scale_start = named.decimal<Money>("deposit_scale_start", Money{});
  c.borrow_scale_start = named.decimal<Money>("borrow_scale_start", Money{});
  c.isolated_only = named.boolean("isolated_only", false);
  const auto tiers = named.tables("tiers", false);
  if (tiers.size() > kMaxWeightTiers) {
    named.fail_key("tiers", "at most " + std::to_string(kMaxWeightTiers) + " tiers, got " + std::to_string(tiers.size()));
  }
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    Scope tier(file, *tiers[i], named.context(), "tiers[" + std::to_string(i) + "].");
    const Quantity min_size = tier.decimal<Quantity>("min_size");
    const WeightKeys tw = read_weights(tier, true);
    c.tiers[i] = WeightTier{min_size, tw.init_asset, tw.maint_asset, tw.init_liability, tw.maint_liability};
    tier.finish();
  }
  c.tier_count = static_cast<std::uint8_t>(tiers.size());
  if (const toml::table* oracle = named.subtable("oracle", false)) {
    asset.oracle = read_oracle(file, *oracle, named.context());
  }
  if (const toml::table* stable = named.subtable("stable_price", false)) {
    asset.stable_price = read_stable_price(file, *stable, named.context());
  }
  named.finish();
  if (Outcome checked = c.validate(); !checked) named.fail_validation(checked.error().message, false);
  names.assets.emplace(asset.symbol, asset.id);
  names.asset_ids.emplace(asset.id.value, asset.symbol);
  return asset;
}

// maintenance_rate, or maintenance_fraction × initial_rate (dYdX quotes the maintenance margin as
// a fraction of the initial), rounded up: a requirement is never below what was written.
Ratio read_maintenance(Scope& rule, Ratio initial) {
  const bool rate = rule.has("maintenance_rate");
  const bool fraction = rule.has("maintenance_fraction");
  if (rate && fraction) rule.fail_key("maintenance_fraction", "give maintenance_rate or maintenance_fraction, not both");
  if (!fraction) return rule.decimal<Ratio>("maintenance_rate");
  const Ratio f = rule.decimal<Ratio>("maintenance_fraction");
  if (f.is_negative() || f > kRatioOne) rule.fail_key("maintenance_fraction", "must be in [0, 1], got " + f.to_string());
  return *mul<Ratio>(initial, f, Round::up);  // both ≤ 1 here or caught by validate: fits
}

RequirementRule read_rule(const TomlFile& file, const toml::table& table, const std::string& context) {
  Scope rule(file, table, context, "rule.");
  const std::string kind = rule.string("kind");
  RequirementRule out = BaseRule{};
  if (kind == "base") {
    const Ratio initial = rule.decimal<Ratio>("initial_rate");
    out = BaseRule{initial, read_maintenance(rule, initial)};
  } else if (kind == "size") {
    const Ratio initial = rule.decimal<Ratio>("initial_rate");
    const Ratio maintenance = read_maintenance(rule, initial);
    out = SizeRule{initial, maintenance, rule.decimal<Ratio>("imf_factor")};
  } else if (kind == "oi_ramp") {
    const Ratio initial = rule.decimal<Ratio>("initial_rate");
    const Ratio maintenance = read_maintenance(rule, initial);
    out = OiRampRule{initial, maintenance, rule.decimal<Money>("oi_lower_cap"), rule.decimal<Money>("oi_upper_cap")};
  } else if (kind == "tiers" || kind == "leverage_tiers") {
    const auto tiers = rule.tables("tiers", true);
    if (tiers.empty() || tiers.size() > kMaxNotionalTiers) {
      rule.fail_key("tiers", "must hold 1 to " + std::to_string(kMaxNotionalTiers) + " tiers, got " +
                                 std::to_string(tiers.size()));
    }
    std::vector<NotionalTier> notional;
    std::vector<TierRule::LeverageTier> leverage;
    for (std::size_t i = 0; i < tiers.size(); ++i) {
      Scope tier(file, *tiers[i], context, "rule.tiers[" + std::to_string(i) + "].");
      const Money lower = tier.decimal<Money>("lower_bound");
      if (kind == "tiers") {
        const Ratio initial = tier.decimal<Ratio>("initial_rate");
        notional.push_back({lower, initial, read_maintenance(tier, initial)});
      } else {
        leverage.push_back({lower, tier.integer("max_leverage", 1, 1000)});
      }
      tier.finish();
    }
    Result<TierRule> made = kind == "tiers" ? TierRule::make(notional) : TierRule::from_leverage(leverage);
    if (!made) rule.fail_validation(made.error().message, true);
    out = *made;
  } else {
    rule.fail_key("kind", "must be base, size, oi_ramp, tiers or leverage_tiers, got \"" + kind + "\"");
  }
  rule.finish();
  if (Outcome checked = validate(out); !checked) rule.fail_validation(checked.error().message, true);
  return out;
}

ShortOptionRule read_option_rule(const TomlFile& file, const toml::table& table, const std::string& context) {
  Scope scope(file, table, context, "option_rule.");
  ShortOptionRule rule;
  const auto rate = [&](std::string_view key, ShortOptionRate& out) {
    const toml::table* t = scope.subtable(key, false);
    if (t == nullptr) return;
    Scope r(file, *t, context, "option_rule." + std::string(key) + ".");
    out.underlying_rate = r.decimal<Ratio>("underlying_rate");
    out.min_rate = r.decimal<Ratio>("min_rate");
    r.finish();
  };
  rate("initial", rule.initial);
  rate("maintenance", rule.maintenance);
  rule.cap_at_max_loss = scope.boolean("cap_at_max_loss", true);
  scope.finish();
  if (Outcome checked = rule.validate(); !checked) scope.fail_validation(checked.error().message, true);
  return rule;
}

PerpHealth read_perp_health(Scope& scope) {
  const std::string mode = scope.string("perp_health", std::string("pnl_less_requirement"));
  if (mode == "pnl_less_requirement") return PerpHealth::pnl_less_requirement;
  if (mode == "settle_weighted_net") return PerpHealth::settle_weighted_net;
  scope.fail_key("perp_health", "must be pnl_less_requirement or settle_weighted_net, got \"" + mode + "\"");
}

struct MarketRead {
  MarketRisk risk;
  std::optional<MarketLatency> latency;
};

MarketRead read_market(const TomlFile& file, const toml::table& table, const Names& names, AssetId quote) {
  Scope first(file, table, "market");
  const std::string symbol = first.string("symbol");
  if (!symbol_chars_valid(symbol, 32)) {
    first.fail_key("symbol", "must be 1 to 32 characters of A-Z 0-9 . - _, got \"" + symbol + "\"");
  }
  const std::string context = "market " + symbol;
  Scope scope(file, table, context);
  scope.find("symbol");
  MarketRead out;
  market::Instrument& in = out.risk.instrument;
  in.symbol = symbol;
  in.id = InstrumentId{static_cast<std::uint32_t>(scope.integer("id", 1, kMaxId))};
  if (const auto it = names.market_ids.find(in.id.value); it != names.market_ids.end()) {
    scope.fail_key("id", std::to_string(in.id.value) + " is already used by market " + it->second);
  }
  if (names.markets.count(symbol) != 0) scope.fail_key("symbol", "another market has this symbol");
  const std::string kind = scope.string("kind");
  if (kind == "spot") in.kind = market::InstrumentKind::spot;
  else if (kind == "perpetual") in.kind = market::InstrumentKind::perpetual;
  else if (kind == "future") in.kind = market::InstrumentKind::future;
  else if (kind == "option") in.kind = market::InstrumentKind::option;
  else scope.fail_key("kind", "must be spot, perpetual, future or option, got \"" + kind + "\"");
  const auto asset_of = [&](std::string_view key, std::optional<std::string> fallback) {
    const std::string name = scope.string(key, std::move(fallback));
    const auto it = names.assets.find(name);
    if (it == names.assets.end()) scope.fail_key(key, "no asset \"" + name + "\" is listed");
    return it->second;
  };
  in.underlying = asset_of("underlying", std::nullopt);
  in.settle = asset_of("settle", names.asset_ids.at(quote.value));
  if (in.settle != quote) {
    scope.fail_key("settle", "must be the quote asset (" + names.asset_ids.at(quote.value) +
                                 "): every value is computed in it");
  }
  in.contract_size = scope.decimal<Quantity>("contract_size", Quantity::from_raw(Quantity::kScale));
  in.tick = scope.decimal<Price>("tick");
  in.lot = scope.decimal<Quantity>("lot");
  in.borrowable = scope.boolean("borrowable", false);
  const bool dated = in.kind == market::InstrumentKind::future || in.kind == market::InstrumentKind::option;
  const bool linear = in.kind == market::InstrumentKind::perpetual || in.kind == market::InstrumentKind::future;
  const auto only_for = [&](std::string_view key, bool allowed, const char* kinds) {
    if (!allowed && scope.has(key)) scope.fail_key(key, std::string("is for ") + kinds + " only");
  };
  only_for("expiry", dated, "futures and options");
  only_for("settlement_window", dated, "futures and options");
  only_for("strike", in.kind == market::InstrumentKind::option, "options");
  only_for("option_kind", in.kind == market::InstrumentKind::option, "options");
  only_for("option_rule", in.kind == market::InstrumentKind::option, "options");
  only_for("funding", in.kind == market::InstrumentKind::perpetual, "perpetuals");
  only_for("rule", linear, "perpetuals and futures");
  only_for("latency", linear, "perpetuals and futures");
  only_for("perp_health", linear, "perpetuals and futures");
  if (dated) {
    in.expiry_ns = scope.instant("expiry");
    in.settlement_window_ns = scope.duration("settlement_window", 0);
  }
  if (in.kind == market::InstrumentKind::option) {
    in.strike = scope.decimal<Price>("strike");
    const std::string option_kind = scope.string("option_kind");
    if (option_kind == "call") in.option_kind = market::OptionKind::call;
    else if (option_kind == "put") in.option_kind = market::OptionKind::put;
    else scope.fail_key("option_kind", "must be call or put, got \"" + option_kind + "\"");
    if (const toml::table* rule = scope.subtable("option_rule", false)) {
      out.risk.option_rule = read_option_rule(file, *rule, context);
    }
  }
  if (in.kind == market::InstrumentKind::perpetual) {
    const toml::table* funding = scope.subtable("funding", true);
    Scope f(file, *funding, context, "funding.");
    in.funding.interval_ns = f.duration("interval");
    if (in.funding.interval_ns == 0) f.fail_key("interval", "must be positive");
    in.funding.clamp = f.decimal<Ratio>("clamp");
    in.funding.base_rate = f.decimal<Ratio>("base_rate", Ratio{});
    in.funding.impact_premium = f.boolean("impact_premium", false);
    f.finish();
  }
  if (linear) {
    out.risk.perp_health = read_perp_health(scope);
    out.risk.rule = read_rule(file, *scope.subtable("rule", true), context);
    if (const toml::table* latency = scope.subtable("latency", false)) {
      Scope l(file, *latency, context, "latency.");
      MarketLatency m;
      m.buffer.multiplier = l.decimal<Ratio>("multiplier");
      m.buffer.oracle_latency_ns = l.duration("oracle_latency");
      m.buffer.liquidation_latency_ns = l.duration("liquidation_latency");
      m.annual_vol = l.decimal<Ratio>("annual_vol");
      if (m.annual_vol.is_negative() || m.annual_vol > Ratio::from_raw(10 * Ratio::kScale)) {
        l.fail_key("annual_vol", "must be in [0, 10], got " + m.annual_vol.to_string());
      }
      if (m.buffer.multiplier.is_negative() || m.buffer.multiplier > Ratio::from_raw(20 * Ratio::kScale)) {
        l.fail_key("multiplier", "must be in [0, 20], got " + m.buffer.multiplier.to_string());
      }
      l.finish();
      if (Outcome checked = m.buffer.validate(); !checked) l.fail_validation(checked.error().message, true);
      const auto rate = latency_buffer_rate(m.buffer, m.annual_vol.to_double());
      if (!rate || *rate > kRatioOne) l.fail_validation("the add-on must be at most 100% of notional", false);
      out.risk.latency_rate = *rate;
      out.latency = m;
    }
  }
  scope.finish();
  if (Outcome checked = market::validate(in); !checked) scope.fail_validation(checked.error().message, true);
  return out;
}

}  // namespace

VenueConfig toml_read::read_venue(const TomlFile& file, const toml::table& root) {
  Scope top(file, root, "");
  VenueConfig venue;
  venue.source = file.source();
  venue.name = top.string("name", std::string());
  const std::string quote = top.string("quote");
  Names names;
  const auto asset_tables = top.tables("asset", true);
  if (asset_tables.empty()) top.fail_key("asset", "list at least the quote asset");
  for (const toml::table* table : asset_tables) venue.risk.assets.push_back(read_asset(file, *table, names));
  const auto quote_it = names.assets.find(quote);
  if (quote_it == names.assets.end()) top.fail_key("quote", "no asset \"" + quote + "\" is listed");
  venue.risk.quote = quote_it->second;
  if (const toml::table* pnl = top.subtable("pnl", false)) {
    Scope scope(file, *pnl, "", "pnl.");
    venue.risk.pnl = read_pnl(scope);
  }
  std::vector<MarketRead> markets;
  for (const toml::table* table : top.tables("market", false)) {
    markets.push_back(read_market(file, *table, names, venue.risk.quote));
    const market::Instrument& in = markets.back().risk.instrument;
    names.markets.emplace(in.symbol, in.id);
    names.market_ids.emplace(in.id.value, in.symbol);
  }
  for (const std::string_view key : kEngineTables) top.find(key);  // engine/options_config.hpp's
  top.finish();
  std::sort(venue.risk.assets.begin(), venue.risk.assets.end(),
            [](const AssetRisk& a, const AssetRisk& b) { return a.id < b.id; });
  std::sort(markets.begin(), markets.end(), [](const MarketRead& a, const MarketRead& b) {
    return a.risk.instrument.id < b.risk.instrument.id;
  });
  for (MarketRead& m : markets) {
    venue.risk.markets.push_back(std::move(m.risk));
    venue.latency.push_back(m.latency);
  }
  // Everything was checked where it was read; this is the calculator's own check, kept as a net.
  if (Outcome checked = venue.risk.validate(); !checked) fail(file.source() + ": " + checked.error().message);
  return venue;
}

namespace {

// ---------------------------------------------------------------------------------------------
// JSON: the portfolio.

using Json = nlohmann::json;

// A SAX front end to nlohmann's DOM builder that keeps every JSON float as the text it was
// written as (so decimals are read exactly, never through a double) and refuses duplicate keys.
class ExactSax {
 public:
  explicit ExactSax(Json& root) : dom_(root, false) {}
  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(Json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(Json::number_float_t, const Json::string_t& text) {
    Json::string_t copy = "\x01" + text;  // marked: a number, not a string
    return dom_.string(copy);
  }
  bool string(Json::string_t& v) { return dom_.string(v); }
  bool binary(Json::binary_t& v) { return dom_.binary(v); }
  bool start_object(std::size_t n) {
    keys_.emplace_back();
    return dom_.start_object(n);
  }
  bool key(Json::string_t& k) {
    if (!keys_.back().insert(k).second) {
      error_ = "duplicate key \"" + k + "\"";
      return false;
    }
    return dom_.key(k);
  }
  bool end_object() {
    keys_.pop_back();
    return dom_.end_object();
  }
  bool start_array(std::size_t n) { return dom_.start_array(n); }
  bool end_array() { return dom_.end_array(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) {
    error_ = ex.what();
    return false;
  }
  const std::string& error() const { return error_; }

 private:
  nlohmann::detail::json_sax_dom_parser<Json> dom_;
  std::vector<std::set<std::string>> keys_;
  std::string error_;
};

// "[json.exception.parse_error.101] parse error at line 3, column 5: syntax error ..." →
// "3:5: syntax error ...".
std::string json_syntax_message(const std::string& what) {
  const std::string marker = "at line ";
  const std::size_t at = what.find(marker);
  if (at == std::string::npos) return what;
  std::size_t p = at + marker.size();
  std::string line;
  while (p < what.size() && std::isdigit(static_cast<unsigned char>(what[p])) != 0) line += what[p++];
  const std::string column_marker = ", column ";
  std::string column;
  if (what.compare(p, column_marker.size(), column_marker) == 0) {
    p += column_marker.size();
    while (p < what.size() && std::isdigit(static_cast<unsigned char>(what[p])) != 0) column += what[p++];
  }
  if (p < what.size() && what[p] == ':') ++p;
  while (p < what.size() && what[p] == ' ') ++p;
  return line + (column.empty() ? "" : ":" + column) + ": " + what.substr(p);
}

const char* json_type_name(const Json& value) {
  if (value.is_string()) return value.get_ref<const std::string&>().rfind('\x01', 0) == 0 ? "a number" : "a string";
  if (value.is_number()) return "a number";
  if (value.is_boolean()) return "a boolean";
  if (value.is_object()) return "an object";
  if (value.is_array()) return "an array";
  return "null";
}

// One JSON object being read, with its path for messages and the keys read so far.
class JsonScope {
 public:
  JsonScope(const std::string& source, const Json& object, std::string path)
      : source_(source), object_(object), path_(std::move(path)) {
    if (!object_.is_object()) fail_here(std::string("must be an object, got ") + json_type_name(object_));
  }

  [[noreturn]] void fail_here(const std::string& what) const {
    fail(source_ + ": " + (path_.empty() ? "" : path_ + ": ") + what);
  }
  [[noreturn]] void fail_key(std::string_view key, const std::string& what) const {
    fail(source_ + ": " + child_path(key) + ": " + what);
  }
  std::string child_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  const Json* find(std::string_view key) {
    used_.emplace(key);
    const auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }
  const Json& require(std::string_view key) {
    const Json* value = find(key);
    if (value == nullptr) fail_key(key, "is missing");
    return *value;
  }

  std::uint64_t id(std::string_view key) {
    const Json& value = require(key);
    if (!value.is_number_unsigned() || value.get<std::uint64_t>() == 0) {
      fail_key(key, std::string("must be a positive integer, got ") +
                        (value.is_number_integer() ? value.dump() : json_type_name(value)));
    }
    return value.get<std::uint64_t>();
  }

  std::string string(std::string_view key, std::optional<std::string> fallback) {
    const Json* value = fallback ? find(key) : &require(key);
    if (value == nullptr) return *fallback;
    if (!value->is_string() || value->get_ref<const std::string&>().rfind('\x01', 0) == 0) {
      fail_key(key, std::string("must be a string, got ") + json_type_name(*value));
    }
    return value->get<std::string>();
  }

  template <typename F>
  F decimal(std::string_view key) {
    return F::from_raw(raw_decimal(require(key), key, F::kDecimals));
  }
  template <typename F>
  F decimal(std::string_view key, F fallback) {
    const Json* value = find(key);
    return value == nullptr ? fallback : F::from_raw(raw_decimal(*value, key, F::kDecimals));
  }

  std::int64_t raw_decimal(const Json& value, std::string_view key, int decimals) const {
    std::string text;
    if (value.is_string()) {
      text = value.get<std::string>();
      if (!text.empty() && text[0] == '\x01') text.erase(0, 1);
    } else if (value.is_number_integer()) {
      text = value.dump();
    } else {
      fail_key(key, std::string("must be a decimal (a string such as \"0.05\" or a number), got ") +
                        json_type_name(value));
    }
    auto raw = exact_decimal(text, decimals);
    if (const auto* message = std::get_if<std::string>(&raw)) fail_key(key, *message);
    return std::get<std::int64_t>(raw);
  }

  void finish() const {
    for (const auto& item : object_.items()) {
      if (used_.count(item.key()) == 0) fail_key(item.key(), "unknown key");
    }
  }

  const Json& object() const { return object_; }
  const std::string& path() const { return path_; }

 private:
  const std::string& source_;
  const Json& object_;
  std::string path_;
  std::set<std::string> used_;
};

Portfolio read_portfolio(const std::string& source, const Json& root, const VenueConfig& venue) {
  JsonScope top(source, root, "");
  Portfolio out;
  std::set<AssetId> priced_assets;
  std::set<InstrumentId> priced_markets;
  {
    JsonScope prices(source, top.require("prices"), "prices");
    if (const Json* assets = prices.find("assets")) {
      JsonScope scope(source, *assets, "prices.assets");
      for (const auto& item : assets->items()) {
        const AssetRisk* asset = venue.find_asset(item.key());
        if (asset == nullptr) scope.fail_key(item.key(), "no such asset in the venue");
        if (asset->id == venue.risk.quote) scope.fail_key(item.key(), "the quote asset's price is 1 by definition");
        scope.find(item.key());
        JsonScope p(source, item.value(), scope.child_path(item.key()));
        AssetPrice price;
        price.asset = asset->id;
        price.oracle = p.decimal<Price>("oracle");
        if (price.oracle.raw() <= 0) p.fail_key("oracle", "must be positive, got " + price.oracle.to_string());
        price.stable = p.decimal<Price>("stable", price.oracle);
        if (price.stable.raw() <= 0) p.fail_key("stable", "must be positive, got " + price.stable.to_string());
        price.total_deposits = p.decimal<Money>("total_deposits", Money{});
        price.total_borrows = p.decimal<Money>("total_borrows", Money{});
        if (price.total_deposits.is_negative()) p.fail_key("total_deposits", "must be at least 0");
        if (price.total_borrows.is_negative()) p.fail_key("total_borrows", "must be at least 0");
        p.finish();
        out.prices.assets.push_back(price);
        priced_assets.insert(asset->id);
      }
    }
    if (const Json* markets = prices.find("markets")) {
      JsonScope scope(source, *markets, "prices.markets");
      for (const auto& item : markets->items()) {
        const MarketRisk* market = venue.find_market(item.key());
        if (market == nullptr) scope.fail_key(item.key(), "no such market in the venue");
        scope.find(item.key());
        JsonScope p(source, item.value(), scope.child_path(item.key()));
        MarketPrice price;
        price.instrument = market->instrument.id;
        price.mark = p.decimal<Price>("mark");
        const bool option = market->instrument.kind == market::InstrumentKind::option;
        if (option ? price.mark.is_negative() : price.mark.raw() <= 0) {
          p.fail_key("mark", std::string(option ? "must be at least 0" : "must be positive") + ", got " +
                                 price.mark.to_string());
        }
        price.open_interest = p.decimal<Money>("open_interest", Money{});
        if (price.open_interest.is_negative()) p.fail_key("open_interest", "must be at least 0");
        const bool perpetual = market->instrument.kind == market::InstrumentKind::perpetual;
        if (!perpetual && p.object().contains("funding_index")) p.fail_key("funding_index", "is for perpetuals only");
        price.funding_index = p.decimal<market::FundingIndex>("funding_index", market::FundingIndex{});
        p.finish();
        out.prices.markets.push_back(price);
        priced_markets.insert(market->instrument.id);
      }
    }
    prices.finish();
  }
  std::sort(out.prices.assets.begin(), out.prices.assets.end(),
            [](const AssetPrice& a, const AssetPrice& b) { return a.asset < b.asset; });
  std::sort(out.prices.markets.begin(), out.prices.markets.end(),
            [](const MarketPrice& a, const MarketPrice& b) { return a.instrument < b.instrument; });

  const Json& subs = top.require("sub_accounts");
  if (!subs.is_array()) top.fail_key("sub_accounts", std::string("must be an array, got ") + json_type_name(subs));
  struct Read {
    SubAccountBook book;
    std::string label;
  };
  std::vector<Read> read;
  std::set<std::uint64_t> ids;
  const auto need_asset_price = [&](const JsonScope& scope, std::string_view key, AssetId asset,
                                    const std::string& symbol) {
    if (asset != venue.risk.quote && priced_assets.count(asset) == 0) {
      scope.fail_key(key, "no price for " + symbol + " in prices.assets");
    }
  };
  for (std::size_t i = 0; i < subs.size(); ++i) {
    JsonScope scope(source, subs[i], "sub_accounts[" + std::to_string(i) + "]");
    Read r;
    r.book.id = SubAccountId{scope.id("id")};
    if (!ids.insert(r.book.id.value).second) scope.fail_key("id", std::to_string(r.book.id.value) + " is used twice");
    r.book.owner = AccountId{scope.id("owner")};
    const std::string mode = scope.string("mode", std::string("cross"));
    if (mode == "cross") r.book.mode = MarginMode::cross;
    else if (mode == "isolated") r.book.mode = MarginMode::isolated;
    else if (mode == "portfolio") r.book.mode = MarginMode::portfolio;
    else scope.fail_key("mode", "must be cross, isolated or portfolio, got \"" + mode + "\"");
    r.label = scope.string("label", std::string());
    if (const Json* balances = scope.find("balances")) {
      JsonScope b(source, *balances, scope.child_path("balances"));
      for (const auto& item : balances->items()) {
        const AssetRisk* asset = venue.find_asset(item.key());
        if (asset == nullptr) b.fail_key(item.key(), "no such asset in the venue");
        b.find(item.key());
        const Amount amount = Amount::from_raw(b.raw_decimal(item.value(), item.key(), asset->decimals));
        if (amount.is_zero()) continue;
        need_asset_price(b, item.key(), asset->id, asset->symbol);
        r.book.balances.push_back(Balance{asset->id, amount});
      }
    }
    if (const Json* positions = scope.find("positions")) {
      JsonScope ps(source, *positions, scope.child_path("positions"));
      for (const auto& item : positions->items()) {
        const MarketRisk* market = venue.find_market(item.key());
        if (market == nullptr) ps.fail_key(item.key(), "no such market in the venue");
        ps.find(item.key());
        const market::Instrument& in = market->instrument;
        if (in.kind == market::InstrumentKind::spot) {
          ps.fail_key(item.key(), "a spot holding is a balance of its asset, not a position");
        }
        if (priced_markets.count(in.id) == 0) ps.fail_key(item.key(), "no price for it in prices.markets");
        if (in.kind == market::InstrumentKind::option) {
          const AssetRisk* underlying = venue.risk.find_asset(in.underlying);
          need_asset_price(ps, item.key(), in.underlying, underlying->symbol);
        }
        JsonScope p(source, item.value(), ps.child_path(item.key()));
        HeldPosition held{in.id, {}};
        held.position.size = p.decimal<Quantity>("size");
        if (held.position.size.is_zero()) p.fail_key("size", "must not be 0 (leave a flat position out)");
        if (!in.size_on_lot(held.position.size)) {
          p.fail_key("size", "must be a multiple of the lot " + in.lot.to_string() + ", got " +
                                 held.position.size.to_string());
        }
        const bool has_entry = p.object().contains("entry_price");
        const bool has_basis = p.object().contains("cost_basis");
        if (has_entry == has_basis) p.fail_here("give either entry_price or cost_basis");
        if (has_entry) {
          const Price entry = p.decimal<Price>("entry_price");
          if (entry.is_negative() || (entry.is_zero() && in.kind != market::InstrumentKind::option)) {
            p.fail_key("entry_price", "must be positive, got " + entry.to_string());
          }
          const auto basis = market::fill_value(held.position.size, entry, in.contract_size);
          if (!basis) p.fail_key("entry_price", "size × entry_price is out of range");
          held.position.cost_basis = *basis;
        } else {
          held.position.cost_basis = p.decimal<Money>("cost_basis");
        }
        if (in.kind != market::InstrumentKind::perpetual && p.object().contains("funding_snapshot")) {
          p.fail_key("funding_snapshot", "is for perpetuals only");
        }
        // The market's index when funding was last settled; pending funding is owed from it.
        // Omitted: settled up to now (the market's index), nothing owed.
        held.position.funding_snapshot =
            p.decimal<market::FundingIndex>("funding_snapshot", out.prices.find_market(in.id)->funding_index);
        p.finish();
        r.book.positions.push_back(held);
      }
    }
    scope.finish();
    std::sort(r.book.balances.begin(), r.book.balances.end(),
              [](const Balance& a, const Balance& b) { return a.asset < b.asset; });
    std::sort(r.book.positions.begin(), r.book.positions.end(),
              [](const HeldPosition& a, const HeldPosition& b) { return a.instrument < b.instrument; });
    read.push_back(std::move(r));
  }
  if (top.find("as_of") != nullptr) {
    const std::string as_of = top.string("as_of", std::nullopt);
    out.as_of = parse_rfc3339(as_of);
    if (!out.as_of) top.fail_key("as_of", "not an RFC 3339 time with an offset, got \"" + as_of + "\"");
  }
  top.finish();
  std::sort(read.begin(), read.end(), [](const Read& a, const Read& b) { return a.book.id < b.book.id; });
  for (Read& r : read) {
    out.sub_accounts.push_back(std::move(r.book));
    out.labels.push_back(std::move(r.label));
  }
  return out;
}

}  // namespace

std::optional<TimestampNs> parse_rfc3339(std::string_view text) {
  std::size_t at = 0;
  std::int64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_digits(text, at, 4, year) || !expect_char(text, at, '-') || !read_digits(text, at, 2, month) ||
      !expect_char(text, at, '-') || !read_digits(text, at, 2, day) ||
      !(expect_char(text, at, 'T') || expect_char(text, at, ' ')) || !read_digits(text, at, 2, hour) ||
      !expect_char(text, at, ':') || !read_digits(text, at, 2, minute) || !expect_char(text, at, ':') ||
      !read_digits(text, at, 2, second)) {
    return std::nullopt;
  }
  std::int64_t nanos = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    int digits = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      if (digits == 9) return std::nullopt;  // finer than a nanosecond
      nanos = nanos * 10 + (text[at++] - '0');
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 9; ++digits) nanos *= 10;
  }
  std::int64_t offset = 0;
  if (expect_char(text, at, 'Z')) {
    offset = 0;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    const bool negative = text[at++] == '-';
    std::int64_t oh = 0, om = 0;
    if (!read_digits(text, at, 2, oh) || !expect_char(text, at, ':') || !read_digits(text, at, 2, om) ||
        oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset = (negative ? -1 : 1) * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (at != text.size()) return std::nullopt;
  return epoch_ns(year, month, day, hour, minute, second, nanos, offset);
}

std::optional<std::int64_t> parse_duration_ns(std::string_view text) {
  std::size_t digits = 0;
  std::int64_t count = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    if (__builtin_mul_overflow(count, 10, &count) || __builtin_add_overflow(count, text[digits] - '0', &count)) {
      return std::nullopt;
    }
    ++digits;
  }
  if (digits == 0) return std::nullopt;
  const std::string_view unit = text.substr(digits);
  static constexpr std::pair<std::string_view, std::int64_t> kUnits[] = {
      {"ns", 1},          {"us", 1'000},           {"ms", 1'000'000},          {"s", 1'000'000'000},
      {"m", 60'000'000'000}, {"h", 3'600'000'000'000}, {"d", 86'400'000'000'000}};
  for (const auto& [name, scale] : kUnits) {
    std::int64_t ns = 0;
    if (unit == name) return __builtin_mul_overflow(count, scale, &ns) ? std::nullopt : std::optional(ns);
  }
  return std::nullopt;
}

const AssetRisk* VenueConfig::find_asset(std::string_view symbol) const {
  for (const AssetRisk& asset : risk.assets) {
    if (asset.symbol == symbol) return &asset;
  }
  return nullptr;
}

const MarketRisk* VenueConfig::find_market(std::string_view symbol) const {
  for (const MarketRisk& market : risk.markets) {
    if (market.instrument.symbol == symbol) return &market;
  }
  return nullptr;
}

Result<VenueConfig> parse_venue_config(std::string_view toml_text, std::string_view source_name) {
  return read_toml(toml_text, source_name, read_venue);
}

Result<VenueConfig> load_venue_config(const std::string& path) {
  Result<std::string> text = read_file(path);
  if (!text) return std::move(text).error();
  return parse_venue_config(*text, path);
}

Result<Portfolio> parse_portfolio(std::string_view json_text, std::string_view source_name,
                                  const VenueConfig& venue) {
  const std::string source(source_name);
  Json root;
  ExactSax sax(root);
  if (!Json::sax_parse(json_text, &sax)) {
    const std::string& what = sax.error();
    return input_error(source + ":" + (what.rfind("duplicate", 0) == 0 ? " " + what : json_syntax_message(what)));
  }
  try {
    return read_portfolio(source, root, venue);
  } catch (const ConfigError& error) {
    return input_error(error.message);
  }
}

Result<Portfolio> load_portfolio(const std::string& path, const VenueConfig& venue) {
  Result<std::string> text = read_file(path);
  if (!text) return std::move(text).error();
  return parse_portfolio(*text, path, venue);
}

}  // namespace ballast::margin
