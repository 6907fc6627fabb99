#pragma once
// The JSON Lines pricing contract of DESIGN 4.3, shared by `ballast price` and (later) the server.
//
// Request, one JSON object:
//   BSM (default model):  {"kind":"call"|"put","spot":S,"strike":K,"expiry":T,"rate":r,
//                          "dividend":q (default 0),"vol":sigma}
//   Black-76:             {"model":"black76","kind":...,"forward":F,"strike":K,"expiry":T,
//                          "discount":df,"vol":sigma}
//   "price" instead of "vol" asks for the implied volatility.
//   "inverse": true adds "coin": {...}, the same Greeks valued in coins of the underlying.
// Reply, one JSON object on one line:
//   {"price":..,"delta":..,"gamma":..,"vega":..,"theta":..,"rho":..,"dividend_rho":..,
//    "vanna":..,"volga":..}  or  {"implied_vol":..}  or  {"error":"<what is wrong>"}.
// Unknown fields, wrong types, and both or neither of "vol" and "price" are errors: a misspelt
// field is never silently ignored.

#include <string>
#include <string_view>

namespace ballast::pricing {

struct PriceReply {
  std::string json;  // one line, no trailing newline
  bool ok = false;   // false when json is {"error":...}
};

PriceReply price_request(std::string_view line);

}  // namespace ballast::pricing
