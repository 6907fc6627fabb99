// libFuzzer target for the event decoders (DESIGN 5: a fuzzer for every decoder and parser).
//
// The input is given to decode_event() as bytes, to event_from_json() as one JSON object, and,
// when it holds newlines, to event_from_json() line by line as a JSON Lines stream. Whatever
// decodes must:
//   - encode back to bytes that decode to the same event, and (when its symbol is ASCII, which
//     JSON carries unchanged) survive event_to_json() -> event_from_json() unchanged;
//   - apply to an engine holding a small venue without breaking it: value is conserved, a
//     rejected event leaves the state hash unchanged, an accepted one repeated is `exists`.
// A broken property aborts, which libFuzzer reports as a crash with the input saved.
//
// The same file is built without libFuzzer (fuzz/standalone_main.cpp) to run the seed corpus as
// an ordinary test.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "ballast/engine/codec.hpp"
#include "ballast/engine/engine.hpp"

namespace {

using namespace ballast;

constexpr TimestampNs kT0 = 1'700'000'000'000'000'000;

[[noreturn]] void fail(const char* what, const Event& e) {
  std::fprintf(stderr, "event_decoder_fuzz: %s: %s\n", what, event_to_json(e).c_str());
  std::abort();
}

// USDC (1) and BTC (2) listed; user 16 with sub-accounts 100 (cross) and 101 (isolated) holding
// 1 USDC, user 17 with sub-account 170 holding 500 satoshi. Ids 1..9, clock at kT0 + 9.
Engine make_venue() {
  Engine engine;
  const EventBody setup[] = {
      ListAsset{AssetId{1}, "USDC", 6, kAssetFlagsAll},
      ListAsset{AssetId{2}, "BTC", 8, kAssetFlagsAll},
      CreateAccount{AccountId{16}},
      CreateAccount{AccountId{17}},
      CreateSubAccount{AccountId{16}, SubAccountId{100}, MarginMode::cross},
      CreateSubAccount{AccountId{16}, SubAccountId{101}, MarginMode::isolated},
      CreateSubAccount{AccountId{17}, SubAccountId{170}, MarginMode::cross},
      Deposit{AccountId{16}, SubAccountId{100}, AssetId{1}, Amount::from_raw(1'000'000)},
      Deposit{AccountId{17}, SubAccountId{170}, AssetId{2}, Amount::from_raw(500)},
  };
  std::uint64_t id = 1;
  for (const EventBody& body : setup) {
    const Event e{EventId{id}, kT0 + static_cast<TimestampNs>(id), body};
    ++id;
    if (engine.apply(e) != Status::ok) fail("venue setup rejected", e);
  }
  return engine;
}

bool ascii_symbol(const Event& e) {
  const auto* listing = std::get_if<ListAsset>(&e.body);
  if (listing == nullptr) return true;
  for (const char c : listing->symbol) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

void check_round_trips(const Event& e) {
  const auto decoded = decode_event(encode_event(e));
  if (!decoded.ok()) fail("encode_event() gave bytes decode_event() refuses", e);
  if (!(*decoded == e)) fail("decode_event(encode_event(e)) != e", e);
  if (ascii_symbol(e)) {
    const auto parsed = event_from_json(event_to_json(e));
    if (!parsed.ok()) fail("event_to_json() gave text event_from_json() refuses", e);
    if (!(*parsed == e)) fail("event_from_json(event_to_json(e)) != e", e);
  }
}

void apply_checked(Engine& engine, const Event& e) {
  const Digest before = engine.state_hash();
  const Status status = engine.apply(e);
  if (!engine.ledger().conserves_value()) fail("value not conserved", e);
  if (status != Status::ok) {
    if (engine.state_hash() != before) fail("a rejected event changed the state", e);
    return;
  }
  const Digest after = engine.state_hash();
  if (engine.apply(e) != Status::exists) fail("an accepted event repeated is not `exists`", e);
  if (engine.state_hash() != after) fail("a repeated event changed the state", e);
}

void take(Engine& engine, const Result<Event>& decoded) {
  if (!decoded.ok()) {
    if (decoded.error().message.empty()) std::abort();  // every error says what is wrong
    return;
  }
  check_round_trips(*decoded);
  apply_checked(engine, *decoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Engine venue = make_venue();
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  Engine engine = venue;
  take(engine, decode_event(input));
  take(engine, event_from_json(input));

  if (input.find('\n') != std::string_view::npos) {
    Engine stream = venue;
    std::size_t start = 0;
    while (start <= input.size()) {
      const std::size_t end = std::min(input.find('\n', start), input.size());
      const std::string_view line = input.substr(start, end - start);
      if (!line.empty()) take(stream, event_from_json(line));
      start = end + 1;
    }
  }
  return 0;
}
