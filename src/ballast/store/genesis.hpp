#pragma once
// A log's genesis: what the engine is built with before record 1, that is the venue's risk
// configuration and the engine's options (`Engine(margin::RiskConfig, EngineOptions)`). It is
// written once, when the log is created, and bound to the hash chain: record 1's prev_hash (and
// the head of a log with no records) is genesis_hash() of these bytes (sqlite_log.hpp).
//
// Bytes:
//   empty                                  an engine without a configuration (`Engine()`)
//   "BGEN" | u8 version (1) | snapshot      the snapshot of a new engine built with the venue's
//                                          configuration and options: no records applied
// *Why a new engine's snapshot:* the snapshot is already the canonical, strictly decoded form
// of the configuration (risk_codec) and of every engine option, so an option added to
// EngineOptions is in the genesis with no change here. Canonical: decode accepts only what
// encode writes (the snapshot must be exactly a new engine's), so the same venue always gives
// the same bytes and the same genesis hash. A change of the snapshot format is a change of the
// genesis format.

#include <cstdint>
#include <string>
#include <string_view>

#include "ballast/core/result.hpp"
#include "ballast/engine/engine.hpp"

namespace ballast {

inline constexpr std::uint8_t kGenesisVersion = 1;

// The genesis of an engine: its configuration and options (not its state, which may have moved
// on: the genesis is that of a new engine built the same way).
std::string encode_genesis(const Engine& engine);
// The engine a log starts from. A corrupt error ("genesis: ...") when the bytes are not a
// genesis this build writes: the header, the snapshot's own checks, or a snapshot that is not a
// new engine's.
Result<Engine> engine_from_genesis(std::string_view genesis);
// One line for people: "no risk configuration" or
// "5 assets, 11 markets, price max age 60000000000 ns, genesis 1a2b3c4d5e6f" (the hash's start).
std::string describe_genesis(std::string_view genesis);

}  // namespace ballast
