#include "ballast/store/replay.hpp"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "ballast/engine/codec.hpp"
#include "ballast/store/genesis.hpp"

namespace ballast {
namespace {

constexpr Seq kProgressEveryRecords = Seq{1} << 16;

std::string record_name(Seq seq) { return "record " + std::to_string(seq); }
std::string snapshot_name(Seq seq) { return "snapshot at seq " + std::to_string(seq); }

Error corrupt(std::string message) { return make_error(ErrorCode::corrupt, std::move(message)); }

// Step 1 record by record, then step 2: the hash chain and where it ends.
class ChainCheck {
 public:
  // `anchor`: genesis_hash() of the log's genesis, record 1's prev_hash.
  explicit ChainCheck(const Digest& anchor) : hash_(anchor), anchored_(anchor != Digest{}) {}

  Outcome check(const LogRecord& record) {
    if (record.seq != seq_ + 1) {
      return seq_error(record.seq);
    }
    if (record.prev_hash != hash_) {
      return link_error(record.seq);
    }
    // One SHA-256 per record: its own hash is both its checksum and the next record's anchor.
    if (record_hash(record.seq, record.event, record.outcome, record.prev_hash) != record.hash) {
      return corrupt(record_name(record.seq) + ": checksum mismatch (content altered)");
    }
    seq_ = record.seq;
    hash_ = record.hash;
    return Ok{};
  }

  Outcome check_head(Seq head_seq, const Digest& head_hash) const {
    const std::string head = " but the head says " + std::to_string(head_seq);
    if (head_seq > seq_) {
      return corrupt(seq_ == 0 ? "log truncated: no records" + head
                               : "log truncated: last record is " + std::to_string(seq_) + head);
    }
    if (head_seq < seq_) {
      return corrupt("log has records beyond its head: last record is " + std::to_string(seq_) +
                     head + " (records added outside a commit)");
    }
    if (head_hash != hash_) {
      return corrupt(seq_ == 0 ? (anchored_ ? "head hash of an empty log is not its genesis hash "
                                              "(the genesis or the head was altered)"
                                            : "head hash is not the zero hash of an empty log")
                               : "head hash does not match hash of record " + std::to_string(seq_) +
                                     " (the log was rewritten)");
    }
    return Ok{};
  }

  Seq last_seq() const { return seq_; }

 private:
  Error seq_error(Seq seq) const {
    if (seq <= seq_) {
      return corrupt(record_name(seq) + ": out of order after record " + std::to_string(seq_) +
                     " (seq repeated or going backwards)");
    }
    const Seq first_missing = seq_ + 1;
    const std::string missing = seq - first_missing == 1
                                    ? "record " + std::to_string(first_missing) + " is missing"
                                    : "records " + std::to_string(first_missing) + ".." +
                                          std::to_string(seq - 1) + " are missing";
    return corrupt(record_name(seq) + ": seq gap, " + missing + " (records removed)");
  }
  Error link_error(Seq seq) const {
    if (seq_ == 0) {
      return corrupt(record_name(seq) + ": prev_hash does not match " +
                     (anchored_ ? "the genesis hash" : "the zero hash of an empty genesis") +
                     " that starts the chain (the genesis was altered, or records reordered, "
                     "removed or inserted)");
    }
    return corrupt(record_name(seq) + ": prev_hash does not match hash of record " +
                   std::to_string(seq_) + " (records reordered, removed or inserted)");
  }

  Seq seq_ = 0;
  Digest hash_;    // prev_hash(seq_ + 1): at first the genesis hash
  bool anchored_;  // the genesis is not empty
};

// Step 3 for the snapshot replay starts from. Its configuration must be the log's genesis: the
// configuration is fixed at construction (changing it at run time is for governance events).
Result<Engine> restore_snapshot(const SnapshotRecord& snapshot, std::string_view genesis) {
  const std::string where = snapshot_name(snapshot.seq) + ": ";
  if (sha256(snapshot.state) != snapshot.state_hash) {
    return corrupt(where + "state hash mismatch");
  }
  auto engine = Engine::restore(snapshot.state);
  if (!engine) {
    return corrupt(where + engine.error().message);
  }
  if (engine->state_hash() != snapshot.state_hash) {
    return corrupt(where + "the state does not re-encode to the same bytes (not canonical)");
  }
  if (encode_genesis(*engine) != genesis) {
    return corrupt(where + "its risk configuration or engine options (" +
                   describe_genesis(encode_genesis(*engine)) + ") are not the log's genesis (" +
                   describe_genesis(genesis) + ")");
  }
  return engine;
}

class Replayer {
 public:
  Replayer(SqliteLog& log, const ReplayOptions& options)
      : log_(log), options_(options), chain_(genesis_hash(log.genesis())) {}

  Result<ReplayReport> run();

 private:
  Outcome start();
  Outcome visit(const LogRecord& record);
  Outcome replay(const LogRecord& record);
  Outcome check_snapshots_reached(Seq seq);
  Outcome check_snapshot(const SnapshotRecord& entry);
  Outcome check_no_snapshot_beyond(Seq last_seq) const;

  // A failure of steps 3-5 is held back while the chain is still being checked (it ranks
  // below any chain or head failure) and ends the replay, not the scan.
  Outcome defer(Error error) {
    deferred_ = std::move(error);
    replaying_ = false;
    return Ok{};
  }

  SqliteLog& log_;
  const ReplayOptions& options_;
  ChainCheck chain_;
  Seq head_seq_ = 0;
  Engine engine_;
  Seq start_seq_ = 0;
  Seq replayed_ = 0;
  Seq snapshots_checked_ = 0;
  bool replaying_ = true;
  std::vector<SnapshotRecord> snapshots_;  // seq and state hash of each, in seq order
  std::size_t next_snapshot_ = 0;          // the first one replay has not reached yet
  std::optional<Error> deferred_;
};

Result<ReplayReport> Replayer::run() {
  auto reading = log_.begin_read();
  if (!reading) return std::move(reading).error();
  auto head = log_.head();
  if (!head) return std::move(head).error();
  head_seq_ = head->first;
  auto index = log_.snapshot_index();
  if (!index) return std::move(index).error();
  snapshots_ = std::move(*index);
  if (auto started = start(); !started) return std::move(started).error();
  if (auto reached = check_snapshots_reached(start_seq_); !reached) {
    return std::move(reached).error();
  }
  auto scanned = log_.scan(1, [this](const LogRecord& record) { return visit(record); });
  if (!scanned) return std::move(scanned).error();
  if (auto ended = chain_.check_head(head->first, head->second); !ended) {
    return std::move(ended).error();
  }
  if (auto beyond = check_no_snapshot_beyond(chain_.last_seq()); !beyond) {
    return std::move(beyond).error();
  }
  if (deferred_) return *std::move(deferred_);
  if (options_.progress) options_.progress(chain_.last_seq(), head_seq_);
  ReplayReport report;
  report.records = chain_.last_seq();
  report.snapshot_seq = start_seq_;
  report.replayed = replayed_;
  report.snapshots_checked = snapshots_checked_;
  report.state_hash = engine_.state_hash();
  report.engine = std::move(engine_);
  return report;
}

// Picks the starting state: genesis, or the latest snapshot (step 3).
Outcome Replayer::start() {
  bool from_snapshot = false;
  if (!options_.from_genesis) {
    auto latest = log_.latest_snapshot();
    if (!latest) return std::move(latest).error();
    if (*latest) {
      const SnapshotRecord& snapshot = **latest;
      start_seq_ = snapshot.seq;
      auto restored = restore_snapshot(snapshot, log_.genesis());
      if (!restored) return defer(std::move(restored).error());
      engine_ = std::move(*restored);
      ++snapshots_checked_;
      from_snapshot = true;
    }
  }
  if (!from_snapshot) {
    auto built = engine_from_genesis(log_.genesis());
    if (!built) return defer(std::move(built).error());
    engine_ = std::move(*built);
  }
  // Later snapshots are checked as replay reaches them; from genesis that is every one.
  const auto first_ahead =
      std::find_if(snapshots_.begin(), snapshots_.end(), [this](const SnapshotRecord& entry) {
        return options_.from_genesis ? entry.seq >= start_seq_ : entry.seq > start_seq_;
      });
  next_snapshot_ = static_cast<std::size_t>(first_ahead - snapshots_.begin());
  return Ok{};
}

// Errors returned here stop the scan: chain failures (step 1) and failing reads.
Outcome Replayer::visit(const LogRecord& record) {
  if (auto linked = chain_.check(record); !linked) {
    return linked;
  }
  if (replaying_ && record.seq > start_seq_) {
    if (auto replayed = replay(record); !replayed) return replayed;
  }
  if (options_.progress && record.seq % kProgressEveryRecords == 0) {
    options_.progress(record.seq, head_seq_);
  }
  return Ok{};
}

// Step 4 for one record, then step 5 if a snapshot was taken there.
Outcome Replayer::replay(const LogRecord& record) {
  auto event = decode_event(record.event);
  if (!event) {
    return defer(
        corrupt(record_name(record.seq) + ": event does not decode: " + event.error().message));
  }
  const Status replayed = engine_.apply(*event);
  if (replayed != record.outcome) {
    return defer(make_error(ErrorCode::mismatch,
                            record_name(record.seq) + ": outcome differs: logged " +
                                std::string(status_name(record.outcome)) + ", replay gives " +
                                std::string(status_name(replayed))));
  }
  ++replayed_;
  return check_snapshots_reached(record.seq);
}

Outcome Replayer::check_snapshots_reached(Seq seq) {
  while (replaying_ && next_snapshot_ < snapshots_.size() &&
         snapshots_[next_snapshot_].seq <= seq) {
    if (auto checked = check_snapshot(snapshots_[next_snapshot_]); !checked) return checked;
    ++next_snapshot_;
  }
  return Ok{};
}

Outcome Replayer::check_snapshot(const SnapshotRecord& entry) {
  const std::string where = snapshot_name(entry.seq) + ": ";
  auto stored = log_.snapshot_at(entry.seq);
  if (!stored) return std::move(stored).error();
  if (!*stored || sha256((*stored)->state) != entry.state_hash) {
    return defer(corrupt(where + "state hash mismatch"));
  }
  const Digest reached = engine_.state_hash();
  if (reached != entry.state_hash) {
    return defer(make_error(ErrorCode::mismatch, where + "replay reaches state hash " +
                                                     to_hex(reached) + ", the snapshot records " +
                                                     to_hex(entry.state_hash)));
  }
  ++snapshots_checked_;
  return Ok{};
}

Outcome Replayer::check_no_snapshot_beyond(Seq last_seq) const {
  if (!snapshots_.empty() && snapshots_.back().seq > last_seq) {
    return corrupt(snapshot_name(snapshots_.back().seq) + " is beyond the last record " +
                   std::to_string(last_seq));
  }
  return Ok{};
}

}  // namespace

Result<ReplayReport> replay_log(SqliteLog& log, const ReplayOptions& options) {
  return Replayer(log, options).run();
}

}  // namespace ballast
