// ballast sample: writes the sample venue's events as JSON Lines (input for `ballast apply`).

#include <fstream>
#include <iostream>

#include "ballast/engine/codec.hpp"
#include "ballast/engine/sample_venue.hpp"
#include "cli.hpp"

namespace ballast::cli {
namespace {

struct SampleArgs {
  std::string out_path = "-";
  SampleVenueOptions venue;
};

int run_sample(const SampleArgs& args) {
  std::ofstream file;
  if (args.out_path != "-") {
    file.open(args.out_path);
    if (!file) return report(make_error(ErrorCode::invalid_input, args.out_path + ": cannot write"));
  }
  std::ostream& out = args.out_path == "-" ? std::cout : file;
  SampleVenue venue(args.venue);
  while (!venue.done()) {
    out << event_to_json(venue.next()) << "\n";
  }
  out.flush();
  return out ? kExitOk : report(make_error(ErrorCode::io, args.out_path + ": write failed"));
}

}  // namespace

Runner add_sample(CLI::App& app) {
  auto args = std::make_shared<SampleArgs>();
  args->venue.accounts = 20;
  args->venue.activity_events = 500;
  CLI::App* command = app.add_subcommand(
      "sample", "Write a sample venue's events as JSON Lines (valid ones and deliberately "
                "invalid ones), for `ballast apply`.");
  command->add_option("--out", args->out_path, "output file, - for standard output");
  add_venue_options(*command, args->venue);
  return [args] { return run_sample(*args); };
}

}  // namespace ballast::cli
