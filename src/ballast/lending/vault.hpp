#pragma once
// The liquidity vault (issue 6, item 2), after Hyperliquid's HLP: liquidity providers (LPs)
// deposit quote money for shares and withdraw after a cooldown; the vault's sub-account takes over
// positions in liquidation backstops and earns fees and liquidation surplus, so its shares are
// worth its marked equity. A pure library: the vault does not hold its equity. The engine passes
// it in (the sub-account's cash plus the mark-to-market of the positions it took over), moves the
// money a deposit brings and a withdrawal pays, and sets the gate after bad debt (issue 6, item 4).
//
// Shares. VaultShares count 10^-9 of a share. The price of a share is the mediant
//
//     mediant = (E + virtual_assets) / (S + virtual_shares)
//
// of the LPs' price E/S (E the marked equity, S the LP shares) and the virtual price
// virtual_assets / virtual_shares, as in ERC-4626 with a decimals offset (OpenZeppelin). Why the
// offset: in a vault without it, the first depositor can buy one share unit, donate a large sum to
// the equity, and a victim's deposit then mints floor(deposit / price) shares, losing up to one
// whole (now huge) share's worth to the attacker. With virtual_shares ≫ virtual_assets, the
// donation is shared with the virtual shares, which nobody can withdraw: the attacker loses about
// D·virtual_shares / (S + virtual_shares) of a donation D to take at most one share unit's value,
// D / (S + virtual_shares), from the victim (vault_test works the numbers). The default offset,
// 1,000 share units (10^-6 share) per 10^-6 money, opens the vault at 1 money per share and makes
// the attack cost its author ~1,000 times what it takes.
//
// The mediant lies between E/S and the virtual price. Below the virtual price (a vault that has
// lost money since it opened) it is above E/S, and paying every LP at the mediant would promise
// them up to virtual_assets more than the equity. So every payout and value is capped at the
// LPs' exact pro-rata share of the real equity: a share redeems at min(mediant, E/S). Deposits
// mint at the mediant. Then no operation lowers the redemption price min(mediant, E/S) for the LPs
// who stay: only the equity moves it (a deposit at the mediant keeps both terms from falling, and
// a payout of at most min(...) per share does too).
//
// Rounding per quantity, each in the favour of the LPs who stay:
//   shares minted by a deposit   down  floor(amount × (S + vs) / (E + va)): never more claim
//                                      than the money brings
//   payout of a withdrawal       down  floor(shares × min(mediant, E/S)): never more than the
//                                      shares' value, never the virtual assets
//   value_of                     down  the same formula: what the LP would be paid now
//   share_price                  down  the same formula, per whole share
// Consequences (vault_property_test): Σ value_of(lp) ≤ E whatever happens; a deposit followed by
// the withdrawal of the shares it minted, with no change of equity between, pays back at most the
// deposit; no operation lowers the redemption price.
//
// Withdrawals. request_withdrawal locks shares for cooldown_ns. Locked shares stay in S, so they
// keep sharing profit and loss until withdraw burns them at the price of that moment: an LP cannot
// front-run a backstop loss by requesting early (JELLY, research/defi-engines.md (c)). One request
// per LP at a time; cancel_withdrawal unlocks it. While the engine gates withdrawals after bad debt,
// withdraw refuses; requests and cancellations still go through (they move no money), and a
// cooldown that ends during the gate is claimable once it lifts. A withdrawal at an equity ≤ 0 is
// refused rather than paid 0: burning the shares for nothing would hand the LP's claim on any
// recovery to the others; the request stays, claimable when the equity is positive again.
//
// Empty vault. With S = 0, what equity is left (the virtual shares' part, the rounding kept from
// past payouts) belongs to nobody, and the next deposit's shares claim nearly all of it; it is at
// most what the offset and the roundings kept, and the engine may sweep it to the insurance fund.
//
// Time. Every operation takes the event's time; one before the vault's latest accepted operation
// is refused (time_regressed), so a cooldown always runs forward.
//
// Range. Share totals are int64 (9.2 × 10^9 shares: a vault of about 9.2 × 10^9 money at the
// opening price) with 128-bit intermediates; a deposit that would leave the range is refused
// (overflow), never wrapped.

#include <cstdint>
#include <map>
#include <optional>

#include "ballast/core/bytes.hpp"
#include "ballast/core/fixed.hpp"
#include "ballast/core/ids.hpp"
#include "ballast/core/result.hpp"

namespace ballast::lending {

using VaultShares = Fixed<struct VaultSharesTag, 9>;

// Business rejections, in precedence order: when an operation breaks several rules, the first
// listed is reported. A rejection changes nothing.
enum class VaultStatus : std::uint8_t {
  ok = 0,
  time_regressed,         // any: now_ns before the vault's latest accepted operation
  amount_invalid,         // deposit: amount ≤ 0; request: shares ≤ 0
  below_min_deposit,      // deposit: amount below params.min_deposit
  withdrawals_gated,      // withdraw: the engine gated withdrawals after bad debt
  no_pending_withdrawal,  // withdraw, cancel: the LP has no request
  withdrawal_pending,     // request: the LP already has one (cancel it first)
  insufficient_shares,    // request: more than the LP's unlocked shares
  too_many_pending,       // request: max_pending_withdrawals requests already wait
  cooldown_pending,       // withdraw: before the request's claimable time
  equity_negative,        // deposit: equity_before < 0, new money would fill a hole
  equity_exhausted,       // withdraw: equity_now ≤ 0 (see the header comment)
  no_shares_minted,       // deposit: too small to mint one share unit at the price
  overflow,               // a share total or the claimable time would leave its range
};

const char* vault_status_name(VaultStatus status) noexcept;

struct VaultParams {
  TimestampNs cooldown_ns = 0;  // ≥ 0: from a request to the time it is claimable
  Money min_deposit;            // ≥ 0: the smallest deposit accepted
  // The ERC-4626 offset against share inflation (header comment); both ≥ 1 so the price is
  // defined on an empty vault. Their ratio is the opening price.
  VaultShares virtual_shares = VaultShares::from_raw(1'000);
  Money virtual_assets = Money::from_raw(1);
  std::uint32_t max_pending_withdrawals = 0;  // ≥ 1: bounds the requests the state holds
  friend bool operator==(const VaultParams&, const VaultParams&) = default;
};

// Validates parameters (the error names the field).
Outcome validate(const VaultParams& params);

// One LP's holding. locked ≤ shares; claimable_ns is 0 when nothing is locked.
struct LpPosition {
  VaultShares shares;  // all the LP's shares, locked ones included
  VaultShares locked;  // shares of the pending withdrawal request
  TimestampNs claimable_ns = 0;
  friend bool operator==(const LpPosition&, const LpPosition&) = default;
};

struct DepositResult {
  VaultStatus status = VaultStatus::ok;
  VaultShares minted;
};

struct WithdrawResult {
  VaultStatus status = VaultStatus::ok;
  VaultShares burned;
  Money paid;  // the engine moves this from the vault's sub-account to the LP
};

class LiquidityVault {
 public:
  // An empty, ungated vault whose clock starts at start_ns.
  static Result<LiquidityVault> make(VaultParams params, TimestampNs start_ns);

  // Mints floor(amount × (S + vs) / (E + va)) shares to lp; the engine moves `amount` into the
  // vault's sub-account. equity_before is the vault's marked equity without this deposit.
  DepositResult deposit(AccountId lp, Money amount, Money equity_before, TimestampNs now_ns);
  // Locks `shares` of lp's unlocked shares, claimable at now_ns + cooldown_ns.
  VaultStatus request_withdrawal(AccountId lp, VaultShares shares, TimestampNs now_ns);
  // Unlocks lp's pending request.
  VaultStatus cancel_withdrawal(AccountId lp, TimestampNs now_ns);
  // Burns lp's locked shares and pays their value at equity_now (value_of's formula).
  WithdrawResult withdraw(AccountId lp, Money equity_now, TimestampNs now_ns);

  // The engine gates withdrawals after bad debt and lifts the gate when it is covered.
  void set_gated(bool gated) { gated_ = gated; }
  bool gated() const { return gated_; }

  // Views. Values take the vault's marked equity; an equity ≤ 0 values every share at 0.
  VaultShares shares_of(AccountId lp) const;
  VaultShares locked_of(AccountId lp) const;
  VaultShares total_shares() const { return VaultShares::from_raw(total_shares_); }
  // Money per whole share, min(mediant, E/S), down (the mediant on an empty vault); nullopt
  // beyond Price's range (a share worth more than 9.2 × 10^9).
  std::optional<Price> share_price(Money equity) const;
  // What lp's shares, locked ones included, would be paid at this equity: down.
  Money value_of(AccountId lp, Money equity) const;
  // Every LP with shares, by account id (canonical order).
  const std::map<AccountId, LpPosition>& positions() const { return positions_; }
  std::uint32_t pending_count() const { return pending_count_; }
  TimestampNs clock_ns() const { return clock_ns_; }
  const VaultParams& params() const { return params_; }

  // Canonical bytes of the whole state (parameters included), the same for equal states
  // whatever their history. decode refuses anything encode cannot have written (corrupt, naming
  // the byte); it leaves the reader after the vault, for the caller to check the end.
  void encode(ByteWriter& out) const;
  static Result<LiquidityVault> decode(ByteReader& in);

  friend bool operator==(const LiquidityVault&, const LiquidityVault&) = default;

 private:
  LiquidityVault(VaultParams params, TimestampNs start_ns) : params_(params), clock_ns_(start_ns) {}

  // floor(shares × min(mediant, E/S)) in money units, 0 when equity ≤ 0.
  std::int64_t redeem_value(std::int64_t shares, Money equity) const;

  VaultParams params_;
  std::map<AccountId, LpPosition> positions_;  // only LPs with shares > 0
  std::int64_t total_shares_ = 0;              // Σ positions_ shares
  std::uint32_t pending_count_ = 0;            // positions with locked > 0
  TimestampNs clock_ns_ = 0;
  bool gated_ = false;
};

}  // namespace ballast::lending
