"""Benchmark: Monte Carlo of the full model, 100,000 paths x 60 months (Pakistan case).

Usage: python benchmarks/bench_montecarlo.py [--paths N]
"""

import argparse
import resource
import time

from minecalc.config import load_config
from minecalc.uncertainty import monte_carlo


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=100_000)
    parser.add_argument(
        "--chunks", type=int, default=None, help="paths run at once on each core (at most 10,000)"
    )
    args = parser.parse_args()
    scenario = load_config("configs/pk2000mw.yaml")
    start = time.perf_counter()
    ds = monte_carlo(scenario, args.paths, seed=1, chunks=args.chunks)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"monte carlo {args.paths:,} paths x {ds.sizes['time']} months: {elapsed:.2f} s, "
        f"{elapsed / args.paths * 1e6:.1f} us/path, P(NPV<0) = {float(ds.prob_npv_negative):.3f}, "
        f"peak memory {peak:,.0f} MB"
    )


if __name__ == "__main__":
    main()
