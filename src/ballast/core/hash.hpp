#pragma once
// Hashes. SHA-256 (OpenSSL) for everything that is stored or compared across machines: the
// state hash, the log's hash chain, snapshots. fingerprint64 is a fast non-cryptographic hash
// for in-memory lookups where a collision costs only a less specific answer.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace ballast {

using Digest = std::array<std::uint8_t, 32>;

std::string to_hex(const Digest& digest);
// Parses 64 hex digits; false on anything else.
bool from_hex(std::string_view hex, Digest& digest);

Digest sha256(std::string_view bytes);

// Incremental SHA-256. finish() returns the digest and starts over, so one object (one OpenSSL
// context) can hash many messages in a row, as the log does for every record.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view bytes);
  Digest finish();
  // Discards what was given so far.
  void reset();

 private:
  void* context_;  // EVP_MD_CTX, kept opaque so OpenSSL's headers stay out of ours
};

std::uint64_t fingerprint64(std::string_view bytes) noexcept;

}  // namespace ballast
