// The liquidation scan (liquidation_scan.hpp) against a brute-force reference: evaluate() on
// every group rebuilt from the book, the listing rule written out, and the order decided by an
// independent exact comparison of fractions (Euclid's continued fractions, not
// cross-multiplication). A hand-built venue pins the figures and the order; pairs of ratios
// that doubles cannot tell apart pin the exact comparison; random venues crashed by random
// amounts (fills opening tail slots first, options, settle_weighted_net markets, isolated and
// two-sub-account cross groups) hold scan_liquidatable() at several thread counts,
// recompute_and_scan() and the incremental LiquidationSet to the reference; random tick
// sequences hold the set to a fresh scan after every tick, through an overflowed report.

#include "ballast/margin/liquidation_scan.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "ballast/core/testing/fixed_text.hpp"
#include "ballast/margin/testing/book_fixture.hpp"
#include "ballast/margin/testing/venue_fixtures.hpp"

namespace ballast::margin {
namespace {

using namespace testing;
using GroupIndex = MarginBook::GroupIndex;

using Rng = SplitMix64;

// --- The reference ----------------------------------------------------------------------------

// Sign of a/b − c/d for b, d > 0, by continued fractions: compare the floors, then the
// reciprocals of the remainders (reversed). Exact and independent of cross-multiplication.
int compare_fractions(int128 a, int128 b, int128 c, int128 d) {
  const auto floor_div = [](int128 n, int128 m) {
    int128 q = n / m;
    if (n % m != 0 && n < 0) --q;
    return q;
  };
  const int128 qa = floor_div(a, b);
  const int128 qc = floor_div(c, d);
  if (qa != qc) return qa < qc ? -1 : 1;
  const int128 ra = a - qa * b;  // in [0, b)
  const int128 rc = c - qc * d;
  if (ra == 0 || rc == 0) return ra == rc ? 0 : (ra == 0 ? -1 : 1);
  return -compare_fractions(b, ra, d, rc);  // ra/b < rc/d ⇔ b/ra > d/rc
}

bool reference_before(const LiquidationEntry& a, const LiquidationEntry& b) {
  const bool a_unknown = a.status != MarginStatus::ok;
  const bool b_unknown = b.status != MarginStatus::ok;
  if (a_unknown != b_unknown) return a_unknown;
  if (!a_unknown) {
    // A zero requirement (a group that only borrows) makes the ratio an infinity of the equity's
    // sign, or 0 for zero equity.
    const auto infinity = [](const LiquidationEntry& e) {
      if (e.maintenance_requirement.raw() > 0) return 0;
      return e.equity.raw() > 0 ? 1 : (e.equity.raw() < 0 ? -1 : 0);
    };
    const auto denominator = [](const LiquidationEntry& e) {
      return e.maintenance_requirement.raw() > 0 ? e.maintenance_requirement.raw() : std::int64_t{1};
    };
    if (infinity(a) != 0 || infinity(b) != 0) {
      if (infinity(a) != infinity(b)) return infinity(a) < infinity(b);
    } else {
      const int sign = compare_fractions(a.equity.raw(), denominator(a), b.equity.raw(), denominator(b));
      if (sign != 0) return sign < 0;
    }
  }
  return a.group < b.group;
}

// evaluate() on every group; listed when not ok, or health negative, or bankrupt: equity negative,
// or zero with a positive requirement.
std::vector<LiquidationEntry> reference(const MarginBook& book) {
  std::vector<LiquidationEntry> out;
  for (GroupIndex g = 0; g < book.group_count(); ++g) {
    const MarginOutcome outcome = evaluate(book.config(), book.prices(), book.group_books(g));
    LiquidationEntry e;
    e.group = g;
    e.status = outcome.status;
    if (outcome.status == MarginStatus::ok) {
      const GroupMargin& m = outcome.margin;
      e.equity = m.equity;
      e.maintenance_requirement = m.maintenance_requirement;
      e.maintenance_health = Money::from_raw(m.maintenance_collateral.raw() - m.maintenance_requirement.raw());
      e.bankrupt = m.equity.raw() < 0 || (m.maintenance_requirement.raw() > 0 && m.equity.raw() == 0);
      if (e.maintenance_health.raw() >= 0 && !e.bankrupt) continue;
    }
    out.push_back(e);
  }
  std::sort(out.begin(), out.end(), reference_before);
  return out;
}

std::string describe(const std::vector<LiquidationEntry>& entries) {
  std::string out;
  for (const LiquidationEntry& e : entries) {
    out += std::to_string(e.group) + ":" + std::to_string(e.equity.raw()) + "/" +
           std::to_string(e.maintenance_requirement.raw()) + (e.bankrupt ? "B " : " ");
  }
  return out;
}

// --- A hand-built venue -----------------------------------------------------------------------

constexpr AssetId kUsdc{1};
constexpr AssetId kBtc{2};
constexpr InstrumentId kBtcPerp{10};

Balance usdc(const char* dollars) { return Balance{kUsdc, Amount::from_raw(money(dollars).raw())}; }

// One BTC perpetual at 5% maintenance, everything at par: maintenance collateral is balance +
// PnL, so each figure is a line of arithmetic. Cost basis 20,000 per BTC; the mark falls to
// 19,000 (each long BTC loses 1,000 and needs 950).
TEST(LiquidationScan, HandVenueFiguresAndOrder) {
  RiskConfig config;
  config.quote = kUsdc;
  config.assets = {asset(kUsdc, "USDC", 6), asset(kBtc, "BTC", 8)};
  config.markets = {market_risk(instrument({.id = kBtcPerp, .symbol = "BTC-PERP"}), BaseRule{ratio("0.1"), ratio("0.05")})};
  ASSERT_TRUE(config.validate().ok());
  PriceBook prices{{asset_price(kBtc, "20000")}, {market_price(kBtcPerp, "20000")}};
  const auto sub = [](std::uint64_t id, std::uint64_t owner, std::vector<Balance> balances,
                      std::vector<HeldPosition> positions, MarginMode mode = MarginMode::cross) {
    return sub_account(SubAccountId{id}, AccountId{owner}, std::move(balances), std::move(positions), mode);
  };
  const std::vector<SubAccountBook> subs{
      sub(10, 1, {usdc("1000")}, {held(kBtcPerp, "1", "20000")}),   // g0: equity 0, bankrupt
      sub(11, 2, {usdc("1500")}, {held(kBtcPerp, "1", "20000")}),   // g1: 500 / 950
      sub(12, 3, {usdc("1200")}, {held(kBtcPerp, "1", "20000")}),   // g2 with sub 13: 500 / 950
      sub(13, 3, {usdc("300")}, {}),
      sub(14, 4, {usdc("2500")}, {held(kBtcPerp, "2", "40000")}),   // g3: 500 / 1,900
      sub(15, 5, {usdc("1100")}, {held(kBtcPerp, "-1", "-20000")}), // g4: the short gains, healthy
      sub(16, 6, {usdc("500")}, {held(kBtcPerp, "1", "20000")}),    // g5: equity −500, bankrupt
      sub(17, 7, {usdc("-100")}, {}, MarginMode::isolated),         // g6: a bare debt, bankrupt
  };
  MarginBook book = MarginBook::build(config, prices, subs).value();
  ASSERT_EQ(book.group_count(), 7U);

  const auto entry = [](GroupIndex g, const char* equity, const char* requirement, const char* health, bool bankrupt) {
    return LiquidationEntry{g, MarginStatus::ok, bankrupt, money(equity), money(requirement), money(health)};
  };
  // At 20,000 only g5 falls short (g0 stands at health 0: not liquidatable), and g6's bare debt
  // is bad debt: no requirement, equity -100 (minus infinity coverage, so first).
  std::vector<LiquidationEntry> entries;
  scan_liquidatable(book, 2, entries);
  EXPECT_EQ(entries, (std::vector<LiquidationEntry>{entry(6, "-100", "0", "-100", true),
                                                    entry(5, "500", "1000", "-500", false)}))
      << describe(entries);

  std::vector<GroupIndex> buffer(book.group_count());
  ChangedGroups changed{buffer};
  LiquidationSet set(book, 1);
  book.on_market_price(0, price("19000"), Money{}, changed);
  set.update(book, changed, 1);

  // −100/0 < −500/950 < 0/950 < 500/1,900 < 500/950 = 500/950 (g1 before g2: the tie goes to the
  // index).
  const std::vector<LiquidationEntry> expected{
      entry(6, "-100", "0", "-100", true), entry(5, "-500", "950", "-1450", true), entry(0, "0", "950", "-950", true),
      entry(3, "500", "1900", "-1400", false), entry(1, "500", "950", "-450", false),
      entry(2, "500", "950", "-450", false)};
  scan_liquidatable(book, 2, entries);
  EXPECT_EQ(entries, expected) << describe(entries);
  set.ordered(book, entries);
  EXPECT_EQ(entries, expected) << describe(entries);
  EXPECT_EQ(reference(book), expected);
  recompute_and_scan(book, 3, entries);
  EXPECT_EQ(entries, expected) << describe(entries);
  EXPECT_FALSE(set.contains(4));
  EXPECT_TRUE(set.contains(6));
  const std::vector<SubAccountId> g2{SubAccountId{12}, SubAccountId{13}};
  EXPECT_TRUE(std::ranges::equal(book.sub_accounts(2), g2));
}

// Ratios a double cannot separate: (2^53 + 1) / 2^53 rounds to 1 exactly, while (2^53 + 2) /
// (2^53 + 1) is smaller than it by 2^-106. The later group comes first, so neither a double key
// nor the index decides it.
TEST(LiquidationScan, OrderIsExactWhereDoublesTie) {
  constexpr std::int64_t k = std::int64_t{1} << 53;
  const auto entry = [](GroupIndex g, std::int64_t equity, std::int64_t requirement) {
    return LiquidationEntry{g, MarginStatus::ok, false, Money::from_raw(equity), Money::from_raw(requirement), {}};
  };
  const LiquidationEntry a = entry(1, k + 1, k);
  const LiquidationEntry b = entry(2, k + 2, k + 1);
  ASSERT_EQ(static_cast<double>(a.equity.raw()) / static_cast<double>(a.maintenance_requirement.raw()), 1.0);
  EXPECT_TRUE(precedes(b, a));
  EXPECT_FALSE(precedes(a, b));
  // Products near 2^126: INT64_MAX / (INT64_MAX − 1) against (INT64_MAX − 1) / (INT64_MAX − 2).
  const LiquidationEntry c = entry(3, INT64_MAX, INT64_MAX - 1);
  const LiquidationEntry d = entry(4, INT64_MAX - 1, INT64_MAX - 2);
  EXPECT_TRUE(precedes(c, d));
  EXPECT_FALSE(precedes(d, c));
  // Extreme negatives; equal ratios fall to the group index.
  EXPECT_TRUE(precedes(entry(5, INT64_MIN + 1, 1), entry(6, -1, INT64_MAX)));
  EXPECT_TRUE(precedes(entry(7, -3, 6), entry(8, -1, 2)));
  EXPECT_FALSE(precedes(entry(8, -1, 2), entry(7, -3, 6)));
  // Unknown figures first, by index.
  LiquidationEntry unknown = entry(9, 0, 0);
  unknown.status = MarginStatus::overflow;
  EXPECT_TRUE(precedes(unknown, entry(0, INT64_MIN + 1, 1)));
}

// --- Random venues ----------------------------------------------------------------------------

constexpr AssetId kEth{3};
constexpr AssetId kTail{4};
constexpr std::int64_t kRatioScale = Ratio::kScale;
constexpr TimestampNs kExpiry = 1'900'000'000'000'000'000;

Ratio rate(Rng& rng, std::int64_t lo_thousandths, std::int64_t hi_thousandths) {
  return Ratio::from_raw(rng.range(lo_thousandths, hi_thousandths) * (kRatioScale / 1000));
}

RequirementRule random_rule(Rng& rng) {
  const Ratio initial = rate(rng, 40, 150);
  const Ratio maintenance = Ratio::from_raw(initial.raw() / 2);
  if (rng.chance(60)) return BaseRule{initial, maintenance};
  const TierRule::LeverageTier tiers[] = {{Money{}, rng.range(20, 50)},
                                          {Money::from_raw(rng.range(20, 100) * 1'000'000'000), rng.range(5, 19)}};
  return TierRule::from_leverage(tiers).value();
}

struct Venue {
  RiskConfig config;
  PriceBook prices;
  std::vector<SubAccountBook> subs;
};

// USDC, BTC and ETH as collateral at random weights and an isolated-only TAIL; BTC and ETH
// perpetuals, a BTC future and a BTC call; the PnL haircut and cap at random. `groups` owners,
// a fifth of them with two cross sub-accounts, a tenth isolated; positions entered within 5%
// of the mark on balances of 100 to 20,000 (some borrowing), so a crash of a few percent to 40%
// leaves some groups healthy, some liquidatable and some bankrupt.
Venue random_venue(Rng& rng, int groups) {
  Venue v;
  RiskConfig& config = v.config;
  config.quote = kUsdc;
  config.assets = {asset(kUsdc, "USDC", 6), asset(kBtc, "BTC", 8, "0.8", "0.9", "1.1", "1.2"),
                   asset(kEth, "ETH", 9, "0.7", "0.85", "1.15", "1.3"), asset(kTail, "TAIL", 6, "0.5", "0.6", "1.5", "2")};
  config.assets[3].collateral.isolated_only = true;
  config.markets.push_back(market_risk(instrument({.id = InstrumentId{10}, .symbol = "BTC-PERP"}), random_rule(rng)));
  config.markets.push_back(market_risk(
      instrument({.id = InstrumentId{11}, .symbol = "ETH-PERP", .underlying = kEth}), random_rule(rng)));
  config.markets.push_back(market_risk(
      instrument({.id = InstrumentId{12}, .symbol = "BTC-FUT", .kind = market::InstrumentKind::future, .expiry_ns = kExpiry}),
      random_rule(rng)));
  config.markets.push_back(
      market_risk(option({.id = InstrumentId{13}, .symbol = "BTC-C", .expiry_ns = kExpiry}, "30000", pricing::OptionKind::call)));
  if (rng.chance(60)) config.markets[0].latency_rate = rate(rng, 1, 10);
  if (rng.chance(30)) config.markets[1].perp_health = PerpHealth::settle_weighted_net;
  config.pnl.initial_weight = rate(rng, 500, 1000);
  config.pnl.maintenance_weight =
      Ratio::from_raw(std::min<std::int64_t>(kRatioScale, config.pnl.initial_weight.raw() + rate(rng, 0, 300).raw()));
  if (rng.chance(50)) {
    config.pnl.initial_cap = Money::from_raw(rng.range(50, 5000) * Money::kScale);
    config.pnl.maintenance_cap = Money::from_raw(config.pnl.initial_cap.raw() + rng.range(0, 5000) * Money::kScale);
  }
  EXPECT_TRUE(config.validate().ok()) << config.validate().error().message;

  const std::int64_t btc = rng.range(20'000, 40'000);
  const std::int64_t eth = rng.range(1'000, 3'000);
  v.prices.assets = {AssetPrice{kBtc, Price::from_raw(btc * Price::kScale), Price::from_raw(btc * Price::kScale), {}, {}},
                     AssetPrice{kEth, Price::from_raw(eth * Price::kScale), Price::from_raw(eth * Price::kScale), {}, {}},
                     AssetPrice{kTail, Price::from_raw(Price::kScale), Price::from_raw(Price::kScale), {}, {}}};
  const std::int64_t marks[] = {btc, eth, btc, btc / 20};
  for (std::size_t m = 0; m < config.markets.size(); ++m) {
    v.prices.markets.push_back(MarketPrice{config.markets[m].instrument.id, Price::from_raw(marks[m] * Price::kScale),
                                           Money::from_raw(rng.range(0, 50) * 1'000'000'000'000), {}});
  }

  std::uint64_t next_id = 100;
  for (int owner = 0; owner < groups; ++owner) {
    const int subs = rng.chance(20) ? 2 : 1;
    const MarginMode mode = subs == 1 && rng.chance(10) ? MarginMode::isolated : MarginMode::cross;
    for (int s = 0; s < subs; ++s) {
      SubAccountBook sub{SubAccountId{next_id++}, AccountId{static_cast<std::uint64_t>(owner + 1)}, mode, {}, {}};
      const std::int64_t dollars = rng.chance(5) ? -rng.range(1, 500) : rng.range(100, 20'000);
      sub.balances.push_back(Balance{kUsdc, Amount::from_raw(dollars * 1'000'000)});
      if (rng.chance(20)) sub.balances.push_back(Balance{kBtc, Amount::from_raw(rng.range(-5'000'000, 20'000'000))});
      if (rng.chance(10)) sub.balances.push_back(Balance{kTail, Amount::from_raw(rng.range(1, 5'000) * 1'000'000)});
      std::erase_if(sub.balances, [](const Balance& b) { return b.amount.raw() == 0; });
      for (std::size_t m = 0; m < config.markets.size(); ++m) {
        const bool is_option = m == 3;
        if (!rng.chance(is_option ? 8 : 50)) continue;
        const std::int64_t mark = v.prices.markets[m].mark.raw();
        // Lots of 0.001, up to about 60,000 of notional.
        std::int64_t lots = rng.range(1, 60'000 * Price::kScale / (mark / 1'000) + 1);
        if (rng.chance(45)) lots = -lots;
        const std::int64_t size = lots * 1'000'000;
        const std::int64_t entry = is_option ? mark : mark / 1000 * rng.range(950, 1050);
        const auto basis = static_cast<std::int64_t>(static_cast<int128>(size) * entry / 1'000'000'000'000);
        sub.positions.push_back(HeldPosition{config.markets[m].instrument.id,
                                             market::Position{Quantity::from_raw(size), Money::from_raw(basis), {}, {}}});
      }
      v.subs.push_back(std::move(sub));
    }
  }
  return v;
}

// A few fills, some opening a market the sub-account never held (a tail slot a full recompute
// adds after its threads join).
void random_fills(Rng& rng, const Venue& v, MarginBook& book, int count) {
  for (int i = 0; i < count; ++i) {
    const SubAccountBook& sub = v.subs[static_cast<std::size_t>(rng.range(0, static_cast<std::int64_t>(v.subs.size()) - 1))];
    const auto m = static_cast<std::size_t>(rng.range(0, 2));
    const std::int64_t mark = book.prices().markets[m].mark.raw();
    std::int64_t lots = rng.range(1, 20'000 * Price::kScale / (mark / 1'000) + 1);
    if (rng.chance(50)) lots = -lots;
    book.apply_fill(market::Fill{sub.owner, sub.id, v.config.markets[m].instrument.id, Quantity::from_raw(lots * 1'000'000),
                                 Price::from_raw(mark / 1'000'000 * 1'000'000), Money::from_raw(rng.range(0, 5'000'000))});
  }
}

// Every oracle and mark down by `percent` through the book's ticks, the set following each report.
void crash(MarginBook& book, LiquidationSet& set, std::int64_t percent) {
  std::vector<GroupIndex> buffer(book.group_count());
  ChangedGroups changed{buffer};
  for (std::uint32_t a = 1; a < book.config().assets.size(); ++a) {
    AssetPrice p = book.prices().assets[a - 1];
    p.oracle = Price::from_raw(p.oracle.raw() / 100 * (100 - percent));
    p.stable = p.oracle;
    changed.clear();
    book.on_asset_price(a, p, changed);
    set.update(book, changed, 2);
  }
  for (std::uint32_t m = 0; m < book.config().markets.size(); ++m) {
    const MarketPrice& p = book.prices().markets[m];
    changed.clear();
    book.on_market_price(m, Price::from_raw(p.mark.raw() / 100 * (100 - percent)), p.open_interest, changed);
    set.update(book, changed, 2);
  }
}

// Every entry point equals the reference on the book as it stands.
void expect_all_match(MarginBook& book, const LiquidationSet& set, const std::vector<LiquidationEntry>& expected) {
  std::vector<LiquidationEntry> got;
  for (const unsigned threads : {1U, 2U, 3U, 8U}) {
    scan_liquidatable(book, threads, got);
    EXPECT_EQ(got, expected) << "scan, threads " << threads << "\n got " << describe(got) << "\nwant " << describe(expected);
  }
  set.ordered(book, got);
  EXPECT_EQ(got, expected) << "set\n got " << describe(got) << "\nwant " << describe(expected);
  EXPECT_EQ(set.size(), expected.size());
  for (const unsigned threads : {1U, 2U, 5U}) {
    recompute_and_scan(book, threads, got);
    EXPECT_EQ(got, expected) << "recompute, threads " << threads << "\n got " << describe(got);
  }
}

TEST(LiquidationScan, MatchesReferenceAfterCrashes) {
  std::size_t listed = 0;
  std::size_t bankrupt = 0;
  std::size_t healthy = 0;
  for (std::uint64_t seed = 1; seed <= 24; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Rng rng(seed);
    const Venue v = random_venue(rng, 150);
    MarginBook book = MarginBook::build(v.config, v.prices, v.subs).value();
    random_fills(rng, v, book, 20);
    LiquidationSet set(book, 2);
    expect_all_match(book, set, reference(book));
    crash(book, set, rng.range(2, 40));
    const std::vector<LiquidationEntry> expected = reference(book);
    expect_all_match(book, set, expected);
    listed += expected.size();
    healthy += book.group_count() - expected.size();
    bankrupt += static_cast<std::size_t>(std::ranges::count_if(expected, &LiquidationEntry::bankrupt));
  }
  // The venues reach every case: listed and not, bankrupt and not.
  EXPECT_GT(listed, 200U);
  EXPECT_GT(healthy, 200U);
  EXPECT_GT(bankrupt, 20U);
  EXPECT_GT(listed - bankrupt, 100U);
}

// Two books of one venue after the same random fills (tail slots).
std::pair<MarginBook, MarginBook> twin_books(Rng& rng, const Venue& v) {
  std::pair<MarginBook, MarginBook> books{MarginBook::build(v.config, v.prices, v.subs).value(),
                                          MarginBook::build(v.config, v.prices, v.subs).value()};
  Rng same = rng;
  random_fills(rng, v, books.first, 20);
  random_fills(same, v, books.second, 20);
  return books;
}

// Every group's figures equal in the two books (of one venue).
void expect_same_figures(const MarginBook& want, const MarginBook& got) {
  for (GroupIndex g = 0; g < want.group_count(); ++g) {
    const BookFigures a = want.group_margin(g);
    const BookFigures b = got.group_margin(g);
    ASSERT_TRUE(a.status == b.status && a.equity == b.equity && a.initial_collateral == b.initial_collateral &&
                a.maintenance_collateral == b.maintenance_collateral && a.initial_requirement == b.initial_requirement &&
                a.maintenance_requirement == b.maintenance_requirement)
        << "group " << g;
  }
}

// The whole response through reprice(): every price set at once and one recompute give the
// figures and the list that ticking each price to the crash gives, over fills' tail slots, at
// any thread count; a price book it refuses changes nothing.
TEST(LiquidationScan, RepriceEqualsTicks) {
  for (std::uint64_t seed = 200; seed < 212; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Rng rng(seed);
    const Venue v = random_venue(rng, 100);
    auto [ticked, repriced] = twin_books(rng, v);
    LiquidationSet set(ticked, 1);
    crash(ticked, set, rng.range(2, 40));
    std::vector<LiquidationEntry> got;
    ASSERT_TRUE(recompute_and_scan(repriced, ticked.prices(), static_cast<unsigned>(seed % 4) + 1, got).ok());
    EXPECT_EQ(got, reference(ticked)) << "\n got " << describe(got) << "\nwant " << describe(reference(ticked));
    expect_same_figures(ticked, repriced);
    // Refused: a market without a price, a negative mark, a funding index that moved.
    PriceBook missing = v.prices;
    missing.markets.pop_back();
    PriceBook negative = v.prices;
    negative.markets[0].mark = Price::from_raw(-1);
    PriceBook funded = v.prices;
    funded.markets[0].funding_index = market::FundingIndex::from_raw(funded.markets[0].funding_index.raw() + 1);
    for (const PriceBook* refused : {&missing, &negative, &funded}) {
      const Outcome outcome = recompute_and_scan(repriced, *refused, 2, got);
      ASSERT_FALSE(outcome.ok());
      EXPECT_EQ(outcome.error().code, ErrorCode::invalid_input);
      EXPECT_EQ(repriced.prices().markets[0].mark, ticked.prices().markets[0].mark);
      EXPECT_EQ(repriced.group_margin(0).equity, ticked.group_margin(0).equity);
    }
  }
}

// The screen by hand: 10,000 USDC and a long 1 BTC-PERP at 50,000 (5% maintenance). Its health
// bound is 10,000 − 2,500 = 7,500 less the rounding allowance (8 micro-units per slot and group:
// 0.000024), its sensitivity the notional plus the requirement, 52,500 (the quote balance never
// moves): a safe fraction of 7,499.999976 / 52,500.000001 = 0.14285714..., so a fall of 14%
// skips the group (its figures stay those at 50,000: stale) and one of 14.3% recomputes it,
// exactly: upnl −7,150, requirement 2,142.5, health 707.5.
TEST(LiquidationScan, ScreenSkipsOnlyWhatCannotFall) {
  RiskConfig config;
  config.quote = kUsdc;
  config.assets = {asset(kUsdc, "USDC", 6), asset(kBtc, "BTC", 8)};
  config.markets = {market_risk(instrument({.id = kBtcPerp, .symbol = "BTC-PERP"}), BaseRule{ratio("0.1"), ratio("0.05")})};
  ASSERT_TRUE(config.validate().ok());
  const auto at = [](const char* p) { return PriceBook{{asset_price(kBtc, p)}, {market_price(kBtcPerp, p)}}; };
  const std::vector<SubAccountBook> subs{
      sub_account(SubAccountId{10}, AccountId{1}, {usdc("10000")}, {held(kBtcPerp, "1", "50000")})};
  MarginBook book = MarginBook::build(config, at("50000"), subs).value();
  std::vector<LiquidationEntry> entries;
  const auto screened = MarginBook::Screening::screened;

  ASSERT_TRUE(recompute_and_scan(book, at("43000"), 1, entries, screened).ok());
  EXPECT_TRUE(entries.empty());
  EXPECT_EQ(book.stale_count(), 1U);
  EXPECT_TRUE(book.stale(0));

  ASSERT_TRUE(recompute_and_scan(book, at("42850"), 1, entries, screened).ok());
  EXPECT_TRUE(entries.empty());
  EXPECT_EQ(book.stale_count(), 0U);
  EXPECT_EQ(book.maintenance_figures(0).maintenance_health, money("707.5"));

  // From 42,850 a fall to 40,000 (6.65%) is within the new note's reach only if the health
  // allows it: 707.5 / 44,992.5 = 1.57%, so the group is recomputed and listed.
  ASSERT_TRUE(recompute_and_scan(book, at("40000"), 1, entries, screened).ok());
  EXPECT_EQ(book.stale_count(), 0U);
  ASSERT_EQ(entries.size(), 1U);
  EXPECT_EQ(entries[0].maintenance_health, money("-2000"));

  // set_holdings() makes a stale group current again.
  ASSERT_TRUE(recompute_and_scan(book, at("50000"), 1, entries, MarginBook::Screening::exact).ok());
  ASSERT_TRUE(recompute_and_scan(book, at("49000"), 1, entries, screened).ok());
  ASSERT_EQ(book.stale_count(), 1U);
  const std::vector<Balance> balances{usdc("20000")};
  const std::vector<HeldPosition> positions{held(kBtcPerp, "1", "50000")};
  ASSERT_TRUE(book.set_holdings(SubAccountId{10}, balances, positions));
  EXPECT_EQ(book.stale_count(), 0U);
  EXPECT_EQ(book.maintenance_figures(0).maintenance_health, money("16550"));  // 20,000 − 1,000 − 2,450

  // A note refers to one of the last kScreenGenerations recomputes: at unchanged prices the group
  // is skipped until its note's generation leaves the window, then recomputed and noted afresh.
  ASSERT_TRUE(recompute_and_scan(book, at("49000"), 1, entries, MarginBook::Screening::exact).ok());
  std::uint32_t recomputed = 0;
  for (std::uint32_t i = 1; i <= 2 * (MarginBook::kScreenGenerations + 1); ++i) {
    ASSERT_TRUE(recompute_and_scan(book, at("49000"), 1, entries, screened).ok());
    if (book.stale_count() == 0) {
      ++recomputed;
      EXPECT_EQ(i % (MarginBook::kScreenGenerations + 1), 0U) << i;
    }
  }
  EXPECT_EQ(recomputed, 2U);
}

// Screened reprices list exactly what exact ones list, over random venues (options, net
// markets, tail slots, borrowings, isolated groups) moved step by step by random amounts, some
// small enough for the screen to skip most groups; and catch_up() leaves every group's figures
// those of the exact book.
TEST(LiquidationScan, ScreenedRepriceListsExactly) {
  std::size_t skipped = 0;
  std::size_t listed = 0;
  for (std::uint64_t seed = 300; seed < 316; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Rng rng(seed);
    const Venue v = random_venue(rng, 120);
    auto [exact, screened] = twin_books(rng, v);
    PriceBook prices = v.prices;
    std::vector<LiquidationEntry> want;
    std::vector<LiquidationEntry> got;
    for (int step = 0; step < 8; ++step) {
      // Each price by its own move: within ±0.5% on most steps, up to −30%/+10% on some.
      const bool big = rng.chance(30);
      const auto move = [&rng, big](Price p) {
        const std::int64_t permille = big ? rng.range(700, 1100) : rng.range(995, 1005);
        return Price::from_raw(p.raw() / 1000 * permille);
      };
      for (AssetPrice& a : prices.assets) a.stable = a.oracle = move(a.oracle);
      for (MarketPrice& m : prices.markets) m.mark = move(m.mark);
      const auto threads = static_cast<unsigned>(rng.range(1, 3));
      ASSERT_TRUE(recompute_and_scan(exact, prices, threads, want).ok());
      ASSERT_TRUE(recompute_and_scan(screened, prices, threads, got, MarginBook::Screening::screened).ok());
      ASSERT_EQ(got, want) << "step " << step << "\n got " << describe(got) << "\nwant " << describe(want);
      scan_liquidatable(screened, 2, got);
      ASSERT_EQ(got, want) << "scan of the screened book, step " << step;
      skipped += screened.stale_count();
      listed += want.size();
    }
    screened.catch_up(2);
    EXPECT_EQ(screened.stale_count(), 0U);
    expect_same_figures(exact, screened);
  }
  // The screen skips many groups, and the moves list many.
  EXPECT_GT(skipped, 3000U);
  EXPECT_GT(listed, 500U);
}

// Random ticks both ways and fills: after each the set's order equals a fresh scan, and a
// report whose buffer overflowed makes the set judge everything again.
TEST(LiquidationScan, SetFollowsTicks) {
  for (std::uint64_t seed = 100; seed < 106; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Rng rng(seed);
    const Venue v = random_venue(rng, 120);
    MarginBook book = MarginBook::build(v.config, v.prices, v.subs).value();
    LiquidationSet set(book, 1);
    std::vector<GroupIndex> big(book.group_count());
    std::vector<GroupIndex> small(3);  // overflows on most ticks
    std::vector<LiquidationEntry> got;
    std::vector<LiquidationEntry> want;
    std::size_t moves = 0;
    for (int step = 0; step < 60; ++step) {
      ChangedGroups changed{rng.chance(20) ? std::span<GroupIndex>(small) : std::span<GroupIndex>(big)};
      const std::int64_t per_mille = rng.range(-60, 55);
      if (rng.chance(30)) {
        const auto a = static_cast<std::uint32_t>(rng.range(1, 2));
        AssetPrice p = book.prices().assets[a - 1];
        p.oracle = Price::from_raw(p.oracle.raw() / 1000 * (1000 + per_mille));
        p.stable = p.oracle;
        book.on_asset_price(a, p, changed);
      } else if (rng.chance(85)) {
        const auto m = static_cast<std::uint32_t>(rng.range(0, 3));
        const MarketPrice& p = book.prices().markets[m];
        book.on_market_price(m, Price::from_raw(p.mark.raw() / 1000 * (1000 + per_mille)), p.open_interest, changed);
      } else {  // a fill: the engine reports its group itself
        const SubAccountBook& sub = v.subs[static_cast<std::size_t>(rng.range(0, static_cast<std::int64_t>(v.subs.size()) - 1))];
        book.apply_fill(market::Fill{sub.owner, sub.id, v.config.markets[0].instrument.id,
                                     qty(rng.chance(50) ? "0.5" : "-0.5"), book.prices().markets[0].mark, Money{}});
        changed.push(*book.group_of(sub.id));
      }
      const std::size_t before = set.size();
      set.update(book, changed, 2);
      moves += set.size() != before;
      set.ordered(book, got);
      scan_liquidatable(book, 2, want);
      ASSERT_EQ(got, want) << "step " << step << "\n got " << describe(got) << "\nwant " << describe(want);
    }
    EXPECT_EQ(want, reference(book));
    EXPECT_GT(moves, 5U);  // groups joined and left along the way
  }
}

// --- Properties -------------------------------------------------------------------------------

RC_GTEST_PROP(LiquidationScanProperties, PrecedesIsTheExactOrderOfRatios, ()) {
  const auto requirement = *rc::gen::oneOf(rc::gen::inRange<std::int64_t>(1, 1'000'000),
                                           rc::gen::inRange<std::int64_t>(1, INT64_MAX),
                                           rc::gen::element<std::int64_t>(1, INT64_MAX, INT64_MAX - 1, std::int64_t{1} << 53));
  const auto equity = rc::gen::oneOf(rc::gen::inRange<std::int64_t>(-1'000'000, 1'000'000),
                                     rc::gen::inRange<std::int64_t>(INT64_MIN + 1, INT64_MAX));
  LiquidationEntry a{*rc::gen::inRange<GroupIndex>(0, 10), MarginStatus::ok, false, Money::from_raw(*equity),
                     Money::from_raw(requirement), {}};
  // b: a random one, or a's ratio scaled (an exact tie) or nudged by one unit.
  LiquidationEntry b = a;
  b.group = *rc::gen::inRange<GroupIndex>(0, 10);
  const int shape = *rc::gen::inRange(0, 3);
  if (shape == 0) {
    b.equity = Money::from_raw(*equity);
    b.maintenance_requirement = Money::from_raw(*rc::gen::inRange<std::int64_t>(1, INT64_MAX));
  } else if (shape == 1 && requirement <= 1'000'000 && a.equity.raw() > -1'000'000 && a.equity.raw() < 1'000'000) {
    const std::int64_t k = *rc::gen::inRange<std::int64_t>(1, 1'000'000);
    b.equity = Money::from_raw(a.equity.raw() * k);
    b.maintenance_requirement = Money::from_raw(requirement * k);
  } else if (shape == 2 && a.equity.raw() < INT64_MAX) {
    b.equity = Money::from_raw(a.equity.raw() + 1);
  }
  RC_ASSERT(precedes(a, b) == reference_before(a, b));
  RC_ASSERT(precedes(b, a) == reference_before(b, a));
}

// order_entries() equals a comparison sort by precedes(), over entries in any group order whose
// ratios a double often cannot tell apart: (e + i) / (r + i) near 2^53 and beyond, equal
// ratios at different scales, unknown figures.
RC_GTEST_PROP(LiquidationScanProperties, OrderEntriesIsTheExactSort, ()) {
  const auto count = *rc::gen::inRange<std::size_t>(0, 300);
  const auto base = *rc::gen::inRange<std::int64_t>(std::int64_t{1} << 50, INT64_MAX / 4);
  std::vector<GroupIndex> groups(count);
  for (std::size_t i = 0; i < count; ++i) groups[i] = static_cast<GroupIndex>(i);
  const auto order = *rc::gen::inRange(0, 3);  // groups ascending, descending or shuffled
  if (order == 1) std::ranges::reverse(groups);
  if (order == 2) {
    for (std::size_t i = count; i > 1; --i) std::swap(groups[i - 1], groups[*rc::gen::inRange<std::size_t>(0, i)]);
  }
  std::vector<LiquidationEntry> entries;
  for (const GroupIndex g : groups) {
    LiquidationEntry e{g, MarginStatus::ok, false, {}, {}, {}};
    const auto shape = *rc::gen::inRange(0, 4);
    const std::int64_t i = *rc::gen::inRange<std::int64_t>(0, 64);
    const std::int64_t sign = *rc::gen::inRange(0, 2) == 0 ? 1 : -1;
    if (shape == 0) {  // within a rounding of one another
      e.equity = Money::from_raw(sign * (base + i));
      e.maintenance_requirement = Money::from_raw(base / 2 + i);
    } else if (shape == 1) {  // equal ratios, different scales
      e.equity = Money::from_raw(sign * 3 * (i + 1));
      e.maintenance_requirement = Money::from_raw(7 * (i + 1));
    } else if (shape == 2) {
      e.equity = Money::from_raw(*rc::gen::inRange<std::int64_t>(INT64_MIN + 1, INT64_MAX));
      e.maintenance_requirement = Money::from_raw(*rc::gen::inRange<std::int64_t>(1, INT64_MAX));
    } else {
      e.status = MarginStatus::overflow;
    }
    entries.push_back(e);
  }
  std::vector<LiquidationEntry> want = entries;
  std::ranges::sort(want, [](const LiquidationEntry& a, const LiquidationEntry& b) { return precedes(a, b); });
  order_entries(entries);
  RC_ASSERT(entries == want);
}

RC_GTEST_PROP(LiquidationScanProperties, ScanEqualsReferenceAtAnyThreadCount, ()) {
  const auto seed = *rc::gen::inRange<std::uint64_t>(1000, 1'000'000);
  const auto percent = *rc::gen::inRange<std::int64_t>(0, 45);
  const auto threads = *rc::gen::inRange(1U, 9U);
  Rng rng(seed);
  const Venue v = random_venue(rng, *rc::gen::inRange(1, 60));
  MarginBook book = MarginBook::build(v.config, v.prices, v.subs).value();
  LiquidationSet set(book, threads);
  crash(book, set, percent);
  const std::vector<LiquidationEntry> expected = reference(book);
  std::vector<LiquidationEntry> got;
  scan_liquidatable(book, threads, got);
  RC_ASSERT(got == expected);
  set.ordered(book, got);
  RC_ASSERT(got == expected);
  recompute_and_scan(book, threads, got);
  RC_ASSERT(got == expected);
}

}  // namespace
}  // namespace ballast::margin
