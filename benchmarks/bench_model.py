"""Benchmark: the full model (plant + chain + money) over a grid of scenarios, 5 years of months.

A grid of tariff x BTC price x network growth, as a sweep would build it: one
vectorized ``model.run`` call. Prints seconds, microseconds per scenario and peak memory.

With ``--fiscal``, the scenario is pk2000mw_fiscal: pk2000mw with a dollar loan, profit
tax (so the breakevens are bracketed, not solved in one step), inflation in both currencies
and the FX ledger with import cover.

``--no-breakevens`` leaves the breakevens that need root finding unsolved (with tax).

``--warm-heap GB`` touches and frees that much memory first, so the figure is the model's
arithmetic, not the kernel handing out fresh pages (costly in some sandboxes). It needs glibc
told to keep freed memory, and numpy not to ask for huge pages, before Python starts:
``MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=100000000000 NUMPY_MADVISE_HUGEPAGE=0``.

Usage: python benchmarks/bench_model.py [--side N] [--fiscal] [--no-breakevens] [--warm-heap GB]
(N**3 scenarios; default 100)
"""

import argparse
import resource
import time

import numpy as np
import xarray as xr

from minecalc import model
from minecalc.config import load_config

PK = "configs/pk2000mw.yaml"
FISCAL = "configs/pk2000mw_fiscal.yaml"


def axis(name, values):
    return xr.DataArray(values, dims=name, coords={name: values})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=100)
    parser.add_argument("--fiscal", action="store_true", help="loans, tax and inflation on")
    parser.add_argument(
        "--no-breakevens", action="store_true", help="leave the breakevens unsolved (NaN)"
    )
    parser.add_argument("--warm-heap", type=float, default=0.0, metavar="GB")
    args = parser.parse_args()
    if args.warm_heap:
        np.ones(int(args.warm_heap * 2**30) // 8)  # touched, then freed to the heap
    n = args.side
    scenario = load_config(FISCAL if args.fiscal else PK)
    params = {
        "tariff.energy_price_per_kwh": axis("tariff.energy_price_per_kwh", np.linspace(10, 35, n)),
        "market.btc_price_usd": axis("market.btc_price_usd", np.linspace(40e3, 160e3, n)),
        "network.hashrate_growth": axis("network.hashrate_growth", np.linspace(-0.2, 0.6, n)),
    }
    start = time.perf_counter()
    ds = model.run(scenario, params, solve_breakevens=not args.no_breakevens)
    elapsed = time.perf_counter() - start
    count = n**3
    assert ds.npv_usd.size == count and np.isfinite(ds.npv_usd).all()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"full model{' (fiscal)' if args.fiscal else ''} {count:,} scenarios x "
        f"{ds.sizes['time']} months: {elapsed:.2f} s, "
        f"{elapsed / count * 1e6:.2f} us/scenario, peak memory {peak:,.0f} MB"
        + (f" (heap warmed: {args.warm_heap:g} GB)" if args.warm_heap else "")
    )


if __name__ == "__main__":
    main()
