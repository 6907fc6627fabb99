// libFuzzer target for the historical-returns CSV reader behind the block bootstrap
// (sim/paths.hpp parse_returns_csv): a header of symbols, then rows of log returns.
//
// Every input must give either a table the bootstrap accepts (symbols and at least one row, a
// finite value for each cell) or one line of invalid_input error naming the file. A broken
// property aborts.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ballast/sim/paths.hpp"

namespace {

void require(bool condition, const char* what, const std::string& detail) {
  if (condition) return;
  std::fprintf(stderr, "broken: %s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto table = ballast::sim::parse_returns_csv(text, "fuzz.csv");
  if (!table) {
    const std::string& message = table.error().message;
    require(table.error().code == ballast::ErrorCode::invalid_input, "error is not invalid_input", message);
    require(message.rfind("fuzz.csv", 0) == 0, "error does not name the file", message);
    require(message.find('\n') == std::string::npos, "error spans lines", message);
    return 0;
  }
  require(!table->symbols.empty() && table->rows > 0, "accepted an empty table", "");
  require(table->log_returns.size() == table->rows * table->symbols.size(), "cells not rows x symbols", "");
  for (const double value : table->log_returns) require(std::isfinite(value), "accepted a non-finite return", "");
  const auto bootstrap = ballast::sim::BlockBootstrap::make(*table, 1);
  require(bootstrap.ok(), "the bootstrap refuses an accepted table", bootstrap.ok() ? "" : bootstrap.error().message);
  return 0;
}
