// Oracle aggregation and guards (oracle.hpp): medians (odd, even, rounding), minimum sources,
// staleness and confidence exactly at their limits and one unit past, the move guard, non-positive
// prices, the precedence of validities, config and quote validation, the default per-action
// table; and properties: the median lies within the quotes it was taken over, and the reading
// does not depend on the order of the quotes.

#include "ballast/market/oracle.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <vector>

namespace ballast::market {
namespace {

constexpr TimestampNs kNow = 1'700'000'000 * kNsPerSecond;

Price px(const char* text) { return Price::parse(text, Round::down).value(); }
Ratio ratio(const char* text) { return Ratio::parse(text, Round::down).value(); }

SourceQuote quote(std::uint32_t source, const char* price, const char* confidence = "0",
                  TimestampNs age_ns = 0) {
  return SourceQuote{source, px(price), px(confidence), kNow - age_ns};
}

OracleReading read(const OracleConfig& config, const std::vector<SourceQuote>& quotes,
                   std::optional<Price> reference = std::nullopt) {
  EXPECT_TRUE(check_quotes(quotes, kNow).ok());
  return aggregate(config, quotes, kNow, reference);
}

// --- Medians ---------------------------------------------------------------------------------

TEST(OracleMedian, OddCountIsTheMiddleQuote) {
  const OracleReading r = read({}, {quote(0, "101"), quote(1, "99"), quote(2, "100")});
  EXPECT_EQ(r.price, px("100"));
  EXPECT_EQ(r.source_count, 3U);
  EXPECT_EQ(r.validity, OracleValidity::valid);
}

TEST(OracleMedian, EvenCountIsTheMeanOfTheMiddleTwo) {
  const OracleReading r =
      read({}, {quote(0, "100"), quote(1, "103"), quote(2, "101"), quote(3, "90")});
  EXPECT_EQ(r.price, px("100.5"));  // mean of 100 and 101
}

TEST(OracleMedian, EvenCountRoundsTheHalfUnitAsNamed) {
  // 100 and 100.000000001: the exact mean is 100.0000000005.
  std::vector<Price> values{px("100.000000001"), px("100")};
  EXPECT_EQ(median_in_place(values, Round::down), px("100"));
  EXPECT_EQ(median_in_place(values, Round::up), px("100.000000001"));
  // The reading's price uses down.
  EXPECT_EQ(read({}, {quote(0, "100.000000001"), quote(1, "100")}).price, px("100"));
}

TEST(OracleMedian, NegativeMeanRoundsTowardMinusInfinity) {
  std::vector<Price> values{Price::from_raw(-3), Price::from_raw(0)};
  EXPECT_EQ(median_in_place(values, Round::down), Price::from_raw(-2));
  EXPECT_EQ(median_in_place(values, Round::up), Price::from_raw(-1));
}

TEST(OracleMedian, ExtremeValuesDoNotOverflow) {
  std::vector<Price> values{Price::from_raw(INT64_MAX), Price::from_raw(INT64_MAX - 1)};
  EXPECT_EQ(median_in_place(values, Round::down), Price::from_raw(INT64_MAX - 1));
  EXPECT_EQ(median_in_place(values, Round::up), Price::from_raw(INT64_MAX));
}

TEST(OracleMedian, ConfidenceIsTheMedianOfConfidencesRoundedUp) {
  const OracleReading r = read({}, {quote(0, "100", "0.1"), quote(1, "100", "0.000000001")});
  // mean of 0.000000001 and 0.1 = 0.0500000005, rounded up
  EXPECT_EQ(r.confidence, px("0.050000001"));
}

TEST(OracleMedian, DisagreementBetweenSourcesWidensConfidence) {
  // Deviations from the median 100 are 4, 0, 4: their median, 4, beats the sources' own 0.5.
  const OracleReading r =
      read({}, {quote(0, "96", "0.5"), quote(1, "100", "0.5"), quote(2, "104", "0.5")});
  EXPECT_EQ(r.price, px("100"));
  EXPECT_EQ(r.confidence, px("4"));
  EXPECT_EQ(r.validity, OracleValidity::uncertain);  // 4% > 2%
  // One wild source out of three does not: deviations 0, 0, 50 have median 0.
  const OracleReading one_wild =
      read({}, {quote(0, "100", "0.5"), quote(1, "100", "0.5"), quote(2, "150", "0.5")});
  EXPECT_EQ(one_wild.price, px("100"));
  EXPECT_EQ(one_wild.confidence, px("0.5"));
  EXPECT_EQ(one_wild.validity, OracleValidity::valid);
}

// --- Minimum sources, staleness --------------------------------------------------------------

TEST(OracleSources, FewerThanTheMinimumIsInsufficient) {
  OracleConfig config;
  config.min_sources = 3;
  const OracleReading two = read(config, {quote(0, "100"), quote(1, "102")});
  EXPECT_EQ(two.validity, OracleValidity::insufficient_sources);
  EXPECT_EQ(two.price, px("101"));  // still a price, for the actions that allow it
  EXPECT_EQ(two.source_count, 2U);
  const OracleReading three = read(config, {quote(0, "100"), quote(1, "102"), quote(2, "101")});
  EXPECT_EQ(three.validity, OracleValidity::valid);
}

TEST(OracleSources, StaleAndNonPositiveQuotesDoNotCountTowardTheMinimum) {
  OracleConfig config;
  config.min_sources = 2;
  const OracleReading r =
      read(config, {quote(0, "100"), quote(1, "0"), quote(2, "101", "0", 11 * kNsPerSecond)});
  EXPECT_EQ(r.validity, OracleValidity::insufficient_sources);
  EXPECT_EQ(r.price, px("100"));  // the fresh quote alone: stale ones are not mixed in
  EXPECT_EQ(r.source_count, 1U);
}

TEST(OracleStaleness, ExactlyAtTheLimitIsFresh) {
  const OracleConfig config;  // 10 s
  const OracleReading r = read(config, {quote(0, "100", "0", 10 * kNsPerSecond)});
  EXPECT_EQ(r.validity, OracleValidity::valid);
  EXPECT_EQ(r.newest_published_ns, kNow - 10 * kNsPerSecond);
}

TEST(OracleStaleness, OneNanosecondPastTheLimitIsStale) {
  const OracleConfig config;
  const OracleReading r = read(config, {quote(0, "100", "0", 10 * kNsPerSecond + 1)});
  EXPECT_EQ(r.validity, OracleValidity::stale);
  EXPECT_EQ(r.price, px("100"));  // the last known price, for liquidations
  EXPECT_EQ(r.source_count, 1U);
}

TEST(OracleStaleness, StaleQuotesAreUsedOnlyWhenNoneIsFresh) {
  const OracleReading all_stale = read({}, {quote(0, "100", "0", 20 * kNsPerSecond),
                                            quote(1, "101", "0", 30 * kNsPerSecond),
                                            quote(2, "100.5", "0", 40 * kNsPerSecond)});
  EXPECT_EQ(all_stale.validity, OracleValidity::stale);
  EXPECT_EQ(all_stale.price, px("100.5"));
  EXPECT_EQ(all_stale.newest_published_ns, kNow - 20 * kNsPerSecond);
  const OracleReading one_fresh =
      read({}, {quote(0, "100", "0", 20 * kNsPerSecond), quote(1, "110", "0", kNsPerSecond)});
  EXPECT_EQ(one_fresh.validity, OracleValidity::valid);
  EXPECT_EQ(one_fresh.price, px("110"));
  EXPECT_EQ(one_fresh.newest_published_ns, kNow - kNsPerSecond);
}

// --- Confidence, move, non-positive ----------------------------------------------------------

TEST(OracleConfidence, ExactlyAtTheLimitIsValidOneUnitMoreIsUncertain) {
  const OracleConfig config;  // 2%
  EXPECT_EQ(read(config, {quote(0, "100", "2")}).validity, OracleValidity::valid);
  EXPECT_EQ(read(config, {quote(0, "100", "2.000000001")}).validity, OracleValidity::uncertain);
}

TEST(OracleMove, ExactlyAtTheLimitIsValidOneUnitMoreIsTooVolatile) {
  const OracleConfig config;  // 50% against the reference
  const Price reference = px("100");
  EXPECT_EQ(read(config, {quote(0, "150")}, reference).validity, OracleValidity::valid);
  EXPECT_EQ(read(config, {quote(0, "150.000000001")}, reference).validity,
            OracleValidity::too_volatile);
  EXPECT_EQ(read(config, {quote(0, "50")}, reference).validity, OracleValidity::valid);
  EXPECT_EQ(read(config, {quote(0, "49.999999999")}, reference).validity,
            OracleValidity::too_volatile);
}

TEST(OracleMove, NoReferenceSkipsTheGuard) {
  EXPECT_EQ(read({}, {quote(0, "1000000")}).validity, OracleValidity::valid);
}

TEST(OracleNonPositive, NoPositiveQuoteGivesPriceZeroAndNonPositive) {
  const OracleReading r = read({}, {quote(0, "0"), quote(1, "-5")});
  EXPECT_EQ(r.validity, OracleValidity::non_positive);
  EXPECT_EQ(r.price, px("0"));
  EXPECT_EQ(r.source_count, 0U);
  EXPECT_EQ(read({}, {}).validity, OracleValidity::non_positive);
  // Even against a reference it is non_positive, never too_volatile.
  EXPECT_EQ(read({}, {quote(0, "0")}, px("100")).validity, OracleValidity::non_positive);
}

TEST(OracleNonPositive, NonPositiveQuotesAreLeftOutOfTheMedian) {
  const OracleReading r = read({}, {quote(0, "-1000"), quote(1, "0"), quote(2, "100")});
  EXPECT_EQ(r.price, px("100"));
  EXPECT_EQ(r.source_count, 1U);
}

TEST(OraclePrecedence, TheFirstFailingGuardInDeclarationOrderWins) {
  OracleConfig config;
  config.min_sources = 2;
  const Price reference = px("100");
  // too volatile + uncertain + stale -> too_volatile
  EXPECT_EQ(read(config, {quote(0, "200", "50", 60 * kNsPerSecond)}, reference).validity,
            OracleValidity::too_volatile);
  // uncertain + stale -> uncertain
  EXPECT_EQ(read(config, {quote(0, "100", "50", 60 * kNsPerSecond)}, reference).validity,
            OracleValidity::uncertain);
  // uncertain + insufficient -> uncertain
  EXPECT_EQ(read(config, {quote(0, "100", "50")}, reference).validity, OracleValidity::uncertain);
  // stale with too few sources -> stale (nothing fresh at all is the graver fault)
  EXPECT_EQ(read(config, {quote(0, "100", "0", 60 * kNsPerSecond)}, reference).validity,
            OracleValidity::stale);
  // insufficient alone
  EXPECT_EQ(read(config, {quote(0, "100")}, reference).validity,
            OracleValidity::insufficient_sources);
  // The enum's order is the documented precedence.
  EXPECT_LT(OracleValidity::non_positive, OracleValidity::too_volatile);
  EXPECT_LT(OracleValidity::too_volatile, OracleValidity::uncertain);
  EXPECT_LT(OracleValidity::uncertain, OracleValidity::stale);
  EXPECT_LT(OracleValidity::stale, OracleValidity::insufficient_sources);
  EXPECT_LT(OracleValidity::insufficient_sources, OracleValidity::valid);
}

// --- Validation ------------------------------------------------------------------------------

std::string config_error(const OracleConfig& config) {
  const Outcome outcome = config.validate();
  EXPECT_FALSE(outcome.ok());
  if (outcome.ok()) return {};
  EXPECT_EQ(outcome.error().code, ErrorCode::invalid_input);
  return outcome.error().message;
}

TEST(OracleConfigValidate, DefaultsAreValid) { EXPECT_TRUE(OracleConfig{}.validate().ok()); }

TEST(OracleConfigValidate, EachBadFieldIsNamed) {
  OracleConfig config;
  config.min_sources = 0;
  EXPECT_EQ(config_error(config), "oracle config: min_sources must be 1..16, got 0");
  config.min_sources = 17;
  EXPECT_EQ(config_error(config), "oracle config: min_sources must be 1..16, got 17");
  config = {};
  config.max_staleness_ns = 0;
  EXPECT_EQ(config_error(config), "oracle config: max_staleness_ns must be positive, got 0");
  config = {};
  config.max_confidence = ratio("-0.01");
  EXPECT_EQ(config_error(config), "oracle config: max_confidence must be >= 0, got -0.01");
  config = {};
  config.max_move = ratio("0");
  EXPECT_EQ(config_error(config), "oracle config: max_move must be positive, got 0");
}

std::string quotes_error(const std::vector<SourceQuote>& quotes) {
  const Outcome outcome = check_quotes(quotes, kNow);
  EXPECT_FALSE(outcome.ok());
  return outcome.ok() ? std::string() : outcome.error().message;
}

TEST(OracleCheckQuotes, MalformedUpdatesAreNamed) {
  EXPECT_TRUE(check_quotes(std::vector<SourceQuote>{quote(0, "1"), quote(15, "1")}, kNow).ok());
  EXPECT_EQ(quotes_error({quote(0, "1"), quote(16, "1")}),
            "oracle update: quote 1: source 16 out of range");
  EXPECT_EQ(quotes_error({quote(3, "1"), quote(3, "2")}), "oracle update: quote 1: source 3 repeated");
  EXPECT_EQ(quotes_error({quote(0, "1", "-0.1")}), "oracle update: quote 0: negative confidence");
  EXPECT_EQ(quotes_error({quote(0, "1", "0", -1)}), "oracle update: quote 0: published after now");
  std::vector<SourceQuote> many;
  for (std::uint32_t i = 0; i < 17; ++i) many.push_back(quote(i % 16, "1"));
  EXPECT_EQ(quotes_error(many), "oracle update: 17 quotes, at most 16");
}

TEST(OracleCheckQuotesDeathTest, AggregateAssertsWhatCheckQuotesRejects) {
  const std::vector<SourceQuote> repeated{quote(3, "1"), quote(3, "2")};
  EXPECT_DEATH(aggregate({}, repeated, kNow, std::nullopt), "");
}

// --- The per-action table --------------------------------------------------------------------

TEST(OracleActionPolicyTest, DefaultTable) {
  using V = OracleValidity;
  using A = OracleAction;
  // Columns: non_positive, too_volatile, uncertain, stale, insufficient_sources, valid.
  const std::vector<std::pair<A, std::array<bool, kOracleValidityCount>>> expected{
      {A::open_risk, {false, false, false, false, false, true}},
      {A::reduce_risk, {false, false, true, true, true, true}},
      {A::liquidate, {false, false, true, true, true, true}},
      {A::withdraw, {false, false, false, false, false, true}},
      {A::settle_pnl, {false, false, false, true, true, true}},
      {A::funding, {false, false, false, true, true, true}},
      {A::expiry_settlement, {false, false, false, false, false, true}},
      {A::resolve_bankruptcy, {false, false, false, false, false, true}},
  };
  ASSERT_EQ(expected.size(), kOracleActionCount);
  const OracleActionPolicy policy = OracleActionPolicy::defaults();
  for (const auto& [action, row] : expected) {
    for (std::size_t v = 0; v < kOracleValidityCount; ++v) {
      EXPECT_EQ(allowed(policy, action, static_cast<V>(v)), row[v])
          << oracle_action_name(action) << " on " << oracle_validity_name(static_cast<V>(v));
    }
  }
}

TEST(OracleActionPolicyTest, CellsAreConfigurable) {
  OracleActionPolicy policy = OracleActionPolicy::defaults();
  policy.set(OracleAction::withdraw, OracleValidity::stale, true);
  EXPECT_TRUE(allowed(policy, OracleAction::withdraw, OracleValidity::stale));
  EXPECT_TRUE(allowed(policy, OracleAction::withdraw, OracleValidity::valid));
  policy.set(OracleAction::liquidate, OracleValidity::uncertain, false);
  EXPECT_FALSE(allowed(policy, OracleAction::liquidate, OracleValidity::uncertain));
  EXPECT_TRUE(allowed(policy, OracleAction::liquidate, OracleValidity::stale));
  EXPECT_NE(policy, OracleActionPolicy::defaults());
  const OracleActionPolicy none = OracleActionPolicy::none();
  for (std::size_t a = 0; a < kOracleActionCount; ++a) {
    for (std::size_t v = 0; v < kOracleValidityCount; ++v) {
      EXPECT_FALSE(allowed(none, static_cast<OracleAction>(a), static_cast<OracleValidity>(v)));
    }
  }
}

TEST(OracleNames, EveryValueHasAName) {
  EXPECT_STREQ(oracle_validity_name(OracleValidity::insufficient_sources), "insufficient_sources");
  EXPECT_STREQ(oracle_action_name(OracleAction::expiry_settlement), "expiry_settlement");
  EXPECT_STREQ(oracle_action_name(OracleAction::resolve_bankruptcy), "resolve_bankruptcy");
}

// --- Properties ------------------------------------------------------------------------------

rc::Gen<std::vector<SourceQuote>> quote_sets() {
  return rc::gen::exec([] {
    const auto count = *rc::gen::inRange<std::size_t>(0, kMaxOracleSources + 1);
    std::vector<SourceQuote> quotes;
    for (std::size_t i = 0; i < count; ++i) {
      SourceQuote q;
      q.source = static_cast<std::uint32_t>(i);
      q.price = Price::from_raw(*rc::gen::inRange<std::int64_t>(-1'000'000, 1'000'000'000'000'000));
      q.confidence = Price::from_raw(*rc::gen::inRange<std::int64_t>(0, 1'000'000'000'000));
      q.published_ns = kNow - *rc::gen::inRange<TimestampNs>(0, 20 * kNsPerSecond);
      quotes.push_back(q);
    }
    return quotes;
  });
}

RC_GTEST_PROP(OracleProperty, MedianLiesWithinTheQuotesUsed, ()) {
  const auto quotes = *quote_sets();
  const OracleConfig config;
  const OracleReading r = aggregate(config, quotes, kNow, std::nullopt);
  std::vector<Price> fresh;
  std::vector<Price> stale;
  for (const SourceQuote& q : quotes) {
    if (q.price.raw() <= 0) continue;
    (kNow - q.published_ns <= config.max_staleness_ns ? fresh : stale).push_back(q.price);
  }
  const std::vector<Price>& used = fresh.empty() ? stale : fresh;
  if (used.empty()) {
    RC_ASSERT(r.validity == OracleValidity::non_positive);
    return;
  }
  RC_ASSERT(r.source_count == used.size());
  RC_ASSERT(r.price >= *std::min_element(used.begin(), used.end()));
  RC_ASSERT(r.price <= *std::max_element(used.begin(), used.end()));
  // Stale exactly when nothing fresh was usable, unless a graver guard took precedence.
  if (fresh.empty()) {
    RC_ASSERT(r.validity <= OracleValidity::stale);
  } else {
    RC_ASSERT(r.validity != OracleValidity::stale);
  }
}

RC_GTEST_PROP(OracleProperty, TheOrderOfQuotesDoesNotMatter, ()) {
  auto quotes = *quote_sets();
  const auto reference = Price::from_raw(*rc::gen::inRange<std::int64_t>(1, 1'000'000'000'000'000));
  const OracleReading before = aggregate({}, quotes, kNow, reference);
  std::reverse(quotes.begin(), quotes.end());
  if (!quotes.empty()) std::rotate(quotes.begin(), quotes.begin() + 1, quotes.end());
  const OracleReading after = aggregate({}, quotes, kNow, reference);
  RC_ASSERT(before.price == after.price);
  RC_ASSERT(before.confidence == after.confidence);
  RC_ASSERT(before.validity == after.validity);
  RC_ASSERT(before.newest_published_ns == after.newest_published_ns);
}

}  // namespace
}  // namespace ballast::market
