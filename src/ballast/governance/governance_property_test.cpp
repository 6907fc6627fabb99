// Governor properties (governance.hpp) over random configurations and random sequences of
// propose, cancel and execute at random times (forward, repeated, backward, negative), with ids
// that collide, unknown keys and values in, at and past the bounds and the steps:
//   - every value ever in force (initial, current, each change's old and new) is within bounds;
//   - every executed change satisfies |new − old| <= the tighter of max_step and
//     floor(|old| × max_relative_step), was executed in [eta, eta + grace], and chains from the
//     value before it;
//   - value_at(t) equals replaying the history up to t, at every change's edges and random times;
//   - a rejected operation leaves the encoded state byte-identical (and the clock where it was),
//     and check_* predicts every answer;
//   - at most max_pending queued, at most one per parameter; decode(encode) is exact throughout.

#include "ballast/core/testing/pick.hpp"
#include "ballast/governance/governance.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ballast::governance {
namespace {

int128 abs128(int128 v) { return v < 0 ? -v : v; }

// The step rule, written from the spec's words: the tighter of the two limits that are present.
int128 allowed(const ParameterSpec& s, std::int64_t old) {
  int128 limit = -1;
  const auto tighten = [&](int128 l) { limit = limit < 0 ? l : std::min(limit, l); };
  if (s.max_step) tighten(*s.max_step);
  if (s.max_relative_step) tighten(abs128(old) * s.max_relative_step->raw() / Ratio::kScale);  // both >= 0: floor
  return limit;
}

ParameterSpec random_spec(std::uint32_t key) {
  ParameterSpec s;
  s.key = ParameterKey{key};
  s.name = "p" + std::to_string(key);
  s.kind = static_cast<ParameterKind>(pick<int>(0, kParameterKindCount));
  const bool non_negative = s.kind == ParameterKind::duration_ns || s.kind == ParameterKind::count;
  const int shape = pick(0, 3);
  if (shape == 0) {  // small: values collide, no_change and the bounds are hit often
    s.min = non_negative ? pick<std::int64_t>(0, 5) : pick<std::int64_t>(-5, 5);
    s.max = s.min + pick<std::int64_t>(0, 12);
  } else if (shape == 1) {  // away from zero: relative-only steps can pass validation
    s.min = pick<std::int64_t>(1'000, 100'000);
    s.max = s.min + pick<std::int64_t>(0, 1'000'000);
  } else {
    s.min = non_negative ? pick<std::int64_t>(0, 1'000'000) : pick<std::int64_t>(-1'000'000, 1'000'000);
    s.max = s.min + pick<std::int64_t>(0, 2'000'000);
  }
  if (pick(0, 3) != 0) s.max_step = pick<std::int64_t>(0, 300'000);
  if (pick(0, 3) != 0) s.max_relative_step = Ratio::from_raw(pick<std::int64_t>(0, 2 * Ratio::kScale));
  if (!s.max_step && !s.max_relative_step) s.max_step = pick<std::int64_t>(0, 20);
  if (validate(s) == ConfigStatus::step_can_freeze) {
    s.max_relative_step.reset();
    if (!s.max_step) s.max_step = pick<std::int64_t>(1, 20);
  }
  RC_ASSERT(validate(s) == ConfigStatus::ok);
  return s;
}

std::string bytes_of(const Governor& g) {
  ByteWriter out;
  g.encode(out);
  return out.take();
}

// A value to propose: mostly near the current value and around the step's edge, sometimes at or
// past the bounds, sometimes anywhere.
std::int64_t random_value(const ParameterSpec& s, std::int64_t current) {
  const int kind = pick(0, 6);
  const int128 step = allowed(s, current);
  if (kind <= 2) {
    const std::int64_t edge = static_cast<std::int64_t>(std::min<int128>(step, 4'000'000));
    const std::int64_t delta = kind == 0 ? edge + pick<std::int64_t>(-2, 3) : pick<std::int64_t>(-edge - 2, edge + 3);
    return current + (pick(0, 2) == 0 ? -delta : delta);
  }
  if (kind == 3) {
    const std::int64_t around[] = {s.min - 1, s.min, s.max, s.max + 1, current};
    return around[pick<std::size_t>(0, 5)];
  }
  return pick<std::int64_t>(s.min - 3, s.max + 4);
}

RC_GTEST_PROP(GovernanceProperty, BoundsStepsHistoryAndInertRejections, ()) {
  const std::uint32_t parameter_count = pick<std::uint32_t>(1, 5);
  std::vector<ParameterSpec> specs;
  std::vector<std::int64_t> initial;
  for (std::uint32_t i = 0; i < parameter_count; ++i) {
    specs.push_back(random_spec(3 * i + 1));  // keys 1, 4, 7, ...: 2, 3, 5, ... are unknown
    initial.push_back(pick<std::int64_t>(specs.back().min, specs.back().max + 1));
  }
  const GovernanceParams params{.timelock_ns = pick<std::int64_t>(1, 40),
                                .grace_ns = pick<std::int64_t>(1, 40),
                                .max_pending = pick<std::uint32_t>(1, 5),
                                .max_proposals = pick<std::uint32_t>(1, 80)};
  auto made = Governor::make(specs, initial, params);
  RC_ASSERT(made.ok());
  Governor g = std::move(made).value();
  std::map<std::uint32_t, const ParameterSpec*> by_key;
  std::map<std::uint32_t, std::int64_t> initial_of;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    by_key[specs[i].key.value] = &specs[i];
    initial_of[specs[i].key.value] = initial[i];
  }

  std::vector<ParameterChange> executed;  // as execute returned them, in order
  std::map<GovernanceStatus, int> seen;
  TimestampNs now = pick<TimestampNs>(0, 50);
  const int steps = pick(1, 200);
  for (int step = 0; step < steps; ++step) {
    const int clock = pick(0, 20);
    TimestampNs at = now + pick<TimestampNs>(0, 12);
    if (clock == 0) at = now - pick<TimestampNs>(1, 5);  // backward
    if (clock == 1) at = -1;
    if (clock == 2) at = now + pick<TimestampNs>(20, 120);  // past timelocks and expiries
    const std::string before = bytes_of(g);
    const TimestampNs clock_before = g.clock_ns();

    const int op = pick(0, 10);
    GovernanceStatus status = GovernanceStatus::ok;
    std::optional<ParameterChange> change;
    std::optional<std::int64_t> old_value;
    if (op <= 4) {
      const ProposalId id{pick<std::uint64_t>(0, 40)};
      ParameterKey key{pick<std::uint32_t>(0, 3 * parameter_count + 1)};
      if (pick(0, 4) != 0) key = specs[pick<std::size_t>(0, specs.size())].key;
      const std::int64_t value =
          by_key.contains(key.value) ? random_value(*by_key[key.value], *g.value(key)) : pick<std::int64_t>(-9, 9);
      const GovernanceStatus predicted = g.check_propose(id, key, value, at);
      status = g.propose(id, key, value, at);
      RC_ASSERT(status == predicted);
      if (status == GovernanceStatus::ok) {
        const auto p = g.proposal(id);
        RC_ASSERT(p.has_value());
        RC_ASSERT(p->state == ProposalState::queued);
        RC_ASSERT(p->eta_ns == at + params.timelock_ns);
        RC_ASSERT(p->expires_ns == p->eta_ns + params.grace_ns);
        const ParameterSpec& s = *by_key[key.value];
        RC_ASSERT(value >= s.min && value <= s.max);
        RC_ASSERT(abs128(static_cast<int128>(value) - *g.value(key)) <= allowed(s, *g.value(key)));
      }
    } else {
      ProposalId id{pick<std::uint64_t>(0, 40)};
      const std::vector<Proposal> pending = g.pending();
      if (!pending.empty() && pick(0, 3) != 0) {
        const Proposal& p = pending[pick<std::size_t>(0, pending.size())];
        id = p.id;
        if (pick(0, 2) == 0) at = std::max(at, p.eta_ns + pick<TimestampNs>(-2, 3));  // around eta
      }
      if (op <= 6) {
        const GovernanceStatus predicted = g.check_cancel(id, at);
        status = g.cancel(id, at);
        RC_ASSERT(status == predicted);
      } else {
        const GovernanceStatus predicted = g.check_execute(id, at);
        const auto p = g.proposal(id);
        if (p) old_value = g.value(p->key);
        const Execution e = g.execute(id, at);
        status = e.status;
        RC_ASSERT(status == predicted);
        RC_ASSERT(e.change.has_value() == (status == GovernanceStatus::ok));
        change = e.change;
        if (change) {
          // The record: what was proposed, when, against the value it replaced.
          RC_ASSERT(p.has_value());
          RC_ASSERT(change->proposal == id);
          RC_ASSERT(change->key == p->key);
          RC_ASSERT(change->old_value == *old_value);
          RC_ASSERT(change->new_value == p->new_value);
          RC_ASSERT(change->proposed_ns == p->proposed_ns);
          RC_ASSERT(change->executed_ns == at);
          RC_ASSERT(at >= p->proposed_ns + params.timelock_ns);
          RC_ASSERT(at <= p->proposed_ns + params.timelock_ns + params.grace_ns);
          RC_ASSERT(g.value(p->key) == p->new_value);
          executed.push_back(*change);
        }
      }
    }
    ++seen[status];

    if (status != GovernanceStatus::ok) {
      RC_ASSERT(bytes_of(g) == before);  // nothing changed, not even the clock
      RC_ASSERT(g.clock_ns() == clock_before);
    } else {
      RC_ASSERT(g.clock_ns() == at);
      now = at;
    }
    // Invariants after every step.
    const std::vector<Proposal> pending = g.pending();
    RC_ASSERT(pending.size() <= params.max_pending);
    std::map<std::uint32_t, int> per_key;
    for (const Proposal& p : pending) {
      RC_ASSERT(++per_key[p.key.value] == 1);
      RC_ASSERT(p.expires_ns >= g.clock_ns());  // expired ones were marked
    }
    RC_ASSERT(g.proposal_count() <= params.max_proposals);
    for (const ParameterSpec& s : specs) {
      const std::int64_t v = *g.value(s.key);
      RC_ASSERT(v >= s.min && v <= s.max);
    }
  }

  // Histories: exactly the executed changes, per parameter, in order; each a legal step.
  std::size_t total = 0;
  for (const ParameterSpec& s : specs) {
    const auto history = g.history(s.key);
    std::vector<ParameterChange> mine;
    for (const ParameterChange& c : executed) {
      if (c.key == s.key) mine.push_back(c);
    }
    RC_ASSERT(std::vector<ParameterChange>(history.begin(), history.end()) == mine);
    total += mine.size();
    std::int64_t in_force = initial_of[s.key.value];
    RC_ASSERT(in_force >= s.min && in_force <= s.max);
    for (std::size_t i = 0; i < history.size(); ++i) {
      const ParameterChange& c = history[i];
      RC_ASSERT(c.old_value == in_force);
      RC_ASSERT(c.new_value >= s.min && c.new_value <= s.max);
      RC_ASSERT(c.new_value != c.old_value);
      RC_ASSERT(abs128(static_cast<int128>(c.new_value) - c.old_value) <= allowed(s, c.old_value));
      if (i > 0) RC_ASSERT(c.executed_ns > history[i - 1].executed_ns);
      in_force = c.new_value;
    }
    RC_ASSERT(*g.value(s.key) == in_force);

    // value_at against a replay, at each change's edges and at random times.
    std::vector<TimestampNs> times = {-1, 0, INT64_MAX, g.clock_ns()};
    for (const ParameterChange& c : history) {
      times.insert(times.end(), {c.executed_ns - 1, c.executed_ns, c.executed_ns + 1, c.proposed_ns});
    }
    for (int i = 0; i < 10; ++i) times.push_back(pick<TimestampNs>(-5, g.clock_ns() + 10));
    for (const TimestampNs t : times) {
      std::int64_t replay = initial_of[s.key.value];
      for (const ParameterChange& c : history) {
        if (c.executed_ns <= t) replay = c.new_value;
      }
      RC_ASSERT(g.value_at(s.key, t) == replay);
    }
  }
  RC_ASSERT(total == g.change_count());

  // The state survives its bytes exactly.
  const std::string bytes = bytes_of(g);
  ByteReader in(bytes);
  auto decoded = Governor::decode(in);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(in.at_end());
  RC_ASSERT(bytes_of(*decoded) == bytes);
  RC_ASSERT(*decoded == g);

  RC_TAG(seen.size() >= 6 ? "varied" : "narrow");
}

}  // namespace
}  // namespace ballast::governance
