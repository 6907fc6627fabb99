#pragma once
// Journal: the engine and its durable log together. submit() applies an event to the engine and
// queues the record; commit() writes the queue as one batch. Nothing is acknowledged before its
// batch is committed; records still queued when a Journal is destroyed are dropped, never
// acknowledged. If a commit fails the journal stops accepting events (halt rather than drop, as
// Nautilus's writer does): the in-memory state is then ahead of the log and only a replay may
// continue from the log.

#include <cstddef>
#include <string>
#include <vector>

#include "ballast/engine/engine.hpp"
#include "ballast/store/sqlite_log.hpp"

namespace ballast {

struct JournalOptions {
  std::size_t batch_size_max = 1024;  // records per transaction (and per fsync)
  Seq snapshot_every = 0;             // write a snapshot every N records; 0 = never automatically
};

class Journal {
 public:
  // Restores engine state from `log` (its latest snapshot, or the engine its genesis describes,
  // plus the tail, verified by replay_log) before accepting new events. A new log's venue is
  // the genesis it was created with (SqliteLog::open). `log` must outlive the journal.
  static Result<Journal> open(SqliteLog& log, JournalOptions options);

  // Applies the event and queues its record; commits when the batch is full.
  // An error here is an I/O failure of that commit, never a business rejection.
  Result<Status> submit(const Event& event);
  // Writes every queued record; after ok, all of them are acknowledged. Writes a snapshot too
  // when the batch crossed a multiple of snapshot_every; if only that fails, the records are
  // still acknowledged (acknowledged_seq() says so) and the error says so.
  Outcome commit();
  // Commits, then snapshots the state at acknowledged_seq() (unless one is there already).
  Outcome write_snapshot();

  const Engine& engine() const { return engine_; }
  Seq acknowledged_seq() const { return log_->last_seq(); }
  std::size_t pending() const { return pending_.size(); }

 private:
  Journal(SqliteLog& log, Engine engine, JournalOptions options, Seq snapshot_seq);

  Outcome snapshot_now();
  Error halted_error() const;

  SqliteLog* log_;
  Engine engine_;
  JournalOptions options_;
  std::vector<PendingRecord> pending_;
  Seq snapshot_seq_ = 0;  // the latest snapshot in the log
  bool halted_ = false;
  std::string halt_reason_;
};

}  // namespace ballast
