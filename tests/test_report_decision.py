"""A report with options: a decision page first, the options' charts, summary.md's section."""

import re

import matplotlib

matplotlib.use("Agg")

import pytest
from click.testing import CliRunner
from matplotlib import pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages
from pages import flat, part
from pypdf import PdfReader

from minecalc import decision, fiscal, model, report
from minecalc.cli import main
from minecalc.compare import compare, compare_paths
from minecalc.config import load_config
from minecalc.errors import OutputExistsError
from minecalc.formatting import money

OVERRIDES = ["horizon_months=24"]  # a short run keeps the report quick
NAME = "Pakistan 2,000 MW, the state's options"
PATHS, SEED = 50, 3
DECIDED = ["options_npv", "options_cash", "options_tariff"]
DRAWN = {
    "options_npv": "NPV to the state by option",
    "options_cash": "cumulative cash by option",
    "options_tariff": "selling power to private miners at each tariff",
}
"""Each chart's title, after the scenario's name."""


def _amount(text: str) -> float:
    """``-2.4 bn USD`` -> -2.4e9 (the inverse of formatting.money)."""
    number, *scale = text.replace(",", "").split()[:-1]
    return float(number) * {"": 1, "M": 1e6, "bn": 1e9, "tn": 1e12}[scale[0] if scale else ""]


def _printed_as(printed: float, value: float) -> bool:
    """``printed`` is ``value`` to three significant figures."""
    return abs(printed - value) <= 5e-3 * abs(value) + 1e-9


def _parts(pages: list) -> tuple[list, list]:
    """The report's text parts after the decision page: the first (in brief, fiscal
    summary, key figures) and the contents and assumptions, each with its continuations."""
    first = part(pages, 1, NAME)
    return first, part(pages, 1 + len(first), "Contents and assumptions")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "options"
    sets = [a for o in OVERRIDES for a in ("--set", o)]
    args = ["report", "pk2000mw_options", *sets, "--out", out, "--paths", PATHS, "--seed", SEED]
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    pages = [page.extract_text() for page in PdfReader(out / "report.pdf").pages]
    return out, pages


@pytest.fixture(scope="module")
def options():
    """The comparison the report makes: the Monte Carlo's paths and seed."""
    return compare_paths(load_config("pk2000mw_options", OVERRIDES), PATHS, SEED)


def test_the_decision_page_comes_first_then_the_report_as_before(written):
    out, pages = written
    first = pages[0]
    order = [NAME, "The answer", "The options side by side", "Fiscal summary of state mining"]
    assert [first.index(h) for h in order] == sorted(first.index(h) for h in order)
    assert "Subsidy test:" in first and "Capacity charge for every other consumer" in first
    # under the fiscal summary there is no room left for the bars: they are only on their page
    assert "What each option is worth" not in first and "(worth most)" not in first
    brief, contents = _parts(pages)
    assert "In brief" in brief[0] and "Key figures" in "\n".join(brief)
    assert "Contents and assumptions" in contents[0]
    text = 1 + len(brief) + len(contents)  # the decision page, then the text parts
    scenario = load_config("pk2000mw_options", OVERRIDES)
    charts = report.chart_names(model.run(scenario), options=scenario.options.kinds)
    assert charts[: len(DECIDED)] == DECIDED and len(pages) == text + len(charts)
    listed = "\n".join(contents)
    for k, name in enumerate(DECIDED, text + 1):  # the options' charts first, in the contents
        found = re.search(rf"{re.escape(report.CHARTS[name].title)}\s+page (\d+)\b", listed)
        assert found and int(found[1]) == k, (name, found)
        drawn = [n for n, page in enumerate(pages, 1) if f"{NAME}: {DRAWN[name]}" in page]
        assert drawn == [k], name  # the page the contents name draws it, and only that page
    assert {f"{n}.{e}" for n in DECIDED for e in ("png", "svg")} <= {p.name for p in out.iterdir()}


def test_the_decision_pages_numbers_are_the_comparisons(written, options):
    first = written[1][0]
    median = options.state_npv_usd.median("path")
    row = re.search(r"^NPV to the state \[(\S+) USD\] (.+)$", first, re.M)
    assert row, first
    factor = {"M": 1e6, "bn": 1e9, "tn": 1e12}[row[1]]
    printed = [float(v) * factor for v in row[2].split()]
    assert len(printed) == options.sizes["option"]
    for shown, value in zip(printed, median.values, strict=True):
        assert _printed_as(shown, value), (shown, value)
    for line in decision.answer(options):  # the answer, word for word (wrapped on the page)
        assert line in " ".join(first.split("\n")), line
    fiscal_summary = flat(first.split("Fiscal summary of state mining")[1])
    at = 0
    for f in fiscal.figures(options):  # state mining's, medians over the paths, in order
        at = fiscal_summary.index(flat(f"{f.label} {f.value} {f.note}"), at) + 1
    assert flat("(the state does not tax itself)") in fiscal_summary
    top = decision.best(options)  # the bars' label of the best option, on their own page
    page = next(p for p in written[1] if f"{NAME}: {DRAWN['options_npv']}" in p)
    assert f"{decision.LABELS[top]} (worth most)\n{money(float(median.sel(option=top)))}" in page


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        # private miners decide after their profit tax: at 250,000 USD they stay away and
        # state mining is worth most; at 400,000 USD they come, and without state mining
        # selling to them is
        (["market.btc_price_usd=250000"], "state_mining"),
        (["market.btc_price_usd=400000", "options.compare=[sell_power, buy_btc]"], "sell_power"),
    ],
)
def test_the_best_options_npv_is_printed_as_compare_values_it(settings, expected):
    ds = compare(load_config("pk2000mw_options", [*OVERRIDES, *settings]))
    top = decision.best(ds)
    assert top == expected
    page = report.decision_pages(load_config("pk2000mw_options", OVERRIDES), ds)[0]
    text = " ".join(t.get_text() for t in page.texts)
    plt.close(page)
    label = re.escape(decision.LABELS[top])
    found = re.search(rf"Worth most to the state: {label}, (.+? USD) over idle", text)
    assert found, text
    assert _printed_as(_amount(found[1]), float(ds.state_npv_usd.sel(option=top)))


def test_summary_md_opens_with_the_options_one_column_each(written, options):
    text = (written[0] / "summary.md").read_text()
    headings = [line for line in text.split("\n") if line.startswith("## ")]
    assert headings == [
        "## What the state could do with the power",
        "## In brief",
        "## Fiscal summary",
        "## Key figures",
        "## Scenario sets",
        "## Assumptions",
        "## Figures",
    ]
    section = text.split("## What the state could do with the power")[1].split("## In brief")[0]
    table, fiscal_table = section.split("### Fiscal summary of state mining")
    rows = [line for line in table.split("\n") if line.startswith("|")]
    assert "| Peak FX need |" in fiscal_table
    labels = [decision.LABELS[str(o)] for o in options.option.values]
    assert rows[0] == "| | " + " | ".join(labels) + " |"
    assert rows[1] == "|---|" + "---:|" * len(labels)
    assert all(len(re.findall(r"(?<!\\)\|", row)) == len(labels) + 2 for row in rows)
    npv = next(row for row in rows if row.startswith("| NPV to the state"))
    assert npv.startswith("| NPV to the state \\[bn USD\\] |")
    cells = [float(c) * 1e9 for c in npv.strip("|").split("|")[1:]]
    for shown, value in zip(cells, options.state_npv_usd.median("path").values, strict=True):
        assert _printed_as(shown, value)
    for name in DECIDED:
        assert f"![{name}]({name}.png)" in text
    assert "- Subsidy test:" in section


@pytest.mark.parametrize("name", DECIDED)
def test_the_options_figures_are_drawn_and_saved(written, name):
    pixels = plt.imread(written[0] / f"{name}.png")[..., :3]
    assert pixels.shape[0] > 300 and pixels.shape[1] > 500
    assert pixels.std() > 0.05 and (pixels < 0.9).mean() > 0.02


def test_a_decision_figure_in_the_folder_is_not_overwritten(tmp_path):
    (tmp_path / "options_tariff.png").write_text("mine")
    with pytest.raises(OutputExistsError, match=r"options_tariff\.png"):
        report.write_report(load_config("pk2000mw_options", OVERRIDES), tmp_path, paths=2)
    assert (tmp_path / "options_tariff.png").read_text() == "mine"


def test_without_sell_power_there_is_no_tariff_curve_and_without_paths_no_risk_rows(tmp_path):
    scenario = load_config("pk2000mw_options", [*OVERRIDES, "options.compare=[buy_btc]"])
    ds = compare(scenario)
    assert list(ds.option.values) == ["idle", "buy_btc"]
    names = report.chart_names(model.run(scenario), options=scenario.options.kinds)
    assert names[:2] == ["options_npv", "options_cash"] and "options_tariff" not in names
    with PdfPages(tmp_path / "page.pdf") as doc:
        page = report.decision_pages(scenario, ds)[0]
        doc.savefig(page)  # no warning, no missing glyph
        plt.close(page)
    text = PdfReader(tmp_path / "page.pdf").pages[0].extract_text()
    row = re.search(r"^NPV to the state \[(\S+) USD\] (.+)$", text, re.M)
    assert row and len(row[2].split()) == 2
    assert "P(worse than idle)" not in text and "Subsidy test" not in text
    assert "Cost recovery:" in text
    # no state mining, no fiscal summary of it: room for the bars on the decision page
    assert "Fiscal summary" not in text
    assert "What each option is worth to the state" in text and "idle (worth most)" in text


def test_the_bars_are_left_off_the_decision_page_only_when_there_is_no_room(options):
    """Under the fiscal summary of state mining less than 0.2 of the page is left above
    :data:`minecalc.report.BOTTOM`: no bars there (the table has their numbers); without
    state mining they are drawn under the table, above the footer."""
    scenario = load_config("pk2000mw_options", OVERRIDES)
    page = report.decision_pages(scenario, options)[0]
    try:
        assert "Fiscal summary of state mining" in [t.get_text() for t in page.texts]
        lowest = min(t.get_position()[1] for t in page.texts)
        assert not page.axes and lowest - report.BOTTOM < 0.2
    finally:
        plt.close(page)
    without = load_config("pk2000mw_options", [*OVERRIDES, "options.compare=[sell_power, buy_btc]"])
    ds = compare(without)
    page = report.decision_pages(without, ds)[0]
    try:
        assert "Fiscal summary of state mining" not in [t.get_text() for t in page.texts]
        assert min(t.get_position()[1] for t in page.texts) - report.BOTTOM >= 0.2
        renderer = page.canvas.get_renderer()
        table = min(t.get_window_extent(renderer).y0 for t in page.texts) / page.bbox.height
        footer = report._footer(page, "minecalc x · run 2026-01-01 · page 1 of 99").texts[-1]
        (ax,) = page.axes
        tight = ax.get_tightbbox(renderer)  # the chart with its title, ticks and labels
        assert tight.y1 / page.bbox.height < table  # under the table
        assert tight.y0 > footer.get_window_extent(renderer).y1  # above the footer
        titles = [ax.get_title(loc=loc) for loc in ("left", "center", "right")]
        assert "What each option is worth to the state" in titles
        ticks = [t.get_text() for t in ax.get_yticklabels()]
        assert [t.split("\n")[0] for t in ticks] == [
            decision.LABELS[str(o)] + (" (worth most)" if str(o) == decision.best(ds) else "")
            for o in ds.option.values
        ]
    finally:
        plt.close(page)


def test_a_long_fiscal_summary_goes_on_to_a_further_decision_page(monkeypatch):
    """A loan adds the DSCR, LLCR and equity IRR rows: what does not fit goes on to a page
    of its own ("(continued)") instead of under the footer, and the bars are left to their
    figure (the page is made shorter, as a longer answer would)."""
    monkeypatch.setattr(report, "BOTTOM", 0.25)
    scenario = load_config(
        "pk2000mw_options",
        [
            "horizon_months=24",
            "financing={tranches: [{share_of_capex: 0.6, currency: USD, rate_per_year: 0.09,"
            " tenor_months: 48, grace_months: 6}], min_dscr: 1.3}",
        ],
    )
    pages = report.decision_pages(scenario, compare_paths(scenario, 50, 3))
    try:
        texts = [[t.get_text() for t in page.texts] for page in pages]
        lowest = min(t.get_position()[1] for page in pages for t in page.texts)
        assert len(pages) == 2
        assert lowest >= report.BOTTOM - 1e-9
        assert " ".join(texts[1][:2]).endswith("options (continued)")  # the title, wrapped
        assert any(t.startswith("Fiscal summary of state mining") for t in texts[1])
        assert "LLCR at the draw" in texts[0] + texts[1]
        assert not any(page.axes for page in pages)
    finally:
        for page in pages:
            plt.close(page)
