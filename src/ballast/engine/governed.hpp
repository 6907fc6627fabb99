#pragma once
// Governed risk parameters (issue 6, item 6): the engine's side of governance/governance.hpp.
// A venue names the parameters a risk committee may change, each with its bounds and the largest
// change one proposal may make (EngineOptions::governance); the events propose_parameter,
// cancel_proposal and execute_proposal run the governor's operations (timelock, grace, one
// proposal per parameter at a time), and an executed proposal writes the new value into the
// engine's governed configuration at that event. The parameter history is the governor's:
// Engine::governor()->history(key) and value_at(key, t).
//
// Parameters are named "<market symbol>.<field>", "<asset symbol>.<field>" or "<section>.<field>":
//   market  initial_rate, maintenance_rate (ratio; base, size and open-interest rules; a tiered
//           rule's rates are a table, not one number, and are not governed here)
//   asset   init_asset_weight, maint_asset_weight, init_liability_weight, maint_liability_weight
//           (ratio)
//   liquidation.close_factor, liquidation.buffer_ratio, liquidation.min_bonus,
//           liquidation.max_bonus, liquidation.protocol_share, liquidation.bankruptcy_adjustment,
//           liquidation.spread_to_maintenance, liquidation.target_fee_rate (ratio),
//           liquidation.withdrawal_gate_ns (duration)
//   breakers.oi_depth_factor (ratio; a venue with circuit breakers)
// A parameter's key is its position in the list plus one.
//
// A value the governor allows can still break a rule between parameters (a maintenance rate
// above the initial one, a weight order): propose and execute try the change on a copy of the
// configuration and answer parameter_conflict when the copy does not validate. Execute checks
// again because another change may have landed in between.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ballast/core/bytes.hpp"
#include "ballast/core/result.hpp"
#include "ballast/core/status.hpp"
#include "ballast/governance/governance.hpp"
#include "ballast/margin/account.hpp"

namespace ballast {

struct EngineOptions;

struct GovernedParameter {
  std::string name;
  std::int64_t min = 0;  // raw at the parameter's kind (a ratio's 1e-12, a duration's ns)
  std::int64_t max = 0;
  std::optional<std::int64_t> max_step{};
  std::optional<Ratio> max_relative_step{};

  friend bool operator==(const GovernedParameter&, const GovernedParameter&) = default;
};

struct GovernanceOptions {
  governance::GovernanceParams params;
  std::vector<GovernedParameter> parameters;

  friend bool operator==(const GovernanceOptions&, const GovernanceOptions&) = default;
};

// The field a governed parameter writes.
enum class ParameterField : std::uint8_t {
  market_initial_rate,
  market_maintenance_rate,
  init_asset_weight,
  maint_asset_weight,
  init_liability_weight,
  maint_liability_weight,
  close_factor,
  buffer_ratio,
  min_bonus,
  max_bonus,
  protocol_share,
  withdrawal_gate_ns,
  oi_depth_factor,
  bankruptcy_adjustment,
  spread_to_maintenance,
  target_fee_rate,
};

struct ParameterBinding {
  ParameterField field = ParameterField::close_factor;
  std::size_t slot = 0;  // the market's or the asset's index in the risk configuration
};

// The configuration a governed parameter lives in: the governed risk configuration (the rules
// before circuit-breaker multipliers) and the engine's options.
struct GovernedConfig {
  margin::RiskConfig& risk;
  EngineOptions& options;
};

class GovernedParameters {
 public:
  // Binds every name (an invalid_input error names the first that binds to nothing) and makes the
  // governor with the values in force as initial values.
  static Result<GovernedParameters> make(const GovernanceOptions& options, const margin::RiskConfig& risk,
                                         const EngineOptions& engine_options);

  Status check_propose(governance::ProposalId id, governance::ParameterKey key, std::int64_t value,
                       const margin::RiskConfig& risk, const EngineOptions& options, TimestampNs now_ns) const;
  Status check_cancel(governance::ProposalId id, TimestampNs now_ns) const;
  Status check_execute(governance::ProposalId id, const margin::RiskConfig& risk, const EngineOptions& options,
                       TimestampNs now_ns) const;

  // The operations, on events that checked ok.
  void propose(governance::ProposalId id, governance::ParameterKey key, std::int64_t value, TimestampNs now_ns);
  void cancel(governance::ProposalId id, TimestampNs now_ns);
  governance::ParameterChange execute(governance::ProposalId id, GovernedConfig config, TimestampNs now_ns);

  const governance::Governor& governor() const { return governor_; }
  // The options the governor was made with (specs and params), e.g. after a restore.
  GovernanceOptions options() const;

  // The governor's bytes; decode binds the names again and checks that every parameter's value
  // in force equals the configuration's.
  void encode(ByteWriter& out) const { governor_.encode(out); }
  static Result<GovernedParameters> decode(ByteReader& in, const margin::RiskConfig& risk,
                                           const EngineOptions& options);

 private:
  GovernedParameters(governance::Governor governor, std::vector<ParameterBinding> bindings)
      : governor_(std::move(governor)), bindings_(std::move(bindings)) {}

  // parameter_conflict when the configuration with this value does not validate.
  Status judge_value(governance::ParameterKey key, std::int64_t value, const margin::RiskConfig& risk,
                     const EngineOptions& options) const;

  governance::Governor governor_;
  std::vector<ParameterBinding> bindings_;  // key k at index k - 1
};

// What a governed parameter's name binds to on this venue: its kind and the value in force. An
// invalid_input error naming it when it binds to nothing (what GovernedParameters::make says too).
struct ParameterValue {
  governance::ParameterKind kind = governance::ParameterKind::ratio;
  std::int64_t value = 0;
};
Result<ParameterValue> governed_parameter(std::string_view name, const margin::RiskConfig& risk,
                                          const EngineOptions& options);

// The engine's answer for a governor's.
Status status_of(governance::GovernanceStatus status);

}  // namespace ballast
