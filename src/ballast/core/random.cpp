#include "ballast/core/random.hpp"

#include <Random123/philox.h>

#include "ballast/core/assert.hpp"

namespace ballast {

std::uint64_t CounterRng::at(std::uint64_t index) const {
  // One Philox block gives four words; draw `index` takes word index % 4 of block index / 4.
  const r123::Philox4x64::ctr_type counter{{index / 4, stream_, 0, 0}};
  const r123::Philox4x64::key_type key{{seed_, 0x42414c4c41535421ull}};  // "BALLAST!"
  const auto block = r123::Philox4x64{}(counter, key);
  return block.v[index % 4];
}

std::uint64_t CounterRng::below(std::uint64_t bound) {
  BALLAST_ASSERT(bound > 0);
  // Rejection sampling: accept only draws below the largest multiple of bound.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  for (int attempt = 0; attempt < 64; ++attempt) {
    const std::uint64_t draw = next();
    if (draw < limit) {
      return draw % bound;
    }
  }
  // Each attempt fails with probability < 1/2; 64 failures in a row means a broken generator.
  BALLAST_ASSERT(false);
  return 0;
}

double CounterRng::uniform() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

}  // namespace ballast
