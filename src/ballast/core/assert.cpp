#include "ballast/core/assert.hpp"

#include <cstdio>
#include <cstdlib>

namespace ballast {

void assert_fail(const char* expression, const char* file, int line) noexcept {
  std::fprintf(stderr, "ballast: assertion failed: %s (%s:%d)\n", expression, file, line);
  std::fflush(stderr);
  std::abort();
}

}  // namespace ballast
