"""The packaged example scenarios and the starter template: loadable, summarised by their
first line, and citing only sources a user can follow (numbered, defined in the file)."""

import re
from importlib.resources import files
from pathlib import Path

import pytest

import minecalc
from minecalc import examples

EXAMPLES = sorted(examples.folder().glob("*.yaml"))
STARTER = Path(str(files("minecalc").joinpath("data", "starter.yaml")))
REFERENCE = re.compile(r"^#\s*\[(\d+)\]\s*\S")  # "# [3] Publisher, title, date."
CITATION = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")  # "[3]" or "[1, 3]" in a comment


def comments(text: str) -> list[str]:
    """The comment part of every line (the packaged files have no '#' inside values)."""
    return [line[line.index("#") :] for line in text.splitlines() if "#" in line]


def sources_block(text: str) -> tuple[dict[int, str], list[str]]:
    """The numbered references of the leading comment block, and the file's other comments."""
    lines = text.splitlines()
    head = []
    for line in lines:
        if not line.startswith("#"):
            break
        head.append(line)
    defined = {}
    for line in head:
        match = REFERENCE.match(line)
        if match:
            number = int(match.group(1))
            assert number not in defined, f"[{number}] is defined twice"
            defined[number] = line
    rest = [c for c in comments(text) if not REFERENCE.match(c)]
    return defined, rest


def cited(lines: list[str]) -> set[int]:
    return {int(n) for line in lines for group in CITATION.findall(line) for n in group.split(",")}


def test_the_eight_examples_are_there():
    assert [p.stem for p in EXAMPLES] == [
        "el_salvador_lageo",
        "pk2000mw",
        "pk2000mw_fiscal",
        "pk2000mw_options",
        "pk2000mw_reserve",
        "pk2000mw_response",
        "pk2000mw_winter_surplus",
        "texas_100mw",
    ]


@pytest.mark.parametrize("path", [*EXAMPLES, STARTER], ids=lambda p: p.name)
def test_no_citation_of_developer_only_files(path):
    text = path.read_text(encoding="utf-8").lower()
    for phrase in ("domain.md", "shared/docs", "shared/", "domain notes"):
        assert phrase not in text, f"{path.name} mentions {phrase!r}"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_first_line_is_a_one_line_summary(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# ") and len(first[2:].strip()) >= 20, first
    assert examples.summary(path.stem) == first[2:].strip()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_numbered_references_match_their_sources_block(path):
    text = path.read_text(encoding="utf-8")
    defined, rest = sources_block(text)
    assert "# Sources:" in text.splitlines()[:12], "no Sources block at the top"
    assert defined, "a Sources block with no references"
    assert sorted(defined) == list(range(1, len(defined) + 1)), "references not numbered 1..n"
    used = cited(rest)
    assert used - set(defined) == set(), f"cited but not defined: {sorted(used - set(defined))}"
    assert set(defined) - used == set(), f"defined but not cited: {sorted(set(defined) - used)}"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_description_carries_no_bare_reference_numbers(path):
    # The description is printed in reports without the Sources block, so "[3]" there
    # would point nowhere.
    description = minecalc.load_config(path).description
    assert not CITATION.search(description), description


@pytest.mark.parametrize("path", [*EXAMPLES, STARTER], ids=lambda p: p.name)
def test_every_scenario_loads(path):
    scenario = minecalc.load_config(path)
    assert scenario.name and scenario.horizon_months > 0


def test_examples_load_by_name_like_by_path():
    for path in EXAMPLES:
        assert (
            minecalc.load_config(path.stem).model_dump() == minecalc.load_config(path).model_dump()
        )
