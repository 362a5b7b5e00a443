"""Writing a run's files: nothing a user already has is replaced without being asked.

Every output is written under a temporary name that is unique to this process and
created exclusively in the output's folder (``mkstemp``/``mkdtemp``: a link already
there is never followed), then claimed under its final name:

- without ``force`` the claim never replaces anything, not even a file that appeared
  while this one was being written (``renameat2(RENAME_NOREPLACE)`` where the system
  has it, else a hard link for a file or an exclusive ``mkdir`` for a folder);
- with ``force``, the outputs being replaced are first set aside under temporaries of this
  process, and given back if the call fails: a forced run replaces the whole set or nothing;
- outputs written together (a run's ``results.nc``, ``monthly.csv`` and ``summary.json``)
  are all written first and then claimed together: if any name is taken, the ones this
  process had claimed are removed again and nothing is left of it;
- a failure or an interruption (an exception, Ctrl-C, SIGTERM while writing) removes this
  process's temporaries; a full disk is one ``OSError`` naming the output.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import xarray as xr

from .errors import InputError, OutputExistsError

_UMASK = os.umask(0)
os.umask(_UMASK)

#: Free space below which a writer's failure is taken to be the disk being full.
DISK_FULL_BYTES = 1 << 20

_AT_FDCWD = -100
_RENAME_NOREPLACE = 1


def _renameat2():
    """libc's ``renameat2`` (Linux, glibc >= 2.28), or None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_RENAMEAT2 = _renameat2()


def rename_noreplace(src, dst) -> None:
    """Rename ``src`` (a file or a folder) to ``dst``, atomically, only if ``dst`` does not
    exist (not even as a dangling link); else ``FileExistsError`` and nothing changes."""
    src, dst = os.fspath(src), os.fspath(dst)
    if _RENAMEAT2 is not None:
        if (
            _RENAMEAT2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), _RENAME_NOREPLACE)
            == 0
        ):
            return
        err = ctypes.get_errno()
        if err not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EPERM):
            raise OSError(err, os.strerror(err), dst)
    if os.name == "nt":  # Windows' rename never replaces
        os.rename(src, dst)
    elif os.path.isdir(src) and not os.path.islink(src):
        os.mkdir(dst)  # the claim: fails if anything is there
        try:
            os.rename(src, dst)  # onto the empty folder this process just made
        except BaseException:
            _remove_quietly(dst)
            raise
    else:
        os.link(src, dst)  # fails if anything is there; a link at dst is not followed
        os.unlink(src)


def _remove_quietly(path) -> None:
    """Remove a temporary of this process (a file, a folder or a link) if it is there."""
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
            if os.path.lexists(path):  # a writer's thread still adding files: once more
                shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    except FileNotFoundError:
        pass


def _claim(tmp: str, final: Path) -> None:
    """Move ``tmp`` to ``final``, never over anything there."""
    try:
        rename_noreplace(tmp, final)
    except FileExistsError:
        raise OutputExistsError([final]) from None


def _set_aside(final: Path) -> str | None:
    """Move an existing ``final`` (a file, a folder or a link) to a new temporary of this
    process, so that it can be given back if the replacement fails; None if nothing is there."""
    try:
        folder = stat.S_ISDIR(os.lstat(final).st_mode)
    except FileNotFoundError:
        return None
    old = _make_temp(final, folder, suffix=".old")
    os.rename(final, old)  # onto the empty file or folder just made for it
    return old


def _disk_full(err: BaseException, final: Path, folder: Path) -> OSError | None:
    """``err`` as one ``OSError`` naming ``final`` if the disk is full, else None."""
    code = err.errno if isinstance(err, OSError) else None
    if code is not None and code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return OSError(code, os.strerror(code), str(final))
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return None
    if free < DISK_FULL_BYTES:  # netCDF ("HDF error") and zlib say it their own way
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(final))
    return None


def _close_left_open(tmp: str) -> None:
    """Close a file a failed xarray writer left open at ``tmp`` (netCDF after an HDF error),
    so that it neither holds the disk's space nor complains when the process exits."""
    try:
        from xarray.backends import file_manager
    except ImportError:  # pragma: no cover - xarray is a dependency
        return
    cache = file_manager.FILE_CACHE
    for key in list(cache.keys()):
        try:  # the key is (opener, args, mode, kwargs, id); args[0] the file's name
            mine = os.fspath(key[1][0]) == tmp
        except (TypeError, IndexError, KeyError):
            continue
        file = cache.pop(key, None) if mine else None
        try:
            if file is not None:
                file.close()
        except Exception:  # it is failing already; the disk says why
            pass


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """While writing, SIGTERM raises ``SystemExit`` so that the temporaries are removed.

    Only in the main thread, and only if nobody set a SIGTERM handler already.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM until the block ends, then deliver them (main thread only).

    xarray's netCDF lock is not safe against an exception raised by a signal handler while
    it is being taken: the interrupted write's own cleanup would then wait for it for ever.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = {
        sig: signal.signal(sig, lambda signum, frame: held.append(signum))
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum in dict.fromkeys(held):
            signal.raise_signal(signum)


def _same(path: Path, ident: tuple[int, int]) -> bool:
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == ident


def write_outputs(
    folder, writers: dict[str, Callable[[Path], object]], force: bool = False, *, folders=False
) -> list[Path]:
    """Write outputs into ``folder`` whole or not at all, replacing none unless ``force``.

    Parameters
    ----------
    folder : path-like
        Folder to write into; created if missing.
    writers : dict of str to callable
        Output name -> ``write(tmp_path)`` that writes the output's content to ``tmp_path``
        (an empty file, or an empty folder if ``folders``).
    force : bool
        Replace outputs that already exist.
    folders : bool
        The outputs are folders (a Zarr store), not files.

    Returns
    -------
    list of pathlib.Path
        The outputs written, in the order of ``writers``.

    Raises
    ------
    OutputExistsError
        If any output exists (or appears while writing) and ``force`` is false; then
        nothing of this call is left.
    OSError
        If a write fails, e.g. ``ENOSPC`` naming the output when the disk is full; then
        nothing of this call is left either.
    """
    folder = Path(folder)
    finals = [folder / name for name in writers]
    existing = [p for p in finals if os.path.lexists(p)]
    if existing and not force:
        raise OutputExistsError(existing)
    folder.mkdir(parents=True, exist_ok=True)
    temps: list[str] = []
    aside: list[tuple[Path, str]] = []  # replaced outputs, given back if this call fails
    claimed: list[tuple[Path, tuple[int, int]]] = []
    done = False
    with _sigterm_raises():
        try:
            for final, write in zip(finals, writers.values(), strict=True):
                temps.append(_make_temp(final, folders))
                _write_temp(temps[-1], write, final, folders)
            if force:
                for final in finals:
                    old = _set_aside(final)
                    if old is not None:
                        aside.append((final, old))
            for final, tmp in zip(finals, temps, strict=True):
                st = os.lstat(tmp)
                # the first name taken ends the claim: two runs claiming in the same order
                # cannot each hold some of the other's names, so one of them gets all
                _claim(tmp, final)
                claimed.append((final, (st.st_dev, st.st_ino)))
            done = True
        finally:
            if not done:  # whole or not at all: give back what this call had claimed
                _give_back(claimed, aside)
            for tmp in temps + [old for _, old in aside]:
                _remove_quietly(tmp)
    return finals


def _write_temp(tmp: str, write: Callable[[Path], object], final: Path, folders: bool) -> None:
    """``write(tmp)``, then give ``tmp`` the permissions a new file gets; a full disk is
    one ``OSError`` naming ``final``."""
    try:
        write(Path(tmp))
    except Exception as err:
        _close_left_open(tmp)
        full = _disk_full(err, final, final.parent)
        if full is not None:
            raise full from err
        raise
    os.chmod(tmp, (0o777 if folders else 0o666) & ~_UMASK)


def _give_back(claimed: list[tuple[Path, tuple[int, int]]], aside: list[tuple[Path, str]]) -> None:
    """Undo a failed call: remove the outputs it claimed, and put back the ones it set aside
    (unless another run's output has taken the name since: that one stays)."""
    for final, ident in claimed:
        if _same(final, ident):
            _remove_quietly(final)
    for final, old in aside:
        try:
            rename_noreplace(old, final)
        except OSError:
            pass


def _make_temp(final: Path, folder: bool, suffix: str = ".tmp") -> str:
    """A new, unique temporary next to ``final``, made exclusively by this process."""
    prefix = f".{final.name}."
    if folder:
        return tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=final.parent)
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=final.parent)
    os.close(fd)
    return tmp


def _write_one(path, write, force: bool) -> Path:
    """``write(tmp_path)`` into a new file at ``path``, atomically; an existing one needs
    ``force``."""
    path = Path(path)
    return write_outputs(path.parent, {path.name: write}, force)[0]


def _netcdf(ds: xr.Dataset) -> Callable[[Path], None]:
    """A writer of ``ds`` as netCDF that a signal cannot interrupt half-way."""

    def write(tmp: Path) -> None:
        with signals_held():
            ds.to_netcdf(tmp, engine="netcdf4")

    return write


def write_dataset(ds: xr.Dataset, path, force: bool = False) -> Path:
    """Write a Dataset to netCDF at ``path``, atomically; an existing file needs ``force``."""
    return _write_one(path, _netcdf(ds), force)


def atomic_write_text(path, text: str, force: bool = False) -> Path:
    """Write text to a new file at ``path``, atomically; an existing file needs ``force``."""
    return _write_one(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), force)


def check_variables(ds: xr.Dataset, names) -> list[str]:
    """``names`` after checking each is a variable of ``ds``; else an error listing them."""
    unknown = [n for n in names if n not in ds.data_vars]
    if unknown:
        raise InputError(
            f"variables: expected result variables such as "
            f"{', '.join(map(str, list(ds.data_vars)[:4]))}, "
            f"got {', '.join(map(str, unknown))}",
            option="variables",
        )
    return list(names)


def monthly_table(ds: xr.Dataset):
    """The monthly variables as a table (one row per month and scenario), units in headers.

    Month x hour detail stays in the Dataset (``results.nc``): it would repeat every row 24 times.
    """
    names = [k for k, v in ds.data_vars.items() if "time" in v.dims and "hour" not in v.dims]
    return units_table(ds, names)


def units_table(ds: xr.Dataset, names):
    """Variables of ``ds`` as a table (one row per coordinate combination), each column
    headed with its units (``npv_usd [USD]``) where it has any."""
    return (
        ds[names]
        .to_dataframe()
        .rename(
            columns={k: f"{k} [{ds[k].attrs['units']}]" for k in names if ds[k].attrs.get("units")}
        )
    )


def write_results(
    ds: xr.Dataset, summary: dict, out_dir, force: bool = False, extra: dict | None = None
) -> list[Path]:
    """Write ``results.nc`` (the whole Dataset), ``monthly.csv`` and ``summary.json``.

    Parameters
    ----------
    ds : xarray.Dataset
        A run's results.
    summary : dict
        Its headline figures (:func:`minecalc.results.summary_dict`).
    out_dir : path-like
        Folder to write into; created if missing.
    force : bool
        Replace files that already exist.
    extra : dict of str to callable, optional
        More files to write with them (see :func:`write_files`), e.g. figures.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    ValueError
        If ``out_dir`` is a file, or any output exists and ``force`` is false
        (then nothing is written).
    """
    writers = {
        "results.nc": _netcdf(ds),
        "monthly.csv": lambda tmp: monthly_table(ds).to_csv(tmp),
        "summary.json": lambda tmp: tmp.write_text(json.dumps(summary, indent=2) + "\n"),
        **(extra or {}),
    }
    return write_files(out_dir, writers, force)


def check_new(out_dir, names, force: bool = False) -> list[Path]:
    """The paths of ``names`` in ``out_dir``, after checking none exists (unless ``force``).

    Raises
    ------
    ValueError
        If ``out_dir`` is a file, or a file exists and ``force`` is false.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"out: expected a folder, got the file {out}", option="out")
    paths = [out / name for name in names]
    existing = [p for p in paths if os.path.lexists(p)]
    if existing and not force:
        raise OutputExistsError(existing)
    return paths


def write_files(out_dir, writers: dict, force: bool = False) -> list[Path]:
    """Write several files into a folder, whole or not at all, replacing none unless forced.

    See :func:`write_outputs`; this also refuses an ``out_dir`` that is a file.

    Parameters
    ----------
    out_dir : path-like
        Folder to write into; created if missing.
    writers : dict of str to callable
        File name -> ``write(tmp_path)`` that writes the file's content to ``tmp_path``.
    force : bool
        Replace files that already exist.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of ``writers``.

    Raises
    ------
    ValueError
        If ``out_dir`` is a file, or any of the files exists and ``force`` is false
        (then nothing is written).
    """
    check_new(out_dir, writers, force)
    return write_outputs(out_dir, writers, force)
