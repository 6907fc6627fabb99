#include "ballast/pricing/price_request.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "ballast/pricing/black.hpp"

namespace ballast::pricing {
namespace {

using Json = nlohmann::json;

Json reply_ok(const std::string& line) {
  const PriceReply reply = price_request(line);
  EXPECT_TRUE(reply.ok) << line << " -> " << reply.json;
  EXPECT_EQ(reply.json.find('\n'), std::string::npos);
  return Json::parse(reply.json);
}

std::string reply_error(const std::string& line) {
  const PriceReply reply = price_request(line);
  EXPECT_FALSE(reply.ok) << line << " -> " << reply.json;
  const Json json = Json::parse(reply.json);
  EXPECT_EQ(json.size(), 1u);
  return json.value("error", std::string());
}

TEST(PriceRequest, BsmRepliesWithTheScalarApisNumbers) {
  const Json reply = reply_ok(
      R"({"kind":"put","spot":100,"strike":95,"expiry":0.5,"rate":0.1,"dividend":0.05,"vol":0.2})");
  const Greeks expected = *price_bsm({OptionKind::put, 100, 95, 0.5, 0.1, 0.05, 0.2});
  // Haug (1998) p. 4 / QuantLib europeanoption.cpp: 2.4648.
  EXPECT_NEAR(reply["price"].get<double>(), 2.4648, 5e-5);
  EXPECT_EQ(reply["price"].get<double>(), expected.price);  // shortest round-trip digits
  EXPECT_EQ(reply["delta"].get<double>(), expected.delta);
  EXPECT_EQ(reply["gamma"].get<double>(), expected.gamma);
  EXPECT_EQ(reply["vega"].get<double>(), expected.vega);
  EXPECT_EQ(reply["theta"].get<double>(), expected.theta);
  EXPECT_EQ(reply["rho"].get<double>(), expected.rho);
  EXPECT_EQ(reply["vanna"].get<double>(), expected.vanna);
  EXPECT_EQ(reply["volga"].get<double>(), expected.volga);
  EXPECT_FALSE(reply.contains("coin"));
}

TEST(PriceRequest, DividendDefaultsToZero) {
  const Json reply =
      reply_ok(R"({"kind":"call","spot":60,"strike":65,"expiry":0.25,"rate":0.08,"vol":0.3})");
  EXPECT_NEAR(reply["price"].get<double>(), 2.1334, 5e-5);  // Haug (1998) p. 2
}

TEST(PriceRequest, Black76AndInverse) {
  const Json reply = reply_ok(
      R"({"model":"black76","kind":"call","forward":19,"strike":19,"expiry":0.75,)"
      R"("discount":0.9277434863,"vol":0.28,"inverse":true})");
  EXPECT_NEAR(reply["price"].get<double>(), 1.7011, 5e-5);  // Haug (1998) p. 6, Black-76
  ASSERT_TRUE(reply.contains("coin"));
  EXPECT_DOUBLE_EQ(reply["coin"]["price"].get<double>(), reply["price"].get<double>() / 19);
  EXPECT_DOUBLE_EQ(reply["coin"]["delta_coin"].get<double>(),
                   reply["delta"].get<double>() - reply["price"].get<double>() / 19);
}

TEST(PriceRequest, PriceInsteadOfVolGivesTheImpliedVol) {
  const Greeks priced = *price_bsm({OptionKind::call, 100, 110, 1, 0.03, 0.01, 0.45});
  const Json reply = reply_ok(R"({"kind":"call","spot":100,"strike":110,"expiry":1,"rate":0.03,)"
                              R"("dividend":0.01,"price":)" +
                              Json(priced.price).dump() + "}");
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_NEAR(reply["implied_vol"].get<double>(), 0.45, 1e-12);
}

TEST(PriceRequest, ErrorsSayWhatIsWrong) {
  EXPECT_EQ(reply_error("{"), "not valid JSON");
  EXPECT_EQ(reply_error(""), "not valid JSON");
  EXPECT_EQ(reply_error("[1,2]"), "a request must be a JSON object");
  EXPECT_EQ(reply_error(R"({"model":"heston"})"), R"("model" must be "bsm" or "black76")");
  EXPECT_EQ(reply_error(R"({"kind":"call","spot":1,"strik":1})"), R"(unknown field "strik")");
  EXPECT_EQ(reply_error(R"({"kind":"straddle"})"), R"("kind" must be "call" or "put")");
  EXPECT_EQ(reply_error(R"({"spot":1})"), R"("kind" is missing)");
  EXPECT_EQ(reply_error(R"({"kind":"call","spot":100,"strike":100,"expiry":1,"rate":0})"),
            R"(give exactly one of "vol" and "price")");
  EXPECT_EQ(reply_error(R"({"kind":"call","spot":100,"strike":100,"expiry":1,"rate":0,)"
                        R"("vol":0.2,"price":3})"),
            R"(give exactly one of "vol" and "price")");
  EXPECT_EQ(reply_error(R"({"kind":"call","spot":"100","strike":100,"expiry":1,"rate":0,)"
                        R"("vol":0.2})"),
            R"("spot" must be a number)");
  EXPECT_EQ(reply_error(R"({"kind":"call","spot":100,"expiry":1,"rate":0,"vol":0.2})"),
            R"("strike" is missing)");
  EXPECT_EQ(reply_error(R"({"kind":"call","spot":100,"strike":-5,"expiry":1,"rate":0,)"
                        R"("vol":0.2})"),
            "strike must be positive and finite, got -5");
  EXPECT_EQ(reply_error(R"({"model":"black76","kind":"put","forward":100,"strike":100,)"
                        R"("expiry":1,"rate":0.1,"discount":1,"vol":0.2})"),
            R"(unknown field "rate")");
  EXPECT_EQ(reply_error(R"({"kind":"put","spot":100,"strike":100,"expiry":1,"rate":0,)"
                        R"("vol":0.2,"inverse":1})"),
            R"("inverse" must be true or false)");
}

TEST(PriceRequest, UnattainablePriceIsAnErrorNotANumber) {
  const std::string error = reply_error(
      R"({"kind":"call","spot":100,"strike":50,"expiry":1,"rate":0,"price":10})");
  EXPECT_NE(error.find("intrinsic"), std::string::npos) << error;
}

}  // namespace
}  // namespace ballast::pricing
