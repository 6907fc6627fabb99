#pragma once
// The durable event log and its snapshots, in SQLite (DESIGN 4.5).
//
// Every event the engine was given is recorded, accepted or rejected, with its outcome: the log
// is the audit trail, and replay must reproduce every outcome. Records are hash-chained:
//   hash(n) = SHA-256(u64 seq | u32 length | event bytes | u8 outcome | prev_hash)
//   prev_hash(1) = genesis_hash(genesis), prev_hash(n) = hash(n-1)
// (integers little-endian, length = the event's byte count). hash(n) is the record's own
// checksum and the anchor the next record points at, so an altered, reordered, removed or
// inserted record breaks the chain exactly where it happened. A one-row head table, updated in
// the same transaction as each batch, records the last seq and hash, so a log cut short at its
// end is told from a log that simply ends.
//
// The genesis (genesis.hpp: the venue's risk configuration and engine options, opaque bytes
// here) is written once, in the transaction that creates the log, and never changes. Its hash
// anchors the chain: genesis_hash(empty) = 32 zero bytes (an engine without a configuration,
// and every version-1 log, which has no genesis table), else SHA-256(genesis bytes). Altering,
// removing or adding a genesis therefore breaks the link of record 1 (or the head of an empty
// log).
//
// SQLite runs in WAL mode with synchronous=FULL: append() returns only after the batch is on
// disk, and one fsync covers the whole batch (group commit). An event is acknowledged when the
// append() that carried it has returned ok.
//
// Schema (format version kLogFormatVersion, kept in the meta table):
//   events(seq INTEGER PRIMARY KEY, event BLOB, outcome INTEGER, prev_hash BLOB, hash BLOB)
//   snapshots(seq INTEGER PRIMARY KEY, state_hash BLOB, state BLOB)
//   head(id = 1, seq, hash)          meta(key, value): format = ballast-log, version = 2
//   genesis(id = 1, genesis BLOB)    (version 2; a version-1 log has none: the empty genesis)
// Version-1 logs (written before the genesis) are still read and appended to as they are.
//
// A SqliteLog is one connection, used from one thread at a time. Several processes may read a
// log while one appends (WAL readers never block the writer); a second writer is refused at its
// first append, because the head no longer is where it expects.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ballast/core/hash.hpp"
#include "ballast/core/ids.hpp"
#include "ballast/core/result.hpp"
#include "ballast/core/status.hpp"

namespace ballast {

inline constexpr int kLogFormatVersion = 2;      // what a new log is created as
inline constexpr int kLogFormatVersionOldest = 1;  // the oldest this build opens

struct LogRecord {
  Seq seq = 0;
  std::string event;  // encode_event() bytes
  Status outcome = Status::ok;
  Digest prev_hash{};
  Digest hash{};
};

// What a writer hands to append(): the store assigns seq and the chain.
struct PendingRecord {
  std::string event;
  Status outcome = Status::ok;
};

struct SnapshotRecord {
  Seq seq = 0;  // the state after applying records 1..seq
  Digest state_hash{};
  std::string state;  // Engine::snapshot() bytes
};

Digest record_hash(Seq seq, std::string_view event, Status outcome, const Digest& prev_hash);
// prev_hash of record 1: 32 zero bytes for the empty genesis, else SHA-256 of its bytes.
Digest genesis_hash(std::string_view genesis);

// read_only never creates anything: a missing file is ErrorCode::not_found. (SQLite may still
// create the -wal and -shm companions of an existing WAL-mode log: it reads through them.)
enum class OpenMode : std::uint8_t { create_or_open, read_only };

class SqliteLog {
 public:
  // Keeps one read transaction open while it lives: every read in between sees the log as it
  // was at the first of them, even while another process appends.
  class [[nodiscard]] ReadTransaction {
   public:
    ReadTransaction(ReadTransaction&& other) noexcept;
    ReadTransaction& operator=(ReadTransaction&&) = delete;
    ~ReadTransaction();

   private:
    friend class SqliteLog;
    explicit ReadTransaction(SqliteLog* log) : log_(log) {}
    SqliteLog* log_;
  };

  // Errors name the file: not_found (read_only and missing), corrupt (not SQLite, not a
  // Ballast log, unknown format version, damaged head or genesis), io (anything the OS or SQLite
  // refuses). A log this call creates gets `genesis` as its genesis; an existing log keeps its
  // own, whatever is passed: a caller that needs a particular one compares genesis() (and
  // created() says which happened).
  static Result<SqliteLog> open(const std::string& path, OpenMode mode,
                                std::string_view genesis = {});
  SqliteLog(SqliteLog&&) noexcept;
  SqliteLog& operator=(SqliteLog&&) noexcept;
  ~SqliteLog();

  const std::string& path() const;
  // The log's genesis bytes (empty for a version-1 log), as read at open().
  const std::string& genesis() const;
  // Whether open() created the log (and so wrote the genesis it was given).
  bool created() const;

  // One transaction, one fsync. On error nothing of the batch is stored.
  Outcome append(std::span<const PendingRecord> batch);
  // As of open() or this connection's last append; head() reads what is on disk now.
  Seq last_seq() const { return last_seq_; }
  const Digest& last_hash() const { return last_hash_; }

  // Replaces any snapshot at the same seq (the engine is deterministic, so it is the same state).
  Outcome write_snapshot(const SnapshotRecord& snapshot);
  // The snapshot with the highest seq, if any.
  Result<std::optional<SnapshotRecord>> latest_snapshot();
  // The snapshot at exactly this seq, if any.
  Result<std::optional<SnapshotRecord>> snapshot_at(Seq seq);
  // Every snapshot's seq and state hash, in seq order (state bytes left empty).
  Result<std::vector<SnapshotRecord>> snapshot_index();

  // Visits records with seq >= from in seq order; stops at the first error the visitor returns.
  // The record passed to the visitor is reused: copy what must outlive the call.
  Outcome scan(Seq from, const std::function<Outcome(const LogRecord&)>& visit);
  // The head row: the last seq and hash that the writer committed.
  Result<std::pair<Seq, Digest>> head();

  Result<ReadTransaction> begin_read();

 private:
  struct Impl;
  explicit SqliteLog(std::unique_ptr<Impl> impl);
  void end_read() noexcept;

  std::unique_ptr<Impl> impl_;
  Seq last_seq_ = 0;
  Digest last_hash_{};
};

}  // namespace ballast
