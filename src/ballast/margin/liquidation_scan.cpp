#include "ballast/margin/liquidation_scan.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <limits>
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

// An estimate of where an entry goes, as an unsigned key in the same order: 0 for unknown
// figures, then equity / maintenance requirement as a double, its bits flipped so that unsigned
// order is numeric order. A zero requirement (a group that only borrows) is coverage_less()'s
// infinity of the equity's sign, or 0: never NaN.
std::uint64_t estimate_key(const LiquidationEntry& e) {
  if (e.status != MarginStatus::ok) return 0;
  const double equity = static_cast<double>(e.equity.raw());
  const double requirement = static_cast<double>(e.maintenance_requirement.raw());
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  const double ratio = requirement > 0 ? equity / requirement : (equity > 0 ? kInfinity : (equity < 0 ? -kInfinity : 0.0));
  const auto bits = std::bit_cast<std::uint64_t>(ratio);
  return (bits >> 63) != 0 ? ~bits : bits | (std::uint64_t{1} << 63);
}

// The entries' indices by estimate_key(), ties in their order: a least-significant-digit
// radix sort, 8 bits a pass (a pass whose digit all keys share is skipped).
std::vector<std::uint32_t> by_estimate(const std::vector<LiquidationEntry>& entries) {
  struct Keyed {
    std::uint64_t key;
    std::uint32_t index;
  };
  std::vector<Keyed> keyed(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) keyed[i] = {estimate_key(entries[i]), static_cast<std::uint32_t>(i)};
  std::vector<Keyed> spare(keyed.size());
  constexpr int kDigitBits = 8;
  constexpr std::uint64_t kDigitMask = (std::uint64_t{1} << kDigitBits) - 1;
  for (int shift = 0; shift < 64; shift += kDigitBits) {
    std::array<std::uint32_t, kDigitMask + 2> start{};  // counts, then where each digit starts
    for (const Keyed& k : keyed) ++start[((k.key >> shift) & kDigitMask) + 1];
    if (std::ranges::count(start, static_cast<std::uint32_t>(keyed.size())) == 1) continue;
    for (std::size_t d = 1; d < start.size(); ++d) start[d] += start[d - 1];
    for (const Keyed& k : keyed) spare[start[(k.key >> shift) & kDigitMask]++] = k;
    keyed.swap(spare);
  }
  std::vector<std::uint32_t> indices(keyed.size());
  for (std::size_t i = 0; i < keyed.size(); ++i) indices[i] = keyed[i].index;
  return indices;
}

// The at-risk groups' entries in order (the sort is cheap: one thread does it).
void order(const std::vector<MarginBook::AtRisk>& at_risk, std::vector<LiquidationEntry>& out) {
  out.clear();
  out.reserve(at_risk.size());
  for (const MarginBook::AtRisk& a : at_risk) out.push_back(liquidation_entry(a.group, a.figures));
  order_entries(out);
}

}  // namespace

LiquidationEntry liquidation_entry(GroupIndex group, const MarginBook::MaintenanceFigures& f) {
  const bool bankrupt = f.equity.raw() < 0 || (f.maintenance_requirement.raw() > 0 && f.equity.raw() == 0);
  return {group, f.status, bankrupt, f.equity, f.maintenance_requirement, f.maintenance_health};
}

bool precedes(const LiquidationEntry& a, const LiquidationEntry& b) {
  const bool a_unknown = a.status != MarginStatus::ok;
  const bool b_unknown = b.status != MarginStatus::ok;
  if (a_unknown != b_unknown) return a_unknown;
  if (!a_unknown) {
    const std::int64_t ae = a.equity.raw(), am = a.maintenance_requirement.raw();
    const std::int64_t be = b.equity.raw(), bm = b.maintenance_requirement.raw();
    if (coverage_less(ae, am, be, bm)) return true;
    if (coverage_less(be, bm, ae, am)) return false;
  }
  return a.group < b.group;
}

// Entries in precedes() order. Comparing ratios exactly costs two 128-bit products per
// comparison, and a comparison sort mispredicts about every other one; the crash's 26k entries
// took 1.7 to 2.7 ms sorted over two threads. So the entries are first put in order of a double
// estimate of their ratio by a stable radix sort (groups ascending before, so equal estimates
// keep the group order): the exact order wherever the doubles tell the ratios apart, 1.1 ms on
// one thread. An insertion sort with precedes() then puts right the neighbours they could not
// (ratios within a rounding of each other): one comparison per entry when nothing is out of
// place; past a budget of moves, std::sort with precedes() itself. The same order either way:
// precedes() is a strict total order.
void order_entries(std::vector<LiquidationEntry>& entries) {
  if (!std::ranges::is_sorted(entries, {}, &LiquidationEntry::group)) {
    std::ranges::sort(entries, {}, &LiquidationEntry::group);
  }
  std::vector<LiquidationEntry> sorted;
  sorted.reserve(entries.size());
  for (const std::uint32_t i : by_estimate(entries)) sorted.push_back(entries[i]);
  entries.swap(sorted);
  std::size_t moves = 0;
  for (std::size_t i = 1; i < entries.size(); ++i) {
    for (std::size_t j = i; j > 0 && precedes(entries[j], entries[j - 1]); --j) {
      std::swap(entries[j], entries[j - 1]);
      if (++moves > entries.size()) {
        std::ranges::sort(entries, kPrecedes);
        return;
      }
    }
  }
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
    order_entries(run);
  });
  merge_runs(runs, out);
}

void recompute_and_scan(MarginBook& book, unsigned threads, std::vector<LiquidationEntry>& out) {
  std::vector<MarginBook::AtRisk> at_risk;
  book.full_recompute(threads, at_risk);
  order(at_risk, out);
}

Outcome recompute_and_scan(MarginBook& book, const PriceBook& prices, unsigned threads,
                           std::vector<LiquidationEntry>& out, MarginBook::Screening screening) {
  std::vector<MarginBook::AtRisk> at_risk;
  if (Outcome repriced = book.reprice(prices, threads, at_risk, screening); !repriced) return repriced;
  order(at_risk, out);
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
  order_entries(out);
}

}  // namespace ballast::margin
