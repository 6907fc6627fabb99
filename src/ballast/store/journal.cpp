#include "ballast/store/journal.hpp"

#include <utility>

#include "ballast/engine/codec.hpp"
#include "ballast/store/replay.hpp"

namespace ballast {

Journal::Journal(SqliteLog& log, Engine engine, JournalOptions options, Seq snapshot_seq)
    : log_(&log), engine_(std::move(engine)), options_(options), snapshot_seq_(snapshot_seq) {
  pending_.reserve(options_.batch_size_max);
}

Result<Journal> Journal::open(SqliteLog& log, JournalOptions options) {
  if (options.batch_size_max == 0) {
    return make_error(ErrorCode::invalid_input, "journal: batch_size_max must be at least 1");
  }
  auto replayed = replay_log(log, ReplayOptions{});
  if (!replayed) {
    return std::move(replayed).error();
  }
  // Non-genesis replay starts at the latest snapshot, so this is where the last one was taken.
  const Seq snapshot_seq = replayed->snapshot_seq;
  return Journal(log, std::move(replayed->engine), options, snapshot_seq);
}

Result<Status> Journal::submit(const Event& event) {
  if (halted_) {
    return halted_error();
  }
  const Status status = engine_.apply(event);
  pending_.push_back(PendingRecord{encode_event(event), status});
  if (pending_.size() >= options_.batch_size_max) {
    if (auto committed = commit(); !committed) {
      return std::move(committed).error();
    }
  }
  return status;
}

Outcome Journal::commit() {
  if (halted_) {
    return halted_error();
  }
  if (pending_.empty()) {
    return Ok{};
  }
  const Seq before = log_->last_seq();
  if (auto appended = log_->append(pending_); !appended) {
    halted_ = true;
    halt_reason_ = appended.error().message;
    return make_error(appended.error().code, "journal halted: committing " +
                                                 std::to_string(pending_.size()) +
                                                 " records after seq " + std::to_string(before) +
                                                 " failed: " + halt_reason_);
  }
  pending_.clear();
  const Seq every = options_.snapshot_every;
  if (every != 0 && log_->last_seq() / every != before / every) {
    return snapshot_now();
  }
  return Ok{};
}

Outcome Journal::write_snapshot() {
  if (auto committed = commit(); !committed) {
    return committed;
  }
  return snapshot_seq_ == log_->last_seq() ? Outcome(Ok{}) : snapshot_now();
}

Outcome Journal::snapshot_now() {
  SnapshotRecord snapshot{log_->last_seq(), {}, engine_.snapshot()};
  snapshot.state_hash = sha256(snapshot.state);
  if (auto written = log_->write_snapshot(snapshot); !written) {
    // The records are committed; only the shortcut for the next open is missing.
    return make_error(
        written.error().code,
        "records up to seq " + std::to_string(snapshot.seq) +
            " are committed, but writing their snapshot failed: " + written.error().message);
  }
  snapshot_seq_ = snapshot.seq;
  return Ok{};
}

Error Journal::halted_error() const {
  return make_error(ErrorCode::io,
                    "journal halted after a failed commit (" + halt_reason_ +
                        "); the engine is ahead of the log: reopen the log to continue from it");
}

}  // namespace ballast
