#pragma once
// The engine test venue, without a test framework (tests and benchmarks): USDC and BTC in the
// risk configuration (ETH listed in ledgers only); a BTC perpetual, a dated future and spot.

#include <cstdint>

#include "ballast/core/testing/fixed_text.hpp"
#include "ballast/engine/engine.hpp"

namespace ballast::engine_testing {

constexpr TimestampNs kT0 = 1'735'689'600'000'000'000;  // 2025-01-01T00:00:00Z
constexpr TimestampNs kSecond = 1'000'000'000;

constexpr AssetId kUsdc{1};
constexpr AssetId kBtc{2};
constexpr AssetId kEth{3};  // listed in the ledger, not in the risk configuration
constexpr InstrumentId kPerp{10};
constexpr InstrumentId kFuture{11};
constexpr InstrumentId kSpot{12};
constexpr InstrumentId kNoMarket{99};
constexpr AccountId kAlice{16};
constexpr AccountId kBob{17};
constexpr SubAccountId kAliceMain{100};
constexpr SubAccountId kAliceIsolated{101};
constexpr SubAccountId kBobMain{200};
constexpr SubAccountId kClearingSub{kClearing.value};
constexpr SubAccountId kFeeSub{kFeePool.value};

inline std::int64_t usdc(std::int64_t whole) { return whole * 1'000'000; }

inline market::Instrument instrument(InstrumentId id, const char* symbol, market::InstrumentKind kind) {
  market::Instrument out;
  out.id = id;
  out.symbol = symbol;
  out.kind = kind;
  out.underlying = kBtc;
  out.settle = kUsdc;
  out.contract_size = qty("1");
  out.tick = price("0.1");
  out.lot = qty("0.001");
  return out;
}

// USDC the quote; BTC collateral at 0.8 initial / 0.9 maintenance; a BTC perpetual and a future
// at 10% initial / 5% maintenance; BTC-USDC spot, not borrowable.
inline margin::RiskConfig venue() {
  margin::RiskConfig config;
  config.quote = kUsdc;
  config.assets.push_back(margin::AssetRisk{kUsdc, "USDC", 6, {}});
  margin::AssetRisk btc{kBtc, "BTC", 8, {}};
  btc.collateral.init_asset_weight = ratio("0.8");
  btc.collateral.maint_asset_weight = ratio("0.9");
  btc.collateral.maint_liability_weight = ratio("1.1");
  btc.collateral.init_liability_weight = ratio("1.2");
  config.assets.push_back(btc);
  margin::MarketRisk perp{instrument(kPerp, "BTC-PERP", market::InstrumentKind::perpetual), {}, {}, {}};
  perp.instrument.funding.interval_ns = 3'600 * kSecond;
  perp.instrument.funding.clamp = ratio("0.04");
  perp.rule = margin::BaseRule{ratio("0.1"), ratio("0.05")};
  config.markets.push_back(perp);
  margin::MarketRisk future{instrument(kFuture, "BTC-JAN25", market::InstrumentKind::future), {}, {}, {}};
  future.instrument.expiry_ns = kT0 + 3'600 * kSecond;
  future.rule = margin::BaseRule{ratio("0.1"), ratio("0.05")};
  config.markets.push_back(future);
  config.markets.push_back(
      margin::MarketRisk{instrument(kSpot, "BTC-USDC", market::InstrumentKind::spot), {}, {}, {}});
  return config;
}

inline Fill fill(AccountId account, SubAccountId sub, InstrumentId id, const char* size, const char* at,
          const char* fee = "0") {
  return Fill{account, sub, id, qty(size), price(at), money(fee)};
}

}  // namespace ballast::engine_testing
