#pragma once
// Venues for margin tests, header-only: assets with their weights, markets with their rules,
// prices and sub-accounts, so that account_test, book_test and the engine's tests build a
// venue in a few lines and no two of them keep their own copy of the builders. The
// instruments come from market/testing/instruments.hpp (the market part's tests use that one
// directly).
//
// Also the Mango v4 test venue of reference case E10 (research/defi-engines.md), as a configured
// venue, for the calculator's and the book's tests.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ballast/core/testing/fixed_text.hpp"
#include "ballast/margin/account.hpp"
#include "ballast/margin/venue_config.hpp"
#include "ballast/market/testing/instruments.hpp"

namespace ballast::margin::testing {

using market::testing::funding_index;
using market::testing::instrument;
using market::testing::InstrumentSpec;
using market::testing::option;

// An asset with its base weights as text, in the order validate() ranks them: initial asset ≤
// maintenance asset ≤ 1 ≤ maintenance liability ≤ initial liability. Par by default.
inline AssetRisk asset(AssetId id, std::string symbol, std::uint8_t decimals, const char* init_asset = "1",
                       const char* maint_asset = "1", const char* maint_liability = "1",
                       const char* init_liability = "1") {
  AssetRisk out;
  out.id = id;
  out.symbol = std::move(symbol);
  out.decimals = decimals;
  out.collateral.init_asset_weight = ratio(init_asset);
  out.collateral.maint_asset_weight = ratio(maint_asset);
  out.collateral.maint_liability_weight = ratio(maint_liability);
  out.collateral.init_liability_weight = ratio(init_liability);
  return out;
}

// A market of `in` with its requirement rule (perpetuals and futures); the rest at defaults.
inline MarketRisk market_risk(market::Instrument in, RequirementRule rule = BaseRule{}) {
  MarketRisk out;
  out.instrument = std::move(in);
  out.rule = std::move(rule);
  return out;
}

// An asset's prices: the stable price is the oracle's unless given; no venue totals.
inline AssetPrice asset_price(AssetId id, const char* oracle, const char* stable = nullptr) {
  return AssetPrice{id, price(oracle), price(stable != nullptr ? stable : oracle), {}, {}};
}

// A market's mark, no open interest, the funding index as given (perpetuals).
inline MarketPrice market_price(InstrumentId id, const char* mark, const char* index = "0") {
  return MarketPrice{id, price(mark), {}, funding_index(index)};
}

inline HeldPosition held(InstrumentId id, const char* size, const char* cost_basis, const char* snapshot = "0") {
  return {id, market::Position{qty(size), money(cost_basis), {}, funding_index(snapshot)}};
}

inline SubAccountBook sub_account(SubAccountId id, AccountId owner, std::vector<Balance> balances,
                                  std::vector<HeldPosition> positions = {}, MarginMode mode = MarginMode::cross) {
  return {id, owner, mode, std::move(balances), std::move(positions)};
}

// --- Mango v4's test venue (reference case E10) -------------------------------------------------
//
// programs/mango-v4/src/health/cache.rs, test_health1 with mock_bank_and_oracle and
// mock_perp_market: the settle token (bank 0, our quote) at asset weights 0.8 / 0.9 and liability
// weights 1.2 / 1.1; the perp's base weights 0.8 / 1.2 initial and 0.9 / 1.1 maintenance, which
// for one position are our requirement rates 0.2 and 0.1 (base × 0.8 + quote = uPnL − 0.2 ×
// value); the overall asset weights 1 − 0.05 and 1 − 0.02 are our PnL policy's weights; price 5
// for oracle, stable and mark; 10 base units per lot. PERP counts settle_weighted_net; PERP-PNL,
// a second market on the same base in the other mode, is ours (for the cap).
inline constexpr InstrumentId kMangoPerp{9};
inline constexpr InstrumentId kMangoPerpPnl{10};

inline constexpr const char* kMangoVenueToml = R"(quote = "USDC"
[pnl]
initial_weight = "0.95"
maintenance_weight = "0.98"
[[asset]]
symbol = "USDC"
id = 1
decimals = 6
init_asset_weight = "0.8"
maint_asset_weight = "0.9"
init_liability_weight = "1.2"
maint_liability_weight = "1.1"
[[asset]]
symbol = "BASE"
id = 4
decimals = 6
init_asset_weight = "0.5"
maint_asset_weight = "0.7"
init_liability_weight = "1.5"
maint_liability_weight = "1.3"
[[market]]
symbol = "PERP"
id = 9
kind = "perpetual"
underlying = "BASE"
tick = "0.01"
lot = "10"
perp_health = "settle_weighted_net"
rule = { kind = "base", initial_rate = "0.2", maintenance_rate = "0.1" }
funding = { interval = "1h", clamp = "0.05" }
[[market]]
symbol = "PERP-PNL"
id = 10
kind = "perpetual"
underlying = "BASE"
tick = "0.01"
lot = "10"
rule = { kind = "base", initial_rate = "0.2", maintenance_rate = "0.1" }
funding = { interval = "1h", clamp = "0.05" }
)";

struct PricedVenue {
  RiskConfig config;
  PriceBook prices;
};

// The venue read from kMangoVenueToml (it is valid: the tests' first check), priced at 5.
inline PricedVenue mango_venue() {
  PricedVenue out;
  Result<VenueConfig> venue = parse_venue_config(kMangoVenueToml, "mango.toml");
  if (venue.ok()) out.config = venue->risk;
  out.prices.assets = {asset_price(AssetId{4}, "5")};
  out.prices.markets = {market_price(kMangoPerp, "5"), market_price(kMangoPerpPnl, "5")};
  return out;
}

}  // namespace ballast::margin::testing
