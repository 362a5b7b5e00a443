"""``minecalc data update`` against loopback stand-ins of mempool.space and Bitcoin Core,
the loaders reading its tables back, ``data status``, the data line and ``start_date:
latest`` (the fakes and their chain: ``tests/fake_sources.py``)."""

import datetime as dt
import json
import socket

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from fake_sources import RECORDED, TIP, Chain, mempool_server, node_server
from numpy.testing import assert_allclose

from minecalc import cli, datafiles, history
from minecalc.cli import main
from minecalc.config import ConfigError, load_config

PRICES = "/api/v1/historical-price?currency=USD"
CHAIN = Chain()
NEW_EPOCH = 967_680
NEW_EPOCH_BLOCK = f"/api/block/{CHAIN.hash(NEW_EPOCH)}"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """A user data folder of this test's own (not yet there), and no tables read before."""
    folder = tmp_path / "minecalc-data"
    monkeypatch.setenv("MINECALC_DATA_DIR", str(folder))
    history.clear_caches()
    yield folder
    history.clear_caches()


@pytest.fixture
def mempool():
    with mempool_server() as server:
        yield server


@pytest.fixture
def node():
    with node_server() as server:
        yield server


def invoke(*args):
    return CliRunner().invoke(main, list(args))


def update_from(server, *args):
    result = invoke("data", "update", "--url", server.url, *args)
    assert result.exit_code == 0, result.output
    history.clear_caches()
    return result


def snapshot(folder):
    """Every file under ``folder`` (temporaries included) and its bytes."""
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def packaged():
    """The loaders' tables from the packaged data (whatever the folder holds)."""
    return (
        pd.read_csv(datafiles.resources.files("minecalc").joinpath("data/fees_monthly.csv")),
        history._parse_history(datafiles.packaged_text(datafiles.DIFFICULTY)),
    )


def chain_fee_months():
    """Each month's blocks and mean fee, from the made-up chain block by block (a month
    starts at its first block stamped in it)."""
    months = {}
    for height in range(934_542, TIP + 1):
        month = dt.datetime.fromtimestamp(CHAIN.time(height), dt.timezone.utc).strftime("%Y-%m")
        if months and month < max(months):  # a header time running backwards stays
            month = max(months)
        months.setdefault(month, []).append(CHAIN.fee_sat(height))
    del months[max(months)]  # October has not ended at the tip
    return {m: (len(f), sum(f) / len(f) / 1e8) for m, f in months.items()}


# --------------------------------------------------------------------------- success


def test_mempool_update_writes_the_three_tables_that_the_loaders_read(mempool, data_dir):
    before = {
        "difficulty": history.load_difficulty_history(),
        "prices": history.load_price_history(),
        "fees": history.load_fee_history(),
    }
    result = update_from(mempool)
    assert f"wrote {data_dir}" in result.output
    assert sorted(p.name for p in data_dir.iterdir()) == sorted(
        [*datafiles.TABLES, "provenance.json"]
    )
    for name in datafiles.TABLES:  # the packaged format: the same header and checks
        datafiles.check_table(name, (data_dir / name).read_text())

    epochs = history.load_difficulty_history()
    assert list(epochs.dtypes) == list(before["difficulty"].dtypes)
    assert epochs["height"].iloc[-1] == 969_696  # the newest epoch with 6 blocks on top
    old = before["difficulty"].set_index("height")
    new = epochs.set_index("height")
    pd.testing.assert_frame_equal(new.loc[:941_472], old.loc[:941_472])  # kept as packaged
    fetched = new.loc[943_488:]
    assert (fetched["source"] == "mempool").all() and not fetched["start_time_estimated"].any()
    assert fetched.loc[951_552, "nbits"] == 0x1702290A  # the packaged gap, filled
    assert_allclose(fetched["difficulty"], [CHAIN.difficulty(h) for h in fetched.index], rtol=1e-15)
    times = (fetched["start_time"] - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    assert times.tolist() == [CHAIN.time(h) for h in fetched.index]

    prices = history.load_price_history()
    assert list(prices.dtypes) == list(before["prices"].dtypes)
    pd.testing.assert_frame_equal(prices.iloc[:-3], before["prices"].iloc[:-1])
    last = prices.set_index("month").loc["2026-08":]
    assert last.index.tolist() == ["2026-08", "2026-09", "2026-10"]
    assert last["days"].tolist() == [31, 30, 7]  # the partial month refetched whole
    assert last["pkr_per_usd_mean"].isna().all()
    daily = {}  # the first price of each UTC day, from the recorded reply
    recorded = json.loads(RECORDED.read_text())[PRICES]["prices"]
    for row in sorted(recorded, key=lambda r: r["time"]):
        day = dt.datetime.fromtimestamp(row["time"], dt.timezone.utc).date()
        daily.setdefault(day, row["USD"])
    for month, row in last.iterrows():
        days = [usd for day, usd in daily.items() if f"{day:%Y-%m}" == month]
        assert len(days) == row["days"]
        got = row[["btc_price_usd_mean", "btc_price_usd_min", "btc_price_usd_max"]]
        assert_allclose(got.to_numpy(float), [np.mean(days), min(days), max(days)], atol=0.5)

    fees = history.load_fee_history()
    assert list(fees.dtypes) == list(before["fees"].dtypes)
    assert len(fees) == 15 + 8  # 2026-02 to 2026-09
    new_fees = fees.iloc[15:].set_index("month")
    expected = chain_fee_months()
    assert new_fees.index.tolist() == list(expected)
    assert new_fees["blocks"].tolist() == [blocks for blocks, _ in expected.values()]
    assert_allclose(new_fees["fees_btc_per_block_mean"], [m for _, m in expected.values()],
                    rtol=0, atol=5e-9)  # fmt: skip
    assert new_fees["first_height"].iloc[0] == 934_542
    assert (
        new_fees["first_height"].iloc[1:].to_numpy() == new_fees["last_height"].iloc[:-1] + 1
    ).all()

    provenance = json.loads((data_dir / "provenance.json").read_text())
    assert provenance["source"] == "mempool" and provenance["url"] == mempool.url
    fetched_at = dt.datetime.fromisoformat(provenance["fetched_at"])
    assert abs(dt.datetime.now(dt.timezone.utc) - fetched_at) < dt.timedelta(minutes=5)
    tables = provenance["tables"]
    assert tables["difficulty_epochs.csv"]["newest_height"] == 969_696
    assert tables["btc_price_monthly.csv"]["newest_month"] == "2026-10"
    assert tables["fees_monthly.csv"]["newest_month"] == "2026-09"


def test_data_status_names_the_folder_after_an_update(mempool, data_dir):
    status = json.loads(invoke("data", "status", "--format", "json").output)
    assert all(t["path"] is None and t["source"] == "packaged" for t in status["tables"])
    update_from(mempool)
    result = invoke("data", "status", "--format", "json")
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert status["folder"] == str(data_dir)
    difficulty, prices, fees = status["tables"]
    assert difficulty["path"] == str(data_dir / "difficulty_epochs.csv")
    assert difficulty["source"] == "mempool" and difficulty["newest"] == "epoch 969,696"
    assert difficulty["newest_date"] == "2026-10-03"
    assert (prices["newest"], prices["newest_date"]) == ("2026-10", "2026-10-07")
    assert (fees["newest"], fees["newest_date"]) == ("2026-09", "2026-09-30")
    table = invoke("data", "status").output
    assert f"data folder: {data_dir}" in table and "user folder (mempool, fetched" in table


def test_ages_count_to_the_day_given():
    difficulty, prices, fees = history.data_status(today=dt.date(2026, 11, 30))
    assert (difficulty.newest, difficulty.newest_date) == ("epoch 965,664", dt.date(2026, 9, 5))
    assert difficulty.age_days == 86 and difficulty.path is None and difficulty.problem is None
    assert prices.age_days == (dt.date(2026, 11, 30) - dt.date(2026, 8, 22)).days
    assert fees.newest == "2026-01" and fees.age_days == 303
    assert history.data_line((difficulty, prices, fees)) == (
        "data: packaged history to 2026-09 (epoch 965,664; 86 days old)"
    )


def test_credentials_in_the_url_stay_out_of_the_files(mempool, data_dir):
    update_from(mempool, "--url", mempool.url.replace("//", "//user:hunter2@"))
    assert all(b"hunter2" not in data for data in snapshot(data_dir).values())


def test_node_update_writes_difficulty_and_fees_and_says_prices_are_not(node, mempool, tmp_path):
    result = update_from(
        node, "--source", "node", "--rpc-user", "alice", "--rpc-password", "secret"
    )
    assert "prices: not refreshed (a node has no prices)" in result.output
    folder = datafiles.user_data_dir()
    assert sorted(p.name for p in folder.iterdir()) == [
        "difficulty_epochs.csv",
        "fees_monthly.csv",
        "provenance.json",
    ]
    assert history.load_difficulty_history()["source"].iloc[-1] == "node"
    assert history.data_status()[1].path is None  # prices: the packaged table
    # the two sources agree, epoch by epoch and month by month
    node_fees = (folder / "fees_monthly.csv").read_text()
    node_epochs = (folder / "difficulty_epochs.csv").read_text()
    invoke("data", "update", "--url", mempool.url)  # into the same folder
    assert (folder / "fees_monthly.csv").read_text() == node_fees
    assert (folder / "difficulty_epochs.csv").read_text() == node_epochs.replace(
        ",node\n", ",mempool\n"
    )
    tables = json.loads((folder / "provenance.json").read_text())["tables"]
    assert {t["source"] for t in tables.values()} == {"mempool"}


def test_node_cookie_file(node, tmp_path):
    cookie = tmp_path / ".cookie"
    cookie.write_text("alice:secret")
    update_from(node, "--source", "node", "--rpc-cookie", str(cookie))
    assert history.load_difficulty_history()["height"].iloc[-1] == 969_696


def test_node_refuses_a_wrong_password(node, data_dir):
    result = invoke("data", "update", "--source", "node", "--url", node.url,
                    "--rpc-user", "alice", "--rpc-password", "wrong")  # fmt: skip
    assert result.exit_code == 2
    assert (
        result.output
        == f"error: node {node.url} getblockcount: expected HTTP 200, got 401 Unauthorized\n"
    )
    assert not data_dir.exists()


# --------------------------------------------------------------------------- failures


FAULTS = {
    "http 500": (PRICES, ("status", 500), f"{PRICES}: expected HTTP 200, got 500 "),
    "timeout": ("/api/blocks/tip/height", ("sleep", 1.5), "expected a reply, got none in 0.5 s"),
    "bad json": (PRICES, ("body", b'{"prices": [{"time": 17'), "expected JSON, got '{\"prices\""),
    "wrong shape": (PRICES, ("body", b'{"prices": {"time": 1}}'),
                    "expected prices as a finite list"),
    "wrong type": (PRICES, ("body", b'{"prices": [{"time": 1784505600, "USD": "64000"}]}'),
                   "expected USD as a finite int or float, got '64000'"),
    "missing key": (NEW_EPOCH_BLOCK, ("body", b'{"height": 967680, "timestamp": 1790000000}'),
                    "expected the key 'bits'"),
    "inconsistent": (
        NEW_EPOCH_BLOCK,
        ("body", json.dumps({**CHAIN.esplora_block(NEW_EPOCH), "difficulty": 1.5e14}).encode()),
        "expected the difficulty of bits 0x17023210",
    ),
    "times not increasing": (
        NEW_EPOCH_BLOCK,
        ("body", json.dumps({**CHAIN.esplora_block(NEW_EPOCH), "timestamp": 1700000000}).encode()),
        "expected start_time_unix after the previous epoch's",
    ),
    "tip moved": (
        "/api/v1/mining/reward-stats/911",
        ("body", json.dumps({**CHAIN.reward_stats(911), "endBlock": TIP + 1}).encode()),
        "if the tip moved, run the update again",
    ),
}  # fmt: skip


@pytest.mark.parametrize("existing", [False, True], ids=["no folder", "a folder"])
@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_failed_update_leaves_the_folder_as_it_was(fault, existing, mempool, data_dir):
    if existing:
        update_from(mempool)
        (data_dir / "difficulty_epochs.csv").write_bytes(  # older data, still valid
            datafiles.packaged_text(datafiles.DIFFICULTY).encode()
        )
        before = snapshot(data_dir)
    path, answer, message = FAULTS[fault]
    mempool.faults[path] = answer
    result = invoke("data", "update", "--url", mempool.url, "--timeout", "0.5")
    assert path in mempool.requests
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: mempool {mempool.url}/api/")
    assert message in result.output and result.output.count("\n") == 1
    if existing:
        assert snapshot(data_dir) == before  # byte for byte, and no temporaries left
    else:
        assert not data_dir.exists()


def test_no_connection(data_dir):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = invoke("data", "update", "--url", f"http://127.0.0.1:{port}")
    assert result.exit_code == 2
    assert "/api/blocks/tip/height: expected a reply, got no connection" in result.output
    assert not data_dir.exists()


def test_an_invalid_table_in_the_folder_is_not_used(mempool, data_dir):
    update_from(mempool)
    path = data_dir / "fees_monthly.csv"
    path.write_text(path.read_text().replace(",4401,925940-930340", ",4400,925940-930340"))
    history.clear_caches()
    fees, epochs = history.load_fee_history(), history.load_difficulty_history()
    assert len(fees) == 15 and epochs["height"].iloc[-1] == 969_696  # fees packaged only
    status = history.data_status()[2]
    assert status.path is None and "row 14 (2025-12): expected blocks" in status.problem
    assert "invalid in the data folder, not used: fees_monthly.csv" in history.data_line(
        history.data_status()
    )


# --------------------------------------------------------------------------- the data line


def apart() -> CliRunner:
    """A runner that keeps standard error apart from standard output (click 8.1 is asked
    to; from 8.2 it always does, and the argument is gone)."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


def test_run_says_which_data_on_a_terminals_stderr_and_stdout_is_unchanged(
    mempool, data_dir, monkeypatch
):
    plain = apart().invoke(main, ["run", "pk2000mw", "--format", "csv"])
    assert plain.exit_code == 0 and plain.stderr == ""  # not a terminal: nothing
    monkeypatch.setattr(cli, "_stderr_is_terminal", lambda: True)
    told = apart().invoke(main, ["run", "pk2000mw", "--format", "csv"])
    assert told.exit_code == 0 and told.stdout == plain.stdout
    assert told.stderr.startswith("data: packaged history to 2026-09 (epoch 965,664; ")
    assert told.stderr.endswith(" days old)\n") and told.stderr.count("\n") == 1
    quiet = apart().invoke(main, ["--quiet", "run", "pk2000mw", "--format", "csv"])
    assert quiet.stderr == ""
    update_from(mempool)
    told = apart().invoke(main, ["run", "pk2000mw", "--format", "json"])
    assert told.stderr.startswith(f"data: {data_dir} (mempool, fetched ")
    assert "; newest epoch 2026-10-03, " in told.stderr and told.stderr.count("\n") == 1
    assert json.loads(told.stdout)["name"] == "Pakistan 2,000 MW"


# --------------------------------------------------------------------------- start_date: latest


def test_latest_starts_at_the_packaged_newest_epoch():
    scenario = load_config("pk2000mw", ["start_date=latest"])
    assert scenario.start_date == dt.date(2026, 9, 5)
    assert scenario.network.height == 965_664
    assert scenario.network.difficulty == 127450789715843.1
    assert scenario.network.epoch_start_date is None
    assert scenario.to_dict()["start_date"] == "2026-09-05"  # the run says what it ran from


def test_latest_starts_at_the_newest_epoch_of_the_user_folder(mempool):
    update_from(mempool)
    scenario = load_config("pk2000mw", ["start_date=latest", "horizon_months=12"])
    assert scenario.network.height == 969_696
    assert scenario.start_date == dt.date(2026, 10, 3)  # that block's header date
    assert scenario.network.difficulty == CHAIN.difficulty(969_696)
    from minecalc import model

    ds = model.run(scenario)
    assert np.isfinite(ds["npv_usd"].item())
    assert str(ds["time"].values[0])[:10] == "2026-10-03"


def test_start_date_must_be_a_date_or_latest():
    with pytest.raises(ConfigError, match=r"start_date: expected a date \(YYYY-MM-DD\) or "
                       r"latest, got 'newest'"):  # fmt: skip
        load_config("pk2000mw", ["start_date=newest"])
