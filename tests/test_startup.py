"""Start-up and terminal behaviour, in real subprocesses: what --help imports, progress on
stderr only, and ``python -m minecalc`` being the same command."""

import json
import os
import pty
import select
import subprocess
import sys

import pytest

HEAVY = ("pandas", "xarray", "scipy", "numpy", "matplotlib", "dask", "numba")


def imported_by(*args) -> set:
    """The heavy modules loaded after the CLI handled ``args`` in a fresh interpreter."""
    code = (
        "import sys\nfrom minecalc.cli import main\n"
        f"try:\n    main({list(args)!r})\nexcept SystemExit:\n    pass\n"
        f"print('MODULES', sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("MODULES"))
    return set(eval(line.removeprefix("MODULES ")))  # a list literal we printed ourselves


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["run", "--help"], ["examples"]])
def test_help_and_version_import_nothing_heavy(args):
    assert imported_by(*args) == set()


def test_validate_needs_no_pandas_xarray_or_scipy():
    assert imported_by("validate", "pk2000mw") & {"pandas", "xarray", "scipy"} == set()


@pytest.mark.parametrize("name", ["pk2000mw", "pk2000mw_fiscal"])
def test_a_single_run_never_loads_numba(name):
    """One scenario interprets the loops (minecalc.kernels): numba's load would cost more
    than the whole run (issue 11's start-up budget); with a profit tax too."""
    assert "numba" not in imported_by("run", name, "--format", "json")


def test_python_m_minecalc_is_the_same_command():
    by_module = subprocess.run(
        [sys.executable, "-m", "minecalc", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert by_module.startswith("Usage: minecalc ")
    run = subprocess.run(
        [sys.executable, "-m", "minecalc", "run", "pk2000mw", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(run.stdout)["name"] == "Pakistan 2,000 MW"


def run_on_terminals(*args, timeout=120):
    """Run the CLI with stdout and stderr each on its own pseudo-terminal; return both."""
    out_master, out_slave = pty.openpty()
    err_master, err_slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "100"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "minecalc", *args],
        stdout=out_slave,
        stderr=err_slave,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    os.close(out_slave)
    os.close(err_slave)
    chunks = {out_master: b"", err_master: b""}
    open_fds = set(chunks)
    while open_fds:
        ready, _, _ = select.select(list(open_fds), [], [], timeout)
        if not ready:
            proc.kill()
            raise TimeoutError(args)
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the other end closed
                data = b""
            if data:
                chunks[fd] += data
            else:
                open_fds.discard(fd)
    proc.wait(timeout)
    os.close(out_master)
    os.close(err_master)
    decode = lambda b: b.decode().replace("\r\n", "\n")  # noqa: E731 - the tty adds \r
    return proc.returncode, decode(chunks[out_master]), decode(chunks[err_master])


def test_progress_goes_to_a_terminals_stderr_never_into_json():
    code, out, err = run_on_terminals(
        "montecarlo", "pk2000mw", "--paths", "3000", "--format", "json"
    )
    assert code == 0, err
    assert json.loads(out)["paths"] == 3000  # stdout is the result alone, even on a terminal
    assert "Monte Carlo, 3,000 paths" in err
    # which history it read, one line before the progress (the packaged one: conftest)
    assert err.startswith("data: packaged history to 2026-09 (epoch 965,664; ")


def test_quiet_silences_progress():
    code, out, err = run_on_terminals(
        "--quiet", "montecarlo", "pk2000mw", "--paths", "500", "--format", "json"
    )
    assert code == 0 and json.loads(out)["paths"] == 500
    assert err.strip() == ""


def test_no_progress_when_stderr_is_not_a_terminal():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "minecalc",
            "montecarlo",
            "pk2000mw",
            "--paths",
            "500",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stderr == "" and json.loads(done.stdout)["paths"] == 500
