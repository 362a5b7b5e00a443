"""Outputs keep their promises under races, links and faults (issue 13, item 5).

Nothing existing is replaced without ``force``, not even a file that appears while
writing; several outputs appear whole or not at all; a failure, an interruption or a
full disk leaves no temporary and no partial output behind.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import xarray as xr
from click.testing import CliRunner

from minecalc.cli import main
from minecalc.errors import OutputExistsError
from minecalc.output import write_outputs

SHORT = ["--set", "horizon_months=12"]


def _text(content):
    return lambda tmp: tmp.write_text(content)


def _listing(folder: Path) -> dict:
    return {
        p.name: (os.readlink(p) if p.is_symlink() else p.read_bytes() if p.is_file() else "dir")
        for p in folder.iterdir()
    }


def test_temporaries_are_unique_new_files_of_this_process(tmp_path):
    seen = []

    def record(tmp):
        assert tmp.parent == tmp_path and tmp.name.startswith(".a.txt.")
        assert tmp.is_file() and not tmp.is_symlink() and tmp.stat().st_size == 0
        seen.append(tmp)
        tmp.write_text("x")

    write_outputs(tmp_path, {"a.txt": record})
    write_outputs(tmp_path, {"a.txt": record}, force=True)
    assert len(set(seen)) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_links_in_the_folder_are_neither_followed_nor_touched(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    # Dangling links at the old fixed temporary name and at likely ones, one to a real file.
    (elsewhere / "precious").write_text("keep")
    (out / ".a.txt.tmp").symlink_to(elsewhere / "missing")
    (out / ".grid.zarr.tmp").symlink_to(elsewhere / "gone")
    (out / "link").symlink_to(elsewhere / "precious")
    before = _listing(out)
    write_outputs(out, {"a.txt": _text("new")})
    assert (out / "a.txt").read_text() == "new"
    assert {k: v for k, v in _listing(out).items() if k != "a.txt"} == before
    assert sorted(p.name for p in elsewhere.iterdir()) == ["precious"]
    assert (elsewhere / "precious").read_text() == "keep"
    # A dangling link under the final name is an existing output: refused, not followed.
    (out / "b.txt").symlink_to(elsewhere / "b-target")
    with pytest.raises(OutputExistsError):
        write_outputs(out, {"b.txt": _text("new")})
    assert not (elsewhere / "b-target").exists() and (out / "b.txt").is_symlink()


def test_a_file_appearing_while_writing_is_not_replaced_and_nothing_is_left(tmp_path):
    def results(tmp):
        tmp.write_text("mine")
        (tmp_path / "summary.json").write_text("theirs")  # another writer got there first

    writers = {"results.nc": results, "monthly.csv": _text("m"), "summary.json": _text("s")}
    with pytest.raises(OutputExistsError) as err:
        write_outputs(tmp_path, writers)
    assert [p.name for p in err.value.paths] == ["summary.json"]
    assert _listing(tmp_path) == {"summary.json": b"theirs"}


@pytest.mark.parametrize("failure", [RuntimeError("boom"), KeyboardInterrupt()])
def test_a_failing_writer_leaves_no_final_file_and_no_temporary(tmp_path, failure):
    def fail(tmp):
        tmp.write_text("half")
        raise failure

    writers = {"a.txt": _text("a"), "b.txt": fail, "c.txt": _text("c")}
    with pytest.raises(type(failure)):
        write_outputs(tmp_path, writers)
    assert list(tmp_path.iterdir()) == []


def test_sigterm_while_writing_removes_the_temporaries(tmp_path):
    script = textwrap.dedent(
        f"""
        import time
        from minecalc.output import write_outputs

        def slow(tmp):
            tmp.write_text("half")
            time.sleep(60)

        write_outputs({str(tmp_path)!r}, {{"a.txt": lambda tmp: tmp.write_text("a"),
                                          "b.txt": slow}})
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 30
        while not any(p.name.startswith(".b.txt.") for p in tmp_path.iterdir()):
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.05)
        time.sleep(0.1)
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=30) == 128 + signal.SIGTERM
    finally:
        if child.poll() is None:
            child.kill()
    assert list(tmp_path.iterdir()) == []


def test_a_refused_run_changes_nothing(tmp_path):
    out = tmp_path / "pk"
    out.mkdir()
    (out / "monthly.csv").write_text("mine")
    result = CliRunner().invoke(main, ["run", "pk2000mw", "--out", str(out), *SHORT])
    assert result.exit_code == 2 and "--force" in result.output
    assert _listing(out) == {"monthly.csv": b"mine"}


def _together(*commands, cwd):
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "minecalc", "--quiet", *cmd],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for cmd in commands
    ]
    done = []
    for child in children:
        with child:
            _, err = child.communicate(timeout=300)
        done.append((child.returncode, err))
    return done


def _no_temporaries(folder: Path):
    """None of our temporaries (``.NAME.XXXX.tmp``, ``.NAME.XXXX.old``) below ``folder``; a
    Zarr 2 store's own ``.zgroup``/``.zarray``/``.zattrs`` are not ours."""
    ours = [p for p in folder.rglob(".*") if p.name.endswith((".tmp", ".old"))]
    assert not ours, ours


def test_two_runs_to_one_folder_leave_one_whole_set(tmp_path):
    out = tmp_path / "pk"
    base = ["run", "pk2000mw", "--out", str(out), *SHORT]
    done = _together(
        [*base, "--set", "site.pue=1.1"], [*base, "--set", "site.pue=1.3"], cwd=tmp_path
    )
    assert sorted(code for code, _ in done) == [0, 2], done
    refused = next(err for code, err in done if code == 2)
    assert refused.startswith("error: --out") and len(refused.splitlines()) == 1
    assert sorted(p.name for p in out.iterdir()) == ["monthly.csv", "results.nc", "summary.json"]
    summary = json.loads((out / "summary.json").read_text())
    with xr.open_dataset(out / "results.nc") as ds:  # the three files are from one run
        assert float(ds.npv_usd) == pytest.approx(summary["npv_usd"], rel=1e-12)
    _no_temporaries(out)


def test_two_reports_to_one_folder_leave_one_whole_set(tmp_path):
    out = tmp_path / "report"
    base = ["report", "pk2000mw", "--out", str(out), "--paths", "50", *SHORT]
    done = _together(base, [*base, "--seed", "1"], cwd=tmp_path)
    assert sorted(code for code, _ in done) == [0, 2], done
    names = {p.name for p in out.iterdir()}
    assert {"report.pdf", "summary.md"} <= names and any(n.endswith(".svg") for n in names)
    _no_temporaries(out)


def _chunked(out, prices):
    return [
        "sweep",
        "pk2000mw",
        *SHORT,
        "--vary",
        "tariff.energy_price_per_kwh=15:35:5",
        "--vary",
        f"market.btc_price_usd={prices}",
        "--chunks",
        "2",
        "--out",
        str(out),
        "--variables",
        "npv_usd",
    ]


def test_two_chunked_sweeps_to_one_store_leave_one_that_opens(tmp_path):
    pytest.importorskip("zarr")
    out = tmp_path / "grid.zarr"
    (tmp_path / ".grid.zarr.tmp").mkdir()  # someone else's: neither used nor deleted
    done = _together(
        _chunked(out, "40000,120000"), _chunked(out, "50000,60000,70000"), cwd=tmp_path
    )
    assert sorted(code for code, _ in done) == [0, 2], done
    with xr.open_zarr(out, consolidated=False) as ds:
        assert ds.npv_usd.shape in ((5, 2), (5, 3))
        assert ds.npv_usd.notnull().all()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".grid.zarr.tmp", "grid.zarr"]
    _no_temporaries(out)


@pytest.fixture
def full_disk(tmp_path):
    """A 2 MB tmpfs, filled to its last 4 kB."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root on Linux")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
    try:
        with open(mnt / "filler", "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError:
                pass
        os.truncate(mnt / "filler", max(0, os.path.getsize(mnt / "filler") - 4096))
        yield mnt
    finally:
        subprocess.run(
            ["umount", "--lazy", str(mnt)], check=False
        )  # a failed HDF5 file may still be open


@pytest.mark.parametrize(
    "command",
    [
        lambda out: ["run", "pk2000mw", "--out", str(out), *SHORT],
        lambda out: _chunked(out / "grid.zarr", "40000,120000"),
        lambda out: _chunked(out / "grid.nc", "40000,120000"),
    ],
    ids=["run", "chunked-zarr", "chunked-nc"],
)
def test_a_full_disk_is_one_line_and_leaves_nothing(full_disk, command):
    out = full_disk / "out"
    out.mkdir()
    result = CliRunner().invoke(main, command(out))
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].endswith(": No space left on device"), result.output
    assert "Traceback" not in result.output
    assert list(out.iterdir()) == []


def test_force_replaces_a_folder_or_a_file_whole(tmp_path):
    def store(content):
        return lambda tmp: (tmp / "chunk").write_text(content)

    write_outputs(tmp_path, {"grid.zarr": store("old")}, folders=True)
    with pytest.raises(OutputExistsError):
        write_outputs(tmp_path, {"grid.zarr": store("new")}, folders=True)
    assert (tmp_path / "grid.zarr" / "chunk").read_text() == "old"
    write_outputs(tmp_path, {"grid.zarr": store("new")}, force=True, folders=True)
    assert _listing(tmp_path / "grid.zarr") == {"chunk": b"new"}
    (tmp_path / "a.txt").write_text("old")
    write_outputs(tmp_path, {"a.txt": _text("new")}, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "grid.zarr"]
    assert (tmp_path / "a.txt").read_text() == "new"


def _old_set(folder: Path) -> None:
    (folder / "a.txt").write_text("old a")
    (folder / "b").mkdir()
    (folder / "b" / "chunk").write_text("old b")
    (folder / "c.txt").symlink_to("a.txt")


@pytest.mark.parametrize("failure", [RuntimeError("boom"), KeyboardInterrupt()])
def test_a_forced_replacement_that_fails_while_writing_keeps_the_old_set(tmp_path, failure):
    _old_set(tmp_path)
    before = _listing(tmp_path)

    def fail(tmp):
        raise failure

    with pytest.raises(type(failure)):
        write_outputs(tmp_path, {"a.txt": _text("new"), "c.txt": fail}, force=True)
    assert _listing(tmp_path) == before and (tmp_path / "b" / "chunk").read_text() == "old b"


def test_a_forced_replacement_that_fails_while_claiming_gives_the_old_set_back(
    tmp_path, monkeypatch
):
    """The second claim fails after the first output was replaced: the first is undone."""
    from minecalc import output

    _old_set(tmp_path)
    before = _listing(tmp_path)
    real = output.rename_noreplace
    calls = []

    def rename(src, dst):
        calls.append(dst)
        if Path(dst).name == "c.txt" and str(src).endswith(".tmp"):
            raise OSError(5, "I/O error")  # the claim of the last new output
        real(src, dst)

    monkeypatch.setattr(output, "rename_noreplace", rename)
    writers = {"a.txt": _text("new"), "b": lambda tmp: None, "c.txt": _text("new")}
    with pytest.raises(OSError, match="I/O error"):
        write_outputs(tmp_path, writers, force=True)
    assert _listing(tmp_path) == before and (tmp_path / "b" / "chunk").read_text() == "old b"
    assert len(calls) > 3  # the new a.txt and b were claimed, then the old ones given back


def test_a_forced_replacement_replaces_the_whole_set(tmp_path):
    _old_set(tmp_path)
    writers = {"a.txt": _text("new a"), "b": _text("new b"), "c.txt": _text("new c")}
    write_outputs(tmp_path, writers, force=True)
    assert _listing(tmp_path) == {"a.txt": b"new a", "b": b"new b", "c.txt": b"new c"}


@pytest.mark.parametrize("renameat2", [True, False], ids=["renameat2", "link-or-mkdir"])
def test_the_no_replace_rename_refuses_anything_there(tmp_path, monkeypatch, renameat2):
    from minecalc import output

    if not renameat2:
        monkeypatch.setattr(output, "_RENAMEAT2", None)
    (tmp_path / "file").write_text("mine")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "x").write_text("mine")
    (tmp_path / "empty").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    for taken in ["file", "folder", "empty", "link"]:
        (tmp_path / "new").write_text("new")
        (tmp_path / "newdir").mkdir()
        for src in ["new", "newdir"]:
            with pytest.raises(FileExistsError):
                output.rename_noreplace(tmp_path / src, tmp_path / taken)
        (tmp_path / "new").unlink()
        (tmp_path / "newdir").rmdir()
    assert (tmp_path / "file").read_text() == "mine" and (tmp_path / "empty").is_dir()
    assert (tmp_path / "folder" / "x").read_text() == "mine" and not (tmp_path / "nowhere").exists()
    (tmp_path / "newdir").mkdir()
    (tmp_path / "newdir" / "y").write_text("y")
    output.rename_noreplace(tmp_path / "newdir", tmp_path / "moved")
    assert (tmp_path / "moved" / "y").read_text() == "y" and not (tmp_path / "newdir").exists()


def test_signals_held_while_the_netcdf_lock_is_taken_arrive_afterwards():
    from minecalc.output import signals_held

    done = []
    with pytest.raises(KeyboardInterrupt):
        with signals_held():
            os.kill(os.getpid(), signal.SIGINT)
            done.append("the block ran to its end")
    assert done == ["the block ran to its end"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
