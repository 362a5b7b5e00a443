"""Named scenario sets: base, bear and bull side by side on shared random numbers."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from numpy.testing import assert_allclose

import minecalc
from minecalc import scenario_sets as ss
from minecalc import uncertainty as u
from minecalc.cli import main
from minecalc.config import ConfigError
from minecalc.errors import InputError

SHORT = ["horizon_months=24"]


@pytest.fixture(scope="module")
def pk():
    return minecalc.load_config("pk2000mw", SHORT)


@pytest.fixture(scope="module")
def sets(pk):
    return ss.run(pk, ["base", "bear", "bull"], paths=200, seed=3)


def test_the_sets_share_their_random_numbers_and_differ_by_what_they_name(pk, sets):
    price = sets.btc_price_usd
    ratio = np.log(price.sel(scenario_set="bull") / price.sel(scenario_set="bear"))
    # the same bootstrap draws; only the recentring differs: ln(1.25 / 0.75) a year
    years = (np.arange(24) + 0.5) / 12  # months' middles, near enough at monthly steps
    per_path = ratio - ratio.isel(path=0)
    assert_allclose(per_path, 0.0, atol=1e-9)  # every path moves alike
    assert_allclose(ratio.isel(path=0), np.log(1.25 / 0.75) * years, rtol=0.02)
    # the network is drawn alike in every set (its trend is the scenario's)
    bear, bull = (
        u.draw_paths(pk, paths=200, seed=3, path_model=ss.path_model(ss.BUILT_IN[n], u.PathModel()))
        for n in ("bear", "bull")
    )
    assert np.array_equal(bear.other_hashrate_factor, bull.other_hashrate_factor)
    assert np.array_equal(bear.fees_btc_per_block, bull.fees_btc_per_block)
    assert_allclose(
        sets.difficulty.sel(scenario_set="bear"),
        sets.difficulty.sel(scenario_set="bull"),
        rtol=0.05,
    )
    assert (sets.npv_usd.sel(scenario_set="bull") >= sets.npv_usd.sel(scenario_set="bear")).all()


def test_the_base_set_is_the_default_monte_carlo(pk, sets):
    mc = u.monte_carlo(pk, paths=200, seed=3)
    assert_allclose(sets.npv_usd.sel(scenario_set="base"), mc.npv_usd, rtol=1e-12)
    summary = ss.summary(sets)
    assert summary["base"]["prob_npv_negative"] == pytest.approx(float(mc.prob_npv_negative))
    assert (
        summary["bear"]["median_price_ratio_at_horizon"]
        < 1
        < summary["bull"]["median_price_ratio_at_horizon"]
    )
    assert "falling 25 % a year" in summary["bear"]["description"]
    assert "median price -25 %/yr" in summary["bear"]["price_model"]


def test_a_scenarios_own_set_and_a_wrong_name(pk):
    own = minecalc.load_config(
        "pk2000mw",
        [*SHORT, "scenario_sets={flat_network: {network_growth_per_year: 0, description: x}}"],
    )
    ds = ss.run(own, ["base", "flat_network"], paths=50, seed=1)
    more = ds.btc_total.sel(scenario_set="flat_network") > ds.btc_total.sel(scenario_set="base")
    assert more.mean() > 0.9  # a network that stops growing leaves the fleet more BTC
    with pytest.raises(InputError, match="sets: expected some of base, bear, bull, got nope"):
        ss.run(pk, ["base", "nope"], paths=5)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("scenario_sets={Bear: {}}", "scenario_sets.Bear.[key]: expected text matching"),
        (
            "scenario_sets={x: {block_months: 0}}",
            "scenario_sets.x.block_months: expected a number >= 1",
        ),
        ("scenario_sets={x: {fee_sigma: 1}}", "did you mean 'fees_sigma'"),
    ],
)
def test_bad_sets_name_the_field(override, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        minecalc.load_config("pk2000mw", [override])


def invoke(*args):
    return CliRunner().invoke(main, list(args))


def test_the_commands_take_sets():
    table = invoke(
        "montecarlo",
        "pk2000mw",
        "--sets",
        "bear,bull",
        "--paths",
        "20",
        *["--set", "horizon_months=24"],
    )
    assert table.exit_code == 0, table.output
    assert "scenario sets, 20 paths each" in table.output and "bear" in table.output
    raw = invoke(
        "montecarlo", "pk2000mw", "--sets", "bear,bull", "--paths", "20", "--format", "json"
    )
    assert set(json.loads(raw.output)["sets"]) == {"bear", "bull"}
    assert json.loads(raw.output)["data"][0]["source"] == "packaged"  # the history it read
    ran = invoke("run", "pk2000mw", "--sets", "bull", "--paths", "20", "--format", "json")
    assert json.loads(ran.output)["scenario_sets"]["bull"]["paths"] == 20
    compared = invoke(
        "compare", "pk2000mw_options", "--sets", "base,bear", "--paths", "20", "--format", "json"
    )
    assert compared.exit_code == 0, compared.output
    assert set(json.loads(compared.output)["sets"]) == {"base", "bear"}
    wrong = invoke("montecarlo", "pk2000mw", "--sets", "base,nope", "--paths", "3")
    assert (
        wrong.exit_code == 2
        and "--sets: expected some of base, bear, bull, got nope" in wrong.output
    )


def test_a_sweep_runs_every_set_at_every_grid_point(pk):
    from minecalc.sweep import parameters

    start = pk.market.btc_price_usd
    scenario, params = parameters(
        pk,
        {"market.btc_price_usd": [start, 2 * start], "tariff.energy_price_per_kwh": [10.7, 22.98]},
    )
    ds = ss.run(scenario, ["bear", "bull"], paths=30, seed=2, params=params)
    price = ds.btc_price_usd
    # the swept start scales the same draws
    assert_allclose(
        price.isel({"market.btc_price_usd": 1}),
        2 * price.isel({"market.btc_price_usd": 0}),
        rtol=1e-12,
    )
    table, units = ss.risk_table(ds)
    assert len(table) == 2 * 2 * 2 and units["npv_usd_q50"] == "USD"
    cheap = table.xs(10.7, level="tariff.energy_price_per_kwh")["npv_usd_q50"]
    dear = table.xs(22.98, level="tariff.energy_price_per_kwh")["npv_usd_q50"]
    assert (cheap.to_numpy() > dear.to_numpy()).all()
    _, growth = parameters(pk, {"network.hashrate_growth.per_year": [0.0, 0.2]})
    with pytest.raises(InputError, match="network_growth_per_year sets its trend"):
        ss.run(pk, ["base"], paths=3, params=growth)
    vary = "tariff.energy_price_per_kwh=10.7,22.98"
    table_text = invoke("sweep", "pk2000mw", "--vary", vary, "--sets", "bear", "--paths", "10")
    assert table_text.exit_code == 0 and "prob_npv_negative" in table_text.output
