#pragma once
// Internal state of RiskMatrix, shared by risk_matrix.cpp (build, pre-trade) and
// attribution.cpp. Not part of the public API.

#include <cstdint>
#include <span>
#include <vector>

#include "ballast/portfolio/risk_matrix.hpp"
#include "ballast/pricing/black_batch.hpp"

namespace ballast::portfolio::detail {

inline constexpr std::uint32_t kNone = UINT32_MAX;

// One repricing of an underlying's options: a spot move and a vol level.
struct Point {
  double move = 0;
  VolLevel level = VolLevel::none;
};

// Per-expiry constants of the market and the model.
struct ExpiryConst {
  double years = 0;
  double forward = 0;
  double discount = 1;          // e^(-rate years)
  double vol_factor = 1;        // (30 / DTE)^p
  double positive_factor = 1;   // static discount on a positive shocked value
  double negative_factor = 1;   // ... on a negative one
  double basis_factor = 0;
  double roll_rate = 0;
};

enum class GroupKind : std::uint8_t { expiry, perpetual, spot };

// Sums over a group's positions, each in id order.
struct Partials {
  double linear = 0;         // sum size x price: the P&L of futures, perps and spot per unit move
  double delta = 0;          // quote money per unit relative move
  double mark = 0;           // options at the base point plus spot collateral
  double naked = 0;          // sum max(0, -size) x spot over options
  double perp_notional = 0;  // sum |size| x spot over perpetuals
  double collateral = 0;     // sum |size| x spot over spot collateral
  double liquidity = 0;      // sum of close-out costs
  std::uint32_t nonzero = 0; // positions with size != 0
};

struct Group {
  std::uint32_t underlying = 0;
  GroupKind kind = GroupKind::expiry;
  std::uint32_t expiry = 0;
  std::vector<std::uint32_t> members;  // position indices in id order
  std::vector<double> value;           // expiry groups: sum size x unit value at each point
  Partials partials;
};

// An option's pricing inputs that do not change across points.
struct OptionRow {
  pricing::OptionKind kind = pricing::OptionKind::call;
  double strike = 0;
  double years = 0;
  double discount = 1;
  double forward = 0;
  double sigma = 0;          // the base vol (surface or the position's own)
  double vol_factor = 1;
  double log_moneyness = 0;  // ln(K / F)
};

struct UnderlyingState {
  std::vector<Point> points;                  // 0 is the base point (no move, no vol shock)
  std::vector<std::uint32_t> scenario_point;  // per own scenario
  std::uint32_t basis_up = kNone;
  std::uint32_t basis_down = kNone;
  std::vector<std::uint32_t> leader_offset;   // per leader underlying: start in partner_point
  std::vector<std::uint32_t> partner_point;   // [leader][leader's scenario] -> point
  std::vector<ExpiryConst> expiries;
  std::vector<std::uint32_t> groups;          // expiry groups in expiry order, perpetual, spot
  std::vector<OptionRow> rows;                // options in row order
  std::vector<double> units;                  // rows x points: value per unit size
  std::vector<double> row_delta;              // per row, when roll or delta liquidity needs it
  bool needs_delta = false;
};

// Black-76 input and output columns, reused across builds. For the grid (price_rows), `vol` is
// the rows x points matrix of vols, option-major.
struct PricingColumns {
  std::vector<pricing::OptionKind> kind;
  std::vector<double> forward, strike, years, discount, vol, price;
  std::vector<double> vol_levels;    // sticky strike: rows x 5 levels, option-major
  std::vector<std::uint8_t> point_level;  // per point: its vol level
  std::vector<double> base_forward;  // each row's unshocked forward
  std::vector<double> scale;         // per point: 1 + move, the factor on every forward
  void resize(std::size_t n);
  pricing::Black76Columns view(std::size_t n) const;
};

struct PositionInfo {
  std::uint32_t group = 0;
  std::uint32_t row = kNone;
  double delta_unit = 0;  // quote money per unit size per unit relative move
};

// A position as a group aggregates it (pre-trade substitutes the order's leg).
struct MemberRef {
  const Position* position = nullptr;
  double size = 0;
  const double* row = nullptr;  // options: unit values at every point
  double delta_unit = 0;
};

struct UnderlyingSummary {
  std::vector<double> pnl;  // per own scenario
  double basis = 0;
  double worst_loss = 0;
  Worst worst;
  bool active = false;
  double delta = 0;
  double mark = 0;
};

struct Summary {
  std::vector<UnderlyingSummary> underlyings;
  MarginReport report;
};

// The groups a summary reads: the matrix's own, with at most one replaced (pre-trade).
struct GroupsView {
  std::span<const Group> groups;
  std::uint32_t replaced = kNone;
  const Group* replacement = nullptr;
  const Group& operator[](std::uint32_t g) const { return g == replaced ? *replacement : groups[g]; }
};

// Options P&L of a group at a point (Derive's static discount and skew sign rules), weighted.
double group_options_pnl(const UnderlyingConfig& config, const ExpiryConst* expiry, const Group& group,
                         std::uint32_t point, double weight, bool skew);
// The underlying's P&L at a point: its groups' options and linear P&L, in group order.
double underlying_pnl(const Model& model, std::uint32_t u, const UnderlyingState& state,
                      const GroupsView& groups, std::uint32_t point, double weight, bool skew);
// Derive's basis floor of one group (0 for groups without options or when disabled).
double group_basis(const UnderlyingConfig& config, const UnderlyingState& state, const Group& group);
// Per-group roll rate: the expiry's, min_move for perpetuals, 0 for spot.
double group_roll_rate(const UnderlyingConfig& config, const UnderlyingState& state, const Group& group);
// Deribit's delta-liquidity rate for an underlying's |net delta|.
double delta_liquidity_rate(const DeltaLiquidity& params, double abs_delta);
// |q| S (half_spread + impact sqrt(|q| / depth)).
double close_out_cost(const Liquidity& liquidity, double size, double spot);
// Gains offset losses in a joint scenario: sum of losses - min(gain_weight x gains,
// max_offset x losses). `losses` holds one signed loss per underlying (positive: a loss).
double joint_loss(const CrossLimits& limits, std::span<const double> losses);

}  // namespace ballast::portfolio::detail

namespace ballast::portfolio {

struct RiskMatrix::State {
  MarketState market;
  std::vector<Position> positions;
  std::vector<detail::PositionInfo> info;
  std::vector<detail::Group> groups;
  std::vector<detail::UnderlyingState> underlyings;
  detail::Summary summary;
  detail::PricingColumns columns;
  // Scratch of build(), kept to avoid allocating once grown.
  std::vector<char> active;
  std::vector<double> losses;
  std::vector<detail::MemberRef> members;
};

}  // namespace ballast::portfolio
