"""The report: figures as PNG and SVG, a multi-page PDF, summary.md; nothing overwritten."""

import json
import re
from pathlib import Path
from typing import NamedTuple

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib import image
from matplotlib import pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages
from pages import flat, part
from pypdf import PdfReader

from minecalc import model, plotting, report
from minecalc.cli import main
from minecalc.config import load_config
from minecalc.formatting import money, percent, quantity, sig

PK = str(Path(__file__).parents[1] / "configs" / "pk2000mw.yaml")
LEFT_OUT = ("network_response", "dispatch")  # pk2000mw: no response, flat dispatch
FIGURES = [n for n in [*report.RUN_FIGURES, *report.ANALYSIS_FIGURES] if n not in LEFT_OUT]
FOOTER = re.compile(r"minecalc \S+ · run \d{4}-\d\d-\d\d · page (\d+) of (\d+)")
TITLES = {
    "btc": "BTC mined and its value",
    "cash_flow": "monthly revenue against costs",
    "cumulative_cash": "cumulative cash flow",
    "hashprice": "hashprice against hashcost",
    "difficulty": "difficulty path",
    "network_share": "the fleet's share of the network",
    "network_response": "how the other miners answer",
    "dispatch": "when the machines hash",
    "npv_map": "net present value over two parameters",
    "tornado": "what moves net present value most",
    "sobol": r"Sobol indices of NPV \([\d,]+ runs\)",
    "monte_carlo_fan": r"cumulative cash flow: [\d,]+ Monte Carlo paths",
    "npv_histogram": r"NPV over [\d,]+ Monte Carlo paths",
}
"""Each chart's own title on its page, after the scenario's name (a regular expression)."""


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "pk"
    result = invoke("report", PK, "--out", out, "--paths", 200, "--seed", 4)
    assert result.exit_code == 0, result.output
    return out, result.output


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """El Salvador's 1.5 MW report, written from Python with progress; a stale figure of a
    chart this report leaves out is already in the folder."""
    out = tmp_path_factory.mktemp("report") / "sv"
    out.mkdir()
    (out / "dispatch.png").write_text("stale")
    told = []
    written = report.write_report(
        load_config("el_salvador_lageo"),
        out,
        paths=100,
        progress=lambda message, fraction: told.append(message),
    )
    return out, written, told


@pytest.fixture(scope="module")
def response_pdf(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "response"
    report.write_report(load_config("pk2000mw_response"), out, paths=50)
    return PdfReader(out / "report.pdf")


def _pages(pdf) -> list:
    reader = pdf if isinstance(pdf, PdfReader) else PdfReader(pdf)
    return [page.extract_text() for page in reader.pages]


def _amount(text: str) -> float:
    """``-7.09 bn USD`` -> -7.09e9 (the inverse of formatting.money)."""
    number, *scale = text.replace(",", "").split()[:-1]
    return float(number) * {"": 1, "M": 1e6, "bn": 1e9, "tn": 1e12}[scale[0] if scale else ""]


class Layout(NamedTuple):
    """A report's PDF, as text, cut into its parts."""

    pages: list
    """Every page's text."""
    first: list
    """The first text part: in brief, fiscal summary, key figures (and their continuations)."""
    contents: list
    """Contents and assumptions (and their continuations)."""

    @property
    def text(self) -> int:
        """How many text pages come before the figures."""
        return len(self.first) + len(self.contents)


def _layout(pdf, title: str) -> Layout:
    pages = _pages(pdf)
    first = part(pages, 0, title)
    return Layout(pages, first, part(pages, len(first), "Contents and assumptions"))


def _check_contents(layout: Layout, names: list, scenario_name: str) -> None:
    """The contents list each chart, in order from the page after the text pages, at the
    page that draws it (read there: the chart's own title, on that page only)."""
    contents = "\n".join(layout.contents)
    for k, name in enumerate(names, layout.text + 1):
        listed = re.search(rf"{re.escape(report.CHARTS[name].title)}\s+page (\d+)\b", contents)
        assert listed and int(listed[1]) == k, (name, listed)
        # the title ends its line (pypdf 4.0 reads the axis labels in front of it)
        title = re.compile(
            re.escape(flat(f"{scenario_name}:")) + TITLES[name].replace(" ", "") + "$"
        )

        def shows(page: str) -> bool:
            return any(title.search(flat(line)) for line in page.split("\n"))  # noqa: B023

        assert shows(layout.pages[int(listed[1]) - 1]), name
        assert [n for n, page in enumerate(layout.pages, 1) if shows(page)] == [k], name


@pytest.fixture(scope="module")
def layout(written):
    return _layout(written[0] / "report.pdf", "Pakistan 2,000 MW")


def test_report_writes_every_file(written):
    out, output = written
    expected = {f"{n}.{ext}" for n in FIGURES for ext in ("png", "svg")} | {
        "report.pdf",
        "summary.md",
    }
    assert {p.name for p in out.iterdir()} == expected
    assert f"wrote {len(expected)} files" in output


def test_pdf_has_its_text_pages_then_one_page_per_figure(written, layout):
    out, _ = written
    reader = PdfReader(out / "report.pdf")
    assert len(reader.pages) == layout.text + len(FIGURES)
    assert len(layout.first) >= 2  # the key figures go on to a further page
    first = layout.first[0]
    assert "Pakistan 2,000 MW" in first and "In brief" in first and "Fiscal summary" in first
    assert "38,696 BTC" in first  # the packaged scenario's BTC over 60 months
    assert "2,000 MW of mining" in first and "104 EH/s" in first and "bn USD" in first
    text = "\n".join(layout.first)
    order = ("In brief", "Fiscal summary", "Key figures", "Monte Carlo: 200 paths (seed 4)")
    assert [text.index(heading) for heading in order] == sorted(text.index(h) for h in order)
    assert "assumptions" in layout.contents[0]
    chart = reader.pages[layout.text].extract_text()  # the first chart, right after the text
    assert flat("Pakistan 2,000 MW: BTC mined and its value") in flat(chart)
    hashprice = reader.pages[layout.text + FIGURES.index("hashprice")].extract_text()
    assert "hashprice against hashcost" in hashprice


def test_the_fiscal_summary_is_on_the_first_page(layout):
    ds = model.run(load_config(PK))
    rows = report.fiscal_rows(ds)  # no loans: the Monte Carlo adds no DSCR quantile
    assert [label for label, _ in rows] == [
        "Peak funding need",
        "Peak FX need",
        "Import cover",
        "Minimum DSCR",
        "Tax paid",
        "Subsidy test",
        "Reserve at the end",
        "Levelized cost per BTC",
    ]
    first = flat(layout.first[0])
    at = first.index(flat("Fiscal summary"))
    for label, value in rows:  # each row whole, in order, between its heading and the next
        at = first.index(flat(f"{label} {value}"), at) + 1
    assert at < first.index(flat("Key figures"))
    peak = f"{money(float(ds.peak_funding_usd))} in month {int(ds.peak_funding_month)}"
    assert flat(f"Peak funding need {peak}") in first
    assert flat("Minimum DSCR n/a (no loans)") in first
    assert flat("Tax paid none (no tax block)") in first


@pytest.mark.parametrize("name", FIGURES)
def test_png_is_not_blank_and_svg_is_an_svg(written, name):
    out, _ = written
    pixels = image.imread(out / f"{name}.png")[..., :3]
    assert pixels.shape[0] > 300 and pixels.shape[1] > 500
    assert pixels.std() > 0.05, "blank figure"
    assert (pixels < 0.9).mean() > 0.02, "almost nothing drawn"
    assert "<svg" in (out / f"{name}.svg").read_text()[:2000]


def test_summary_md_agrees_with_the_run(written):
    out, _ = written
    text = (out / "summary.md").read_text()
    summary = json.loads(invoke("run", PK, "--format", "json").output)
    assert f"| NPV | {money(summary['npv_usd'])} = " in text  # then the NPV in PKR
    assert f"{quantity(summary['btc_total'], 'BTC')}" in text
    for name in FIGURES:
        assert f"![{name}]({name}.png)" in text
    for name in LEFT_OUT:
        assert f"({name}.png)" not in text
    assert "Left out: how the other miners answer, because" in text


def test_a_scenario_without_options_gets_no_decision_page(written):
    out, _ = written
    pages = _pages(out / "report.pdf")
    assert pages[0].startswith("Pakistan 2,000 MW") and "In brief" in pages[0]
    assert not any("The options side by side" in page for page in pages)
    assert "## What the state could do" not in (out / "summary.md").read_text()
    assert not [p.name for p in out.iterdir() if p.name.startswith("options_")]
    assert not set(report.DECISION_FIGURES) & set(report.chart_names(model.run(load_config(PK))))


def test_report_never_overwrites_without_force(written):
    out, _ = written
    before = (out / "report.pdf").stat().st_mtime_ns
    result = invoke("report", PK, "--out", out, "--paths", 50)
    assert result.exit_code == 2
    assert "use --force" in result.output and "Traceback" not in result.output
    assert (out / "report.pdf").stat().st_mtime_ns == before
    again = invoke("report", PK, "--out", out, "--paths", 50, "--force")
    assert again.exit_code == 0, again.output


def test_run_plots_writes_the_run_figures_beside_the_results(tmp_path):
    result = invoke("run", PK, "--out", tmp_path / "r", "--plots")
    assert result.exit_code == 0, result.output
    names = {p.name for p in (tmp_path / "r").iterdir()}
    assert {"results.nc", "monthly.csv", "summary.json"} <= names
    drawn = [n for n in report.RUN_FIGURES if n not in LEFT_OUT]
    assert {f"{n}.png" for n in drawn} <= names
    assert {f"{n}.svg" for n in drawn} <= names
    assert not {f"{n}.png" for n in LEFT_OUT} & names


def test_run_plots_needs_an_output_folder():
    result = invoke("run", PK, "--plots")
    assert result.exit_code == 2
    assert "--plots: expected --out" in result.output


def test_report_ranges_straddle_the_scenario():
    scenario = load_config(PK)
    base = {
        "tariff.energy_price_per_kwh": 22.98,
        "market.btc_price_usd": 65137.0,
        "site.pue": 1.10,
        "finance.discount_rate": 0.10,
        "network.hashrate_growth.per_year": 0.192,
    }
    ranges = report.tornado_ranges(scenario)
    for field, value in base.items():
        low, high = ranges[field]
        assert low < value < high, field
    assert ranges["site.pue"][0] >= 1.0
    np.testing.assert_allclose(
        ranges["network.hashrate_growth.per_year"], (-0.008, 0.392), atol=1e-9
    )


def test_a_response_run_reports_what_the_other_miners_give_back():
    scenario = load_config(str(Path(PK).with_name("pk2000mw_response.yaml")))
    from minecalc import model

    ds = model.run(scenario)
    rows = dict(report.key_figures(ds))
    fixed = float(ds.btc_total_without_response)
    assert rows["... if others did not respond"].startswith(quantity(fixed, "BTC"))
    gain = float(ds.btc_total) / fixed - 1
    assert f"which gives it {percent(gain)} back" in report.brief(scenario, ds)


def test_a_small_site_reads_at_its_own_precision(small):
    out, _, _ = small
    layout = _layout(out / "report.pdf", "El Salvador LaGeo 1.5 MW geothermal")
    pages = layout.pages
    text = "\n".join(pages)
    assert "1.5 MW of mining" in pages[0]
    assert flat("Power 1.5 MW x 100 % for mining") in flat(" ".join(layout.contents))
    assert not re.search(r"(?<![\d.,])2 MW", text), "1.5 MW rounded to 2 MW"
    ds = model.run(load_config("el_salvador_lageo"))
    assert quantity(float(ds.fleet_nameplate_hashrate_eh_s), "EH/s") in pages[0]
    assert "0.0 %" not in text and "0 EH/s" not in text
    assert f"| Capex | {money(float(ds.capex_usd))} |" in (out / "summary.md").read_text()


def test_every_page_has_a_footer_with_its_number(small, written):
    for pdf in (small[0] / "report.pdf", written[0] / "report.pdf"):
        pages = _pages(pdf)
        for k, text in enumerate(pages, 1):
            found = FOOTER.findall(text)
            assert found == [(str(k), str(len(pages)))], (k, text[-200:])


def test_npv_quantiles_are_named_by_exceedance_and_ordered(written, layout):
    out, _ = written
    rows = dict(re.findall(r"^\| (.+?) \| (.+?) \|$", (out / "summary.md").read_text(), re.M))
    p90 = _amount(rows["NPV P90 (exceeded in 90 % of paths)"])
    p50 = _amount(rows["NPV P50 (the median)"])
    p10 = _amount(rows["NPV P10 (exceeded in 10 % of paths)"])
    assert p90 <= p50 <= p10 and p90 < p10
    first = "\n".join(layout.first)  # the key figures may go on to a further page
    row = first.index("NPV P90 (exceeded in 90 % of paths)")
    assert row < first.index("stationary bootstrap")  # the model stated under P(loss)


def test_the_monte_carlo_model_is_stated_wherever_p_loss_appears(written, layout):
    out, _ = written
    pages = layout.pages
    assert "chance of losing money" in layout.first[0]  # in brief
    first = "\n".join(layout.first)  # ... and the model under the key figures
    assert first.index("P(NPV < 0)") < first.index("median price 0 %/yr")
    for name in ("monte_carlo_fan", "npv_histogram"):
        page = pages[layout.text + FIGURES.index(name)]
        assert "chance of losing money" in page and "median price 0 %/yr" in page, name
    summary = (out / "summary.md").read_text()
    assert summary.count("median price 0 %/yr") >= 2  # the brief and the key figures


def test_pages_with_nothing_to_show_are_left_out_and_the_contents_say_why(layout, response_pdf):
    figures = layout.pages[layout.text :]
    assert not any("how the other miners answer" in p for p in figures)
    assert not any("when the machines hash" in p for p in figures)
    contents = flat(" ".join(layout.contents))
    assert flat("Left out: how the other miners answer, because other miners do not respond") in (
        contents
    )
    assert flat(
        "Left out: when the machines hash, because the machines hash 100 % of every hour"
    ) in (contents)
    _check_contents(layout, FIGURES, "Pakistan 2,000 MW")
    name = "Pakistan 2,000 MW, network response"
    response = _layout(response_pdf, name)
    drawn = report.chart_names(model.run(load_config("pk2000mw_response")))
    assert "network_response" in drawn and len(response.pages) == response.text + len(drawn)
    _check_contents(response, drawn, name)
    at = [k for k, p in enumerate(response.pages, 1) if "how the other miners answer" in p]
    assert at == [response.text + 1 + drawn.index("network_response")]
    assert "Left out: how the other miners answer" not in "\n".join(response.contents)


def test_the_dispatch_map_is_drawn_only_when_it_varies():
    flat = model.run(load_config("pk2000mw"))
    seasonal = model.run(load_config("pk2000mw_winter_surplus"))
    assert "dispatch" in report.omitted(flat) and "dispatch" not in report.chart_names(flat)
    assert "dispatch" not in report.omitted(seasonal)
    assert "dispatch" in report.chart_names(seasonal)


def test_the_tornado_page_states_each_inputs_low_and_high_values(layout):
    page = layout.pages[layout.text + FIGURES.index("tornado")].replace("\n", " ")
    ranges = report.tornado_ranges(load_config(PK))
    assert "Energy price in the tariff currency 17.2 to 28.7 PKR/kWh" in page
    assert "Discount rate per year 6 to 14 %" in page
    for field, (low, high) in ranges.items():
        name, _, factor = plotting.field_label(field, "PKR")
        assert f"{name} {sig(low * factor)} to {sig(high * factor)}" in page, field
    assert "tariff.energy_price_per_kwh" not in page and "site.pue" not in page
    first = flat(" ".join(layout.first))  # the key figures, on whichever page they reach
    assert flat("Energy price in the tariff currency, 17.2 to 28.7 PKR/kWh: NPV swings") in first


def test_report_skips_files_it_will_not_write_and_tells_its_progress(small):
    out, written, told = small
    assert (out / "dispatch.png").read_text() == "stale"  # not ours to check or replace
    assert {p.name for p in written} == (
        {f"{n}.{e}" for n in FIGURES for e in ("png", "svg")} | {"report.pdf", "summary.md"}
    )
    for step in ("Running the scenario", "Tornado", "Sobol indices", "Writing report.pdf"):
        assert step in told
    assert any(m.startswith("Monte Carlo") for m in told)
    assert any(m.startswith("NPV map") for m in told)


HOSTILE_NAME = "\x1b]0;pwned\x07\x1b[2J\rPlant \u202eA | $\\alpha$ *b* <b>x</b> # $\\foo$"
HOSTILE_DESCRIPTION = "First | a | b |\n# heading\n---\n- item\n1. one\n    code\t$x$ <i>y</i>"


@pytest.fixture(scope="module")
def hostile():
    """pk2000mw renamed past validation, as a caller of the library could."""
    scenario = load_config(PK).model_copy(
        update={"name": HOSTILE_NAME, "description": HOSTILE_DESCRIPTION}
    )
    return scenario, model.run(scenario)


def test_markdown_shows_a_hostile_name_and_description_as_written(hostile):
    scenario, ds = hostile
    text = report.summary_markdown(scenario, ds, None, ["btc"])
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", text)
    lines = text.split("\n")
    assert [line for line in lines if line.startswith("#")] == [
        lines[0],
        "## Fiscal summary",
        "## Key figures",
        "## Assumptions",
        "## Figures",
    ]
    title = lines[0].removeprefix("# ")
    assert re.sub(r"\\(.)", r"\1", title) == (  # what a renderer shows, escapes undone
        "\\x1b]0;pwned\\x07\\x1b[2J\\x0dPlant \\u202eA | $\\alpha$ *b* <b>x</b> # $\\foo$"
    )
    assert not re.search(r"[|*$#<]", re.sub(r"\\.", "", title))  # none left to act
    description = lines[2 : lines.index("", 2)]
    assert description == [
        "First \\| a \\| b \\|",
        "\\# heading",
        "\\---",
        "\\- item",
        "1\\. one",
        "code\t\\$x\\$ \\<i>y\\</i>",
    ]
    rows = [line for line in lines if line.startswith("|")]
    assert rows and all(len(re.findall(r"(?<!\\)\|", row)) == 3 for row in rows)


def test_pdf_shows_a_hostile_name_as_written(hostile, tmp_path, monkeypatch):
    scenario, ds = hostile
    monkeypatch.setattr(report, "BOTTOM", 0.4)  # so that the first part goes on to a page
    with PdfPages(tmp_path / "pages.pdf") as doc:
        for page in report.summary_pages(scenario, ds):
            doc.savefig(page)  # a parse error on $\foo$ before the escape
            plt.close(page)
    pages = [flat(page) for page in _pages(tmp_path / "pages.pdf")]
    shown = "\\x1b]0;pwned\\x07\\x1b[2J\\x0dPlant \\u202eA | $\\alpha$ *b* <b>x</b> # $\\foo$"
    first = part(pages, 0, shown)  # the name is the title of each of its pages, as written
    assert len(first) >= 2, "the first text part no longer continues: no continued title tried"
    assert all(page.startswith(flat(f"{shown} (continued)")) for page in first[1:])
    contents = part(pages, len(first), "Contents and assumptions")
    assert first + contents == pages
    assert flat(shown) in contents[0]  # "<name>: inputs of this run"
    assert flat("$x$ <i>y</i>") in first[0]


@pytest.fixture(scope="module")
def financed():
    """pk2000mw_fiscal with a small analysis: its loan, tax and reserves lengthen the fiscal
    summary and the inputs, so both text parts go on to further pages."""
    scenario = load_config("pk2000mw_fiscal")
    analysis = report.analyse(scenario, paths=20, seed=1, sobol_n=8)
    return scenario, model.run(scenario), analysis


def test_a_long_first_text_part_continues_and_nothing_is_drawn_below_bottom(financed, tmp_path):
    scenario, ds, analysis = financed
    pages = report.summary_pages(scenario, ds, analysis, "2026-01-01")
    try:
        for k, page in enumerate(pages, 1):
            texts = list(page.texts)
            renderer = page.canvas.get_renderer()
            footer = report._footer(page, f"minecalc x · run 2026-01-01 · page {k} of 99")
            top = footer.texts[-1].get_window_extent(renderer).y1 / page.bbox.height
            for t in texts:
                assert t.get_position()[1] >= report.BOTTOM - 1e-9, (k, t.get_text())
                # and its glyphs (va="top": they hang below y) stay clear of the footer
                assert t.get_window_extent(renderer).y0 / page.bbox.height > top, (k, t)
            for line in page.lines:  # the rules under the rows
                assert min(line.get_ydata()) >= report.BOTTOM - 1e-9, k
        with PdfPages(tmp_path / "pages.pdf") as doc:
            for page in pages:
                doc.savefig(page)
    finally:
        for page in pages:
            plt.close(page)
    text = _pages(tmp_path / "pages.pdf")
    first = part(text, 0, scenario.name)
    assert len(first) >= 2
    assert flat(text[1]).startswith(flat("Pakistan 2,000 MW, financed (continued)"))
    heading = text[1].split("\n")[1]  # the section it broke in, begun on the page before
    assert heading in ("Fiscal summary (continued)", "Key figures (continued)")
    assert re.search(rf"^{heading.removesuffix(' (continued)')}$", text[0], re.M)
    for section in ("In brief", "Fiscal summary", "Key figures"):  # each begun once
        begun = [page for page in first if re.search(rf"^{section}$", page, re.M)]
        assert len(begun) == 1, section
    rows = [*report.fiscal_rows(ds, analysis), *report.key_figures(ds, analysis)]
    body, at = flat(" ".join(first)), 0
    for label, value in rows:  # every row, whole and in order, across the pages
        at = body.index(flat(f"{label} {value}"), at) + 1
    assert body.index(flat("Monte Carlo: 20 paths (seed 1)")) > at  # the model under the rows
    p90 = float(analysis.monte_carlo.dscr_min.quantile(0.1, "path"))
    assert flat(f"(P90 {sig(p90)}; covenant") in body  # loans: the DSCR's P90
    assert flat("LLCR at the draw") in body and flat("Equity IRR") in body
    contents = part(text, len(first), "Contents and assumptions")
    assert first + contents == text and len(contents) >= 2
    listed = "\n".join(contents)
    names = report.chart_names(ds)
    for k, name in enumerate(names, len(pages) + 1):  # the charts start after every text page
        assert re.search(rf"{re.escape(report.CHARTS[name].title)}\s+page {k}\b", listed), name
    inputs, at = flat(listed), 0
    for label, value in report.assumptions(scenario):
        at = inputs.index(flat(f"{label} {value}"), at) + 1
    for row in ("Loans 60 % of capex in USD at 9 %/yr", "Profit tax 29 %", "Paid in USD: "):
        assert flat(row) in inputs


def test_the_scenario_sets_are_reported_with_what_they_stand_for(written, layout):
    out, _ = written
    text = (out / "summary.md").read_text()
    sets = text.split("## Scenario sets")[1].split("## Assumptions")[0]
    rows = [line for line in sets.splitlines() if line.startswith("| ") and "P(NPV < 0)" in line]
    assert [row.split(" | ")[0] for row in rows] == ["| base", "| bear", "| bull"]
    assert "bear: the median price falling 25 % a year" in sets
    pages = flat(" ".join(layout.pages))
    assert flat("Scenario sets") in pages
    assert flat("bull: the median price rising 25 % a year") in pages
