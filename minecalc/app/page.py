"""One browser session's page: the controls, the headline figures, the charts, Monte Carlo
and the downloads.

Each session gets its own :class:`Page` (Panel calls :func:`page` once per session), so no
session sees another's scenario or results. The browser sends values, never paths: the
server reads only the packaged examples, the scenario it was started with, and the bytes
of an upload, through the same safe loader and validation as the command line.
"""

from __future__ import annotations

import html
import io
import logging
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import panel as pn
from matplotlib.figure import Figure

from .. import decision, examples, fiscal, plotting, uncertainty
from ..compare import compare
from ..config import (
    OPTION_KINDS,
    ConfigError,
    Scenario,
    config_from_dict,
    config_from_text,
    read_scenario,
)
from ..errors import InputError
from ..formatting import money, percent
from ..hardware import load_hardware
from ..model import run
from ..output import monthly_table, write_dataset
from ..results import headline, summary_dict
from . import fields

LOG = logging.getLogger("minecalc.app")

MAX_PATHS = 100_000
"""The most Monte Carlo paths one request may ask for."""
CHARTS: dict[str, Callable[..., Any]] = {
    "Hashprice and hashcost": plotting.plot_hashprice,
    "Cumulative cash and payback": plotting.plot_cumulative_cash,
    "BTC mined and held": plotting.plot_btc,
    "Difficulty, with and without the fleet": plotting.plot_difficulty,
    "Network share, with and without the fleet": plotting.plot_network_share,
}
"""The run's charts, by title (each ``plot_x(ds, ax=...)`` of :mod:`minecalc.plotting`)."""
OPTION_CHARTS: dict[str, Callable[..., Any]] = {
    "NPV to the state by option": plotting.plot_options_npv,
    "Cumulative cash by option": plotting.plot_options_cash,
}
HEADLINE = {  # figure of results.headline -> the summary value it shows
    "npv": "npv_usd",
    "irr": "irr",
    "payback": "payback_months",
    "btc_total": "btc_total",
    "capex": "capex_usd",
    "breakeven_tariff": "breakeven_energy_price_per_kwh",
    "breakeven_price": "breakeven_btc_price_usd",
    "hashprice": "hashprice_usd_per_ph_day_first_month",
    "mining_value": "mining_value_usd_per_mwh_mean",
    "cost_all_in": "cost_per_btc_all_in_usd",
    "btc_per_day": "btc_per_day_first_month",
    "share": "network_share_first_month",
}
CSS = """
.mc-figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(15em, 1fr));
  gap: 0.6em; }
.mc-card { border: 1px solid #ccc; border-radius: 6px; padding: 0.4em 0.7em; }
.mc-card .label { font-size: 0.85em; color: #555; }
.mc-card .value { font-size: 1.3em; font-weight: 600; }
.mc-card .note { font-size: 0.8em; color: #555; }
.mc-table { border-collapse: collapse; font-size: 0.9em; }
.mc-table td, .mc-table th { border-bottom: 1px solid #ddd; padding: 0.2em 0.6em;
  text-align: right; }
.mc-table td:first-child { text-align: left; }
:host(.mc-verdict) { font-size: 1.15em; }
"""

PHONE = """
@media (max-width: 700px) {
  #container, #content { height: auto !important; overflow: visible !important; }
  #content { flex-direction: column; flex-wrap: nowrap; }
  #sidebar { width: 100% !important; min-width: 100%; max-width: 100%; height: auto; }
  #main { width: 100%; max-height: none !important; overflow: visible !important; }
}
"""
"""On a phone, the controls above the results rather than beside them, the page scrolling as
one."""


class Cancelled(Exception):
    """Monte Carlo stopped by the user."""


class Page:
    """The page of one session, from a starting scenario (a packaged example's name, or a
    scenario given to ``minecalc serve``)."""

    def __init__(self, start: str, start_data: dict | None = None) -> None:
        self.doc = pn.state.curdoc
        self.example: str | None = None
        self.base: dict = {}
        self.scenario: Scenario | None = None
        self.ds: Any = None
        self.summary: dict = {}
        self.runs = 0
        self.run_scenario: Scenario | None = None
        self.cancel = threading.Event()
        self.machines = load_hardware()["model"].tolist()

        names = examples.names()
        self.pick = pn.widgets.Select(
            label="Scenario",
            options=names,
            value=start if start in names else None,
            css_classes=["mc-pick"],
        )
        self.upload = pn.widgets.FileInput(
            label="Upload a scenario (YAML, at most 1 MB)",
            accept=".yaml,.yml",
            multiple=False,
            css_classes=["mc-upload"],
        )
        self.upload_message = pn.pane.HTML("", css_classes=["mc-upload-message"])
        self.problems = pn.pane.HTML("", css_classes=["mc-problems"])
        self.widgets: dict[str, Any] = {}
        self.errors: dict[str, pn.pane.HTML] = {}
        self.scales: dict[str, float] = {}
        self.starts: dict[str, Any] = {}  # what each control showed for the scenario
        self.verdict = _html("mc-verdict")
        self.figures = _html("mc-headline")
        self.chart_panes = [pn.pane.Matplotlib(name=t, dpi=96, tight=True) for t in CHARTS]
        self.charts = pn.Tabs(
            *self.chart_panes,
            sizing_mode="stretch_width",
            css_classes=["mc-charts"],
            dynamic=True,  # only the tab in view is drawn and sent
        )
        self.fiscal = _html("mc-fiscal")
        self.options = _html("mc-options")
        self.option_panes = [pn.pane.Matplotlib(name=t, dpi=96, tight=True) for t in OPTION_CHARTS]
        self.options_section = pn.Column(
            pn.pane.Markdown("### The state's options, side by side"),
            self.options,
            pn.Tabs(*self.option_panes, sizing_mode="stretch_width", dynamic=True),
            sizing_mode="stretch_width",
            visible=False,
        )
        self.mc_paths = pn.widgets.IntInput(
            label=f"Paths [count, at most {MAX_PATHS:,}]",
            value=2000,
            start=1,
            end=MAX_PATHS,
            css_classes=["mc-mc-paths"],
        )
        self.mc_run = pn.widgets.Button(label="Run Monte Carlo", css_classes=["mc-mc-run"])
        self.mc_cancel = pn.widgets.Button(
            label="Cancel", disabled=True, css_classes=["mc-mc-cancel"]
        )
        self.mc_progress = pn.indicators.Progress(
            value=0, max=100, active=False, css_classes=["mc-mc-progress"], width=200
        )
        self.mc_result = _html("mc-mc-result")
        self.mc_chart = pn.pane.Matplotlib(dpi=96, sizing_mode="stretch_width")
        self.mc_run.on_click(self._start_monte_carlo)
        self.mc_cancel.on_click(lambda _: self.cancel.set())
        self.downloads = pn.Row(
            self._download("Scenario (YAML)", "scenario.yaml", self._yaml, "yaml"),
            self._download("Results (netCDF)", "results.nc", self._netcdf, "netcdf"),
            self._download("Monthly table (CSV)", "monthly.csv", self._csv, "csv"),
            self._download("Report (PDF)", "report.pdf", self._pdf, "pdf"),
            css_classes=["mc-downloads"],
        )
        self.controls = pn.Column(sizing_mode="stretch_width")
        self.pick.param.watch(self._picked, "value")
        self.upload.param.watch(self._uploaded, "value")
        if start_data is not None:
            self._load(None, start_data)
        else:
            self._load(start, None)

    # ------------------------------------------------------------------ layout
    def view(self) -> pn.template.BaseTemplate:
        """The page's layout: the controls in the sidebar, the results in the main area."""
        template = pn.template.BootstrapTemplate(
            title="minecalc",
            meta_viewport="width=device-width, initial-scale=1",
            raw_css=[PHONE],
            meta_description="minecalc: Bitcoin mining at national scale",
            sidebar=[self.pick, self.upload, self.upload_message, self.controls],
            main=[
                pn.Column(
                    self.verdict,
                    self.problems,
                    self.figures,
                    self.charts,
                    pn.pane.Markdown(
                        "### Fiscal summary: what the state funds, and the IMF's subsidy test"
                    ),
                    self.fiscal,
                    self.options_section,
                    pn.pane.Markdown("### Uncertainty: Monte Carlo over price, network and fees"),
                    pn.Row(self.mc_paths, self.mc_run, self.mc_cancel, self.mc_progress),
                    self.mc_result,
                    self.mc_chart,
                    pn.pane.Markdown("### Downloads"),
                    self.downloads,
                    sizing_mode="stretch_width",
                )
            ],
        )
        return template

    def _build_controls(self) -> None:
        """The controls for the current scenario (its currency in the labels)."""
        assert self.scenario is not None
        currency = self.scenario.tariff.currency
        groups: dict[str, list] = {}
        self.widgets, self.errors, self.scales, self.starts = {}, {}, {}, {}
        for control in self.controls_shown():
            text, scale = fields.label(control, currency)
            start = fields.shown(self.scenario, control, scale)
            widget = self._widget(control, text, start)
            widget.param.watch(self._changed, "value")
            self.widgets[control.path], self.scales[control.path] = widget, scale
            self.starts[control.path] = start
            self.errors[control.path] = pn.pane.HTML(
                "",
                css_classes=[f"mc-error-{control.css}"],
                styles={"color": "#b00020"},
                margin=(0, 10),
            )
            groups.setdefault(control.group, []).extend([widget, self.errors[control.path]])
        self.controls.objects = [
            pn.Card(*items, title=group, collapsible=True, sizing_mode="stretch_width")
            for group, items in groups.items()
        ]

    def _widget(self, control: fields.Control, text: str, shown: Any) -> Any:
        css = [f"mc-field-{control.css}"]
        if control.kind == "options":
            choices = [k for k in OPTION_KINDS if k != "idle"]
            return pn.widgets.MultiChoice(label=text, options=choices, value=shown, css_classes=css)
        if control.kind == "flag":
            return pn.widgets.Checkbox(label=text, value=bool(shown), css_classes=css)
        if control.kind in ("choice", "machine"):
            options = list(control.choices or self.machines)
            if shown is not None and shown not in options:
                options.insert(0, shown)
            if shown is None:  # the scenario sets it otherwise: leave it as it is
                options.insert(0, "as in the scenario")
                shown = "as in the scenario"
            return pn.widgets.Select(label=text, options=options, value=shown, css_classes=css)
        if control.kind == "text":
            return pn.widgets.TextInput(label=text, value=shown or "", css_classes=css)
        if control.kind == "integer":
            return pn.widgets.IntInput(label=text, value=shown, css_classes=css)
        return pn.widgets.FloatInput(label=text, value=shown, css_classes=css)

    def _download(self, label: str, filename: str, make: Callable[[], Any], css: str) -> Any:
        return pn.widgets.FileDownload(
            label=label,
            filename=filename,
            callback=self._guarded(make),
            embed=False,
            css_classes=[f"mc-download-{css}"],
        )

    # ------------------------------------------------------------------ scenario in
    def _load(self, example: str | None, data: dict | None) -> None:
        """Start from a packaged example or a mapping (an upload, the served file)."""
        if example is not None:
            data = read_scenario(examples.path(example))
        assert data is not None
        self.example, self.base = example, data
        self.scenario = config_from_dict(data)
        self._build_controls()
        self._recompute()

    def _picked(self, event) -> None:
        if event.new in examples.names() and event.new != self.example:
            self.pick.options = examples.names()  # an upload's entry goes
            self._guarded(lambda: self._load(event.new, None))()

    def _uploaded(self, event) -> None:
        raw = event.new
        if raw is None:
            return
        filename = self.upload.filename or "upload.yaml"
        try:
            scenario = config_from_text(raw, name=filename)
        except InputError as err:
            self.upload_message.object = _lines(str(err), error=True)
            return
        self.upload_message.object = f"Loaded {html.escape(filename)}: {html.escape(scenario.name)}"
        # the upload becomes the picked entry: a value the browser's list lacks would be
        # replaced there by its first entry, and that example loaded over the upload
        uploaded = f"uploaded: {filename}"
        self.pick.param.update(options=[uploaded, *examples.names()], value=uploaded)
        self._guarded(lambda: self._load(None, scenario.to_dict()))()

    # ------------------------------------------------------------------ recompute
    def changes(self) -> dict[str, Any]:
        """The fields whose controls differ from the scenario, and their values."""
        out = {}
        for control in self.controls_shown():
            value, start = self.widgets[control.path].value, self.starts[control.path]
            if value in ("as in the scenario", start) or (value == "" and start is None):
                continue
            out[control.path] = fields.value(control, value, self.scales[control.path])
        return out

    def controls_shown(self) -> list[fields.Control]:
        """The controls the current scenario has."""
        assert self.scenario is not None
        return [c for c in fields.CONTROLS if fields.applies(self.scenario, c)]

    def current(self, changes: dict[str, Any] | None = None) -> Scenario:
        """The scenario the controls describe (or ``changes`` of the scenario), validated
        as ``--set`` overrides are; :class:`ConfigError` if they are invalid."""
        changes = self.changes() if changes is None else changes
        overrides = [fields.override(path, value) for path, value in changes.items()]
        scenario = config_from_dict(self.base, overrides)
        scenario.check_priced()
        if scenario.horizon_months > fields.MAX_HORIZON_MONTHS:
            raise ConfigError(
                [
                    f"horizon_months: expected at most {fields.MAX_HORIZON_MONTHS} months on "
                    f"this page (longer runs: minecalc run), got {scenario.horizon_months}"
                ]
            )
        return scenario

    def _changed(self, _event=None) -> None:
        self._guarded(self._recompute)()

    def _recompute(self) -> None:
        for pane in self.errors.values():
            pane.object = ""
        self.problems.object = ""
        changes = self.changes()
        try:
            scenario = self.current(changes)
        except ConfigError as err:
            self._show_problems(err.problems)
            return
        LOG.info("run %s with %s", scenario.name, changes or "no change")
        ds = run(scenario)
        self.ds, self.summary, self.run_scenario = ds, summary_dict(ds), scenario
        self.runs += 1
        self.verdict.object = _verdict(self.summary, scenario)
        self.figures.object = _figures(self.summary, self.runs)
        self.fiscal.object = _cards(fiscal.figures(ds))
        self.figures.styles = {"opacity": "1"}
        self.mc_result.object, self.mc_chart.object = "", None
        self._later(self._draw)  # the charts after the figures reach the browser

    def _show_problems(self, lines: list[str]) -> None:
        rest = []
        for line in lines:
            control = fields.owner(line)
            if control is None:
                rest.append(line)
            else:
                pane = self.errors[control.path]
                pane.object = (pane.object + "<br>" if pane.object else "") + html.escape(line)
        if rest:
            self.problems.object = _lines("\n".join(rest), error=True)
        self.figures.styles = {"opacity": "0.4"}  # the last good figures, greyed

    def _draw(self) -> None:
        for pane, plot in zip(self.chart_panes, CHARTS.values(), strict=True):
            pane.object = _chart(plot, self.ds)
        scenario = self.run_scenario
        assert scenario is not None
        self.options_section.visible = scenario.options is not None
        if scenario.options is not None:
            opts = compare(scenario)
            self.options.object = _options_html(opts)
            for pane, plot in zip(self.option_panes, OPTION_CHARTS.values(), strict=True):
                pane.object = _chart(plot, opts)

    # ------------------------------------------------------------------ Monte Carlo
    def _start_monte_carlo(self, _event) -> None:
        paths = self.mc_paths.value
        if paths is None or not 1 <= paths <= MAX_PATHS:
            self.mc_result.object = _lines(
                f"paths: expected a whole number from 1 to {MAX_PATHS:,}, got {paths}", error=True
            )
            return
        try:
            scenario = self.current()
        except ConfigError as err:
            self.mc_result.object = _lines(str(err), error=True)
            return
        self.cancel.clear()
        self.mc_run.disabled, self.mc_cancel.disabled = True, False
        self.mc_progress.value, self.mc_progress.active = 0, True
        self.mc_result.object = f"Running {paths:,} paths …"
        threading.Thread(target=self._monte_carlo, args=(scenario, paths), daemon=True).start()

    def _monte_carlo(self, scenario: Scenario, paths: int) -> None:
        def progress(message: str, fraction: float | None = None) -> None:
            if self.cancel.is_set():
                raise Cancelled
            if fraction is not None:
                self._later(lambda: setattr(self.mc_progress, "value", int(100 * fraction)))

        try:
            mc = uncertainty.monte_carlo(scenario, paths, seed=0, progress=progress)
        except Cancelled:
            self._later(lambda: self._monte_carlo_done("Cancelled.", None))
            return
        except Exception as err:
            LOG.exception("Monte Carlo failed")
            text = _lines(f"internal error: {type(err).__name__}: {err} (logged)", error=True)
            self._later(lambda: self._monte_carlo_done(text, None))
            return
        self._later(lambda: self._monte_carlo_done(_monte_carlo_html(mc), mc))

    def _monte_carlo_done(self, text: str, mc: Any) -> None:
        self.mc_result.object = text
        self.mc_run.disabled, self.mc_cancel.disabled = False, True
        self.mc_progress.value, self.mc_progress.active = (100 if mc is not None else 0), False
        if mc is not None:
            self.mc_chart.object = _chart(plotting.plot_fan, mc)

    def _later(self, work: Callable[[], None]) -> None:
        """Run ``work`` at the session's next tick: on its own thread (widgets change only
        there), once what has changed so far is on its way to the browser."""
        if self.doc is not None:
            self.doc.add_next_tick_callback(self._guarded(work))
        else:
            work()

    # ------------------------------------------------------------------ downloads
    def _yaml(self) -> io.StringIO:
        changes = self.changes()
        return io.StringIO(fields.scenario_yaml(self.example, changes, self.current(changes)))

    def _netcdf(self) -> io.BytesIO:
        with tempfile.TemporaryDirectory() as tmp:  # the server's own folder, never the browser's
            return io.BytesIO(write_dataset(self.ds, Path(tmp) / "results.nc").read_bytes())

    def _csv(self) -> io.StringIO:
        return io.StringIO(monthly_table(self.ds).to_csv())

    def _pdf(self) -> io.BytesIO:
        from ..report import write_report

        with tempfile.TemporaryDirectory() as tmp:
            write_report(self.current(), tmp, paths=500)
            return io.BytesIO((Path(tmp) / "report.pdf").read_bytes())

    # ------------------------------------------------------------------ errors
    def _guarded(self, work: Callable[[], Any]) -> Callable[[], Any]:
        """``work`` with its failures shown on the page and logged; the server goes on."""

        def guarded(*_args) -> Any:
            try:
                return work()
            except InputError as err:
                self.problems.object = _lines(str(err), error=True)
            except Exception as err:
                LOG.exception("a page action failed")
                self.problems.object = _lines(
                    f"internal error: {type(err).__name__}: {err} - this is a bug in minecalc; "
                    "it is logged on the server",
                    error=True,
                )
            return None

        return guarded


def _html(css: str) -> pn.pane.HTML:
    """An empty HTML pane of the page's style, named ``css`` in the page."""
    return pn.pane.HTML("", css_classes=[css], stylesheets=[CSS], sizing_mode="stretch_width")


def _chart(plot: Callable[..., Any], ds: Any) -> Figure:
    """A chart as its own figure (not pyplot's: sessions draw in several threads)."""
    with plotting.style():
        fig = Figure(figsize=(8, 4.2), layout="constrained")
        plot(ds, ax=fig.subplots())
    return fig


def _lines(text: str, *, error: bool = False) -> str:
    style = ' style="color:#b00020"' if error else ""
    body = "<br>".join(html.escape(line) for line in text.splitlines())
    return f"<div{style}>{body}</div>"


def _span(name: str, value: Any, text: str) -> str:
    shown = "" if value is None else repr(float(value))
    return f'<span data-name="{name}" data-value="{shown}">{html.escape(text)}</span>'


def _figures(summary: dict, runs: int) -> str:
    """The headline figures as cards, each value tagged with its summary key and value."""
    cards = []
    for key, figure in headline(summary).items():
        value = summary.get(HEADLINE[key]) if key in HEADLINE else None
        text = _span(HEADLINE.get(key, key), value, figure.value)
        note = f'<div class="note">{html.escape(figure.note)}</div>' if figure.note else ""
        cards.append(
            f'<div class="mc-card"><div class="label">{html.escape(figure.label)}</div>'
            f'<div class="value">{text}</div>{note}</div>'
        )
    return (
        f'<div class="mc-figures">{"".join(cards)}</div>'
        f'<span data-name="runs" data-value="{runs}" hidden></span>'
    )


def _cards(figures: list) -> str:
    """Figures (label, value, note) as cards."""
    cards = "".join(
        f'<div class="mc-card"><div class="label">{html.escape(f.label)}</div>'
        f'<div class="value">{html.escape(f.value)}</div>'
        + (f'<div class="note">{html.escape(f.note)}</div>' if f.note else "")
        + "</div>"
        for f in figures
    )
    return f'<div class="mc-figures">{cards}</div>'


def _options_html(opts: Any) -> str:
    """The options side by side (the table of ``minecalc compare``) and its answer."""
    head = "".join(f"<th>{html.escape(decision.LABELS[str(o)])}</th>" for o in opts.option.values)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
        for row in decision.rows(opts)
    )
    answer = "".join(f"<p>{html.escape(line)}</p>" for line in decision.answer(opts))
    return (
        f'<div class="mc-answer">{answer}</div><table class="mc-table">'
        f"<tr><th></th>{head}</tr>{body}</table>"
    )


def _per_kwh(scenario: Scenario, price: float | None) -> str:
    """A price of energy in words; None is the scenario's tariff (flat or by hour)."""
    if price is None:
        price = scenario.tariff.energy_price_per_kwh
    if price is None:
        return "the time-of-use tariff"
    return f"{price:g} {scenario.tariff.currency}/kWh"


def _verdict(s: dict, scenario: Scenario) -> str:
    """One sentence on whether mining pays, and whether it beats selling the energy."""
    npv, months = s["npv_usd"], s["horizon_months"]
    tariff = _per_kwh(scenario, scenario.tariff.energy_price_per_kwh)
    pays = "earns" if npv >= 0 else "loses"
    rate = percent(scenario.finance.discount_rate, 2)
    text = (
        f"<b>{html.escape(scenario.name)}</b>. At {tariff} and BTC at "
        f"{money(scenario.market.btc_price_usd)}, mining {pays} "
        f"<b>{money(abs(npv))}</b> over {months} months (NPV at {rate})."
    )
    mining, selling = s["mining_value_usd_per_mwh_mean"], s["alternative_value_usd_per_mwh_mean"]
    if mining is not None and selling is not None:
        better = "mining beats selling it" if mining > selling else "selling it beats mining"
        sold_at = scenario.finance.alternative_energy_price_per_kwh
        text += (
            f" Each MWh earns {money(mining)} mined against {money(selling)} sold at "
            f"{_per_kwh(scenario, sold_at)}: <b>{better}</b>."
        )
    return f"<div>{text}</div>"


def _monte_carlo_html(mc: Any) -> str:
    out = uncertainty.monte_carlo_summary(mc)
    rows = [
        (
            "prob_npv_negative",
            out["prob_npv_negative"],
            "P(loss): NPV below 0",
            percent(out["prob_npv_negative"]),
        ),
        (
            "npv_p90_usd",
            out["npv_usd_q10"],
            "NPV P90 (exceeded on 90 % of paths)",
            money(out["npv_usd_q10"]),
        ),
        ("npv_p50_usd", out["npv_usd_q50"], "NPV P50 (the median)", money(out["npv_usd_q50"])),
        ("btc_p90", out["btc_total_q10"], "BTC P90", f"{out['btc_total_q10']:,.0f} BTC"),
    ]
    cells = "".join(
        f'<div class="mc-card"><div class="label">{html.escape(label)}</div>'
        f'<div class="value">{_span(name, value, text)}</div></div>'
        for name, value, label, text in rows
    )
    return (
        f'<div class="mc-figures">{cells}</div>'
        f'<div class="note">{html.escape(out["price_model"])}</div>'
    )


def page(start: str, start_data: dict | None = None) -> pn.template.BaseTemplate:
    """A new session's page (Panel calls this once per browser session)."""
    return Page(start, start_data).view()
