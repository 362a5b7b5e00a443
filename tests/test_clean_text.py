"""Clean text out (issue 13, item 4): a scenario's name and description print as written in
the terminal, CSV, Markdown, figures and the PDF; control characters never get through."""

import csv
import io
import json
import re

import pytest
from click.testing import CliRunner

from minecalc.cli import main

NAME = "Plant \u202eA | $\\alpha$ *b* <b>x</b> # $\\foo$ \u2066"
"""What validation lets through: bidi controls, mathtext, Markdown and HTML."""
DESCRIPTION = "First | a | b |\n# heading\n===\n- item\n1. one\n    code\t$x$ <i>y</i> &amp;"
SHOWN = "Plant \\u202eA | $\\alpha$ *b* <b>x</b> # $\\foo$ \\u2066"
"""The name as printed: bidi controls escaped, the rest as written."""
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""Raw control characters (C0, DEL, C1), line separators and bidi controls."""
SETS = ["--set", f"name={json.dumps(NAME)}", "--set", f"description={json.dumps(DESCRIPTION)}"]


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def assert_clean_csv(text: str, rows: int | None = None) -> None:
    """One header and rows of the same width, no control character, no free text."""
    table = list(csv.reader(io.StringIO(text)))
    assert len({len(row) for row in table}) == 1
    assert rows is None or len(table) == rows + 1
    assert not any(CONTROL.search(cell) for row in table for cell in row)
    assert "Plant" not in text


@pytest.mark.parametrize("field", ["name", "description"])
@pytest.mark.parametrize("text", ["\x1b]0;pwned\x07\x1b[2J", "a\rb", "a\x85b"])
def test_control_characters_are_refused_at_validation(field, text):
    result = CliRunner().invoke(main, ["run", "pk2000mw", "--set", f"{field}={json.dumps(text)}"])
    assert result.exit_code == 2
    assert f"{field}: expected text without control characters" in result.output
    assert not CONTROL.search(result.output.replace("\n", ""))


def test_the_terminal_shows_the_name_as_written():
    for output in (
        invoke("run", "pk2000mw", *SETS),
        invoke("montecarlo", "pk2000mw", *SETS, "--paths", 20),
    ):
        assert output.startswith(SHOWN)
        assert not CONTROL.search(output.replace("\n", ""))


def test_csv_output_carries_no_free_text(tmp_path):
    assert_clean_csv(invoke("run", "pk2000mw", *SETS, "--format", "csv"), rows=60)
    invoke("run", "pk2000mw", *SETS, "--out", tmp_path / "r")
    assert_clean_csv((tmp_path / "r" / "monthly.csv").read_text(), rows=60)
    vary = ["--vary", "site.pue=1.05,1.1", "--vary", "market.btc_price_usd=5e4,7e4"]
    assert_clean_csv(invoke("sweep", "pk2000mw", *SETS, *vary, "--format", "csv"), rows=4)
    ranges = ["--range", "site.pue=1.05:1.2"]
    assert_clean_csv(invoke("tornado", "pk2000mw", *SETS, *ranges, "--format", "csv"), rows=1)
    mc = invoke("montecarlo", "pk2000mw", *SETS, "--paths", 20, "--format", "csv")
    assert_clean_csv(mc, rows=20)


def test_the_report_shows_the_name_and_description_as_written(tmp_path):
    from pypdf import PdfReader

    invoke("report", "pk2000mw", *SETS, "--out", tmp_path, "--paths", 20)
    assert (tmp_path / "hashprice.png").stat().st_size > 0  # drawn, $\foo$ and all
    lines = (tmp_path / "summary.md").read_text().split("\n")
    assert lines[0] == (
        "# Plant \\\\u202eA \\| \\$\\\\alpha\\$ \\*b\\* \\<b>x\\</b> \\# \\$\\\\foo\\$ \\\\u2066"
    )
    assert lines[2 : lines.index("", 2)] == [
        "First \\| a \\| b \\|",
        "\\# heading",
        "\\===",
        "\\- item",
        "1\\. one",
        "code\t\\$x\\$ \\<i>y\\</i> \\&amp;",
    ]
    rows = [line for line in lines if line.startswith("|")]
    assert rows and all(len(re.findall(r"(?<!\\)\|", row)) == 3 for row in rows)
    first = " ".join(PdfReader(tmp_path / "report.pdf").pages[0].extract_text().split())
    assert first.startswith(SHOWN)
    assert "# heading === - item 1. one code $x$ <i>y</i> &amp;" in first
