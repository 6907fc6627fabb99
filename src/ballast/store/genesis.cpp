#include "ballast/store/genesis.hpp"

#include <utility>

#include "ballast/core/bytes.hpp"
#include "ballast/engine/risk_codec.hpp"
#include "ballast/store/sqlite_log.hpp"

namespace ballast {
namespace {

constexpr std::string_view kMagic = "BGEN";
constexpr std::size_t kHashPrefixHex = 12;

Error genesis_error(std::size_t offset, const std::string& what) {
  return make_error(ErrorCode::corrupt, "genesis at byte " + std::to_string(offset) + ": " + what);
}

}  // namespace

std::string encode_genesis(const Engine& engine) {
  const margin::RiskConfig* risk = engine.risk_config();
  if (risk == nullptr) {
    return {};  // Engine() has default options: nothing else to record
  }
  ByteWriter out;
  out.raw(kMagic);
  out.u8(kGenesisVersion);
  encode_risk_config(out, *risk);
  out.i64(engine.options().price_max_age_ns);
  return out.take();
}

Result<Engine> engine_from_genesis(std::string_view genesis) {
  if (genesis.empty()) {
    return Engine();
  }
  if (genesis.substr(0, kMagic.size()) != kMagic) {
    return genesis_error(0, "not a Ballast genesis (no BGEN header)");
  }
  ByteReader in(genesis.substr(kMagic.size()));
  const auto version = in.u8();
  if (!version || *version != kGenesisVersion) {
    const std::string found = version ? std::to_string(*version) : "(none)";
    return genesis_error(kMagic.size(), "version " + found +
                                            " is not supported (this build reads " +
                                            std::to_string(kGenesisVersion) + ")");
  }
  auto risk = decode_risk_config(in);
  if (!risk) {
    return make_error(ErrorCode::corrupt, "genesis: " + risk.error().message);
  }
  const std::size_t options_at = kMagic.size() + in.offset();
  EngineOptions options;
  const auto max_age = in.i64();
  if (!max_age) {
    return genesis_error(options_at, "price_max_age_ns is missing");
  }
  options.price_max_age_ns = *max_age;
  if (!in.at_end()) {
    return genesis_error(kMagic.size() + in.offset(), "trailing bytes");
  }
  auto engine = Engine::make(std::move(*risk), options);
  if (!engine) {
    return genesis_error(options_at, engine.error().message);
  }
  return engine;
}

std::string describe_genesis(std::string_view genesis) {
  if (genesis.empty()) {
    return "no risk configuration";
  }
  const std::string hash = to_hex(genesis_hash(genesis)).substr(0, kHashPrefixHex);
  auto engine = engine_from_genesis(genesis);
  if (!engine) {
    return "undecodable genesis " + hash;
  }
  const margin::RiskConfig& risk = *engine->risk_config();
  return std::to_string(risk.assets.size()) + " assets, " + std::to_string(risk.markets.size()) +
         " markets, price max age " + std::to_string(engine->options().price_max_age_ns) +
         " ns, genesis " + hash;
}

}  // namespace ballast
