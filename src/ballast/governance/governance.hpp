#pragma once
// Governance of risk parameters (issue 6, item 6): proposals with per-parameter bounds, a maximum
// change per proposal, a timelock, execution as events, and a queryable parameter history.
//
// A pure library: time is an argument (DESIGN principle 2), and the engine wraps each operation
// in an event and logs each executed ParameterChange. The rules:
//
//   parameters  Each has a ParameterSpec: a key (a small integer id), a name for messages
//               ("BTC-PERP.maintenance_ratio"), a kind that says where the point goes (ratio 1e-12,
//               money 1e-6, duration in ns, count), bounds [min, max] on the raw value, and the
//               largest change one executed proposal may make: an absolute max_step, a relative
//               max_relative_step (a Ratio of |current value|, rounded down), or both, the tighter
//               binding. Values are raw int64 at the kind's scale, so every comparison is exact.
//   propose     queues a new value for one parameter: eta = now + timelock, and the proposal
//               expires unless executed in [eta, eta + grace] (both ends included). It must be in
//               bounds, differ from the current value and be within the step of it. One proposal
//               per parameter at a time: the step is then measured from the value that will be
//               replaced, so max_step really bounds each change.
//   cancel      withdraws a queued proposal (before or after its eta).
//   execute     at or after eta, no later than eta + grace: re-checks bounds and step against the
//               value current at execution, applies the value, and returns the ParameterChange.
//
// Statuses (GovernanceStatus): a rejection changes nothing, not even the clock. The enum's
// declaration order is the precedence: an operation that breaks several rules gets the first.
//
// Time only moves forward: each accepted operation sets the governor's clock, and an operation
// earlier than it is rejected (time_regressed). So the changes of a parameter are strictly
// increasing in execution time (the timelock is > 0 and a parameter has one proposal at a time),
// and value_at is a binary search. A change is in force from its executed_ns on, inclusive.
//
// Expiry is derived: a queued proposal is expired once now > expires_ns. Each accepted operation
// first marks the queued proposals that are expired at its time (state expired), so after it every
// queued proposal is live at clock_ns(); an expired proposal no longer counts toward max_pending
// and no longer blocks its parameter.
//
// Bounds on memory: at most max_pending queued proposals (live at the operation's time), and at
// most max_proposals proposals recorded over the governor's life, whatever became of them. The cap
// is total, not per parameter, and it covers every proposal (the executed ones are the history):
//   - one number bounds the governor's memory and snapshot (a record encodes in at most 37 bytes:
//     the default 65,536 is about 2.4 MB), whatever the number of parameters;
//   - nothing is ever forgotten, so value_at is exact at every time, a retried execute or cancel
//     gets the same answer forever, and a reused proposal id is always caught;
//   - the cap is checked at propose (capacity_exhausted), never at execute, so a queued proposal
//     can always be executed. A venue nearing the cap starts a new governor from the current
//     values (the engine's log keeps every change as an event).
// A busy parameter cannot crowd the others out quickly: it changes at most once per timelock.
//
// Encoding (encode / decode): canonical little-endian bytes (core/bytes.hpp). Layout:
//   u8 format version (1)
//   params: i64 timelock_ns | i64 grace_ns | u32 max_pending | u32 max_proposals
//   i64 clock_ns
//   u32 parameter count, then each parameter in increasing key order:
//     u32 key | text name | u8 kind | i64 min | i64 max | u8 has max_step [i64 max_step]
//     | u8 has max_relative_step [i64 Ratio raw] | i64 initial value
//   u32 proposal count, then each proposal in increasing id order:
//     u64 id | u32 key | i64 new_value | i64 proposed_ns | u8 state
//     | i64 resolved_ns (executed and cancelled only)
// Nothing is stored twice: current values and histories follow from the executed proposals (in
// execution order per parameter), eta and expiry from proposed_ns and the params. Decode checks
// every invariant the operations keep (bounds, steps, one proposal per parameter at a time, times
// within the clock and the windows, the caps), so a decoded governor behaves like any other, and
// decode accepts only what encode writes: decode(bytes) re-encodes to the same bytes. A decode
// error names the field and the byte where it starts.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ballast/core/bytes.hpp"
#include "ballast/core/fixed.hpp"
#include "ballast/core/ids.hpp"
#include "ballast/core/result.hpp"

namespace ballast::governance {

using ParameterKey = Id<struct ParameterKeyTag, std::uint32_t>;
// 0 is reserved (proposal_id_invalid): the engine's "no proposal".
using ProposalId = Id<struct ProposalIdTag, std::uint64_t>;

// Where the point goes in a raw value. Stored as a byte: the values never change.
enum class ParameterKind : std::uint8_t {
  ratio = 0,        // Ratio, 1e-12 (weights, rates, factors)
  money = 1,        // Money, 1e-6 quote units (caps, thresholds)
  duration_ns = 2,  // nanoseconds, >= 0
  count = 3,        // a plain integer, >= 0
};
inline constexpr std::uint8_t kParameterKindCount = 4;

const char* parameter_kind_name(ParameterKind kind) noexcept;
// 12, 6, 0, 0.
int parameter_kind_decimals(ParameterKind kind) noexcept;
// Exact text of a raw value: "0.05" (ratio), "1500.25" (money), "3600000000000ns", "12".
std::string format_value(ParameterKind kind, std::int64_t raw);

inline constexpr std::size_t kNameBytesMax = 64;
inline constexpr std::size_t kMaxParameters = 4096;
inline constexpr std::uint32_t kMaxPendingCeiling = 1024;
inline constexpr std::uint32_t kMaxProposalsCeiling = 1u << 20;

struct ParameterSpec {
  ParameterKey key;
  std::string name;  // 1..64 characters of A-Z a-z 0-9 . _ -, unique within a governor
  ParameterKind kind = ParameterKind::ratio;
  std::int64_t min = 0;  // raw, inclusive; >= 0 for durations and counts
  std::int64_t max = 0;  // raw, inclusive; >= min
  // The largest |new − current| one proposal may make, raw, >= 0 (0: the parameter never changes).
  std::optional<std::int64_t> max_step{};
  // The largest |new − current| as a share of |current|, >= 0; floor(|current| × share) raw units.
  std::optional<Ratio> max_relative_step{};

  friend bool operator==(const ParameterSpec&, const ParameterSpec&) = default;
};

struct GovernanceParams {
  // Compound's Timelock: a 2-day minimum delay and a 14-day grace period.
  std::int64_t timelock_ns = 2 * 86'400'000'000'000;  // > 0
  std::int64_t grace_ns = 14 * 86'400'000'000'000;    // > 0; timelock_ns + grace_ns fits an int64
  std::uint32_t max_pending = 16;                     // 1 .. kMaxPendingCeiling
  std::uint32_t max_proposals = 65'536;               // 1 .. kMaxProposalsCeiling, over the life

  friend bool operator==(const GovernanceParams&, const GovernanceParams&) = default;
};

// Configuration answers, for a spec, the params, or a whole configuration (Governor::make).
enum class ConfigStatus : std::uint8_t {
  ok = 0,
  name_invalid,           // empty, longer than 64 bytes, or a character outside A-Z a-z 0-9 . _ -
  kind_invalid,           // not a ParameterKind
  bounds_invalid,         // min > max, or a negative min for a duration or a count
  step_missing,           // neither max_step nor max_relative_step
  step_negative,          // a max_step or max_relative_step below zero
  step_can_freeze,        // the relative step allows no change at some value in bounds
                          // (floor(|v| × share) = 0, e.g. at v = 0) and no max_step of 0 says the
                          // parameter is meant to be fixed: it could be locked there for good
  key_duplicate,          // two specs with one key
  name_duplicate,         // two specs with one name
  too_many_parameters,    // more than kMaxParameters
  initial_count_mismatch, // not one initial value per spec
  initial_out_of_bounds,  // an initial value outside its spec's [min, max]
  timelock_invalid,       // timelock_ns <= 0
  grace_invalid,          // grace_ns <= 0, or timelock_ns + grace_ns past the int64 range
  max_pending_invalid,    // outside 1 .. kMaxPendingCeiling
  max_proposals_invalid,  // outside 1 .. kMaxProposalsCeiling
};

const char* config_status_name(ConfigStatus status) noexcept;

ConfigStatus validate(const ParameterSpec& spec);
ConfigStatus validate(const GovernanceParams& params);

// The answers of propose, cancel and execute. Declaration order is precedence order.
enum class GovernanceStatus : std::uint8_t {
  ok = 0,
  // Clock: judged first.
  time_invalid,    // now < 0, or (propose) eta or expiry past the int64 range
  time_regressed,  // earlier than the last accepted operation
  // The proposal's identity.
  proposal_id_invalid,  // the id 0 is reserved
  proposal_exists,      // propose: this id was used before, whatever became of that proposal
  proposal_unknown,     // cancel, execute: no proposal has this id
  // The proposal's lifecycle (cancel, execute).
  already_executed,
  already_cancelled,
  expired,           // not executed within grace after its eta (now > eta + grace)
  timelock_pending,  // execute before eta
  // The target and the value (propose; re-checked by execute against the value then current).
  parameter_unknown,  // propose: no parameter has this key
  out_of_bounds,      // the new value is outside [min, max]
  no_change,          // the new value equals the current value
  change_too_large,   // |new − current| above the tighter of max_step and max_relative_step
  // Room (propose).
  parameter_busy,      // a queued, unexpired proposal already targets this parameter
  too_many_pending,    // max_pending queued, unexpired proposals already
  capacity_exhausted,  // max_proposals proposals recorded already
};

inline constexpr std::uint8_t kGovernanceStatusCount = 17;

const char* governance_status_name(GovernanceStatus status) noexcept;
// One sentence for people: what is wrong.
const char* governance_status_message(GovernanceStatus status) noexcept;

enum class ProposalState : std::uint8_t { queued = 0, executed = 1, cancelled = 2, expired = 3 };

const char* proposal_state_name(ProposalState state) noexcept;

struct Proposal {
  ProposalId id;
  ParameterKey key;
  std::int64_t new_value = 0;
  TimestampNs proposed_ns = 0;
  TimestampNs eta_ns = 0;      // proposed_ns + timelock: executable from here
  TimestampNs expires_ns = 0;  // eta_ns + grace: executable up to here, inclusive
  ProposalState state = ProposalState::queued;
  // When it left the queue: executed or cancelled at; expires_ns when expired; 0 while queued.
  TimestampNs resolved_ns = 0;

  friend bool operator==(const Proposal&, const Proposal&) = default;
};

// An executed proposal: what the engine logs as an event, and one entry of a parameter's history.
struct ParameterChange {
  ProposalId proposal;
  ParameterKey key;
  std::int64_t old_value = 0;
  std::int64_t new_value = 0;
  TimestampNs proposed_ns = 0;
  TimestampNs executed_ns = 0;  // the new value is in force from here on, inclusive

  friend bool operator==(const ParameterChange&, const ParameterChange&) = default;
};

struct Execution {
  GovernanceStatus status = GovernanceStatus::ok;
  std::optional<ParameterChange> change;  // set exactly when status is ok
};

class Governor {
 public:
  // The specs in any order (the governor keeps them by key), one initial value per spec in the
  // same order. The error (invalid_input) names the parameter and the ConfigStatus.
  static Result<Governor> make(std::vector<ParameterSpec> specs, std::vector<std::int64_t> initial_values,
                               GovernanceParams params);

  // The operations. On ok the clock moves to now_ns; on anything else nothing changes.
  GovernanceStatus propose(ProposalId id, ParameterKey key, std::int64_t new_value, TimestampNs now_ns);
  GovernanceStatus cancel(ProposalId id, TimestampNs now_ns);
  Execution execute(ProposalId id, TimestampNs now_ns);

  // What the operation would answer now, changing nothing (the engine's pre-check).
  GovernanceStatus check_propose(ProposalId id, ParameterKey key, std::int64_t new_value, TimestampNs now_ns) const;
  GovernanceStatus check_cancel(ProposalId id, TimestampNs now_ns) const;
  GovernanceStatus check_execute(ProposalId id, TimestampNs now_ns) const;

  // Queries; nullopt (or empty) for an unknown key.
  std::optional<std::int64_t> value(ParameterKey key) const;
  // The value in force at t_ns: the last change executed at or before t_ns, else the initial value.
  std::optional<std::int64_t> value_at(ParameterKey key, TimestampNs t_ns) const;
  // Every change of the parameter, in execution order.
  std::span<const ParameterChange> history(ParameterKey key) const;
  // The queued proposals, in id order, as of clock_ns(): one whose expires_ns is before a later
  // time is expired then (execute says so; the next accepted operation marks it).
  std::vector<Proposal> pending() const;
  std::optional<Proposal> proposal(ProposalId id) const;
  const ParameterSpec* spec(ParameterKey key) const;
  std::optional<ParameterKey> key_of(std::string_view name) const;
  std::vector<ParameterSpec> specs() const;  // in key order
  const GovernanceParams& params() const { return params_; }
  TimestampNs clock_ns() const { return clock_ns_; }
  std::size_t proposal_count() const { return proposals_.size(); }
  std::size_t change_count() const { return change_count_; }
  // "BTC-PERP.maintenance_ratio (key 3): 0.05 -> 0.06 by proposal 7, proposed at 100 ns,
  // executed at 300 ns".
  std::string describe(const ParameterChange& change) const;

  void encode(ByteWriter& out) const;
  // Reads one governor and stops after it (the caller decides whether more bytes may follow).
  // A corrupt error: "governor state at byte 57: proposals[2] (id 9): ...".
  static Result<Governor> decode(ByteReader& in);

  friend bool operator==(const Governor&, const Governor&) = default;

 private:
  struct Parameter {
    ParameterSpec spec;
    std::int64_t initial = 0;
    std::int64_t current = 0;
    std::vector<ParameterChange> history;  // strictly increasing executed_ns
    std::optional<ProposalId> queued;      // the queued proposal targeting it, if any
    friend bool operator==(const Parameter&, const Parameter&) = default;
  };

  explicit Governor(GovernanceParams params) : params_(params) {}

  const Parameter* find(ParameterKey key) const;
  Parameter* find(ParameterKey key);
  GovernanceStatus check_clock(TimestampNs now_ns) const;
  // proposal_id_invalid .. expired for an existing proposal; its lookup on ok.
  GovernanceStatus check_lifecycle(ProposalId id, TimestampNs now_ns, const Proposal** found) const;
  std::size_t live_queued(TimestampNs now_ns) const;
  // Marks the queued proposals expired at now_ns, and moves the clock there.
  void advance(TimestampNs now_ns);

  GovernanceParams params_;
  TimestampNs clock_ns_ = 0;
  std::vector<Parameter> parameters_;           // increasing key
  std::map<ProposalId, Proposal> proposals_;    // every proposal ever made
  std::set<ProposalId> queued_;                 // the ids in state queued
  std::size_t change_count_ = 0;
};

}  // namespace ballast::governance
