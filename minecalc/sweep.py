"""Sweeps and one-at-a-time sensitivity: many scenarios in one vectorized model call.

A sweep gives each varied config field its own dimension, named by the field's path
(or one shared dimension for fields varied together, "zipped"). The model is called
once with those labelled arrays; nothing loops over scenarios.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike

from . import model
from .config import Scenario, config_from_dict, field_attrs
from .errors import InputError, OutputExistsError, require
from .parallel import check_scheduler, compute
from .progress import Progress

GROWTH = "network.hashrate_growth"


def _resolve(scenario: Scenario, field: str, first) -> tuple[Scenario, str]:
    """The model parameter behind a config field, and the scenario set up to use it.

    ``network.hashrate_growth.per_year`` (or per_epoch / per_month) becomes the
    ``network.hashrate_growth`` parameter; a scenario with another kind of growth is
    switched to this one, starting from ``first``.
    """
    if field.startswith(GROWTH + "."):
        kind = field.rsplit(".", 1)[1]
        if kind in ("per_epoch", "per_month", "per_year"):
            if scenario.network.hashrate_growth.kind != kind:
                scenario = with_overrides(scenario, [f"{field}={json.dumps(first)}"])
            return scenario, GROWTH
    if field not in model.PARAMETERS or field == GROWTH:
        allowed = [p for p in model.PARAMETERS if p != GROWTH] + [
            f"{GROWTH}.{k}" for k in ("per_epoch", "per_month", "per_year")
        ]
        close = difflib.get_close_matches(field, allowed, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise InputError(
            f"{field}: expected a field that can be swept{hint}, got one that "
            f"cannot; sweepable: {', '.join(allowed)}"
        )
    return scenario, field


def with_overrides(scenario: Scenario, overrides: Sequence[str]) -> Scenario:
    """The scenario with ``key.path=value`` overrides applied and validated."""
    return config_from_dict(scenario.to_dict(), overrides)


def _check(scenario: Scenario, field: str, values: np.ndarray) -> None:
    """Validate a varied field's values as the config file would.

    The schema's limits are intervals, so the smallest and largest values stand for all.
    """
    for value in {values.min().item(), values.max().item()}:
        with_overrides(scenario, [f"{field}={json.dumps(value)}"])


def _labelled(scenario: Scenario, field: str, values, dim: str):
    """One swept field: the scenario set up for it, its model parameter and its values on
    ``dim``, the field's values as a coordinate with its units."""
    array = np.asarray(values, dtype=np.float64)
    scenario, key = _resolve(scenario, field, array.flat[0].item())
    _check(scenario, field, array)
    coord = (dim, array, field_attrs(field, scenario.tariff.currency))
    return scenario, key, xr.DataArray(array, dims=dim, coords={field: coord})


def parameters(
    scenario: Scenario,
    grid: Mapping[str, ArrayLike] | None = None,
    zipped: Mapping[str, ArrayLike] | None = None,
    zipped_dim: str | None = None,
):
    """Labelled model parameters for a sweep, and the scenario they apply to.

    Parameters
    ----------
    scenario : Scenario
        The base scenario.
    grid : mapping of field path to values
        Each field gets its own dimension, named by the path, with the values as coordinate.
    zipped : mapping of field path to values
        Fields varied together along one dimension (all the same length).
    zipped_dim : str, optional
        Name of that dimension; default the paths joined by ``+``.

    Returns
    -------
    scenario : Scenario
        The base scenario, adjusted where a field needs it (growth kind).
    params : dict of str to xarray.DataArray
        Input for :func:`minecalc.model.run`.
    """
    params = {}
    for field, values in (grid or {}).items():
        scenario, key, params[key] = _labelled(scenario, field, values, field)
    if zipped:
        lengths = {np.size(v) for v in zipped.values()}
        if len(lengths) != 1:
            raise InputError(
                f"zipped: expected fields of one length, got lengths {sorted(lengths)}"
            )
        dim = zipped_dim or "+".join(zipped)
        for field, values in zipped.items():
            scenario, key, params[key] = _labelled(scenario, field, values, dim)
    return scenario, params


def sweep(
    scenario: Scenario,
    grid: Mapping[str, ArrayLike] | None = None,
    zipped: Mapping[str, ArrayLike] | None = None,
    *,
    zipped_dim: str | None = None,
    **run_options,
) -> xr.Dataset:
    """Run a scenario over a grid of values of any sweepable config fields, in one call.

    Parameters
    ----------
    scenario : Scenario
        The base scenario.
    grid, zipped, zipped_dim
        As in :func:`parameters`.
    **run_options
        Passed to :func:`minecalc.model.run`.

    Returns
    -------
    xarray.Dataset
        The model's results with one more dimension per varied field (or zipped group).

    Examples
    --------
    >>> ds = sweep(scenario, {"tariff.energy_price_per_kwh": np.linspace(15, 35, 21),
    ...                       "market.btc_price_usd": [40e3, 60e3, 90e3, 120e3]})
    >>> ds.npv_usd.dims
    ('tariff.energy_price_per_kwh', 'market.btc_price_usd')
    """
    scenario, params = parameters(scenario, grid, zipped, zipped_dim)
    return model.run(scenario, params, **run_options)


def tornado(
    scenario: Scenario, ranges: Mapping[str, tuple[float, float]], **run_options
) -> xr.Dataset:
    """One-at-a-time sensitivity: each field at its low and high value, the rest at base.

    Parameters
    ----------
    scenario : Scenario
        The base scenario.
    ranges : mapping of field path to (low, high)
        The values each field takes.
    **run_options
        Passed to :func:`minecalc.model.run`.

    Returns
    -------
    xarray.Dataset
        The scalar results (no ``time``) on dimensions ``parameter`` and ``case``
        (``low``, ``high``), plus ``base_*`` copies of them at the base scenario; the
        low and high inputs as ``low_value`` / ``high_value``.

    Notes
    -----
    All 2 P + 1 cases run in one vectorized call: every varied field is an array over
    a ``tornado_case`` dimension that holds its base value except in its own two cases.
    """
    fields = list(ranges)
    n = 2 * len(fields) + 1
    zipped = {}
    for i, field in enumerate(fields):
        low, high = (float(v) for v in ranges[field])
        if field.startswith(GROWTH + ".") and field.rsplit(".", 1)[1] != (
            scenario.network.hashrate_growth.kind
        ):
            raise InputError(
                f"{field}: expected the scenario's own kind of growth "
                f"({scenario.network.hashrate_growth.kind}) for a tornado, "
                f"got {field.rsplit('.', 1)[1]}"
            )
        scenario, key = _resolve(scenario, field, low)
        values = np.full(n, float(model.base_parameters(scenario)[key]))
        values[2 * i + 1], values[2 * i + 2] = low, high
        zipped[field] = values
    ds = sweep(scenario, zipped=zipped, zipped_dim="tornado_case", **run_options)
    scalars = ds[
        [
            k
            for k, v in ds.data_vars.items()
            if "time" not in v.dims
            and "epoch" not in v.dims
            and "halving" not in v.dims
            and "project_year" not in v.dims
        ]
    ]
    scalars = scalars.broadcast_like(ds.tornado_case).drop_vars(list(zipped))

    cases = xr.DataArray(
        np.arange(1, n).reshape(len(fields), 2),
        dims=("parameter", "case"),
        coords={"parameter": fields, "case": ["low", "high"]},
    )
    out = scalars.isel(tornado_case=cases).drop_vars("tornado_case")
    for name in scalars.data_vars:
        out[f"base_{name}"] = scalars[name].isel(tornado_case=0, drop=True)
        out[f"base_{name}"].attrs = {
            **scalars[name].attrs,
            "long_name": "base case: " + scalars[name].attrs["long_name"],
        }
    inputs = np.array([ranges[f] for f in fields], dtype=np.float64)
    out["low_value"] = xr.DataArray(
        inputs[:, 0], dims="parameter", attrs={"units": "", "long_name": "low value of the input"}
    )
    out["high_value"] = xr.DataArray(
        inputs[:, 1], dims="parameter", attrs={"units": "", "long_name": "high value of the input"}
    )
    out.attrs = ds.attrs
    return out


def sobol_indices(
    names: Sequence[str],
    bounds: Sequence[tuple[float, float]],
    evaluate,
    n: int = 1024,
    seed: int = 0,
) -> xr.Dataset:
    """First-order and total Sobol indices of a function of uniform inputs (SALib).

    Parameters
    ----------
    names : sequence of str
        Input names.
    bounds : sequence of (low, high)
        Uniform ranges of the inputs.
    evaluate : callable
        Maps a sample matrix ``(rows, len(names))`` to outputs ``(rows,)``, all at once.
    n : int
        Base sample size, a power of 2 (Sobol sequence); ``n (k + 2)`` evaluations.
    seed : int
        Seed of the sampler and the bootstrap confidence intervals.

    Returns
    -------
    xarray.Dataset
        ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` on dimension ``parameter``.
    """
    if n < 2 or n & (n - 1):
        raise InputError(f"n: expected a power of 2 (Sobol sequence), got {n}")
    from SALib.analyze import sobol as sobol_analyze  # imported on use: slow to import
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": len(names), "names": list(names), "bounds": [list(b) for b in bounds]}
    samples = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    outputs = np.asarray(evaluate(samples), dtype=np.float64)
    # SALib ignores a seed of 0 (it tests `if seed:`), which made the bootstrap confidence
    # intervals change from run to run: give the analysis its own nonzero seed.
    result = sobol_analyze.analyze(problem, outputs, calc_second_order=False, seed=seed + 1)
    long_names = {
        "S1": "first-order Sobol index",
        "S1_conf": "95 % confidence of S1",
        "ST": "total Sobol index",
        "ST_conf": "95 % confidence of ST",
    }
    return xr.Dataset(
        {
            k: ("parameter", result[k], {"units": "1", "long_name": v})
            for k, v in long_names.items()
        },
        coords={"parameter": list(names)},
        attrs={"evaluations": samples.shape[0], "n": n, "seed": seed},
    )


def sobol(
    scenario: Scenario,
    ranges: Mapping[str, tuple[float, float]],
    output: str = "npv_usd",
    n: int = 1024,
    seed: int = 0,
    **run_options,
) -> xr.Dataset:
    """Which inputs drive a result: Sobol indices of a scalar output over uniform ranges.

    Every sample runs in one vectorized model call (a zipped sweep over ``sample``).

    Parameters
    ----------
    scenario : Scenario
        The base scenario.
    ranges : mapping of field path to (low, high)
        Sweepable fields and their uniform ranges.
    output : str
        A scalar result of the model, e.g. ``npv_usd`` or ``btc_total``.
    n, seed
        As in :func:`sobol_indices`.
    **run_options
        Passed to :func:`minecalc.model.run`.

    Returns
    -------
    xarray.Dataset
        As :func:`sobol_indices`, with the output's name in ``attrs``.
    """
    fields = list(ranges)

    def evaluate(samples):
        ds = sweep(
            scenario,
            zipped=dict(zip(fields, samples.T, strict=True)),
            zipped_dim="sample",
            **{"solve_breakevens": False, **run_options},
        )
        if output not in ds or "time" in ds[output].dims:
            raise InputError(f"output: expected a scalar result such as npv_usd, got {output!r}")
        return ds[output].broadcast_like(ds.sample).values

    out = sobol_indices(fields, [ranges[f] for f in fields], evaluate, n, seed)
    return out.assign_attrs(
        output=output, title=scenario.name, tariff_currency=scenario.tariff.currency
    )


def lazy_sweep(
    scenario: Scenario,
    grid: Mapping[str, ArrayLike],
    chunks: Mapping[str, int] | int,
    variables: Sequence[str] | None = None,
    **run_options,
) -> xr.Dataset:
    """A sweep as a lazy, chunked (dask) Dataset: nothing runs until it is computed or written.

    Parameters
    ----------
    scenario : Scenario
        The base scenario.
    grid : mapping of field path to values
        As in :func:`sweep`.
    chunks : int or mapping of field path to int
        Chunk length along each swept dimension (an int applies to all). Each chunk
        is one vectorized model run; keep chunk x months x variables near 100 MB.
    variables : sequence of str, optional
        Keep only these result variables (all by default).
    **run_options
        Passed to :func:`minecalc.model.run` (per-epoch records and breakeven root
        finding are off: their sizes differ from chunk to chunk).

    Returns
    -------
    xarray.Dataset
        Every variable on all swept dimensions, backed by dask; write it with
        ``to_zarr`` or ``to_netcdf`` so no more than a few chunks are in memory.
    """
    require("dask", extra="scale", feature="chunks")
    import dask.array as da

    scenario, params = parameters(scenario, grid)
    dims = list(grid)
    chunks = {d: chunks for d in dims} if isinstance(chunks, int) else dict(chunks)
    options = {**run_options, "record_epochs": False, "solve_breakevens": False}
    keys = dict(zip(grid, params, strict=True))

    def block(inputs: xr.Dataset) -> xr.Dataset:
        sub = {
            keys[f]: xr.DataArray(inputs[f"value:{f}"].values, dims=f, coords={f: inputs[f].values})
            for f in dims
        }
        out = model.run(scenario, sub, **options)
        out = out.drop_vars([v for v in out.data_vars if "project_year" in out[v].dims])
        if variables is not None:
            unknown = sorted(set(variables) - set(out.data_vars))
            if unknown:
                raise InputError(f"variables: expected results of the model, got {unknown}")
            out = out[list(variables)]
        # every variable on every swept dimension, so all chunks have one shape
        grid_coords = xr.Dataset(coords={d: inputs[d] for d in dims})
        return out.map(lambda v: v.broadcast_like(grid_coords).transpose(*dims, ...))

    # The swept values are chunked data variables: chunking an index coordinate does nothing.
    inputs = xr.Dataset(
        {f"value:{f}": (f, np.asarray(v, dtype=np.float64)) for f, v in grid.items()},
        coords={f: np.asarray(v, dtype=np.float64) for f, v in grid.items()},
    )
    one = block(inputs.isel({d: slice(0, 1) for d in dims}))
    template = xr.Dataset(
        {
            name: (
                var.dims,
                da.empty(
                    tuple(inputs.sizes.get(d, var.sizes[d]) for d in var.dims),
                    chunks=tuple(chunks.get(str(d), -1) for d in var.dims),
                    dtype=var.dtype,
                ),
                var.attrs,
            )
            for name, var in one.data_vars.items()
        },
        coords={**{c: one[c] for c in one.coords if c not in dims}, **{d: inputs[d] for d in dims}},
        attrs=one.attrs,
    )
    return xr.map_blocks(block, inputs.chunk(chunks), template=template)


def write_lazy(
    ds: xr.Dataset,
    path,
    force: bool = False,
    scheduler: str | None = None,
    *,
    progress: Progress | None = None,
) -> None:
    """Compute a lazy Dataset chunk by chunk into Zarr (``.zarr``) or netCDF, with progress.

    Parameters
    ----------
    ds : xarray.Dataset
        A dask-backed Dataset (e.g. from :func:`lazy_sweep`).
    path : path-like
        ``*.zarr`` (a folder) or ``*.nc``; an existing one needs ``force``.
    force : bool
        Replace an existing output.
    scheduler : str, optional
        A local scheduler's name or a ``dask.distributed`` address
        (:func:`minecalc.parallel.compute`); default the local threaded scheduler.
    progress : callable, optional
        ``progress(message, fraction)`` (:mod:`minecalc.progress`).
    """
    path = Path(path)
    if os.path.lexists(path) and not force:
        raise OutputExistsError([path])
    if path.suffix not in (".zarr", ".nc"):
        raise InputError(f"out: expected a .zarr or .nc path, got {path}", option="out")
    if path.suffix == ".zarr":
        require("zarr", extra="scale", feature="out")
    check_scheduler(scheduler)
    if scheduler is not None and "://" in scheduler:  # before anything is written
        require("distributed", extra="scale", feature="scheduler")
    from .output import signals_held, write_outputs

    def write(tmp: Path) -> None:
        with signals_held():  # the file's header and lock; the chunks may be interrupted
            delayed = (
                ds.to_zarr(tmp, mode="w", compute=False, consolidated=False)
                if path.suffix == ".zarr"
                else ds.to_netcdf(tmp, compute=False, engine="netcdf4")
            )
        compute(delayed, scheduler=scheduler, progress=progress, message=f"writing {path.name}")

    # A temporary of this process's own, claimed without replacing unless forced; a
    # failed or interrupted write leaves nothing behind.
    write_outputs(path.parent, {path.name: write}, force, folders=path.suffix == ".zarr")
