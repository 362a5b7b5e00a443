"""Benchmark: project 1,000,000 scenarios for 5 years of months.

Two cases, both printed as microseconds per scenario and peak memory:

* grid: 100 growth rates x 100 fee levels x 100 fleet sizes, as a user would sweep
  them. Broadcasting runs the chain once per (growth, fleet) pair - fees do not
  change block timing - and expands to all 10^6 scenarios only for the yield.
* independent: 10^6 scenarios whose growth, fleet, fees and start difficulty are all
  drawn at random, so every one needs its own chain. Run in chunks through dask's
  threaded scheduler on both cores (the core releases the GIL inside numpy).

Usage: python benchmarks/bench_chain.py [--scenarios N] [--chunk N] [--workers N]
"""

import argparse
import resource
import time

import dask
import dask.array as da
import numpy as np

from minecalc import chain
from minecalc.protocol import SECONDS_PER_YEAR, hashrate_from_difficulty

MONTHS = 60
EDGES = np.arange(MONTHS + 1) * SECONDS_PER_YEAR / 12
D0, HEIGHT = 127.45e12, 965_664


def fleet_btc(growth, fleet_h_s, fees, difficulty):
    """Monthly fleet BTC for flat arrays of scenario inputs (one dask block)."""
    other = chain.exponential_path(
        hashrate_from_difficulty(difficulty), chain.growth_rate_per_s(growth, "per_year"), EDGES
    )
    fleet = np.broadcast_to(fleet_h_s[..., None], (*np.shape(fleet_h_s), MONTHS))
    proj = chain.project(
        EDGES, other, fleet, difficulty=difficulty, height=HEIGHT, record_epochs=False
    )
    return chain.fleet_yield(proj, fees[..., None])[2]


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def grid(n_side):
    growth = np.linspace(-0.3, 1.0, n_side)[:, None, None]
    fees = np.linspace(0.01, 0.10, n_side)[None, :, None]
    fleet = np.linspace(1e18, 200e18, n_side)[None, None, :]
    start = time.perf_counter()
    btc = fleet_btc(growth, fleet, fees, np.float64(D0))
    elapsed = time.perf_counter() - start
    assert btc.shape == (n_side, n_side, n_side, MONTHS) and np.isfinite(btc).all()
    return elapsed, btc.size // MONTHS


def independent(n, chunk, workers):
    rng = np.random.default_rng(0)
    inputs = [
        rng.uniform(-0.3, 1.0, n),
        rng.uniform(1e18, 200e18, n),
        rng.uniform(0.01, 0.10, n),
        rng.uniform(100e12, 160e12, n),
    ]
    lazy = da.map_blocks(
        fleet_btc,
        *(da.from_array(x, chunks=chunk) for x in inputs),
        new_axis=1,
        chunks=(chunk, MONTHS),
        dtype=float,
    )
    start = time.perf_counter()
    with dask.config.set(scheduler="threads", num_workers=workers):
        total = lazy.sum(axis=1).compute()
    elapsed = time.perf_counter() - start
    assert np.isfinite(total).all()
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    side = round(args.scenarios ** (1 / 3))
    elapsed, count = grid(side)
    print(
        f"grid        {count:>9,} scenarios x {MONTHS} months: {elapsed:6.2f} s, "
        f"{elapsed / count * 1e6:6.2f} us/scenario, peak memory {peak_mb():,.0f} MB"
    )
    for workers in sorted({1, args.workers}):
        elapsed = independent(args.scenarios, args.chunk, workers)
        print(
            f"independent {args.scenarios:>9,} scenarios x {MONTHS} months, {workers} thread(s), "
            f"chunks of {args.chunk:,}: {elapsed:6.2f} s, "
            f"{elapsed / args.scenarios * 1e6:6.2f} us/scenario, peak memory {peak_mb():,.0f} MB"
        )


if __name__ == "__main__":
    main()
