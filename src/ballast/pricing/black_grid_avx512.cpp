// The AVX-512F instantiation of the grid loop (8 lanes); compiled with -mavx512f, no FMA.
#define BALLAST_LANES_NAMESPACE avx512
#include "ballast/pricing/black_grid_loop.hpp"

BALLAST_DEFINE_GRID_ENTRY_POINT(avx512, dmath::D8)
