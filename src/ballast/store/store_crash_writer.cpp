// store_crash_writer DB [--batch N] [--snapshot-every N] [--seed N] [--events N]
//
// The victim of store_crash_test: appends a sample venue's events to DB through a Journal and,
// after every commit, prints "ack SEQ ID" (the acknowledged seq and the id of the last event in
// it) and flushes, so whoever kills it knows exactly what was acknowledged. It continues after
// the records the log already holds: event i of the seeded stream goes to record i, so a
// restarted writer carries on with fresh ids. Time comes from the events, never the clock.

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

#include "ballast/engine/sample_venue.hpp"
#include "ballast/store/journal.hpp"

namespace ballast {
namespace {

struct WriterOptions {
  std::string db_path;
  std::size_t batch_size_max = 8;
  Seq snapshot_every = 64;
  std::uint64_t seed = 1;
  std::uint64_t events = std::numeric_limits<std::uint64_t>::max();  // until killed
};

bool parse(int argc, char** argv, WriterOptions& options) {
  if (argc < 2 || argc % 2 != 0) return false;
  options.db_path = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    char* end = nullptr;
    const std::uint64_t value = std::strtoull(argv[i + 1], &end, 10);
    if (end == argv[i + 1] || *end != '\0') return false;
    const std::string name = argv[i];
    if (name == "--batch" && value > 0) {
      options.batch_size_max = value;
    } else if (name == "--snapshot-every") {
      options.snapshot_every = value;
    } else if (name == "--seed") {
      options.seed = value;
    } else if (name == "--events") {
      options.events = value;
    } else {
      return false;
    }
  }
  return true;
}

void acknowledge(Seq seq, EventId id) {
  std::printf("ack %llu %llu\n", static_cast<unsigned long long>(seq),
              static_cast<unsigned long long>(id.value));
  std::fflush(stdout);
}

int fail(const Error& error) {
  std::fprintf(stderr, "store_crash_writer: %s\n", error.message.c_str());
  return 1;
}

int run(const WriterOptions& options) {
  auto log = SqliteLog::open(options.db_path, OpenMode::create_or_open);
  if (!log) return fail(log.error());
  auto journal =
      Journal::open(*log, JournalOptions{options.batch_size_max, options.snapshot_every});
  if (!journal) return fail(journal.error());

  SampleVenueOptions venue_options;
  venue_options.seed = options.seed;
  venue_options.accounts = 50;
  venue_options.activity_events = std::numeric_limits<std::uint32_t>::max();
  SampleVenue venue(venue_options);
  for (Seq done = 0; done < journal->acknowledged_seq(); ++done) {
    (void)venue.next();  // already in the log
  }
  EventId last_id{};
  for (std::uint64_t sent = 0; sent < options.events; ++sent) {
    const Event event = venue.next();
    last_id = event.id;
    auto submitted = journal->submit(event);
    if (!submitted) return fail(submitted.error());
    if (journal->pending() == 0) acknowledge(journal->acknowledged_seq(), last_id);
  }
  if (auto committed = journal->commit(); !committed) return fail(committed.error());
  acknowledge(journal->acknowledged_seq(), last_id);
  return 0;
}

}  // namespace
}  // namespace ballast

int main(int argc, char** argv) {
  ballast::WriterOptions options;
  if (!ballast::parse(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: store_crash_writer DB [--batch N] [--snapshot-every N] [--seed N] "
                 "[--events N]\n");
    return 2;
  }
  return ballast::run(options);
}
