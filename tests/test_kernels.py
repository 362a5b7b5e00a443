"""Kernels: one loop, run interpreted for a few scenarios and compiled for many, with the
same numbers; and the parallel map the Monte Carlo runs its blocks on."""

import threading

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from minecalc import chain, kernels, parallel
from minecalc.protocol import HALVING_INTERVAL, SECONDS_PER_YEAR, hashrate_from_difficulty

D0 = 127.45e12


def _random_chain(count, months, seed, part=slice(None)):
    """``count`` scenarios of their own growth, fleet and start height (a third of them a
    few hundred blocks before a halving), with records; only those of ``part``."""
    rng = np.random.default_rng(seed)
    edges = np.arange(months + 1) * SECONDS_PER_YEAR / 12
    rate = chain.growth_rate_per_s(rng.uniform(-0.3, 1.5, count), "per_year")
    other = chain.exponential_path(hashrate_from_difficulty(D0), rate, edges)
    fleet = np.repeat(rng.uniform(0, 300e18, (count, 1)), months, axis=1)
    height = np.where(
        rng.random(count) < 1 / 3,
        5 * HALVING_INTERVAL - rng.integers(1, 2000, count),
        965_664 + rng.integers(0, 2016, count),
    )
    return chain.project(
        edges,
        other[part],
        fleet[part],
        difficulty=(D0 * rng.uniform(0.9, 1.1, count))[part],
        height=height[part],
        include_fleet_in_network=(rng.random(count) < 0.8)[part],
    )


def _assert_same_chain(actual, desired):
    """Two projections agree: every array field to 1e-13 relative, the rest exactly."""
    for field, a, b in zip(actual._fields, desired, actual, strict=True):
        if isinstance(a, np.ndarray):
            assert a.shape == b.shape, field
            assert_allclose(b, a, rtol=1e-13, atol=0, equal_nan=True, err_msg=field)
        else:
            assert a == b, field


def test_the_chain_loop_interpreted_and_compiled_give_the_same_numbers(monkeypatch):
    monkeypatch.setattr(kernels, "COMPILE_FROM", 10**9)
    monkeypatch.setattr(kernels, "_numba_loaded", False)
    interpreted = _random_chain(300, 14, seed=11)
    monkeypatch.setattr(kernels, "COMPILE_FROM", 0)
    compiled = _random_chain(300, 14, seed=11)
    assert np.isfinite(compiled.halving_time_s).sum() >= 50  # halvings were crossed
    # the compiled loop's libm calls and FMAs and the interpreter's numpy differ in the last
    # digit now and then
    _assert_same_chain(compiled, interpreted)


def test_the_series_the_chain_loop_runs_on_simd_lanes_match_libm_where_it_uses_them():
    x = np.linspace(-kernels._SERIES_X, kernels._SERIES_X, 100_001)
    x = x[x != 0]
    exprel = np.array([kernels.exprel_series(v) for v in x])
    assert_allclose(exprel, np.expm1(x) / x, rtol=3e-16, atol=0)  # libm's own error is ~1 ulp
    assert kernels.exprel_series(0.0) == 1.0
    z = np.linspace(1 - kernels._SERIES_Z, 1 + kernels._SERIES_Z, 100_001)
    s = (z - 1) / (z + 1)
    log = 2 * s * np.array([kernels.atanh_series(v) for v in s * s])
    assert_allclose(log, np.log(z), rtol=6e-16, atol=1e-300)
    assert log[z == 1.0] == 0.0


def test_the_chain_loop_with_its_series_matches_it_with_libm_alone(monkeypatch):
    """Every month and event sent through libm (the series' ranges emptied) gives the same
    chain as the series on SIMD lanes with libm for the rest."""
    monkeypatch.setattr(kernels, "COMPILE_FROM", 10**9)
    monkeypatch.setattr(kernels, "_numba_loaded", False)
    series = _random_chain(300, 14, seed=5)
    monkeypatch.setattr(kernels, "_SERIES_X", -1.0)
    monkeypatch.setattr(kernels, "_SERIES_Z", -1.0)
    libm = _random_chain(300, 14, seed=5)
    assert np.isfinite(series.halving_time_s).sum() >= 50
    _assert_same_chain(series, libm)


def test_a_scenario_s_chain_does_not_depend_on_the_scenarios_beside_it(monkeypatch):
    """Compiled, a scenario's numbers are the same bit for bit whether it runs alone or
    among others, in whichever SIMD lane or remainder (so Monte Carlo's chunking does not
    move them)."""
    monkeypatch.setattr(kernels, "COMPILE_FROM", 0)
    together = _random_chain(203, 14, seed=9)
    for size in (1, 4, 7):
        parts = [_random_chain(203, 14, 9, slice(a, a + size)) for a in range(0, 203, size)]
        for k, field in enumerate(together._fields):
            if field not in chain.RECORD_FIELDS:
                np.testing.assert_array_equal(
                    np.concatenate([part[k] for part in parts]), together[k], err_msg=field
                )


def test_the_tax_loops_interpreted_and_compiled_give_the_same_numbers():
    rng = np.random.default_rng(3)
    earnings = rng.normal(0, 100, (400, 24))
    rows, rate = np.arange(400), rng.uniform(0, 0.5, 400)
    tax = kernels.profit_tax
    assert_allclose(
        tax.compiled(earnings, rows, rate), tax.python(earnings, rows, rate), rtol=1e-14
    )


def test_a_chain_month_that_runs_past_its_records_is_left_as_it_was():
    # a thousand times the hashrate the difficulty was set for: epochs of minutes until the
    # difficulty catches up, four times at most per epoch
    other = np.full((1, 2), 1000 * hashrate_from_difficulty(D0))
    state = chain._State([(1,)], D0, 965_664, None, True, record_width=2)
    before = state.values.copy(), state.counters.copy()
    hashrate = np.array([[other[0, 0]], [other[0, 1]], [0.0], [0.0]])
    sums = np.full((len(kernels.MONTH_SUMS), 1), -1.0)
    undone = kernels.chain_month.python(
        np.arange(1), SECONDS_PER_YEAR / 12, 0.0, hashrate, state.values, state.counters,
        sums, state.records, state.first,
    )  # fmt: skip
    assert undone.tolist() == [0]
    np.testing.assert_array_equal(state.values, before[0])
    np.testing.assert_array_equal(state.counters, before[1])
    assert (sums == -1.0).all()


def test_each_keeps_the_order_reports_progress_and_passes_errors_on():
    seen, threads = [], set()

    def square(x):
        threads.add(threading.get_ident())
        return x * x

    out = parallel.each(square, range(7), progress=lambda m, f: seen.append(f), message="sq")
    assert out == [x * x for x in range(7)]
    assert seen[-1] == 1.0 and len(seen) == 7

    def fail(x):
        if x == 3:
            raise ValueError("three")
        return x

    with pytest.raises(ValueError, match="three"):
        parallel.each(fail, range(6))


@given(
    other=st.floats(1e17, 1e22),
    fleet_share=st.floats(0.0, 0.5),
    # growth over the segment [1]: none, or from 1e-9 (rates far below the smallest
    # plausible, 1e-16 /s, still normal numbers) to 80 % either way
    x=st.just(0.0) | st.floats(1e-9, 0.6) | st.floats(-0.6, -1e-9),
    days=st.floats(0.01, 31.0),
)
def test_an_event_time_solves_cumulative_work_to_rounding(other, fleet_share, x, days):
    """``segment_duration`` (and the start it takes) inverts ``G(t) = o expm1(r t) / r + f t``
    over growth of up to 80 % in a segment, with and without a fleet."""
    t_true = days * 86_400.0
    rate, fleet = x / t_true, other * fleet_share
    work = other * np.expm1(x) / rate + fleet * t_true if x else (other + fleet) * t_true
    t, growth = kernels.segment_duration(other, rate, fleet, work)
    assert t == pytest.approx(t_true, rel=1e-11)
    assert growth == pytest.approx(np.exp(rate * t), rel=1e-12)
