"""The report: figures as PNG and SVG, a multi-page PDF, summary.md; nothing overwritten."""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib import image
from pypdf import PdfReader

from minecalc import report
from minecalc.cli import main
from minecalc.config import load_config

PK = str(Path(__file__).parents[1] / "configs" / "pk2000mw.yaml")
FIGURES = [*report.RUN_FIGURES, *report.ANALYSIS_FIGURES]


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "pk"
    result = invoke("report", PK, "--out", out, "--paths", 200, "--seed", 4)
    assert result.exit_code == 0, result.output
    return out, result.output


def test_report_writes_every_file(written):
    out, output = written
    expected = {f"{n}.{ext}" for n in FIGURES for ext in ("png", "svg")} | {"report.pdf",
                                                                           "summary.md"}
    assert {p.name for p in out.iterdir()} == expected
    assert f"wrote {len(expected)} files" in output


def test_pdf_has_two_text_pages_then_one_page_per_figure(written):
    out, _ = written
    reader = PdfReader(out / "report.pdf")
    assert len(reader.pages) == 2 + len(FIGURES)
    first = reader.pages[0].extract_text()
    assert "Pakistan 2,000 MW" in first and "In brief" in first and "Key figures" in first
    assert "38,439 BTC" in first  # the packaged scenario's BTC over 60 months
    assert "assumptions" in reader.pages[1].extract_text()
    assert "hashprice against hashcost" in reader.pages[2 + FIGURES.index("hashprice")].extract_text()


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
    assert f"| NPV | {summary['npv_usd'] / 1e6:,.0f} M USD |" in text
    assert f"{summary['btc_total']:,.0f} BTC" in text
    for name in FIGURES:
        assert f"![{name}]({name}.png)" in text


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
    assert {f"{n}.png" for n in report.RUN_FIGURES} <= names
    assert {f"{n}.svg" for n in report.RUN_FIGURES} <= names


def test_run_plots_needs_an_output_folder():
    result = invoke("run", PK, "--plots")
    assert result.exit_code == 2
    assert "--plots: expected --out" in result.output


def test_report_ranges_straddle_the_scenario():
    scenario = load_config(PK)
    base = {"tariff.energy_price_per_kwh": 22.5, "market.btc_price_usd": 63400.0,
            "site.pue": 1.10, "finance.discount_rate": 0.10,
            "network.hashrate_growth.per_year": 0.20}
    ranges = report.tornado_ranges(scenario)
    for field, value in base.items():
        low, high = ranges[field]
        assert low < value < high, field
    assert ranges["site.pue"][0] >= 1.0
    np.testing.assert_allclose(ranges["network.hashrate_growth.per_year"], (0.0, 0.4), atol=1e-9)


def test_a_response_run_reports_what_the_other_miners_give_back():
    scenario = load_config(str(Path(PK).with_name("pk2000mw_response.yaml")))
    from minecalc import model

    ds = model.run(scenario)
    rows = dict(report.key_figures(ds))
    fixed = float(ds.btc_total_without_response)
    assert rows["  ... if other miners did not respond"].startswith(f"{fixed:,.0f} BTC")
    gain = 100 * (float(ds.btc_total) / fixed - 1)
    assert f"which gives it {gain:.1f} % back" in report.brief(scenario, ds)
