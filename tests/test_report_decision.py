"""A report with options: a decision page first, the options' charts, summary.md's section."""

import re

import matplotlib

matplotlib.use("Agg")

import pytest
from click.testing import CliRunner
from matplotlib import pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages
from pypdf import PdfReader

from minecalc import decision, model, report
from minecalc.cli import main
from minecalc.compare import compare, compare_paths
from minecalc.config import load_config
from minecalc.errors import OutputExistsError
from minecalc.formatting import money

OVERRIDES = ["horizon_months=24"]  # a short run keeps the report quick
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
    assert first.index("Pakistan 2,000 MW, the state's options") < first.index("The answer")
    assert "The options side by side" in first and "What each option is worth" in first
    assert "Subsidy test:" in first and "Capacity charge for every other consumer" in first
    assert "In brief" in pages[1] and "Key figures" in pages[1]
    assert "Contents and assumptions" in pages[2]
    scenario = load_config("pk2000mw_options", OVERRIDES)
    charts = report.chart_names(model.run(scenario), options=scenario.options.kinds)
    assert charts[: len(DECIDED)] == DECIDED and len(pages) == 3 + len(charts)
    for k, name in enumerate(DECIDED, 4):  # the options' charts first, listed in the contents
        assert re.search(rf"{re.escape(report.CHARTS[name].title)}\s+page {k}\b", pages[2])
        assert f"the state's options: {DRAWN[name]}" in pages[k - 1]
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
    assert f"idle (worth most)\n{money(0.0)}" in first  # the chart's label of the best option


def test_the_best_options_npv_is_printed_as_compare_values_it():
    ds = compare(load_config("pk2000mw_options", [*OVERRIDES, "market.btc_price_usd=250000"]))
    top = decision.best(ds)
    assert top == "sell_power"
    page = report.decision_page(load_config("pk2000mw_options", OVERRIDES), ds)
    text = " ".join(t.get_text() for t in page.texts)
    plt.close(page)
    found = re.search(r"Worth most to the state: sell power, (.+? USD) over idle", text)
    assert found, text
    assert _printed_as(_amount(found[1]), float(ds.state_npv_usd.sel(option=top)))


def test_summary_md_opens_with_the_options_one_column_each(written, options):
    text = (written[0] / "summary.md").read_text()
    headings = [line for line in text.split("\n") if line.startswith("## ")]
    assert headings[:3] == [
        "## What the state could do with the power",
        "## In brief",
        "## Key figures",
    ]
    section = text.split("## What the state could do with the power")[1].split("## In brief")[0]
    rows = [line for line in section.split("\n") if line.startswith("|")]
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
        page = report.decision_page(scenario, ds)
        doc.savefig(page)  # no warning, no missing glyph
        plt.close(page)
    text = PdfReader(tmp_path / "page.pdf").pages[0].extract_text()
    row = re.search(r"^NPV to the state \[(\S+) USD\] (.+)$", text, re.M)
    assert row and len(row[2].split()) == 2
    assert "P(worse than idle)" not in text and "Subsidy test" not in text
    assert "Cost recovery:" in text
