#include "ballast/core/status.hpp"

#include <array>

namespace ballast {
namespace {

struct StatusText {
  std::string_view name;
  std::string_view message;
};

constexpr std::array<StatusText, kStatusCount> kTexts{{
    {"ok", "applied"},
    {"id_zero", "the idempotency id must be non-zero"},
    {"timestamp_invalid", "the timestamp must be positive nanoseconds since the Unix epoch"},
    {"exists", "an identical event with this idempotency id was already applied"},
    {"id_reused", "this idempotency id was already applied to a different event"},
    {"timestamp_regressed", "the timestamp is earlier than the last applied event"},
    {"amount_zero", "the amount must be positive, not zero"},
    {"amount_negative", "the amount must be positive, not negative"},
    {"symbol_invalid", "the symbol must be 1 to 15 characters of A-Z, 0-9, '.', '-' or '_'"},
    {"decimals_invalid", "decimals must be between 0 and 18 (and match the risk configuration's)"},
    {"account_id_reserved", "account and sub-account ids below 16 are reserved for the system"},
    {"same_sub_account", "a transfer needs two different sub-accounts"},
    {"asset_exists", "an asset with this id is already listed"},
    {"symbol_exists", "an asset with this symbol is already listed"},
    {"asset_unknown", "no asset with this id is listed"},
    {"account_exists", "an account with this id already exists"},
    {"account_unknown", "no account with this id exists"},
    {"sub_account_exists", "a sub-account with this id already exists"},
    {"sub_account_unknown", "no sub-account with this id exists"},
    {"sub_account_foreign", "the sub-account belongs to another account"},
    {"to_sub_account_unknown", "the destination sub-account does not exist"},
    {"to_sub_account_foreign", "the destination sub-account belongs to another account"},
    {"deposits_disabled", "deposits of this asset are disabled"},
    {"withdrawals_disabled", "withdrawals of this asset are disabled"},
    {"transfers_disabled", "transfers of this asset are disabled"},
    {"insufficient_balance", "the amount exceeds the free balance"},
    {"balance_overflow", "a balance or total would exceed the representable range"},
    {"flags_invalid", "asset flags may only be deposits, withdrawals and transfers"},
    {"mode_invalid", "the margin mode must be cross, isolated or portfolio"},
    {"price_invalid", "prices must be positive (an option's mark may be zero)"},
    {"fill_size_zero", "the fill size must not be zero"},
    {"fill_price_invalid", "the fill price must be positive"},
    {"fee_negative", "the fee must not be negative"},
    {"instrument_unknown", "the risk configuration lists no market with this instrument id"},
    {"fill_size_off_lot", "the fill size is not a whole number of lots"},
    {"fill_price_off_tick", "the fill price is not a whole number of ticks"},
    {"instrument_expired", "the instrument has expired"},
    {"price_missing", "no price has been set yet for something the margin group holds"},
    {"price_stale", "a price the margin group needs is older than the maximum age"},
    {"insufficient_margin", "the margin group's initial health would be negative"},
    {"quotes_invalid",
     "oracle quotes must number 1 to 16, from distinct sources below 16, with non-negative "
     "confidence, published no later than the event"},
    {"instrument_not_perpetual", "funding accrues on perpetuals only"},
    {"instrument_not_dated", "only futures and options expire and settle"},
    {"expiry_not_reached", "the instrument has not reached its expiry"},
    {"instrument_settled", "the instrument has already been settled at expiry"},
    {"oracle_untrusted",
     "an oracle reading is too volatile, too uncertain, from too few sources or non-positive "
     "for this action"},
    {"portfolio_unsupported",
     "the venue has no portfolio-margin model, or a portfolio-margin sub-account cannot hold "
     "this asset or trade this market (only the quote and the model's underlyings)"},
    {"portfolio_price_invalid",
     "an option mark is above its no-arbitrage bound, so portfolio margin has no implied vol "
     "to shock"},
    {"liquidation_self", "a liquidator may not liquidate a sub-account of its own account"},
    {"position_missing", "the liquidated sub-account holds no position in this instrument"},
    {"account_healthy", "the margin group is not liquidatable: its maintenance health is not negative"},
    {"health_unchanged",
     "no liquidation to start (the margin group is healthy or already being liquidated) or to "
     "end (it is still liquidatable or none is open)"},
    {"account_bankrupt",
     "no price inside the auction's discount closes the position without leaving negative "
     "equity: the bankruptcy waterfall resolves it"},
    {"liquidation_too_large",
     "the size exceeds the position or what the liquidation rules allow in one event (close "
     "factor, dust, account and event caps)"},
    {"liquidation_price_out_of_band",
     "the price gives the liquidator a larger discount to the mark than the auction allows now"},
    {"account_solvent",
     "the margin group's equity is not negative: there is no bad debt for the waterfall to resolve"},
    {"withdrawals_gated",
     "withdrawals are paused: bad debt was resolved within the liquidation rules' withdrawal gate"},
    {"vault_missing", "the venue has no liquidity vault"},
    {"vault_deposit_too_small", "the deposit is below the vault's minimum or too small to mint a share unit"},
    {"vault_request_pending", "a withdrawal request is already pending: cancel it first"},
    {"vault_no_request", "there is no withdrawal request to claim or cancel"},
    {"vault_queue_full", "the vault already holds as many withdrawal requests as it allows"},
    {"vault_cooldown", "the withdrawal request's cooldown has not ended yet"},
    {"vault_equity_negative", "the vault's equity is not positive: there is nothing to pay out or buy into"},
    {"backstop_not_reached",
     "the margin group's coverage is above the backstop threshold: liquidators close it, not the vault"},
    {"pool_missing", "the venue has no lending pool for this asset"},
    {"supply_cap_exceeded", "total supply of the asset would pass the lending pool's supply cap"},
    {"borrow_cap_exceeded", "total borrows of the asset would pass the lending pool's borrow cap"},
    {"insufficient_liquidity", "the lending pool's cash (its deposits less its borrows) is short of the amount"},
    {"breakers_missing", "the venue runs no circuit breakers"},
    {"governance_missing", "the venue has no governed risk parameters"},
    {"proposal_id_invalid", "the proposal id 0 is reserved"},
    {"parameter_unknown", "no governed parameter has this key"},
    {"proposal_unknown", "no proposal has this id"},
    {"proposal_exists", "this proposal id was used before"},
    {"proposal_executed", "the proposal was executed already"},
    {"proposal_cancelled", "the proposal was cancelled"},
    {"proposal_expired", "the proposal was not executed within the grace period after its timelock"},
    {"timelock_pending", "the proposal's timelock has not ended"},
    {"parameter_out_of_bounds", "the new value is outside the parameter's bounds"},
    {"parameter_unchanged", "the new value equals the value in force"},
    {"parameter_step_too_large", "the change is larger than one proposal may make"},
    {"parameter_busy", "a queued proposal already targets this parameter"},
    {"proposals_full", "as many proposals are queued or recorded as the venue allows"},
    {"parameter_conflict", "the new value would break a rule between risk parameters"},
    {"emergency_not_allowed", "the underlying's oracle had a valid reading within the emergency outage period"},
    {"open_interest_cap_exceeded", "the fill would raise open interest above the market's depth cap"},
    {"deficit_exceeded",
     "the amount exceeds the written-off bad debt in this asset (what the bad-debt account owes)"},
}};

}  // namespace

std::string_view status_name(Status status) noexcept {
  const auto index = static_cast<std::size_t>(status);
  return index < kTexts.size() ? kTexts[index].name : std::string_view{"unknown_status"};
}

std::string_view status_message(Status status) noexcept {
  const auto index = static_cast<std::size_t>(status);
  return index < kTexts.size() ? kTexts[index].message : std::string_view{"unknown status"};
}

std::optional<Status> status_from_value(std::uint8_t value) noexcept {
  if (value >= kStatusCount) {
    return std::nullopt;
  }
  return static_cast<Status>(value);
}

std::optional<Status> status_from_name(std::string_view name) noexcept {
  for (std::uint8_t i = 0; i < kStatusCount; ++i) {
    if (kTexts[i].name == name) {
      return static_cast<Status>(i);
    }
  }
  return std::nullopt;
}

}  // namespace ballast
