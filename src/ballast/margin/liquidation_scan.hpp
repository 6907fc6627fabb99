#pragma once
// The liquidation scan (issue 6, item 3): after an oracle or time event, the margin groups a
// liquidator must act on, most underwater first.
//
// Which groups. MarginBook::at_risk(): maintenance requirement > 0 and maintenance health < 0
// (liquidatable(), dYdX's MMR > 0 and NC < MMR), or maintenance requirement > 0 and equity <= 0
// (bankrupt: flagged, since closing its positions cannot cover what it owes and the insurance
// fund or ADL must), or figures that are not ok (a sum beyond Money's range: flagged by status).
// A group holding no requirement is never listed: it has no position to close (a bare borrow
// is the lending part's business).
//
// The order (dYdX's rule): groups whose figures are not ok first (their solvency is unknown),
// then equity / maintenance requirement ascending, compared exactly by cross-multiplication in
// 128 bits (both factors are 64-bit, so the products cannot overflow), ties by group index.
// Group indices follow each group's first sub-account in the list the book was built from, so
// for a book built from sub-accounts sorted by id (the ledger's order) the tie is the group's
// smallest sub-account id. The order is a function of the figures alone: never of the thread
// count, of timing or of the history of the incremental set.
//
// Two entry points: scan_liquidatable() over every group's current figures, and LiquidationSet,
// kept current from the groups each tick reports (ChangedGroups), for the engine's event path.
// recompute_and_scan() is the response to a crash that moves every price: the book's full
// recompute, judging each group as its thread finishes it (cheaper than 50 market ticks, and
// than a second pass over the sums).

#include <cstdint>
#include <span>
#include <vector>

#include "ballast/margin/book.hpp"

namespace ballast::margin {

struct LiquidationEntry {
  MarginBook::GroupIndex group = 0;   // its sub-accounts: MarginBook::sub_accounts(group)
  MarginStatus status = MarginStatus::ok;  // not ok: the figures below are zero, unknown
  bool bankrupt = false;              // maintenance requirement > 0 and equity <= 0
  Money equity;
  Money maintenance_requirement;
  Money maintenance_health;

  friend bool operator==(const LiquidationEntry&, const LiquidationEntry&) = default;
};

// The entry of an at_risk() group from its figures.
LiquidationEntry liquidation_entry(MarginBook::GroupIndex group, const MarginBook::MaintenanceFigures& figures);

// Whether `a` comes before `b` in the order above: a strict total order on entries of distinct
// groups.
bool precedes(const LiquidationEntry& a, const LiquidationEntry& b);

// The entries (of distinct groups) put in precedes() order.
void order_entries(std::vector<LiquidationEntry>& entries);

// Every at_risk() group of the book's current figures into `out` (cleared first), in order;
// `threads` judge contiguous group ranges and sort their own lists, which are then merged.
void scan_liquidatable(const MarginBook& book, unsigned threads, std::vector<LiquidationEntry>& out);

// book.full_recompute(threads) at the book's current prices, then scan_liquidatable()'s answer,
// with each group judged as its thread finishes it.
void recompute_and_scan(MarginBook& book, unsigned threads, std::vector<LiquidationEntry>& out);

// The whole response to a crash: every price set at once (MarginBook::reprice), then
// recompute_and_scan()'s answer. invalid_input, changing nothing, where reprice() refuses.
// Screening::screened gives the same answer recomputing only the groups the screen cannot clear
// (MarginBook::reprice): the others stay stale until catch_up().
Outcome recompute_and_scan(MarginBook& book, const PriceBook& prices, unsigned threads,
                           std::vector<LiquidationEntry>& out,
                           MarginBook::Screening screening = MarginBook::Screening::exact);

// The at_risk() groups of one book, kept current incrementally: after a tick only the groups it
// reported are judged again. Membership is a dense list with each group's place in it, so a
// group joins or leaves in O(1) and nothing allocates once the list has grown.
class LiquidationSet {
 public:
  // Every group judged now (`threads` as for scan_liquidatable).
  LiquidationSet(const MarginBook& book, unsigned threads);

  // Judges every group again: after a full recompute, or a tick whose report overflowed.
  void rebuild(const MarginBook& book, unsigned threads);
  // Judges these groups again (a fill's group, a tick's report).
  void update(const MarginBook& book, std::span<const MarginBook::GroupIndex> groups);
  // A tick's report; when it overflowed every group may have moved, so all are judged again.
  void update(const MarginBook& book, const ChangedGroups& changed, unsigned threads);

  bool contains(MarginBook::GroupIndex group) const { return place_[group] != kAbsent; }
  std::size_t size() const { return members_.size(); }
  // The members' entries from their figures now, in order, into `out` (cleared first).
  void ordered(const MarginBook& book, std::vector<LiquidationEntry>& out) const;

 private:
  static constexpr std::uint32_t kAbsent = UINT32_MAX;

  void judge(const MarginBook& book, MarginBook::GroupIndex group);

  std::vector<std::uint32_t> place_;  // per group: its index in members_, or kAbsent
  std::vector<MarginBook::GroupIndex> members_;  // in no particular order
};

}  // namespace ballast::margin
