#pragma once
// Market price paths for the stress simulator (issue 7, item 1): correlated GBM, Merton
// jump-diffusion, GARCH(1,1), circular block bootstrap from historical returns, and scripted
// Brownian bridges through target prices. Doubles throughout: these are simulation inputs, not
// money; to_price converts for the engine.
//
// Layout: step-major, [step][asset]. The value of asset a at step t sits at t * assets + a, so
// one step's prices for every asset are contiguous: the engine-driving loop reads a row, turns it
// into oracle events and moves on; and the correlated draws of one step (one Cholesky product)
// fill one row. Log returns have `steps` rows (row t: from time t to t + 1); prices have
// `steps + 1` rows, row 0 the start prices, row t the price at time t * dt.
//
// Randomness (DESIGN principle 2): only CounterRng, keyed by PathKey. Each kind of draw (the
// diffusion normals, the jump counts, the jump sizes, the bootstrap's block starts) has its own
// Philox stream, stream_id(key, kind), and within it draw i is the i-th 64-bit word with
// i = step * assets + asset (block starts: i = block). Each (step, asset) takes exactly one draw
// of each kind it needs, so a path is a pure function of (seed, scenario, path): independent of
// thread count, of which paths are generated alongside it and in what order. The streams do not
// depend on model parameters either, so two parameter sets see the same shocks (common random
// numbers): differences between them are the parameters', not the noise's.
//
// Normals come from one uniform each by the inverse normal CDF (Wichura's AS241, relative error
// about 1e-16), with the library's deterministic log: no std::normal_distribution, whose output
// differs between standard libraries, and no rejection, which would make the number of draws per
// normal random.
//
// Errors: parameters are validated once, when a model is made (Result, a message naming the
// field and the asset or entry); buffer sizes are the caller's contract (asserted).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ballast/core/fixed.hpp"
#include "ballast/core/result.hpp"

namespace ballast::sim {

// Crypto trades every day: annual rates and vols are per 365 days.
inline constexpr double kSecondsPerYear = 365.0 * 86'400.0;

struct PathKey {
  std::uint64_t seed = 0;
  std::uint64_t scenario = 0;
  std::uint64_t path = 0;
};

// oracle_noise: the multi-source median oracle's per-source noise (oracle_model.hpp).
enum class DrawKind : std::uint8_t { diffusion = 1, jump_count = 2, jump_size = 3, block_start = 4, oracle_noise = 5 };

// The Philox stream of one kind of draw of one path: a 64-bit mix of (scenario, path, kind).
// Two different keys share a stream with probability about 2^-64.
std::uint64_t stream_id(const PathKey& key, DrawKind kind);

// The standard normal quantile of p in (0, 1) (AS241); deterministic to the bit.
double normal_quantile(double p);

// Draw `index` of the key's stream of `kind`, mapped to a uniform in the open interval (0, 1).
double uniform_draw(const PathKey& key, DrawKind kind, std::uint64_t index);

// Converts a simulated price to the engine's fixed point, rounded to the nearest 1e-9 (ties
// up). Rejects a non-finite or non-positive value, one that rounds to 0, and one above Price's
// range.
Result<Price> to_price(double value);

// A correlation matrix as its lower Cholesky factor L (L L^T = C), so that L z turns independent
// standard normals z into correlated ones.
class Correlation {
 public:
  // rho: n x n, row-major; empty means independence (identity). Checked: size, finite entries,
  // unit diagonal, symmetry (exact), |rho| <= 1, positive definite.
  static Result<Correlation> make(std::size_t assets, std::span<const double> rho);

  std::size_t assets() const { return assets_; }
  // Overwrites the n normals in z with L z.
  void correlate(std::span<double> z) const;

 private:
  std::size_t assets_ = 0;
  bool identity_ = true;
  std::vector<double> lower_;  // n x n row-major; entries above the diagonal are 0
};

struct GbmParams {
  std::vector<double> drift_annual;  // mu: d ln S = (mu - sigma^2/2) dt + sigma dW; one per asset
  std::vector<double> vol_annual;    // sigma >= 0, one per asset
  std::vector<double> correlation;   // n x n row-major, or empty for independent assets
};

class Gbm {
 public:
  static Result<Gbm> make(const GbmParams& params, double dt_s);

  std::size_t assets() const { return correlation_.assets(); }
  // out: steps x assets log returns.
  void log_returns(const PathKey& key, std::size_t steps, std::span<double> out) const;

 private:
  Correlation correlation_;
  std::vector<double> drift_step_;  // (mu - sigma^2/2) dt
  std::vector<double> vol_step_;    // sigma sqrt(dt)
};

// Merton jump-diffusion: d ln S = (mu - sigma^2/2 - lambda kappa) dt + sigma dW + dJ, with
// Poisson(lambda) jump times and N(mean_log, std_log^2) log jumps, kappa = E[e^J - 1]; the drift
// compensation keeps mu the expected rate of return with jumps included.
struct MertonParams {
  GbmParams diffusion;
  std::vector<double> jump_intensity_annual;  // lambda >= 0, one per asset
  std::vector<double> jump_mean_log;          // one per asset
  std::vector<double> jump_std_log;           // >= 0, one per asset
  // Common jumps: one jump count per step for every asset (the draw of asset 0; all intensities
  // must be equal) and one standard normal for their sizes, so a crash hits every asset at once,
  // each by its own mean and std.
  bool common_jumps = false;
};

class Merton {
 public:
  static Result<Merton> make(const MertonParams& params, double dt_s);

  std::size_t assets() const { return diffusion_.assets(); }
  // out: steps x assets log returns. jump_counts: empty, or steps x assets jumps per step.
  void log_returns(const PathKey& key, std::size_t steps, std::span<double> out,
                   std::span<std::uint32_t> jump_counts = {}) const;

 private:
  Gbm diffusion_;  // its drift includes -lambda kappa
  std::vector<double> jump_rate_step_;  // lambda dt
  std::vector<double> no_jump_probability_;  // e^(-lambda dt)
  std::vector<double> jump_mean_log_;
  std::vector<double> jump_std_log_;
  bool common_jumps_ = false;
};

// GARCH(1,1) returns with constant conditional correlation: r_t = sqrt(h_t) (L z_t)_a,
// h_{t+1} = omega + alpha r_t^2 + beta h_t, h_0 = omega / (1 - alpha - beta) (the unconditional
// variance, so a path starts in the model's long-run state). Parameters are per step: GARCH is
// fitted at one sampling frequency and does not rescale to another.
struct GarchParams {
  std::vector<double> omega_per_step;  // > 0, one per asset
  std::vector<double> alpha;           // >= 0
  std::vector<double> beta;            // >= 0, alpha + beta < 1
  std::vector<double> correlation;     // n x n row-major, or empty
};

class Garch {
 public:
  static Result<Garch> make(const GarchParams& params);

  std::size_t assets() const { return correlation_.assets(); }
  double unconditional_variance(std::size_t asset) const;
  void log_returns(const PathKey& key, std::size_t steps, std::span<double> out) const;

 private:
  Correlation correlation_;
  std::vector<double> omega_;
  std::vector<double> alpha_;
  std::vector<double> beta_;
};

// Historical log returns, one column per asset: [row][asset].
struct ReturnTable {
  std::vector<std::string> symbols;
  std::size_t rows = 0;
  std::vector<double> log_returns;
};

// A header row of symbols, then one row of log returns per line, comma-separated. Errors name
// the source, the line and the column: "btc.csv:7: column 2 (ETH): 'x' is not a number".
Result<ReturnTable> parse_returns_csv(std::string_view text, std::string_view source_name);
Result<ReturnTable> load_returns_csv(const std::string& path);

// Circular block bootstrap: the path is made of blocks of block_steps consecutive table rows,
// each starting at a uniformly drawn row and wrapping from the last row to the first. Whole rows
// are copied, so the cross-asset dependence of each day is kept; blocks keep volatility
// clustering up to their length.
class BlockBootstrap {
 public:
  static Result<BlockBootstrap> make(ReturnTable table, std::size_t block_steps);

  std::size_t assets() const { return table_.symbols.size(); }
  const ReturnTable& table() const { return table_; }
  void log_returns(const PathKey& key, std::size_t steps, std::span<double> out) const;

 private:
  ReturnTable table_;
  std::size_t block_steps_ = 0;
};

// A point a scripted series passes through: at `step`, `value` (a price as a multiple of the
// start price, or a depth multiplier).
struct Knot {
  std::size_t step = 0;
  double value = 0.0;
};

// Scripted paths: each asset's log price follows a Brownian bridge from knot to knot (its noise
// the GBM vol, correlated across assets, pinned to zero at every knot) and, after its last knot,
// a free GBM with the given drift and vol: "recovery or not" is a further knot or none.
// Steps strictly increasing from >= 1, values positive and finite; errors name field[k].
Outcome check_knots(std::string_view field, std::span<const Knot> knots);

struct BridgeParams {
  std::vector<std::vector<Knot>> knots;  // per asset; steps strictly increasing from >= 1, values > 0
  GbmParams noise;
};

class Bridge {
 public:
  static Result<Bridge> make(const BridgeParams& params, double dt_s);

  std::size_t assets() const { return noise_.assets(); }
  // The last knot's step: a path must be at least this long (asserted).
  std::size_t min_steps() const;
  // prices: (steps + 1) x assets. A knot's price is written as start * value, so a path hits
  // each target exactly.
  void prices(const PathKey& key, std::size_t steps, std::span<const double> start_prices,
              std::span<double> prices) const;

 private:
  void bridge_asset(std::size_t asset, double start_price, std::size_t steps, std::span<double> prices) const;

  Gbm noise_;
  std::vector<std::vector<Knot>> knots_;
};

using PathModel = std::variant<Gbm, Merton, Garch, BlockBootstrap, Bridge>;

std::size_t model_assets(const PathModel& model);

// Any model's prices: (steps + 1) x assets, row 0 the start prices (> 0).
void generate_prices(const PathModel& model, const PathKey& key, std::size_t steps,
                     std::span<const double> start_prices, std::span<double> prices);

// Prices from log returns: row 0 = start, row t + 1 = row t * exp(log return of step t).
void prices_from_log_returns(std::span<const double> start_prices, std::span<const double> log_returns,
                             std::span<double> prices);

// Paths path_ids[i] of one scenario, one after another in out (each (steps + 1) x assets): what a
// worker thread does with its share of paths. Each equals the path generated alone.
void generate_batch(const PathModel& model, std::uint64_t seed, std::uint64_t scenario,
                    std::span<const std::uint64_t> path_ids, std::size_t steps,
                    std::span<const double> start_prices, std::span<double> out);

}  // namespace ballast::sim
