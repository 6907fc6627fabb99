// The AVX2 instantiation (4 lanes); compiled with -mavx2 and no FMA (CMakeLists.txt).
#define BALLAST_LANES_NAMESPACE avx2
#include "ballast/pricing/black_batch_loop.hpp"

BALLAST_DEFINE_BATCH_ENTRY_POINTS(avx2, dmath::D4)
