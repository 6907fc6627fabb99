#include "ballast/governance/governance.hpp"

#include <algorithm>
#include <string>
#include <utility>

namespace ballast::governance {
namespace {

constexpr std::uint8_t kFormatVersion = 1;

int128 abs128(int128 value) { return value < 0 ? -value : value; }

// The largest |new − current| the spec allows from `current` (raw units; more than any int64
// difference when nothing binds). floor(|current| × share): what is allowed rounds down.
int128 allowed_step(const ParameterSpec& spec, std::int64_t current) {
  int128 limit = static_cast<int128>(1) << 100;
  if (spec.max_step) {
    limit = std::min<int128>(limit, *spec.max_step);
  }
  if (spec.max_relative_step) {
    const int128 relative =
        div_round(abs128(current) * spec.max_relative_step->raw(), Ratio::kScale, Round::down);
    limit = std::min(limit, relative);
  }
  return limit;
}

// out_of_bounds, no_change, change_too_large or ok: the rules on a new value against the current.
GovernanceStatus check_value(const ParameterSpec& spec, std::int64_t current, std::int64_t value) {
  if (value < spec.min || value > spec.max) {
    return GovernanceStatus::out_of_bounds;
  }
  if (value == current) {
    return GovernanceStatus::no_change;
  }
  if (abs128(static_cast<int128>(value) - current) > allowed_step(spec, current)) {
    return GovernanceStatus::change_too_large;
  }
  return GovernanceStatus::ok;
}

bool name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

// eta and expiry of a proposal made at proposed_ns, nullopt past the int64 range.
struct Window {
  TimestampNs eta_ns;
  TimestampNs expires_ns;
};
std::optional<Window> window(const GovernanceParams& params, TimestampNs proposed_ns) {
  Window w{};
  if (__builtin_add_overflow(proposed_ns, params.timelock_ns, &w.eta_ns) ||
      __builtin_add_overflow(w.eta_ns, params.grace_ns, &w.expires_ns)) {
    return std::nullopt;
  }
  return w;
}

// "BTC-PERP.maintenance_ratio (key 3)".
std::string named(const ParameterSpec& spec) { return spec.name + " (key " + std::to_string(spec.key.value) + ")"; }

std::string key_text(const ParameterSpec& spec) { return "parameter " + named(spec); }

// Checks a whole configuration; the error names the parameter and the rule.
Outcome check_config(const std::vector<ParameterSpec>& specs, const std::vector<std::int64_t>& initial_values,
                     const GovernanceParams& params) {
  const auto fail = [](ConfigStatus status, const std::string& what) {
    return make_error(ErrorCode::invalid_input,
                      std::string("governance config: ") + config_status_name(status) + ": " + what);
  };
  if (const ConfigStatus status = validate(params); status != ConfigStatus::ok) {
    return fail(status, "timelock_ns " + std::to_string(params.timelock_ns) + ", grace_ns " +
                            std::to_string(params.grace_ns) + ", max_pending " + std::to_string(params.max_pending) +
                            ", max_proposals " + std::to_string(params.max_proposals));
  }
  if (specs.size() > kMaxParameters) {
    return fail(ConfigStatus::too_many_parameters,
                std::to_string(specs.size()) + " parameters, at most " + std::to_string(kMaxParameters));
  }
  if (initial_values.size() != specs.size()) {
    return fail(ConfigStatus::initial_count_mismatch, std::to_string(initial_values.size()) +
                                                          " initial values for " + std::to_string(specs.size()) +
                                                          " parameters");
  }
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const ParameterSpec& spec = specs[i];
    if (const ConfigStatus status = validate(spec); status != ConfigStatus::ok) {
      std::string what = key_text(spec);
      if (status == ConfigStatus::bounds_invalid && static_cast<std::uint8_t>(spec.kind) < kParameterKindCount) {
        what += ": min " + format_value(spec.kind, spec.min) + ", max " + format_value(spec.kind, spec.max);
      }
      return fail(status, what);
    }
    const std::int64_t initial = initial_values[i];
    if (initial < spec.min || initial > spec.max) {
      return fail(ConfigStatus::initial_out_of_bounds,
                  key_text(spec) + ": " + format_value(spec.kind, initial) + " outside [" +
                      format_value(spec.kind, spec.min) + ", " + format_value(spec.kind, spec.max) + "]");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (specs[j].key == spec.key) {
        return fail(ConfigStatus::key_duplicate, key_text(spec) + " and " + key_text(specs[j]));
      }
      if (specs[j].name == spec.name) {
        return fail(ConfigStatus::name_duplicate, key_text(spec) + " and " + key_text(specs[j]));
      }
    }
  }
  return Ok{};
}

}  // namespace

const char* parameter_kind_name(ParameterKind kind) noexcept {
  switch (kind) {
    case ParameterKind::ratio: return "ratio";
    case ParameterKind::money: return "money";
    case ParameterKind::duration_ns: return "duration_ns";
    case ParameterKind::count: return "count";
  }
  return "unknown";
}

int parameter_kind_decimals(ParameterKind kind) noexcept {
  switch (kind) {
    case ParameterKind::ratio: return Ratio::kDecimals;
    case ParameterKind::money: return Money::kDecimals;
    case ParameterKind::duration_ns:
    case ParameterKind::count: return 0;
  }
  return 0;
}

std::string format_value(ParameterKind kind, std::int64_t raw) {
  if (kind == ParameterKind::duration_ns) {
    return std::to_string(raw) + "ns";
  }
  return format_decimal(raw, parameter_kind_decimals(kind));
}

const char* config_status_name(ConfigStatus status) noexcept {
  switch (status) {
    case ConfigStatus::ok: return "ok";
    case ConfigStatus::name_invalid: return "name_invalid";
    case ConfigStatus::kind_invalid: return "kind_invalid";
    case ConfigStatus::bounds_invalid: return "bounds_invalid";
    case ConfigStatus::step_missing: return "step_missing";
    case ConfigStatus::step_negative: return "step_negative";
    case ConfigStatus::step_can_freeze: return "step_can_freeze";
    case ConfigStatus::key_duplicate: return "key_duplicate";
    case ConfigStatus::name_duplicate: return "name_duplicate";
    case ConfigStatus::too_many_parameters: return "too_many_parameters";
    case ConfigStatus::initial_count_mismatch: return "initial_count_mismatch";
    case ConfigStatus::initial_out_of_bounds: return "initial_out_of_bounds";
    case ConfigStatus::timelock_invalid: return "timelock_invalid";
    case ConfigStatus::grace_invalid: return "grace_invalid";
    case ConfigStatus::max_pending_invalid: return "max_pending_invalid";
    case ConfigStatus::max_proposals_invalid: return "max_proposals_invalid";
  }
  return "unknown";
}

ConfigStatus validate(const ParameterSpec& spec) {
  if (spec.name.empty() || spec.name.size() > kNameBytesMax || !std::all_of(spec.name.begin(), spec.name.end(), name_char)) {
    return ConfigStatus::name_invalid;
  }
  if (static_cast<std::uint8_t>(spec.kind) >= kParameterKindCount) {
    return ConfigStatus::kind_invalid;
  }
  const bool non_negative_kind = spec.kind == ParameterKind::duration_ns || spec.kind == ParameterKind::count;
  if (spec.min > spec.max || (non_negative_kind && spec.min < 0)) {
    return ConfigStatus::bounds_invalid;
  }
  if (!spec.max_step && !spec.max_relative_step) {
    return ConfigStatus::step_missing;
  }
  if ((spec.max_step && *spec.max_step < 0) || (spec.max_relative_step && spec.max_relative_step->is_negative())) {
    return ConfigStatus::step_negative;
  }
  const bool fixed_on_purpose = spec.max_step && *spec.max_step == 0;
  if (spec.max_relative_step && !fixed_on_purpose && spec.min < spec.max) {
    // floor(|v| × share) is smallest at the smallest |v| in bounds.
    const int128 smallest = (spec.min <= 0 && spec.max >= 0) ? 0 : std::min(abs128(spec.min), abs128(spec.max));
    if (div_round(smallest * spec.max_relative_step->raw(), Ratio::kScale, Round::down) < 1) {
      return ConfigStatus::step_can_freeze;
    }
  }
  return ConfigStatus::ok;
}

ConfigStatus validate(const GovernanceParams& params) {
  if (params.timelock_ns <= 0) {
    return ConfigStatus::timelock_invalid;
  }
  std::int64_t sum = 0;
  if (params.grace_ns <= 0 || __builtin_add_overflow(params.timelock_ns, params.grace_ns, &sum)) {
    return ConfigStatus::grace_invalid;
  }
  if (params.max_pending < 1 || params.max_pending > kMaxPendingCeiling) {
    return ConfigStatus::max_pending_invalid;
  }
  if (params.max_proposals < 1 || params.max_proposals > kMaxProposalsCeiling) {
    return ConfigStatus::max_proposals_invalid;
  }
  return ConfigStatus::ok;
}

const char* governance_status_name(GovernanceStatus status) noexcept {
  switch (status) {
    case GovernanceStatus::ok: return "ok";
    case GovernanceStatus::time_invalid: return "time_invalid";
    case GovernanceStatus::time_regressed: return "time_regressed";
    case GovernanceStatus::proposal_id_invalid: return "proposal_id_invalid";
    case GovernanceStatus::proposal_exists: return "proposal_exists";
    case GovernanceStatus::proposal_unknown: return "proposal_unknown";
    case GovernanceStatus::already_executed: return "already_executed";
    case GovernanceStatus::already_cancelled: return "already_cancelled";
    case GovernanceStatus::expired: return "expired";
    case GovernanceStatus::timelock_pending: return "timelock_pending";
    case GovernanceStatus::parameter_unknown: return "parameter_unknown";
    case GovernanceStatus::out_of_bounds: return "out_of_bounds";
    case GovernanceStatus::no_change: return "no_change";
    case GovernanceStatus::change_too_large: return "change_too_large";
    case GovernanceStatus::parameter_busy: return "parameter_busy";
    case GovernanceStatus::too_many_pending: return "too_many_pending";
    case GovernanceStatus::capacity_exhausted: return "capacity_exhausted";
  }
  return "unknown";
}

const char* governance_status_message(GovernanceStatus status) noexcept {
  switch (status) {
    case GovernanceStatus::ok: return "accepted";
    case GovernanceStatus::time_invalid:
      return "the time is negative, or the proposal's eta or expiry would be past the representable range";
    case GovernanceStatus::time_regressed: return "the time is earlier than the last accepted governance operation";
    case GovernanceStatus::proposal_id_invalid: return "the proposal id 0 is reserved";
    case GovernanceStatus::proposal_exists: return "a proposal with this id was made before";
    case GovernanceStatus::proposal_unknown: return "no proposal has this id";
    case GovernanceStatus::already_executed: return "the proposal was executed already";
    case GovernanceStatus::already_cancelled: return "the proposal was cancelled";
    case GovernanceStatus::expired: return "the proposal expired: it was not executed within the grace period after its eta";
    case GovernanceStatus::timelock_pending: return "the proposal's timelock has not passed: it cannot be executed before its eta";
    case GovernanceStatus::parameter_unknown: return "no governed parameter has this key";
    case GovernanceStatus::out_of_bounds: return "the new value is outside the parameter's bounds";
    case GovernanceStatus::no_change: return "the new value equals the parameter's current value";
    case GovernanceStatus::change_too_large:
      return "the change from the current value is larger than one proposal may make";
    case GovernanceStatus::parameter_busy: return "another queued proposal already targets this parameter";
    case GovernanceStatus::too_many_pending: return "the maximum number of queued proposals is reached";
    case GovernanceStatus::capacity_exhausted: return "the governor's lifetime proposal capacity is used up";
  }
  return "unknown status";
}

const char* proposal_state_name(ProposalState state) noexcept {
  switch (state) {
    case ProposalState::queued: return "queued";
    case ProposalState::executed: return "executed";
    case ProposalState::cancelled: return "cancelled";
    case ProposalState::expired: return "expired";
  }
  return "unknown";
}

Result<Governor> Governor::make(std::vector<ParameterSpec> specs, std::vector<std::int64_t> initial_values,
                                GovernanceParams params) {
  if (auto valid = check_config(specs, initial_values, params); !valid) {
    return std::move(valid).error();
  }
  Governor governor(params);
  governor.parameters_.reserve(specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    governor.parameters_.push_back(
        Parameter{std::move(specs[i]), initial_values[i], initial_values[i], {}, std::nullopt});
  }
  std::sort(governor.parameters_.begin(), governor.parameters_.end(),
            [](const Parameter& a, const Parameter& b) { return a.spec.key < b.spec.key; });
  return governor;
}

const Governor::Parameter* Governor::find(ParameterKey key) const {
  const auto it = std::lower_bound(parameters_.begin(), parameters_.end(), key,
                                   [](const Parameter& p, ParameterKey k) { return p.spec.key < k; });
  return it != parameters_.end() && it->spec.key == key ? &*it : nullptr;
}

Governor::Parameter* Governor::find(ParameterKey key) {
  return const_cast<Parameter*>(std::as_const(*this).find(key));
}

GovernanceStatus Governor::check_clock(TimestampNs now_ns) const {
  if (now_ns < 0) {
    return GovernanceStatus::time_invalid;
  }
  if (now_ns < clock_ns_) {
    return GovernanceStatus::time_regressed;
  }
  return GovernanceStatus::ok;
}

std::size_t Governor::live_queued(TimestampNs now_ns) const {
  std::size_t live = 0;
  for (const ProposalId id : queued_) {
    if (proposals_.at(id).expires_ns >= now_ns) ++live;
  }
  return live;
}

GovernanceStatus Governor::check_lifecycle(ProposalId id, TimestampNs now_ns, const Proposal** found) const {
  if (id.value == 0) {
    return GovernanceStatus::proposal_id_invalid;
  }
  const auto it = proposals_.find(id);
  if (it == proposals_.end()) {
    return GovernanceStatus::proposal_unknown;
  }
  const Proposal& p = it->second;
  switch (p.state) {
    case ProposalState::executed: return GovernanceStatus::already_executed;
    case ProposalState::cancelled: return GovernanceStatus::already_cancelled;
    case ProposalState::expired: return GovernanceStatus::expired;
    case ProposalState::queued: break;
  }
  if (now_ns > p.expires_ns) {
    return GovernanceStatus::expired;
  }
  *found = &p;
  return GovernanceStatus::ok;
}

GovernanceStatus Governor::check_propose(ProposalId id, ParameterKey key, std::int64_t new_value,
                                         TimestampNs now_ns) const {
  if (const GovernanceStatus clock = check_clock(now_ns); clock == GovernanceStatus::time_invalid) {
    return clock;
  }
  if (!window(params_, now_ns)) {
    return GovernanceStatus::time_invalid;
  }
  if (now_ns < clock_ns_) {
    return GovernanceStatus::time_regressed;
  }
  if (id.value == 0) {
    return GovernanceStatus::proposal_id_invalid;
  }
  if (proposals_.contains(id)) {
    return GovernanceStatus::proposal_exists;
  }
  const Parameter* parameter = find(key);
  if (parameter == nullptr) {
    return GovernanceStatus::parameter_unknown;
  }
  if (const GovernanceStatus value = check_value(parameter->spec, parameter->current, new_value);
      value != GovernanceStatus::ok) {
    return value;
  }
  if (parameter->queued && proposals_.at(*parameter->queued).expires_ns >= now_ns) {
    return GovernanceStatus::parameter_busy;
  }
  if (live_queued(now_ns) >= params_.max_pending) {
    return GovernanceStatus::too_many_pending;
  }
  if (proposals_.size() >= params_.max_proposals) {
    return GovernanceStatus::capacity_exhausted;
  }
  return GovernanceStatus::ok;
}

GovernanceStatus Governor::check_cancel(ProposalId id, TimestampNs now_ns) const {
  if (const GovernanceStatus clock = check_clock(now_ns); clock != GovernanceStatus::ok) {
    return clock;
  }
  const Proposal* p = nullptr;
  return check_lifecycle(id, now_ns, &p);
}

GovernanceStatus Governor::check_execute(ProposalId id, TimestampNs now_ns) const {
  if (const GovernanceStatus clock = check_clock(now_ns); clock != GovernanceStatus::ok) {
    return clock;
  }
  const Proposal* p = nullptr;
  if (const GovernanceStatus lifecycle = check_lifecycle(id, now_ns, &p); lifecycle != GovernanceStatus::ok) {
    return lifecycle;
  }
  if (now_ns < p->eta_ns) {
    return GovernanceStatus::timelock_pending;
  }
  // Re-checked against the value current now. With one proposal per parameter at a time nothing
  // else can have changed it since the proposal; the check keeps bounds and steps binding
  // whatever a later rule allows.
  const Parameter* parameter = find(p->key);
  BALLAST_ASSERT(parameter != nullptr);
  return check_value(parameter->spec, parameter->current, p->new_value);
}

void Governor::advance(TimestampNs now_ns) {
  for (auto it = queued_.begin(); it != queued_.end();) {
    Proposal& p = proposals_.at(*it);
    if (p.expires_ns < now_ns) {
      p.state = ProposalState::expired;
      p.resolved_ns = p.expires_ns;
      Parameter* parameter = find(p.key);
      BALLAST_ASSERT(parameter != nullptr && parameter->queued == p.id);
      parameter->queued.reset();
      it = queued_.erase(it);
    } else {
      ++it;
    }
  }
  clock_ns_ = now_ns;
}

GovernanceStatus Governor::propose(ProposalId id, ParameterKey key, std::int64_t new_value, TimestampNs now_ns) {
  const GovernanceStatus status = check_propose(id, key, new_value, now_ns);
  if (status != GovernanceStatus::ok) {
    return status;
  }
  advance(now_ns);
  const Window w = *window(params_, now_ns);
  proposals_.emplace(id, Proposal{id, key, new_value, now_ns, w.eta_ns, w.expires_ns, ProposalState::queued, 0});
  queued_.insert(id);
  find(key)->queued = id;
  return GovernanceStatus::ok;
}

GovernanceStatus Governor::cancel(ProposalId id, TimestampNs now_ns) {
  const GovernanceStatus status = check_cancel(id, now_ns);
  if (status != GovernanceStatus::ok) {
    return status;
  }
  advance(now_ns);
  Proposal& p = proposals_.at(id);
  p.state = ProposalState::cancelled;
  p.resolved_ns = now_ns;
  queued_.erase(id);
  find(p.key)->queued.reset();
  return GovernanceStatus::ok;
}

Execution Governor::execute(ProposalId id, TimestampNs now_ns) {
  const GovernanceStatus status = check_execute(id, now_ns);
  if (status != GovernanceStatus::ok) {
    return Execution{status, std::nullopt};
  }
  advance(now_ns);
  Proposal& p = proposals_.at(id);
  Parameter& parameter = *find(p.key);
  const ParameterChange change{id, p.key, parameter.current, p.new_value, p.proposed_ns, now_ns};
  p.state = ProposalState::executed;
  p.resolved_ns = now_ns;
  queued_.erase(id);
  parameter.queued.reset();
  parameter.current = p.new_value;
  parameter.history.push_back(change);
  ++change_count_;
  return Execution{GovernanceStatus::ok, change};
}

std::optional<std::int64_t> Governor::value(ParameterKey key) const {
  const Parameter* parameter = find(key);
  return parameter ? std::optional<std::int64_t>(parameter->current) : std::nullopt;
}

std::optional<std::int64_t> Governor::value_at(ParameterKey key, TimestampNs t_ns) const {
  const Parameter* parameter = find(key);
  if (parameter == nullptr) {
    return std::nullopt;
  }
  // The first change executed after t_ns; the one before it (if any) is in force at t_ns.
  const auto after = std::upper_bound(parameter->history.begin(), parameter->history.end(), t_ns,
                                      [](TimestampNs t, const ParameterChange& c) { return t < c.executed_ns; });
  return after == parameter->history.begin() ? parameter->initial : std::prev(after)->new_value;
}

std::span<const ParameterChange> Governor::history(ParameterKey key) const {
  const Parameter* parameter = find(key);
  return parameter ? std::span<const ParameterChange>(parameter->history) : std::span<const ParameterChange>();
}

std::vector<Proposal> Governor::pending() const {
  std::vector<Proposal> out;
  out.reserve(queued_.size());
  for (const ProposalId id : queued_) {
    out.push_back(proposals_.at(id));
  }
  return out;
}

std::optional<Proposal> Governor::proposal(ProposalId id) const {
  const auto it = proposals_.find(id);
  return it != proposals_.end() ? std::optional<Proposal>(it->second) : std::nullopt;
}

const ParameterSpec* Governor::spec(ParameterKey key) const {
  const Parameter* parameter = find(key);
  return parameter ? &parameter->spec : nullptr;
}

std::optional<ParameterKey> Governor::key_of(std::string_view name) const {
  for (const Parameter& parameter : parameters_) {
    if (parameter.spec.name == name) {
      return parameter.spec.key;
    }
  }
  return std::nullopt;
}

std::vector<ParameterSpec> Governor::specs() const {
  std::vector<ParameterSpec> out;
  out.reserve(parameters_.size());
  for (const Parameter& parameter : parameters_) {
    out.push_back(parameter.spec);
  }
  return out;
}

std::string Governor::describe(const ParameterChange& change) const {
  const ParameterSpec* s = spec(change.key);
  const std::string what = s ? named(*s) : "unknown parameter (key " + std::to_string(change.key.value) + ")";
  const ParameterKind kind = s ? s->kind : ParameterKind::count;
  return what + ": " + format_value(kind, change.old_value) + " -> " +
         format_value(kind, change.new_value) + " by proposal " + std::to_string(change.proposal.value) +
         ", proposed at " + std::to_string(change.proposed_ns) + " ns, executed at " +
         std::to_string(change.executed_ns) + " ns";
}

// ---- Encoding ----

void Governor::encode(ByteWriter& out) const {
  out.u8(kFormatVersion);
  out.i64(params_.timelock_ns);
  out.i64(params_.grace_ns);
  out.u32(params_.max_pending);
  out.u32(params_.max_proposals);
  out.i64(clock_ns_);
  out.u32(static_cast<std::uint32_t>(parameters_.size()));
  for (const Parameter& parameter : parameters_) {
    const ParameterSpec& s = parameter.spec;
    out.u32(s.key.value);
    out.text(s.name);
    out.u8(static_cast<std::uint8_t>(s.kind));
    out.i64(s.min);
    out.i64(s.max);
    out.u8(s.max_step ? 1 : 0);
    if (s.max_step) {
      out.i64(*s.max_step);
    }
    out.u8(s.max_relative_step ? 1 : 0);
    if (s.max_relative_step) {
      out.i64(s.max_relative_step->raw());
    }
    out.i64(parameter.initial);
  }
  out.u32(static_cast<std::uint32_t>(proposals_.size()));
  for (const auto& [id, p] : proposals_) {
    out.u64(id.value);
    out.u32(p.key.value);
    out.i64(p.new_value);
    out.i64(p.proposed_ns);
    out.u8(static_cast<std::uint8_t>(p.state));
    if (p.state == ProposalState::executed || p.state == ProposalState::cancelled) {
      out.i64(p.resolved_ns);
    }
  }
}

namespace {

// Reads fields in order; the first one that cannot be read (or holds a value the format does not
// allow) stops the reading with an error naming it and the offset where it starts.
class Reader {
 public:
  explicit Reader(ByteReader& in) : in_(in) {}

  std::uint8_t u8(const std::string& field) { return read<std::uint8_t>(field, &ByteReader::u8); }
  std::uint32_t u32(const std::string& field) { return read<std::uint32_t>(field, &ByteReader::u32); }
  std::uint64_t u64(const std::string& field) { return read<std::uint64_t>(field, &ByteReader::u64); }
  std::int64_t i64(const std::string& field) { return read<std::int64_t>(field, &ByteReader::i64); }
  bool flag(const std::string& field) {
    const std::size_t start = in_.offset();
    const std::uint8_t value = u8(field);
    if (value > 1) fail(start, field + " must be 0 or 1, got " + std::to_string(value));
    return value == 1;
  }
  std::uint8_t bounded(const std::string& field, std::uint8_t max) {
    const std::size_t start = in_.offset();
    const std::uint8_t value = u8(field);
    if (value > max) {
      fail(start, field + " must be at most " + std::to_string(max) + ", got " + std::to_string(value));
    }
    return value;
  }
  // A count of records of at least `record_bytes` each, at most `max`.
  std::uint32_t count(const std::string& field, std::size_t max, std::size_t record_bytes) {
    const std::size_t start = in_.offset();
    const std::uint32_t value = u32(field);
    if (error_) return 0;
    if (value > max) {
      fail(start, field + " " + std::to_string(value) + " is above the cap " + std::to_string(max));
      return 0;
    }
    if (static_cast<std::size_t>(value) * record_bytes > in_.remaining()) {
      fail(start, field + " " + std::to_string(value) + " is more than the remaining bytes can hold");
      return 0;
    }
    return value;
  }
  std::string text(const std::string& field) {
    if (error_) return {};
    const std::size_t start = in_.offset();
    const auto value = in_.text(kNameBytesMax);
    if (!value) {
      fail(start, "truncated or overlong field " + field);
      return {};
    }
    return std::string(*value);
  }
  void fail(std::size_t offset, const std::string& what) {
    if (!error_) {
      error_ = make_error(ErrorCode::corrupt, "governor state at byte " + std::to_string(offset) + ": " + what);
    }
  }
  std::size_t offset() const { return in_.offset(); }
  bool failed() const { return error_.has_value(); }
  const std::optional<Error>& error() const { return error_; }

 private:
  template <typename T>
  T read(const std::string& field, std::optional<T> (ByteReader::*read_value)()) {
    if (error_) return T{};
    const std::size_t start = in_.offset();
    const std::optional<T> value = (in_.*read_value)();
    if (!value) {
      fail(start, "truncated before field " + field);
      return T{};
    }
    return *value;
  }

  ByteReader& in_;
  std::optional<Error> error_;
};

// The smallest encoded sizes, for plausibility of counts.
constexpr std::size_t kParameterBytesMin = 4 + 4 + 1 + 8 + 8 + 1 + 1 + 8;
constexpr std::size_t kProposalBytesMin = 8 + 4 + 8 + 8 + 1;

}  // namespace

Result<Governor> Governor::decode(ByteReader& in) {
  const std::size_t start = in.offset();
  Reader r(in);
  const std::uint8_t version = r.u8("format version");
  if (!r.failed() && version != kFormatVersion) {
    r.fail(start, "format version must be " + std::to_string(kFormatVersion) + ", got " + std::to_string(version));
  }
  GovernanceParams params;
  const std::size_t params_at = r.offset();
  params.timelock_ns = r.i64("params.timelock_ns");
  params.grace_ns = r.i64("params.grace_ns");
  params.max_pending = r.u32("params.max_pending");
  params.max_proposals = r.u32("params.max_proposals");
  if (!r.failed() && validate(params) != ConfigStatus::ok) {
    r.fail(params_at, std::string("params: ") + config_status_name(validate(params)));
  }
  const std::size_t clock_at = r.offset();
  const TimestampNs clock = r.i64("clock_ns");
  if (!r.failed() && clock < 0) {
    r.fail(clock_at, "clock_ns " + std::to_string(clock) + " is negative");
  }

  // Parameters, in strictly increasing key order.
  const std::size_t parameters_at = r.offset();
  const std::uint32_t parameter_count = r.count("parameter count", kMaxParameters, kParameterBytesMin);
  std::vector<ParameterSpec> specs;
  std::vector<std::int64_t> initial_values;
  for (std::uint32_t i = 0; i < parameter_count && !r.failed(); ++i) {
    const std::string at = "parameters[" + std::to_string(i) + "].";
    const std::size_t record_at = r.offset();
    ParameterSpec s;
    s.key = ParameterKey{r.u32(at + "key")};
    s.name = r.text(at + "name");
    s.kind = static_cast<ParameterKind>(r.bounded(at + "kind", kParameterKindCount - 1));
    s.min = r.i64(at + "min");
    s.max = r.i64(at + "max");
    if (r.flag(at + "has max_step")) {
      s.max_step = r.i64(at + "max_step");
    }
    if (r.flag(at + "has max_relative_step")) {
      s.max_relative_step = Ratio::from_raw(r.i64(at + "max_relative_step"));
    }
    const std::int64_t initial = r.i64(at + "initial value");
    if (!r.failed() && !specs.empty() && !(specs.back().key < s.key)) {
      r.fail(record_at, at + "key " + std::to_string(s.key.value) + " is not above the previous key " +
                            std::to_string(specs.back().key.value));
    }
    specs.push_back(std::move(s));
    initial_values.push_back(initial);
  }
  if (r.failed()) return *r.error();
  if (auto valid = check_config(specs, initial_values, params); !valid) {
    r.fail(parameters_at, valid.error().message);
    return *r.error();
  }
  Governor governor = std::move(make(std::move(specs), std::move(initial_values), params)).value();
  governor.clock_ns_ = clock;

  // Proposals, in strictly increasing id order.
  const std::uint32_t proposal_count = r.count("proposal count", params.max_proposals, kProposalBytesMin);
  std::vector<std::size_t> offsets;  // where each proposal starts, for errors found later
  std::optional<ProposalId> previous;
  for (std::uint32_t i = 0; i < proposal_count && !r.failed(); ++i) {
    const std::string at = "proposals[" + std::to_string(i) + "].";
    const std::size_t record_at = r.offset();
    Proposal p;
    p.id = ProposalId{r.u64(at + "id")};
    p.key = ParameterKey{r.u32(at + "key")};
    p.new_value = r.i64(at + "new_value");
    p.proposed_ns = r.i64(at + "proposed_ns");
    p.state = static_cast<ProposalState>(r.bounded(at + "state", static_cast<std::uint8_t>(ProposalState::expired)));
    if (p.state == ProposalState::executed || p.state == ProposalState::cancelled) {
      p.resolved_ns = r.i64(at + "resolved_ns");
    }
    if (r.failed()) break;
    const std::string named = "proposals[" + std::to_string(i) + "] (id " + std::to_string(p.id.value) + "): ";
    const auto bad = [&](const std::string& what) { r.fail(record_at, named + what); };
    const Parameter* parameter = governor.find(p.key);
    const std::optional<Window> w = window(params, p.proposed_ns);
    if (p.id.value == 0) {
      bad("the id 0 is reserved");
    } else if (previous && !(*previous < p.id)) {
      bad("ids must be increasing (previous " + std::to_string(previous->value) + ")");
    } else if (parameter == nullptr) {
      bad("key " + std::to_string(p.key.value) + " is not a parameter");
    } else if (p.proposed_ns < 0 || p.proposed_ns > clock || !w) {
      bad("proposed_ns " + std::to_string(p.proposed_ns) + " is outside [0, clock_ns] or its window overflows");
    } else if (p.new_value < parameter->spec.min || p.new_value > parameter->spec.max) {
      bad("new_value " + format_value(parameter->spec.kind, p.new_value) + " is outside the bounds");
    } else {
      p.eta_ns = w->eta_ns;
      p.expires_ns = w->expires_ns;
      switch (p.state) {
        case ProposalState::queued:
          if (p.expires_ns < clock) bad("queued but expired before clock_ns");
          break;
        case ProposalState::expired:
          if (p.expires_ns >= clock) bad("expired but not past its expiry at clock_ns");
          p.resolved_ns = p.expires_ns;
          break;
        case ProposalState::executed:
          if (p.resolved_ns < p.eta_ns || p.resolved_ns > p.expires_ns || p.resolved_ns > clock) {
            bad("executed at " + std::to_string(p.resolved_ns) + ", outside [eta, expiry] or after clock_ns");
          }
          break;
        case ProposalState::cancelled:
          if (p.resolved_ns < p.proposed_ns || p.resolved_ns > p.expires_ns || p.resolved_ns > clock) {
            bad("cancelled at " + std::to_string(p.resolved_ns) + ", outside [proposed, expiry] or after clock_ns");
          }
          break;
      }
    }
    previous = p.id;
    offsets.push_back(record_at);
    governor.proposals_.emplace(p.id, p);
  }
  if (r.failed()) return *r.error();

  // Per parameter: one proposal at a time, then the executed ones in order make the history.
  std::vector<std::vector<std::pair<std::size_t, const Proposal*>>> by_parameter(governor.parameters_.size());
  {
    std::size_t i = 0;
    for (const auto& [id, p] : governor.proposals_) {
      const auto index = static_cast<std::size_t>(governor.find(p.key) - governor.parameters_.data());
      by_parameter[index].emplace_back(i++, &p);
    }
  }
  const auto name = [&](std::size_t i, const Proposal& p) {
    return "proposals[" + std::to_string(i) + "] (id " + std::to_string(p.id.value) + "): ";
  };
  for (std::size_t k = 0; k < governor.parameters_.size() && !r.failed(); ++k) {
    Parameter& parameter = governor.parameters_[k];
    auto& list = by_parameter[k];
    // The parameter is taken from proposed_ns until the proposal leaves the queue: executed or
    // cancelled at resolved_ns (a new one may come in that same nanosecond), expired after
    // expires_ns, never while queued.
    const auto free_from = [](const Proposal& p) -> int128 {
      switch (p.state) {
        case ProposalState::queued: return static_cast<int128>(1) << 100;
        case ProposalState::expired: return static_cast<int128>(p.expires_ns) + 1;
        case ProposalState::executed:
        case ProposalState::cancelled: return p.resolved_ns;
      }
      return 0;
    };
    std::sort(list.begin(), list.end(), [&](const auto& a, const auto& b) {
      if (a.second->proposed_ns != b.second->proposed_ns) return a.second->proposed_ns < b.second->proposed_ns;
      if (free_from(*a.second) != free_from(*b.second)) return free_from(*a.second) < free_from(*b.second);
      return a.first < b.first;
    });
    for (std::size_t j = 1; j < list.size(); ++j) {
      const Proposal& before = *list[j - 1].second;
      const Proposal& p = *list[j].second;
      if (static_cast<int128>(p.proposed_ns) < free_from(before)) {
        r.fail(offsets[list[j].first], name(list[j].first, p) + "proposed while proposal " +
                                           std::to_string(before.id.value) + " targeted " + parameter.spec.name);
        break;
      }
    }
    if (r.failed()) break;
    // With no overlap, proposal order is execution order; each executed one changes the value.
    for (const auto& [i, p] : list) {
      const GovernanceStatus rule = check_value(parameter.spec, parameter.current, p->new_value);
      if (rule != GovernanceStatus::ok) {
        r.fail(offsets[i], name(i, *p) + governance_status_name(rule) + " against the value " +
                               format_value(parameter.spec.kind, parameter.current) + " in force when proposed");
        break;
      }
      if (p->state == ProposalState::executed) {
        parameter.history.push_back(
            ParameterChange{p->id, p->key, parameter.current, p->new_value, p->proposed_ns, p->resolved_ns});
        parameter.current = p->new_value;
        ++governor.change_count_;
      } else if (p->state == ProposalState::queued) {
        parameter.queued = p->id;
        governor.queued_.insert(p->id);
      }
    }
  }
  if (r.failed()) return *r.error();
  if (governor.queued_.size() > params.max_pending) {
    r.fail(start, std::to_string(governor.queued_.size()) + " queued proposals, above max_pending " +
                      std::to_string(params.max_pending));
    return *r.error();
  }
  return governor;
}

}  // namespace ballast::governance
