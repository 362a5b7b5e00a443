"""A scenario's report: its figures (PNG and SVG), a multi-page PDF and a Markdown summary.

The report runs the scenario once, then the analyses a reader asks for next: a tariff x
BTC price map of NPV with its breakeven line, a tornado and Sobol indices over the main
inputs, and a Monte Carlo of price, network and fees. Every number in the text comes
from those results; nothing is typed in.
"""

from __future__ import annotations

import contextlib
import re
import textwrap
from typing import NamedTuple

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib import pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages

from . import model, plotting
from .config import Scenario
from .finance import IRR_REASONS
from .output import check_new, write_files
from .results import summary_dict
from .sweep import sobol, sweep, tornado
from .uncertainty import growth_per_year, monte_carlo

RUN_FIGURES = {
    "btc": (plotting.plot_btc, "Cumulative BTC mined (left) and the USD value of the BTC sold or "
            "held (right). The dashed line is what the fleet would mine if difficulty ignored it: "
            "the gap is self-dilution, the fleet's own hashrate raising difficulty."),
    "cash_flow": (plotting.plot_cash_flow, "Each month's value of the BTC mined (up) against "
                  "the energy bill, operations and capital spending (down)."),
    "cumulative_cash": (plotting.plot_cumulative_cash, "Cumulative net cash flow, capex "
                        "included; the plan pays back where the line crosses zero for good. "
                        "The last month adds the reserve's value and the machines' salvage."),
    "hashprice": (plotting.plot_hashprice, "Hashprice (what 1 PH/s earns a day) against "
                  "hashcost (what its energy costs a day). Shaded: months when the energy "
                  "costs more than the BTC it mines. The halving cuts hashprice in half."),
    "difficulty": (plotting.plot_difficulty, "Difficulty with the fleet and without it: the "
                   "network retargets to the fleet's hashrate within a few epochs."),
    "network_share": (plotting.plot_network_share, "The fleet's share of blocks: h/(H+h) once "
                      "difficulty has adjusted, against the naive h/H other calculators use."),
    "network_response": (plotting.plot_response, "The rest of the network without the fleet "
                         "and with it. With a response (network.response) the least profitable "
                         "miners switch off as the fleet cuts hashprice, giving part of its share "
                         "back; without one the two lines coincide."),
    "dispatch": (plotting.plot_dispatch, "Share of each hour the machines hash, month by month: "
                 "seasonal availability, uptime and (with economic dispatch) the hours where "
                 "mining beats the tariff."),
}
"""Figures of a single run: file stem -> (helper, caption)."""


class Analysis(NamedTuple):
    """The sensitivity and risk analyses of a report."""

    grid: xr.Dataset
    """NPV over tariff x BTC price."""
    tornado: xr.Dataset
    sobol: xr.Dataset
    monte_carlo: xr.Dataset
    base_point: tuple
    """The scenario's (tariff, BTC price) on the NPV map."""


ANALYSIS_FIGURES = {
    "npv_map": (lambda a: plotting.plot_heatmap(a.grid, "npv_usd", mark=a.base_point),
                "NPV over the tariff and the starting BTC price (its path scaled with it); the "
                "circle is this scenario. The black line is NPV = 0: combinations above and to "
                "the left of it make money."),
    "tornado": (lambda a: plotting.plot_tornado(a.tornado), "NPV when one input at a time "
                "moves to the low or high end of its range (values at the bar ends), the "
                "others held at the scenario's values. The widest bars matter most."),
    "sobol": (lambda a: plotting.plot_sobol(a.sobol), "Sobol indices: the share of NPV's "
              "variance due to each input when all move at once over the tornado's ranges "
              "(uniformly), alone (S1) and with interactions (ST); bars show 95 % intervals."),
    "monte_carlo_fan": (lambda a: plotting.plot_fan(a.monte_carlo), "Cumulative cash flow over "
                        "Monte Carlo paths of BTC price (geometric Brownian motion), the rest "
                        "of the network (bootstrapped historical epoch changes) and fees."),
    "npv_histogram": (lambda a: plotting.plot_npv_histogram(a.monte_carlo), "NPV across the "
                      "Monte Carlo paths; bars left of zero (vermillion) are paths that lose "
                      "money, the dashed line is the median."),
}
"""Figures of the analyses: file stem -> (helper taking an :class:`Analysis`, caption)."""


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
    if scenario.network.hashrate_growth.kind != "path":
        g = growth_per_year(scenario)
        ranges["network.hashrate_growth.per_year"] = (round(max(g - 0.2, -0.5), 10),
                                                      round(g + 0.2, 10))
    scaled("network.fees_btc_per_block", 1 / 3, 3.0)
    pue = base["site.pue"]
    ranges["site.pue"] = (max(1.0, pue - 0.05), pue + 0.10)
    scaled("costs.hardware_usd_per_th", 0.75, 1.25)
    scaled("costs.infrastructure_usd_per_mw", 0.5, 1.5)
    rate = base["finance.discount_rate"]
    ranges["finance.discount_rate"] = (max(0.0, rate - 0.04), rate + 0.04)
    return ranges


def analyse(scenario: Scenario, *, paths: int = 2000, seed: int = 0,
            sobol_n: int = 256) -> Analysis:
    """Run the report's analyses: NPV map, tornado, Sobol indices and Monte Carlo.

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
    """
    base = model.base_parameters(scenario)
    tariff, price = base["tariff.energy_price_per_kwh"], base["market.btc_price_usd"]
    grid = sweep(scenario, {
        "tariff.energy_price_per_kwh": np.linspace(0.0, 2 * max(tariff, 1e-3), 41),
        "market.btc_price_usd": np.geomspace(price / 4, price * 4, 41),
    }, record_epochs=False, without_fleet=False)
    ranges = tornado_ranges(scenario)
    return Analysis(
        grid=grid[["npv_usd"]],
        tornado=tornado(scenario, ranges),
        sobol=sobol(scenario, ranges, "npv_usd", n=sobol_n, seed=seed),
        monte_carlo=monte_carlo(scenario, paths=paths, seed=seed),
        base_point=(tariff, price),
    )


@contextlib.contextmanager
def open_figures(ds: xr.Dataset, analysis: Analysis | None = None):
    """The report's figures, ``name -> (matplotlib Figure, caption)``, closed on exit.

    The run's figures (:data:`RUN_FIGURES`), then with ``analysis`` those of
    :data:`ANALYSIS_FIGURES`.
    """
    figs = {}
    try:
        with plotting.style():
            for name, (helper, caption) in RUN_FIGURES.items():
                figs[name] = (helper(ds).figure, caption)
            for name, (helper, caption) in (ANALYSIS_FIGURES.items() if analysis else ()):
                figs[name] = (helper(analysis).figure, caption)
        yield figs
    finally:
        for fig, _ in figs.values():
            plt.close(fig)


def _fmt(value, spec=",.0f", unit="", none="n/a"):
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return none
    return f"{value:{spec}}{unit}"


def key_figures(ds: xr.Dataset, analysis: Analysis | None = None) -> list[tuple[str, str]]:
    """The headline results as (label, formatted value) rows."""
    s = summary_dict(ds)
    cur = s["tariff_currency"]
    rows = [
        ("Fleet hashrate", _fmt(s["fleet_hashrate_eh_s"], ",.1f", " EH/s")),
        ("Share of blocks, first month", _fmt(100 * s["network_share_first_month"], ".2f", " %")),
        ("BTC per day, first month / full deployment",
         f"{s['btc_per_day_first_month']:,.2f} / {s['btc_per_day_full_deployment']:,.2f} BTC/d"),
        (f"BTC mined over {s['horizon_months']} months", _fmt(s["btc_total"], ",.0f", " BTC")),
    ]
    if s["btc_total_undiluted"]:
        rows.append(("  ... if difficulty ignored the fleet",
                     f"{s['btc_total_undiluted']:,.0f} BTC "
                     f"({100 * (s['btc_total'] / s['btc_total_undiluted'] - 1):+.1f} %)"))
    if s["btc_total_without_response"]:
        rows.append(("  ... if other miners did not respond",
                     f"{s['btc_total_without_response']:,.0f} BTC; {s['displaced_hashrate_eh_s_end']:,.1f}"
                     f" EH/s of theirs displaced at the end"))
    rows += [
        ("Next halving", "beyond the horizon" if not s["halving_date"] else
         f"block {s['halving_height']:,} on {s['halving_date'][:10]}"),
        ("Energy used", _fmt(float(ds.energy_gwh_total), ",.0f", " GWh")),
        ("Capex", _fmt(s["capex_usd"] / 1e6, ",.0f", " M USD")),
        ("NPV", _fmt(s["npv_usd"] / 1e6, ",.0f", " M USD")),
        ("IRR", _fmt(s["irr"] and 100 * s["irr"], ".1f", " %/yr",
                     f"none: {IRR_REASONS[int(ds.irr_reason)]}")),
        ("Payback", _fmt(s["payback_months"], ".1f", " months", "not within the horizon")),
        ("Cost per BTC: cash / all-in", f"{_fmt(s['cost_per_btc_cash_usd'])} / "
         f"{_fmt(s['cost_per_btc_all_in_usd'])} USD"),
        ("Breakeven BTC price", _fmt(s["breakeven_btc_price_usd"], ",.0f", " USD")),
        ("Breakeven tariff", _fmt(s["breakeven_energy_price_per_kwh"], ",.2f", f" {cur}/kWh")),
        ("Hashprice vs hashcost, month 1",
         f"{s['hashprice_usd_per_ph_day_first_month']:.2f} vs "
         f"{s['hashcost_usd_per_ph_day_first_month']:.2f} USD/PH/day"),
    ]
    if analysis is not None:
        mc = analysis.monte_carlo
        q = mc.npv_usd_quantiles.values / 1e6
        rows += [
            (f"Monte Carlo ({mc.sizes['path']:,} paths): P(NPV < 0)",
             _fmt(100 * float(mc.prob_npv_negative), ".1f", " %")),
            ("  NPV P10 / P50 / P90", f"{q[0]:,.0f} / {q[1]:,.0f} / {q[2]:,.0f} M USD"),
            ("Input that moves NPV most (tornado)", _top_driver(analysis.tornado)),
        ]
    return rows


def brief(scenario: Scenario, ds: xr.Dataset, analysis: Analysis | None = None) -> str:
    """The results in a few plain sentences, for a reader who will not open the charts."""
    s = summary_dict(ds)
    cur = s["tariff_currency"]
    mw = scenario.site.capacity_mw * scenario.site.mining_share
    text = (f"{mw:,.0f} MW of mining at PUE {scenario.site.pue:.2f} gives a fleet of "
            f"{s['fleet_hashrate_eh_s']:,.1f} EH/s, {100 * s['network_share_first_month']:.1f} % "
            f"of Bitcoin's blocks in the first month. Over {s['horizon_months']} months it mines "
            f"{s['btc_total']:,.0f} BTC")
    if s["btc_total_undiluted"] and s["btc_total_undiluted"] != s["btc_total"]:
        text += (f"; its own hashrate raises difficulty, so it gets "
                 f"{100 * (1 - s['btc_total'] / s['btc_total_undiluted']):.1f} % less than a "
                 f"calculator that ignores this would say")
    if s["btc_total_without_response"]:
        text += (f"; other miners answer the lower hashprice by switching off about "
                 f"{s['displaced_hashrate_eh_s_end']:,.0f} EH/s, which gives it "
                 f"{100 * (s['btc_total'] / s['btc_total_without_response'] - 1):.1f} % back")
    npv = s["npv_usd"]
    verdict = ("loses money" if npv < 0 else "makes money")
    payback = ("does not pay back within the horizon" if s["payback_months"] is None
               else f"pays back after {s['payback_months']:.0f} months")
    text += (f". In the first month one PH/s earns {s['hashprice_usd_per_ph_day_first_month']:.2f}"
             f" USD a day and its energy costs {s['hashcost_usd_per_ph_day_first_month']:.2f} USD. "
             f"At the scenario's prices the plan {verdict}: NPV {npv / 1e6:,.0f} M USD at "
             f"{100 * scenario.finance.discount_rate:g} %/yr, and it {payback}.")
    be_price, be_tariff = s["breakeven_btc_price_usd"], s["breakeven_energy_price_per_kwh"]
    if be_price is not None and be_tariff is not None:
        text += (f" NPV is zero at a starting BTC price of {be_price:,.0f} USD "
                 f"({be_price / scenario.market.btc_price_usd:.2f} times the scenario's) or at a "
                 f"tariff of {be_tariff:,.2f} {cur}/kWh"
                 + (" - below zero: even free power would not repay the investment."
                    if be_tariff < 0 else "."))
    if analysis is not None:
        mc = analysis.monte_carlo
        text += (f" Across {mc.sizes['path']:,} Monte Carlo paths of BTC price, network growth "
                 f"and fees, the chance of losing money is {100 * float(mc.prob_npv_negative):.0f} %.")
    return text


def _top_driver(t: xr.Dataset) -> str:
    swing = np.abs(t.npv_usd.sel(case="high") - t.npv_usd.sel(case="low"))
    top = int(np.argmax(swing.values))
    return (f"{t.parameter.values[top]} ({t.low_value.values[top]:g} to "
            f"{t.high_value.values[top]:g}: NPV swings {float(swing[top]) / 1e6:,.0f} M USD)")


def assumptions(scenario: Scenario) -> list[tuple[str, str]]:
    """The main inputs as (label, formatted value) rows."""
    net, site, fleet, market, tariff = (scenario.network, scenario.site, scenario.fleet,
                                        scenario.market, scenario.tariff)
    costs, finance = scenario.costs, scenario.finance
    growth = net.hashrate_growth
    growth_text = ("dated path" if growth.kind == "path" else
                   f"{100 * growth_per_year(scenario):+.1f} %/yr ({growth.kind})")
    price_text = ("dated path" if market.btc_price_path else
                  f"{market.btc_price_usd:,.0f} USD, {100 * market.btc_price_growth_per_year:+.1f} %/yr")
    base = model.base_parameters(scenario)
    capacity = (f"{site.capacity_mw:,.0f} MW x {100 * site.mining_share:.0f} % for mining"
                + ("" if site.ramp is None else f", ramped ({site.ramp.shape})"))
    return [
        ("Start, horizon", f"{scenario.start_date}, {scenario.horizon_months} months"),
        ("Power", capacity),
        ("PUE, uptime", f"{site.pue:.2f}, {100 * site.uptime:.0f} %"),
        ("Availability by month (Jan-Dec)", " ".join(f"{a:.2f}" for a in site.availability_by_month)),
        ("Fleet efficiency", f"{base['fleet.efficiency_j_per_th']:.1f}"
         f" J/TH, losing {100 * fleet.degradation_per_year:.0f} %/yr"),
        ("Network at start", f"height {net.height:,}, difficulty {net.difficulty / 1e12:.2f} T"),
        ("Rest of the network", f"growth {growth_text}"),
        ("Fees", f"{net.fees_btc_per_block:g} BTC/block"),
        ("Self-dilution", "on (the fleet raises difficulty)" if net.include_fleet_in_network
         else "off (price-taker view)"),
        ("BTC price", price_text),
        ("Tariff", f"{tariff.energy_price_per_kwh:g} {tariff.currency}/kWh at "
         f"{tariff.usd_fx_rate:g} {tariff.currency}/USD ({tariff.usd_fx_change_per_year:+.0%}/yr), "
         f"dispatch {tariff.dispatch}"),
        ("Hardware, facilities", f"{base['costs.hardware_usd_per_th']:g}"
         f" USD per TH/s, {costs.infrastructure_usd_per_mw:,.0f} USD/MW"),
        ("O&M, fixed, pool fee", f"{costs.om_usd_per_mw_year:,.0f} USD/MW/yr, "
         f"{costs.fixed_usd_per_year:,.0f} USD/yr, {100 * costs.pool_fee:g} %"),
        ("Discount rate, BTC held", f"{100 * finance.discount_rate:g} %/yr, "
         f"{100 * finance.btc_held_fraction:g} % of the BTC mined"),
    ]


METHOD = (
    "Method: minecalc projects the expected block process on Bitcoin's rules: 2016-block "
    "retargets with the x4 clamp and the 2015-interval timespan, halvings at block heights, "
    "2^48/0xffff hashes per unit of difficulty. The fleet's hashrate counts in the network it "
    "mines against (self-dilution). Money is in USD at each month's exchange rate; cash flows "
    "are discounted from the middle of their month. Figures are expected values, not forecasts."
)


def _text_page(title: str, subtitle: str, sections) -> plt.Figure:
    """A PDF page of text: a title, then (heading, rows or paragraph) sections."""
    fig = plt.figure(figsize=(8.27, 11.69))
    y = 0.95
    fig.text(0.07, y, title, fontsize=18, weight="bold", va="top")
    y -= 0.035
    for line in textwrap.wrap(subtitle, 95)[:6]:
        fig.text(0.07, y, line, fontsize=9, color="dimgrey", va="top")
        y -= 0.017
    for heading, body in sections:
        y -= 0.02
        fig.text(0.07, y, heading, fontsize=12, weight="bold", va="top",
                 color=plotting.COLORS["blue"])
        y -= 0.03
        if isinstance(body, str):
            for line in textwrap.wrap(body, 100):
                fig.text(0.07, y, line, fontsize=9, va="top")
                y -= 0.017
            continue
        for name, value in body:
            fig.text(0.07, y, name, fontsize=9.5, va="top")
            lines = textwrap.wrap(value, 44) or [""]
            for k, line in enumerate(lines):
                fig.text(0.52, y, line, fontsize=9.5, va="top", weight="bold" if k == 0 else None)
                y -= 0.019
            fig.add_artist(plt.Line2D([0.07, 0.93], [y + 0.004, y + 0.004], color="lightgrey",
                                      linewidth=0.5))
    return fig


def summary_pages(scenario: Scenario, ds: xr.Dataset, analysis: Analysis | None = None):
    """The report's text pages: key figures, then assumptions and method."""
    made = f"minecalc {ds.attrs['minecalc_version']}, {pd.Timestamp.now():%Y-%m-%d}"
    intro = re.sub(r"\s*\[\d+(,\s*\d+)*\]", "", scenario.description or "")  # source numbers
    first = _text_page(scenario.name, intro, [("In brief", brief(scenario, ds, analysis)),
                                              ("Key figures", key_figures(ds, analysis))])
    second = _text_page(f"{scenario.name}: assumptions", f"Inputs of this run ({made}); the "
                        "scenario file holds their sources.",
                        [("Inputs", assumptions(scenario)), ("How it is computed", METHOD)])
    return [first, second]


def summary_markdown(scenario: Scenario, ds: xr.Dataset, analysis: Analysis | None,
                     figure_names) -> str:
    """``summary.md``: key figures, assumptions, method and the figures."""
    def table(rows):
        return "\n".join(["| | |", "|---|---|", *(f"| {a.strip()} | {b} |" for a, b in rows)])

    parts = [f"# {scenario.name}", "", scenario.description or "", "",
             brief(scenario, ds, analysis), "",
             "## Key figures", "", table(key_figures(ds, analysis)), "",
             "## Assumptions", "", table(assumptions(scenario)), "", METHOD, "",
             "## Figures", ""]
    captions = {**RUN_FIGURES, **ANALYSIS_FIGURES}
    for name in figure_names:
        parts += [f"![{name}]({name}.png)", "", captions[name][1], ""]
    parts.append(f"_Made with minecalc {ds.attrs['minecalc_version']}._")
    return "\n".join(parts) + "\n"


def _caption(fig: plt.Figure, caption: str) -> plt.Figure:
    """Turn a chart into a landscape A4 page with its caption underneath."""
    fig.set_size_inches(11.69, 8.27)
    fig.get_layout_engine().set(rect=(0.03, 0.1, 0.94, 0.87))
    fig.text(0.05, 0.06, "\n".join(textwrap.wrap(caption, 150)), fontsize=10, va="top")
    return fig


FIGURE_FORMATS = ("png", "svg")
"""Each figure is written in these formats."""


def figure_files(names) -> list:
    """File names of the figures ``names`` in every :data:`FIGURE_FORMATS`."""
    return [f"{name}.{ext}" for name in names for ext in FIGURE_FORMATS]


def figure_writers(figs: dict) -> dict:
    """File name -> writer, for each figure in every :data:`FIGURE_FORMATS`."""
    return {file: lambda tmp, fig=fig, ext=file.rsplit(".", 1)[1]: fig.savefig(tmp, format=ext)
            for name, (fig, _) in figs.items() for file in figure_files([name])}


def write_report(scenario: Scenario, out_dir, *, force: bool = False, paths: int = 2000,
                 seed: int = 0) -> list:
    """Write a scenario's report: figures (PNG, SVG), ``report.pdf`` and ``summary.md``.

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

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    # Refuse before the analyses run, not after.
    check_new(out_dir, figure_files({**RUN_FIGURES, **ANALYSIS_FIGURES})
              + ["report.pdf", "summary.md"], force)
    ds = model.run(scenario)
    analysis = analyse(scenario, paths=paths, seed=seed)
    with open_figures(ds, analysis) as figs:
        pages = summary_pages(scenario, ds, analysis)

        def pdf(tmp):
            with PdfPages(tmp) as doc:
                for page in pages:
                    doc.savefig(page)
                    plt.close(page)
                for fig, caption in figs.values():
                    doc.savefig(_caption(fig, caption))

        # Figure files first: the PDF's pages are the same figures, resized and captioned.
        writers = {**figure_writers(figs), "report.pdf": pdf,
                   "summary.md": lambda tmp: tmp.write_text(
                       summary_markdown(scenario, ds, analysis, list(figs)))}
        return write_files(out_dir, writers, force)
