#include "ballast/sim/paths.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <system_error>

#include "ballast/core/assert.hpp"
#include "ballast/core/random.hpp"
#include "ballast/pricing/dmath.hpp"

namespace ballast::sim {
namespace {

namespace dmath = pricing::dmath;

// The splitmix64 finalizer: a bijection on 64-bit words that spreads every input bit.
std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

// The top 53 bits plus half a unit: never 0 or 1, so the normal quantile stays finite.
double open_uniform(std::uint64_t word) {
  return (static_cast<double>(word >> 11) + 0.5) * 0x1.0p-53;
}

double normal_at(const CounterRng& rng, std::uint64_t index) {
  return normal_quantile(open_uniform(rng.at(index)));
}

std::string number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

Error invalid(std::string message) {
  return make_error(ErrorCode::invalid_input, std::move(message));
}

enum class Bound : std::uint8_t { any, non_negative, positive };

// One value per asset, each finite and within the bound; the message names field and asset.
Outcome check_per_asset(std::string_view field, std::span<const double> values, std::size_t assets, Bound bound) {
  if (values.size() != assets) {
    return invalid(std::string(field) + ": " + std::to_string(values.size()) + " values for " +
                   std::to_string(assets) + " assets");
  }
  for (std::size_t a = 0; a < assets; ++a) {
    const double v = values[a];
    const char* broken = !std::isfinite(v)                               ? "not finite"
                         : bound == Bound::non_negative && v < 0.0       ? "must be >= 0"
                         : bound == Bound::positive && !(v > 0.0)        ? "must be > 0"
                                                                         : nullptr;
    if (broken != nullptr) {
      return invalid(std::string(field) + "[" + std::to_string(a) + "] = " + number(v) + ": " + broken);
    }
  }
  return Ok{};
}

Outcome check_dt(double dt_s) {
  if (!std::isfinite(dt_s) || !(dt_s > 0.0)) {
    return invalid("dt_s = " + number(dt_s) + ": must be a positive number of seconds");
  }
  return Ok{};
}

// Independent normals at draw indices step * n + asset, then L z row by row.
void correlated_normals(const Correlation& correlation, const PathKey& key, std::size_t steps,
                        std::span<double> out) {
  const std::size_t n = correlation.assets();
  BALLAST_ASSERT(out.size() == steps * n);
  const CounterRng rng(key.seed, stream_id(key, DrawKind::diffusion));
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = normal_at(rng, i);
  }
  for (std::size_t t = 0; t < steps; ++t) {
    correlation.correlate(out.subspan(t * n, n));
  }
}

// Jumps in one step for a Poisson(rate) variable, by inversion of the uniform u: the smallest k
// with P(N <= k) >= u. no_jump = e^-rate, computed once per model. The sum stops growing once a
// term no longer changes it (rate <= 10, so within about 40 terms); what is left is below double
// resolution.
std::uint32_t poisson_count(double u, double rate, double no_jump) {
  double term = no_jump;
  double cdf = term;
  std::uint32_t k = 0;
  while (u > cdf) {
    ++k;
    term *= rate / static_cast<double>(k);
    const double next = cdf + term;
    if (next == cdf) {
      break;
    }
    cdf = next;
  }
  return k;
}

std::string field_at(std::string_view source, std::size_t line) {
  return std::string(source) + ":" + std::to_string(line);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t begin = 0;
  while (true) {
    const std::size_t comma = line.find(',', begin);
    fields.push_back(trim(line.substr(begin, comma == std::string_view::npos ? std::string_view::npos : comma - begin)));
    if (comma == std::string_view::npos) {
      return fields;
    }
    begin = comma + 1;
  }
}

Outcome parse_header(std::string_view line, const std::string& where, ReturnTable& table) {
  const std::vector<std::string_view> fields = split_fields(line);
  for (std::size_t c = 0; c < fields.size(); ++c) {
    const std::string column = "column " + std::to_string(c + 1);
    if (fields[c].empty()) {
      return invalid(where + ": " + column + ": empty symbol in the header row");
    }
    for (std::size_t earlier = 0; earlier < c; ++earlier) {
      if (fields[earlier] == fields[c]) {
        return invalid(where + ": " + column + ": symbol '" + std::string(fields[c]) + "' repeats column " +
                       std::to_string(earlier + 1));
      }
    }
    table.symbols.emplace_back(fields[c]);
  }
  return Ok{};
}

Outcome parse_row(std::string_view line, const std::string& where, ReturnTable& table) {
  const std::vector<std::string_view> fields = split_fields(line);
  if (fields.size() != table.symbols.size()) {
    return invalid(where + ": " + std::to_string(fields.size()) + " fields, the header has " +
                   std::to_string(table.symbols.size()));
  }
  for (std::size_t c = 0; c < fields.size(); ++c) {
    double value = 0.0;
    const char* end = fields[c].data() + fields[c].size();
    const auto [stop, error] = std::from_chars(fields[c].data(), end, value);
    const char* broken = error != std::errc{} || stop != end || fields[c].empty() ? "is not a number"
                         : !std::isfinite(value)                                 ? "is not finite"
                                                                                 : nullptr;
    if (broken != nullptr) {
      return invalid(where + ": column " + std::to_string(c + 1) + " (" + table.symbols[c] + "): '" +
                     std::string(fields[c]) + "' " + broken);
    }
    table.log_returns.push_back(value);
  }
  ++table.rows;
  return Ok{};
}

// Bridges write prices; the other models write log returns into rows 1..steps, turned into
// prices in place.
struct PriceWriter {
  const PathKey& key;
  std::size_t steps;
  std::span<const double> start_prices;
  std::span<double> prices;

  void operator()(const Bridge& bridge) const { bridge.prices(key, steps, start_prices, prices); }
  template <typename Model>
  void operator()(const Model& model) const {
    const std::span<double> returns = prices.subspan(start_prices.size());
    model.log_returns(key, steps, returns);
    prices_from_log_returns(start_prices, returns, prices);
  }
};

}  // namespace

std::uint64_t stream_id(const PathKey& key, DrawKind kind) {
  // For one scenario and kind, path -> stream is a bijection: paths never share a stream.
  const std::uint64_t scenario = mix64(key.scenario ^ 0x5349'4d55'4c41'5445ull);  // "SIMULATE"
  return mix64(mix64(scenario ^ key.path) ^ static_cast<std::uint64_t>(kind));
}

double normal_quantile(double p) {
  BALLAST_ASSERT(p > 0.0 && p < 1.0);
  // Wichura, Algorithm AS241 (PPND16), Applied Statistics 37(3), 1988: three rational
  // approximations, highest degree first.
  const double q = p - 0.5;
  if (std::abs(q) <= 0.425) {
    constexpr double kNum[] = {2.5090809287301226727e+3, 3.3430575583588128105e+4, 6.7265770927008700853e+4,
                               4.5921953931549871457e+4, 1.3731693765509461125e+4, 1.9715909503065514427e+3,
                               1.3314166789178437745e+2, 3.3871328727963666080e+0};
    constexpr double kDen[] = {5.2264952788528545610e+3, 2.8729085735721942674e+4, 3.9307895800092710610e+4,
                               2.1213794301586595867e+4, 5.3941960214247511077e+3, 6.8718700749205790830e+2,
                               4.2313330701600911252e+1, 1.0};
    const double r = 0.180625 - q * q;
    return q * dmath::horner<0, 8>(r, kNum) / dmath::horner<0, 8>(r, kDen);
  }
  double r = std::sqrt(-dmath::log(q < 0.0 ? p : 1.0 - p));
  double x = 0.0;
  if (r <= 5.0) {
    constexpr double kNum[] = {7.74545014278341407640e-4, 2.27238449892691845833e-2, 2.41780725177450611770e-1,
                               1.27045825245236838258e+0, 3.64784832476320460504e+0, 5.76949722146069140550e+0,
                               4.63033784615654529590e+0, 1.42343711074968357734e+0};
    constexpr double kDen[] = {1.05075007164441684324e-9, 5.47593808499534494600e-4, 1.51986665636164571966e-2,
                               1.48103976427480074590e-1, 6.89767334985100004550e-1, 1.67638483018380384940e+0,
                               2.05319162663775882187e+0, 1.0};
    r -= 1.6;
    x = dmath::horner<0, 8>(r, kNum) / dmath::horner<0, 8>(r, kDen);
  } else {
    constexpr double kNum[] = {2.01033439929228813265e-7, 2.71155556874348757815e-5, 1.24266094738807843860e-3,
                               2.65321895265761230930e-2, 2.96560571828504891230e-1, 1.78482653991729133580e+0,
                               5.46378491116411436990e+0, 6.65790464350110377720e+0};
    constexpr double kDen[] = {2.04426310338993978564e-15, 1.42151175831644588870e-7, 1.84631831751005468180e-5,
                               7.86869131145613259100e-4,  1.48753612908506148525e-2, 1.36929880922735805310e-1,
                               5.99832206555887937690e-1,  1.0};
    r -= 5.0;
    x = dmath::horner<0, 8>(r, kNum) / dmath::horner<0, 8>(r, kDen);
  }
  return q < 0.0 ? -x : x;
}

double uniform_draw(const PathKey& key, DrawKind kind, std::uint64_t index) {
  return open_uniform(CounterRng(key.seed, stream_id(key, kind)).at(index));
}

Result<Price> to_price(double value) {
  if (!std::isfinite(value) || !(value > 0.0)) {
    return invalid("price " + number(value) + ": must be positive and finite");
  }
  // value = mantissa / 2^shift exactly; raw = round(value * 1e9) = floor((mantissa * 1e9 +
  // 2^(shift-1)) / 2^shift) in 128 bits, so no intermediate double rounds twice.
  int exponent = 0;
  const double fraction = std::frexp(value, &exponent);
  const auto mantissa = static_cast<std::int64_t>(std::ldexp(fraction, 53));
  const int shift = 53 - exponent;
  if (shift <= 0) {  // value >= 2^53: far beyond Price's 9.2e9
    return invalid("price " + number(value) + ": above the largest Price");
  }
  if (shift >= 120) {  // value < 2^-67: rounds to 0
    return invalid("price " + number(value) + ": rounds to 0 at 1e-9");
  }
  const int128 scaled = static_cast<int128>(mantissa) * Price::kScale;
  const int128 raw = (scaled + (static_cast<int128>(1) << (shift - 1))) >> shift;
  if (raw == 0) {
    return invalid("price " + number(value) + ": rounds to 0 at 1e-9");
  }
  if (raw > std::numeric_limits<std::int64_t>::max()) {
    return invalid("price " + number(value) + ": above the largest Price");
  }
  return Price::from_raw(static_cast<std::int64_t>(raw));
}

Result<Correlation> Correlation::make(std::size_t assets, std::span<const double> rho) {
  Correlation c;
  c.assets_ = assets;
  if (rho.empty()) {
    return c;
  }
  if (rho.size() != assets * assets) {
    return invalid("correlation: " + std::to_string(rho.size()) + " entries, " + std::to_string(assets) + " assets need " +
                   std::to_string(assets * assets));
  }
  const auto entry = [&](std::size_t i, std::size_t j) {
    return "correlation[" + std::to_string(i) + "][" + std::to_string(j) + "] = " + number(rho[i * assets + j]);
  };
  for (std::size_t i = 0; i < assets; ++i) {
    for (std::size_t j = 0; j < assets; ++j) {
      const double v = rho[i * assets + j];
      if (!std::isfinite(v) || std::abs(v) > 1.0) {
        return invalid(entry(i, j) + ": must be within [-1, 1]");
      }
      if (i == j && v != 1.0) {
        return invalid(entry(i, j) + ": the diagonal must be 1");
      }
      if (v != rho[j * assets + i]) {
        return invalid(entry(i, j) + " but " + entry(j, i) + ": not symmetric");
      }
    }
  }
  // Cholesky, column by column. A pivot at or below kMinPivot means the leading block up to row
  // j is singular or indefinite: such a matrix has no factor to draw with, and one barely above
  // 0 would amplify rounding into the draws.
  constexpr double kMinPivot = 1e-10;
  c.identity_ = false;
  c.lower_.assign(assets * assets, 0.0);
  for (std::size_t j = 0; j < assets; ++j) {
    double pivot = 1.0;
    for (std::size_t k = 0; k < j; ++k) pivot -= c.lower_[j * assets + k] * c.lower_[j * assets + k];
    if (!(pivot > kMinPivot)) {
      return invalid("correlation: not positive definite at row " + std::to_string(j) + " (pivot " + number(pivot) +
                     "): entries correlation[" + std::to_string(j) + "][0.." + std::to_string(j) +
                     "] are inconsistent with the rows above");
    }
    const double diagonal = std::sqrt(pivot);
    c.lower_[j * assets + j] = diagonal;
    for (std::size_t i = j + 1; i < assets; ++i) {
      double sum = rho[i * assets + j];
      for (std::size_t k = 0; k < j; ++k) sum -= c.lower_[i * assets + k] * c.lower_[j * assets + k];
      c.lower_[i * assets + j] = sum / diagonal;
    }
  }
  return c;
}

void Correlation::correlate(std::span<double> z) const {
  BALLAST_ASSERT(z.size() == assets_);
  if (identity_) {
    return;
  }
  // Row i of L z needs z_0..z_i only: from the last row up, each row is overwritten after the
  // rows that still need it.
  for (std::size_t i = assets_; i-- > 0;) {
    const double* row = &lower_[i * assets_];
    double sum = 0.0;
    for (std::size_t k = 0; k <= i; ++k) sum += row[k] * z[k];
    z[i] = sum;
  }
}

Result<Gbm> Gbm::make(const GbmParams& params, double dt_s) {
  const std::size_t n = params.drift_annual.size();
  if (n == 0) {
    return invalid("drift_annual: no assets");
  }
  for (const Outcome& check : {check_dt(dt_s), check_per_asset("drift_annual", params.drift_annual, n, Bound::any),
                               check_per_asset("vol_annual", params.vol_annual, n, Bound::non_negative)}) {
    if (!check) {
      return check.error();
    }
  }
  auto correlation = Correlation::make(n, params.correlation);
  if (!correlation) {
    return std::move(correlation).error();
  }
  Gbm gbm;
  gbm.correlation_ = std::move(correlation).value();
  const double dt_years = dt_s / kSecondsPerYear;
  for (std::size_t a = 0; a < n; ++a) {
    const double vol = params.vol_annual[a];
    gbm.drift_step_.push_back((params.drift_annual[a] - 0.5 * vol * vol) * dt_years);
    gbm.vol_step_.push_back(vol * std::sqrt(dt_years));
  }
  return gbm;
}

void Gbm::log_returns(const PathKey& key, std::size_t steps, std::span<double> out) const {
  correlated_normals(correlation_, key, steps, out);
  const std::size_t n = assets();
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = drift_step_[i % n] + vol_step_[i % n] * out[i];
  }
}

Result<Merton> Merton::make(const MertonParams& params, double dt_s) {
  const std::size_t n = params.diffusion.drift_annual.size();
  for (const Outcome& check :
       {check_per_asset("jump_intensity_annual", params.jump_intensity_annual, n, Bound::non_negative),
        check_per_asset("jump_mean_log", params.jump_mean_log, n, Bound::any),
        check_per_asset("jump_std_log", params.jump_std_log, n, Bound::non_negative), check_dt(dt_s)}) {
    if (!check) {
      return check.error();
    }
  }
  Merton merton;
  merton.common_jumps_ = params.common_jumps;
  merton.jump_mean_log_ = params.jump_mean_log;
  merton.jump_std_log_ = params.jump_std_log;
  // The inversion in poisson_count is short and exact for a few expected jumps per step; more
  // than that is a diffusion, not a jump process.
  constexpr double kMaxJumpsPerStep = 10.0;
  GbmParams compensated = params.diffusion;
  for (std::size_t a = 0; a < n; ++a) {
    const double intensity = params.jump_intensity_annual[a];
    if (params.common_jumps && intensity != params.jump_intensity_annual[0]) {
      return invalid("jump_intensity_annual[" + std::to_string(a) + "] = " + number(intensity) + " differs from asset 0's " +
                     number(params.jump_intensity_annual[0]) + ": common jumps need one intensity");
    }
    const double rate = intensity * dt_s / kSecondsPerYear;
    if (rate > kMaxJumpsPerStep) {
      return invalid("jump_intensity_annual[" + std::to_string(a) + "] = " + number(intensity) + ": " + number(rate) +
                     " expected jumps per step, more than " + number(kMaxJumpsPerStep));
    }
    merton.jump_rate_step_.push_back(rate);
    merton.no_jump_probability_.push_back(dmath::exp(-rate));
    const double std_log = params.jump_std_log[a];
    const double kappa = dmath::exp(params.jump_mean_log[a] + 0.5 * std_log * std_log) - 1.0;
    if (!std::isfinite(kappa)) {
      return invalid("jump_mean_log[" + std::to_string(a) + "] = " + number(params.jump_mean_log[a]) +
                     ": the mean jump overflows");
    }
    compensated.drift_annual[a] -= intensity * kappa;
  }
  auto diffusion = Gbm::make(compensated, dt_s);
  if (!diffusion) {
    return std::move(diffusion).error();
  }
  merton.diffusion_ = std::move(diffusion).value();
  return merton;
}

void Merton::log_returns(const PathKey& key, std::size_t steps, std::span<double> out,
                         std::span<std::uint32_t> jump_counts) const {
  BALLAST_ASSERT(jump_counts.empty() || jump_counts.size() == out.size());
  diffusion_.log_returns(key, steps, out);
  const std::size_t n = assets();
  const CounterRng counts(key.seed, stream_id(key, DrawKind::jump_count));
  const CounterRng sizes(key.seed, stream_id(key, DrawKind::jump_size));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::size_t a = i % n;
    // Common jumps read the draws of asset 0 of the step for every asset.
    const std::size_t draw = common_jumps_ ? i - a : i;
    const std::uint32_t k = poisson_count(open_uniform(counts.at(draw)), jump_rate_step_[a], no_jump_probability_[a]);
    if (!jump_counts.empty()) {
      jump_counts[i] = k;
    }
    if (k > 0) {
      // The sum of k independent N(m, s^2) log jumps is N(k m, k s^2): one normal per step.
      const double jumps = static_cast<double>(k);
      out[i] += jumps * jump_mean_log_[a] + std::sqrt(jumps) * jump_std_log_[a] * normal_at(sizes, draw);
    }
  }
}

Result<Garch> Garch::make(const GarchParams& params) {
  const std::size_t n = params.omega_per_step.size();
  if (n == 0) {
    return invalid("omega_per_step: no assets");
  }
  for (const Outcome& check : {check_per_asset("omega_per_step", params.omega_per_step, n, Bound::positive),
                               check_per_asset("alpha", params.alpha, n, Bound::non_negative),
                               check_per_asset("beta", params.beta, n, Bound::non_negative)}) {
    if (!check) {
      return check.error();
    }
  }
  for (std::size_t a = 0; a < n; ++a) {
    const double persistence = params.alpha[a] + params.beta[a];
    if (!(persistence < 1.0)) {
      const std::string at = "[" + std::to_string(a) + "]";
      return invalid("alpha" + at + " + beta" + at + " = " + number(persistence) +
                     ": must be < 1 (else the variance has no long-run level)");
    }
  }
  auto correlation = Correlation::make(n, params.correlation);
  if (!correlation) {
    return std::move(correlation).error();
  }
  Garch garch;
  garch.correlation_ = std::move(correlation).value();
  garch.omega_ = params.omega_per_step;
  garch.alpha_ = params.alpha;
  garch.beta_ = params.beta;
  return garch;
}

double Garch::unconditional_variance(std::size_t asset) const {
  return omega_[asset] / (1.0 - alpha_[asset] - beta_[asset]);
}

void Garch::log_returns(const PathKey& key, std::size_t steps, std::span<double> out) const {
  correlated_normals(correlation_, key, steps, out);
  const std::size_t n = assets();
  for (std::size_t a = 0; a < n; ++a) {
    double variance = unconditional_variance(a);
    for (std::size_t t = 0; t < steps; ++t) {
      double& r = out[t * n + a];
      r *= std::sqrt(variance);
      variance = omega_[a] + alpha_[a] * r * r + beta_[a] * variance;
    }
  }
}

Result<ReturnTable> parse_returns_csv(std::string_view text, std::string_view source_name) {
  ReturnTable table;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    ++line_number;
    const std::string where = field_at(source_name, line_number);
    if (trim(line).empty()) {
      return invalid(where + ": empty line");
    }
    const Outcome parsed = line_number == 1 ? parse_header(line, where, table) : parse_row(line, where, table);
    if (!parsed) {
      return parsed.error();
    }
  }
  if (line_number == 0) {
    return invalid(std::string(source_name) + ": empty file, expected a header row of symbols");
  }
  if (table.rows == 0) {
    return invalid(std::string(source_name) + ": no rows of returns after the header");
  }
  return table;
}

Result<ReturnTable> load_returns_csv(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return make_error(ErrorCode::not_found, path + ": cannot open");
  }
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) {
    return make_error(ErrorCode::io, path + ": read failed");
  }
  return parse_returns_csv(text.str(), path);
}

Result<BlockBootstrap> BlockBootstrap::make(ReturnTable table, std::size_t block_steps) {
  const std::size_t n = table.symbols.size();
  if (n == 0 || table.rows == 0 || table.log_returns.size() != table.rows * n) {
    return invalid("return table: " + std::to_string(table.log_returns.size()) + " values for " +
                   std::to_string(table.rows) + " rows of " + std::to_string(n) + " assets (need at least one of each)");
  }
  for (std::size_t i = 0; i < table.log_returns.size(); ++i) {
    if (!std::isfinite(table.log_returns[i])) {
      return invalid("return table: row " + std::to_string(i / n) + " (" + table.symbols[i % n] + ") not finite");
    }
  }
  if (block_steps == 0) {
    return invalid("block_steps: must be at least 1");
  }
  BlockBootstrap bootstrap;
  bootstrap.table_ = std::move(table);
  bootstrap.block_steps_ = block_steps;
  return bootstrap;
}

void BlockBootstrap::log_returns(const PathKey& key, std::size_t steps, std::span<double> out) const {
  const std::size_t n = assets();
  BALLAST_ASSERT(out.size() == steps * n);
  const CounterRng starts(key.seed, stream_id(key, DrawKind::block_start));
  std::size_t row = 0;
  for (std::size_t t = 0; t < steps; ++t) {
    if (t % block_steps_ == 0) {
      // A block's first row: the high word of draw x rows, uniform up to a bias below rows / 2^64.
      __extension__ using uint128 = unsigned __int128;
      row = static_cast<std::size_t>((static_cast<uint128>(starts.at(t / block_steps_)) * table_.rows) >> 64);
    }
    const double* from = &table_.log_returns[row * n];
    std::copy(from, from + n, out.begin() + static_cast<std::ptrdiff_t>(t * n));
    row = row + 1 == table_.rows ? 0 : row + 1;
  }
}

Outcome check_knots(std::string_view field, std::span<const Knot> knots) {
  std::size_t previous = 0;
  for (std::size_t k = 0; k < knots.size(); ++k) {
    const std::string at = std::string(field) + "[" + std::to_string(k) + "]: ";
    if (knots[k].step <= previous) {
      return invalid(at + "step " + std::to_string(knots[k].step) + " must be after step " + std::to_string(previous) +
                     " (step 0 is the start)");
    }
    if (!std::isfinite(knots[k].value) || !(knots[k].value > 0.0)) {
      return invalid(at + "value " + number(knots[k].value) + " must be positive and finite");
    }
    previous = knots[k].step;
  }
  return Ok{};
}

Result<Bridge> Bridge::make(const BridgeParams& params, double dt_s) {
  auto noise = Gbm::make(params.noise, dt_s);
  if (!noise) {
    return std::move(noise).error();
  }
  const std::size_t n = noise->assets();
  if (params.knots.size() != n) {
    return invalid("knots: " + std::to_string(params.knots.size()) + " lists for " + std::to_string(n) + " assets");
  }
  for (std::size_t a = 0; a < n; ++a) {
    const Outcome knots = check_knots("knots[" + std::to_string(a) + "]", params.knots[a]);
    if (!knots) {
      return knots.error();
    }
  }
  Bridge bridge;
  bridge.noise_ = std::move(noise).value();
  bridge.knots_ = params.knots;
  return bridge;
}

std::size_t Bridge::min_steps() const {
  std::size_t last = 0;
  for (const std::vector<Knot>& knots : knots_) {
    last = knots.empty() ? last : std::max(last, knots.back().step);
  }
  return last;
}

void Bridge::prices(const PathKey& key, std::size_t steps, std::span<const double> start_prices,
                    std::span<double> prices) const {
  const std::size_t n = assets();
  BALLAST_ASSERT(start_prices.size() == n && prices.size() == (steps + 1) * n && steps >= min_steps());
  // The free path W (log returns of the noise GBM, summed) in rows 1..steps; each asset then
  // bends its W through its knots.
  noise_.log_returns(key, steps, prices.subspan(n));
  for (std::size_t i = 2 * n; i < prices.size(); ++i) {
    prices[i] += prices[i - n];
  }
  for (std::size_t a = 0; a < n; ++a) {
    bridge_asset(a, start_prices[a], steps, prices);
  }
}

void Bridge::bridge_asset(std::size_t asset, double start_price, std::size_t steps, std::span<double> prices) const {
  const std::size_t n = assets();
  const auto at = [&](std::size_t step) -> double& { return prices[step * n + asset]; };
  // Between knots s0 and s1: the log price interpolates the knots' log values and adds the
  // bridge W_s - W_s0 - w (W_s1 - W_s0), which is 0 at both ends and removes W's drift.
  std::size_t s0 = 0;
  double w0 = 0.0;  // W at s0
  double x0 = 0.0;  // log(price / start) at s0
  for (const Knot& knot : knots_[asset]) {
    const double w1 = at(knot.step);
    const double x1 = dmath::log(knot.value);
    const double length = static_cast<double>(knot.step - s0);
    for (std::size_t s = s0 + 1; s < knot.step; ++s) {
      const double w = static_cast<double>(s - s0) / length;
      const double x = (1.0 - w) * x0 + w * x1 + (at(s) - w0) - w * (w1 - w0);
      at(s) = start_price * dmath::exp(x);
    }
    at(knot.step) = start_price * knot.value;
    s0 = knot.step;
    w0 = w1;
    x0 = x1;
  }
  // After the last knot: the free GBM from there.
  for (std::size_t s = s0 + 1; s <= steps; ++s) {
    at(s) = start_price * dmath::exp(x0 + (at(s) - w0));
  }
  at(0) = start_price;
}

std::size_t model_assets(const PathModel& model) {
  return std::visit([](const auto& m) { return m.assets(); }, model);
}

void prices_from_log_returns(std::span<const double> start_prices, std::span<const double> log_returns,
                             std::span<double> prices) {
  const std::size_t n = start_prices.size();
  BALLAST_ASSERT(n > 0 && log_returns.size() % n == 0 && prices.size() == log_returns.size() + n);
  std::copy(start_prices.begin(), start_prices.end(), prices.begin());
  // Element by element, so log_returns may be prices' own rows 1..steps (read before written).
  for (std::size_t i = n; i < prices.size(); ++i) {
    prices[i] = prices[i - n] * dmath::exp(log_returns[i - n]);
  }
}

void generate_prices(const PathModel& model, const PathKey& key, std::size_t steps,
                     std::span<const double> start_prices, std::span<double> prices) {
  BALLAST_ASSERT(start_prices.size() == model_assets(model) && prices.size() == (steps + 1) * start_prices.size());
  std::visit(PriceWriter{key, steps, start_prices, prices}, model);
}

void generate_batch(const PathModel& model, std::uint64_t seed, std::uint64_t scenario,
                    std::span<const std::uint64_t> path_ids, std::size_t steps,
                    std::span<const double> start_prices, std::span<double> out) {
  const std::size_t stride = (steps + 1) * model_assets(model);
  BALLAST_ASSERT(out.size() == path_ids.size() * stride);
  for (std::size_t i = 0; i < path_ids.size(); ++i) {
    generate_prices(model, PathKey{seed, scenario, path_ids[i]}, steps, start_prices, out.subspan(i * stride, stride));
  }
}

}  // namespace ballast::sim
