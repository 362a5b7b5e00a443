"""Orchestration: scenario -> labelled Dataset, summaries, scenario dimensions."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from numpy.testing import assert_allclose

from minecalc import history, model
from minecalc.config import load_config
from minecalc.protocol import hashrate_from_difficulty

PK = Path(__file__).parents[1] / "configs" / "pk2000mw.yaml"


@pytest.fixture(scope="module")
def pk():
    return load_config(PK)


@pytest.fixture(scope="module")
def ds(pk):
    return model.run(pk)


def test_every_variable_and_coordinate_is_labelled(ds):
    for name, var in {**ds.data_vars, **ds.coords}.items():
        assert var.attrs.get("long_name"), name
        if not np.issubdtype(var.dtype, np.datetime64) and name in ds.data_vars:
            assert "units" in var.attrs, name


def test_dimensions_and_provenance(ds, pk):
    assert ds.sizes["time"] == pk.horizon_months
    assert pd.Timestamp(ds.time.values[0]) == pd.Timestamp(pk.start_date)
    assert pd.Timestamp(ds.time.values[12]) == pd.Timestamp("2027-09-05")
    assert ds.epoch_start_height.values[0] == pk.network.height
    assert ds.attrs["minecalc_version"]
    assert '"capacity_mw": 2000' in ds.attrs["scenario"]


def test_fleet_hashrate_by_hand(ds):
    # 2,000 MW x 1.0 / 1.10 PUE = 1,818.18 MW of IT power; / 17.5 J/TH = 103.9 EH/s,
    # losing 4 %/yr of it with age (measured at each month's middle).
    nameplate = 2000e6 / 1.10 / 17.5 / 1e6
    assert_allclose(ds.fleet_nameplate_hashrate_eh_s, nameplate, rtol=1e-12)
    mid_days = (
        ds.time.values + ds.period_days.values * np.timedelta64(86400, "s") / 2 - ds.time.values[0]
    ) / np.timedelta64(1, "D")
    assert_allclose(ds.fleet_hashrate_eh_s, nameplate * 0.96 ** (mid_days / 365.2425), rtol=1e-9)


def test_accounting_is_consistent(ds):
    assert_allclose(ds.fleet_btc, ds.fleet_subsidy_btc + ds.fleet_fees_btc, rtol=1e-12)
    assert_allclose(ds.fleet_fees_btc, ds.fleet_blocks * 0.0216, rtol=1e-12)  # pk2000mw's fees
    assert_allclose(ds.btc_total, ds.fleet_btc.sum(), rtol=1e-12)
    assert_allclose(ds.btc_by_year.sum(), ds.btc_total, rtol=1e-12)
    assert_allclose(ds.fleet_btc_cumulative[-1], ds.btc_total, rtol=1e-12)
    height = ds.epoch_start_height.values[0] + ds.network_blocks.cumsum("time")
    assert_allclose(ds.height_end, height, rtol=1e-12)
    # Hashprice of the fleet's own revenue: BTC per day per PH/s times price.
    per_ph = ds.fleet_btc_per_day / (ds.fleet_hashrate_eh_s * 1000)
    assert_allclose(ds.hashvalue_btc_per_ph_day, per_ph, rtol=1e-12)
    assert_allclose(ds.hashprice_usd_per_ph_day, per_ph * 65_137, rtol=1e-12)


def test_halving_date_and_subsidy(ds):
    month = int((ds.halving_time.values[0] - ds.time.values[0]) // np.timedelta64(1, "D") // 31)
    assert 15 <= month <= 22  # April 2028 give or take (domain.md: ~April 2028)
    assert pd.Timestamp(ds.halving_date.values).year == 2028
    assert_allclose(ds.subsidy_btc_per_block[:12], 3.125)
    assert_allclose(ds.subsidy_btc_per_block[-12:], 1.5625)


def test_growth_forms_are_equivalent(pk):
    yearly = load_config(PK, ["network.hashrate_growth.per_year=0.2"])
    monthly = load_config(PK, ["network.hashrate_growth.per_month=" + repr(1.2 ** (1 / 12) - 1)])
    assert_allclose(model.run(monthly).fleet_btc, model.run(yearly).fleet_btc, rtol=1e-10)


def test_path_growth_is_log_linear_from_today(pk):
    h0 = hashrate_from_difficulty(pk.network.difficulty) / 1e18
    cfg = load_config(
        PK, [f"network.hashrate_growth={{path: [{{date: 2027-09-05, hashrate_eh_s: {2 * h0}}}]}}"]
    )
    ds = model.run(cfg)
    # Doubling over the first 365 days, then flat. A month's mean of h0 2**(t/T) over
    # [a, b] is h0 T (2**(b/T) - 2**(a/T)) / ((b - a) ln 2).
    assert_allclose(ds.other_hashrate_eh_s[12:], 2 * h0, rtol=1e-12)
    days = (ds.time.values - ds.time.values[0]) / np.timedelta64(1, "D")
    a, b, T = days[6], days[7], 365.0
    mean = h0 * T * (2 ** (b / T) - 2 ** (a / T)) / ((b - a) * np.log(2))
    assert_allclose(ds.other_hashrate_eh_s[6], mean, rtol=1e-10)


def test_trend_growth_uses_the_history(pk):
    cfg = load_config(PK, ["network.hashrate_growth={trend_epochs: 26}"])
    ds = model.run(cfg)
    rate = history.growth_trend_per_year(26)
    # Months 0 and 12 have the same length and start 365 days apart.
    first, last = ds.other_hashrate_eh_s[0], ds.other_hashrate_eh_s[12]
    assert_allclose(last / first, (1 + rate) ** (365 / 365.2425), rtol=1e-9)


def test_price_taker_switch(pk):
    off = model.run(load_config(PK, ["network.include_fleet_in_network=false"]))
    on = model.run(pk)
    assert float(off.btc_total) > float(on.btc_total)
    assert float(off.final_difficulty) < float(on.final_difficulty)


def test_the_network_without_the_fleet_is_the_price_taker_run(pk, ds):
    # The fleet-free comparison inside one run equals a separate price-taker run, where
    # difficulty never sees the fleet (same yield, same network path).
    off = model.run(load_config(PK, ["network.include_fleet_in_network=false"]))
    assert_allclose(ds.fleet_btc_undiluted, off.fleet_btc, rtol=1e-12)
    assert_allclose(ds.difficulty_without_fleet, off.difficulty, rtol=1e-12)
    assert_allclose(ds.network_hashrate_without_fleet_eh_s, off.other_hashrate_eh_s, rtol=1e-12)
    assert_allclose(ds.btc_total_undiluted, off.btc_total, rtol=1e-12)
    assert_allclose(off.fleet_btc_undiluted, off.fleet_btc, rtol=1e-12)
    # Once difficulty has caught up, the shares are h/(H+h) and h/H (domain.md section 2).
    h, other = ds.fleet_hashrate_eh_s[-1], ds.other_hashrate_eh_s[-1]
    assert_allclose(ds.network_share[-1], h / (h + other), rtol=0.02)
    assert_allclose(ds.network_share_undiluted[-1], h / other, rtol=0.02)
    assert (ds.hashprice_without_fleet_usd_per_ph_day[1:] > ds.hashprice_usd_per_ph_day[1:]).all()
    assert "difficulty_without_fleet" not in model.run(pk, without_fleet=False)


def test_scenario_dimensions_equal_separate_runs(pk):
    caps = xr.DataArray(
        [500.0, 2000.0], dims="site.capacity_mw", coords={"site.capacity_mw": [500.0, 2000.0]}
    )
    fees = xr.DataArray([0.01, 0.05], dims="network.fees_btc_per_block")
    swept = model.run(pk, {"site.capacity_mw": caps, "network.fees_btc_per_block": fees})
    assert swept.fleet_btc.dims == ("site.capacity_mw", "network.fees_btc_per_block", "time")
    for i, cap in enumerate([500, 2000]):
        for j, fee in enumerate([0.01, 0.05]):
            one = model.run(
                load_config(PK, [f"site.capacity_mw={cap}", f"network.fees_btc_per_block={fee}"])
            )
            assert_allclose(swept.fleet_btc[i, j], one.fleet_btc, rtol=1e-12)
            assert_allclose(swept.btc_total[i, j], one.btc_total, rtol=1e-12)
    assert swept.fleet_btc.attrs["units"] == "BTC"


def test_economic_dispatch_over_a_tariff_dimension_equals_separate_runs():
    """Each tariff dispatches on its own prices, so each has a chain of its own (a sweep of
    the tariff under economic dispatch once failed to broadcast)."""
    tariffs = [12.0, 22.5, 40.0]
    economic = ["tariff.dispatch=economic", "horizon_months=24"]
    swept = model.run(
        load_config(PK, economic),
        {"tariff.energy_price_per_kwh": xr.DataArray(tariffs, dims="tariff")},
        solve_breakevens=False,
    )
    for i, tariff in enumerate(tariffs):
        one = model.run(
            load_config(PK, [*economic, f"tariff.energy_price_per_kwh={tariff}"]),
            solve_breakevens=False,
        )
        assert_allclose(swept.run_fraction[i], one.run_fraction, rtol=1e-12)
        assert_allclose(swept.fleet_btc[i], one.fleet_btc, rtol=1e-12)
        assert_allclose(swept.npv_usd[i], one.npv_usd, rtol=1e-12)
    assert float(swept.run_fraction[-1].mean()) < float(swept.run_fraction[0].mean())


def test_month_by_hour_detail_matches_the_monthly_run_fraction():
    # Cheap night hours run and the dear evening peak does not: the hour grid averages to
    # the month's run fraction, and in the winter-surplus case it follows availability.
    tou = "[" + ",".join(["0.6"] * 8 + ["1.0"] * 10 + ["1.8"] * 6) + "]"
    s = load_config(
        PK.with_name("pk2000mw_winter_surplus.yaml"),
        [
            "tariff.dispatch=economic",
            f"tariff.time_of_use=[{tou}]",
            "tariff.energy_price_per_kwh=12",
        ],
    )
    ds = model.run(s)
    assert ds.run_by_hour.dims == ("time", "hour") and ds.hour.attrs["units"] == "h"
    assert_allclose(ds.run_by_hour.mean("hour"), ds.run_fraction, atol=1e-12)
    first = ds.run_by_hour.isel(time=0).values
    assert (first[:8] > 0).all() and (first[-6:] == 0).all()
    assert_allclose(
        ds.energy_price_by_hour_usd_per_kwh.isel(time=0, hour=0) * 1.0 / 0.6,
        ds.energy_price_by_hour_usd_per_kwh.isel(time=0, hour=8),
        rtol=1e-12,
    )


def test_unknown_parameter_keys_are_refused(pk):
    with pytest.raises(
        ValueError, match=r"params: expected keys among model\.PARAMETERS, got site\.capacity"
    ):
        model.run(pk, {"site.capacity": xr.DataArray([1.0, 2.0], dims="c")})


def test_a_run_builds_only_the_monthly_series_asked_for(pk, ds):
    """``monthly`` leaves out the core series not asked for (and not read by the summary);
    every figure it keeps is the full run's, to the bit."""
    from minecalc.errors import InputError
    from minecalc.model import variables
    from minecalc.model.summary import SUMMARY_READS

    few = model.run(pk, monthly=["btc_price_usd"])
    core = set(variables.names("core"))
    assert core & set(few.data_vars) == {"btc_price_usd", *SUMMARY_READS}
    for name in few.data_vars:
        xr.testing.assert_identical(few[name], ds[name])
    with pytest.raises(InputError, match="monthly: expected variables of the core group"):
        model.run(pk, monthly=["npv_usd"])
