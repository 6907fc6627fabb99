#include "feed.hpp"

#include <chrono>
#include <filesystem>

#include "ballast/store/genesis.hpp"

namespace ballast::cli {

Result<std::unique_ptr<Feeder>> Feeder::open(const FeedOptions& options) {
  std::unique_ptr<Feeder> feeder(new Feeder());
  std::string genesis;  // the empty genesis: Engine()
  if (options.risk) {
    auto built = Engine::make(*options.risk, options.engine_options);
    if (!built) {
      return make_error(ErrorCode::invalid_input,
                        options.venue_path + ": " + built.error().message);
    }
    genesis = encode_genesis(*built);
    feeder->memory_engine_ = std::move(*built);
  }
  if (options.db_path.empty()) {
    return feeder;
  }
  if (options.replace_db) {
    std::error_code ignored;
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(options.db_path + suffix, ignored);
    }
  }
  auto log = SqliteLog::open(options.db_path, OpenMode::create_or_open, genesis);
  if (!log) return std::move(log).error();
  if (options.risk && log->genesis() != genesis) {
    return make_error(ErrorCode::invalid_input,
                      options.db_path + ": --venue " + options.venue_path + " (" +
                          describe_genesis(genesis) + ") does not match the log's genesis (" +
                          describe_genesis(log->genesis()) +
                          "); omit --venue to continue the log with its own");
  }
  feeder->log_.emplace(std::move(*log));
  auto journal = Journal::open(*feeder->log_,
                               JournalOptions{options.batch_size_max, options.snapshot_every});
  if (!journal) return std::move(journal).error();
  feeder->journal_.emplace(std::move(*journal));
  return feeder;
}

Feeder::~Feeder() = default;

const Engine& Feeder::engine() const {
  return journal_ ? journal_->engine() : memory_engine_;
}

Result<FeedResult> Feeder::run(const EventSource& source, std::uint64_t total,
                               const std::string& label) {
  FeedResult result;
  Progress progress(label, total);
  const auto started = std::chrono::steady_clock::now();
  while (auto event = source()) {
    Status status = Status::ok;
    if (journal_) {
      auto submitted = journal_->submit(*event);
      if (!submitted) return std::move(submitted).error();
      status = *submitted;
    } else {
      status = memory_engine_.apply(*event);
    }
    ++result.counts[static_cast<std::uint8_t>(status)];
    progress.update(++result.events);
  }
  if (journal_) {
    if (auto committed = journal_->commit(); !committed) return std::move(committed).error();
    if (auto snapshot = journal_->write_snapshot(); !snapshot) return std::move(snapshot).error();
  }
  progress.finish();
  result.elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  result.state_hash = engine().state_hash();
  return result;
}

}  // namespace ballast::cli
