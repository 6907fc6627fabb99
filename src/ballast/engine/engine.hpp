#pragma once
// The deterministic state machine (DESIGN principles 1, 2, 6). apply() depends only on the state
// and the event: time comes from the event, there is no randomness, and nothing iterates in an
// order that hash maps or pointers could change. A rejected event changes nothing, the clock and
// the idempotency table included, so state_hash() after a rejection equals the hash before it.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ballast/core/bytes.hpp"
#include "ballast/core/hash.hpp"
#include "ballast/core/result.hpp"
#include "ballast/core/status.hpp"
#include "ballast/engine/event.hpp"
#include "ballast/ledger/ledger.hpp"

namespace ballast {

class Engine {
 public:
  Engine() = default;

  Status apply(const Event& event);

  const Ledger& ledger() const { return ledger_; }
  TimestampNs clock_ns() const { return clock_ns_; }
  std::uint64_t applied_count() const { return applied_.size(); }

  // SHA-256 of snapshot(): covers the whole state in canonical order.
  Digest state_hash() const;
  // Canonical bytes of the whole state; restore() reads them back into a fresh engine.
  std::string snapshot() const;
  static Result<Engine> restore(std::string_view snapshot);

 private:
  Status validate(const Event& event, std::uint64_t fingerprint) const;
  void execute(const EventBody& body);

  static Result<Engine> restore_idempotency(ByteReader& in, Engine engine);

  Ledger ledger_;
  TimestampNs clock_ns_ = 0;
  // Idempotency id -> fingerprint of the event it was applied with, to tell a retry ("exists")
  // from a different event that reuses the id ("id_reused").
  std::unordered_map<EventId, std::uint64_t> applied_;
  // Reused buffer for the event's canonical bytes, so apply() does not allocate per event.
  ByteWriter scratch_;
};

}  // namespace ballast
