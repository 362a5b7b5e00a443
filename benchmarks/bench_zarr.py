"""Benchmark: a sweep of >= 10^8 scenario-months streamed to Zarr through dask.

1,690,000 scenarios (130 tariffs x 130 BTC prices x 100 growth rates) x 60 months,
written chunk by chunk (two monthly variables and NPV), so no more than a few chunks
are ever in memory. Prints time and peak memory (resident set of this process).

Usage: python benchmarks/bench_zarr.py [--out PATH] [--chunk N]
"""

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from minecalc.config import load_config
from minecalc.sweep import lazy_sweep, write_lazy


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None)
    parser.add_argument("--chunk", type=int, default=26)
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp()) / "sweep.zarr"
    grid = {
        "tariff.energy_price_per_kwh": np.linspace(10, 40, 130),
        "market.btc_price_usd": np.linspace(30e3, 200e3, 130),
        "network.hashrate_growth.per_year": np.linspace(-0.3, 0.8, 100),
    }
    scenario = load_config("configs/pk2000mw.yaml")
    lazy = lazy_sweep(
        scenario,
        grid,
        chunks={
            "tariff.energy_price_per_kwh": args.chunk,
            "market.btc_price_usd": args.chunk,
            "network.hashrate_growth.per_year": 100,
        },
        variables=["npv_usd", "fleet_btc", "cumulative_cash_usd"],
    )
    scenario_months = lazy.fleet_btc.size
    start = time.perf_counter()
    write_lazy(lazy, out)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 1e9
    print(
        f"zarr sweep {lazy.npv_usd.size:,} scenarios x 60 months = {scenario_months:.3g} "
        f"scenario-months: {elapsed:.1f} s, peak memory {peak:,.0f} MB, {size:.2f} GB on disk"
    )
    if args.out is None:
        shutil.rmtree(out.parent)


if __name__ == "__main__":
    main()
