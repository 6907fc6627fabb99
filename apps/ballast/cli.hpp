#pragma once
// Shared pieces of the `ballast` command line: exit codes, error printing, progress, tables.
//
// Exit codes (docs/CLI.md): 0 success, 1 domain failure (a corrupt log, a replay mismatch, an
// I/O failure), 2 bad input (a malformed file or argument, a missing file).

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

#include "ballast/core/result.hpp"
#include "ballast/engine/engine.hpp"
#include "ballast/engine/sample_venue.hpp"

namespace ballast::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitDomainFailure = 1;
inline constexpr int kExitBadInput = 2;

// Prints "ballast: <what>" on stderr and returns the exit code for the error's class.
int report(const Error& error);

// A progress line on stderr, redrawn in place when stderr is a terminal and silent otherwise
// (logs and CI get only the summary).
class Progress {
 public:
  Progress(std::string label, std::uint64_t total);
  void update(std::uint64_t done);
  void finish();

 private:
  std::string label_;
  std::uint64_t total_;
  std::uint64_t next_redraw_ = 0;
  bool terminal_;
  double started_s_;
};

// Per asset: listed totals; then the system accounts and the largest user balances.
void print_balances(std::ostream& out, const Ledger& ledger, std::size_t user_rows_max);
// Accepted/rejected counts, by status, in precedence order.
void print_outcomes(std::ostream& out, const std::uint64_t (&counts)[kStatusCount]);

// --events, --accounts, --seed: the sample venue's size and seed.
void add_venue_options(CLI::App& command, SampleVenueOptions& venue);

// A subcommand: its CLI11 parser and the function that runs it once parsed.
using Runner = std::function<int()>;
Runner add_apply(CLI::App& app);
Runner add_replay(CLI::App& app);
Runner add_demo(CLI::App& app);
Runner add_sample(CLI::App& app);
Runner add_price(CLI::App& app);
Runner add_margin(CLI::App& app);
Runner add_simulate(CLI::App& app);
Runner add_sweep(CLI::App& app);

}  // namespace ballast::cli
