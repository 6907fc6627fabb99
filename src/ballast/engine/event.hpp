#pragma once
// Input events: the only way state changes (DESIGN 4.5). Every event carries the client's
// idempotency id and the time it happened; the engine's clock is the latest applied timestamp.
// The set of kinds is closed (a std::variant): adding one is a deliberate change to the codec,
// the engine and the log format together.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "ballast/core/fixed.hpp"
#include "ballast/core/ids.hpp"
#include "ballast/governance/governance.hpp"
#include "ballast/lending/vault.hpp"
#include "ballast/ledger/ledger.hpp"
#include "ballast/market/oracle.hpp"

namespace ballast {

struct ListAsset {
  AssetId asset;
  std::string symbol;
  std::uint8_t decimals = 0;
  std::uint8_t flags = kAssetFlagsAll;
  friend bool operator==(const ListAsset&, const ListAsset&) = default;
};

struct SetAssetFlags {
  AssetId asset;
  std::uint8_t flags = 0;
  friend bool operator==(const SetAssetFlags&, const SetAssetFlags&) = default;
};

struct CreateAccount {
  AccountId account;
  friend bool operator==(const CreateAccount&, const CreateAccount&) = default;
};

struct CreateSubAccount {
  AccountId account;
  SubAccountId sub_account;
  MarginMode mode = MarginMode::cross;
  friend bool operator==(const CreateSubAccount&, const CreateSubAccount&) = default;
};

// Amounts are in the asset's smallest unit; signed in the event so that a negative amount can be
// said (and rejected with amount_negative) rather than silently wrapped.
struct Deposit {
  AccountId account;
  SubAccountId sub_account;
  AssetId asset;
  Amount amount;
  friend bool operator==(const Deposit&, const Deposit&) = default;
};

struct Withdraw {
  AccountId account;
  SubAccountId sub_account;
  AssetId asset;
  Amount amount;
  friend bool operator==(const Withdraw&, const Withdraw&) = default;
};

// Between two sub-accounts of the same owner.
struct Transfer {
  AccountId account;
  SubAccountId from;
  SubAccountId to;
  AssetId asset;
  Amount amount;
  friend bool operator==(const Transfer&, const Transfer&) = default;
};

// An asset's oracle reading as the venue's aggregator published it: the price (1e-9 quote per
// unit) and the stable price initial margin uses (reference_price.hpp). A first cut: the
// aggregated reading arrives as the event; aggregation from source quotes (market/oracle.hpp)
// inside the engine can come later. Both must be positive (price_invalid).
struct OraclePrice {
  AssetId asset;
  Price price;
  Price stable_price;
  friend bool operator==(const OraclePrice&, const OraclePrice&) = default;
};

// An instrument's mark (per unit of the underlying). Negative is price_invalid; zero is allowed
// for options only (a far out-of-the-money option is worth nothing).
struct MarkPrice {
  InstrumentId instrument;
  Price mark;
  friend bool operator==(const MarkPrice&, const MarkPrice&) = default;
};

// One side of a trade an external matcher made: size > 0 buys, < 0 sells (contracts, raw
// Quantity), at price per unit of the underlying, paying fee (quote money, >= 0; rebates are
// not fills). Each side of a matched trade is its own event.
struct Fill {
  AccountId account;
  SubAccountId sub_account;
  InstrumentId instrument;
  Quantity size;
  Price price;
  Money fee;
  friend bool operator==(const Fill&, const Fill&) = default;
};

// An asset's source quotes, aggregated by the engine (market/oracle.hpp) under the asset's
// OracleConfig: the median of the fresh positive quotes, with a validity (valid, stale,
// uncertain, too volatile, too few sources) that the oracle action policy reads for every action
// that needs the price. A valid reading also steps the asset's stable price (Mango's model,
// reference_price.hpp, under the asset's StablePriceConfig) and the settlement window of every
// dated instrument on the asset. At most market::kMaxOracleSources quotes.
struct OracleQuotes {
  AssetId asset;
  std::vector<market::SourceQuote> quotes;
  friend bool operator==(const OracleQuotes&, const OracleQuotes&) = default;
};

// Accrues a perpetual's funding from its last accrual to the event's time, at the rate its
// FundingParams give for the premium now: mark vs the underlying's oracle price, or (params
// with impact_premium, dYdX) the impact bid and ask the event carries, which must then be
// positive and are otherwise zero. The first accrual of a market only starts its clock.
// Positions settle what they owe lazily, when a fill changes them; margin counts it meanwhile.
struct AccrueFunding {
  InstrumentId instrument;
  Price impact_bid;
  Price impact_ask;
  friend bool operator==(const AccrueFunding&, const AccrueFunding&) = default;
};

// Settles a future or option at or after its expiry, at the time-weighted average of the
// underlying's valid oracle readings over its settlement window: every position is closed
// against the clearing account and the instrument is marked settled.
struct SettleExpiry {
  InstrumentId instrument;
  friend bool operator==(const SettleExpiry&, const SettleExpiry&) = default;
};

// A liquidator takes over `size` contracts (> 0, whole lots) of the `target` sub-account's
// position in `instrument` at `price`, into its own sub-account: the target sells a long (buys
// back a short) at that price, the liquidator takes the other side, against the clearing account
// like a fill. The price may be discounted from the mark by at most the auction's bonus now, and
// never past the price at which the close would leave the target's group with negative equity.
// The protocol's share of the discount goes from the liquidator to the insurance fund. The target's
// margin group must be liquidatable, the size within what the liquidation rules allow, and the
// liquidator's own group must pass the initial-margin check of a fill (liquidation_rules.hpp).
struct Liquidate {
  AccountId liquidator;
  SubAccountId liquidator_sub_account;
  SubAccountId target;
  InstrumentId instrument;
  Quantity size;
  Price price;
  friend bool operator==(const Liquidate&, const Liquidate&) = default;
};

// Protocol-initiated after its scan of margin health: starts the liquidation episode of the
// sub-account's margin group when it is liquidatable (the auction's clock starts now), or ends
// the episode when the group is healthy again. Anything else is health_unchanged.
struct CheckHealth {
  SubAccountId sub_account;
  friend bool operator==(const CheckHealth&, const CheckHealth&) = default;
};

// Protocol-initiated when the sub-account's margin group has negative equity at the mark (no
// liquidator can close it inside the band: account_bankrupt): runs the bankruptcy waterfall
// (bankruptcy.hpp). Every position of the group is closed at the mark, against the opposite side's
// positions ranked for auto-deleveraging; the deficit left is paid by the insurance fund within
// its caps, then charged to the ADL counterparties or to the markets' holders; this sub-account
// receives the cover. Withdrawals are gated for a while after. A group whose equity is not
// negative is account_solvent.
struct ResolveBankruptcy {
  SubAccountId sub_account;
  friend bool operator==(const ResolveBankruptcy&, const ResolveBankruptcy&) = default;
};

// The liquidity vault (lending/vault.hpp) on a venue that has one. An LP deposits quote units from
// its own sub-account for shares at the vault's price now (its marked equity: the vault
// sub-account's cash and positions at the marks); the money leaves under the same margin check
// as a withdrawal.
struct VaultDeposit {
  AccountId account;
  SubAccountId sub_account;
  Amount amount;  // quote units
  friend bool operator==(const VaultDeposit&, const VaultDeposit&) = default;
};

// Locks `shares` of the LP's shares for the vault's cooldown; they keep sharing profit and loss
// until claimed.
struct VaultRequestWithdrawal {
  AccountId account;
  lending::VaultShares shares;
  friend bool operator==(const VaultRequestWithdrawal&, const VaultRequestWithdrawal&) = default;
};

struct VaultCancelWithdrawal {
  AccountId account;
  friend bool operator==(const VaultCancelWithdrawal&, const VaultCancelWithdrawal&) = default;
};

// Claims the LP's request once its cooldown has ended: the locked shares are burned and their
// value at the vault's equity now (rounded down to the quote unit) is paid into the LP's
// sub-account. Gated, like every withdrawal, after bad debt.
struct VaultWithdraw {
  AccountId account;
  SubAccountId sub_account;
  friend bool operator==(const VaultWithdraw&, const VaultWithdraw&) = default;
};

// Protocol-initiated: the vault takes over a margin group whose coverage (maintenance collateral /
// requirement) is below the liquidation rules' backstop threshold and whose equity is not
// negative (a negative one is resolve_bankruptcy's). Every position moves to the vault's
// sub-account at its mark and every balance with it: the group's remaining equity is the vault's
// liquidation surplus. The vault's own group must stay above maintenance.
struct BackstopTakeover {
  SubAccountId sub_account;
  friend bool operator==(const BackstopTakeover&, const BackstopTakeover&) = default;
};

// Protocol-initiated at its cadence (each minute, each hour): accrues the asset's lending pool
// (pools.hpp) from its last accrual to the event's time. Every borrower (negative balance) is
// charged its interest, every supplier (positive balance) credited its share, the reserves paid to
// the insurance fund or the treasury; the first accrual of a pool only starts its clock.
struct AccrueInterest {
  AssetId asset;
  friend bool operator==(const AccrueInterest&, const AccrueInterest&) = default;
};

// A withdrawal that may take the balance below zero: what exceeds the balance is borrowed from
// the asset's lending pool, which must hold the cash and stay within its borrow cap; the margin
// group must pass the initial-margin check afterwards, like any withdrawal.
struct Borrow {
  AccountId account;
  SubAccountId sub_account;
  AssetId asset;
  Amount amount;
  friend bool operator==(const Borrow&, const Borrow&) = default;
};

// A liquidator repays `repay` units of the target's debt in `debt_asset` (a negative balance) from
// its own sub-account and seizes `seize` units of the target's `collateral_asset` (a positive
// balance) into it. The target's margin group must be liquidatable; the repayment at most what the
// liquidation rules allow (the close factor of the debt, whole below the dust limit); the seized
// value, at the oracle prices, at most the repaid value plus the auction's bonus now, and never
// more collateral than the target holds. The protocol's share of the bonus goes from the seized
// collateral to the insurance fund. The liquidator's group must pass the initial-margin check.
struct LiquidateBorrow {
  AccountId liquidator;
  SubAccountId liquidator_sub_account;
  SubAccountId target;
  AssetId debt_asset;
  Amount repay;
  AssetId collateral_asset;
  Amount seize;
  friend bool operator==(const LiquidateBorrow&, const LiquidateBorrow&) = default;
};

// Protocol-initiated from the venue's depth feed (circuit breakers, breakers.hpp): the market's
// depth in quote money (>= 0), against which open interest is capped at depth × the breakers'
// oi_depth_factor. A venue without breakers answers breakers_missing.
struct SetMarketDepth {
  InstrumentId instrument;
  Money depth;
  friend bool operator==(const SetMarketDepth&, const SetMarketDepth&) = default;
};

// Protocol-initiated under the breakers' pre-declared rule: once the market's underlying has had
// no valid oracle reading for the breakers' emergency_outage_ns, every position is closed at the
// last valid reading against the clearing account, and the market is settled for good.
struct EmergencySettle {
  InstrumentId instrument;
  friend bool operator==(const EmergencySettle&, const EmergencySettle&) = default;
};

// Governance (governed.hpp): queues `value` (raw at the parameter's kind) for the governed
// parameter `parameter`, executable after the timelock. The proposal id is the governance
// process's own (0 is reserved).
struct ProposeParameter {
  governance::ProposalId proposal;
  governance::ParameterKey parameter;
  std::int64_t value = 0;
  friend bool operator==(const ProposeParameter&, const ProposeParameter&) = default;
};

struct CancelProposal {
  governance::ProposalId proposal;
  friend bool operator==(const CancelProposal&, const CancelProposal&) = default;
};

// At or after the proposal's timelock, within its grace period: the new value is in force from
// this event on.
struct ExecuteProposal {
  governance::ProposalId proposal;
  friend bool operator==(const ExecuteProposal&, const ExecuteProposal&) = default;
};

// A liquidator takes `fraction_ppm` millionths of everything a portfolio-margin sub-account holds
// (portfolio_liquidation.hpp; Derive's auction sells a percentage of the whole subaccount): that
// share of every position, closed against it at the mark less `discount` (a Ratio of the mark,
// toward the target's loss), and that share of every non-quote balance, debts included, bought at
// the oracle less the same discount. The target keeps its quote. The target must be liquidatable
// by its scenario margin; the fraction at most what restores maintenance health plus the rules'
// buffer (one millionth less must not already do it), the close factor unless the account is
// deep, the dust rule and the caps; the discount at most the auction's bonus now, and never past
// the target's equity. The protocol's share of the discount goes to the insurance fund. The
// liquidator's group must pass the initial-margin check with what it takes.
struct LiquidatePortfolio {
  AccountId liquidator;
  SubAccountId liquidator_sub_account;
  SubAccountId target;
  std::uint32_t fraction_ppm = 0;  // (0, 1'000'000]
  Ratio discount;                  // [0, bonus now]
  friend bool operator==(const LiquidatePortfolio&, const LiquidatePortfolio&) = default;
};

// Protocol-initiated: the insurance fund pays back `amount` of the bad debt written off in `asset`
// (bankruptcy.hpp step 5), moving it from the fund's sub-account to the bad-debt account's
// (ledger.hpp's kBadDebt). The written-off debt falls by the amount and the asset's lending pool
// gets it back as cash (pools.hpp). Why: until now only a deposit from outside paid the deficit
// back, though the fund collects the liquidation fees and reserve interest that exist to absorb
// losses; Aave v3.3's Umbrella covers a reserve's deficit from its safety module the same way
// (eliminateReserveDeficit). The amount must be positive (amount_zero, amount_negative), the
// asset listed and configured (asset_unknown), at most what is written off in it
// (deficit_exceeded) and at most what the fund holds of it (insufficient_balance). It moves no
// loss total: LossTotals records where the waterfall placed each deficit when it ran.
struct CoverBadDebt {
  AssetId asset;
  Amount amount;
  friend bool operator==(const CoverBadDebt&, const CoverBadDebt&) = default;
};

// The alternative's index is its kind number in the binary codec: append only.
using EventBody = std::variant<ListAsset, SetAssetFlags, CreateAccount, CreateSubAccount, Deposit,
                               Withdraw, Transfer, OraclePrice, MarkPrice, Fill, OracleQuotes,
                               AccrueFunding, SettleExpiry, Liquidate, CheckHealth, ResolveBankruptcy, VaultDeposit,
                               VaultRequestWithdrawal, VaultCancelWithdrawal, VaultWithdraw, BackstopTakeover,
                               AccrueInterest, Borrow, LiquidateBorrow, SetMarketDepth, EmergencySettle,
                               ProposeParameter, CancelProposal, ExecuteProposal, LiquidatePortfolio,
                               CoverBadDebt>;

struct Event {
  EventId id;
  TimestampNs timestamp_ns = 0;
  EventBody body;
  friend bool operator==(const Event&, const Event&) = default;
};

// "deposit", "list_asset", ...: the name in JSON and in messages.
const char* event_kind_name(const EventBody& body) noexcept;

}  // namespace ballast
