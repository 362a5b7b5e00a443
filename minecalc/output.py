"""Writing a run's files: nothing a user already has is replaced without being asked.

Every file is written under a temporary name in its folder and renamed into place,
so an interrupted run leaves no half-written file behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import xarray as xr

from .errors import InputError, OutputExistsError

_UMASK = os.umask(0)
os.umask(_UMASK)


def _atomic_write(path: Path, write) -> None:
    """Call ``write(tmp_path)`` and rename the temporary file to ``path``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes it private; give it a normal file's mode
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _write_one(path, write, force: bool) -> Path:
    """``write(tmp_path)`` into a new file at ``path``, atomically; an existing one needs
    ``force``."""
    path = Path(path)
    if path.exists() and not force:
        raise OutputExistsError([path])
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, write)
    return path


def write_dataset(ds: xr.Dataset, path, force: bool = False) -> Path:
    """Write a Dataset to netCDF at ``path``, atomically; an existing file needs ``force``."""
    return _write_one(path, lambda tmp: ds.to_netcdf(tmp, engine="netcdf4"), force)


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
    table = ds[names].to_dataframe()
    return table.rename(
        columns={
            k: f"{k} [{ds[k].attrs['units']}]" if ds[k].attrs.get("units") else k for k in names
        }
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
        "results.nc": lambda tmp: ds.to_netcdf(tmp, engine="netcdf4"),
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
    existing = [p for p in paths if p.exists()]
    if existing and not force:
        raise OutputExistsError(existing)
    return paths


def write_files(out_dir, writers: dict, force: bool = False) -> list[Path]:
    """Write several files into a folder, atomically, refusing to replace any unless forced.

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
    paths = check_new(out_dir, writers, force)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    for path, write in zip(paths, writers.values(), strict=True):
        _atomic_write(path, write)
    return paths
