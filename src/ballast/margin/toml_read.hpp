#pragma once
// Internal: the pieces of the venue file reader (venue_config.cpp) that other readers of the same
// file share, so that every table of a venue file follows one set of conventions
// (venue_config.hpp's header comment): exact decimals read from the file's text, unknown keys as
// errors, one line per error naming file:line and the key, nothing half-loaded.
//
// Not a public API: the margin reader and the engine's options reader (engine/options_config.hpp)
// use it. Defined in venue_config.cpp.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <toml++/toml.h>
#include <utility>
#include <variant>
#include <vector>

#include "ballast/core/result.hpp"
#include "ballast/margin/venue_config.hpp"

namespace ballast::margin::toml_read {

// The top-level tables of a venue file and which reader owns them: each reader checks its own
// tables' keys and passes over the other's, so either one alone still reports a misspelt table.
inline constexpr std::string_view kRiskTables[] = {"name", "quote", "asset", "pnl", "market"};
inline constexpr std::string_view kEngineTables[] = {"engine",   "oracle_policy", "liquidation", "vault",
                                                     "pool",     "breakers",      "governance"};

// Inside the readers a failure is thrown as this and caught at the reader's entry point, so the
// many nested lookups need no error plumbing; nothing escapes the public functions.
struct ConfigError {
  std::string message;
};

[[noreturn]] void fail(std::string message);

// An error is one line: control characters from the input are written as escapes.
Error input_error(const std::string& message);

// Decimal text of a TOML or JSON number as written ("1_000.5", "5e-2", "-3"): underscores
// dropped and the exponent applied by moving the point, so parse_decimal sees plain digits.
std::optional<std::string> plain_decimal(std::string_view written);

// Exactly `decimals` places or fewer; more, or anything not a decimal, is an error message.
std::variant<std::int64_t, std::string> exact_decimal(std::string_view text, int decimals);

// "a string", "an integer", ... for messages.
const char* toml_type_name(const toml::node& node);

// The whole file, or not_found / io naming the path.
Result<std::string> read_file(const std::string& path);

// The file being read: its name for messages and its lines, to read numbers from their text.
class TomlFile {
 public:
  TomlFile(std::string_view text, std::string source);

  const std::string& source() const { return source_; }

  std::string where(const toml::source_region& region) const {
    return source_ + ":" + std::to_string(region.begin.line) + ": ";
  }

  // The text the file holds for a value: from its first column, as far as a number reaches.
  std::string_view number_text(const toml::source_region& region) const;

 private:
  std::string source_;
  std::vector<std::string_view> lines_;
};

// One TOML table being read: remembers which keys were read, so the rest are reported as
// unknown; names errors "file:line: <context>: <prefix><key>: <what>".
class Scope {
 public:
  Scope(const TomlFile& file, const toml::table& table, std::string context, std::string prefix = "")
      : file_(file), table_(table), context_(std::move(context)), prefix_(std::move(prefix)) {}

  const toml::table& table() const { return table_; }
  const std::string& context() const { return context_; }
  const TomlFile& file() const { return file_; }

  [[noreturn]] void fail_at(const toml::source_region& region, std::string_view key, const std::string& what) const;
  [[noreturn]] void fail_key(std::string_view key, const std::string& what) const {
    const toml::node* node = table_.get(key);
    fail_at(node != nullptr ? node->source() : table_.source(), key, what);
  }

  const toml::node* find(std::string_view key) {
    used_.emplace(key);
    return table_.get(key);
  }
  const toml::node& require(std::string_view key) {
    const toml::node* node = find(key);
    if (node == nullptr) fail_at(table_.source(), key, "is missing");
    return *node;
  }
  bool has(std::string_view key) const { return table_.contains(key); }

  std::string string(std::string_view key, std::optional<std::string> fallback = std::nullopt);
  std::int64_t integer(std::string_view key, std::int64_t min, std::int64_t max,
                       std::optional<std::int64_t> fallback = std::nullopt);
  bool boolean(std::string_view key, bool fallback);

  // A decimal at F's scale, exactly (a string, an integer or a float, read from its text).
  template <typename F>
  F decimal(std::string_view key) {
    return F::from_raw(raw_decimal(require(key), key, F::kDecimals));
  }
  template <typename F>
  F decimal(std::string_view key, F fallback) {
    const toml::node* node = find(key);
    return node == nullptr ? fallback : F::from_raw(raw_decimal(*node, key, F::kDecimals));
  }
  std::int64_t raw_decimal(const toml::node& node, std::string_view key, int decimals) const;
  // The decimal text a string, an integer or a float holds (a float's as the file writes it).
  std::string decimal_text(const toml::node& node, std::string_view key) const;

  // A duration: "8h", "250ms", ... or an integer count of nanoseconds; ≥ 0.
  std::int64_t duration(std::string_view key, std::optional<std::int64_t> fallback = std::nullopt);
  // An instant: a TOML offset date-time, an RFC 3339 string or integer nanoseconds since the epoch.
  std::int64_t instant(std::string_view key);

  const toml::table* subtable(std::string_view key, bool required);
  // An array of tables (`[[x]]` or `x = [{...}, ...]`).
  std::vector<const toml::table*> tables(std::string_view key, bool required);

  // Every key not read is a mistake (a typo must not pass silently).
  void finish() const;

  // Turns a library validation message into one naming the line of the key it is about. The
  // message's first "field: " (maybe under a "<rule name>: " label) is looked up in this table
  // (a field in nanoseconds, "x_ns", also as the key "x" or "x_s"); else the first word of the
  // message that is one of the table's keys; else the table's line.
  [[noreturn]] void fail_validation(std::string message, bool strip_label) const;

 private:
  const toml::node* lookup(const std::string& path) const;
  std::string float_text(const toml::value<double>& value, std::string_view key) const;

  const TomlFile& file_;
  const toml::table& table_;
  std::string context_;
  std::string prefix_;
  std::set<std::string> used_;
};

// The risk configuration of a parsed venue file (parse_venue_config's reader).
VenueConfig read_venue(const TomlFile& file, const toml::table& root);

// Runs read(file, root) on a parsed file (text is what root was parsed from): its value, or the
// reader's ConfigError as one invalid_input line.
template <typename Read>
auto read_parsed(const toml::table& root, std::string_view text, std::string_view source_name, Read&& read)
    -> Result<decltype(read(std::declval<const TomlFile&>(), root))> {
  try {
    const TomlFile file(text, std::string(source_name));
    return read(file, root);
  } catch (const ConfigError& error) {
    return input_error(error.message);
  }
}

// Parses the text and runs read(file, root) on it, as read_parsed; a syntax error is one
// invalid_input line too.
template <typename Read>
auto read_toml(std::string_view text, std::string_view source_name, Read&& read)
    -> decltype(read_parsed(std::declval<const toml::table&>(), text, source_name, read)) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& error) {
    return input_error(std::string(source_name) + ":" + std::to_string(error.source().begin.line) + ": " +
                       std::string(error.description()));
  }
  return read_parsed(root, text, source_name, read);
}

}  // namespace ballast::margin::toml_read
