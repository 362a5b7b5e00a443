"""The command line, through click's runner: output, JSON contract, overrides, errors."""

import csv
import io
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from minecalc import __version__, load_config
from minecalc.cli import main

PK = str(Path(__file__).parents[1] / "configs" / "pk2000mw.yaml")
JSON_KEYS = {
    "fleet_hashrate_eh_s",
    "network_share_first_month",
    "btc_per_day_first_month",
    "btc_total",
    "btc_by_year",
    "halving_date",
    "final_difficulty",
    # the plant and the money
    "energy_gwh_total",
    "cost_per_btc_cash_usd",
    "cost_per_btc_all_in_usd",
    "npv_usd",
    "irr",
    "payback_months",
    "breakeven_energy_price_per_kwh",
    "breakeven_energy_price_usd_per_kwh",
    "breakeven_btc_price_usd",
    "hashprice_usd_per_ph_day_first_month",
    "hashcost_usd_per_ph_day_first_month",
    "capex_usd",
    "reserve_btc_end",
}


def invoke(*args):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def summary():
    result = invoke("run", PK, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_json_contract(summary):
    assert JSON_KEYS <= summary.keys()
    assert summary["fleet_hashrate_eh_s"] == pytest.approx(103.896, rel=1e-4)
    assert summary["halving_date"].startswith("2028-")
    assert sum(summary["btc_by_year"].values()) == pytest.approx(summary["btc_total"], rel=1e-12)
    assert len(summary["difficulty_path"]) == 5
    assert summary["payback_months"] is None  # never pays back: null, not a huge number
    assert summary["breakeven_energy_price_usd_per_kwh"] == pytest.approx(
        summary["breakeven_energy_price_per_kwh"] / load_config(PK).tariff.usd_fx_rate, rel=1e-12
    )


def test_table_shows_the_headline_figures(summary):
    result = invoke("run", PK)
    assert result.exit_code == 0, result.output
    for text in (
        "Pakistan 2,000 MW",
        "104 EH/s",
        "BTC mined",
        "Block 1,050,000",
        "Year",
        "NPV",
        "IRR",
        "Payback",
        "never",
        "Cost per BTC, cash",
        "Cost per BTC, all-in",
        "PKR/kWh",
        "US cents/kWh",
        "Breakeven BTC price",
        "energy GWh",
        "Hashprice, month 1",
        "vs hashcost",
        "-6.08 bn USD",
        "2.26 bn USD",
    ):
        assert text in result.output
    assert f"{summary['btc_total']:,.0f}" in result.output


def test_override_changes_the_result(summary):
    result = invoke("run", PK, "--format", "json", "--set", "site.capacity_mw=1000")
    assert result.exit_code == 0, result.output
    half = json.loads(result.output)
    assert half["fleet_hashrate_eh_s"] == pytest.approx(summary["fleet_hashrate_eh_s"] / 2)
    # Half the fleet dilutes the network less, so it earns more than half as much.
    assert summary["btc_total"] / 2 < half["btc_total"] < summary["btc_total"] / 2 * 1.1


@pytest.mark.parametrize(
    "args, field",
    [
        (["run", "no-such-file.yaml"], "no-such-file.yaml"),
        (["run", PK, "--set", "site.pue=0.5"], "site.pue"),
        (["run", PK, "--set", "site.capacty_mw=5"], "capacity_mw"),
        (["run", PK, "--set", "network.difficulty=nan"], "network.difficulty"),
        (["run", PK, "--set", "pue"], "override"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, field):
    result = invoke(*args)
    assert result.exit_code == 2
    assert field in result.output
    assert "Traceback" not in result.output
    assert result.output.startswith("error: ")


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and __version__ in result.output


def test_validate_reports_every_problem_at_once(tmp_path):
    assert invoke("validate", PK).exit_code == 0
    result = invoke("validate", PK, "--set", "site.pue=0.5", "--set", "site.capacty_mw=3")
    assert result.exit_code == 2
    assert "site.pue" in result.output and "capacity_mw" in result.output


def test_hardware_lists_the_catalogue():
    table = invoke("hardware")
    assert table.exit_code == 0 and "Antminer S21 XP" in table.output
    records = json.loads(invoke("hardware", "--format", "json").output)
    assert len(records) == 32
    s21 = next(r for r in records if r["model"] == "Antminer S21")
    assert s21["efficiency_j_per_th"] == 17.5


def test_schema_lists_every_field_with_unit_and_default():
    rows = csv.DictReader(io.StringIO(invoke("schema", "--format", "csv").output))
    fields = {r["field"]: r for r in rows}
    assert fields["site.pue"]["default"] == "1.1"
    assert fields["site.pue"]["units"] == "1" and "[1]" in fields["site.pue"]["description"]
    assert fields["tariff.energy_price_per_kwh"]["units"] == "{currency}/kWh"
    assert fields["network.difficulty"]["default"] == "required"
    assert "tariff.time_of_use" in fields and "finance.btc_held_fraction" in fields
    assert fields["site.pue"]["range"] == ">= 1, <= 3"
    assert "site.capacity_mw  (number; default required; > 0, <= 1e+06)" in invoke("schema").output


def test_an_unwritable_output_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = invoke("run", PK, "--out", str(blocker / "sub"))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.startswith("error: ")


def test_init_writes_a_starter_that_runs_and_is_never_overwritten(tmp_path):
    path = tmp_path / "my.yaml"
    assert invoke("init", str(path)).exit_code == 0
    assert invoke("run", str(path)).exit_code == 0
    path.write_text(path.read_text().replace("capacity_mw: 100", "capacity_mw: 50"))
    again = invoke("init", str(path))
    assert again.exit_code == 2 and "--force" in again.output
    assert "capacity_mw: 50" in path.read_text()
    assert invoke("init", str(path), "--force").exit_code == 0
    assert "capacity_mw: 100" in path.read_text()


def test_package_api_mirrors_the_cli():
    import minecalc

    ds = minecalc.run(minecalc.load_config(PK, overrides=["horizon_months=12"]))
    assert ds.sizes["time"] == 12
    with pytest.raises(minecalc.ConfigError, match=r"site\.pue"):
        minecalc.load_config(PK, overrides=["site.pue=0"])


@pytest.mark.parametrize(
    "config", sorted((Path(__file__).parents[1] / "configs").glob("*.yaml")), ids=lambda p: p.stem
)
def test_every_packaged_scenario_validates_and_runs(config):
    assert invoke("validate", str(config)).exit_code == 0
    result = invoke("run", str(config), "--format", "json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["btc_total"] > 0 and summary["npv_usd"] is not None


GOOD = (Path(__file__).parents[1] / "configs" / "pk2000mw.yaml").read_text()


@pytest.mark.parametrize(
    "content, expected",
    [
        (None, "file not found"),
        ("", "empty file"),
        ("name: [unclosed\nhorizon_months: 3\n", "invalid YAML at line 2, column 15"),
        (b"name: caf\xe9\n", "UTF-8"),
        ("- 1\n- 2\n", "expected a mapping at the top level"),
        (
            GOOD.replace("horizon_months: 60", "horizon_months: sixty"),
            "horizon_months: expected an integer",
        ),
        (
            GOOD.replace("capacity_mw: 2000 ", "capacity_mw: .nan "),
            "site.capacity_mw: expected a finite",
        ),
        (
            GOOD.replace("capacity_mw: 2000 ", "capacity_mw: -5 "),
            "site.capacity_mw: expected a number > 0, got -5",
        ),
        (GOOD.replace("pue: 1.10", "pue: 7"), "site.pue: expected a number <= 3, got 7"),
        (GOOD.replace("  pue: 1.10", "  peu: 1.10"), "site.peu: unknown key; did you mean 'pue'?"),
        (
            GOOD.replace("model: Antminer S21 ", "model: Antminer S21 XPP "),
            "closest: 'Antminer S21 XP'",
        ),
        (
            GOOD.replace("start_date: 2026-09-05", "start_date: 2026-13-05"),
            "start_date: expected a date",
        ),
        ("extends: loop.yaml\n", "expected no loop"),
    ],
    ids=[
        "missing",
        "empty",
        "yaml-syntax",
        "not-utf8",
        "not-mapping",
        "wrong-type",
        "nan",
        "negative",
        "out-of-range",
        "unknown-key",
        "unknown-hardware",
        "bad-date",
        "extends-loop",
    ],
)
def test_every_error_class_is_one_line_exit_2_no_traceback(tmp_path, content, expected):
    path = tmp_path / "loop.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    for command in ("run", "validate"):
        result = invoke(command, str(path))
        assert result.exit_code == 2, result.output
        assert expected in result.output
        assert "Traceback" not in result.output
        assert all(line.startswith("error: ") for line in result.output.splitlines())


def test_a_directory_is_not_a_scenario(tmp_path):
    result = invoke("run", str(tmp_path))
    assert result.exit_code == 2 and "directory" in result.output


def test_debug_shows_the_traceback():
    result = invoke("--debug", "run", PK, "--set", "site.pue=0")
    assert result.exit_code != 0 and isinstance(result.exception, ValueError)


def test_sweep_prints_and_writes_every_scenario(tmp_path):
    out = tmp_path / "sweep.nc"
    result = invoke(
        "sweep",
        PK,
        "--vary",
        "tariff.energy_price_per_kwh=15:35:3",
        "--vary",
        "market.btc_price_usd=40000,120000",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "npv_usd" in result.output and len(result.output.splitlines()) == 2 + 6
    import xarray as xr

    with xr.open_dataset(out) as ds:
        assert ds.npv_usd.shape == (3, 2)
        assert list(ds["tariff.energy_price_per_kwh"].values) == [15, 25, 35]
    again = invoke("sweep", PK, "--vary", "site.pue=1.05,1.1", "--out", str(out))
    assert again.exit_code == 2 and "--force" in again.output
    zipped = invoke(
        "sweep", PK, "--zip", "--vary", "site.pue=1.05,1.2", "--vary", "site.capacity_mw=1000,2000"
    )
    assert zipped.exit_code == 0 and "site.pue+site.capacity_mw" in zipped.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--vary", "site.pue"], "--vary: expected FIELD=START:STOP:NUM"),
        (["--vary", "site.pue=a,b"], "--vary site.pue: expected numbers"),
        (["--vary", "site.peu=1,2"], "did you mean site.pue"),
        (["--vary", "site.pue=0.5,1"], "site.pue: expected a number >= 1, got 0.5"),
    ],
)
def test_sweep_errors_are_one_line(args, message):
    result = invoke("sweep", PK, *args)
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output


def test_tornado_ranks_the_fields_by_swing():
    result = invoke(
        "tornado",
        PK,
        "--range",
        "site.pue=1.05:1.2",
        "--range",
        "tariff.energy_price_per_kwh=15:30",
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "npv_usd at base: -6.08 bn USD"
    assert lines[1].split() == [
        "field",
        "low",
        "high",
        "at",
        "low",
        "[bn",
        "USD]",
        "at",
        "high",
        "[bn",
        "USD]",
    ]
    assert lines[2].split()[:3] == ["tariff.energy_price_per_kwh", "15", "30"]
    assert lines[3].startswith("site.pue")
    assert "e+" not in result.output
    rows = json.loads(
        invoke("tornado", PK, "--range", "site.pue=1.05:1.2", "--format", "json").output
    )
    assert rows[0]["field"] == "site.pue" and rows[0]["low"] == 1.05
    bad = invoke("tornado", PK, "--range", "site.pue=1.05")
    assert bad.exit_code == 2 and "LOW:HIGH" in bad.output


def test_montecarlo_json_contract_and_seed():
    args = (
        "montecarlo",
        PK,
        "--paths",
        "300",
        "--seed",
        "3",
        "--set",
        "horizon_months=24",
        "--format",
        "json",
    )
    first, second = invoke(*args), invoke(*args)
    assert first.exit_code == 0, first.output
    summary = json.loads(first.output)
    assert summary == json.loads(second.output)
    for key in (
        "prob_npv_negative",
        "npv_usd_q10",
        "npv_usd_q50",
        "npv_usd_q90",
        "btc_total_q50",
        "price_model",
    ):
        assert key in summary
    # statistical quantiles: q10 <= q50 <= q90; the deprecated p-keys are the same numbers
    assert summary["npv_usd_q10"] <= summary["npv_usd_q50"] <= summary["npv_usd_q90"]
    for var in ("npv_usd", "btc_total"):
        for q in (10, 50, 90):
            assert summary[f"{var}_p{q}"] == summary[f"{var}_q{q}"]
    assert "stationary bootstrap" in summary["price_model"]
    assert "median price 0 %/yr" in summary["price_model"]


def test_sobol_command():
    result = invoke(
        "sobol",
        PK,
        "--range",
        "tariff.energy_price_per_kwh=15:30",
        "--range",
        "site.pue=1.05:1.2",
        "-n",
        "128",
        "--set",
        "horizon_months=12",
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "512 model runs" in lines[0] and lines[3].startswith("tariff.energy_price_per_kwh")
    assert invoke("sobol", PK, "--range", "site.pue=1.05:1.2", "-n", "100").exit_code == 2


def test_chunked_sweep_streams_to_zarr(tmp_path):
    import xarray as xr

    out = tmp_path / "grid.zarr"
    result = invoke(
        "sweep",
        PK,
        "--set",
        "horizon_months=12",
        "--vary",
        "tariff.energy_price_per_kwh=15:35:5",
        "--vary",
        "market.btc_price_usd=40000,120000",
        "--chunks",
        "2",
        "--out",
        str(out),
        "--variables",
        "npv_usd,fleet_btc",
    )
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "10 scenarios" in result.output
    with xr.open_zarr(out, consolidated=False) as ds:
        assert set(ds.data_vars) == {"npv_usd", "fleet_btc"}
        assert ds.npv_usd.shape == (5, 2)
    assert invoke("sweep", PK, "--vary", "site.pue=1.1,1.2", "--chunks", "1").exit_code == 2


def test_montecarlo_out_writes_the_paths_figures_and_bands(tmp_path):
    """--out writes a netCDF that opens again: every path's figures, the bands, and the path
    model in attributes (the response switch as 0 or 1: netCDF holds no booleans)."""
    import xarray as xr

    out = tmp_path / "mc.nc"
    args = ("montecarlo", PK, "--paths", "50", "--set", "horizon_months=12", "--out", str(out))
    result = invoke(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    with xr.open_dataset(out) as ds:
        assert ds.sizes["path"] == 50 and ds.npv_usd.dims == ("path",)
        assert ds.cumulative_cash_usd_band.dims == ("quantile", "time")
        assert ds.attrs["mc_response"] == 1 and ds.attrs["mc_paths"] == 50
        assert float(ds.prob_npv_negative) == json.loads(result.output)["prob_npv_negative"]


def test_montecarlo_table_names_p_figures_in_the_lenders_convention():
    args = ("montecarlo", PK, "--paths", "200", "--seed", "1", "--set", "horizon_months=24")
    text = invoke(*args).output
    summary = json.loads(invoke(*args, "--format", "json").output)
    lines = {line.split("(")[0].strip(): line for line in text.splitlines() if "(exceeded" in line}
    # P90 is exceeded in 90 % of paths: the 10th percentile, the conservative figure
    assert "P90 (exceeded in 90 % of paths)" in lines["P90"]
    assert "P10 (exceeded in 10 % of paths)" in lines["P10"]

    def npv(line):  # "-1.23 bn USD" -> USD
        number, unit = line.split(")")[1].split()[:2]
        return float(number.replace(",", "")) * {"bn": 1e9, "M": 1e6}[unit]

    assert npv(lines["P90"]) == pytest.approx(summary["npv_usd_q10"], rel=5e-3)
    assert npv(lines["P90"]) <= npv(lines["P10"])
    assert "median of the BTC price paths ends at" in text and "Model:" in text


@pytest.mark.parametrize(
    "name, texts",
    [
        (
            "el_salvador_lageo",
            ["0.119 EH/s", "0.0129 %", "3.2 M USD", "-4.03 M USD", "cash flow M USD"],
        ),
        ("texas_100mw", ["EH/s", "M USD"]),
        (
            "pk2000mw",
            ["104 EH/s", "10.1 %", "2.26 bn USD", "-6.08 bn USD", "38,696 BTC", "cash flow bn USD"],
        ),
    ],
)
def test_run_table_precision_fits_each_scenario(name, texts):
    result = invoke("run", name)
    assert result.exit_code == 0, result.output
    for text in texts:
        assert text in result.output
    for wrong in ("e+0", "e-0", " 0.0 %", " 0.1 EH/s", "nan"):
        assert wrong not in result.output


def test_examples_list_and_run_by_name_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    listing = invoke("examples")
    assert listing.exit_code == 0
    names = [line.split()[0] for line in listing.output.splitlines()]
    assert "pk2000mw" in names and "el_salvador_lageo" in names
    assert all(len(line.split(maxsplit=1)) == 2 for line in listing.output.splitlines())
    by_name = json.loads(invoke("run", "pk2000mw", "--format", "json").output)
    by_path = json.loads(invoke("run", PK, "--format", "json").output)
    assert by_name == by_path
    missing = invoke("run", "pk2000m")
    assert missing.exit_code == 2 and "did you mean pk2000mw" in missing.output


def test_a_file_wins_over_an_example_of_the_same_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("pk2000mw").write_text(
        Path(PK).read_text().replace("horizon_months: 60", "horizon_months: 12")
    )
    assert json.loads(invoke("run", "pk2000mw", "--format", "json").output)["horizon_months"] == 12


def test_init_from_an_example_copies_it_with_the_schema_line(tmp_path):
    path = tmp_path / "mine.yaml"
    result = invoke("init", "--from", "pk2000mw_reserve", str(path))
    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=minecalc.schema.json\n")
    schema = json.loads((tmp_path / "minecalc.schema.json").read_text())
    assert "site" in schema["properties"]
    # its extends: pk2000mw.yaml is found among the examples, since no such file is beside it
    ran = json.loads(invoke("run", str(path), "--format", "json").output)
    assert ran["name"] == "Pakistan 2,000 MW, Strategic Bitcoin Reserve"
    assert invoke("init", "--from", "nosuch", str(tmp_path / "x.yaml")).exit_code == 2


def test_schema_json_is_a_json_schema_that_checks_scenarios():
    schema = json.loads(invoke("schema", "--format", "json").output)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert {"name", "network", "site", "tariff"} <= schema["properties"].keys()


def test_irr_reason_is_a_word_in_json(summary):
    assert summary["irr_reason"] == "no_sign_change"
    texas = json.loads(invoke("run", "texas_100mw", "--format", "json").output)
    assert texas["irr_reason"] in ("ok", "no_sign_change", "no_root", "several_roots")


def test_variables_without_chunks_keeps_only_those(tmp_path):
    import xarray as xr

    out = tmp_path / "s.nc"
    result = invoke(
        "sweep",
        PK,
        "--vary",
        "site.pue=1.05,1.1",
        "--out",
        str(out),
        "--variables",
        "npv_usd,fleet_btc",
    )
    assert result.exit_code == 0, result.output
    with xr.open_dataset(out) as ds:
        assert set(ds.data_vars) == {"npv_usd", "fleet_btc"}
    unknown = invoke(
        "sweep",
        PK,
        "--vary",
        "site.pue=1.05,1.1",
        "--out",
        str(tmp_path / "t.nc"),
        "--variables",
        "npv",
    )
    assert unknown.exit_code == 2 and "--variables" in unknown.output
    nowhere = invoke("sweep", PK, "--vary", "site.pue=1.05,1.1", "--variables", "npv_usd")
    assert nowhere.exit_code == 2 and "--out" in nowhere.output


def test_sweep_tables_have_no_scientific_notation():
    result = invoke("sweep", PK, "--vary", "tariff.energy_price_per_kwh=15:35:3")
    assert result.exit_code == 0
    assert "e+" not in result.output and "npv_usd [bn USD]" in result.output
    rows = json.loads(invoke("sweep", PK, "--vary", "site.pue=1.05,1.1", "--format", "json").output)
    assert len(rows) == 2 and rows[0]["site.pue"] == 1.05
    assert rows[0]["irr_reason"] == "no_sign_change"
    lines = invoke(
        "sweep", PK, "--vary", "market.btc_price_usd=60000,250000", "--format", "csv"
    ).output.splitlines()
    reasons = [row["irr_reason"] for row in csv.DictReader(lines)]
    assert reasons == ["no_sign_change", "several_roots"]


def test_an_internal_error_is_exit_1_with_a_pointer_to_debug(monkeypatch):
    import minecalc.model

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(minecalc.model, "run", broken)
    result = invoke("run", PK)
    assert result.exit_code == 1
    assert "internal error" in result.output and "--debug" in result.output
    assert "Traceback" not in result.output
    with pytest.raises(ZeroDivisionError):
        CliRunner().invoke(main, ["--debug", "run", PK], catch_exceptions=False)


@pytest.mark.parametrize(
    "module, args",
    [
        ("zarr", ["--chunks", "2", "--out", "grid.zarr"]),
        ("dask", ["--chunks", "2", "--out", "grid.nc"]),
        ("distributed", ["--chunks", "2", "--out", "grid.nc", "--scheduler", "tcp://127.0.0.1:1"]),
    ],
)
def test_a_missing_extra_is_one_line_naming_it(tmp_path, monkeypatch, module, args):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    result = invoke("sweep", PK, "--vary", "site.pue=1.05,1.1", *args)
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and "minecalc[scale]" in result.output
    assert not any(tmp_path.iterdir())


def test_an_unknown_scheduler_is_refused():
    result = invoke(
        "sweep",
        PK,
        "--vary",
        "site.pue=1.05,1.1",
        "--chunks",
        "1",
        "--out",
        "x.nc",
        "--scheduler",
        "gpu",
    )
    assert result.exit_code == 2 and "--scheduler" in result.output


def test_variables_lists_the_registry_and_the_readme_shows_it():
    from minecalc.model import variables

    rows = json.loads(invoke("variables", "--format", "json").output)
    assert [r["name"] for r in rows] == list(variables.VARIABLES)
    markdown = invoke("variables", "--format", "markdown").output
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert markdown.strip() in readme  # regenerate: minecalc variables --format markdown


def test_a_value_error_inside_minecalc_is_a_bug_not_bad_input(monkeypatch):
    import minecalc.model

    def broken(*args, **kwargs):
        raise ValueError("operands could not be broadcast together")

    monkeypatch.setattr(minecalc.model, "run", broken)
    result = invoke("run", PK)
    assert result.exit_code == 1 and result.output.startswith("internal error")


def test_library_errors_name_parameters_and_the_cli_names_its_options(tmp_path):
    from minecalc.errors import OutputExistsError
    from minecalc.output import write_files

    (tmp_path / "a.txt").write_text("mine")
    with pytest.raises(OutputExistsError) as err:
        write_files(tmp_path, {"a.txt": lambda tmp: tmp.write_text("new")})
    assert "--" not in str(err.value) and "force=True" in str(err.value)
    assert (tmp_path / "a.txt").read_text() == "mine"
    result = invoke("run", PK, "--out", str(tmp_path), "--format", "json")
    assert result.exit_code == 0  # a.txt is not one of the run's files
    again = invoke("run", PK, "--out", str(tmp_path))
    assert again.exit_code == 2
    assert again.output.startswith(f"error: --out: expected no existing results in {tmp_path}")
    assert "use --force" in again.output


def test_the_readme_shows_what_the_first_command_prints():
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    shown = readme.split("What the first prints:\n\n```\n", 1)[1].split("```\n", 1)[0]
    assert invoke("run", "pk2000mw").output == shown  # regenerate: minecalc run pk2000mw


def test_the_json_and_the_files_say_which_history_the_run_read(summary, tmp_path):
    tables = {entry["table"]: entry for entry in summary["data"]}
    assert set(tables) == {"difficulty_epochs.csv", "btc_price_monthly.csv", "fees_monthly.csv"}
    epochs = tables["difficulty_epochs.csv"]
    assert epochs["source"] == "packaged" and epochs["newest"] == "epoch 965,664"
    assert epochs["age_days"] >= 0
    result = invoke("run", PK, "--out", str(tmp_path / "r"))
    assert result.exit_code == 0, result.output
    import xarray as xr

    with xr.open_dataset(tmp_path / "r" / "results.nc") as ds:
        assert ds.attrs["data"].startswith("data: packaged history to 2026-09")
