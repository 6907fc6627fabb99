#include "ballast/sim/liquidity.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace ballast::sim {
namespace {

constexpr double kHour_s = 3'600.0;

template <typename T>
T made(Result<T> result) {
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return std::move(result).value();
}

template <typename T>
std::string error_of(const Result<T>& result) {
  return result.ok() ? "ok" : result.error().message;
}

double relative(double a, double b) {
  return std::abs(a / b - 1.0);
}

// 100 BTC / 5,000,000 USDC (50,000 USDC per BTC), Uniswap v2's 0.3% fee, one-hour recovery.
ConstantProductPool btc_pool(double fee = 0.003) {
  return made(ConstantProductPool::make({"BTC", 100.0, 5'000'000.0, fee, kHour_s}));
}

// 50 BTC a side out to 5% from a 50,000 mid.
DepthCurveBook btc_book(double exponent = 1.0) {
  return made(DepthCurveBook::make({"BTC", 50'000.0, 50.0, 0.05, exponent, kHour_s}));
}

TEST(ConstantProductPool, HandWorkedSell) {
  // Sell 10 BTC: 9.97 trade after the fee, out = 5e6 · 9.97 / (100 + 9.97) = 4,985,000,000 / 10,997
  // USDC; the pool ends at 110 BTC and 5e6 - out USDC.
  ConstantProductPool pool = btc_pool();
  const Fill fill = made(pool.consume(Side::sell, 10.0));
  EXPECT_LT(relative(fill.amount_quote, 4'985'000'000.0 / 10'997.0), 1e-9);
  EXPECT_LT(relative(fill.amount_quote, 453'305.44694007456), 1e-9);
  EXPECT_LT(relative(fill.average_price, 45'330.544694007454), 1e-9);
  EXPECT_LT(relative(fill.end_price, 41'333.58684599932), 1e-9);
  EXPECT_EQ(fill.start_price, 50'000.0);
  EXPECT_EQ(pool.reserve_base(), 110.0);
  EXPECT_LT(relative(pool.reserve_quote(), 5'000'000.0 - 453'305.44694007456), 1e-9);
  EXPECT_LT(relative(fill.slippage(), 1.0 - 45'330.544694007454 / 50'000.0), 1e-9);
}

TEST(ConstantProductPool, HandWorkedBuyAndResearchVector) {
  // Buy 10 BTC: in = 5e6 · 10 / (90 · 0.997) USDC.
  const Fill buy = made(btc_pool().impact(Side::buy, 10.0));
  EXPECT_LT(relative(buy.amount_quote, 5e7 / (90.0 * 0.997)), 1e-9);
  EXPECT_LT(relative(buy.end_price, 61'746.96930297064), 1e-9);
  // research/simulation-allocation.md T10: 1000 ETH / 2e6 USDC, sell 100 ETH: out 181,322.18,
  // pool price 1653.34.
  const ConstantProductPool eth = made(ConstantProductPool::make({"ETH", 1'000.0, 2e6, 0.003, kHour_s}));
  const Fill sell = made(eth.impact(Side::sell, 100.0));
  EXPECT_NEAR(sell.amount_quote, 181'322.18, 0.005);
  EXPECT_NEAR(sell.end_price, 1'653.34, 0.005);
  EXPECT_EQ(eth.reserve_base(), 1'000.0);  // impact does not move the pool
}

TEST(ConstantProductPool, FeesNeverLowerK) {
  ConstantProductPool pool = btc_pool();
  double k = pool.reserve_base() * pool.reserve_quote();
  const std::vector<std::pair<Side, double>> trades{
      {Side::sell, 10.0}, {Side::buy, 3.0}, {Side::sell, 0.5}, {Side::buy, 40.0}, {Side::sell, 70.0}};
  for (const auto& [side, size] : trades) {
    made(pool.consume(side, size));
    const double after = pool.reserve_base() * pool.reserve_quote();
    EXPECT_GT(after, k) << side_name(side) << " " << size;  // the fee stays in the pool
    k = after;
  }
}

TEST(ConstantProductPool, ImpactGrowsWithSize) {
  for (const double fee : {0.0, 0.003}) {
    const ConstantProductPool pool = btc_pool(fee);
    for (const Side side : {Side::sell, Side::buy}) {
      Fill previous = made(pool.impact(side, 0.01));
      for (double size = 0.02; size < 99.0; size *= 1.5) {
        const Fill fill = made(pool.impact(side, size));
        EXPECT_GT(fill.slippage(), previous.slippage()) << fee << side_name(side) << " " << size;
        EXPECT_GT(fill.price_impact(), previous.price_impact()) << fee << side_name(side) << " " << size;
        EXPECT_GT(fill.slippage(), fee) << "every unit pays the fee and then some";
        // The last unit trades worst: at the end price, less the fee.
        if (side == Side::sell) {
          EXPECT_LT(fill.end_price * (1.0 - fee), fill.average_price) << fee << " " << size;
        } else {
          EXPECT_GT(fill.end_price / (1.0 - fee), fill.average_price) << fee << " " << size;
        }
        previous = fill;
      }
    }
  }
}

TEST(ConstantProductPool, SizeForPriceMoveRoundTrips) {
  for (const double fee : {0.0, 0.003, 0.01}) {
    const ConstantProductPool pool = btc_pool(fee);
    for (const Side side : {Side::sell, Side::buy}) {
      for (const double move : {1e-4, 0.01, 0.1, 0.5, 0.9}) {
        const double size = made(pool.size_for_price_move(side, move));
        const Fill fill = made(pool.impact(side, size));
        // end / start - 1 loses about 1e-16 / move of relative precision.
        EXPECT_LT(relative(fill.price_impact(), move), 1e-10) << fee << " " << side_name(side) << " " << move;
      }
    }
  }
  // Without a fee the sell's size has the textbook form x (1 / sqrt(1 - s) - 1).
  EXPECT_LT(relative(made(btc_pool(0.0).size_for_price_move(Side::sell, 0.19)), 100.0 * (1.0 / 0.9 - 1.0)), 1e-12);
  EXPECT_NE(error_of(btc_pool().size_for_price_move(Side::sell, 1.0)).find("(0, 1)"), std::string::npos);
  EXPECT_FALSE(btc_pool().size_for_price_move(Side::buy, 0.0).ok());
}

TEST(ConstantProductPool, RecoveryHalvesTheGapPerHalfLifeAndNeverOvershoots) {
  ConstantProductPool pool = btc_pool();
  made(pool.consume(Side::sell, 30.0));
  const double gap_base = pool.reserve_base() - 100.0;
  const double gap_quote = pool.reserve_quote() - 5'000'000.0;
  pool.recover(kHour_s);
  EXPECT_LT(relative(pool.reserve_base() - 100.0, 0.5 * gap_base), 1e-12);
  EXPECT_LT(relative(pool.reserve_quote() - 5'000'000.0, 0.5 * gap_quote), 1e-12);
  // Any sequence of steps shrinks each gap without crossing the calm level.
  double last_gap = pool.reserve_base() - 100.0;
  for (const double dt_s : {0.0, 1.0, 60.0, 0.3 * kHour_s, 5.0 * kHour_s, 50.0 * kHour_s}) {
    pool.recover(dt_s);
    const double gap = pool.reserve_base() - 100.0;
    EXPECT_GE(gap, 0.0) << dt_s;
    EXPECT_LE(gap, last_gap) << dt_s;
    EXPECT_LE(pool.reserve_quote(), 5'000'000.0) << dt_s;
    last_gap = gap;
  }
  EXPECT_LT(last_gap, 1e-12 * gap_base);
}

TEST(ConstantProductPool, DepthMultiplierKeepsThePrice) {
  ConstantProductPool pool = btc_pool();
  made(pool.consume(Side::sell, 5.0));
  const double price = pool.price();
  pool.set_depth_multiplier(0.02);  // the Oct-2025 collapse: -98%
  EXPECT_LT(relative(pool.price(), price), 1e-15);
  EXPECT_LT(relative(pool.reserve_base(), 105.0 * 0.02), 1e-15);
  EXPECT_EQ(pool.calm_reserve_base(), 100.0 * 0.02);
  // The same sale now moves the thinner pool 50 times as far in size terms.
  EXPECT_GT(made(pool.impact(Side::sell, 1.0)).price_impact(), made(btc_pool().impact(Side::sell, 1.0)).price_impact());
  pool.set_depth_multiplier(1.0);
  EXPECT_LT(relative(pool.reserve_base(), 105.0), 1e-15);
}

TEST(ConstantProductPool, MidPriceRecentresAndThePoolFollowsAtTheHalfLife) {
  ConstantProductPool pool = btc_pool();
  pool.set_mid_price(40'000.0);
  EXPECT_EQ(pool.price(), 50'000.0);  // the reserves move only by recovery
  EXPECT_LT(relative(pool.calm_reserve_quote() / pool.calm_reserve_base(), 40'000.0), 1e-15);
  EXPECT_LT(relative(pool.calm_reserve_base() * pool.calm_reserve_quote(), 5e8), 1e-15);
  pool.recover(60.0 * kHour_s);
  EXPECT_LT(relative(pool.price(), 40'000.0), 1e-15);
}

TEST(DepthCurveBook, ClosedFormMatchesAFineSum) {
  // The mean distance of a fill of q base that starts after c consumed, against the midpoint
  // rule with a million slices of the inverse depth curve δ(u) = 0.05 (u / 50)^(1/e).
  for (const double exponent : {0.5, 1.0, 2.0, 3.0}) {
    DepthCurveBook book = btc_book(exponent);
    made(book.consume(Side::sell, 7.0));
    constexpr double kSize = 20.0;
    constexpr int kSlices = 1'000'000;
    double sum = 0.0;
    for (int i = 0; i < kSlices; ++i) {
      const double u = 7.0 + kSize * (i + 0.5) / kSlices;
      sum += 0.05 * std::pow(u / 50.0, 1.0 / exponent);
    }
    const double numeric = sum / kSlices;
    const Fill fill = made(book.impact(Side::sell, kSize));
    const double closed = 1.0 - fill.average_price / 50'000.0;
    EXPECT_LT(relative(closed, numeric), 1e-9) << exponent;
    EXPECT_LT(relative(1.0 - fill.end_price / 50'000.0, 0.05 * std::pow(27.0 / 50.0, 1.0 / exponent)), 1e-13);
  }
  // Linear depth (e = 1): the mean distance is exact, 0.05 (2c + q) / (2 · 50).
  DepthCurveBook linear = btc_book();
  made(linear.consume(Side::buy, 10.0));
  const Fill fill = made(linear.impact(Side::buy, 20.0));
  EXPECT_LT(relative(fill.average_price, 50'000.0 * (1.0 + 0.05 * 40.0 / 100.0)), 1e-14);
  EXPECT_LT(relative(fill.start_price, 50'000.0 * 1.01), 1e-15);
}

TEST(DepthCurveBook, OrderBiggerThanTheBookIsAnError) {
  DepthCurveBook book = btc_book();
  made(book.consume(Side::sell, 37.5));
  EXPECT_EQ(book.available_base(Side::sell), 12.5);
  EXPECT_EQ(book.available_base(Side::buy), 50.0);  // the other side is untouched
  const Result<Fill> too_big = book.impact(Side::sell, 12.6);
  EXPECT_EQ(error_of(too_big), "book BTC: sell of 12.6 base exceeds the 12.5 base left within 5% of the mid");
  EXPECT_TRUE(book.impact(Side::sell, 12.5).ok());  // the whole rest fills, to the last level
  EXPECT_EQ(made(book.impact(Side::sell, 12.5)).end_price, 50'000.0 * 0.95);
  EXPECT_FALSE(book.consume(Side::sell, 13.0).ok());
  EXPECT_EQ(book.consumed_base(Side::sell), 37.5);  // a failed order consumes nothing
}

TEST(DepthCurveBook, RecoveryAndDepthMultiplier) {
  DepthCurveBook book = btc_book();
  made(book.consume(Side::sell, 40.0));
  made(book.consume(Side::buy, 8.0));
  book.recover(kHour_s);
  EXPECT_LT(relative(book.consumed_base(Side::sell), 20.0), 1e-12);
  EXPECT_LT(relative(book.consumed_base(Side::buy), 4.0), 1e-12);
  // A collapse to 20% of depth (10 base a side) below the 20 consumed leaves the bids empty.
  book.set_depth_multiplier(0.2);
  EXPECT_EQ(book.available_base(Side::sell), 0.0);
  EXPECT_FALSE(book.impact(Side::sell, 0.001).ok());
  EXPECT_LT(relative(book.available_base(Side::buy), 6.0), 1e-12);
  book.set_mid_price(30'000.0);
  EXPECT_LT(relative(made(book.impact(Side::buy, book.available_base(Side::buy))).end_price, 30'000.0 * 1.05), 1e-12);
}

// Sells of 10 BTC reach δ = 5% · 10 / 50 = 1% below the mid, buys of 5 BTC 0.5% above: the
// best bid is 49,500, the best ask 50,250, the touch mid 49,875. The pool's quoted mid is its
// marginal price y / x.
TEST(Venue, QuotedMidIsTheTouchMidOfABookAndThePoolsPrice) {
  Venue book = btc_book();
  EXPECT_EQ(quoted_mid(book), 50'000.0);
  made(consume(book, Side::sell, 10.0));
  made(consume(book, Side::buy, 5.0));
  EXPECT_LT(relative(quoted_mid(book), 49'875.0), 1e-15);
  Venue pool = btc_pool(0.0);
  made(consume(pool, Side::sell, 25.0));  // x = 125, y = 4,000,000
  EXPECT_LT(relative(quoted_mid(pool), 4'000'000.0 / 125.0), 1e-15);
}

TEST(Venue, VariantForwardsToTheModel) {
  std::vector<Venue> venues{btc_pool(), btc_book()};
  for (Venue& venue : venues) {
    const Fill quoted = made(impact(venue, Side::sell, 5.0));
    const Fill done = made(consume(venue, Side::sell, 5.0));
    EXPECT_EQ(quoted.average_price, done.average_price);
    EXPECT_LT(made(impact(venue, Side::sell, 5.0)).average_price, done.average_price);  // depleted
    recover(venue, 1e9);
    EXPECT_LT(relative(made(impact(venue, Side::sell, 5.0)).average_price, done.average_price), 1e-9);
    set_depth_multiplier(venue, 0.5);
    EXPECT_LT(made(impact(venue, Side::sell, 5.0)).average_price, done.average_price);
  }
}

TEST(Liquidity, BadInputNamesTheField) {
  const auto pool_error = [](PoolParams p) { return error_of(ConstantProductPool::make(std::move(p))); };
  EXPECT_EQ(pool_error({"BTC", -1.0, 5e6, 0.003, kHour_s}), "pool BTC: reserve_base = -1: must be > 0");
  EXPECT_EQ(pool_error({"BTC", 100.0, 0.0, 0.003, kHour_s}), "pool BTC: reserve_quote = 0: must be > 0");
  EXPECT_EQ(pool_error({"BTC", 100.0, 5e6, 1.0, kHour_s}), "pool BTC: fee = 1: must be in [0, 1)");
  EXPECT_EQ(pool_error({"BTC", 100.0, 5e6, -0.01, kHour_s}), "pool BTC: fee = -0.01: must be in [0, 1)");
  EXPECT_EQ(pool_error({"BTC", 100.0, 5e6, 0.003, 0.0}), "pool BTC: recovery_half_life_s = 0: must be > 0");
  EXPECT_EQ(pool_error({"BTC", NAN, 5e6, 0.003, kHour_s}), "pool BTC: reserve_base = nan: not finite");
  const auto book_error = [](BookParams p) { return error_of(DepthCurveBook::make(std::move(p))); };
  EXPECT_EQ(book_error({"ETH", 0.0, 50.0, 0.05, 1.0, kHour_s}), "book ETH: mid_price = 0: must be > 0");
  EXPECT_EQ(book_error({"ETH", 3e3, 50.0, 1.0, 1.0, kHour_s}), "book ETH: max_distance = 1: must be below 1");
  EXPECT_EQ(book_error({"ETH", 3e3, 50.0, 0.05, 0.0, kHour_s}), "book ETH: depth_exponent = 0: must be > 0");
  EXPECT_EQ(book_error({"ETH", 3e3, 50.0, 0.05, 1.0, -1.0}), "book ETH: recovery_half_life_s = -1: must be > 0");
  EXPECT_EQ(error_of(btc_pool().impact(Side::sell, 0.0)),
            "pool BTC: sell of 0 base: the size must be positive and finite");
  EXPECT_EQ(error_of(btc_book().impact(Side::buy, -2.0)),
            "book BTC: buy of -2 base: the size must be positive and finite");
  EXPECT_EQ(error_of(btc_pool().impact(Side::buy, 100.0)),
            "pool BTC: buy of 100 base: not below the reserve of 100 base");
}

// ---- The liquidation cascade on a constant-product pool (issue 7, Tests) ----
//
// N identical longs of q base each; long i (1-based) is liquidated when the pool's price falls to
// L_i = p0 / (1 + iΔ)², and its liquidation sells its q base into the pool. An initial forced
// sale of Q0 base starts it.
//
// Threshold, by hand. With no fee, x·y = k holds exactly after any sequence of sales, so after S
// base sold in total the pool holds x + S base and its price is k / (x + S)² = p0 (x / (x + S))².
// Long i is liquidated iff p0 (x / (x + S))² <= p0 / (1 + iΔ)², i.e. iff S >= i·x·Δ: the
// liquidation points are evenly spaced, x·Δ base apart, in sold size. After the shock and k
// liquidations S = Q0 + k·q, so long k + 1 falls iff Q0 + k·q >= (k + 1)·x·Δ.
//   (a) With q >= x·Δ (each liquidation sells at least the spacing): Q0 >= x·Δ gives, by
//       induction, Q0 + k·q >= x·Δ + k·x·Δ for every k, so all N fall; Q0 < x·Δ liquidates
//       nobody. The threshold shock is Q0* = x·Δ.
//   (b) With the shock itself a sale of q (a first forced seller of the same size), the
//       condition is (k + 1)·q >= (k + 1)·x·Δ for every k alike: all or nothing at the depth
//       x* = q / Δ. A pool deeper than x* absorbs the shock; a thinner one cascades to the end.
// The pool's arithmetic rounds within ~1e-15 relative, far inside the tests' 1e-9 margins.
struct Cascade {
  ConstantProductPool pool;
  double step = 0.01;        // Δ
  std::size_t positions = 10;
  double position_base = 12.0;  // q

  // How many longs are liquidated after a shock sale of shock_base.
  std::size_t run(double shock_base) {
    const double start_price = pool.price();
    made(pool.consume(Side::sell, shock_base));
    std::size_t liquidated = 0;
    // Prices only fall and the longs are ordered by liquidation price, highest first.
    while (liquidated < positions) {
      const double spacing = 1.0 + static_cast<double>(liquidated + 1) * step;
      if (pool.price() > start_price / (spacing * spacing)) break;
      made(pool.consume(Side::sell, position_base));
      ++liquidated;
    }
    return liquidated;
  }
};

// 1000 BTC / 50,000,000 USDC at 50,000, no fee (see above).
ConstantProductPool deep_pool() {
  return made(ConstantProductPool::make({"BTC", 1'000.0, 5e7, 0.0, kHour_s}));
}

TEST(LiquidationCascade, ThresholdShock) {
  // x·Δ = 1000 · 0.01 = 10 base; q = 12 >= 10.
  constexpr double kThreshold = 10.0;
  EXPECT_EQ(Cascade{deep_pool()}.run(kThreshold * (1.0 - 1e-9)), 0u);
  EXPECT_EQ(Cascade{deep_pool()}.run(kThreshold * (1.0 + 1e-9)), 10u);
  // Below the threshold nothing at any size; far above it still all, never more than N.
  EXPECT_EQ(Cascade{deep_pool()}.run(1.0), 0u);
  EXPECT_EQ(Cascade{deep_pool()}.run(500.0), 10u);
}

TEST(LiquidationCascade, ThresholdDepth) {
  // q = 10, Δ = 0.01: x* = 1000 base. Depth multipliers just above and below 1 put the pool on
  // either side; the shock is one more sale of q.
  for (const auto& [multiplier, expected] : {std::pair{1.0 + 1e-9, 0u}, std::pair{1.0 - 1e-9, 10u},
                                             std::pair{2.0, 0u}, std::pair{0.5, 10u}}) {
    Cascade cascade{deep_pool()};
    cascade.position_base = 10.0;
    cascade.pool.set_depth_multiplier(multiplier);
    EXPECT_EQ(cascade.run(10.0), expected) << multiplier;
  }
  // With q < x·Δ the cascade stops early: a shock of 10.5 >= 10 liquidates long 1, whose 8 base
  // bring S to 18.5, short of long 2's 20.
  Cascade partial{deep_pool()};
  partial.position_base = 8.0;
  EXPECT_EQ(partial.run(10.5), 1u);
}

}  // namespace
}  // namespace ballast::sim
