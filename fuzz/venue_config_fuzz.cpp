// libFuzzer target for the venue configuration readers (DESIGN 5): toml++'s parser and
// everything behind it (exact decimals from the file's text, durations, RFC 3339 times, rules,
// library validation mapped back to lines and keys), for the risk configuration
// (margin::parse_venue_config) and the whole file with the engine's options
// (parse_venue_file).
//
// Every input must give either a venue that passes RiskConfig::validate() with markets and
// latency inputs in step, or one line of error naming the file; a whole file that reads must
// build an engine (Engine::make), and its risk part must read alone. A broken property aborts.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ballast/engine/options_config.hpp"
#include "ballast/margin/venue_config.hpp"

namespace {

void require(bool condition, const char* what, const std::string& detail) {
  if (condition) return;
  std::fprintf(stderr, "broken: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// One line of invalid_input naming the file.
void require_one_line(const ballast::Error& error) {
  const std::string& message = error.message;
  require(error.code == ballast::ErrorCode::invalid_input, "error is not invalid_input", message);
  require(message.rfind("fuzz.toml", 0) == 0, "error does not name the file", message);
  require(message.find('\n') == std::string::npos, "error spans lines", message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto venue = ballast::margin::parse_venue_config(text, "fuzz.toml");
  const auto file = ballast::parse_venue_file(text, "fuzz.toml");
  if (!file) require_one_line(file.error());
  if (!venue) {
    require_one_line(venue.error());
    require(!file, "the whole file reads but its risk configuration does not", venue.error().message);
    return 0;
  }
  const auto checked = venue->risk.validate();
  require(checked.ok(), "accepted venue fails validate()", checked.ok() ? "" : checked.error().message);
  require(venue->latency.size() == venue->risk.markets.size(), "latency not in step with markets", "");
  if (file) {
    const auto engine = ballast::Engine::make(file->venue.risk, file->options);
    require(engine.ok(), "accepted options fail Engine::make", engine.ok() ? "" : engine.error().message);
  }
  return 0;
}
