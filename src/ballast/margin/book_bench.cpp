// Placeholder: filled in below.
#include <benchmark/benchmark.h>
