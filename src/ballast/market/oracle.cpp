#include "ballast/market/oracle.hpp"

#include <algorithm>
#include <string>

namespace ballast::market {
namespace {

constexpr int128 kRatioScale = Ratio::kScale;

Error config_error(const char* field, const std::string& wanted) {
  return make_error(ErrorCode::invalid_input,
                    std::string("oracle config: ") + field + " must be " + wanted);
}

// |a - b| / b > limit, exactly: |a - b| * scale > limit.raw * b, in 128 bits (b > 0).
bool exceeds_ratio(int128 deviation, Ratio limit, Price base) {
  BALLAST_ASSERT(base.raw() > 0);
  return deviation * kRatioScale > static_cast<int128>(limit.raw()) * base.raw();
}

int128 abs_difference(Price a, Price b) {
  const int128 difference = static_cast<int128>(a.raw()) - b.raw();
  return difference < 0 ? -difference : difference;
}

// The quotes one reading is taken over, kept on the stack.
struct QuoteSet {
  std::array<Price, kMaxOracleSources> prices{};
  std::array<Price, kMaxOracleSources> confidences{};
  std::size_t count = 0;
  TimestampNs newest_published_ns = 0;

  void add(const SourceQuote& quote) {
    prices[count] = quote.price;
    confidences[count] = quote.confidence;
    ++count;
    newest_published_ns = std::max(newest_published_ns, quote.published_ns);
  }
};

// Disagreement between sources is uncertainty too: the median absolute deviation of the prices
// from their median (robust, like the median itself: one wild source cannot widen it alone).
// Rounded up, as the whole confidence is: overstating uncertainty is the cautious side.
Price median_absolute_deviation(const QuoteSet& set, Price median) {
  std::array<Price, kMaxOracleSources> deviations{};
  for (std::size_t i = 0; i < set.count; ++i) {
    // Both are positive prices, so the difference fits in 64 bits.
    deviations[i] = Price::from_raw(static_cast<std::int64_t>(abs_difference(set.prices[i], median)));
  }
  return median_in_place(std::span(deviations.data(), set.count), Round::up);
}

OracleReading read_set(QuoteSet& set) {
  OracleReading reading;
  const std::span<Price> prices(set.prices.data(), set.count);
  const std::span<Price> confidences(set.confidences.data(), set.count);
  // The price's even-count rounding is down: a price has no side to favour (it values assets and
  // liabilities alike), so any fixed direction would do; down is named so replays agree.
  reading.price = median_in_place(prices, Round::down);
  reading.confidence =
      std::max(median_in_place(confidences, Round::up), median_absolute_deviation(set, reading.price));
  reading.source_count = static_cast<std::uint32_t>(set.count);
  reading.newest_published_ns = set.newest_published_ns;
  return reading;
}

OracleValidity judge(const OracleConfig& config, const OracleReading& reading, bool used_stale,
                     std::size_t fresh_count, std::optional<Price> reference_price) {
  if (reference_price) {
    BALLAST_ASSERT(reference_price->raw() > 0);
    if (exceeds_ratio(abs_difference(reading.price, *reference_price), config.max_move,
                      *reference_price)) {
      return OracleValidity::too_volatile;
    }
  }
  if (exceeds_ratio(reading.confidence.raw(), config.max_confidence, reading.price)) {
    return OracleValidity::uncertain;
  }
  if (used_stale) {
    return OracleValidity::stale;
  }
  if (fresh_count < config.min_sources) {
    return OracleValidity::insufficient_sources;
  }
  return OracleValidity::valid;
}

}  // namespace

Outcome OracleConfig::validate() const {
  if (min_sources < 1 || min_sources > kMaxOracleSources) {
    return config_error("min_sources", "1.." + std::to_string(kMaxOracleSources) + ", got " +
                                           std::to_string(min_sources));
  }
  if (max_staleness_ns <= 0) {
    return config_error("max_staleness_ns", "positive, got " + std::to_string(max_staleness_ns));
  }
  if (max_confidence.is_negative()) {
    return config_error("max_confidence", ">= 0, got " + max_confidence.to_string());
  }
  if (max_move.raw() <= 0) {
    return config_error("max_move", "positive, got " + max_move.to_string());
  }
  return Ok{};
}

const char* oracle_validity_name(OracleValidity validity) noexcept {
  switch (validity) {
    case OracleValidity::non_positive: return "non_positive";
    case OracleValidity::too_volatile: return "too_volatile";
    case OracleValidity::uncertain: return "uncertain";
    case OracleValidity::stale: return "stale";
    case OracleValidity::insufficient_sources: return "insufficient_sources";
    case OracleValidity::valid: return "valid";
  }
  return "unknown";
}

const char* oracle_action_name(OracleAction action) noexcept {
  switch (action) {
    case OracleAction::open_risk: return "open_risk";
    case OracleAction::reduce_risk: return "reduce_risk";
    case OracleAction::liquidate: return "liquidate";
    case OracleAction::withdraw: return "withdraw";
    case OracleAction::settle_pnl: return "settle_pnl";
    case OracleAction::funding: return "funding";
    case OracleAction::expiry_settlement: return "expiry_settlement";
    case OracleAction::resolve_bankruptcy: return "resolve_bankruptcy";
  }
  return "unknown";
}

Outcome check_quotes(std::span<const SourceQuote> quotes, TimestampNs now_ns) {
  if (quotes.size() > kMaxOracleSources) {
    return make_error(ErrorCode::invalid_input,
                      "oracle update: " + std::to_string(quotes.size()) + " quotes, at most " +
                          std::to_string(kMaxOracleSources));
  }
  std::uint32_t seen = 0;
  for (std::size_t i = 0; i < quotes.size(); ++i) {
    const SourceQuote& quote = quotes[i];
    const std::string where = "oracle update: quote " + std::to_string(i) + ": ";
    if (quote.source >= kMaxOracleSources) {
      return make_error(ErrorCode::invalid_input,
                        where + "source " + std::to_string(quote.source) + " out of range");
    }
    if ((seen >> quote.source) & 1U) {
      return make_error(ErrorCode::invalid_input,
                        where + "source " + std::to_string(quote.source) + " repeated");
    }
    seen |= 1U << quote.source;
    if (quote.confidence.is_negative()) {
      return make_error(ErrorCode::invalid_input, where + "negative confidence");
    }
    if (quote.published_ns > now_ns) {
      return make_error(ErrorCode::invalid_input, where + "published after now");
    }
  }
  return Ok{};
}

OracleReading aggregate(const OracleConfig& config, std::span<const SourceQuote> quotes,
                        TimestampNs now_ns, std::optional<Price> reference_price) {
  BALLAST_ASSERT(quotes.size() <= kMaxOracleSources);
  QuoteSet fresh;
  QuoteSet stale;
  std::uint32_t seen = 0;
  for (const SourceQuote& quote : quotes) {
    // check_quotes() at the edge makes these hold.
    BALLAST_ASSERT(quote.source < kMaxOracleSources && ((seen >> quote.source) & 1U) == 0);
    BALLAST_ASSERT(!quote.confidence.is_negative() && quote.published_ns <= now_ns);
    seen |= 1U << quote.source;
    if (quote.price.raw() <= 0) {
      continue;  // a non-positive price is no price: never part of a median
    }
    // Exactly max_staleness_ns old is fresh; one nanosecond more is stale.
    const bool is_fresh = now_ns - quote.published_ns <= config.max_staleness_ns;
    (is_fresh ? fresh : stale).add(quote);
  }
  if (fresh.count == 0 && stale.count == 0) {
    return OracleReading{};  // price 0, non_positive: nothing may use it
  }
  const bool used_stale = fresh.count == 0;
  OracleReading reading = read_set(used_stale ? stale : fresh);
  reading.validity = judge(config, reading, used_stale, fresh.count, reference_price);
  return reading;
}

Price median_in_place(std::span<Price> values, Round even_round) {
  BALLAST_ASSERT(!values.empty());
  // Insertion sort: at most kMaxOracleSources values, no allocation, and a total order on
  // integers, so the result never depends on the input order.
  for (std::size_t i = 1; i < values.size(); ++i) {
    const Price value = values[i];
    std::size_t j = i;
    for (; j > 0 && values[j - 1] > value; --j) {
      values[j] = values[j - 1];
    }
    values[j] = value;
  }
  const std::size_t middle = values.size() / 2;
  if (values.size() % 2 == 1) {
    return values[middle];
  }
  const int128 sum = static_cast<int128>(values[middle - 1].raw()) + values[middle].raw();
  // The mean of two int64 values always fits in int64.
  return Price::from_raw(static_cast<std::int64_t>(div_round(sum, 2, even_round)));
}

// --- The per-action table -------------------------------------------------------------------

namespace {

constexpr std::uint8_t bit(OracleValidity validity) {
  return static_cast<std::uint8_t>(1U << static_cast<unsigned>(validity));
}

constexpr std::uint8_t kValidOnly = bit(OracleValidity::valid);
constexpr std::uint8_t kAllButBroken =  // every validity with a usable, plausible price
    bit(OracleValidity::uncertain) | bit(OracleValidity::stale) |
    bit(OracleValidity::insufficient_sources) | bit(OracleValidity::valid);
constexpr std::uint8_t kTrustedOrOld =  // a price the sources agree on, possibly old
    bit(OracleValidity::stale) | bit(OracleValidity::insufficient_sources) |
    bit(OracleValidity::valid);

}  // namespace

OracleActionPolicy OracleActionPolicy::defaults() {
  OracleActionPolicy policy;
  auto row = [&policy](OracleAction action, std::uint8_t bits) {
    policy.allowed_bits_[static_cast<std::size_t>(action)] = bits;
  };
  // New exposure is priced by the initial-margin check: it needs the best price there is.
  row(OracleAction::open_risk, kValidOnly);
  // A reduce-only trade is a voluntary partial liquidation: forbidding it where the forced one
  // is allowed would make users wait for the liquidator.
  row(OracleAction::reduce_risk, kAllButBroken);
  // Not liquidating is a risk too (Drift): only a price that is absent or jumped is refused.
  row(OracleAction::liquidate, kAllButBroken);
  // Value leaving the venue cannot be clawed back: only a valid price may release it.
  row(OracleAction::withdraw, kValidOnly);
  // Drift's SettlePnl and UpdateFunding: an old price is tolerated (withdrawing the settled
  // PnL still needs a valid one), a wide or jumping one is not.
  row(OracleAction::settle_pnl, kTrustedOrOld);
  row(OracleAction::funding, kTrustedOrOld);
  // A final settlement is irreversible: better to wait for a valid price than to settle wrong.
  row(OracleAction::expiry_settlement, kValidOnly);
  // Bad debt charged to the insurance fund and to other accounts cannot be undone: a stale or
  // doubtful mark must not manufacture a bankruptcy (a liquidation, by contrast, only moves risk).
  row(OracleAction::resolve_bankruptcy, kValidOnly);
  return policy;
}

bool OracleActionPolicy::allows(OracleAction action, OracleValidity validity) const {
  const auto row = static_cast<std::size_t>(action);
  BALLAST_ASSERT(row < kOracleActionCount &&
                 static_cast<std::size_t>(validity) < kOracleValidityCount);
  return (allowed_bits_[row] & bit(validity)) != 0;
}

void OracleActionPolicy::set(OracleAction action, OracleValidity validity, bool allow) {
  const auto row = static_cast<std::size_t>(action);
  BALLAST_ASSERT(row < kOracleActionCount &&
                 static_cast<std::size_t>(validity) < kOracleValidityCount);
  allowed_bits_[row] = static_cast<std::uint8_t>(allow ? allowed_bits_[row] | bit(validity)
                                                       : allowed_bits_[row] & ~bit(validity));
}

}  // namespace ballast::market
