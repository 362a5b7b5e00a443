"""Tests for minecalc.protocol: Bitcoin consensus rules and the yield formulas.

References are independent of the code under test: literal tables from
docs/domain.md, Bitcoin Core's own unit-test vectors (src/test/arith_uint256_tests.cpp,
test "bignum_SetCompact"), exact rational arithmetic with ``fractions.Fraction`` and
the shipped retarget vectors (minecalc/data/retarget_cases.csv).
"""

from __future__ import annotations

import csv
import math
from fractions import Fraction
from importlib import resources

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minecalc import protocol
from minecalc.protocol import (
    HASHES_PER_DIFFICULTY,
    MAX_SUPPLY_SAT,
    POW_LIMIT,
    POW_LIMIT_NBITS,
    block_subsidy_sat,
    expected_btc,
    hashrate_from_difficulty,
    nbits_to_difficulty,
    nbits_to_target,
    next_nbits,
    retarget_difficulty,
    target_to_nbits,
)

DIFF1_TARGET = 0xFFFF * 2**208  # target at difficulty 1 (compact 0x1d00ffff)


# ---------------------------------------------------------------------------
# Subsidy (domain.md §1)
# ---------------------------------------------------------------------------

SUBSIDY_TABLE = [
    (0, 5_000_000_000),
    (209_999, 5_000_000_000),
    (210_000, 2_500_000_000),
    (840_000, 312_500_000),
    (1_049_999, 312_500_000),
    (1_050_000, 156_250_000),
    (2_100_000, 4_882_812),  # first truncation: 5e9 / 1024 = 4,882,812.5
    (6_720_000, 1),
    (6_929_999, 1),
    (6_930_000, 0),
    (63 * 210_000, 0),
    (64 * 210_000, 0),  # halvings == 64: Core returns 0 instead of an undefined shift
    (64 * 210_000 + 1, 0),
    (10**9, 0),
]


@pytest.mark.parametrize(("height", "sat"), SUBSIDY_TABLE, ids=[str(h) for h, _ in SUBSIDY_TABLE])
def test_subsidy_table(height, sat):
    got = block_subsidy_sat(height)
    assert type(got) is int
    assert got == sat


def test_subsidy_array_1d_and_2d():
    heights = np.array([h for h, _ in SUBSIDY_TABLE], dtype=np.int64)
    expected = np.array([s for _, s in SUBSIDY_TABLE], dtype=np.int64)
    got = block_subsidy_sat(heights)
    assert isinstance(got, np.ndarray)
    assert got.dtype == np.int64
    assert got.shape == heights.shape
    np.testing.assert_array_equal(got, expected)

    grid = heights[:12].reshape(3, 4)
    got2 = block_subsidy_sat(grid)
    assert got2.dtype == np.int64
    assert got2.shape == (3, 4)
    np.testing.assert_array_equal(got2, expected[:12].reshape(3, 4))

    # A plain list is array_like too.
    got_list = block_subsidy_sat([0, 210_000])
    assert isinstance(got_list, np.ndarray)
    np.testing.assert_array_equal(got_list, [5_000_000_000, 2_500_000_000])


def test_subsidy_matches_python_shift_rule():
    """Every era, against the rule written with Python's unbounded ints."""
    eras = np.arange(80)
    for height_in_era in (0, 1, 209_999):
        heights = eras * 210_000 + height_in_era
        ref = [(50 * 100_000_000) >> k if k < 64 else 0 for k in range(80)]
        np.testing.assert_array_equal(block_subsidy_sat(heights), ref)


@pytest.mark.parametrize(
    "bad", [-1, -210_000, np.array([0, 5, -3])], ids=["-1", "-210000", "array"]
)
def test_subsidy_negative_height_raises(bad):
    with pytest.raises(ValueError, match="height"):
        block_subsidy_sat(bad)


def test_total_supply():
    era_starts = np.arange(70, dtype=np.int64) * 210_000  # 70 > 64 eras: the tail must add 0
    per_era = 210_000 * block_subsidy_sat(era_starts)
    total = int(per_era.sum())
    assert total == 2_099_999_997_690_000
    assert total == MAX_SUPPLY_SAT
    assert protocol.MAX_SUPPLY_SAT == 2_099_999_997_690_000


# ---------------------------------------------------------------------------
# Exact retarget against recorded mainnet epochs
# ---------------------------------------------------------------------------


def _retarget_rows():
    path = resources.files("minecalc").joinpath("data/retarget_cases.csv")
    with path.open() as f:
        rows = [
            {
                "height": int(r["epoch_start_height"]),
                "first": int(r["first_block_time_unix"]),
                "last": int(r["last_block_time_unix"]),
                "nbits": int(r["nbits"], 16),
                "next_nbits": int(r["next_nbits"], 16),
            }
            for r in csv.DictReader(f)
        ]
    return rows


RETARGET_ROWS = _retarget_rows()
RETARGET_IDS = [f"h{r['height']}" for r in RETARGET_ROWS]


def test_retarget_cases_file_shape():
    # data/README.md: 13 rows; three of them at powLimit.
    assert len(RETARGET_ROWS) == 13
    assert sum(r["next_nbits"] == POW_LIMIT_NBITS for r in RETARGET_ROWS) == 3


@pytest.mark.parametrize("row", RETARGET_ROWS, ids=RETARGET_IDS)
def test_next_nbits_reproduces_mainnet(row):
    got = next_nbits(row["nbits"], row["first"], row["last"])
    assert got == row["next_nbits"], f"{got:#010x} != {row['next_nbits']:#010x}"


# Hand-computed clamp and cap vectors (no row of the CSV reaches a clamp).
# 0x1701e2a0: target = 0x01e2a0 * 256**20.
#   /4 = 0x78a8 * 256**20 = 0x78a800 * 256**19 -> 0x1678a800
#   *4 = 0x078a80 * 256**20                     -> 0x17078a80
CLAMP_CASES = [
    (0x1701E2A0, 0, 1, 0x1678A800),  # 1 s clamps to 302,400 s: target / 4
    (0x1701E2A0, 0, 302_400, 0x1678A800),
    (0x1701E2A0, 0, -5_000, 0x1678A800),  # negative spans (out-of-order times) clamp too
    (0x1701E2A0, 0, 10**9, 0x17078A80),  # clamps to 4,838,400 s: target * 4
    (0x1701E2A0, 0, 4_838_400, 0x17078A80),
    (0x1701E2A0, 100, 100 + 1_209_600, 0x1701E2A0),  # on schedule: unchanged
    (POW_LIMIT_NBITS, 0, 10**9, POW_LIMIT_NBITS),  # capped at powLimit
    (0x1C7FFFFF, 0, 10**9, POW_LIMIT_NBITS),  # 0x7fffff*2**200*4 > powLimit
    (0x1C3FFFFF, 0, 2_419_200, 0x1C7FFFFE),  # 0x3fffff*2 = 0x7ffffe: still exponent 0x1c
    (
        0x1C3FFFFF,
        0,
        4_838_400,
        0x1D00FFFF,
    ),  # 0x3fffff*4 = 0xfffffc: sign bit -> 0x00ffff, truncated
]


@pytest.mark.parametrize(("nbits", "first", "last", "expected"), CLAMP_CASES)
def test_next_nbits_clamps_and_cap(nbits, first, last, expected):
    got = next_nbits(nbits, first, last)
    assert got == expected, f"{got:#010x} != {expected:#010x}"


# ---------------------------------------------------------------------------
# Compact encoding
# ---------------------------------------------------------------------------


def test_pow_limit_pair():
    assert nbits_to_target(0x1D00FFFF) == 0xFFFF * 2**208
    assert target_to_nbits(0xFFFF * 2**208) == 0x1D00FFFF
    assert target_to_nbits(POW_LIMIT) == 0x1D00FFFF  # 2**224-1 truncates to the same encoding
    assert POW_LIMIT == 2**224 - 1


# Bitcoin Core src/test/arith_uint256_tests.cpp, bignum_SetCompact:
# (nbits, decoded target, GetCompact of the decoded target)
CORE_COMPACT_VECTORS = [
    (0x00000000, 0, 0x00000000),
    (0x00123456, 0, 0x00000000),
    (0x01003456, 0, 0x00000000),
    (0x02000056, 0, 0x00000000),
    (0x03000000, 0, 0x00000000),
    (0x04000000, 0, 0x00000000),
    (0x03800000, 0, 0x00000000),  # sign bit set on a zero word is not negative
    (0x04800000, 0, 0x00000000),
    (0x01123456, 0x12, 0x01120000),
    (0x02123456, 0x1234, 0x02123400),
    (0x03123456, 0x123456, 0x03123456),
    (0x04123456, 0x12345600, 0x04123456),
    (0x05009234, 0x92340000, 0x05009234),
    (0x20123456, None, None),  # decodes (0x123456 * 256**29) but is far above powLimit
]


@pytest.mark.parametrize(
    ("nbits", "target", "recompact"),
    CORE_COMPACT_VECTORS,
    ids=[f"{n:#010x}" for n, _, _ in CORE_COMPACT_VECTORS],
)
def test_core_compact_vectors(nbits, target, recompact):
    if target is None:
        with pytest.raises(ValueError, match="nbits"):
            nbits_to_target(nbits)
        return
    assert nbits_to_target(nbits) == target
    assert target_to_nbits(target) == recompact


def test_core_getcompact_never_sets_sign_bit():
    # Core: "Make sure that we don't generate compacts with the 0x00800000 bit set"
    assert target_to_nbits(0x80) == 0x02008000
    assert target_to_nbits(0x800000) == 0x04008000
    assert target_to_nbits(0x92340000) == 0x05009234


@pytest.mark.parametrize(
    "nbits",
    [0x04923456, 0x01FEDCBA, 0x1D80FFFF],  # Core: fNegative true
    ids=lambda n: f"{n:#010x}",
)
def test_negative_compact_raises(nbits):
    with pytest.raises(ValueError, match="nbits"):
        nbits_to_target(nbits)


@pytest.mark.parametrize(
    "nbits",
    [0xFF123456, 0x1D010000, 0x1E010000, 0x21010000],  # overflow / above powLimit
    ids=lambda n: f"{n:#010x}",
)
def test_above_pow_limit_raises(nbits):
    with pytest.raises(ValueError, match="nbits"):
        nbits_to_target(nbits)


# Core's SetCompact tests the sign on the word after the right shift (size <= 3), so these
# decode to 0, not negative (arith_uint256_tests.cpp, bignum_SetCompact).
@pytest.mark.parametrize("nbits", [0x00923456, 0x01803456, 0x02800056], ids=lambda n: f"{n:#010x}")
def test_core_sign_bit_shifted_out_is_not_negative(nbits):
    assert nbits_to_target(nbits) == 0


def test_target_to_nbits_negative_raises():
    with pytest.raises(ValueError, match="target"):
        target_to_nbits(-1)


def _log_uniform_target():
    """Targets spread over every byte length (plain integers() clusters at the ends)."""
    return st.integers(1, 224).flatmap(
        lambda b: st.integers(2 ** (b - 1), min(2**b - 1, POW_LIMIT))
    )


TARGETS = st.one_of(st.integers(1, POW_LIMIT), _log_uniform_target())


@given(TARGETS)
def test_compact_roundtrip_truncates(t):
    n = target_to_nbits(t)
    assert n & 0x00800000 == 0
    assert 0 < n <= 0xFFFFFFFF
    back = nbits_to_target(n)
    assert back <= t
    assert Fraction(t - back, t) < Fraction(1, 2**15)
    if t < 2**23:
        assert back == t  # fits the 3-byte mantissa below its sign bit: no loss
    # The decoded value is canonical: re-encoding is the identity.
    assert target_to_nbits(back) == n
    # Truncation is to the largest representable value <= t: one more mantissa step exceeds t.
    size = n >> 24
    step = 256 ** (size - 3) if size >= 3 else 1
    assert back + step > t


@given(st.integers(3, 0x1D), st.integers(0x8000, 0x7FFFFF))
def test_canonical_nbits_reencode_identity(exponent, mantissa):
    n = exponent << 24 | mantissa
    target = mantissa * 256 ** (exponent - 3)  # independent decode
    if target > POW_LIMIT:
        with pytest.raises(ValueError):
            nbits_to_target(n)
        return
    assert nbits_to_target(n) == target
    assert target_to_nbits(target) == n


# ---------------------------------------------------------------------------
# Difficulty conversions
# ---------------------------------------------------------------------------


def test_difficulty_one():
    d = nbits_to_difficulty(0x1D00FFFF)
    assert type(d) is float
    assert d == 1.0


def test_difficulty_known_values():
    # data/README.md: 0x1d00d86a is the unique compact value of difficulty 1.182899534312841.
    assert nbits_to_difficulty(0x1D00D86A) == pytest.approx(1.182899534312841, rel=1e-15)
    # Exact rational reference for a recent mainnet value.
    ref = Fraction(DIFF1_TARGET, 0x01E2A0 * 256**20)
    assert nbits_to_difficulty(0x1701E2A0) == pytest.approx(float(ref), rel=1e-15)
    assert nbits_to_difficulty(0x1701E2A0) == pytest.approx(149.30e12, rel=5e-4)  # domain.md §3


def test_difficulty_vectorized():
    ns = [r["nbits"] for r in RETARGET_ROWS]
    arr = nbits_to_difficulty(np.array(ns))
    assert isinstance(arr, np.ndarray)
    assert arr.shape == (len(ns),)
    assert arr.dtype == np.float64
    np.testing.assert_array_equal(arr, [nbits_to_difficulty(n) for n in ns])
    grid = nbits_to_difficulty(np.array(ns[:12]).reshape(4, 3))
    assert grid.shape == (4, 3)
    np.testing.assert_array_equal(grid.ravel(), arr[:12])


@given(TARGETS)
def test_difficulty_matches_exact_ratio(t):
    n = target_to_nbits(t)
    exact = Fraction(DIFF1_TARGET, nbits_to_target(n))
    got = nbits_to_difficulty(n)
    assert got >= 1.0
    assert abs(Fraction(got) - exact) <= exact * Fraction(1, 10**15)


# ---------------------------------------------------------------------------
# Float retarget
# ---------------------------------------------------------------------------

# Difficulties where the float form happens to be exact (realistic mainnet values).
EXACT_DIFFS = [149.30e12, 116.96e12, 125.86e12, 155.97e12, 47427554950.648]


@pytest.mark.parametrize("d", EXACT_DIFFS)
def test_retarget_float_special_timespans(d):
    assert retarget_difficulty(d, 1_209_600) == d
    assert retarget_difficulty(d, 604_800) == 2 * d
    assert retarget_difficulty(d, 302_400) == 4 * d
    assert retarget_difficulty(d, 1) == 4 * d  # clamp at x4
    assert retarget_difficulty(d, 0) == 4 * d
    assert retarget_difficulty(d, -(10**6)) == 4 * d
    assert retarget_difficulty(d, 10**9) == d / 4  # clamp at /4
    assert retarget_difficulty(d, 4_838_400) == d / 4
    assert retarget_difficulty(d, 2_419_200) == d / 2


@given(st.floats(1.0, 1e16), st.floats(-1e10, 1e10))
def test_retarget_float_bounds_and_ulp_accuracy(d, ts):
    got = float(retarget_difficulty(d, ts))
    clamped = min(max(ts, 302_400), 4_838_400)
    exact = max(Fraction(d) * 1_209_600 / Fraction(clamped), Fraction(1))
    # Two correctly rounded operations: at most ~2 ulp.
    assert abs(Fraction(got) - exact) <= exact * Fraction(1, 2**51)
    assert got >= 1.0
    assert got <= 4 * d
    assert got >= max(d / 4, 1.0)


# Regression values: (D*1209600)/clamped (two roundings) was 1 ulp off for these, and for
# ~7 % of all difficulties; D*(1209600/clamped) is exact because the ratio is exact.
@pytest.mark.parametrize("d", [521332316361777.8, 503008571669088.4, 7870275794551834.0])
def test_retarget_float_exact_regressions(d):
    assert retarget_difficulty(d, 1_209_600) == d
    assert retarget_difficulty(d, 1) == 4 * d
    assert retarget_difficulty(d, 10**9) == d / 4


@given(st.floats(4.0, 1e300))
def test_retarget_float_exact_at_power_of_two_ratios(d):
    assert retarget_difficulty(d, 1_209_600) == d
    assert retarget_difficulty(d, 604_800) == 2 * d
    assert retarget_difficulty(d, 1) == 4 * d
    assert retarget_difficulty(d, 2_419_200) == d / 2
    assert retarget_difficulty(d, 10**9) == d / 4


def test_retarget_float_floor_at_one():
    assert retarget_difficulty(1.0, 10**9) == 1.0
    assert retarget_difficulty(1.0, 2_000_000) == 1.0
    assert retarget_difficulty(2.0, 10**9) == 1.0  # 0.5 floored
    assert retarget_difficulty(3.0, 10**9) == 1.0  # 0.75 floored
    assert retarget_difficulty(8.0, 10**9) == 2.0


def test_retarget_float_broadcasting():
    d = np.array([1.0, 100.0, 149.30e12])[:, None]  # (3, 1)
    ts = np.array([1, 604_800, 1_209_600, 2_419_200, 10**9])  # (5,)
    got = retarget_difficulty(d, ts)
    assert got.shape == (3, 5)
    expected = np.array(
        [
            [4.0, 2.0, 1.0, 1.0, 1.0],
            [400.0, 200.0, 100.0, 50.0, 25.0],
            [4 * 149.30e12, 2 * 149.30e12, 149.30e12, 149.30e12 / 2, 149.30e12 / 4],
        ]
    )
    np.testing.assert_allclose(got, expected, rtol=1e-15, atol=0)
    # array of difficulties x array of timespans, same shape
    np.testing.assert_allclose(
        retarget_difficulty(np.array([10.0, 10.0]), np.array([302_400, 4_838_400])),
        [40.0, 2.5],
        rtol=1e-15,
    )


@pytest.mark.parametrize("row", RETARGET_ROWS, ids=RETARGET_IDS)
def test_float_retarget_agrees_with_exact_rule(row):
    d_old = nbits_to_difficulty(row["nbits"])
    d_float = float(retarget_difficulty(d_old, row["last"] - row["first"]))
    d_exact = nbits_to_difficulty(row["next_nbits"])
    if row["next_nbits"] == POW_LIMIT_NBITS:
        assert d_exact == 1.0
        assert d_float == 1.0
        return
    # The exact rule truncates the target to a >= 0x8000 mantissa: < 2**-15 relative.
    assert d_exact >= d_float * (1 - 1e-15)  # truncating the target only raises difficulty
    assert math.isclose(d_float, d_exact, rel_tol=2**-15, abs_tol=0)


# ---------------------------------------------------------------------------
# Yield (domain.md §2)
# ---------------------------------------------------------------------------


def test_hashes_per_difficulty():
    ref = Fraction(2**32) * (1 + Fraction(1, 65535))
    assert ref == Fraction(2**48, 0xFFFF)
    assert abs(Fraction(HASHES_PER_DIFFICULTY) - ref) <= ref * Fraction(1, 10**15)
    # The convention differs from D*2**32 by 1/65535 = 0.0015 %.
    assert HASHES_PER_DIFFICULTY / 2**32 - 1 == pytest.approx(1 / 65535, rel=1e-9)


def test_expected_btc_stackexchange_reference():
    h = 21_990_232_555_520  # H/s
    d = 47_427_554_950.648
    t = 30 * 86_400
    got = float(expected_btc(h, t, d, 25))
    # Published 6.995 BTC is rounded to 3 decimals and uses D*2**32 work per block (6.99543);
    # minecalc uses D*2**48/0xffff, 1/65535 = 0.0015 % more work, giving 6.99532. Both
    # round to 6.995: 5e-4 absolute covers the rounding (and the 1e-4 convention gap).
    assert got == pytest.approx(6.995, abs=5e-4)
    # The convention gap itself, against an exact rational evaluation of D*2**32.
    shortcut = Fraction(h) * t * 25 / (Fraction(d) * 2**32)
    assert got * (1 + 1 / 65535) == pytest.approx(float(shortcut), rel=1e-14)


def test_expected_btc_vectorized_and_linear():
    h = np.array([1e18, 2e18, 4e18])
    got = expected_btc(h, 86_400, 100e12, 3.125)
    assert got.shape == (3,)
    np.testing.assert_allclose(got, got[0] * np.array([1, 2, 4]), rtol=1e-15)
    # The whole network (hashrate implied by D) wins 144 blocks a day at 600 s per block.
    d = 149.30e12
    whole = expected_btc(hashrate_from_difficulty(d), 86_400, d, 3.145)
    assert float(whole) == pytest.approx(144 * 3.145, rel=1e-14)


def test_hashrate_from_difficulty_table():
    got = float(hashrate_from_difficulty(149.30e12))
    assert got / 1e18 == pytest.approx(1_068.7, rel=5e-4)  # domain.md §2/§3 (1,069 EH/s)
    assert float(hashrate_from_difficulty(116.96e12)) / 1e18 == pytest.approx(837, rel=1e-3)
    assert float(hashrate_from_difficulty(155.97e12)) / 1e18 == pytest.approx(1_117, rel=1e-3)
    assert float(hashrate_from_difficulty(1.0, block_time_s=1)) == HASHES_PER_DIFFICULTY


def test_self_dilution_cross_check():
    """domain.md §2: 2,000 MW at PUE 1.10 and 17.5 J/TH against difficulty 149.30 T."""
    h = 2_000e6 / 1.10 / 17.5 * 1e12  # W / (J/TH) = TH/s -> H/s
    assert h / 1e18 == pytest.approx(103.9, abs=0.05)  # published to 0.1 EH/s
    d = 149.30e12
    big_h = float(hashrate_from_difficulty(d))
    assert big_h / 1e18 == pytest.approx(1_068.7, abs=0.05)

    naive = h / big_h
    diluted = h / (big_h + h)
    assert 100 * naive == pytest.approx(9.72, abs=0.005)  # published to 0.01 %
    assert 100 * diluted == pytest.approx(8.86, abs=0.005)

    reward = 3.145
    btc_day_naive = float(expected_btc(h, 86_400, d, reward))
    assert btc_day_naive == pytest.approx(44.0, abs=0.05)  # published to 0.1 BTC
    assert btc_day_naive == pytest.approx(naive * 144 * reward, rel=1e-12)
    # After difficulty adjusts to H + h: same formula at the diluted difficulty.
    d_after = d * (big_h + h) / big_h
    btc_day_diluted = float(expected_btc(h, 86_400, d_after, reward))
    assert btc_day_diluted == pytest.approx(40.1, abs=0.05)
    assert btc_day_diluted == pytest.approx(diluted * 144 * reward, rel=1e-12)
