#!/usr/bin/python3
"""Coefficients of dmath::erfcx_nonnegative (src/ballast/pricing/dmath.hpp).

h(y) = erfcx(x) * (x + 4) with y = (x - 4) / (x + 4) maps x in [0, inf) onto y in [-1, 1) and is
smooth there (h -> 1/sqrt(pi) as x -> inf), so one polynomial covers the half-line with uniform
relative accuracy. We take its Chebyshev interpolant at 100 nodes with 50-digit arithmetic,
truncate at degree 26 (later terms are below 1e-18), convert to the monomial basis (coefficients
stay below 1.1 in magnitude, so Horner's rule is well conditioned), and print the coefficients as
round-to-nearest doubles, highest degree first. Needs python3-mpmath (Debian).
"""
import mpmath as mp

mp.mp.dps = 50
SHIFT = mp.mpf(4)
NODES = 100
DEGREE = 26


def h(y):
    x = SHIFT * (1 + y) / (1 - y)
    return mp.exp(x * x) * mp.erfc(x) * (x + SHIFT)


def chebyshev_coefficients():
    angles = [mp.pi * (j + mp.mpf(1) / 2) / NODES for j in range(NODES)]
    values = [h(mp.cos(a)) for a in angles]
    coefficients = [2 * mp.fsum(v * mp.cos(k * a) for v, a in zip(values, angles)) / NODES
                    for k in range(DEGREE + 1)]
    coefficients[0] /= 2
    return coefficients


def monomial(coefficients):
    basis = [[mp.mpf(1)], [mp.mpf(0), mp.mpf(1)]]  # T_0, T_1 in powers of y
    for k in range(2, DEGREE + 1):
        twice = [mp.mpf(0)] + [2 * v for v in basis[k - 1]]
        previous = basis[k - 2] + [mp.mpf(0)] * (len(twice) - len(basis[k - 2]))
        basis.append([a - b for a, b in zip(twice, previous)])
    powers = [mp.mpf(0)] * (DEGREE + 1)
    for c, t in zip(coefficients, basis):
        for i, v in enumerate(t):
            powers[i] += c * v
    return powers


if __name__ == "__main__":
    for value in reversed(monomial(chebyshev_coefficients())):
        print(f"    {float(value)!r},")
