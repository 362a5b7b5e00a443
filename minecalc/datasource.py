"""``minecalc data update``: fetch newer history, check it, write it to the user data folder.

Two sources, read with the standard library's ``urllib`` (an explicit timeout on every
request):

- **mempool** - a mempool.space-compatible REST API (``https://mempool.space`` or your own
  instance):

  - ``GET /api/blocks/tip/height`` - the chain tip (plain text);
  - ``GET /api/block-height/{height}`` - a block's hash (plain text), then
    ``GET /api/block/{hash}`` - its header fields (``height``, ``timestamp``, ``bits`` as an
    integer, ``difficulty``): the first block of every epoch, and the tip's time;
  - ``GET /api/v1/historical-price?currency=USD`` - ``{"prices": [{"time", "USD"}, ...],
    "exchangeRates": {...}}``; the first price of each UTC day is that day's price;
  - ``GET /api/v1/mining/blocks/timestamp/{unix}`` - ``{"height", "hash", "timestamp"}`` of the
    latest block stamped at or before a time: a month starts after the latest block stamped
    before it;
  - ``GET /api/v1/mining/reward-stats/{blockCount}`` - ``{"startBlock", "endBlock",
    "totalFee", ...}`` summed over the last ``blockCount`` blocks: a month's fees are the
    difference of two such sums.

  ``/api/v1/mining/difficulty-adjustments`` is not used: it lists the changes of difficulty
  without nBits, and an epoch whose difficulty did not change (2009) has no entry.
- **node** - your own Bitcoin Core over JSON-RPC (``--rpc-user``/``--rpc-password`` or the
  ``.cookie`` file): ``getblockcount``, ``getblockhash``, ``getblockheader`` (``time``,
  ``bits``, ``difficulty``) for the epochs, and ``getblockstats`` (``height``, ``time``,
  ``totalfee``) for every block of the months since the packaged fee table; requests are
  batched. A node has no prices: the price table is not refreshed.

What is fetched starts where the packaged tables stop being complete (the epochs from the
first without a header time, height 943,488; the price month that is partial; the month
after the last fee month); the packaged rows before it are kept. Only epochs whose first
block has :data:`CONFIRMATIONS` blocks on top, and only fee months that have ended, are
written; the last price month may be partial (``days`` says so).

Every table is built in memory and checked (:func:`minecalc.datafiles.check_table`) before
anything is written; then each file is written under a temporary name and renamed into
place. Any failure - an HTTP error, a timeout, a refused connection, a reply that is not
JSON or not of the expected shape, data that fails the checks - raises :class:`SourceError`
naming the source, the endpoint and what was wrong, and leaves the folder as it was.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import datetime as dt
import io
import json
import math
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from . import datafiles
from .errors import InputError
from .progress import Progress, tell

SOURCES = ("mempool", "node")
MEMPOOL_URL = "https://mempool.space"
NODE_URL = "http://127.0.0.1:8332"
TIMEOUT_S = 30.0
"""Default timeout of one request [s]."""
CONFIRMATIONS = 6
"""Blocks on top of an epoch's first block before its row is written [blocks]."""
MAX_REPLY_BYTES = 64 << 20
"""The largest reply read [bytes] (mempool.space's whole USD price history is a few MB)."""
RPC_BATCH = 500
"""JSON-RPC calls per request to a node."""


class SourceError(InputError):
    """A source that could not be read, or whose reply was not what was expected."""


@dataclasses.dataclass(frozen=True)
class UpdateResult:
    """What :func:`update` wrote.

    Attributes
    ----------
    folder : pathlib.Path
        The user data folder.
    written : tuple of str
        The files written (tables and ``provenance.json``).
    newest : dict of str to str
        Table -> its newest row (``"epoch 969,696 (2026-10-02)"``, ``"2026-10 (6 days)"``).
    notes : tuple of str
        What was not refreshed and why.
    """

    folder: Path
    written: tuple[str, ...]
    newest: dict[str, str]
    notes: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class _Header:
    height: int
    time_s: int
    nbits: int
    difficulty: float


@dataclasses.dataclass(frozen=True)
class _FeeMonth:
    month: str
    fees_sat: int
    first: int
    last: int


# --------------------------------------------------------------------------- transport


def public_url(url: str) -> str:
    """``url`` without a user name or password, for messages and provenance."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port is not None else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc)).rstrip("/")


class _Http:
    """Requests to one source, each failure a :class:`SourceError` naming it."""

    def __init__(self, source: str, url: str, timeout_s: float, auth: str | None = None):
        try:
            parts = urllib.parse.urlsplit(url)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname)
            shown = public_url(url)  # also reads the port: a bad one is a ValueError
        except ValueError:
            ok, shown = False, url.rpartition("@")[2]
        if not ok:
            raise InputError(f"url: expected an http:// or https:// URL, got {shown!r}", "url")
        # credentials in the URL go into the header (urllib does not read them there)
        self.source, self.timeout_s = source, timeout_s
        self.url = self.shown = shown
        self.headers = {"User-Agent": "minecalc", "Accept": "application/json"}
        if auth is None and (parts.username or parts.password):
            auth = f"{urllib.parse.unquote(parts.username or '')}:"
            auth += urllib.parse.unquote(parts.password or "")
        if auth is not None:
            token = base64.b64encode(auth.encode()).decode("ascii")
            self.headers["Authorization"] = f"Basic {token}"

    def error(self, endpoint: str, what: str) -> SourceError:
        """An error naming the source, the endpoint (a path, or `` method`` for RPC) and
        ``what`` was wrong."""
        return SourceError(f"{self.source} {self.shown}{endpoint}: {what}")

    def get(self, endpoint: str, body: bytes | None = None) -> bytes:
        """The reply to ``GET endpoint``; with ``body``, to a ``POST`` of it to the URL itself
        (JSON-RPC), ``endpoint`` then naming the call in messages."""
        headers = {**self.headers}
        if body is not None:
            headers["Content-Type"] = "application/json"
        address = self.url + ("/" if body is not None else endpoint)
        request = urllib.request.Request(address, data=body, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as reply:
                data = reply.read(MAX_REPLY_BYTES + 1)
        except urllib.error.HTTPError as err:
            detail = _rpc_error_text(err)
            raise self.error(
                endpoint, f"expected HTTP 200, got {err.code} {err.reason}{detail}"
            ) from None
        except TimeoutError:  # socket.timeout is TimeoutError since Python 3.10
            raise self.error(
                endpoint, f"expected a reply, got none in {self.timeout_s:g} s"
            ) from None
        except urllib.error.URLError as err:
            reason = err.reason
            if isinstance(reason, TimeoutError):
                got = f"none in {self.timeout_s:g} s"
            else:
                got = f"no connection ({reason})"
            raise self.error(endpoint, f"expected a reply, got {got}") from None
        except (OSError, ValueError) as err:  # reset connections, broken HTTP
            raise self.error(
                endpoint, f"expected a reply, got {type(err).__name__}: {err}"
            ) from None
        if len(data) > MAX_REPLY_BYTES:
            raise self.error(endpoint, f"expected a reply of at most {MAX_REPLY_BYTES:,} bytes")
        return data

    def json(self, endpoint: str, body: bytes | None = None) -> Any:
        """The reply to ``endpoint`` parsed as JSON."""
        data = self.get(endpoint, body)
        try:
            return json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise self.error(endpoint, f"expected JSON, got {_snippet(data)}") from None

    def integer(self, endpoint: str) -> int:
        """The reply to ``endpoint``, a plain-text integer."""
        data = self.get(endpoint)
        text = data.decode("utf-8", "replace").strip()
        if not text.isdigit():
            raise self.error(endpoint, f"expected an integer, got {_snippet(data)}")
        return int(text)

    def text(self, endpoint: str) -> str:
        """The reply to ``endpoint``, plain text."""
        return self.get(endpoint).decode("utf-8", "replace").strip()


def _snippet(data: bytes) -> str:
    text = data[:60].decode("utf-8", "replace")
    return repr(text + ("..." if len(data) > 60 else ""))


def _rpc_error_text(err: urllib.error.HTTPError) -> str:
    """Bitcoin Core's JSON error in an HTTP error reply, as `` (code: message)``."""
    try:
        error = json.loads(err.read(65536))["error"]
        return f" ({error['code']}: {error['message']})"
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def _field(http: _Http, endpoint: str, reply: Any, key: str, kind: type | tuple) -> Any:
    """``reply[key]``, checked to be of ``kind`` (a bool is never a number)."""
    if not isinstance(reply, dict):
        raise http.error(endpoint, f"expected a JSON object, got {type(reply).__name__}")
    if key not in reply:
        raise http.error(endpoint, f"expected the key {key!r}, got keys {sorted(reply)[:8]}")
    value = reply[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    ok = isinstance(value, kinds) and not isinstance(value, bool)
    if ok and number and not math.isfinite(value):
        ok = False
    if not ok:
        names = " or ".join(k.__name__ for k in kinds)
        raise http.error(endpoint, f"expected {key} as a finite {names}, got {value!r}")
    return value


def _sum(http: _Http, endpoint: str, reply: Any, key: str) -> int:
    """An integer sum that may come as a number or a string of digits (MySQL's SUM)."""
    value = _field(http, endpoint, reply, key, (int, str))
    if isinstance(value, str):
        if not value.isdigit():
            raise http.error(endpoint, f"expected {key} as an integer, got {value!r}")
        value = int(value)
    return value


def _header(http: _Http, endpoint: str, height: int, time_s, nbits, difficulty) -> _Header:
    """One epoch's first header, checked: its difficulty is its nbits'."""
    from .protocol import nbits_to_difficulty

    exact = nbits_to_difficulty(nbits)
    if not (0 < nbits < 2**32) or not abs(difficulty / exact - 1) <= 1e-9:
        raise http.error(
            endpoint,
            f"expected the difficulty of bits 0x{nbits:08x} ({exact:.16g}) at height "
            f"{height:,}, got {difficulty!r}",
        )
    return _Header(height, time_s, nbits, difficulty)


# --------------------------------------------------------------------------- mempool


def _mempool_block(http: _Http, height: int) -> _Header:
    block_hash = http.text(f"/api/block-height/{height}")
    endpoint = f"/api/block/{block_hash}"
    if not (len(block_hash) == 64 and all(c in "0123456789abcdef" for c in block_hash)):
        raise http.error(
            f"/api/block-height/{height}", f"expected a block hash, got {block_hash!r}"
        )
    reply = http.json(endpoint)
    got = _field(http, endpoint, reply, "height", int)
    if got != height:
        raise http.error(endpoint, f"expected the block at height {height:,}, got height {got}")
    return _header(
        http,
        endpoint,
        height,
        _field(http, endpoint, reply, "timestamp", int),
        _field(http, endpoint, reply, "bits", int),
        _field(http, endpoint, reply, "difficulty", (int, float)),
    )


def _mempool_prices(http: _Http) -> tuple[str, list[tuple[int, float]]]:
    endpoint = "/api/v1/historical-price?currency=USD"
    prices = _field(http, endpoint, http.json(endpoint), "prices", list)
    samples = []
    for entry in prices:
        time_s = _field(http, endpoint, entry, "time", int)
        usd = _field(http, endpoint, entry, "USD", (int, float))
        if usd > 0:  # mempool marks an hour without a price with -1 (0 before July 2010)
            samples.append((time_s, float(usd)))
    if not samples:
        raise http.error(endpoint, "expected prices above 0, got none")
    return endpoint, samples


def _mempool_fees(http: _Http, tip: int, months: list[str], first: int) -> list[_FeeMonth]:
    """Fees of ``months`` (the first starting at height ``first``), from two sums each."""
    starts = [first]
    for month in [*months[1:], _next_month(months[-1])]:
        endpoint = f"/api/v1/mining/blocks/timestamp/{_month_start_s(month) - 1}"
        starts.append(_field(http, endpoint, http.json(endpoint), "height", int) + 1)
    totals = []
    for start in starts:
        endpoint = f"/api/v1/mining/reward-stats/{tip - start + 1}"
        reply = http.json(endpoint)
        span = (
            _field(http, endpoint, reply, "startBlock", int),
            _field(http, endpoint, reply, "endBlock", int),
        )
        if span != (start, tip):
            raise http.error(
                endpoint,
                f"expected blocks {start:,} to the tip {tip:,} (if the tip moved, run the "
                f"update again), got {span[0]:,} to {span[1]:,}",
            )
        totals.append(_sum(http, endpoint, reply, "totalFee"))
    return [
        _FeeMonth(month, totals[i] - totals[i + 1], starts[i], starts[i + 1] - 1)
        for i, month in enumerate(months)
    ]


def _from_mempool(http: _Http, base: _Base, progress: Progress | None) -> dict[str, str]:
    tell(progress, f"mempool: the tip at {http.shown}")
    tip = http.integer("/api/blocks/tip/height")
    tip_time = _mempool_block(http, tip).time_s
    heights = base.epoch_heights(tip)
    headers = []
    for i, height in enumerate(heights):
        tell(progress, "mempool: epochs", i / max(len(heights), 1))
        headers.append(_mempool_block(http, height))
    tell(progress, "mempool: prices")
    price_endpoint, samples = _mempool_prices(http)
    months = base.fee_months(tip_time)
    tell(progress, "mempool: fees")
    fees = _mempool_fees(http, tip, months, base.fee_start) if months else []
    return {
        datafiles.DIFFICULTY: _checked(
            http, "/api/block/", datafiles.DIFFICULTY, base.difficulty(headers, "mempool")
        ),
        datafiles.PRICES: _checked(
            http, price_endpoint, datafiles.PRICES, base.prices(http, price_endpoint, samples)
        ),
        datafiles.FEES: _checked(
            http, "/api/v1/mining/reward-stats/", datafiles.FEES, base.fees(fees)
        ),
    }


# --------------------------------------------------------------------------- node


def _rpc(http: _Http, calls: list[tuple[str, list]]) -> list[Any]:
    """Results of JSON-RPC ``calls`` (method, params), in batches of :data:`RPC_BATCH`."""
    results: list[Any] = []
    for at in range(0, len(calls), RPC_BATCH):
        batch = calls[at : at + RPC_BATCH]
        body = [
            {"jsonrpc": "1.0", "id": at + i, "method": m, "params": p}
            for i, (m, p) in enumerate(batch)
        ]
        method = batch[0][0]
        reply = http.json(f" {method}", json.dumps(body).encode())
        if not isinstance(reply, list) or len(reply) != len(batch):
            got = f"{len(reply)} replies" if isinstance(reply, list) else type(reply).__name__
            raise http.error(f" {method}", f"expected {len(batch)} replies, got {got}")
        by_id = {r.get("id"): r for r in reply if isinstance(r, dict)}
        for i, (m, p) in enumerate(batch):
            answer = by_id.get(at + i)
            where = f" {m} {json.dumps(p)}"
            if answer is None:
                raise http.error(where, "expected a reply with its id, got none")
            if answer.get("error"):
                error = answer["error"]
                what = error.get("message", error) if isinstance(error, dict) else error
                raise http.error(where, f"expected a result, got the error {what!r}")
            if "result" not in answer:
                raise http.error(where, "expected a result, got none")
            results.append(answer["result"])
    return results


def _node_headers(http: _Http, heights: list[int]) -> list[_Header]:
    hashes = _rpc(http, [("getblockhash", [h]) for h in heights])
    for height, block_hash in zip(heights, hashes, strict=True):
        if not isinstance(block_hash, str):
            raise http.error(f" getblockhash [{height}]", f"expected a hash, got {block_hash!r}")
    replies = _rpc(http, [("getblockheader", [h]) for h in hashes])
    headers = []
    for height, reply in zip(heights, replies, strict=True):
        where = f" getblockheader (height {height})"
        bits = _field(http, where, reply, "bits", str)
        try:
            nbits = int(bits, 16)
        except ValueError:
            raise http.error(where, f"expected bits in hex, got {bits!r}") from None
        if _field(http, where, reply, "height", int) != height:
            raise http.error(where, f"expected height {height}, got {reply['height']!r}")
        headers.append(
            _header(
                http,
                where,
                height,
                _field(http, where, reply, "time", int),
                nbits,
                _field(http, where, reply, "difficulty", (int, float)),
            )
        )
    return headers


def _node_fees(http: _Http, first: int, tip: int, month: str) -> list[_FeeMonth]:
    """Fee months from block ``first`` (the start of ``month``) on, by each block's header
    time: a month starts at its first block stamped in it; only months that ended."""
    stats = _rpc(
        http,
        [("getblockstats", [h, ["height", "time", "totalfee"]]) for h in range(first, tip + 1)],
    )
    out: list[_FeeMonth] = []
    start, fees, following = first, 0, _month_start_s(_next_month(month))
    for height, reply in zip(range(first, tip + 1), stats, strict=True):
        where = f" getblockstats [{height}]"
        if _field(http, where, reply, "height", int) != height:
            raise http.error(where, f"expected height {height}, got {reply['height']!r}")
        time_s = _field(http, where, reply, "time", int)
        if time_s >= following:
            out.append(_FeeMonth(month, fees, start, height - 1))
            month, start, fees = _next_month(month), height, 0
            following = _month_start_s(_next_month(month))
        fees += _field(http, where, reply, "totalfee", int)
    return out


def _from_node(http: _Http, base: _Base, progress: Progress | None) -> dict[str, str]:
    tell(progress, f"node: the tip at {http.shown}")
    (tip,) = _rpc(http, [("getblockcount", [])])
    if not isinstance(tip, int) or isinstance(tip, bool) or tip < 0:
        raise http.error(" getblockcount", f"expected a height, got {tip!r}")
    tell(progress, "node: epochs")
    headers = _node_headers(http, base.epoch_heights(tip))
    tell(progress, f"node: fees of blocks {base.fee_start:,} to {tip:,}")
    fees = _node_fees(http, base.fee_start, tip, base.fee_month) if base.fee_start <= tip else []
    return {
        datafiles.DIFFICULTY: _checked(
            http, " getblockheader", datafiles.DIFFICULTY, base.difficulty(headers, "node")
        ),
        datafiles.FEES: _checked(http, " getblockstats", datafiles.FEES, base.fees(fees)),
    }


# --------------------------------------------------------------------------- tables


def _month_start_s(month: str) -> int:
    year, mon = map(int, month.split("-"))
    return int(dt.datetime(year, mon, 1, tzinfo=dt.timezone.utc).timestamp())


def _next_month(month: str) -> str:
    number = datafiles.month_number(month) + 1
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def _day_of(time_s: int) -> str:
    """``YYYY-MM-DD`` of a time [s since 1970, UTC]."""
    return f"{dt.datetime.fromtimestamp(time_s, dt.timezone.utc):%Y-%m-%d}"


def _month_of(time_s: int) -> str:
    return _day_of(time_s)[:7]


def _price(value: float) -> str:
    """As the packaged table: whole dollars from $1,000, else cents."""
    return f"{value:.0f}" if value >= 1000 else f"{value:.2f}"


def _csv(name: str, rows: Iterable[Iterable[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(datafiles.COLUMNS[name])
    writer.writerows(rows)
    return out.getvalue()


class _Base:
    """The packaged tables, and where fetching starts in each."""

    def __init__(self) -> None:
        self.rows: dict[str, list[list[Any]]] = {
            name: list(csv.reader(io.StringIO(datafiles.packaged_text(name))))[1:]
            for name in datafiles.TABLES
        }
        epochs = self.rows[datafiles.DIFFICULTY]
        # the first epoch without a header time or a difficulty, or the one after the last
        gaps = [int(r[0]) for r in epochs if not (r[1] and r[2])]
        self.epoch_start = gaps[0] if gaps else int(epochs[-1][0]) + 2016
        self.price_month = self.rows[datafiles.PRICES][-1][0]  # partial: fetched again
        last_fees = self.rows[datafiles.FEES][-1]
        self.fee_month = _next_month(last_fees[0])
        self.fee_start = int(last_fees[3].split("-")[1]) + 1

    def epoch_heights(self, tip: int) -> list[int]:
        """Epoch starts from the first to refresh to the newest buried under the tip."""
        return list(range(self.epoch_start, tip - CONFIRMATIONS + 1, 2016))

    def fee_months(self, tip_time_s: int) -> list[str]:
        """Months from the first to refresh that ended before the tip's header time."""
        months, month = [], self.fee_month
        while _month_start_s(_next_month(month)) <= tip_time_s:
            months.append(month)
            month = _next_month(month)
        return months

    def difficulty(self, headers: list[_Header], source: str) -> str:
        from .protocol import nbits_to_difficulty

        kept = [r for r in self.rows[datafiles.DIFFICULTY] if int(r[0]) < self.epoch_start]
        new = [
            [h.height, h.time_s, f"{nbits_to_difficulty(h.nbits):.16g}", f"0x{h.nbits:08x}", source]
            for h in headers
        ]
        if not new:  # nothing buried yet: keep the packaged rows
            kept = self.rows[datafiles.DIFFICULTY]
        return _csv(datafiles.DIFFICULTY, kept + new)

    def prices(self, http: _Http, endpoint: str, samples: list[tuple[int, float]]) -> str:
        daily: dict[str, tuple[int, float]] = {}
        for time_s, usd in samples:  # the first price of each UTC day
            day = _day_of(time_s)
            if day not in daily or time_s < daily[day][0]:
                daily[day] = (time_s, usd)
        by_month: dict[str, list[float]] = {}
        for day in sorted(daily):
            if day[:7] >= self.price_month:
                by_month.setdefault(day[:7], []).append(daily[day][1])
        if not by_month:  # the partial packaged month would be lost
            newest = _month_of(max(t for t, _ in samples))
            raise http.error(endpoint, f"expected prices from {self.price_month}, got {newest}")
        kept = [r for r in self.rows[datafiles.PRICES] if r[0] < self.price_month]
        new = [
            [m, _price(sum(v) / len(v)), _price(min(v)), _price(max(v)), len(v), ""]
            for m, v in sorted(by_month.items())
        ]
        return _csv(datafiles.PRICES, kept + new)

    def fees(self, months: list[_FeeMonth]) -> str:
        new = [
            [m.month, repr(round(m.fees_sat / 1e8 / (m.last - m.first + 1), 8)),
             m.last - m.first + 1, f"{m.first}-{m.last}"]
            for m in months
        ]  # fmt: skip
        return _csv(datafiles.FEES, self.rows[datafiles.FEES] + new)


def _checked(http: _Http, endpoint: str, name: str, text: str) -> str:
    """``text`` if it passes the checks of table ``name``; else the source's error."""
    try:
        datafiles.check_table(name, text)
    except InputError as err:
        raise http.error(endpoint, f"expected data that makes a valid table, got: {err}") from None
    return text


# --------------------------------------------------------------------------- writing


def _write_all(folder: Path, files: dict[str, str]) -> None:
    """Write ``files`` (name -> text) into ``folder``: every one to a temporary first, then
    each renamed into place; on a failure before the renames nothing is changed."""
    folder.mkdir(parents=True, exist_ok=True)
    temps: dict[str, str] = {}
    try:
        for name, text in files.items():
            fd, temps[name] = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
        for name, tmp in temps.items():
            os.replace(tmp, folder / name)
    finally:
        for tmp in temps.values():
            if os.path.lexists(tmp):
                os.unlink(tmp)


def _newest(name: str, text: str) -> tuple[str, dict[str, Any]]:
    """The newest row of a table in words, and for provenance.json."""
    last = list(csv.reader(io.StringIO(text)))[-1]
    if name == datafiles.DIFFICULTY:
        when = "" if not last[1] else f" ({_day_of(int(last[1]))})"
        return f"epoch {int(last[0]):,}{when}", {"newest_height": int(last[0])}
    if name == datafiles.PRICES:
        return f"{last[0]} ({last[4]} days)", {"newest_month": last[0]}
    return f"{last[0]} (heights {last[3]})", {"newest_month": last[0]}


def update(  # noqa: PLR0913 - the command's options, keyword-only
    *,
    source: str,
    url: str | None = None,
    folder: str | os.PathLike | None = None,
    timeout_s: float = TIMEOUT_S,
    rpc_user: str | None = None,
    rpc_password: str | None = None,
    rpc_cookie: str | os.PathLike | None = None,
    progress: Progress | None = None,
    now: Callable[[], dt.datetime] | None = None,
) -> UpdateResult:
    """Fetch the history newer than the packaged tables and write it to the data folder.

    Parameters
    ----------
    source : {"mempool", "node"}
        A mempool.space-compatible REST API, or Bitcoin Core's JSON-RPC.
    url : str, optional
        Its address; default :data:`MEMPOOL_URL` or :data:`NODE_URL`.
    folder : path-like, optional
        Where to write; default :func:`minecalc.datafiles.user_data_dir`.
    timeout_s : float
        Timeout of each request [s], > 0.
    rpc_user, rpc_password : str, optional
        The node's RPC credentials (``rpcuser``/``rpcpassword``, or ``rpcauth``).
    rpc_cookie : path-like, optional
        The node's ``.cookie`` file instead (``__cookie__:<password>``).
    progress : callable, optional
        ``progress(message, fraction)``, see :mod:`minecalc.progress`.
    now : callable, optional
        Returns the current UTC time, for ``fetched_at``; default the clock.

    Returns
    -------
    UpdateResult
        The folder, the files written, their newest rows and what was not refreshed.

    Raises
    ------
    SourceError
        If a request fails (HTTP status, timeout, connection) or a reply is not what was
        expected (not JSON, a missing key, a wrong type, data that fails the table checks);
        then the folder is unchanged.
    InputError
        If ``source``, ``url``, ``timeout_s`` or the credentials are not usable.
    """
    if source not in SOURCES:
        raise InputError(f"source: expected one of {', '.join(SOURCES)}, got {source!r}", "source")
    if not (math.isfinite(timeout_s) and timeout_s > 0):
        raise InputError(f"timeout: expected a number of seconds > 0, got {timeout_s}", "timeout")
    url = url or (MEMPOOL_URL if source == "mempool" else NODE_URL)
    auth = None
    if source == "node":
        auth = _node_auth(rpc_user, rpc_password, rpc_cookie)
    http = _Http(source, url, timeout_s, auth)
    base = _Base()
    tables = (_from_mempool if source == "mempool" else _from_node)(http, base, progress)
    target = Path(folder) if folder is not None else datafiles.user_data_dir()
    fetched_at = (now or (lambda: dt.datetime.now(dt.timezone.utc)))().replace(microsecond=0)
    entry = {"source": source, "url": http.shown, "fetched_at": fetched_at.isoformat()}
    recorded = datafiles.provenance(target).get("tables", {})
    newest = {}
    recorded = dict(recorded) if isinstance(recorded, dict) else {}
    for name, text in tables.items():
        newest[name], extra = _newest(name, text)
        recorded[name] = {**entry, **extra}
    provenance = {**entry, "tables": recorded}
    _write_all(target, {**tables, datafiles.PROVENANCE: json.dumps(provenance, indent=2) + "\n"})
    datafiles.clear_cache()
    notes: tuple[str, ...] = ()
    if datafiles.PRICES not in tables:
        notes = ("prices: not refreshed (a node has no prices)",)
    return UpdateResult(target, (*tables, datafiles.PROVENANCE), newest, notes)


def _node_auth(user: str | None, password: str | None, cookie) -> str | None:
    """``user:password`` for HTTP basic authentication, from the options or the cookie."""
    if cookie is not None:
        if user is not None or password is not None:
            raise InputError(
                "rpc_cookie: expected either a cookie file or a user and password, got both",
                "rpc_cookie",
            )
        try:
            text = Path(cookie).read_text(encoding="utf-8").strip()
        except OSError as err:
            raise InputError(
                f"rpc_cookie: expected a readable cookie file, got {cookie} ({err.strerror})",
                "rpc_cookie",
            ) from None
        if ":" not in text:
            raise InputError(
                f"rpc_cookie: expected user:password in {cookie}, got no ':'", "rpc_cookie"
            )
        return text
    if (user is None) != (password is None):
        raise InputError(
            "rpc_user: expected both --rpc-user and --rpc-password, got only one", "rpc_user"
        )
    return None if user is None else f"{user}:{password}"
