// ballast demo: the best end-to-end run the project has until the simulator exists. A sample
// venue's events go through the engine into a durable log; the log is then verified twice
// (snapshot + tail, and from genesis) and must reproduce the live state hash.

#include <filesystem>
#include <iostream>

#include "ballast/engine/sample_venue.hpp"
#include "ballast/store/replay.hpp"
#include "feed.hpp"

namespace ballast::cli {
namespace {

struct DemoArgs {
  std::string out_dir = "ballast-demo";
  SampleVenueOptions venue;
};

Result<ReplayReport> verify(SqliteLog& log, bool from_genesis, const Digest& live_hash) {
  ReplayOptions options;
  options.from_genesis = from_genesis;
  auto replayed = replay_log(log, options);
  if (!replayed) return replayed;
  if (replayed->state_hash != live_hash) {
    return make_error(ErrorCode::mismatch, std::string("replay ") +
                                               (from_genesis ? "from genesis" : "from snapshot") +
                                               " gives state hash " + to_hex(replayed->state_hash) +
                                               ", the live engine has " + to_hex(live_hash));
  }
  return replayed;
}

int run_demo(const DemoArgs& args) {
  std::error_code made;
  std::filesystem::create_directories(args.out_dir, made);
  const std::string db_path = args.out_dir + "/events.db";
  std::cout << "Ballast demo: a sample venue (" << args.venue.accounts << " accounts, "
            << args.venue.activity_events << " activity events, seed " << args.venue.seed
            << ") through the engine into " << db_path << "\n";
  FeedOptions feed;  // no venue: the sample venue has no risk configuration
  feed.db_path = db_path;
  feed.replace_db = true;
  auto feeder = Feeder::open(feed);
  if (!feeder) return report(feeder.error());
  SampleVenue venue(args.venue);
  auto fed = (*feeder)->run(
      [&venue]() { return venue.done() ? std::nullopt : std::optional<Event>(venue.next()); },
      venue.total(), "applying");
  if (!fed) return report(fed.error());
  print_outcomes(std::cout, fed->counts);
  std::cout << "applied and committed in " << fed->elapsed_s << " s ("
            << static_cast<double>(fed->events) / fed->elapsed_s / 1e6 << "M events/s durable)\n";
  const Ledger& ledger = (*feeder)->engine().ledger();
  print_balances(std::cout, ledger, 5);
  std::cout << "conservation (balances sum to deposits - withdrawals, per asset): "
            << (ledger.conserves_value() ? "exact" : "BROKEN") << "\n";
  for (const bool from_genesis : {false, true}) {
    auto verified = verify(*(*feeder)->log(), from_genesis, fed->state_hash);
    if (!verified) return report(verified.error());
    std::cout << "replay from " << (from_genesis ? "genesis" : "snapshot at seq " +
                                                               std::to_string(verified->snapshot_seq))
              << ": chain, head and " << verified->replayed << " outcomes verified, same hash\n";
  }
  std::cout << "state hash: " << to_hex(fed->state_hash) << "\n"
            << "verify it yourself: ballast replay --db " << db_path << "\n";
  return ledger.conserves_value() ? kExitOk : kExitDomainFailure;
}

}  // namespace

Runner add_demo(CLI::App& app) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* command = app.add_subcommand(
      "demo", "Run a sample venue's events through the engine into a durable log, print "
              "outcomes and balances, then verify the log by replay and print the state hash.");
  command->add_option("--out", args->out_dir, "directory for events.db (replaced)");
  add_venue_options(*command, args->venue);
  return [args] { return run_demo(*args); };
}

}  // namespace ballast::cli
