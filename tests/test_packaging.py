"""The package as a user gets it: sdist and wheel built from this checkout, the wheel installed
(not editable, no extras) into a fresh virtual environment and run from a folder outside it.

Marked ``packaging`` and left out of a plain ``python3 -m pytest``: it installs every dependency
from the package index into a new environment (seconds with a warm uv cache, a minute or two
cold). ``.ci/run`` runs it with ``python3 -m pytest -m packaging``. It needs uv (in the test
extra).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).parents[1]
EXAMPLES = sorted(p.name for p in (ROOT / "minecalc" / "data" / "examples").glob("*.yaml"))


def _uv() -> str:
    try:
        import uv
    except ImportError:
        found = shutil.which("uv")
        if found is None:
            pytest.skip("needs uv: python3 -m pip install uv")
        return found
    return uv.find_uv_bin()


def _env() -> dict[str, str]:
    """The environment without anything that would put this checkout on the path."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP")
    }
    env["UV_PYTHON_DOWNLOADS"] = "never"  # the venv uses this interpreter; never fetch one
    env["MPLBACKEND"] = "Agg"
    return env


def _run(args, *, cwd, check=True, timeout=900) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout
    )
    if check and done.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, args))} exited {done.returncode}\n"
            f"--- stdout\n{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-4000:]}"
        )
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """sdist and wheel; uv builds the wheel from the sdist, so the sdist must be complete."""
    out = tmp_path_factory.mktemp("dist")
    _run([_uv(), "build", "--quiet", "--out-dir", out, ROOT], cwd=out)
    assert len(list(out.glob("*.tar.gz"))) == 1 and len(list(out.glob("*.whl"))) == 1
    return out


@pytest.fixture(scope="module")
def venv(dist, tmp_path_factory) -> Path:
    """A fresh environment with the wheel and its base dependencies only (no extras)."""
    where = tmp_path_factory.mktemp("venv") / "venv"
    _run([_uv(), "venv", "--quiet", "--python", sys.executable, where], cwd=dist)
    python = where / "bin" / "python"
    _run(
        [_uv(), "pip", "install", "--quiet", "--python", python, next(dist.glob("*.whl"))], cwd=dist
    )
    return where


@pytest.fixture
def elsewhere(tmp_path) -> Path:
    """A working folder outside the checkout, with no configs/ beside it."""
    assert ROOT not in tmp_path.parents
    return tmp_path


def test_the_installed_package_is_the_wheel_without_the_scale_extra(venv, elsewhere):
    probe = (
        "import importlib.util, json, minecalc; print(json.dumps({"
        "'file': minecalc.__file__, 'missing': [m for m in ('dask', 'distributed', 'zarr')"
        " if importlib.util.find_spec(m) is None]}))"
    )
    found = json.loads(_run([venv / "bin" / "python", "-c", probe], cwd=elsewhere).stdout)
    assert Path(found["file"]).is_relative_to(venv), found["file"]
    # the base install leaves the scale extra out
    assert found["missing"] == ["dask", "distributed", "zarr"]


def test_run_a_packaged_example_by_name(venv, elsewhere):
    done = _run([venv / "bin" / "minecalc", "run", "pk2000mw", "--format", "json"], cwd=elsewhere)
    summary = json.loads(done.stdout)
    assert summary["name"] == "Pakistan 2,000 MW"
    assert summary["btc_total"] > 0


def test_examples_lists_every_packaged_scenario(venv, elsewhere):
    minecalc = venv / "bin" / "minecalc"
    if "examples" not in _run([minecalc, "--help"], cwd=elsewhere).stdout:
        pytest.skip("no `minecalc examples` command yet")
    listed = _run([minecalc, "examples"], cwd=elsewhere).stdout
    for name in EXAMPLES:
        assert Path(name).stem in listed


def test_report_writes_the_pdf(venv, elsewhere):
    _run([venv / "bin" / "minecalc", "--quiet", "report", "pk2000mw", "--out", "r/"], cwd=elsewhere)
    pdf = elsewhere / "r" / "report.pdf"
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF")


def test_chunked_sweep_without_the_scale_extra(venv, elsewhere):
    minecalc = venv / "bin" / "minecalc"
    grid = [
        "sweep",
        "pk2000mw",
        "--vary",
        "tariff.energy_price_per_kwh=15:35:3",
        "--vary",
        "market.btc_price_usd=40000,90000",
        "--chunks",
        "2",
    ]
    # chunks (dask) and Zarr need the scale extra; saying so is one line and exit code 2,
    # and nothing is written
    for out in ("grid.nc", "grid.zarr"):
        done = _run([minecalc, "--quiet", *grid, "--out", out], cwd=elsewhere, check=False)
        assert done.returncode == 2, done.stdout + done.stderr
        assert "minecalc[scale]" in done.stderr and done.stderr.count("\n") == 1
        assert "Traceback" not in done.stdout + done.stderr
        assert not any(elsewhere.iterdir())
    # the everyday commands need no dask: an in-memory sweep works
    _run([minecalc, "--quiet", *grid[:-2], "--out", "grid.nc"], cwd=elsewhere)
    assert (elsewhere / "grid.nc").is_file()


def test_the_wheel_carries_the_examples_and_the_licence(dist):
    with zipfile.ZipFile(next(dist.glob("*.whl"))) as wheel:
        names = set(wheel.namelist())
        for name in EXAMPLES:
            assert f"minecalc/data/examples/{name}" in names
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = wheel.read(meta).decode()
    assert any(
        n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE") for n in names
    )
    assert "License-File: LICENSE" in metadata
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    for extra_only in ("dask", "distributed", "zarr"):
        lines = [r for r in requires if r.split()[1].startswith(extra_only)]
        assert lines and all('extra == "scale"' in r for r in lines), lines


def test_the_sdist_carries_the_examples_and_its_tests_find_them(dist, tmp_path):
    with tarfile.open(next(dist.glob("*.tar.gz"))) as sdist:
        if hasattr(tarfile, "data_filter"):  # Python >= 3.10.12 / 3.11.4
            sdist.extractall(tmp_path, filter="data")
        else:
            sdist.extractall(tmp_path)
    (top,) = tmp_path.iterdir()
    for name in EXAMPLES:
        assert (top / "minecalc" / "data" / "examples" / name).is_file()
        # the tests read configs/, the checkout's link to the examples
        assert (top / "configs" / name).read_bytes() == (ROOT / "configs" / name).read_bytes()
    assert (top / "LICENSE").is_file()
    assert (top / "tests" / "test_model.py").is_file() and list((top / "notebooks").glob("*.ipynb"))
    # a test module that reads configs/ runs from the unpacked sdist, on its own code
    done = _run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_model.py"],
        cwd=top,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
