// Short-option margin (option_margin.hpp): Deribit's published standard-margin rule for a naked
// short call and a short put (the OTM reduction and the floor), and spreads capped at their
// maximum loss at expiry: call spread, put spread, iron condor, a ratio spread (unbounded: no
// cap); validation messages; properties: the maximum loss is the exact minimum of the payoff,
// IM ≥ MM, the cap never raises a requirement, and rounding is never below the exact value.

#include "ballast/margin/option_margin.hpp"
#include "ballast/core/testing/fixed_text.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

namespace ballast::margin {
namespace {

using pricing::OptionKind;


OptionLeg leg(OptionKind kind, const char* strike, const char* size, const char* mark) {
  return {kind, price(strike), qty(size), price(mark)};
}

const Price kSpot = Price::parse("50000", Round::down).value();
const ShortOptionRule kDeribit{};  // initial max(15% S − OTM, 10% S) + mark; maintenance 7.5% S + mark

Money im(const OptionLeg& l) { return *option_leg_requirement(kDeribit, MarginKind::initial, l, kSpot); }
Money mm(const OptionLeg& l) { return *option_leg_requirement(kDeribit, MarginKind::maintenance, l, kSpot); }
Money set_im(const std::vector<OptionLeg>& legs) {
  return *option_set_requirement(kDeribit, MarginKind::initial, legs, kSpot);
}

// Deribit knowledge base, "Inverse options margin" (standard margin): short call IM =
// max(0.15 − OTM/S, 0.1) + mark, MM = 0.075 + mark, in units of the underlying; here × S in
// quote money. Research ../shared/research/portfolio-margin notes cite the same rule for
// Derive's standard manager.
TEST(ShortOptionReference, DeribitNakedShortCall) {
  ASSERT_TRUE(kDeribit.validate().ok());
  // OTM by 5,000: 15% × 50,000 − 5,000 = 2,500 < the 10% floor of 5,000; + mark 1,000.
  EXPECT_EQ(im(leg(OptionKind::call, "55000", "-1", "1000")), money("6000"));
  // OTM by 2,000: 7,500 − 2,000 = 5,500; + 1,500.
  EXPECT_EQ(im(leg(OptionKind::call, "52000", "-1", "1500")), money("7000"));
  EXPECT_EQ(mm(leg(OptionKind::call, "52000", "-1", "1500")), money("5250"));  // 3,750 + 1,500
  // In the money: no reduction.
  EXPECT_EQ(im(leg(OptionKind::call, "45000", "-2", "5500")), money("26000"));  // (7,500 + 5,500) × 2
  // A long option needs nothing here (its value counts as weighted collateral).
  EXPECT_EQ(im(leg(OptionKind::call, "45000", "2", "5500")), Money{});
  // Unbounded: a naked short call is not capped.
  EXPECT_EQ(set_im({leg(OptionKind::call, "55000", "-1", "1000")}), money("6000"));
  EXPECT_FALSE(max_loss_at_expiry(std::vector<OptionLeg>{leg(OptionKind::call, "55000", "-1", "1000")}));
}

TEST(ShortOptionReference, ShortPutOtmReduction) {
  EXPECT_EQ(im(leg(OptionKind::put, "48000", "-1", "800")), money("6300"));   // 7,500 − 2,000 + 800
  EXPECT_EQ(im(leg(OptionKind::put, "45000", "-1", "300")), money("5300"));   // floor 5,000 + 300
  EXPECT_EQ(im(leg(OptionKind::put, "55000", "-1", "5200")), money("12700"));  // ITM: 7,500 + 5,200
  // A put can lose at most its strike: a far OTM short put is capped there.
  const std::vector<OptionLeg> far{leg(OptionKind::put, "1000", "-1", "0.5")};
  EXPECT_EQ(im(far[0]), money("5000.5"));
  EXPECT_EQ(max_loss_at_expiry(far), money("1000"));
  EXPECT_EQ(set_im(far), money("1000"));
}

TEST(ShortOptionSpreads, CallSpreadCappedAtStrikeWidth) {
  // Short 2 × 50k call, long 2 × 51k call: at most (51,000 − 50,000) × 2 = 2,000 lost.
  const std::vector<OptionLeg> legs{leg(OptionKind::call, "50000", "-2", "2000"),
                                    leg(OptionKind::call, "51000", "2", "1600")};
  EXPECT_EQ(max_loss_at_expiry(legs), money("2000"));
  EXPECT_EQ(set_im(legs), money("2000"));  // uncapped: (7,500 + 2,000) × 2 = 19,000
  ShortOptionRule uncapped = kDeribit;
  uncapped.cap_at_max_loss = false;
  EXPECT_EQ(option_set_requirement(uncapped, MarginKind::initial, legs, kSpot), money("19000"));
  // A wide spread where the per-leg rule is smaller than the cap keeps the per-leg figure.
  const std::vector<OptionLeg> wide{leg(OptionKind::call, "60000", "-1", "200"),
                                    leg(OptionKind::call, "90000", "1", "5")};
  EXPECT_EQ(set_im(wide), money("5200"));
  EXPECT_EQ(max_loss_at_expiry(wide), money("30000"));
}

TEST(ShortOptionSpreads, PutSpreadCappedAtStrikeWidth) {
  const std::vector<OptionLeg> legs{leg(OptionKind::put, "50000", "-3", "1900"),
                                    leg(OptionKind::put, "49000", "3", "1400")};
  EXPECT_EQ(max_loss_at_expiry(legs), money("3000"));
  EXPECT_EQ(set_im(legs), money("3000"));
  // The debit direction (long the higher strike) cannot lose at expiry.
  const std::vector<OptionLeg> debit{leg(OptionKind::put, "50000", "3", "1900"),
                                     leg(OptionKind::put, "49000", "-3", "1400")};
  EXPECT_EQ(max_loss_at_expiry(debit), Money{});
  EXPECT_EQ(set_im(debit), Money{});
}

TEST(ShortOptionSpreads, IronCondorCappedAtTheWiderWing) {
  const std::vector<OptionLeg> legs{
      leg(OptionKind::put, "43000", "1", "150"), leg(OptionKind::put, "45000", "-1", "300"),
      leg(OptionKind::call, "55000", "-1", "350"), leg(OptionKind::call, "56000", "1", "250")};
  EXPECT_EQ(max_loss_at_expiry(legs), money("2000"));  // the put wing is 2,000 wide
  EXPECT_EQ(set_im(legs), money("2000"));  // uncapped: 5,300 + 5,350
}

TEST(ShortOptionSpreads, RatioSpreadIsUnboundedSoNotCapped) {
  // Long 1 × 50k call, short 2 × 55k calls: net short one call above 55k.
  const std::vector<OptionLeg> legs{leg(OptionKind::call, "50000", "1", "2000"),
                                    leg(OptionKind::call, "55000", "-2", "700")};
  EXPECT_FALSE(max_loss_at_expiry(legs));
  EXPECT_EQ(set_im(legs), money("11400"));  // (5,000 + 700) × 2
  // Covered by a second long call it becomes bounded (and cannot lose: payoff ≥ 0).
  std::vector<OptionLeg> covered = legs;
  covered.push_back(leg(OptionKind::call, "60000", "1", "200"));
  EXPECT_EQ(max_loss_at_expiry(covered), Money{});
  EXPECT_EQ(set_im(covered), Money{});
}

TEST(ShortOption, RoundsUp) {
  // 1e-9 of a short call: (7,500 + 0.000000001) × 1e-9 = 0.0000075... → 0.000008.
  const OptionLeg tiny{OptionKind::call, kSpot, Quantity::from_raw(-1), Price::from_raw(1)};
  EXPECT_EQ(im(tiny), money("0.000008"));
  // A rate times S that is not a whole number of 10^-9: 0.15 × 0.000000001 rounds up per unit.
  const OptionLeg cheap{OptionKind::call, Price::from_raw(1), qty("-1"), Price{}};
  EXPECT_EQ(*option_leg_requirement(kDeribit, MarginKind::initial, cheap, Price::from_raw(1)),
            money("0.000001"));
  // Beyond Money's range.
  const OptionLeg huge{OptionKind::call, price("9000000000"), Quantity::from_raw(INT64_MIN), price("9000000000")};
  EXPECT_FALSE(option_leg_requirement(kDeribit, MarginKind::initial, huge, price("9000000000")));
}

TEST(ShortOptionValidate, NamesTheField) {
  ShortOptionRule r = kDeribit;
  r.initial.underlying_rate = ratio("1.5");
  EXPECT_EQ(r.validate().error().message,
            "short option rule: initial.underlying_rate: must be in [0, 1], got 1.5");
  r = kDeribit;
  r.initial.min_rate = ratio("0.2");
  EXPECT_EQ(r.validate().error().message,
            "short option rule: initial.min_rate: must be in [0, underlying_rate (0.15)], got 0.2");
  r = kDeribit;
  r.maintenance.underlying_rate = ratio("0.2");
  r.maintenance.min_rate = ratio("0.05");
  EXPECT_EQ(r.validate().error().message,
            "short option rule: maintenance.underlying_rate: must be at most initial.underlying_rate (0.15), got 0.2");
  r = kDeribit;
  r.maintenance.min_rate = ratio("0.075");
  r.initial.min_rate = ratio("0.05");
  EXPECT_EQ(r.validate().error().message,
            "short option rule: maintenance.min_rate: must be at most initial.min_rate (0.05), got 0.075");
  r = kDeribit;
  r.maintenance.min_rate = ratio("-0.01");
  EXPECT_EQ(r.validate().error().message,
            "short option rule: maintenance.min_rate: must be in [0, underlying_rate (0.075)], got -0.01");
}

// ---------------------------------------------------------------------------------------------
// Properties.

rc::Gen<OptionLeg> any_leg() {
  return rc::gen::exec([] {
    OptionLeg l;
    l.kind = *rc::gen::element(OptionKind::call, OptionKind::put);
    l.strike = Price::from_raw(*rc::gen::inRange<std::int64_t>(1, 200'000) * 1'000'000'000 / 2);
    l.size = Quantity::from_raw(*rc::gen::inRange<std::int64_t>(-100'000'000'000, 100'000'000'000));
    l.mark = Price::from_raw(*rc::gen::inRange<std::int64_t>(0, 20'000'000'000'000));
    return l;
  });
}

// Σ size × payoff(x) at 18 decimals.
int128 payoff(const std::vector<OptionLeg>& legs, std::int64_t x) {
  int128 sum = 0;
  for (const OptionLeg& l : legs) {
    const std::int64_t k = l.strike.raw();
    const std::int64_t v = l.kind == OptionKind::call ? std::max<std::int64_t>(x - k, 0)
                                                      : std::max<std::int64_t>(k - x, 0);
    sum += static_cast<int128>(l.size.raw()) * v;
  }
  return sum;
}

RC_GTEST_PROP(ShortOptionProperty, MaxLossIsTheExactMinimumOfThePayoff, ()) {
  const auto legs = *rc::gen::container<std::vector<OptionLeg>>(
      static_cast<std::size_t>(*rc::gen::inRange(1, 7)), any_leg());
  const std::optional<Money> loss = max_loss_at_expiry(legs);
  int128 net_calls = 0;
  for (const OptionLeg& l : legs) net_calls += l.kind == OptionKind::call ? l.size.raw() : 0;
  RC_ASSERT(loss.has_value() == (net_calls >= 0));
  // Sample the payoff on [0, 2 × max strike] and beyond: never below −loss.
  std::int64_t top = 0;
  for (const OptionLeg& l : legs) top = std::max(top, l.strike.raw());
  int128 lowest = 0;
  for (int i = 0; i <= 400; ++i) {
    const std::int64_t x = top / 200 * i + (i == 400 ? 1'000'000'000'000 : 0);
    lowest = std::min(lowest, payoff(legs, x));
  }
  for (const OptionLeg& l : legs) lowest = std::min(lowest, payoff(legs, l.strike.raw()));
  if (loss) {
    // loss = ceil(−min payoff / 10^12) and the minimum is attained at a strike or 0.
    const int128 exact = -lowest;
    RC_ASSERT(static_cast<int128>(loss->raw()) * 1'000'000'000'000 >= exact);
    RC_ASSERT(static_cast<int128>(loss->raw() - 1) * 1'000'000'000'000 < exact || loss->raw() == 0);
  } else {
    RC_ASSERT(payoff(legs, top + 1'000'000'000'000'000) < payoff(legs, top));
  }
}

RC_GTEST_PROP(ShortOptionProperty, InitialAtLeastMaintenanceAndCapNeverRaises, ()) {
  const auto legs = *rc::gen::container<std::vector<OptionLeg>>(
      static_cast<std::size_t>(*rc::gen::inRange(1, 7)), any_leg());
  const Price s = Price::from_raw(*rc::gen::inRange<std::int64_t>(1, 200'000) * 500'000'000);
  ShortOptionRule uncapped = kDeribit;
  uncapped.cap_at_max_loss = false;
  const Money capped_im = *option_set_requirement(kDeribit, MarginKind::initial, legs, s);
  const Money capped_mm = *option_set_requirement(kDeribit, MarginKind::maintenance, legs, s);
  const Money raw_im = *option_set_requirement(uncapped, MarginKind::initial, legs, s);
  const Money raw_mm = *option_set_requirement(uncapped, MarginKind::maintenance, legs, s);
  RC_ASSERT(capped_im >= capped_mm);
  RC_ASSERT(raw_im >= raw_mm);
  RC_ASSERT(capped_im <= raw_im);
  RC_ASSERT(!capped_mm.is_negative());
}

// A short leg's requirement against the exact figure (max(r·S − OTM, m·S) + mark)·|size|:
// never below it, and above it by less than one 10^-9 per unit (the per-unit rounding) plus one
// micro-dollar.
RC_GTEST_PROP(ShortOptionProperty, LegNeverBelowTheExactValue, ()) {
  OptionLeg l = *any_leg();
  if (l.size.raw() > 0) l.size = Quantity::from_raw(-l.size.raw());
  const Price s = Price::from_raw(*rc::gen::inRange<std::int64_t>(1, 200'000'000'000'000));
  const ShortOptionRate r{Ratio::from_raw(*rc::gen::inRange<std::int64_t>(0, Ratio::kScale)),
                          Ratio::from_raw(0)};
  const ShortOptionRule rule{r, r, true};
  const Money got = *option_leg_requirement(rule, MarginKind::initial, l, s);
  const std::int64_t otm = l.kind == OptionKind::call ? std::max<std::int64_t>(l.strike.raw() - s.raw(), 0)
                                                      : std::max<std::int64_t>(s.raw() - l.strike.raw(), 0);
  const int128 per_unit_21 =
      std::max<int128>(static_cast<int128>(r.underlying_rate.raw()) * s.raw() - static_cast<int128>(otm) * 1'000'000'000'000, 0) +
      static_cast<int128>(l.mark.raw()) * 1'000'000'000'000;
  const int128 size = -static_cast<int128>(l.size.raw());
  // Both sides in units of 10^-30 quote.
  const int128 exact_30 = per_unit_21 * size;  // ≤ 2·10^26 · 10^11: fits
  const int128 got_30 = static_cast<int128>(got.raw()) * pow10_i128(24);
  RC_ASSERT(got_30 >= exact_30);
  const int128 slack_30 = size * 1'000'000'000'000 + pow10_i128(24);
  RC_ASSERT(got_30 < exact_30 + slack_30);
}

}  // namespace
}  // namespace ballast::margin
