"""Tests for minecalc.config: schema, YAML 1.2 loading, overrides, extends, error lines."""

import copy
import datetime as dt
import json
import pickle
import re

import pytest
from pydantic import ValidationError

from minecalc.config import (
    UNITS,
    ConfigError,
    Fleet,
    HashrateGrowth,
    Market,
    Network,
    PathPoint,
    Scenario,
    Site,
    config_from_dict,
    field_attrs,
    field_metadata,
    load_config,
    schema_rows,
)

MINIMAL = """\
name: Pakistan 2,000 MW
start_date: 2026-09-05
horizon_months: 60
network:
  height: 965664
  difficulty: 127.45e12
  hashrate_growth:
    per_epoch: 0.0126
site:
  capacity_mw: 2000
fleet:
  efficiency_j_per_th: 17.5
market:
  btc_price_usd: 90000
tariff:
  energy_price_per_kwh: 0.08
"""

BASE = {
    "name": "test",
    "start_date": "2026-09-05",
    "horizon_months": 60,
    "network": {
        "height": 965664,
        "difficulty": 1.2745e14,
        "hashrate_growth": {"per_epoch": 0.0126},
    },
    "site": {"capacity_mw": 2000},
    "fleet": {"efficiency_j_per_th": 17.5},
    "market": {"btc_price_usd": 90000},
    "tariff": {"energy_price_per_kwh": 0.08},
}


def write(tmp_path, text, name="scenario.yaml"):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def changed(dotted, value):
    """A deep copy of BASE with the key at ``dotted`` set (or deleted if value is ...)."""
    data = copy.deepcopy(BASE)
    *parents, last = dotted.split(".")
    node = data
    for key in parents:
        node = node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return data


def problems(data, overrides=()):
    with pytest.raises(ConfigError) as info:
        config_from_dict(data, overrides)
    return info.value.problems


def file_problem(path):
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert len(info.value.problems) == 1
    return info.value.problems[0]


# --------------------------------------------------------------------------- valid input


def test_minimal_scenario_loads_with_defaults(tmp_path):
    s = load_config(str(write(tmp_path, MINIMAL)))
    assert s.name == "Pakistan 2,000 MW"
    assert s.description == ""
    assert s.start_date == dt.date(2026, 9, 5)
    assert s.horizon_months == 60
    assert s.network.height == 965664
    assert s.network.epoch_start_date is None
    assert s.network.hashrate_eh_s is None
    assert s.network.fees_btc_per_block == 0.03
    assert s.network.include_fleet_in_network is True
    assert s.network.hashrate_growth.kind == "per_epoch"
    assert s.network.hashrate_growth.per_epoch == 0.0126
    assert (s.site.capacity_mw, s.site.mining_share, s.site.pue) == (2000, 1.0, 1.10)
    assert s.fleet.efficiency_j_per_th == 17.5
    assert s.market.btc_price_usd == 90000


def test_yaml_1_2_numbers_and_strings(tmp_path):
    text = MINIMAL.replace("capacity_mw: 2000", "capacity_mw: 1e3").replace(
        "name: Pakistan 2,000 MW", "name: no"
    )
    s = load_config(write(tmp_path, text))
    assert isinstance(s.network.difficulty, float)
    assert s.network.difficulty == 127.45e12
    assert s.site.capacity_mw == 1000.0
    assert s.name == "no"  # YAML 1.1 would have made this False


def test_numeric_name_becomes_a_string():
    assert config_from_dict({**BASE, "name": 2026}).name == "2026"


@pytest.mark.parametrize(
    "model", [Scenario, Network, HashrateGrowth, PathPoint, Site, Fleet, Market]
)
def test_models_forbid_extra_and_are_frozen(model):
    assert model.model_config["extra"] == "forbid"
    assert model.model_config["frozen"]
    for name, field in model.model_fields.items():
        assert field.description, name


NUMERIC = [r for r in schema_rows() if re.search(r"\b(number|integer)\b", r["type"])]


def test_every_numeric_field_has_units_from_the_vocabulary_and_a_label():
    assert len(NUMERIC) >= 40
    for row in NUMERIC:
        meta = field_metadata(row["field"])
        assert meta is not None, row["field"]
        assert meta["units"] in UNITS and meta["units"] == row["units"], row["field"]
        assert meta["label"] and "_" not in meta["label"], row["field"]  # words, not keys
        assert meta.get("display_units", "%") == "%", row["field"]
    others = [r for r in schema_rows() if r not in NUMERIC]
    assert others and all(r["units"] == "" and field_metadata(r["field"]) is None for r in others)


def test_descriptions_state_the_same_units_as_the_data():
    for row in schema_rows():
        text = row["description"]
        assert "[-]" not in text and "[fraction]" not in text, row["field"]  # old vocabulary
        if row in NUMERIC:
            units = row["units"].replace("{currency}", "currency")
            assert text.endswith(f" [{units}]."), (row["field"], text)


def test_unit_vocabulary_is_that_of_the_outputs():
    assert {
        "1",
        "1/year",
        "MW",
        "USD",
        "USD/MW",
        "USD/(TH/s)",
        "J/TH",
        "EH/s",
        "BTC/block",
        "{currency}/kWh",
        "{currency}/USD",
        "months",
        "years",
        "blocks",
    } <= UNITS
    assert not {"-", "fraction", "USD per TH/s", "currency/kWh"} & UNITS
    fractions = [r["field"] for r in NUMERIC if r["units"] == "1"]
    assert "site.pue" in fractions and "costs.pool_fee" in fractions


def test_field_attrs_by_hand():
    assert field_attrs("tariff.energy_price_per_kwh", "PKR") == {
        "units": "PKR/kWh",
        "long_name": "Energy price in the tariff currency",
    }
    assert field_attrs("tariff.usd_fx_rate", "PKR")["units"] == "PKR/USD"
    assert field_attrs("tariff.energy_price_per_kwh")["units"] == "currency/kWh"
    assert field_attrs("site.pue") == {"units": "1", "long_name": "Power usage effectiveness (PUE)"}
    assert field_attrs("site.capacity_mw") == {"units": "MW", "long_name": "Grid capacity"}
    assert field_attrs("network.hashrate_growth.per_year")["units"] == "1/year"
    assert field_attrs("finance.discount_rate")["units"] == "1/year"
    assert field_attrs("costs.hardware_usd_per_th")["units"] == "USD/(TH/s)"
    assert field_attrs("network.fees_btc_per_block")["units"] == "BTC/block"
    assert field_attrs("network.hashrate_growth.path.hashrate_eh_s")["units"] == "EH/s"
    assert field_attrs("horizon_months")["units"] == "months"
    # not a number, or no field at all: the path as name, no units
    assert field_attrs("network.hashrate_growth") == {"long_name": "network.hashrate_growth"}
    assert field_attrs("site.capacty_mw") == {"long_name": "site.capacty_mw"}
    assert field_attrs("site.pue.x") == {"long_name": "site.pue.x"}


def test_schema_rows_carry_units():
    rows = {r["field"]: r for r in schema_rows()}
    assert rows["site.capacity_mw"]["units"] == "MW"
    assert rows["site.availability_by_month"]["units"] == "1"
    assert rows["tariff.energy_price_per_kwh"]["units"] == "{currency}/kWh"
    assert rows["name"]["units"] == "" and rows["site.ramp"]["units"] == ""


def test_json_schema_carries_units_and_labels():
    schema = Scenario.model_json_schema()
    defs = schema["$defs"]
    assert schema["properties"]["horizon_months"]["units"] == "months"
    pue = defs["Site"]["properties"]["pue"]
    assert (pue["units"], pue["label"]) == ("1", "Power usage effectiveness (PUE)")
    assert defs["Site"]["properties"]["mining_share"]["display_units"] == "%"
    assert defs["Tariff"]["properties"]["energy_price_per_kwh"]["units"] == "{currency}/kWh"
    assert defs["Costs"]["properties"]["hardware_usd_per_th"]["units"] == "USD/(TH/s)"
    assert "units" not in defs["Site"]["properties"]["ramp"]
    # every numeric field's property carries them
    for row in NUMERIC:
        *models, name = row["field"].split(".")
        props = schema["properties"]
        for key in [m for m in models if m != "<name>"]:  # a mapping's entries: its values
            ref = json.dumps(props[key])
            props = defs[re.search(r"#/\$defs/(\w+)", ref)[1]]["properties"]
        assert props[name]["units"] == row["units"], row["field"]


def test_frozen():
    s = config_from_dict(BASE)
    with pytest.raises(ValidationError):
        s.site.capacity_mw = 1
    with pytest.raises(ValidationError):
        s.name = "other"


def test_to_dict_is_json_and_round_trips():
    data = changed(
        "network.hashrate_growth",
        {
            "path": [
                {"date": "2027-01-01", "hashrate_eh_s": 1100},
                {"date": "2028-01-01", "hashrate_eh_s": 1300},
            ]
        },
    )
    data["network"]["epoch_start_date"] = dt.date(2026, 8, 20)
    s = config_from_dict(data)
    d = s.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["start_date"] == "2026-09-05"
    assert d["network"]["epoch_start_date"] == "2026-08-20T00:00:00Z"
    assert d["network"]["hashrate_growth"] == {
        "path": [
            {"date": "2027-01-01", "hashrate_eh_s": 1100.0},
            {"date": "2028-01-01", "hashrate_eh_s": 1300.0},
        ]
    }
    assert config_from_dict(d) == s


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(2026, 8, 20), dt.datetime(2026, 8, 20, tzinfo=dt.timezone.utc)),
        ("2026-08-20T12:30:00", dt.datetime(2026, 8, 20, 12, 30, tzinfo=dt.timezone.utc)),
        ("2026-09-05T01:00:00+02:00", dt.datetime(2026, 9, 4, 23, tzinfo=dt.timezone.utc)),
        ("2026-09-05", dt.datetime(2026, 9, 5, tzinfo=dt.timezone.utc)),
    ],
)
def test_epoch_start_date_is_utc(value, expected):
    s = config_from_dict(changed("network.epoch_start_date", value))
    assert s.network.epoch_start_date == expected


@pytest.mark.parametrize(
    ("growth", "kind"),
    [
        ({"per_epoch": 0.01}, "per_epoch"),
        ({"per_month": 0.02}, "per_month"),
        ({"per_year": -0.5}, "per_year"),
        ({"path": [{"date": "2027-01-01", "hashrate_eh_s": 1100}]}, "path"),
        ({"trend_epochs": 26}, "trend_epochs"),
    ],
)
def test_growth_kinds(growth, kind):
    s = config_from_dict(changed("network.hashrate_growth", growth))
    assert s.network.hashrate_growth.kind == kind
    assert isinstance(s.network.hashrate_growth, HashrateGrowth)


# --------------------------------------------------------------------------- validation errors


@pytest.mark.parametrize(
    ("dotted", "value", "line"),
    [
        ("site.capacity_mw", -5, "site.capacity_mw: expected a number > 0, got -5"),
        ("site.mining_share", 0, "site.mining_share: expected a number >= 0.001, got 0"),
        ("site.mining_share", 1.5, "site.mining_share: expected a number <= 1, got 1.5"),
        ("site.pue", 0.9, "site.pue: expected a number >= 1, got 0.9"),
        ("horizon_months", 601, "horizon_months: expected a number <= 600, got 601"),
        ("horizon_months", 1.5, "horizon_months: expected an integer, got 1.5"),
        ("network.height", -1, "network.height: expected a number >= 0, got -1"),
        ("network.difficulty", "lots", "network.difficulty: expected a number, got 'lots'"),
        ("network.difficulty", None, "network.difficulty: expected a number, got null"),
        ("network.hashrate_eh_s", 0, "network.hashrate_eh_s: expected a number >= 1e-06, got 0"),
        (
            "network.fees_btc_per_block",
            -0.1,
            "network.fees_btc_per_block: expected a number >= 0, got -0.1",
        ),
        (
            "network.include_fleet_in_network",
            "maybe",
            "network.include_fleet_in_network: expected true or false, got 'maybe'",
        ),
        (
            "network.hashrate_growth",
            {"per_year": -1},
            "network.hashrate_growth.per_year: expected a number >= -0.9, got -1",
        ),
        (
            "network.hashrate_growth",
            {"trend_epochs": 1},
            "network.hashrate_growth.trend_epochs: expected a number >= 2, got 1",
        ),
        (
            "network.hashrate_growth",
            {"path": []},
            "network.hashrate_growth.path: expected at least one point, got []",
        ),
        (
            "network.hashrate_growth",
            {"path": [{"date": "2027-01-01", "hashrate_eh_s": -1}]},
            "network.hashrate_growth.path[0].hashrate_eh_s: expected a number >= 1e-06, got -1",
        ),
        (
            "network.hashrate_growth",
            {
                "path": [
                    {"date": "2027-01-01", "hashrate_eh_s": 1100},
                    {"date": "2027-01-01", "hashrate_eh_s": 1200},
                ]
            },
            "network.hashrate_growth.path[1].date: expected a date after 2027-01-01, "
            "got 2027-01-01",
        ),
        (
            "start_date",
            "2026-13-01",
            "start_date: expected a date (YYYY-MM-DD) or latest, got '2026-13-01'",
        ),
        (
            "network.epoch_start_date",
            "2026-09-06",
            "network.epoch_start_date: expected a date on or before start_date 2026-09-05, "
            "got 2026-09-06T00:00:00+00:00",
        ),
        ("name", "", "name: expected a string of at least 1 character(s), got ''"),
        ("site", 5, "site: expected a mapping, got 5"),
        ("network.height", ..., "network.height: required field missing"),
        ("market", ..., "market: required field missing"),
    ],
)
def test_invalid_value_gives_one_line(dotted, value, line):
    assert problems(changed(dotted, value)) == [line]


@pytest.mark.parametrize("text", [".nan", ".inf", "-.inf", ".NaN"])
def test_nan_and_inf_rejected(tmp_path, text):
    path = write(tmp_path, MINIMAL.replace("capacity_mw: 2000", f"capacity_mw: {text}"))
    got = {".nan": "nan", ".NaN": "nan", ".inf": "inf", "-.inf": "-inf"}[text]
    assert file_problem(path) == f"site.capacity_mw: expected a finite number, got {got}"


def test_unknown_key_suggests_the_nearest_name():
    data = changed("site.capacty_mw", 2000)
    del data["site"]["capacity_mw"]
    assert problems(data) == [
        "site.capacity_mw: required field missing",
        "site.capacty_mw: unknown key; did you mean 'capacity_mw'?",
    ]


def test_unknown_key_without_a_near_name_lists_the_allowed_ones():
    (line,) = problems(changed("site.zzz", 1))
    assert line == (
        "site.zzz: unknown key; expected one of capacity_mw, mining_share, pue, "
        "uptime, availability_by_month, ramp"
    )


def test_unknown_key_inside_a_list_item():
    growth = {"path": [{"date": "2027-01-01", "hashrate_eh_s": 1, "hashrate_th_s": 1}]}
    assert problems(changed("network.hashrate_growth", growth)) == [
        "network.hashrate_growth.path[0].hashrate_th_s: unknown key; did you mean 'hashrate_eh_s'?"
    ]


@pytest.mark.parametrize(
    ("growth", "got"),
    [({"per_epoch": 0.01, "per_year": 0.2}, "per_epoch, per_year"), ({}, "none")],
)
def test_growth_needs_exactly_one_key(growth, got):
    assert problems(changed("network.hashrate_growth", growth)) == [
        "network.hashrate_growth: expected exactly one of per_epoch, per_month, per_year, "
        f"path, trend_epochs, got {got}"
    ]


def test_all_problems_reported_at_once():
    data = changed("site.capacity_mw", -1)
    data["market"]["btc_price_usd"] = float("nan")
    data["fleet"]["efficency_j_per_th"] = 1
    lines = problems(data)
    assert len(lines) == 3
    assert [line.split(":")[0] for line in lines] == [
        "site.capacity_mw",
        "fleet.efficency_j_per_th",
        "market.btc_price_usd",
    ]


def test_config_error_is_a_value_error_that_pickles():
    err = ConfigError(["a: expected x, got y", "b: expected z, got w"])
    assert isinstance(err, ValueError)
    assert str(err) == "a: expected x, got y\nb: expected z, got w"
    assert pickle.loads(pickle.dumps(err)).problems == err.problems


def test_top_level_not_a_mapping_in_dict():
    assert problems([1, 2]) == ["(top level): expected a mapping, got [1, 2]"]


# --------------------------------------------------------------------------- file errors


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    assert file_problem(path) == f"{path}: file not found"


def test_directory(tmp_path):
    assert file_problem(tmp_path) == f"{tmp_path}: expected a YAML file, got a directory"


@pytest.mark.parametrize("text", ["", "# nothing here\n", "---\n"])
def test_empty_file(tmp_path, text):
    path = write(tmp_path, text)
    assert file_problem(path) == f"{path}: expected a mapping of settings, got an empty file"


def test_yaml_syntax_error_has_line_and_column(tmp_path):
    path = write(tmp_path, "name: x\nsite:\n  capacity_mw: 1\n pue: 2\n")
    line = file_problem(path)
    assert line.startswith(f"{path}: invalid YAML at line 4, column 2: ")


def test_duplicate_key_is_a_yaml_error(tmp_path):
    path = write(tmp_path, "name: a\nname: b\n")
    assert file_problem(path).startswith(f"{path}: invalid YAML at line 2, column 1: ")


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: x\ndescription: Caf\u00e9\n".encode("latin-1"))
    assert file_problem(path) == f"{path}: expected UTF-8 text, got byte 0xe9 on line 2"


def test_top_level_not_a_mapping_in_file(tmp_path):
    path = write(tmp_path, "- 1\n- 2\n")
    assert file_problem(path) == f"{path}: expected a mapping at the top level, got a list"


def test_validation_errors_from_a_file(tmp_path):
    path = write(tmp_path, MINIMAL.replace("capacity_mw: 2000", "capacity_mw: 0"))
    assert file_problem(path) == "site.capacity_mw: expected a number > 0, got 0"


# --------------------------------------------------------------------------- overrides


def test_numeric_and_nested_overrides(tmp_path):
    s = load_config(
        write(tmp_path, MINIMAL),
        ["site.capacity_mw=2500", "network.include_fleet_in_network=false", "site.pue = 1.2"],
    )
    assert s.site.capacity_mw == 2500.0
    assert s.site.pue == 1.2
    assert s.network.include_fleet_in_network is False


def test_override_values_are_yaml_1_2():
    s = config_from_dict(
        BASE, ["name=no", "network.difficulty=1e14", "start_date=2026-10-01", "description=''"]
    )
    assert s.name == "no"
    assert s.network.difficulty == 1e14
    assert s.start_date == dt.date(2026, 10, 1)
    assert s.description == ""


def test_override_mapping_merges_into_a_section():
    s = config_from_dict(BASE, ["site={pue: 1.3, mining_share: 0.5}"])
    assert (s.site.capacity_mw, s.site.pue, s.site.mining_share) == (2000, 1.3, 0.5)


@pytest.mark.parametrize(
    "override",
    ["network.hashrate_growth.per_year=0.3", "network.hashrate_growth={per_year: 0.3}"],
)
def test_override_switches_growth_kind(override):
    s = config_from_dict(BASE, [override])
    assert s.network.hashrate_growth.kind == "per_year"
    assert s.network.hashrate_growth.per_year == 0.3
    assert s.network.hashrate_growth.per_epoch is None


def test_override_growth_path_as_flow_list():
    s = config_from_dict(
        BASE, ["network.hashrate_growth.path=[{date: 2027-01-01, hashrate_eh_s: 1100}]"]
    )
    assert s.network.hashrate_growth.path[0].date == dt.date(2027, 1, 1)


def test_later_override_wins_and_input_is_not_modified():
    data = copy.deepcopy(BASE)
    s = config_from_dict(data, ["site.capacity_mw=1", "site.capacity_mw=3"])
    assert s.site.capacity_mw == 3
    assert data == BASE


def test_override_is_validated_like_the_file():
    assert problems(BASE, ["site.pue=5"]) == ["site.pue: expected a number <= 3, got 5"]


@pytest.mark.parametrize(
    ("override", "line"),
    [
        ("site.capacity_mw", "override: expected 'key.path=value', got 'site.capacity_mw'"),
        ("=3", "override: expected 'key.path=value', got '=3'"),
        (
            "site.capacty_mw=3",
            "site.capacty_mw: unknown key; did you mean 'capacity_mw'? "
            "(override 'site.capacty_mw=3')",
        ),
        (
            "network.hashrate_growth.per_yr=0.3",
            "network.hashrate_growth.per_yr: unknown key; did you mean 'per_year'? "
            "(override 'network.hashrate_growth.per_yr=0.3')",
        ),
        (
            "site.pue.max=3",
            "site.pue.max: unknown key; 'site.pue' has no sub-keys (override 'site.pue.max=3')",
        ),
    ],
)
def test_bad_override(override, line):
    assert problems(BASE, [override]) == [line]


def test_override_with_invalid_yaml_value():
    (line,) = problems(BASE, ["network.hashrate_growth={per_year: 0.3"])
    assert line.startswith("network.hashrate_growth: invalid YAML at line 1, column ")
    assert line.endswith("(override 'network.hashrate_growth={per_year: 0.3')")


def test_all_bad_overrides_reported_at_once():
    assert len(problems(BASE, ["a=1", "b", "site.x=2"])) == 3


# --------------------------------------------------------------------------- extends


def test_extends_deep_merges_the_base(tmp_path):
    write(tmp_path, MINIMAL.replace("market:", "description: base\nmarket:"), "sub/base.yaml")
    path = write(
        tmp_path,
        "extends: base.yaml\nname: child\nsite:\n  pue: 1.2\n"
        "network:\n  hashrate_growth:\n    per_year: 0.3\n",
        "sub/child.yaml",
    )
    s = load_config(path, ["market.btc_price_usd=100000"])
    assert s.name == "child"
    assert s.description == "base"
    assert (s.site.capacity_mw, s.site.pue) == (2000, 1.2)
    assert s.network.difficulty == 127.45e12
    assert s.network.hashrate_growth.kind == "per_year"  # one-of replaced, not merged
    assert s.market.btc_price_usd == 100000


def test_extends_chain(tmp_path):
    write(tmp_path, MINIMAL, "a.yaml")
    write(tmp_path, "extends: a.yaml\nhorizon_months: 12\n", "b.yaml")
    s = load_config(write(tmp_path, "extends: b.yaml\nname: c\n", "c.yaml"))
    assert (s.name, s.horizon_months, s.site.capacity_mw) == ("c", 12, 2000)


def test_extends_loop_names_the_chain(tmp_path):
    a = write(tmp_path, "extends: b.yaml\n", "a.yaml")
    b = write(tmp_path, "extends: a.yaml\n", "b.yaml")
    assert file_problem(a) == f"extends: expected no loop, got {a} -> {b} -> {a}"


def test_extends_missing_base(tmp_path):
    path = write(tmp_path, "extends: gone.yaml\n")
    assert file_problem(path) == f"{tmp_path / 'gone.yaml'}: file not found"


def test_extends_not_a_path(tmp_path):
    path = write(tmp_path, MINIMAL + "extends: [a.yaml]\n")
    assert file_problem(path) == f"{path}: extends: expected a file path, got ['a.yaml']"


def test_fleet_machines_from_the_catalogue_and_custom():
    s = config_from_dict(
        changed(
            "fleet",
            {
                "machines": [
                    {"model": "antminer s21", "share": 0.5},
                    {"hashrate_th_s": 200, "power_w": 3000, "share": 0.5},
                ]
            },
        )
    )
    assert s.fleet.machine_efficiencies_j_per_th == (17.5, 15.0)
    assert s.fleet.machines[0].price_usd_per_th == 13.5


@pytest.mark.parametrize(
    "fleet, expected",
    [
        (
            {"machines": [{"model": "S21 XPP", "share": 1}]},
            "fleet.machines[0].model: expected a "
            "catalogue model, got 'S21 XPP' (unknown hardware model 'S21 XPP': expected one of the "
            "catalogue models, closest: 'Antminer S21 XP'",
        ),
        (
            {"machines": [{"model": "S21", "share": 0.6}]},
            "fleet.machines: expected shares summing to 1, got 0.6",
        ),
        (
            {"machines": [{"hashrate_th_s": 200, "share": 1}]},
            "fleet.machines[0]: expected either "
            "model, or both hashrate_th_s and power_w, got hashrate_th_s",
        ),
        (
            {"efficiency_j_per_th": 17.5, "machines": [{"model": "S21", "share": 1}]},
            "fleet: expected either efficiency_j_per_th or machines, got both",
        ),
    ],
)
def test_fleet_problems_name_the_field(fleet, expected):
    (line,) = problems(changed("fleet", fleet))
    assert line.startswith(expected)


def test_ramp_and_availability_checks():
    ramp = {
        "points": [
            {"date": "2027-01-01", "capacity_mw": 500},
            {"date": "2026-12-01", "capacity_mw": 2500},
        ]
    }
    lines = problems(
        changed("site", {"capacity_mw": 2000, "ramp": ramp, "availability_by_month": [1] * 11})
    )
    assert "site.ramp.points[1].date: expected a date after 2027-01-01, got 2026-12-01" in lines
    assert any(line.startswith("site.availability_by_month: expected") for line in lines)
    ok = {
        "points": [
            {"date": "2027-01-01", "capacity_mw": 500},
            {"date": "2027-06-01", "capacity_mw": 2500},
        ]
    }
    (line,) = problems(changed("site", {"capacity_mw": 2000, "ramp": ok}))
    assert line == "site.ramp.points[1].capacity_mw: expected at most capacity_mw = 2000, got 2500"


def test_tariff_checks():
    assert problems(changed("tariff", {"energy_price_per_kwh": 22, "usd_fx_rate": 280})) == [
        "tariff.usd_fx_rate: expected 1 when currency is USD, got 280"
    ]
    (line,) = problems(
        changed(
            "tariff",
            {
                "energy_price_per_kwh": 22,
                "currency": "PKR",
                "usd_fx_rate": 280,
                "time_of_use": [[1] * 23],
            },
        )
    )
    assert line.startswith("tariff.time_of_use[0]: expected 24 factors from 0 to 1000")


def test_true_or_false_is_not_a_number():
    (line,) = problems(changed("site.capacity_mw", True))
    assert line == "site.capacity_mw: expected a number, got true"
    assert config_from_dict(changed("network.include_fleet_in_network", False))
