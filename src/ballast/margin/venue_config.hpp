#pragma once
// Venue configuration (issue 4, item 8; DESIGN principle 7 "rules are data"): a venue's risk
// parameters read from TOML into a RiskConfig, and a portfolio (prices and sub-accounts) read
// from JSON, for `ballast margin` and for tests and tools that want a realistic venue.
//
// Both readers are input edges: every error is an invalid_input Error of one line naming the
// file, the line (TOML) or the JSON path, and the key, e.g.
//   venue.toml:42: market BTC-PERP: rule.initial_rate: must be in [0, 1], got 1.5
//   portfolio.json: sub_accounts[2].positions.ETH-PERP.size: not a decimal: "1,5"
// Unknown keys are errors (a misspelt key never passes silently), and nothing is half-loaded: a
// reader returns a whole, validated configuration or an error. The engine's tables of a venue
// file ([engine], [oracle_policy], [liquidation], [vault], [[pool]], [breakers], [governance])
// are engine/options_config.hpp's to read: this reader passes over them.
//
// Decimals are read exactly (docs/ARCHITECTURE.md, "Venue configuration"): a TOML string
// ("0.05"), integer or float is read from the text the file holds, never through a double, and a
// value with more decimal places than its type holds (weights and rates 12, prices and sizes 9,
// money 6, balances the asset's decimals) is an error rather than rounded.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ballast/core/fixed.hpp"
#include "ballast/core/ids.hpp"
#include "ballast/core/result.hpp"
#include "ballast/margin/account.hpp"

namespace ballast::margin {

// What a market's latency add-on was computed from (MarketRisk::latency_rate holds the result).
struct MarketLatency {
  LatencyBuffer buffer;
  Ratio annual_vol;
};

struct VenueConfig {
  std::string name;     // the file's `name`, or empty
  std::string source;   // the file name errors were reported against
  RiskConfig risk;      // validated; assets and markets sorted by id
  // Per market (same order as risk.markets): the latency inputs, when the market has a buffer.
  std::vector<std::optional<MarketLatency>> latency;

  const AssetRisk* find_asset(std::string_view symbol) const;
  const MarketRisk* find_market(std::string_view symbol) const;
  const AssetRisk& quote_asset() const { return *risk.find_asset(risk.quote); }
};

// Reads and validates a venue file. source_name is what errors call the file (usually its path).
Result<VenueConfig> parse_venue_config(std::string_view toml_text, std::string_view source_name);
Result<VenueConfig> load_venue_config(const std::string& path);

// A portfolio to evaluate: prices and sub-accounts, in the venue's ids.
struct Portfolio {
  PriceBook prices;                           // sorted by id; no entry for the quote asset
  std::vector<SubAccountBook> sub_accounts;   // sorted by id, ids unique
  std::vector<std::string> labels;            // per sub-account (same order), or empty strings
  // "as_of" (RFC 3339): the time the prices are for; portfolio margin needs it to measure
  // each dated position's time to expiry.
  std::optional<TimestampNs> as_of;
};

// Reads a portfolio in JSON against a venue (symbols resolve through it):
//   {
//     "prices": {
//       "assets":  { "BTC": { "oracle": "65000", "stable": "64800",
//                             "total_deposits": "120000000", "total_borrows": "0" } },
//       "markets": { "BTC-PERP": { "mark": "65010", "open_interest": "250000000" } }
//     },
//     "sub_accounts": [
//       { "id": 16, "owner": 100, "mode": "cross", "label": "BTC long",   (mode: cross, isolated, portfolio)
//         "balances": { "USDC": "20000" },
//         "positions": { "BTC-PERP": { "size": "1.5", "entry_price": "60000" } } }
//     ]
//   }
// and optionally "as_of": "2026-01-02T08:00:00Z" at the top level.
// Decimals are strings or JSON numbers (read from their text, exactly). Balances are in whole
// units of the asset (negative: a borrow); sizes in contracts (signed, on the market's lot);
// a position gives either entry_price (cost basis = size × contract_size × entry, rounded up as
// a fill is) or cost_basis (signed quote money). Every held asset and market needs a price.
Result<Portfolio> parse_portfolio(std::string_view json_text, std::string_view source_name,
                                  const VenueConfig& venue);
Result<Portfolio> load_portfolio(const std::string& path, const VenueConfig& venue);

// An RFC 3339 timestamp with an offset ("2025-06-27T08:00:00Z", fractions to nanoseconds) as
// nanoseconds since the Unix epoch; nullopt when malformed or out of range.
std::optional<TimestampNs> parse_rfc3339(std::string_view text);
// A duration: a non-negative integer with a unit (ns, us, ms, s, m, h, d), e.g. "8h", "1500ms".
std::optional<std::int64_t> parse_duration_ns(std::string_view text);

}  // namespace ballast::margin
