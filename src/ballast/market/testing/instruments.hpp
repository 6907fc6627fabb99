#pragma once
// Instruments for tests, header-only: one builder with the common defaults, each test naming
// only what differs (C++20 designated initializers), so no test writes the eight fields of an
// Instrument out again. Market-level on purpose: the market part's tests use it without
// reaching up to margin (a part is built and tested alone); margin's venue fixtures
// (margin/testing/venue_fixtures.hpp) build on it.

#include <string>

#include "ballast/core/testing/fixed_text.hpp"
#include "ballast/market/instrument.hpp"
#include "ballast/market/position.hpp"

namespace ballast::market::testing {

inline constexpr TimestampNs kHourNs = 3'600'000'000'000;

// What an instrument needs, with the defaults most tests share: a BTC-style underlying (asset
// 2) settled in USDC (asset 1), one unit per contract, tick 0.1, lot 0.001.
struct InstrumentSpec {
  InstrumentId id;
  std::string symbol;
  InstrumentKind kind = InstrumentKind::perpetual;
  AssetId underlying{2};
  AssetId settle{1};
  const char* contract_size = "1";
  const char* tick = "0.1";
  const char* lot = "0.001";
  TimestampNs expiry_ns = 0;  // futures and options
};

// The instrument the spec describes; a perpetual funds hourly, its rate clamped at 4% (a test
// about funding sets its own), so that validate() accepts every kind the spec can name (dated
// kinds need expiry_ns, options a strike as well).
inline Instrument instrument(const InstrumentSpec& spec) {
  Instrument out;
  out.id = spec.id;
  out.symbol = spec.symbol;
  out.kind = spec.kind;
  out.underlying = spec.underlying;
  out.settle = spec.settle;
  out.contract_size = qty(spec.contract_size);
  out.tick = price(spec.tick);
  out.lot = qty(spec.lot);
  out.expiry_ns = spec.expiry_ns;
  if (spec.kind == InstrumentKind::perpetual) {
    out.funding.interval_ns = kHourNs;
    out.funding.clamp = ratio("0.04");
  }
  return out;
}

// An option on the spec's underlying: the spec with kind option, a strike and a kind.
inline Instrument option(InstrumentSpec spec, const char* strike, OptionKind kind) {
  spec.kind = InstrumentKind::option;
  Instrument out = instrument(spec);
  out.strike = price(strike);
  out.option_kind = kind;
  return out;
}

inline FundingIndex funding_index(const char* text) { return exact_fixed<FundingIndex>(text); }

}  // namespace ballast::market::testing
