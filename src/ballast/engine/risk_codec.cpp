#include "ballast/engine/risk_codec.hpp"

#include <bit>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ballast {
namespace {

using margin::AssetRisk;
using margin::MarketRisk;
using margin::RiskConfig;

constexpr std::size_t kSymbolBytesMax = 64;  // validate() then checks each part's own rule
constexpr std::uint32_t kCountMax = 1u << 16;

template <typename T>
void fixed(ByteWriter& out, T value) {
  out.i64(value.raw());
}

void encode_collateral(ByteWriter& out, const margin::CollateralParams& c) {
  fixed(out, c.init_asset_weight);
  fixed(out, c.maint_asset_weight);
  fixed(out, c.init_liability_weight);
  fixed(out, c.maint_liability_weight);
  fixed(out, c.imf_factor);
  fixed(out, c.deposit_scale_start);
  fixed(out, c.borrow_scale_start);
  out.u8(c.isolated_only ? 1 : 0);
  out.u8(c.tier_count);
  for (std::size_t i = 0; i < c.tier_count && i < c.tiers.size(); ++i) {
    const margin::WeightTier& t = c.tiers[i];
    fixed(out, t.min_size);
    fixed(out, t.init_asset_weight);
    fixed(out, t.maint_asset_weight);
    fixed(out, t.init_liability_weight);
    fixed(out, t.maint_liability_weight);
  }
}

void encode_oracle(ByteWriter& out, const market::OracleConfig& o) {
  out.u32(o.min_sources);
  out.i64(o.max_staleness_ns);
  fixed(out, o.max_confidence);
  fixed(out, o.max_move);
}

void encode_stable_price(ByteWriter& out, const market::StablePriceConfig& s) {
  out.i64(s.delay_interval_ns);
  fixed(out, s.delay_growth_limit);
  fixed(out, s.stable_growth_limit_per_s);
  out.i64(s.min_update_spacing_ns);
  out.i64(s.max_dt_ns);
}

void encode_instrument(ByteWriter& out, const market::Instrument& in) {
  out.u32(in.id.value);
  out.text(in.symbol);
  out.u8(static_cast<std::uint8_t>(in.kind));
  out.u32(in.underlying.value);
  out.u32(in.settle.value);
  fixed(out, in.contract_size);
  fixed(out, in.tick);
  fixed(out, in.lot);
  out.u8(in.borrowable ? 1 : 0);
  out.i64(in.expiry_ns);
  out.i64(in.settlement_window_ns);
  fixed(out, in.strike);
  out.u8(static_cast<std::uint8_t>(in.option_kind));
  out.i64(in.funding.interval_ns);
  fixed(out, in.funding.clamp);
  fixed(out, in.funding.base_rate);
  out.u8(in.funding.impact_premium ? 1 : 0);
}

void encode_rule(ByteWriter& out, const margin::RequirementRule& rule) {
  out.u8(static_cast<std::uint8_t>(rule.index()));
  if (const auto* r = std::get_if<margin::BaseRule>(&rule)) {
    fixed(out, r->initial_rate);
    fixed(out, r->maintenance_rate);
  } else if (const auto* s = std::get_if<margin::SizeRule>(&rule)) {
    fixed(out, s->initial_rate);
    fixed(out, s->maintenance_rate);
    fixed(out, s->imf_factor);
  } else if (const auto* o = std::get_if<margin::OiRampRule>(&rule)) {
    fixed(out, o->initial_rate);
    fixed(out, o->maintenance_rate);
    fixed(out, o->oi_lower_cap);
    fixed(out, o->oi_upper_cap);
  } else {
    const auto tiers = std::get<margin::TierRule>(rule).tiers();
    out.u8(static_cast<std::uint8_t>(tiers.size()));
    for (const margin::NotionalTier& t : tiers) {
      fixed(out, t.lower_bound);
      fixed(out, t.initial_rate);
      fixed(out, t.maintenance_rate);
    }
  }
}

void encode_option_rule(ByteWriter& out, const margin::ShortOptionRule& rule) {
  fixed(out, rule.initial.underlying_rate);
  fixed(out, rule.initial.min_rate);
  fixed(out, rule.maintenance.underlying_rate);
  fixed(out, rule.maintenance.min_rate);
  out.u8(rule.cap_at_max_loss ? 1 : 0);
}

// Reads fields in order; the first one that cannot be read (or holds a value the format does
// not allow) stops the reading with an error naming it and the offset where it starts.
class Reader {
 public:
  explicit Reader(ByteReader& in) : in_(in) {}

  std::uint8_t u8(const std::string& field) { return read<std::uint8_t>(field, &ByteReader::u8); }
  std::uint32_t u32(const std::string& field) { return read<std::uint32_t>(field, &ByteReader::u32); }
  std::int64_t i64(const std::string& field) { return read<std::int64_t>(field, &ByteReader::i64); }
  template <typename T>
  T fixed(const std::string& field) {
    return T::from_raw(i64(field));
  }
  bool flag(const std::string& field) {
    const std::size_t start = in_.offset();
    const std::uint8_t value = u8(field);
    if (value > 1) fail(start, field + " must be 0 or 1, got " + std::to_string(value));
    return value == 1;
  }
  std::uint8_t bounded(const std::string& field, std::uint8_t max) {
    const std::size_t start = in_.offset();
    const std::uint8_t value = u8(field);
    if (value > max) {
      fail(start, field + " must be at most " + std::to_string(max) + ", got " + std::to_string(value));
    }
    return value;
  }
  std::uint32_t count(const std::string& field) {
    const std::size_t start = in_.offset();
    const std::uint32_t value = u32(field);
    if (value > kCountMax || value > in_.remaining()) {
      fail(start, field + " is implausible: " + std::to_string(value));
      return 0;
    }
    return value;
  }
  std::string text(const std::string& field) {
    if (error_) return {};
    const std::size_t start = in_.offset();
    const auto value = in_.text(kSymbolBytesMax);
    if (!value) {
      fail(start, "truncated or overlong field " + field);
      return {};
    }
    return std::string(*value);
  }
  void fail(std::size_t offset, const std::string& what) {
    if (!error_) {
      error_ = make_error(ErrorCode::corrupt,
                          "risk config at byte " + std::to_string(offset) + ": " + what);
    }
  }
  std::size_t offset() const { return in_.offset(); }
  const std::optional<Error>& error() const { return error_; }

 private:
  template <typename T>
  T read(const std::string& field, std::optional<T> (ByteReader::*read_value)()) {
    if (error_) return T{};
    const std::size_t start = in_.offset();
    const std::optional<T> value = (in_.*read_value)();
    if (!value) {
      fail(start, "truncated before field " + field);
      return T{};
    }
    return *value;
  }

  ByteReader& in_;
  std::optional<Error> error_;
};

margin::CollateralParams decode_collateral(Reader& r, const std::string& at) {
  margin::CollateralParams c;
  c.init_asset_weight = r.fixed<Ratio>(at + "init_asset_weight");
  c.maint_asset_weight = r.fixed<Ratio>(at + "maint_asset_weight");
  c.init_liability_weight = r.fixed<Ratio>(at + "init_liability_weight");
  c.maint_liability_weight = r.fixed<Ratio>(at + "maint_liability_weight");
  c.imf_factor = r.fixed<Ratio>(at + "imf_factor");
  c.deposit_scale_start = r.fixed<Money>(at + "deposit_scale_start");
  c.borrow_scale_start = r.fixed<Money>(at + "borrow_scale_start");
  c.isolated_only = r.flag(at + "isolated_only");
  c.tier_count = r.bounded(at + "tier_count", static_cast<std::uint8_t>(margin::kMaxWeightTiers));
  for (std::size_t i = 0; i < c.tier_count && !r.error(); ++i) {
    const std::string t = at + "tiers[" + std::to_string(i) + "].";
    margin::WeightTier& tier = c.tiers[i];
    tier.min_size = r.fixed<Quantity>(t + "min_size");
    tier.init_asset_weight = r.fixed<Ratio>(t + "init_asset_weight");
    tier.maint_asset_weight = r.fixed<Ratio>(t + "maint_asset_weight");
    tier.init_liability_weight = r.fixed<Ratio>(t + "init_liability_weight");
    tier.maint_liability_weight = r.fixed<Ratio>(t + "maint_liability_weight");
  }
  return c;
}

market::OracleConfig decode_oracle(Reader& r, const std::string& at) {
  market::OracleConfig o;
  o.min_sources = r.u32(at + "min_sources");
  o.max_staleness_ns = r.i64(at + "max_staleness_ns");
  o.max_confidence = r.fixed<Ratio>(at + "max_confidence");
  o.max_move = r.fixed<Ratio>(at + "max_move");
  return o;
}

market::StablePriceConfig decode_stable_price(Reader& r, const std::string& at) {
  market::StablePriceConfig s;
  s.delay_interval_ns = r.i64(at + "delay_interval_ns");
  s.delay_growth_limit = r.fixed<Ratio>(at + "delay_growth_limit");
  s.stable_growth_limit_per_s = r.fixed<Ratio>(at + "stable_growth_limit_per_s");
  s.min_update_spacing_ns = r.i64(at + "min_update_spacing_ns");
  s.max_dt_ns = r.i64(at + "max_dt_ns");
  return s;
}

market::Instrument decode_instrument(Reader& r, const std::string& at) {
  market::Instrument in;
  in.id = InstrumentId{r.u32(at + "id")};
  in.symbol = r.text(at + "symbol");
  in.kind = static_cast<market::InstrumentKind>(r.bounded(at + "kind", 3));
  in.underlying = AssetId{r.u32(at + "underlying")};
  in.settle = AssetId{r.u32(at + "settle")};
  in.contract_size = r.fixed<Quantity>(at + "contract_size");
  in.tick = r.fixed<Price>(at + "tick");
  in.lot = r.fixed<Quantity>(at + "lot");
  in.borrowable = r.flag(at + "borrowable");
  in.expiry_ns = r.i64(at + "expiry_ns");
  in.settlement_window_ns = r.i64(at + "settlement_window_ns");
  in.strike = r.fixed<Price>(at + "strike");
  in.option_kind = static_cast<market::OptionKind>(r.bounded(at + "option_kind", 1));
  in.funding.interval_ns = r.i64(at + "funding.interval_ns");
  in.funding.clamp = r.fixed<Ratio>(at + "funding.clamp");
  in.funding.base_rate = r.fixed<Ratio>(at + "funding.base_rate");
  in.funding.impact_premium = r.flag(at + "funding.impact_premium");
  return in;
}

margin::RequirementRule decode_rule(Reader& r, const std::string& at) {
  const std::size_t start = r.offset();
  const std::uint8_t kind = r.bounded(at + "kind", 3);
  switch (kind) {
    case 0: {
      margin::BaseRule rule;
      rule.initial_rate = r.fixed<Ratio>(at + "initial_rate");
      rule.maintenance_rate = r.fixed<Ratio>(at + "maintenance_rate");
      return rule;
    }
    case 1: {
      margin::SizeRule rule;
      rule.initial_rate = r.fixed<Ratio>(at + "initial_rate");
      rule.maintenance_rate = r.fixed<Ratio>(at + "maintenance_rate");
      rule.imf_factor = r.fixed<Ratio>(at + "imf_factor");
      return rule;
    }
    case 2: {
      margin::OiRampRule rule;
      rule.initial_rate = r.fixed<Ratio>(at + "initial_rate");
      rule.maintenance_rate = r.fixed<Ratio>(at + "maintenance_rate");
      rule.oi_lower_cap = r.fixed<Money>(at + "oi_lower_cap");
      rule.oi_upper_cap = r.fixed<Money>(at + "oi_upper_cap");
      return rule;
    }
    default: {
      if (r.error()) return margin::BaseRule{};
      const std::uint8_t count =
          r.bounded(at + "tier count", static_cast<std::uint8_t>(margin::kMaxNotionalTiers));
      std::vector<margin::NotionalTier> tiers(count);
      for (std::size_t i = 0; i < count; ++i) {
        const std::string t = at + "tiers[" + std::to_string(i) + "].";
        tiers[i].lower_bound = r.fixed<Money>(t + "lower_bound");
        tiers[i].initial_rate = r.fixed<Ratio>(t + "initial_rate");
        tiers[i].maintenance_rate = r.fixed<Ratio>(t + "maintenance_rate");
      }
      if (r.error()) return margin::BaseRule{};
      auto made = margin::TierRule::make(tiers);
      if (!made) {
        r.fail(start, at.substr(0, at.size() - 1) + ": " + made.error().message);
        return margin::BaseRule{};
      }
      return *made;
    }
  }
}

margin::ShortOptionRule decode_option_rule(Reader& r, const std::string& at) {
  margin::ShortOptionRule rule;
  rule.initial.underlying_rate = r.fixed<Ratio>(at + "initial.underlying_rate");
  rule.initial.min_rate = r.fixed<Ratio>(at + "initial.min_rate");
  rule.maintenance.underlying_rate = r.fixed<Ratio>(at + "maintenance.underlying_rate");
  rule.maintenance.min_rate = r.fixed<Ratio>(at + "maintenance.min_rate");
  rule.cap_at_max_loss = r.flag(at + "cap_at_max_loss");
  return rule;
}

}  // namespace

void encode_risk_config(ByteWriter& out, const RiskConfig& config) {
  out.u32(config.quote.value);
  out.u32(static_cast<std::uint32_t>(config.assets.size()));
  for (const AssetRisk& asset : config.assets) {
    out.u32(asset.id.value);
    out.text(asset.symbol);
    out.u8(asset.decimals);
    encode_collateral(out, asset.collateral);
    encode_oracle(out, asset.oracle);
    encode_stable_price(out, asset.stable_price);
  }
  out.u32(static_cast<std::uint32_t>(config.markets.size()));
  for (const MarketRisk& market : config.markets) {
    encode_instrument(out, market.instrument);
    encode_rule(out, market.rule);
    encode_option_rule(out, market.option_rule);
    fixed(out, market.latency_rate);
    out.u8(static_cast<std::uint8_t>(market.perp_health));
  }
  fixed(out, config.pnl.initial_weight);
  fixed(out, config.pnl.maintenance_weight);
  fixed(out, config.pnl.initial_cap);
  fixed(out, config.pnl.maintenance_cap);
}

Result<RiskConfig> decode_risk_config(ByteReader& in) {
  const std::size_t start = in.offset();
  Reader r(in);
  RiskConfig config;
  config.quote = AssetId{r.u32("quote")};
  const std::uint32_t asset_count = r.count("asset count");
  for (std::uint32_t i = 0; i < asset_count && !r.error(); ++i) {
    const std::string at = "assets[" + std::to_string(i) + "].";
    AssetRisk asset;
    asset.id = AssetId{r.u32(at + "id")};
    asset.symbol = r.text(at + "symbol");
    asset.decimals = r.bounded(at + "decimals", static_cast<std::uint8_t>(kMaxDecimals));
    asset.collateral = decode_collateral(r, at + "collateral.");
    asset.oracle = decode_oracle(r, at + "oracle.");
    asset.stable_price = decode_stable_price(r, at + "stable_price.");
    config.assets.push_back(std::move(asset));
  }
  const std::uint32_t market_count = r.count("market count");
  for (std::uint32_t i = 0; i < market_count && !r.error(); ++i) {
    const std::string at = "markets[" + std::to_string(i) + "].";
    MarketRisk market;
    market.instrument = decode_instrument(r, at + "instrument.");
    market.rule = decode_rule(r, at + "rule.");
    market.option_rule = decode_option_rule(r, at + "option_rule.");
    market.latency_rate = r.fixed<Ratio>(at + "latency_rate");
    market.perp_health = static_cast<margin::PerpHealth>(
        r.bounded(at + "perp_health", static_cast<std::uint8_t>(margin::PerpHealth::settle_weighted_net)));
    config.markets.push_back(std::move(market));
  }
  config.pnl.initial_weight = r.fixed<Ratio>("pnl.initial_weight");
  config.pnl.maintenance_weight = r.fixed<Ratio>("pnl.maintenance_weight");
  config.pnl.initial_cap = r.fixed<Money>("pnl.initial_cap");
  config.pnl.maintenance_cap = r.fixed<Money>("pnl.maintenance_cap");
  if (r.error()) return *r.error();
  Outcome valid = config.validate();
  if (valid) valid = config.pnl.validate();
  if (!valid) {
    return make_error(ErrorCode::corrupt, "risk config at byte " + std::to_string(start) +
                                              ": not a valid configuration: " +
                                              valid.error().message);
  }
  return config;
}

namespace {

// One walk over a portfolio configuration's fields for both directions (Io: PortfolioWriter or
// PortfolioReader), so the encoding and the decoding cannot drift apart.
template <typename Io, typename Factors>
void factors_fields(Io& io, const std::string& at, Factors& f) {
  io.real(at + "initial", f.initial);
  io.real(at + "maintenance", f.maintenance);
}

template <typename Io, typename Underlying>
void underlying_fields(Io& io, const std::string& at, Underlying& u) {
  io.text(at + "symbol", u.symbol);
  io.real(at + "grid.range", u.grid.range);
  io.integer(at + "grid.steps", u.grid.steps);
  io.flag(at + "grid.vol_up", u.grid.vol_up);
  io.flag(at + "grid.vol_down", u.grid.vol_down);
  io.flag(at + "grid.edges_vol_up_only", u.grid.edges_vol_up_only);
  io.list(at + "grid.tails", u.grid.tails, [&](const std::string& t, auto& tail) {
    io.real(t + "spot_move", tail.spot_move);
    io.real(t + "weight", tail.weight);
  });
  io.flag(at + "grid.skew", u.grid.skew);
  io.real(at + "vol.range_up", u.vol.range_up);
  io.real(at + "vol.range_down", u.vol.range_down);
  io.real(at + "vol.min_vol_up", u.vol.min_vol_up);
  io.real(at + "vol.short_term_power", u.vol.short_term_power);
  io.real(at + "vol.long_term_power", u.vol.long_term_power);
  io.real(at + "vol.pivot_days", u.vol.pivot_days);
  io.real(at + "vol.dte_floor_days", u.vol.dte_floor_days);
  io.enumeration(at + "dynamics", u.dynamics, pricing::SmileDynamics::sticky_moneyness);
  io.real(at + "skew.linear_base_cap", u.skew.linear_base_cap);
  io.real(at + "skew.linear_c_base", u.skew.linear_c_base);
  io.real(at + "skew.abs_base_cap", u.skew.abs_base_cap);
  io.real(at + "skew.abs_c_base", u.skew.abs_c_base);
  io.real(at + "skew.min_k_star", u.skew.min_k_star);
  io.real(at + "skew.width_scale", u.skew.width_scale);
  io.real(at + "skew.vol_param_static", u.skew.vol_param_static);
  io.real(at + "skew.vol_param_scale", u.skew.vol_param_scale);
  io.flag(at + "discount.enabled", u.discount.enabled);
  io.real(at + "discount.positive_base", u.discount.positive_base);
  io.real(at + "discount.positive_rate_scale", u.discount.positive_rate_scale);
  io.real(at + "discount.positive_rate_add", u.discount.positive_rate_add);
  io.real(at + "discount.negative_base", u.discount.negative_base);
  io.real(at + "discount.negative_rate_scale", u.discount.negative_rate_scale);
  io.real(at + "discount.negative_rate_add", u.discount.negative_rate_add);
  io.flag(at + "basis.enabled", u.basis.enabled);
  io.real(at + "basis.spot_up", u.basis.spot_up);
  io.real(at + "basis.spot_down", u.basis.spot_down);
  io.real(at + "basis.add_factor", u.basis.add_factor);
  io.real(at + "basis.per_year_factor", u.basis.per_year_factor);
  io.real(at + "roll.annual_move_risk", u.roll.annual_move_risk);
  io.real(at + "roll.min_move", u.roll.min_move);
  io.real(at + "delta_liquidity.threshold", u.delta_liquidity.threshold);
  io.real(at + "delta_liquidity.rate_per_million", u.delta_liquidity.rate_per_million);
  io.real(at + "delta_liquidity.max_rate", u.delta_liquidity.max_rate);
  factors_fields(io, at + "naked_short.", u.naked_short);
  factors_fields(io, at + "perpetual.", u.perpetual);
  factors_fields(io, at + "haircut.", u.haircut);
  io.real(at + "liquidity.half_spread", u.liquidity.half_spread);
  io.real(at + "liquidity.impact", u.liquidity.impact);
  io.real(at + "liquidity.depth", u.liquidity.depth);
}

template <typename Io, typename Config>
void portfolio_fields(Io& io, Config& config) {
  io.list("underlyings", config.underlyings, [&](const std::string& at, auto& u) { underlying_fields(io, at, u); });
  io.list("correlation", config.correlation, [&](const std::string& at, auto& value) { io.real(at, value); });
  io.real("cross.gain_weight", config.cross.gain_weight);
  io.real("cross.max_offset", config.cross.max_offset);
  factors_fields(io, "loss.", config.loss);
}

class PortfolioWriter {
 public:
  explicit PortfolioWriter(ByteWriter& out) : out_(out) {}
  void real(const std::string&, double value) { out_.u64(std::bit_cast<std::uint64_t>(value)); }
  void integer(const std::string&, int value) { out_.u32(static_cast<std::uint32_t>(value)); }
  void flag(const std::string&, bool value) { out_.u8(value ? 1 : 0); }
  void text(const std::string&, const std::string& value) { out_.text(value); }
  template <typename E>
  void enumeration(const std::string&, E value, E) {
    out_.u8(static_cast<std::uint8_t>(value));
  }
  template <typename Items, typename Each>
  void list(const std::string& field, const Items& items, Each each) {
    out_.u32(static_cast<std::uint32_t>(items.size()));
    for (std::size_t i = 0; i < items.size(); ++i) each(field + "[" + std::to_string(i) + "].", items[i]);
  }

 private:
  ByteWriter& out_;
};

class PortfolioReader {
 public:
  explicit PortfolioReader(Reader& r) : r_(r) {}
  void real(const std::string& field, double& value) {
    value = std::bit_cast<double>(static_cast<std::uint64_t>(r_.i64(field)));
  }
  void integer(const std::string& field, int& value) {
    const std::uint32_t raw = r_.u32(field);
    value = raw > kCountMax ? -1 : static_cast<int>(raw);  // out of range: Model::make rejects -1
  }
  void flag(const std::string& field, bool& value) { value = r_.flag(field); }
  void text(const std::string& field, std::string& value) { value = r_.text(field); }
  template <typename E>
  void enumeration(const std::string& field, E& value, E max) {
    value = static_cast<E>(r_.bounded(field, static_cast<std::uint8_t>(max)));
  }
  template <typename T, typename Each>
  void list(const std::string& field, std::vector<T>& items, Each each) {
    items.assign(r_.count(field + " count"), T{});
    for (std::size_t i = 0; i < items.size() && !r_.error(); ++i) {
      each(field + "[" + std::to_string(i) + "].", items[i]);
    }
  }

 private:
  Reader& r_;
};

}  // namespace

void encode_portfolio_config(ByteWriter& out, const portfolio::PortfolioConfig& config) {
  PortfolioWriter writer(out);
  portfolio_fields(writer, config);
}

Result<portfolio::PortfolioConfig> decode_portfolio_config(ByteReader& in) {
  const std::size_t start = in.offset();
  Reader r(in);
  PortfolioReader reader(r);
  portfolio::PortfolioConfig config;
  portfolio_fields(reader, config);
  if (r.error()) return *r.error();
  auto model = portfolio::Model::make(config);
  if (!model) {
    return make_error(ErrorCode::corrupt, "portfolio config at byte " + std::to_string(start) +
                                              ": not a valid configuration: " + model.error().message);
  }
  return config;
}

}  // namespace ballast
