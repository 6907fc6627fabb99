#pragma once
// A log's genesis: what the engine is built with before record 1, that is the venue's risk
// configuration and the engine's options (`Engine(margin::RiskConfig, EngineOptions)`). It is
// written once, when the log is created, and bound to the hash chain: record 1's prev_hash (and
// the head of a log with no records) is genesis_hash() of these bytes (sqlite_log.hpp).
//
// Bytes (little-endian, ByteWriter):
//   empty                                   an engine without a configuration (`Engine()`)
//   "BGEN" | u8 version (1) | risk config (risk_codec.hpp) | i64 price_max_age_ns
// Canonical: decode accepts only what encode writes, so the same venue always gives the same
// bytes and the same genesis hash.

#include <string>
#include <string_view>

#include "ballast/core/result.hpp"
#include "ballast/engine/engine.hpp"

namespace ballast {

inline constexpr std::uint8_t kGenesisVersion = 1;

// The genesis of an engine as built: its configuration and options (not its state).
std::string encode_genesis(const Engine& engine);
// The engine a log starts from. A corrupt error naming the byte offset when the bytes are not a
// genesis this build writes (or the configuration in them is invalid).
Result<Engine> engine_from_genesis(std::string_view genesis);
// One line for people: "no risk configuration" or "5 assets, 14 markets, genesis 1a2b3c4d5e6f".
std::string describe_genesis(std::string_view genesis);

}  // namespace ballast
