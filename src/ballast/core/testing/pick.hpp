#pragma once
// Uniform draws for RapidCheck properties: pick(lo, hi) is uniform in [lo, hi) whatever the
// case's size, and shrinks toward lo. Why not rc::gen::inRange alone: it narrows its range toward
// lo at small sizes, so the early cases of a run draw mostly lo (the first branch of a switch,
// the largest fall of a price) and a property meant to explore a random path sees the same one.

#include <rapidcheck.h>

namespace ballast {

template <typename T>
T pick(T lo, T hi) {
  return *rc::gen::resize(100, rc::gen::inRange<T>(lo, hi));
}

}  // namespace ballast
