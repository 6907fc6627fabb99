// Governance of risk parameters (governance.hpp), by hand: configuration checks, every status of
// propose, cancel and execute (each rejection leaving the encoded state byte-identical), the step
// rules (absolute, relative, the tighter binding), expiry, value_at across several changes, and
// the canonical encoding with its corrupt-input errors.

#include "ballast/governance/governance.hpp"
#include "ballast/core/testing/fixed_text.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

namespace ballast::governance {
namespace {

constexpr ParameterKey kMaint{1};  // ratio [0.01, 0.5], step 0.02 and 25 %
constexpr ParameterKey kCap{2};    // money [0, 10,000,000], step 1,000,000
constexpr ParameterKey kStale{3};  // duration [1 s, 60 s], step 50 %
constexpr ParameterKey kCount{4};  // count [1, 100], step 10
constexpr ParameterKey kNope{99};

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr TimestampNs kT0 = 1'000;
constexpr std::int64_t kTimelock = 100;
constexpr std::int64_t kGrace = 50;

std::int64_t r(const char* text) { return ratio(text).raw(); }
std::int64_t m(const char* text) { return money(text).raw(); }

std::vector<ParameterSpec> specs() {
  return {
      ParameterSpec{.key = kMaint, .name = "BTC-PERP.maintenance_ratio", .kind = ParameterKind::ratio,
                    .min = r("0.01"), .max = r("0.5"), .max_step = r("0.02"), .max_relative_step = ratio("0.25")},
      ParameterSpec{.key = kCap, .name = "ETH.deposit_cap", .kind = ParameterKind::money, .min = 0,
                    .max = m("10000000"), .max_step = m("1000000")},
      ParameterSpec{.key = kStale, .name = "oracle.max_staleness", .kind = ParameterKind::duration_ns,
                    .min = kSecond, .max = 60 * kSecond, .max_relative_step = ratio("0.5")},
      ParameterSpec{.key = kCount, .name = "liquidation.max_per_event", .kind = ParameterKind::count, .min = 1,
                    .max = 100, .max_step = 10},
  };
}

std::vector<std::int64_t> initial() { return {r("0.05"), m("5000000"), 10 * kSecond, 20}; }

GovernanceParams params() {
  return GovernanceParams{.timelock_ns = kTimelock, .grace_ns = kGrace, .max_pending = 3, .max_proposals = 20};
}

Governor governor() {
  auto made = Governor::make(specs(), initial(), params());
  EXPECT_TRUE(made.ok()) << made.error().message;
  return std::move(made).value();
}

std::string bytes_of(const Governor& g) {
  ByteWriter out;
  g.encode(out);
  return out.take();
}

Result<Governor> decode(std::string_view bytes) {
  ByteReader in(bytes);
  auto decoded = Governor::decode(in);
  if (decoded && !in.at_end()) return make_error(ErrorCode::corrupt, "trailing bytes");
  return decoded;
}

#define EXPECT_CONTAINS(text, fragment) \
  EXPECT_NE(std::string(text).find(fragment), std::string::npos) << (text)

// The operation must answer `expected` and leave the governor's bytes as they were.
void expect_rejected(Governor& g, GovernanceStatus expected, const std::function<GovernanceStatus(Governor&)>& op) {
  const std::string before = bytes_of(g);
  EXPECT_EQ(op(g), expected) << "expected " << governance_status_name(expected);
  EXPECT_EQ(bytes_of(g), before) << "a rejection changed the state";
}

std::function<GovernanceStatus(Governor&)> propose(std::uint64_t id, ParameterKey key, std::int64_t value,
                                                   TimestampNs now) {
  return [=](Governor& g) { return g.propose(ProposalId{id}, key, value, now); };
}
std::function<GovernanceStatus(Governor&)> cancel(std::uint64_t id, TimestampNs now) {
  return [=](Governor& g) { return g.cancel(ProposalId{id}, now); };
}
std::function<GovernanceStatus(Governor&)> execute(std::uint64_t id, TimestampNs now) {
  return [=](Governor& g) {
    const Execution e = g.execute(ProposalId{id}, now);
    EXPECT_EQ(e.change.has_value(), e.status == GovernanceStatus::ok);
    return e.status;
  };
}

// ---- Configuration ----

TEST(GovernanceConfig, SpecRules) {
  const ParameterSpec good = specs()[0];
  EXPECT_EQ(validate(good), ConfigStatus::ok);
  ParameterSpec s = good;
  s.name = "";
  EXPECT_EQ(validate(s), ConfigStatus::name_invalid);
  s.name = "has space";
  EXPECT_EQ(validate(s), ConfigStatus::name_invalid);
  s.name = std::string(65, 'a');
  EXPECT_EQ(validate(s), ConfigStatus::name_invalid);
  s.name = std::string(64, 'a');
  EXPECT_EQ(validate(s), ConfigStatus::ok);
  s = good;
  s.kind = static_cast<ParameterKind>(4);
  EXPECT_EQ(validate(s), ConfigStatus::kind_invalid);
  s = good;
  s.min = s.max + 1;
  EXPECT_EQ(validate(s), ConfigStatus::bounds_invalid);
  s = specs()[3];  // a count may not go below zero; a ratio may
  s.min = -1;
  EXPECT_EQ(validate(s), ConfigStatus::bounds_invalid);
  s = specs()[2];
  s.min = -1;
  EXPECT_EQ(validate(s), ConfigStatus::bounds_invalid);
  s = good;
  s.min = r("-0.5");
  EXPECT_EQ(validate(s), ConfigStatus::step_can_freeze);  // 0 is in bounds: 25 % of 0 is 0
  s.max_step = 0;  // fixed on purpose
  EXPECT_EQ(validate(s), ConfigStatus::ok);
  s = good;
  s.max_step.reset();
  s.max_relative_step.reset();
  EXPECT_EQ(validate(s), ConfigStatus::step_missing);
  s.max_step = -1;
  EXPECT_EQ(validate(s), ConfigStatus::step_negative);
  s.max_step.reset();
  s.max_relative_step = ratio("-0.1");
  EXPECT_EQ(validate(s), ConfigStatus::step_negative);
  // Relative only: 10 % of a count of 5 is 0.5, floored to 0: stuck at 5.
  s = ParameterSpec{.key = kCount, .name = "n", .kind = ParameterKind::count, .min = 5, .max = 100,
                    .max_relative_step = ratio("0.1")};
  EXPECT_EQ(validate(s), ConfigStatus::step_can_freeze);
  s.min = 10;  // 10 % of 10 is one unit
  EXPECT_EQ(validate(s), ConfigStatus::ok);
  s.min = -100;  // |v| is smallest at the bound nearest zero: -10
  s.max = -10;
  EXPECT_EQ(validate(s), ConfigStatus::bounds_invalid);  // a count is never negative
  s.kind = ParameterKind::money;
  EXPECT_EQ(validate(s), ConfigStatus::ok);
  s.max = -9;
  EXPECT_EQ(validate(s), ConfigStatus::step_can_freeze);
  s.min = s.max;  // a single value: nothing to freeze
  EXPECT_EQ(validate(s), ConfigStatus::ok);
}

TEST(GovernanceConfig, ParamsRules) {
  EXPECT_EQ(validate(GovernanceParams{}), ConfigStatus::ok);
  EXPECT_EQ(validate(GovernanceParams{.timelock_ns = 0}), ConfigStatus::timelock_invalid);
  EXPECT_EQ(validate(GovernanceParams{.timelock_ns = 1, .grace_ns = 0}), ConfigStatus::grace_invalid);
  EXPECT_EQ(validate(GovernanceParams{.timelock_ns = INT64_MAX - 5, .grace_ns = 6}), ConfigStatus::grace_invalid);
  EXPECT_EQ(validate(GovernanceParams{.timelock_ns = INT64_MAX - 5, .grace_ns = 5}), ConfigStatus::ok);
  EXPECT_EQ(validate(GovernanceParams{.max_pending = 0}), ConfigStatus::max_pending_invalid);
  EXPECT_EQ(validate(GovernanceParams{.max_pending = kMaxPendingCeiling + 1}), ConfigStatus::max_pending_invalid);
  EXPECT_EQ(validate(GovernanceParams{.max_proposals = 0}), ConfigStatus::max_proposals_invalid);
  EXPECT_EQ(validate(GovernanceParams{.max_proposals = kMaxProposalsCeiling + 1}),
            ConfigStatus::max_proposals_invalid);
}

TEST(GovernanceConfig, MakeNamesWhatIsWrong) {
  const auto error = [](std::vector<ParameterSpec> s, std::vector<std::int64_t> v, GovernanceParams p) {
    auto made = Governor::make(std::move(s), std::move(v), p);
    EXPECT_FALSE(made.ok());
    if (made.ok()) return std::string();
    EXPECT_EQ(made.error().code, ErrorCode::invalid_input);
    return made.error().message;
  };
  auto s = specs();
  s[1].min = m("20000000");
  EXPECT_CONTAINS(error(s, initial(), params()),
                  "governance config: bounds_invalid: parameter ETH.deposit_cap (key 2): min 20000000, max 10000000");
  s = specs();
  s[2].key = kMaint;
  EXPECT_CONTAINS(error(s, initial(), params()), "key_duplicate: parameter oracle.max_staleness (key 1)");
  s = specs();
  s[3].name = s[0].name;
  EXPECT_CONTAINS(error(s, initial(), params()), "name_duplicate");
  auto v = initial();
  v[0] = r("0.6");
  EXPECT_CONTAINS(error(specs(), v, params()),
                  "initial_out_of_bounds: parameter BTC-PERP.maintenance_ratio (key 1): 0.6 outside [0.01, 0.5]");
  v.pop_back();
  EXPECT_CONTAINS(error(specs(), v, params()), "initial_count_mismatch: 3 initial values for 4 parameters");
  EXPECT_CONTAINS(error(specs(), initial(), GovernanceParams{.timelock_ns = -1}), "timelock_invalid");
  EXPECT_CONTAINS(error(std::vector<ParameterSpec>(kMaxParameters + 1), std::vector<std::int64_t>(kMaxParameters + 1),
                        params()),
                  "too_many_parameters");
}

TEST(GovernanceConfig, KeysNamesAndValues) {
  auto reversed = specs();
  std::reverse(reversed.begin(), reversed.end());
  auto values = initial();
  std::reverse(values.begin(), values.end());
  const Governor g = std::move(Governor::make(reversed, values, params())).value();
  EXPECT_EQ(bytes_of(g), bytes_of(governor()));  // equal states, equal bytes, whatever the input order
  EXPECT_EQ(g.value(kMaint), r("0.05"));
  EXPECT_EQ(g.value(kStale), 10 * kSecond);
  EXPECT_EQ(g.value(kNope), std::nullopt);
  EXPECT_EQ(g.value_at(kNope, kT0), std::nullopt);
  EXPECT_TRUE(g.history(kNope).empty());
  EXPECT_EQ(g.spec(kNope), nullptr);
  EXPECT_EQ(g.key_of("ETH.deposit_cap"), kCap);
  EXPECT_EQ(g.key_of("ETH.deposit"), std::nullopt);
  ASSERT_EQ(g.specs().size(), 4u);
  EXPECT_EQ(g.specs()[0].key, kMaint);
  EXPECT_EQ(g.spec(kCount)->name, "liquidation.max_per_event");
  EXPECT_EQ(format_value(ParameterKind::ratio, r("0.05")), "0.05");
  EXPECT_EQ(format_value(ParameterKind::money, m("1500.25")), "1500.25");
  EXPECT_EQ(format_value(ParameterKind::duration_ns, 3 * kSecond), "3000000000ns");
  EXPECT_EQ(format_value(ParameterKind::count, 12), "12");
}

// ---- Statuses ----

TEST(GovernanceStatuses, NamesAndMessagesAreDistinct) {
  for (std::uint8_t i = 0; i < kGovernanceStatusCount; ++i) {
    const auto status = static_cast<GovernanceStatus>(i);
    EXPECT_STRNE(governance_status_name(status), "unknown");
    EXPECT_STRNE(governance_status_message(status), "unknown status");
    for (std::uint8_t j = 0; j < i; ++j) {
      EXPECT_STRNE(governance_status_name(status), governance_status_name(static_cast<GovernanceStatus>(j)));
    }
  }
  EXPECT_STREQ(governance_status_name(static_cast<GovernanceStatus>(kGovernanceStatusCount)), "unknown");
  EXPECT_STREQ(governance_status_name(GovernanceStatus::timelock_pending), "timelock_pending");
}

TEST(GovernancePropose, QueuesWithEtaAndExpiry) {
  Governor g = governor();
  EXPECT_EQ(g.propose(ProposalId{7}, kMaint, r("0.06"), kT0), GovernanceStatus::ok);
  EXPECT_EQ(g.clock_ns(), kT0);
  EXPECT_EQ(g.value(kMaint), r("0.05"));  // nothing in force before execution
  const std::vector<Proposal> pending = g.pending();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].id, ProposalId{7});
  EXPECT_EQ(pending[0].key, kMaint);
  EXPECT_EQ(pending[0].new_value, r("0.06"));
  EXPECT_EQ(pending[0].proposed_ns, kT0);
  EXPECT_EQ(pending[0].eta_ns, kT0 + kTimelock);
  EXPECT_EQ(pending[0].expires_ns, kT0 + kTimelock + kGrace);
  EXPECT_EQ(pending[0].state, ProposalState::queued);
  EXPECT_EQ(g.proposal(ProposalId{7}), pending[0]);
  EXPECT_EQ(g.proposal(ProposalId{8}), std::nullopt);
}

TEST(GovernancePropose, EveryRejectionChangesNothing) {
  Governor g = governor();
  ASSERT_EQ(g.propose(ProposalId{1}, kCap, m("5500000"), kT0), GovernanceStatus::ok);
  // Clock.
  expect_rejected(g, GovernanceStatus::time_invalid, propose(2, kMaint, r("0.06"), -1));
  expect_rejected(g, GovernanceStatus::time_invalid, propose(2, kMaint, r("0.06"), INT64_MAX - kTimelock));
  expect_rejected(g, GovernanceStatus::time_regressed, propose(2, kMaint, r("0.06"), kT0 - 1));
  // Identity.
  expect_rejected(g, GovernanceStatus::proposal_id_invalid, propose(0, kMaint, r("0.06"), kT0));
  expect_rejected(g, GovernanceStatus::proposal_exists, propose(1, kMaint, r("0.06"), kT0));
  expect_rejected(g, GovernanceStatus::parameter_unknown, propose(2, kNope, 1, kT0));
  // Bounds: [0.01, 0.5], both ends included.
  expect_rejected(g, GovernanceStatus::out_of_bounds, propose(2, kMaint, r("0.009999999999"), kT0));
  expect_rejected(g, GovernanceStatus::out_of_bounds, propose(2, kMaint, r("0.500000000001"), kT0));
  expect_rejected(g, GovernanceStatus::out_of_bounds, propose(2, kCount, 0, kT0));
  expect_rejected(g, GovernanceStatus::out_of_bounds, propose(2, kCount, 101, kT0));
  expect_rejected(g, GovernanceStatus::no_change, propose(2, kMaint, r("0.05"), kT0));
  // Step from 0.05: 25 % is 0.0125, tighter than 0.02.
  expect_rejected(g, GovernanceStatus::change_too_large, propose(2, kMaint, r("0.062500000001"), kT0));
  expect_rejected(g, GovernanceStatus::change_too_large, propose(2, kMaint, r("0.037499999999"), kT0));
  // Room.
  expect_rejected(g, GovernanceStatus::parameter_busy, propose(2, kCap, m("5400000"), kT0));
  EXPECT_EQ(g.proposal_count(), 1u);
  EXPECT_EQ(g.propose(ProposalId{2}, kMaint, r("0.0625"), kT0), GovernanceStatus::ok);
  EXPECT_EQ(g.propose(ProposalId{3}, kCount, 30, kT0 + 1), GovernanceStatus::ok);
  EXPECT_EQ(g.clock_ns(), kT0 + 1);
  expect_rejected(g, GovernanceStatus::too_many_pending, propose(4, kStale, 15 * kSecond, kT0 + 1));
}

TEST(GovernancePropose, CapacityIsCheckedAtProposeOnly) {
  auto p = params();
  p.max_proposals = 2;
  Governor g = std::move(Governor::make(specs(), initial(), p)).value();
  ASSERT_EQ(g.propose(ProposalId{1}, kCount, 21, kT0), GovernanceStatus::ok);
  ASSERT_EQ(g.cancel(ProposalId{1}, kT0), GovernanceStatus::ok);
  ASSERT_EQ(g.propose(ProposalId{2}, kCount, 22, kT0), GovernanceStatus::ok);
  // Cancelled proposals count: every record is kept for good.
  expect_rejected(g, GovernanceStatus::capacity_exhausted, propose(3, kCap, m("5000001"), kT0));
  // The queued one still executes.
  EXPECT_EQ(g.execute(ProposalId{2}, kT0 + kTimelock).status, GovernanceStatus::ok);
  EXPECT_EQ(g.value(kCount), 22);
}

TEST(GovernancePropose, PrecedenceFollowsTheEnum) {
  Governor g = governor();
  ASSERT_EQ(g.propose(ProposalId{1}, kCount, 25, kT0), GovernanceStatus::ok);
  // Regressed time beats a reused id, an unknown key and a bad value.
  expect_rejected(g, GovernanceStatus::time_regressed, propose(1, kNope, -5, kT0 - 1));
  // A reused id beats an unknown key.
  expect_rejected(g, GovernanceStatus::proposal_exists, propose(1, kNope, 5, kT0));
  // A value out of bounds beats a busy parameter; too large a change does too.
  expect_rejected(g, GovernanceStatus::out_of_bounds, propose(2, kCount, 500, kT0));
  expect_rejected(g, GovernanceStatus::change_too_large, propose(2, kCount, 31, kT0));
  expect_rejected(g, GovernanceStatus::parameter_busy, propose(2, kCount, 30, kT0));
}

TEST(GovernanceExecute, TimelockThenExecutionThenHistory) {
  Governor g = governor();
  ASSERT_EQ(g.propose(ProposalId{7}, kMaint, r("0.06"), kT0), GovernanceStatus::ok);
  // Before the timelock: rejected, nothing changed.
  expect_rejected(g, GovernanceStatus::timelock_pending, execute(7, kT0));
  expect_rejected(g, GovernanceStatus::timelock_pending, execute(7, kT0 + kTimelock - 1));
  EXPECT_EQ(g.check_execute(ProposalId{7}, kT0 + kTimelock), GovernanceStatus::ok);
  // At eta exactly.
  const Execution e = g.execute(ProposalId{7}, kT0 + kTimelock);
  ASSERT_EQ(e.status, GovernanceStatus::ok);
  const ParameterChange expected{ProposalId{7}, kMaint, r("0.05"), r("0.06"), kT0, kT0 + kTimelock};
  EXPECT_EQ(e.change, expected);
  EXPECT_EQ(g.value(kMaint), r("0.06"));
  ASSERT_EQ(g.history(kMaint).size(), 1u);
  EXPECT_EQ(g.history(kMaint)[0], expected);
  EXPECT_EQ(g.change_count(), 1u);
  EXPECT_TRUE(g.pending().empty());
  EXPECT_EQ(g.proposal(ProposalId{7})->state, ProposalState::executed);
  EXPECT_EQ(g.proposal(ProposalId{7})->resolved_ns, kT0 + kTimelock);
  EXPECT_EQ(g.describe(expected),
            "BTC-PERP.maintenance_ratio (key 1): 0.05 -> 0.06 by proposal 7, proposed at 1000 ns, executed at 1100 ns");
  // Afterwards.
  expect_rejected(g, GovernanceStatus::already_executed, execute(7, kT0 + kTimelock));
  expect_rejected(g, GovernanceStatus::already_executed, cancel(7, kT0 + kTimelock));
  expect_rejected(g, GovernanceStatus::proposal_exists, propose(7, kMaint, r("0.07"), kT0 + kTimelock));
  expect_rejected(g, GovernanceStatus::proposal_unknown, execute(8, kT0 + kTimelock));
  expect_rejected(g, GovernanceStatus::proposal_id_invalid, execute(0, kT0 + kTimelock));
  expect_rejected(g, GovernanceStatus::time_regressed, execute(8, kT0));
  expect_rejected(g, GovernanceStatus::time_invalid, execute(7, -5));
  // The step is now measured from 0.06: 25 % is 0.015, tighter than 0.02.
  expect_rejected(g, GovernanceStatus::change_too_large, propose(8, kMaint, r("0.075000000001"), kT0 + kTimelock));
  EXPECT_EQ(g.propose(ProposalId{8}, kMaint, r("0.075"), kT0 + kTimelock), GovernanceStatus::ok);
}

TEST(GovernanceExecute, GraceWindowAndExpiry) {
  Governor g = governor();
  ASSERT_EQ(g.propose(ProposalId{1}, kCount, 30, kT0), GovernanceStatus::ok);
  ASSERT_EQ(g.propose(ProposalId{2}, kStale, 15 * kSecond, kT0), GovernanceStatus::ok);
  const TimestampNs expiry = kT0 + kTimelock + kGrace;
  // The last nanosecond of the window still executes.
  EXPECT_EQ(g.execute(ProposalId{1}, expiry).status, GovernanceStatus::ok);
  // One past it: expired, for execute and cancel alike.
  expect_rejected(g, GovernanceStatus::expired, execute(2, expiry + 1));
  expect_rejected(g, GovernanceStatus::expired, cancel(2, expiry + 1));
  EXPECT_EQ(g.pending().size(), 1u);  // derived: still queued until an accepted operation
  // An expired proposal neither blocks its parameter nor counts as pending; the accepted
  // operation marks it.
  EXPECT_EQ(g.propose(ProposalId{3}, kStale, 5 * kSecond, expiry + 1), GovernanceStatus::ok);
  const auto expired = g.proposal(ProposalId{2});
  EXPECT_EQ(expired->state, ProposalState::expired);
  EXPECT_EQ(expired->resolved_ns, expiry);
  expect_rejected(g, GovernanceStatus::expired, execute(2, expiry + 1));
  ASSERT_EQ(g.pending().size(), 1u);
  EXPECT_EQ(g.pending()[0].id, ProposalId{3});
  EXPECT_EQ(g.value(kStale), 10 * kSecond);
  // Relative only, from 10 s: 50 % each way, so 5 s exactly.
  EXPECT_EQ(g.execute(ProposalId{3}, expiry + 1 + kTimelock).status, GovernanceStatus::ok);
  EXPECT_EQ(g.value(kStale), 5 * kSecond);
  expect_rejected(g, GovernanceStatus::change_too_large, propose(4, kStale, 7'500'000'000 + 1, g.clock_ns()));
  EXPECT_EQ(g.propose(ProposalId{4}, kStale, 7'500'000'000, g.clock_ns()), GovernanceStatus::ok);
}

TEST(GovernanceExecute, MaxPendingCountsOnlyLiveProposals) {
  Governor g = governor();
  ASSERT_EQ(g.propose(ProposalId{1}, kMaint, r("0.06"), kT0), GovernanceStatus::ok);
  ASSERT_EQ(g.propose(ProposalId{2}, kCap, m("5000001"), kT0), GovernanceStatus::ok);
  ASSERT_EQ(g.propose(ProposalId{3}, kCount, 21, kT0 + 10), GovernanceStatus::ok);
  expect_rejected(g, GovernanceStatus::too_many_pending, propose(4, kStale, 11 * kSecond, kT0 + 10));
  // Proposals 1 and 2 expire after kT0 + 150; proposal 3 after kT0 + 160.
  expect_rejected(g, GovernanceStatus::too_many_pending, propose(4, kStale, 11 * kSecond, kT0 + 150));
  EXPECT_EQ(g.propose(ProposalId{4}, kStale, 11 * kSecond, kT0 + 151), GovernanceStatus::ok);
  EXPECT_EQ(g.pending().size(), 2u);
}

TEST(GovernanceCancel, CancelAndItsRejections) {
  Governor g = governor();
  ASSERT_EQ(g.propose(ProposalId{5}, kCap, m("6000000"), kT0), GovernanceStatus::ok);
  expect_rejected(g, GovernanceStatus::proposal_unknown, cancel(6, kT0));
  expect_rejected(g, GovernanceStatus::proposal_id_invalid, cancel(0, kT0));
  expect_rejected(g, GovernanceStatus::time_regressed, cancel(5, kT0 - 1));
  EXPECT_EQ(g.cancel(ProposalId{5}, kT0 + kTimelock + 1), GovernanceStatus::ok);  // after eta is fine
  EXPECT_EQ(g.proposal(ProposalId{5})->state, ProposalState::cancelled);
  EXPECT_EQ(g.proposal(ProposalId{5})->resolved_ns, kT0 + kTimelock + 1);
  expect_rejected(g, GovernanceStatus::already_cancelled, cancel(5, kT0 + kTimelock + 1));
  expect_rejected(g, GovernanceStatus::already_cancelled, execute(5, kT0 + kTimelock + 1));
  EXPECT_EQ(g.value(kCap), m("5000000"));
  EXPECT_TRUE(g.history(kCap).empty());
  // The parameter is free again in the same nanosecond.
  EXPECT_EQ(g.propose(ProposalId{6}, kCap, m("4000000"), kT0 + kTimelock + 1), GovernanceStatus::ok);
}

TEST(GovernanceSteps, TheTighterLimitBinds) {
  // From 0.4: 25 % is 0.1, so the absolute 0.02 binds.
  auto v = initial();
  v[0] = r("0.4");
  Governor g = std::move(Governor::make(specs(), v, params())).value();
  expect_rejected(g, GovernanceStatus::change_too_large, propose(1, kMaint, r("0.420000000001"), kT0));
  expect_rejected(g, GovernanceStatus::change_too_large, propose(1, kMaint, r("0.379999999999"), kT0));
  EXPECT_EQ(g.propose(ProposalId{1}, kMaint, r("0.38"), kT0), GovernanceStatus::ok);
  // Money, absolute only: 1,000,000 each way from 5,000,000.
  expect_rejected(g, GovernanceStatus::change_too_large, propose(2, kCap, m("6000000.000001"), kT0));
  EXPECT_EQ(g.propose(ProposalId{2}, kCap, m("6000000"), kT0), GovernanceStatus::ok);
  // The relative step rounds down: 25 % of 0.010000000001 is 0.00250000000025, floored to
  // 0.0025 (whole 1e-12 units).
  v[0] = r("0.010000000001");
  Governor h = std::move(Governor::make(specs(), v, params())).value();
  expect_rejected(h, GovernanceStatus::change_too_large, propose(1, kMaint, r("0.012500000002"), kT0));
  EXPECT_EQ(h.propose(ProposalId{1}, kMaint, r("0.012500000001"), kT0), GovernanceStatus::ok);
}

// ---- History ----

TEST(GovernanceHistory, ValueAtAcrossSeveralChanges) {
  Governor g = governor();
  // Three changes of the count, 20 -> 30 -> 25 -> 35, executed at 1100, 1300 and 1400, with a
  // cancelled proposal and a change of another parameter in between.
  ASSERT_EQ(g.propose(ProposalId{1}, kCount, 30, 1000), GovernanceStatus::ok);
  ASSERT_EQ(g.execute(ProposalId{1}, 1100).status, GovernanceStatus::ok);
  ASSERT_EQ(g.propose(ProposalId{2}, kCount, 21, 1100), GovernanceStatus::ok);
  ASSERT_EQ(g.cancel(ProposalId{2}, 1150), GovernanceStatus::ok);
  ASSERT_EQ(g.propose(ProposalId{3}, kCount, 25, 1150), GovernanceStatus::ok);
  ASSERT_EQ(g.propose(ProposalId{4}, kMaint, r("0.04"), 1160), GovernanceStatus::ok);
  ASSERT_EQ(g.execute(ProposalId{3}, 1300).status, GovernanceStatus::ok);
  ASSERT_EQ(g.execute(ProposalId{4}, 1300).status, GovernanceStatus::ok);
  ASSERT_EQ(g.propose(ProposalId{5}, kCount, 35, 1300), GovernanceStatus::ok);
  ASSERT_EQ(g.execute(ProposalId{5}, 1400).status, GovernanceStatus::ok);

  const std::vector<std::pair<TimestampNs, std::int64_t>> expected = {
      {0, 20},    {1099, 20}, {1100, 30}, {1101, 30}, {1299, 30},
      {1300, 25}, {1399, 25}, {1400, 35}, {INT64_MAX, 35}, {-5, 20}};
  for (const auto& [t, value] : expected) {
    EXPECT_EQ(g.value_at(kCount, t), value) << "t = " << t;
  }
  EXPECT_EQ(g.value_at(kMaint, 1299), r("0.05"));
  EXPECT_EQ(g.value_at(kMaint, 1300), r("0.04"));
  EXPECT_EQ(g.value_at(kCap, 1300), m("5000000"));  // never changed
  EXPECT_EQ(g.value(kCount), 35);

  const auto history = g.history(kCount);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0], (ParameterChange{ProposalId{1}, kCount, 20, 30, 1000, 1100}));
  EXPECT_EQ(history[1], (ParameterChange{ProposalId{3}, kCount, 30, 25, 1150, 1300}));
  EXPECT_EQ(history[2], (ParameterChange{ProposalId{5}, kCount, 25, 35, 1300, 1400}));
  EXPECT_EQ(g.change_count(), 4u);
  EXPECT_EQ(g.proposal_count(), 5u);
}

// ---- Encoding ----

// A governor with every proposal state, a history, and a queued proposal.
Governor busy_governor() {
  Governor g = governor();
  EXPECT_EQ(g.propose(ProposalId{10}, kCount, 30, 1000), GovernanceStatus::ok);
  EXPECT_EQ(g.propose(ProposalId{3}, kMaint, r("0.06"), 1000), GovernanceStatus::ok);
  EXPECT_EQ(g.execute(ProposalId{10}, 1100).status, GovernanceStatus::ok);
  EXPECT_EQ(g.cancel(ProposalId{3}, 1100), GovernanceStatus::ok);
  EXPECT_EQ(g.propose(ProposalId{11}, kCap, m("4500000"), 1100), GovernanceStatus::ok);
  EXPECT_EQ(g.propose(ProposalId{12}, kCount, 25, 1200), GovernanceStatus::ok);  // expires after 1350
  EXPECT_EQ(g.execute(ProposalId{11}, 1200).status, GovernanceStatus::ok);
  EXPECT_EQ(g.propose(ProposalId{20}, kCount, 26, 1400), GovernanceStatus::ok);  // marks 12 expired
  EXPECT_EQ(g.propose(ProposalId{21}, kStale, 12 * kSecond, 1400), GovernanceStatus::ok);
  return g;
}

TEST(GovernanceCodec, RoundTripIsExactAndCanonical) {
  const Governor g = busy_governor();
  EXPECT_EQ(g.proposal(ProposalId{12})->state, ProposalState::expired);
  const std::string bytes = bytes_of(g);
  auto decoded = decode(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(bytes_of(*decoded), bytes);
  EXPECT_TRUE(*decoded == g);  // every derived field rebuilt: histories, queues, counts
  EXPECT_EQ(decoded->value(kCount), 30);
  EXPECT_EQ(decoded->value_at(kCap, 1199), m("5000000"));
  EXPECT_EQ(decoded->value_at(kCap, 1200), m("4500000"));
  ASSERT_EQ(decoded->pending().size(), 2u);
  EXPECT_EQ(decoded->proposal(ProposalId{3})->state, ProposalState::cancelled);
  // The decoded governor goes on exactly like the original.
  Governor a = g;
  Governor b = std::move(decoded).value();
  for (Governor* x : {&a, &b}) {
    EXPECT_EQ(x->execute(ProposalId{20}, 1500).status, GovernanceStatus::ok);
    EXPECT_EQ(x->propose(ProposalId{22}, kCount, 26, 1500), GovernanceStatus::no_change);
  }
  EXPECT_EQ(bytes_of(a), bytes_of(b));
  EXPECT_EQ(bytes[0], 1);  // the format version
}

TEST(GovernanceCodec, EveryTruncationIsAnErrorNamingAField) {
  const std::string bytes = bytes_of(busy_governor());
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    auto decoded = decode(std::string_view(bytes).substr(0, length));
    ASSERT_FALSE(decoded.ok()) << length;
    EXPECT_EQ(decoded.error().code, ErrorCode::corrupt);
    EXPECT_CONTAINS(decoded.error().message, "governor state at byte ");
  }
  EXPECT_CONTAINS(decode(std::string_view(bytes).substr(0, 3)).error().message,
                  "byte 1: truncated before field params.timelock_ns");
}

TEST(GovernanceCodec, EveryByteFlipIsAnErrorOrCanonical) {
  const std::string bytes = bytes_of(busy_governor());
  int accepted = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (const int mask : {0x01, 0x5a, 0x80}) {
      std::string bad = bytes;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      auto decoded = decode(bad);
      if (!decoded.ok()) {
        EXPECT_EQ(decoded.error().code, ErrorCode::corrupt);
        continue;
      }
      ++accepted;
      EXPECT_EQ(bytes_of(*decoded), bad) << "byte " << i;
    }
  }
  EXPECT_GT(accepted, 0);  // e.g. a different new value still within the rules
}

// Hand-written state bytes: the layout in governance.hpp, one count parameter [1, 100] with step
// 10, initial 20, timelock 100, grace 50, max_pending 2, max_proposals 4.
struct RawProposal {
  std::uint64_t id;
  std::uint32_t key;
  std::int64_t new_value;
  std::int64_t proposed_ns;
  std::uint8_t state;  // 0 queued, 1 executed, 2 cancelled, 3 expired
  std::int64_t resolved_ns = 0;
};

std::string raw_state(TimestampNs clock, const std::vector<RawProposal>& proposals,
                      std::uint32_t count_override = 0) {
  ByteWriter w;
  w.u8(1);
  w.i64(100);
  w.i64(50);
  w.u32(2);
  w.u32(4);
  w.i64(clock);
  w.u32(1);
  w.u32(4);
  w.text("n");
  w.u8(3);
  w.i64(1);
  w.i64(100);
  w.u8(1);
  w.i64(10);
  w.u8(0);
  w.i64(20);
  w.u32(count_override ? count_override : static_cast<std::uint32_t>(proposals.size()));
  for (const RawProposal& p : proposals) {
    w.u64(p.id);
    w.u32(p.key);
    w.i64(p.new_value);
    w.i64(p.proposed_ns);
    w.u8(p.state);
    if (p.state == 1 || p.state == 2) w.i64(p.resolved_ns);
  }
  return w.take();
}

std::string decode_error(const std::string& bytes) {
  auto decoded = decode(bytes);
  EXPECT_FALSE(decoded.ok());
  if (decoded.ok()) return {};
  EXPECT_EQ(decoded.error().code, ErrorCode::corrupt);
  return decoded.error().message;
}

TEST(GovernanceCodec, HandWrittenStateMatchesTheLayout) {
  Governor g = std::move(Governor::make({ParameterSpec{.key = ParameterKey{4}, .name = "n", .kind = ParameterKind::count,
                                                       .min = 1, .max = 100, .max_step = 10}},
                                        {20}, GovernanceParams{100, 50, 2, 4}))
                   .value();
  ASSERT_EQ(g.propose(ProposalId{5}, ParameterKey{4}, 30, 1000), GovernanceStatus::ok);
  ASSERT_EQ(g.execute(ProposalId{5}, 1120).status, GovernanceStatus::ok);
  ASSERT_EQ(g.propose(ProposalId{6}, ParameterKey{4}, 22, 1120), GovernanceStatus::ok);
  ASSERT_EQ(g.cancel(ProposalId{6}, 1130), GovernanceStatus::ok);
  ASSERT_EQ(g.propose(ProposalId{8}, ParameterKey{4}, 40, 1130), GovernanceStatus::ok);
  EXPECT_EQ(bytes_of(g), raw_state(1130, {{5, 4, 30, 1000, 1, 1120}, {6, 4, 22, 1120, 2, 1130}, {8, 4, 40, 1130, 0}}));
}

TEST(GovernanceCodec, InconsistentStatesAreRefusedByName) {
  const std::vector<RawProposal> good = {{5, 4, 30, 1000, 1, 1120}, {6, 4, 22, 1120, 2, 1130}, {8, 4, 40, 1130, 0}};
  ASSERT_TRUE(decode(raw_state(1130, good)).ok()) << decode(raw_state(1130, good)).error().message;
  // The proposal section starts after the fixed head (25), the clock (8), the parameter
  // (4 count + 4 key + 5 name + 1 + 8 + 8 + 1 + 8 + 1 + 8) and the proposal count (4): byte 85.
  EXPECT_CONTAINS(decode_error(raw_state(1130, {{5, 4, 30, 1000, 4}})), "byte 113: proposals[0].state must be at most 3, got 4");
  EXPECT_CONTAINS(decode_error(raw_state(1130, {{0, 4, 30, 1000, 0}})), "byte 85: proposals[0] (id 0): the id 0 is reserved");
  EXPECT_CONTAINS(decode_error(raw_state(1130, {{6, 4, 22, 1000, 2, 1000}, {5, 4, 30, 1000, 0}})),
                  "proposals[1] (id 5): ids must be increasing (previous 6)");
  EXPECT_CONTAINS(decode_error(raw_state(1130, {{5, 7, 30, 1000, 0}})), "key 7 is not a parameter");
  EXPECT_CONTAINS(decode_error(raw_state(1130, {{5, 4, 30, 1131, 0}})), "proposed_ns 1131 is outside [0, clock_ns]");
  EXPECT_CONTAINS(decode_error(raw_state(1130, {{5, 4, 101, 1000, 0}})), "new_value 101 is outside the bounds");
  EXPECT_CONTAINS(decode_error(raw_state(1151, {{5, 4, 30, 1000, 0}})), "queued but expired before clock_ns");
  EXPECT_CONTAINS(decode_error(raw_state(1150, {{5, 4, 30, 1000, 3}})), "expired but not past its expiry");
  EXPECT_CONTAINS(decode_error(raw_state(1130, {{5, 4, 30, 1000, 1, 1099}})), "executed at 1099, outside [eta, expiry]");
  EXPECT_CONTAINS(decode_error(raw_state(1130, {{5, 4, 30, 1000, 1, 1131}})), "after clock_ns");
  EXPECT_CONTAINS(decode_error(raw_state(1130, {{5, 4, 30, 1000, 2, 999}})), "cancelled at 999");
  // Rules that span proposals.
  EXPECT_CONTAINS(decode_error(raw_state(1130, {{5, 4, 30, 1000, 0}, {6, 4, 22, 1010, 2, 1020}})),
                  "byte 114: proposals[1] (id 6): proposed while proposal 5 targeted n");
  EXPECT_CONTAINS(decode_error(raw_state(1130, {{5, 4, 31, 1000, 1, 1120}})),
                  "proposals[0] (id 5): change_too_large against the value 20 in force when proposed");
  EXPECT_CONTAINS(decode_error(raw_state(1130, {{5, 4, 30, 1000, 1, 1120}, {6, 4, 30, 1120, 2, 1130}})),
                  "proposals[1] (id 6): no_change against the value 30");
  EXPECT_CONTAINS(decode_error(raw_state(1130, {{5, 4, 30, 1000, 0}}, 5)), "proposal count 5 is above the cap 4");
  // Canonical bytes only.
  std::string bad = raw_state(1130, good);
  bad[0] = 2;
  EXPECT_CONTAINS(decode_error(bad), "byte 0: format version must be 1, got 2");
  bad = raw_state(1130, good);
  bad[63] = 2;  // has max_step
  EXPECT_CONTAINS(decode_error(bad), "byte 63: parameters[0].has max_step must be 0 or 1, got 2");
  bad = raw_state(1130, good);
  bad[46] = 4;  // kind
  EXPECT_CONTAINS(decode_error(bad), "byte 46: parameters[0].kind must be at most 3, got 4");
  bad = raw_state(1130, good);
  bad[25 + 7] = static_cast<char>(0x80);  // the clock's sign
  EXPECT_CONTAINS(decode_error(bad), "byte 25: clock_ns");
  bad = raw_state(1130, good);
  bad[1] = 0;  // timelock 0
  EXPECT_CONTAINS(decode_error(bad), "byte 1: params: timelock_invalid");
  bad = raw_state(1130, good);
  bad[45] = ' ';  // the name "n" becomes " "
  EXPECT_CONTAINS(decode_error(bad), "byte 33: governance config: name_invalid");
  EXPECT_CONTAINS(decode_error(raw_state(1130, good) + "x"), "trailing bytes");
}

TEST(GovernanceCodec, TooManyQueuedIsRefused) {
  Governor g = governor();
  ASSERT_EQ(g.propose(ProposalId{1}, kMaint, r("0.06"), kT0), GovernanceStatus::ok);
  ASSERT_EQ(g.propose(ProposalId{2}, kCap, m("5000001"), kT0), GovernanceStatus::ok);
  ASSERT_EQ(g.propose(ProposalId{3}, kCount, 21, kT0), GovernanceStatus::ok);
  std::string bytes = bytes_of(g);
  ASSERT_TRUE(decode(bytes).ok());
  ASSERT_EQ(bytes[17], 3);  // params.max_pending, u32 at byte 17
  bytes[17] = 2;
  EXPECT_CONTAINS(decode_error(bytes), "byte 0: 3 queued proposals, above max_pending 2");
}

}  // namespace
}  // namespace ballast::governance
