#include "ballast/core/hash.hpp"

#include <openssl/evp.h>

#include "ballast/core/assert.hpp"

namespace ballast {
namespace {

const EVP_MD* sha256_method() {
  // Fetched once and kept for the process: with OpenSSL 3 the implicit EVP_sha256() is looked
  // up again on every digest init, which more than doubles the cost of hashing a log record of
  // a hundred bytes. A fetched method is immutable and safe to share between threads.
  static EVP_MD* const method = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  BALLAST_ASSERT(method != nullptr);
  return method;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string to_hex(const Digest& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(digest.size() * 2);
  for (const std::uint8_t byte : digest) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0x0f]);
  }
  return hex;
}

bool from_hex(std::string_view hex, Digest& digest) {
  if (hex.size() != digest.size() * 2) {
    return false;
  }
  for (std::size_t i = 0; i < digest.size(); ++i) {
    const int high = hex_value(hex[2 * i]);
    const int low = hex_value(hex[2 * i + 1]);
    if (high < 0 || low < 0) {
      return false;
    }
    digest[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return true;
}

Digest sha256(std::string_view bytes) {
  Digest digest{};
  unsigned int length = 0;
  const int ok = EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, sha256_method(),
                            nullptr);
  BALLAST_ASSERT(ok == 1 && length == digest.size());
  return digest;
}

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  BALLAST_ASSERT(context_ != nullptr);
  reset();
}

void Sha256::reset() {
  const int ok = EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(context_), sha256_method(), nullptr);
  BALLAST_ASSERT(ok == 1);
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(context_)); }

void Sha256::update(std::string_view bytes) {
  const int ok = EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(context_), bytes.data(), bytes.size());
  BALLAST_ASSERT(ok == 1);
}

Digest Sha256::finish() {
  Digest digest{};
  unsigned int length = 0;
  const int ok = EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(context_), digest.data(), &length);
  BALLAST_ASSERT(ok == 1 && length == digest.size());
  reset();
  return digest;
}

std::uint64_t fingerprint64(std::string_view bytes) noexcept {
  // 64-bit multiply-xorshift over 8-byte little-endian words (the constants are the usual
  // splitmix64 / FNV ones); enough to tell two events with one id apart.
  std::uint64_t state = 0x9e3779b97f4a7c15ull ^ bytes.size();
  std::size_t i = 0;
  auto mix = [&state](std::uint64_t word) {
    state ^= word;
    state *= 0xbf58476d1ce4e5b9ull;
    state ^= state >> 31;
    state *= 0x94d049bb133111ebull;
    state ^= state >> 29;
  };
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t word = 0;
    for (std::size_t k = 0; k < 8; ++k) {
      word |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i + k])) << (8 * k);
    }
    mix(word);
  }
  std::uint64_t tail = 0;
  for (std::size_t k = 0; i + k < bytes.size(); ++k) {
    tail |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i + k])) << (8 * k);
  }
  mix(tail ^ 0x100000001b3ull);
  return state;
}

}  // namespace ballast
