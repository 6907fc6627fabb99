// The Dutch-auction liquidation bonus: hand-worked values at the start, a third, the middle, the
// end and after it; the protocol share; the money split; parameter statuses.

#include "ballast/liquidation/auction.hpp"

#include <gtest/gtest.h>

#include "ballast/liquidation/sizing.hpp"

namespace ballast::liquidation {
namespace {

constexpr TimestampNs kStart = 1'700'000'000'000'000'000;
constexpr std::int64_t kSecond = 1'000'000'000;

Ratio pct(std::int64_t hundredths_of_percent) { return Ratio::from_raw(hundredths_of_percent * 100'000'000); }

// 1% rising to 5% over 10 minutes; the protocol takes 20% of the bonus.
AuctionParams params() {
  return {.min_bonus = pct(100), .max_bonus = pct(500), .duration_ns = 600 * kSecond, .protocol_share = pct(2'000)};
}

TEST(Auction, StartMiddleEnd) {
  const AuctionQuote start = auction_bonus(params(), kStart, kStart);
  ASSERT_EQ(start.status, AuctionStatus::ok);
  EXPECT_EQ(start.bonus, pct(100));
  EXPECT_EQ(start.protocol_fee, pct(20));
  EXPECT_EQ(start.liquidator_bonus, pct(80));
  EXPECT_EQ(auction_bonus(params(), kStart, kStart + 300 * kSecond).bonus, pct(300));
  EXPECT_EQ(auction_bonus(params(), kStart, kStart + 600 * kSecond).bonus, pct(500));
  EXPECT_EQ(auction_bonus(params(), kStart, kStart + 86'400 * kSecond).bonus, pct(500));  // holds at the max
}

TEST(Auction, RoundsTheBonusDownAndTheProtocolShareUp) {
  // A third of the way: 1% + 4%/3 = 2.3333...% → 0.023333333333 (down);
  // × 20% = 0.0046666666666 → 0.004666666667 (up); the liquidator keeps the complement.
  const AuctionQuote q = auction_bonus(params(), kStart, kStart + 200 * kSecond);
  EXPECT_EQ(q.bonus, Ratio::from_raw(23'333'333'333));
  EXPECT_EQ(q.protocol_fee, Ratio::from_raw(4'666'666'667));
  EXPECT_EQ(q.liquidator_bonus, Ratio::from_raw(18'666'666'666));
  // One nanosecond in: 4% × 1e-9/600 is far below 1e-12: still exactly the minimum.
  EXPECT_EQ(auction_bonus(params(), kStart, kStart + 1).bonus, pct(100));
}

TEST(Auction, SplitInMoney) {
  const AuctionQuote q = auction_bonus(params(), kStart, kStart + 300 * kSecond);  // 3%
  const auto split = split_bonus(*Money::from_whole(10'000), q, params().protocol_share);
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ(split->total, *Money::from_whole(300));
  EXPECT_EQ(split->protocol, *Money::from_whole(60));
  EXPECT_EQ(split->liquidator, *Money::from_whole(240));
  // 33 µ × 3% = 0.99 µ → 1 µ charged; the protocol's 0.2 µ → 1 µ; the liquidator gets 0.
  const auto tiny = split_bonus(Money::from_raw(33), q, params().protocol_share);
  EXPECT_EQ(tiny->total, Money::from_raw(1));
  EXPECT_EQ(tiny->protocol, Money::from_raw(1));
  EXPECT_EQ(tiny->liquidator, Money{});
}

TEST(Auction, PriceFromTheBonusLiesInTheBand) {
  const Ratio bonus = auction_bonus(params(), kStart, kStart + 600 * kSecond).bonus;
  const Price oracle = *Price::from_whole(100);
  const PriceBand band = liquidation_price_band(*Quantity::from_whole(1), oracle, bonus, std::nullopt).band;
  EXPECT_EQ(discounted_price(*Quantity::from_whole(1), oracle, bonus), *Price::from_whole(95));
  EXPECT_TRUE(price_in_band(band, *discounted_price(*Quantity::from_whole(1), oracle, bonus)));
}

TEST(Auction, Statuses) {
  EXPECT_EQ(auction_bonus(params(), kStart, kStart - 1).status, AuctionStatus::before_start);
  AuctionParams p = params();
  p.min_bonus = pct(-1);
  EXPECT_EQ(validate(p), AuctionStatus::bonus_negative);
  p = params();
  p.max_bonus = pct(50);
  EXPECT_EQ(validate(p), AuctionStatus::bonus_order);
  p = params();
  p.max_bonus = pct(10'000);
  EXPECT_EQ(validate(p), AuctionStatus::bonus_too_large);
  p = params();
  p.duration_ns = 0;
  EXPECT_EQ(validate(p), AuctionStatus::duration_invalid);
  p = params();
  p.protocol_share = pct(10'001);
  EXPECT_EQ(validate(p), AuctionStatus::share_out_of_range);
  EXPECT_EQ(auction_bonus(p, kStart, kStart).status, AuctionStatus::share_out_of_range);
  EXPECT_STREQ(auction_status_name(AuctionStatus::before_start), "before_start");
}

}  // namespace
}  // namespace ballast::liquidation
