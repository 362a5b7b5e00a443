"""Benchmark: comparing the state's five options against a single run, on the same paths.

Times one Monte Carlo run of the scenario (``model.run`` over drawn paths), then
``compare`` of all five options over the same paths (without and with the tariff curve,
which is found on the central case), and prints the ratio. Issue 14's targets: about 3x a
single run, and 10,000 paths x five options within 10 s.

Usage: python benchmarks/bench_compare.py [--paths N] [--repeat R] [--set FIELD=VALUE ...]
(default 10,000 paths, best of 3; e.g. --set market.btc_price_usd=200000 so that private
miners come and their fleet runs on the paths too)
"""

import argparse
import time

from minecalc import model
from minecalc.compare import compare
from minecalc.config import load_config
from minecalc.uncertainty import PathModel, draw_paths


def best_of(repeat, call):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--set", action="append", default=[], dest="overrides")
    args = parser.parse_args()
    scenario = load_config("pk2000mw_options", args.overrides)
    drawn = dict(draw_paths(scenario, paths=args.paths, seed=1, path_model=PathModel()).data_vars)
    compare(scenario)  # warm caches (history, catalogue)
    single = best_of(
        args.repeat,
        lambda: model.run(
            scenario, paths=drawn, detail=(), without_fleet=False, solve_breakevens=False
        ),
    )
    options = best_of(args.repeat, lambda: compare(scenario, paths=drawn, solve_tariffs=False))
    with_tariffs = best_of(args.repeat, lambda: compare(scenario, paths=drawn))
    comes = float(compare(scenario, solve_tariffs=False).miners_come)
    print(
        f"{args.paths:,} paths x {scenario.horizon_months} months, best of {args.repeat}; "
        f"private miners {'come' if comes else 'stay away'}"
    )
    print(f"  one run                        {single:7.2f} s")
    print(f"  five options                   {options:7.2f} s   ({options / single:.2f}x)")
    print(
        f"  five options + tariff curve    {with_tariffs:7.2f} s   ({with_tariffs / single:.2f}x)"
    )


if __name__ == "__main__":
    main()
