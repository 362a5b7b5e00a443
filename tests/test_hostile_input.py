"""Hostile scenario files (issue 13): each is refused with exit 2 and a few ``error:`` lines
naming the field or the file, fast, without a traceback, a hang or a big allocation."""

import json
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from minecalc import examples
from minecalc.cli import main

GOOD = (Path(__file__).parents[1] / "configs" / "pk2000mw.yaml").read_text()

BOMB = "".join(
    f"{chr(97 + i)}: &{chr(97 + i)} [{', '.join(['*' + chr(96 + i)] * 9) if i else 'x, x'}]\n"
    for i in range(12)
)
"""A billion laughs: 12 levels of 9 aliases each (9**11 values once expanded)."""


def invoke(*args):
    started = time.monotonic()
    result = CliRunner().invoke(main, list(args))
    assert time.monotonic() - started < 10, "took too long"
    return result


def refused(*args, names: str) -> str:
    """Run validate and run; both exit 2 with a few error lines mentioning ``names``."""
    for command in ("validate", "run"):
        result = invoke(command, *args)
        assert result.exit_code == 2, result.output
        lines = result.output.splitlines()
        assert 1 <= len(lines) <= 3, result.output
        assert all(line.startswith("error: ") for line in lines), result.output
        assert "Traceback" not in result.output
        assert names in result.output, result.output
        assert "\x1b" not in result.output and "\x00" not in result.output
    return result.output


def scenario(tmp_path, text, name="s.yaml"):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_deep_nesting(tmp_path):
    path = scenario(tmp_path, GOOD + "description: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nesting at most 50" in refused(str(path), names=str(path))


def test_deep_nesting_in_block_style(tmp_path):
    text = GOOD + "description:\n" + "".join(" " * i + "- \n" for i in range(1, 200))
    path = scenario(tmp_path, text)
    refused(str(path), names=str(path))


def test_height_of_2_to_the_64(tmp_path):
    path = scenario(tmp_path, GOOD.replace("height: 965664", f"height: {2**64}"))
    assert "network.height: expected a number <= 1e+07" in refused(str(path), names="height")


def test_integer_too_long_for_python_names_its_field(tmp_path):
    path = scenario(tmp_path, GOOD.replace("height: 965664", "height: " + "9" * 5000))
    refused(str(path), names="network.height")


def test_alias_bomb_in_a_file(tmp_path):
    path = scenario(tmp_path, BOMB + GOOD)
    assert "aliases expanded" in refused(str(path), names=str(path))


def test_alias_bomb_in_set():
    bomb = "{" + BOMB.strip().replace("\n", ", ") + "}"
    output = refused("pk2000mw", "--set", f"description={bomb}", names="description")
    assert "aliases expanded" in output


def test_deep_nesting_and_huge_value_in_set():
    refused("pk2000mw", "--set", "description=" + "[" * 1000, names="description")
    refused("pk2000mw", "--set", "description=" + "x" * 20_000, names="description")


def test_a_few_aliases_are_fine(tmp_path):
    text = GOOD.replace("energy_price_per_kwh: 22.98", "energy_price_per_kwh: &p 22.98", 1)
    text = text.replace(
        "alternative_energy_price_per_kwh: 22.98", "alternative_energy_price_per_kwh: *p"
    )
    assert "*p" in text
    assert invoke("validate", str(scenario(tmp_path, text))).exit_code == 0


def _special_files(tmp_path):
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    big = tmp_path / "big.yaml"
    big.write_text(GOOD + "#" * 1_000_001 + "\n")
    return {
        "a FIFO": fifo,
        "a character device": Path("/dev/zero"),
        "a directory": tmp_path / "folder",
        "at most 1,000,000 bytes": big,
    }


@pytest.mark.parametrize(
    "kind", ["a FIFO", "a character device", "a directory", "at most 1,000,000 bytes"]
)
def test_special_file_as_the_scenario(tmp_path, kind):
    (tmp_path / "folder").mkdir()
    path = _special_files(tmp_path)[kind]
    assert kind in refused(str(path), names=str(path))


@pytest.mark.parametrize("kind", ["a FIFO", "a directory", "at most 1,000,000 bytes"])
def test_special_file_as_extends_target(tmp_path, kind):
    (tmp_path / "folder").mkdir()
    target = _special_files(tmp_path)[kind]
    path = scenario(tmp_path, f"extends: {target.name}\nname: x\n", "child.yaml")
    assert kind in refused(str(path), names=target.name)


def test_a_device_by_symlink_as_extends_target(tmp_path):
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    path = scenario(tmp_path, "extends: zero.yaml\nname: x\n", "child.yaml")
    refused(str(path), names="child.yaml")  # leads outside the folder: refused before reading


@pytest.mark.parametrize(
    "secret",
    [
        "root:x:0:0:TOPSECRET:/root:/bin/bash\n",
        "TOPSECRET_KEY: hunter2\nOTHER_TOPSECRET: 1\n",
        "- TOPSECRET\n",
        "TOPSECRET: [unclosed\n",
    ],
    ids=["text", "mapping", "list", "bad-yaml"],
)
def test_extends_never_echoes_the_target(tmp_path, secret):
    (tmp_path / "secret.yaml").write_text(secret)
    path = scenario(tmp_path, "extends: secret.yaml\nname: x\n", "child.yaml")
    output = refused(str(path), names="secret.yaml")
    assert "TOPSECRET" not in output and "hunter2" not in output


def test_extends_an_absolute_path(tmp_path):
    base = scenario(tmp_path, GOOD, "base.yaml")
    path = scenario(tmp_path, f"extends: {base}\nname: x\n", "child.yaml")
    assert "relative" in refused(str(path), names="extends")


def test_extends_outside_the_folder(tmp_path):
    scenario(tmp_path, GOOD, "base.yaml")
    path = scenario(tmp_path, "extends: ../base.yaml\nname: x\n", "sub/child.yaml")
    assert "outside" in refused(str(path), names="extends")


def test_extends_a_subfolder_and_a_packaged_example(tmp_path):
    scenario(tmp_path, GOOD, "bases/base.yaml")
    path = scenario(tmp_path, "extends: bases/base.yaml\nname: x\n", "child.yaml")
    assert invoke("validate", str(path)).exit_code == 0
    path = scenario(tmp_path, "extends: pk2000mw.yaml\nname: x\n", "other/child.yaml")
    assert invoke("validate", str(path)).exit_code == 0


def test_extends_chain_too_long(tmp_path):
    scenario(tmp_path, GOOD, "f0.yaml")
    for i in range(1, 12):
        scenario(tmp_path, f"extends: f{i - 1}.yaml\n", f"f{i}.yaml")
    assert invoke("validate", str(tmp_path / "f9.yaml")).exit_code == 0
    assert "at most 10" in refused(str(tmp_path / "f11.yaml"), names="extends")


@pytest.mark.parametrize(
    "name", ['"\\e]0;pwned\\a"', '"a\\0b"', '"\\e[2J\\e[31mred"', '"x\\x9b31m"']
)
def test_control_characters_in_names(tmp_path, name):
    path = scenario(tmp_path, GOOD.replace("name: ", f"name: {name}  # ", 1))
    assert "control characters" in refused(str(path), names="name:")


def test_control_characters_in_keys_and_extends_are_escaped(tmp_path):
    path = scenario(tmp_path, GOOD + '"\\e]0;pwned\\a": 1\n')
    refused(str(path), names="unknown key")
    path = scenario(tmp_path, 'extends: "\\e]0;pwned\\a.yaml"\n', "child.yaml")
    refused(str(path), names="extends")


def test_description_keeps_tabs_and_newlines():
    assert invoke("validate", "pk2000mw", "--set", 'description="one\\ttwo\\nthree"').exit_code == 0
    refused("pk2000mw", "--set", 'description="bell\\a"', names="description")


@pytest.mark.parametrize(
    "old, new, field",
    [
        ("start_date: 2026-09-05", "start_date: 9999-12-31", "start_date"),
        ("start_date: 2026-09-05", "start_date: 2300-01-01", "start_date"),
        ("start_date: 2026-09-05", "start_date: 2008-01-01", "start_date"),
        (
            "  difficulty: 1",
            "  hashrate_eh_s: 1e-300\n  difficulty: 1",
            "network.hashrate_eh_s",
        ),
        ("capacity_mw: 2000 ", "capacity_mw: 1e300 ", "site.capacity_mw"),
        ("btc_price_usd: 65137", "btc_price_usd: 1e300", "market.btc_price_usd"),
        ("difficulty: 127450789715843.1", "difficulty: 1e300", "network.difficulty"),
        ("horizon_months: 60", "horizon_months: 100000", "horizon_months"),
    ],
)
def test_out_of_range_values_name_the_field(tmp_path, old, new, field):
    assert old in GOOD
    path = scenario(tmp_path, GOOD.replace(old, new))
    assert f"{field}: expected" in refused(str(path), names=field)


def test_huge_values_in_set():
    refused("pk2000mw", "--set", "site.capacity_mw=1e300", names="site.capacity_mw")
    refused("pk2000mw", "--set", "network.height=18446744073709551616", names="network.height")


@pytest.mark.parametrize("name", examples.names())
def test_every_packaged_example_validates_and_runs(name):
    assert invoke("validate", name).exit_code == 0
    result = invoke("run", name, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["btc_total"] > 0
