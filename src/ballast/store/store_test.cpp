// The SQLite log, the journal and replay: exact round trips, group commit, and every kind of
// damage detected where it happened. Damage is done with the SQLite C API directly, as a disk
// fault or someone editing the file would do it.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ballast/core/bytes.hpp"
#include "ballast/engine/codec.hpp"
#include "ballast/store/journal.hpp"
#include "ballast/store/replay.hpp"
#include "ballast/store/store_raw_db_testing.hpp"
#include "ballast/store/store_testing.hpp"

namespace ballast {
namespace {

using testing::bytes_of;
using testing::kLastSeq;
using testing::RawDb;
using testing::TempDir;


std::string flip_byte(std::string bytes, std::size_t index) {
  bytes[index] = static_cast<char>(bytes[index] ^ 0x40);
  return bytes;
}

// ---- a sample log ---------------------------------------------------------------------------

// 140 records in batches of 10 with snapshots at 50 and 100: the tail after the latest snapshot
// is 101..140.
constexpr Seq kRecords = 140;

struct SampleLog {
  TempDir dir;
  std::string path = dir.file("events.db");
  std::vector<Event> events = testing::sample_events(kRecords);
  std::vector<Status> outcomes;
  Digest live_hash{};

  SampleLog() {
    auto log = SqliteLog::open(path, OpenMode::create_or_open);
    EXPECT_TRUE(log.ok());
    auto journal = Journal::open(*log, JournalOptions{10, 50});
    EXPECT_TRUE(journal.ok());
    for (const Event& event : events) {
      auto status = journal->submit(event);
      EXPECT_TRUE(status.ok());
      outcomes.push_back(*status);
    }
    EXPECT_TRUE(journal->commit().ok());
    live_hash = journal->engine().state_hash();
  }

  Result<ReplayReport> replay(bool from_genesis = false) {
    auto log = SqliteLog::open(path, OpenMode::read_only);
    if (!log) return std::move(log).error();
    return replay_log(*log, ReplayOptions{from_genesis, {}});
  }
  // The first record whose outcome is not `other`, from `from` on.
  Seq record_not(Status other, Seq from) const {
    for (Seq seq = from; seq <= kRecords; ++seq) {
      if (outcomes[seq - 1] != other) return seq;
    }
    return 0;
  }
};

void expect_error(const Result<ReplayReport>& result, ErrorCode code, const std::string& message) {
  ASSERT_FALSE(result.ok()) << "expected: " << message;
  EXPECT_EQ(result.error().code, code) << result.error().message;
  EXPECT_EQ(result.error().message, message);
}

// Both starting points must report the same damage in the chain or the head.
void expect_both_modes(SampleLog& sample, ErrorCode code, const std::string& message) {
  expect_error(sample.replay(false), code, message);
  expect_error(sample.replay(true), code, message);
}

// ---- record hash ----------------------------------------------------------------------------

TEST(RecordHash, IsShaOfTheDocumentedLayout) {
  Digest prev{};
  prev[0] = 0xab;
  prev[31] = 0xcd;
  for (const std::size_t length : {0u, 5u, 256u, 300u}) {  // 300: the piecewise path
    const std::string event(length, 'x');
    ByteWriter bytes;
    bytes.u64(0x0102030405060708ull);
    bytes.u32(static_cast<std::uint32_t>(length));
    bytes.raw(event);
    bytes.u8(static_cast<std::uint8_t>(Status::insufficient_balance));
    bytes.raw(bytes_of(prev));
    EXPECT_EQ(record_hash(0x0102030405060708ull, event, Status::insufficient_balance, prev),
              sha256(bytes.bytes()))
        << length;
  }
}

// ---- round trips ----------------------------------------------------------------------------

TEST(SqliteLog, AppendAndScanRoundTripExactly) {
  TempDir dir;
  const std::string path = dir.file("log.db");
  const std::vector<PendingRecord> first = {{std::string("\0\1\2", 3), Status::ok},
                                            {"", Status::id_zero},
                                            {std::string(200, '\xff'), Status::balance_overflow}};
  const std::vector<PendingRecord> second = {{"abc", Status::exists}, {"z", Status::ok}};
  {
    auto log = SqliteLog::open(path, OpenMode::create_or_open);
    ASSERT_TRUE(log.ok()) << log.error().message;
    EXPECT_EQ(log->last_seq(), 0u);
    ASSERT_TRUE(log->append(first).ok());
    ASSERT_TRUE(log->append({}).ok());  // an empty batch writes nothing
    ASSERT_TRUE(log->append(second).ok());
    EXPECT_EQ(log->last_seq(), 5u);
  }
  std::vector<PendingRecord> expected = first;
  expected.insert(expected.end(), second.begin(), second.end());

  auto log = SqliteLog::open(path, OpenMode::read_only);
  ASSERT_TRUE(log.ok()) << log.error().message;
  EXPECT_EQ(log->last_seq(), 5u);
  std::vector<LogRecord> records;
  ASSERT_TRUE(log->scan(1,
                        [&](const LogRecord& record) -> Outcome {
                          records.push_back(record);
                          return Ok{};
                        })
                  .ok());
  ASSERT_EQ(records.size(), expected.size());
  Digest prev{};
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].seq, i + 1);
    EXPECT_EQ(records[i].event, expected[i].event);
    EXPECT_EQ(records[i].outcome, expected[i].outcome);
    EXPECT_EQ(records[i].prev_hash, prev);
    EXPECT_EQ(records[i].hash, record_hash(i + 1, expected[i].event, expected[i].outcome, prev));
    prev = records[i].hash;
  }
  const auto head = log->head();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->first, 5u);
  EXPECT_EQ(head->second, prev);
  EXPECT_EQ(log->last_hash(), prev);

  Seq first_seen = 0;
  ASSERT_TRUE(log->scan(4,
                        [&](const LogRecord& record) -> Outcome {
                          if (first_seen == 0) first_seen = record.seq;
                          return Ok{};
                        })
                  .ok());
  EXPECT_EQ(first_seen, 4u);
}

TEST(SqliteLog, ScanStopsAtTheVisitorsError) {
  TempDir dir;
  auto log = SqliteLog::open(dir.file("log.db"), OpenMode::create_or_open);
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE(log->append(std::vector<PendingRecord>(5, {"e", Status::ok})).ok());
  int visited = 0;
  auto scanned = log->scan(1, [&](const LogRecord& record) -> Outcome {
    ++visited;
    if (record.seq == 2) return make_error(ErrorCode::mismatch, "stop");
    return Ok{};
  });
  ASSERT_FALSE(scanned.ok());
  EXPECT_EQ(scanned.error().message, "stop");
  EXPECT_EQ(visited, 2);
  EXPECT_TRUE(log->append(std::vector<PendingRecord>(1, {"f", Status::ok})).ok());  // reset
}

TEST(SqliteLog, SnapshotsRoundTripAndTheLatestWins) {
  TempDir dir;
  auto log = SqliteLog::open(dir.file("log.db"), OpenMode::create_or_open);
  ASSERT_TRUE(log.ok());
  auto none = log->latest_snapshot();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(log->append(std::vector<PendingRecord>(10, {"e", Status::ok})).ok());
  const SnapshotRecord at4{4, sha256("four"), "four"};
  const SnapshotRecord at9{9, sha256(std::string("n\0ne", 4)), std::string("n\0ne", 4)};
  ASSERT_TRUE(log->write_snapshot(at9).ok());
  ASSERT_TRUE(log->write_snapshot(at4).ok());
  ASSERT_TRUE(log->write_snapshot(at4).ok());  // the same seq again replaces it

  auto latest = log->latest_snapshot();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->seq, 9u);
  EXPECT_EQ((*latest)->state_hash, at9.state_hash);
  EXPECT_EQ((*latest)->state, at9.state);
  auto index = log->snapshot_index();
  ASSERT_TRUE(index.ok());
  ASSERT_EQ(index->size(), 2u);
  EXPECT_EQ((*index)[0].seq, 4u);
  EXPECT_EQ((*index)[0].state_hash, at4.state_hash);
  EXPECT_TRUE((*index)[0].state.empty());
  auto exact = log->snapshot_at(4);
  ASSERT_TRUE(exact.ok() && exact->has_value());
  EXPECT_EQ((*exact)->state, "four");

  auto beyond = log->write_snapshot(SnapshotRecord{11, {}, ""});
  ASSERT_FALSE(beyond.ok());
  EXPECT_EQ(beyond.error().code, ErrorCode::invalid_input);
}

// ---- group commit and writers -----------------------------------------------------------------

TEST(SqliteLog, AFailedBatchStoresNothingOfIt) {
  TempDir dir;
  const std::string path = dir.file("log.db");
  auto log = SqliteLog::open(path, OpenMode::create_or_open);
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE(log->append(std::vector<PendingRecord>(3, {"e", Status::ok})).ok());
  const Digest hash_before = log->last_hash();
  // A row where the batch's third record will go: its insert fails after two succeeded.
  RawDb(path).exec("INSERT INTO events VALUES(6, x'00', 0, zeroblob(32), zeroblob(32))");

  auto appended = log->append(std::vector<PendingRecord>(5, {"f", Status::ok}));
  ASSERT_FALSE(appended.ok());
  EXPECT_EQ(appended.error().code, ErrorCode::io);
  EXPECT_NE(appended.error().message.find("record 6"), std::string::npos);
  EXPECT_EQ(log->last_seq(), 3u);
  EXPECT_EQ(log->last_hash(), hash_before);
  std::vector<Seq> seqs;
  ASSERT_TRUE(log->scan(1,
                        [&](const LogRecord& r) -> Outcome {
                          seqs.push_back(r.seq);
                          return Ok{};
                        })
                  .ok());
  EXPECT_EQ(seqs, (std::vector<Seq>{1, 2, 3, 6}));
  EXPECT_EQ(log->head()->first, 3u);
}

TEST(SqliteLog, ASecondWriterIsRefused) {
  TempDir dir;
  const std::string path = dir.file("log.db");
  auto first = SqliteLog::open(path, OpenMode::create_or_open);
  auto second = SqliteLog::open(path, OpenMode::create_or_open);
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE(first->append(std::vector<PendingRecord>(2, {"a", Status::ok})).ok());
  auto refused = second->append(std::vector<PendingRecord>(1, {"b", Status::ok}));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("another writer"), std::string::npos);
  EXPECT_TRUE(first->append(std::vector<PendingRecord>(1, {"c", Status::ok})).ok());
}

TEST(SqliteLog, ReadOnlyRefusesWrites) {
  SampleLog sample;
  auto log = SqliteLog::open(sample.path, OpenMode::read_only);
  ASSERT_TRUE(log.ok());
  EXPECT_FALSE(log->append(std::vector<PendingRecord>(1, {"a", Status::ok})).ok());
  EXPECT_FALSE(log->write_snapshot(SnapshotRecord{1, {}, ""}).ok());
}

TEST(Journal, AcknowledgesOnlyWhatABatchCommitted) {
  TempDir dir;
  const std::string path = dir.file("log.db");
  auto log = SqliteLog::open(path, OpenMode::create_or_open);
  ASSERT_TRUE(log.ok());
  auto journal = Journal::open(*log, JournalOptions{8, 0});
  ASSERT_TRUE(journal.ok());
  auto reader = SqliteLog::open(path, OpenMode::read_only);
  ASSERT_TRUE(reader.ok());
  const auto events = testing::sample_events(9);
  for (std::size_t i = 0; i < 7; ++i) {
    ASSERT_TRUE(journal->submit(events[i]).ok());
  }
  EXPECT_EQ(journal->pending(), 7u);
  EXPECT_EQ(journal->acknowledged_seq(), 0u);
  EXPECT_EQ(reader->head()->first, 0u);  // nothing on disk before the batch is full

  ASSERT_TRUE(journal->submit(events[7]).ok());  // the eighth fills the batch: one commit
  EXPECT_EQ(journal->pending(), 0u);
  EXPECT_EQ(journal->acknowledged_seq(), 8u);
  EXPECT_EQ(reader->head()->first, 8u);

  ASSERT_TRUE(journal->submit(events[8]).ok());
  ASSERT_TRUE(journal->commit().ok());
  EXPECT_EQ(reader->head()->first, 9u);
}

TEST(Journal, ReopenRestoresStateAndDropsWhatWasNotCommitted) {
  TempDir dir;
  const std::string path = dir.file("log.db");
  const auto events = testing::sample_events(100);
  {
    auto log = SqliteLog::open(path, OpenMode::create_or_open);
    ASSERT_TRUE(log.ok());
    auto journal = Journal::open(*log, JournalOptions{16, 40});
    ASSERT_TRUE(journal.ok());
    for (const Event& event : events) {
      ASSERT_TRUE(journal->submit(event).ok());
    }
    EXPECT_EQ(journal->acknowledged_seq(), 96u);
    EXPECT_EQ(journal->pending(), 4u);  // dropped with the journal: never acknowledged
  }
  Engine expected;
  for (std::size_t i = 0; i < 96; ++i) {
    expected.apply(events[i]);
  }
  auto log = SqliteLog::open(path, OpenMode::create_or_open);
  ASSERT_TRUE(log.ok());
  auto journal = Journal::open(*log, JournalOptions{16, 40});
  ASSERT_TRUE(journal.ok()) << journal.error().message;
  EXPECT_EQ(journal->acknowledged_seq(), 96u);
  EXPECT_EQ(journal->engine().state_hash(), expected.state_hash());
  // It continues where the log ends; a retry of an acknowledged event is answered as before.
  EXPECT_EQ(*journal->submit(events[10]), Status::exists);
  ASSERT_TRUE(journal->submit(events[96]).ok());
  ASSERT_TRUE(journal->write_snapshot().ok());
  EXPECT_EQ(journal->acknowledged_seq(), 98u);
  auto latest = log->latest_snapshot();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->seq, 98u);
}

TEST(Journal, HaltsAfterAFailedCommit) {
  TempDir dir;
  const std::string path = dir.file("log.db");
  auto log = SqliteLog::open(path, OpenMode::create_or_open);
  ASSERT_TRUE(log.ok());
  auto journal = Journal::open(*log, JournalOptions{4, 0});
  ASSERT_TRUE(journal.ok());
  const auto events = testing::sample_events(12);
  for (std::size_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(journal->submit(events[i]).ok());
  }
  RawDb(path).exec("INSERT INTO events VALUES(6, x'00', 0, zeroblob(32), zeroblob(32))");
  for (std::size_t i = 4; i < 7; ++i) {
    ASSERT_TRUE(journal->submit(events[i]).ok());
  }
  auto failed = journal->submit(events[7]);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("journal halted"), std::string::npos);
  auto after = journal->submit(events[8]);
  ASSERT_FALSE(after.ok());
  EXPECT_NE(after.error().message.find("halted"), std::string::npos);
  EXPECT_FALSE(journal->commit().ok());
  EXPECT_EQ(journal->acknowledged_seq(), 4u);
}

TEST(Journal, RejectsAZeroBatchSize) {
  TempDir dir;
  auto log = SqliteLog::open(dir.file("log.db"), OpenMode::create_or_open);
  ASSERT_TRUE(log.ok());
  auto journal = Journal::open(*log, JournalOptions{0, 0});
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.error().code, ErrorCode::invalid_input);
}

// ---- replay ---------------------------------------------------------------------------------

TEST(Replay, SnapshotPlusTailGivesTheSameStateAsGenesis) {
  SampleLog sample;
  auto from_snapshot = sample.replay(false);
  ASSERT_TRUE(from_snapshot.ok()) << from_snapshot.error().message;
  EXPECT_EQ(from_snapshot->records, kRecords);
  EXPECT_EQ(from_snapshot->snapshot_seq, 100u);
  EXPECT_EQ(from_snapshot->replayed, 40u);
  EXPECT_EQ(from_snapshot->snapshots_checked, 1u);
  EXPECT_EQ(from_snapshot->state_hash, sample.live_hash);
  EXPECT_EQ(from_snapshot->engine.state_hash(), sample.live_hash);

  auto from_genesis = sample.replay(true);
  ASSERT_TRUE(from_genesis.ok()) << from_genesis.error().message;
  EXPECT_EQ(from_genesis->snapshot_seq, 0u);
  EXPECT_EQ(from_genesis->replayed, kRecords);
  EXPECT_EQ(from_genesis->snapshots_checked, 2u);
  EXPECT_EQ(from_genesis->state_hash, sample.live_hash);
  EXPECT_TRUE(from_genesis->engine.ledger().conserves_value());
}

TEST(Replay, AnEmptyLogReplaysToTheEmptyState) {
  TempDir dir;
  auto log = SqliteLog::open(dir.file("log.db"), OpenMode::create_or_open);
  ASSERT_TRUE(log.ok());
  auto replayed = replay_log(*log, ReplayOptions{});
  ASSERT_TRUE(replayed.ok()) << replayed.error().message;
  EXPECT_EQ(replayed->records, 0u);
  EXPECT_EQ(replayed->state_hash, Engine().state_hash());
}

TEST(Replay, ReportsProgressUpToTheEnd) {
  SampleLog sample;
  auto log = SqliteLog::open(sample.path, OpenMode::read_only);
  ASSERT_TRUE(log.ok());
  Seq last_done = 0;
  Seq last_total = 0;
  auto replayed = replay_log(*log, ReplayOptions{true, [&](Seq done, Seq total) {
                                                   last_done = done;
                                                   last_total = total;
                                                 }});
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(last_done, kRecords);
  EXPECT_EQ(last_total, kRecords);
}

TEST(Replay, RestoreIntoAFreshEngineGivesAnEqualState) {
  SampleLog sample;
  auto log = SqliteLog::open(sample.path, OpenMode::read_only);
  ASSERT_TRUE(log.ok());
  auto latest = log->latest_snapshot();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  auto restored = Engine::restore((*latest)->state);
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(restored->state_hash(), (*latest)->state_hash);
  EXPECT_TRUE(restored->ledger().conserves_value());

  // The restored engine and one that applied every event agree on everything that follows.
  Engine live;
  for (Seq seq = 1; seq <= 100; ++seq) live.apply(sample.events[seq - 1]);
  EXPECT_EQ(live.state_hash(), restored->state_hash());
  for (Seq seq = 101; seq <= kRecords; ++seq) {
    const Event& event = sample.events[seq - 1];
    EXPECT_EQ(live.apply(event), restored->apply(event)) << seq;
  }
  EXPECT_EQ(live.state_hash(), restored->state_hash());
  EXPECT_EQ(live.state_hash(), sample.live_hash);
  auto again = Engine::restore(live.snapshot());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->state_hash(), live.state_hash());
  EXPECT_TRUE(again->ledger().conserves_value());
}

// ---- damage to records --------------------------------------------------------------------

TEST(Replay, DetectsAnAlteredEventBlob) {
  SampleLog sample;
  {
    RawDb db(sample.path);
    const std::string event = db.blob("SELECT event FROM events WHERE seq = 57");
    db.exec_with_blob("UPDATE events SET event = ?1 WHERE seq = 57", flip_byte(event, 12));
  }
  expect_both_modes(sample, ErrorCode::corrupt, "record 57: checksum mismatch (content altered)");
}

TEST(Replay, DetectsAnAlteredOutcome) {
  SampleLog sample;
  const Seq seq = sample.record_not(Status::insufficient_balance, 57);
  RawDb(sample.path)
      .exec("UPDATE events SET outcome = " +
            std::to_string(static_cast<int>(Status::insufficient_balance)) +
            " WHERE seq = " + std::to_string(seq));
  expect_both_modes(sample, ErrorCode::corrupt,
                    "record " + std::to_string(seq) + ": checksum mismatch (content altered)");
}

TEST(Replay, DetectsAnOutcomeThatIsNoStatus) {
  SampleLog sample;
  RawDb(sample.path).exec("UPDATE events SET outcome = 200 WHERE seq = 30");
  expect_both_modes(sample, ErrorCode::corrupt, "record 30: outcome 200 is not a known status");
}

TEST(Replay, DetectsSwappedRecords) {
  SampleLog sample;
  RawDb(sample.path)
      .exec(
          "UPDATE events SET seq = -1 WHERE seq = 57; UPDATE events SET seq = 57 WHERE seq = 58;"
          "UPDATE events SET seq = 58 WHERE seq = -1;");
  expect_both_modes(sample, ErrorCode::corrupt,
                    "record 57: prev_hash does not match hash of record 56 (records reordered, "
                    "removed or inserted)");
}

TEST(Replay, DetectsADeletedMiddleRecord) {
  SampleLog sample;
  RawDb(sample.path).exec("DELETE FROM events WHERE seq = 58");
  expect_both_modes(sample, ErrorCode::corrupt,
                    "record 59: seq gap, record 58 is missing (records removed)");
}

TEST(Replay, DetectsADeletedAndRenumberedRecord) {
  SampleLog sample;
  RawDb(sample.path)
      .exec(
          "DELETE FROM events WHERE seq = 58; UPDATE events SET seq = seq - 1 "
          "WHERE seq > 58; UPDATE head SET seq = seq - 1");
  expect_both_modes(sample, ErrorCode::corrupt,
                    "record 58: prev_hash does not match hash of record 57 (records reordered, "
                    "removed or inserted)");
}

TEST(Replay, DetectsAnInsertedRecord) {
  SampleLog sample;
  {
    RawDb db(sample.path);
    db.exec(
        "UPDATE events SET seq = seq + 1000 WHERE seq > 20; UPDATE events SET seq = seq - 999 "
        "WHERE seq > 1000; INSERT INTO events SELECT 21, event, outcome, hash, hash FROM "
        "events WHERE seq = 20");
    db.rechain(21, 21);  // a well-formed record in itself, that the next one does not point at
  }
  expect_both_modes(sample, ErrorCode::corrupt,
                    "record 22: prev_hash does not match hash of record 21 (records reordered, "
                    "removed or inserted)");
}

TEST(Replay, DetectsATruncatedTail) {
  SampleLog sample;
  RawDb(sample.path).exec("DELETE FROM events WHERE seq > 120");
  expect_both_modes(sample, ErrorCode::corrupt,
                    "log truncated: last record is 120 but the head says 140");
}

TEST(Replay, DetectsRecordsBeyondTheHead) {
  SampleLog sample;
  {
    RawDb db(sample.path);
    db.exec(
        "INSERT INTO events SELECT 141, event, outcome, hash, hash FROM events WHERE seq = 140");
  }
  // The chain check fails first on the bogus hash; a record that chains right is caught by
  // the head.
  expect_both_modes(sample, ErrorCode::corrupt, "record 141: checksum mismatch (content altered)");
  RawDb(sample.path).rechain(141, 141);
  expect_both_modes(sample, ErrorCode::corrupt,
                    "log has records beyond its head: last record is 141 but the head says 140 "
                    "(records added outside a commit)");
}

TEST(Replay, DetectsARewrittenHead) {
  SampleLog sample;
  RawDb(sample.path).exec("UPDATE head SET hash = zeroblob(32)");
  expect_both_modes(sample, ErrorCode::corrupt,
                    "head hash does not match hash of record 140 (the log was rewritten)");
}

TEST(Replay, DetectsADifferentOutcomeInARechainedTail) {
  SampleLog sample;
  const Seq seq = sample.record_not(Status::insufficient_balance, 120);
  const std::string logged(status_name(sample.outcomes[seq - 1]));
  {
    RawDb db(sample.path);
    db.exec("UPDATE events SET outcome = 25 WHERE seq = " + std::to_string(seq));
    db.rechain(seq);
  }
  const std::string message = "record " + std::to_string(seq) +
                              ": outcome differs: logged insufficient_balance, replay gives " +
                              logged;
  expect_both_modes(sample, ErrorCode::mismatch, message);
}

TEST(Replay, FromGenesisDetectsADifferentOutcomeBeforeTheSnapshot) {
  SampleLog sample;
  const Seq seq = sample.record_not(Status::insufficient_balance, 60);
  ASSERT_LT(seq, 100u);
  {
    RawDb db(sample.path);
    db.exec("UPDATE events SET outcome = 25 WHERE seq = " + std::to_string(seq));
    db.rechain(seq);
  }
  // Starting at the snapshot trusts it: only the full replay re-applies record `seq`.
  EXPECT_TRUE(sample.replay(false).ok());
  expect_error(sample.replay(true), ErrorCode::mismatch,
               "record " + std::to_string(seq) +
                   ": outcome differs: logged insufficient_balance, "
                   "replay gives " +
                   std::string(status_name(sample.outcomes[seq - 1])));
}

TEST(Replay, DetectsAnEventThatDoesNotDecode) {
  SampleLog sample;
  {
    RawDb db(sample.path);
    db.exec("UPDATE events SET event = x'09' WHERE seq = 130");
    db.rechain(130);
  }
  auto replayed = sample.replay();
  ASSERT_FALSE(replayed.ok());
  EXPECT_EQ(replayed.error().code, ErrorCode::corrupt);
  EXPECT_EQ(replayed.error().message.rfind("record 130: event does not decode: ", 0), 0u)
      << replayed.error().message;
}

TEST(Replay, AChainErrorOutranksALaterReplayMismatch) {
  SampleLog sample;
  const Seq seq = sample.record_not(Status::insufficient_balance, 110);
  {
    RawDb db(sample.path);
    db.exec("UPDATE events SET outcome = 25 WHERE seq = " + std::to_string(seq));
    db.rechain(seq);
    db.exec("DELETE FROM events WHERE seq = 135");
  }
  expect_both_modes(sample, ErrorCode::corrupt,
                    "record 136: seq gap, record 135 is missing (records removed)");
}

// ---- damage to snapshots --------------------------------------------------------------------

TEST(Replay, DetectsACorruptSnapshotState) {
  SampleLog sample;
  {
    RawDb db(sample.path);
    const std::string state = db.blob("SELECT state FROM snapshots WHERE seq = 100");
    db.exec_with_blob("UPDATE snapshots SET state = ?1 WHERE seq = 100",
                      flip_byte(state, state.size() / 2));
  }
  expect_both_modes(sample, ErrorCode::corrupt, "snapshot at seq 100: state hash mismatch");
}

TEST(Replay, DetectsASnapshotWithAWrongHash) {
  SampleLog sample;
  RawDb(sample.path).exec("UPDATE snapshots SET state_hash = zeroblob(32) WHERE seq = 100");
  expect_both_modes(sample, ErrorCode::corrupt, "snapshot at seq 100: state hash mismatch");
}

TEST(Replay, FromGenesisChecksEarlierSnapshotsToo) {
  SampleLog sample;
  RawDb(sample.path).exec("UPDATE snapshots SET state_hash = zeroblob(32) WHERE seq = 50");
  EXPECT_TRUE(sample.replay(false).ok());  // snapshot 50 lies before the starting point
  expect_error(sample.replay(true), ErrorCode::corrupt, "snapshot at seq 50: state hash mismatch");
}

TEST(Replay, FromGenesisDetectsAConsistentButWrongSnapshot) {
  SampleLog sample;
  RawDb(sample.path)
      .exec(
          "UPDATE snapshots SET (state_hash, state) = (SELECT state_hash, state FROM snapshots "
          "WHERE seq = 50) WHERE seq = 100");
  auto replayed = sample.replay(true);
  ASSERT_FALSE(replayed.ok());
  EXPECT_EQ(replayed.error().code, ErrorCode::mismatch);
  EXPECT_EQ(replayed.error().message.rfind("snapshot at seq 100: replay reaches state hash ", 0),
            0u)
      << replayed.error().message;
}

TEST(Replay, DetectsASnapshotThatIsNotAnEngineState) {
  SampleLog sample;
  {
    RawDb db(sample.path);
    const std::string bogus = "not an engine state";
    db.exec_with_blob("UPDATE snapshots SET state = ?1 WHERE seq = 100", bogus);
    db.exec_with_blob("UPDATE snapshots SET state_hash = ?1 WHERE seq = 100",
                      bytes_of(sha256(bogus)));
  }
  auto replayed = sample.replay(false);
  ASSERT_FALSE(replayed.ok());
  EXPECT_EQ(replayed.error().code, ErrorCode::corrupt);
  EXPECT_EQ(replayed.error().message,
            "snapshot at seq 100: engine snapshot: not a Ballast snapshot");
}

TEST(Replay, DetectsASnapshotBeyondTheLastRecord) {
  SampleLog sample;
  RawDb(sample.path)
      .exec(
          "INSERT INTO snapshots SELECT 500, state_hash, state FROM snapshots "
          "WHERE seq = 100");
  expect_both_modes(sample, ErrorCode::corrupt,
                    "snapshot at seq 500 is beyond the last record 140");
}

TEST(Replay, JournalRefusesToOpenADamagedLog) {
  SampleLog sample;
  RawDb(sample.path).exec("DELETE FROM events WHERE seq > 120");
  auto log = SqliteLog::open(sample.path, OpenMode::create_or_open);
  ASSERT_TRUE(log.ok());
  auto journal = Journal::open(*log, JournalOptions{});
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.error().message, "log truncated: last record is 120 but the head says 140");
}

// ---- files that are not logs ----------------------------------------------------------------

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}
std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void expect_open_error(const std::string& path, OpenMode mode, ErrorCode code,
                       const std::string& says) {
  auto log = SqliteLog::open(path, mode);
  ASSERT_FALSE(log.ok()) << path;
  EXPECT_EQ(log.error().code, code) << log.error().message;
  EXPECT_EQ(log.error().message.rfind(path + ": ", 0), 0u) << log.error().message;
  EXPECT_NE(log.error().message.find(says), std::string::npos) << log.error().message;
}

TEST(SqliteLogOpen, AMissingFileIsNotFoundAndNotCreated) {
  TempDir dir;
  const std::string path = dir.file("missing.db");
  expect_open_error(path, OpenMode::read_only, ErrorCode::not_found, "no such log file");
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(SqliteLogOpen, AGarbageFileIsCorruptAndLeftAlone) {
  TempDir dir;
  for (const std::size_t size : {5u, 4096u}) {
    const std::string path = dir.file("garbage" + std::to_string(size) + ".db");
    std::string garbage(size, '\0');
    for (std::size_t i = 0; i < size; ++i) garbage[i] = static_cast<char>((i * 131 + 7) & 0xff);
    write_file(path, garbage);
    expect_open_error(path, OpenMode::read_only, ErrorCode::corrupt, "not a Ballast log");
    expect_open_error(path, OpenMode::create_or_open, ErrorCode::corrupt, "not a Ballast log");
    EXPECT_EQ(read_file(path), garbage);
  }
}

TEST(SqliteLogOpen, AnotherSqliteDatabaseIsNotALog) {
  TempDir dir;
  const std::string path = dir.file("other.db");
  RawDb(path).exec("CREATE TABLE accounts(id INTEGER PRIMARY KEY)");
  expect_open_error(path, OpenMode::read_only, ErrorCode::corrupt, "not a Ballast log");
  expect_open_error(path, OpenMode::create_or_open, ErrorCode::corrupt, "not a Ballast log");
}

TEST(SqliteLogOpen, AnEmptyFileIsNoLogToReadButCanBecomeOne) {
  TempDir dir;
  const std::string path = dir.file("empty.db");
  write_file(path, "");
  expect_open_error(path, OpenMode::read_only, ErrorCode::corrupt, "empty database");
  auto created = SqliteLog::open(path, OpenMode::create_or_open);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_TRUE(SqliteLog::open(path, OpenMode::read_only).ok());
}

TEST(SqliteLogOpen, AnUnknownFormatVersionIsRefused) {
  SampleLog sample;
  RawDb(sample.path).exec("UPDATE meta SET value = '99' WHERE key = 'version'");
  expect_open_error(sample.path, OpenMode::read_only, ErrorCode::corrupt,
                    "log format version '99' is not supported (this build reads 1 to 2)");
}

TEST(SqliteLogOpen, AMissingHeadIsCorrupt) {
  SampleLog sample;
  RawDb(sample.path).exec("DELETE FROM head");
  expect_open_error(sample.path, OpenMode::read_only, ErrorCode::corrupt, "head row is missing");
}

TEST(SqliteLogOpen, UsesWalWithFullSync) {
  TempDir dir;
  const std::string path = dir.file("log.db");
  auto log = SqliteLog::open(path, OpenMode::create_or_open);
  ASSERT_TRUE(log.ok());
  RawDb db(path);
  EXPECT_EQ(db.blob("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(db.blob("SELECT value FROM meta WHERE key = 'format'"), "ballast-log");
}

}  // namespace
}  // namespace ballast
