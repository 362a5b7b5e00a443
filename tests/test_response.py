"""Other miners' response to hashprice: the law, its calibration, and what it does to a run."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from numpy.testing import assert_allclose

from minecalc import model, response
from minecalc.config import ConfigError, load_config

CONFIGS = Path(__file__).parents[1] / "configs"
MONTH = response.MONTH_S


def test_adjust_relaxes_exponentially_toward_the_elasticity_times_the_gap():
    # One step closes 1 - exp(-dt/tau) of the distance; many steps converge to eps * gap.
    x = response.adjust(0.0, -0.1, MONTH, 0.5, 2.0)
    assert_allclose(x, 0.5 * -0.1 * (1 - np.exp(-0.5)), rtol=1e-12)
    for _ in range(200):
        x = response.adjust(x, -0.1, MONTH, 0.5, 2.0)
    assert_allclose(x, -0.05, rtol=1e-9)
    # Two half steps equal one full step for a constant gap (exact, not Euler).
    half = response.adjust(
        response.adjust(0.01, -0.2, MONTH / 2, 0.3, 3.0), -0.2, MONTH / 2, 0.3, 3.0
    )
    assert_allclose(half, response.adjust(0.01, -0.2, MONTH, 0.3, 3.0), rtol=1e-12)
    assert response.adjust(0.02, 0.3, MONTH, 0.0, 1.0) < 0.02  # no elasticity: decays to 0


def test_hashprice_gap_by_hand():
    # Same subsidy and fees, 10 % more difficulty: hashprice is 1/1.1 of the baseline's.
    assert_allclose(response.hashprice_gap(3.125, 0.03, 110.0, 3.125, 100.0), -np.log(1.1))
    # A halving in one world only: (1.5625 + 0.03) / (3.125 + 0.03).
    assert_allclose(
        response.hashprice_gap(1.5625, 0.03, 100.0, 3.125, 100.0), np.log(1.5925 / 3.155)
    )


def _synthetic(elasticity, lag_months, months=600, seed=0):
    """Difficulty and hashprice from the law itself, around trends, with noise."""
    rng = np.random.default_rng(seed)
    a = 1 - np.exp(-1 / lag_months)
    g = np.zeros(months)
    x = np.zeros(months)
    for m in range(1, months):  # hashprice deviations: AR(1); difficulty follows the law
        g[m] = 0.8 * g[m - 1] + rng.normal(0, 0.1)
        x[m] = x[m - 1] + a * (elasticity * g[m - 1] - x[m - 1]) + rng.normal(0, 0.005)
    t = np.arange(months)
    return pd.DataFrame(
        {
            "difficulty": 1e14 * np.exp(0.02 * t + x),
            "hashprice_usd_per_ph_day": 50 * np.exp(-0.01 * t + g),
        },
        index=pd.Index([f"m{m}" for m in t], name="month"),
    )


@pytest.mark.parametrize("elasticity, lag", [(0.3, 4.0), (1.0, 2.0)])
def test_calibration_recovers_a_known_law(elasticity, lag):
    fit = response.calibrate(_synthetic(elasticity, lag))
    assert_allclose(fit.elasticity, elasticity, rtol=0.15)
    assert_allclose(fit.lag_months, lag, rtol=0.2)
    assert fit.months == 600 and fit.r_squared > 0.3


def test_calibration_refuses_a_series_without_a_response():
    flat = _synthetic(0.3, 4.0)
    flat["difficulty"] = 1e14 * np.exp(0.02 * np.arange(len(flat)))  # difficulty ignores hashprice
    flat.iloc[::2, 0] *= 1.001  # no mean reversion to speak of either: a fails the bounds
    with pytest.raises(ValueError, match="response calibration"):
        response.calibrate(flat)


def test_packaged_history_and_the_headline_config_agree():
    table = response.monthly_history()
    assert table.index[0] == "2024-01" and table.index[-1] == "2026-07"  # Aug 2026 is partial
    # Hashprice in March 2024, before the halving: 6.25 BTC, 83.9 T, ~$67.7k -> ~$100/PH/day.
    march = table.loc["2024-03"]
    assert march.subsidy_btc == 6.25 and 90 < march.hashprice_usd_per_ph_day < 110
    assert table.loc["2024-05"].subsidy_btc == 3.125
    fit = response.calibrate()
    pk = load_config(CONFIGS / "pk2000mw_response.yaml").network.response
    assert_allclose(pk.elasticity, fit.elasticity, atol=0.005)
    assert_allclose(pk.lag_months, fit.lag_months, atol=0.05)


@pytest.fixture(scope="module")
def with_response():
    return model.run(load_config(CONFIGS / "pk2000mw_response.yaml"))


def test_response_gives_part_of_the_share_back(with_response):
    ds = with_response
    fixed, moved = float(ds.btc_total_without_response), float(ds.btc_total)
    plain = model.run(load_config(CONFIGS / "pk2000mw.yaml"))
    assert_allclose(fixed, float(plain.btc_total), rtol=1e-12)  # the no-response run
    assert moved > fixed
    displaced = ds.displaced_hashrate_eh_s.values
    assert displaced[0] == pytest.approx(0, abs=1e-9)  # nothing moves before the first retarget
    assert (displaced[2:] > 0).all() and (displaced < ds.fleet_hashrate_eh_s.values).all()
    # The hashprice other miners see lies between the no-response and fleet-free ones.
    hp = ds.hashprice_usd_per_ph_day[3:]
    assert (hp > ds.hashprice_without_response_usd_per_ph_day[3:]).all()
    assert (hp < ds.hashprice_without_fleet_usd_per_ph_day[3:]).all()
    assert ds.response_deviation.attrs["units"] == "1"


def test_zero_elasticity_is_no_response(with_response):
    off = model.run(
        load_config(CONFIGS / "pk2000mw_response.yaml", ["network.response.elasticity=0"])
    )
    assert_allclose(off.fleet_btc, off.fleet_btc_without_response, rtol=1e-12)
    assert_allclose(off.displaced_hashrate_eh_s, 0, atol=1e-6)


def test_a_strong_response_crowds_most_of_the_fleet_out(with_response):
    # Elasticity 5: in equilibrium x = 5 ln(hp / hp0) with hp / hp0 = 1 / (e^x + h/H0), which
    # for h/H0 ~ 0.11 gives x ~ -0.095: hashprice within ~2 % of the fleet-free level and
    # other miners making room for ~80 % of the fleet's hashrate.
    ds = model.run(
        load_config(
            CONFIGS / "pk2000mw_response.yaml",
            ["network.response.elasticity=5", "network.response.lag_months=6"],
        )
    )
    late = slice(36, None)
    assert_allclose(
        ds.hashprice_usd_per_ph_day[late],
        ds.hashprice_without_fleet_usd_per_ph_day[late],
        rtol=0.03,
    )
    given_back = (ds.displaced_hashrate_eh_s / ds.fleet_hashrate_eh_s)[late]
    assert (given_back > 0.7).all() and (given_back < 0.95).all()


def test_elasticity_is_a_scenario_dimension(with_response):
    eps = xr.DataArray([0.0, 0.23, 1.0], dims="network.response.elasticity")
    swept = model.run(
        load_config(CONFIGS / "pk2000mw_response.yaml"), {"network.response.elasticity": eps}
    )
    totals = swept.btc_total.values
    assert totals[0] < totals[1] < totals[2]
    assert_allclose(totals[1], float(with_response.btc_total), rtol=1e-12)


def test_response_config_is_validated():
    with pytest.raises(ConfigError, match=r"network\.response\.lag_months"):
        load_config(CONFIGS / "pk2000mw_response.yaml", ["network.response.lag_months=0"])
    with pytest.raises(ConfigError, match=r"network\.response\.elasticity"):
        load_config(CONFIGS / "pk2000mw_response.yaml", ["network.response.elasticity=-1"])
