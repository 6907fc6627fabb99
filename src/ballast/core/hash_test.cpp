#include "ballast/core/hash.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace ballast {
namespace {

// FIPS 180-2, appendix B: SHA-256 examples.
constexpr const char* kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr const char* kEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr const char* kTwoBlockMessage = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
constexpr const char* kTwoBlock =
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";

TEST(Sha256, PublishedDigests) {
  EXPECT_EQ(to_hex(sha256("abc")), kAbc);
  EXPECT_EQ(to_hex(sha256("")), kEmpty);
  EXPECT_EQ(to_hex(sha256(kTwoBlockMessage)), kTwoBlock);
}

TEST(Sha256, MillionAs) {
  // FIPS 180-2 B.3: one million repetitions of 'a', fed in uneven pieces.
  Sha256 hasher;
  const std::string piece(999, 'a');
  std::size_t fed = 0;
  while (fed + piece.size() <= 1'000'000) {
    hasher.update(piece);
    fed += piece.size();
  }
  hasher.update(std::string(1'000'000 - fed, 'a'));
  EXPECT_EQ(to_hex(hasher.finish()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, IncrementalEqualsOneShot) {
  Sha256 hasher;
  hasher.update("ab");
  hasher.update("");
  hasher.update("c");
  EXPECT_EQ(to_hex(hasher.finish()), kAbc);
  Sha256 empty;
  EXPECT_EQ(to_hex(empty.finish()), kEmpty);
  // Embedded NUL bytes are data, not terminators.
  EXPECT_NE(sha256(std::string("a\0b", 3)), sha256("a"));
}

TEST(Hex, RoundTrip) {
  Digest digest{};
  ASSERT_TRUE(from_hex(kAbc, digest));
  EXPECT_EQ(digest, sha256("abc"));
  EXPECT_EQ(digest[0], 0xba);
  EXPECT_EQ(digest[31], 0xad);
  EXPECT_EQ(to_hex(digest), kAbc);
  // Upper case is accepted; output is lower case.
  Digest upper{};
  ASSERT_TRUE(from_hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", upper));
  EXPECT_EQ(upper, digest);
  Digest counting{};
  for (std::size_t i = 0; i < counting.size(); ++i) counting[i] = static_cast<std::uint8_t>(i * 8);
  Digest back{};
  ASSERT_TRUE(from_hex(to_hex(counting), back));
  EXPECT_EQ(back, counting);
  EXPECT_EQ(to_hex(counting).substr(0, 8), "00081018");
}

TEST(Hex, RejectsMalformed) {
  Digest digest{};
  EXPECT_FALSE(from_hex("", digest));
  EXPECT_FALSE(from_hex(std::string(kAbc).substr(0, 63), digest));
  EXPECT_FALSE(from_hex(std::string(kAbc) + "0", digest));
  std::string bad = kAbc;
  bad[17] = 'g';
  EXPECT_FALSE(from_hex(bad, digest));
  bad[17] = ' ';
  EXPECT_FALSE(from_hex(bad, digest));
  bad = kAbc;
  bad[63] = 'x';
  EXPECT_FALSE(from_hex(bad, digest));
}

TEST(Fingerprint64, PinnedValues) {
  // Fingerprints are stored in snapshots (the idempotency table), so the function must not
  // change silently: these values were computed once and pinned.
  EXPECT_EQ(fingerprint64(""), 0x57e8f13c10de450cull);
  EXPECT_EQ(fingerprint64("abc"), 0x5163f538de6d3962ull);
  EXPECT_EQ(fingerprint64("0123456789abcdefXYZ"), 0xcea45af5bf63bb93ull);  // two words + tail
}

TEST(Fingerprint64, DiffersForNearInputs) {
  // Every single-bit flip of a 37-byte input (four words and a tail), plus length changes.
  const std::string base = "deposit:16:16:1:2500000:1700000000000";
  std::set<std::uint64_t> seen{fingerprint64(base)};
  for (std::size_t i = 0; i < base.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = base;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      EXPECT_TRUE(seen.insert(fingerprint64(flipped)).second) << "byte " << i << " bit " << bit;
    }
  }
  // Trailing zero bytes and truncations change the value (length is mixed in).
  for (std::size_t length = 0; length <= 17; ++length) {
    EXPECT_TRUE(seen.insert(fingerprint64(std::string(length, '\0'))).second) << length;
  }
  EXPECT_NE(fingerprint64(base), fingerprint64(base + std::string(1, '\0')));
  EXPECT_NE(fingerprint64(base), fingerprint64(base.substr(0, base.size() - 1)));
  // Swapping two 8-byte words is not invisible.
  EXPECT_NE(fingerprint64("AAAAAAAABBBBBBBB"), fingerprint64("BBBBBBBBAAAAAAAA"));
}

}  // namespace
}  // namespace ballast
