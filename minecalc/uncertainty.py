"""Random paths for Monte Carlo: BTC price, network growth and fees, month by month.

The default draws price and the network's hashrate together, by a stationary bootstrap of
their joint monthly moves in history (:mod:`minecalc.moves`), so that hashrate follows
price as it did. Geometric Brownian motion for the price, with the network drawn apart,
is the option kept for comparison. Every generator takes an explicit
``numpy.random.Generator`` (same seed, same numbers) and returns arrays with a leading
``paths`` axis and a trailing month axis, ready to be labelled and passed to
:func:`minecalc.model.run` as ``paths``.
"""

from __future__ import annotations

import dataclasses
import functools
import textwrap
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from . import history, model, moves, response
from .config import Response
from .errors import InputError
from .formatting import exceedance, money, percent, sig
from .model import variables
from .parallel import each
from .progress import Progress
from .protocol import SECONDS_PER_YEAR, TARGET_TIMESPAN_S

HALVING_2024_EPOCH = 840_672
"""First epoch after the April 2024 halving: the start of the epochs the independent
network draws resample."""

DRAW_BLOCK = 10_000
"""Paths per random stream: path ``i`` draws from stream ``i // DRAW_BLOCK`` of the seed,
so its numbers do not depend on how the paths are chunked (nor, for whole blocks, on how
many are drawn). A Monte Carlo evaluates at most this many paths at once."""

BAND_PATHS = 100_000
"""Paths whose monthly series of :data:`BANDED` give a Monte Carlo's bands: beyond, memory
would grow with the paths (1.4 KB each). Every path's own figures (NPV, BTC mined,
payback ...) are kept whatever the number."""

BANDED = ("fleet_btc_cumulative", "cumulative_cash_usd", "btc_price_usd")
"""The monthly series whose quantiles over the paths are the bands ``{name}_band``."""


def correlated_normals(rng, paths, n, rho):
    """Two (paths, n) arrays of standard normals with correlation ``rho`` month by month."""
    z1 = rng.standard_normal((paths, n))
    z2 = rho * z1 + np.sqrt(1 - rho**2) * rng.standard_normal((paths, n))
    return z1, z2


def gbm_price_paths(start_usd, median_growth_per_year, volatility_per_year, times_years, z):
    """BTC price by geometric Brownian motion, sampled at given times.

    Parameters
    ----------
    start_usd : float
        Price at time 0 [USD].
    median_growth_per_year : float
        Growth of the median price [fraction per year], > -1: 0 keeps the median flat.
    volatility_per_year : float
        Volatility ``sigma`` of the log price [1/sqrt(year)].
    times_years : array_like, shape (n,)
        Sample times, increasing, >= 0 [years].
    z : numpy.ndarray, shape (paths, n)
        Standard normal draws, one per sample (correlate them with other paths first).

    Returns
    -------
    numpy.ndarray, shape (paths, n)
        Prices [USD].

    Notes
    -----
    ``ln S(t_k) = ln S(t_{k-1}) + ln(1 + g) dt + sigma sqrt(dt) z_k``: the median price is
    ``S0 (1 + g)**t`` and the mean ``S0 (1 + g)**t exp(sigma**2 t / 2)``. A drift stated
    for the mean would let the median fall by ``sigma**2 / 2`` a year (18 % at 0.6).
    """
    dt = np.diff(np.concatenate([[0.0], np.asarray(times_years, dtype=np.float64)]))
    steps = np.log1p(median_growth_per_year) * dt + volatility_per_year * np.sqrt(dt) * z
    return start_usd * np.exp(np.cumsum(steps, axis=-1))


def stationary_bootstrap_indices(rng, n_obs, paths, n, mean_block):
    """Which historical month each path's month takes, by the stationary bootstrap.

    Parameters
    ----------
    rng : numpy.random.Generator
    n_obs : int
        Months of history to draw from.
    paths, n : int
        Paths and months drawn.
    mean_block : float
        Mean length of the blocks of consecutive months [months], >= 1; 1 draws every month
        on its own (the i.i.d. bootstrap, the very same numbers).

    Returns
    -------
    numpy.ndarray of int, shape (paths, n)
        Indices into the history.

    Notes
    -----
    Politis and Romano (1994): each month starts a new block at a uniformly drawn month
    with probability ``1 / mean_block``, else continues with the month after the last
    (wrapping round from the newest month to the oldest). Block lengths are geometric, so
    the resampled series is stationary and keeps the history's dependence over spans
    shorter than a block. Written here rather than taken from ``arch`` because its
    bootstraps loop over replications in Python; this steps through months instead,
    every path at once.
    """
    fresh = rng.integers(n_obs, size=(paths, n))
    if mean_block <= 1:
        return fresh
    jump = rng.random((paths, n)) < 1.0 / mean_block
    idx = fresh  # filled in place: month j of the fresh draws is read before it is replaced
    for j in range(1, n):
        idx[:, j] = np.where(jump[:, j], fresh[:, j], (idx[:, j - 1] + 1) % n_obs)
    return idx


def joint_paths(history_moves, rng, paths, drift_per_month, mean_block):
    """Joint monthly moves of several series, resampled in blocks and recentred.

    Parameters
    ----------
    history_moves : array_like, shape (n_obs, k)
        Historical monthly log changes of ``k`` series, month by month [1].
    rng : numpy.random.Generator
    paths : int
    drift_per_month : array_like, shape (k, n)
        Log change each series is given on average in each month drawn [1]: the
        history's own mean is taken out first, so the trend is the caller's.
    mean_block : float
        Mean block length [months] (:func:`stationary_bootstrap_indices`).

    Returns
    -------
    numpy.ndarray, shape (k, paths, n)
        Log changes [1].
    """
    h = np.asarray(history_moves, dtype=np.float64)
    drift = np.asarray(drift_per_month, dtype=np.float64)
    idx = stationary_bootstrap_indices(rng, h.shape[0], paths, drift.shape[-1], mean_block)
    centred = (h - h.mean(axis=0)).T  # (k, n_obs)
    return centred[:, idx] + drift[:, None, :]


def epoch_log_changes(start_height=HALVING_2024_EPOCH):
    """Log difficulty changes per epoch of the packaged history since a height [-]."""
    return np.log(history.difficulty_changes(start_height))


def bootstrap_growth_factors(changes, rng, paths, edges_years):
    """Growth of the rest of the network by resampling epoch-to-epoch difficulty changes.

    Parameters
    ----------
    changes : array_like
        Historical log difficulty changes per epoch [-].
    rng : numpy.random.Generator
    paths : int
    edges_years : array_like, shape (n + 1,)
        Month edges [years], first 0.

    Returns
    -------
    numpy.ndarray, shape (paths, n + 1)
        Hashrate relative to the start at each edge [-] (1 at the first).

    Notes
    -----
    Each month draws the number of nominal epochs it spans (``month / 14 d``, rounded up)
    and scales their summed log change to the month's length, so a month of 30.4 days
    takes 3 draws weighted 30.4 / 42.
    """
    span_epochs = (
        np.diff(np.asarray(edges_years, dtype=np.float64)) * SECONDS_PER_YEAR / (TARGET_TIMESPAN_S)
    )
    k = int(np.ceil(span_epochs.max()))
    draws = rng.choice(np.asarray(changes), size=(paths, span_epochs.size, k))
    monthly = draws.sum(axis=-1) * span_epochs / k
    return _from_edge_zero(monthly)


def _from_edge_zero(log_changes):
    """Levels relative to the first edge from the log changes of the months after it."""
    paths = log_changes.shape[0]
    return np.exp(np.concatenate([np.zeros((paths, 1)), np.cumsum(log_changes, axis=-1)], -1))


def lognormal_growth_factors(growth_per_year, volatility_per_year, edges_years, z):
    """Growth of the rest of the network as a lognormal walk around a yearly trend.

    Returns
    -------
    numpy.ndarray, shape (paths, n + 1)
        Hashrate relative to the start at each edge [-].

    Notes
    -----
    ``ln H(t_k) - ln H(t_{k-1}) = (ln(1 + g) - s^2/2) dt + s sqrt(dt) z_k``.
    """
    dt = np.diff(np.asarray(edges_years, dtype=np.float64))
    steps = (np.log1p(growth_per_year) - volatility_per_year**2 / 2) * dt + (
        volatility_per_year * np.sqrt(dt) * z
    )
    return _from_edge_zero(steps)


def lognormal_fees(mean_btc, sigma, rng, paths, n):
    """Fees per block, lognormal each month with the given mean [BTC]."""
    return mean_btc * np.exp(sigma * rng.standard_normal((paths, n)) - sigma**2 / 2)


QUANTILES = (0.1, 0.5, 0.9)

OVER_PATHS: dict[str, Any] = {"solve_breakevens": False, "detail": (), "without_fleet": False}
"""How :func:`minecalc.model.run` runs over random paths: no breakevens solved per path, no
per-path detail, no fleet-free comparison."""


@dataclass(frozen=True)
class PathModel:
    """How Monte Carlo draws its paths of BTC price, network growth and fees.

    Attributes
    ----------
    price : {"joint", "gbm"}
        ``joint``: price and the rest of the network's hashrate drawn together, by a
        stationary bootstrap of their monthly moves over the calibration window
        (:func:`joint_paths`), recentred on ``median_growth_per_year`` and the scenario's
        growth. ``gbm``: geometric Brownian motion for the price, the network drawn apart.
    median_growth_per_year : float
        Growth of the median BTC price [fraction per year]; 0 keeps the median flat.
    volatility_per_year : float or None
        GBM volatility of the log price [1/sqrt(year)]; None takes the window's.
    network : {"bootstrap", "lognormal"} or None
        With ``gbm`` only: a bootstrap of the packaged epoch-to-epoch difficulty changes
        since the 2024 halving (None), or a lognormal walk around the scenario's yearly
        growth with ``network_volatility_per_year`` [1/sqrt(year)].
    fees_sigma : float
        Log standard deviation of monthly fees around the scenario's mean [1]. Fees are
        drawn apart: the packaged fee history (15 months in five separate runs) is too
        sparse to resample with the rest.
    correlation : float
        With ``gbm`` and a lognormal network: correlation of their shocks, month by month.
    block_months : float
        With ``joint``: mean length of the bootstrap's blocks of consecutive months.
    window_start, window_end : str or None
        Calibration window (``YYYY-MM``, both included) of the joint moves and of GBM's
        default volatility; None ends it at the newest month the history has.
    response : bool
        The other miners answer the fleet's effect on hashprice inside each path: the
        scenario's ``network.response``, or the law calibrated on history
        (:func:`minecalc.response.calibrate`) when it has none.
    network_growth_per_year : float or None
        The network's trend [fraction per year] (the joint draw's and the lognormal
        walk's); None takes the scenario's growth.
    """

    price: str = "joint"
    median_growth_per_year: float = 0.0
    volatility_per_year: float | None = None
    network: str | None = None
    network_volatility_per_year: float = 0.3
    fees_sigma: float = 0.5
    correlation: float = 0.0
    block_months: float = 6.0
    window_start: str = moves.WINDOW_START
    window_end: str | None = None
    response: bool = True
    network_growth_per_year: float | None = None


PATH_MODEL_BOUNDS = (
    ("median_growth_per_year", -0.95, 5.0),
    ("volatility_per_year", 0.0, 5.0),
    ("network_volatility_per_year", 0.0, 5.0),
    ("fees_sigma", 0.0, 5.0),
    ("correlation", -1.0, 1.0),
    ("block_months", 1.0, 120.0),
    ("network_growth_per_year", -0.95, 5.0),
)
"""The finite range of each number of :class:`PathModel` (the command line's too)."""

PRICE_MODELS = ("joint", "gbm")
NETWORK_MODELS = ("bootstrap", "lognormal")


def checked(path_model: PathModel) -> PathModel:
    """``path_model`` with its defaults resolved (GBM's volatility, the window's end), or
    an :class:`~minecalc.errors.InputError` naming the field that is out of range."""
    for name, low, high in PATH_MODEL_BOUNDS:
        value = getattr(path_model, name)
        if value is not None and (not np.isfinite(value) or not low <= value <= high):
            raise InputError(f"{name}: expected a finite number from {low} to {high}, got {value}")
    if path_model.price not in PRICE_MODELS:
        raise InputError(
            f"price: expected {' or '.join(PRICE_MODELS)}, got {path_model.price!r}",
            option="price",
        )
    if path_model.network is not None and path_model.network not in NETWORK_MODELS:
        raise InputError(
            f"network: expected {' or '.join(NETWORK_MODELS)}, got {path_model.network!r}",
            option="network",
        )
    if path_model.price == "joint" and path_model.network is not None:
        raise InputError(
            f"network: expected none with price joint (it draws the network with the "
            f"price), got {path_model.network!r}",
            option="network",
        )
    window = _window(path_model.window_start, path_model.window_end)
    volatility = path_model.volatility_per_year
    if volatility is None:
        volatility = float(window["log_price_change"].std() * np.sqrt(12))
    return dataclasses.replace(
        path_model,
        volatility_per_year=volatility,
        network=path_model.network or ("bootstrap" if path_model.price == "gbm" else None),
        window_end=str(window.index[-1]),
    )


@functools.lru_cache(maxsize=8)
def _window(start: str, end: str | None):
    return moves.monthly_moves(start, end)


def draw_paths(scenario, *, paths: int, seed: int, path_model: PathModel) -> xr.Dataset:
    """The random inputs of a Monte Carlo: BTC price, network factor and fees by path.

    Returns
    -------
    xarray.Dataset
        ``btc_price_usd`` (path, time) [USD], ``other_hashrate_factor`` (path, edge) [1],
        ``fees_btc_per_block`` (path, time) [BTC/block]: the model's ``paths``.
    """
    _whole("paths", paths)
    path_model = checked(path_model)
    return xr.concat(
        [_drawn_block(scenario, seed, block, paths, path_model) for block in _blocks(paths)],
        "path",
    )


def _whole(name: str, value) -> None:
    """Refuse a count (of paths, of paths at once) that is not a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError(f"{name}: expected a whole number of at least 1, got {value!r}")


def _blocks(paths: int) -> range:
    """The random streams ``paths`` paths draw from (:data:`DRAW_BLOCK`)."""
    return range(-(-paths // DRAW_BLOCK))


def _drawn_block(scenario, seed: int, block: int, paths: int, path_model: PathModel) -> xr.Dataset:
    """The paths of stream ``block`` of ``paths`` paths, labelled as :func:`draw_paths`."""
    first = block * DRAW_BLOCK
    count = min(DRAW_BLOCK, paths - first)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))
    edges = model.month_edges(scenario.start_date, scenario.horizon_months)
    edges_years = (edges - edges[0]).total_seconds().to_numpy() / SECONDS_PER_YEAR
    price, factors, fees = _draw(scenario, rng, count, path_model, edges_years)
    return xr.Dataset(
        {
            "btc_price_usd": (("path", "time"), price),
            "other_hashrate_factor": (("path", "edge"), factors),
            "fees_btc_per_block": (("path", "time"), fees),
        },
        coords={"path": np.arange(first, first + count)},
    )


def _draw(scenario, rng, paths, path_model: PathModel, edges_years):
    """Price, network factor and fees of ``paths`` paths from one stream."""
    dt = np.diff(edges_years)
    n = dt.size
    start_price = scenario.market.btc_price_usd
    growth = path_model.network_growth_per_year
    growth = model.growth_per_year(scenario) if growth is None else growth
    if path_model.price == "joint":
        window = _window(path_model.window_start, path_model.window_end)
        drift = np.log1p([[path_model.median_growth_per_year], [growth]])
        price_moves, network_moves = joint_paths(
            window.to_numpy(), rng, paths, drift * dt, path_model.block_months
        )
        price_moves[:, 0] *= 0.5  # from the start to the first month's middle
        price = start_price * np.exp(np.cumsum(price_moves, axis=-1))
        factors = _from_edge_zero(network_moves)
    else:
        z_price, z_network = correlated_normals(rng, paths, n, path_model.correlation)
        mid_years = (edges_years[1:] + edges_years[:-1]) / 2
        price = gbm_price_paths(
            start_price,
            path_model.median_growth_per_year,
            path_model.volatility_per_year,
            mid_years,
            z_price,
        )
        if path_model.network == "bootstrap":
            factors = bootstrap_growth_factors(epoch_log_changes(), rng, paths, edges_years)
        else:
            factors = lognormal_growth_factors(
                growth,
                path_model.network_volatility_per_year,
                edges_years,
                z_network,
            )
    fees = lognormal_fees(scenario.network.fees_btc_per_block, path_model.fees_sigma, rng, paths, n)
    return price, factors, fees


def responding(scenario, path_model: PathModel):
    """``scenario`` with the other miners' response the path model asks for: its own, the
    calibrated law when it has none, or as it is with ``response=False``."""
    if not path_model.response or scenario.network.response is not None:
        return scenario
    fit = response.calibrate()
    law = Response(elasticity=fit.elasticity, lag_months=fit.lag_months)
    return scenario.model_copy(
        update={"network": scenario.network.model_copy(update={"response": law})}
    )


def monte_carlo(
    scenario,
    paths=1000,
    seed=0,
    *,
    path_model: PathModel | None = None,
    chunks=None,
    scheduler=None,
    progress: Progress | None = None,
    **options,
):
    """Run a scenario over random paths of BTC price, network growth and fees.

    The paths are drawn and run a block at a time (:data:`DRAW_BLOCK`), on every core, and
    of each run only what the result holds is kept: memory stays bounded whatever the
    number of paths, and the numbers do not depend on the chunking.

    Parameters
    ----------
    scenario : Scenario
        The base scenario; its BTC price, growth and fees are the paths' starting points
        (its growth is the network's trend).
    paths : int
        Number of paths.
    seed : int
        Seed of the ``numpy.random.Generator``; same seed, same numbers.
    path_model : PathModel, optional
        How the paths are drawn; its fields may also be given by name (``price="gbm"``).
    chunks : int, optional
        Paths run at once (default and most: :data:`DRAW_BLOCK`); fewer use less memory.
    scheduler : str, optional
        Run the blocks as dask tasks there (:func:`minecalc.parallel.compute`) rather than
        on this machine's threads.
    progress : callable, optional
        ``progress(message, fraction)`` (:mod:`minecalc.progress`).
    **options
        Fields of :class:`PathModel`; the rest go to :func:`minecalc.model.run`
        (breakevens are not solved per path).

    Returns
    -------
    xarray.Dataset
        Every path's own figures (the run's variables without a time axis) on ``path``;
        what does not vary by path; the ``monte_carlo`` group of the registry
        (:mod:`minecalc.model.variables`): probabilities, quantiles of NPV and BTC mined,
        and 10th/50th/90th percentile bands per month (of the first :data:`BAND_PATHS`
        paths); the path model in ``attrs`` (``mc_*``). Monthly series by path are not
        kept: for those, run :func:`minecalc.model.run` on :func:`draw_paths`.
    """
    fields = {f.name for f in dataclasses.fields(PathModel)}
    path_model = dataclasses.replace(
        path_model or PathModel(), **{k: options.pop(k) for k in list(options) if k in fields}
    )
    path_model = checked(path_model)
    _whole("paths", paths)
    if chunks is not None:
        _whole("chunks", chunks)
    step = min(chunks or DRAW_BLOCK, DRAW_BLOCK)
    answering = responding(scenario, path_model)
    run_options = {**OVER_PATHS, **options}

    def block_runs(block: int) -> list[tuple[xr.Dataset, np.ndarray | None]]:
        drawn = _drawn_block(scenario, seed, block, paths, path_model)
        return [
            _kept(
                model.run(
                    answering,
                    paths=dict(part.data_vars),
                    monthly=_monthly(int(part.path[0])),
                    **run_options,
                )
            )
            for part in (
                drawn.isel(path=slice(a, a + step)) for a in range(0, drawn.sizes["path"], step)
            )
        ]

    runs = each(
        block_runs,
        _blocks(paths),
        scheduler=scheduler,
        progress=progress,
        message=f"Monte Carlo, {paths:,} paths",
    )
    ds = _joined([kept for block in runs for kept, _ in block])
    banded = [series for block in runs for _, series in block if series is not None]

    # each series' months in two halves: six even pieces of work keep both cores busy
    half = ds.sizes["time"] // 2
    pieces = [(k, rows) for k in range(len(BANDED)) for rows in (slice(0, half), slice(half, None))]

    def band_piece(piece: tuple[int, slice]) -> np.ndarray:
        k, rows = piece
        return _quantiles(np.concatenate([series[k][rows] for series in banded], axis=-1))

    done = each(band_piece, pieces)
    bands = {
        f"{v}_band": xr.DataArray(
            np.concatenate(done[2 * k : 2 * k + 2], axis=-1),
            coords={"quantile": list(QUANTILES), "time": ds.time},
        ).assign_attrs(variables.attrs(f"{v}_band"))
        for k, v in enumerate(BANDED)
    }
    return (
        ds.assign(risk(ds))
        .assign(bands)
        .assign_attrs(
            monte_carlo=f"paths={paths} seed={seed} price={path_model.price}"
            f" network={path_model.network or 'joint'}",
            **path_attrs(answering, paths=paths, seed=seed, path_model=path_model),
        )
    )


def _monthly(first_path: int) -> tuple[str, ...] | None:
    """The monthly series a run of paths from ``first_path`` on builds: all in the first
    (the result takes what does not vary by path from it, :func:`_joined`), then only
    those of the bands, for their first :data:`BAND_PATHS` paths."""
    if first_path == 0:
        return None
    return BANDED if first_path < BAND_PATHS else ()


def _kept(ds: xr.Dataset) -> tuple[xr.Dataset, np.ndarray | None]:
    """What a Monte Carlo keeps of a run over paths: all but the monthly series by path;
    and of the first :data:`BAND_PATHS` paths, those of :data:`BANDED` (series, time,
    path), for the bands."""
    monthly = [v for v, da in ds.data_vars.items() if {"path", "time"} <= set(da.dims)]
    banded = None
    if ds.path[0] < BAND_PATHS:
        banded = np.stack([ds[v].transpose("time", "path").values for v in BANDED])
    return ds.drop_vars(monthly), banded


def _joined(runs: list[xr.Dataset]) -> xr.Dataset:
    """The runs of consecutive paths as one Dataset on ``path``."""
    if len(runs) == 1:
        return runs[0]
    first = runs[0]
    by_path = [v for v, da in first.data_vars.items() if "path" in da.dims]
    return xr.merge(
        [first.drop_vars([*by_path, "path"]), xr.concat([run[by_path] for run in runs], "path")],
        combine_attrs="override",
    )


def _quantiles(values: np.ndarray) -> np.ndarray:
    """:data:`QUANTILES` of each row of ``values`` (rows, paths), in place (the paths'
    order is lost): shape (quantiles, rows). NaN-aware only where there is a NaN."""
    if np.isnan(values).any():
        return np.nanquantile(values, QUANTILES, axis=-1, overwrite_input=True)
    # numpy's default quantiles (its "linear" method, Hyndman and Fan's 7th), read off
    # sorted rows: numpy sorts (vectorized) faster than it selects the two order statistics
    # of each quantile, and np.quantile would select them again from the sorted rows
    values.sort(axis=-1)
    position = np.asarray(QUANTILES) * (values.shape[-1] - 1)
    below = np.floor(position).astype(np.intp)
    low, high = values[:, below], values[:, np.minimum(below + 1, values.shape[-1] - 1)]
    return (low + (high - low) * (position - below)).T


def path_attrs(scenario, *, paths: int, seed: int, path_model: PathModel) -> dict:
    """How the paths were drawn, as ``mc_*`` attributes of a Dataset: the path model (as
    :func:`checked` resolved it) and the response the runs had (elasticity 0: none)."""
    law = scenario.network.response
    return {
        "mc_paths": paths,
        "mc_seed": seed,
        "mc_start_price_usd": scenario.market.btc_price_usd,
        # netCDF attributes hold no None and no bool: "" for no network model of its own, 0
        # or 1 for a switch
        **{
            f"mc_{k}": "" if v is None else int(v) if isinstance(v, bool) else v
            for k, v in dataclasses.asdict(path_model).items()
        },
        "mc_response_elasticity": 0.0 if law is None else law.elasticity,
        "mc_response_lag_months": 0.0 if law is None else law.lag_months,
    }


def risk(ds: xr.Dataset) -> dict:
    """The registry's ``monte_carlo`` group over a run's ``path`` dimension: probabilities,
    quantiles, and the bands of the :data:`BANDED` series it holds (any other scenario
    dimensions kept)."""
    q = list(QUANTILES)

    def quantiles(da: xr.DataArray) -> xr.DataArray:
        # the NaN-aware quantile steps through each month in Python: only where needed
        return da.quantile(q, dim="path", skipna=bool(da.isnull().any()))

    over_paths = {
        "prob_npv_negative": (ds.npv_usd < 0).mean("path"),
        "prob_no_payback": np.isnan(ds.payback_months).mean("path"),
        "npv_usd_quantiles": quantiles(ds.npv_usd),
        "btc_total_quantiles": quantiles(ds.btc_total),
        **{f"{v}_band": quantiles(ds[v]) for v in BANDED if v in ds},
    }
    return {name: value.assign_attrs(variables.attrs(name)) for name, value in over_paths.items()}


def median_price_ratio(mc: xr.Dataset) -> float:
    """The median path's BTC price in the last month over the starting price [1]."""
    return (
        float(mc.btc_price_usd_band.sel(quantile=0.5).isel(time=-1))
        / mc.attrs["mc_start_price_usd"]
    )


def describe(mc: xr.Dataset) -> str:
    """The Monte Carlo model and its parameters in words, with the median price it implies.

    Parameters
    ----------
    mc : xarray.Dataset
        Output of :func:`monte_carlo`.

    Returns
    -------
    str
        A few sentences for any text that shows a probability of loss.
    """
    a = mc.attrs
    months = mc.sizes["time"]
    window = f"{a['mc_window_start']} to {a['mc_window_end']}"
    growth = f"median price {percent(a['mc_median_growth_per_year'])}/yr"
    trend = a.get("mc_network_growth_per_year", "")
    network = (
        "the scenario's network growth" if trend == "" else f"network growth {percent(trend)}/yr"
    )
    if a["mc_price"] == "joint":
        model_text = (
            f"BTC price and the rest of the network's hashrate drawn together: a stationary "
            f"bootstrap of their monthly moves {window} (mean block "
            f"{sig(a['mc_block_months'])} months), recentred on a {growth} and {network}"
        )
    else:
        if a["mc_network"] == "bootstrap":
            network = "a bootstrap of the epoch-to-epoch difficulty changes since the 2024 halving"
        else:
            network = (
                f"a lognormal walk around the scenario's growth, volatility "
                f"{percent(a['mc_network_volatility_per_year'])}/yr"
            )
        corr = a["mc_correlation"]
        model_text = (
            f"BTC price by geometric Brownian motion ({growth}, volatility "
            f"{percent(a['mc_volatility_per_year'])}/yr); the rest of the network drawn "
            f"apart: {network}"
            + (f", shocks correlated at {sig(corr)}" if corr and network != "bootstrap" else "")
        )
    law = (
        f"Other miners answer the fleet in each path (elasticity "
        f"{sig(a['mc_response_elasticity'])}, lag {sig(a['mc_response_lag_months'])} months)."
        if a["mc_response_elasticity"]
        else "Other miners do not answer the fleet."
    )
    return (
        f"{a['mc_paths']:,} paths (seed {a['mc_seed']}). {model_text}. The median of the BTC "
        f"price paths ends at {sig(median_price_ratio(mc))} times the starting price after "
        f"{months} months. {law} Fees: lognormal around the scenario's mean, log standard "
        f"deviation {sig(a['mc_fees_sigma'])}, drawn apart."
    )


def monte_carlo_summary(mc: xr.Dataset) -> dict:
    """The Monte Carlo's headline figures as plain Python (the JSON of ``montecarlo``).

    Quantiles are statistical: ``npv_usd_q10`` is the 10th percentile, the value that 90 %
    of paths exceed (a lender's P90). The keys ``npv_usd_p10`` ... ``btc_total_p90`` are
    deprecated aliases of the ``q`` keys, kept for one release.
    """
    out = {
        "paths": mc.attrs["mc_paths"],
        "seed": mc.attrs["mc_seed"],
        "prob_npv_negative": float(mc.prob_npv_negative),
        "prob_no_payback": float(mc.prob_no_payback),
        "median_price_ratio_at_horizon": median_price_ratio(mc),
        "price_model": describe(mc),
    }
    for var in ("npv_usd", "btc_total"):
        quantiles = mc[f"{var}_quantiles"]
        for q in quantiles["quantile"].values:
            out[f"{var}_q{round(100 * q)}"] = float(quantiles.sel(quantile=q))
    for var in ("npv_usd", "btc_total"):  # deprecated aliases, same values
        for q in (10, 50, 90):
            out[f"{var}_p{q}"] = out[f"{var}_q{q}"]
    return out


def monte_carlo_text(mc: xr.Dataset) -> str:
    """The Monte Carlo's headline figures for a terminal, in the lender's P-convention."""
    s = monte_carlo_summary(mc)
    lines = [
        f"{mc.attrs['title']}: Monte Carlo",
        "",
        f"  P(NPV < 0)      {percent(s['prob_npv_negative']):>10}",
        f"  P(no payback)   {percent(s['prob_no_payback']):>10}",
        "",
        f"  {'':<36}{'NPV':>14}{'BTC mined':>14}",
    ]
    for q in (10, 50, 90):
        label = exceedance(q / 100) if q != 50 else "P50 (median)"
        lines.append(f"  {label:<36}{money(s[f'npv_usd_q{q}']):>14}{sig(s[f'btc_total_q{q}']):>14}")
    lines += ["", *("  " + line for line in textwrap.wrap("Model: " + s["price_model"], 88))]
    return "\n".join(lines)
