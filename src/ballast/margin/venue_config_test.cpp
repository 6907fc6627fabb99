#include "ballast/margin/venue_config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>

namespace ballast::margin {
namespace {

const std::string kConfigs = BALLAST_CONFIGS_DIR;

// A small valid venue; tests break one thing at a time.
constexpr const char* kVenue = R"(name = "test"
quote = "USDC"

[pnl]
initial_weight = 0.9
initial_cap = "1000"

[[asset]]
symbol = "USDC"
id = 1
decimals = 6

[[asset]]
symbol = "BTC"
id = 2
decimals = 8
init_asset_weight = 0.3
maint_asset_weight = "0.9"
init_liability_weight = 1.1
maint_liability_weight = "1.05"

[[market]]
symbol = "BTC-PERP"
id = 10
kind = "perpetual"
underlying = "BTC"
tick = "0.1"
lot = "0.001"
rule = { kind = "base", initial_rate = "0.05", maintenance_rate = "0.03" }
funding = { interval = "1h", clamp = "0.01" }
)";

std::string error_of(const std::string& text) {
  const Result<VenueConfig> venue = parse_venue_config(text, "venue.toml");
  EXPECT_FALSE(venue.ok());
  return venue.ok() ? std::string() : venue.error().message;
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

TEST(VenueConfig, ReadsTheSmallVenue) {
  const Result<VenueConfig> venue = parse_venue_config(kVenue, "venue.toml");
  ASSERT_TRUE(venue.ok()) << venue.error().message;
  EXPECT_EQ(venue->name, "test");
  EXPECT_EQ(venue->risk.quote, AssetId{1});
  ASSERT_EQ(venue->risk.assets.size(), 2u);
  ASSERT_EQ(venue->risk.markets.size(), 1u);
  const MarketRisk& perp = venue->risk.markets[0];
  EXPECT_EQ(perp.instrument.funding.interval_ns, 3'600'000'000'000);
  const auto* rule = std::get_if<BaseRule>(&perp.rule);
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->initial_rate.raw(), 50'000'000'000);
  EXPECT_EQ(venue->risk.pnl.initial_cap, Money::from_raw(1'000'000'000));
  EXPECT_EQ(venue->risk.pnl.maintenance_cap.raw(), INT64_MAX);  // none given: no cap
}

// TOML floats are read from their text: 0.3 and 1.1 are not doubles' 0.29999999999999998890 and
// 1.1000000000000000888, which from_double would round to 0.299999999999 (down) or
// 1.100000000001 (up).
TEST(VenueConfig, ReadsDecimalsExactly) {
  const Result<VenueConfig> venue = parse_venue_config(kVenue, "venue.toml");
  ASSERT_TRUE(venue.ok()) << venue.error().message;
  const CollateralParams& btc = venue->risk.assets[1].collateral;
  EXPECT_EQ(btc.init_asset_weight.raw(), 300'000'000'000);
  EXPECT_EQ(btc.init_liability_weight.raw(), 1'100'000'000'000);
  EXPECT_EQ(venue->risk.pnl.initial_weight.raw(), 900'000'000'000);
  // Exponents, underscores and a non-ASCII key before the value on its line.
  const std::string text = replaced(replaced(kVenue, "init_asset_weight = 0.3", "init_asset_weight = 3e-1"),
                                    "tick = \"0.1\"", "tick = 1_000.5\n\"é\" = 1");
  const std::string message = error_of(text);  // "é" is not a key of a market
  EXPECT_NE(message.find("venue.toml:28: market BTC-PERP: é: unknown key"), std::string::npos) << message;
  const Result<VenueConfig> exp = parse_venue_config(
      replaced(replaced(kVenue, "init_asset_weight = 0.3", "init_asset_weight = 3e-1"), "tick = \"0.1\"",
               "tick = 1_000.5"),
      "venue.toml");
  ASSERT_TRUE(exp.ok()) << exp.error().message;
  EXPECT_EQ(exp->risk.assets[1].collateral.init_asset_weight.raw(), 300'000'000'000);
  EXPECT_EQ(exp->risk.markets[0].instrument.tick.raw(), 1'000'500'000'000);
  // More places than a weight holds (12) is an error, not a rounding.
  EXPECT_EQ(error_of(replaced(kVenue, "init_asset_weight = 0.3", "init_asset_weight = 0.3000000000001")),
            "venue.toml:17: asset BTC: init_asset_weight: has more than 12 decimal places: 0.3000000000001");
  EXPECT_EQ(error_of(replaced(kVenue, "tick = \"0.1\"", "tick = \"0.0000000001\"")),
            "venue.toml:27: market BTC-PERP: tick: has more than 9 decimal places: 0.0000000001");
}

TEST(VenueConfig, ErrorsNameFileLineAndKey) {
  // Wrong type.
  EXPECT_EQ(error_of(replaced(kVenue, "decimals = 8", "decimals = \"8\"")),
            "venue.toml:16: asset BTC: decimals: must be an integer, got a string");
  EXPECT_EQ(error_of(replaced(kVenue, "tick = \"0.1\"", "tick = true")),
            "venue.toml:27: market BTC-PERP: tick: must be a decimal (a string such as \"0.05\" or a number), got a boolean");
  // Out of range, from the parser's own check and from the library's validation.
  EXPECT_EQ(error_of(replaced(kVenue, "maint_asset_weight = \"0.9\"", "maint_asset_weight = \"1.5\"")),
            "venue.toml:18: asset BTC: maint_asset_weight: must be at most 1, got 1.5");
  EXPECT_EQ(error_of(replaced(kVenue, "initial_rate = \"0.05\"", "initial_rate = \"1.5\"")),
            "venue.toml:29: market BTC-PERP: rule.initial_rate: must be in [0, 1], got 1.5");
  EXPECT_EQ(error_of(replaced(kVenue, "initial_weight = 0.9", "initial_weight = 1.2")),
            "venue.toml:5: pnl.initial_weight: must be in [0, 1], got 1.2");
  EXPECT_EQ(error_of(replaced(kVenue, "lot = \"0.001\"", "lot = \"0\"")),
            "venue.toml:28: market BTC-PERP: lot must be positive, got 0");
  EXPECT_EQ(error_of(replaced(kVenue, "decimals = 8", "decimals = 19")),
            "venue.toml:16: asset BTC: decimals: must be in [0, 18], got 19");
  // Unknown keys, at every level.
  EXPECT_EQ(error_of(replaced(kVenue, "maint_asset_weight", "maint_asset_wieght")),
            "venue.toml:18: asset BTC: maint_asset_wieght: unknown key");
  EXPECT_EQ(error_of(replaced(kVenue, "clamp = \"0.01\"", "clamp = \"0.01\", clampp = 1")),
            "venue.toml:30: market BTC-PERP: funding.clampp: unknown key");
  EXPECT_EQ(error_of(replaced(kVenue, "name = \"test\"", "name = \"test\"\nversoin = 2")),
            "venue.toml:2: versoin: unknown key");
  // Missing keys name the table's line.
  EXPECT_EQ(error_of(replaced(kVenue, "tick = \"0.1\"\n", "")),
            "venue.toml:22: market BTC-PERP: tick: is missing");
  // Unknown underlying, unknown quote.
  EXPECT_EQ(error_of(replaced(kVenue, "underlying = \"BTC\"", "underlying = \"XBT\"")),
            "venue.toml:26: market BTC-PERP: underlying: no asset \"XBT\" is listed");
  EXPECT_EQ(error_of(replaced(kVenue, "quote = \"USDC\"", "quote = \"USDT\"")),
            "venue.toml:2: quote: no asset \"USDT\" is listed");
  // Duplicate ids and symbols.
  EXPECT_EQ(error_of(replaced(kVenue, "id = 2", "id = 1")),
            "venue.toml:15: asset BTC: id: 1 is already used by asset USDC");
  EXPECT_EQ(error_of(std::string(kVenue) + "\n[[market]]\nsymbol = \"BTC-2\"\nid = 10\n"),
            "venue.toml:34: market BTC-2: id: 10 is already used by market BTC-PERP");
  // Unknown rule kind, a field of another instrument kind, a bad duration, a TOML syntax error.
  EXPECT_EQ(error_of(replaced(kVenue, "kind = \"base\"", "kind = \"bsae\"")),
            "venue.toml:29: market BTC-PERP: rule.kind: must be base, size, oi_ramp, tiers or leverage_tiers, got \"bsae\"");
  EXPECT_EQ(error_of(replaced(kVenue, "lot = \"0.001\"", "lot = \"0.001\"\nstrike = \"5\"")),
            "venue.toml:29: market BTC-PERP: strike: is for options only");
  EXPECT_EQ(error_of(replaced(kVenue, "interval = \"1h\"", "interval = \"1 hour\"")),
            "venue.toml:30: market BTC-PERP: funding.interval: not a duration (a count and a unit: ns, us, ms, s, m, h, d): \"1 hour\"");
  // A quoted key may hold a newline: the error stays one line.
  EXPECT_EQ(error_of(replaced(kVenue, "name = \"test\"", "name = \"test\"\n\"a\\nb\" = 1")),
            "venue.toml:2: a\\nb: unknown key");
  const std::string syntax = error_of(replaced(kVenue, "id = 10", "id = = 10"));
  EXPECT_EQ(syntax.rfind("venue.toml:24: ", 0), 0u) << syntax;
}

// An asset's oracle guards and stable-price model (seconds as decimals, exact to the
// nanosecond), and a market's perp_health.
TEST(VenueConfig, OracleStablePriceAndPerpHealth) {
  const std::string venue_text =
      replaced(replaced(kVenue, "maint_liability_weight = \"1.05\"\n",
                        "maint_liability_weight = \"1.05\"\n"
                        "[asset.oracle]\nmin_sources = 3\nmax_staleness_s = 2.5\nmax_confidence = 0.01\n"
                        "max_move = \"0.2\"\n[asset.stable_price]\ndelay_interval_s = 1800\n"
                        "min_update_spacing_s = \"0.5\"\nmax_dt_s = 300\n"),
               "funding = {", "perp_health = \"settle_weighted_net\"\nfunding = {");
  const Result<VenueConfig> venue = parse_venue_config(venue_text, "venue.toml");
  ASSERT_TRUE(venue.ok()) << venue.error().message;
  const AssetRisk& btc = venue->risk.assets[1];
  EXPECT_EQ(btc.oracle.min_sources, 3u);
  EXPECT_EQ(btc.oracle.max_staleness_ns, 2'500'000'000);
  EXPECT_EQ(btc.oracle.max_confidence.raw(), 10'000'000'000);
  EXPECT_EQ(btc.oracle.max_move.raw(), 200'000'000'000);
  EXPECT_EQ(btc.stable_price.delay_interval_ns, 1'800'000'000'000);
  EXPECT_EQ(btc.stable_price.min_update_spacing_ns, 500'000'000);
  EXPECT_EQ(btc.stable_price.max_dt_ns, 300'000'000'000);
  // Keys not given keep the structs' defaults.
  EXPECT_EQ(btc.stable_price.delay_growth_limit, market::StablePriceConfig{}.delay_growth_limit);
  EXPECT_EQ(venue->risk.assets[0].oracle.min_sources, market::OracleConfig{}.min_sources);
  EXPECT_EQ(venue->risk.markets[0].perp_health, PerpHealth::settle_weighted_net);
  EXPECT_EQ(parse_venue_config(kVenue, "venue.toml")->risk.markets[0].perp_health,
            PerpHealth::pnl_less_requirement);

  EXPECT_EQ(error_of(replaced(venue_text, "min_sources = 3", "min_sources = 0")),
            "venue.toml:22: asset BTC: oracle.min_sources: must be in [1, 16], got 0");
  EXPECT_EQ(error_of(replaced(venue_text, "max_staleness_s = 2.5", "max_staleness_s = 0")),
            "venue.toml:23: asset BTC: oracle.max_staleness_s: must be a positive number of seconds");
  EXPECT_EQ(error_of(replaced(venue_text, "max_staleness_s = 2.5", "max_staleness_s = 1e-10")),
            "venue.toml:23: asset BTC: oracle.max_staleness_s: has more than 9 decimal places: 1e-10");
  EXPECT_EQ(error_of(replaced(venue_text, "max_staleness_s", "max_stalenes_s")),
            "venue.toml:23: asset BTC: oracle.max_stalenes_s: unknown key");
  EXPECT_EQ(error_of(replaced(venue_text, "max_confidence = 0.01", "max_confidence = -0.01")),
            "venue.toml:24: asset BTC: oracle: max_confidence must be >= 0, got -0.01");
  // The library names the field in nanoseconds; the line is the key's in seconds.
  EXPECT_EQ(error_of(replaced(venue_text, "max_dt_s = 300", "max_dt_s = 0.1")),
            "venue.toml:29: asset BTC: stable_price: max_dt_ns must be >= min_update_spacing_ns, got 100000000");
  EXPECT_EQ(error_of(replaced(venue_text, "perp_health = \"settle_weighted_net\"", "perp_health = \"mango\"")),
            "venue.toml:39: market BTC-PERP: perp_health: must be pnl_less_requirement or settle_weighted_net, got \"mango\"");
  EXPECT_EQ(error_of(std::string(kVenue) + "\n[[market]]\nsymbol = \"BTC-USDC\"\nid = 11\nkind = \"spot\"\n"
                                           "underlying = \"BTC\"\ntick = \"0.1\"\nlot = \"0.001\"\n"
                                           "perp_health = \"settle_weighted_net\"\n"),
            "venue.toml:39: market BTC-USDC: perp_health: is for perpetuals and futures only");
}

TEST(VenueConfig, TiersAndTheirErrors) {
  const std::string tiers = replaced(
      kVenue, "rule = { kind = \"base\", initial_rate = \"0.05\", maintenance_rate = \"0.03\" }",
      "rule = { kind = \"leverage_tiers\", tiers = [ { lower_bound = \"0\", max_leverage = 40 },\n"
      "  { lower_bound = \"150000000\", max_leverage = 20 } ] }");
  const Result<VenueConfig> venue = parse_venue_config(tiers, "venue.toml");
  ASSERT_TRUE(venue.ok()) << venue.error().message;
  const auto* rule = std::get_if<TierRule>(&venue->risk.markets[0].rule);
  ASSERT_NE(rule, nullptr);
  ASSERT_EQ(rule->tiers().size(), 2u);
  EXPECT_EQ(rule->tiers()[1].initial_rate.raw(), 50'000'000'000);  // 1/20
  EXPECT_EQ(error_of(replaced(tiers, "\"150000000\"", "\"0\"")),
            "venue.toml:30: market BTC-PERP: rule.tiers[1].lower_bound: must be above tiers[0].lower_bound (0), got 0");
  const std::string weight_tier = replaced(kVenue, "maint_liability_weight = \"1.05\"",
                                           "maint_liability_weight = \"1.05\"\n[[asset.tiers]]\nmin_size = \"0\"\n"
                                           "init_asset_weight = 0.2\nmaint_asset_weight = 0.8\n"
                                           "init_liability_weight = 1.2\nmaint_liability_weight = 1.1");
  EXPECT_EQ(error_of(weight_tier), "venue.toml:22: asset BTC: tiers[0].min_size: must be above 0, got 0");
}

TEST(VenueConfig, Helpers) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), std::optional<TimestampNs>(0));
  EXPECT_EQ(parse_rfc3339("2026-03-27T08:00:00Z"), std::optional<TimestampNs>(1'774'598'400'000'000'000));
  EXPECT_EQ(parse_rfc3339("2026-03-27T10:00:00.5+02:00"), std::optional<TimestampNs>(1'774'598'400'500'000'000));
  EXPECT_EQ(parse_rfc3339("2026-02-29T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("2026-03-27T08:00:00"), std::nullopt);  // no offset
  EXPECT_EQ(parse_duration_ns("8h"), std::optional<std::int64_t>(28'800'000'000'000));
  EXPECT_EQ(parse_duration_ns("250ms"), std::optional<std::int64_t>(250'000'000));
  EXPECT_EQ(parse_duration_ns("-1s"), std::nullopt);
  EXPECT_EQ(parse_duration_ns("1 h"), std::nullopt);
}

TEST(VenueConfig, ReadsTheDefaultVenue) {
  const Result<VenueConfig> venue = load_venue_config(kConfigs + "/venue-default.toml");
  ASSERT_TRUE(venue.ok()) << venue.error().message;
  EXPECT_EQ(venue->name, "ballast-default");
  EXPECT_EQ(venue->quote_asset().symbol, "USDC");
  EXPECT_EQ(venue->risk.assets.size(), 5u);
  EXPECT_EQ(venue->risk.markets.size(), 11u);
  const MarketRisk* btc = venue->find_market("BTC-PERP");
  ASSERT_NE(btc, nullptr);
  const auto* rule = std::get_if<BaseRule>(&btc->rule);
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->initial_rate.raw(), 20'000'000'000);      // dYdX Large-Cap 2%
  EXPECT_EQ(rule->maintenance_rate.raw(), 12'000'000'000);  // × 0.6
  EXPECT_GT(btc->latency_rate.raw(), 0);
  const MarketRisk* tail = venue->find_market("TAIL-PERP");
  ASSERT_NE(tail, nullptr);
  EXPECT_NE(std::get_if<OiRampRule>(&tail->rule), nullptr);
  const MarketRisk* call = venue->find_market("BTC-27MAR26-70000-C");
  ASSERT_NE(call, nullptr);
  EXPECT_EQ(call->instrument.expiry_ns, 1'774'598'400'000'000'000);
  EXPECT_EQ(call->instrument.strike.raw(), 70'000'000'000'000);
  EXPECT_TRUE(venue->find_asset("TAIL")->collateral.isolated_only);
  EXPECT_EQ(venue->find_asset("BTC")->oracle.min_sources, 3u);
  EXPECT_EQ(venue->find_asset("BTC")->oracle.max_staleness_ns, 10'000'000'000);
  EXPECT_EQ(venue->find_asset("ETH")->oracle.max_move.raw(), 200'000'000'000);
  EXPECT_EQ(venue->find_asset("TAIL")->oracle.min_sources, 1u);
  EXPECT_EQ(venue->find_asset("TAIL")->stable_price.stable_growth_limit_per_s.raw(), 100'000'000);
}

TEST(VenueConfig, MissingFile) {
  const Result<VenueConfig> venue = load_venue_config(kConfigs + "/absent.toml");
  ASSERT_FALSE(venue.ok());
  EXPECT_EQ(venue.error().code, ErrorCode::not_found);
}

TEST(Portfolio, ReadsTheExample) {
  const Result<VenueConfig> venue = load_venue_config(kConfigs + "/venue-default.toml");
  ASSERT_TRUE(venue.ok()) << venue.error().message;
  const Result<Portfolio> portfolio = load_portfolio(kConfigs + "/portfolio-example.json", *venue);
  ASSERT_TRUE(portfolio.ok()) << portfolio.error().message;
  EXPECT_GE(portfolio->sub_accounts.size(), 5u);
  for (std::size_t i = 1; i < portfolio->sub_accounts.size(); ++i) {
    EXPECT_LT(portfolio->sub_accounts[i - 1].id, portfolio->sub_accounts[i].id);
  }
}

// A perpetual's price may carry its cumulative funding index and a position its snapshot; a
// position without one has settled up to the index now.
TEST(Portfolio, FundingIndexAndSnapshot) {
  const Result<VenueConfig> venue = parse_venue_config(kVenue, "venue.toml");
  ASSERT_TRUE(venue.ok()) << venue.error().message;
  const std::string prices =
      R"({"prices": {"assets": {"BTC": {"oracle": "50000"}}, "markets": {"BTC-PERP": {"mark": 50000, "funding_index": "13.5"}}}, )";
  const Result<Portfolio> read = parse_portfolio(
      prices + R"("sub_accounts": [{"id": 1, "owner": 7, "balances": {"USDC": 20000},
          "positions": {"BTC-PERP": {"size": 2, "cost_basis": "100000", "funding_snapshot": 10}}},
          {"id": 2, "owner": 8, "positions": {"BTC-PERP": {"size": 1, "cost_basis": "50000"}}}]})",
      "p.json", *venue);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->prices.markets[0].funding_index.raw(), 13'500'000'000);
  EXPECT_EQ(read->sub_accounts[0].positions[0].position.funding_snapshot.raw(), 10'000'000'000);
  EXPECT_EQ(read->sub_accounts[1].positions[0].position.funding_snapshot.raw(), 13'500'000'000);
  const MarginOutcome margin = evaluate(venue->risk, read->prices, std::span(read->sub_accounts).first(1));
  ASSERT_EQ(margin.status, MarginStatus::ok);
  EXPECT_EQ(margin.margin.sub_accounts[0].positions[0].pending_funding.raw(), 7'000'000);  // 2 × 3.5
  const Result<Portfolio> bad = parse_portfolio(
      prices + R"("sub_accounts": [{"id": 1, "owner": 7, "positions": {"BTC-PERP": {"size": 2, "cost_basis": "1", "funding_snapshot": "0.0000000001"}}}]})",
      "p.json", *venue);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "p.json: sub_accounts[0].positions.BTC-PERP.funding_snapshot: has more than 9 decimal places: 0.0000000001");
}

TEST(Portfolio, ErrorsNamePathAndKey) {
  const Result<VenueConfig> venue = parse_venue_config(kVenue, "venue.toml");
  ASSERT_TRUE(venue.ok()) << venue.error().message;
  const auto error = [&](const std::string& json) {
    const Result<Portfolio> p = parse_portfolio(json, "p.json", *venue);
    EXPECT_FALSE(p.ok());
    return p.ok() ? std::string() : p.error().message;
  };
  const std::string prices = R"("prices": {"assets": {"BTC": {"oracle": "50000"}}, "markets": {"BTC-PERP": {"mark": 50000.5}}})";
  const auto with = [&](const std::string& sub) { return "{" + prices + ", \"sub_accounts\": [" + sub + "]}"; };
  const Result<Portfolio> ok = parse_portfolio(
      with(R"({"id": 16, "owner": 100, "balances": {"USDC": 1000.25, "BTC": "-0.5"},
               "positions": {"BTC-PERP": {"size": 0.1, "entry_price": "40000.1"}}})"),
      "p.json", *venue);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->prices.markets[0].mark.raw(), 50'000'500'000'000);
  const SubAccountBook& sub = ok->sub_accounts[0];
  ASSERT_EQ(sub.balances.size(), 2u);
  EXPECT_EQ(sub.balances[0].amount.raw(), 1'000'250'000);  // USDC, 6 decimals
  EXPECT_EQ(sub.balances[1].amount.raw(), -50'000'000);    // BTC, 8 decimals
  EXPECT_EQ(sub.positions[0].position.cost_basis.raw(), 4'000'010'000);  // 0.1 × 40000.1
  EXPECT_EQ(error(with(R"({"id": 16, "owner": 100, "balances": {"USDC": "1.0000001"}})")),
            "p.json: sub_accounts[0].balances.USDC: has more than 6 decimal places: 1.0000001");
  EXPECT_EQ(error(with(R"({"id": 16, "owner": 100, "positions": {"BTC-PERP": {"size": "0.0005", "cost_basis": "1"}}})")),
            "p.json: sub_accounts[0].positions.BTC-PERP.size: must be a multiple of the lot 0.001, got 0.0005");
  EXPECT_EQ(error(with(R"({"id": 16, "owner": 100, "modee": "cross"})")),
            "p.json: sub_accounts[0].modee: unknown key");
  EXPECT_EQ(error(with(R"({"id": 16, "owner": 100, "balances": {"ETH": "1"}})")),
            "p.json: sub_accounts[0].balances.ETH: no such asset in the venue");
  EXPECT_EQ(error(with(R"({"id": 16, "owner": 100}, {"id": 16, "owner": 101})")),
            "p.json: sub_accounts[1].id: 16 is used twice");
  EXPECT_EQ(error(with(R"({"id": 16, "owner": 100, "balances": {"USDC": "1", "USDC": "2"}})")),
            "p.json: duplicate key \"USDC\"");
  EXPECT_EQ(error("{\n  \"prices\": {,\n}"), "p.json:2:14: syntax error while parsing object key - unexpected ','; expected string literal");
}

}  // namespace
}  // namespace ballast::margin
