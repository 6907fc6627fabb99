// libFuzzer target for the pricing request parser and everything behind it (DESIGN 5): the
// JSON Lines contract, input validation, the Black kernel and the implied-vol solver.
//
// Every input must produce exactly one JSON object on one line. A reply that is not an error
// must hold only finite numbers; a priced option is worth at least 0; an implied vol is
// non-negative and prices back to the requested price. A broken property aborts.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "ballast/pricing/price_request.hpp"

namespace {

void require(bool condition, const char* what, const std::string& reply) {
  if (condition) return;
  std::fprintf(stderr, "broken: %s\nreply: %s\n", what, reply.c_str());
  std::abort();
}

void check_numbers(const nlohmann::json& value, const std::string& reply) {
  if (value.is_object()) {
    for (const auto& item : value.items()) check_numbers(item.value(), reply);
    return;
  }
  require(value.is_number() && std::isfinite(value.get<double>()), "non-finite number", reply);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const ballast::pricing::PriceReply reply = ballast::pricing::price_request(line);
  require(reply.json.find('\n') == std::string::npos, "reply spans lines", reply.json);
  const nlohmann::json json = nlohmann::json::parse(reply.json, nullptr, false);
  require(json.is_object(), "reply is not a JSON object", reply.json);
  if (!reply.ok) {
    require(json.size() == 1 && json.contains("error"), "failed reply without error", reply.json);
    return 0;
  }
  check_numbers(json, reply.json);
  if (json.contains("price")) require(json["price"].get<double>() >= 0, "negative price", reply.json);
  if (json.contains("implied_vol")) {
    require(json["implied_vol"].get<double>() >= 0, "negative implied vol", reply.json);
  }
  return 0;
}
