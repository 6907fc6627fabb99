// Property: for random sequences of valid and invalid events (bad and repeated ids, unknown
// assets and accounts, foreign sub-accounts, zero, negative and huge amounts, over-withdrawals,
// timestamp regressions, unknown asset flag bits, margin modes with no name, ...):
//   - after every event the ledger conserves value, and a rejected event changes nothing
//     (the state hash before and after are equal);
//   - the same events written through a Journal (with snapshots along the way) replay, from
//     genesis and from the latest snapshot plus its tail, to the live engine's state hash.
// 100 cases of 1000-1200 events: over 100,000 events per run.

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <array>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "ballast/engine/codec.hpp"
#include "ballast/store/journal.hpp"
#include "ballast/store/replay.hpp"
#include "ballast/store/store_testing.hpp"

namespace ballast {
namespace {

constexpr std::size_t kEventsPerCaseMin = 1000;
constexpr std::size_t kEventsPerCaseMax = 1200;
constexpr TimestampNs kStartNs = 1'700'000'000'000'000'000;
// On: decode_event carries any byte in the flags (and mode) field and leaves judging to the
// engine (flags_invalid, mode_invalid), so an event with unknown flag bits is logged with its
// rejection and replays. (While the decoder refused such bytes, this had to be off: the logged
// event then broke replay with "event does not decode".)
constexpr bool kGenerateUnknownFlagBits = true;

// Raw random choices; EventMaker turns them into an event against the current state, so that
// most events are about things that exist and a steady share are wrong in one way or another.
struct Step {
  std::uint8_t kind = 0;
  std::uint8_t id_mode = 0;
  std::uint8_t time_mode = 0;
  std::uint8_t amount_mode = 0;
  std::uint16_t pick_a = 0;
  std::uint16_t pick_b = 0;
  std::uint16_t pick_c = 0;
  std::int64_t amount = 0;
};

std::ostream& operator<<(std::ostream& out, const Step& step) {
  return out << "{kind " << int{step.kind} << ", id " << int{step.id_mode} << ", time "
             << int{step.time_mode} << ", amount " << int{step.amount_mode} << "/" << step.amount
             << ", picks " << step.pick_a << " " << step.pick_b << " " << step.pick_c << "}";
}

// A mode uniform in [0, count) whatever the case's size: RapidCheck's inRange narrows toward 0 at
// small sizes, and the early cases would replay mostly the first kind of step.
rc::Gen<std::uint8_t> uniform_mode(std::uint8_t count) {
  return rc::gen::resize(100, rc::gen::inRange<std::uint8_t>(0, count));
}

rc::Gen<Step> step_gen() {
  return rc::gen::build<Step>(
      rc::gen::set(&Step::kind, uniform_mode(16)),
      rc::gen::set(&Step::id_mode, uniform_mode(32)),
      rc::gen::set(&Step::time_mode, uniform_mode(16)),
      rc::gen::set(&Step::amount_mode, uniform_mode(16)),
      rc::gen::set(&Step::pick_a, rc::gen::arbitrary<std::uint16_t>()),
      rc::gen::set(&Step::pick_b, rc::gen::arbitrary<std::uint16_t>()),
      rc::gen::set(&Step::pick_c, rc::gen::arbitrary<std::uint16_t>()),
      rc::gen::set(&Step::amount, rc::gen::inRange<std::int64_t>(1, 1'000'000)));
}

// A known id most of the time, an id that was never created otherwise.
template <typename Id>
Id pick(const std::vector<Id>& known, std::uint16_t choice, Id unknown) {
  const std::size_t slot = choice % (known.size() + 1);
  return slot < known.size() ? known[slot] : unknown;
}

class EventMaker {
 public:
  Event make(const Step& step, const Engine& engine) {
    if (step.id_mode < 3 && !history_.empty()) {
      return history_.back();  // a client's retry of the very same event
    }
    Event event{choose_id(step), choose_time(step, engine.clock_ns()), body(step, engine)};
    history_.push_back(event);
    return event;
  }

  // Learns what exists from the engine's answers.
  void observe(const Event& event, Status status) {
    if (status != Status::ok) return;
    if (const auto* list = std::get_if<ListAsset>(&event.body)) assets_.push_back(list->asset);
    if (const auto* account = std::get_if<CreateAccount>(&event.body)) {
      accounts_.push_back(account->account);
    }
    if (const auto* sub = std::get_if<CreateSubAccount>(&event.body)) {
      sub_accounts_.push_back(sub->sub_account);
      owners_.push_back(sub->account);
    }
  }

 private:
  EventId choose_id(const Step& step) {
    if (step.id_mode == 3) return EventId{0};
    if (step.id_mode == 4 && !history_.empty()) {
      return history_[step.pick_a % history_.size()].id;  // reused with another event
    }
    return EventId{next_id_++};
  }

  static TimestampNs choose_time(const Step& step, TimestampNs clock_ns) {
    const TimestampNs now = clock_ns == 0 ? kStartNs : clock_ns;
    switch (step.time_mode) {
      case 0:
        return -static_cast<TimestampNs>(step.pick_b % 3);  // zero or negative
      case 1:
        return now - 1 - step.pick_b;  // regression
      case 2:
        return now;  // the same instant
      default:
        return now + 1 + step.pick_b;
    }
  }

  EventBody body(const Step& step, const Engine& engine) {
    switch (step.kind) {
      case 0:
        return list_asset(step);
      case 1:
        return SetAssetFlags{any_asset(step.pick_a), flags(step.pick_c)};
      case 2:
      case 3:
        return create_account(step);
      case 4:
      case 5:
        return create_sub_account(step);
      case 6:
      case 7:
      case 8:
      case 9:
        return move<Deposit>(step, engine);
      case 10:
      case 11:
      case 12:
        return move<Withdraw>(step, engine);
      default:
        return transfer(step, engine);
    }
  }

  ListAsset list_asset(const Step& step) {
    static constexpr std::array<const char*, 8> kOddSymbols = {
        "", "lower", "WAY_TOO_LONG_SYMBOL", "BTC", "ETH", "US$", "A.B-C_9", "BTC"};
    const bool relist = step.pick_a % 5 == 0 && !assets_.empty();
    const AssetId asset = relist ? any_asset(step.pick_b) : AssetId{next_asset_++};
    const std::string symbol = step.pick_b % 4 == 0 ? kOddSymbols[step.pick_c % kOddSymbols.size()]
                                                    : "S" + std::to_string(asset.value);
    const auto decimals = static_cast<std::uint8_t>(step.pick_c % 21);  // 19, 20: invalid
    return ListAsset{asset, symbol, decimals, flags(step.pick_a)};
  }

  CreateAccount create_account(const Step& step) {
    switch (step.pick_a % 5) {
      case 0:
        return CreateAccount{AccountId{step.pick_b % kFirstUserId}};  // reserved
      case 1:
        return CreateAccount{any_account(step.pick_b)};
      default:
        return CreateAccount{AccountId{next_account_++}};
    }
  }

  CreateSubAccount create_sub_account(const Step& step) {
    SubAccountId sub_account{next_sub_account_};
    if (step.pick_a % 7 == 0) {
      sub_account = SubAccountId{step.pick_b % kFirstUserId};  // reserved
    } else if (step.pick_a % 7 == 1 && !sub_accounts_.empty()) {
      sub_account = sub_accounts_[step.pick_b % sub_accounts_.size()];  // exists
    } else {
      ++next_sub_account_;
    }
    auto mode = step.pick_c % 2 == 0 ? MarginMode::cross : MarginMode::isolated;
    if (step.pick_c % 16 == 15) {
      // A byte with no name (2..255): logged with its rejection (mode_invalid), and replayed.
      mode = static_cast<MarginMode>(2 + step.pick_b % 254);
    }
    return CreateSubAccount{any_account(step.pick_c), sub_account, mode};
  }

  template <typename Move>
  Move move(const Step& step, const Engine& engine) {
    const std::size_t slot = sub_account_slot(step.pick_a);
    const SubAccountId sub_account =
        slot < sub_accounts_.size() ? sub_accounts_[slot] : SubAccountId{999'999};
    const AccountId owner = owner_or_other(slot, step.pick_b);
    const AssetId asset = any_asset(step.pick_c);
    return Move{owner, sub_account, asset, amount(step, balance(engine, sub_account, asset))};
  }

  Transfer transfer(const Step& step, const Engine& engine) {
    const std::size_t slot = sub_account_slot(step.pick_a);
    const SubAccountId from =
        slot < sub_accounts_.size() ? sub_accounts_[slot] : SubAccountId{999'999};
    const AccountId owner = owner_or_other(slot, step.pick_b);
    // Mostly another sub-account of the same owner; sometimes anyone's, or the same one.
    SubAccountId to = pick(sub_accounts_, step.pick_c, SubAccountId{888'888});
    if (step.pick_c % 4 != 0) {
      for (std::size_t i = 0; i < sub_accounts_.size(); ++i) {
        const std::size_t other = (slot + 1 + i) % sub_accounts_.size();
        if (owners_[other] == owner && other != slot) {
          to = sub_accounts_[other];
          break;
        }
      }
    }
    const AssetId asset = any_asset(step.pick_c / 7);
    return Transfer{owner, from, to, asset, amount(step, balance(engine, from, asset))};
  }

  static Amount balance(const Engine& engine, SubAccountId sub_account, AssetId asset) {
    const bool exists = engine.ledger().find_sub_account(sub_account) != nullptr;
    return exists ? engine.ledger().balance(sub_account, asset) : Amount{};
  }

  static Amount amount(const Step& step, Amount balance) {
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    switch (step.amount_mode) {
      case 9:
        return Amount{};
      case 10:
        return Amount::from_raw(-step.amount);
      case 11:
        return Amount::from_raw(kMax);
      case 12:
        return Amount::from_raw(std::numeric_limits<std::int64_t>::min());
      case 13:
        return Amount::from_raw(balance.raw() < kMax ? balance.raw() + 1 : kMax);
      case 14:
        return balance.is_zero() ? Amount::from_raw(step.amount) : balance;
      case 15:
        return Amount::from_raw(kMax / 2 + step.amount);
      default:
        return Amount::from_raw(step.amount);
    }
  }

  static std::uint8_t flags(std::uint16_t choice) {
    // All operations enabled most of the time, so that moves mostly get past the permissions.
    if (choice % 4 != 0) return kAssetFlagsAll;
    const bool unknown_bit = kGenerateUnknownFlagBits && choice % 3 == 0;
    return static_cast<std::uint8_t>(choice / 4 % (unknown_bit ? 16 : 8));
  }
  AssetId any_asset(std::uint16_t choice) const { return pick(assets_, choice, AssetId{77}); }
  AccountId any_account(std::uint16_t choice) const {
    return pick(accounts_, choice, AccountId{555'555});
  }
  // An index into sub_accounts_, or past its end for a sub-account that does not exist.
  std::size_t sub_account_slot(std::uint16_t choice) const {
    return choice % (sub_accounts_.size() + 1);
  }
  // The sub-account's owner, or (one time in six) someone else.
  AccountId owner_or_other(std::size_t slot, std::uint16_t choice) const {
    if (slot < owners_.size() && choice % 6 != 0) return owners_[slot];
    return any_account(choice);
  }

  std::vector<Event> history_;
  std::vector<AssetId> assets_;
  std::vector<AccountId> accounts_;
  std::vector<SubAccountId> sub_accounts_;
  std::vector<AccountId> owners_;  // owners_[i] owns sub_accounts_[i]
  std::uint64_t next_id_ = 1;
  std::uint32_t next_asset_ = 1;
  std::uint64_t next_account_ = kFirstUserId;
  std::uint64_t next_sub_account_ = 1000;
};

struct Tally {
  std::uint64_t events = 0;
  std::array<std::uint64_t, kStatusCount> by_status{};
};

struct LiveRun {
  std::vector<Event> events;
  std::vector<Status> outcomes;
  Engine engine;
};

// Applies each step's event to a live engine, checking the per-event invariants.
LiveRun run_live(const std::vector<Step>& steps, Tally& tally) {
  LiveRun run;
  EventMaker maker;
  Digest hash = run.engine.state_hash();
  for (const Step& step : steps) {
    const Event event = maker.make(step, run.engine);
    const Status status = run.engine.apply(event);
    maker.observe(event, status);
    const auto where = [&] {
      return "event " + std::to_string(run.events.size()) + " " + event_to_json(event) + " (" +
             std::string(status_name(status)) + "): ";
    };
    if (!run.engine.ledger().conserves_value()) {
      RC_FAIL(where() + "value is not conserved");
    }
    const Digest after = run.engine.state_hash();
    if (status != Status::ok && after != hash) {
      RC_FAIL(where() + "a rejected event changed the state");
    }
    hash = after;
    run.events.push_back(event);
    run.outcomes.push_back(status);
    ++tally.events;
    ++tally.by_status[static_cast<std::size_t>(status)];
  }
  return run;
}

// Writes the events through a Journal and checks both replays against the live engine.
void check_durable(const LiveRun& live, std::size_t batch_size_max, Seq snapshot_every) {
  testing::TempDir dir;
  auto log = SqliteLog::open(dir.file("events.db"), OpenMode::create_or_open);
  RC_ASSERT(log.ok());
  auto journal = Journal::open(*log, JournalOptions{batch_size_max, snapshot_every});
  RC_ASSERT(journal.ok());
  for (std::size_t i = 0; i < live.events.size(); ++i) {
    auto status = journal->submit(live.events[i]);
    RC_ASSERT(status.ok());
    RC_ASSERT(*status == live.outcomes[i]);
  }
  RC_ASSERT(journal->commit().ok());
  const Digest live_hash = live.engine.state_hash();
  RC_ASSERT(journal->engine().state_hash() == live_hash);

  for (const bool from_genesis : {true, false}) {
    auto replayed = replay_log(*log, ReplayOptions{from_genesis, {}});
    RC_ASSERT(replayed.ok());
    RC_ASSERT(replayed->records == live.events.size());
    RC_ASSERT(replayed->state_hash == live_hash);
    RC_ASSERT(replayed->engine.ledger().conserves_value());
    const Seq expected_start = from_genesis ? 0 : replayed->records - replayed->replayed;
    RC_ASSERT(replayed->snapshot_seq == expected_start);
    if (!from_genesis) {
      // The commit that crossed the last multiple of snapshot_every wrote a snapshot at its end.
      RC_ASSERT(replayed->snapshot_seq >= live.events.size() / snapshot_every * snapshot_every);
    }
  }
  auto restored = Engine::restore(live.engine.snapshot());
  RC_ASSERT(restored.ok());
  RC_ASSERT(restored->state_hash() == live_hash);
  RC_ASSERT(restored->ledger().conserves_value());
}

TEST(StoreProperty, RandomEventsConserveValueAndReplayToTheLiveState) {
  Tally tally;
  const bool passed =
      rc::check("conservation, rejections change nothing, replay equals live", [&tally] {
        // Not shrunk: shrinking a thousand steps takes minutes, and a failure names its event.
        const auto count =
            *rc::gen::noShrink(rc::gen::inRange(kEventsPerCaseMin, kEventsPerCaseMax + 1));
        const auto steps =
            *rc::gen::noShrink(rc::gen::container<std::vector<Step>>(count, step_gen()));
        const auto batch_size_max = *rc::gen::inRange<std::size_t>(16, 257);
        const auto snapshot_every = *rc::gen::inRange<Seq>(64, 513);
        const LiveRun live = run_live(steps, tally);
        check_durable(live, batch_size_max, snapshot_every);
      });
  EXPECT_TRUE(passed);
  EXPECT_GE(tally.events, 100'000u);
  // The generator reaches every answer the engine can give (flags_invalid and mode_invalid
  // included), so each rule was exercised, through the log and replay too; except the margin
  // codes (29 and up), which need a risk configuration the generator's engine does not have yet
  // (engine_margin_test.cpp replays a logged margin sequence).
  for (std::uint8_t value = 0; value < kStatusCount; ++value) {
    const Status status = *status_from_value(value);
    if (status == Status::flags_invalid && !kGenerateUnknownFlagBits) continue;
    if (value >= static_cast<std::uint8_t>(Status::price_invalid)) continue;
    EXPECT_GT(tally.by_status[value], 0u) << status_name(status);
  }
}

}  // namespace
}  // namespace ballast
