"""Hostile input on the command line: numeric options, sizes, strict JSON, clean text."""

import json
import time

import pytest
import xarray as xr
from click.testing import CliRunner

from minecalc import examples
from minecalc.cli import main
from minecalc.formatting import clean, finite_or_none, strict_json
from minecalc.results import summary_dict, summary_text


def invoke(*args):
    return CliRunner().invoke(main, list(args))


def strict(text):
    def refuse(token):
        raise ValueError(f"non-finite JSON token {token}")

    return json.loads(text, parse_constant=refuse)


MC = ("montecarlo", "pk2000mw", "--paths", "2")
NUMERIC = [
    (*MC, "--median-growth"),
    (*MC, "--volatility"),
    (*MC, "--block-months"),
    (*MC, "--network-volatility"),
    (*MC, "--fees-sigma"),
    (*MC, "--correlation"),
    (*MC, "--seed"),
    (*MC, "--chunks"),
    ("montecarlo", "pk2000mw", "--paths"),
    ("sobol", "pk2000mw", "--range", "site.pue=1.05:1.2", "-n"),
    ("sobol", "pk2000mw", "--range", "site.pue=1.05:1.2", "--seed"),
    ("sweep", "pk2000mw", "--vary", "site.pue=1.1,1.2", "--chunks"),
    ("sweep", "pk2000mw", "--vary", "site.pue=1.1,1.2", "--max-memory"),
    ("report", "pk2000mw", "--out", "r", "--paths"),
    ("backtest", "--paths"),
    ("backtest", "--seed"),
]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e20"])
@pytest.mark.parametrize("args", NUMERIC, ids=lambda a: f"{a[0]}{a[-1]}")
def test_every_numeric_option_refuses_non_finite_and_huge(args, value):
    result = invoke(*args, value)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {args[-1]}:"), result.output


@pytest.mark.parametrize(
    "spec",
    ["site.capacity_mw=1:2:0", "site.capacity_mw=1:nan:3", "site.capacity_mw=1,inf", "x=1:2:1e20"],
)
def test_vary_refuses_empty_and_non_finite(spec):
    result = invoke("sweep", "pk2000mw", "--vary", spec)
    assert result.exit_code == 2
    assert "--vary" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("spec", ["site.pue=1.2:1.05", "site.pue=nan:1.2", "site.pue=1:inf"])
def test_range_refuses_empty_and_non_finite(spec):
    result = invoke("tornado", "pk2000mw", "--range", spec)
    assert result.exit_code == 2 and "--range site.pue" in result.output


def test_huge_sweep_is_refused_at_once():
    start = time.perf_counter()
    result = invoke(
        "sweep",
        "pk2000mw",
        "--vary",
        "site.capacity_mw=1:2:100000",
        "--vary",
        "site.pue=1:2:100000",
    )
    assert result.exit_code == 2 and "--chunks" in result.output, result.output
    assert time.perf_counter() - start < 20


def test_huge_chunked_sweep_is_capped(tmp_path):
    args = ["sweep", "pk2000mw", "--out", str(tmp_path / "s.zarr"), "--chunks", "10"]
    for field in ("site.capacity_mw", "site.pue"):
        args += ["--vary", f"{field}=1:2:1000000"]
    result = invoke(*args)
    assert result.exit_code == 2 and "1,000,000,000" in result.output


def test_many_paths_need_more_memory():
    """10^7 paths keep 10^7 paths' figures (about 6 GB): refused at once under the default
    limit, with what it would take."""
    result = invoke("montecarlo", "pk2000mw", "--paths", "10000000")
    assert result.exit_code == 2
    assert result.output.startswith("error: --paths:") and "use fewer --paths" in result.output
    assert "10,000,000 paths x 60 months" in result.output


def test_large_sobol_is_refused():
    result = invoke("sobol", "pk2000mw", "--range", "site.pue=1:1.2", "-n", str(2**20))
    assert result.exit_code == 2 and result.output.startswith("error: -n:")


def test_strict_json_carries_null_for_undefined():
    result = invoke("run", "pk2000mw", "--format", "json")
    assert result.exit_code == 0
    summary = strict(result.output)
    assert summary["irr"] is None and summary["payback_months"] is None


def test_summary_dict_is_finite_or_none():
    from minecalc.config import load_config
    from minecalc.model import run

    ds = run(load_config("pk2000mw", []))
    ds["npv_usd"] = ds.npv_usd * float("nan")
    summary = summary_dict(ds)
    assert summary["npv_usd"] is None
    strict(json.dumps(summary, allow_nan=False))


@pytest.mark.parametrize(
    "args",
    [
        ("examples", "--format", "json"),
        ("variables", "--format", "json"),
        ("schema", "--format", "json"),
        ("validate", "pk2000mw", "--format", "json"),
        ("sweep", "pk2000mw", "--vary", "site.pue=1.1,1.2", "--format", "json"),
        ("tornado", "pk2000mw", "--range", "site.pue=1.05:1.2", "--format", "json"),
        ("montecarlo", "pk2000mw", "--paths", "20", "--format", "json"),
    ],
    ids=lambda a: a[0],
)
def test_every_json_output_is_strict(args):
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    strict(result.output)


def test_strict_json_helpers():
    assert finite_or_none({"a": [float("nan"), 1.5], "b": float("-inf")}) == {
        "a": [None, 1.5],
        "b": None,
    }
    assert strict_json({"x": float("inf")}, None) == '{"x": null}'


BROKEN = [
    ("pk2000mw", ()),
    ("pk2000mw", ("costs.hardware_usd_per_th=null",)),
    ("pk2000mw", ('fleet.machines=[{model: "Whatsminer M63S", share: 1}]',)),
    (
        "pk2000mw",
        ('fleet.machines=[{model: "Whatsminer M63S", share: 1}]', "costs.hardware_usd_per_th=null"),
    ),
    ("pk2000mw", ('fleet.refresh={model: "Whatsminer M63S"}',)),
    ("pk2000mw", ("site.pue=0.5",)),
    ("pk2000mw", ("fleet.refresh={model: S19}",)),
    ("pk2000mw", ("fleet.refresh={model: S21}",)),
]


@pytest.mark.parametrize("config, overrides", [(n, ()) for n in examples.names()] + BROKEN, ids=str)
def test_validate_accepts_exactly_what_run_accepts(config, overrides):
    sets = [a for o in overrides for a in ("--set", o)]
    validated = invoke("validate", config, *sets)
    ran = invoke("run", config, *sets, "--format", "json")
    assert validated.exit_code == ran.exit_code, (validated.output, ran.output)


def test_clean_escapes_control_characters():
    assert clean("a\x1b]0;pwned\x07b") == "a\\x1b]0;pwned\\x07b"
    assert clean("c1\x9b tab\t nl\n") == "c1\\x9b tab\\x09 nl\\x0a"
    assert clean("x\ny", keep="\n") == "x\ny"
    assert clean("Pakistan 2,000 MW – ünïcode") == "Pakistan 2,000 MW – ünïcode"


def test_a_hostile_title_is_escaped_in_the_summary_text():
    from minecalc.config import load_config
    from minecalc.model import run

    ds: xr.Dataset = run(load_config("pk2000mw", []))
    ds.attrs["title"] = "Plant\x1b]0;pwned\x07"
    text = summary_text(summary_dict(ds), ds)
    assert "\x1b" not in text and "\x07" not in text
    assert text.startswith("Plant\\x1b]0;pwned\\x07 - 60 months")


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("--window-start", "2026-05"), "window: expected at least 12 monthly moves"),
        (("--window-start", "July 2016"), "window: expected months as YYYY-MM"),
        (("--network", "lognormal"), "network: expected none with price joint"),
    ],
)
def test_path_model_options_that_do_not_fit_get_one_line(args, field):
    result = invoke(*MC, *args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and field in lines[0] and "Traceback" not in result.output
