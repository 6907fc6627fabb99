#pragma once
// The portfolio-margin calculator: a risk matrix of scenario values per position, its margin
// report, each position's contribution to it, and an incremental pre-trade check.
//
// build() prices every option of the portfolio once per scenario point with the batch Black-76
// kernel (pricing/black_batch.hpp) and keeps each option's vector of unit values: the risk
// matrix. Everything after pricing is a function of per-group aggregates (an expiry's options and
// futures, the perpetuals, the spot collateral of one underlying), so the pre-trade check prices
// only the new leg and recomputes only its group; it returns exactly (bit for bit) what build()
// gives for the portfolio after the trade.
//
// Money results are fixed point rounded in the protocol's favour: requirements up, the mark value
// down. Business rejections (a bad position, a market that does not fit) are PmStatus values;
// programmer errors assert. The same inputs give the same bits: every sum runs in a fixed order
// (positions in id order within their group, groups in expiry order, underlyings in config order).

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "ballast/core/fixed.hpp"
#include "ballast/portfolio/model.hpp"
#include "ballast/pricing/black.hpp"
#include "ballast/pricing/surface.hpp"

namespace ballast::portfolio {

// ---- Inputs -------------------------------------------------------------------------------------

struct ExpiryMarket {
  double years = 0;    // ACT/365 time to expiry, >= 0
  double forward = 0;  // the expiry's forward (or future) price, > 0
  double rate = 0;     // continuously compounded, discount = e^(-rate years)
};

struct UnderlyingMarket {
  double spot = 0;
  std::vector<ExpiryMarket> expiries;  // strictly increasing years
  // When set, options are priced at the surface's vol for their strike and expiry (and
  // sticky_moneyness reads it at the moved forward); otherwise at each position's own vol.
  std::optional<pricing::VolSurface> surface;
};

struct MarketState {
  std::vector<UnderlyingMarket> underlyings;  // one per configured underlying, in config order
};

enum class Product : std::uint8_t { option, future, perpetual, spot };

// One holding. Options: kind, strike, expiry (index into the underlying's market expiries),
// vol (the mark implied vol, used when the market has no surface). Futures: expiry and price
// (their mark). Perpetuals: price. Spot: coin collateral of the underlying, valued at the spot.
// size is signed, in units of the underlying.
struct Position {
  std::uint64_t id = 0;
  std::uint32_t underlying = 0;
  Product product = Product::option;
  pricing::OptionKind kind = pricing::OptionKind::call;
  std::uint32_t expiry = 0;
  double strike = 0;
  double size = 0;
  double price = 0;
  double vol = 0;
  Liquidity liquidity;
};

// Business rejections, in precedence order (the first that applies is reported).
enum class PmStatus : std::uint8_t {
  ok,
  market_invalid,      // not one market per underlying; a spot, forward, rate or expiry out of range
  ids_not_increasing,  // positions must come sorted by id, each id once
  underlying_unknown,
  expiry_unknown,     // an option or future names an expiry its underlying's market lacks
  size_invalid,       // not finite
  strike_invalid,     // options: positive and finite
  price_invalid,      // futures and perpetuals: positive and finite
  vol_invalid,        // options without a surface: non-negative and finite; or no surface vol
  liquidity_invalid,  // a negative or non-finite field, or impact without depth
  order_mismatch,     // a pre-trade order's id names a position of another instrument
  overflow,           // a requirement beyond Money's range
};

const char* pm_status_name(PmStatus status) noexcept;

// ---- Outputs ------------------------------------------------------------------------------------

enum class AddOn : std::uint8_t { naked_short, perpetual, haircut, roll, delta_liquidity, liquidity };
inline constexpr std::size_t kAddOnCount = 6;
const char* add_on_name(AddOn add_on) noexcept;

struct Amounts {
  double initial = 0;
  double maintenance = 0;
};

// Where the scenario loss comes from. scenario: leader underlying `underlying` in its scenario
// `scenario`, the other underlyings at their conditional moves; basis: that underlying's basis
// floor; floor: (1 - max_offset) x the no-offset sum.
enum class WorstKind : std::uint8_t { none, scenario, basis, floor };

struct Worst {
  WorstKind kind = WorstKind::none;
  std::uint32_t underlying = 0;
  std::uint32_t scenario = 0;
};

struct MarginReport {
  Money initial;      // requirement, rounded up
  Money maintenance;  // requirement, rounded up
  Money value;        // options at their mark plus spot collateral, rounded down
  double initial_amount = 0;
  double maintenance_amount = 0;
  double scenario_loss = 0;   // the worst loss across underlyings, >= 0
  double no_offset_loss = 0;  // the sum of the per-underlying worst losses
  double mark_value = 0;
  Worst worst;
  std::array<Amounts, kAddOnCount> add_ons{};
};

struct UnderlyingRisk {
  bool active = false;     // holds a position of non-zero size
  double worst_loss = 0;   // over its own scenarios and basis floor, >= 0
  Worst worst;             // scenario or basis of this underlying; none when worst_loss is 0
  // Quote money per unit relative move; options count only when the model's roll or delta
  // liquidity add-on needs their deltas (the Greeks are not computed otherwise).
  double net_delta = 0;
  double mark_value = 0;
};

enum class Requirement : std::uint8_t { initial, maintenance };

struct Contribution {
  std::uint64_t id = 0;
  Money amount;       // the contributions sum exactly to the requirement
  double exact = 0;   // the Euler contribution before rounding
};

class Workspace;

// ---- The calculator -----------------------------------------------------------------------------

class RiskMatrix {
 public:
  // The model must outlive the matrix.
  explicit RiskMatrix(const Model& model);
  ~RiskMatrix();
  RiskMatrix(RiskMatrix&&) noexcept;
  RiskMatrix& operator=(RiskMatrix&&) noexcept;

  // Prices and aggregates the portfolio. On a rejection the matrix is left empty: no positions,
  // an all-zero report, no underlyings (underlying_risk and scenario_pnl must not be called).
  PmStatus build(const MarketState& market, std::span<const Position> positions);

  const MarginReport& report() const noexcept;
  std::span<const Position> positions() const noexcept;
  UnderlyingRisk underlying_risk(std::size_t u) const;
  // The P&L of each of u's scenarios (weighted, Derive's discount and skew rules applied).
  std::span<const double> scenario_pnl(std::size_t u) const;

  // The report after adding `order` (a position whose size is the change): its id names an
  // existing position of the same instrument (sizes add) or a new one (inserted in id order).
  // Prices only the new leg and recomputes only its group, unless it is the first position in
  // an underlying (then the whole portfolio is rebuilt in the workspace).
  PmStatus pre_trade(const Position& order, Workspace& workspace, MarginReport& out) const;

  // Each position's Euler contribution to the requirement (scenario loss and add-ons), in
  // position order, as Money summing exactly to the report's requirement: each amount rounded
  // down, the remaining units to the position with the largest |contribution| (the first one
  // on a tie).
  void attribution(Requirement kind, std::vector<Contribution>& out) const;

  struct State;

 private:
  const Model* model_;
  std::unique_ptr<State> state_;
};

// Scratch for pre_trade (one per thread); reused across calls so the check does not allocate
// once its buffers have grown.
class Workspace {
 public:
  Workspace();
  ~Workspace();
  Workspace(Workspace&&) noexcept;
  Workspace& operator=(Workspace&&) noexcept;

  struct Scratch;

 private:
  friend class RiskMatrix;
  std::unique_ptr<Scratch> scratch_;
};

}  // namespace ballast::portfolio
