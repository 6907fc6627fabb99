#pragma once
// Oracle models for the stress simulator (issue 7, item 2): what the venue's oracle publishes
// when the market follows a true price path. The engine sees prices only through oracle events,
// so the oracle's lag and its manipulability are part of the risk being measured (Maker's Black
// Thursday: oracle delay; Mango: a median of thin venues pumped +2,300%; research/defi-engines.md
// (c)). Three closed models, one interface (a std::variant, like PathModel):
//
//   PushOracle: Chainlink-style. A round is decided at step t when the true price has moved by
//     at least deviation_threshold from the last decided round, |p - last| / last >= threshold,
//     or when heartbeat_s have passed since it; the round becomes visible latency_steps later.
//   EmaOracle: an exponential moving average of the true price with a half-life (crvUSD-style);
//     it publishes every step.
//   MedianOracle: N sources, each the true price times exp(noise_std · z), z independent
//     standard normals; the first manipulated_sources of them are multiplied by an attacker's
//     series as well; the median publishes every step. An even N publishes the mean of the two
//     middle values. The noise is lognormal so that no source is ever <= 0.
//
// Layout: prices and outputs are [step][asset] like paths.hpp, (steps + 1) rows, row 0 the start.
// Step 0 always publishes, so the engine has a price from the first step on: the push and EMA
// oracles publish the start price itself (the feed was live before the path began, and its last
// round is the start), the median its sources' median at step 0.
//
// Randomness (DESIGN principle 2): the median's noise z for source j of asset a at step t is
// draw (t · assets + a) · sources + j of the path's DrawKind::oracle_noise stream, so a track is
// a pure function of (model, key, inputs): independent of thread count and of which paths run
// beside it. The push and EMA models use no randomness.
//
// Errors: parameters are checked when a model is made (Result, the message naming the field);
// the shapes of inputs and outputs are the caller's contract (asserted).

#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>

#include "ballast/core/result.hpp"
#include "ballast/sim/paths.hpp"

namespace ballast::sim {

struct OracleInput {
  PathKey key;
  std::size_t assets = 0;
  std::span<const double> true_prices;  // (steps + 1) x assets, quote per base, > 0
  // Empty, or (steps + 1) x assets: the factor the manipulated sources apply (1 = honest).
  // Only MedianOracle reads it.
  std::span<const double> manipulation;
};

struct OracleTrack {
  std::span<double> price;  // (steps + 1) x assets: the latest published price at each step
  // (steps + 1) x assets: 1 where a new publication became visible at that step (the engine gets
  // an oracle event only there), else 0.
  std::span<std::uint8_t> published;
};

struct PushParams {
  double deviation_threshold = 0.0;  // >= 0, a fraction of the last round (0.005 = 0.5%)
  double heartbeat_s = 0.0;          // > 0
  std::size_t latency_steps = 0;     // steps between deciding a round and its being visible
};

class PushOracle {
 public:
  static Result<PushOracle> make(const PushParams& params, double dt_s);
  void publish(const OracleInput& input, OracleTrack out) const;

 private:
  // The rounds as decided, without latency, for one asset's column.
  void decide(const OracleInput& input, std::size_t asset, OracleTrack out) const;
  // Moves each decided round latency_steps rows later; rows 1..latency keep the start.
  void delay(std::size_t assets, OracleTrack out) const;

  PushParams params_;
  double dt_s_ = 0.0;
};

struct EmaParams {
  double half_life_s = 0.0;  // > 0
};

class EmaOracle {
 public:
  static Result<EmaOracle> make(const EmaParams& params, double dt_s);
  // ema_0 = p_0; ema_t = p_t + (ema_{t-1} - p_t) · 2^(-dt / half_life).
  void publish(const OracleInput& input, OracleTrack out) const;

 private:
  double decay_ = 0.0;  // half_life_decay(dt_s, half_life_s)
};

inline constexpr std::size_t kMaxOracleSources = 31;

struct MedianParams {
  std::size_t sources = 3;              // 1..kMaxOracleSources
  double noise_std = 0.0;               // >= 0, of each source's log price
  std::size_t manipulated_sources = 0;  // <= sources: how many follow the attacker's series
};

class MedianOracle {
 public:
  static Result<MedianOracle> make(const MedianParams& params);
  void publish(const OracleInput& input, OracleTrack out) const;

 private:
  double median_at(const OracleInput& input, std::size_t step, std::size_t asset) const;

  MedianParams params_;
};

using OracleModel = std::variant<PushOracle, EmaOracle, MedianOracle>;

void publish(const OracleModel& model, const OracleInput& input, OracleTrack out);

}  // namespace ballast::sim
