"""Interrupted and failed chunked runs leave nothing behind (issue 13, item 5).

Ctrl-C or SIGTERM while a chunked sweep writes, an unreachable scheduler, a scheduler lost
while computing: the command ends soon with a non-zero exit, leaving neither its output
nor a temporary, and none of its tasks writes after it has cleaned up.

The signals go to real subprocesses; every wait has a generous limit that only guards
against a hang.
"""

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from minecalc import parallel
from minecalc.errors import InputError

pytest.importorskip("dask")
pytest.importorskip("zarr")

HANG = 60  # seconds: no wait below is expected to come near it

# 600 x 400 scenarios in chunks of 200 x 200: six tasks of about a second each on two cores
GRID = [
    "--vary",
    "tariff.energy_price_per_kwh=15:35:600",
    "--vary",
    "market.btc_price_usd=40000:120000:400",
    "--chunks",
    "200",
    "--variables",
    "npv_usd",
]
SWEEP = [sys.executable, "-m", "minecalc", "--quiet", "sweep", "pk2000mw", *GRID]


def _answers_ctrl_c() -> None:
    """In the child before it starts: SIGINT to its default. A background job of a
    non-interactive shell (as CI may run us) starts with SIGINT ignored, and a Python
    started so keeps ignoring it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextmanager
def _sweep(out: Path, *extra, group=False):
    """``minecalc sweep`` writing ``out``, in a process of its own (group: and process group),
    killed at the end if it is still running."""
    child = subprocess.Popen(
        [*SWEEP, "--out", out, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=group,
        preexec_fn=_answers_ctrl_c,
    )
    try:
        yield child
    finally:
        if child.poll() is None and group:
            os.killpg(child.pid, signal.SIGKILL)
        elif child.poll() is None:
            child.kill()
        child.stdout.close()
        child.stderr.close()
        child.wait()


def _wait_for(condition, child, what: str) -> None:
    deadline = time.monotonic() + HANG
    while not condition():
        assert child.poll() is None, f"finished before {what}: {child.communicate()}"
        assert time.monotonic() < deadline, f"no {what} after {HANG} s"
        time.sleep(0.02)


def _temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def _writing_chunks(out: Path):
    """When the tasks writing ``out``'s temporary, chunk by chunk, have begun."""

    def zarr():  # a chunk of npv_usd: c/0/0 in Zarr 3, 0.0 in Zarr 2
        return any(
            p.is_file() and p.name[0].isdigit()
            for tmp in _temporaries(out.parent)
            for p in (tmp / "npv_usd").rglob("*")
        )

    def netcdf():  # past its header (17 kB): a chunk is 320 kB
        return any(p.stat().st_size > 100_000 for p in _temporaries(out.parent))

    return zarr if out.suffix == ".zarr" else netcdf


def _stop(child, sig, group=False) -> tuple[int, str]:
    """Send ``sig`` (to the whole group, as a terminal's Ctrl-C does) and wait for the end."""
    if group:
        os.killpg(child.pid, sig)
    else:
        child.send_signal(sig)
    _, err = child.communicate(timeout=HANG)
    return child.returncode, err


@pytest.mark.parametrize(
    "sig, name",
    [
        (signal.SIGINT, "grid.zarr"),
        (signal.SIGTERM, "grid.zarr"),
        (signal.SIGINT, "grid.nc"),
    ],
    ids=["ctrl-c-zarr", "sigterm-zarr", "ctrl-c-netcdf"],
)
def test_a_signal_while_writing_leaves_nothing(tmp_path, sig, name):
    out = tmp_path / name
    with _sweep(out) as child:
        _wait_for(_writing_chunks(out), child, "chunk written")
        code, err = _stop(child, sig)
    assert code != 0, err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_with_the_processes_scheduler_is_answered_by_the_parent_alone(tmp_path):
    out = tmp_path / "grid.zarr"
    with _sweep(out, "--scheduler", "processes", group=True) as child:
        _wait_for(_writing_chunks(out), child, "chunk written")
        code, err = _stop(child, signal.SIGINT, group=True)
    assert code != 0, err
    assert "Traceback" not in err  # no worker process answers Ctrl-C with its own
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_is_one_line_and_exit_130(tmp_path):
    out = tmp_path / "grid.zarr"
    with _sweep(out) as child:
        _wait_for(_writing_chunks(out), child, "chunk written")
        code, err = _stop(child, signal.SIGINT)
    assert code == 128 + signal.SIGINT
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: "), err


@pytest.mark.parametrize("failure", [RuntimeError("boom"), KeyboardInterrupt()])
def test_a_failed_computation_returns_only_once_its_tasks_have_stopped(tmp_path, failure):
    dask = pytest.importorskip("dask")
    running = threading.Event()

    def slow():
        running.set()
        time.sleep(0.5)
        (tmp_path / "late").write_text("written by a task still running at the failure")

    def fail():
        running.wait(HANG)
        raise failure

    tasks = dask.delayed(slow, pure=False)(), dask.delayed(fail, pure=False)()
    with dask.config.set(num_workers=2), pytest.raises(type(failure)):
        parallel.compute(*tasks)
    assert (tmp_path / "late").exists()  # waited for, not left running


# ----------------------------------------------------------------- dask.distributed


@pytest.fixture
def refused_address():
    """An address on this machine where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"tcp://127.0.0.1:{port}"


@pytest.fixture
def silent_address():
    """Something that takes the connection and never answers (a web server, a dashboard)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield f"tcp://127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture
def chatty_address():
    """Something that speaks first, not dask's language (an SSH server)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve():
        try:
            while True:
                conn, _ = server.accept()
                with conn:
                    conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n" + bytes(range(256)))
        except OSError:  # the server socket closed: the test is over
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    server.close()


@pytest.mark.parametrize(
    "address",
    ["refused", "silent", "chatty", "tcp://nohost.invalid:8786", "tcp://", "udp://host:8786"],
)
def test_no_scheduler_at_the_address_is_an_input_error_naming_the_option(
    request, monkeypatch, address
):
    dask = pytest.importorskip("dask")
    pytest.importorskip("distributed")
    if "://" not in address:
        address = request.getfixturevalue(f"{address}_address")
    monkeypatch.setattr(parallel, "CONNECT_TIMEOUT_S", 1.0)
    with pytest.raises(InputError) as err:
        parallel.compute(dask.delayed(int)(), scheduler=address)
    assert err.value.option == "scheduler"
    assert str(err.value).startswith("scheduler: expected the address of a reachable ") and (
        repr(address) in str(err.value)
    )


def test_an_unreachable_scheduler_is_one_line_and_exit_2(tmp_path, refused_address):
    pytest.importorskip("distributed")
    with _sweep(tmp_path / "grid.zarr", "--scheduler", refused_address) as child:
        _, err = child.communicate(timeout=HANG)
    assert child.returncode == 2, err
    assert err.startswith("error: --scheduler: ") and len(err.splitlines()) == 1, err
    assert list(tmp_path.iterdir()) == []


CLUSTER = textwrap.dedent(
    """
    import time
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
                      host="127.0.0.1", dashboard_address="127.0.0.1:0") as cluster:
        print(cluster.scheduler_address, flush=True)
        time.sleep(600)
    """
)


@pytest.fixture
def cluster():
    """A scheduler with two workers in a process of its own: ``(process, address)``."""
    pytest.importorskip("distributed")
    process = subprocess.Popen(
        [sys.executable, "-c", CLUSTER],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_answers_ctrl_c,
    )
    try:
        yield process, process.stdout.readline().strip()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=HANG)
        process.stdout.close()


def test_ctrl_c_on_a_cluster_leaves_nothing_once_the_workers_are_idle(tmp_path, cluster):
    from distributed import Client

    _, address = cluster
    out = tmp_path / "grid.zarr"
    with _sweep(out, "--scheduler", address) as child:
        _wait_for(_writing_chunks(out), child, "chunk written")
        code, err = _stop(child, signal.SIGINT)
    assert code != 0, err
    assert list(tmp_path.iterdir()) == []
    with Client(address, timeout=HANG) as client:  # the tasks it left running are its own
        deadline = time.monotonic() + HANG
        while client.call_stack():
            assert time.monotonic() < deadline, "the workers are still busy"
            time.sleep(0.1)
    assert list(tmp_path.iterdir()) == []  # and none of them wrote after the run had ended


def test_a_scheduler_lost_while_computing_is_one_error_and_leaves_nothing(tmp_path, cluster):
    process, address = cluster
    out = tmp_path / "grid.zarr"
    with _sweep(out, "--scheduler", address) as child:
        _wait_for(_writing_chunks(out), child, "chunk written")
        os.killpg(process.pid, signal.SIGKILL)  # scheduler and workers with it
        _, err = child.communicate(timeout=HANG)
    assert child.returncode == 2, err
    assert err.strip().splitlines() == [  # no log lines of distributed's before it
        f"error: scheduler {address}: the connection was lost while computing"
    ], err
    assert "internal error" not in err
    assert list(tmp_path.iterdir()) == []
