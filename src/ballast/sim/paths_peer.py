#!/usr/bin/env python3
"""numpy peer of paths_bench's BM_CorrelatedGbm: correlated GBM prices, 8 assets x 1,000
one-minute steps, every pair correlated 0.5, vols 40%..110%, drift 5%.

Two figures: one path per call (the work BM_CorrelatedGbm times per iteration) and 100 paths
per call (numpy's best case: one vectorized draw, product, cumsum and exp for all of them).
Prints steps per second, a step being one time step of all 8 assets. Needs numpy
(python3-numpy, scripts/install-deps.sh); exits 0 with a note where it is missing.

    python3 src/ballast/sim/paths_peer.py
"""

import sys
import time

try:
    import numpy as np
except ImportError:
    print("paths_peer: numpy not installed (apt-get install python3-numpy); skipped")
    sys.exit(0)

ASSETS = 8
STEPS = 1_000
DT_YEARS = 60.0 / (365.0 * 86_400.0)


def model():
    vol = 0.4 + 0.1 * np.arange(ASSETS)
    drift = np.full(ASSETS, 0.05)
    correlation = np.full((ASSETS, ASSETS), 0.5) + 0.5 * np.eye(ASSETS)
    lower = np.linalg.cholesky(correlation)
    return (drift - 0.5 * vol**2) * DT_YEARS, vol * np.sqrt(DT_YEARS), lower


def prices(rng, paths, drift_step, vol_step, lower, start):
    z = rng.standard_normal((paths, STEPS, ASSETS)) @ lower.T  # [path][step][asset], as ours
    log_levels = np.cumsum(drift_step + vol_step * z, axis=1)
    return start * np.exp(log_levels)


def steps_per_second(paths_per_call, seconds=2.0):
    drift_step, vol_step, lower = model()
    rng = np.random.default_rng(1)
    start = np.full(ASSETS, 100.0)
    calls = 0
    began = time.perf_counter()
    while True:
        prices(rng, paths_per_call, drift_step, vol_step, lower, start)
        calls += 1
        elapsed = time.perf_counter() - began
        if elapsed >= seconds:
            return calls * paths_per_call * STEPS / elapsed


def main():
    print(f"numpy {np.__version__}, {ASSETS} assets x {STEPS} steps, correlated GBM")
    for paths_per_call in (1, 100):
        rate = steps_per_second(paths_per_call)
        print(f"paths_per_call={paths_per_call:<4} steps/s={rate / 1e6:.3f}M asset_steps/s={rate * ASSETS / 1e6:.2f}M")


if __name__ == "__main__":
    main()
