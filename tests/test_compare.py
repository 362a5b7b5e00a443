"""The state's options compared (issue 14): each against an independent computation."""

import json

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner
from numpy.testing import assert_allclose

from minecalc import finance, model
from minecalc.cli import main
from minecalc.compare import (
    compare,
    compare_paths,
    private_scenario,
    state_mining_scenario,
)
from minecalc.config import load_config
from minecalc.uncertainty import PathModel, checked, draw_paths, responding

OPTIONS = "pk2000mw_options"
SHORT = ["horizon_months=24"]
# private miners that come at some tariffs: a 200 MW private fleet at a high BTC price
COMING = [
    "market.btc_price_usd=200000",
    "site.capacity_mw=200",
    "options.sell_power.entry=npv",
]


def _load(*overrides):
    return load_config(OPTIONS, list(overrides))


def _cr(scenario) -> float:
    sector = scenario.options.power_sector
    return sector.marginal_cost_per_kwh / (1 - sector.losses_fraction)


@pytest.fixture(scope="module")
def central():
    return compare(_load(*SHORT))


def test_options_are_labelled_and_idle_is_the_zero_reference(central):
    assert list(central.option.values) == [
        "idle",
        "sell_power",
        "state_mining",
        "buy_btc",
        "sell_elsewhere",
    ]
    for name, var in central.variables.items():
        assert "long_name" in var.attrs, name
        if var.dtype.kind == "f":
            assert "units" in var.attrs, name
    idle = central.sel(option="idle")
    for name in ("state_cash_flow_usd", "state_npv_usd", "state_reserve_btc", "energy_gwh"):
        assert_allclose(idle[name], 0.0)
    assert central.state_npv_local.attrs["units"] == "PKR"


def test_buy_btc_buys_outlay_over_price_month_by_month():
    """A fixed schedule on a rising price path: BTC bought = outlay / price each month."""
    path = (
        "market.btc_price_path=[{date: 2026-09-05, btc_price_usd: 60000},"
        " {date: 2028-09-05, btc_price_usd: 150000}]"
    )
    sets = [*SHORT, path, "options.buy_btc={spend: schedule, usd_per_month: 1.0e7}"]
    ds = compare(_load(*sets), solve_tariffs=False)
    price = model.run(_load(*sets), detail=(), without_fleet=False).btc_price_usd
    bought = ds.state_reserve_btc.sel(option="buy_btc").diff("time", label="upper")
    assert_allclose(bought, (1e7 / price).isel(time=slice(1, None)), rtol=1e-12)
    assert_allclose(ds.state_reserve_btc.sel(option="buy_btc")[0], 1e7 / price[0], rtol=1e-12)
    assert_allclose(ds.state_cash_flow_usd.sel(option="buy_btc")[:-1], -1e7, rtol=1e-12)
    # El Salvador's way: 1 BTC a day, whatever it costs
    daily = compare(
        _load(*SHORT, "options.buy_btc={spend: schedule, btc_per_day: 1}"), solve_tariffs=False
    )
    days = model.run(_load(*SHORT), detail=(), without_fleet=False).period_days
    assert_allclose(daily.state_reserve_btc.sel(option="buy_btc"), days.cumsum("time"), rtol=1e-12)


def test_buy_btc_spends_what_state_mining_spends():
    s = _load(*SHORT)
    ds = compare(s, solve_tariffs=False)
    mined = model.run(state_mining_scenario(s, _cr(s)), detail=(), without_fleet=False)
    spent = mined.capex_usd_by_month + mined.energy_cost_usd + mined.opex_usd
    assert_allclose(ds.state_cash_flow_usd.sel(option="buy_btc")[:-1], -spent[:-1], rtol=1e-12)


def test_sell_power_take_on_flat_paths_is_energy_times_margin():
    """Flat network, price and tariff, no entry constraint: the state's take is
    energy x (T + levy - mc / (1 - losses)), energy by hand, to 1e-9."""
    tariff, levy = 5.0, 1.5
    s = _load(
        *SHORT,
        "network.hashrate_growth={per_year: 0}",
        f"options.sell_power.tariff_per_kwh={tariff}",
        f"options.sell_power.levy=[{{up_to_tariff_per_kwh: 50, levy_per_kwh: {levy}}}]",
        "options.sell_power.entry=always",
        "options.sell_power.profit_tax_rate=0",
    )
    ds = compare(s, solve_tariffs=False)
    months = model.run(s, detail=(), without_fleet=False)
    availability = np.array(s.site.availability_by_month)[months.time.dt.month.values - 1]
    private = model.run(private_scenario(s, tariff + levy), solve_breakevens=False)
    assert_allclose(private.run_fraction, availability)  # runs whenever there is power
    energy_kwh = 1000 * s.site.capacity_mw * 24 * months.period_days.values * availability
    expected = energy_kwh * (tariff + levy - _cr(s)) / s.tariff.usd_fx_rate
    assert_allclose(ds.state_cash_flow_usd.sel(option="sell_power"), expected, rtol=1e-9)
    assert float(ds.sell_power_price_per_kwh) == tariff + levy


def test_private_miners_come_exactly_below_the_exit_tariff():
    ds = compare(_load(*COMING))
    exit_tariff = float(ds.exit_tariff_per_kwh)
    assert 0 < exit_tariff < float(ds.tariff_per_kwh.max())
    # independently: a sweep of the private fleet's NPV over tariffs around it
    s = _load(*COMING)
    grid = exit_tariff * np.array([0.98, 0.995, 0.999, 1.001, 1.005, 1.02])
    npv = model.run(
        private_scenario(s, 1.0),
        {"tariff.energy_price_per_kwh": xr.DataArray(grid, dims="t")},
        detail=(),
        without_fleet=False,
        solve_breakevens=False,
    ).npv_usd.values
    assert (npv[:3] > 0).all() and (npv[3:] < 0).all(), npv
    for factor, comes in [(0.999, 1.0), (1.001, 0.0)]:
        at = compare(
            _load(*COMING, f"options.sell_power.tariff_per_kwh={exit_tariff * factor!r}"),
            solve_tariffs=False,
        )
        assert float(at.miners_come) == comes
    # the best tariff lets the miners come and takes the most among those that do
    take = ds.state_take_by_tariff_usd.where(ds.miners_npv_by_tariff_usd >= 0)
    assert float(ds.best_tariff_per_kwh) == float(take.idxmax())


def test_state_mining_reproduces_the_model_at_the_old_tariff():
    """Energy at cost recovery equal to the scenario's tariff: the model's own run."""
    tariff = _load().tariff.energy_price_per_kwh
    s = _load(*SHORT, f"options.power_sector.marginal_cost_per_kwh={tariff * 0.84!r}")
    ds = compare(s, solve_tariffs=False)
    run = model.run(s, detail=(), without_fleet=False)
    mine = ds.sel(option="state_mining")
    assert_allclose(mine.state_cash_flow_usd, run.cash_flow_usd, rtol=1e-12)
    assert_allclose(mine.state_reserve_btc, run.reserve_btc, rtol=1e-12)
    assert_allclose(mine.energy_gwh, run.energy_billed_mwh.sum() / 1000, rtol=1e-12)


def test_capacity_charge_relief_by_hand(central):
    """NEPRA FY2024-25: PKR 1,806.18 bn over 126,705 GWh; sell_elsewhere adds a firm
    2,000 MW from month 19 (lead 18) of 24."""
    charge = central.capacity_charge_per_kwh
    assert_allclose(charge.sel(option="idle"), 1806.18e9 / 126_705e6, rtol=1e-12)
    hours = 24 * model.run(_load(*SHORT), detail=(), without_fleet=False).period_days.values
    sold_kwh_per_year = 1000 * 2000 * hours[18:].sum() / 2
    assert_allclose(
        charge.sel(option="sell_elsewhere"),
        1806.18e9 / (126_705e6 + sold_kwh_per_year),
        rtol=1e-12,
    )


def test_the_subsidy_test_against_cost_recovery():
    below = compare(_load(*SHORT, "options.sell_power.tariff_per_kwh=8"), solve_tariffs=False)
    assert float(below.subsidised) == 1.0
    assert_allclose(below.subsidy_gap_per_kwh, 9.0 / 0.84 - 8, rtol=1e-12)
    above = compare(_load(*SHORT), solve_tariffs=False)
    assert float(above.subsidised) == 0.0 and float(above.subsidy_gap_per_kwh) == 0.0


def test_every_option_sees_the_same_paths():
    """Recompute state mining and buying BTC alone from the same seed's paths."""
    s = _load(*SHORT)
    ds = compare_paths(s, 40, seed=3, solve_tariffs=False)
    drawn = draw_paths(s, paths=40, seed=3, path_model=PathModel())
    answering = responding(s, checked(PathModel()))  # other miners answer on the paths
    alone = model.run(
        state_mining_scenario(answering, _cr(answering)),
        paths=dict(drawn.data_vars),
        detail=(),
        without_fleet=False,
        solve_breakevens=False,
    )
    months = model.run(s, detail=(), without_fleet=False)
    mid_years = (months.time - months.time[0]).dt.total_seconds().values / (
        365.2425 * 86400
    ) + months.period_days.values / 365.2425 / 2
    npv = finance.npv(alone.cash_flow_usd.values, s.finance.discount_rate, mid_years)
    assert_allclose(ds.state_npv_usd.sel(option="state_mining"), npv, rtol=1e-9)
    assert_allclose(
        ds.state_reserve_btc.sel(option="buy_btc").isel(time=0),
        (alone.capex_usd_by_month + alone.energy_cost_usd + alone.opex_usd).isel(time=0)
        / drawn.btc_price_usd.isel(time=0),
        rtol=1e-12,
    )
    assert_allclose(ds.btc_price_usd, drawn.btc_price_usd, rtol=0)
    assert ds.attrs["mc_seed"] == 3 and ds.attrs["mc_paths"] == 40
    assert_allclose(ds.best_share.sum(), 1.0)
    assert ((ds.prob_state_loses >= 0) & (ds.prob_state_loses <= 1)).all()
    assert (ds.state_npv_p90_usd <= ds.state_npv_p50_usd).all()


def test_paths_without_randomness_give_the_central_comparison():
    """The paths carry all of the network's growth: with every spread at 0, each path is
    the central case (the growth was once counted twice on paths)."""
    s = _load(*SHORT)
    still = PathModel(
        price="gbm",
        network="lognormal",
        response=False,
        median_growth_per_year=0.0,
        volatility_per_year=0.0,
        network_volatility_per_year=0.0,
        fees_sigma=0.0,
    )
    on_paths = compare_paths(s, 3, seed=1, path_model=still, solve_tariffs=False)
    central = compare(s, solve_tariffs=False)
    for name in ("state_npv_usd", "state_reserve_btc_end", "energy_gwh"):
        expected = central[name].broadcast_like(on_paths[name])
        assert_allclose(on_paths[name], expected, rtol=1e-9, atol=1e-3, err_msg=name)


def _need(dollars_usd: np.ndarray) -> float:
    """Peak FX need by hand: the deepest point of the cumulative dollars, as a need."""
    return max(-float(np.cumsum(dollars_usd).min()), 0.0)


def test_each_option_dollars_and_its_peak_fx_need_by_hand(central):
    """From the state's books: buy BTC spends dollars (its FX need is its funding need);
    state mining's is its run's dollar ledger less the imported fuel of the energy it uses
    (cost recovery x fuel share, at the start rate: no inflation here); selling elsewhere
    sends the load's equipment out in month 1 and brings its lease in; idle needs nothing."""
    s = _load(*SHORT)
    share = s.options.power_sector.fuel_usd_share
    assert share == 0.8  # the packaged scenario's
    need = central.state_peak_fx_need_usd
    assert float(need.sel(option="idle")) == 0.0
    assert_allclose(
        need.sel(option="buy_btc"), central.state_peak_funding_usd.sel(option="buy_btc"), rtol=1e-12
    )
    mined = model.run(state_mining_scenario(s, _cr(s)), without_fleet=False)
    fuel_usd = 1000 * mined.energy_billed_mwh.values * _cr(s) * share / s.tariff.usd_fx_rate
    dollars = mined.fx_in_usd.values - mined.fx_out_usd.values - fuel_usd
    assert_allclose(need.sel(option="state_mining"), _need(dollars), rtol=1e-12)
    # the fiscal summary of compare is state mining's, fuel included
    assert_allclose(central.peak_fx_need_usd, _need(dollars), rtol=1e-12)
    assert float(central.peak_fx_need_month) == np.argmin(np.cumsum(dollars)) + 1
    # the lease (from month 19) pays more than the fuel: the need is the equipment, month 1
    other = s.options.sell_elsewhere
    capex = other.capex_usd_per_mw * s.site.capacity_mw * s.site.mining_share
    assert_allclose(need.sel(option="sell_elsewhere"), capex, rtol=1e-12)
    assert float(central.state_peak_fx_need_month.sel(option="sell_elsewhere")) == 1


def test_private_miners_paying_in_rupees_bring_no_dollars_and_burn_imported_fuel():
    """The miners come and pay a rupee tariff: the state's dollars are only the fuel out."""
    coming = [*SHORT, "options.sell_power.entry=always"]
    s = _load(*coming)
    ds = compare(s, solve_tariffs=False)
    assert float(ds.miners_come) == 1.0
    fuel_usd = ds.energy_gwh.sel(option="sell_power") * 1e6 * _cr(s) * 0.8 / s.tariff.usd_fx_rate
    assert_allclose(ds.state_peak_fx_need_usd.sel(option="sell_power"), fuel_usd, rtol=1e-12)
    # no imported fuel, nothing goes out
    free = compare(_load(*coming, "options.power_sector.fuel_usd_share=0"), solve_tariffs=False)
    assert float(free.state_peak_fx_need_usd.sel(option="sell_power")) == 0.0


def test_a_usd_tariff_brings_the_miners_payments_in_as_dollars():
    """Selling power in dollars (as Ethiopia and Paraguay do): what the miners pay comes in."""
    from minecalc.model import options as ledgers

    kwh = np.array([[1e6, 2e6, 3e6]])
    paid = ledgers.sell_power(
        energy_mwh=kwh / 1000,
        price_per_kwh=np.array([0.05]),
        cost_recovery_per_kwh=np.array([0.03]),
        fx=np.ones((1, 3)),
        miners_tax_usd=0.0,
        comes=np.array([True]),
        paid_in_usd=True,
    )
    assert_allclose(paid.dollars_usd, 0.05 * kwh, rtol=1e-15)
    worth = ledgers.worth(
        ledger=paid,
        surplus_mwh=kwh / 1000,
        discount_rate=0.1,
        mid_years=np.array([0.5, 1.5, 2.5]) / 12,
        fuel_usd_per_kwh=0.06,  # fuel dearer than the tariff: a need of 0.01 USD per kWh
    )
    assert_allclose(worth.fx.peak_need_usd, 0.01 * kwh.sum(), rtol=1e-12)
    assert int(worth.fx.peak_month[0]) == 2


# -- the command line --------------------------------------------------------------------------


def _invoke(*args):
    return CliRunner().invoke(main, ["compare", OPTIONS, "--set", "horizon_months=12", *args])


def test_compare_prints_the_table_and_the_answer():
    result = _invoke()
    assert result.exit_code == 0, result.output
    assert "sell elsewhere" in result.output and "Subsidy test" in result.output
    assert "idle" in result.output.splitlines()[3]


def test_compare_json_is_strict_and_csv_has_one_row_per_option(tmp_path):
    result = _invoke("--format", "json", "--paths", "20")

    def refuse(name):
        raise ValueError(name)

    summary = json.loads(result.output, parse_constant=refuse)
    assert set(summary["options"]) == {
        "idle",
        "sell_power",
        "state_mining",
        "buy_btc",
        "sell_elsewhere",
    }
    assert summary["paths"] == 20 and summary["best"] in summary["options"]
    csv = _invoke("--format", "csv").output.splitlines()
    assert len(csv) == 6 and csv[0].startswith("option,")
    out = tmp_path / "options.nc"
    assert _invoke("--out", str(out)).exit_code == 0
    again = _invoke("--out", str(out))
    assert again.exit_code == 2 and "--force" in again.output
    assert xr.open_dataset(out).sizes["option"] == 5


@pytest.mark.parametrize(
    "override, field",
    [
        ("options.compare=[idle, nope]", "options.compare"),
        ("options.sell_power.tariff_per_kwh=null", "options.sell_power.tariff_per_kwh"),
        ("options.sell_elsewhere.lead_months=-1", "options.sell_elsewhere.lead_months"),
        ("options.compare=[idle, idle]", "options.compare"),
        ("options=null", "options"),
    ],
)
def test_bad_option_blocks_are_one_clear_line(override, field):
    result = _invoke("--set", override)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {field}"), result.output
