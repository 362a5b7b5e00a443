"""Figures of a run, a sweep, a tornado, a Monte Carlo, a Sobol analysis or the state's options.

Every helper follows the matplotlib convention ``plot_x(ds, *, ax=None, **kwargs) -> Axes``:
it draws on ``ax`` (a new figure when None), passes ``kwargs`` to the main artist, and
takes its axis labels and units from the Dataset's ``long_name`` and ``units`` attrs.
Colours come from the Okabe-Ito palette, which stays distinct under the common forms
of colour blindness; sequential maps are ``cividis``, diverging ones ``PuOr``.
"""

from __future__ import annotations

import textwrap

import matplotlib.dates as mdates
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import xarray as xr
from cycler import cycler
from matplotlib import pyplot as plt
from matplotlib.colors import TwoSlopeNorm

from .config import field_attrs, field_metadata
from .decision import LABELS
from .errors import InputError
from .formatting import clean, exceedance, mathtext_literal, money, percent, sig
from .model import variables
from .model.timeline import month_edges
from .results import SCENARIO_FREE_DIMS

COLORS = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
    "grey": "#999999",
}
"""The Okabe-Ito colour-blind-safe palette."""

STYLE = {
    "axes.prop_cycle": cycler(
        color=[
            COLORS[c]
            for c in ("blue", "orange", "green", "vermillion", "purple", "sky", "yellow", "black")
        ]
    ),
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": "medium",
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "legend.frameon": False,
    "legend.fontsize": "small",
    "figure.figsize": (8.0, 4.5),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "image.cmap": "cividis",
    "svg.fonttype": "none",
}
"""The house style; :func:`style` applies it."""

_SCALES = {"USD": ((1e9, "bn USD"), (1e6, "M USD"), (1e3, "k USD")), "1": ((1e12, "T"),)}
"""Readable multiples of a unit: (factor, unit label), largest first."""


def style():
    """Context manager applying :data:`STYLE`: ``with plotting.style(): ...``."""
    return plt.rc_context(STYLE)


def _axes(ax):
    """``ax``, or a new figure's axes in the house style."""
    if ax is not None:
        return ax
    with style():
        return plt.figure(layout="constrained").add_subplot()


def _scale(da: xr.DataArray, units: str | None = None):
    """Factor and unit label that keep the largest value of ``da`` readable."""
    units = da.attrs.get("units", "") if units is None else units
    peak = float(np.nanmax(np.abs(da.values))) if da.size else 0.0
    for factor, label in _SCALES.get(units, ()):
        if peak >= factor:
            return factor, label
    return 1.0, units


def label(da: xr.DataArray, units: str | None = None) -> str:
    """``"long name [units]"`` from a variable's attrs (``units`` overrides), drawn as
    written (:func:`minecalc.formatting.mathtext_literal`)."""
    units = da.attrs.get("units") if units is None else units
    name = da.attrs.get("long_name", da.name or "")
    return mathtext_literal(f"{name} [{units}]" if units not in (None, "") else name)


def _title(ds: xr.Dataset, what: str) -> str:
    """``"<scenario name>: what"``, the name drawn as written whatever it holds."""
    return mathtext_literal(f"{ds.attrs['title']}: {what}" if ds.attrs.get("title") else what)


def _finish(ax, ds: xr.Dataset, what: str, legend: str | None = "best", halving: bool = False):
    """The common end of a chart over time: halving mark, legend, date axis, title."""
    if halving:
        _mark_halving(ax, ds)
    if legend:
        ax.legend(loc=legend)
    ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: sig(v, 4)))
    _date_axis(ax)
    ax.set_title(_title(ds, what))
    return ax


def _date_axis(ax):
    locator = mdates.AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel("date [UTC]")


def _single(ds: xr.Dataset) -> None:
    """Refuse scenario dimensions where a helper draws one run."""
    extra = [str(d) for d in ds.dims if d not in SCENARIO_FREE_DIMS]
    if extra:
        raise InputError(
            f"{', '.join(extra)}: expected one run, got scenario dimensions; "
            f"select one scenario first, e.g. ds.isel({{'{extra[0]}': 0}})"
        )


def field_label(field: str, currency: str = "currency") -> tuple[str, str, float]:
    """A config field's plain label, the unit it is shown in and the factor to that unit.

    Label and units come from the schema (:func:`minecalc.config.field_metadata`), with
    the tariff's ``currency`` filled in; fractions and rates are shown in % (factor 100).

    Returns
    -------
    tuple of (str, str, float)
        e.g. ``("Energy price in the tariff currency", "PKR/kWh", 1.0)``; fields that are
        not numeric, or unknown, give ``(field, "", 1.0)``.
    """
    meta = field_metadata(field)
    if meta is None:
        return field, "", 1.0
    if meta.get("display_units") == "%":
        return meta["label"], "%", 100.0
    return meta["label"], field_attrs(field, currency)["units"], 1.0


def field_value(field: str, value: float, currency: str = "currency") -> str:
    """A config field's value in the unit of :func:`field_label`, e.g. ``16.9 PKR/kWh``."""
    _, units, factor = field_label(field, currency)
    text = sig(value * factor)
    return text if units in ("", "1") else f"{text} {units}"


def _field_labels(ds: xr.Dataset, fields, ranges=None) -> list:
    """Tick labels of config fields: plain name [units], and the low to high values if given."""
    currency = ds.attrs.get("tariff_currency", "currency")
    labels = []
    for f in fields:
        name, units, factor = field_label(f, currency)
        lines = textwrap.wrap(clean(f"{name} [{units}]" if units else name), 40)
        if ranges is not None:
            low, high = (sig(v * factor) for v in ranges[f])
            lines.append(f"{low} to {high}")
        labels.append("\n".join(map(mathtext_literal, lines)))  # escaped after the wrap
    return labels


def _mark_halving(ax, ds: xr.Dataset) -> None:
    """A dotted line at the first halving inside the run, if any."""
    if "halving_date" not in ds or np.isnat(ds.halving_date.values).all():
        return
    when = ds.halving_date.values.ravel()[0]
    ax.axvline(when, color=COLORS["grey"], linestyle=":", linewidth=1.2)
    ax.annotate(
        f"halving {pd.Timestamp(when):%Y-%m-%d}",
        (when, 0.0),
        xycoords=("data", "axes fraction"),
        xytext=(3, 3),
        textcoords="offset points",
        va="bottom",
        fontsize="small",
        color="dimgrey",
    )


def plot_btc(ds: xr.Dataset, *, ax=None, **kwargs):
    """Cumulative BTC mined, and what it is worth (the reserve, or the BTC sold).

    The right axis shows the reserve's value when BTC is held, else the cumulative USD
    value of the BTC sold. Where the run has it, a dashed line shows the BTC the fleet
    would mine if difficulty ignored it (self-dilution is the gap).
    """
    _single(ds)
    ax = _axes(ax)
    t = ds.time.values
    ax.plot(
        t,
        ds.fleet_btc_cumulative,
        color=COLORS["orange"],
        **{"label": "BTC mined", "linewidth": 2, **kwargs},
    )
    if "fleet_btc_undiluted" in ds:
        ax.plot(
            t,
            ds.fleet_btc_undiluted.cumsum("time"),
            color=COLORS["orange"],
            linestyle="--",
            linewidth=1,
            label="if difficulty ignored the fleet",
        )
    ax.set_ylabel(label(ds.fleet_btc_cumulative))
    ax.set_ylim(bottom=0)
    right = ax.twinx()
    held = float(ds.reserve_btc.max()) > 0
    value = ds.reserve_value_usd if held else ds.sales_usd.cumsum("time")
    value.attrs = (
        ds.reserve_value_usd.attrs
        if held
        else {"units": "USD", "long_name": "BTC sold, cumulative"}
    )
    factor, unit = _scale(value)
    right.plot(
        t,
        value / factor,
        color=COLORS["blue"],
        linewidth=1.5,
        label="reserve's value (right axis)" if held else "BTC sold, cumulative (right axis)",
    )
    right.set_ylabel(label(value, unit))
    right.set_ylim(bottom=0)
    right.grid(False)
    right.spines["right"].set_visible(True)
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper left")
    return _finish(ax, ds, "BTC mined and its value", legend=None)


def plot_cash_flow(ds: xr.Dataset, *, ax=None, **kwargs):
    """Monthly value of the BTC mined against energy, other operating costs and capex.

    Capex bars much taller than a month's operations are cut at the axis edge and
    labelled with their value, so the operating months stay readable.
    """
    _single(ds)
    ax = _axes(ax)
    mined = ds.btc_net * ds.btc_price_usd
    parts = [
        (ds.energy_cost_usd, "energy", COLORS["vermillion"]),
        (ds.opex_usd, "operations and fixed costs", COLORS["purple"]),
        (ds.capex_usd_by_month, "capex", COLORS["grey"]),
    ]
    operating = max(float(mined.max()), float((ds.energy_cost_usd + ds.opex_usd).max()))
    factor, unit = _scale(xr.DataArray(operating, attrs={"units": "USD"}))
    width = ds.period_days.values * 0.8 * np.timedelta64(86400, "s")
    t = ds.time.values + width / 8
    ax.bar(
        t,
        mined / factor,
        width=width,
        align="edge",
        color=COLORS["green"],
        **{"label": "value of BTC mined", **kwargs},
    )
    bottom = np.zeros(ds.sizes["time"])
    for part, name, color in parts:
        ax.bar(
            t,
            -part.values / factor,
            width=width,
            align="edge",
            bottom=bottom,
            color=color,
            label=name,
        )
        bottom = bottom - part.values / factor
    ax.axhline(0, color="black", linewidth=0.8)
    floor = -2.5 * operating / factor
    if bottom.min() < floor:
        ax.set_ylim(bottom=floor)
        k = int(np.argmin(bottom))
        ax.annotate(
            f"capex {money(ds.capex_usd_by_month.values[k])} (cut off)",
            (t[k], floor),
            xytext=(6, 6),
            textcoords="offset points",
            fontsize="small",
        )
    ax.set_ylabel(f"cash per month [{unit}]")
    ax.legend(loc="upper right", ncols=2)
    return _finish(ax, ds, "monthly revenue against costs", legend=None)


def plot_cumulative_cash(ds: xr.Dataset, *, ax=None, **kwargs):
    """Cumulative cash flow with the payback point (or a note that there is none)."""
    _single(ds)
    ax = _axes(ax)
    cash = ds.cumulative_cash_usd
    factor, unit = _scale(cash)
    ends = ds.time.values + ds.period_days.values * np.timedelta64(86400, "s")
    ax.plot(
        ends,
        cash / factor,
        color=COLORS["blue"],
        **{"label": "cumulative cash flow", "linewidth": 2, **kwargs},
    )
    ax.axhline(0, color="black", linewidth=0.8)
    payback = float(ds.payback_months)
    if np.isfinite(payback):
        when = pd.Timestamp(ds.time.values[0]) + pd.Timedelta(days=payback * 365.2425 / 12)
        ax.axvline(when, color=COLORS["green"], linestyle="--")
        ax.annotate(
            f"pays back after {sig(payback)} months",
            (when, 0),
            xytext=(6, 8),
            textcoords="offset points",
            color=COLORS["green"],
        )
    else:
        ax.annotate(
            "does not pay back within the horizon",
            (0.02, 0.92),
            xycoords="axes fraction",
            color=COLORS["vermillion"],
        )
    ax.set_ylabel(label(cash, unit))
    return _finish(ax, ds, "cumulative cash flow", legend=None)


def _month_steps(ds: xr.Dataset, *variables):
    """Month edges and each variable's monthly values, the last repeated, for ``where="post"``.

    A monthly mean drawn as a step over its month puts a change (the halving's drop) in
    the month it happens, not on a slope from the month before.
    """
    t = ds.time.values
    edges = np.append(t, t[-1] + ds.period_days.values[-1] * np.timedelta64(86400, "s"))
    return edges, [np.append(v.values, v.values[-1]) for v in variables]


def plot_hashprice(ds: xr.Dataset, *, ax=None, **kwargs):
    """Hashprice against hashcost, each month's mean over its month, the halving marked,
    losses shaded."""
    _single(ds)
    ax = _axes(ax)
    price, cost = ds.hashprice_usd_per_ph_day, ds.hashcost_usd_per_ph_day
    t, (p, c) = _month_steps(ds, price, cost)
    ax.step(
        t, p, where="post", color=COLORS["blue"], **{"label": "hashprice", "linewidth": 2, **kwargs}
    )
    if "hashprice_without_fleet_usd_per_ph_day" in ds:
        _, (alone,) = _month_steps(ds, ds.hashprice_without_fleet_usd_per_ph_day)
        ax.step(
            t,
            alone,
            where="post",
            color=COLORS["blue"],
            linestyle="--",
            linewidth=1,
            label="hashprice without the fleet",
        )
    ax.step(t, c, where="post", color=COLORS["vermillion"], linewidth=2, label="hashcost (energy)")
    ax.fill_between(
        t,
        p,
        c,
        where=p < c,
        step="post",
        color=COLORS["vermillion"],
        alpha=0.15,
        label="energy costs more than the BTC mined",
    )
    ax.set_ylabel(mathtext_literal(f"USD per PH/s per day [{price.attrs['units']}]"))
    ax.set_ylim(bottom=0)
    return _finish(ax, ds, "hashprice against hashcost", "best", halving=True)


def plot_difficulty(ds: xr.Dataset, *, ax=None, **kwargs):
    """Difficulty with the fleet and, where the run has it, without (dashed)."""
    _single(ds)
    ax = _axes(ax)
    factor, unit = _scale(ds.difficulty)
    t = ds.time.values
    ax.plot(
        t,
        ds.difficulty / factor,
        color=COLORS["blue"],
        **{"label": "with the fleet", "linewidth": 2, **kwargs},
    )
    if "difficulty_without_fleet" in ds:
        ax.plot(
            t,
            ds.difficulty_without_fleet / factor,
            color=COLORS["sky"],
            linestyle="--",
            linewidth=2,
            label="without the fleet",
        )
    ax.set_ylabel(label(ds.difficulty, unit))
    return _finish(ax, ds, "difficulty path", "upper left", halving=True)


def plot_network_share(ds: xr.Dataset, *, ax=None, **kwargs):
    """The fleet's share of blocks, diluted (h/(H+h)) and as if difficulty ignored it (h/H)."""
    _single(ds)
    ax = _axes(ax)
    t = ds.time.values
    share = 100 * ds.network_share
    ax.plot(
        t, share, color=COLORS["blue"], **{"label": "share of blocks", "linewidth": 2, **kwargs}
    )
    if "network_share_undiluted" in ds:
        naive = 100 * ds.network_share_undiluted
        ax.plot(
            t,
            naive,
            color=COLORS["orange"],
            linestyle="--",
            linewidth=1.5,
            label="if difficulty ignored the fleet (h / H)",
        )
        ax.fill_between(t, share, naive, color=COLORS["orange"], alpha=0.2, label="self-dilution")
    ax.set_ylabel(label(ds.network_share, "%"))
    ax.set_ylim(bottom=0)
    return _finish(ax, ds, "the fleet's share of the network", "upper right", halving=True)


def plot_response(ds: xr.Dataset, *, ax=None, **kwargs):
    """Other miners' hashrate without the fleet and with it (they respond), and the share of
    the fleet's hashrate they give back by switching off (right axis)."""
    _single(ds)
    if "displaced_hashrate_eh_s" not in ds:
        raise InputError(
            "displaced_hashrate_eh_s: expected a run with the fleet-free comparison "
            "(model.run(..., without_fleet=True)), got none"
        )
    ax = _axes(ax)
    t = ds.time.values
    ax.plot(
        t,
        ds.network_hashrate_without_fleet_eh_s,
        color=COLORS["sky"],
        linestyle="--",
        linewidth=2,
        label="other miners, without the fleet",
    )
    ax.plot(
        t,
        ds.other_hashrate_eh_s,
        color=COLORS["blue"],
        **{"label": "other miners, with the fleet", "linewidth": 2, **kwargs},
    )
    ax.fill_between(
        t,
        ds.other_hashrate_eh_s,
        ds.network_hashrate_without_fleet_eh_s,
        color=COLORS["sky"],
        alpha=0.3,
        label="displaced by the fleet",
    )
    ax.set_ylabel(label(ds.other_hashrate_eh_s))
    right = ax.twinx()
    given_back = 100 * ds.displaced_hashrate_eh_s / ds.fleet_hashrate_eh_s
    right.plot(
        t,
        given_back,
        color=COLORS["vermillion"],
        linewidth=1.5,
        label="share of the fleet's hashrate given back (right axis)",
    )
    right.set_ylabel("hashrate given back / fleet's hashrate [%]")
    right.set_ylim(bottom=0, top=max(5.0, 1.3 * float(given_back.max())))
    right.grid(False)
    right.spines["right"].set_visible(True)
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper left")
    return _finish(ax, ds, "how the other miners answer", legend=None)


def plot_dispatch(ds: xr.Dataset, *, ax=None, **kwargs):
    """Share of each hour the machines hash, month by month (availability x uptime x dispatch)."""
    if "run_by_hour" not in ds:
        raise InputError(
            "run_by_hour: expected a run with month x hour detail "
            "(model.run(..., record_epochs=True)), got none"
        )
    _single(ds)
    run = ds.run_by_hour
    ax = _axes(ax)
    months = pd.DatetimeIndex(ds.time.values)
    mesh = ax.pcolormesh(
        np.arange(25),
        np.arange(len(months) + 1),
        100 * run.transpose("time", "hour"),
        **{"cmap": "cividis", "vmin": 0, "vmax": 100, "rasterized": True, **kwargs},
    )
    ax.figure.colorbar(mesh, ax=ax, label="hashing [% of the hour]")
    step = 1 if len(months) <= 12 else 3 if len(months) <= 24 else 6
    ax.set_yticks(np.arange(0, len(months), step) + 0.5, [f"{m:%Y-%m}" for m in months[::step]])
    ax.invert_yaxis()
    ax.set_xticks(np.arange(0, 25, 3))
    ax.set_xlabel(label(ds.hour))
    ax.set_ylabel("month [YYYY-MM]")
    ax.grid(False)
    ax.set_title(_title(ds, "when the machines hash"))
    return ax


def plot_heatmap(
    ds: xr.Dataset,
    var: str = "npv_usd",
    *,
    x: str | None = None,
    y: str | None = None,
    level: float | None = 0.0,
    mark=None,
    ax=None,
    **kwargs,
):
    """A variable over two swept parameters, with the contour where it equals ``level``.

    Parameters
    ----------
    ds : xarray.Dataset
        A sweep (e.g. :func:`minecalc.sweep.sweep`) over at least two parameters.
    var : str
        Variable to map; after selecting, it must have exactly the two dimensions.
    x, y : str, optional
        Dimensions on the horizontal and vertical axes; default the variable's two.
    level : float or None
        Value of the contour drawn (0: the breakeven of NPV); None draws none.
    mark : (float, float), optional
        A point to mark, e.g. the base scenario's ``(x, y)`` values.
    """
    da = ds[var]
    dims = [str(d) for d in da.dims]
    if len(dims) != 2:
        raise InputError(f"{var}: expected two swept dimensions, got {tuple(dims)}")
    x = x or dims[0]
    y = y or next(d for d in dims if d != x)
    assert x is not None
    ax = _axes(ax)
    factor, unit = _scale(da)
    z = da.transpose(y, x).values / factor
    lo, hi = np.nanmin(z), np.nanmax(z)
    centre = 0.0 if level is None else level / factor
    norm = TwoSlopeNorm(centre, lo, hi) if lo < centre < hi else None
    (xs, x_label, fx), (ys, y_label, fy) = (_axis(ds, d) for d in (x, y))
    mesh = ax.pcolormesh(
        xs,
        ys,
        z,
        **{"shading": "nearest", "cmap": "PuOr", "norm": norm, "rasterized": True, **kwargs},
    )
    ax.figure.colorbar(mesh, ax=ax, label=label(da, unit))
    if level is not None and lo < centre < hi:
        lines = ax.contour(xs, ys, z, levels=[centre], colors="black", linewidths=1.5)
        text = mathtext_literal(f"{da.attrs.get('long_name', var)} = {sig(level)}")
        ax.clabel(lines, fmt=lambda _: text, fontsize="small")  # a str fmt would be %-formatted
    if mark is not None:
        ax.plot(
            mark[0] * fx,
            mark[1] * fy,
            marker="o",
            markersize=9,
            markerfacecolor="white",
            markeredgecolor="black",
            linestyle="none",
            label="this scenario",
        )
        ax.legend(loc="upper right", frameon=True)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(mticker.FuncFormatter(lambda v, _: sig(v, 4)))
    ax.grid(False)
    ax.set_title(_title(ds, f"{da.attrs.get('long_name', var)} over two parameters"))
    return ax


def _axis(ds: xr.Dataset, dim: str):
    """Values, label and factor of a swept dimension: a config field in its plain words and
    display unit (fractions in %), anything else as its attrs say."""
    if "." not in dim:
        return ds[dim].values, label(ds[dim]), 1.0
    name, units, factor = field_label(dim, ds.attrs.get("tariff_currency", "currency"))
    return ds[dim].values * factor, mathtext_literal(f"{name} [{units}]" if units else name), factor


def plot_tornado(t: xr.Dataset, var: str = "npv_usd", *, ax=None, **kwargs):
    """Tornado chart: ``var`` at each parameter's low and high value, widest swing on top.

    Parameters
    ----------
    t : xarray.Dataset
        Output of :func:`minecalc.sweep.tornado`.
    """
    ax = _axes(ax)
    low, high = t[var].sel(case="low"), t[var].sel(case="high")
    base = float(t[f"base_{var}"])
    order = np.argsort(np.abs(high - low).values)
    factor, unit = _scale(t[var])
    names = t.parameter.values[order]
    rows = np.arange(len(names))
    for values, case, color in ((low, "low", COLORS["sky"]), (high, "high", COLORS["vermillion"])):
        v = values.values[order] / factor
        ax.barh(
            rows,
            v - base / factor,
            left=base / factor,
            color=color,
            **{"label": f"at the {case} value", **kwargs},
        )
        source = t[f"{case}_value"].values[order]
        for r, end, name, value in zip(rows, v, names, source, strict=True):
            right = end >= base / factor
            shown = sig(value * field_label(name)[2])  # in the units of the tick label
            ax.annotate(
                shown,
                (end, r),
                xytext=(3 if right else -3, 0),
                textcoords="offset points",
                va="center",
                fontsize="x-small",
                ha="left" if right else "right",
            )
    ax.axvline(base / factor, color="black", linewidth=1)
    ax.margins(x=0.15)  # room for the value labels at the bar ends
    ranges = dict(
        zip(
            t.parameter.values,
            zip(t.low_value.values, t.high_value.values, strict=True),
            strict=True,
        )
    )
    ax.set_yticks(rows, _field_labels(t, names, ranges))
    ax.set_ylabel("input [units]: low to high value (also at the bar ends)")
    ax.set_xlabel(label(t[var], unit))
    ax.legend(loc="lower right")
    ax.set_title(_title(t, f"what moves {t[var].attrs.get('long_name', var)} most"))
    return ax


def plot_fan(mc: xr.Dataset, var: str = "cumulative_cash_usd", *, ax=None, **kwargs):
    """Monte Carlo fan: the band between the 10th and 90th percentiles of the paths (the
    middle 80 %) and their median, month by month.

    Parameters
    ----------
    mc : xarray.Dataset
        Output of :func:`minecalc.uncertainty.monte_carlo`; ``var`` must have its
        ``{var}_band`` quantiles there.
    """
    band = mc[f"{var}_band"]
    q = band["quantile"].values
    if not {0.1, 0.5, 0.9} <= set(np.round(q, 6)):
        raise InputError(f"{var}_band: expected quantiles 0.1, 0.5 and 0.9, got {list(q)}")
    ax = _axes(ax)
    factor, unit = _scale(band)
    t = mc.time.values
    low, median, high = (band.sel(quantile=q).values / factor for q in (0.1, 0.5, 0.9))
    ax.fill_between(
        t,
        low,
        high,
        color=COLORS["sky"],
        alpha=0.4,
        label="10th to 90th percentile of the paths (the middle 80 %)",
    )
    ax.plot(
        t,
        median,
        color=COLORS["blue"],
        **{"label": "median of the paths (50th percentile)", "linewidth": 2, **kwargs},
    )
    if var.endswith("_usd") and float(np.nanmin(low)) < 0 < float(np.nanmax(high)):
        ax.axhline(0, color="black", linewidth=0.8)
    described = xr.DataArray(name=var, attrs=variables.attrs(var))  # by path, if kept
    ax.set_ylabel(label(described, unit))
    return _finish(
        ax,
        mc,
        f"{described.attrs['long_name']}: {mc.sizes['path']:,} Monte Carlo paths",
        "best",
    )


def plot_npv_histogram(mc: xr.Dataset, *, ax=None, bins: int = 50, **kwargs):
    """Histogram of NPV over Monte Carlo paths, losses shaded, P(loss) in the legend.

    The quantile lines are named in the lender's convention (:func:`minecalc.formatting.
    exceedance`): P90 is the NPV exceeded in 90 % of the paths, the 10th percentile.
    """
    npv = mc.npv_usd
    if npv.dims != ("path",):
        raise InputError(f"npv_usd: expected dims ('path',), got {npv.dims}")
    ax = _axes(ax)
    factor, unit = _scale(npv)
    values = npv.values / factor
    _, edges, patches = ax.hist(
        values, bins=bins, **{"color": COLORS["blue"], "alpha": 0.85, **kwargs}
    )
    for patch, left in zip(patches, edges[:-1], strict=True):
        if left < 0:
            patch.set_facecolor(COLORS["vermillion"])
    ax.axvline(0, color="black", linewidth=1)
    loss = float((npv < 0).mean())
    ax.plot([], [], "s", color=COLORS["vermillion"], label=f"loss: P(NPV < 0) = {percent(loss)}")
    for q, style_ in ((0.1, "-."), (0.5, "--"), (0.9, ":")):
        value = np.quantile(values, q)
        name = "P50 (the median)" if q == 0.5 else exceedance(q)
        ax.axvline(
            value,
            color="dimgrey",
            linestyle=style_,
            linewidth=1.2,
            label=mathtext_literal(f"{name}: {sig(value)} {unit}"),
        )
    ax.legend(loc="upper right", frameon=True)  # a frame: the zero line may run behind it
    ax.set_xlabel(label(npv, unit))
    ax.set_ylabel("paths [count]")
    ax.set_title(_title(mc, f"NPV over {npv.size:,} Monte Carlo paths"))
    return ax


def plot_sobol(s: xr.Dataset, *, ranges=None, ax=None, **kwargs):
    """Sobol indices as bars: first order (S1) and total (ST), with their 95 % intervals.

    Parameters
    ----------
    s : xarray.Dataset
        Output of :func:`minecalc.sweep.sobol`.
    ranges : dict, optional
        ``field -> (low, high)`` the inputs were drawn from, shown under their names.
    """
    ax = _axes(ax)
    order = np.argsort(s.ST.values)[::-1]
    names = s.parameter.values[order]
    rows = np.arange(len(names))
    height = 0.38
    ax.barh(
        rows - height / 2,
        s.S1.values[order],
        height,
        xerr=s.S1_conf.values[order],
        color=COLORS["blue"],
        **{"label": "first order S1 (alone)", **kwargs},
    )
    ax.barh(
        rows + height / 2,
        s.ST.values[order],
        height,
        xerr=s.ST_conf.values[order],
        color=COLORS["orange"],
        label="total ST (with interactions)",
    )
    ax.set_yticks(rows, _field_labels(s, names, ranges))
    ax.invert_yaxis()
    ax.set_xlabel("share of the output's variance [1]")
    ax.set_ylabel("input [units]" + ("" if ranges is None else ": low to high value"))
    ax.set_xlim(left=0)
    ax.legend(loc="lower right")
    output = s.attrs.get("output", "output")
    output = "NPV" if output == "npv_usd" else output
    ax.set_title(_title(s, f"Sobol indices of {output} ({sig(s.attrs.get('evaluations'))} runs)"))
    return ax


OPTION_COLORS = {
    "idle": COLORS["grey"],
    "sell_power": COLORS["orange"],
    "state_mining": COLORS["blue"],
    "buy_btc": COLORS["purple"],
    "sell_elsewhere": COLORS["green"],
}
"""One colour per use of the surplus power, the same in every chart of the options."""


def _central(da: xr.DataArray) -> xr.DataArray:
    """A figure of the options as it is, or its median over the paths (attrs kept)."""
    return da.median("path", keep_attrs=True) if "path" in da.dims else da


def plot_options_npv(ds: xr.Dataset, *, ax=None, **kwargs):
    """NPV to the state of each option, incremental to idle: a bar each, with whiskers from
    P90 to P10 over the paths where there are paths (the bar is then their median).

    Parameters
    ----------
    ds : xarray.Dataset
        Output of :func:`minecalc.compare.compare` or :func:`~minecalc.compare.compare_paths`.
    """
    npv = ds.state_npv_usd
    ax = _axes(ax)
    factor, unit = _scale(npv)
    central = _central(npv).values
    options = [str(o) for o in ds.option.values]
    rows = np.arange(len(options))
    ax.barh(
        rows,
        central / factor,
        **{"color": [OPTION_COLORS[o] for o in options], "height": 0.6, **kwargs},
    )
    if "path" in npv.dims:
        low, high = npv.quantile([0.1, 0.9], "path").values / factor
        ax.errorbar(
            central / factor,
            rows,
            xerr=np.abs([central / factor - low, high - central / factor]),
            fmt="none",
            ecolor="black",
            capsize=4,
            label="P90 to P10 (the middle 80 % of paths)",
        )
        ax.legend(loc="best", frameon=True)
    best = int(np.argmax(central))
    ticks = [
        f"{LABELS[o]}{' (worth most)' if k == best else ''}\n{mathtext_literal(money(v))}"
        for k, (o, v) in enumerate(zip(options, central, strict=True))
    ]
    ax.set_yticks(rows, ticks)
    for k, tick in enumerate(ax.get_yticklabels()):
        tick.set_fontweight("bold" if k == best else "normal")
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: sig(v, 4)))
    ax.set_xlabel(label(npv, unit))
    ax.set_ylabel("option" + (": median over the paths" if "path" in npv.dims else ""))
    ax.grid(False, axis="y")
    paths = f", {ds.sizes['path']:,} paths" if "path" in ds.dims else ""
    ax.set_title(_title(ds, f"NPV to the state by option{paths}"))
    return ax


def plot_options_cash(ds: xr.Dataset, *, ax=None, **kwargs):
    """The state's cumulative cash flow in each option, incremental to idle, month by month
    (the median over the paths each month where there are paths).

    Each month's value is drawn at the month's end; the last month adds what is held.
    """
    cash = ds.state_cumulative_cash_usd
    ax = _axes(ax)
    factor, unit = _scale(cash)
    central = _central(cash)
    ends = month_edges(pd.Timestamp(ds.time.values[0]), ds.sizes["time"])[1:]
    for option in ds.option.values:
        o = str(option)
        ax.plot(
            ends,
            central.sel(option=option) / factor,
            color=OPTION_COLORS[o],
            **{
                "label": LABELS[o] + (" (the reference)" if o == "idle" else ""),
                "linewidth": 1 if o == "idle" else 2,
                "zorder": 3 if o == "idle" else 2,  # the reference stays visible on top
                **kwargs,
            },
        )
    # the registry's name is long: two lines keep it within the axis's height
    ax.set_ylabel("\n".join(textwrap.wrap(label(cash, unit), 36, break_long_words=False)))
    what = "cumulative cash by option" + (", medians" if "path" in ds.dims else "")
    return _finish(ax, ds, what, "best")


def _share_axis(ax, tariff: np.ndarray, share: xr.DataArray) -> list:
    """The share of the power the miners take at each tariff, on a right axis; its handles."""
    right = ax.twinx()
    right.step(
        tariff,
        100 * share,
        where="mid",
        color=COLORS["green"],
        linewidth=1.2,
        label="share of the power the miners take (right axis)",
    )
    right.set_ylabel("share of the power the miners take [%]")
    right.set_ylim(0, 105)
    right.grid(False)
    right.spines["right"].set_visible(True)
    return right.get_legend_handles_labels()[0]


def plot_tariff_curve(ds: xr.Dataset, *, ax=None, **kwargs):
    """Selling power to private miners at each tariff: the state's take and the miners' NPV
    at their hurdle rate, cost recovery, the proposed, best and exit tariffs marked, the
    tariffs at which miners come shaded and the share of the power they take (right axis).

    Parameters
    ----------
    ds : xarray.Dataset
        Output of :func:`minecalc.compare.compare` with sell_power (its ``tariffs`` group).
    """
    if "tariff_per_kwh" not in ds.dims:
        raise InputError(
            "tariff_per_kwh: expected a comparison with sell_power and its tariff curve "
            "(compare(..., solve_tariffs=True)), got none"
        )
    ax = _axes(ax)
    tariff = ds.tariff_per_kwh.values
    unit_kwh = ds.tariff_per_kwh.attrs["units"]
    take, miners = ds.state_take_by_tariff_usd, ds.miners_npv_by_tariff_usd
    factor, unit = _scale(xr.concat([take, miners], "curve").assign_attrs(units="USD"))
    come = ds.miners_share_by_tariff.values > 0
    if come.any():
        ax.fill_between(
            tariff,
            0,
            1,
            where=come,
            step="mid",  # as the share is drawn
            transform=ax.get_xaxis_transform(),
            color=COLORS["green"],
            alpha=0.12,
            label="private miners come",
        )
    ax.plot(
        tariff,
        take / factor,
        color=COLORS["blue"],
        **{"label": "the state's take (NPV)", "linewidth": 2, **kwargs},
    )
    ax.plot(
        tariff,
        miners / factor,
        color=COLORS["orange"],
        linewidth=2,
        label="private miners' NPV at their hurdle rate",
    )
    ax.axhline(0, color="black", linewidth=0.8)
    marks = (
        ("cost_recovery_per_kwh", "cost recovery", COLORS["vermillion"], "--"),
        ("sell_power_tariff_per_kwh", "proposed tariff", COLORS["black"], "-"),
        ("exit_tariff_per_kwh", "exit tariff", COLORS["grey"], ":"),
    )
    for name, what, color, line in marks:
        value = float(ds[name])
        if np.isfinite(value):
            ax.axvline(
                value,
                color=color,
                linestyle=line,
                linewidth=1.2,
                label=mathtext_literal(f"{what}: {sig(value, 4)} {unit_kwh}"),
            )
    best = float(ds.best_tariff_per_kwh)
    if np.isfinite(best):
        ax.plot(
            best,
            float(take.sel(tariff_per_kwh=best)) / factor,
            "o",
            color=COLORS["blue"],
            markersize=8,
            label=mathtext_literal(f"largest take: {sig(best, 4)} {unit_kwh}"),
        )
    else:  # no best tariff: the miners come at none
        ax.annotate(
            mathtext_literal(
                f"private miners come at no tariff from {sig(tariff[0])} to "
                f"{sig(tariff[-1])} {unit_kwh}"
            ),
            (0.98, 0.5),
            xycoords="axes fraction",
            ha="right",
            color=COLORS["vermillion"],
            bbox={"facecolor": "white", "edgecolor": "none"},
        )
    ax.set_xlabel(label(ds.tariff_per_kwh))
    ax.set_ylabel(mathtext_literal(f"NPV [{unit}]"))
    ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: sig(v, 4)))
    handles = ax.get_legend_handles_labels()[0]
    if come.any():
        handles += _share_axis(ax, tariff, ds.miners_share_by_tariff)
    ax.legend(handles=handles, loc="best", frameon=True)
    ax.set_title(_title(ds, "selling power to private miners at each tariff"))
    return ax
