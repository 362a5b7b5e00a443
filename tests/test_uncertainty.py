"""Monte Carlo: reproducible by seed, ordered bands, paths with the right statistics."""

import warnings
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
        price="gbm",
        response=False,
        volatility_per_year=0.0,
        network="lognormal",
        network_volatility_per_year=0.0,
        fees_sigma=0.0,
    )
    det = minecalc.run(pk)
    assert_allclose(flat.npv_usd, det.npv_usd, rtol=1e-9)
    assert_allclose(flat.btc_by_year.isel(path=0), det.btc_by_year, rtol=1e-9)
    band = flat.fleet_btc_cumulative_band  # every path the same: every quantile the run
    assert_allclose(band, np.broadcast_to(det.fleet_btc_cumulative, band.shape), rtol=1e-9)


def test_gbm_has_the_stated_median_growth_and_volatility():
    rng = np.random.default_rng(3)
    t = np.array([1.0, 5.0])
    z = rng.standard_normal((200_000, 2))
    s = u.gbm_price_paths(100.0, 0.1, 0.6, t, z)
    # the median of N lognormal draws has a log standard error of 1.2533 sigma / sqrt(N)
    se = 1.2533 * 0.6 * np.sqrt(t) / np.sqrt(200_000)
    assert (np.abs(np.log(np.median(s, axis=0) / (100 * 1.1**t))) < 4 * se).all()
    assert_allclose(np.log(s).std(axis=0), 0.6 * np.sqrt(t), rtol=5e-3)
    flat = u.gbm_price_paths(100.0, 0.0, 0.6, t, z)
    assert (np.abs(np.log(np.median(flat, axis=0) / 100)) < 4 * se).all()


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


def test_monte_carlo_is_the_same_whatever_the_chunking(pk, monkeypatch):
    """Blocks of 100 paths (4 for 301), run whole, in chunks of 7 or 100, on this machine's
    threads or through dask: the very same numbers (each scenario's chain is solved on its
    own, so no scenario's numbers depend on which others run beside it)."""
    import xarray as xr

    monkeypatch.setattr(u, "DRAW_BLOCK", 100)
    a = u.monte_carlo(pk, paths=301, seed=3)
    for options in ({"chunks": 7}, {"chunks": 100}, {"chunks": 50, "scheduler": "threads"}):
        b = u.monte_carlo(pk, paths=301, seed=3, **options)
        xr.testing.assert_identical(a, b)


def test_the_bands_are_of_the_first_band_paths(pk, monkeypatch):
    """Beyond BAND_PATHS paths only the first ones' monthly series are kept, for the bands;
    every path's own figures are kept. Both as one run over the drawn paths gives them."""
    monkeypatch.setattr(u, "DRAW_BLOCK", 10)
    monkeypatch.setattr(u, "BAND_PATHS", 20)
    mc = u.monte_carlo(pk, paths=35, seed=4)
    model = u.checked(u.PathModel())
    drawn = u.draw_paths(pk, paths=35, seed=4, path_model=model)
    whole = minecalc.model.run(u.responding(pk, model), paths=dict(drawn.data_vars), **u.OVER_PATHS)
    assert mc.sizes["path"] == 35 and "cumulative_cash_usd" not in mc
    np.testing.assert_array_equal(mc.npv_usd, whole.npv_usd)
    first = whole.cumulative_cash_usd.isel(path=slice(0, 20))
    np.testing.assert_array_equal(
        mc.cumulative_cash_usd_band, first.quantile(list(u.QUANTILES), "path")
    )
    assert not np.array_equal(
        mc.cumulative_cash_usd_band, whole.cumulative_cash_usd.quantile(list(u.QUANTILES), "path")
    )


def test_monte_carlo_on_a_local_cluster_by_address(pk, dashboard_port_taken):
    from distributed import LocalCluster

    a = u.monte_carlo(pk, paths=40, seed=5)
    # the dashboard on a free port: the default 8787 may be someone else's
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0"
    ) as cluster:
        b = u.monte_carlo(pk, paths=40, seed=5, chunks=20, scheduler=cluster.scheduler_address)
    assert_allclose(a.npv_usd, b.npv_usd, rtol=1e-12)


# --- the joint bootstrap --------------------------------------------------------------------


def test_block_length_one_is_the_iid_bootstrap_number_for_number():
    idx = u.stationary_bootstrap_indices(np.random.default_rng(5), 121, 300, 60, 1.0)
    iid = np.random.default_rng(5).integers(121, size=(300, 60))
    assert np.array_equal(idx, iid)


def test_blocks_continue_month_after_month_and_wrap_round():
    idx = u.stationary_bootstrap_indices(np.random.default_rng(2), 50, 2_000, 48, 6.0)
    step = (idx[:, 1:] - idx[:, :-1]) % 50
    continued = step == 1
    # a block goes on with probability 1 - 1/6 (a fresh draw lands on the next month 1/50)
    assert_allclose(continued.mean(), 5 / 6 + 1 / 6 / 50, atol=0.005)
    assert ((idx[:, :-1] == 49) & continued).any()  # from the newest month to the oldest


@pytest.fixture(scope="module")
def history_moves():
    from minecalc import moves

    return moves.monthly_moves().to_numpy()


def test_the_joint_bootstrap_keeps_the_history_moments_and_co_movement(history_moves):
    h = history_moves
    paths, n, block = 4_000, 120, 6.0
    drift = np.repeat(h.mean(axis=0)[:, None], n, axis=1)  # put the history's own mean back
    price, network = u.joint_paths(h, np.random.default_rng(11), paths, drift, block)
    # each month drawn is a uniformly drawn month of history, and the two series are drawn
    # together; draws within a block are dependent, so the effective count is ~ N / block
    effective = paths * n / block
    for drawn, column in ((price, h[:, 0]), (network, h[:, 1])):
        assert_allclose(drawn.mean(), column.mean(), atol=4 * column.std() / np.sqrt(effective))
        assert_allclose(drawn.std(), column.std(), rtol=4 / np.sqrt(2 * effective))
    se_corr = 1 / np.sqrt(effective)
    same_month = np.corrcoef(price.ravel(), network.ravel())[0, 1]
    assert_allclose(same_month, np.corrcoef(h[:, 0], h[:, 1])[0, 1], atol=4 * se_corr)
    # persistence: consecutive months stay consecutive with probability 1 - 1/block, so a
    # lag-1 correlation shrinks by that factor (price leads hashrate by a month or so)
    lagged = np.corrcoef(price[:, :-1].ravel(), network[:, 1:].ravel())[0, 1]
    history_lagged = np.corrcoef(h[:-1, 0], h[1:, 1])[0, 1]
    assert history_lagged > 0.3  # the co-movement worth keeping
    assert_allclose(lagged, (1 - 1 / block) * history_lagged, atol=4 * se_corr)
    price_ac = np.corrcoef(price[:, :-1].ravel(), price[:, 1:].ravel())[0, 1]
    assert_allclose(price_ac, (1 - 1 / block) * np.corrcoef(h[:-1, 0], h[1:, 0])[0, 1],
                    atol=4 * se_corr)  # fmt: skip


def test_the_joint_bootstrap_is_recentred_on_the_trends_asked(history_moves):
    drift = np.array([[np.log(1.1) / 12] * 24, [np.log(1.2) / 12] * 24])
    price, network = u.joint_paths(history_moves, np.random.default_rng(1), 20_000, drift, 6.0)
    sd = history_moves.std(axis=0) * np.sqrt(6 / (20_000 * 24))
    assert_allclose(price.mean(), np.log(1.1) / 12, atol=4 * sd[0])
    assert_allclose(network.mean(), np.log(1.2) / 12, atol=4 * sd[1])


def test_a_path_draws_the_same_numbers_whatever_the_number_of_paths(pk):
    model = u.PathModel()
    few = u.draw_paths(pk, paths=u.DRAW_BLOCK, seed=4, path_model=model)
    more = u.draw_paths(pk, paths=u.DRAW_BLOCK + 7, seed=4, path_model=model)
    for name in few.data_vars:
        assert np.array_equal(few[name], more[name].isel(path=slice(u.DRAW_BLOCK)))
    assert not np.array_equal(more.btc_price_usd[-7:], few.btc_price_usd[:7])


def test_the_joint_paths_keep_the_median_price_flat_and_the_network_trend(pk):
    drawn = u.draw_paths(pk, paths=20_000, seed=9, path_model=u.PathModel())
    end = np.log(drawn.btc_price_usd.isel(time=-1) / pk.market.btc_price_usd)
    # demeaned moves: the log price ends near 0 on average; its median may sit off by the
    # skew of the monthly moves, a few percent over 5 years
    assert abs(float(end.mean())) < 4 * float(end.std()) / np.sqrt(20_000 / 10)
    assert abs(float(np.median(end))) < 0.1
    years = pk.horizon_months / 12
    growth = float(np.log(drawn.other_hashrate_factor.isel(edge=-1)).mean()) / years
    assert_allclose(growth, np.log1p(minecalc.model.growth_per_year(pk)), rtol=0.05)


def test_the_response_inside_the_paths(pk):
    none = u.monte_carlo(pk, paths=30, seed=1, response=False)
    still = pk.model_copy(
        update={
            "network": pk.network.model_copy(
                update={"response": minecalc.config.Response(elasticity=0.0, lag_months=4.0)}
            )
        }
    )
    zero = u.monte_carlo(still, paths=30, seed=1)  # the scenario's own law: elasticity 0
    for name in ("npv_usd", "btc_by_year", "final_difficulty"):
        assert np.array_equal(none[name], zero[name]), name
    fitted = u.monte_carlo(pk, paths=30, seed=1)  # the calibrated law
    assert fitted.attrs["mc_response_elasticity"] > 0 == zero.attrs["mc_response_elasticity"]
    # other miners give part of the share back on every path: more BTC than without
    assert (fitted.btc_total > none.btc_total).all()


def test_bad_path_models_name_the_field():
    with pytest.raises(minecalc.errors.InputError, match="network: expected none with price"):
        u.checked(u.PathModel(network="lognormal"))
    with pytest.raises(minecalc.errors.InputError, match="median_growth_per_year: expected"):
        u.checked(u.PathModel(median_growth_per_year=-1.0))
    with pytest.raises(minecalc.errors.InputError, match="window: expected at least 12"):
        u.checked(u.PathModel(window_start="2026-01"))
    with pytest.raises(minecalc.errors.InputError, match="window: expected months"):
        u.checked(u.PathModel(window_start="July 2016"))


@pytest.mark.parametrize("paths", [1, 2, 3, 10, 999, 10_000])
def test_the_bands_quantiles_are_numpys(paths):
    rng = np.random.default_rng(paths)
    values = rng.lognormal(10, 2, (6, paths))
    values[0] = 7.0  # ties
    values[1, : paths // 2] = -values[1, : paths // 2]
    expected = np.quantile(values, u.QUANTILES, axis=-1)
    assert_allclose(u._quantiles(values.copy()), expected, rtol=1e-15, atol=0)
    values[2, -1] = np.nan  # a NaN: numpy's NaN-aware quantiles (an all-NaN row with 1 path)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanquantile(values, u.QUANTILES, axis=-1)
        got = u._quantiles(values.copy())
    assert_allclose(got, expected, rtol=1e-15, atol=0, equal_nan=True)
