#pragma once
// Feeding a stream of events to the engine, durably (through a Journal on a SQLite log) or in
// memory, with progress and per-status counts. Shared by `apply` and `demo`.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "ballast/engine/engine.hpp"
#include "ballast/margin/account.hpp"
#include "ballast/store/journal.hpp"
#include "cli.hpp"

namespace ballast::cli {

struct FeedOptions {
  std::string db_path;  // empty: in memory only
  bool replace_db = false;
  std::size_t batch_size_max = 1024;
  Seq snapshot_every = 50'000;
  // The venue's risk configuration (`--venue`) and the engine options its file sets: the engine
  // is built with both, and a new log records them as its genesis. An existing log must have
  // this genesis (else invalid_input naming both). Without a risk configuration, in memory is
  // `Engine()` (engine_options unused), and a log runs on its own genesis (a new log gets the
  // empty one).
  std::optional<margin::RiskConfig> risk;
  EngineOptions engine_options;
  std::string venue_path;  // what errors call the venue
};

struct FeedResult {
  std::uint64_t counts[kStatusCount] = {};
  double elapsed_s = 0;
  Digest state_hash{};
  std::uint64_t events = 0;
};

// next() yields events until it returns nullopt; `total` sizes the progress line.
using EventSource = std::function<std::optional<Event>()>;

class Feeder {
 public:
  static Result<std::unique_ptr<Feeder>> open(const FeedOptions& options);
  ~Feeder();

  // Applies every event of the source, commits and snapshots at the end.
  Result<FeedResult> run(const EventSource& source, std::uint64_t total, const std::string& label);
  const Engine& engine() const;
  SqliteLog* log() { return log_ ? &*log_ : nullptr; }

 private:
  Feeder() = default;
  std::optional<SqliteLog> log_;
  std::optional<Journal> journal_;
  Engine memory_engine_;
};

}  // namespace ballast::cli
