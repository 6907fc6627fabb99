// The AVX-512F instantiation (8 lanes); compiled with -mavx512f (CMakeLists.txt). FMA exists
// on every AVX-512 machine, but -ffp-contract=off keeps it out, as on the other paths.
#define BALLAST_LANES_NAMESPACE avx512
#include "ballast/pricing/black_batch_loop.hpp"

BALLAST_DEFINE_BATCH_ENTRY_POINTS(avx512, dmath::D8)
