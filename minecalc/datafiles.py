"""The three history tables on disk: where they are, and whether a copy can be trusted.

``difficulty_epochs.csv``, ``btc_price_monthly.csv`` and ``fees_monthly.csv`` ship with the
package (``minecalc/data``, described in its ``README.md``); ``minecalc data update``
(:mod:`minecalc.datasource`) writes newer copies, in the same format, into a user data
folder. This module picks, table by table, the copy the loaders read: the user folder's if
it is there and passes :func:`check_table`, else the packaged one.

It needs only the standard library (and numpy, through :mod:`minecalc.protocol`), so that
validating a scenario can read the history without pandas.
"""

from __future__ import annotations

import calendar
import csv
import dataclasses
import functools
import io
import json
import math
import os
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from .errors import InputError

ENV_VAR = "MINECALC_DATA_DIR"
"""Environment variable naming the user data folder (default: the platform's, see
:func:`user_data_dir`)."""

DIFFICULTY = "difficulty_epochs.csv"
PRICES = "btc_price_monthly.csv"
FEES = "fees_monthly.csv"
PROVENANCE = "provenance.json"

COLUMNS = {
    DIFFICULTY: ("height", "start_time_unix", "difficulty", "nbits", "source"),
    PRICES: (
        "month",
        "btc_price_usd_mean",
        "btc_price_usd_min",
        "btc_price_usd_max",
        "days",
        "pkr_per_usd_mean",
    ),
    FEES: ("month", "fees_btc_per_block_mean", "blocks", "heights"),
}
"""Each table's header, in order: the user folder's copies keep the packaged format."""

TABLES = tuple(COLUMNS)
LABELS = {DIFFICULTY: "difficulty", PRICES: "prices", FEES: "fees"}
"""Each table in a word, for messages."""

DIFFICULTY_RTOL = 1e-12
"""How far a listed difficulty may be from its nbits' (16 significant digits are printed)."""

_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])\Z")
_NBITS = re.compile(r"0x[0-9a-f]{8}\Z")


def user_data_dir() -> Path:
    """The user data folder: ``$MINECALC_DATA_DIR`` if set, else the platform's user data
    folder for minecalc (``~/.local/share/minecalc`` on Linux).

    Returns
    -------
    pathlib.Path
        The folder; it need not exist.
    """
    given = os.environ.get(ENV_VAR)
    if given:
        return Path(given).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("minecalc", appauthor=False))


def packaged_text(name: str) -> str:
    """The packaged table ``name`` as text."""
    return resources.files("minecalc").joinpath(f"data/{name}").read_text(encoding="utf-8")


@dataclasses.dataclass(frozen=True)
class TableChoice:
    """The copy of one table that the loaders read.

    Attributes
    ----------
    name : str
        File name, e.g. ``"difficulty_epochs.csv"``.
    path : pathlib.Path or None
        The user folder's file; None for the packaged table.
    text : str
        The table's content.
    problem : str or None
        Why the user folder's file was not used although it exists; else None.
    """

    name: str
    path: Path | None
    text: str
    problem: str | None = None


def active_table(name: str) -> TableChoice:
    """The copy of table ``name`` to read: the user folder's if valid, else the packaged one.

    Cached per folder; :func:`clear_cache` forgets (after an update, or in tests).
    """
    return _choose(name, str(user_data_dir()))


@functools.lru_cache(maxsize=16)
def _choose(name: str, folder: str) -> TableChoice:
    path = Path(folder) / name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return TableChoice(name, None, packaged_text(name))
    except (OSError, UnicodeDecodeError) as err:
        return TableChoice(name, None, packaged_text(name), f"cannot be read ({err})")
    try:
        check_table(name, text)
    except InputError as err:
        return TableChoice(name, None, packaged_text(name), str(err))
    return TableChoice(name, path, text)


def clear_cache() -> None:
    """Forget which copies were chosen (the next read looks at the folder again)."""
    _choose.cache_clear()
    known_difficulties.cache_clear()


def provenance(folder: Path | None = None) -> dict:
    """The user folder's ``provenance.json`` (``{}`` if missing or unreadable)."""
    path = (folder if folder is not None else user_data_dir()) / PROVENANCE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@functools.lru_cache(maxsize=4)
def _known_difficulties(text: str) -> dict[int, float]:
    return {
        int(row["height"]) // 2016: float(row["difficulty"])
        for row in csv.DictReader(io.StringIO(text))
        if row["difficulty"]
    }


@functools.lru_cache(maxsize=1)
def known_difficulties() -> dict[int, float]:
    """Epoch number -> difficulty [-] of the difficulty table in use (epochs without one
    left out); read with the csv module, for validation without pandas."""
    return _known_difficulties(active_table(DIFFICULTY).text)


# --------------------------------------------------------------------------- checks


def check_table(name: str, text: str) -> None:
    """Check a table's text against the packaged format and the data's own rules.

    Parameters
    ----------
    name : str
        One of :data:`TABLES`.
    text : str
        The CSV text.

    Raises
    ------
    InputError
        Naming the table, the row and what was wrong, e.g. ``fees_monthly.csv row 3
        (2026-03): expected blocks = last - first + 1 height (4201), got 4200``.

    Notes
    -----
    difficulty: heights ``0, 2016, 4032 ...`` without a gap; known start times strictly
    increasing, the first known; difficulty and nbits both given or both empty, the
    difficulty positive, finite and within :data:`DIFFICULTY_RTOL` of
    :func:`minecalc.protocol.nbits_to_difficulty`; at least one difficulty.
    prices: months contiguous; ``0 < min <= mean <= max``; every month complete but the last.
    fees: months increasing; mean >= 0; heights ``first-last`` increasing from row to row
    with ``blocks = last - first + 1``. Every number finite.
    """
    rows = _rows(name, text)
    _CHECKS[name](name, rows)


def _rows(name: str, text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(reader.fieldnames or ())
    if header != COLUMNS[name]:
        raise InputError(f"{name}: expected the columns {','.join(COLUMNS[name])}, got {header}")
    rows = list(reader)
    if not rows:
        raise InputError(f"{name}: expected at least one row, got none")
    for i, row in enumerate(rows):
        if None in row or None in row.values():
            raise InputError(f"{name} row {i + 1}: expected {len(header)} fields, got {row}")
    return rows


def _number(
    name: str, where: str, column: str, value: str, kind: Callable = float, empty: bool = False
):
    """``value`` as a finite ``kind``, or None if empty and ``empty``; else an InputError."""
    if value == "" and empty:
        return None
    try:
        number = kind(value)
    except ValueError:
        number = None
    if number is None or not math.isfinite(number):
        what = "an integer" if kind is int else "a finite number"
        raise InputError(f"{name} {where}: expected {column} {what}, got {value!r}")
    return number


def _check_difficulty(name: str, rows: list[dict[str, str]]) -> None:
    import numpy as np

    from .protocol import nbits_to_difficulty

    last_time, pairs = None, []
    for i, row in enumerate(rows):
        where = f"row {i + 1} (height {row['height']})"
        height = _number(name, where, "height", row["height"], int)
        if height != 2016 * i:
            raise InputError(f"{name} row {i + 1}: expected height {2016 * i:,}, got {height}")
        time_s = _number(name, where, "start_time_unix", row["start_time_unix"], int, i > 0)
        if time_s is not None:
            if last_time is not None and time_s <= last_time:
                raise InputError(
                    f"{name} {where}: expected start_time_unix after the previous epoch's "
                    f"{last_time}, got {time_s}"
                )
            last_time = time_s
        difficulty = _number(name, where, "difficulty", row["difficulty"], empty=True)
        if (difficulty is None) != (row["nbits"] == ""):
            raise InputError(
                f"{name} {where}: expected difficulty and nbits both given or both empty, "
                f"got {row['difficulty']!r} and {row['nbits']!r}"
            )
        if difficulty is not None:
            if difficulty <= 0:
                raise InputError(f"{name} {where}: expected difficulty > 0, got {difficulty}")
            if not _NBITS.match(row["nbits"]):
                raise InputError(f"{name} {where}: expected nbits as 0x%08x, got {row['nbits']!r}")
            pairs.append((where, difficulty, int(row["nbits"], 16)))
        if not row["source"]:
            raise InputError(f"{name} {where}: expected a source, got ''")
    if not pairs:
        raise InputError(f"{name}: expected at least one epoch with a difficulty, got none")
    implied = np.ravel(nbits_to_difficulty([nbits for _, _, nbits in pairs])).tolist()
    for (where, difficulty, nbits), exact in zip(pairs, implied, strict=True):
        if not abs(difficulty / exact - 1) <= DIFFICULTY_RTOL:
            raise InputError(
                f"{name} {where}: expected the difficulty of nbits 0x{nbits:08x} "
                f"({exact:.16g}), got {difficulty:.16g}"
            )


def month_number(month: str) -> int:
    """``"YYYY-MM"`` -> months since year 0 (consecutive months differ by 1)."""
    year, mon = month.split("-")
    return 12 * int(year) + int(mon) - 1


def _months(name: str, rows: list[dict[str, str]], contiguous: bool) -> None:
    previous = None
    for i, row in enumerate(rows):
        month = row["month"]
        if not _MONTH.match(month):
            raise InputError(f"{name} row {i + 1}: expected month as YYYY-MM, got {month!r}")
        number = month_number(month)
        if previous is not None:
            ok = number == previous + 1 if contiguous else number > previous
            if not ok:
                after = "the month after" if contiguous else "a month after"
                raise InputError(
                    f"{name} row {i + 1}: expected {after} {rows[i - 1]['month']}, got {month}"
                )
        previous = number


def days_in_month(month: str) -> int:
    """Days in ``"YYYY-MM"``."""
    year, mon = map(int, month.split("-"))
    return calendar.monthrange(year, mon)[1]


def _check_prices(name: str, rows: list[dict[str, str]]) -> None:
    _months(name, rows, contiguous=True)
    for i, row in enumerate(rows):
        where = f"row {i + 1} ({row['month']})"
        low, mean, high = (
            _number(name, where, column, row[column])
            for column in ("btc_price_usd_min", "btc_price_usd_mean", "btc_price_usd_max")
        )
        if not 0 < low <= mean <= high:
            raise InputError(
                f"{name} {where}: expected 0 < min <= mean <= max, got {low}, {mean}, {high}"
            )
        days, full = _number(name, where, "days", row["days"], int), days_in_month(row["month"])
        if not (days == full or (i == len(rows) - 1 and 1 <= days <= full)):
            span = (
                f"1 to {full}" if i == len(rows) - 1 else f"{full} (only the last month is partial)"
            )
            raise InputError(f"{name} {where}: expected days {span}, got {days}")
        pkr = _number(name, where, "pkr_per_usd_mean", row["pkr_per_usd_mean"], empty=True)
        if pkr is not None and pkr <= 0:
            raise InputError(f"{name} {where}: expected pkr_per_usd_mean > 0, got {pkr}")


def _check_fees(name: str, rows: list[dict[str, str]]) -> None:
    _months(name, rows, contiguous=False)
    last = -1
    for i, row in enumerate(rows):
        where = f"row {i + 1} ({row['month']})"
        mean = _number(name, where, "fees_btc_per_block_mean", row["fees_btc_per_block_mean"])
        if mean < 0:
            raise InputError(f"{name} {where}: expected fees_btc_per_block_mean >= 0, got {mean}")
        blocks = _number(name, where, "blocks", row["blocks"], int)
        first_s, _, last_s = row["heights"].partition("-")
        first = _number(name, where, "heights", first_s, int)
        end = _number(name, where, "heights", last_s, int)
        if first <= last or end < first:
            raise InputError(
                f"{name} {where}: expected heights first-last after height {last}, "
                f"got {row['heights']!r}"
            )
        if blocks != end - first + 1:
            raise InputError(
                f"{name} {where}: expected blocks = last - first + 1 height "
                f"({end - first + 1}), got {blocks}"
            )
        last = end


_CHECKS = {DIFFICULTY: _check_difficulty, PRICES: _check_prices, FEES: _check_fees}
