#pragma once
// The engine's options from a venue file (DESIGN principle 7, "rules are data"): the tables of a
// venue TOML that margin::parse_venue_config passes over become EngineOptions. The conventions are
// the venue reader's (margin/venue_config.hpp): decimals read exactly from the file's text (too
// many places is an error), durations as "90s" / "10m" / "8h" or integer nanoseconds, unknown
// keys are errors, every error is one invalid_input line naming file:line and the key, e.g.
//   venue.toml:310: liquidation.close_factor: must be in (0, 1]
// and nothing is half-loaded: the result passes Engine::make's checks, or is an error.
//
// Tables (every one optional; an omitted table or key keeps the base's value, by default the
// struct's own default):
//   [engine]         price_max_age (duration)
//   [oracle_policy]  <action> = [<validity>, ...]: the validities the action is allowed at
//                    (market::OracleAction / OracleValidity names); an omitted action keeps its row
//   [liquidation]    LiquidationRules: close_factor, full_close_below, backstop_below,
//                    min_leftover_notional, buffer_ratio, min_bonus, max_bonus, auction_duration,
//                    protocol_share, account_cap_notional, account_window, event_cap_notional,
//                    insurance_per_account_window, insurance_per_event, insurance_keep_minimum,
//                    after_insurance (adl_counterparties | market_holders),
//                    adl_ranking (pnl_leverage | hedge_aware), withdrawal_gate
//   [vault]          lending::VaultParams: cooldown, min_deposit, virtual_shares, virtual_assets,
//                    max_pending_withdrawals (its presence gives the venue a vault)
//   [[pool]]         asset = "USDC", reserve_factor, reserves_to (insurance_fund | treasury),
//                    supply_cap, borrow_cap (whole units of the asset, or "none"),
//                    [pool.curve] kind = points | aave_two_slope | drift_multi_stage |
//                    mango_two_kink with its inputs, [pool.adaptive] target_utilization,
//                    adjustment, max_scaling. The file's pools replace the base's.
//   [breakers]       BreakerOptions: oi_depth_factor, emergency_outage, and the volatility
//                    monitor's sample_interval, ewma_lambda, garch_omega, garch_alpha, garch_beta,
//                    baseline_variance, breach_sigmas, vol_ratio_thresholds (3), multipliers (4),
//                    calm_period (its presence turns the breakers on)
//   [governance]     timelock, grace, max_pending, max_proposals, and [[governance.parameter]]
//                    name, min, max, max_step, max_relative_step: values in the parameter's own
//                    unit (a ratio as "0.05", a duration as "30s"), converted by its kind

#include <string>
#include <string_view>
#include <toml++/toml.h>

#include "ballast/core/result.hpp"
#include "ballast/engine/engine.hpp"
#include "ballast/margin/venue_config.hpp"

namespace ballast {

// The engine's options from a parsed venue file. toml_text is the text `root` was parsed from
// (numbers are read from it exactly); risk is the venue's (pools and governed parameters name its
// assets and markets); keys the file omits keep base's values.
Result<EngineOptions> parse_engine_options(const toml::table& root, std::string_view toml_text,
                                           const margin::RiskConfig& risk, std::string_view source_name,
                                           const EngineOptions& base = {});
// The same from the file's text.
Result<EngineOptions> parse_engine_options(std::string_view toml_text, const margin::RiskConfig& risk,
                                           std::string_view source_name, const EngineOptions& base = {});

// A whole venue file: the risk configuration and the engine's options.
struct VenueFile {
  margin::VenueConfig venue;
  EngineOptions options;
};
Result<VenueFile> parse_venue_file(std::string_view toml_text, std::string_view source_name,
                                   const EngineOptions& base = {});
Result<VenueFile> load_venue_file(const std::string& path, const EngineOptions& base = {});

}  // namespace ballast
