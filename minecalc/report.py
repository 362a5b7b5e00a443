"""A scenario's report: its figures (PNG and SVG), a multi-page PDF and a Markdown summary.

The report runs the scenario once, then the analyses a reader asks for next: a tariff x
BTC price map of NPV with its breakeven line, a tornado and Sobol indices over the main
inputs, and a Monte Carlo of price, network and fees. A scenario with an ``options`` block
also gets the state's options compared on the Monte Carlo's paths, on a decision page
first. Every number in the text comes from those results; nothing is typed in.
"""

from __future__ import annotations

import contextlib
import re
import textwrap
from collections.abc import Callable, Collection
from functools import partial
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib import pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages

from . import decision, fiscal, model, plotting, scenario_sets
from .compare import compare_paths
from .config import Scenario
from .formatting import clean, exceedance, markdown, mathtext_literal, money, percent, quantity, sig
from .output import check_new, write_files
from .progress import Progress, tell
from .results import headline, summary_dict
from .sweep import sobol, sweep, tornado
from .uncertainty import QUANTILES, describe, monte_carlo


class Chart(NamedTuple):
    """A chart page of the report."""

    draw: Callable
    """Draws it: takes the run's Dataset (run charts) or an :class:`Analysis`, returns Axes."""
    title: str
    """Its line in the contents."""
    caption: str | Callable
    """The text under it, or a function of the :class:`Analysis` that returns it."""


RUN_FIGURES = {
    "btc": Chart(
        plotting.plot_btc,
        "BTC mined and its value",
        "Cumulative BTC mined (left) "
        "and the USD value of the BTC sold or held (right). The dashed line is what "
        "the fleet would mine if difficulty ignored it: the gap is self-dilution, the "
        "fleet's own hashrate raising difficulty.",
    ),
    "cash_flow": Chart(
        plotting.plot_cash_flow,
        "Monthly revenue against costs",
        "Each month's "
        "value of the BTC mined (up) against the energy bill, operations and "
        "capital spending (down).",
    ),
    "cumulative_cash": Chart(
        plotting.plot_cumulative_cash,
        "Cumulative cash flow and payback",
        "Cumulative net cash flow, capex included; the plan pays back "
        "where the line crosses zero for good. The last month adds the "
        "reserve's value and the machines' salvage.",
    ),
    "hashprice": Chart(
        plotting.plot_hashprice,
        "Hashprice against hashcost",
        "Hashprice (what "
        "1 PH/s earns a day) against hashcost (what its energy costs a day), "
        "each month's mean drawn across its month. Shaded: months when the "
        "energy costs more than the BTC it mines. The halving (dotted line) "
        "halves the block subsidy; the month it falls in is partly before it.",
    ),
    "difficulty": Chart(
        plotting.plot_difficulty,
        "Difficulty with and without the fleet",
        "Difficulty with the fleet and without it: the network retargets to "
        "the fleet's hashrate within a few epochs.",
    ),
    "network_share": Chart(
        plotting.plot_network_share,
        "The fleet's share of blocks",
        "The "
        "fleet's share of blocks: h/(H+h) once difficulty has adjusted, "
        "against the naive h/H other calculators use.",
    ),
    "network_response": Chart(
        plotting.plot_response,
        "How the other miners answer",
        "The rest "
        "of the network without the fleet and with it: the least "
        "profitable miners switch off as the fleet cuts hashprice, "
        "giving part of its share back (right axis).",
    ),
    "dispatch": Chart(
        plotting.plot_dispatch,
        "When the machines hash",
        "Share of each hour "
        "the machines hash, month by month: seasonal availability, uptime and "
        "(with economic dispatch) the hours where mining beats the tariff.",
    ),
}
"""Charts of a single run, by file stem."""


class Analysis(NamedTuple):
    """The sensitivity and risk analyses of a report."""

    grid: xr.Dataset
    """NPV over tariff x BTC price."""
    tornado: xr.Dataset
    sobol: xr.Dataset
    monte_carlo: xr.Dataset
    base_point: tuple
    """The scenario's (tariff, BTC price) on the NPV map."""
    ranges: dict
    """``field -> (low, high)`` of the tornado and Sobol inputs."""
    options: xr.Dataset | None = None
    """The state's options over the Monte Carlo's paths (:func:`minecalc.compare.compare_paths`),
    when the scenario has an options block."""
    sets: xr.Dataset | None = None
    """Every named scenario set over the same number of paths
    (:func:`minecalc.scenario_sets.run`)."""


def _npv_map_caption(a: Analysis) -> str:
    tariff, price = a.base_point
    cur = a.grid.attrs.get("tariff_currency", "")
    return (
        "NPV over the tariff and the starting BTC price (its path scaled with it); the "
        f"circle is this scenario ({quantity(tariff, f'{cur}/kWh')}, {money(price)}). The "
        "black line is NPV = 0: combinations above and to the left of it make money."
    )


def _range_text(field: str, low: float, high: float, currency: str) -> str:
    """``16.9 to 28.1 PKR/kWh``: an input's low and high values in its display unit."""
    factor = plotting.field_label(field, currency)[2]
    return f"{sig(low * factor)} to {plotting.field_value(field, high, currency)}"


def _ranges_text(a: Analysis) -> str:
    """Each input's plain name with its low and high values."""
    cur = a.tornado.attrs.get("tariff_currency", "currency")
    return "; ".join(
        f"{plotting.field_label(f, cur)[0]} {_range_text(f, lo, hi, cur)}"
        for f, (lo, hi) in a.ranges.items()
    )


def _risk_text(mc: xr.Dataset) -> str:
    """P(loss) and the NPV quantiles, then the Monte Carlo model in words."""
    low, median, high = (money(float(mc.npv_usd_quantiles.sel(quantile=q))) for q in QUANTILES)
    return (
        f"The chance of losing money (NPV < 0) is {percent(float(mc.prob_npv_negative))}; "
        f"NPV {exceedance(0.1)}: {low}, P50 (the median): {median}, {exceedance(0.9)}: "
        f"{high}. Monte Carlo: {describe(mc)}"
    )


ANALYSIS_FIGURES = {
    "npv_map": Chart(
        lambda a: plotting.plot_heatmap(a.grid, "npv_usd", mark=a.base_point),
        "NPV over tariff and BTC price",
        _npv_map_caption,
    ),
    "tornado": Chart(
        lambda a: plotting.plot_tornado(a.tornado),
        "What moves NPV most (tornado)",
        lambda a: (
            "NPV when one input at a time moves to the low or "
            "high end of its range (values at the bar ends), the others held at the "
            "scenario's values. The widest bars matter most. Ranges, low to high: "
            + _ranges_text(a)
            + "."
        ),
    ),
    "sobol": Chart(
        lambda a: plotting.plot_sobol(a.sobol, ranges=a.ranges),
        "Sobol indices of NPV",
        lambda a: (
            "Sobol indices: the share of NPV's variance due to each "
            "input when all move at once, each uniformly over its range (alone: S1; with "
            "interactions: ST); bars show 95 % intervals. Ranges, low to high: "
            + _ranges_text(a)
            + "."
        ),
    ),
    "monte_carlo_fan": Chart(
        lambda a: plotting.plot_fan(a.monte_carlo),
        "Monte Carlo: cumulative cash flow",
        lambda a: (
            "Cumulative cash flow over "
            "Monte Carlo paths: the band holds the middle 80 % of the paths "
            "each month (10th to 90th percentile), the line is their median. "
            + _risk_text(a.monte_carlo)
        ),
    ),
    "npv_histogram": Chart(
        lambda a: plotting.plot_npv_histogram(a.monte_carlo),
        "Monte Carlo: NPV over the paths",
        lambda a: (
            "NPV across the Monte Carlo paths; "
            "bars left of zero (vermillion) are paths that lose money. " + _risk_text(a.monte_carlo)
        ),
    ),
}
"""Charts of the analyses, by file stem; their helpers and captions take an :class:`Analysis`."""


def _over_paths(ds: xr.Dataset) -> str:
    """``, the median over N Monte Carlo paths (...)`` for a comparison over paths, else
    nothing (its figures are the central run's)."""
    if "path" not in ds.dims:
        return ""
    return (
        f", the median over {sig(ds.sizes['path'])} Monte Carlo paths (the risk pages' "
        "paths, the same for every option)"
    )


def _tariff_caption(a: Analysis) -> str:
    assert a.options is not None, "the options' charts are drawn with a comparison"
    come = bool((a.options.miners_share_by_tariff > 0).any())
    return (
        "Selling the power to private miners at each tariff, on the scenario's own price and "
        "network (not the Monte Carlo's paths). The state's take is its NPV from the sale: "
        "the margin over cost recovery and the tax on the miners' profit, at the scenario's "
        "discount rate, zero where the miners stay away. The miners' NPV is at their hurdle "
        "rate; "
        + (
            "they come, in the shaded tariffs, while it is at least zero, taking the share of "
            "the power on the right axis. Below cost recovery (dashed) the tariff is a "
            "subsidy; above the exit tariff (dotted) even the smallest share stops paying."
            if come
            else "it is below zero at every tariff tried, so they never come. Below cost "
            "recovery (dashed) the tariff would be a subsidy."
        )
    )


DECISION_FIGURES = {
    "options_npv": Chart(
        lambda a: plotting.plot_options_npv(a.options),
        "What each option is worth to the state",
        lambda a: (
            "What each use of the surplus power is worth to the state (the treasury and the "
            "power sector): NPV incremental to leaving the power idle, at the scenario's "
            f"discount rate{_over_paths(a.options)}"
            + (
                "; the whiskers run from P90 to P10, the middle 80 % of the paths. "
                if "path" in a.options.dims
                else ". "
            )
            + decision.answer(a.options)[0]
        ),
    ),
    "options_cash": Chart(
        lambda a: plotting.plot_options_cash(a.options),
        "The state's cumulative cash flow by option",
        lambda a: (
            "The state's cumulative cash flow in each option, incremental to idle (the "
            f"reference, zero throughout){_over_paths(a.options)}, at each month's end. The "
            "last month adds the value of the BTC the state holds, so an option that holds "
            "BTC jumps there."
        ),
    ),
    "options_tariff": Chart(
        lambda a: plotting.plot_tariff_curve(a.options),
        "Selling power to private miners at each tariff",
        _tariff_caption,
    ),
}
"""Charts of the state's options, by file stem (drawn when the scenario has an options block);
their helpers and captions take an :class:`Analysis`."""

CHARTS = {**DECISION_FIGURES, **RUN_FIGURES, **ANALYSIS_FIGURES}
"""Every chart of the report, by file stem."""


def _caption_text(chart: Chart, analysis: Analysis | None) -> str:
    return chart.caption if isinstance(chart.caption, str) else chart.caption(analysis)


def omitted(ds: xr.Dataset) -> dict:
    """Run charts with nothing to show for this run: file stem -> why they are left out.

    The network's response when no other miner responds to the fleet, and the dispatch map
    when the machines hash the same share of every hour of every month.
    """
    why = {}
    displaced = ds.get("displaced_hashrate_eh_s")
    if displaced is None or float(abs(displaced).max()) <= 1e-6 * float(
        ds.fleet_nameplate_hashrate_eh_s
    ):
        why["network_response"] = (
            "other miners do not respond to the fleet in this scenario "
            "(network.response is off), so the rest of the network's "
            "hashrate is the same with and without it"
        )
    run = ds.get("run_by_hour")
    if run is None:
        why["dispatch"] = "this run has no month by hour detail"
    elif float(run.max() - run.min()) < 1e-9:
        why["dispatch"] = (
            f"the machines hash {percent(float(run.mean()))} of every hour in "
            "every month (the same availability all year, and dispatch never "
            "stops them), so the map would be a single colour"
        )
    return why


def chart_names(ds: xr.Dataset, analysis: bool = True, options: Collection[str] = ()) -> list:
    """File stems of the charts drawn for this run, in page order: the state's options
    (``options``, the kinds compared; the tariff curve with sell_power), the run's, the
    analyses'."""
    decided = [n for n in DECISION_FIGURES if n != "options_tariff" or "sell_power" in options]
    names = [n for n in RUN_FIGURES if n not in omitted(ds)]
    return (decided if options else []) + names + (list(ANALYSIS_FIGURES) if analysis else [])


def _compared(analysis: Analysis | None) -> tuple:
    """The options compared in ``analysis``; none without a comparison."""
    if analysis is None or analysis.options is None:
        return ()
    return tuple(str(o) for o in analysis.options.option.values)


def tornado_ranges(scenario: Scenario) -> dict:
    """Low and high values of the main inputs around the scenario, for tornado and Sobol.

    Relative ranges for prices and costs (tariff +-25 %, BTC price -50/+50 %, fees /3 and x3,
    hardware +-25 %, facilities +-50 %), absolute ones for rates (network growth +-20 points a
    year, discount rate +-4 points, PUE -0.05/+0.10); inputs at zero, or not in use, are left out.
    """
    base = model.base_parameters(scenario)
    ranges = {}

    def scaled(field, low, high):
        if base[field] > 0:
            ranges[field] = (base[field] * low, base[field] * high)

    scaled("tariff.energy_price_per_kwh", 0.75, 1.25)
    scaled("market.btc_price_usd", 0.5, 1.5)
    if model.growth(scenario)[0] != "path":
        g = model.growth_per_year(scenario)
        ranges["network.hashrate_growth.per_year"] = (
            round(max(g - 0.2, -0.5), 10),
            round(g + 0.2, 10),
        )
    scaled("network.fees_btc_per_block", 1 / 3, 3.0)
    pue = base["site.pue"]
    ranges["site.pue"] = (max(1.0, pue - 0.05), pue + 0.10)
    scaled("costs.hardware_usd_per_th", 0.75, 1.25)
    scaled("costs.infrastructure_usd_per_mw", 0.5, 1.5)
    rate = base["finance.discount_rate"]
    ranges["finance.discount_rate"] = (max(0.0, rate - 0.04), rate + 0.04)
    return ranges


def analyse(
    scenario: Scenario,
    *,
    paths: int = 2000,
    seed: int = 0,
    sobol_n: int = 256,
    progress: Progress | None = None,
) -> Analysis:
    """Run the report's analyses: NPV map, tornado, Sobol indices, Monte Carlo and every
    named scenario set, and with an options block the state's options over the Monte
    Carlo's paths.

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    paths : int
        Monte Carlo paths.
    seed : int
        Seed of the Monte Carlo and of the Sobol sample.
    sobol_n : int
        Sobol base sample, a power of 2.
    progress : callable, optional
        ``progress(message, fraction)``, told at each analysis (:mod:`minecalc.progress`).
    """
    base = model.base_parameters(scenario)
    tariff, price = base["tariff.energy_price_per_kwh"], base["market.btc_price_usd"]
    tell(progress, "NPV map over tariff and BTC price")
    grid = sweep(
        scenario,
        {
            "tariff.energy_price_per_kwh": np.linspace(0.0, 2 * max(tariff, 1e-3), 41),
            "market.btc_price_usd": np.geomspace(price / 4, price * 4, 41),
        },
        record_epochs=False,
        without_fleet=False,
    )
    ranges = tornado_ranges(scenario)
    tell(progress, "Tornado")
    tornado_ds = tornado(scenario, ranges)
    tell(progress, "Sobol indices")
    sobol_ds = sobol(scenario, ranges, "npv_usd", n=sobol_n, seed=seed)
    tell(progress, f"Monte Carlo, {sig(paths)} paths")
    mc = monte_carlo(scenario, paths=paths, seed=seed)
    tell(progress, "Scenario sets")
    sets = scenario_sets.run(scenario, scenario_sets.available(scenario), paths, seed)
    options = None
    if scenario.options is not None:
        tell(progress, f"The state's options, {sig(paths)} paths")
        options = compare_paths(scenario, paths, seed)  # the same draws as the Monte Carlo
    return Analysis(
        grid=grid[["npv_usd"]],
        tornado=tornado_ds,
        sobol=sobol_ds,
        monte_carlo=mc,
        base_point=(tariff, price),
        ranges=ranges,
        options=options,
        sets=sets,
    )


@contextlib.contextmanager
def open_figures(ds: xr.Dataset, analysis: Analysis | None = None):
    """The report's figures, ``name -> (matplotlib Figure, caption)``, closed on exit.

    The run's charts that have something to show (:func:`chart_names`); with ``analysis``
    those of :data:`ANALYSIS_FIGURES` after them, and of :data:`DECISION_FIGURES` before
    them when it compares the state's options.
    """
    figs = {}
    try:
        with plotting.style():
            for name in chart_names(ds, analysis is not None, _compared(analysis)):
                chart = CHARTS[name]
                data = ds if name in RUN_FIGURES else analysis
                figs[name] = (chart.draw(data).figure, _caption_text(chart, analysis))
        yield figs
    finally:
        for fig, _ in figs.values():
            plt.close(fig)


def key_figures(ds: xr.Dataset, analysis: Analysis | None = None) -> list[tuple[str, str]]:
    """The headline results (:func:`minecalc.results.headline`) as (label, value) rows."""
    rows = _rows_of(headline(summary_dict(ds)).values())
    if analysis is not None:
        rows += _risk_rows(analysis.monte_carlo)
        rows.append(("Input that moves NPV most (tornado)", _top_driver(analysis.tornado)))
    return rows


def fiscal_rows(ds: xr.Dataset, analysis: Analysis | None = None) -> list[tuple[str, str]]:
    """The fiscal summary (:mod:`minecalc.fiscal`) of a run or a comparison as (label,
    value) rows; with a Monte Carlo ``analysis``, the minimum DSCR's P90 over its paths."""
    paths = None if analysis is None else analysis.monte_carlo
    return _rows_of(fiscal.figures(ds, paths))


def _rows_of(figures) -> list[tuple[str, str]]:
    """Figures as (label, value and note) rows."""
    return [(f.label, f"{f.value} {f.note}".strip()) for f in figures]


def _risk_rows(mc: xr.Dataset) -> list[tuple[str, str]]:
    """P(loss) and NPV at the quantiles, named by exceedance (P90 is the 10th percentile)."""
    npv = {q: money(float(mc.npv_usd_quantiles.sel(quantile=q))) for q in QUANTILES}
    return [
        (
            f"Monte Carlo ({sig(mc.sizes['path'])} paths): P(NPV < 0)",
            percent(float(mc.prob_npv_negative)),
        ),
        (f"  NPV {exceedance(0.1)}", npv[0.1]),
        ("  NPV P50 (the median)", npv[0.5]),
        (f"  NPV {exceedance(0.9)}", npv[0.9]),
    ]


def set_rows(sets: xr.Dataset) -> list[tuple[str, str]]:
    """Each named scenario set in a row: P(loss), the median NPV and where the median price
    ends."""
    return [
        (
            name,
            f"P(NPV < 0) {percent(s['prob_npv_negative'])}; NPV P50 "
            f"{money(s['npv_usd_q50'])}; median price at the end "
            f"{sig(s['median_price_ratio_at_horizon'])} x today's",
        )
        for name, s in scenario_sets.summary(sets).items()
    ]


def set_meanings(sets: xr.Dataset) -> str:
    """What each named scenario set stands for, in one paragraph."""
    said = [
        f"{name}: {meaning}"
        for name, meaning in zip(
            sets.scenario_set.values, sets.scenario_set_description.values, strict=True
        )
        if meaning
    ]
    return (
        f"Each set over {sig(sets.sizes['path'])} paths with the same seed, changing only what "
        "it names (minecalc montecarlo --sets). " + "; ".join(said) + "."
    )


def brief(scenario: Scenario, ds: xr.Dataset, analysis: Analysis | None = None) -> str:
    """The results in a few plain sentences, for a reader who will not open the charts.

    Every number is phrased as in the key figures (:func:`minecalc.results.headline`).
    """
    s = summary_dict(ds)
    h = headline(s)
    mw = scenario.site.capacity_mw * scenario.site.mining_share
    text = (
        f"{quantity(mw, 'MW')} of mining at PUE {sig(scenario.site.pue)} gives a fleet of "
        f"{h['fleet_hashrate'].value}, {h['share'].value} of Bitcoin's blocks in the first "
        f"month. Over {s['horizon_months']} months it mines {h['btc_total'].value}"
    )
    if "undiluted" in h:
        text += (
            "; its own hashrate raises difficulty, so it gets "
            f"{percent(1 - s['btc_total'] / s['btc_total_undiluted'])} less than a "
            "calculator that ignores this would say"
        )
    if "without_response" in h:
        text += (
            "; other miners answer the lower hashprice by switching off about "
            f"{quantity(s['displaced_hashrate_eh_s_end'], 'EH/s')}, which gives it "
            f"{percent(s['btc_total'] / s['btc_total_without_response'] - 1)} back"
        )
    payback = (
        "does not pay back within the horizon"
        if s["payback_months"] is None
        else f"pays back after {h['payback'].value}"
    )
    text += (
        f". In the first month one PH/s earns {h['hashprice'].value.replace('/PH/day', '')}"
        f" a day and its energy costs "
        f"{money(s['hashcost_usd_per_ph_day_first_month'])}. At the scenario's prices the "
        f"plan {'loses' if s['npv_usd'] < 0 else 'makes'} money: NPV {h['npv'].value} at "
        f"{percent(scenario.finance.discount_rate)}/yr, and it {payback}."
    )
    text += _breakeven_text(scenario, s)
    if analysis is not None:
        mc = analysis.monte_carlo
        text += (
            " Across Monte Carlo paths of BTC price, network growth and fees, the chance "
            f"of losing money is {percent(float(mc.prob_npv_negative))}; the paths' model "
            "and the median price it implies are stated under the key figures."
        )
    return text


def _breakeven_text(scenario: Scenario, s: dict) -> str:
    be_price, be_tariff = s["breakeven_btc_price_usd"], s["breakeven_energy_price_per_kwh"]
    if be_price is None or be_tariff is None:
        return ""
    return (
        f" NPV is zero at a starting BTC price of {money(be_price)} "
        f"({sig(be_price / scenario.market.btc_price_usd)} times the scenario's) or at a "
        f"tariff of {quantity(be_tariff, s['tariff_currency'] + '/kWh')}"
        + (
            " - below zero: even free power would not repay the investment."
            if be_tariff < 0
            else "."
        )
    )


def _top_driver(t: xr.Dataset) -> str:
    """The input with the widest NPV swing: its plain name, range and the swing."""
    swing = np.abs(t.npv_usd.sel(case="high") - t.npv_usd.sel(case="low"))
    top = int(np.argmax(swing.values))
    field, cur = str(t.parameter.values[top]), t.attrs.get("tariff_currency", "currency")
    values = _range_text(field, t.low_value.values[top], t.high_value.values[top], cur)
    return f"{plotting.field_label(field, cur)[0]}, {values}: NPV swings {money(float(swing[top]))}"


def assumptions(scenario: Scenario) -> list[tuple[str, str]]:
    """The main inputs as (label, formatted value) rows."""
    net, site, fleet, market = scenario.network, scenario.site, scenario.fleet, scenario.market
    costs, finance = scenario.costs, scenario.finance
    growth = net.hashrate_growth
    growth_text = (
        "dated path"
        if model.growth(scenario)[0] == "path"
        else f"{percent(model.growth_per_year(scenario), sign=True)}/yr"
        + (
            f", the trend of the last {sig(growth.trend_epochs)} epochs"
            if growth.kind == "trend_epochs"
            else ""
        )
    )
    price_text = (
        "dated path"
        if market.btc_price_path
        else f"{money(market.btc_price_usd)}, "
        f"{percent(market.btc_price_growth_per_year, sign=True)}/yr"
    )
    base = model.base_parameters(scenario)
    capacity = f"{quantity(site.capacity_mw, 'MW')} x {percent(site.mining_share)} for mining" + (
        "" if site.ramp is None else f", ramped ({site.ramp.shape})"
    )
    return [
        ("Start, horizon", f"{scenario.start_date}, {quantity(scenario.horizon_months, 'months')}"),
        ("Power", capacity),
        ("PUE, uptime", f"{sig(site.pue)}, {percent(site.uptime)}"),
        ("Availability by month (Jan-Dec)", _availability(site.availability_by_month)),
        (
            "Fleet efficiency",
            f"{quantity(base['fleet.efficiency_j_per_th'], 'J/TH')}, losing "
            f"{percent(fleet.degradation_per_year)}/yr",
        ),
        (
            "Network at start",
            f"height {sig(net.height)}, difficulty {quantity(net.difficulty / 1e12, 'T', 4)}",
        ),
        ("Rest of the network", f"growth {growth_text}"),
        (
            "Other miners' response",
            "none: they follow their growth"
            if net.response is None
            else f"elasticity {sig(net.response.elasticity)}, lag "
            f"{quantity(net.response.lag_months, 'months')}",
        ),
        ("Fees", quantity(net.fees_btc_per_block, "BTC/block")),
        (
            "Self-dilution",
            "on (the fleet raises difficulty)"
            if net.include_fleet_in_network
            else "off (price-taker view)",
        ),
        ("BTC price", price_text),
        ("Tariff", _tariff_text(scenario)),
        (
            "Hardware, facilities",
            f"{quantity(base['costs.hardware_usd_per_th'], 'USD per TH/s')}"
            f", {money(costs.infrastructure_usd_per_mw)}/MW",
        ),
        (
            "O&M, fixed, pool fee",
            f"{money(costs.om_usd_per_mw_year)}/MW/yr, "
            f"{money(costs.fixed_usd_per_year)}/yr, {percent(costs.pool_fee)}",
        ),
        (
            "Discount rate, BTC held",
            f"{percent(finance.discount_rate)}/yr {finance.discount_rate_basis}, "
            f"{percent(finance.btc_held_fraction)} of the BTC mined",
        ),
        *_fiscal_inputs(scenario),
    ]


def _fiscal_inputs(scenario: Scenario) -> list[tuple[str, str]]:
    """The loans, tax, inflation and reserves, where the scenario has them."""
    rows = []
    if scenario.financing is not None:
        loans = [
            (
                money(t.amount_usd)
                if t.amount_usd is not None
                else f"{percent(t.share_of_capex)} of capex"
            )
            + f" in {t.currency} at {percent(t.rate_per_year)}/yr, {sig(t.tenor_months)} months "
            f"({sig(t.grace_months)} grace), {t.profile}"
            for t in scenario.financing.tranches
        ]
        covenant = scenario.financing.min_dscr
        rows.append(
            (
                "Loans",
                "; ".join(loans) + ("" if covenant is None else f"; covenant DSCR {sig(covenant)}"),
            )
        )
    if scenario.tax is not None:
        rows.append(("Profit tax", percent(scenario.tax.profit_tax_rate)))
    if scenario.inflation is not None:
        inflation = scenario.inflation
        rows.append(
            (
                "Inflation, USD and local",
                f"{percent(inflation.usd_per_year)}/yr, {percent(inflation.local_per_year)}/yr"
                + ("; the exchange rate follows them" if inflation.fx_follows_inflation else ""),
            )
        )
    costs = scenario.costs
    rows.append(
        (
            "Paid in USD: facilities, O&M",
            f"{percent(costs.facilities_usd_share)}, {percent(costs.om_usd_share)} (machines: all)",
        )
    )
    if scenario.fx is not None:
        rows.append(
            (
                "Foreign reserves, imports",
                f"{money(scenario.fx.reserves_usd)}, {money(scenario.fx.imports_usd_per_month)}"
                "/month",
            )
        )
    return rows


def _availability(values) -> str:
    if len(set(values)) == 1:
        return f"{percent(values[0])} in every month"
    return " ".join(sig(100 * a) for a in values) + " %"


DISPATCH = {
    "always": "machines run whenever power is available",
    "economic": "machines run an hour only when its revenue covers its energy cost",
}
"""Each ``tariff.dispatch`` in words."""


def _tariff_text(scenario: Scenario) -> str:
    tariff = scenario.tariff
    cur = tariff.currency
    text = quantity(tariff.energy_price_per_kwh, f"{cur}/kWh")
    if cur != "USD":
        inflation = scenario.inflation
        if inflation is not None and inflation.fx_follows_inflation:
            path = "following relative inflation"
        elif tariff.usd_fx_path is not None:
            path = "then a dated path"
        else:
            path = f"{percent(tariff.usd_fx_change_per_year, sign=True)}/yr"
        text += f" at {quantity(tariff.usd_fx_rate, f'{cur}/USD')} ({path})"
    return f"{text}; {DISPATCH[tariff.dispatch]}"


METHOD = (
    "Method: minecalc projects the expected block process on Bitcoin's rules: 2016-block "
    "retargets with the x4 clamp and the 2015-interval timespan, halvings at block heights, "
    "2^48/0xffff hashes per unit of difficulty. The fleet's hashrate counts in the network it "
    "mines against (self-dilution). Money is in USD at each month's exchange rate; cash flows "
    "are discounted from the middle of their month. Figures are expected values, not forecasts."
)


def _wrap(text: str, width: int) -> list:
    """Lines of at most ``width`` characters that never split a number from its unit."""
    glued = re.sub(r"(?<=\d) (?=[%A-Za-z])", "\0", text)
    return [line.replace("\0", " ") for line in textwrap.wrap(glued, width)]


BOTTOM = 0.07
"""Lowest height text is written at, above the footer."""


def _paragraph(fig, y: float, text: str, width: int = 100, **style) -> float:
    """Write wrapped text from height ``y`` down; return the height below it."""
    for line in _wrap(text, width):
        fig.text(0.07, y, mathtext_literal(line), va="top", **{"fontsize": 9, **style})
        y -= 0.016
    return y


def _row(fig, y: float, name: str, value: str) -> float:
    """Write one (name, value) row of a two-column table; return the height below it."""
    fig.text(0.07, y, mathtext_literal(name), fontsize=9.5, va="top")
    for line in _wrap(value, 44) or [""]:
        fig.text(0.52, y, mathtext_literal(line), fontsize=9.5, va="top", weight="bold")
        y -= 0.0185
    fig.add_artist(
        plt.Line2D([0.07, 0.93], [y + 0.004, y + 0.004], color="lightgrey", linewidth=0.5)
    )
    return y


def _rows(fig, y: float, rows) -> float:
    """Write (name, value) rows as a two-column table; return the height below it."""
    for name, value in rows:
        y = _row(fig, y, name, value)
    return y


def _page(title: str, subtitle: str) -> tuple[plt.Figure, float]:
    """A portrait A4 page with a title and a grey subtitle; the height below them."""
    fig = plt.figure(figsize=(8.27, 11.69))
    y = 0.95
    for line in _wrap(title, 48):
        fig.text(0.07, y, mathtext_literal(line), fontsize=18, weight="bold", va="top")
        y -= 0.028
    return fig, _paragraph(fig, y - 0.007, subtitle, 95, color="dimgrey")


def _heading(fig, y: float, text: str) -> float:
    """Write a section's heading; return the height below it."""
    fig.text(
        0.07, y - 0.02, text, fontsize=12, weight="bold", va="top", color=plotting.COLORS["blue"]
    )
    return y - 0.05


def _text_pages(title: str, subtitle: str, sections) -> list[plt.Figure]:
    """PDF pages of text: a title, then (heading, rows or paragraph) sections
    (:func:`_continue`)."""
    return _continue(*_page(title, subtitle), title, sections)[0]


def _continue(fig: plt.Figure, y: float, title: str, sections) -> tuple[list[plt.Figure], float]:
    """Write (heading, rows or paragraph) sections on ``fig`` from height ``y`` down, going
    on to a further page (``title`` marked "continued") where a section's row or line would
    fall below :data:`BOTTOM`; return ``fig`` and the pages added, and the height below the
    text on the last.

    A section without a heading (None) continues the one before in small grey type.
    Every line is drawn as written (:func:`minecalc.formatting.mathtext_literal`),
    escaped after the wrap so no escape is split.
    """
    pages = [fig]

    def room(height: float, heading: str | None = None) -> float:
        nonlocal fig, y
        if y - height < BOTTOM:
            fig, y = _page(f"{title} (continued)", "")
            pages.append(fig)
            if heading:
                y = _heading(fig, y, f"{heading} (continued)")
        return y

    for heading, body in sections:
        if heading is None:
            lines = _wrap(body, 105)
            y = room(0.008 + 0.016 * len(lines))
            y = _paragraph(fig, y - 0.008, body, 105, fontsize=8.5, color="dimgrey")
            continue
        if isinstance(body, str):
            y = room(0.05 + 0.016 * len(_wrap(body, 100)))
            y = _paragraph(fig, _heading(fig, y, heading), body)
            continue
        y = room(0.05 + 0.0185 * min(len(body), 3))  # a heading with a few rows under it
        y = _heading(fig, y, heading)
        for name, value in body:
            y = room(0.0185 * max(len(_wrap(value, 44)), 1), heading)
            y = _row(fig, y, name, value)
    return pages, y


def _grid(fig, y: float, header: list[str], rows: list[list[str]]) -> float:
    """Write a table: a column of labels, then one right-aligned column per ``header``
    entry (headers wrapped onto two lines where long); return the height below it."""
    n = len(header)
    right = [0.93 - (n - 1 - k) * 0.5 / n for k in range(n)]  # the columns share half the page
    heads = [[mathtext_literal(line) for line in textwrap.wrap(h, 10)] for h in header]
    y -= 0.013 * max(map(len, heads)) + 0.008
    for x, head in zip(right, heads, strict=True):  # on one baseline, above the numbers
        fig.text(x, y + 0.006, "\n".join(head), fontsize=8.5, weight="bold", ha="right")
    for label, *cells in rows:
        fig.text(0.07, y, mathtext_literal(label), fontsize=8.5, va="top")
        for x, cell in zip(right, cells, strict=True):
            fig.text(x, y, mathtext_literal(cell), fontsize=8.5, va="top", ha="right")
        y -= 0.0155
        fig.add_artist(
            plt.Line2D([0.07, 0.93], [y + 0.0035, y + 0.0035], color="lightgrey", linewidth=0.5)
        )
    return y


def _decision_intro(scenario: Scenario, options: xr.Dataset) -> str:
    """What the decision page compares, and how."""
    mw = scenario.site.capacity_mw * scenario.site.mining_share
    return (
        f"{quantity(mw, 'MW')} of surplus power: each use valued from the state's side (the "
        "treasury and the power sector), incremental to leaving the power idle, over "
        f"{quantity(scenario.horizon_months, 'months')}, discounted at "
        f"{percent(scenario.finance.discount_rate)}/yr"
        + (
            f"; medians over the {sig(options.sizes['path'])} Monte Carlo paths of the risk "
            "pages, the same for every option."
            if "path" in options.dims
            else "."
        )
    )


def decision_pages(scenario: Scenario, options: xr.Dataset) -> list[plt.Figure]:
    """The report's first page when the scenario has options: the answer in words, the
    options side by side (:mod:`minecalc.decision`), the fiscal summary of state mining
    (going on to a further page if need be) and, where there is room, what each option is
    worth as bars (a figure page of its own too)."""
    title = clean(scenario.name)
    fig, y = _page(title, _decision_intro(scenario, options))
    y = _heading(fig, y, "The answer")
    for line in decision.answer(options):
        y = _paragraph(fig, y, line, 112) - 0.003
    y = _heading(fig, y, "The options side by side")
    labels = [decision.LABELS[str(o)] for o in options.option.values]
    y = _grid(fig, y, labels, decision.rows(options))
    pages = [fig]
    if "state_mining" in options.option.values:
        pages, y = _continue(
            fig, y, title, [("Fiscal summary of state mining", fiscal_rows(options))]
        )
    if len(pages) > 1 or y - BOTTOM < 0.2:  # no room for a readable chart
        return pages
    with plotting.style():
        ax = fig.add_axes((0.3, 0.065, 0.63, y - 0.11))
        plotting.plot_options_npv(options, ax=ax)
        ax.set_title("What each option is worth to the state")  # the page names the scenario
    ax.tick_params(axis="y", labelsize=8)
    return pages


def _table(rows) -> str:
    """(label, value) rows as a two-column markdown table."""
    cells = (f"| {markdown(a.strip())} | {markdown(b)} |" for a, b in rows)
    return "\n".join(["| | |", "|---|---|", *cells])


def decision_markdown(scenario: Scenario, options: xr.Dataset) -> list[str]:
    """``summary.md``'s decision section: what is compared, the answer, the options side by
    side (one column per option)."""
    labels = [decision.LABELS[str(o)] for o in options.option.values]
    return [
        "## What the state could do with the power",
        "",
        markdown(_decision_intro(scenario, options)),
        "",
        *(f"- {markdown(line)}" for line in decision.answer(options)),
        "",
        "| | " + " | ".join(map(markdown, labels)) + " |",
        "|---|" + "---:|" * len(labels),
        *("| " + " | ".join(map(markdown, row)) + " |" for row in decision.rows(options)),
        "",
        *(
            ["### Fiscal summary of state mining", "", _table(fiscal_rows(options)), ""]
            if "state_mining" in options.option.values
            else []
        ),
    ]


def contents(names, first_page: int = 3) -> list[tuple[str, str]]:
    """The chart pages as (title, "page n") rows."""
    return [(CHARTS[n].title, f"page {sig(first_page + k)}") for k, n in enumerate(names)]


def left_out(ds: xr.Dataset) -> list[str]:
    """One sentence for each chart left out, saying why."""
    return [
        f"Left out: {CHARTS[n].title.lower()}, because {why}." for n, why in omitted(ds).items()
    ]


def summary_pages(
    scenario: Scenario,
    ds: xr.Dataset,
    analysis: Analysis | None = None,
    run_date: str | None = None,
):
    """The report's text pages: the decision page when ``analysis`` compares the state's
    options (:func:`decision_pages`), key figures, then contents, assumptions and method."""
    run_date = run_date or f"{pd.Timestamp.now():%Y-%m-%d}"
    options = None if analysis is None else analysis.options
    decided = [] if options is None else decision_pages(scenario, options)
    intro = re.sub(
        r"\s*\[\d+(,\s*\d+)*\]", "", clean(scenario.description, keep="\t\n")
    )  # source numbers
    key: list[tuple[str | None, Any]] = [
        ("In brief", brief(scenario, ds, analysis)),
        ("Fiscal summary", fiscal_rows(ds, analysis)),
        ("Key figures", key_figures(ds, analysis)),
    ]
    if analysis is not None:
        key.append((None, "Monte Carlo: " + describe(analysis.monte_carlo)))
        if analysis.sets is not None:
            key += [("Scenario sets", set_rows(analysis.sets)), (None, set_meanings(analysis.sets))]
    first = _text_pages(clean(scenario.name), intro, key)

    def second(first_chart: int) -> list[plt.Figure]:
        names = chart_names(ds, analysis is not None, _compared(analysis))
        toc: list[tuple[str | None, Any]] = [("Charts", contents(names, first_chart))]
        toc += [(None, line) for line in left_out(ds)]
        return _text_pages(
            "Contents and assumptions",
            f"{clean(scenario.name)}: inputs of this run "
            f"(minecalc {ds.attrs['minecalc_version']}, run {run_date}); the "
            "scenario file holds their sources.",
            [*toc, ("Inputs", assumptions(scenario)), ("How it is computed", METHOD)],
        )

    before = len(decided) + len(first)
    rest = second(before + 2)  # the charts follow these pages
    if len(rest) > 1:  # the contents went on to another page: the charts start later
        for page in rest:
            plt.close(page)
        rest = second(before + len(rest) + 1)
    return [*decided, *first, *rest]


def summary_markdown(
    scenario: Scenario, ds: xr.Dataset, analysis: Analysis | None, figure_names
) -> str:
    """``summary.md``: the state's options when ``analysis`` compares them
    (:func:`decision_markdown`), the fiscal summary, key figures, assumptions, method, the
    figures and those left out."""

    parts = [
        f"# {markdown(scenario.name)}",
        "",
        markdown(scenario.description, paragraph=True),
        "",
    ]
    if analysis is not None and analysis.options is not None:
        parts += [*decision_markdown(scenario, analysis.options), "## In brief", ""]
    parts += [
        brief(scenario, ds, analysis),
        "",
        "## Fiscal summary",
        "",
        _table(fiscal_rows(ds, analysis)),
        "",
        "## Key figures",
        "",
        _table(key_figures(ds, analysis)),
        "",
    ]
    if analysis is not None:
        parts += ["Monte Carlo: " + describe(analysis.monte_carlo), ""]
        if analysis.sets is not None:
            sets = analysis.sets
            parts += ["## Scenario sets", "", _table(set_rows(sets)), "", set_meanings(sets), ""]
    parts += ["## Assumptions", "", _table(assumptions(scenario)), "", METHOD, "", "## Figures", ""]
    for name in figure_names:
        parts += [f"![{name}]({name}.png)", "", _caption_text(CHARTS[name], analysis), ""]
    for line in left_out(ds):
        parts += [f"_{line}_", ""]
    parts.append(f"_Made with minecalc {ds.attrs['minecalc_version']}._")
    return "\n".join(parts) + "\n"


def _footer(fig: plt.Figure, text: str) -> plt.Figure:
    """The page's footer: minecalc version, run date, page n of N."""
    fig.text(0.5, 0.012, text, ha="center", va="bottom", fontsize=8, color="dimgrey")
    return fig


def _caption(fig: plt.Figure, caption: str) -> plt.Figure:
    """Turn a chart into a landscape A4 page with its caption underneath."""
    lines = _wrap(caption, 145)
    bottom = 0.045 + 0.021 * len(lines)  # room for the caption and the footer
    fig.set_size_inches(11.69, 8.27)
    engine = fig.get_layout_engine()
    assert engine is not None, "the figures are made with a layout engine"
    engine.set(rect=(0.03, bottom + 0.01, 0.94, 0.98 - bottom - 0.01))  # type: ignore[call-arg]
    fig.text(0.05, bottom, "\n".join(map(mathtext_literal, lines)), fontsize=10, va="top")
    return fig


FIGURE_FORMATS = ("png", "svg")
"""Each figure is written in these formats."""


def figure_files(names) -> list:
    """File names of the figures ``names`` in every :data:`FIGURE_FORMATS`."""
    return [f"{name}.{ext}" for name in names for ext in FIGURE_FORMATS]


def _save(fig: plt.Figure, ext: str, tmp) -> None:
    fig.savefig(tmp, format=ext)


def figure_writers(figs: dict) -> dict:
    """File name -> writer, for each figure in every :data:`FIGURE_FORMATS`."""
    return {
        file: partial(_save, fig, file.rsplit(".", 1)[1])
        for name, (fig, _) in figs.items()
        for file in figure_files([name])
    }


def write_report(
    scenario: Scenario,
    out_dir,
    *,
    force: bool = False,
    paths: int = 2000,
    seed: int = 0,
    progress: Progress | None = None,
) -> list:
    """Write a scenario's report: figures (PNG, SVG), ``report.pdf`` and ``summary.md``.

    Charts with nothing to show for this scenario (:func:`omitted`) are left out of all
    three; the PDF's contents say why. A scenario with an options block gets the state's
    options first: a decision page, their charts and a section of ``summary.md``.

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    out_dir : path-like
        Folder to write into; created if missing.
    force : bool
        Replace files that already exist (else nothing is written if any does).
    paths, seed : int
        Monte Carlo paths and seed.
    progress : callable, optional
        ``progress(message, fraction)``, told at each step (:mod:`minecalc.progress`).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    tell(progress, "Running the scenario")
    ds = model.run(scenario)
    # Refuse before the analyses run, not after: the run decides which charts are drawn.
    kinds = () if scenario.options is None else scenario.options.kinds
    names = chart_names(ds, options=kinds)
    check_new(out_dir, [*figure_files(names), "report.pdf", "summary.md"], force)
    analysis = analyse(scenario, paths=paths, seed=seed, progress=progress)
    tell(progress, "Drawing the figures")
    run_date = f"{pd.Timestamp.now():%Y-%m-%d}"
    # every chart and page is held open until the PDF is written: more than pyplot's 20
    with plt.rc_context({"figure.max_open_warning": 0}), open_figures(ds, analysis) as figs:
        pages = summary_pages(scenario, ds, analysis, run_date)

        def pdf(tmp):
            tell(progress, "Writing report.pdf")
            total = len(pages) + len(figs)
            made = f"minecalc {ds.attrs['minecalc_version']} · run {run_date} · page"
            with PdfPages(tmp) as doc:
                for k, page in enumerate(pages, 1):
                    doc.savefig(_footer(page, f"{made} {sig(k)} of {sig(total)}"))
                    plt.close(page)
                for k, (fig, caption) in enumerate(figs.values(), len(pages) + 1):
                    doc.savefig(_footer(_caption(fig, caption), f"{made} {sig(k)} of {sig(total)}"))

        tell(progress, "Writing the figures")
        # Figure files first: the PDF's pages are the same figures, resized and captioned.
        writers = {
            **figure_writers(figs),
            "report.pdf": pdf,
            "summary.md": lambda tmp: tmp.write_text(
                summary_markdown(scenario, ds, analysis, list(figs))
            ),
        }
        return write_files(out_dir, writers, force)
