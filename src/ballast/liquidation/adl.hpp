#pragma once
// Auto-deleveraging (issue 6, item 4; research/defi-engines.md (b) Hyperliquid and dYdX, (c) the
// 10-11 Oct 2025 crash, (f) 5). The part of a bankruptcy the insurance fund does not pay
// (waterfall.hpp) is closed against positions on the opposite side at the bankruptcy price: the
// bankrupt position leaves the market, and only the ranked counterparties pay for it (in price).
//
//   rank_adl   who is closed first. Two rankings:
//     pnl_leverage  Hyperliquid's idea ("ranked by unrealized pnl and leverage"): score =
//                   (uPnL / notional) × (notional / equity). The notional cancels exactly, so the
//                   score is uPnL / equity and needs no notional input; two scores compare by
//                   cross-multiplication (uPnL_a·equity_b vs uPnL_b·equity_a, exact in 128 bits),
//                   never by division, as dYdX ranks accounts by NC/MMR.
//     hedge_aware   the lesson of Oct 2025, when Hyperliquid's first ADL in two years closed the
//                   perp legs of delta-neutral traders and left their spot hedges naked: a
//                   position is deleverageable first only as far as it is unhedged. Each account
//                   offers its unhedged part in a first tier and its hedged part in a second; both
//                   tiers rank by the same score taken on the part (uPnL × part / (|size| ×
//                   equity), cross-multiplied exactly in 256 bits where 128 do not hold the
//                   products). A fully hedged account is only ever in the second tier: it comes
//                   after every unhedged exposure.
//              Either order is the exact one. A double approximation of each score only skips the
//              exact comparison where the two are too far apart for it to disagree (adl.cpp says
//              why that is safe), so the sort is a plain double comparison but for near ties.
//   plan_adl   walks the queue in whole lots until the bankrupt size is closed, and reports what
//              the queue could not cover (which the waterfall then socializes).
//
// Who is eligible (both rankings): a position on the needed side with equity > 0 and uPnL > 0.
// ADL takes profit, never principal: an account in loss or with equity ≤ 0 is not forced to close
// at the bankruptcy price, which is worse than the mark for the counterparty and would push a
// weak account toward its own liquidation (a cascade). Hyperliquid, likewise, ranks "users in
// profit". What profitable positions cannot cover is socialized across all holders instead.
// Ties by id (then by the candidate's index, so that duplicated ids still order deterministically).
//
// Rounding:
//   tier split       the unhedged part rounds down to whole lots (a hedge is never broken by
//                    rounding); the rest of the position is the hedged tier.
//   fill cash        closed × bankruptcy price, rounded against the counterparty: what it pays
//                    rounds up, what it receives rounds down. One amount moves between it and the
//                    bankrupt account, so value is conserved; the sub-micro goes to the side whose
//                    deficit the protocol would otherwise carry.

#include <cstdint>
#include <span>
#include <vector>

#include "ballast/core/fixed.hpp"
#include "ballast/core/ids.hpp"

namespace ballast::liquidation {

enum class Side : std::uint8_t { long_side, short_side };

struct AdlCandidate {
  SubAccountId id{};
  Quantity size{};         // signed: the position in the bankrupt position's market
  Money unrealized_pnl{};  // of that position at the mark
  Money equity{};          // the account's (its group's) equity at the mark
  Quantity hedge{};        // signed: the account's exposure to the same underlying elsewhere (spot
                           // balance, other markets), in base units; 0 when it has none
};

enum class AdlRanking : std::uint8_t { pnl_leverage, hedge_aware };

const char* adl_ranking_name(AdlRanking ranking) noexcept;

// One place in the queue: the part of a candidate's position this slot may close.
struct AdlSlot {
  std::uint32_t candidate = 0;  // index into the candidates given to rank_adl
  SubAccountId id{};
  Quantity capacity{};          // > 0, unsigned, whole lots
  bool hedged = false;          // hedge_aware's second tier: closing it breaks a hedge
};

struct AdlQueue {
  Side side = Side::long_side;  // the side every slot's position is on
  Quantity lot{};
  std::vector<AdlSlot> slots{};  // in the order they are closed
};

// The queue of positions on `needed` (the side opposite the bankrupt position). lot > 0 and fewer
// than 2^32 candidates (asserted). pnl_leverage gives each eligible account one slot of its whole
// position (rounded down to lots); hedge_aware up to two, as above.
AdlQueue rank_adl(std::span<const AdlCandidate> candidates, AdlRanking ranking, Side needed, Quantity lot);

// One queue entry while ranking (adl.cpp's order reads it): what its slot needs, and the score in
// double as a filter only (adl.cpp says why the order is the exact one all the same).
struct AdlEntry {
  double approx = 0;
  SubAccountId id;
  std::uint64_t capacity = 0;
  std::uint32_t candidate = 0;
  bool hedged = false;
};

// rank_adl's queue one slot at a time, for a caller that needs only its head: building it costs
// O(candidates) (a heap, no sort) and each next() O(log candidates), so a bankruptcy that closes
// against the first few of many candidates does not rank them all. The slots come in exactly
// rank_adl's order (the order is total: ties go by id, then index). The candidates must outlive
// the ranker.
class AdlRanker {
 public:
  AdlRanker(std::span<const AdlCandidate> candidates, AdlRanking ranking, Side needed, Quantity lot);
  // The next slot of the queue; false once every slot has been given.
  bool next(AdlSlot& slot);

 private:
  std::span<const AdlCandidate> candidates_;
  AdlRanking ranking_;
  std::uint64_t lot_;
  std::vector<AdlEntry> heap_;
};

enum class AdlStatus : std::uint8_t {
  ok,
  close_not_positive,  // nothing to close
  close_off_lot,       // the bankrupt size is not a whole number of lots
  price_not_positive,  // the bankruptcy price must be > 0
  overflow,            // a fill's cash leaves Money's range
};

const char* adl_status_name(AdlStatus status) noexcept;

struct AdlFill {
  std::uint32_t candidate = 0;  // index into rank_adl's candidates
  SubAccountId id{};
  Quantity closed{};            // > 0, unsigned, whole lots: the counterparty's position moves
                                // this far toward zero
  Money cash{};                 // signed, for the counterparty: + received (a long sells), − paid
                                // (a short buys back); the bankrupt account takes the opposite
  bool hedged = false;          // from hedge_aware's second tier
};

struct AdlPlan {
  AdlStatus status = AdlStatus::ok;
  std::vector<AdlFill> fills{};  // in queue order; an account may appear twice (once per tier)
  Quantity covered{};            // Σ closed
  Quantity uncovered{};          // to_close − covered: the queue ran out; the waterfall socializes it
};

// Closes to_close (unsigned, whole lots) against the queue in order, each slot up to its capacity,
// at the bankruptcy price. covered + uncovered == to_close. On a status other than ok nothing is
// planned.
AdlPlan plan_adl(Quantity to_close, Price bankruptcy_price, const AdlQueue& queue);

}  // namespace ballast::liquidation
