"""Figure helpers: each returns its Axes, labels both axes with units and draws something."""

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib import pyplot as plt
from matplotlib.container import ErrorbarContainer

from minecalc import model, plotting
from minecalc.compare import compare, compare_paths
from minecalc.config import field_metadata, load_config
from minecalc.decision import LABELS
from minecalc.formatting import money, percent, sig
from minecalc.sweep import sobol, sweep, tornado
from minecalc.uncertainty import monte_carlo

CONFIGS = Path(__file__).parents[1] / "configs"
UNITS = re.compile(r"\[[^\]]+\]")


@pytest.fixture(scope="module")
def pk():
    return load_config(CONFIGS / "pk2000mw.yaml")


@pytest.fixture(scope="module")
def ds(pk):
    return model.run(pk)


@pytest.fixture(scope="module")
def results(pk, ds):
    ranges = {
        "tariff.energy_price_per_kwh": (15.0, 30.0),
        "site.pue": (1.05, 1.2),
        "market.btc_price_usd": (40e3, 120e3),
    }
    return {
        "run": ds,
        "response": model.run(load_config(CONFIGS / "pk2000mw_response.yaml")),
        "grid": sweep(
            pk,
            {
                "tariff.energy_price_per_kwh": np.linspace(0, 30, 7),
                "market.btc_price_usd": np.linspace(4e4, 3e5, 6),
            },
            record_epochs=False,
        ),
        "tornado": tornado(pk, ranges),
        "sobol": sobol(pk, ranges, n=32),
        "mc": monte_carlo(pk, paths=200, seed=3),
        "options": compare_paths(OPTIONS, paths=50, seed=3),
    }


OPTIONS = load_config("pk2000mw_options", ["horizon_months=24"])
"""The state's options, over a short run."""


HELPERS = [
    ("plot_btc", "run", {}),
    ("plot_cash_flow", "run", {}),
    ("plot_cumulative_cash", "run", {}),
    ("plot_hashprice", "run", {}),
    ("plot_difficulty", "run", {}),
    ("plot_network_share", "run", {}),
    ("plot_dispatch", "run", {}),
    ("plot_response", "response", {}),
    ("plot_heatmap", "grid", {"mark": (22.5, 63400)}),
    ("plot_tornado", "tornado", {}),
    ("plot_fan", "mc", {}),
    ("plot_npv_histogram", "mc", {}),
    ("plot_sobol", "sobol", {}),
    ("plot_options_npv", "options", {}),
    ("plot_options_cash", "options", {}),
    ("plot_tariff_curve", "options", {}),
]
CATEGORIES = ("plot_options_npv",)
"""Helpers whose y axis holds categories (the options), each tick with its value and unit."""


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _artists(ax):
    return [*ax.lines, *ax.patches, *ax.collections, *ax.images]


@pytest.mark.parametrize("name, data, kwargs", HELPERS, ids=[h[0] for h in HELPERS])
def test_helper_returns_labelled_axes_with_artists(results, name, data, kwargs):
    helper = getattr(plotting, name)
    ax = helper(results[data], **kwargs)
    assert isinstance(ax, matplotlib.axes.Axes)
    assert _artists(ax), "nothing drawn"
    # Dates are labelled [UTC]; every other axis names its unit in brackets.
    assert UNITS.search(ax.get_xlabel()), ax.get_xlabel()
    assert UNITS.search(ax.get_ylabel()) or name in CATEGORIES, ax.get_ylabel()
    if name in ("plot_tornado", "plot_sobol"):  # inputs on the y axis, each with its units
        assert all(UNITS.search(t.get_text()) for t in ax.get_yticklabels())
    assert ax.get_title().startswith("Pakistan 2,000 MW")
    for other in set(ax.figure.axes) - {ax}:  # a twin's label names its units too
        assert not other.get_ylabel() or UNITS.search(other.get_ylabel()), other.get_ylabel()


@pytest.mark.parametrize("name, data, kwargs", HELPERS, ids=[h[0] for h in HELPERS])
def test_helper_draws_on_the_axes_it_is_given(results, name, data, kwargs):
    _, given = plt.subplots()
    assert getattr(plotting, name)(results[data], ax=given, **kwargs) is given
    assert _artists(given)


def test_keyword_arguments_reach_the_main_artist(ds):
    ax = plotting.plot_btc(ds, linewidth=4.5)
    assert ax.lines[0].get_linewidth() == 4.5


def test_values_drawn_are_the_datasets(ds):
    ax = plotting.plot_network_share(ds)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), 100 * ds.network_share.values)
    assert ax.get_ylabel() == "fleet's share of the network's blocks [%]"
    ax = plotting.plot_difficulty(ds)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), ds.difficulty.values / 1e12)
    assert ax.get_ylabel().endswith("[T]")


def test_heatmap_draws_the_breakeven_contour_where_npv_changes_sign(results):
    grid = results["grid"]
    ax = plotting.plot_heatmap(grid)
    assert float(grid.npv_usd.min()) < 0 < float(grid.npv_usd.max())
    contour = [c for c in ax.collections if c.__class__.__name__ == "QuadContourSet"]
    assert contour and contour[0].allsegs[0], "no NPV = 0 line"
    assert ax.get_xlabel() == "Energy price in the tariff currency [PKR/kWh]"


def test_payback_point_is_marked_when_the_plan_pays_back(pk):
    paying = model.run(
        load_config(
            CONFIGS / "pk2000mw.yaml",
            ["market.btc_price_usd=250000", "tariff.energy_price_per_kwh=5"],
        )
    )
    months = float(paying.payback_months)
    assert np.isfinite(months)
    ax = plotting.plot_cumulative_cash(paying)
    texts = [t.get_text() for t in ax.texts]
    assert f"pays back after {sig(months)} months" in texts


def test_a_histogram_states_the_probability_of_loss(results):
    mc = results["mc"]
    ax = plotting.plot_npv_histogram(mc)
    loss = float((mc.npv_usd < 0).mean())
    assert any(f"P(NPV < 0) = {percent(loss)}" in t for t in ax.get_legend_handles_labels()[1])
    assert sum(p.get_height() for p in ax.patches) == mc.sizes["path"]


def test_monte_carlo_quantiles_are_named_so_no_one_misreads_them(results):
    mc = results["mc"]
    labels = plotting.plot_npv_histogram(mc).get_legend_handles_labels()[1]
    named = {label.split(":")[0]: label for label in labels}
    assert {
        "P90 (exceeded in 90 % of paths)",
        "P50 (the median)",
        "P10 (exceeded in 10 % of paths)",
    } <= set(named)
    p90, p10 = (
        float(named[f"P{p} (exceeded in {p} % of paths)"].split(": ")[1].split()[0])
        for p in (90, 10)
    )
    assert p90 < p10  # P90 is the low end: exceeded in 90 % of the paths
    fan = plotting.plot_fan(mc).get_legend_handles_labels()[1]
    assert any("10th to 90th percentile" in t for t in fan)
    assert not any(re.search(r"\bP\d0\b", t) for t in fan)


def test_the_halving_marker_sits_where_hashprice_drops(ds):
    ax = plotting.plot_hashprice(ds)
    line = ax.lines[0]
    assert line.get_drawstyle() == "steps-post"
    x = np.asarray(line.get_xdata(), dtype="datetime64[ns]")
    y = np.asarray(line.get_ydata())
    drop = int(np.argmin(np.diff(y))) + 1  # the step where hashprice falls most
    halving = ds.halving_date.values.ravel()[0]
    assert x[drop] <= halving < x[drop + 1], (x[drop], halving)
    marker = [ln for ln in ax.lines if ln.get_linestyle() == ":"]
    assert marker and np.asarray(marker[0].get_xdata(), dtype="datetime64[ns]")[0] == halving


def test_inputs_are_named_in_plain_words_with_their_ranges(results):
    assert plotting.field_label("tariff.energy_price_per_kwh", "PKR") == (
        "Energy price in the tariff currency",
        "PKR/kWh",
        1.0,
    )
    assert plotting.field_label("network.hashrate_growth.per_year") == (
        "Other miners' hashrate growth per year",
        "%",
        100.0,
    )
    assert plotting.field_label("market.btc_price_usd") == (
        "Bitcoin price at the start",
        "USD",
        1.0,
    )
    # a ratio that is not a fraction keeps its unit 1, which a value does not repeat
    assert plotting.field_label("site.pue") == ("Power usage effectiveness (PUE)", "1", 1.0)
    assert plotting.field_value("site.pue", 1.05) == "1.05"
    assert plotting.field_value("finance.discount_rate", 0.06) == "6 %"
    assert plotting.field_value("tariff.energy_price_per_kwh", 16.9, "PKR") == "16.9 PKR/kWh"
    assert plotting.field_label("site.ramp") == ("site.ramp", "", 1.0)  # not a number
    # labels are the schema's, not its descriptions
    for field in ("site.uptime", "costs.pool_fee", "fleet.lifetime_years"):
        assert plotting.field_label(field)[0] == field_metadata(field)["label"]
    ticks = [t.get_text() for t in plotting.plot_tornado(results["tornado"]).get_yticklabels()]
    assert "Energy price in the tariff currency\n[PKR/kWh]\n15 to 30" in ticks
    assert not any("." in t.split("\n")[0].split(" ")[0] for t in ticks)  # no raw keys
    ranges = {
        "tariff.energy_price_per_kwh": (15.0, 30.0),
        "site.pue": (1.05, 1.2),
        "market.btc_price_usd": (40e3, 120e3),
    }
    ticks = [
        t.get_text() for t in plotting.plot_sobol(results["sobol"], ranges=ranges).get_yticklabels()
    ]
    assert any(t.endswith("40,000 to 120,000") for t in ticks)


def test_one_run_helpers_refuse_a_sweep_with_a_clear_message(results):
    with pytest.raises(ValueError, match="expected one run"):
        plotting.plot_btc(results["grid"])
    with pytest.raises(ValueError, match="expected two swept dimensions"):
        plotting.plot_heatmap(results["run"])


def test_the_style_uses_the_colour_blind_safe_palette():
    with plotting.style():
        cycle = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    assert cycle[0] == plotting.COLORS["blue"] and set(cycle) <= set(plotting.COLORS.values())


HOSTILE = "\x1b]0;pwned\x07\x1b[2J\rPlant \u202eA | $\\alpha$ # $\\foo$"
"""A title as a netCDF file from elsewhere may hold it: validation never saw it."""


@pytest.mark.parametrize("name, data, kwargs", HELPERS, ids=[h[0] for h in HELPERS])
def test_a_hostile_title_is_drawn_as_written(results, name, data, kwargs, tmp_path):
    ax = getattr(plotting, name)(results[data].assign_attrs(title=HOSTILE), **kwargs)
    shown, math = ax.title._preprocess_math(ax.get_title())  # what matplotlib draws
    assert not math and shown.startswith(
        "\\x1b]0;pwned\\x07\\x1b[2J\\x0dPlant \\u202eA | $\\alpha$ # $\\foo$: "
    )
    ax.figure.savefig(tmp_path / "hostile.png")  # no missing glyph (a warning), no parse error


def test_the_options_bars_are_the_medians_with_the_paths_middle_80_percent(results):
    ds = results["options"]
    ax = plotting.plot_options_npv(ds)
    median = ds.state_npv_usd.median("path").values
    widths = [bar.get_width() for bar in ax.patches]
    np.testing.assert_allclose(widths, median / 1e9)
    assert ax.get_xlabel() == "NPV to the state, incremental to idle [bn USD]"
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    best = int(np.argmax(median))
    for k, (option, value) in enumerate(zip(ds.option.values, median, strict=True)):
        assert ticks[k].split("\n") == [
            LABELS[str(option)] + (" (worth most)" if k == best else ""),
            money(value),
        ]
    (whiskers,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    low, high = ds.state_npv_usd.quantile([0.1, 0.9], "path").values / 1e9
    ends = np.array([seg[:, 0] for seg in whiskers.lines[2][0].get_segments()])
    np.testing.assert_allclose(ends, np.stack([low, high], axis=1))


def test_the_cumulative_cash_lines_are_the_medians_at_each_months_end(results):
    ds = results["options"]
    ax = plotting.plot_options_cash(ds)
    assert [line.get_label() for line in ax.lines] == [
        "idle (the reference)",
        *(LABELS[str(o)] for o in ds.option.values[1:]),
    ]
    median = ds.state_cumulative_cash_usd.median("path")
    for line, option in zip(ax.lines, ds.option.values, strict=True):
        np.testing.assert_allclose(line.get_ydata(), median.sel(option=option).values / 1e9)
    first_end = np.asarray(ax.lines[0].get_xdata(), dtype="datetime64[ns]")[0]
    assert first_end == np.datetime64("2026-10-05")  # the first month, from 2026-09-05


def test_the_tariff_curve_marks_cost_recovery_the_tariffs_and_the_miners_share():
    ds = compare(
        load_config("pk2000mw_options", ["horizon_months=24", "market.btc_price_usd=250000"])
    )
    ax = plotting.plot_tariff_curve(ds)
    labels = ax.get_legend_handles_labels()[1] + [t.get_text() for t in ax.get_legend().get_texts()]
    for name, what in (
        ("cost_recovery_per_kwh", "cost recovery"),
        ("sell_power_tariff_per_kwh", "proposed tariff"),
        ("exit_tariff_per_kwh", "exit tariff"),
        ("best_tariff_per_kwh", "largest take"),
    ):
        assert f"{what}: {sig(float(ds[name]), 4)} PKR/kWh" in labels, name
    marked = {float(line.get_xdata()[0]) for line in ax.lines if line.get_linestyle() != "-"}
    assert float(ds.cost_recovery_per_kwh) in marked and float(ds.exit_tariff_per_kwh) in marked
    factor = {"M USD": 1e6, "bn USD": 1e9}[re.search(r"\[(.+)\]", ax.get_ylabel())[1]]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), ds.state_take_by_tariff_usd / factor)
    (right,) = [a for a in ax.figure.axes if a is not ax]
    assert right.get_ylabel() == "share of the power the miners take [%]"
    assert ax.get_xlabel() == "tariff for private miners [PKR/kWh]"


def test_the_tariff_curve_says_when_the_miners_never_come(results):
    ds = results["options"]
    assert not (ds.miners_share_by_tariff > 0).any()
    ax = plotting.plot_tariff_curve(ds)
    top = sig(float(ds.tariff_per_kwh[-1]))
    assert [t.get_text() for t in ax.texts] == [
        f"private miners come at no tariff from 0 to {top} PKR/kWh"
    ]
    assert len(ax.figure.axes) == 1  # no share axis with nothing on it


def test_the_tariff_curve_needs_the_tariffs():
    ds = compare(OPTIONS, solve_tariffs=False)
    with pytest.raises(ValueError, match="tariff_per_kwh: expected a comparison with sell_power"):
        plotting.plot_tariff_curve(ds)
