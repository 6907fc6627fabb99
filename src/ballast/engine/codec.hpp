#pragma once
// Event encodings. Binary: the log's canonical form, little-endian with explicit layout and a
// version byte. JSON: one object per line, for people, files and the HTTP API. Decoders are an
// input edge: anything malformed is an Error naming the field or byte, never an assertion.
// Representation here, judgement in the engine: asset flags and the margin mode are one byte in
// the format, and any byte decodes (unknown flag bits, a mode other than cross, isolated or portfolio); the
// engine rejects those (flags_invalid, mode_invalid). The log stores every event the engine is
// given, rejected ones included, so whatever it was given must decode again for replay.
//
// Binary layout: u8 version (1) | u8 kind | u64 id | i64 timestamp_ns | kind fields (codec.cpp).
// JSON: {"id":7,"ts":1700000000000000000,"type":"deposit","account":16,"sub_account":16,
//        "asset":1,"amount":2500000}; amounts are integers in the asset's smallest unit (a
//        number or a string of digits, for clients whose numbers are doubles). "flags" is an
//        array of "deposits", "withdrawals", "transfers" and "mode" is "cross", "isolated" or "portfolio";
//        either may also be an integer 0..255, the raw byte, which event_to_json writes when the
//        value has no name, so that every decodable event reads back unchanged.
//        Prices, sizes and fees are raw fixed-point integers (a number or a string of digits,
//        like amounts): price, stable_price and mark at 9 decimals (Price), size at 9 (Quantity,
//        signed: > 0 buys), fee at 6 (Money, quote currency):
//          {"id":8,"ts":...,"type":"oracle_price","asset":2,"price":65000000000000,
//           "stable_price":64900000000000}
//          {"id":9,"ts":...,"type":"mark_price","instrument":10,"mark":65010000000000}
//          {"id":10,"ts":...,"type":"fill","account":16,"sub_account":100,"instrument":10,
//           "size":-250000000,"price":65000500000000,"fee":4063}

#include <string>
#include <string_view>

#include "ballast/core/bytes.hpp"
#include "ballast/core/result.hpp"
#include "ballast/engine/event.hpp"

namespace ballast {

inline constexpr std::uint8_t kEventCodecVersion = 1;
// 512: room for an oracle_quotes event with one quote more than the engine takes
// (market::kMaxOracleSources), so that the engine, not the codec, answers quotes_invalid.
inline constexpr std::size_t kEventBytesMax = 512;
// The most quotes an oracle_quotes event may carry in the codec (binary and JSON alike).
inline constexpr std::size_t kQuotesMax = 17;

// A ListAsset symbol longer than the decoders' bound (64 bytes), or more than kQuotesMax quotes,
// is asserted against: no decoder produces one, and its bytes would not decode, so only a
// programmer error can get it here.
std::string encode_event(const Event& event);
// Appends the same bytes to `out` (lets a hot loop reuse one buffer).
void encode_event_into(const Event& event, ByteWriter& out);
Result<Event> decode_event(std::string_view bytes);

std::string event_to_json(const Event& event);
Result<Event> event_from_json(std::string_view line);

}  // namespace ballast
