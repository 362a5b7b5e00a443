"""Seeded fuzzing of scenario files and ``--set`` overrides (issue 13, item 7).

Mutates the packaged scenarios and the starter file, runs ``validate`` and
``run --format json`` in-process on each case and checks the contract: exit 0 with finite,
sensible numbers in strict JSON, or exit 2 with a few ``error: <what>: ...`` lines; never
exit 1, a traceback or a hang; and ``validate`` agrees with ``run``.

The corpus in ``tests/fuzz_corpus/`` (cases that failed once, plus hostile cases from the
issue) is replayed first. ``MINECALC_FUZZ_CASES`` sets the number of random cases
(default :data:`DEFAULT_CASES`), ``MINECALC_FUZZ_SEED`` the seed. A failing random case is
written to ``MINECALC_FUZZ_SAVE`` (a folder) if that is set, in the corpus' format.
"""

import json
import math
import os
import random
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import minecalc
from minecalc import examples
from minecalc.cli import main
from minecalc.config import schema_rows

DEFAULT_CASES = 250
DEFAULT_SEED = 20260905
CORPUS = Path(__file__).parent / "fuzz_corpus"
DATA = Path(minecalc.__file__).parent / "data"
SEEDS = {p.name: p.read_text() for p in sorted((DATA / "examples").glob("*.yaml"))}
SEEDS["starter.yaml"] = (DATA / "starter.yaml").read_text()
FIELDS = [row["field"] for row in schema_rows()]
RANGES = {row["field"]: row["range"] for row in schema_rows() if row["range"]}
INTEGERS = {row["field"] for row in schema_rows() if row["type"].startswith("integer")}
# Fields a gentle case moves: those of a section that every scenario has, outside lists and
# either-or choices, so that most gentle cases are valid and run.
GENTLE = sorted(
    f
    for f in RANGES
    if f.count(".") <= 1 and f not in ("fleet.efficiency_j_per_th", "tariff.usd_fx_rate")
)
BTC_KEYS = (
    "btc_total",
    "btc_total_undiluted",
    "btc_total_without_response",
    "btc_per_day_first_month",
    "btc_per_day_full_deployment",
    "reserve_btc_end",
)
SECONDS = 10

NUMBERS = [
    "0", "-1", "1", "1e300", "-1e300", "1e-300", "nan", ".nan", "inf", ".inf", "-.inf",
    str(2**64), str(-(2**63)), "9" * 400, "1e309", "0x10", "1_000", "-0", "0.5", "2",
    "12", "1e6", "1e7", "1e12", "1e24", "1e25", "599", "600", "601", "0.999999",
]  # fmt: skip
OTHERS = [
    "[1, 2]", "{a: 1}", "text", "true", "null", "~", '""', "2026-01-01", "9999-12-31",
    "2008-01-01", "2026-02-30", "2026-09-05T00:00:00", '"\\e]0;pwned\\a"', '"a\\0b"',
    '"\\x9b31m"', '"\\u202e"', "x" * 20_000, "[[[[[[[[1]]]]]]]]", "[" * 60 + "]" * 60,
    "&a 1", "*a", "*nowhere", "!!binary aGVsbG8=", "!!python/object:os.system ls",
    "{per_year: 0.1, per_month: 0.01}", "[]", "{}", "'", '"', "- 1", ": x", "steps",
    "economic", "Antminer S21 XP", "pk2000mw.yaml", "../x.yaml", "/etc/passwd",
]  # fmt: skip
VALUES = NUMBERS + OTHERS


class ForbiddenConstant(ValueError):
    pass


def _strict(name):
    raise ForbiddenConstant(name)


# -- the contract ----------------------------------------------------------------------------


def _invoke(args):
    started = time.monotonic()
    result = CliRunner().invoke(main, args)
    elapsed = time.monotonic() - started
    return result, elapsed


def _problems(command, result, elapsed) -> list[str]:
    """What is wrong with one invocation's outcome (empty if it keeps the contract)."""
    out = result.output
    problems = []
    if elapsed >= SECONDS:
        problems.append(f"{command}: took {elapsed:.1f} s")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        problems.append(f"{command}: exception {type(result.exception).__name__}")
    if "Traceback" in out:
        problems.append(f"{command}: traceback in output")
    if result.exit_code not in (0, 2):
        problems.append(f"{command}: exit {result.exit_code}")
    if result.exit_code == 2:
        lines = out.splitlines()
        if not 1 <= len(lines) <= 10:
            problems.append(f"{command}: {len(lines)} error lines")
        for line in lines:
            rest = line.removeprefix("error: ")
            if rest == line or ":" not in rest or not rest.split(":")[0].strip():
                problems.append(f"{command}: bad error line {line[:200]!r}")
    if result.exit_code == 0 and command == "run":
        problems += [f"run: {p}" for p in _json_problems(result.stdout)]
    return problems


def _json_problems(text) -> list[str]:
    try:
        summary = json.loads(text, parse_constant=_strict)
    except (ValueError, ForbiddenConstant) as error:
        return [f"not strict JSON: {error}"]
    problems = []

    def walk(value, where):
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{where}[{i}]")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            if not math.isfinite(value):
                problems.append(f"{where} = {value}")

    walk(summary, "")
    btc = {key: summary.get(key) for key in BTC_KEYS}
    btc.update({f"btc_by_year.{k}": v for k, v in (summary.get("btc_by_year") or {}).items()})
    for key, value in btc.items():
        if value is not None and not 0 <= value <= 21e6:
            problems.append(f"{key} = {value}")
    share = summary.get("network_share_first_month")
    if share is not None and not 0 <= share <= 1:
        problems.append(f"network_share_first_month = {share}")
    energy = summary.get("energy_gwh_total")
    if energy is not None and not energy >= 0:
        problems.append(f"energy_gwh_total = {energy}")
    return problems


def check_case(folder: Path, case: dict) -> tuple[int, list[str]]:
    """Run one case through validate and run; the exit code of validate and any problems."""
    if case.get("text") is not None:
        path = folder / case.get("file", "case.yaml")
        path.write_bytes(case["text"].encode("utf-8", "surrogatepass"))
        target = str(path)
    else:
        target = case["scenario"]
    sets = [arg for key, value in case["overrides"] for arg in ("--set", f"{key}={value}")]
    codes = {}
    problems = []
    for command, extra in (("validate", []), ("run", ["--format", "json"])):
        result, elapsed = _invoke([command, target, *sets, *extra])
        codes[command] = result.exit_code
        problems += _problems(command, result, elapsed)
    if codes["validate"] in (0, 2) and codes["validate"] != codes["run"]:
        problems.append(f"validate exits {codes['validate']}, run exits {codes['run']}")
    return codes["validate"], problems


# -- the mutator -----------------------------------------------------------------------------


def _value(rng):
    return rng.choice(NUMBERS if rng.random() < 0.5 else VALUES)


def _scaled(rng, text):
    """A plausible neighbour of a number (so that many cases run), or None if not a number."""
    try:
        number = float(text)
    except ValueError:
        return None
    factor = rng.choice([0, 0.5, 0.9, 1.1, 2, 10])
    return str(round(number * factor)) if text.lstrip("-").isdigit() else f"{number * factor:g}"


def _in_range(rng, field):
    """A number at or within a field's documented range ('>= 0, <= 1e+07'), or None."""
    if field not in RANGES:
        return None
    bounds = dict(part.strip().split(" ", 1) for part in RANGES[field].split(","))
    low = next((float(v) for k, v in bounds.items() if k in (">=", ">")), None)
    high = next((float(v) for k, v in bounds.items() if k in ("<=", "<")), None)
    if low is None or high is None:
        return None
    inside = [low + (high - low) * rng.random(), low + (high - low) * 1e-3]
    value = rng.choice(inside + [b for b, k in ((low, ">="), (high, "<=")) if k in bounds])
    return str(round(value)) if field in INTEGERS else f"{value:g}"


def _replace_value(rng, lines, i) -> None:
    """Line ``i`` gets another value, or a new key under it where it holds none."""
    key, _, rest = lines[i].partition(":")
    comment = "  #" + rest.split("#", 1)[1] if "#" in rest else ""
    if rest.strip() and not rest.strip().startswith("#"):
        current = rest.split("#", 1)[0].strip()
        value = (_scaled(rng, current) if rng.random() < 0.5 else None) or _value(rng)
        lines[i] = f"{key}: {value}{comment}"
    else:
        lines.insert(i + 1, f"{key[: len(key) - len(key.lstrip())]}  x: {_value(rng)}")


def _alias(lines, i) -> None:
    """Line ``i`` repeats the first value by an alias."""
    anchor = next((n for n, line in enumerate(lines) if ": " in line), None)
    if anchor is not None and ": " in lines[i]:
        key, _, rest = lines[anchor].partition(": ")
        lines[anchor] = f"{key}: &z {rest.split('#')[0].strip() or 'null'}"
        key, _, _ = lines[i].partition(": ")
        lines[i] = f"{key}: *z"


def mutate_text(rng, text) -> str:
    lines = text.splitlines()
    for _ in range(rng.choice([1, 1, 1, 2, 3, 5])):
        if not lines:
            lines = ["name: x"]
        i = rng.randrange(len(lines))
        kind = rng.randrange(10)
        if kind == 0:
            del lines[i]
        elif kind == 1:
            lines.insert(i, lines[i])
        elif kind == 2:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind in (3, 4, 5) and ":" in lines[i]:
            _replace_value(rng, lines, i)
        elif kind == 6:
            lines[i] = " " * rng.choice([1, 2, 4]) + lines[i]
        elif kind == 7:
            _alias(lines, i)
        elif kind == 8:
            lines.append(f"{rng.choice(FIELDS).split('.')[-1]}: {_value(rng)}")
        else:
            cut = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:cut] + rng.choice(["\t", "\x00", "\x1b[2J", "\u202e", "'", "{"])
    return "\n".join(lines) + "\n"


def _gentle_text(rng, text) -> str:
    """One to three numbers of a scenario moved to plausible neighbours."""
    lines = text.splitlines()
    numeric = [
        i
        for i, line in enumerate(lines)
        if _scaled(rng, line.partition(":")[2].split("#", 1)[0].strip()) is not None
    ]
    for i in rng.sample(numeric, min(len(numeric), rng.choice([1, 2, 3]))):
        key, _, rest = lines[i].partition(":")
        lines[i] = f"{key}: {_scaled(rng, rest.split('#', 1)[0].strip())}"
    return "\n".join(lines) + "\n"


def make_case(rng) -> dict:
    """A case: harsh (any mutation, any value) or, for 40 %, gentle (plausible numbers only),
    so that both the refusals and the runs that go through are exercised."""
    gentle = rng.random() < 0.4
    case: dict = {"overrides": []}
    if rng.random() < 0.6:
        name = rng.choice(sorted(SEEDS))
        case["file"] = name
        case["text"] = (_gentle_text if gentle else mutate_text)(rng, SEEDS[name])
    else:
        case["scenario"] = rng.choice(examples.names())
    for _ in range(rng.choice([0, 1, 1, 2, 3] if "text" in case else [1, 1, 2, 3])):
        if gentle:
            key = rng.choice(GENTLE)
            case["overrides"].append([key, _in_range(rng, key)])
            continue
        key = rng.choice(FIELDS) if rng.random() < 0.9 else rng.choice(["", "nope", "site."])
        value = (_in_range(rng, key) if rng.random() < 0.5 else None) or _value(rng)
        case["overrides"].append([key, value])
    if rng.random() < 0.7:  # keep most runs short
        case["overrides"].append(["horizon_months", str(rng.choice([1, 2, 3, 6, 12]))])
    return case


# -- the tests -------------------------------------------------------------------------------


def _corpus() -> list[dict]:
    index = json.loads((CORPUS / "index.json").read_text())
    for case in index:
        if "file" in case:
            case["text"] = (CORPUS / case["file"]).read_bytes().decode("utf-8", "surrogatepass")
    return index


@pytest.mark.parametrize("case", _corpus(), ids=lambda case: case["id"])
def test_corpus(tmp_path, case):
    code, problems = check_case(tmp_path, case)
    assert not problems, problems
    if "expect" in case:
        assert code == case["expect"]


def test_random_cases(tmp_path):
    seed = int(os.environ.get("MINECALC_FUZZ_SEED", DEFAULT_SEED))
    count = int(os.environ.get("MINECALC_FUZZ_CASES", DEFAULT_CASES))
    rng = random.Random(seed)
    outcomes = {0: 0, 2: 0}
    failures = []
    for n in range(count):
        case = make_case(rng)
        folder = tmp_path / str(n)  # nothing left over from other cases beside the file
        folder.mkdir()
        code, problems = check_case(folder, case)
        outcomes[code] = outcomes.get(code, 0) + 1
        if problems:
            failures.append((n, case, problems))
            _save(seed, n, case, problems)
    print(f"fuzz seed {seed}: {count} cases, validate exits {outcomes}")
    assert not failures, [(n, problems, case) for n, case, problems in failures[:5]]


def _save(seed, n, case, problems):
    folder = os.environ.get("MINECALC_FUZZ_SAVE")
    if not folder:
        return
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    entry = {"id": f"seed{seed}-{n}", "overrides": case["overrides"], "problems": problems}
    if "text" in case:
        entry["file"] = f"seed{seed}-{n}-{case['file']}"
        (out / entry["file"]).write_bytes(case["text"].encode("utf-8", "surrogatepass"))
    else:
        entry["scenario"] = case["scenario"]
    (out / f"seed{seed}-{n}.json").write_text(json.dumps(entry, indent=1))
