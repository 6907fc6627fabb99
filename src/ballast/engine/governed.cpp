#include "ballast/engine/governed.hpp"

#include <array>
#include <type_traits>
#include <utility>

#include "ballast/core/assert.hpp"
#include "ballast/engine/engine.hpp"

namespace ballast {

namespace {

using governance::ParameterKind;

struct FieldName {
  std::string_view suffix;
  ParameterField field;
};

constexpr std::array<FieldName, 2> kMarketFields{{
    {"initial_rate", ParameterField::market_initial_rate},
    {"maintenance_rate", ParameterField::market_maintenance_rate},
}};

constexpr std::array<FieldName, 4> kAssetFields{{
    {"init_asset_weight", ParameterField::init_asset_weight},
    {"maint_asset_weight", ParameterField::maint_asset_weight},
    {"init_liability_weight", ParameterField::init_liability_weight},
    {"maint_liability_weight", ParameterField::maint_liability_weight},
}};

constexpr std::array<FieldName, 10> kVenueFields{{
    {"liquidation.close_factor", ParameterField::close_factor},
    {"liquidation.buffer_ratio", ParameterField::buffer_ratio},
    {"liquidation.min_bonus", ParameterField::min_bonus},
    {"liquidation.max_bonus", ParameterField::max_bonus},
    {"liquidation.protocol_share", ParameterField::protocol_share},
    {"liquidation.withdrawal_gate_ns", ParameterField::withdrawal_gate_ns},
    {"breakers.oi_depth_factor", ParameterField::oi_depth_factor},
    {"liquidation.bankruptcy_adjustment", ParameterField::bankruptcy_adjustment},
    {"liquidation.spread_to_maintenance", ParameterField::spread_to_maintenance},
    {"liquidation.target_fee_rate", ParameterField::target_fee_rate},
}};

ParameterKind kind_of(ParameterField field) {
  return field == ParameterField::withdrawal_gate_ns ? ParameterKind::duration_ns : ParameterKind::ratio;
}

template <std::size_t N>
std::optional<ParameterField> field_named(const std::array<FieldName, N>& fields, std::string_view name) {
  for (const FieldName& entry : fields) {
    if (entry.suffix == name) return entry.field;
  }
  return std::nullopt;
}

std::int64_t raw_of(Ratio ratio) { return ratio.raw(); }
std::int64_t raw_of(std::int64_t value) { return value; }
void assign_raw(Ratio& ratio, std::int64_t raw) { ratio = Ratio::from_raw(raw); }
void assign_raw(std::int64_t& field, std::int64_t raw) { field = raw; }

// Calls f on the bound field of a configuration (const or not); false when the configuration has
// no such field (a tiered market rule, no breakers).
template <typename Risk, typename Options, typename F>
bool visit_field(const ParameterBinding& binding, Risk& risk, Options& options, F&& f) {
  auto& rules = options.liquidation;
  switch (binding.field) {
    case ParameterField::market_initial_rate:
    case ParameterField::market_maintenance_rate: {
      const bool initial = binding.field == ParameterField::market_initial_rate;
      return std::visit(
          [initial, &f](auto& rule) {
            if constexpr (std::is_same_v<std::remove_cvref_t<decltype(rule)>, margin::TierRule>) {
              return false;
            } else {
              f(initial ? rule.initial_rate : rule.maintenance_rate);
              return true;
            }
          },
          risk.markets[binding.slot].rule);
    }
    case ParameterField::init_asset_weight: f(risk.assets[binding.slot].collateral.init_asset_weight); return true;
    case ParameterField::maint_asset_weight: f(risk.assets[binding.slot].collateral.maint_asset_weight); return true;
    case ParameterField::init_liability_weight:
      f(risk.assets[binding.slot].collateral.init_liability_weight);
      return true;
    case ParameterField::maint_liability_weight:
      f(risk.assets[binding.slot].collateral.maint_liability_weight);
      return true;
    case ParameterField::close_factor: f(rules.sizing.close_factor); return true;
    case ParameterField::buffer_ratio: f(rules.buffer_ratio); return true;
    case ParameterField::min_bonus: f(rules.auction.min_bonus); return true;
    case ParameterField::max_bonus: f(rules.auction.max_bonus); return true;
    case ParameterField::protocol_share: f(rules.auction.protocol_share); return true;
    case ParameterField::withdrawal_gate_ns: f(rules.withdrawal_gate_ns); return true;
    case ParameterField::bankruptcy_adjustment: f(rules.bankruptcy_adjustment); return true;
    case ParameterField::spread_to_maintenance: f(rules.spread_to_maintenance); return true;
    case ParameterField::target_fee_rate: f(rules.target_fee_rate); return true;
    case ParameterField::oi_depth_factor:
      if (!options.breakers) return false;
      f(options.breakers->oi_depth_factor);
      return true;
  }
  BALLAST_ASSERT(false);  // a closed enum
  return {};
}

// What judge_value writes a proposed value into instead of copies of the whole configuration (a
// proposal's check copied every asset and market, and every option with its pools): the one asset
// or market a binding names, copied when visit_field reaches it, and the small option structs a
// field can live in. Validating those parts is validating the whole: the rest of the configuration
// in force is valid and unchanged, and RiskConfig::validate checks each asset's collateral and
// each market's rule on their own.
template <typename T>
struct TrialSlot {
  const std::vector<T>& from;
  std::optional<T> copy;
  T& operator[](std::size_t i) {
    if (!copy) copy = from[i];
    return *copy;
  }
};
struct TrialRisk {
  TrialSlot<margin::AssetRisk> assets;
  TrialSlot<margin::MarketRisk> markets;
};
struct TrialOptions {
  LiquidationRules liquidation;
  std::optional<BreakerOptions> breakers;
};

std::optional<std::int64_t> read_field(const ParameterBinding& binding, const margin::RiskConfig& risk,
                                       const EngineOptions& options) {
  std::optional<std::int64_t> value;
  visit_field(binding, risk, options, [&value](const auto& field) { value = raw_of(field); });
  return value;
}

void write_field(const ParameterBinding& binding, std::int64_t value, GovernedConfig config) {
  const bool bound =
      visit_field(binding, config.risk, config.options, [value](auto& field) { assign_raw(field, value); });
  BALLAST_ASSERT(bound);
}

Result<ParameterBinding> bind_name(std::string_view name, const margin::RiskConfig& risk, const EngineOptions& options) {
  std::optional<ParameterBinding> binding;
  if (const auto venue = field_named(kVenueFields, name)) binding = ParameterBinding{*venue, 0};
  const std::size_t dot = name.rfind('.');
  if (!binding && dot != std::string_view::npos) {
    const std::string_view owner = name.substr(0, dot);
    const std::string_view suffix = name.substr(dot + 1);
    for (std::size_t i = 0; i < risk.markets.size() && !binding; ++i) {
      const auto field = field_named(kMarketFields, suffix);
      if (field && risk.markets[i].instrument.symbol == owner) binding = ParameterBinding{*field, i};
    }
    for (std::size_t i = 0; i < risk.assets.size() && !binding; ++i) {
      const auto field = field_named(kAssetFields, suffix);
      if (field && risk.assets[i].symbol == owner) binding = ParameterBinding{*field, i};
    }
  }
  if (binding && read_field(*binding, risk, options)) return *binding;
  return make_error(ErrorCode::invalid_input, "governance.parameters: \"" + std::string(name) +
                                                  "\" names no governable parameter of this venue");
}

Result<std::vector<ParameterBinding>> bind_all(const std::vector<governance::ParameterSpec>& specs,
                                               const margin::RiskConfig& risk, const EngineOptions& options) {
  std::vector<ParameterBinding> bindings;
  for (const governance::ParameterSpec& spec : specs) {
    Result<ParameterBinding> binding = bind_name(spec.name, risk, options);
    if (!binding) return std::move(binding).error();
    if (kind_of(binding->field) != spec.kind) {
      return make_error(ErrorCode::corrupt, "governance: parameter " + spec.name + " has the wrong kind");
    }
    bindings.push_back(*binding);
  }
  return bindings;
}

}  // namespace

Result<ParameterValue> governed_parameter(std::string_view name, const margin::RiskConfig& risk,
                                          const EngineOptions& options) {
  Result<ParameterBinding> binding = bind_name(name, risk, options);
  if (!binding) return std::move(binding).error();
  return ParameterValue{kind_of(binding->field), *read_field(*binding, risk, options)};
}

Status status_of(governance::GovernanceStatus status) {
  using G = governance::GovernanceStatus;
  switch (status) {
    case G::ok: return Status::ok;
    case G::time_invalid: return Status::timestamp_invalid;
    case G::time_regressed: return Status::timestamp_regressed;
    case G::proposal_id_invalid: return Status::proposal_id_invalid;
    case G::proposal_exists: return Status::proposal_exists;
    case G::proposal_unknown: return Status::proposal_unknown;
    case G::already_executed: return Status::proposal_executed;
    case G::already_cancelled: return Status::proposal_cancelled;
    case G::expired: return Status::proposal_expired;
    case G::timelock_pending: return Status::timelock_pending;
    case G::parameter_unknown: return Status::parameter_unknown;
    case G::out_of_bounds: return Status::parameter_out_of_bounds;
    case G::no_change: return Status::parameter_unchanged;
    case G::change_too_large: return Status::parameter_step_too_large;
    case G::parameter_busy: return Status::parameter_busy;
    case G::too_many_pending:
    case G::capacity_exhausted: return Status::proposals_full;
  }
  BALLAST_ASSERT(false);  // a closed enum
  return {};
}

Result<GovernedParameters> GovernedParameters::make(const GovernanceOptions& options, const margin::RiskConfig& risk,
                                                    const EngineOptions& engine_options) {
  std::vector<governance::ParameterSpec> specs;
  std::vector<std::int64_t> initial;
  std::vector<ParameterBinding> bindings;
  for (std::size_t i = 0; i < options.parameters.size(); ++i) {
    const GovernedParameter& parameter = options.parameters[i];
    Result<ParameterBinding> binding = bind_name(parameter.name, risk, engine_options);
    if (!binding) return std::move(binding).error();
    specs.push_back({governance::ParameterKey{static_cast<std::uint32_t>(i + 1)}, parameter.name,
                     kind_of(binding->field), parameter.min, parameter.max, parameter.max_step,
                     parameter.max_relative_step});
    initial.push_back(*read_field(*binding, risk, engine_options));
    bindings.push_back(*binding);
  }
  Result<governance::Governor> governor = governance::Governor::make(specs, initial, options.params);
  if (!governor) {
    return make_error(ErrorCode::invalid_input, "governance: " + governor.error().message);
  }
  return GovernedParameters(std::move(*governor), std::move(bindings));
}

Status GovernedParameters::judge_value(governance::ParameterKey key, std::int64_t value,
                                       const margin::RiskConfig& risk, const EngineOptions& options) const {
  TrialRisk trial_risk{{risk.assets, {}}, {risk.markets, {}}};
  TrialOptions trial_options{options.liquidation, options.breakers};
  const bool bound = visit_field(bindings_[key.value - 1], trial_risk, trial_options,
                                 [value](auto& field) { assign_raw(field, value); });
  BALLAST_ASSERT(bound);
  const std::optional<margin::AssetRisk>& asset = trial_risk.assets.copy;
  const std::optional<margin::MarketRisk>& market = trial_risk.markets.copy;
  const bool valid = (!asset || asset->collateral.validate().ok()) && (!market || margin::validate(market->rule).ok()) &&
                     trial_options.liquidation.validate().ok() &&
                     (!trial_options.breakers || validate(*trial_options.breakers).ok());
  return valid ? Status::ok : Status::parameter_conflict;
}

Status GovernedParameters::check_propose(governance::ProposalId id, governance::ParameterKey key, std::int64_t value,
                                         const margin::RiskConfig& risk, const EngineOptions& options,
                                         TimestampNs now_ns) const {
  if (const Status s = status_of(governor_.check_propose(id, key, value, now_ns)); s != Status::ok) return s;
  return judge_value(key, value, risk, options);
}

Status GovernedParameters::check_cancel(governance::ProposalId id, TimestampNs now_ns) const {
  return status_of(governor_.check_cancel(id, now_ns));
}

Status GovernedParameters::check_execute(governance::ProposalId id, const margin::RiskConfig& risk,
                                         const EngineOptions& options, TimestampNs now_ns) const {
  if (const Status s = status_of(governor_.check_execute(id, now_ns)); s != Status::ok) return s;
  const std::optional<governance::Proposal> proposal = governor_.proposal(id);
  return judge_value(proposal->key, proposal->new_value, risk, options);
}

void GovernedParameters::propose(governance::ProposalId id, governance::ParameterKey key, std::int64_t value,
                                 TimestampNs now_ns) {
  const governance::GovernanceStatus status = governor_.propose(id, key, value, now_ns);
  BALLAST_ASSERT(status == governance::GovernanceStatus::ok);
}

void GovernedParameters::cancel(governance::ProposalId id, TimestampNs now_ns) {
  const governance::GovernanceStatus status = governor_.cancel(id, now_ns);
  BALLAST_ASSERT(status == governance::GovernanceStatus::ok);
}

governance::ParameterChange GovernedParameters::execute(governance::ProposalId id, GovernedConfig config,
                                                        TimestampNs now_ns) {
  const governance::Execution execution = governor_.execute(id, now_ns);
  BALLAST_ASSERT(execution.status == governance::GovernanceStatus::ok);
  const governance::ParameterChange& change = *execution.change;
  const ParameterBinding& binding = bindings_[change.key.value - 1];
  BALLAST_ASSERT(read_field(binding, config.risk, config.options) == change.old_value);  // they agree
  write_field(binding, change.new_value, config);
  return change;
}

GovernanceOptions GovernedParameters::options() const {
  GovernanceOptions options{governor_.params(), {}};
  for (const governance::ParameterSpec& spec : governor_.specs()) {
    options.parameters.push_back({spec.name, spec.min, spec.max, spec.max_step, spec.max_relative_step});
  }
  return options;
}

Result<GovernedParameters> GovernedParameters::decode(ByteReader& in, const margin::RiskConfig& risk,
                                                      const EngineOptions& options) {
  Result<governance::Governor> governor = governance::Governor::decode(in);
  if (!governor) return std::move(governor).error();
  const std::vector<governance::ParameterSpec> specs = governor->specs();
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].key.value != i + 1) {
      return make_error(ErrorCode::corrupt, "governance: parameter keys are not 1.." + std::to_string(specs.size()));
    }
  }
  Result<std::vector<ParameterBinding>> bindings = bind_all(specs, risk, options);
  if (!bindings) return make_error(ErrorCode::corrupt, bindings.error().message);
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (governor->value(specs[i].key) != read_field((*bindings)[i], risk, options)) {
      return make_error(ErrorCode::corrupt, "governance: " + specs[i].name + " differs from the configuration");
    }
  }
  return GovernedParameters(std::move(*governor), std::move(*bindings));
}

}  // namespace ballast
