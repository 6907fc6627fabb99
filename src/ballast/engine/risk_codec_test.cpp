// The risk-configuration codec (risk_codec.hpp): every field of every rule kind survives the
// round trip, the bytes are canonical, every truncation and every bad byte is an error naming
// the field, and an invalid configuration never decodes.

#include "ballast/engine/risk_codec.hpp"
#include "ballast/core/testing/fixed_text.hpp"
#include "ballast/margin/testing/venue_fixtures.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ballast {
namespace {

using margin::AssetRisk;
using margin::MarketRisk;
using margin::RiskConfig;


constexpr AssetId kUsdc{1};
constexpr AssetId kBtc{2};
constexpr AssetId kEth{3};

// The venue's instruments: 0.01 of the underlying per contract, tick 0.5, lot 1.
market::Instrument instrument(std::uint32_t id, const char* symbol, market::InstrumentKind kind,
                              AssetId underlying) {
  return margin::testing::instrument({.id = InstrumentId{id}, .symbol = symbol, .kind = kind, .underlying = underlying,
                                      .settle = kUsdc, .contract_size = "0.01", .tick = "0.5", .lot = "1"});
}

// One market of every rule kind and instrument kind, assets with tiers, scaling and
// isolated-only collateral, a PnL cap: every field away from its default somewhere.
RiskConfig rich_config() {
  RiskConfig config;
  config.quote = kUsdc;
  config.assets.push_back(margin::testing::asset(kUsdc, "USDC", 6));
  AssetRisk btc = margin::testing::asset(kBtc, "BTC", 8, "0.8", "0.9", "1.1", "1.2");
  btc.collateral.imf_factor = ratio("0.0005");
  btc.collateral.deposit_scale_start = money("1000000");
  btc.collateral.borrow_scale_start = money("500000");
  btc.collateral.tier_count = 1;
  btc.collateral.tiers[0] = {qty("100"), ratio("0.7"), ratio("0.85"), ratio("1.3"), ratio("1.15")};
  btc.oracle = {3, 5'000'000'000, ratio("0.01"), ratio("0.2")};
  btc.stable_price = {1'800'000'000'000, ratio("0.05"), ratio("0.0002"), 5'000'000'000, 300'000'000'000};
  config.assets.push_back(btc);
  AssetRisk eth = margin::testing::asset(kEth, "ETH", 9, "0.75", "0.8");
  eth.collateral.isolated_only = true;
  config.assets.push_back(eth);

  MarketRisk perp = margin::testing::market_risk(instrument(10, "BTC-PERP", market::InstrumentKind::perpetual, kBtc));
  perp.instrument.funding = {3'600'000'000'000, ratio("0.04"), ratio("0.0001"), true};
  perp.rule = margin::BaseRule{ratio("0.05"), ratio("0.03")};
  perp.latency_rate = ratio("0.0012");
  config.markets.push_back(perp);
  MarketRisk eth_perp = margin::testing::market_risk(instrument(11, "ETH-PERP", market::InstrumentKind::perpetual, kEth));
  eth_perp.instrument.funding.interval_ns = 28'800'000'000'000;
  eth_perp.rule = margin::SizeRule{ratio("0.1"), ratio("0.05"), ratio("0.001")};
  eth_perp.perp_health = margin::PerpHealth::settle_weighted_net;
  config.markets.push_back(eth_perp);
  MarketRisk future = margin::testing::market_risk(instrument(12, "BTC-27JUN25", market::InstrumentKind::future, kBtc));
  future.instrument.expiry_ns = 1'751'011'200'000'000'000;
  future.instrument.settlement_window_ns = 1'800'000'000'000;
  future.rule = margin::OiRampRule{ratio("0.05"), ratio("0.03"), money("1000000"), money("5000000")};
  config.markets.push_back(future);
  MarketRisk option = margin::testing::market_risk(instrument(13, "BTC-27JUN25-100000-P", market::InstrumentKind::option, kBtc));
  option.instrument.expiry_ns = 1'751'011'200'000'000'000;
  option.instrument.strike = price("100000");
  option.instrument.option_kind = market::OptionKind::put;
  option.option_rule.initial = {ratio("0.2"), ratio("0.12")};
  option.option_rule.cap_at_max_loss = false;
  const margin::NotionalTier tiers[] = {{money("0"), ratio("0.02"), ratio("0.01")},
                                        {money("500000"), ratio("0.05"), ratio("0.025")}};
  option.rule = margin::TierRule::make(tiers).value();
  config.markets.push_back(option);
  MarketRisk spot = margin::testing::market_risk(instrument(14, "BTC-USDC", market::InstrumentKind::spot, kBtc));
  spot.instrument.borrowable = true;
  config.markets.push_back(spot);
  config.pnl = {ratio("0.9"), ratio("1"), money("100"), money("1000000")};
  return config;
}

std::string encode(const RiskConfig& config) {
  ByteWriter out;
  encode_risk_config(out, config);
  return out.take();
}

Result<RiskConfig> decode(std::string_view bytes) {
  ByteReader in(bytes);
  auto decoded = decode_risk_config(in);
  if (decoded && !in.at_end()) return make_error(ErrorCode::corrupt, "trailing bytes");
  return decoded;
}

std::string decode_error(std::string_view bytes) {
  auto decoded = decode(bytes);
  EXPECT_FALSE(decoded.ok());
  if (decoded.ok()) return {};
  EXPECT_EQ(decoded.error().code, ErrorCode::corrupt);
  return decoded.error().message;
}

#define EXPECT_CONTAINS(text, fragment) \
  EXPECT_NE(std::string(text).find(fragment), std::string::npos) << (text)

TEST(RiskCodec, RoundTripIsExactAndCanonical) {
  const RiskConfig config = rich_config();
  ASSERT_TRUE(config.validate().ok()) << config.validate().error().message;
  const std::string bytes = encode(config);
  auto decoded = decode(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(encode(*decoded), bytes);
  // Spot checks, field by field, of what the bytes carry.
  EXPECT_EQ(decoded->quote, kUsdc);
  ASSERT_EQ(decoded->assets.size(), 3u);
  const margin::CollateralParams& btc = decoded->assets[1].collateral;
  EXPECT_EQ(decoded->assets[1].symbol, "BTC");
  EXPECT_EQ(decoded->assets[1].decimals, 8);
  EXPECT_EQ(btc.init_liability_weight, ratio("1.2"));
  EXPECT_EQ(btc.imf_factor, ratio("0.0005"));
  EXPECT_EQ(btc.deposit_scale_start, money("1000000"));
  EXPECT_EQ(btc.borrow_scale_start, money("500000"));
  EXPECT_EQ(btc.tier_count, 1);
  EXPECT_EQ(btc.tiers[0].min_size, qty("100"));
  EXPECT_EQ(btc.tiers[0].init_liability_weight, ratio("1.3"));
  EXPECT_TRUE(decoded->assets[2].collateral.isolated_only);
  const market::OracleConfig& oracle = decoded->assets[1].oracle;
  EXPECT_EQ(oracle.min_sources, 3u);
  EXPECT_EQ(oracle.max_staleness_ns, 5'000'000'000);
  EXPECT_EQ(oracle.max_confidence, ratio("0.01"));
  EXPECT_EQ(oracle.max_move, ratio("0.2"));
  const market::StablePriceConfig& stable = decoded->assets[1].stable_price;
  EXPECT_EQ(stable.delay_interval_ns, 1'800'000'000'000);
  EXPECT_EQ(stable.delay_growth_limit, ratio("0.05"));
  EXPECT_EQ(stable.stable_growth_limit_per_s, ratio("0.0002"));
  EXPECT_EQ(stable.min_update_spacing_ns, 5'000'000'000);
  EXPECT_EQ(stable.max_dt_ns, 300'000'000'000);
  EXPECT_EQ(decoded->assets[2].oracle.min_sources, market::OracleConfig{}.min_sources);
  ASSERT_EQ(decoded->markets.size(), 5u);
  const market::Instrument& perp = decoded->markets[0].instrument;
  EXPECT_EQ(perp.symbol, "BTC-PERP");
  EXPECT_EQ(perp.kind, market::InstrumentKind::perpetual);
  EXPECT_EQ(perp.contract_size, qty("0.01"));
  EXPECT_EQ(perp.tick, price("0.5"));
  EXPECT_EQ(perp.funding.base_rate, ratio("0.0001"));
  EXPECT_TRUE(perp.funding.impact_premium);
  EXPECT_EQ(decoded->markets[0].latency_rate, ratio("0.0012"));
  EXPECT_EQ(std::get<margin::BaseRule>(decoded->markets[0].rule).maintenance_rate, ratio("0.03"));
  EXPECT_EQ(std::get<margin::SizeRule>(decoded->markets[1].rule).imf_factor, ratio("0.001"));
  EXPECT_EQ(decoded->markets[0].perp_health, margin::PerpHealth::pnl_less_requirement);
  EXPECT_EQ(decoded->markets[1].perp_health, margin::PerpHealth::settle_weighted_net);
  EXPECT_EQ(std::get<margin::OiRampRule>(decoded->markets[2].rule).oi_upper_cap, money("5000000"));
  EXPECT_EQ(decoded->markets[2].instrument.settlement_window_ns, 1'800'000'000'000);
  const auto& tiers = std::get<margin::TierRule>(decoded->markets[3].rule);
  ASSERT_EQ(tiers.tiers().size(), 2u);
  EXPECT_EQ(tiers.tiers()[1].lower_bound, money("500000"));
  const auto& original_tiers = std::get<margin::TierRule>(config.markets[3].rule);
  EXPECT_EQ(tiers.deduction(margin::MarginKind::initial, 1),
            original_tiers.deduction(margin::MarginKind::initial, 1));
  EXPECT_EQ(decoded->markets[3].instrument.option_kind, market::OptionKind::put);
  EXPECT_EQ(decoded->markets[3].instrument.strike, price("100000"));
  EXPECT_EQ(decoded->markets[3].option_rule.initial.min_rate, ratio("0.12"));
  EXPECT_FALSE(decoded->markets[3].option_rule.cap_at_max_loss);
  EXPECT_TRUE(decoded->markets[4].instrument.borrowable);
  EXPECT_EQ(decoded->pnl.initial_cap, money("100"));
  EXPECT_EQ(decoded->pnl.initial_weight, ratio("0.9"));
}

TEST(RiskCodec, EveryTruncationIsAnErrorNamingAField) {
  const std::string bytes = encode(rich_config());
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    const std::string message = decode_error(std::string_view(bytes).substr(0, length));
    EXPECT_CONTAINS(message, "risk config at byte ");
  }
  EXPECT_CONTAINS(decode_error(std::string_view(bytes).substr(0, 2)), "truncated before field quote");
}

TEST(RiskCodec, BadBytesAreNamed) {
  RiskConfig config = rich_config();
  config.markets.resize(1);
  config.assets.resize(2);
  const std::string bytes = encode(config);
  // The USDC asset record: quote(4) count(4) id(4) symbol(4+4) decimals(1) then 7 fixed (56),
  // isolated_only at 77.
  std::string bad = bytes;
  ASSERT_EQ(bad[77], 0);
  bad[77] = 2;
  EXPECT_CONTAINS(decode_error(bad), "byte 77: assets[0].collateral.isolated_only must be 0 or 1, got 2");
  bad = bytes;
  bad[78] = 9;  // tier_count
  EXPECT_CONTAINS(decode_error(bad), "assets[0].collateral.tier_count must be at most 4, got 9");
  bad = bytes;
  bad[20] = 19;  // decimals
  EXPECT_CONTAINS(decode_error(bad), "assets[0].decimals must be at most 18");
  // Then its oracle settings: min_sources (u32) at 79.
  bad = bytes;
  ASSERT_EQ(bad[79], 1);
  bad[79] = 0;
  EXPECT_CONTAINS(decode_error(bad), "not a valid configuration: asset USDC: oracle config: min_sources");
  // The one market's perp_health byte comes last before the PnL policy's four fixed (32 bytes).
  const std::size_t perp_health = bytes.size() - 33;
  bad = bytes;
  ASSERT_EQ(bad[perp_health], 0);
  bad[perp_health] = 2;
  EXPECT_CONTAINS(decode_error(bad), "byte " + std::to_string(perp_health) +
                                         ": markets[0].perp_health must be at most 1, got 2");
  bad = bytes;
  bad[4] = static_cast<char>(0xff);  // asset count
  bad[5] = static_cast<char>(0xff);
  EXPECT_CONTAINS(decode_error(bad), "asset count is implausible");
}

TEST(RiskCodec, AnInvalidConfigurationNeverDecodes) {
  RiskConfig config = rich_config();
  config.markets[0].instrument.tick = Price{};  // validate() refuses it
  EXPECT_CONTAINS(decode_error(encode(config)), "not a valid configuration: market BTC-PERP: ");
  config = rich_config();
  config.markets[4].perp_health = margin::PerpHealth::settle_weighted_net;  // on a spot market
  EXPECT_CONTAINS(decode_error(encode(config)),
                  "market BTC-USDC: perp_health settle_weighted_net is for perpetuals and futures only");
  config = rich_config();
  config.assets[1].stable_price.max_dt_ns = 1;  // below min_update_spacing_ns
  EXPECT_CONTAINS(decode_error(encode(config)), "asset BTC: stable price config: max_dt_ns");
  config = rich_config();
  config.quote = AssetId{77};
  EXPECT_CONTAINS(decode_error(encode(config)), "quote asset 77 is not listed");
  config = rich_config();
  config.pnl.initial_weight = ratio("1.5");
  EXPECT_CONTAINS(decode_error(encode(config)), "initial_weight");
}

TEST(RiskCodec, EveryByteFlipIsAnErrorOrCanonical) {
  const std::string bytes = encode(rich_config());
  int accepted = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    auto decoded = decode(bad);
    if (!decoded.ok()) continue;
    ++accepted;
    EXPECT_EQ(encode(*decoded), bad) << "byte " << i;
  }
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace ballast
