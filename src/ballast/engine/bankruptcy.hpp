#pragma once
// The bankruptcy waterfall as the engine runs it (issue 6, item 4): what one resolve_bankruptcy
// event does to a margin group whose equity at the mark is negative. Planned from the state before
// the event, as a pure function, so that validation and execution read the same plan and a
// caller (the server's log, the simulator) can see the amounts before it applies the event.
//
// The steps, in order:
//   1. Own collateral. Every position of the group is closed at its mark against the clearing
//      account, without fee (funding owed is settled as at any fill). For each perpetual or
//      future the group is net long or short in, the same size is closed out of the opposite
//      side's positions, ranked by the liquidation rules' ADL ranking (liquidation/adl.hpp): the
//      bankrupt positions leave the market instead of being left to the clearing account. What the
//      queue cannot cover (too few eligible counterparties) stays against clearing, as an
//      unmatched fill does.
//   2. The deficit: the group's equity after those closes (its balances, at the oracle), negated
//      and rounded up to the quote's unit, so that covering it leaves the group at or above zero.
//   3. The insurance fund pays what plan_waterfall allows: its balance above the floor, the
//      per-account cap in the episode's window, the per-event cap.
//   4. The rest goes to the rules' LossAbsorber: the ADL counterparties by the notional each
//      closed (the same total as dYdX's close at the bankruptcy price, booked as exact charges), or
//      every other holder of the group's markets by notional. Largest remainder
//      (liquidation::socialize_loss): the charges sum to the rest to the unit.
//   5. Anything nobody can carry (no holder at all) is unresolved: it is written off the group's
//      debts into the bad-debt account (kBadDebt, ledger.hpp), as Aave v3.3 burns a borrower's
//      bad debt into its reserve's deficit. Debts worth at least the unresolved part at the
//      oracle move there, the quote's first (one to one), then each other asset's by id, member
//      by member, each the fewest units that cover what is left (rounded up, capped at the debt).
//      Why: a debt left on the group paid interest at every accrual that nobody would ever pay,
//      credited to suppliers all the same, and grew until its figures overflowed; a system
//      account pays no interest, so the deficit stays what the waterfall left.
// The cover (fund payment and charges) is credited to the sub-account the event names. After the
// event the group's equity is >= 0.
//
// Every unit of the deficit lands in exactly one bucket: deficit = from_insurance + Σ adl_charges
// + Σ socialized + unresolved, exactly (the property test checks it event by event).

#include <optional>
#include <vector>

#include "ballast/core/status.hpp"
#include "ballast/engine/engine.hpp"

namespace ballast {

struct BankruptcyCharge {
  SubAccountId sub_account;
  Amount amount;  // quote units, > 0
  friend bool operator==(const BankruptcyCharge&, const BankruptcyCharge&) = default;
};

struct BankruptcyPlan {
  Status status = Status::ok;  // account_solvent, a margin status, balance_overflow; ok: the rest holds
  // The group's positions at the mark (the first group_closes), then the ADL counterparties', each
  // a fill against clearing at the mark with no fee.
  std::vector<Fill> closes;
  std::size_t group_closes = 0;
  Amount deficit;         // quote units (> 0 unless the closes left the equity at zero)
  Amount from_insurance;  // paid by the insurance fund
  Money insurance_counted;  // from_insurance as Money rounded up: what the per-account cap counts
  std::vector<BankruptcyCharge> adl_charges;  // by sub-account id
  std::vector<BankruptcyCharge> socialized;   // by sub-account id
  Amount unresolved;                          // nobody to carry it: written off (quote units)
  // The group's debts written off to the bad-debt account for `unresolved` (postings in the cover
  // part: the member +units, the bad-debt account −units), worth at least `unresolved`.
  std::vector<Posting> written_off;
  // Every balance movement, the closes' and then (from cover_from) the cover's: the validator
  // checks them all, execution books the closes as fills and posts the cover.
  std::vector<Posting> postings;
  std::size_t cover_from = 0;
};

// The plan for resolve_bankruptcy on the margin group of `sub_account` (a user sub-account, on a
// venue with a risk configuration whose quote asset is listed; the group's prices are trusted:
// the caller's gates). `totals` are the engine's, in step with the ledger (ADL reads their
// holders by side). Portfolio holders (`portfolio`, the venue's model) join the ADL queue only
// where the close cannot hurt their scenario health (bankruptcy.cpp, closing_keeps_health).
BankruptcyPlan plan_bankruptcy(const Ledger& ledger, const VenueTotals& totals, const margin::RiskConfig& risk,
                               const PriceState& prices, const PortfolioVenue* portfolio, const LiquidationRules& rules,
                               const std::optional<LiquidationEpisode>& episode, const SubAccount& sub_account,
                               TimestampNs now_ns);

}  // namespace ballast
