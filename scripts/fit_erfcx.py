#!/usr/bin/python3
"""Coefficients of dmath::erfcx_nonnegative and dmath::erfcx_nonnegative_pair (dmath.hpp).

h(y) = erfcx(x) * (x + 4) with y = (x - 4) / (x + 4) maps x in [0, inf) onto y in [-1, 1) and is
smooth there (h -> 1/sqrt(pi) as x -> inf), so one polynomial covers the half-line with uniform
relative accuracy. We take its Chebyshev interpolant at 100 nodes with 50-digit arithmetic,
truncate at degree 26 (later terms are below 1e-18), convert to the monomial basis (coefficients
stay below 1.1 in magnitude, so Horner's rule is well conditioned), and print the coefficients as
round-to-nearest doubles, highest degree first. Needs python3-mpmath (Debian).

The option kernels only need x <= 37/sqrt(2) (the normal tail end). For them, t = (P x - 4) /
(x + 4) with P = 83/64 maps [0, 8/(P - 1)] = [0, 26.9] onto [-1, 1], and the interpolant of
erfcx(x) (x + 4) in t reaches the same accuracy at degree 22: four fewer terms per erfcx.
"""
import mpmath as mp

mp.mp.dps = 50
SHIFT = mp.mpf(4)
NODES = 100
DEGREE = 26
TAIL_P = mp.mpf(83) / 64
TAIL_DEGREE = 22


def erfcx_times_shifted(x):
    return mp.exp(x * x) * mp.erfc(x) * (x + SHIFT)


def h(y):
    return erfcx_times_shifted(SHIFT * (1 + y) / (1 - y))


def h_tail(t):
    return erfcx_times_shifted(SHIFT * (1 + t) / (TAIL_P - t))


def chebyshev_coefficients(f, degree):
    angles = [mp.pi * (j + mp.mpf(1) / 2) / NODES for j in range(NODES)]
    values = [f(mp.cos(a)) for a in angles]
    coefficients = [2 * mp.fsum(v * mp.cos(k * a) for v, a in zip(values, angles)) / NODES
                    for k in range(degree + 1)]
    coefficients[0] /= 2
    return coefficients


def monomial(coefficients):
    degree = len(coefficients) - 1
    basis = [[mp.mpf(1)], [mp.mpf(0), mp.mpf(1)]]  # T_0, T_1 in powers of y
    for k in range(2, degree + 1):
        twice = [mp.mpf(0)] + [2 * v for v in basis[k - 1]]
        previous = basis[k - 2] + [mp.mpf(0)] * (len(twice) - len(basis[k - 2]))
        basis.append([a - b for a, b in zip(twice, previous)])
    powers = [mp.mpf(0)] * (degree + 1)
    for c, t in zip(coefficients, basis):
        for i, v in enumerate(t):
            powers[i] += c * v
    return powers


def print_table(name, coefficients):
    print(f"{name}:")
    for value in reversed(monomial(coefficients)):
        print(f"    {float(value)!r},")


if __name__ == "__main__":
    print_table("kErfcxPolynomial", chebyshev_coefficients(h, DEGREE))
    print_table("kErfcxTailPolynomial", chebyshev_coefficients(h_tail, TAIL_DEGREE))
