// The AVX2 instantiation of the grid loop (4 lanes); compiled with -mavx2 and no FMA.
#define BALLAST_LANES_NAMESPACE avx2
#include "ballast/pricing/black_grid_loop.hpp"

BALLAST_DEFINE_GRID_ENTRY_POINT(avx2, dmath::D4)
