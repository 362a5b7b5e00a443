"""Benchmark: wall time of the everyday commands against a bare ``python -c pass``.

Each command runs in a fresh interpreter, as a user's shell runs it; the figure is the
median of ``--repeat`` runs after one warm-up (so the OS file cache is warm, as it is
after the first use). Targets (issue 11): ``--help``, ``--version`` and ``validate``
<= 0.35 s, ``run pk2000mw`` <= 0.9 s on the 2-core CI machine.

xarray imports dask.array on its first array whenever dask is installed (about 0.3 s),
and dask comes only with the ``scale`` extra; the benchmark says which case it measured.

Usage: python benchmarks/bench_startup.py [--repeat N]
"""

import argparse
import importlib.util
import statistics
import subprocess
import sys
import time
from pathlib import Path

# The console script installed beside this interpreter (a venv's bin/), as a user runs it;
# a shell shim in front of it (pyenv) would add its own start-up to every figure.
SCRIPT = Path(sys.executable).with_name("minecalc")
MINECALC = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "minecalc"]
COMMANDS = {
    "python -c pass": ([sys.executable, "-c", "pass"], None),
    "minecalc --help": ([*MINECALC, "--help"], 0.35),
    "minecalc --version": ([*MINECALC, "--version"], 0.35),
    "minecalc validate pk2000mw": ([*MINECALC, "validate", "pk2000mw"], 0.35),
    "minecalc run pk2000mw": ([*MINECALC, "run", "pk2000mw"], 0.9),
}


def wall(argv) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    dask = importlib.util.find_spec("dask") is not None
    print(f"{' '.join(MINECALC)}; dask installed (the scale extra): {'yes' if dask else 'no'}")
    print(f"{'command':<30}{'median s':>10}{'min s':>8}{'target s':>10}")
    for name, (argv, target) in COMMANDS.items():
        wall(argv)  # warm the file cache
        times = [wall(argv) for _ in range(args.repeat)]
        shown = "" if target is None else f"{target:.2f}"
        print(f"{name:<30}{statistics.median(times):>10.3f}{min(times):>8.3f}{shown:>10}")


if __name__ == "__main__":
    main()
