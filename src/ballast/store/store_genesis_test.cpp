// A log's genesis: the venue's risk configuration and engine options recorded at the head of the
// log and bound to the hash chain, so that a margin venue is rebuilt from its log alone (DESIGN
// principle 2): replay from genesis, from a snapshot and the live engine reach the same state
// hash; tampering with the genesis breaks verification; logs without one work as before.

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "ballast/engine/codec.hpp"
#include "ballast/margin/venue_config.hpp"
#include "ballast/store/genesis.hpp"
#include "ballast/store/journal.hpp"
#include "ballast/store/replay.hpp"
#include "ballast/store/store_raw_db_testing.hpp"
#include "ballast/store/store_testing.hpp"

namespace ballast {

void PrintTo(Status status, std::ostream* os) { *os << status_name(status); }

namespace {

using testing::bytes_of;
using testing::RawDb;
using testing::TempDir;

constexpr TimestampNs kT0 = 1'735'689'600'000'000'000;  // 2025-01-01T00:00:00Z
constexpr TimestampNs kMs = 1'000'000;

// configs/venue-default.toml: USDC 1 (6 decimals), BTC 2 (8), BTC-PERP 201.
constexpr AssetId kUsdc{1};
constexpr AssetId kBtc{2};
constexpr InstrumentId kBtcPerp{201};
constexpr AccountId kAlice{16};
constexpr AccountId kBob{17};
constexpr SubAccountId kAliceMain{16};
constexpr SubAccountId kBobMain{17};

margin::RiskConfig default_venue() {
  auto venue = margin::load_venue_config(BALLAST_CONFIGS_DIR "/venue-default.toml");
  EXPECT_TRUE(venue.ok()) << venue.error().message;
  return venue.ok() ? std::move(venue->risk) : margin::RiskConfig{};
}

Engine venue_engine(TimestampNs price_max_age_ns = 30'000'000'000) {
  EngineOptions options;
  options.price_max_age_ns = price_max_age_ns;
  return Engine(default_venue(), options);
}

Price whole_price(std::int64_t value) { return Price::from_raw(value * 1'000'000'000); }
Quantity contracts(std::int64_t thousandths) { return Quantity::from_raw(thousandths * 1'000'000); }
Money fee(std::int64_t raw) { return Money::from_raw(raw); }

// A margin session: setup, prices, fills that pass and one that breaches initial margin,
// withdrawals that pass and one margin blocks, then a price move and a reducing fill.
std::vector<Event> margin_events() {
  std::vector<EventBody> bodies = {
      ListAsset{kUsdc, "USDC", 6, kAssetFlagsAll},
      ListAsset{kBtc, "BTC", 8, kAssetFlagsAll},
      CreateAccount{kAlice},
      CreateSubAccount{kAlice, kAliceMain, MarginMode::cross},
      CreateAccount{kBob},
      CreateSubAccount{kBob, kBobMain, MarginMode::cross},
      Deposit{kAlice, kAliceMain, kUsdc, Amount::from_raw(10'000'000'000)},
      Deposit{kBob, kBobMain, kUsdc, Amount::from_raw(10'000'000'000)},
      OraclePrice{kBtc, whole_price(65'000), whole_price(64'900)},
      MarkPrice{kBtcPerp, whole_price(65'010)},
      Fill{kAlice, kAliceMain, kBtcPerp, contracts(1'000), whole_price(65'000), fee(6'500'000)},
      Fill{kBob, kBobMain, kBtcPerp, contracts(-1'000), whole_price(65'000), fee(6'500'000)},
      Fill{kAlice, kAliceMain, kBtcPerp, contracts(10'000), whole_price(65'000), Money{}},
      Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(1'000'000'000)},
      Withdraw{kAlice, kAliceMain, kUsdc, Amount::from_raw(8'000'000'000)},
      OraclePrice{kBtc, whole_price(64'000), whole_price(64'000)},
      MarkPrice{kBtcPerp, whole_price(64'005)},
      Fill{kBob, kBobMain, kBtcPerp, contracts(500), whole_price(64'000), fee(3'200'000)},
  };
  std::vector<Event> events;
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    events.push_back(Event{EventId{i + 1}, kT0 + static_cast<TimestampNs>(i) * kMs, bodies[i]});
  }
  return events;
}

// A log created with the venue's genesis, the margin events journaled through it (a snapshot
// after `snapshot_after` of them, if not 0), and what the live engine saw.
struct MarginLog {
  TempDir dir;
  std::string path = dir.file("margin.db");
  std::string genesis = encode_genesis(venue_engine());
  std::vector<Status> outcomes;
  Digest live_hash{};

  explicit MarginLog(std::size_t snapshot_after = 0) {
    auto log = SqliteLog::open(path, OpenMode::create_or_open, genesis);
    EXPECT_TRUE(log.ok()) << log.error().message;
    EXPECT_TRUE(log->created());
    auto journal = Journal::open(*log, JournalOptions{4, 0});
    EXPECT_TRUE(journal.ok()) << journal.error().message;
    const std::vector<Event> events = margin_events();
    for (std::size_t i = 0; i < events.size(); ++i) {
      auto status = journal->submit(events[i]);
      EXPECT_TRUE(status.ok());
      outcomes.push_back(*status);
      if (i + 1 == snapshot_after) {
        EXPECT_TRUE(journal->write_snapshot().ok());
      }
    }
    EXPECT_TRUE(journal->commit().ok());
    live_hash = journal->engine().state_hash();
  }

  Result<ReplayReport> replay(bool from_genesis) {
    auto log = SqliteLog::open(path, OpenMode::read_only);
    if (!log) return std::move(log).error();
    return replay_log(*log, ReplayOptions{from_genesis, {}});
  }
};

void expect_corrupt(const Result<ReplayReport>& result, const std::string& message) {
  ASSERT_FALSE(result.ok()) << "expected an error containing: " << message;
  EXPECT_EQ(result.error().code, ErrorCode::corrupt) << result.error().message;
  EXPECT_NE(result.error().message.find(message), std::string::npos) << result.error().message;
}

// ---- the genesis bytes ------------------------------------------------------------------------

TEST(Genesis, RoundTripsTheConfigurationAndOptions) {
  const Engine engine = venue_engine(45'000'000'000);
  const std::string bytes = encode_genesis(engine);
  ASSERT_FALSE(bytes.empty());
  auto rebuilt = engine_from_genesis(bytes);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().message;
  ASSERT_NE(rebuilt->risk_config(), nullptr);
  EXPECT_EQ(rebuilt->options(), engine.options());
  EXPECT_EQ(rebuilt->state_hash(), engine.state_hash());  // the configuration is in the state
  EXPECT_EQ(encode_genesis(*rebuilt), bytes);
  EXPECT_NE(encode_genesis(venue_engine(46'000'000'000)), bytes);
}

TEST(Genesis, NoConfigurationIsTheEmptyGenesis) {
  EXPECT_EQ(encode_genesis(Engine()), "");
  auto rebuilt = engine_from_genesis("");
  ASSERT_TRUE(rebuilt.ok());
  EXPECT_EQ(rebuilt->risk_config(), nullptr);
  EXPECT_EQ(rebuilt->state_hash(), Engine().state_hash());
  EXPECT_EQ(genesis_hash(""), Digest{});
  EXPECT_EQ(describe_genesis(""), "no risk configuration");
}

TEST(Genesis, CoversEveryEngineOption) {
  EngineOptions options;
  options.oracle_policy = market::OracleActionPolicy::none();
  const Engine strict(default_venue(), options);
  const std::string bytes = encode_genesis(strict);
  EXPECT_NE(bytes, encode_genesis(Engine(default_venue())));
  auto rebuilt = engine_from_genesis(bytes);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().message;
  EXPECT_EQ(rebuilt->options(), options);
}

TEST(Genesis, IsThatOfANewEngineWhateverItsState) {
  Engine engine = venue_engine();
  const std::string before = encode_genesis(engine);
  EXPECT_EQ(engine.apply(margin_events()[0]), Status::ok);
  EXPECT_EQ(encode_genesis(engine), before);
}

TEST(Genesis, MalformedBytesAreCorrupt) {
  const std::string bytes = encode_genesis(venue_engine());
  const auto expect_bad = [](const std::string& bad, const std::string& message) {
    auto rebuilt = engine_from_genesis(bad);
    ASSERT_FALSE(rebuilt.ok()) << message;
    EXPECT_EQ(rebuilt.error().code, ErrorCode::corrupt);
    EXPECT_NE(rebuilt.error().message.find(message), std::string::npos) << rebuilt.error().message;
  };
  expect_bad("XGEN" + bytes.substr(4), "genesis: not a Ballast genesis");
  std::string version = bytes;
  version[4] = 9;
  expect_bad(version, "genesis: version 9 is not supported");
  expect_bad("BGEN", "genesis: version (none) is not supported");
  expect_bad(bytes + '\0', "genesis: ");
  expect_bad(bytes.substr(0, bytes.size() - 3), "genesis: ");
  // A snapshot without a configuration, or one that holds state, is not a genesis.
  const std::string header = bytes.substr(0, 5);
  expect_bad(header + Engine().snapshot(), "genesis: no risk configuration");
  Engine moved_on = venue_engine();
  EXPECT_EQ(moved_on.apply(margin_events()[0]), Status::ok);
  expect_bad(header + moved_on.snapshot(), "not that of a new engine");
}

// ---- the genesis in the log ---------------------------------------------------------------

TEST(LogGenesis, IsWrittenOnceAtCreationAndAnchorsTheChain) {
  TempDir dir;
  const std::string path = dir.file("log.db");
  const std::string genesis = encode_genesis(venue_engine());
  {
    auto log = SqliteLog::open(path, OpenMode::create_or_open, genesis);
    ASSERT_TRUE(log.ok()) << log.error().message;
    EXPECT_TRUE(log->created());
    EXPECT_EQ(log->genesis(), genesis);
    EXPECT_EQ(log->last_hash(), genesis_hash(genesis));  // the head of an empty log
    // An empty log verifies, and rebuilds the venue's engine.
    auto replayed = replay_log(*log, ReplayOptions{true, {}});
    ASSERT_TRUE(replayed.ok()) << replayed.error().message;
    ASSERT_NE(replayed->engine.risk_config(), nullptr);
    EXPECT_EQ(replayed->state_hash, venue_engine().state_hash());
    std::vector<PendingRecord> batch = {{encode_event(margin_events()[0]), Status::ok}};
    ASSERT_TRUE(log->append(batch).ok());
  }
  // Reopened, with another genesis or none: the log keeps its own.
  for (const std::string& asked : {std::string(), encode_genesis(venue_engine(1))}) {
    auto log = SqliteLog::open(path, OpenMode::create_or_open, asked);
    ASSERT_TRUE(log.ok()) << log.error().message;
    EXPECT_FALSE(log->created());
    EXPECT_EQ(log->genesis(), genesis);
  }
  auto read = SqliteLog::open(path, OpenMode::read_only);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->genesis(), genesis);
  std::vector<LogRecord> records;
  ASSERT_TRUE(read->scan(1, [&](const LogRecord& record) -> Outcome {
                    records.push_back(record);
                    return Ok{};
                  }).ok());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].prev_hash, sha256(genesis));
}

TEST(LogGenesis, ReplayFromGenesisFromSnapshotAndLiveAgreeWithMarginEvents) {
  MarginLog sample(/*snapshot_after=*/11);
  // The session exercised margin: fills passed, one fill and one withdrawal were refused.
  EXPECT_EQ(sample.outcomes[10], Status::ok);
  EXPECT_EQ(sample.outcomes[12], Status::insufficient_margin);
  EXPECT_EQ(sample.outcomes[13], Status::ok);
  EXPECT_EQ(sample.outcomes[14], Status::insufficient_margin);
  EXPECT_EQ(sample.outcomes[17], Status::ok);
  auto from_genesis = sample.replay(true);
  ASSERT_TRUE(from_genesis.ok()) << from_genesis.error().message;
  EXPECT_EQ(from_genesis->snapshot_seq, 0u);
  EXPECT_EQ(from_genesis->replayed, 18u);
  EXPECT_EQ(from_genesis->snapshots_checked, 1u);  // the one at 11
  EXPECT_EQ(from_genesis->state_hash, sample.live_hash);
  auto from_snapshot = sample.replay(false);
  ASSERT_TRUE(from_snapshot.ok()) << from_snapshot.error().message;
  EXPECT_EQ(from_snapshot->state_hash, sample.live_hash);
  // Without the snapshots, the journal reopens from genesis alone.
  RawDb(sample.path).exec("DELETE FROM snapshots");
  auto only_genesis = sample.replay(false);
  ASSERT_TRUE(only_genesis.ok()) << only_genesis.error().message;
  EXPECT_EQ(only_genesis->snapshot_seq, 0u);
  EXPECT_EQ(only_genesis->state_hash, sample.live_hash);
}

TEST(LogGenesis, AJournalReopenedWithoutASnapshotGoesOnAsTheLiveEngine) {
  TempDir dir;
  const std::string path = dir.file("log.db");
  const std::vector<Event> events = margin_events();
  Engine live = venue_engine();
  const std::size_t first_part = 11;  // up to Alice's fill; Bob's side comes after reopening
  {
    auto log = SqliteLog::open(path, OpenMode::create_or_open, encode_genesis(live));
    ASSERT_TRUE(log.ok());
    auto journal = Journal::open(*log, JournalOptions{});
    ASSERT_TRUE(journal.ok());
    for (std::size_t i = 0; i < first_part; ++i) {
      auto status = journal->submit(events[i]);
      ASSERT_TRUE(status.ok());
      EXPECT_EQ(*status, live.apply(events[i])) << event_to_json(events[i]);
    }
    ASSERT_TRUE(journal->commit().ok());  // no snapshot
  }
  auto log = SqliteLog::open(path, OpenMode::create_or_open);
  ASSERT_TRUE(log.ok());
  auto journal = Journal::open(*log, JournalOptions{});
  ASSERT_TRUE(journal.ok()) << journal.error().message;
  EXPECT_EQ(journal->engine().state_hash(), live.state_hash());
  for (std::size_t i = first_part; i < events.size(); ++i) {
    auto status = journal->submit(events[i]);
    ASSERT_TRUE(status.ok());
    EXPECT_EQ(*status, live.apply(events[i])) << event_to_json(events[i]);
  }
  EXPECT_EQ(journal->engine().state_hash(), live.state_hash());
}

// ---- tampering --------------------------------------------------------------------------------

TEST(LogGenesis, AnAlteredGenesisBreaksTheChainAtRecordOne) {
  MarginLog sample(11);
  // Another price max age: a different venue, decodable and valid, but not the one logged.
  RawDb(sample.path).exec_with_blob("UPDATE genesis SET genesis = ?1 WHERE id = 1",
                                    encode_genesis(venue_engine(1'000'000'000)));
  for (const bool from_genesis : {true, false}) {
    expect_corrupt(sample.replay(from_genesis),
                   "record 1: prev_hash does not match the genesis hash that starts the chain");
  }
  // A forger who also rewrites the chain from record 1 is caught by replay: the snapshot's
  // configuration is not the new genesis, and from genesis the outcomes or hashes differ.
  RawDb(sample.path).rechain(1);
  expect_corrupt(sample.replay(false), "are not the log's genesis");
  auto from_genesis = sample.replay(true);
  ASSERT_FALSE(from_genesis.ok());
  EXPECT_EQ(from_genesis.error().code, ErrorCode::mismatch) << from_genesis.error().message;
}

TEST(LogGenesis, ARemovedOrEmptiedGenesisIsDetected) {
  {
    MarginLog sample;
    RawDb(sample.path).exec("DELETE FROM genesis");
    auto log = SqliteLog::open(sample.path, OpenMode::read_only);
    ASSERT_FALSE(log.ok());
    EXPECT_EQ(log.error().code, ErrorCode::corrupt);
    EXPECT_NE(log.error().message.find("the genesis row is missing"), std::string::npos);
  }
  {
    MarginLog sample;
    RawDb(sample.path).exec("DROP TABLE genesis");
    auto log = SqliteLog::open(sample.path, OpenMode::read_only);
    ASSERT_FALSE(log.ok());
    EXPECT_NE(log.error().message.find("no genesis table"), std::string::npos);
  }
  {
    // Emptied: the log would claim no configuration, but its chain starts at the venue's hash.
    MarginLog sample;
    RawDb(sample.path).exec("UPDATE genesis SET genesis = zeroblob(0)");
    expect_corrupt(sample.replay(true), "record 1: prev_hash does not match the zero hash");
  }
}

TEST(LogGenesis, AnAlteredGenesisOfAnEmptyLogDisagreesWithTheHead) {
  TempDir dir;
  const std::string path = dir.file("empty.db");
  ASSERT_TRUE(SqliteLog::open(path, OpenMode::create_or_open, encode_genesis(venue_engine())).ok());
  RawDb(path).exec_with_blob("UPDATE genesis SET genesis = ?1", encode_genesis(venue_engine(7)));
  auto log = SqliteLog::open(path, OpenMode::read_only);
  ASSERT_TRUE(log.ok());
  expect_corrupt(replay_log(*log, ReplayOptions{true, {}}),
                 "head hash of an empty log is not its genesis hash");
}

TEST(LogGenesis, AnUndecodableGenesisIsCorrupt) {
  // Written so by a writer (the chain agrees with it): replay names the genesis.
  TempDir dir;
  const std::string path = dir.file("log.db");
  std::string bad = encode_genesis(venue_engine());
  bad += "x";
  ASSERT_TRUE(SqliteLog::open(path, OpenMode::create_or_open, bad).ok());
  auto log = SqliteLog::open(path, OpenMode::read_only);
  ASSERT_TRUE(log.ok());
  expect_corrupt(replay_log(*log, ReplayOptions{true, {}}),
                 "genesis: engine snapshot: trailing bytes");
  EXPECT_FALSE(Journal::open(*log, JournalOptions{}).ok());
}

TEST(LogGenesis, ASnapshotOfAnotherVenueIsRefused) {
  MarginLog sample(11);
  // A snapshot written with another configuration, its state hash recomputed so that only the
  // genesis check can tell.
  Engine other = venue_engine(5'000'000'000);
  SnapshotRecord snapshot{11, {}, other.snapshot()};
  snapshot.state_hash = sha256(snapshot.state);
  RawDb db(sample.path);
  db.exec_with_blob("UPDATE snapshots SET state = ?1 WHERE seq = 11", snapshot.state);
  db.exec_with_blob("UPDATE snapshots SET state_hash = ?1 WHERE seq = 11",
                    bytes_of(snapshot.state_hash));
  expect_corrupt(sample.replay(false), "snapshot at seq 11: its risk configuration");
}

// ---- logs from before the genesis ---------------------------------------------------------

TEST(LogGenesis, AVersionOneLogOpensWithTheEmptyGenesisAndGoesOn) {
  TempDir dir;
  const std::string path = dir.file("v1.db");
  const std::vector<Event> events = testing::sample_events(60);
  Engine live;
  {
    auto log = SqliteLog::open(path, OpenMode::create_or_open);
    ASSERT_TRUE(log.ok());
    EXPECT_EQ(log->genesis(), "");
    auto journal = Journal::open(*log, JournalOptions{8, 25});
    ASSERT_TRUE(journal.ok());
    for (std::size_t i = 0; i < 40; ++i) {
      ASSERT_TRUE(journal->submit(events[i]).ok());
      live.apply(events[i]);
    }
    ASSERT_TRUE(journal->commit().ok());
  }
  // What a version-1 log looks like: no genesis table, the chain starting at zero.
  {
    RawDb db(path);
    db.exec("DROP TABLE genesis");
    db.exec("UPDATE meta SET value = '1' WHERE key = 'version'");
  }
  auto log = SqliteLog::open(path, OpenMode::create_or_open, encode_genesis(venue_engine()));
  ASSERT_TRUE(log.ok()) << log.error().message;
  EXPECT_FALSE(log->created());
  EXPECT_EQ(log->genesis(), "");
  auto journal = Journal::open(*log, JournalOptions{8, 25});
  ASSERT_TRUE(journal.ok()) << journal.error().message;
  for (std::size_t i = 40; i < events.size(); ++i) {
    ASSERT_TRUE(journal->submit(events[i]).ok());
    live.apply(events[i]);
  }
  ASSERT_TRUE(journal->commit().ok());
  for (const bool from_genesis : {true, false}) {
    auto replayed = replay_log(*log, ReplayOptions{from_genesis, {}});
    ASSERT_TRUE(replayed.ok()) << replayed.error().message;
    EXPECT_EQ(replayed->state_hash, live.state_hash());
  }
  EXPECT_EQ(RawDb(path).blob("SELECT value FROM meta WHERE key = 'version'"), "1");
}

}  // namespace
}  // namespace ballast
