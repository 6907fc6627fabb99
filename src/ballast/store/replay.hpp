#pragma once
// Replay and verification of a log (`ballast replay --db FILE`).
//
// replay_log() checks the following and reports the first failure in this order (a broken chain
// explains everything after it, so it outranks any replay disagreement found earlier in the
// pass), with an Error whose message names the record or snapshot and what is wrong:
//   1. the chain, over every record: seqs 1, 2, 3, ... without gap or repeat; each prev_hash
//      equals the previous record's hash; each hash recomputes from the record's content;
//   2. the head row: the log ends at the seq and hash the writer last committed (truncation);
//   3. the snapshot: its state bytes hash to its recorded state hash, decode, and re-encode to
//      the same bytes; no snapshot lies beyond the last record;
//   4. the tail: re-applying records after the snapshot reproduces every recorded outcome;
//   5. every later snapshot passed on the way has the state hash the engine reaches there.
// Damaged data is ErrorCode::corrupt, a replay that disagrees with the log ErrorCode::mismatch,
// a failing read ErrorCode::io. With from_genesis, replay starts from the engine the log's
// genesis describes (genesis.hpp: its risk configuration and options; `Engine()` for an empty
// genesis) instead of the latest snapshot, and checks every snapshot's state hash as it passes.
// The chain starts at the genesis hash (step 1 covers the genesis); a genesis that does not
// decode, or a starting snapshot whose configuration is not the genesis, is corrupt (step 3).
//
// It all happens in one pass over the records and inside one read transaction, so a log that
// another process appends to meanwhile is verified as it was when replay began.

#include <cstdint>
#include <functional>
#include <string>

#include "ballast/core/result.hpp"
#include "ballast/engine/engine.hpp"
#include "ballast/store/sqlite_log.hpp"

namespace ballast {

struct ReplayOptions {
  bool from_genesis = false;
  // Called every so often with (records done, records total) for a progress line.
  std::function<void(Seq, Seq)> progress;
};

struct ReplayReport {
  Seq records = 0;            // records in the log
  Seq snapshot_seq = 0;       // where replay started (0: genesis)
  Seq replayed = 0;           // records re-applied
  Seq snapshots_checked = 0;  // the starting snapshot and those passed on the way
  Digest state_hash{};
  Engine engine;  // the rebuilt state
};

Result<ReplayReport> replay_log(SqliteLog& log, const ReplayOptions& options);

}  // namespace ballast
