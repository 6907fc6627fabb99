#include "ballast/engine/options_config.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include "ballast/governance/governance.hpp"
#include "ballast/margin/toml_read.hpp"

namespace ballast {
namespace {

using margin::toml_read::fail;
using margin::toml_read::Scope;
using margin::toml_read::TomlFile;

template <typename E>
struct Word {
  std::string_view name;
  E value;
};

constexpr std::array<Word<LossAbsorber>, 2> kAbsorbers{{
    {"adl_counterparties", LossAbsorber::adl_counterparties},
    {"market_holders", LossAbsorber::market_holders},
}};
constexpr std::array<Word<liquidation::AdlRanking>, 2> kRankings{{
    {"pnl_leverage", liquidation::AdlRanking::pnl_leverage},
    {"hedge_aware", liquidation::AdlRanking::hedge_aware},
}};
constexpr std::array<Word<lending::ReservesDestination>, 2> kReserves{{
    {"insurance_fund", lending::ReservesDestination::insurance_fund},
    {"treasury", lending::ReservesDestination::treasury},
}};

// "a, b or c".
template <typename Names>
std::string one_of(const Names& names) {
  std::string text;
  for (std::size_t i = 0; i < names.size(); ++i) {
    text += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + std::string(names[i]);
  }
  return text;
}

// An enum written as its name.
template <typename E, std::size_t N>
E word(Scope& scope, std::string_view key, const std::array<Word<E>, N>& words, E fallback) {
  if (!scope.has(key)) return fallback;
  const std::string text = scope.string(key);
  std::array<std::string_view, N> names{};
  for (std::size_t i = 0; i < N; ++i) {
    if (words[i].name == text) return words[i].value;
    names[i] = words[i].name;
  }
  scope.fail_key(key, "must be " + one_of(names) + ", got \"" + text + "\"");
}

// A library's validation message ("liquidation.close_factor: must be in (0, 1]") reported at the
// line of the key it names, without the label the scope's prefix already gives.
[[noreturn]] void fail_rule(const Scope& scope, std::string message, std::string_view label) {
  if (message.starts_with(label)) message.erase(0, label.size());
  scope.fail_validation(std::move(message), false);
}

std::int64_t positive_duration(Scope& scope, std::string_view key, std::int64_t fallback) {
  const std::int64_t ns = scope.duration(key, fallback);
  if (ns <= 0) scope.fail_key(key, "must be positive, got " + std::to_string(ns) + " ns");
  return ns;
}

// A double read from the number's text (a string or a number as written), so "0.94" is the
// double the literal 0.94 is, whatever the TOML library's own conversion does.
double real_of(const Scope& scope, const toml::node& node, std::string_view key) {
  const std::string text = scope.decimal_text(node, key);
  const auto plain = margin::toml_read::plain_decimal(text);
  double value = 0.0;
  if (plain) {
    const char* end = plain->data() + plain->size();
    const auto [at, error] = std::from_chars(plain->data(), end, value);
    if (error == std::errc() && at == end && std::isfinite(value)) return value;
  }
  scope.fail_at(node.source(), key, "not a number: \"" + text + "\"");
}

double real(Scope& scope, std::string_view key, double fallback) {
  const toml::node* node = scope.find(key);
  return node == nullptr ? fallback : real_of(scope, *node, key);
}

// A fixed-length array, each item read by read_item(node, "key[i]").
template <typename T, std::size_t N, typename ReadItem>
void fixed_array(Scope& scope, std::string_view key, std::array<T, N>& out, ReadItem read_item) {
  const toml::node* node = scope.find(key);
  if (node == nullptr) return;
  const toml::array* list = node->as_array();
  if (list == nullptr || list->size() != N) {
    scope.fail_at(node->source(), key, "must be an array of " + std::to_string(N) + " numbers");
  }
  for (std::size_t i = 0; i < N; ++i) out[i] = read_item(*list->get(i), std::string(key) + "[" + std::to_string(i) + "]");
}

// ---------------------------------------------------------------------------------------------
// [engine], [oracle_policy]

void read_engine(const TomlFile& file, const toml::table& table, EngineOptions& options) {
  Scope scope(file, table, "", "engine.");
  options.price_max_age_ns = positive_duration(scope, "price_max_age", options.price_max_age_ns);
  scope.finish();
}

std::optional<market::OracleValidity> validity_named(std::string_view name) {
  for (std::size_t v = 0; v < market::kOracleValidityCount; ++v) {
    const auto validity = static_cast<market::OracleValidity>(v);
    if (name == market::oracle_validity_name(validity)) return validity;
  }
  return std::nullopt;
}

std::string validity_names() {
  std::array<std::string_view, market::kOracleValidityCount> names{};
  for (std::size_t v = 0; v < names.size(); ++v) {
    names[v] = market::oracle_validity_name(static_cast<market::OracleValidity>(v));
  }
  return one_of(names);
}

// Each action's row: the validities it is allowed at, replacing the row it had.
market::OracleActionPolicy read_oracle_policy(const TomlFile& file, const toml::table& table,
                                              market::OracleActionPolicy policy) {
  Scope scope(file, table, "", "oracle_policy.");
  for (std::size_t a = 0; a < market::kOracleActionCount; ++a) {
    const auto action = static_cast<market::OracleAction>(a);
    const std::string key = market::oracle_action_name(action);
    const toml::node* node = scope.find(key);
    if (node == nullptr) continue;
    const toml::array* list = node->as_array();
    if (list == nullptr) {
      scope.fail_at(node->source(), key, std::string("must be an array of validities, got ") +
                                             margin::toml_read::toml_type_name(*node));
    }
    for (std::size_t v = 0; v < market::kOracleValidityCount; ++v) {
      policy.set(action, static_cast<market::OracleValidity>(v), false);
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
      const toml::node& item = *list->get(i);
      const auto validity = item.is_string() ? validity_named(item.as_string()->get()) : std::nullopt;
      if (!validity) {
        scope.fail_at(item.source(), key + "[" + std::to_string(i) + "]", "must be one of " + validity_names());
      }
      policy.set(action, *validity, true);
    }
  }
  scope.finish();
  return policy;
}

// ---------------------------------------------------------------------------------------------
// [liquidation], [vault]

LiquidationRules read_liquidation(const TomlFile& file, const toml::table& table, LiquidationRules rules) {
  Scope scope(file, table, "", "liquidation.");
  liquidation::SizingParams& s = rules.sizing;
  liquidation::AuctionParams& a = rules.auction;
  s.close_factor = scope.decimal<Ratio>("close_factor", s.close_factor);
  s.stages.full_close_below = scope.decimal<Ratio>("full_close_below", s.stages.full_close_below);
  s.stages.backstop_below = scope.decimal<Ratio>("backstop_below", s.stages.backstop_below);
  s.min_leftover_notional = scope.decimal<Money>("min_leftover_notional", s.min_leftover_notional);
  rules.buffer_ratio = scope.decimal<Ratio>("buffer_ratio", rules.buffer_ratio);
  a.min_bonus = scope.decimal<Ratio>("min_bonus", a.min_bonus);
  a.max_bonus = scope.decimal<Ratio>("max_bonus", a.max_bonus);
  a.duration_ns = scope.duration("auction_duration", a.duration_ns);
  a.protocol_share = scope.decimal<Ratio>("protocol_share", a.protocol_share);
  rules.account_cap_notional = scope.decimal<Money>("account_cap_notional", rules.account_cap_notional);
  rules.account_window_ns = scope.duration("account_window", rules.account_window_ns);
  rules.event_cap_notional = scope.decimal<Money>("event_cap_notional", rules.event_cap_notional);
  liquidation::InsuranceCaps& caps = rules.insurance;
  caps.per_account_window = scope.decimal<Money>("insurance_per_account_window", caps.per_account_window);
  caps.per_event = scope.decimal<Money>("insurance_per_event", caps.per_event);
  caps.keep_minimum = scope.decimal<Money>("insurance_keep_minimum", caps.keep_minimum);
  rules.after_insurance = word(scope, "after_insurance", kAbsorbers, rules.after_insurance);
  rules.adl_ranking = word(scope, "adl_ranking", kRankings, rules.adl_ranking);
  rules.withdrawal_gate_ns = scope.duration("withdrawal_gate", rules.withdrawal_gate_ns);
  rules.bankruptcy_adjustment = scope.decimal<Ratio>("bankruptcy_adjustment", rules.bankruptcy_adjustment);
  rules.spread_to_maintenance = scope.decimal<Ratio>("spread_to_maintenance", rules.spread_to_maintenance);
  rules.target_fee_rate = scope.decimal<Ratio>("target_fee_rate", rules.target_fee_rate);
  s.rounding_allowance = scope.decimal<Money>("rounding_allowance", s.rounding_allowance);
  scope.finish();
  if (Outcome checked = rules.validate(); !checked) fail_rule(scope, checked.error().message, "liquidation.");
  return rules;
}

lending::VaultParams read_vault(const TomlFile& file, const toml::table& table, lending::VaultParams vault) {
  Scope scope(file, table, "", "vault.");
  vault.cooldown_ns = scope.duration("cooldown", vault.cooldown_ns);
  vault.min_deposit = scope.decimal<Money>("min_deposit", vault.min_deposit);
  vault.virtual_shares = scope.decimal<lending::VaultShares>("virtual_shares", vault.virtual_shares);
  vault.virtual_assets = scope.decimal<Money>("virtual_assets", vault.virtual_assets);
  vault.max_pending_withdrawals = static_cast<std::uint32_t>(
      scope.integer("max_pending_withdrawals", 1, UINT32_MAX, vault.max_pending_withdrawals));
  scope.finish();
  if (Outcome checked = lending::validate(vault); !checked) fail_rule(scope, checked.error().message, "vault: ");
  return vault;
}

// ---------------------------------------------------------------------------------------------
// [[pool]]

std::vector<lending::RatePoint> read_points(Scope& curve) {
  std::vector<lending::RatePoint> points;
  const std::vector<const toml::table*> tables = curve.tables("points", true);
  for (std::size_t i = 0; i < tables.size(); ++i) {
    Scope point(curve.file(), *tables[i], curve.context(), "curve.points[" + std::to_string(i) + "].");
    const Ratio utilization = point.decimal<Ratio>("utilization");
    points.push_back({utilization, point.decimal<Ratio>("rate")});
    point.finish();
  }
  return points;
}

// RateCurve::make names a bad point by its index ("rate curve point 2 (...): ..."): reported at
// that point's line.
[[noreturn]] void fail_curve(const Scope& curve, const std::string& message) {
  constexpr std::string_view kPoint = "rate curve point ";
  std::size_t index = 0;
  if (message.starts_with(kPoint) && curve.has("points")) {
    const char* first = message.data() + kPoint.size();
    const auto [end, error] = std::from_chars(first, message.data() + message.size(), index);
    const toml::array* points = curve.table().get("points")->as_array();
    if (error == std::errc() && points != nullptr && index < points->size()) {
      curve.fail_at(points->get(index)->source(), "points[" + std::to_string(index) + "]",
                    message.substr(message.find(": ") + 2));
    }
  }
  curve.fail_validation(message, false);
}

lending::RateCurve read_curve(const TomlFile& file, const toml::table& table, const std::string& context) {
  Scope scope(file, table, context, "curve.");
  const std::string kind = scope.string("kind");
  const auto ratio = [&scope](std::string_view key) { return scope.decimal<Ratio>(key); };
  std::optional<Result<lending::RateCurve>> curve;
  if (kind == "points") {
    const std::vector<lending::RatePoint> points = read_points(scope);
    curve = lending::RateCurve::make(points, scope.decimal<Ratio>("min_rate", Ratio{}));
  } else if (kind == "aave_two_slope") {
    const Ratio base = ratio("base"), slope1 = ratio("slope1"), slope2 = ratio("slope2"), optimal = ratio("optimal");
    curve = lending::RateCurve::aave_two_slope(base, slope1, slope2, optimal);
  } else if (kind == "drift_multi_stage") {
    const Ratio optimal_utilization = ratio("optimal_utilization"), optimal_rate = ratio("optimal_rate"),
                max_rate = ratio("max_rate"), min_rate = scope.decimal<Ratio>("min_rate", Ratio{});
    curve = lending::RateCurve::drift_multi_stage(optimal_utilization, optimal_rate, max_rate, min_rate);
  } else if (kind == "mango_two_kink") {
    const Ratio util0 = ratio("util0"), rate0 = ratio("rate0"), util1 = ratio("util1"), rate1 = ratio("rate1"),
                max_rate = ratio("max_rate");
    curve = lending::RateCurve::mango_two_kink(util0, rate0, util1, rate1, max_rate);
  } else {
    scope.fail_key("kind", "must be points, aave_two_slope, drift_multi_stage or mango_two_kink, got \"" + kind + "\"");
  }
  scope.finish();
  if (!*curve) fail_curve(scope, curve->error().message);
  return **curve;
}

lending::AdaptiveScaling read_adaptive(const TomlFile& file, const toml::table& table, const std::string& context) {
  Scope scope(file, table, context, "adaptive.");
  lending::AdaptiveScaling adaptive;
  adaptive.target_utilization = scope.decimal<Ratio>("target_utilization");
  adaptive.adjustment = scope.decimal<Ratio>("adjustment");
  adaptive.max_scaling = scope.decimal<Ratio>("max_scaling", adaptive.max_scaling);
  scope.finish();
  if (Outcome checked = lending::validate(adaptive); !checked) {
    fail_rule(scope, checked.error().message, "adaptive scaling: ");
  }
  return adaptive;
}

// A cap in whole units of the asset (exact to its decimals), or "none".
Amount pool_cap(Scope& scope, std::string_view key, int decimals) {
  const toml::node* node = scope.find(key);
  if (node == nullptr || (node->is_string() && node->as_string()->get() == "none")) {
    return Amount::from_raw(lending::kNoCap);
  }
  const std::int64_t units = scope.raw_decimal(*node, key, decimals);
  if (units < 0) scope.fail_key(key, "must be at least 0 (or \"none\")");
  return Amount::from_raw(units);
}

AssetPool read_pool(const TomlFile& file, const toml::table& table, const margin::RiskConfig& risk,
                    const std::vector<AssetPool>& earlier) {
  Scope first(file, table, "pool");
  const std::string symbol = first.string("asset");
  const auto asset = std::find_if(risk.assets.begin(), risk.assets.end(),
                                  [&symbol](const margin::AssetRisk& a) { return a.symbol == symbol; });
  if (asset == risk.assets.end()) first.fail_key("asset", "no asset \"" + symbol + "\" is listed");
  if (find_pool(earlier, asset->id) != nullptr) first.fail_key("asset", "another pool lends " + symbol);
  Scope scope(file, table, "pool " + symbol);
  scope.find("asset");
  AssetPool pool{asset->id, lending::PoolConfig{read_curve(file, *scope.subtable("curve", true), scope.context())}};
  lending::PoolConfig& config = pool.config;
  config.reserve_factor = scope.decimal<Ratio>("reserve_factor", config.reserve_factor);
  config.reserves_to = word(scope, "reserves_to", kReserves, config.reserves_to);
  config.supply_cap = pool_cap(scope, "supply_cap", asset->decimals);
  config.borrow_cap = pool_cap(scope, "borrow_cap", asset->decimals);
  if (const toml::table* adaptive = scope.subtable("adaptive", false)) {
    config.adaptive = read_adaptive(file, *adaptive, scope.context());
  }
  scope.finish();
  if (Outcome checked = lending::validate(config); !checked) fail_rule(scope, checked.error().message, "pool: ");
  return pool;
}

std::vector<AssetPool> read_pools(const TomlFile& file, const std::vector<const toml::table*>& tables,
                                  const margin::RiskConfig& risk) {
  std::vector<AssetPool> pools;
  for (const toml::table* table : tables) {
    AssetPool pool = read_pool(file, *table, risk, pools);
    // Sorted by asset as they come, so find_pool can look up the ones read so far.
    pools.insert(std::upper_bound(pools.begin(), pools.end(), pool.asset,
                                  [](AssetId id, const AssetPool& p) { return id < p.asset; }),
                 std::move(pool));
  }
  return pools;
}

// ---------------------------------------------------------------------------------------------
// [breakers]

// The monitor's rules (liquidation::validate only says params_invalid), each at its key.
void check_volatility(const Scope& scope, const liquidation::VolatilityParams& v) {
  const auto need = [&scope](bool ok, std::string_view key, const std::string& rule) {
    if (!ok) scope.fail_key(key, rule);
  };
  need(v.ewma_lambda > 0.0 && v.ewma_lambda < 1.0, "ewma_lambda", "must be in (0, 1)");
  need(v.garch_omega > 0.0, "garch_omega", "must be > 0");
  need(v.garch_alpha >= 0.0, "garch_alpha", "must be >= 0");
  need(v.garch_beta >= 0.0, "garch_beta", "must be >= 0");
  need(v.garch_alpha + v.garch_beta < 1.0, "garch_beta", "garch_alpha + garch_beta must be below 1");
  need(v.baseline_variance > 0.0, "baseline_variance", "must be > 0");
  need(v.breach_sigmas > 0.0, "breach_sigmas", "must be > 0");
  double threshold = 0.0;
  for (const double t : v.vol_ratio_thresholds) {
    need(t > threshold, "vol_ratio_thresholds", "must be positive and strictly increasing");
    threshold = t;
  }
  Ratio multiplier = margin::kRatioOne;
  for (const Ratio m : v.multipliers) {
    need(m >= multiplier, "multipliers", "must start at 1 or more and never decrease");
    multiplier = m;
  }
  need(liquidation::validate(v) == liquidation::BreakerStatus::ok, "", "the volatility parameters are invalid");
}

BreakerOptions read_breakers(const TomlFile& file, const toml::table& table, BreakerOptions breakers) {
  Scope scope(file, table, "", "breakers.");
  liquidation::VolatilityParams& v = breakers.volatility;
  breakers.oi_depth_factor = scope.decimal<Ratio>("oi_depth_factor", breakers.oi_depth_factor);
  breakers.emergency_outage_ns = positive_duration(scope, "emergency_outage", breakers.emergency_outage_ns);
  v.sample_interval_ns = positive_duration(scope, "sample_interval", v.sample_interval_ns);
  v.ewma_lambda = real(scope, "ewma_lambda", v.ewma_lambda);
  v.garch_omega = real(scope, "garch_omega", v.garch_omega);
  v.garch_alpha = real(scope, "garch_alpha", v.garch_alpha);
  v.garch_beta = real(scope, "garch_beta", v.garch_beta);
  v.baseline_variance = real(scope, "baseline_variance", v.baseline_variance);
  v.breach_sigmas = real(scope, "breach_sigmas", v.breach_sigmas);
  fixed_array(scope, "vol_ratio_thresholds", v.vol_ratio_thresholds,
              [&scope](const toml::node& node, const std::string& key) { return real_of(scope, node, key); });
  fixed_array(scope, "multipliers", v.multipliers, [&scope](const toml::node& node, const std::string& key) {
    return Ratio::from_raw(scope.raw_decimal(node, key, Ratio::kDecimals));
  });
  v.calm_period_ns = positive_duration(scope, "calm_period", v.calm_period_ns);
  scope.finish();
  check_volatility(scope, v);
  if (Outcome checked = validate(breakers); !checked) fail_rule(scope, checked.error().message, "breakers.");
  return breakers;
}

// ---------------------------------------------------------------------------------------------
// [governance]

// A value in the parameter's unit: a duration, or a decimal at its kind's places.
std::int64_t parameter_value(Scope& scope, std::string_view key, governance::ParameterKind kind) {
  if (kind == governance::ParameterKind::duration_ns) return scope.duration(key);
  return scope.raw_decimal(scope.require(key), key, governance::parameter_kind_decimals(kind));
}

// The spec's own rules (governance::validate), each at its key.
void check_spec(const Scope& scope, const governance::ParameterSpec& spec) {
  using governance::ConfigStatus;
  switch (governance::validate(spec)) {
    case ConfigStatus::ok: return;
    case ConfigStatus::bounds_invalid: scope.fail_key("max", "must be at least min (and min at least 0 for a duration)");
    case ConfigStatus::step_missing: scope.fail_key("", "give max_step, max_relative_step or both");
    case ConfigStatus::step_negative:
      scope.fail_key(spec.max_step && *spec.max_step < 0 ? "max_step" : "max_relative_step", "must be at least 0");
    case ConfigStatus::step_can_freeze:
      scope.fail_key("max_relative_step", "allows no change at some value in [min, max] (at 0, say): add a max_step");
    default: scope.fail_key("name", governance::config_status_name(governance::validate(spec)));
  }
}

GovernedParameter read_parameter(const TomlFile& file, const toml::table& table, std::size_t index,
                                 const margin::RiskConfig& risk, const EngineOptions& options,
                                 const std::vector<GovernedParameter>& earlier) {
  Scope first(file, table, "", "governance.parameter.");
  const std::string name = first.string("name");
  Result<ParameterValue> binding = governed_parameter(name, risk, options);
  if (!binding) {
    std::string message = binding.error().message;
    if (const std::size_t label = message.find(": \""); label != std::string::npos) message.erase(0, label + 2);
    first.fail_key("name", message);
  }
  for (const GovernedParameter& other : earlier) {
    if (other.name == name) first.fail_key("name", "another parameter has this name");
  }
  Scope scope(file, table, "governance parameter " + name);
  scope.find("name");
  const governance::ParameterKind kind = binding->kind;
  GovernedParameter out{name};
  out.min = parameter_value(scope, "min", kind);
  out.max = parameter_value(scope, "max", kind);
  if (scope.has("max_step")) out.max_step = parameter_value(scope, "max_step", kind);
  if (scope.has("max_relative_step")) out.max_relative_step = scope.decimal<Ratio>("max_relative_step");
  scope.finish();
  check_spec(scope, {governance::ParameterKey{static_cast<std::uint32_t>(index + 1)}, name, kind, out.min, out.max,
                     out.max_step, out.max_relative_step});
  if (binding->value < out.min || binding->value > out.max) {
    scope.fail_key(binding->value < out.min ? "min" : "max",
                   "the value in force, " + governance::format_value(kind, binding->value) + ", is outside [" +
                       governance::format_value(kind, out.min) + ", " + governance::format_value(kind, out.max) + "]");
  }
  return out;
}

GovernanceOptions read_governance(const TomlFile& file, const toml::table& table, const margin::RiskConfig& risk,
                                  const EngineOptions& options) {
  Scope scope(file, table, "", "governance.");
  GovernanceOptions governance = options.governance.value_or(GovernanceOptions{});
  governance::GovernanceParams& params = governance.params;
  params.timelock_ns = positive_duration(scope, "timelock", params.timelock_ns);
  params.grace_ns = positive_duration(scope, "grace", params.grace_ns);
  if (params.grace_ns > std::numeric_limits<std::int64_t>::max() - params.timelock_ns) {
    scope.fail_key("grace", "timelock + grace must fit 64-bit nanoseconds (292 years)");
  }
  params.max_pending = static_cast<std::uint32_t>(
      scope.integer("max_pending", 1, governance::kMaxPendingCeiling, params.max_pending));
  params.max_proposals = static_cast<std::uint32_t>(
      scope.integer("max_proposals", 1, governance::kMaxProposalsCeiling, params.max_proposals));
  if (scope.has("parameter")) {
    const std::vector<const toml::table*> tables = scope.tables("parameter", false);
    if (tables.size() > governance::kMaxParameters) {
      scope.fail_key("parameter", "at most " + std::to_string(governance::kMaxParameters) + " parameters");
    }
    governance.parameters.clear();
    for (std::size_t i = 0; i < tables.size(); ++i) {
      governance.parameters.push_back(read_parameter(file, *tables[i], i, risk, options, governance.parameters));
    }
  }
  scope.finish();
  return governance;
}

// ---------------------------------------------------------------------------------------------

EngineOptions read_options(const TomlFile& file, const toml::table& root, const margin::RiskConfig& risk,
                           EngineOptions options) {
  Scope top(file, root, "");
  if (const toml::table* table = top.subtable("engine", false)) read_engine(file, *table, options);
  if (const toml::table* table = top.subtable("oracle_policy", false)) {
    options.oracle_policy = read_oracle_policy(file, *table, options.oracle_policy);
  }
  if (const toml::table* table = top.subtable("liquidation", false)) {
    options.liquidation = read_liquidation(file, *table, options.liquidation);
  }
  if (const toml::table* table = top.subtable("vault", false)) {
    options.vault = read_vault(file, *table, options.vault.value_or(lending::VaultParams{}));
  }
  if (top.has("pool")) options.pools = read_pools(file, top.tables("pool", false), risk);
  if (const toml::table* table = top.subtable("breakers", false)) {
    options.breakers = read_breakers(file, *table, options.breakers.value_or(BreakerOptions{}));
  }
  // Last: governed parameters bind to the liquidation rules and the breakers read above.
  if (const toml::table* table = top.subtable("governance", false)) {
    options.governance = read_governance(file, *table, risk, options);
  }
  for (const std::string_view key : margin::toml_read::kRiskTables) top.find(key);  // parse_venue_config's
  top.finish();
  // Everything was checked where it was read; Engine::make's own checks, kept as a net.
  if (Result<Engine> made = Engine::make(risk, options); !made) fail(file.source() + ": " + made.error().message);
  return options;
}

}  // namespace

Result<EngineOptions> parse_engine_options(const toml::table& root, std::string_view toml_text,
                                           const margin::RiskConfig& risk, std::string_view source_name,
                                           const EngineOptions& base) {
  return margin::toml_read::read_parsed(root, toml_text, source_name, [&](const TomlFile& file, const toml::table& r) {
    return read_options(file, r, risk, base);
  });
}

Result<EngineOptions> parse_engine_options(std::string_view toml_text, const margin::RiskConfig& risk,
                                           std::string_view source_name, const EngineOptions& base) {
  return margin::toml_read::read_toml(toml_text, source_name, [&](const TomlFile& file, const toml::table& root) {
    return read_options(file, root, risk, base);
  });
}

Result<VenueFile> parse_venue_file(std::string_view toml_text, std::string_view source_name,
                                   const EngineOptions& base) {
  return margin::toml_read::read_toml(toml_text, source_name, [&base](const TomlFile& file, const toml::table& root) {
    VenueFile out{margin::toml_read::read_venue(file, root), {}};
    out.options = read_options(file, root, out.venue.risk, base);
    return out;
  });
}

Result<VenueFile> load_venue_file(const std::string& path, const EngineOptions& base) {
  Result<std::string> text = margin::toml_read::read_file(path);
  if (!text) return std::move(text).error();
  return parse_venue_file(*text, path, base);
}

}  // namespace ballast
