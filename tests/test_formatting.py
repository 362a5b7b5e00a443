"""The one number formatter behind every human-facing text."""

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.text import Text

from minecalc.formatting import (
    clean,
    exceedance,
    markdown,
    mathtext_literal,
    money,
    percent,
    quantity,
    scale,
    sig,
    table,
)


@pytest.mark.parametrize(
    "value, text",
    [
        (1.5, "1.5"),
        (2000, "2,000"),
        (0.071823, "0.0718"),
        (0.0000679, "0.0000679"),
        (103.896, "104"),
        (38438.6, "38,439"),
        (-5.974e9, "-5,974,000,000"),
        (0, "0"),
        (-0.00004, "-0.00004"),
        (29.6219, "29.6"),
        (1.0, "1"),
        (999.6, "1,000"),
        (None, "n/a"),
        (math.nan, "n/a"),
        (math.inf, "n/a"),
    ],
)
def test_sig_by_hand(value, text):
    assert sig(value) == text


def test_units_money_percent_and_exceedance():
    assert quantity(1.5, "MW") == "1.5 MW"
    assert quantity(None, "MW") == "n/a"
    assert percent(0.000068) == "0.0068 %" and percent(0.1014) == "10.1 %"
    assert percent(0.0119, sign=True) == "+1.19 %"
    assert money(2.93e6) == "2.93 M USD" and money(-5.974e9) == "-5.97 bn USD"
    assert money(41_500) == "41,500 USD" and money(4.7e12, "PKR") == "4.7 tn PKR"
    assert exceedance(0.1) == "P90 (exceeded in 90 % of paths)"
    assert exceedance(0.9) == "P10 (exceeded in 10 % of paths)"
    assert scale([1e5, -2.7e9]) == (1e9, "bn USD") and scale([12.0]) == (1.0, "USD")


def test_table_aligns_numbers_right():
    lines = table(["Year", "BTC"], [["1", "15,505"], ["2", "9.3"]])
    assert lines == ["  Year      BTC", "  1      15,505", "  2         9.3"]


@given(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
    st.integers(min_value=2, max_value=6),
)
def test_sig_never_uses_an_exponent_and_keeps_its_digits(value, digits):
    text = sig(value, digits)
    assert "e" not in text.lower()
    back = float(text.replace(",", ""))
    # rounding to `digits` significant figures moves a value by at most half a unit in the
    # last place shown (large numbers keep every integer digit, so they are closer still)
    assert back == pytest.approx(value, rel=0.5 * 10 ** (1 - digits) * 1.0001, abs=1e-300)


def test_clean_escapes_line_separators_and_bidi_controls_too():
    assert clean("A\u202eB\u2066C\u2028D") == "A\\u202eB\\u2066C\\u2028D"
    assert clean("\u200f\u061c") == "\u200f\u061c"  # direction marks change no order
    # a kept character is kept, never made from text that only reads like its escape
    assert clean("a\\x0ab\n\t", keep="\n") == "a\\x0ab\n\\x09"


def test_markdown_escapes_structure_but_not_prose():
    assert markdown("P(NPV < 0) = 2 & 3, -5.97 bn USD (1.5 M)") == (
        "P(NPV < 0) = 2 & 3, -5.97 bn USD (1.5 M)"
    )
    assert markdown("a | *b* _c_ `d` [e](f) $x$ <b> &amp; # ~g~ \\") == (
        "a \\| \\*b\\* \\_c\\_ \\`d\\` \\[e\\](f) \\$x\\$ \\<b> \\&amp; \\# \\~g\\~ \\\\"
    )
    # a heading or a cell: one line, the escape itself escaped so it shows as \x0a
    assert markdown("one\n# two") == "one\\\\x0a\\# two"


def test_markdown_paragraph_keeps_its_lines_but_starts_no_block():
    text = "intro\n===\n- a\n  + b\n12. c\n3) d\n    code\tx\n\n<div>\n2026-09 e"
    assert markdown(text, paragraph=True).split("\n") == [
        "intro",
        "\\===",
        "\\- a",
        "\\+ b",
        "12\\. c",
        "3\\) d",
        "code\tx",
        "",
        "\\<div>",
        "2026-09 e",
    ]


@given(st.text(alphabet="$\\{}^_ab"))
def test_mathtext_literal_is_drawn_as_written(text):
    # what matplotlib draws: the text after its mathtext pass, and whether it is maths
    assert Text()._preprocess_math(mathtext_literal(text)) == (text, False)


@given(st.text())
def test_escaped_text_has_no_control_characters(text):
    control = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
    for escaped in (clean(text), markdown(text), mathtext_literal(text)):
        assert not control.search(escaped)
    assert not control.search(markdown(text, paragraph=True).replace("\n", "").replace("\t", ""))
