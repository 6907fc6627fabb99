#include "ballast/store/sqlite_log.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <limits>

#include "ballast/core/assert.hpp"

namespace ballast {
namespace {

constexpr std::string_view kFormatName = "ballast-log";
// How long a statement waits for another connection's lock (a checkpoint, a second writer's
// transaction) before failing with "database is locked".
constexpr int kBusyTimeoutMs = 5000;
// Events longer than this (never written by the engine's codec) are hashed piecewise.
constexpr std::size_t kInlineEventBytesMax = 256;
constexpr std::size_t kHashHeaderBytes = 8 + 4;    // seq, length
constexpr std::size_t kHashTrailerBytes = 1 + 32;  // outcome, prev_hash

// ---- record hash --------------------------------------------------------------------------

// One reused SHA-256 context, and the record's small parts gathered into one buffer: each
// update call has a fixed cost comparable to hashing a block, and replay hashes every record.
class RecordHasher {
 public:
  Digest hash(Seq seq, std::string_view event, Status outcome, const Digest& prev_hash) {
    std::array<char, kHashHeaderBytes + kInlineEventBytesMax + kHashTrailerBytes> buffer;
    put_le(buffer.data(), seq, 8);
    put_le(buffer.data() + 8, static_cast<std::uint32_t>(event.size()), 4);
    std::size_t used = kHashHeaderBytes;
    if (event.size() <= kInlineEventBytesMax) {
      std::memcpy(buffer.data() + used, event.data(), event.size());
      used += event.size();
    } else {
      sha_.update(std::string_view(buffer.data(), used));
      sha_.update(event);
      used = 0;
    }
    buffer[used] = static_cast<char>(outcome);
    std::memcpy(buffer.data() + used + 1, prev_hash.data(), prev_hash.size());
    sha_.update(std::string_view(buffer.data(), used + kHashTrailerBytes));
    return sha_.finish();
  }

 private:
  static void put_le(char* out, std::uint64_t value, int width) {
    for (int i = 0; i < width; ++i) {
      out[i] = static_cast<char>((value >> (8 * i)) & 0xffu);
    }
  }

  Sha256 sha_;
};

// ---- SQLite handles -----------------------------------------------------------------------

struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const noexcept { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

struct DatabaseCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};

// Resets a statement when one use of it ends, on every path out: the next use starts clean and
// the read lock a half-stepped statement holds is released.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* statement) : statement_(statement) {}
  ~StatementUse() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;
  sqlite3_stmt* get() const { return statement_; }

 private:
  sqlite3_stmt* statement_;
};

std::int64_t seq_param(Seq seq) {
  return static_cast<std::int64_t>(std::min<Seq>(seq, std::numeric_limits<std::int64_t>::max()));
}

void bind_blob(sqlite3_stmt* statement, int index, const void* data, std::size_t size) {
  // SQLITE_STATIC: the bytes outlive the step that reads them.
  sqlite3_bind_blob64(statement, index, data, static_cast<sqlite3_uint64>(size), SQLITE_STATIC);
}

std::string_view column_bytes(sqlite3_stmt* statement, int column) {
  const void* data = sqlite3_column_blob(statement, column);
  const int size = sqlite3_column_bytes(statement, column);
  if (data == nullptr || size <= 0) {
    return {};
  }
  return {static_cast<const char*>(data), static_cast<std::size_t>(size)};
}

// False when the column does not hold exactly 32 bytes.
bool column_digest(sqlite3_stmt* statement, int column, Digest& digest) {
  const std::string_view bytes = column_bytes(statement, column);
  if (bytes.size() != digest.size()) {
    return false;
  }
  std::memcpy(digest.data(), bytes.data(), digest.size());
  return true;
}

ErrorCode error_code_for(int sqlite_code) {
  switch (sqlite_code & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ErrorCode::corrupt;
    default:
      return ErrorCode::io;
  }
}

}  // namespace

Digest record_hash(Seq seq, std::string_view event, Status outcome, const Digest& prev_hash) {
  thread_local RecordHasher hasher;
  return hasher.hash(seq, event, outcome, prev_hash);
}

Digest genesis_hash(std::string_view genesis) {
  return genesis.empty() ? Digest{} : sha256(genesis);
}

// ---- the connection -----------------------------------------------------------------------

struct SqliteLog::Impl {
  std::string path;
  OpenMode mode;
  std::string genesis;  // as read at open (or written, when open created the log)
  bool created = false;
  std::unique_ptr<sqlite3, DatabaseCloser> db;  // declared first: closed after the statements
  Statement begin_write, commit, rollback, insert_event, update_head, select_head;

  Impl(std::string path_, OpenMode mode_) : path(std::move(path_)), mode(mode_) {}

  bool read_only() const { return mode == OpenMode::read_only; }

  Error fail(ErrorCode code, std::string_view what) const {
    return make_error(code, path + ": " + std::string(what));
  }
  Error sqlite_error(int code, std::string_view doing) const {
    if ((code & 0xff) == SQLITE_NOTADB) {
      return fail(ErrorCode::corrupt, "not a Ballast log (not an SQLite database)");
    }
    const char* detail = db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(code);
    return fail(error_code_for(code), std::string(doing) + ": " + detail);
  }

  Outcome connect();
  Result<std::vector<std::string>> table_names();
  Result<std::optional<std::string>> meta_value(std::string_view key);
  Outcome check_schema(const std::vector<std::string>& tables, int& version);
  Outcome read_genesis();
  Outcome configure();
  Outcome create_schema(std::string_view genesis);
  Outcome prepare_cached();

  Result<Statement> prepare(std::string_view sql) {
    sqlite3_stmt* raw = nullptr;
    const int code =
        sqlite3_prepare_v2(db.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
    Statement statement(raw);
    if (code != SQLITE_OK) {
      return sqlite_error(code, "preparing a statement");
    }
    return statement;
  }
  Outcome exec(const char* sql, std::string_view doing) {
    const int code = sqlite3_exec(db.get(), sql, nullptr, nullptr, nullptr);
    if (code != SQLITE_OK) {
      return sqlite_error(code, doing);
    }
    return Ok{};
  }
  // Runs a statement that returns no rows.
  Outcome step_done(sqlite3_stmt* statement, std::string_view doing) {
    const StatementUse use(statement);
    const int code = sqlite3_step(statement);
    if (code != SQLITE_DONE) {
      return sqlite_error(code, doing);
    }
    return Ok{};
  }
  // Steps through every row, handing each to on_row; stops at the first error.
  template <typename OnRow>
  Outcome each_row(sqlite3_stmt* statement, std::string_view doing, OnRow&& on_row) {
    const StatementUse use(statement);
    for (;;) {
      const int code = sqlite3_step(statement);
      if (code == SQLITE_DONE) {
        return Ok{};
      }
      if (code != SQLITE_ROW) {
        return sqlite_error(code, doing);
      }
      if (auto handled = on_row(statement); !handled) {
        return handled;
      }
    }
  }

  // One write transaction around body: all of it is stored, or (on any error) none of it.
  template <typename Body>
  Outcome in_write_transaction(Body&& body) {
    if (read_only()) {
      return fail(ErrorCode::io, "the log is open read-only");
    }
    if (auto begun = step_done(begin_write.get(), "starting a write transaction"); !begun) {
      return begun;
    }
    Outcome done = body();
    if (done) {
      done = step_done(commit.get(), "committing");
    }
    if (!done && sqlite3_get_autocommit(db.get()) == 0) {
      (void)step_done(rollback.get(), "rolling back");  // the first error is the one to report
    }
    return done;
  }

  Outcome check_head_unchanged(Seq seq, const Digest& hash);
  Outcome insert_record(Seq seq, const PendingRecord& record, const Digest& prev_hash,
                        const Digest& hash);
  Outcome set_head(Seq seq, const Digest& hash);
  Outcome read_record(sqlite3_stmt* row, LogRecord& record) const;
  Outcome read_snapshot(sqlite3_stmt* row, SnapshotRecord& snapshot) const;
  Result<std::optional<SnapshotRecord>> one_snapshot(std::string_view sql, std::optional<Seq> seq);
};

Outcome SqliteLog::Impl::connect() {
  if (read_only()) {
    std::error_code error;
    const auto status = std::filesystem::status(path, error);
    if (!std::filesystem::exists(status)) {
      return fail(ErrorCode::not_found, "no such log file");
    }
    if (std::filesystem::is_directory(status)) {
      return fail(ErrorCode::invalid_input, "is a directory, not a log file");
    }
  } else {
    std::error_code error;
    const auto directory = std::filesystem::path(path).parent_path();
    if (!directory.empty() && !std::filesystem::is_directory(directory, error)) {
      return fail(ErrorCode::not_found, "no such directory to create the log in");
    }
  }
  // NOMUTEX: one SqliteLog is used from one thread at a time (sqlite_log.hpp).
  const int flags =
      SQLITE_OPEN_NOMUTEX |
      (read_only() ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3* raw = nullptr;
  const int code = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  db.reset(raw);  // sqlite3_open_v2 hands out a handle even when it fails
  if (code != SQLITE_OK) {
    return sqlite_error(code, "cannot open");
  }
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  return Ok{};
}

Result<std::vector<std::string>> SqliteLog::Impl::table_names() {
  auto statement = prepare("SELECT name FROM sqlite_schema WHERE type = 'table'");
  if (!statement) {
    return std::move(statement).error();
  }
  std::vector<std::string> names;
  auto listed = each_row(statement->get(), "reading the schema", [&](sqlite3_stmt* row) -> Outcome {
    names.emplace_back(column_bytes(row, 0));
    return Ok{};
  });
  if (!listed) {
    return std::move(listed).error();
  }
  return names;
}

Result<std::optional<std::string>> SqliteLog::Impl::meta_value(std::string_view key) {
  auto statement = prepare("SELECT value FROM meta WHERE key = ?1");
  if (!statement) {
    return std::move(statement).error();
  }
  sqlite3_bind_text(statement->get(), 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  std::optional<std::string> value;
  auto read = each_row(statement->get(), "reading meta", [&](sqlite3_stmt* row) -> Outcome {
    value.emplace(column_bytes(row, 0));
    return Ok{};
  });
  if (!read) {
    return std::move(read).error();
  }
  return value;
}

Outcome SqliteLog::Impl::check_schema(const std::vector<std::string>& tables, int& version) {
  const auto has = [&tables](std::string_view name) {
    return std::find(tables.begin(), tables.end(), name) != tables.end();
  };
  if (!has("meta")) {
    return fail(ErrorCode::corrupt,
                "not a Ballast log (an SQLite database without its meta table)");
  }
  auto format = meta_value("format");
  if (!format) return std::move(format).error();
  if (!*format || **format != kFormatName) {
    return fail(ErrorCode::corrupt,
                "not a Ballast log (meta format is '" + format->value_or("(none)") + "')");
  }
  auto version_text = meta_value("version");
  if (!version_text) return std::move(version_text).error();
  version = 0;
  for (int known = kLogFormatVersionOldest; known <= kLogFormatVersion; ++known) {
    if (*version_text == std::to_string(known)) version = known;
  }
  if (version == 0) {
    return fail(ErrorCode::corrupt, "log format version '" + version_text->value_or("(none)") +
                                        "' is not supported (this build reads " +
                                        std::to_string(kLogFormatVersionOldest) + " to " +
                                        std::to_string(kLogFormatVersion) + ")");
  }
  for (const char* table : {"events", "snapshots", "head", "genesis"}) {
    if (!has(table) && (version >= 2 || std::string_view(table) != "genesis")) {
      return fail(ErrorCode::corrupt, std::string("damaged Ballast log: no ") + table + " table");
    }
  }
  return Ok{};
}

Outcome SqliteLog::Impl::read_genesis() {
  auto statement = prepare("SELECT genesis FROM genesis WHERE id = 1");
  if (!statement) return std::move(statement).error();
  bool found = false;
  auto read = each_row(statement->get(), "reading the genesis", [&](sqlite3_stmt* row) -> Outcome {
    if (sqlite3_column_type(row, 0) != SQLITE_BLOB) {
      return fail(ErrorCode::corrupt, "damaged Ballast log: the genesis is not a blob");
    }
    genesis.assign(column_bytes(row, 0));
    found = true;
    return Ok{};
  });
  if (!read) return read;
  if (!found) {
    return fail(ErrorCode::corrupt, "damaged Ballast log: the genesis row is missing");
  }
  return Ok{};
}

Outcome SqliteLog::Impl::configure() {
  auto statement = prepare("PRAGMA journal_mode = WAL");
  if (!statement) return std::move(statement).error();
  std::string journal_mode;
  auto set = each_row(statement->get(), "switching to WAL mode", [&](sqlite3_stmt* row) -> Outcome {
    journal_mode = std::string(column_bytes(row, 0));
    return Ok{};
  });
  if (!set) return set;
  if (journal_mode != "wal") {
    return fail(ErrorCode::io,
                "cannot switch to WAL mode (the journal mode stays " + journal_mode + ")");
  }
  // FULL: a commit is on disk (the WAL fsynced) before append() returns.
  return exec("PRAGMA synchronous = FULL", "setting synchronous = FULL");
}

Outcome SqliteLog::Impl::create_schema(std::string_view genesis_bytes) {
  // One transaction: a writer killed half-way leaves an empty database, never half a schema
  // (nor a schema without its genesis).
  const std::string sql =
      "BEGIN IMMEDIATE;"
      "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
      "CREATE TABLE events(seq INTEGER PRIMARY KEY, event BLOB NOT NULL, outcome INTEGER NOT NULL,"
      " prev_hash BLOB NOT NULL, hash BLOB NOT NULL);"
      "CREATE TABLE snapshots(seq INTEGER PRIMARY KEY, state_hash BLOB NOT NULL,"
      " state BLOB NOT NULL);"
      "CREATE TABLE head(id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL,"
      " hash BLOB NOT NULL);"
      "CREATE TABLE genesis(id INTEGER PRIMARY KEY CHECK (id = 1), genesis BLOB NOT NULL);"
      "INSERT INTO meta VALUES('format', '" +
      std::string(kFormatName) + "'), ('version', '" + std::to_string(kLogFormatVersion) +
      "');";
  auto made = exec(sql.c_str(), "creating the log");
  const auto insert = [&](const char* statement_sql, std::string_view blob) -> Outcome {
    auto statement = prepare(statement_sql);
    if (!statement) return std::move(statement).error();
    bind_blob(statement->get(), 1, blob.data(), blob.size());
    return step_done(statement->get(), "creating the log");
  };
  const Digest anchor = genesis_hash(genesis_bytes);
  // zeroblob(0) rather than NULL for the empty genesis: the column is NOT NULL.
  if (made) {
    made = genesis_bytes.empty()
               ? exec("INSERT INTO genesis VALUES(1, zeroblob(0))", "creating the log")
               : insert("INSERT INTO genesis VALUES(1, ?1)", genesis_bytes);
  }
  if (made) {
    made = insert("INSERT INTO head VALUES(1, 0, ?1)",
                  std::string_view(reinterpret_cast<const char*>(anchor.data()), anchor.size()));
  }
  if (made) made = exec("COMMIT", "creating the log");
  if (!made && sqlite3_get_autocommit(db.get()) == 0) {
    (void)exec("ROLLBACK", "rolling back");
  }
  return made;
}

Outcome SqliteLog::Impl::prepare_cached() {
  struct Cached {
    Statement* statement;
    const char* sql;
  };
  const Cached read[] = {{&select_head, "SELECT seq, hash FROM head WHERE id = 1"}};
  const Cached write[] = {
      {&begin_write, "BEGIN IMMEDIATE"},
      {&commit, "COMMIT"},
      {&rollback, "ROLLBACK"},
      {&insert_event,
       "INSERT INTO events(seq, event, outcome, prev_hash, hash) VALUES(?1, ?2, ?3, ?4, ?5)"},
      {&update_head, "UPDATE head SET seq = ?1, hash = ?2 WHERE id = 1"},
  };
  for (const Cached& cached : read) {
    auto statement = prepare(cached.sql);
    if (!statement) return std::move(statement).error();
    *cached.statement = std::move(*statement);
  }
  if (read_only()) {
    return Ok{};
  }
  for (const Cached& cached : write) {
    auto statement = prepare(cached.sql);
    if (!statement) return std::move(statement).error();
    *cached.statement = std::move(*statement);
  }
  return Ok{};
}

Outcome SqliteLog::Impl::check_head_unchanged(Seq seq, const Digest& hash) {
  // Read inside the write transaction, so no other writer can move it before the commit.
  const StatementUse use(select_head.get());
  const int code = sqlite3_step(select_head.get());
  if (code != SQLITE_ROW) {
    return code == SQLITE_DONE ? fail(ErrorCode::corrupt, "the head row is missing")
                               : sqlite_error(code, "reading the head");
  }
  Digest on_disk{};
  const auto on_disk_seq = static_cast<Seq>(sqlite3_column_int64(select_head.get(), 0));
  if (on_disk_seq != seq || !column_digest(select_head.get(), 1, on_disk) || on_disk != hash) {
    return fail(ErrorCode::io, "another writer has appended to this log (its head is at seq " +
                                   std::to_string(on_disk_seq) + ", this writer is at " +
                                   std::to_string(seq) + ")");
  }
  return Ok{};
}

Outcome SqliteLog::Impl::insert_record(Seq seq, const PendingRecord& record,
                                       const Digest& prev_hash, const Digest& hash) {
  sqlite3_stmt* insert = insert_event.get();
  sqlite3_bind_int64(insert, 1, seq_param(seq));
  bind_blob(insert, 2, record.event.data(), record.event.size());
  sqlite3_bind_int(insert, 3, static_cast<int>(record.outcome));
  bind_blob(insert, 4, prev_hash.data(), prev_hash.size());
  bind_blob(insert, 5, hash.data(), hash.size());
  return step_done(insert, "appending record " + std::to_string(seq));
}

Outcome SqliteLog::Impl::set_head(Seq seq, const Digest& hash) {
  sqlite3_bind_int64(update_head.get(), 1, seq_param(seq));
  bind_blob(update_head.get(), 2, hash.data(), hash.size());
  if (auto updated = step_done(update_head.get(), "updating the head"); !updated) {
    return updated;
  }
  if (sqlite3_changes(db.get()) != 1) {
    return fail(ErrorCode::corrupt, "the head row is missing");
  }
  return Ok{};
}

Outcome SqliteLog::Impl::read_record(sqlite3_stmt* row, LogRecord& record) const {
  const std::int64_t seq = sqlite3_column_int64(row, 0);
  if (seq < 0) {
    return make_error(ErrorCode::corrupt, "record " + std::to_string(seq) + ": negative seq");
  }
  record.seq = static_cast<Seq>(seq);
  const auto where = [&record](std::string_view what) {
    return make_error(ErrorCode::corrupt,
                      "record " + std::to_string(record.seq) + ": " + std::string(what));
  };
  record.event.assign(column_bytes(row, 1));  // reuses the buffer: no allocation per record
  const std::int64_t outcome = sqlite3_column_int64(row, 2);
  const auto status = outcome >= 0 && outcome <= 0xff
                          ? status_from_value(static_cast<std::uint8_t>(outcome))
                          : std::nullopt;
  if (!status) {
    return where("outcome " + std::to_string(outcome) + " is not a known status");
  }
  record.outcome = *status;
  if (!column_digest(row, 3, record.prev_hash)) return where("prev_hash is not 32 bytes");
  if (!column_digest(row, 4, record.hash)) return where("hash is not 32 bytes");
  return Ok{};
}

Outcome SqliteLog::Impl::read_snapshot(sqlite3_stmt* row, SnapshotRecord& snapshot) const {
  const std::int64_t seq = sqlite3_column_int64(row, 0);
  const std::string where = "snapshot at seq " + std::to_string(seq) + ": ";
  if (seq < 0) {
    return make_error(ErrorCode::corrupt, where + "negative seq");
  }
  snapshot.seq = static_cast<Seq>(seq);
  if (!column_digest(row, 1, snapshot.state_hash)) {
    return make_error(ErrorCode::corrupt, where + "state hash is not 32 bytes");
  }
  snapshot.state.assign(column_bytes(row, 2));
  return Ok{};
}

Result<std::optional<SnapshotRecord>> SqliteLog::Impl::one_snapshot(std::string_view sql,
                                                                    std::optional<Seq> seq) {
  auto statement = prepare(sql);
  if (!statement) return std::move(statement).error();
  if (seq) {
    sqlite3_bind_int64(statement->get(), 1, seq_param(*seq));
  }
  std::optional<SnapshotRecord> snapshot;
  auto read = each_row(statement->get(), "reading a snapshot",
                       [&](sqlite3_stmt* row) { return read_snapshot(row, snapshot.emplace()); });
  if (!read) return std::move(read).error();
  return snapshot;
}

// ---- SqliteLog ----------------------------------------------------------------------------

SqliteLog::SqliteLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteLog::SqliteLog(SqliteLog&&) noexcept = default;
SqliteLog& SqliteLog::operator=(SqliteLog&&) noexcept = default;
SqliteLog::~SqliteLog() = default;

const std::string& SqliteLog::path() const { return impl_->path; }
const std::string& SqliteLog::genesis() const { return impl_->genesis; }
bool SqliteLog::created() const { return impl_->created; }

Result<SqliteLog> SqliteLog::open(const std::string& path, OpenMode mode,
                                  std::string_view genesis) {
  auto impl = std::make_unique<Impl>(path, mode);
  if (auto connected = impl->connect(); !connected) return std::move(connected).error();
  auto tables = impl->table_names();
  if (!tables) return std::move(tables).error();
  if (!tables->empty()) {
    // Checked before anything is written: opening someone else's database changes nothing.
    int version = 0;
    if (auto checked = impl->check_schema(*tables, version); !checked) {
      return std::move(checked).error();
    }
    if (version >= 2) {
      if (auto read = impl->read_genesis(); !read) return std::move(read).error();
    }
  } else if (impl->read_only()) {
    return impl->fail(ErrorCode::corrupt, "not a Ballast log (an empty database)");
  }
  if (!impl->read_only()) {
    if (auto configured = impl->configure(); !configured) return std::move(configured).error();
    if (tables->empty()) {
      if (auto created = impl->create_schema(genesis); !created) return std::move(created).error();
      impl->genesis.assign(genesis);
      impl->created = true;
    }
  }
  if (auto prepared = impl->prepare_cached(); !prepared) return std::move(prepared).error();
  SqliteLog log(std::move(impl));
  auto head = log.head();
  if (!head) return std::move(head).error();
  log.last_seq_ = head->first;
  log.last_hash_ = head->second;
  return log;
}

Outcome SqliteLog::append(std::span<const PendingRecord> batch) {
  if (batch.empty()) {
    return Ok{};
  }
  Seq seq = last_seq_;
  Digest hash = last_hash_;
  auto written = impl_->in_write_transaction([&]() -> Outcome {
    if (auto unchanged = impl_->check_head_unchanged(last_seq_, last_hash_); !unchanged) {
      return unchanged;
    }
    for (const PendingRecord& record : batch) {
      const Digest prev_hash = hash;
      ++seq;
      hash = record_hash(seq, record.event, record.outcome, prev_hash);
      if (auto inserted = impl_->insert_record(seq, record, prev_hash, hash); !inserted) {
        return inserted;
      }
    }
    return impl_->set_head(seq, hash);
  });
  if (!written) {
    return written;
  }
  last_seq_ = seq;
  last_hash_ = hash;
  return Ok{};
}

Outcome SqliteLog::write_snapshot(const SnapshotRecord& snapshot) {
  if (snapshot.seq > last_seq_) {
    return impl_->fail(ErrorCode::invalid_input, "snapshot at seq " + std::to_string(snapshot.seq) +
                                                     " is beyond the last record " +
                                                     std::to_string(last_seq_));
  }
  return impl_->in_write_transaction([&]() -> Outcome {
    auto statement = impl_->prepare(
        "INSERT OR REPLACE INTO snapshots(seq, state_hash, state) VALUES(?1, ?2, ?3)");
    if (!statement) return std::move(statement).error();
    sqlite3_bind_int64(statement->get(), 1, seq_param(snapshot.seq));
    bind_blob(statement->get(), 2, snapshot.state_hash.data(), snapshot.state_hash.size());
    bind_blob(statement->get(), 3, snapshot.state.data(), snapshot.state.size());
    return impl_->step_done(statement->get(),
                            "writing the snapshot at seq " + std::to_string(snapshot.seq));
  });
}

Result<std::optional<SnapshotRecord>> SqliteLog::latest_snapshot() {
  return impl_->one_snapshot(
      "SELECT seq, state_hash, state FROM snapshots ORDER BY seq DESC LIMIT 1", std::nullopt);
}

Result<std::optional<SnapshotRecord>> SqliteLog::snapshot_at(Seq seq) {
  return impl_->one_snapshot("SELECT seq, state_hash, state FROM snapshots WHERE seq = ?1", seq);
}

Result<std::vector<SnapshotRecord>> SqliteLog::snapshot_index() {
  auto statement = impl_->prepare("SELECT seq, state_hash, NULL FROM snapshots ORDER BY seq");
  if (!statement) return std::move(statement).error();
  std::vector<SnapshotRecord> index;
  auto read = impl_->each_row(
      statement->get(), "reading the snapshot index",
      [&](sqlite3_stmt* row) { return impl_->read_snapshot(row, index.emplace_back()); });
  if (!read) return std::move(read).error();
  return index;
}

Outcome SqliteLog::scan(Seq from, const std::function<Outcome(const LogRecord&)>& visit) {
  auto statement = impl_->prepare(
      "SELECT seq, event, outcome, prev_hash, hash FROM events WHERE seq >= ?1 ORDER BY seq");
  if (!statement) return std::move(statement).error();
  sqlite3_bind_int64(statement->get(), 1, seq_param(from));
  LogRecord record;
  return impl_->each_row(statement->get(), "reading records", [&](sqlite3_stmt* row) -> Outcome {
    if (auto read = impl_->read_record(row, record); !read) {
      return read;
    }
    return visit(record);
  });
}

Result<std::pair<Seq, Digest>> SqliteLog::head() {
  sqlite3_stmt* select = impl_->select_head.get();
  const StatementUse use(select);
  const int code = sqlite3_step(select);
  if (code == SQLITE_DONE) {
    return impl_->fail(ErrorCode::corrupt, "damaged Ballast log: the head row is missing");
  }
  if (code != SQLITE_ROW) {
    return impl_->sqlite_error(code, "reading the head");
  }
  const std::int64_t seq = sqlite3_column_int64(select, 0);
  Digest hash{};
  if (seq < 0 || !column_digest(select, 1, hash)) {
    return impl_->fail(ErrorCode::corrupt, "damaged Ballast log: the head row is malformed");
  }
  return std::pair<Seq, Digest>(static_cast<Seq>(seq), hash);
}

Result<SqliteLog::ReadTransaction> SqliteLog::begin_read() {
  if (auto begun = impl_->exec("BEGIN DEFERRED", "starting a read transaction"); !begun) {
    return std::move(begun).error();
  }
  return ReadTransaction(this);
}

void SqliteLog::end_read() noexcept {
  // A read transaction has nothing to lose: ending it cannot fail in a way worth reporting.
  (void)impl_->exec("COMMIT", "ending a read transaction");
}

SqliteLog::ReadTransaction::ReadTransaction(ReadTransaction&& other) noexcept
    : log_(std::exchange(other.log_, nullptr)) {}

SqliteLog::ReadTransaction::~ReadTransaction() {
  if (log_ != nullptr) {
    log_->end_read();
  }
}

}  // namespace ballast
