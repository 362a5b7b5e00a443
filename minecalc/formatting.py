"""Numbers for people: significant figures that fit the magnitude, never scientific notation.

One helper serves every human-facing text: the CLI tables, the yearly table, ``summary.md``
and the report. A 1.5 MW site and a 2,000 MW one then both read right: ``1.5 MW``,
``0.0718 EH/s``, ``2.93 M USD``, ``2,263 M USD``, ``38,439 BTC``.

Machine outputs (JSON, CSV, netCDF) keep full precision and never pass through here.

Free text (a scenario's name and description) is escaped where it is printed, for what
prints it: :func:`clean` for a terminal, :func:`markdown` and :func:`mathtext_literal`
(matplotlib: figures and the PDF) on top of it.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

NONE = "n/a"
"""What an undefined value (None, NaN, inf) prints as."""

SCALES = ((1e12, "tn"), (1e9, "bn"), (1e6, "M"))
"""Large money amounts are shown in these units (trillion, billion, million)."""


def _undefined(value) -> bool:
    return value is None or not math.isfinite(float(value))


def sig(value, digits: int = 3, *, none: str = NONE, sign: bool = False) -> str:
    """A number with ``digits`` significant figures, thousands separated, no exponent.

    Parameters
    ----------
    value : float or None
        The number.
    digits : int
        Significant figures for numbers below ``10 ** digits``; larger numbers keep
        all their integer digits (38,439 stays 38,439).
    none : str
        Text for an undefined value (None, NaN, inf).
    sign : bool
        Always show the sign (``+1.2``).

    Returns
    -------
    str
        Trailing zeros after the decimal point are dropped: 1.50 reads 1.5.

    Examples
    --------
    >>> sig(1.5), sig(0.071823), sig(2_263_412_000 / 1e6), sig(-0.0), sig(38439.4)
    ('1.5', '0.0718', '2,263', '0', '38,439')
    """
    if _undefined(value):
        return none
    value = float(value)
    decimals = 0 if value == 0 else max(0, digits - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:{'+' if sign else ''},.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text.lstrip("+-") == "0":  # -0.0004 at 3 digits would otherwise read "-0"
        text = "0"
    return text


def quantity(value, unit: str, digits: int = 3, *, none: str = NONE, sign: bool = False) -> str:
    """``sig(value) unit``, e.g. ``1.5 MW``; just ``none`` when undefined."""
    text = sig(value, digits, none=none, sign=sign)
    return text if text == none or not unit else f"{text} {unit}"


def percent(fraction, digits: int = 3, *, none: str = NONE, sign: bool = False) -> str:
    """A fraction as a percentage: ``percent(0.1014)`` is ``10.1 %``."""
    return quantity(
        None if _undefined(fraction) else 100 * float(fraction), "%", digits, none=none, sign=sign
    )


def money(
    value, currency: str = "USD", digits: int = 3, *, none: str = NONE, sign: bool = False
) -> str:
    """An amount in millions, billions or trillions where it is that large.

    Examples
    --------
    >>> money(2.93e6), money(-5.974e9), money(41_500), money(2_263e6, "PKR")
    ('2.93 M USD', '-5.97 bn USD', '41,500 USD', '2.26 bn PKR')
    """
    if _undefined(value):
        return none
    for factor, name in SCALES:
        if abs(value) >= factor:
            return quantity(value / factor, f"{name} {currency}", digits, sign=sign)
    return quantity(value, currency, digits, sign=sign)


def table(header: list[str], rows: list[list[str]], indent: str = "  ", left: int = 1) -> list[str]:
    """Lines of a plain-text table: the first ``left`` columns (text) left-aligned, the
    others (numbers) right-aligned."""
    widths = [max(len(str(r[k])) for r in [header, *rows]) for k in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [
            f"{c:<{w}}" if k < left else f"{c:>{w}}"
            for k, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append(indent + "   ".join(cells).rstrip())
    return lines


def exceedance(quantile: float) -> str:
    """The lender's name for a statistical quantile: the value exceeded with probability 1 - q.

    Examples
    --------
    >>> exceedance(0.1)
    'P90 (exceeded in 90 % of paths)'
    """
    p = round(100 * (1 - quantile))
    return f"P{p} (exceeded in {p} % of paths)"


def scale(values, currency: str = "USD") -> tuple[float, str]:
    """One unit for a column of amounts: ``(factor, "M USD")`` from the largest of them."""
    finite = [abs(float(v)) for v in values if not _undefined(v)]
    top = max(finite, default=0.0)
    for factor, name in SCALES:
        if top >= factor:
            return factor, f"{name} {currency}"
    return 1.0, currency


_CONTROL = {
    c: f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"
    for c in (
        *range(0x20),
        *range(0x7F, 0xA0),
        0x2028,
        0x2029,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    )
}
"""C0 controls, DEL, C1 controls, the line and paragraph separators and the bidi
embeddings, overrides and isolates -> a visible escape (``\\x1b``, ``\\u202e``)."""


def clean(text, keep: str = "") -> str:
    """Free text (a scenario's name, description, a title) safe for a terminal: every
    control character (C0, DEL, C1; tabs and newlines too), line separator and bidi
    control becomes a visible escape such as ``\\x1b``, so a name cannot move the cursor,
    set a terminal's title, break a line or show its text reversed. :func:`markdown` and
    :func:`mathtext_literal` build on it.

    Examples
    --------
    >>> clean("Plant\\x1b]0;pwned\\x07 A")
    'Plant\\\\x1b]0;pwned\\\\x07 A'
    >>> clean(None)
    ''

    ``keep`` names control characters to leave as they are (``"\\t\\n"`` for a
    paragraph).
    """
    table = {c: e for c, e in _CONTROL.items() if chr(c) not in keep} if keep else _CONTROL
    return "" if text is None else str(text).translate(table)


_MARKDOWN_INLINE = re.compile(r"[\\`*_\[\]|~$#]|<(?=[A-Za-z/!?])|&(?=#?\w+;)")
"""What can open inline Markdown: emphasis, code, links, a table's cell break, GitHub's
math, a heading's closing ``#``, HTML tags and autolinks, entities."""
_MARKDOWN_BLOCK = re.compile(r"^[ \t]*(\d{1,9}(?=[.)])|(?=[-+=]))?", re.MULTILINE)
"""A line's indentation (4 spaces make code) and what at its start would make a list or
underline the line before as a heading (``1.``, ``-``, ``+``, ``===``)."""


def markdown(text, *, paragraph: bool = False) -> str:
    """Free text that reads literally in Markdown: :func:`clean`, then every character
    that would add structure (emphasis, links, HTML, ``|``, ``$``) backslash-escaped.

    Parameters
    ----------
    text : str or None
        The text.
    paragraph : bool
        Keep tabs and line breaks (a description): each line's indentation is dropped
        and a list marker or heading underline at its start escaped. Else one line, fit
        for a heading or a table cell.

    Examples
    --------
    >>> markdown("A | *B* <b>")
    'A \\\\| \\\\*B\\\\* \\\\<b>'
    >>> print(markdown("one\\n# two\\n- three", paragraph=True))
    one
    \\# two
    \\- three
    """
    text = _MARKDOWN_INLINE.sub(lambda m: "\\" + m[0], clean(text, "\t\n" if paragraph else ""))
    if paragraph:  # "  1. x" becomes 1\. x, "- x" becomes \- x
        text = _MARKDOWN_BLOCK.sub(lambda m: "" if m[1] is None else m[1] + "\\", text)
    return text


def mathtext_literal(text) -> str:
    """Free text that matplotlib draws as written: :func:`clean`, and ``$`` escaped so a
    name such as ``$\\alpha$`` is not read as mathtext (nor ``$\\foo$`` fails to draw).

    Examples
    --------
    >>> mathtext_literal("Plant $A$")
    'Plant \\\\$A\\\\$'
    """
    return clean(text).replace("$", r"\$")


def finite_or_none(value):
    """``value`` with every non-finite float (NaN, inf; numpy's too) replaced by None,
    recursively through dicts, lists and tuples: what strict JSON can carry.

    Examples
    --------
    >>> finite_or_none({"irr": float("nan"), "path": [1.0, float("inf")], "n": 3})
    {'irr': None, 'path': [1.0, None], 'n': 3}
    """
    if isinstance(value, dict):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_none(v) for v in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    if not math.isfinite(number):
        return None
    return value.item() if hasattr(value, "item") else value


def strict_json(value, indent: int | None = 2) -> str:
    """JSON without ``NaN`` or ``Infinity`` tokens: undefined numbers are ``null``."""
    import json

    return json.dumps(finite_or_none(value), indent=indent, allow_nan=False)


class Figure(NamedTuple):
    """One headline figure, phrased for people."""

    label: str
    value: str
    """The number with its unit, e.g. ``104 EH/s``."""
    note: str = ""
    """What puts it in context, e.g. ``vs hashcost 37.2 USD/PH/day``."""


def line(figure: Figure) -> str:
    """One row of the terminal table: label, the number right-aligned, its unit, any note."""
    number, _, unit = figure.value.partition(" ")
    note = f"  {figure.note}" if figure.note else ""
    return f"  {figure.label:<31}{number:>10} {unit}{note}".rstrip()
