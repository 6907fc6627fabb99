#pragma once
// Venue liquidity for the stress simulator (issue 7, item 2): where a liquidation's collateral is
// sold, how much the sale costs, and how the venue recovers afterwards. Two closed models, one
// small interface (a std::variant, like PathModel):
//
//   ConstantProductPool: an x·y = k AMM with a fee (Uniswap v2's getAmountOut / getAmountIn).
//   DepthCurveBook: an order book as a cumulative depth curve around a mid price.
//
// Both are depleted by what trades against them and recover with a half-life: the pool's
// reserves decay toward their calm level, the book's consumed depth decays toward zero (Risk
// DAO's "price recovery time"; crvUSDrisk names static liquidity as its own gap). Both scale
// their depth by the scenario's depth multiplier series (scenarios.hpp), which is how the
// Oct-2025 depth collapse (-98%) reaches them.
//
// Units: sizes are in base units of the asset (_base), amounts in quote units (_quote), prices in
// quote per base, times in seconds (_s); fractions (fee, distance from mid, slippage) are
// dimensionless. Doubles throughout: simulation inputs, not money. Every operation uses IEEE
// +, -, *, /, sqrt and the library's deterministic exp and log (pricing/dmath.hpp), so results
// are the same bits on every x86-64 machine.
//
// Errors: parameters are checked when a model is made (Result, the message naming the asset and
// the field); a trade that the venue cannot fill (bigger than the book, or than the pool's
// reserve on a buy) is a Result error naming the asset, side and size. A depth multiplier or a
// mid price that is not positive is a programmer error (asserted): scenarios check theirs.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

#include "ballast/core/result.hpp"

namespace ballast::sim {

// Sell: the trader gives base and receives quote (a long's collateral liquidated).
// Buy: the trader gives quote and receives base (a short closed).
enum class Side : std::uint8_t { sell, buy };

const char* side_name(Side side) noexcept;

struct Fill {
  double size_base = 0.0;     // traded size
  double amount_quote = 0.0;  // received on a sell, paid on a buy (fees included)
  double start_price = 0.0;   // the venue's marginal price on this side before the trade
  double average_price = 0.0;  // amount_quote / size_base
  double end_price = 0.0;     // the marginal price after the trade

  // |average / start - 1|: what the size cost beyond the touch.
  double slippage() const;
  // |end / start - 1|: how far the trade moved the venue's price.
  double price_impact() const;
};

// The factor by which a gap decays over dt_s at a half-life: 2^(-dt_s / half_life_s), computed
// as exp(-ln 2 · dt / h) with the deterministic exp (within 1 ulp of 1/2 at dt = h). The
// venues' recovery and the EMA oracle (oracle_model.hpp) both use it.
double half_life_decay(double dt_s, double half_life_s);

// Parameter checks shared by the venue and oracle models: each value finite and > 0 (positive),
// >= 0 (non_negative), or in [0, 1) (unit_interval). The first failure is the error,
// "<owner>: <field> = <value>: must be > 0".
enum class ParamBound : std::uint8_t { positive, non_negative, unit_interval };
struct ParamCheck {
  const char* field;
  double value;
  ParamBound bound;
};
Outcome check_parameters(std::string_view owner, std::initializer_list<ParamCheck> checks);

struct PoolParams {
  std::string asset;               // names the pool in error messages
  double reserve_base = 0.0;       // > 0, the calm reserves
  double reserve_quote = 0.0;      // > 0; calm price = reserve_quote / reserve_base
  double fee = 0.0;                // [0, 1), taken from the input and left in the pool
  double recovery_half_life_s = 0.0;  // > 0
};

class ConstantProductPool {
 public:
  static Result<ConstantProductPool> make(PoolParams params);

  const std::string& asset() const { return asset_; }
  double reserve_base() const { return reserve_base_; }
  double reserve_quote() const { return reserve_quote_; }
  double calm_reserve_base() const { return calm_base_ * multiplier_; }
  double calm_reserve_quote() const { return calm_quote_ * multiplier_; }
  double price() const { return reserve_quote_ / reserve_base_; }  // quote per base

  // The trade of size_base against the pool as it is now; the pool does not move. A sell of any
  // positive size fills (the curve never runs out); a buy must be below the base reserve.
  Result<Fill> impact(Side side, double size_base) const;
  // The same trade, done: the reserves move (the whole input, fee included, stays in the pool,
  // so k never falls).
  Result<Fill> consume(Side side, double size_base);
  // Each reserve's gap to its calm level shrinks by half_life_decay(dt_s): never overshoots.
  void recover(double dt_s);
  // Calm reserves become the made ones times m (> 0); the current reserves scale by
  // m / previous m, as when LPs withdraw or add pro rata: the pool's price does not move.
  void set_depth_multiplier(double m);
  // Re-centres the calm reserves on price_quote_per_base (> 0) at the same calm liquidity
  // sqrt(x·y): the pool itself then drifts there at the recovery half-life, which models the
  // arbitrage that keeps an AMM near the market.
  void set_mid_price(double price_quote_per_base);

  // The size whose trade moves the pool's marginal price by `fraction` (down for a sell, in
  // (0, 1); up for a buy, > 0), in closed form. With g = 1 - fee and u = size / reserve_base:
  //   sell: price x²/((x + g·Δ)(x + Δ)) · p = (1 - s) p  =>  g u² + (1 + g) u - c = 0, c = s/(1-s)
  //   buy:  p' / p = (g (1 - u) + u) / (g (1 - u)²) = 1 + s  =>  a u² - (2a + fee) u + g s = 0,
  //         a = g (1 + s), the smaller root.
  // Each root is taken as 2c / (b + sqrt(b² ± 4ac)), which does not cancel for small s.
  Result<double> size_for_price_move(Side side, double fraction) const;

 private:
  std::string asset_;
  double reserve_base_ = 0.0;
  double reserve_quote_ = 0.0;
  double calm_base_ = 0.0;   // at multiplier 1
  double calm_quote_ = 0.0;
  double multiplier_ = 1.0;
  double fee_ = 0.0;
  double half_life_s_ = 0.0;
};

// Cumulative depth on each side of the mid: D(δ) = multiplier · depth_base · (δ / max_distance)^e
// base units within a relative distance δ of the mid, up to max_distance, where the side ends.
// e = 1 is depth spread evenly over price; e > 1 puts it further out (thin touch), e < 1 near
// the mid. A market order of q base that starts where c base of the side are already consumed
// fills the slice [c, c + q] of the curve; the distance at cumulative depth u is its inverse
// δ(u) = max_distance · (u / D)^(1/e), D = multiplier · depth_base, and the average distance is
// the integral, in closed form with r = 1 + 1/e:
//   mean δ = max_distance · D / (q · r) · ((b)^r - (a)^r),   a = c / D,  b = (c + q) / D.
// A sell fills at mid · (1 - δ), a buy at mid · (1 + δ).
struct BookParams {
  std::string asset;
  double mid_price = 0.0;        // > 0, quote per base
  double depth_base = 0.0;       // > 0: each side's depth out to max_distance at multiplier 1
  double max_distance = 0.0;     // (0, 1): the book's last level, as a fraction of the mid
  double depth_exponent = 1.0;   // > 0
  double recovery_half_life_s = 0.0;  // > 0: consumed depth refills at this half-life
};

class DepthCurveBook {
 public:
  static Result<DepthCurveBook> make(BookParams params);

  const std::string& asset() const { return asset_; }
  double mid_price() const { return mid_; }
  // Base units of the side that trades against `side` (a sell consumes bids) still in the book.
  double available_base(Side side) const;
  double consumed_base(Side side) const { return consumed_[index(side)]; }

  // The market order as the book is now; an error if it is bigger than available_base.
  Result<Fill> impact(Side side, double size_base) const;
  // The same order, done: its size is consumed from that side.
  Result<Fill> consume(Side side, double size_base);
  // Consumed depth on each side shrinks by half_life_decay(dt_s).
  void recover(double dt_s);
  // Depth becomes depth_base · m (> 0). Consumed depth stays in base units: a collapse below
  // what was consumed leaves the side empty until it recovers.
  void set_depth_multiplier(double m);
  // The market's mid (> 0); depth and consumption are relative to it.
  void set_mid_price(double price_quote_per_base);
  // The middle of the best bid and the best ask, each where its side's consumed depth ends:
  // mid · (1 + (δ(consumed buy) − δ(consumed sell)) / 2). Sells that ate into the bids lower
  // it, buys raise it; it returns to the mid as the depth recovers.
  double touch_mid() const;

 private:
  static std::size_t index(Side side) { return side == Side::sell ? 0 : 1; }
  double depth() const { return depth_base_ * multiplier_; }
  // Distance from the mid at cumulative depth u of a side, u in [0, depth()].
  double distance_at(double u) const;
  double price_at(Side side, double distance) const;

  std::string asset_;
  double mid_ = 0.0;
  double depth_base_ = 0.0;
  double max_distance_ = 0.0;
  double inverse_exponent_ = 1.0;  // 1 / e
  double multiplier_ = 1.0;
  double half_life_s_ = 0.0;
  double consumed_[2] = {0.0, 0.0};  // sell side (bids), buy side (asks)
};

using Venue = std::variant<ConstantProductPool, DepthCurveBook>;

Result<Fill> impact(const Venue& venue, Side side, double size_base);
Result<Fill> consume(Venue& venue, Side side, double size_base);
void recover(Venue& venue, double dt_s);
void set_depth_multiplier(Venue& venue, double m);
void set_mid_price(Venue& venue, double price_quote_per_base);
// The venue's quoted mid, what its market marks at: the pool's marginal price, the book's
// touch_mid(). Trades against the venue move it.
double quoted_mid(const Venue& venue);

}  // namespace ballast::sim
