#pragma once
// Counter-based random numbers (DESIGN principle 2): draw i of stream s under seed k is a pure
// function of (k, s, i), computed by Philox-4x64 (Random123, Salmon et al., SC'11). Any draw can
// be recomputed without the ones before it, so results do not depend on how work is split
// across threads or MPI ranks, and a run replays from its seed.

#include <cstdint>

namespace ballast {

class CounterRng {
 public:
  CounterRng(std::uint64_t seed, std::uint64_t stream) : seed_(seed), stream_(stream) {}

  // The index-th 64-bit draw of this stream.
  std::uint64_t at(std::uint64_t index) const;
  std::uint64_t next() { return at(counter_++); }
  // Uniform in [0, bound), without modulo bias; bound > 0.
  std::uint64_t below(std::uint64_t bound);
  // Uniform in [0, 1) with 53 random bits.
  double uniform();

  std::uint64_t counter() const { return counter_; }

 private:
  std::uint64_t seed_;
  std::uint64_t stream_;
  std::uint64_t counter_ = 0;
};

}  // namespace ballast
