// ballast price: prices options from JSON Lines (DESIGN 4.3), one reply line per input line.

#include <fstream>
#include <iostream>
#include <string>

#include "ballast/pricing/price_request.hpp"
#include "cli.hpp"

namespace ballast::cli {
namespace {

struct PriceArgs {
  std::string input_path = "-";
};

// The first failure, for the summary line on stderr.
struct Failures {
  std::uint64_t count = 0;
  std::uint64_t first_line = 0;
  std::string first_reply;
};

int run_price(const PriceArgs& args) {
  std::ifstream file;
  if (args.input_path != "-") {
    file.open(args.input_path);
    if (!file) return report(make_error(ErrorCode::invalid_input, args.input_path + ": cannot read"));
  }
  std::istream& in = args.input_path == "-" ? std::cin : file;
  std::string line;
  std::uint64_t line_number = 0;
  Failures failures;
  while (std::getline(in, line)) {
    ++line_number;
    const pricing::PriceReply reply = pricing::price_request(line);
    std::cout << reply.json << '\n';
    if (!reply.ok && failures.count++ == 0) {
      failures.first_line = line_number;
      failures.first_reply = reply.json;
    }
  }
  std::cout.flush();
  if (!std::cout) return report(make_error(ErrorCode::io, "standard output: write failed"));
  if (failures.count == 0) return kExitOk;
  return report(make_error(ErrorCode::invalid_input,
                           std::to_string(failures.count) + " of " + std::to_string(line_number) +
                               " lines could not be priced; first at line " +
                               std::to_string(failures.first_line) + ": " + failures.first_reply));
}

}  // namespace

Runner add_price(CLI::App& app) {
  auto args = std::make_shared<PriceArgs>();
  CLI::App* command = app.add_subcommand(
      "price",
      "Price European options (Black-Scholes-Merton or Black-76) or solve for implied vol, from "
      "JSON Lines: one reply line per request line, in order (docs/CLI.md). Exit status 2 if any "
      "line failed; the others are still priced.");
  command->add_option("--input", args->input_path, "request file, - for standard input");
  return [args] { return run_price(*args); };
}

}  // namespace ballast::cli
