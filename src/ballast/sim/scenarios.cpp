#include "ballast/sim/scenarios.hpp"

#include <cmath>

#include "ballast/core/assert.hpp"
#include "ballast/core/hash.hpp"

namespace ballast::sim {
namespace {

constexpr double kFiveMinutes_s = 300.0;
constexpr double kOneMinute_s = 60.0;
constexpr std::size_t kDay5m = 288;  // five-minute steps in a day

// Knots are written as the observed prices, so each figure can be checked against its source as
// it stands, and turned into multiples of the asset's start price here.
std::vector<std::vector<Knot>> as_ratios(const std::vector<double>& start_prices,
                                         std::vector<std::vector<Knot>> observed) {
  BALLAST_ASSERT(observed.size() == start_prices.size());
  for (std::size_t a = 0; a < observed.size(); ++a) {
    for (Knot& knot : observed[a]) knot.value /= start_prices[a];
  }
  return observed;
}

// Episodes carry no drift of their own: the knots are the trend, the noise is around it.
GbmParams driftless(std::vector<double> vol_annual, std::vector<double> correlation) {
  return {.drift_annual = std::vector<double>(vol_annual.size(), 0.0),
          .vol_annual = std::move(vol_annual),
          .correlation = std::move(correlation)};
}

Scenario episode(Scenario scenario, std::vector<std::vector<Knot>> observed, GbmParams noise) {
  scenario.path = {.knots = as_ratios(scenario.start_prices, std::move(observed)), .noise = std::move(noise)};
  return scenario;
}

Scenario black_thursday_2020() {
  return episode(
      {.name = "black-thursday-2020",
       .description =
          "12-13 Mar 2020 (Black Thursday): BTC -48% from the 11-Mar close to the 13-Mar low in about a day, "
          "ETH -51%, a volatility spike, keepers stalled (research/defi-engines.md (c)). Start: 11-Mar closes "
          "(BTC 7,911.43, ETH 194.87); knots: 12-Mar closes (4,970.79; 112.35) at 24 h, 13-Mar lows (4,106.98; "
          "95.18) at 26 h, 13-Mar closes (5,563.71; 133.20) at 48 h, all from shared/data/market daily bars; the "
          "low's hour is an assumption. Noise: 30-day realized vol to 19-Mar (BTC 189%, ETH 233%) and 90-day "
          "correlation 0.95, from the same bars. Depth: an assumption (0.3 of calm at the low, 0.7 at the "
          "13-Mar close, calm after a further day).",
       .symbols = {"BTC", "ETH"},
       .start_prices = {7'911.43, 194.87},
       .dt_s = kFiveMinutes_s,
       .steps = 3 * kDay5m,
       .path = {},  // episode() fills it
       .depth = {{{kDay5m + 24, 0.3}, {2 * kDay5m, 0.7}, {3 * kDay5m, 1.0}},
                 {{kDay5m + 24, 0.3}, {2 * kDay5m, 0.7}, {3 * kDay5m, 1.0}}}},
      {{{kDay5m, 4'970.79}, {kDay5m + 24, 4'106.98}, {2 * kDay5m, 5'563.71}},
       {{kDay5m, 112.35}, {kDay5m + 24, 95.18}, {2 * kDay5m, 133.20}}},
      driftless({1.89, 2.33}, {1.0, 0.95, 0.95, 1.0}));
}

Scenario may_2021() {
  const std::vector<Knot> depth{{168, 0.4}, {168 + kDay5m, 1.0}};
  return episode(
      {.name = "may-19-2021",
       .description =
          "19 May 2021 sell-off: BTC -28%, ETH -42%, SOL -47% from the 18-May close to the 19-May low, then half "
          "of it back by the close. Start: 18-May closes (BTC 42,909.40, ETH 3,380.07, SOL 55.91); knots: 19-May "
          "lows (30,681.50; 1,952.46; 29.43) at 14 h (the hour is an assumption) and 19-May closes (37,002.44; "
          "2,460.68; 35.11) at 24 h, from shared/data/market daily bars. Noise: 30-day realized vol to 26-May "
          "(114%, 193%, 268%) and 90-day correlations (BTC-ETH 0.79, BTC-SOL 0.44, ETH-SOL 0.59) from the same "
          "bars. Depth: an assumption (0.4 of calm at the low, calm again a day later).",
       .symbols = {"BTC", "ETH", "SOL"},
       .start_prices = {42'909.40, 3'380.07, 55.91},
       .dt_s = kFiveMinutes_s,
       .steps = 2 * kDay5m,
       .path = {},  // episode() fills it
       .depth = {depth, depth, depth}},
      {{{168, 30'681.50}, {kDay5m, 37'002.44}}, {{168, 1'952.46}, {kDay5m, 2'460.68}}, {{168, 29.43}, {kDay5m, 35.11}}},
      driftless({1.14, 1.93, 2.68}, {1.0, 0.79, 0.44, 0.79, 1.0, 0.59, 0.44, 0.59, 1.0}));
}

Scenario ftx_2022() {
  constexpr std::size_t kLow = 564;
  return episode(
      {.name = "ftx-2022",
       .description =
          "8-9 Nov 2022 (FTX): BTC -24%, ETH -31% and SOL -58% (the exchange's own ecosystem) over two days, a "
          "partial rebound on 10 Nov. Start: 7-Nov closes (BTC 20,602.82, ETH 1,568.59, SOL 29.60); knots: 8-Nov "
          "closes (18,541.27; 1,332.84; 24.15) at 24 h, 9-Nov lows (15,682.69; 1,083.29; 12.51) at 47 h (late on "
          "9 Nov, as its closes sit near its lows; the hour is an assumption), 10-Nov closes (17,586.77; "
          "1,299.46; 17.68) at 72 h, from shared/data/market daily bars. Noise: 30-day realized vol to 14-Nov "
          "(83%, 123%, 245%) and 90-day correlations (0.90, 0.84, 0.81) from the same bars. Depth: an assumption "
          "(a market maker's exit: 0.5 of calm at the low, SOL 0.25, calm two days later).",
       .symbols = {"BTC", "ETH", "SOL"},
       .start_prices = {20'602.82, 1'568.59, 29.60},
       .dt_s = kFiveMinutes_s,
       .steps = 4 * kDay5m,
       .path = {},  // episode() fills it
       .depth = {{{kLow, 0.5}, {kLow + 2 * kDay5m, 1.0}},
                 {{kLow, 0.5}, {kLow + 2 * kDay5m, 1.0}},
                 {{kLow, 0.25}, {kLow + 2 * kDay5m, 1.0}}}},
      {{{kDay5m, 18'541.27}, {kLow, 15'682.69}, {3 * kDay5m, 17'586.77}},
       {{kDay5m, 1'332.84}, {kLow, 1'083.29}, {3 * kDay5m, 1'299.46}},
       {{kDay5m, 24.15}, {kLow, 12.51}, {3 * kDay5m, 17.68}}},
      driftless({0.83, 1.23, 2.45}, {1.0, 0.90, 0.84, 0.90, 1.0, 0.81, 0.84, 0.81, 1.0}));
}

Scenario october_2025() {
  constexpr std::size_t kWorstMinute = 75;  // 21:15 UTC with the path starting at 20:00 UTC
  const std::vector<Knot> depth{{kWorstMinute, 0.02}, {180, 0.3}, {1'440, 1.0}};
  return episode(
      {.name = "depth-collapse-2025-10",
       .description =
          "10-11 Oct 2025: $19.1B liquidated and book depth -98% (research/defi-engines.md (c)). Path from 20:00 "
          "UTC in one-minute steps: BTC 123,000 -> 102,000 and ETH 4,346 -> 3,574 within three hours, an altcoin "
          "index -40% within minutes (research.blockscope.co/the-october-crash), $3.21B liquidated in the worst "
          "minute, 21:15 UTC (binance.bh Square, '10/10'), BTC steadying near 110,000 a day later "
          "(news-avail.com). ALT is an index at 1.0. Depth: 0.02 of calm at the worst minute for every asset "
          "(the -98%); 0.3 at the BTC low and calm a day later are assumptions. Noise (assumptions): twice the "
          "90-day realized vol of the last window in shared/data/market (to 2024-07-26: BTC 46%, ETH 59%, SOL "
          "82% as the ALT proxy) and that window's correlations (0.78, 0.73, 0.67).",
       .symbols = {"BTC", "ETH", "ALT"},
       .start_prices = {123'000.0, 4'346.0, 1.0},
       .dt_s = kOneMinute_s,
       .steps = 1'440,
       .path = {},  // episode() fills it
       .depth = {depth, depth, depth}},
      {{{180, 102'000.0}, {1'440, 110'000.0}}, {{180, 3'574.0}}, {{kWorstMinute + 5, 0.60}}},
      driftless({0.92, 1.18, 1.64}, {1.0, 0.78, 0.73, 0.78, 1.0, 0.67, 0.73, 0.67, 1.0}));
}

// A thin asset pumped to `peak` times its start over `up_steps` minutes and let back down: the
// shape of an oracle manipulation or a squeeze; the venue's thin calm depth is the liquidity
// model's, so depth stays 1.
Scenario thin_pump(std::string name, std::string description, double start, double peak, std::size_t up_steps,
                   double end, std::size_t down_steps, std::size_t steps, double vol_annual) {
  return {
      .name = std::move(name),
      .description = std::move(description),
      .symbols = {"THIN"},
      .start_prices = {start},
      .dt_s = kOneMinute_s,
      .steps = steps,
      .path = {.knots = {{{up_steps, peak}, {up_steps + down_steps, end}}},
               .noise = driftless({vol_annual}, {})},
      .depth = {{}},
  };
}

std::vector<Scenario> build_library() {
  return {
      black_thursday_2020(),
      may_2021(),
      ftx_2022(),
      october_2025(),
      thin_pump("oracle-pump-thin",
                "A stylised oracle pump on a thin asset: +100% in 20 minutes, back to the start an hour later (the "
                "shape issue 7 asks for; Mango's real pump was 24x, see mango-2022). Start 1.0; 150% noise vol "
                "(an assumption).",
                1.0, 2.0, 20, 1.0, 60, 240, 1.50),
      thin_pump("mango-2022",
                "11 Oct 2022, Mango Markets v3: spot buys on three thin venues (the oracle's median) moved MNGO from "
                "about $0.03 to $0.91 (+2,300%), against a 483M MNGO-PERP self-trade at $0.038 "
                "(research/defi-engines.md (c), Solidus). Start 0.038, peak 0.91, back to 0.03; the 20 minutes up, "
                "the hour and a half down and the 200% noise vol are assumptions.",
                0.038, 0.91 / 0.038, 20, 0.03 / 0.038, 90, 240, 2.00),
      thin_pump("jelly-squeeze-2025",
                "26 Mar 2025, Hyperliquid JELLY: a $6M short on a $10-20M-cap token passed to the HLP vault, then "
                "JELLY +400% (research/defi-engines.md (c)) within an hour, to $0.16004 (thecoinrise.com); the "
                "validators delisted it and settled at $0.0095. Start 0.032 (the peak / 5), peak at 60 minutes; "
                "back to the start three hours later and the 200% noise vol are assumptions.",
                0.032, 5.0, 60, 1.0, 180, 480, 2.00),
  };
}

std::string scenario_error(const Scenario& scenario, const std::string& message) {
  return "scenario '" + scenario.name + "': " + message;
}

}  // namespace

const std::vector<Scenario>& scenario_library() {
  static const std::vector<Scenario> library = build_library();
  return library;
}

Result<const Scenario*> scenario_by_name(std::string_view name) {
  std::string known;
  for (const Scenario& scenario : scenario_library()) {
    if (scenario.name == name) {
      return &scenario;
    }
    known += (known.empty() ? "" : ", ") + scenario.name;
  }
  return make_error(ErrorCode::not_found, "unknown scenario '" + std::string(name) + "'; known: " + known);
}

std::uint64_t scenario_id(std::string_view name) {
  return fingerprint64(name);
}

Result<Bridge> scenario_model(const Scenario& scenario) {
  const std::size_t n = scenario.symbols.size();
  if (n == 0 || scenario.start_prices.size() != n || scenario.depth.size() != n) {
    return make_error(ErrorCode::invalid_input,
                      scenario_error(scenario, std::to_string(n) + " symbols, " +
                                                   std::to_string(scenario.start_prices.size()) + " start prices, " +
                                                   std::to_string(scenario.depth.size()) + " depth series"));
  }
  for (std::size_t a = 0; a < n; ++a) {
    const double start = scenario.start_prices[a];
    if (!std::isfinite(start) || !(start > 0.0)) {
      return make_error(ErrorCode::invalid_input,
                        scenario_error(scenario, "start price of " + scenario.symbols[a] + " must be positive"));
    }
    const Outcome depth = check_knots("depth[" + std::to_string(a) + "]", scenario.depth[a]);
    if (!depth) {
      return make_error(ErrorCode::invalid_input, scenario_error(scenario, depth.error().message));
    }
  }
  auto bridge = Bridge::make(scenario.path, scenario.dt_s);
  if (!bridge) {
    return make_error(ErrorCode::invalid_input, scenario_error(scenario, bridge.error().message));
  }
  if (bridge->assets() != n || scenario.steps < std::max<std::size_t>(bridge->min_steps(), 1)) {
    return make_error(ErrorCode::invalid_input,
                      scenario_error(scenario, std::to_string(scenario.steps) + " steps for " +
                                                   std::to_string(bridge->assets()) + " path assets whose last knot is at step " +
                                                   std::to_string(bridge->min_steps())));
  }
  return bridge;
}

double depth_multiplier(const Scenario& scenario, std::size_t asset, std::size_t step) {
  BALLAST_ASSERT(asset < scenario.depth.size());
  Knot previous{0, 1.0};
  for (const Knot& knot : scenario.depth[asset]) {
    if (step <= knot.step) {
      const double w = static_cast<double>(step - previous.step) / static_cast<double>(knot.step - previous.step);
      return (1.0 - w) * previous.value + w * knot.value;
    }
    previous = knot;
  }
  return previous.value;
}

void depth_series(const Scenario& scenario, std::span<double> out) {
  const std::size_t n = scenario.symbols.size();
  BALLAST_ASSERT(out.size() == (scenario.steps + 1) * n);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = depth_multiplier(scenario, i % n, i / n);
  }
}

}  // namespace ballast::sim
