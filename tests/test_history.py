import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from minecalc import history
from minecalc.protocol import SECONDS_PER_YEAR, nbits_to_difficulty, nbits_to_target, next_nbits

LAST_KNOWN_HEIGHT = 941_472  # last epoch with a real header time (data/README.md)


@pytest.fixture(scope="module")
def table():
    return history.load_difficulty_history()


def _seconds(times):
    return ((times - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)).to_numpy()


def test_heights_contiguous(table):
    assert len(table) == 480
    np.testing.assert_array_equal(table["height"], np.arange(0, 965_664 + 1, 2016))


def test_columns_and_dtypes(table):
    assert table["height"].dtype == np.int64
    assert isinstance(table["start_time"].dtype, pd.DatetimeTZDtype)
    assert str(table["start_time"].dt.tz) == "UTC"
    assert table["difficulty"].dtype == np.float64
    assert table["nbits"].dtype == "Int64"
    assert table["start_time_estimated"].dtype == bool
    assert table.loc[0, "nbits"] == 0x1D00FFFF
    assert table.loc[0, "start_time"] == pd.Timestamp(1231006505, unit="s", tz="UTC")


def test_copy_protects_cache():
    first = history.load_difficulty_history()
    first.loc[0, "difficulty"] = -1.0
    assert history.load_difficulty_history().loc[0, "difficulty"] == 1.0


def test_gap_epoch_keeps_no_difficulty(table):
    row = table.set_index("height").loc[951_552]
    assert np.isnan(row["difficulty"]) and pd.isna(row["nbits"])
    assert row["start_time_estimated"] and pd.notna(row["start_time"])


def test_estimated_rows_are_the_last_eleven_missing(table):
    estimated = table.loc[table["start_time_estimated"], "height"]
    np.testing.assert_array_equal(estimated, np.arange(943_488, 965_664 + 1, 2016))


def test_difficulty_matches_nbits(table):
    rows = table[table["nbits"].notna()]
    computed = nbits_to_difficulty(rows["nbits"].to_numpy(dtype=np.int64))
    # The CSV carries Core's double printed to 16 significant digits.
    printed = np.array([float(f"{x:.16g}") for x in computed])
    np.testing.assert_array_equal(printed, rows["difficulty"].to_numpy())


def test_replay_retarget_within_readme_bound(table):
    real = table[~table["start_time_estimated"] & table["nbits"].notna()]
    errors = []
    for (_, a), (_, b) in zip(real.iloc[:-1].iterrows(), real.iloc[1:].iterrows(), strict=True):
        if b["height"] - a["height"] != 2016:
            continue
        t0, t1 = _seconds(pd.Series([a["start_time"], b["start_time"]]))
        # The next epoch's first block stands in for this epoch's last block.
        predicted = nbits_to_target(next_nbits(int(a["nbits"]), int(t0), int(t1)))
        errors.append(predicted / nbits_to_target(int(b["nbits"])) - 1)
    errors = np.abs(errors)
    assert len(errors) == 467  # every pair from 0 to 941,472
    assert errors.max() < 0.0044
    assert np.median(errors) < 0.0005


def test_start_times_strictly_increasing(table):
    assert (np.diff(_seconds(table["start_time"])) > 0).all()


def test_last_estimate_near_domain_date(table):
    # domain.md section 3 dates epoch 965,664 at about 2026-09-05.
    start = table.set_index("height").loc[965_664, "start_time"]
    assert abs(start - pd.Timestamp("2026-09-05T12:00", tz="UTC")) < pd.Timedelta(days=1)


def _known(table):
    known = table[~table["start_time_estimated"] & (table["height"] >= 32_256)]
    return _seconds(known["start_time"]), known["difficulty"].to_numpy()


def test_reconstruction_one_step_error(table):
    # Reconstruct each known start from the previous one; at difficulty 1 (before
    # 32,256) the capped target says nothing about the timespan, so skip that era.
    t, d = _known(table)
    errors_h = np.empty(len(t) - 1)
    for k in range(1, len(t)):
        estimate = history.estimate_start_times([t[k - 1], np.nan], d[k - 1 : k + 1])
        errors_h[k - 1] = (estimate[1] - t[k]) / 3600
    # Measured: median 0.10 h, 95th percentile 0.34 h, worst 3.6 h (2010).
    assert np.median(np.abs(errors_h)) < 0.15
    assert np.percentile(np.abs(errors_h), 95) < 0.5
    assert np.abs(errors_h).max() < 4


def test_reconstruction_twelve_epochs_chained(table):
    # Same span as the packaged estimates: 12 retargets from one known anchor.
    t, d = _known(table)
    errors_h = []
    for a in range(len(t) - 12):
        blank = np.r_[t[a], np.full(12, np.nan)]
        errors_h.append((history.estimate_start_times(blank, d[a : a + 13])[-1] - t[a + 12]) / 3600)
    # Measured: median 0.39 h, 95th percentile 1.5 h, worst 3.9 h.
    assert np.median(np.abs(errors_h)) < 0.5
    assert np.abs(errors_h).max() < 4


def test_reconstruction_across_missing_difficulty(table):
    # Blank the middle difficulty of each known triple, as at 951,552.
    t, d = _known(table)
    heights = table.loc[~table["start_time_estimated"] & (table["height"] >= 32_256), "height"]
    errors_h, bias_h = [], []
    for m in range(1, len(t) - 1):
        start = [t[m - 1], np.nan, np.nan]
        gap = history.estimate_start_times(start, [d[m - 1], np.nan, d[m + 1]])[2]
        full = history.estimate_start_times(start, d[m - 1 : m + 2])[2]
        errors_h.append((gap - t[m + 1]) / 3600)
        bias_h.append((gap - full) / 3600)
    # The geometric mean minimizes the sum of the two spans (AM-GM).
    assert max(bias_h) <= 1e-6
    # Measured since height 400,000: median 0.31 h, 95th percentile 2.3 h, worst 11.6 h.
    modern = np.abs(errors_h)[heights.to_numpy()[1:-1] >= 400_000]
    assert np.median(modern) < 0.5
    assert np.percentile(modern, 95) < 3
    assert modern.max() < 12


def test_estimate_needs_first_time():
    with pytest.raises(ValueError, match="start_time_s"):
        history.estimate_start_times([np.nan, np.nan], [1.0, 2.0])


def test_geometric_mean_gives_equal_spans():
    start = history.estimate_start_times([0.0, np.nan, np.nan], [4.0, np.nan, 1.0])
    # The missing difficulty becomes sqrt(4 * 1) = 2: each span is a halving.
    assert_allclose(np.diff(start), [2 * 1_209_600 * 2016 / 2015] * 2)


def test_fit_exact_exponential():
    t = 1.7e9 + np.arange(30) * 1_209_600.0
    for growth in (-0.3, 0.0, 0.39, 2.0):
        d = 1e14 * (1 + growth) ** ((t - t[0]) / SECONDS_PER_YEAR)
        assert_allclose(history.fit_growth_per_year(t, d), growth, rtol=1e-9, atol=1e-12)


def _hand_ols(rows):
    t = _seconds(rows["start_time"])
    y = np.log(rows["difficulty"].to_numpy())
    slope = ((t - t.mean()) * (y - y.mean())).sum() / ((t - t.mean()) ** 2).sum()
    return np.exp(slope * SECONDS_PER_YEAR) - 1


def test_trend_since_halving_matches_hand_calculation(table):
    rows = table.set_index("height").loc[840_672:925_344]
    assert len(rows) == 43
    assert_allclose(
        history.growth_trend_per_year(43, end_height=925_344), _hand_ols(rows), rtol=1e-10
    )
    # domain.md: +1.26 %/epoch on average, ~39 %/yr over 13.8-day epochs.
    per_epoch = (rows["difficulty"].iloc[-1] / rows["difficulty"].iloc[0]) ** (1 / 42) - 1
    mean_epoch_s = (rows["start_time"].iloc[-1] - rows["start_time"].iloc[0]).total_seconds() / 42
    average = (1 + per_epoch) ** (SECONDS_PER_YEAR / mean_epoch_s) - 1
    assert_allclose(per_epoch, 0.0126, atol=5e-5)
    assert_allclose(average, 0.39, atol=0.01)
    # The fit (0.50) sits above the end-to-end average: mid-2024 was flat and the
    # Oct 2025 high lies above the Nov 2025 end point.
    assert 0 < history.growth_trend_per_year(43, end_height=925_344) - average < 0.15


def test_trend_skips_missing_difficulty(table):
    # The last 16 rows hold 15 difficulties; the fit takes the last 15 with a value.
    rows = table.iloc[-16:]
    rows = rows[rows["difficulty"].notna()]
    assert_allclose(history.growth_trend_per_year(15), _hand_ols(rows), rtol=1e-10)


@pytest.mark.parametrize("n", [0, 1, 480])
def test_trend_epochs_out_of_range(n):
    with pytest.raises(ValueError, match=rf"trend_epochs: expected 2 to 479 .*got {n}"):
        history.growth_trend_per_year(n)


def test_trend_epochs_limited_by_end_height():
    with pytest.raises(ValueError, match=r"expected 2 to 3 .*got 4"):
        history.growth_trend_per_year(4, end_height=4032)


def test_difficulty_changes(table):
    ratios = history.difficulty_changes(941_472, 955_584)
    d = table.set_index("height").loc[941_472:955_584, "difficulty"].to_numpy()
    # 941,472..955,584 is 8 epochs; the two pairs touching 951,552 drop out.
    expected = (d[1:] / d[:-1])[~np.isnan(d[1:] / d[:-1])]
    assert len(ratios) == 5
    assert_allclose(ratios, expected, rtol=0)
    assert_allclose(ratios[0], 138966872071213.2 / 133793147307542.8)
    assert len(history.difficulty_changes()) == 477


# --- the monthly BTC prices and fees (data/README.md, sections 4 and 5) ---------------


@pytest.fixture(scope="module")
def prices():
    return history.load_price_history()


def test_prices_are_every_month_from_2012_to_august_2026(prices):
    months = pd.PeriodIndex(prices["month"], freq="M")
    assert months[0] == pd.Period("2012-01") and months[-1] == pd.Period("2026-08")
    assert (months[1:] - months[:-1] == months.freq).all()  # contiguous, in order, unique
    assert len(prices) == 176


def test_price_statistics_are_consistent(prices):
    low, mean, high = (prices[f"btc_price_usd_{k}"] for k in ("min", "mean", "max"))
    assert (low > 0).all() and (low <= mean).all() and (mean <= high).all()
    days_in_month = pd.PeriodIndex(prices["month"], freq="M").days_in_month
    assert (prices["days"] >= 1).all() and (prices["days"] <= days_in_month).all()
    assert (prices["days"].iloc[:-1] == days_in_month[:-1]).all()  # only the last is partial
    assert prices["days"].iloc[-1] == 22


def test_prices_match_the_readme_cross_checks(prices):
    by = prices.set_index("month")
    # data/README.md: monthly extremes of the daily series (to the dollar)
    assert_allclose(by.loc["2017-12", "btc_price_usd_max"], 19_161, atol=1)
    assert_allclose(by.loc["2018-12", "btc_price_usd_min"], 3_182, atol=1)
    assert_allclose(by.loc["2020-03", "btc_price_usd_min"], 4_901, atol=1)
    assert_allclose(by.loc["2021-11", "btc_price_usd_max"], 67_517, atol=1)
    assert_allclose(by.loc["2022-11", "btc_price_usd_min"], 15_760, atol=1)
    assert_allclose(by.loc["2025-10", "btc_price_usd_max"], 124_750, atol=1)


def test_rupee_rate_from_2024_only_and_as_the_press_reported(prices):
    by = prices.set_index("month")
    known = by["pkr_per_usd_mean"].notna()
    assert not known[:"2023-12"].any() and known["2024-01":].all()
    assert 283 <= by.loc["2025-07", "pkr_per_usd_mean"] <= 286
    assert 278 <= by.loc["2025-12", "pkr_per_usd_mean"] <= 282


@pytest.fixture(scope="module")
def fees():
    return history.load_fee_history()


def test_fee_months_and_recent_levels(fees):
    assert len(fees) == 15 and fees["month"].is_unique and fees["month"].is_monotonic_increasing
    recent = fees.set_index("month").loc["2025-09":, "fees_btc_per_block_mean"]
    assert_allclose(recent, [0.0268, 0.0218, 0.0213, 0.0192, 0.0189], atol=5e-5)
    assert (fees["fees_btc_per_block_mean"] >= 0).all()


def test_fee_heights_are_the_months_blocks(fees, table):
    assert (fees["last_height"] - fees["first_height"] + 1 == fees["blocks"]).all()
    # consecutive months of a run of months join without a gap
    months = pd.PeriodIndex(fees["month"], freq="M")
    follows = (months[1:] - months[:-1]) == months.freq
    assert (
        fees["first_height"].to_numpy()[1:][follows]
        == fees["last_height"].to_numpy()[:-1][follows] + 1
    ).all()
    # every epoch that starts inside a month's heights starts in that month (header times)
    starts = table.set_index("height")["start_time"]
    checked = 0
    for row in fees.itertuples():
        first = -(-row.first_height // 2016) * 2016
        for height in range(first, row.last_height + 1, 2016):
            assert starts[height].strftime("%Y-%m") == row.month, (row.month, height)
            checked += 1
    assert checked == 32  # every epoch start inside the 15 months
