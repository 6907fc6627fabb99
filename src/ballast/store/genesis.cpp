#include "ballast/store/genesis.hpp"

#include <optional>
#include <utility>

#include "ballast/store/sqlite_log.hpp"

namespace ballast {
namespace {

constexpr std::string_view kMagic = "BGEN";
constexpr std::size_t kHeaderBytes = 5;  // magic, version
constexpr std::size_t kHashPrefixHex = 12;

Error genesis_error(const std::string& what) {
  return make_error(ErrorCode::corrupt, "genesis: " + what);
}

}  // namespace

std::string encode_genesis(const Engine& engine) {
  const margin::RiskConfig* risk = engine.risk_config();
  if (risk == nullptr) {
    return {};  // an engine without a configuration has the default options: nothing to record
  }
  std::string bytes(kMagic);
  bytes.push_back(static_cast<char>(kGenesisVersion));
  bytes += Engine(*risk, engine.options()).snapshot();
  return bytes;
}

Result<Engine> engine_from_genesis(std::string_view genesis) {
  if (genesis.empty()) {
    return Engine();
  }
  if (genesis.substr(0, kMagic.size()) != kMagic) {
    return genesis_error("not a Ballast genesis (no BGEN header)");
  }
  const auto version = genesis.size() < kHeaderBytes
                           ? std::nullopt
                           : std::optional<std::uint8_t>(
                                 static_cast<std::uint8_t>(genesis[kMagic.size()]));
  if (version != kGenesisVersion) {
    const std::string found = version ? std::to_string(*version) : "(none)";
    return genesis_error("version " + found + " is not supported (this build reads " +
                         std::to_string(kGenesisVersion) + ")");
  }
  const std::string_view snapshot = genesis.substr(kHeaderBytes);
  auto engine = Engine::restore(snapshot);
  if (!engine) {
    return genesis_error(engine.error().message);
  }
  if (engine->risk_config() == nullptr) {
    return genesis_error("no risk configuration (a venue without one has the empty genesis)");
  }
  // Exactly a new engine's state: nothing applied, nothing else carried in.
  Engine fresh(*engine->risk_config(), engine->options());
  if (fresh.snapshot() != snapshot) {
    return genesis_error("the snapshot is not that of a new engine (it holds state)");
  }
  return fresh;
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
