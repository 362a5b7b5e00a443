"""Regression fixture: the model's numbers are pinned before the model-pipeline refactor.

Every packaged scenario, one sweep, one Monte Carlo (fixed seed) and two economic-dispatch
runs were written to ``tests/regression/*.nc`` by this file's ``__main__`` from the code of
commit a7eedda (0.1.0, before issue 11; the code after issue 11 gives the same numbers
bit for bit); pk2000mw_options and its comparison were added with issue 14;
pk2000mw_fiscal with issue 15, which also regenerated the comparison (private miners
decide after their profit tax, and deduct the facilities' tax depreciation too) and the
cases whose machines outlive the horizon (their depreciation ran over the horizon plus a
month instead of their life: depreciation_usd and cost_per_btc_all_in_usd change, nothing
else); the comparison again when its fiscal summary took state mining's peak FX need with
the imported fuel (peak_fx_need_usd and its month change, nothing else); the two Monte
Carlo cases with issue 16 (the joint bootstrap with the other miners' response became the
default, and each block of paths draws from its own stream of the seed; Monte Carlo runs
keep no fleet-free comparison groups, which the response once brought in); every case
again when the packaged scenarios took current inputs (issue 16: fees, network growth, BTC
price, exchange rate and tariff); the two Monte Carlo cases again with issue 17 (a Monte
Carlo keeps every path's own figures but no longer its monthly series: those variables
left, every other one unchanged). Every variable must still agree to 1e-12 relative, and
every date to a microsecond (issue 17's compiled chain solves each scenario's events on its
own: dates move by up to 32 ns, numbers by up to 1e-14 of their scale; its SIMD series for
expm1 and log, fused multiply-adds and better Halley start move numbers by up to 1e-13 of
themselves, in differences that cancel such as a month's cash flow). A deliberate
change of numbers regenerates the fixture and says why in the commit:
``python tests/test_regression.py [CASE ...]`` (all cases by default).
"""

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import minecalc
from minecalc import examples
from minecalc.compare import compare
from minecalc.sweep import sweep
from minecalc.uncertainty import monte_carlo

HERE = Path(__file__).parent / "regression"
RTOL = 1e-12
DIFFERENCES = {"displaced_hashrate_eh_s": "network_hashrate_eh_s"}
"""Variables that are differences of two near-equal figures, by the figures' variable: they
agree to 1e-12 of those figures (their own rounding, ~1e-13 EH/s, is all they hold where
nothing is displaced)."""
ECONOMIC = [
    "tariff.dispatch=economic",
    "tariff.energy_price_per_kwh=30",
    "tariff.time_of_use=[[0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.8, 1.0, 1.2, 1.2, 1.2, 1.2, "
    "1.2, 1.2, 1.2, 1.2, 1.4, 1.6, 1.6, 1.4, 1.0, 0.8, 0.7, 0.6]]",
    "horizon_months=36",
]


def _cases() -> dict:
    """Case name -> a function that computes its Dataset."""
    cases = {
        name: (lambda name=name: minecalc.run(minecalc.load_config(name)))
        for name in examples.names()
    }
    cases["sweep_tariff_price"] = lambda: sweep(
        minecalc.load_config("pk2000mw"),
        {
            "tariff.energy_price_per_kwh": [10.0, 22.5, 35.0],
            "market.btc_price_usd": [40_000.0, 63_400.0, 150_000.0],
        },
    )
    cases["montecarlo_seed7"] = lambda: monte_carlo(
        minecalc.load_config("pk2000mw", ["horizon_months=36"]), paths=100, seed=7
    )
    cases["compare_pk2000mw_options"] = lambda: compare(minecalc.load_config("pk2000mw_options"))
    cases["economic_dispatch"] = lambda: minecalc.run(minecalc.load_config("pk2000mw", ECONOMIC))
    cases["economic_dispatch_montecarlo"] = lambda: monte_carlo(
        minecalc.load_config("pk2000mw", ECONOMIC), paths=40, seed=3
    )
    return cases


CASES = _cases()


def _comparable(ds: xr.Dataset) -> xr.Dataset:
    """Numbers and dates only; attributes that name the version or the run are not numbers."""
    return ds.drop_attrs()


@pytest.mark.parametrize("name", sorted(CASES))
def test_numbers_do_not_move(name):
    with xr.open_dataset(HERE / f"{name}.nc") as pinned:
        pinned = pinned.load()
    now = CASES[name]()
    assert set(pinned.data_vars) <= set(now.data_vars)  # new variables may join
    for var in pinned.data_vars:
        a, b = now[var], pinned[var]
        assert a.dims == b.dims, var
        if np.issubdtype(b.dtype, np.datetime64):
            # event times are some 1e8 s from the start, solved to about 1e-12 of that; a
            # microsecond is 1e-14 of it (a last-digit change of seconds is tens of ns)
            np.testing.assert_array_equal(np.isnat(a.values), np.isnat(b.values), err_msg=var)
            apart = np.abs(a.values - b.values)[~np.isnat(b.values)]
            assert (apart <= np.timedelta64(1, "us")).all(), (var, apart.max())
        else:
            scale = np.nanmax(np.abs(pinned[DIFFERENCES[var]])) if var in DIFFERENCES else 0
            np.testing.assert_allclose(
                a.values, b.values, rtol=RTOL, atol=RTOL * scale, equal_nan=True, err_msg=var
            )


if __name__ == "__main__":
    import sys

    HERE.mkdir(exist_ok=True)
    for case, compute in CASES.items():
        if sys.argv[1:] and case not in sys.argv[1:]:
            continue
        ds = _comparable(compute())
        encoding = {
            v: {"zlib": True, "complevel": 5}
            for v in ds.data_vars
            if not np.issubdtype(ds[v].dtype, np.datetime64)
        }
        ds.to_netcdf(HERE / f"{case}.nc", engine="netcdf4", encoding=encoding)
        print(case, (HERE / f"{case}.nc").stat().st_size)
