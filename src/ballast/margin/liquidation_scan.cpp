#include "ballast/margin/liquidation_scan.hpp"

#include <algorithm>
#include <cassert>
#include <thread>

namespace ballast::margin {
namespace {

using GroupIndex = MarginBook::GroupIndex;

// Runs work(t, first, last) on `threads` threads over contiguous, near-equal ranges of [0, count)
// (groups are of similar size; the book's own split balances slots, which a scan does not read).
template <typename Work>
void over_ranges(std::size_t count, unsigned threads, Work work) {
  threads = std::max(1U, std::min<unsigned>(threads, static_cast<unsigned>(std::max<std::size_t>(count, 1))));
  const auto bound = [&](unsigned t) { return static_cast<GroupIndex>(count * t / threads); };
  std::vector<std::thread> workers;
  workers.reserve(threads - 1);
  for (unsigned t = 1; t < threads; ++t) {
    workers.emplace_back([&work, t, first = bound(t), last = bound(t + 1)] { work(t, first, last); });
  }
  work(0, bound(0), bound(1));
  for (std::thread& worker : workers) worker.join();
}

// Through a lambda, so that the sort inlines precedes() (a function pointer it would call).
constexpr auto kPrecedes = [](const LiquidationEntry& a, const LiquidationEntry& b) { return precedes(a, b); };

// Sorted runs into one sorted list; merging is exact because precedes() is a total order.
void merge_runs(std::vector<std::vector<LiquidationEntry>>& runs, std::vector<LiquidationEntry>& out) {
  out.clear();
  std::vector<LiquidationEntry> merged;
  for (const std::vector<LiquidationEntry>& run : runs) {
    merged.clear();
    std::merge(out.begin(), out.end(), run.begin(), run.end(), std::back_inserter(merged), kPrecedes);
    out.swap(merged);
  }
}

void sort_entries(std::vector<LiquidationEntry>& entries) { std::sort(entries.begin(), entries.end(), kPrecedes); }

// The at-risk groups' entries in order: the few listed groups' sort, split over the threads again.
void order(const std::vector<MarginBook::AtRisk>& at_risk, unsigned threads, std::vector<LiquidationEntry>& out) {
  std::vector<std::vector<LiquidationEntry>> runs(std::max(threads, 1U));
  over_ranges(at_risk.size(), threads, [&at_risk, &runs](unsigned t, std::size_t first, std::size_t last) {
    std::vector<LiquidationEntry>& run = runs[t];
    run.reserve(last - first);
    for (std::size_t i = first; i < last; ++i) run.push_back(liquidation_entry(at_risk[i].group, at_risk[i].figures));
    sort_entries(run);
  });
  merge_runs(runs, out);
}

}  // namespace

LiquidationEntry liquidation_entry(GroupIndex group, const MarginBook::MaintenanceFigures& f) {
  const bool bankrupt = f.maintenance_requirement.raw() > 0 && f.equity.raw() <= 0;
  return {group, f.status, bankrupt, f.equity, f.maintenance_requirement, f.maintenance_health};
}

bool precedes(const LiquidationEntry& a, const LiquidationEntry& b) {
  const bool a_unknown = a.status != MarginStatus::ok;
  const bool b_unknown = b.status != MarginStatus::ok;
  if (a_unknown != b_unknown) return a_unknown;
  if (!a_unknown) {
    // Listed groups have a positive requirement, so a.equity / a.mmr < b.equity / b.mmr is
    // a.equity × b.mmr < b.equity × a.mmr; 64 × 64 bits fit 128.
    assert(a.maintenance_requirement.raw() > 0 && b.maintenance_requirement.raw() > 0);
    const int128 left = static_cast<int128>(a.equity.raw()) * b.maintenance_requirement.raw();
    const int128 right = static_cast<int128>(b.equity.raw()) * a.maintenance_requirement.raw();
    if (left != right) return left < right;
  }
  return a.group < b.group;
}

void scan_liquidatable(const MarginBook& book, unsigned threads, std::vector<LiquidationEntry>& out) {
  // Each thread judges and sorts its own range; the sorted runs are then merged (a sort of the
  // few listed groups is cheap next to the judging, but there is no reason to do it on one core).
  std::vector<std::vector<LiquidationEntry>> runs(std::max(threads, 1U));
  over_ranges(book.group_count(), threads, [&book, &runs](unsigned t, GroupIndex first, GroupIndex last) {
    std::vector<LiquidationEntry>& run = runs[t];
    for (GroupIndex g = first; g < last; ++g) {
      if (const auto figures = book.at_risk(g)) run.push_back(liquidation_entry(g, *figures));
    }
    sort_entries(run);
  });
  merge_runs(runs, out);
}

void recompute_and_scan(MarginBook& book, unsigned threads, std::vector<LiquidationEntry>& out) {
  std::vector<MarginBook::AtRisk> at_risk;
  book.full_recompute(threads, at_risk);
  order(at_risk, threads, out);
}

Outcome recompute_and_scan(MarginBook& book, const PriceBook& prices, unsigned threads,
                           std::vector<LiquidationEntry>& out) {
  std::vector<MarginBook::AtRisk> at_risk;
  if (Outcome repriced = book.reprice(prices, threads, at_risk); !repriced) return repriced;
  order(at_risk, threads, out);
  return Ok{};
}

LiquidationSet::LiquidationSet(const MarginBook& book, unsigned threads) { rebuild(book, threads); }

void LiquidationSet::rebuild(const MarginBook& book, unsigned threads) {
  place_.assign(book.group_count(), kAbsent);
  members_.clear();
  std::vector<std::vector<GroupIndex>> found(std::max(threads, 1U));
  over_ranges(book.group_count(), threads, [&book, &found](unsigned t, GroupIndex first, GroupIndex last) {
    for (GroupIndex g = first; g < last; ++g) {
      if (book.at_risk(g)) found[t].push_back(g);
    }
  });
  for (const std::vector<GroupIndex>& list : found) {
    for (const GroupIndex g : list) {
      place_[g] = static_cast<std::uint32_t>(members_.size());
      members_.push_back(g);
    }
  }
}

void LiquidationSet::update(const MarginBook& book, std::span<const GroupIndex> groups) {
  for (const GroupIndex g : groups) judge(book, g);
}

void LiquidationSet::update(const MarginBook& book, const ChangedGroups& changed, unsigned threads) {
  if (changed.overflowed) {
    rebuild(book, threads);
  } else {
    update(book, changed.groups());
  }
}

void LiquidationSet::judge(const MarginBook& book, GroupIndex group) {
  assert(place_.size() == book.group_count() && group < place_.size());
  const bool member = place_[group] != kAbsent;
  if (book.at_risk(group).has_value() == member) return;
  if (!member) {
    place_[group] = static_cast<std::uint32_t>(members_.size());
    members_.push_back(group);
    return;
  }
  // Leaves: the last member takes its place.
  const std::uint32_t at = place_[group];
  members_[at] = members_.back();
  place_[members_[at]] = at;
  members_.pop_back();
  place_[group] = kAbsent;
}

void LiquidationSet::ordered(const MarginBook& book, std::vector<LiquidationEntry>& out) const {
  out.clear();
  out.reserve(members_.size());
  for (const GroupIndex g : members_) out.push_back(liquidation_entry(g, book.maintenance_figures(g)));
  sort_entries(out);
}

}  // namespace ballast::margin
