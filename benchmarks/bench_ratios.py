"""Benchmark: every speed target of issue 17 in one run, against a naive reference.

Each case runs in a fresh child process (so its peak memory is its own), twice: the first
run pays once-per-process costs (numba's load, about 0.5-1 s, and on this VM the first
touch of fresh memory, 1-2 ms a MB, which its host hands out lazily); the second is what
every later run in a session costs, and is held against the target. Both are printed. The
naive reference, one ``model.run`` per scenario in a plain Python loop (the model's own
scalar path, the same rules), runs in this process after them (on this machine a process
is slower to get fresh memory after another has used much of it, so the order matters).

* full model: the pk2000mw grid of 100 tariffs x 100 BTC prices x 100 growth rates, IRR and
  breakevens included (``bench_model.py``'s case);
* chain: 10^6 independent scenarios on both cores (``bench_chain.py``'s case);
* Monte Carlo: 100,000 paths x 60 months of pk2000mw, the default path model;
* sweep: ``minecalc sweep`` on 100,000 scenarios, from the interpreter's start to the
  netCDF file written.

Usage: python benchmarks/bench_ratios.py [--naive N] [--case NAME]
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
PK = str(HERE.parent / "configs" / "pk2000mw.yaml")
TARGETS = {  # name: (scenarios, target [us/scenario], target peak [GB] or None)
    "full model": (10**6, 3.0, 3.0),
    "chain": (10**6, 4.0, None),
    "monte carlo": (10**5, 20.0, 1.5),  # 2 s for 100,000 paths
    "sweep command": (10**5, 20.0, None),  # 2 s end to end
}


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def full_model() -> float:
    """Seconds of one run of the 10^6 grid."""
    import xarray as xr

    from minecalc import model
    from minecalc.config import load_config

    def axis(name, values):
        return xr.DataArray(values, dims=name, coords={name: values})

    ranges = {
        "tariff.energy_price_per_kwh": (10, 35),
        "market.btc_price_usd": (40e3, 160e3),
        "network.hashrate_growth": (-0.2, 0.6),
    }
    params = {k: axis(k, np.linspace(low, high, 100)) for k, (low, high) in ranges.items()}
    scenario = load_config(PK)
    start = time.perf_counter()
    ds = model.run(scenario, params)
    elapsed = time.perf_counter() - start
    assert np.isfinite(ds.npv_usd).all()
    return elapsed


def chain() -> float:
    sys.path.insert(0, str(HERE))
    from bench_chain import independent

    return independent(10**6, 20_000, 2)


def monte_carlo() -> float:
    """Seconds of one Monte Carlo of 10^5 paths."""
    from minecalc.config import load_config
    from minecalc.uncertainty import monte_carlo as run

    scenario = load_config(PK)
    start = time.perf_counter()
    ds = run(scenario, 10**5, seed=1)
    elapsed = time.perf_counter() - start
    assert 0 <= float(ds.prob_npv_negative) <= 1
    return elapsed


CASES = {"full model": full_model, "chain": chain, "monte carlo": monte_carlo}


def sweep_command() -> tuple[float, float]:
    """``minecalc sweep`` in a fresh interpreter, start to file written: (seconds, peak GB)."""
    with tempfile.TemporaryDirectory() as tmp:
        args = [
            sys.executable,
            "-c",
            "import resource, sys; from minecalc.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit as done:\n    code = done.code\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, file=sys.stderr)\n"
            "sys.exit(code)",
            "sweep",
            PK,
            "--vary",
            "tariff.energy_price_per_kwh=10:35:100",
            "--vary",
            "market.btc_price_usd=40000:160000:1000",
            "--out",
            str(Path(tmp) / "sweep.nc"),
            "--max-memory",
            "8",  # about 6 GB estimated: more than the 4 GB a command allows by default
        ]
        start = time.perf_counter()
        done = subprocess.run(args, capture_output=True, text=True, check=True)
        elapsed = time.perf_counter() - start
        assert (Path(tmp) / "sweep.nc").stat().st_size > 0
    return elapsed, float(done.stderr.strip().splitlines()[-1])


def naive(n: int) -> float:
    """Seconds per scenario of one ``model.run`` per scenario, in a Python loop."""
    import xarray as xr

    from minecalc import model
    from minecalc.config import load_config

    scenario = load_config(PK)
    rng = np.random.default_rng(0)
    draws = zip(
        rng.uniform(10, 35, n), rng.uniform(40e3, 160e3, n), rng.uniform(-0.2, 0.6, n), strict=True
    )
    model.run(scenario)  # imports and caches warm, as for the cases
    start = time.perf_counter()
    for tariff, price, growth in draws:
        model.run(
            scenario,
            {
                "tariff.energy_price_per_kwh": xr.DataArray(tariff),
                "market.btc_price_usd": xr.DataArray(price),
                "network.hashrate_growth": xr.DataArray(growth),
            },
        )
    return (time.perf_counter() - start) / n


def child(name: str) -> None:
    """Run one case twice and print both runs' seconds and the peak memory as JSON."""
    first = CASES[name]()
    print(json.dumps({"first": first, "seconds": CASES[name](), "peak_gb": peak_gb()}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--naive", type=int, default=200, help="scenarios the naive loop runs")
    parser.add_argument("--case", choices=sorted(CASES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        child(args.case)
        return
    measured = {}
    for name in TARGETS:  # each case in a fresh process, before this one grows
        if name == "sweep command":  # a fresh interpreter end to end: one run, cold
            seconds, gb = sweep_command()
            measured[name] = seconds, seconds, gb
            continue
        out = subprocess.run(
            [sys.executable, __file__, "--case", name], capture_output=True, text=True, check=True
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        measured[name] = result["first"], result["seconds"], result["peak_gb"]
    per_naive = naive(args.naive) * 1e6
    print(f"naive reference: {per_naive:,.0f} us/scenario (one model.run each, {args.naive} runs)")
    for name, (count, target, target_gb) in TARGETS.items():
        first, seconds, gb = measured[name]
        us = seconds / count * 1e6
        memory = f"peak {gb:.2f} GB" + (f" (target {target_gb:g})" if target_gb else "")
        print(
            f"{name:<14} {count:>9,} scenarios  {seconds:6.2f} s (first {first:5.2f} s)  "
            f"{us:6.2f} us/scenario (target {target:g}: {'met' if us <= target else 'missed'})  "
            f"{per_naive / us:,.0f}x the naive loop  {memory}"
        )


if __name__ == "__main__":
    main()
