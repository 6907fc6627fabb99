#pragma once
// Status: the closed set of answers the engine gives to an event. A rejection is a value, not an
// exception, and a rejected event changes nothing (DESIGN principle 6).
//
// The enum's declaration order IS the precedence order (kStatusPrecedence spells it out): when an
// event breaks several rules, the engine reports the one listed first, so the answer never
// depends on how the checks happen to be written.
// Append new codes in the group they belong to; the numeric values are stored in the event log,
// so existing values never change (a test pins them).

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ballast {

enum class Status : std::uint8_t {
  ok = 0,
  // Envelope: judged before anything else, because nothing else can be judged without it.
  id_zero = 1,            // the idempotency id 0 is reserved
  timestamp_invalid = 2,  // the timestamp must be positive nanoseconds since the epoch
  // Idempotency: a retry gets the same answer whatever has happened since.
  exists = 3,     // this id was applied before with this same event: nothing changes
  id_reused = 4,  // this id was applied before with a different event
  // Clock: time only moves forward.
  timestamp_regressed = 5,  // earlier than the last applied event
  // Shape of the fields.
  amount_zero = 6,
  amount_negative = 7,
  symbol_invalid = 8,        // 1..15 characters of A-Z 0-9 . - _
  decimals_invalid = 9,      // 0..18
  flags_invalid = 27,        // asset flag bits other than deposits, withdrawals, transfers
  mode_invalid = 28,         // a margin mode other than cross (0), isolated (1), portfolio (2)
  account_id_reserved = 10,  // ids below kFirstUserId belong to the system accounts
  same_sub_account = 11,     // a transfer from a sub-account to itself
  price_invalid = 29,        // an oracle price or stable price <= 0, a mark < 0 (0: options only)
  fill_size_zero = 30,
  fill_price_invalid = 31,   // a fill price must be positive
  fee_negative = 32,         // rebates are not fills
  quotes_invalid = 40,       // oracle quotes: none or too many, a source out of range or repeated,
                             // a negative confidence, or published after the event
  proposal_id_invalid = 71,  // the governance proposal id 0 is reserved
  // Existence and ownership.
  asset_exists = 12,
  symbol_exists = 13,
  instrument_unknown = 33,  // not a market of the risk configuration
  asset_unknown = 14,
  account_exists = 15,
  account_unknown = 16,
  sub_account_exists = 17,
  sub_account_unknown = 18,
  sub_account_foreign = 19,     // the sub-account belongs to another account
  to_sub_account_unknown = 20,  // transfer destination
  to_sub_account_foreign = 21,  // transfer destination belongs to another account
  vault_missing = 57,           // the venue has no liquidity vault
  pool_missing = 65,            // the venue has no lending pool for the asset
  breakers_missing = 69,        // the venue runs no circuit breakers
  governance_missing = 70,      // the venue has no governed parameters
  proposal_exists = 74,         // this proposal id was used before, whatever became of it
  proposal_unknown = 73,        // no proposal has this id
  parameter_unknown = 72,       // no governed parameter has this key
  liquidation_self = 48,        // a liquidator may not liquidate its own account's sub-accounts
  position_missing = 49,        // the liquidated sub-account holds no position in the instrument
  // The instrument's own rules.
  fill_size_off_lot = 34,
  fill_price_off_tick = 35,
  instrument_expired = 36,  // at or past its expiry
  instrument_not_perpetual = 41,  // funding accrues on perpetuals only
  instrument_not_dated = 42,      // only futures and options expire and settle
  expiry_not_reached = 43,        // settlement before the instrument's expiry
  instrument_settled = 44,        // settled at expiry already
  emergency_not_allowed = 85,     // the underlying had a valid reading within the emergency outage
  // Permissions.
  deposits_disabled = 22,
  withdrawals_disabled = 23,
  withdrawals_gated = 56,  // bad debt was seen within the liquidation rules' withdrawal gate
  transfers_disabled = 24,
  portfolio_unsupported = 46,  // no portfolio-margin model on this venue; or a portfolio
                               // sub-account given an asset or market outside the model
  // Prices a margin decision needs.
  price_missing = 37,  // no oracle price or mark yet for something the margin group holds
  price_stale = 38,    // older than the engine's price_max_age_ns
  oracle_untrusted = 45,  // an oracle reading the action policy does not trust for this action
                          // (too volatile, too uncertain, too few sources, non-positive)
  portfolio_price_invalid = 47,  // an option mark a portfolio-margin scenario cannot reprice
                                 // (above its no-arbitrage bound: no implied vol)
  // Liquidation: judged on valid prices, before the liquidator's own balances.
  account_healthy = 50,   // the margin group is not liquidatable (maintenance health >= 0)
  health_unchanged = 51,  // check_health: no liquidation to start (healthy) or end (still open)
  account_bankrupt = 52,  // no price closes the position without bad debt: the waterfall's case
  account_solvent = 55,   // resolve_bankruptcy on a margin group whose equity is not negative
  deficit_exceeded = 87,  // cover_bad_debt of more than the bad-debt account owes in the asset
  backstop_not_reached = 64,  // backstop_takeover on a group above the backstop's coverage
  liquidation_too_large = 53,          // more than the liquidation rules allow in one event
  liquidation_price_out_of_band = 54,  // the price gives the liquidator more than the auction's
                                       // discount now, or is past the bankruptcy price
  // The liquidity vault's own rules (lending/vault.hpp).
  vault_deposit_too_small = 58,  // below the vault's minimum deposit, or too small to mint a share unit
  vault_request_pending = 59,    // the LP already has a withdrawal request (cancel it first)
  vault_no_request = 60,         // the LP has no withdrawal request to claim or cancel
  vault_queue_full = 61,         // the vault holds as many withdrawal requests as it allows
  vault_cooldown = 62,           // the request's cooldown has not ended
  vault_equity_negative = 63,    // the vault's equity leaves nothing to pay or to buy into
  // Lending pools (engine/pools.hpp).
  insufficient_liquidity = 68,   // the pool's cash (deposits - borrows) is short of the borrow
  supply_cap_exceeded = 66,      // total supply would pass the pool's supply cap
  borrow_cap_exceeded = 67,      // total borrows would pass the pool's borrow cap
  // Governance of risk parameters (governance/governance.hpp, engine/governed.hpp).
  proposal_executed = 75,         // the proposal was executed already
  proposal_cancelled = 76,        // the proposal was cancelled
  proposal_expired = 77,          // not executed within the grace period after its timelock
  timelock_pending = 78,          // executed before its timelock ended
  parameter_out_of_bounds = 79,   // the new value is outside the parameter's bounds
  parameter_unchanged = 80,       // the new value equals the value in force
  parameter_step_too_large = 81,  // the change is larger than one proposal may make
  parameter_busy = 82,            // a queued proposal already targets the parameter
  proposals_full = 83,            // as many proposals queued, or recorded, as the venue allows
  parameter_conflict = 84,        // the new value would break a rule between parameters
                                  // (maintenance above initial, say)
  // Circuit breakers (engine/breakers.hpp).
  open_interest_cap_exceeded = 86,  // the fill raises open interest above depth x factor
  // Balances: judged last, on an otherwise valid event.
  insufficient_balance = 25,  // more than the free balance
  balance_overflow = 26,      // a balance or a total would leave the representable range
  insufficient_margin = 39,   // the margin group's initial health would be negative
};

inline constexpr std::uint8_t kStatusCount = 88;

// Every code once, in precedence order: the order of the list above. Numeric values are not in
// that order once a code has been appended to an earlier group (flags_invalid, mode_invalid,
// the margin codes 29..39, the oracle, funding and expiry codes 40..45 and the portfolio-margin
// codes 46..47, the liquidation codes 48..54, the waterfall codes 55..56, the vault codes 57..64, the lending codes 65..68,
// the governance and circuit-breaker codes 69..86, the bad-debt cover's 87).
inline constexpr std::array<Status, kStatusCount> kStatusPrecedence{
    Status::ok,
    Status::id_zero,
    Status::timestamp_invalid,
    Status::exists,
    Status::id_reused,
    Status::timestamp_regressed,
    Status::amount_zero,
    Status::amount_negative,
    Status::symbol_invalid,
    Status::decimals_invalid,
    Status::flags_invalid,
    Status::mode_invalid,
    Status::account_id_reserved,
    Status::same_sub_account,
    Status::price_invalid,
    Status::fill_size_zero,
    Status::fill_price_invalid,
    Status::fee_negative,
    Status::quotes_invalid,
    Status::proposal_id_invalid,
    Status::asset_exists,
    Status::symbol_exists,
    Status::instrument_unknown,
    Status::asset_unknown,
    Status::account_exists,
    Status::account_unknown,
    Status::sub_account_exists,
    Status::sub_account_unknown,
    Status::sub_account_foreign,
    Status::to_sub_account_unknown,
    Status::to_sub_account_foreign,
    Status::vault_missing,
    Status::pool_missing,
    Status::breakers_missing,
    Status::governance_missing,
    Status::proposal_exists,
    Status::proposal_unknown,
    Status::parameter_unknown,
    Status::liquidation_self,
    Status::position_missing,
    Status::fill_size_off_lot,
    Status::fill_price_off_tick,
    Status::instrument_expired,
    Status::instrument_not_perpetual,
    Status::instrument_not_dated,
    Status::expiry_not_reached,
    Status::instrument_settled,
    Status::emergency_not_allowed,
    Status::deposits_disabled,
    Status::withdrawals_disabled,
    Status::withdrawals_gated,
    Status::transfers_disabled,
    Status::portfolio_unsupported,
    Status::price_missing,
    Status::price_stale,
    Status::oracle_untrusted,
    Status::portfolio_price_invalid,
    Status::account_healthy,
    Status::health_unchanged,
    Status::account_bankrupt,
    Status::account_solvent,
    Status::deficit_exceeded,
    Status::backstop_not_reached,
    Status::liquidation_too_large,
    Status::liquidation_price_out_of_band,
    Status::vault_deposit_too_small,
    Status::vault_request_pending,
    Status::vault_no_request,
    Status::vault_queue_full,
    Status::vault_cooldown,
    Status::vault_equity_negative,
    Status::insufficient_liquidity,
    Status::supply_cap_exceeded,
    Status::borrow_cap_exceeded,
    Status::proposal_executed,
    Status::proposal_cancelled,
    Status::proposal_expired,
    Status::timelock_pending,
    Status::parameter_out_of_bounds,
    Status::parameter_unchanged,
    Status::parameter_step_too_large,
    Status::parameter_busy,
    Status::proposals_full,
    Status::parameter_conflict,
    Status::open_interest_cap_exceeded,
    Status::insufficient_balance,
    Status::balance_overflow,
    Status::insufficient_margin,
};

std::string_view status_name(Status status) noexcept;
// One sentence for people: what is wrong, in the event's own terms.
std::string_view status_message(Status status) noexcept;
std::optional<Status> status_from_name(std::string_view name) noexcept;
std::optional<Status> status_from_value(std::uint8_t value) noexcept;

}  // namespace ballast
