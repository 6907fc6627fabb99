#pragma once
// Binary encoding of a venue's risk parameters (margin::RiskConfig) for the engine's snapshot.
//
// The engine holds the RiskConfig it was built with, and the snapshot carries it, so that a
// restored engine judges the next fill exactly as the original would and the state hash covers
// the rules as well as the balances. Changing the configuration at run time is a later issue
// (governance events: bounds, maximum step, timelock); for now it is fixed at construction.
//
// Layout (little-endian, ByteWriter): quote u32 | asset count u32 | assets | market count u32 |
// markets | PnL policy. Every field is written, in declaration order; a Fixed is its raw i64, a
// bool one byte (0 or 1), an enum one byte. The RequirementRule is a kind byte (the variant's
// index: 0 base, 1 size, 2 open-interest ramp, 3 tiers) followed by the rule's fields; a tier
// rule writes its tiers only (the deductions are derived). Weight tiers are written up to
// tier_count. An asset writes its oracle and stable-price settings after its collateral
// parameters; a market writes its perp_health byte after its latency rate.
//
// Canonical: decode accepts only what encode writes for a valid configuration (the result is
// checked with RiskConfig::validate()), so decode(bytes) re-encodes to the same bytes, and a
// decode error names the field and the byte offset where it starts.

#include "ballast/core/bytes.hpp"
#include "ballast/core/result.hpp"
#include "ballast/margin/account.hpp"
#include "ballast/portfolio/model.hpp"

namespace ballast {

void encode_risk_config(ByteWriter& out, const margin::RiskConfig& config);
// A corrupt error naming the field ("risk config at byte 57: markets[0].instrument.tick ...").
Result<margin::RiskConfig> decode_risk_config(ByteReader& in);

// A portfolio-margin model's configuration, for the snapshot of an engine that offers portfolio
// margin. Every field in declaration order (model.hpp, scenario.hpp); a double is its IEEE bit
// pattern (u64), so the bytes are exact; an int, a count or an enum as u32, u32, u8; a bool one
// byte. Decode checks the result with portfolio::Model::make, so it too is canonical.
void encode_portfolio_config(ByteWriter& out, const portfolio::PortfolioConfig& config);
Result<portfolio::PortfolioConfig> decode_portfolio_config(ByteReader& in);

}  // namespace ballast
