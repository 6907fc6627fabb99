#pragma once
// Circuit breakers as the engine runs them (issue 6, item 5): protocol-level deleveraging when
// volatility leaves its predicted bounds, caps on open interest against market depth, and a
// pre-declared emergency settlement. Rules fixed in advance, not votes (research/defi-engines.md
// (f) 6): every trigger follows from the oracle's own readings and the depth feed.
//
//   regime     One VolatilityMonitor (liquidation/circuit_breaker.hpp: EWMA gauge, GARCH(1,1)
//              bound) per non-quote asset of the risk configuration, fed every valid oracle
//              reading (oracle_price, and oracle_quotes judged valid: a reading the venue does not
//              trust must not move the regime either way). Its level's multiplier m scales the
//              margin rates of every market on that underlying: the rule's initial and
//              maintenance rates (and Drift's size factor, each notional tier, a short option's
//              rates), each rounded up and capped at 100% of notional. The engine keeps the
//              governed rules apart and derives the rules in force from them and the levels, so a
//              level that falls back returns exactly the governed rates. Scaling the rates rather
//              than each requirement keeps every reader of the rules (the margin calculator, the
//              incremental book, the liquidation scan, sizing) unchanged.
//   reduce-only on invalid oracles: the oracle action policy (EngineOptions::oracle_policy)
//              already refuses open_risk on any reading that is not valid while reduce_risk and
//              liquidate stay allowed; the breakers add nothing there.
//   OI caps    set_market_depth (protocol-initiated from the depth feed, e.g. the notional within
//              2% of mid on the venues that hedge it) sets a market's depth; a fill that raises the
//              market's open interest above depth × oi_depth_factor is open_interest_cap_exceeded.
//              A fill that lowers it is always allowed (risk-reducing), and a market without a
//              published depth has no cap. Liquidations move positions between accounts and are
//              never capped.
//   emergency  emergency_settle closes every position of a market at its underlying's last valid
//              reading, against the clearing account, once the underlying has had no valid reading
//              for emergency_outage_ns: the pre-declared rule, so that a dead oracle cannot hold
//              the venue hostage and nobody chooses the price after the fact. The market is then
//              settled: fills are instrument_settled.

#include <cstdint>
#include <optional>
#include <vector>

#include "ballast/core/bytes.hpp"
#include "ballast/core/fixed.hpp"
#include "ballast/core/result.hpp"
#include "ballast/core/status.hpp"
#include "ballast/liquidation/circuit_breaker.hpp"
#include "ballast/margin/account.hpp"

namespace ballast {

struct BreakerOptions {
  // One monitor per non-quote asset, all with these parameters (the library's defaults: one
  // sample a minute, RiskMetrics' λ 0.94, margin × 1, 1.25, 1.5, 2 by level).
  liquidation::VolatilityParams volatility;
  // Max open interest = depth × this, rounded down; 0 turns the caps off. >= 0.
  Ratio oi_depth_factor;
  // A market may be emergency-settled once its underlying has had no valid reading this long;
  // > 0. One hour: far beyond any heartbeat, short of a venue frozen for a day.
  std::int64_t emergency_outage_ns = 3'600'000'000'000;

  friend bool operator==(const BreakerOptions&, const BreakerOptions&) = default;
};

// Ok, or an invalid_input error naming the first bad field ("breakers.oi_depth_factor", ...).
Outcome validate(const BreakerOptions& options);

// Per asset of the risk configuration (the quote's entry is unused: its price is 1).
struct AssetBreaker {
  liquidation::MonitorState monitor;
  TimestampNs last_valid_ns = 0;  // the last valid reading's event time; 0: none yet

  friend bool operator==(const AssetBreaker&, const AssetBreaker&) = default;
};

// The breakers' whole state: part of the engine's state and snapshot.
struct BreakerState {
  std::vector<AssetBreaker> assets;           // parallel to RiskConfig::assets
  std::vector<std::optional<Money>> depth;    // parallel to RiskConfig::markets; nullopt: no cap

  friend bool operator==(const BreakerState&, const BreakerState&) = default;
};

// Every monitor at its start (both forecasts at the calm baseline), no depth published.
BreakerState initial_breaker_state(const BreakerOptions& options, const margin::RiskConfig& risk);

// A valid reading of asset slot `asset` at now_ns: the regime monitor steps (a price the monitor
// refuses, such as one earlier than its last sample, leaves it unchanged), and the outage clock
// restarts. True when the asset's level changed, so the rules in force must be derived again.
bool observe_valid_reading(const BreakerOptions& options, BreakerState& state, std::size_t asset, Price price,
                           TimestampNs now_ns);

// The rules in force: `governed` with each market's rates × its underlying's regime multiplier,
// rounded up, capped at 1 (the header's regime); `governed` itself without breakers.
void derive_rules_in_force(const BreakerOptions* options, const BreakerState& state,
                           const margin::RiskConfig& governed, margin::RiskConfig& in_force);

// The open-interest check of a fill: ok, or open_interest_cap_exceeded. Open interests in quote
// money at the mark, before and after the fill.
Status judge_open_interest(const BreakerOptions& options, const std::optional<Money>& depth,
                           Money open_interest_before, Money open_interest_after);

// Canonical bytes: the options (doubles as their bit patterns) and the state. Decoding refuses what
// validate() refuses, and a state whose shape does not match the risk configuration.
void encode_breaker_options(ByteWriter& out, const BreakerOptions& options);
Result<BreakerOptions> decode_breaker_options(ByteReader& in);
void encode_breaker_state(ByteWriter& out, const BreakerState& state);
Result<BreakerState> decode_breaker_state(ByteReader& in, const margin::RiskConfig& risk);

}  // namespace ballast
