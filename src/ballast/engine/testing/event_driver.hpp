#pragma once
// An engine fed events a fixed step apart from kT0, each with the next idempotency id: the clock
// and the ids that benchmarks and property tests drive an engine with, without a test framework.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "ballast/engine/engine.hpp"
#include "ballast/engine/testing/margin_venue.hpp"

namespace ballast::engine_testing {

class EventDriver {
 public:
  explicit EventDriver(Engine engine, TimestampNs step_ns = 1'000) : engine_(std::move(engine)), step_ns_(step_ns) {}

  // The next event: a step after the last, with the next id.
  Event next(EventBody body) {
    now_ += step_ns_;
    return Event{EventId{next_id_++}, now_, std::move(body)};
  }
  Status apply(EventBody body) { return engine_.apply(next(std::move(body))); }
  // For building a venue: an event that must pass. A refusal stops the process, naming the event
  // and its status (a venue built wrong would make every figure after it meaningless).
  void must(EventBody body) {
    const char* kind = event_kind_name(body);
    if (const Status status = apply(std::move(body)); status != Status::ok) {
      std::fprintf(stderr, "event %llu (%s) refused: %s\n", static_cast<unsigned long long>(next_id_ - 1), kind,
                   std::string(status_name(status)).c_str());
      std::abort();
    }
  }
  // Moves the clock on without an event (the next one comes `ns` + one step later).
  void advance(TimestampNs ns) { now_ += ns; }

  Engine& engine() { return engine_; }
  const Engine& engine() const { return engine_; }
  TimestampNs now() const { return now_; }

 private:
  Engine engine_;
  TimestampNs step_ns_;
  std::uint64_t next_id_ = 1;
  TimestampNs now_ = kT0;
};

}  // namespace ballast::engine_testing
