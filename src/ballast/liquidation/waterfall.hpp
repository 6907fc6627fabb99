#pragma once
// The bankruptcy waterfall (issue 6, item 4; research/defi-engines.md (b) Drift "Bankruptcy" and
// dYdX "Deleveraging", (f) 5). When an account's equity stays negative after its own collateral
// has been used, the deficit (the shortfall) goes down these buckets in order, each an event:
//   1. the insurance fund, bounded by its balance above a floor, by a cap per account per window
//      and by a cap per event (dYdX: $1M of IF loss per subaccount per block; Drift: the vault
//      keeps one unit, and per-tier caps);                                    plan_waterfall
//   2. what the fund does not pay: ADL against opposite positions at the bankruptcy price
//      (adl.hpp), and what ADL cannot cover is socialized across the market's holders
//                                                     socialize_loss, socialize_per_unit
// and, after any bad debt, withdrawals are gated for a while (dYdX: 50 blocks after a negative
// account is seen), so that nobody withdraws ahead of a loss that is still being shared out.
// Pure functions over fixed-point money; the engine applies and logs the amounts.
//
// Rounding, per quantity:
//   from_insurance, remaining  no rounding: Money in, Money out; from_insurance + remaining is the
//                              shortfall to the micro-unit.
//   socialize_loss charges     largest remainder: each floored share, plus one micro-unit to the
//                              largest remainders; they sum to the loss exactly (see below).
//   loss per base unit         rounded up (a charge rate): the collected total is never short.
//   socialize_per_unit charges each rounded up (a charge); their excess over the loss is the
//                              explicit surplus bucket.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "ballast/core/fixed.hpp"
#include "ballast/core/ids.hpp"

namespace ballast::liquidation {

// ---------------------------------------------------------------------------------------------
// Insurance fund

struct InsuranceCaps {
  Money per_account_window{};  // ≥ 0: the most the fund pays for one account within the window
  Money per_event{};           // ≥ 0: the most the fund pays within one event, venue-wide
  Money keep_minimum{};        // ≥ 0: the fund never pays itself below this (Drift keeps 1 unit)
  friend bool operator==(const InsuranceCaps&, const InsuranceCaps&) = default;
};

// What the fund has already paid, for the caps. A use above its cap (the cap was lowered by
// governance mid-window) leaves no room; it is not an error.
struct InsuranceUse {
  Money used_by_account_in_window{};  // ≥ 0
  Money used_in_event{};              // ≥ 0
};

enum class WaterfallStatus : std::uint8_t {
  ok,
  shortfall_not_positive,  // nothing to cover: the caller must not open a waterfall
  input_negative,          // a negative balance, cap, floor or use
};

const char* waterfall_status_name(WaterfallStatus status) noexcept;

// What bounded the fund's part (bits: several may bind at the same amount). None is set when the
// fund covered the whole shortfall.
enum InsuranceLimit : std::uint8_t {
  insurance_not_limited = 0,
  insurance_limit_balance = 1,      // the balance above keep_minimum
  insurance_limit_account_cap = 2,  // per_account_window − used_by_account_in_window
  insurance_limit_event_cap = 4,    // per_event − used_in_event
};

struct WaterfallPlan {
  WaterfallStatus status = WaterfallStatus::ok;
  Money from_insurance{};  // paid by the fund, 0 ≤ from_insurance ≤ shortfall
  Money remaining{};       // shortfall − from_insurance: to ADL, then socialization
  std::uint8_t limits = insurance_not_limited;  // InsuranceLimit bits
};

// from_insurance = min(shortfall, balance − keep_minimum, account room, event room), each room at
// least 0; remaining = the rest. The status is checked first: on anything but ok both amounts are 0.
WaterfallPlan plan_waterfall(Money shortfall, Money insurance_balance, const InsuranceCaps& caps,
                             const InsuranceUse& use);

// Whether withdrawals are still gated at `now_ns` by bad debt last seen at `last_bad_debt_ns`:
// true from that moment until gate_ns later (exclusive). No bad debt seen: never gated.
// gate_ns ≥ 0 (asserted).
bool withdrawals_gated(std::optional<TimestampNs> last_bad_debt_ns, TimestampNs now_ns, std::int64_t gate_ns);

// ---------------------------------------------------------------------------------------------
// Socialized loss

// One holder of the market that shares a loss, in proportion to its weight: |base size| (Drift
// weighs longs and shorts alike) or any other non-negative weight in base units.
struct Holder {
  SubAccountId id{};
  Quantity weight{};  // ≥ 0
};

enum class SocializeStatus : std::uint8_t {
  ok,
  loss_negative,
  weight_negative,
  no_weight,  // a positive loss and no weight to carry it: nobody can be charged
  overflow,   // socialize_per_unit only: the rate or a charge leaves the fixed-point range
};

const char* socialize_status_name(SocializeStatus status) noexcept;

struct Socialization {
  SocializeStatus status = SocializeStatus::ok;
  std::vector<Money> charges{};  // charges[i] for holders[i], each ≥ 0; empty unless ok
};

// The primary method. Every unit of loss must land in exactly one bucket: the ledger's invariant
// (DESIGN 3: the sum over all accounts equals deposits minus withdrawals) has no room for a loss
// that is charged twice or to nobody. So the charges sum to `loss` exactly, by largest remainder:
// holder i owes loss × weight_i / Σweight; each is floored, and the micro-units that flooring left
// over (fewer than the number of holders) go one each to the largest remainders, ties to the
// smaller id (then the earlier index). Each charge is within one micro-unit of its exact share.
// This is chosen over the per-unit rate below because it needs no fourth bucket and no holder pays
// more than one micro-unit above its share; its cost is one pass over the holders at bankruptcy.
// A zero loss charges nobody (whatever the weights).
Socialization socialize_loss(Money loss, std::span<const Holder> holders);

// Drift's variant (resolve_perp_bankruptcy: loss ÷ (|long base| + |short base|) added to the
// cumulative funding of both sides): one rate in quote per base unit, so a venue can book the loss
// lazily through a funding index instead of touching every holder. loss / total_base, rounded up
// so that the holders together pay at least the loss. nullopt when total_base ≤ 0, loss < 0, or the
// rate leaves Price's range.
std::optional<Price> loss_per_base_unit(Money loss, Quantity total_base);

struct PerUnitSocialization {
  SocializeStatus status = SocializeStatus::ok;
  Price per_unit{};              // loss_per_base_unit(loss, Σweight)
  std::vector<Money> charges{};  // weight_i × per_unit, each rounded up
  Money surplus{};               // Σcharges − loss ≥ 0: over-collected by the rounding; the engine
                                 // books it to a named account (the insurance fund), never drops it
};

// The per-unit variant charged holder by holder, with its over-collection made explicit.
PerUnitSocialization socialize_per_unit(Money loss, std::span<const Holder> holders);

}  // namespace ballast::liquidation
