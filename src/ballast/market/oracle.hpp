#pragma once
// Oracle aggregation and guards: many sources in, one reading out, with a validity that says how
// far the reading may be trusted, and a per-action table of what each validity still allows.
//
// A reading is the median of the fresh, positive source quotes. Its validity is one value of a
// closed list, judged in a fixed precedence (OracleValidity's declaration order) so a reading
// that breaks several guards always gets the same answer. The per-action table follows Drift v2
// (programs/drift/src/math/oracle.rs, is_oracle_valid_for_action): liquidation still runs on a
// stale or uncertain price, because refusing to liquidate is itself a risk, while new risk and
// withdrawals need a valid one.
//
// Everything here is exact integer arithmetic on Price and Ratio: the guards compare by
// cross-multiplication in 128 bits, so no guard ever depends on a rounding.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "ballast/core/fixed.hpp"
#include "ballast/core/ids.hpp"
#include "ballast/core/result.hpp"

namespace ballast::market {

// Most sources one asset's oracle aggregates (validators, venues, feeds). Fixed so that
// aggregation works on stack arrays: no allocation per update.
inline constexpr std::size_t kMaxOracleSources = 16;

inline constexpr TimestampNs kNsPerSecond = 1'000'000'000;

struct OracleConfig {
  // A reading needs at least this many fresh, positive quotes to be valid (1..kMaxOracleSources).
  std::uint32_t min_sources = 1;
  // A quote published more than this long before now is stale; exactly this old is still fresh.
  TimestampNs max_staleness_ns = 10 * kNsPerSecond;
  // The reading is uncertain when confidence / price exceeds this (Drift's default is 2%).
  Ratio max_confidence = Ratio::from_raw(20'000'000'000);  // 0.02
  // The reading is too volatile when |price - reference| / reference exceeds this; the reference
  // is the last accepted price (or a TWAP of it, as Drift does). 0.5 = 50% per update.
  Ratio max_move = Ratio::from_raw(500'000'000'000);  // 0.5

  // Ok, or an invalid_input Error naming the first bad field.
  Outcome validate() const;
};

struct SourceQuote {
  std::uint32_t source = 0;  // index of the source, below kMaxOracleSources, distinct per update
  Price price;
  Price confidence;  // the source's own half-width of uncertainty, >= 0
  TimestampNs published_ns = 0;
  friend bool operator==(const SourceQuote&, const SourceQuote&) = default;
};

// Declaration order is precedence order: when several guards fail, the first listed wins. It is
// Drift's order of severity (NonPositive, TooVolatile, TooUncertain, StaleForMargin,
// InsufficientDataPoints), most dangerous first, so the reported reason is the one that blocks
// the most actions.
enum class OracleValidity : std::uint8_t {
  non_positive,          // no positive price to use at all (every quote <= 0, or none)
  too_volatile,          // moved more than max_move against the reference price
  uncertain,             // confidence / price above max_confidence
  stale,                 // no fresh positive quote: the price comes from stale ones
  insufficient_sources,  // some fresh positive quotes, but fewer than min_sources
  valid,
};
inline constexpr std::size_t kOracleValidityCount = 6;

const char* oracle_validity_name(OracleValidity validity) noexcept;

struct OracleReading {
  Price price;       // median of the quotes used (0 when non_positive)
  Price confidence;  // max(median of their confidences, median absolute deviation of prices)
  std::uint32_t source_count = 0;     // how many quotes the median was taken over
  TimestampNs newest_published_ns = 0;  // of the quotes used; 0 when none
  OracleValidity validity = OracleValidity::non_positive;
};

// Edge validation of one update's quotes, for the engine to reject a malformed event with a
// message: at most kMaxOracleSources quotes, source indices in range and distinct, confidence
// >= 0, nothing published after now_ns. aggregate() asserts these (programmer error if skipped).
Outcome check_quotes(std::span<const SourceQuote> quotes, TimestampNs now_ns);

// One reading from one update. reference_price is the price the move guard compares against
// (the last accepted reading's price); nullopt (the first update) skips that guard.
//
// Which quotes are used: the fresh positive ones; if none is fresh, the stale positive ones, so
// that actions the policy allows on a stale price (liquidation) still have the last known price.
OracleReading aggregate(const OracleConfig& config, std::span<const SourceQuote> quotes,
                        TimestampNs now_ns, std::optional<Price> reference_price);

// The median of values, sorting them in place. An even count gives the mean of the two middle
// values, rounded as asked: the symmetric choice (taking the lower or upper middle would bias the
// price by half the gap between two sources, which can be large; the mean loses at most one unit
// of 1e-9, in the direction the caller names). values must not be empty.
Price median_in_place(std::span<Price> values, Round even_round);

// --- What each validity still allows --------------------------------------------------------

enum class OracleAction : std::uint8_t {
  open_risk,          // orders or borrows that raise exposure, and the initial-margin check
  reduce_risk,        // reduce-only orders, repayments: exposure only goes down
  liquidate,          // forced reduction of an unhealthy account
  withdraw,           // collateral leaves the venue
  settle_pnl,         // unrealized PnL becomes realized balance
  funding,            // a funding payment is computed from the price
  expiry_settlement,  // a dated contract settles for good at this price
  resolve_bankruptcy,  // a deficit is closed out at the mark and charged to others for good
};
inline constexpr std::size_t kOracleActionCount = 8;

const char* oracle_action_name(OracleAction action) noexcept;

// A table of allowed validities per action: a bit set per action, bit i for OracleValidity i.
// Rules are data (DESIGN principle 7): governance may tighten or relax any cell.
class OracleActionPolicy {
 public:
  // The defaults, row by row (Drift v2's matrix where it has the action; see oracle.cpp for each
  // row's reason):
  //   open_risk          valid only
  //   reduce_risk        all but non_positive, too_volatile (as liquidate)
  //   liquidate          all but non_positive, too_volatile (Drift: Liquidate)
  //   withdraw           valid only
  //   settle_pnl         valid, stale, insufficient_sources (Drift: SettlePnl)
  //   funding            valid, stale, insufficient_sources (Drift: UpdateFunding)
  //   expiry_settlement  valid only
  //   resolve_bankruptcy valid only
  static OracleActionPolicy defaults();
  // Nothing allowed anywhere; build a custom table from it with set().
  static OracleActionPolicy none() { return OracleActionPolicy{}; }

  bool allows(OracleAction action, OracleValidity validity) const;
  void set(OracleAction action, OracleValidity validity, bool allow);

  friend bool operator==(const OracleActionPolicy&, const OracleActionPolicy&) = default;

 private:
  std::array<std::uint8_t, kOracleActionCount> allowed_bits_{};
};

inline bool allowed(const OracleActionPolicy& policy, OracleAction action,
                    OracleValidity validity) {
  return policy.allows(action, validity);
}

}  // namespace ballast::market
