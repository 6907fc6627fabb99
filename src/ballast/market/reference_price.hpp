#pragma once
// Reference prices derived from the oracle over time: Mango v4's stable price (for initial
// margin), a time-weighted average over a window (TWAP), Drift's time-weighted EMA, and
// Hyperliquid's perp mark price.
//
// All exact integer arithmetic on Price and Ratio, every rounding named. Time comes in as
// TimestampNs (never a wall clock); nothing here allocates after construction.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "ballast/core/fixed.hpp"
#include "ballast/core/ids.hpp"
#include "ballast/core/result.hpp"
#include "ballast/market/oracle.hpp"

namespace ballast::market {

// --- Stable price -----------------------------------------------------------------------------
//
// Mango v4's model (programs/mango-v4/src/state/stable_price.rs), in our words: the stable price
// follows the oracle, but moves per update by at most
//     stable_growth_limit_per_s * r^2 * dt_s,   r = min(stable, delay) / max(stable, delay),
// of itself, where the delay price is the oracle averaged over each delay interval (an hour),
// each interval's average clamped to delay_growth_limit of the previous one, and read 24
// intervals later. A price pushed far from where it was a day ago (r small) moves the stable
// price very slowly: a short manipulation barely shifts it. Initial margin values assets at
// min(oracle, stable) and liabilities at max(oracle, stable).
//
// Differences from Mango, each on purpose: fixed point instead of f64; the averaging weighs each
// price by the capped dt in both the sum and the time (Mango caps only the sum, which pulls the
// average toward zero after a long gap); intervals are counted by number rather than by index
// modulo 24, so a gap of exactly 24 intervals still refreshes the delay prices.

inline constexpr std::size_t kDelayIntervals = 24;

struct StablePriceConfig {
  TimestampNs delay_interval_ns = 3600 * kNsPerSecond;  // 1 h: a delay of 24 h in all
  Ratio delay_growth_limit = Ratio::from_raw(60'000'000'000);        // 0.06 per interval
  Ratio stable_growth_limit_per_s = Ratio::from_raw(300'000'000);    // 0.0003 per second
  // Updates closer together than this change nothing, so frequent and sparse updaters end up
  // near the same path (Mango: 10 s).
  TimestampNs min_update_spacing_ns = 10 * kNsPerSecond;
  // A longer gap counts as this long, so a stalled updater cannot release a day of growth at
  // once (Mango: 10 min).
  TimestampNs max_dt_ns = 600 * kNsPerSecond;

  // Ok, or an invalid_input Error naming the first bad field. Requires
  // stable_growth_limit_per_s * max_dt <= 1 so one step can never take the price to zero.
  Outcome validate() const;
};

enum class StableUpdate : std::uint8_t {
  updated,
  too_soon,      // less than min_update_spacing_ns since the last update: nothing changed
  non_positive,  // the oracle price was <= 0: nothing changed
};

class StablePrice {
 public:
  // The whole model, for snapshots.
  struct State {
    Price stable;
    std::array<Price, kDelayIntervals> delay_prices{};
    int128 accumulated_price_ns = 0;
    TimestampNs accumulated_ns = 0;
    std::int64_t interval = 0;
    TimestampNs last_update_ns = 0;
    friend bool operator==(const State&, const State&) = default;
  };

  // A model sitting at oracle_price (> 0), with every delay interval at that price too.
  static StablePrice start(const StablePriceConfig& config, Price oracle_price, TimestampNs now_ns);
  // A model as state() gave it; nullopt for a state no sequence of updates under `config`
  // reaches (a price <= 0, negative accumulators, an interval that disagrees with the last
  // update's time).
  static std::optional<StablePrice> restore(const StablePriceConfig& config, const State& state);
  State state() const;

  // One step toward oracle_price. Feed it only readings the policy trusts (valid ones).
  StableUpdate update(const StablePriceConfig& config, Price oracle_price, TimestampNs now_ns);

  Price stable_price() const { return stable_; }
  // The price the next update's r compares against: the one stored a full delay ago.
  Price delay_price() const { return delay_prices_[slot(interval_)]; }
  // The delay price stored last (the previous interval's clamped average).
  Price newest_delay_price() const {
    return delay_prices_[slot(interval_ + static_cast<std::int64_t>(kDelayIntervals) - 1)];
  }
  TimestampNs last_update_ns() const { return last_update_ns_; }

 private:
  static std::size_t slot(std::int64_t interval) {
    return static_cast<std::size_t>(interval % static_cast<std::int64_t>(kDelayIntervals));
  }
  void close_intervals(const StablePriceConfig& config, std::int64_t interval);

  Price stable_;
  std::array<Price, kDelayIntervals> delay_prices_{};
  int128 accumulated_price_ns_ = 0;  // sum of price.raw * capped dt over the open interval
  TimestampNs accumulated_ns_ = 0;
  std::int64_t interval_ = 0;  // now_ns / delay_interval_ns of the last update
  TimestampNs last_update_ns_ = 0;
};

// Initial-margin prices (Mango's Init health): an asset counts at the lower, a liability at the
// higher of the two, so a sudden oracle move never raises borrowing power at once.
inline Price asset_price(Price oracle_price, Price stable_price) {
  return oracle_price < stable_price ? oracle_price : stable_price;
}
inline Price liability_price(Price oracle_price, Price stable_price) {
  return oracle_price > stable_price ? oracle_price : stable_price;
}

// Moves from toward target by at most limit * from (from > 0, 0 <= limit <= 1). The allowed
// move rounds down (toward from): the result never goes further than the exact limit allows.
Price clamp_growth(Price target, Price from, Ratio limit);

// --- TWAP ---------------------------------------------------------------------------------------
//
// The time-weighted average of a piecewise-constant price: each sample holds from its time until
// the next one (or until now). Samples live in a ring of fixed Capacity with running integrals,
// so recording is O(1) and an average is O(log Capacity), both without allocation. Choose
// Capacity >= window / sampling interval; when the ring has dropped samples the window asks
// for, the average covers what is left and says so (covered_ns < window_ns).

struct TwapValue {
  Price price;
  TimestampNs covered_ns = 0;  // how much of the window had samples; 0 only at a first sample
};

// integral / duration_ns rounded as asked (duration_ns > 0); the mean of a piecewise price.
Price time_average(int128 integral, TimestampNs duration_ns, Round round);

template <std::size_t Capacity>
class Twap {
  static_assert(Capacity >= 1);

 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  // The price holds from at_ns on. Times never go back; a sample at the newest sample's time
  // replaces its price (a zero-length piece weighs nothing).
  void record(Price price, TimestampNs at_ns) {
    if (size_ == 0) {
      push(Sample{at_ns, price, 0});
      return;
    }
    Sample& last = at(size_ - 1);
    BALLAST_ASSERT(at_ns >= last.at_ns);
    if (at_ns == last.at_ns) {
      last.price = price;
      return;
    }
    push(Sample{at_ns, price, integral_to(last, at_ns)});
  }

  // The average over [now_ns - window_ns, now_ns], or over its part after the oldest sample
  // kept; nullopt when there is no sample. now_ns is at or after the newest sample.
  std::optional<TwapValue> average(TimestampNs now_ns, TimestampNs window_ns, Round round) const {
    BALLAST_ASSERT(window_ns > 0);
    if (size_ == 0) {
      return std::nullopt;
    }
    const Sample& newest = at(size_ - 1);
    BALLAST_ASSERT(now_ns >= newest.at_ns);
    const TimestampNs oldest_ns = at(0).at_ns;
    const TimestampNs start_ns = now_ns - window_ns > oldest_ns ? now_ns - window_ns : oldest_ns;
    const TimestampNs covered_ns = now_ns - start_ns;
    if (covered_ns == 0) {
      return TwapValue{newest.price, 0};
    }
    const int128 integral = integral_to(newest, now_ns) - integral_to(at(find(start_ns)), start_ns);
    return TwapValue{time_average(integral, covered_ns, round), covered_ns};
  }

 private:
  struct Sample {
    TimestampNs at_ns;
    Price price;
    int128 integral;  // of the price from the first sample ever recorded up to at_ns
  };

  // The integral up to t, for t at or after the sample and before the next one.
  static int128 integral_to(const Sample& sample, TimestampNs t) {
    int128 result = 0;
    const int128 piece = static_cast<int128>(sample.price.raw()) * (t - sample.at_ns);
    // 2^127 price-nanoseconds is 585 years at the largest price: unreachable, so an assert.
    BALLAST_ASSERT(!__builtin_add_overflow(sample.integral, piece, &result));
    return result;
  }

  // Logical index of the last sample at or before t (t >= the oldest sample's time).
  std::size_t find(TimestampNs t) const {
    std::size_t low = 0;
    std::size_t high = size_;  // invariant: at(low).at_ns <= t, at(high).at_ns > t
    while (high - low > 1) {
      const std::size_t middle = low + (high - low) / 2;
      (at(middle).at_ns <= t ? low : high) = middle;
    }
    return low;
  }

  void push(const Sample& sample) {
    if (size_ == Capacity) {
      head_ = (head_ + 1) % Capacity;  // the oldest goes
      --size_;
    }
    samples_[(head_ + size_) % Capacity] = sample;
    ++size_;
  }
  Sample& at(std::size_t i) { return samples_[(head_ + i) % Capacity]; }
  const Sample& at(std::size_t i) const { return samples_[(head_ + i) % Capacity]; }

  std::array<Sample, Capacity> samples_{};
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

// --- EMA ----------------------------------------------------------------------------------------
//
// Drift v2's time-weighted moving average (programs/drift/src/math/amm.rs,
// calculate_new_oracle_price_twap, with math/stats.rs calculate_weighted_average):
//     since = now - last,  rest = max(0, period - since),
//     ema' = (value * since + ema * rest) / (since + rest)
// so an update's weight grows linearly with the time it stood for, and a value that stood a
// whole period replaces the average. The division rounds toward the new value (as Drift's +-1
// bias does): the average then always reaches a constant input instead of stalling one unit short,
// and it stays between the old average and the new value.

inline constexpr TimestampNs kMaxEmaPeriodNs = 366LL * 24 * 3600 * kNsPerSecond;

class Ema {
 public:
  // 0 < period_ns <= kMaxEmaPeriodNs (which keeps every product inside 128 bits).
  explicit Ema(TimestampNs period_ns);

  // The first value starts the average; later ones are weighed by the time since the last.
  // now_ns never goes back; a second value at the same time weighs nothing.
  void update(Price value, TimestampNs now_ns);

  std::optional<Price> value() const { return value_; }
  TimestampNs period_ns() const { return period_ns_; }

 private:
  TimestampNs period_ns_;
  std::optional<Price> value_;
  TimestampNs last_ns_ = 0;
};

// --- Perp mark price ----------------------------------------------------------------------------
//
// Hyperliquid's rule (docs: hyperliquid.gitbook.io, HyperCore > Oracle and Trading > Robust
// price indices): the median of
//   1. oracle + a 150 s EMA of (book mid - oracle),
//   2. the median of best bid, best ask and last trade on our book,
//   3. the median of external venues' perp mid prices;
// with only two of them present, a 30 s EMA of component 2 joins as a third.
// Missing inputs, explicitly: no basis EMA yet counts as zero basis (component 1 = oracle);
// component 2 is the median of whichever of bid, ask and last trade exist (absent if none);
// component 3 is absent with no external price. Even counts take the mean of the middle two,
// rounded down (a mark values both sides of every position; the direction is named so replays
// agree, and the bias is at most one unit of 1e-9).

struct MarkPriceInputs {
  Price oracle;                       // > 0: the caller checked the reading allows marking
  std::optional<Price> basis_ema;     // Ema(150 s) of (book mid - oracle)
  std::optional<Price> best_bid;
  std::optional<Price> best_ask;
  std::optional<Price> last_trade;    // only a recent one; the caller drops an old print
  std::span<const Price> external_perp_mids;  // at most kMaxOracleSources
  std::optional<Price> book_median_ema;       // Ema(30 s) of component 2
};

// nullopt only when oracle + basis_ema overflows (no real price comes near).
std::optional<Price> mark_price(const MarkPriceInputs& inputs);

// (bid + ask) / 2 rounded down, for the basis EMA; nullopt unless both sides exist.
std::optional<Price> book_mid(std::optional<Price> best_bid, std::optional<Price> best_ask);

}  // namespace ballast::market
