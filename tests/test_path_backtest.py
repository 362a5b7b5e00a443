"""The out-of-sample test of the path generators: no look-ahead, hand-checked outcomes,
and the figures the README quotes."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from minecalc import history, moves
from minecalc import path_backtest as pb


@pytest.fixture(scope="module")
def scored():
    return pb.out_of_sample(paths=2000, seed=0)


def test_the_readme_shows_the_figures_of_the_packaged_data(scored):
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert pb.markdown(pb.scores(*scored)) in readme  # regenerate: print(pb.markdown(...))


def test_outcomes_by_hand(scored):
    bands, shortfalls = scored
    prices = history.load_price_history().set_index("month")["btc_price_usd_mean"]
    row = bands.query("cutoff == '2025-01' and horizon_months == 12 and variable == 'btc_price'")
    assert_allclose(row["realized"], np.log(prices["2025-12"] / prices["2024-12"]), rtol=1e-12)
    # the band's edges are the paths' 10th and 90th percentiles: about 80 % inside
    assert (bands["p10"] <= bands["p50"]).all() and (bands["p50"] <= bands["p90"]).all()
    assert (
        (bands["realized"] >= bands["p10"]) & (bands["realized"] <= bands["p90"]) == bands["inside"]
    ).all()
    # 24 months after 2025 is past the history: not scored
    assert set(bands.query("cutoff == '2025-01'")["horizon_months"]) == {6, 12}
    assert (
        shortfalls["probability"].between(0, 1).all() and shortfalls["outcome"].isin([0, 1]).all()
    )
    # a lower threshold is never more likely to be undershot
    wide = shortfalls.pivot_table(
        index=["cutoff", "generator", "horizon_months"], columns="threshold", values="probability"
    )
    assert (wide[0.5] <= wide[0.75]).all() and (wide[0.75] <= wide[1.0]).all()


def test_nothing_after_a_cut_off_is_used(monkeypatch):
    real = moves.monthly_moves

    def garbled(first_month=moves.WINDOW_START, last_month=None):
        table = real(first_month, last_month).copy()
        table.loc[pd.Period("2020-01", freq="M") :] *= 10  # the future, garbled
        return table

    monkeypatch.setattr(moves, "monthly_moves", garbled)
    again, _ = pb.out_of_sample(cutoffs=("2019-01", "2020-01", "2021-01"), paths=2000, seed=0)
    # cut-offs i = 0, 1, 2 here are 2015 + i in the full run: seeds [0, i, g] differ, so
    # compare the two early cut-offs against a run of the same three with clean data
    monkeypatch.setattr(moves, "monthly_moves", real)
    clean, _ = pb.out_of_sample(cutoffs=("2019-01", "2020-01", "2021-01"), paths=2000, seed=0)
    early = again["cutoff"] != "2021-01"
    for column in ("p10", "p50", "p90"):
        assert np.array_equal(again.loc[early, column], clean.loc[early, column])
    assert not np.allclose(again.loc[~early, "p50"], clean.loc[~early, "p50"])


def test_scores_count_the_outcomes(scored):
    table = pb.scores(*scored)
    assert table.loc[("joint", 12), "outcomes"] == 11
    assert table.loc[("joint", 24), "independent"] == 5  # ten cut-offs, two-year overlap
    coverage = table.filter(like="coverage_")
    assert ((coverage >= 0) & (coverage <= 1)).all().all()
