#pragma once
// Event encodings. Binary: the log's canonical form, little-endian with explicit layout and a
// version byte. JSON: one object per line, for people, files and the HTTP API. Decoders are an
// input edge: anything malformed is an Error naming the field or byte, never an assertion.
//
// Binary layout: u8 version (1) | u8 kind | u64 id | i64 timestamp_ns | kind fields (codec.cpp).
// JSON: {"id":7,"ts":1700000000000000000,"type":"deposit","account":16,"sub_account":16,
//        "asset":1,"amount":2500000}; amounts are integers in the asset's smallest unit (a
//        number or a string of digits, for clients whose numbers are doubles).

#include <string>
#include <string_view>

#include "ballast/core/bytes.hpp"
#include "ballast/core/result.hpp"
#include "ballast/engine/event.hpp"

namespace ballast {

inline constexpr std::uint8_t kEventCodecVersion = 1;
inline constexpr std::size_t kEventBytesMax = 256;

std::string encode_event(const Event& event);
// Appends the same bytes to `out` (lets a hot loop reuse one buffer).
void encode_event_into(const Event& event, ByteWriter& out);
Result<Event> decode_event(std::string_view bytes);

std::string event_to_json(const Event& event);
Result<Event> event_from_json(std::string_view line);

}  // namespace ballast
