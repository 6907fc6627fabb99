// The batch kernels return the same bits as the scalar API on every path this machine has.
// (Paths the machine lacks are reported as skipped, never silently passed.)

#include "ballast/pricing/black_batch.hpp"

#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "ballast/core/hash.hpp"
#include "ballast/core/random.hpp"
#include "ballast/pricing/dmath.hpp"
#include "ballast/pricing/black.hpp"

namespace ballast::pricing {
namespace {

constexpr std::array kIsas = {Isa::scalar, Isa::avx2, Isa::avx512};

struct Book {
  std::vector<OptionKind> kind;
  std::vector<double> underlying, strike, expiry, rate, dividend, discount, vol;

  std::size_t size() const { return kind.size(); }
  BsmColumns bsm() const { return {kind, underlying, strike, expiry, rate, dividend, vol}; }
  Black76Columns black76() const { return {kind, underlying, strike, expiry, discount, vol}; }
};

// Random options across the whole domain, plus the edges: zero expiry, zero vol, at the money,
// far wings, negative rates. `size` is deliberately not a multiple of 8 so tails are exercised.
Book random_book(std::size_t size, std::uint64_t seed) {
  CounterRng rng(seed, 0);
  Book book;
  for (std::size_t i = 0; i < size; ++i) {
    const double spot = std::exp(rng.uniform() * 12 - 2);
    const double log_moneyness = (rng.uniform() - 0.5) * 8;
    double expiry = static_cast<double>(1 + rng.below(1095)) / 365.0;
    double vol = 0.01 + 3 * rng.uniform();
    double strike = spot * std::exp(log_moneyness);
    if (i % 17 == 0) expiry = 0;
    if (i % 19 == 0) vol = 0;
    if (i % 23 == 0) strike = spot;
    const double rate = (rng.uniform() - 0.25) * 0.2;
    book.kind.push_back(rng.below(2) ? OptionKind::put : OptionKind::call);
    book.underlying.push_back(spot);
    book.strike.push_back(strike);
    book.expiry.push_back(expiry);
    book.rate.push_back(rate);
    book.dividend.push_back(rng.uniform() * 0.15);
    book.discount.push_back(std::exp(-rate * expiry));
    book.vol.push_back(vol);
  }
  return book;
}

struct GreeksTable {
  explicit GreeksTable(std::size_t n)
      : price(n), delta(n), gamma(n), vega(n), theta(n), rho(n), dividend_rho(n), vanna(n),
        volga(n) {}
  std::vector<double> price, delta, gamma, vega, theta, rho, dividend_rho, vanna, volga;
  GreeksColumns columns() {
    return {price, delta, gamma, vega, theta, rho, dividend_rho, vanna, volga};
  }
  std::array<double, 9> row(std::size_t i) const {
    return {price[i], delta[i], gamma[i], vega[i], theta[i], rho[i], dividend_rho[i], vanna[i],
            volga[i]};
  }
};

std::array<double, 9> row_of(const Greeks& g) {
  return {g.price, g.delta, g.gamma, g.vega, g.theta, g.rho, g.dividend_rho, g.vanna, g.volga};
}

constexpr const char* kFields[] = {"price", "delta", "gamma", "vega", "theta",
                                   "rho",   "dividend_rho", "vanna", "volga"};

void expect_same_bits(const std::array<double, 9>& expected, const std::array<double, 9>& actual,
                      std::size_t option, Isa isa) {
  for (std::size_t f = 0; f < expected.size(); ++f) {
    ASSERT_EQ(std::bit_cast<std::uint64_t>(expected[f]), std::bit_cast<std::uint64_t>(actual[f]))
        << kFields[f] << " of option " << option << " on " << isa_name(isa) << ": "
        << expected[f] << " vs " << actual[f];
  }
}

TEST(BlackBatch, ReportsWhichPathsThisMachineHas) {
  EXPECT_TRUE(isa_supported(Isa::scalar));
  EXPECT_TRUE(isa_supported(best_isa()));
  for (Isa isa : kIsas) {
    std::printf("%s: %s\n", std::string(isa_name(isa)).c_str(),
                isa_supported(isa) ? "supported" : "not on this machine");
  }
}

TEST(BlackBatch, BsmGreeksBitIdenticalToScalarOnEveryPath) {
  const Book book = random_book(10'007, 11);
  for (Isa isa : kIsas) {
    if (!isa_supported(isa)) continue;
    GreeksTable table(book.size());
    bsm_greeks_batch(book.bsm(), table.columns(), isa);
    for (std::size_t i = 0; i < book.size(); ++i) {
      const Result<Greeks> scalar = price_bsm({book.kind[i], book.underlying[i], book.strike[i],
                                               book.expiry[i], book.rate[i], book.dividend[i],
                                               book.vol[i]});
      ASSERT_TRUE(scalar.ok()) << scalar.error().message;
      expect_same_bits(row_of(*scalar), table.row(i), i, isa);
    }
  }
}

TEST(BlackBatch, Black76GreeksBitIdenticalToScalarOnEveryPath) {
  const Book book = random_book(10'009, 12);
  for (Isa isa : kIsas) {
    if (!isa_supported(isa)) continue;
    GreeksTable table(book.size());
    black76_greeks_batch(book.black76(), table.columns(), isa);
    for (std::size_t i = 0; i < book.size(); ++i) {
      const Result<Greeks> scalar = price_black76({book.kind[i], book.underlying[i],
                                                   book.strike[i], book.expiry[i],
                                                   book.discount[i], book.vol[i]});
      ASSERT_TRUE(scalar.ok()) << scalar.error().message;
      expect_same_bits(row_of(*scalar), table.row(i), i, isa);
    }
  }
}

TEST(BlackBatch, PriceOnlyKernelsMatchTheGreeksKernelsPrice) {
  const Book book = random_book(1'003, 13);
  GreeksTable reference(book.size());
  bsm_greeks_batch(book.bsm(), reference.columns(), Isa::scalar);
  GreeksTable reference76(book.size());
  black76_greeks_batch(book.black76(), reference76.columns(), Isa::scalar);
  for (Isa isa : kIsas) {
    if (!isa_supported(isa)) continue;
    std::vector<double> price(book.size());
    std::vector<double> price76(book.size());
    bsm_price_batch(book.bsm(), price, isa);
    black76_price_batch(book.black76(), price76, isa);
    for (std::size_t i = 0; i < book.size(); ++i) {
      ASSERT_EQ(std::bit_cast<std::uint64_t>(price[i]),
                std::bit_cast<std::uint64_t>(reference.price[i]))
          << "option " << i << " on " << isa_name(isa);
      ASSERT_EQ(std::bit_cast<std::uint64_t>(price76[i]),
                std::bit_cast<std::uint64_t>(reference76.price[i]))
          << "option " << i << " on " << isa_name(isa);
    }
  }
}

TEST(BlackBatch, InvalidLaneStaysInItsLane) {
  Book book = random_book(16, 14);
  book.vol[3] = std::nan("");
  book.strike[9] = -1;
  for (Isa isa : kIsas) {
    if (!isa_supported(isa)) continue;
    std::vector<double> price(book.size());
    bsm_price_batch(book.bsm(), price, isa);
    for (std::size_t i = 0; i < book.size(); ++i) {
      EXPECT_EQ(std::isnan(price[i]), i == 3 || i == 9) << "option " << i << " " << price[i];
    }
  }
}

// Inputs built from integers, dmath::exp and exact arithmetic only (no libm), so the digest
// below is a property of our code, not of this machine's C library.
Book golden_book() {
  CounterRng rng(2026, 11);
  Book book;
  for (std::size_t i = 0; i < 4099; ++i) {
    const double spot = dmath::exp(static_cast<double>(rng.below(1200)) / 100.0 - 2.0);
    const double rate = static_cast<double>(rng.below(200)) / 1000.0 - 0.05;
    const double expiry = static_cast<double>(rng.below(1096)) / 365.0;
    book.kind.push_back(i % 2 ? OptionKind::put : OptionKind::call);
    book.underlying.push_back(spot);
    book.strike.push_back(spot * dmath::exp(static_cast<double>(rng.below(801)) / 100.0 - 4.0));
    book.expiry.push_back(expiry);
    book.rate.push_back(rate);
    book.dividend.push_back(static_cast<double>(rng.below(150)) / 1000.0);
    book.discount.push_back(dmath::exp(-rate * expiry));
    book.vol.push_back(static_cast<double>(rng.below(300)) / 100.0);
  }
  return book;
}

std::string digest_of(const GreeksTable& table) {
  Sha256 hash;
  for (const std::vector<double>* column :
       {&table.price, &table.delta, &table.gamma, &table.vega, &table.theta, &table.rho,
        &table.dividend_rho, &table.vanna, &table.volga}) {
    hash.update({reinterpret_cast<const char*>(column->data()), column->size() * sizeof(double)});
  }
  return to_hex(hash.finish());
}

// The same bits on every x86-64 machine, compiler and optimisation level: this digest was
// recorded once (g++ 12 -O1) and must come out of every build (`make test` checks the g++ debug
// build, `make test-slow` the release build; the fuzz preset builds the library with clang).
// A change to the kernel that moves any bit must update it deliberately: stored margin decisions
// replay against these numbers.
TEST(BlackBatch, GoldenDigestOnEveryPath) {
  const Book book = golden_book();
  for (Isa isa : kIsas) {
    if (!isa_supported(isa)) continue;
    GreeksTable bsm(book.size());
    bsm_greeks_batch(book.bsm(), bsm.columns(), isa);
    GreeksTable black76(book.size());
    black76_greeks_batch(book.black76(), black76.columns(), isa);
    EXPECT_EQ(digest_of(bsm), "638dfa5b5260a315f410fb031d646c6375899a5b509603eb9ba5c85c1bcaadee") << isa_name(isa);
    EXPECT_EQ(digest_of(black76), "778cafff2115d98bf0a0c3dc794077bff4b4bf5d84e425368a2d7bad34534cb7") << isa_name(isa);
  }
}

}  // namespace
}  // namespace ballast::pricing
