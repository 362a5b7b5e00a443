"""Monte Carlo: reproducible by seed, ordered bands, paths with the right statistics."""

from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

import minecalc
from minecalc import uncertainty as u

PK = Path(__file__).parents[1] / "configs" / "pk2000mw.yaml"


@pytest.fixture(scope="module")
def pk():
    return minecalc.load_config(PK, ["horizon_months=24"])


def test_same_seed_same_numbers_and_ordered_bands(pk):
    a = u.monte_carlo(pk, paths=200, seed=7)
    b = u.monte_carlo(pk, paths=200, seed=7)
    c = u.monte_carlo(pk, paths=200, seed=8)
    assert_allclose(a.npv_usd, b.npv_usd, rtol=0)
    assert not np.allclose(a.npv_usd, c.npv_usd)
    for band in (
        "fleet_btc_cumulative_band",
        "cumulative_cash_usd_band",
        "btc_price_usd_band",
        "npv_usd_quantiles",
    ):
        q = a[band]
        assert np.all(q.sel(quantile=0.1) <= q.sel(quantile=0.5))
        assert np.all(q.sel(quantile=0.5) <= q.sel(quantile=0.9))
    assert 0 <= float(a.prob_npv_negative) <= 1
    assert float(a.prob_npv_negative) == pytest.approx(float((a.npv_usd < 0).mean()))


def test_zero_volatility_reproduces_the_deterministic_run(pk):
    flat = u.monte_carlo(
        pk,
        paths=3,
        seed=0,
        volatility_per_year=0.0,
        network="lognormal",
        network_volatility_per_year=0.0,
        fees_sigma=0.0,
    )
    det = minecalc.run(pk)
    assert_allclose(flat.npv_usd, det.npv_usd, rtol=1e-9)
    assert_allclose(flat.fleet_btc.isel(path=0), det.fleet_btc, rtol=1e-9)


def test_gbm_has_the_stated_drift_and_volatility():
    rng = np.random.default_rng(3)
    t = np.array([1.0])
    z = rng.standard_normal((200_000, 1))
    s = u.gbm_price_paths(100.0, 0.1, 0.6, t, z)
    assert_allclose(s.mean(), 100 * np.exp(0.1), rtol=5e-3)
    assert_allclose(np.log(s).std(), 0.6, rtol=5e-3)


def test_bootstrapped_growth_matches_the_history_on_average():
    changes = u.epoch_log_changes()
    edges = np.arange(13) / 12
    f = u.bootstrap_growth_factors(changes, np.random.default_rng(1), 20_000, edges)
    per_epoch = changes.mean()
    # a year is 365.2425 / 14 nominal epochs
    assert_allclose(np.log(f[:, -1]).mean(), per_epoch * 365.2425 / 14, rtol=0.05)
    assert_allclose(f[:, 0], 1.0)


def test_correlated_normals():
    z1, z2 = u.correlated_normals(np.random.default_rng(0), 100_000, 1, 0.7)
    assert_allclose(np.corrcoef(z1[:, 0], z2[:, 0])[0, 1], 0.7, atol=0.01)


def test_monte_carlo_through_dask_equals_in_memory(pk):
    import xarray as xr

    a = u.monte_carlo(pk, paths=301, seed=3)
    b = u.monte_carlo(pk, paths=301, seed=3, chunks=100)
    assert set(a.data_vars) == set(b.data_vars)
    xr.testing.assert_allclose(a.npv_usd, b.npv_usd, rtol=1e-12)
    xr.testing.assert_allclose(a.cumulative_cash_usd_band, b.cumulative_cash_usd_band, rtol=1e-12)
    assert float(a.prob_npv_negative) == float(b.prob_npv_negative)


def test_monte_carlo_on_a_local_cluster_by_address(pk, dashboard_port_taken):
    from distributed import LocalCluster

    a = u.monte_carlo(pk, paths=40, seed=5)
    # the dashboard on a free port: the default 8787 may be someone else's
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0"
    ) as cluster:
        b = u.monte_carlo(pk, paths=40, seed=5, chunks=20, scheduler=cluster.scheduler_address)
    assert_allclose(a.npv_usd, b.npv_usd, rtol=1e-12)
