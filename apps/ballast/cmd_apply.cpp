// ballast apply: applies a JSON Lines file of events, in memory or to a durable log.

#include <fstream>
#include <iostream>
#include <vector>

#include "ballast/engine/codec.hpp"
#include "ballast/engine/options_config.hpp"
#include "ballast/store/genesis.hpp"
#include "feed.hpp"

namespace ballast::cli {
namespace {

struct ApplyArgs {
  std::string events_path;
  std::string venue_path;
  FeedOptions feed;
  std::size_t rows_max = 10;
};

// Every line is decoded before any is applied: a malformed file changes nothing.
Result<std::vector<Event>> read_events(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return make_error(ErrorCode::not_found, path + ": cannot open");
  }
  std::vector<Event> events;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos || line[0] == '#') {
      continue;  // blank lines and comments
    }
    auto event = event_from_json(line);
    if (!event) {
      return make_error(ErrorCode::invalid_input,
                        path + ":" + std::to_string(number) + ": " + event.error().message);
    }
    events.push_back(std::move(*event));
  }
  return events;
}

int run_apply(const ApplyArgs& args) {
  auto events = read_events(args.events_path);
  if (!events) return report(events.error());
  FeedOptions feed = args.feed;
  if (!args.venue_path.empty()) {
    auto venue = load_venue_file(args.venue_path);
    if (!venue) return report(venue.error());
    feed.risk = std::move(venue->venue.risk);
    feed.engine_options = std::move(venue->options);
    feed.venue_path = args.venue_path;
  }
  auto feeder = Feeder::open(feed);
  if (!feeder) return report(feeder.error());
  std::size_t next = 0;
  auto result = (*feeder)->run(
      [&]() -> std::optional<Event> {
        return next < events->size() ? std::optional<Event>((*events)[next++]) : std::nullopt;
      },
      events->size(), "applying");
  if (!result) return report(result.error());
  print_outcomes(std::cout, result->counts);
  std::cout << "genesis: " << describe_genesis(encode_genesis((*feeder)->engine())) << "\n";
  print_balances(std::cout, (*feeder)->engine().ledger(), args.rows_max);
  std::cout << "state hash: " << to_hex(result->state_hash) << "\n";
  return kExitOk;
}

}  // namespace

Runner add_apply(CLI::App& app) {
  auto args = std::make_shared<ApplyArgs>();
  CLI::App* command = app.add_subcommand(
      "apply", "Apply a JSON Lines file of events (in memory, or appended to --db) and print "
               "outcomes, balances and the state hash. The whole file is checked first: a "
               "malformed line applies nothing and exits 2. With --venue the engine judges "
               "prices and fills under that risk configuration and the engine options the file "
               "sets; a new log records both as its genesis, an existing log must have been "
               "created with the same.");
  command->add_option("events", args->events_path, "JSON Lines file, one event per line")
      ->required();
  command->add_option("--db", args->feed.db_path,
                      "SQLite event log to append to (created if missing; resumes if present, "
                      "on the venue its genesis records)");
  command->add_option("--venue", args->venue_path,
                      "venue file (TOML, e.g. configs/venue-default.toml: risk configuration "
                      "and engine options) for an "
                      "in-memory run or a new log; with an existing log, omit it or give the "
                      "log's own (a different one exits 2)");
  command->add_option("--batch", args->feed.batch_size_max, "records per group commit")
      ->check(CLI::Range(1, 1 << 20));
  command->add_option("--snapshot-every", args->feed.snapshot_every,
                      "write a snapshot every N records (0: only at the end)");
  command->add_option("--rows", args->rows_max, "user sub-accounts to list");
  return [args] { return run_apply(*args); };
}

}  // namespace ballast::cli
