"""The plant: MW -> IT MW -> hashrate, ramps, degradation, vintages, availability,
tariffs and dispatch, energy and its cost. Each piece against a hand computation."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from minecalc import plant
from minecalc.hardware import get_machine
from minecalc.protocol import SECONDS_PER_YEAR

DAY = 86_400.0
# Three synthetic months of 30, 31 and 30 days.
EDGES = np.array([0.0, 30.0, 61.0, 91.0]) * DAY


def calendar_edges(start="2026-01-01", months=36):
    t = pd.DatetimeIndex([pd.Timestamp(start) + pd.DateOffset(months=k) for k in range(months + 1)])
    return (t - t[0]).total_seconds().to_numpy()


# --------------------------------------------------------------------------- ramp


def ramp_mean(month_edges_s, ramp_times_s, ramp_mw, kind):
    """MW in service in each month of a fleet that never retires: the ramp's monthly mean."""
    return plant.fleet_vintages(
        month_edges_s, ramp_times_s, ramp_mw, kind=kind, efficiency_j_per_th=17.5
    ).mw


def test_steps_ramp_averages_with_a_month_straddling_a_step():
    mw = ramp_mean(EDGES, [0.0, 45 * DAY], [100.0, 300.0], "steps")
    # Month 1 (days 30..61): 15 days at 100 MW, then 16 days at 300 MW.
    assert_allclose(mw, [100.0, (15 * 100 + 16 * 300) / 31, 300.0], rtol=1e-13)


def test_steps_ramp_is_zero_before_its_first_point():
    mw = ramp_mean(EDGES, [20 * DAY], [60.0], "steps")
    assert_allclose(mw, [60.0 * 10 / 30, 60.0, 60.0], rtol=1e-13)


def test_linear_ramp_averages_with_a_month_straddling_a_point():
    mw = ramp_mean(EDGES, [10 * DAY, 40 * DAY], [0.0, 300.0], "linear")
    # Month 0: 0 until day 10, then 0 -> 200 MW by day 30: a triangle of 20 d x 200 MW / 2.
    # Month 1: 200 -> 300 MW over days 30..40 (mean 250), then flat 300 MW for 21 days.
    assert_allclose(mw, [20 * 200 / 2 / 30, (10 * 250 + 21 * 300) / 31, 300.0], rtol=1e-13)


def test_linear_ramp_jumps_from_zero_at_a_first_point_above_zero():
    mw = ramp_mean(EDGES, [15 * DAY, 45 * DAY], [100.0, 400.0], "linear")
    # Month 0: nothing for 15 days, then 100 -> 250 MW (mean 175) for 15 days.
    # Month 1: 250 -> 400 MW over days 30..45 (mean 325), then 400 MW for 16 days.
    assert_allclose(mw, [15 * 175 / 30, (15 * 325 + 16 * 400) / 31, 400.0], rtol=1e-13)


def test_ramp_months_inside_one_piece_and_before_the_start():
    # A month before the ramp starts averages 0; one inside a linear piece its midpoint value.
    mw = ramp_mean(
        np.array([-20.0, -10.0, 5.0, 15.0]) * DAY, [0.0, 20 * DAY], [0.0, 200.0], "linear"
    )
    assert_allclose(mw[[0, 2]], [0.0, 100.0], rtol=1e-13)


def test_ramp_broadcasts_over_scenarios():
    times = [0.0, 45 * DAY]
    points = np.array([[100.0, 300.0], [50.0, 80.0]])
    for kind in plant.RAMP_KINDS:
        both = ramp_mean(EDGES, times, points, kind)
        assert both.shape == (2, 3)
        for row, p in zip(both, points, strict=True):
            assert_allclose(row, ramp_mean(EDGES, times, p, kind), rtol=1e-15)
    # Ramp times may vary by scenario too.
    t2 = np.array([[0.0, 45 * DAY], [0.0, 20 * DAY]])
    both = ramp_mean(EDGES, t2, [100.0, 300.0], "steps")
    assert_allclose(both[1, 0], (20 * 100 + 10 * 300) / 30, rtol=1e-13)
    assert_allclose(both[0], ramp_mean(EDGES, t2[0], [100.0, 300.0], "steps"))


@pytest.mark.parametrize(
    "args, message",
    [
        (([0.0, 10.0], [1.0, 2.0], "ramp"), "kind: expected 'steps' or 'linear', got 'ramp'"),
        (([10.0, 10.0], [1.0, 2.0], "steps"), "ramp_times_s: expected strictly increasing"),
        (([0.0, 10.0], [1.0], "steps"), "expected the same number"),
    ],
)
def test_ramp_errors_name_the_problem(args, message):
    with pytest.raises(ValueError, match=message):
        ramp_mean(EDGES, *args)


# --------------------------------------------------------------------------- fleet mix


def test_fleet_mix_of_two_machines():
    mix = plant.fleet_mix([0.5, 0.5], [15.0, 25.0])
    # Hand: 10 MW split evenly hashes 5e6/15 + 5e6/25 = 333,333.3 + 200,000 TH/s;
    # 10e6 W / 533,333.3 TH/s = 18.75 J/TH; the 15 J/TH model has 333.3/533.3 = 62.5 %.
    assert_allclose(mix.efficiency_j_per_th, 18.75, rtol=1e-14)
    assert_allclose(mix.hashrate_share, [0.625, 0.375], rtol=1e-14)


def test_fleet_mix_agrees_with_counting_catalogue_machines():
    s21, s19 = get_machine("S21"), get_machine("S19j Pro")
    shares = np.array([0.7, 0.3])
    it_w = 50e6
    units = shares * it_w / np.array([s21.power_w, s19.power_w])
    th_s = units * np.array([s21.hashrate_th_s, s19.hashrate_th_s])
    eff = [s21.power_w / s21.hashrate_th_s, s19.power_w / s19.hashrate_th_s]
    mix = plant.fleet_mix(shares, eff)
    assert_allclose(mix.efficiency_j_per_th, it_w / th_s.sum(), rtol=1e-13)
    assert_allclose(mix.hashrate_share, th_s / th_s.sum(), rtol=1e-13)
    # The hashrate-weighted arithmetic mean gives the same number; the power-weighted one not.
    assert_allclose(np.sum(mix.hashrate_share * eff), mix.efficiency_j_per_th, rtol=1e-13)
    assert np.sum(shares * eff) > mix.efficiency_j_per_th + 1


def test_fleet_mix_broadcasts_over_scenarios():
    shares = np.array([[0.5, 0.5], [1.0, 0.0], [0.2, 0.8]])
    mix = plant.fleet_mix(shares, [15.0, 25.0])
    assert_allclose(mix.efficiency_j_per_th, [18.75, 15.0, 1 / (0.2 / 15 + 0.8 / 25)], rtol=1e-14)
    assert mix.hashrate_share.shape == (3, 2)


@pytest.mark.parametrize(
    "shares, eff, message",
    [
        (
            [0.5, 0.4],
            [15.0, 25.0],
            r"fleet.machines\[0\].share \+ fleet.machines\[1\].share: expected a sum of 1, got 0.9",
        ),
        ([1.1, -0.1], [15.0, 25.0], r"fleet.machines\[1\].share: expected a share >= 0, got -0.1"),
        ([0.5, 0.5], [15.0, 0.0], r"fleet.machines\[1\].efficiency_j_per_th: expected a value > 0"),
    ],
)
def test_fleet_mix_errors_name_the_machine(shares, eff, message):
    with pytest.raises(ValueError, match=message):
        plant.fleet_mix(shares, eff)


# --------------------------------------------------------------------------- degradation


def test_degradation_over_two_years_at_five_percent():
    # One cohort from the start; months of 1 and 2 years, midpoints at 0.5 and 2 years of age.
    v = plant.fleet_vintages(
        np.array([0.0, 1.0, 3.0]) * SECONDS_PER_YEAR,
        [0.0],
        [100.0],
        kind="steps",
        efficiency_j_per_th=17.5,
        degradation_per_year=0.05,
    )
    assert_allclose(v.degradation_factor, [0.95**0.5, 0.9025], rtol=1e-14)


def test_degradation_broadcasts_per_scenario():
    d = np.array([0.0, 0.03, 0.05])
    v = plant.fleet_vintages(
        np.array([0.0, 1.0, 3.0]) * SECONDS_PER_YEAR,
        [0.0],
        [100.0],
        kind="steps",
        efficiency_j_per_th=17.5,
        degradation_per_year=d,
    )
    assert_allclose(
        v.degradation_factor, [[1, 1], [0.97**0.5, 0.97**2], [0.95**0.5, 0.9025]], rtol=1e-14
    )


def test_degradation_rejects_a_full_loss():
    with pytest.raises(ValueError, match=r"degradation_per_year: expected a fraction in \[0, 1\)"):
        plant.fleet_vintages(
            EDGES, [0.0], [100.0], kind="steps", efficiency_j_per_th=17.5, degradation_per_year=1.0
        )


# --------------------------------------------------------------------------- vintages

Q = 0.95  # 5 %/yr


def ages(edges, since_s):
    return ((edges[:-1] + edges[1:]) / 2 - since_s) / SECONDS_PER_YEAR


def test_a_single_cohort_loses_a_constant_share_a_year():
    e = calendar_edges(months=24)
    v = plant.fleet_vintages(
        e, [0.0], [100.0], kind="steps", efficiency_j_per_th=17.5, degradation_per_year=0.05
    )
    assert_allclose(v.mw, 100.0, rtol=1e-14)
    assert_allclose(v.efficiency_j_per_th, 17.5, rtol=1e-14)
    assert_allclose(v.degradation_factor, Q ** ages(e, 0.0), rtol=1e-12)
    assert_allclose(v.bought_mw, [100.0] + [0.0] * 23)
    assert not v.refresh_bought_mw.any() and not v.retired_mw.any()


def test_two_cohorts_retire_and_are_refreshed():
    e = calendar_edges(months=36)
    mid = (e[:-1] + e[1:]) / 2
    # 100 MW at 20 J/TH from the start, 100 MW more at the start of month 6; lifetime 1 year;
    # retired machines are replaced by a 15 J/TH model.
    v = plant.fleet_vintages(
        e,
        [0.0, e[6]],
        [100.0, 200.0],
        kind="steps",
        efficiency_j_per_th=20.0,
        degradation_per_year=0.05,
        lifetime_years=1.0,
        refresh_efficiency_j_per_th=15.0,
    )
    assert_allclose(v.mw, [100.0] * 6 + [200.0] * 30, rtol=1e-13)
    assert_allclose(v.bought_mw[[0, 6]], [100.0, 100.0])
    assert v.bought_mw.sum() == 200.0
    refresh = np.zeros(36)
    refresh[[12, 18, 24, 30]] = 100.0  # each cohort, then its refresh, every 12 months
    assert_allclose(v.refresh_bought_mw, refresh)
    assert_allclose(v.retired_mw, refresh)
    # Month 14: the refresh of cohort 0 (15 J/TH, installed at e[12]) and cohort 6 (20 J/TH,
    # installed at e[6]), 100 MW each.
    w_new, w_old = 100 / 15, 100 / 20
    assert_allclose(v.efficiency_j_per_th[14], 200 / (w_new + w_old), rtol=1e-13)
    age_new, age_old = (mid[14] - e[12]) / SECONDS_PER_YEAR, (mid[14] - e[6]) / SECONDS_PER_YEAR
    factor = (w_new * Q**age_new + w_old * Q**age_old) / (w_new + w_old)
    assert_allclose(v.degradation_factor[14], factor, rtol=1e-12)
    # Month 8: both initial cohorts.
    age0, age6 = mid[8] / SECONDS_PER_YEAR, (mid[8] - e[6]) / SECONDS_PER_YEAR
    assert_allclose(v.efficiency_j_per_th[8], 20.0, rtol=1e-13)
    assert_allclose(v.degradation_factor[8], (Q**age0 + Q**age6) / 2, rtol=1e-12)
    # From month 18 on, only refresh machines.
    assert_allclose(v.efficiency_j_per_th[18:], 15.0, rtol=1e-13)
    # Hashrate: the cohorts' own hashrates add up.
    h = plant.fleet_hashrate_h_s(v.mw, v.efficiency_j_per_th, v.degradation_factor)
    hand = (100e6 / 15 * Q**age_new + 100e6 / 20 * Q**age_old) * 1e12
    assert_allclose(h[14], hand, rtol=1e-12)


def test_without_refresh_retired_capacity_stays_empty():
    e = calendar_edges(months=24)
    v = plant.fleet_vintages(
        e,
        [0.0, e[6]],
        [100.0, 200.0],
        kind="steps",
        efficiency_j_per_th=20.0,
        degradation_per_year=0.05,
        lifetime_years=1.0,
    )
    assert_allclose(v.mw, [100.0] * 6 + [200.0] * 6 + [100.0] * 6 + [0.0] * 6, atol=1e-12)
    assert not v.refresh_bought_mw.any()
    assert_allclose(v.retired_mw[[12, 18]], [100.0, 100.0])
    # Months 12..17: only cohort 6 is left.
    assert_allclose(v.degradation_factor[12:18], Q ** ages(e, e[6])[12:18], rtol=1e-12)
    # Nothing in service: the initial efficiency and factor 1 keep products finite (and 0).
    assert_allclose(v.efficiency_j_per_th[18:], 20.0)
    assert_allclose(v.degradation_factor[18:], 1.0)
    h = plant.fleet_hashrate_h_s(v.mw, v.efficiency_j_per_th, v.degradation_factor)
    assert not h[18:].any()


def test_a_cohort_installed_mid_month():
    e = calendar_edges(months=6)
    t = e[3] + 10 * DAY  # April 11
    v = plant.fleet_vintages(
        e, [t], [100.0], kind="steps", efficiency_j_per_th=17.5, degradation_per_year=0.05
    )
    span = e[4] - e[3]
    assert_allclose(v.mw, [0.0, 0.0, 0.0, 100 * (e[4] - t) / span, 100.0, 100.0], rtol=1e-13)
    assert_allclose(v.bought_mw, [0, 0, 0, 100.0, 0, 0])
    mid = (e[:-1] + e[1:]) / 2
    # Age from the install time, at the month's midpoint (after the install here).
    assert_allclose(v.degradation_factor[3:], Q ** ((mid[3:] - t) / SECONDS_PER_YEAR), rtol=1e-12)
    # Installed after the month's midpoint: age 0 in its first month, next to an older cohort.
    t_late = e[3] + 25 * DAY
    late = plant.fleet_vintages(
        e,
        [0.0, t_late],
        [100.0, 200.0],
        kind="steps",
        efficiency_j_per_th=17.5,
        degradation_per_year=0.05,
    )
    partial = 100 * (e[4] - t_late) / span
    factor = (100 * Q ** (mid[3] / SECONDS_PER_YEAR) + partial * 1.0) / (100 + partial)
    assert_allclose(late.degradation_factor[3], factor, rtol=1e-12)


def test_a_refresh_and_a_new_cohort_in_the_same_month():
    e = calendar_edges(months=18)
    mid = (e[:-1] + e[1:]) / 2
    t = e[12] + 10 * DAY
    v = plant.fleet_vintages(
        e,
        [0.0, t],
        [100.0, 150.0],
        kind="steps",
        efficiency_j_per_th=20.0,
        degradation_per_year=0.05,
        lifetime_years=1.0,
        refresh_efficiency_j_per_th=15.0,
    )
    assert_allclose(v.refresh_bought_mw[12], 100.0)
    assert_allclose(v.bought_mw[12], 50.0)
    # Month 13: the refresh (15 J/TH, aged from the start of month 12) and the new cohort
    # (20 J/TH, aged from its install time).
    w_r, w_n = 100 / 15, 50 / 20
    a_r, a_n = (mid[13] - e[12]) / SECONDS_PER_YEAR, (mid[13] - t) / SECONDS_PER_YEAR
    assert_allclose(
        v.degradation_factor[13], (w_r * Q**a_r + w_n * Q**a_n) / (w_r + w_n), rtol=1e-12
    )
    assert_allclose(v.efficiency_j_per_th[13], 150 / (w_r + w_n), rtol=1e-13)


def test_a_linear_ramp_buys_evenly_at_each_months_midpoint():
    e = calendar_edges(months=24)
    total = e[12]
    v = plant.fleet_vintages(
        e,
        [0.0, total],
        [0.0, 120.0],
        kind="linear",
        efficiency_j_per_th=17.5,
        degradation_per_year=0.05,
        lifetime_years=2.0,
        refresh_efficiency_j_per_th=15.0,
    )
    span = np.diff(e)
    assert_allclose(v.bought_mw[:12], 120 * span[:12] / total, rtol=1e-12)
    assert_allclose(v.bought_mw[12:], 0.0, atol=1e-12)
    mid = (e[:-1] + e[1:]) / 2
    assert_allclose(v.mw, 120 * np.minimum(mid / total, 1.0), rtol=1e-12)  # linear: mean at mid
    # Month 1: cohort 0 (installed on average at month 0's midpoint, 10.19 MW) and cohort 1's
    # half month (installed at month 1's midpoint, age 0).
    p0, half1 = v.bought_mw[0], v.bought_mw[1] / 2
    factor = (p0 * Q ** ((mid[1] - mid[0]) / SECONDS_PER_YEAR) + half1) / (p0 + half1)
    assert_allclose(v.degradation_factor[1], factor, rtol=1e-12)


def test_vintages_broadcast_over_scenarios():
    e = calendar_edges(months=30)
    d = np.array([0.0, 0.03, 0.05])
    life = np.array([[1.0], [2.0]])
    refresh = np.array([[15.0], [np.nan]])
    v = plant.fleet_vintages(
        e,
        [0.0, e[4]],
        [50.0, 80.0],
        kind="steps",
        efficiency_j_per_th=20.0,
        degradation_per_year=d,
        lifetime_years=life,
        refresh_efficiency_j_per_th=refresh,
    )
    assert v.mw.shape == (2, 3, 30)
    for i in range(2):
        for j in range(3):
            one = plant.fleet_vintages(
                e,
                [0.0, e[4]],
                [50.0, 80.0],
                kind="steps",
                efficiency_j_per_th=20.0,
                degradation_per_year=d[j],
                lifetime_years=life[i, 0],
                refresh_efficiency_j_per_th=refresh[i, 0],
            )
            for name in plant.Vintages._fields:
                assert_allclose(
                    getattr(v, name)[i, j], getattr(one, name), rtol=1e-13, atol=1e-12, err_msg=name
                )


def test_vintages_refuse_a_falling_ramp_and_a_too_short_life():
    e = calendar_edges(months=6)
    with pytest.raises(ValueError, match="ramp_mw: expected non-negative, non-decreasing MW"):
        plant.fleet_vintages(e, [0.0, e[2]], [100.0, 50.0], kind="steps", efficiency_j_per_th=17.5)
    with pytest.raises(ValueError, match="lifetime_years: expected at least half a month"):
        plant.fleet_vintages(
            e, [0.0], [100.0], kind="steps", efficiency_j_per_th=17.5, lifetime_years=0.01
        )


@settings(max_examples=40, deadline=None)
@given(
    points=st.lists(
        st.tuples(st.floats(-30, 800), st.just(0.0) | st.floats(1e-3, 50)),
        min_size=1,
        max_size=5,
        unique_by=lambda p: round(p[0], 3),
    ),
    kind=st.sampled_from(plant.RAMP_KINDS),
    life=st.floats(0.1, 3.0),
)
def test_refreshed_fleet_keeps_the_ramp_and_buys_what_it_retires(points, kind, life):
    e = calendar_edges(months=30)
    points.sort()
    times = np.array([p[0] for p in points]) * DAY
    mw = np.cumsum([p[1] for p in points])
    v = plant.fleet_vintages(
        e,
        times,
        mw,
        kind=kind,
        efficiency_j_per_th=20.0,
        degradation_per_year=0.04,
        lifetime_years=life,
        refresh_efficiency_j_per_th=15.0,
    )
    assert_allclose(v.mw, ramp_mean(e, times, mw, kind), rtol=1e-9, atol=1e-9 * mw[-1])
    assert_allclose(v.refresh_bought_mw, v.retired_mw, rtol=1e-12)
    assert_allclose(v.bought_mw.sum(), mw[-1], rtol=1e-12)
    assert np.all((v.efficiency_j_per_th >= 15 - 1e-9) & (v.efficiency_j_per_th <= 20 + 1e-9))
    assert np.all((v.degradation_factor > 0.8) & (v.degradation_factor <= 1.0))


# --------------------------------------------------------------------------- power and hashrate


def test_pakistan_2000_mw_is_about_104_eh_s():
    it = plant.it_power_mw(2000.0, 1.0, 1.10)
    assert_allclose(it, 2000 / 1.1, rtol=1e-15)
    # domain.md section 2: 2,000 MW at PUE 1.10 and 17.5 J/TH -> 103.9 EH/s.
    h = plant.fleet_hashrate_h_s(it, 17.5)
    assert_allclose(h / 1e18, 103.896, rtol=1e-5)
    assert_allclose(plant.fleet_hashrate_h_s(it, 17.5, 0.9025), 0.9025 * h, rtol=1e-15)


def test_it_power_with_a_mining_share_and_arrays():
    it = plant.it_power_mw(np.array([[2000.0], [1000.0]]), 0.5, np.array([1.0, 1.25]))
    assert_allclose(it, [[1000.0, 800.0], [500.0, 400.0]], rtol=1e-15)


def test_hardware_capex():
    # 10 MW at 17.5 J/TH is 571,428.6 TH/s; at 13.50 USD/TH that is 7.714 M USD.
    assert_allclose(plant.hardware_capex_usd(10.0, 17.5, 13.5), 10e6 / 17.5 * 13.5, rtol=1e-15)
    assert_allclose(plant.hardware_capex_usd(10.0, 17.5, 13.5), 7_714_285.714, rtol=1e-9)


# --------------------------------------------------------------------------- availability


def test_availability_for_a_start_in_september():
    # Winter surplus: more power from November to February.
    by_month = [1.0, 0.95, 0.8, 0.7, 0.6, 0.5, 0.5, 0.55, 0.6, 0.7, 0.9, 1.0]
    months = (8 + np.arange(8)) % 12  # Sep, Oct, Nov, Dec, Jan, Feb, Mar, Apr
    assert list(months) == [8, 9, 10, 11, 0, 1, 2, 3]
    f = plant.available_fraction(months, by_month, 0.95)
    hand = 0.95 * np.array([0.6, 0.7, 0.9, 1.0, 1.0, 0.95, 0.8, 0.7])
    assert_allclose(f, hand, rtol=1e-15)


def test_availability_per_scenario():
    by_month = np.stack([np.full(12, 0.5), np.linspace(0.1, 1.2, 12).clip(0, 1)])
    months = np.array([0, 6, 11])
    f = plant.available_fraction(months, by_month, np.array([[1.0], [0.9]]))
    assert_allclose(f, [[0.5, 0.5, 0.5], [0.1 * 0.9, 0.7 * 0.9, 1.0 * 0.9]], rtol=1e-14)


def test_availability_errors():
    with pytest.raises(ValueError, match=r"availability_by_month: expected 12 values"):
        plant.available_fraction([0, 1], np.ones(11))
    with pytest.raises(ValueError, match=r"uptime: expected fractions in \[0, 1\], got 1.2"):
        plant.available_fraction([0, 1], np.ones(12), 1.2)
    with pytest.raises(ValueError, match=r"calendar_month_index: expected integers 0..11"):
        plant.available_fraction([12], np.ones(12))


# --------------------------------------------------------------------------- tariffs and dispatch

EFF, PUE = 17.5, 1.1


def test_hashcost_by_hand():
    # domain.md section 2: 17.5 J/TH x 80 USD/MWh x 24 / 1000 x 1.1 = 36.96 USD/PH/day.
    assert_allclose(plant.hashcost_usd_per_ph_day(17.5, 0.080, 1.1), 36.96, rtol=1e-14)
    # First principles: 1 PH/s = 1000 TH/s draws 17,500 W at the chips, 19,250 W at the meter,
    # 462 kWh a day, at 0.08 USD/kWh.
    assert_allclose(
        plant.hashcost_usd_per_ph_day(17.5, 0.080, 1.1), 17_500 * 1.1 * 24 / 1000 * 0.08, rtol=1e-14
    )
    assert_allclose(plant.hashcost_usd_per_ph_day(17.5, 0.080), 33.6, rtol=1e-14)


def test_breakeven_price_inverts_hashcost():
    p = plant.breakeven_price_usd_per_kwh(36.96, 17.5, 1.1)
    assert_allclose(p, 0.080, rtol=1e-14)


def test_tariff_layouts():
    months = np.array([8, 9, 0])
    flat = plant.tariff_by_hour(0.08, months, "flat")
    assert flat.shape == (3, 24) and np.all(flat == 0.08)
    day = np.where(np.arange(24) < 8, 0.05, 0.12)
    daily = plant.tariff_by_hour(day, months, "daily")
    assert daily.shape == (3, 24) and np.all(daily == day)
    table = np.arange(12)[:, None] + np.arange(24)[None, :] / 100
    monthly = plant.tariff_by_hour(table, months, "monthly")
    assert_allclose(monthly[:, 5], [8.05, 9.05, 0.05])
    per_scenario = plant.tariff_by_hour(np.array([0.05, 0.08]), months, "flat")
    assert per_scenario.shape == (2, 3, 24) and np.all(per_scenario[1] == 0.08)
    with pytest.raises(ValueError, match=r"tariff: expected 12 x 24 prices"):
        plant.tariff_by_hour(day, months, "monthly")
    with pytest.raises(ValueError, match=r"profile: expected 'flat', 'daily' or 'monthly'"):
        plant.tariff_by_hour(day, months, "hourly")


def test_flat_tariff_below_hashcost_runs_every_hour_above_it_none():
    hashprice = 40.0  # breakeven 40 / (24 x 17.5 x 1.1) = 0.08658 USD/kWh
    below = plant.dispatch_fraction(np.full(24, 0.080), hashprice, EFF, PUE, "economic")
    above = plant.dispatch_fraction(np.full(24, 0.090), hashprice, EFF, PUE, "economic")
    assert plant.hashcost_usd_per_ph_day(EFF, 0.080, PUE) < hashprice
    assert plant.hashcost_usd_per_ph_day(EFF, 0.090, PUE) > hashprice
    assert below.run_fraction == 1.0 and below.mean_price_usd_per_kwh == 0.08
    assert above.run_fraction == 0.0
    assert above.mean_price_usd_per_kwh == 0.09  # no hour runs: the cheapest hour's price
    always = plant.dispatch_fraction(np.full(24, 0.090), hashprice, EFF, PUE, "always")
    assert always.run_fraction == 1.0


def test_dispatch_at_and_just_off_the_breakeven():
    # 10 J/TH, PUE 1.25, 0.125 USD/kWh: hashcost 10 x 125 x 24 / 1000 x 1.25 = 37.5 exactly.
    assert plant.hashcost_usd_per_ph_day(10.0, 0.125, 1.25) == 37.5
    tie = plant.dispatch_fraction(np.full(24, 0.125), 37.5, 10.0, 1.25, "economic")
    assert tie.run_fraction == 1.0  # revenue covers cost: it runs
    near = np.where(np.arange(24) < 12, 0.1249, 0.1251)
    half = plant.dispatch_fraction(near, 37.5, 10.0, 1.25, "economic")
    assert half.run_fraction == 0.5
    assert_allclose(half.mean_price_usd_per_kwh, 0.1249, rtol=1e-15)


def test_two_price_tariff_runs_exactly_the_cheap_hours_when_only_they_pay():
    day = np.where(np.arange(24) < 8, 0.05, 0.12)  # 8 cheap night hours
    # Hashprice 40: breakeven 0.0866 USD/kWh, between the two prices.
    cheap = plant.dispatch_fraction(day, 40.0, EFF, PUE, "economic")
    assert cheap.run_fraction == 8 / 24
    assert_allclose(cheap.mean_price_usd_per_kwh, 0.05, rtol=1e-15)
    # Hashprice 60: breakeven 0.1299 USD/kWh, every hour pays.
    rich = plant.dispatch_fraction(day, 60.0, EFF, PUE, "economic")
    assert rich.run_fraction == 1.0
    assert_allclose(rich.mean_price_usd_per_kwh, (8 * 0.05 + 16 * 0.12) / 24, rtol=1e-14)
    # Worn machines (effective 17.5 / 0.5 = 35 J/TH): breakeven 0.0433 USD/kWh, no hour pays.
    worn = plant.dispatch_fraction(day, 40.0, EFF / 0.5, PUE, "economic")
    assert worn.run_fraction == 0.0


def test_dispatch_over_periods_and_scenarios():
    months = np.array([0, 6])
    table = np.full((12, 24), 0.12)
    table[0, :10] = 0.04  # January: 10 cheap hours; July: none
    hourly = plant.tariff_by_hour(table, months, "monthly")
    hashprice = np.array([[40.0], [80.0]])  # (2 scenarios, 1) against 2 periods
    d = plant.dispatch_fraction(hourly, hashprice, EFF, np.array([[1.1], [1.05]]), "economic")
    assert d.run_fraction.shape == (2, 2)
    assert_allclose(d.run_fraction, [[10 / 24, 0.0], [1.0, 1.0]])
    assert_allclose(d.mean_price_usd_per_kwh[0], [0.04, 0.12])
    for i in range(2):
        for j in range(2):
            one = plant.dispatch_fraction(
                hourly[j], hashprice[i, 0], EFF, [1.1, 1.05][i], "economic"
            )
            assert one.run_fraction == d.run_fraction[i, j]
            assert one.mean_price_usd_per_kwh == d.mean_price_usd_per_kwh[i, j]


@settings(max_examples=60, deadline=None)
@given(
    prices=st.lists(st.floats(0.0, 0.3), min_size=24, max_size=24),
    hashprice=st.floats(1.0, 120.0),
    eff=st.floats(9.0, 35.0),
)
def test_economic_dispatch_runs_the_hours_whose_hashcost_hashprice_covers(prices, hashprice, eff):
    prices = np.array(prices)
    d = plant.dispatch_fraction(prices, hashprice, eff, PUE, "economic")
    cost = plant.hashcost_usd_per_ph_day(eff, prices, PUE)
    clear = np.abs(cost - hashprice) > 1e-9 * hashprice  # leave exact ties to rounding
    runs = cost <= hashprice
    n_run = d.run_fraction * 24
    assert runs[clear].sum() <= n_run <= runs.sum() + (~clear).sum()
    if runs[clear].all() and clear.all():
        assert_allclose(d.mean_price_usd_per_kwh, prices.mean(), rtol=1e-12)


def test_dispatch_rejects_an_unknown_mode():
    with pytest.raises(ValueError, match=r"mode: expected 'always' or 'economic', got 'sometimes'"):
        plant.dispatch_fraction(np.full(24, 0.08), 40.0, EFF, PUE, "sometimes")


# --------------------------------------------------------------------------- energy and its cost


def test_energy_at_the_meter():
    # 100 MW IT x 1.1 x 720 h (30 days) x half the time = 39,600 MWh.
    assert_allclose(plant.energy_mwh(100.0, 1.1, 720.0, 0.5), 39_600.0, rtol=1e-15)
    it = np.array([[100.0, 200.0], [50.0, 50.0]])
    e = plant.energy_mwh(it, np.array([[1.1], [1.0]]), np.array([744.0, 720.0]))
    assert_allclose(e, [[100 * 1.1 * 744, 200 * 1.1 * 720], [50 * 744, 50 * 720]], rtol=1e-15)


def test_take_or_pay_bills_the_minimum_when_the_fleet_runs_less():
    used = np.array([500.0, 800.0, 700.0])
    bill = plant.take_or_pay_mwh(used, 1000.0, 0.7)
    assert_allclose(bill.billed_mwh, [700.0, 800.0, 700.0])
    assert_allclose(bill.unused_mwh, [200.0, 0.0, 0.0])
    none = plant.take_or_pay_mwh(used, 1000.0, 0.0)
    assert_allclose(none.billed_mwh, used)
    with pytest.raises(ValueError, match=r"take_or_pay_fraction: expected a fraction in \[0, 1\]"):
        plant.take_or_pay_mwh(used, 1000.0, 1.5)


def test_take_or_pay_with_dispatch_and_availability():
    # 100 MW IT, PUE 1.1, a 30-day month, supplier delivers 80 %, fleet up 95 %, and economic
    # dispatch runs 8 of 24 hours. Minimum: 60 % of what the supplier delivers.
    hours = 720.0
    avail = plant.available_fraction(np.array([0]), np.full(12, 0.8))
    up = plant.available_fraction(np.array([0]), np.full(12, 0.8), 0.95)
    offered = plant.energy_mwh(100.0, 1.1, hours, avail)
    used = plant.energy_mwh(100.0, 1.1, hours, up * 8 / 24)
    bill = plant.take_or_pay_mwh(used, offered, 0.6)
    assert_allclose(offered, 100 * 1.1 * 720 * 0.8)
    assert_allclose(used, 100 * 1.1 * 720 * 0.8 * 0.95 / 3)
    assert_allclose(bill.billed_mwh, 0.6 * 63_360)
    assert_allclose(bill.unused_mwh, 0.6 * 63_360 - 100 * 1.1 * 720 * 0.8 * 0.95 / 3)


def test_a_local_tariff_dispatched_in_usd():
    # Rs 22/kWh is 0.0786 USD/kWh at 280 PKR/USD, below the 0.0866 breakeven at 40 USD/PH/day;
    # at 250 PKR/USD (a stronger rupee) it is 0.088 USD/kWh, above it.
    fx = np.array([280.0, 250.0])
    hourly_usd = plant.tariff_by_hour(22.0, np.array([6, 7]), "flat") / fx[:, None]
    d = plant.dispatch_fraction(hourly_usd, 40.0, EFF, PUE, "economic")
    assert_allclose(d.run_fraction, [1.0, 0.0])
    assert_allclose(d.mean_price_usd_per_kwh * fx, [22.0, 22.0], rtol=1e-15)


def test_scalars_and_arrays_give_the_same_numbers():
    effs = np.array([13.5, 17.5, 21.5])
    prices = np.array([0.05, 0.08])
    grid = plant.hashcost_usd_per_ph_day(effs[:, None], prices, 1.1)
    for i, e in enumerate(effs):
        for j, p in enumerate(prices):
            assert grid[i, j] == plant.hashcost_usd_per_ph_day(e, p, 1.1)
    h = plant.fleet_hashrate_h_s(np.array([100.0, 200.0]), 17.5, np.array([1.0, 0.95]))
    assert h[1] == plant.fleet_hashrate_h_s(200.0, 17.5, 0.95)
    assert np.ndim(plant.hashcost_usd_per_ph_day(17.5, 0.08, 1.1)) == 0
    assert np.ndim(plant.fleet_mix([1.0], [17.5]).efficiency_j_per_th) == 0


def test_vintages_take_the_machine_parameters_by_keyword():
    with pytest.raises(TypeError):
        plant.fleet_vintages(EDGES, [0.0], [100.0], "steps", 17.5)
