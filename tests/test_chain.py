"""Chain projection: Bitcoin's timing rules, self-dilution, exactness and broadcasting."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from minecalc import chain
from minecalc.protocol import (
    HASHES_PER_DIFFICULTY as K,
)
from minecalc.protocol import (
    SECONDS_PER_YEAR,
    block_subsidy_sat,
    hashrate_from_difficulty,
    retarget_difficulty,
)

MONTH_S = SECONDS_PER_YEAR / 12
STEADY_INTERVAL_S = 1_209_600 / 2015  # 2015 intervals compared with 2016 x 600 s
D0 = 127.45e12
H0 = hashrate_from_difficulty(D0)  # the network the difficulty was set for
HEIGHT = 965_664  # first block of an epoch


def edges(months):
    return np.arange(months + 1) * MONTH_S


def run(months=24, growth_per_year=0.0, fleet_h_s=0.0, include=True, height=HEIGHT, **kw):
    e = edges(months)
    rate = chain.growth_rate_per_s(np.asarray(growth_per_year), "per_year")
    other = chain.exponential_path(H0, rate, e)
    fleet = np.broadcast_to(
        np.asarray(fleet_h_s, dtype=float)[..., None], (*np.shape(fleet_h_s), months)
    )
    return chain.project(
        e, other, fleet, difficulty=D0, height=height, include_fleet_in_network=include, **kw
    ), fleet


def test_growth_conversions_are_exact():
    year = chain.growth_rate_per_s(0.20, "per_year") * SECONDS_PER_YEAR
    month = chain.growth_rate_per_s(1.2 ** (1 / 12) - 1, "per_month") * SECONDS_PER_YEAR
    epoch = chain.growth_rate_per_s(0.0126, "per_epoch") * 1_209_600
    assert_allclose([year, month, epoch], [np.log(1.2), np.log(1.2), np.log(1.0126)], rtol=1e-14)


def test_constant_hashrate_settles_at_2015_interval_rule():
    proj, _ = run(months=12)
    intervals = proj.epoch_block_interval_s[~np.isnan(proj.epoch_block_interval_s)]
    # The first epoch ran at the difficulty's own 600 s; every later one at 600.298 s.
    assert_allclose(intervals[0], 600, rtol=1e-9)
    assert_allclose(intervals[1:], STEADY_INTERVAL_S, rtol=1e-9)
    assert_allclose(proj.epoch_difficulty[1:], D0 * STEADY_INTERVAL_S / 600, rtol=1e-9)
    # Blocks per month follow from the interval.
    assert_allclose(proj.blocks[2:], MONTH_S / STEADY_INTERVAL_S, rtol=1e-9)


def test_growth_makes_blocks_faster_and_the_halving_earlier():
    flat, _ = run(months=24)
    grow, _ = run(months=24, growth_per_year=0.4)
    assert np.all(grow.epoch_block_interval_s[1:-1] < 600)
    schedule_600_s = (1_050_000 - HEIGHT) * 600  # the naive calendar
    # Difficulty trails hashrate by about one epoch, so blocks come ~r x 14 d = 1.3 % fast
    # at 40 %/yr: about 7 days early over the 586 days to the halving.
    early_days = (schedule_600_s - grow.halving_time_s[0]) / 86400
    assert 5 < early_days < 10
    # With no growth the 2015-interval rule makes it slightly later than the naive one.
    assert flat.halving_time_s[0] > schedule_600_s
    # Hand computation: 84,336 blocks, the 2015 left in the first epoch at 600 s, the rest
    # at 600.298 s.
    expected = 2015 * 600 + (1_050_000 - HEIGHT - 2015) * STEADY_INTERVAL_S
    assert_allclose(flat.halving_time_s[0], expected, rtol=1e-9)


def test_tenfold_jump_is_absorbed_in_steps_of_at_most_four():
    e = np.array([0.0, 1.0, *(1.0 + MONTH_S * np.arange(1, 7))])  # a 1-second ramp, then flat
    other = np.array([H0, *([10 * H0] * 7)])
    proj = chain.project(e, other, np.zeros(7), difficulty=D0, height=HEIGHT)
    d = proj.epoch_difficulty[~np.isnan(proj.epoch_difficulty)]
    steps = d[1:] / d[:-1]
    assert steps.max() <= 4 * (1 + 1e-12)
    assert_allclose(steps[0], 4, rtol=1e-12)  # the first epoch hits the clamp
    assert_allclose(d[-1], 10 * D0 * STEADY_INTERVAL_S / 600, rtol=1e-6)


def test_step_ratio_matches_the_float_retarget_rule():
    proj, _ = run(months=6, growth_per_year=0.5)
    d = proj.epoch_difficulty[:-1]
    done = ~np.isnan(proj.epoch_block_interval_s)
    expected = retarget_difficulty(
        d[done[:-1]], 2015 * proj.epoch_block_interval_s[done][: d[done[:-1]].size]
    )
    assert_allclose(proj.epoch_difficulty[1:][done[:-1]], expected, rtol=1e-12)


@pytest.mark.parametrize("include", [True, False])
def test_self_dilution_share(include):
    h = 103.9e18
    proj, _ = run(months=6, fleet_h_s=h, include=include)
    blocks, _, _ = chain.fleet_yield(proj, 0.0)
    share = h / (H0 + h) if include else h / H0
    assert_allclose(blocks / proj.blocks, share, rtol=1e-12)
    # Once difficulty has adjusted, the network is back to 600.298 s blocks and the fleet
    # wins its share of them; the entrant's first epoch is a windfall at the old difficulty.
    per_day = blocks / MONTH_S * 86400
    assert_allclose(per_day[2:], share * 86400 / STEADY_INTERVAL_S, rtol=1e-9)
    if include:
        # Hand computation: the 2015 blocks left at D0 take T1 = 2015 D0 K / (H0 + h); the
        # retarget then sets D1 = D0 * 1,209,600 / T1, already steady for H0 + h.
        t1 = 2015 * D0 * K / (H0 + h)
        d1 = D0 * 1_209_600 / t1
        assert_allclose(blocks[0], h * t1 / (D0 * K) + h * (MONTH_S - t1) / (d1 * K), rtol=1e-9)
        assert per_day[0] > per_day[2] * 1.04


def test_issuance_is_block_exact_across_the_halving():
    proj, _ = run(months=24, growth_per_year=0.3)
    final = proj.height_end[-1]
    whole = int(np.floor(final))
    heights = np.arange(HEIGHT + 1, whole + 1)
    exact_sat = block_subsidy_sat(heights).sum() + (final - whole) * block_subsidy_sat(whole + 1)
    assert_allclose(proj.subsidy_btc.sum(), exact_sat / 1e8, rtol=1e-11)


def _brute_force(months, growth_per_year, fleet_h_s, step_s=MONTH_S / 4400):
    """Independent reference: small fixed time steps with the retarget and halving rules."""
    rate = np.log1p(growth_per_year) / SECONDS_PER_YEAR
    d, tip, clock, t = D0, float(HEIGHT), 0.0, 0.0
    fleet_btc = np.zeros(months)
    for _ in range(months * 4400):
        mid = t + step_s / 2
        blocks = (H0 * np.exp(rate * mid) + fleet_h_s) * step_s / (d * K)
        subsidy = block_subsidy_sat(int(np.floor(tip)) + 1) / 1e8
        fleet_btc[min(int(mid // MONTH_S), months - 1)] += fleet_h_s * step_s / (d * K) * subsidy
        next_ret = (np.floor((tip + 1) / 2016) + 1) * 2016 - 1
        if tip + blocks >= next_ret:  # retarget inside this step: split it linearly
            frac = (next_ret - tip) / blocks
            d = float(retarget_difficulty(d, clock + frac * step_s))
            first_block_s = d * K / (H0 * np.exp(rate * mid) + fleet_h_s)
            clock = (1 - frac) * step_s - first_block_s
        else:
            clock += step_s
        tip += blocks
        t += step_s
    return fleet_btc


def test_matches_a_fine_time_step_reference_to_0_01_percent():
    h = 103.9e18
    proj, _ = run(months=6, growth_per_year=0.5, fleet_h_s=h)
    _, _, btc = chain.fleet_yield(proj, 0.0)
    assert_allclose(btc, _brute_force(6, 0.5, h), rtol=1e-4)


def test_scalar_and_array_inputs_agree():
    growth = np.array([0.0, 0.3, -0.2])
    fleet = np.array([[0.0], [50e18]])
    many, _ = run(months=12, growth_per_year=growth, fleet_h_s=fleet)
    assert many.blocks.shape == (2, 3, 12)
    for i in range(2):
        for j in range(3):
            one, _ = run(months=12, growth_per_year=growth[j], fleet_h_s=fleet[i, 0])
            assert_allclose(many.blocks[i, j], one.blocks, rtol=1e-13)
            assert_allclose(
                many.epoch_difficulty[i, j][: one.epoch_difficulty.size],
                one.epoch_difficulty,
                rtol=1e-13,
            )


def test_records_hold_start_heights_many_epochs_apart():
    # The epoch records start 3 epochs per month wide; scenarios 40 epochs apart need more.
    heights = np.array([HEIGHT, HEIGHT + 40 * 2016])
    both, _ = run(months=2, height=heights)
    assert both.epoch_difficulty.shape[-1] > 40
    for i, height in enumerate(heights):
        one, _ = run(months=2, height=height)
        offset = (height - HEIGHT) // 2016
        assert_allclose(
            both.epoch_difficulty[i, offset : offset + one.epoch_difficulty.size],
            one.epoch_difficulty,
            rtol=1e-13,
        )
        assert_allclose(both.blocks[i], one.blocks, rtol=1e-13)


def test_records_widen_when_a_month_holds_more_epochs_than_they_have_room_for():
    # a thousand times the hashrate at once: epochs of minutes until the difficulty has
    # caught up (x4 per epoch), more than the 3 a month the records start with
    months = 2
    e = np.array([0.0, 1.0, *(1.0 + MONTH_S * np.arange(1, 5))])
    other = np.array([H0, *([1000 * H0] * 5)])
    short = chain.project(
        e[: months + 1], other[: months + 1], np.zeros(months), difficulty=D0, height=HEIGHT
    )
    long = chain.project(e, other, np.zeros(5), difficulty=D0, height=HEIGHT)
    assert short.epoch_difficulty.shape[-1] > 3 * months  # widened
    found = ~np.isnan(short.epoch_block_interval_s)
    for field in ("epoch_start_s", "epoch_difficulty", "epoch_block_interval_s"):
        a, b = getattr(short, field), getattr(long, field)
        np.testing.assert_array_equal(a[found], b[: a.size][found], err_msg=field)
    np.testing.assert_array_equal(short.blocks, long.blocks[:months])
    d = short.epoch_difficulty[~np.isnan(short.epoch_difficulty)]
    assert_allclose(d[1:5] / d[:4], 4, rtol=1e-12)  # the clamp, epoch after epoch


def test_log_linear_path_is_exponential_between_knots():
    knots = np.array([0.0, 10.0, 20.0])
    h = np.array([[1.0, 4.0, 4.0], [2.0, 2.0, 8.0]])
    out = chain.log_linear_path(knots, h, np.array([0.0, 5.0, 10.0, 15.0, 30.0]))
    assert_allclose(out, [[1, 2, 4, 4, 4], [2, 2, 2, 4, 8]], rtol=1e-14)


settings_fast = settings(max_examples=25, deadline=None)


@settings_fast
@given(growth=st.floats(-0.5, 1.5), small=st.floats(0, 150e18), extra=st.floats(1e15, 100e18))
def test_btc_rises_with_fleet_hashrate(growth, small, extra):
    proj, _ = run(months=12, growth_per_year=growth, fleet_h_s=np.array([small, small + extra]))
    _, _, btc = chain.fleet_yield(proj, 0.03)
    assert btc[1].sum() > btc[0].sum()


@settings_fast
@given(growth=st.floats(-0.5, 1.5), more=st.floats(0.01, 1.0), h=st.floats(1e15, 200e18))
def test_btc_falls_with_faster_network_growth(growth, more, h):
    proj, _ = run(months=12, growth_per_year=np.array([growth, growth + more]), fleet_h_s=h)
    _, _, btc = chain.fleet_yield(proj, 0.03)
    assert btc[1].sum() < btc[0].sum()


@settings_fast
@given(growth=st.floats(-0.5, 1.5), h=st.floats(0, 5000e18), height=st.integers(0, 6_000_000))
def test_fleet_never_wins_more_than_was_issued(growth, h, height):
    proj, _ = run(months=12, growth_per_year=growth, fleet_h_s=h, height=height)
    blocks, subsidy, _ = chain.fleet_yield(proj, 0.0)
    assert np.all(subsidy <= proj.subsidy_btc * (1 + 1e-12))
    assert np.all(blocks <= proj.blocks * (1 + 1e-12))


def test_run_fraction_scales_the_fleet_and_sees_the_current_difficulty():
    h = 100e18
    half, _ = run(months=12, fleet_h_s=h, growth_per_year=0.5, run_fraction=lambda j, d, s: 0.5)
    smaller, _ = run(months=12, fleet_h_s=h / 2, growth_per_year=0.5)
    assert_allclose(half.blocks, smaller.blocks, rtol=1e-13)
    assert_allclose(half.fleet_hashrate_h_s, h / 2)
    # A fleet that switches off once difficulty passes a threshold (as dispatch would).
    limit = D0 * 1.2
    seen = []

    def below_limit(j, difficulty, subsidy):
        seen.append(float(difficulty))
        assert subsidy == 3.125
        return (difficulty < limit).astype(float)

    proj, _ = run(months=12, fleet_h_s=h, growth_per_year=0.5, run_fraction=below_limit)
    assert_allclose(seen, np.concatenate([[D0], proj.difficulty_end[:-1]]))
    assert_allclose(proj.fleet_hashrate_h_s, np.where(np.array(seen) < limit, h, 0.0))
    assert 0 < np.count_nonzero(proj.fleet_hashrate_h_s) < 12
