"""Sweeps and tornado: one vectorized call equals the scenarios run one by one."""

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from numpy.testing import assert_allclose

import minecalc
from minecalc.errors import OutputExistsError
from minecalc.sweep import sobol, sweep, tornado

PK = Path(__file__).parents[1] / "configs" / "pk2000mw.yaml"


@pytest.fixture(scope="module")
def pk():
    return minecalc.load_config(PK, ["horizon_months=24"])


def test_a_sweep_equals_the_same_scenarios_run_one_by_one(pk):
    tariffs, prices = [15.0, 22.5, 35.0], [40e3, 120e3]
    ds = sweep(
        pk,
        {
            "tariff.energy_price_per_kwh": tariffs,
            "market.btc_price_usd": prices,
            "network.hashrate_growth.per_epoch": [0.0, 0.02],
        },
    )
    assert ds.npv_usd.dims == (
        "tariff.energy_price_per_kwh",
        "market.btc_price_usd",
        "network.hashrate_growth.per_epoch",
    )
    for i, tariff in enumerate(tariffs):
        for j, price in enumerate(prices):
            for k, growth in enumerate([0.0, 0.02]):
                one = minecalc.run(
                    minecalc.load_config(
                        PK,
                        [
                            "horizon_months=24",
                            f"tariff.energy_price_per_kwh={tariff}",
                            f"market.btc_price_usd={price}",
                            f"network.hashrate_growth={{per_epoch: {growth}}}",
                        ],
                    )
                )
                point = {
                    "tariff.energy_price_per_kwh": i,
                    "market.btc_price_usd": j,
                    "network.hashrate_growth.per_epoch": k,
                }
                for name in ("npv_usd", "btc_total", "breakeven_btc_price_usd", "fleet_btc"):
                    # a variable keeps only the dimensions it varies along
                    here = ds[name].isel({d: v for d, v in point.items() if d in ds[name].dims})
                    assert_allclose(here, one[name], rtol=1e-12)
    assert ds.btc_total.dims == ("network.hashrate_growth.per_epoch",)


def test_zipped_fields_share_one_dimension(pk):
    ds = sweep(pk, zipped={"site.pue": [1.05, 1.2], "site.capacity_mw": [1000, 2000]})
    assert ds.npv_usd.dims == ("site.pue+site.capacity_mw",)
    assert list(ds["site.pue"].values) == [1.05, 1.2]
    one = minecalc.run(
        minecalc.load_config(PK, ["horizon_months=24", "site.pue=1.2", "site.capacity_mw=2000"])
    )
    assert_allclose(ds.npv_usd[1], one.npv_usd, rtol=1e-12)


@pytest.mark.parametrize(
    "grid, message",
    [
        (
            {"site.capacty_mw": [1]},
            "site.capacty_mw: expected a field that can be swept (did you mean site.capacity_mw",
        ),
        ({"site.pue": [0.9, 1.1]}, "site.pue: expected a number >= 1, got 0.9"),
    ],
)
def test_bad_sweeps_name_the_field(pk, grid, message):
    with pytest.raises(ValueError, match=None) as err:
        sweep(pk, grid)
    assert message in str(err.value)


def test_tornado_low_and_high_bracket_the_base(pk):
    ranges = {
        "tariff.energy_price_per_kwh": (15, 30),
        "market.btc_price_usd": (40e3, 120e3),
        "network.hashrate_growth.per_year": (0.0, 0.5),
        "site.pue": (1.05, 1.2),
    }
    t = tornado(pk, ranges)
    base = float(t.base_npv_usd)
    low, high = t.npv_usd.sel(case="low"), t.npv_usd.sel(case="high")
    assert np.all(np.minimum(low, high) <= base) and np.all(np.maximum(low, high) >= base)
    one = minecalc.run(minecalc.load_config(PK, ["horizon_months=24", "site.pue=1.05"]))
    assert_allclose(t.npv_usd.sel(parameter="site.pue", case="low"), one.npv_usd, rtol=1e-12)
    assert_allclose(base, minecalc.run(pk).npv_usd, rtol=1e-12)
    assert list(t.high_value.values) == [30, 120e3, 0.5, 1.2]


def ishigami(x, a=7.0, b=0.1):
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_indices_of_the_ishigami_function():
    from minecalc.sweep import sobol_indices

    # Analytic values for a = 7, b = 0.1 (Ishigami & Homma 1990; Saltelli et al. 2008).
    a, b = 7.0, 0.1
    var = a**2 / 8 + b * np.pi**4 / 5 + b**2 * np.pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    s = sobol_indices(["x1", "x2", "x3"], [(-np.pi, np.pi)] * 3, ishigami, n=4096, seed=2)
    assert_allclose(s.S1, [v1 / var, v2 / var, 0.0], atol=0.02)
    assert_allclose(s.ST, [(v1 + v13) / var, v2 / var, v13 / var], atol=0.02)


def test_sobol_on_the_model_ranks_what_drives_npv(pk):
    from minecalc.sweep import sobol

    s = sobol(pk, {"tariff.energy_price_per_kwh": (15, 30), "site.pue": (1.05, 1.2)}, n=256)
    assert float(s.ST.sel(parameter="tariff.energy_price_per_kwh")) > 0.9
    assert float(s.ST.sel(parameter="site.pue")) < 0.1
    with pytest.raises(ValueError, match="power of 2"):
        sobol(pk, {"site.pue": (1.05, 1.2)}, n=100)


GRID = {
    "tariff.energy_price_per_kwh": np.linspace(15, 35, 5),
    "market.btc_price_usd": [4e4, 9e4, 1.2e5],
}


def _raise_on_compute(*args, **kwargs):
    raise AssertionError("the lazy sweep computed before it was written")


def test_the_dask_path_stays_lazy_until_written(pk, tmp_path):
    import dask
    import xarray as xr

    from minecalc.sweep import lazy_sweep, write_lazy

    with dask.config.set(scheduler=_raise_on_compute):
        lazy = lazy_sweep(pk, GRID, chunks=2, variables=["npv_usd", "fleet_btc"])
        assert lazy.npv_usd.chunks == ((2, 2, 1), (2, 1))
        doubled = lazy.npv_usd * 2  # arithmetic stays lazy too
        assert doubled.chunks is not None
    out = tmp_path / "sweep.zarr"
    write_lazy(lazy, out)
    eager = sweep(pk, GRID, record_epochs=False)
    with xr.open_zarr(out, consolidated=False) as on_disk:
        xr.testing.assert_allclose(on_disk.npv_usd, eager.npv_usd, rtol=1e-13)
        xr.testing.assert_allclose(
            on_disk.fleet_btc,
            eager.fleet_btc.broadcast_like(eager.npv_usd).transpose(*on_disk.fleet_btc.dims),
            rtol=1e-13,
        )
    with pytest.raises(OutputExistsError, match="force=True"):
        write_lazy(lazy, out)


def test_a_local_cluster_sweep_equals_the_in_memory_one(pk, dashboard_port_taken):
    from distributed import Client, LocalCluster

    from minecalc.sweep import lazy_sweep

    eager = sweep(pk, GRID, record_epochs=False)
    # the dashboard on a free port: the default 8787 may be someone else's
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0"
        ) as cluster,
        Client(cluster) as client,
    ):
        lazy = lazy_sweep(pk, GRID, chunks=2, variables=["npv_usd", "btc_total", "fleet_btc"])
        result = client.compute(lazy).result()
    assert (result.npv_usd.values == eager.npv_usd.transpose(*result.npv_usd.dims).values).all()
    assert (
        result.btc_total.values
        == eager.btc_total.broadcast_like(eager.npv_usd).transpose(*result.btc_total.dims).values
    ).all()


def test_swept_dimensions_carry_units_and_names(pk):
    grid = sweep(
        pk,
        {"tariff.energy_price_per_kwh": [15.0, 25.0]},
        zipped={"site.pue": [1.05, 1.2], "market.btc_price_usd": [5e4, 9e4]},
        record_epochs=False,
    )
    assert grid["tariff.energy_price_per_kwh"].attrs["units"] == "PKR/kWh"
    assert grid["market.btc_price_usd"].attrs == {
        "units": "USD",
        "long_name": "Bitcoin price at the start",
    }
    assert grid["site.pue"].attrs["units"] == "1"


def test_sobol_confidence_intervals_repeat_with_seed_zero(pk):
    ranges = {"tariff.energy_price_per_kwh": (15.0, 30.0), "site.pue": (1.05, 1.2)}
    a, b = (sobol(pk, ranges, n=16, seed=0) for _ in range(2))
    xr.testing.assert_identical(a, b)
