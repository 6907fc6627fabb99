#include "ballast/margin/weights.hpp"

#include <string>

namespace ballast::margin {
namespace {

Error field_error(const std::string& field, const std::string& wanted, const std::string& got) {
  return make_error(ErrorCode::invalid_input, field + ": " + wanted + ", got " + got);
}

// The four weights of a base or tier set, named with a prefix ("" or "tiers[2].").
struct WeightSet {
  Ratio init_asset, maint_asset, init_liability, maint_liability;
};

Outcome check_weights(const WeightSet& w, const std::string& prefix) {
  if (w.init_asset.is_negative()) {
    return field_error(prefix + "init_asset_weight", "must be at least 0", w.init_asset.to_string());
  }
  if (w.maint_asset < w.init_asset) {
    return field_error(prefix + "maint_asset_weight",
                       "must be at least init_asset_weight (" + w.init_asset.to_string() + ")",
                       w.maint_asset.to_string());
  }
  if (w.maint_asset > kRatioOne) {
    return field_error(prefix + "maint_asset_weight", "must be at most 1", w.maint_asset.to_string());
  }
  if (w.maint_liability < kRatioOne) {
    return field_error(prefix + "maint_liability_weight", "must be at least 1",
                       w.maint_liability.to_string());
  }
  if (w.init_liability < w.maint_liability) {
    return field_error(prefix + "init_liability_weight",
                       "must be at least maint_liability_weight (" + w.maint_liability.to_string() + ")",
                       w.init_liability.to_string());
  }
  return Ok{};
}

}  // namespace

Outcome CollateralParams::validate() const {
  const WeightSet base{init_asset_weight, maint_asset_weight, init_liability_weight,
                       maint_liability_weight};
  if (Outcome ok = check_weights(base, ""); !ok) {
    return ok;
  }
  if (imf_factor.is_negative() || imf_factor > kRatioOne) {
    return field_error("imf_factor", "must be in [0, 1]", imf_factor.to_string());
  }
  if (deposit_scale_start.is_negative()) {
    return field_error("deposit_scale_start", "must be at least 0 (0: no scaling)",
                       deposit_scale_start.to_string());
  }
  if (borrow_scale_start.is_negative()) {
    return field_error("borrow_scale_start", "must be at least 0 (0: no scaling)",
                       borrow_scale_start.to_string());
  }
  if (tier_count > kMaxWeightTiers) {
    return field_error("tier_count", "must be at most " + std::to_string(kMaxWeightTiers),
                       std::to_string(tier_count));
  }
  WeightSet previous = base;
  Quantity previous_size{};
  for (std::size_t i = 0; i < tier_count; ++i) {
    const WeightTier& t = tiers[i];
    const std::string prefix = "tiers[" + std::to_string(i) + "].";
    if (t.min_size <= previous_size) {
      return field_error(prefix + "min_size",
                         i == 0 ? std::string("must be above 0")
                                : "must be above tiers[" + std::to_string(i - 1) +
                                      "].min_size (" + previous_size.to_string() + ")",
                         t.min_size.to_string());
    }
    const WeightSet w{t.init_asset_weight, t.maint_asset_weight, t.init_liability_weight,
                      t.maint_liability_weight};
    if (Outcome ok = check_weights(w, prefix); !ok) {
      return ok;
    }
    // A bigger position never gets a kinder weight.
    const char* below = i == 0 ? "the base weight" : "the tier below";
    if (w.init_asset > previous.init_asset) {
      return field_error(prefix + "init_asset_weight", std::string("must be at most ") + below +
                         " (" + previous.init_asset.to_string() + ")", w.init_asset.to_string());
    }
    if (w.maint_asset > previous.maint_asset) {
      return field_error(prefix + "maint_asset_weight", std::string("must be at most ") + below +
                         " (" + previous.maint_asset.to_string() + ")", w.maint_asset.to_string());
    }
    if (w.init_liability < previous.init_liability) {
      return field_error(prefix + "init_liability_weight", std::string("must be at least ") +
                         below + " (" + previous.init_liability.to_string() + ")",
                         w.init_liability.to_string());
    }
    if (w.maint_liability < previous.maint_liability) {
      return field_error(prefix + "maint_liability_weight", std::string("must be at least ") +
                         below + " (" + previous.maint_liability.to_string() + ")",
                         w.maint_liability.to_string());
    }
    previous = w;
    previous_size = t.min_size;
  }
  return Ok{};
}

Outcome PnlPolicy::validate() const {
  if (initial_weight.is_negative() || initial_weight > kRatioOne) {
    return field_error("initial_weight", "must be in [0, 1]", initial_weight.to_string());
  }
  if (maintenance_weight < initial_weight || maintenance_weight > kRatioOne) {
    return field_error("maintenance_weight",
                       "must be in [initial_weight (" + initial_weight.to_string() + "), 1]",
                       maintenance_weight.to_string());
  }
  if (initial_cap.is_negative()) {
    return field_error("initial_cap", "must be at least 0", initial_cap.to_string());
  }
  if (maintenance_cap < initial_cap) {
    return field_error("maintenance_cap",
                       "must be at least initial_cap (" + initial_cap.to_string() + ")",
                       maintenance_cap.to_string());
  }
  return Ok{};
}

}  // namespace ballast::margin
