// Durable log throughput, with SQLite itself as the peer:
//   BM_Ballast_DurableAppend     SqliteLog::append, group commit of 1024 records (hash chain,
//                                head row, WAL + synchronous=FULL: one fsync per batch)
//   BM_Ballast_JournalSubmit     the same through Journal::submit: engine apply + encode + log
//   BM_Ballast_Replay            replay_log from genesis: chain check + decode + apply
//   BM_Ballast_ChainScan         the chain check alone (SQLite read + one SHA-256 per record)
//   BM_PeerSqlite_RawInsert      plain INSERTs of the same bytes, same pragmas, same batch: the
//                                ceiling SQLite sets for the append path
//   BM_PeerSqlite_InsertPerTxn   one INSERT per transaction (one fsync per event): what group
//                                commit buys
// Items/s is records (events) per second of wall time; fsync waits are not CPU time.

#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "ballast/engine/codec.hpp"
#include "ballast/store/journal.hpp"
#include "ballast/store/replay.hpp"
#include "ballast/store/store_testing.hpp"

namespace ballast {
namespace {

constexpr std::size_t kBatch = 1024;
constexpr std::size_t kAppendBatches = 16;  // distinct batches the append benchmarks cycle over
constexpr std::int64_t kJournalIterations = 200;
constexpr std::uint64_t kReplayRecords = 200'000;

SampleVenueOptions venue_options(std::uint64_t events) {
  SampleVenueOptions options;
  options.accounts = 1000;
  options.activity_events = events;
  return options;
}

std::vector<Event> venue_events(std::uint64_t count) {
  SampleVenue venue(venue_options(count));
  std::vector<Event> events;
  events.reserve(count);
  while (events.size() < count) events.push_back(venue.next());
  return events;
}

// A sample venue's events with the outcomes a live engine gave them: what a writer appends.
std::vector<PendingRecord> venue_records(std::uint64_t count) {
  Engine engine;
  std::vector<PendingRecord> records;
  records.reserve(count);
  for (const Event& event : venue_events(count)) {
    records.push_back(PendingRecord{encode_event(event), engine.apply(event)});
  }
  return records;
}

SqliteLog open_log(const std::string& path, OpenMode mode) {
  auto log = SqliteLog::open(path, mode);
  if (!log) {
    std::fprintf(stderr, "%s\n", log.error().message.c_str());
    std::abort();
  }
  return std::move(*log);
}

void BM_Ballast_DurableAppend(benchmark::State& state) {
  const auto records = venue_records(kBatch * kAppendBatches);
  testing::TempDir dir;
  SqliteLog log = open_log(dir.file("append.db"), OpenMode::create_or_open);
  std::size_t next = 0;
  for (auto _ : state) {
    const std::span<const PendingRecord> batch(records.data() + next * kBatch, kBatch);
    if (auto appended = log.append(batch); !appended) {
      state.SkipWithError(appended.error().message.c_str());
      break;
    }
    next = (next + 1) % kAppendBatches;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBatch));
}
BENCHMARK(BM_Ballast_DurableAppend)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Ballast_JournalSubmit(benchmark::State& state) {
  const auto events = venue_events(kBatch * static_cast<std::uint64_t>(kJournalIterations));
  testing::TempDir dir;
  SqliteLog log = open_log(dir.file("journal.db"), OpenMode::create_or_open);
  auto journal = Journal::open(log, JournalOptions{kBatch, 0});
  std::size_t next = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      if (auto submitted = journal->submit(events[next++]); !submitted) {
        state.SkipWithError(submitted.error().message.c_str());
        return;
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBatch));
}
BENCHMARK(BM_Ballast_JournalSubmit)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(kJournalIterations);

// One log of kReplayRecords records, written once for the replay benchmarks.
const std::string& replay_log_path() {
  static testing::TempDir dir;
  static const std::string path = [] {
    const std::string file = dir.file("replay.db");
    SqliteLog log = open_log(file, OpenMode::create_or_open);
    const auto records = venue_records(kReplayRecords);
    for (std::size_t at = 0; at < records.size(); at += kBatch) {
      const std::size_t count = std::min(kBatch, records.size() - at);
      if (!log.append(std::span<const PendingRecord>(records.data() + at, count))) std::abort();
    }
    return file;
  }();
  return path;
}

void BM_Ballast_Replay(benchmark::State& state) {
  SqliteLog log = open_log(replay_log_path(), OpenMode::read_only);
  for (auto _ : state) {
    auto replayed = replay_log(log, ReplayOptions{true, {}});
    if (!replayed || replayed->replayed != kReplayRecords) {
      state.SkipWithError("replay failed");
      break;
    }
    benchmark::DoNotOptimize(replayed->state_hash);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kReplayRecords));
}
BENCHMARK(BM_Ballast_Replay)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Ballast_ChainScan(benchmark::State& state) {
  SqliteLog log = open_log(replay_log_path(), OpenMode::read_only);
  for (auto _ : state) {
    Digest prev{};
    auto scanned = log.scan(1, [&prev](const LogRecord& record) -> Outcome {
      if (record.prev_hash != prev ||
          record_hash(record.seq, record.event, record.outcome, record.prev_hash) != record.hash) {
        return make_error(ErrorCode::corrupt, "chain broken");
      }
      prev = record.hash;
      return Ok{};
    });
    if (!scanned) {
      state.SkipWithError(scanned.error().message.c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kReplayRecords));
}
BENCHMARK(BM_Ballast_ChainScan)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---- the peer: SQLite alone ----------------------------------------------------------------

// A table of the same bytes under the same pragmas as SqliteLog, with no hashing and no head.
class PeerSqlite {
 public:
  explicit PeerSqlite(const std::string& path) {
    sqlite3_open(path.c_str(), &db_);
    exec("PRAGMA journal_mode = WAL");
    exec("PRAGMA synchronous = FULL");
    exec(
        "CREATE TABLE events(seq INTEGER PRIMARY KEY, event BLOB NOT NULL, outcome INTEGER "
        "NOT NULL)");
    sqlite3_prepare_v2(db_, "INSERT INTO events(seq, event, outcome) VALUES(?1, ?2, ?3)", -1,
                       &insert_, nullptr);
  }
  ~PeerSqlite() {
    sqlite3_finalize(insert_);
    sqlite3_close(db_);
  }
  PeerSqlite(const PeerSqlite&) = delete;
  PeerSqlite& operator=(const PeerSqlite&) = delete;

  bool exec(const char* sql) {
    return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
  }
  bool insert(const PendingRecord& record) {
    sqlite3_bind_int64(insert_, 1, ++seq_);
    sqlite3_bind_blob(insert_, 2, record.event.data(), static_cast<int>(record.event.size()),
                      SQLITE_STATIC);
    sqlite3_bind_int(insert_, 3, static_cast<int>(record.outcome));
    const bool done = sqlite3_step(insert_) == SQLITE_DONE;
    sqlite3_reset(insert_);
    return done;
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_int64 seq_ = 0;
};

void BM_PeerSqlite_RawInsert(benchmark::State& state) {
  const auto records = venue_records(kBatch * kAppendBatches);
  testing::TempDir dir;
  PeerSqlite peer(dir.file("peer.db"));
  std::size_t next = 0;
  for (auto _ : state) {
    bool ok = peer.exec("BEGIN IMMEDIATE");
    for (std::size_t i = 0; i < kBatch; ++i) ok = ok && peer.insert(records[next * kBatch + i]);
    if (!(ok && peer.exec("COMMIT"))) {
      state.SkipWithError("insert failed");
      break;
    }
    next = (next + 1) % kAppendBatches;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBatch));
}
BENCHMARK(BM_PeerSqlite_RawInsert)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_PeerSqlite_InsertPerTxn(benchmark::State& state) {
  const auto records = venue_records(kBatch);
  testing::TempDir dir;
  PeerSqlite peer(dir.file("peer.db"));
  std::size_t next = 0;
  for (auto _ : state) {
    if (!peer.insert(records[next])) {  // autocommit: its own transaction and fsync
      state.SkipWithError("insert failed");
      break;
    }
    next = (next + 1) % records.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PeerSqlite_InsertPerTxn)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace ballast
