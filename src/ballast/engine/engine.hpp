#pragma once
// The deterministic state machine (DESIGN principles 1, 2, 6). apply() depends only on the state
// and the event: time comes from the event, there is no randomness, and nothing iterates in an
// order that hash maps or pointers could change. A rejected event changes nothing, the clock and
// the idempotency table included, so state_hash() after a rejection equals the hash before it.

#include <cstdint>
#include <string>
#include <string_view>
#include <optional>
#include <unordered_map>
#include <vector>

#include "ballast/core/bytes.hpp"
#include "ballast/core/hash.hpp"
#include "ballast/core/result.hpp"
#include "ballast/core/status.hpp"
#include "ballast/engine/event.hpp"
#include "ballast/ledger/ledger.hpp"
#include "ballast/margin/account.hpp"

namespace ballast {

// Engine parameters that are not margin rules. Part of the state (and of its hash).
struct EngineOptions {
  // An oracle price or a mark set longer ago than this (event time minus the time it was set,
  // strictly greater) is stale: a fill or a margin-checked withdrawal that needs it is rejected
  // with price_stale. The engine's option rather than a RiskConfig field because it is about the
  // feed, not the margin model; > 0.
  TimestampNs price_max_age_ns = 60'000'000'000;  // one minute

  friend bool operator==(const EngineOptions&, const EngineOptions&) = default;
};

// The prices margin reads, each with the event time it was set: oracle readings per asset and
// marks per instrument (both sorted by id, as margin::PriceBook wants them). Venue-wide deposit,
// borrow and open-interest totals are not tracked yet (0): deposit- and borrow-scaled weights
// and the open-interest ramp stay at their base values in the engine until the margin book is
// wired in.
struct PriceState {
  margin::PriceBook book;
  std::vector<TimestampNs> asset_set_ns;   // parallel to book.assets
  std::vector<TimestampNs> market_set_ns;  // parallel to book.markets

  void set_asset(AssetId asset, Price oracle, Price stable, TimestampNs now_ns);
  void set_mark(InstrumentId instrument, Price mark, TimestampNs now_ns);
  std::optional<TimestampNs> asset_set_ns_of(AssetId asset) const;
  std::optional<TimestampNs> mark_set_ns_of(InstrumentId instrument) const;
};

class Engine {
 public:
  // No risk configuration: assets, accounts and transfers only; every fill is instrument_unknown.
  Engine() = default;
  // A venue with these risk parameters (asserted valid: check them with make() or
  // RiskConfig::validate() first). Changing them at run time is a later issue (governance
  // events); for now they are fixed here and carried by the snapshot.
  explicit Engine(margin::RiskConfig risk, EngineOptions options = {});
  // The same, with the parameters checked: an invalid_input error naming the first bad field.
  static Result<Engine> make(margin::RiskConfig risk, EngineOptions options = {});

  Status apply(const Event& event);

  const Ledger& ledger() const { return ledger_; }
  // The venue's risk parameters; nullptr for an engine built without them.
  const margin::RiskConfig* risk_config() const { return has_risk_ ? &risk_ : nullptr; }
  const EngineOptions& options() const { return options_; }
  const PriceState& prices() const { return prices_; }
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
  static Result<Engine> restore_risk(ByteReader& in, Engine engine);
  static Result<Engine> restore_prices(ByteReader& in, Engine engine);

  Ledger ledger_;
  bool has_risk_ = false;
  margin::RiskConfig risk_;
  EngineOptions options_;
  PriceState prices_;
  TimestampNs clock_ns_ = 0;
  // Idempotency id -> fingerprint of the event it was applied with, to tell a retry ("exists")
  // from a different event that reuses the id ("id_reused").
  std::unordered_map<EventId, std::uint64_t> applied_;
  // Reused buffer for the event's canonical bytes, so apply() does not allocate per event.
  ByteWriter scratch_;
};

}  // namespace ballast
