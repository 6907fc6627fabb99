#pragma once
// Raw SQLite access to a log file, for the store's tests: damage done with the SQLite C API
// directly, as a disk fault or someone editing the file would do it (not part of the library).

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ballast/store/sqlite_log.hpp"

namespace ballast::testing {

inline constexpr auto kLastSeq = static_cast<Seq>(INT64_MAX);

inline std::string_view bytes_of(const Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK) << path;
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void exec(const std::string& sql) {
    char* message = nullptr;
    const int code = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    EXPECT_EQ(code, SQLITE_OK) << sql << ": " << (message ? message : "");
    sqlite3_free(message);
  }
  // The single blob a query returns.
  std::string blob(const std::string& sql) {
    sqlite3_stmt* statement = prepare(sql);
    std::string bytes;
    if (sqlite3_step(statement) == SQLITE_ROW) {
      const auto* data = static_cast<const char*>(sqlite3_column_blob(statement, 0));
      bytes.assign(data, static_cast<std::size_t>(sqlite3_column_bytes(statement, 0)));
    } else {
      ADD_FAILURE() << "no row: " << sql;
    }
    sqlite3_finalize(statement);
    return bytes;
  }
  // Runs `sql` with ?1 bound to `bytes`.
  void exec_with_blob(const std::string& sql, std::string_view bytes) {
    sqlite3_stmt* statement = prepare(sql);
    sqlite3_bind_blob(statement, 1, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(statement), SQLITE_DONE) << sql;
    sqlite3_finalize(statement);
  }
  // Recomputes the chain over records from..through and, when that reaches the end, moves the
  // head: a forger who knows the format, so that only replay (not the chain) can tell.
  void rechain(Seq from, Seq through = kLastSeq) {
    Digest link = genesis_hash(genesis());
    if (from > 1) {
      const std::string hash =
          blob("SELECT hash FROM events WHERE seq = " + std::to_string(from - 1));
      std::copy(hash.begin(), hash.end(), link.begin());
    }
    sqlite3_stmt* select =
        prepare("SELECT seq, event, outcome FROM events WHERE seq BETWEEN " + std::to_string(from) +
                " AND " + std::to_string(through) + " ORDER BY seq");
    std::vector<LogRecord> records;
    while (sqlite3_step(select) == SQLITE_ROW) {
      LogRecord& record = records.emplace_back();
      record.seq = static_cast<Seq>(sqlite3_column_int64(select, 0));
      record.event.assign(static_cast<const char*>(sqlite3_column_blob(select, 1)),
                          static_cast<std::size_t>(sqlite3_column_bytes(select, 1)));
      record.outcome = static_cast<Status>(sqlite3_column_int(select, 2));
    }
    sqlite3_finalize(select);
    for (LogRecord& record : records) {
      record.prev_hash = link;
      record.hash = record_hash(record.seq, record.event, record.outcome, link);
      const std::string where = " WHERE seq = " + std::to_string(record.seq);
      exec_with_blob("UPDATE events SET prev_hash = ?1" + where, bytes_of(record.prev_hash));
      exec_with_blob("UPDATE events SET hash = ?1" + where, bytes_of(record.hash));
      link = record.hash;
    }
    if (through == kLastSeq && !records.empty()) {
      exec("UPDATE head SET seq = " + std::to_string(records.back().seq) + " WHERE id = 1");
      exec_with_blob("UPDATE head SET hash = ?1 WHERE id = 1", bytes_of(link));
    }
  }

  // The genesis row's bytes; empty when there is none (a version-1 log).
  std::string genesis() {
    sqlite3_stmt* statement = nullptr;
    std::string bytes;
    if (sqlite3_prepare_v2(db_, "SELECT genesis FROM genesis WHERE id = 1", -1, &statement,
                           nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW && sqlite3_column_bytes(statement, 0) > 0) {
      bytes.assign(static_cast<const char*>(sqlite3_column_blob(statement, 0)),
                   static_cast<std::size_t>(sqlite3_column_bytes(statement, 0)));
    }
    sqlite3_finalize(statement);
    return bytes;
  }

 private:
  sqlite3_stmt* prepare(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr), SQLITE_OK) << sql;
    return statement;
  }
  sqlite3* db_ = nullptr;
};

}  // namespace ballast::testing
