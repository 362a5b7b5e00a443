"""Result files: round trip, never replacing without --force, atomic writes."""

import json
from pathlib import Path

import pandas as pd
import pytest
import xarray as xr
from click.testing import CliRunner

from minecalc.cli import main

PK = str(Path(__file__).parents[1] / "configs" / "pk2000mw.yaml")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "pk"
    result = CliRunner().invoke(main, ["run", PK, "--out", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    return out, json.loads(result.output)


def test_results_round_trip(written):
    from minecalc import config, model

    out, summary = written
    in_memory = model.run(config.load_config(PK))
    with xr.open_dataset(out / "results.nc") as on_disk:
        xr.testing.assert_allclose(
            on_disk.drop_vars(["time"]), in_memory.drop_vars(["time"]), rtol=1e-15
        )
        assert (on_disk.time.values == in_memory.time.values.astype("datetime64[ns]")).all()
        assert on_disk.npv_usd.attrs == in_memory.npv_usd.attrs
        assert on_disk.attrs["scenario"] == in_memory.attrs["scenario"]
    assert json.loads((out / "summary.json").read_text()) == summary
    table = pd.read_csv(out / "monthly.csv", index_col="time")
    assert len(table) == 60 and "fleet_btc [BTC]" in table.columns
    assert table["fleet_btc [BTC]"].sum() == pytest.approx(summary["btc_total"], rel=1e-12)


def test_existing_results_are_never_replaced_without_force(written):
    out, _ = written
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (out / "summary.json").write_text("mine")
    result = CliRunner().invoke(main, ["run", PK, "--out", str(out), "--set", "site.pue=1.2"])
    assert result.exit_code == 2
    assert "--force" in result.output and "Traceback" not in result.output
    assert (out / "summary.json").read_text() == "mine"
    assert (out / "results.nc").read_bytes() == before["results.nc"]
    forced = CliRunner().invoke(main, ["run", PK, "--out", str(out), "--force"])
    assert forced.exit_code == 0
    assert json.loads((out / "summary.json").read_text())["name"] == "Pakistan 2,000 MW"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_csv_to_the_terminal():
    result = CliRunner().invoke(main, ["run", PK, "--format", "csv"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0].startswith("time,period_days [d]")
    assert len(result.output.splitlines()) == 61
