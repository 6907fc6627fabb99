// Kill test: store_crash_writer appends to one log and is SIGKILLed at a random moment, again
// and again on the same file (each new writer reopens the log and carries on). After every
// kill the log must verify completely (chain, head, snapshots, every outcome) and hold every
// record the writer acknowledged, with the event it acknowledged.
//
// BALLAST_CRASH_ROUNDS (default 20) sets the number of kills, BALLAST_CRASH_SEED the seed.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "ballast/engine/codec.hpp"
#include "ballast/store/replay.hpp"
#include "ballast/store/store_testing.hpp"

#ifndef BALLAST_CRASH_WRITER
#error "BALLAST_CRASH_WRITER must name the store_crash_writer executable"
#endif

namespace ballast {
namespace {

constexpr std::size_t kAcksBeforeKillMax = 40;

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::strtoull(value, nullptr, 10) : fallback;
}

struct Ack {
  Seq seq = 0;
  std::uint64_t id = 0;
};

// A running store_crash_writer whose standard output comes through a pipe.
class Writer {
 public:
  explicit Writer(std::vector<std::string> args) {
    int fds[2];
    if (pipe(fds) != 0) {
      ADD_FAILURE() << "pipe: " << std::strerror(errno);
      return;
    }
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      std::vector<char*> argv;
      args.insert(args.begin(), BALLAST_CRASH_WRITER);
      for (std::string& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    fd_ = fds[0];
  }
  ~Writer() {
    if (pid_ > 0) {
      kill_now();
      (void)wait_exit();
    }
    if (fd_ >= 0) close(fd_);
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Reads ack lines until `count` more have come or the output ends.
  void read_acks(std::size_t count, std::vector<Ack>& acks) {
    std::size_t seen = 0;
    while (seen < count) {
      const auto newline = buffer_.find('\n');
      if (newline == std::string::npos) {
        char chunk[4096];
        const ssize_t got = read(fd_, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return;
        buffer_.append(chunk, static_cast<std::size_t>(got));
        continue;
      }
      unsigned long long seq = 0;
      unsigned long long id = 0;
      if (std::sscanf(buffer_.c_str(), "ack %llu %llu", &seq, &id) == 2) {
        acks.push_back(Ack{seq, id});
        ++seen;
      }
      buffer_.erase(0, newline + 1);
    }
  }
  void kill_now() const { ::kill(pid_, SIGKILL); }
  // The wait status.
  int wait_exit() {
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string buffer_;
};

// The log verifies end to end and holds every acknowledged record with its event.
void verify(const std::string& path, const std::map<Seq, std::uint64_t>& acked, bool genesis) {
  auto log = SqliteLog::open(path, OpenMode::read_only);
  if (!log) {
    // Killed before the first commit: no log (or an empty database) is all it may leave.
    EXPECT_TRUE(acked.empty()) << log.error().message;
    return;
  }
  auto replayed = replay_log(*log, ReplayOptions{});
  ASSERT_TRUE(replayed.ok()) << replayed.error().message;
  const Seq acked_max = acked.empty() ? 0 : acked.rbegin()->first;
  ASSERT_GE(replayed->records, acked_max);
  EXPECT_TRUE(replayed->engine.ledger().conserves_value());

  std::vector<std::uint64_t> ids;
  ASSERT_TRUE(log->scan(1,
                        [&ids](const LogRecord& record) -> Outcome {
                          auto event = decode_event(record.event);
                          if (!event) return std::move(event).error();
                          ids.push_back(event->id.value);
                          return Ok{};
                        })
                  .ok());
  for (const auto& [seq, id] : acked) {
    ASSERT_LE(seq, ids.size());
    EXPECT_EQ(ids[seq - 1], id) << "record " << seq;
  }
  if (genesis) {
    auto from_genesis = replay_log(*log, ReplayOptions{true, {}});
    ASSERT_TRUE(from_genesis.ok()) << from_genesis.error().message;
    EXPECT_EQ(from_genesis->state_hash, replayed->state_hash);
  }
}

TEST(StoreCrash, AKilledWriterLosesNothingItAcknowledged) {
  const std::uint64_t rounds = env_or("BALLAST_CRASH_ROUNDS", 20);
  const std::uint64_t seed = env_or("BALLAST_CRASH_SEED", 20250101);
  SCOPED_TRACE("BALLAST_CRASH_SEED=" + std::to_string(seed));
  std::mt19937_64 random(seed);
  testing::TempDir dir;
  const std::string path = dir.file("crash.db");
  std::map<Seq, std::uint64_t> acked;  // every ack of every round: seq -> event id
  std::size_t kills = 0;

  for (std::uint64_t round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::size_t acks_before_kill = random() % (kAcksBeforeKillMax + 1);
    const std::string batch = std::to_string(1 + random() % 16);
    std::vector<Ack> acks;
    {
      Writer writer({path, "--batch", batch, "--snapshot-every", "64"});
      // Zero acks: somewhere in open or replay; else anywhere in the batches that follow.
      writer.read_acks(acks_before_kill, acks);
      usleep(static_cast<useconds_t>(random() % (acks_before_kill == 0 ? 20'000 : 2'000)));
      writer.kill_now();
      writer.read_acks(SIZE_MAX, acks);  // what it acknowledged before it died
      const int status = writer.wait_exit();
      ASSERT_TRUE(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
          << "the writer failed on its own, exit status " << WEXITSTATUS(status);
      kills += WIFSIGNALED(status) ? 1 : 0;
    }
    for (const Ack& ack : acks) {
      const auto [at, fresh] = acked.emplace(ack.seq, ack.id);
      ASSERT_TRUE(fresh || at->second == ack.id) << "seq " << ack.seq << " acknowledged twice";
    }
    verify(path, acked, round % 5 == 4);
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_EQ(kills, rounds);
  ASSERT_FALSE(acked.empty());
  std::printf("%zu kills, %zu acknowledged commits, last acknowledged seq %llu\n", kills,
              acked.size(), static_cast<unsigned long long>(acked.rbegin()->first));
}

// Replay reads one consistent state of the log while another process keeps appending to it.
TEST(StoreCrash, ALiveLogVerifiesWhileTheWriterAppends) {
  testing::TempDir dir;
  const std::string path = dir.file("live.db");
  Writer writer({path, "--batch", "8", "--snapshot-every", "400"});
  std::vector<Ack> acks;
  while (acks.empty() || acks.back().seq < 2000) {  // long enough that appends overlap replays
    const std::size_t before = acks.size();
    writer.read_acks(100, acks);
    ASSERT_GT(acks.size(), before) << "the writer stopped";
  }
  auto log = SqliteLog::open(path, OpenMode::read_only);
  ASSERT_TRUE(log.ok()) << log.error().message;
  for (int replay = 0; replay < 20; ++replay) {
    writer.read_acks(3, acks);
    const Seq acked = acks.back().seq;
    auto replayed = replay_log(*log, ReplayOptions{replay % 2 == 0, {}});
    ASSERT_TRUE(replayed.ok()) << replayed.error().message;
    EXPECT_GE(replayed->records, acked);
  }
  writer.kill_now();
}

}  // namespace
}  // namespace ballast
