#include "ballast/pricing/price_request.hpp"

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "ballast/core/result.hpp"
#include "ballast/pricing/black.hpp"
#include "ballast/pricing/implied_vol.hpp"

namespace ballast::pricing {
namespace {

using Json = nlohmann::json;

Error bad(std::string message) { return make_error(ErrorCode::invalid_input, std::move(message)); }

// Every key must be one the model knows.
Outcome check_keys(const Json& request, std::initializer_list<std::string_view> allowed) {
  for (const auto& item : request.items()) {
    bool known = false;
    for (std::string_view key : allowed) known = known || item.key() == key;
    if (!known) return bad("unknown field \"" + item.key() + "\"");
  }
  return Ok{};
}

Result<double> number(const Json& request, const char* key, std::optional<double> fallback = {}) {
  const auto found = request.find(key);
  if (found == request.end()) {
    if (fallback) return *fallback;
    return bad(std::string("\"") + key + "\" is missing");
  }
  if (!found->is_number()) return bad(std::string("\"") + key + "\" must be a number");
  return found->get<double>();
}

Result<OptionKind> kind_of(const Json& request) {
  const auto found = request.find("kind");
  if (found == request.end()) return bad("\"kind\" is missing");
  if (*found == "call") return OptionKind::call;
  if (*found == "put") return OptionKind::put;
  return bad("\"kind\" must be \"call\" or \"put\"");
}

Result<bool> inverse_of(const Json& request) {
  const auto found = request.find("inverse");
  if (found == request.end()) return false;
  if (!found->is_boolean()) return bad("\"inverse\" must be true or false");
  return found->get<bool>();
}

void put_greeks(Json& out, const Greeks& g) {
  out["price"] = g.price;
  out["delta"] = g.delta;
  out["gamma"] = g.gamma;
  out["vega"] = g.vega;
  out["theta"] = g.theta;
  out["rho"] = g.rho;
  out["dividend_rho"] = g.dividend_rho;
  out["vanna"] = g.vanna;
  out["volga"] = g.volga;
}

Result<Json> greeks_reply(const Result<Greeks>& greeks, bool inverse, double underlying) {
  if (!greeks) return greeks.error();
  Json out = Json::object();
  put_greeks(out, *greeks);
  if (inverse) {
    const CoinGreeks coin = to_coin(*greeks, underlying);
    Json coin_json = Json::object();
    put_greeks(coin_json, coin.coin);
    coin_json["delta_coin"] = coin.delta_coin;
    out["coin"] = std::move(coin_json);
  }
  return out;
}

Result<Json> implied_reply(const Result<double>& vol) {
  if (!vol) return vol.error();
  return Json{{"implied_vol", *vol}};
}

// A request carries "vol" (price it) or "price" (solve for the vol), never both.
Result<bool> wants_implied_vol(const Json& request) {
  const bool has_vol = request.contains("vol");
  const bool has_price = request.contains("price");
  if (has_vol == has_price) return bad("give exactly one of \"vol\" and \"price\"");
  return has_price;
}

// The fields every request has besides its model's numbers.
struct Common {
  OptionKind kind = OptionKind::call;
  bool inverse = false;
  bool implied = false;  // "price" given: solve for the vol
  double vol_or_price = 0;
};

struct NumberField {
  const char* key;
  double* target;
  std::optional<double> fallback = {};
};

Outcome read_numbers(const Json& request, std::initializer_list<NumberField> fields) {
  for (const NumberField& field : fields) {
    Result<double> value = number(request, field.key, field.fallback);
    if (!value) return std::move(value).error();
    *field.target = *value;
  }
  return Ok{};
}

Result<Common> read_common(const Json& request, std::initializer_list<std::string_view> keys) {
  if (Outcome known = check_keys(request, keys); !known) return std::move(known).error();
  Common common;
  Result<OptionKind> kind = kind_of(request);
  if (!kind) return std::move(kind).error();
  common.kind = *kind;
  Result<bool> inverse = inverse_of(request);
  if (!inverse) return std::move(inverse).error();
  common.inverse = *inverse;
  Result<bool> implied = wants_implied_vol(request);
  if (!implied) return std::move(implied).error();
  common.implied = *implied;
  if (Outcome read = read_numbers(request, {{common.implied ? "price" : "vol", &common.vol_or_price}});
      !read) {
    return std::move(read).error();
  }
  return common;
}

Result<Json> price_bsm_request(const Json& request) {
  Result<Common> common = read_common(request, {"model", "kind", "spot", "strike", "expiry",
                                                "rate", "dividend", "vol", "price", "inverse"});
  if (!common) return std::move(common).error();
  BsmInput in{common->kind};
  if (Outcome read = read_numbers(request, {{"spot", &in.spot},
                                            {"strike", &in.strike},
                                            {"expiry", &in.expiry_years},
                                            {"rate", &in.rate},
                                            {"dividend", &in.dividend, 0.0}});
      !read) {
    return std::move(read).error();
  }
  if (common->implied) {
    return implied_reply(implied_vol_bsm(in.kind, common->vol_or_price, in.spot, in.strike,
                                         in.expiry_years, in.rate, in.dividend));
  }
  in.vol = common->vol_or_price;
  return greeks_reply(price_bsm(in), common->inverse, in.spot);
}

Result<Json> price_black76_request(const Json& request) {
  Result<Common> common = read_common(request, {"model", "kind", "forward", "strike", "expiry",
                                                "discount", "vol", "price", "inverse"});
  if (!common) return std::move(common).error();
  Black76Input in{common->kind};
  if (Outcome read = read_numbers(request, {{"forward", &in.forward},
                                            {"strike", &in.strike},
                                            {"expiry", &in.expiry_years},
                                            {"discount", &in.discount}});
      !read) {
    return std::move(read).error();
  }
  if (common->implied) {
    return implied_reply(implied_vol_black76(in.kind, common->vol_or_price, in.forward,
                                             in.strike, in.expiry_years, in.discount));
  }
  in.vol = common->vol_or_price;
  return greeks_reply(price_black76(in), common->inverse, in.forward);
}

Result<Json> reply_to(std::string_view line) {
  const Json request = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded()) return bad("not valid JSON");
  if (!request.is_object()) return bad("a request must be a JSON object");
  const auto model = request.find("model");
  if (model == request.end() || *model == "bsm") return price_bsm_request(request);
  if (*model == "black76") return price_black76_request(request);
  return bad("\"model\" must be \"bsm\" or \"black76\"");
}

}  // namespace

PriceReply price_request(std::string_view line) {
  Result<Json> reply = reply_to(line);
  if (!reply) return {Json{{"error", reply.error().message}}.dump(), false};
  return {reply->dump(), true};
}

}  // namespace ballast::pricing
