"""Random paths for Monte Carlo: BTC price, network growth and fees, month by month.

Every generator takes an explicit ``numpy.random.Generator`` (same seed, same numbers)
and returns arrays with a leading ``paths`` axis and a trailing month axis, ready to be
labelled and passed to :func:`minecalc.model.run` as ``paths``.
"""

from __future__ import annotations

import dataclasses
import textwrap
from dataclasses import dataclass

import numpy as np
import xarray as xr

from . import history, model
from .errors import InputError, require
from .formatting import exceedance, money, percent, sig
from .model import variables
from .parallel import compute
from .progress import Progress, tell
from .protocol import SECONDS_PER_YEAR, TARGET_TIMESPAN_S

HALVING_2024_EPOCH = 840_672
"""First epoch after the April 2024 halving: the default start of bootstrapped history."""


def correlated_normals(rng, paths, n, rho):
    """Two (paths, n) arrays of standard normals with correlation ``rho`` month by month."""
    z1 = rng.standard_normal((paths, n))
    z2 = rho * z1 + np.sqrt(1 - rho**2) * rng.standard_normal((paths, n))
    return z1, z2


def gbm_price_paths(start_usd, drift_per_year, volatility_per_year, times_years, z):
    """BTC price by geometric Brownian motion, sampled at given times.

    Parameters
    ----------
    start_usd : float
        Price at time 0 [USD].
    drift_per_year, volatility_per_year : float
        Drift ``mu`` and volatility ``sigma`` of the log price [1/year, 1/sqrt(year)].
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
    ``ln S(t_k) = ln S(t_{k-1}) + (mu - sigma^2/2) dt + sigma sqrt(dt) z_k``, so the
    mean price grows as ``exp(mu t)``.
    """
    dt = np.diff(np.concatenate([[0.0], np.asarray(times_years, dtype=np.float64)]))
    steps = (drift_per_year - volatility_per_year**2 / 2) * dt + volatility_per_year * np.sqrt(
        dt
    ) * z
    return start_usd * np.exp(np.cumsum(steps, axis=-1))


def monthly_log_returns():
    """Monthly log returns of the packaged BTC price history (monthly means) [-]."""
    table = history.load_price_history()
    return np.diff(np.log(table["btc_price_usd_mean"].to_numpy(dtype=np.float64)))


def bootstrap_price_paths(start_usd, returns, rng, paths, n):
    """BTC price paths resampling historical monthly log returns with replacement.

    Returns
    -------
    numpy.ndarray, shape (paths, n)
        Prices [USD] at the middle of each month (the first month moves half a draw).
    """
    draws = rng.choice(returns, size=(paths, n))
    draws[:, 0] *= 0.5  # from the start to the first month's middle
    return start_usd * np.exp(np.cumsum(draws, axis=-1))


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
    return np.exp(np.concatenate([np.zeros((paths, 1)), np.cumsum(monthly, axis=-1)], axis=-1))


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
    return np.exp(np.concatenate([np.zeros((z.shape[0], 1)), np.cumsum(steps, axis=-1)], axis=-1))


def lognormal_fees(mean_btc, sigma, rng, paths, n):
    """Fees per block, lognormal each month with the given mean [BTC]."""
    return mean_btc * np.exp(sigma * rng.standard_normal((paths, n)) - sigma**2 / 2)


QUANTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True)
class PathModel:
    """How Monte Carlo draws its paths of BTC price, network growth and fees.

    Attributes
    ----------
    price : {"gbm", "bootstrap"}
        Geometric Brownian motion with ``drift_per_year`` and ``volatility_per_year``, or
        a bootstrap of the packaged monthly returns (Jan 2024 - Aug 2026).
    drift_per_year, volatility_per_year : float
        GBM drift of the mean price [1/year] and volatility [1/sqrt(year)].
    network : {"bootstrap", "lognormal"}
        A bootstrap of the packaged epoch-to-epoch difficulty changes since the 2024
        halving, or a lognormal walk around the scenario's yearly growth with
        ``network_volatility_per_year`` [1/sqrt(year)].
    fees_sigma : float
        Log standard deviation of monthly fees around the scenario's mean [1].
    correlation : float
        Correlation of the price and network shocks, month by month (gbm and lognormal).
    """

    price: str = "gbm"
    drift_per_year: float = 0.0
    volatility_per_year: float = 0.6
    network: str = "bootstrap"
    network_volatility_per_year: float = 0.3
    fees_sigma: float = 0.5
    correlation: float = 0.0


PATH_MODEL_BOUNDS = (
    ("drift_per_year", -2.0, 2.0),
    ("volatility_per_year", 0.0, 5.0),
    ("network_volatility_per_year", 0.0, 5.0),
    ("fees_sigma", 0.0, 5.0),
    ("correlation", -1.0, 1.0),
)
"""The finite range of each number of :class:`PathModel` (the command line's too)."""


def draw_paths(scenario, *, paths: int, seed: int, path_model: PathModel) -> xr.Dataset:
    """The random inputs of a Monte Carlo: BTC price, network factor and fees by path.

    Returns
    -------
    xarray.Dataset
        ``btc_price_usd`` (path, time) [USD], ``other_hashrate_factor`` (path, edge) [1],
        ``fees_btc_per_block`` (path, time) [BTC/block]: the model's ``paths``.
    """
    if isinstance(paths, bool) or not isinstance(paths, int | np.integer) or paths < 1:
        raise InputError(f"paths: expected a whole number of at least 1, got {paths!r}")
    for name, low, high in PATH_MODEL_BOUNDS:
        value = getattr(path_model, name)
        if not np.isfinite(value) or not low <= value <= high:
            raise InputError(f"{name}: expected a finite number from {low} to {high}, got {value}")
    rng = np.random.default_rng(seed)
    edges = model.month_edges(scenario.start_date, scenario.horizon_months)
    edges_years = (edges - edges[0]).total_seconds().to_numpy() / SECONDS_PER_YEAR
    mid_years = (edges_years[1:] + edges_years[:-1]) / 2
    n = mid_years.size
    z_price, z_network = correlated_normals(rng, paths, n, path_model.correlation)
    start_price = scenario.market.btc_price_usd
    if path_model.price == "gbm":
        price_paths = gbm_price_paths(
            start_price,
            path_model.drift_per_year,
            path_model.volatility_per_year,
            mid_years,
            z_price,
        )
    elif path_model.price == "bootstrap":
        price_paths = bootstrap_price_paths(start_price, monthly_log_returns(), rng, paths, n)
    else:
        raise InputError(
            f"price: expected gbm or bootstrap, got {path_model.price!r}", option="price"
        )
    if path_model.network == "bootstrap":
        factors = bootstrap_growth_factors(epoch_log_changes(), rng, paths, edges_years)
    elif path_model.network == "lognormal":
        factors = lognormal_growth_factors(
            model.growth_per_year(scenario),
            path_model.network_volatility_per_year,
            edges_years,
            z_network,
        )
    else:
        raise InputError(
            f"network: expected bootstrap or lognormal, got {path_model.network!r}",
            option="network",
        )
    fees = lognormal_fees(scenario.network.fees_btc_per_block, path_model.fees_sigma, rng, paths, n)
    return xr.Dataset(
        {
            "btc_price_usd": (("path", "time"), price_paths),
            "other_hashrate_factor": (("path", "edge"), factors),
            "fees_btc_per_block": (("path", "time"), fees),
        },
        coords={"path": np.arange(paths)},
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

    Parameters
    ----------
    scenario : Scenario
        The base scenario; its BTC price, growth and fees are the paths' starting points
        (and the lognormal network's trend).
    paths : int
        Number of paths.
    seed : int
        Seed of the ``numpy.random.Generator``; same seed, same numbers.
    path_model : PathModel, optional
        How the paths are drawn; its fields may also be given by name
        (``price="bootstrap"``).
    chunks : int, optional
        Run through dask in chunks of this many paths (same numbers as in memory: the
        paths are drawn first).
    scheduler : str, optional
        With ``chunks``: see :func:`minecalc.parallel.compute`.
    progress : callable, optional
        ``progress(message, fraction)`` (:mod:`minecalc.progress`).
    **options
        Fields of :class:`PathModel`; the rest go to :func:`minecalc.model.run`
        (breakevens are not solved per path).

    Returns
    -------
    xarray.Dataset
        The run with a ``path`` dimension, plus the ``monte_carlo`` group of the
        registry (:mod:`minecalc.model.variables`): probabilities, quantiles of NPV and
        BTC mined, and 10th/50th/90th percentile bands per month; the path model in
        ``attrs`` (``mc_*``).
    """
    fields = {f.name for f in dataclasses.fields(PathModel)}
    path_model = dataclasses.replace(
        path_model or PathModel(), **{k: options.pop(k) for k in list(options) if k in fields}
    )
    drawn = draw_paths(scenario, paths=paths, seed=seed, path_model=path_model)
    run_options = {"solve_breakevens": False, "detail": (), "without_fleet": False, **options}
    message = f"Monte Carlo, {paths:,} paths"
    if chunks is None:
        tell(progress, message)
        ds = model.run(scenario, paths=dict(drawn.data_vars), **run_options)
    else:
        ds = _chunked(
            scenario,
            drawn,
            chunks=chunks,
            run_options=run_options,
            compute_options={"scheduler": scheduler, "progress": progress, "message": message},
        )
    return ds.assign(_risk(ds)).assign_attrs(
        monte_carlo=f"paths={paths} seed={seed} price={path_model.price} "
        f"network={path_model.network} correlation={path_model.correlation}",
        mc_paths=paths,
        mc_seed=seed,
        mc_start_price_usd=scenario.market.btc_price_usd,
        **{f"mc_{k}": v for k, v in dataclasses.asdict(path_model).items()},
    )


def _chunked(
    scenario, drawn: xr.Dataset, *, chunks: int, run_options: dict, compute_options: dict
) -> xr.Dataset:
    """The runs through dask, each chunk of paths one vectorized run (same numbers)."""
    require("dask", extra="scale", feature="chunks")

    def run(block):
        return model.run(scenario, paths=dict(block.data_vars), **run_options)

    two = run(drawn.isel(path=slice(0, 2)))  # what varies by path, and what does not
    varying = [v for v in two.data_vars if "path" in two[v].dims]

    def run_paths(block):
        out = run(block)
        return xr.Dataset(
            {v: out[v].broadcast_like(block.path).transpose(*two[v].dims) for v in varying}
        )

    template = (
        two[varying]
        .isel(path=np.zeros(drawn.sizes["path"], dtype=int))
        .assign_coords(path=drawn.path)
    )
    lazy = xr.map_blocks(
        run_paths, drawn.chunk({"path": chunks}), template=template.chunk({"path": chunks})
    )
    (computed,) = compute(lazy, **compute_options)
    return computed.merge(two.drop_vars([*varying, "path"]))


def _risk(ds: xr.Dataset) -> dict:
    """The registry's ``monte_carlo`` group: probabilities, quantiles and bands."""
    q = list(QUANTILES)
    over_paths = {
        "prob_npv_negative": (ds.npv_usd < 0).mean("path"),
        "prob_no_payback": np.isnan(ds.payback_months).mean("path"),
        "npv_usd_quantiles": ds.npv_usd.quantile(q, dim="path"),
        "btc_total_quantiles": ds.btc_total.quantile(q, dim="path"),
        "fleet_btc_cumulative_band": ds.fleet_btc_cumulative.quantile(q, dim="path"),
        "cumulative_cash_usd_band": ds.cumulative_cash_usd.quantile(q, dim="path"),
        "btc_price_usd_band": ds.btc_price_usd.quantile(q, dim="path"),
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
        One or two sentences for any text that shows a probability of loss.
    """
    a = mc.attrs
    months = mc.sizes["time"]
    if a["mc_price"] == "gbm":
        price = (
            f"geometric Brownian motion with drift {percent(a['mc_drift_per_year'])}/yr "
            f"(of the mean price) and volatility {percent(a['mc_volatility_per_year'])}/yr"
        )
    else:
        price = "a bootstrap of the packaged monthly BTC returns"
    if a["mc_network"] == "bootstrap":
        network = "a bootstrap of the epoch-to-epoch difficulty changes since the 2024 halving"
    else:
        network = (
            f"a lognormal walk around the scenario's growth, volatility "
            f"{percent(a['mc_network_volatility_per_year'])}/yr"
        )
    corr = a["mc_correlation"]
    return (
        f"{a['mc_paths']:,} paths (seed {a['mc_seed']}). BTC price: {price}; the median "
        f"of its paths ends at {sig(median_price_ratio(mc))} times the starting price after "
        f"{months} "
        f"months. Rest of the network: {network}. Fees: lognormal around the scenario's mean, "
        f"log standard deviation {sig(a['mc_fees_sigma'])}."
        + (f" Price and network shocks correlated at {sig(corr)}." if corr else "")
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
