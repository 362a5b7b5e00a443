"""Loopback stand-ins for mempool.space and a Bitcoin Core node, for the data update tests.

Both serve one small made-up chain (:class:`Chain`): heights 934,542 (the first block after
the packaged fee table) to the tip 970,300 (2026-10-07), a block every 600 s give or take
10 minutes (so header times run backwards now and then, as on the real chain), the packaged
nBits for the epochs up to 965,664 and made-up ones after.

- The mempool server replays the recorded replies in ``tests/data_update/mempool.json``
  (path -> reply, shaped as mempool.space's: plain text for heights and hashes, JSON for the
  rest). ``python tests/fake_sources.py`` records them again from :class:`Chain`.
- The node server answers JSON-RPC (POST, basic authentication, batches) from
  :class:`Chain` as Bitcoin Core would.

A test can make a path fail (``server.faults[path] = ...``): an HTTP status, a sleep past
the client's timeout, or a body of its own.
"""

from __future__ import annotations

import base64
import calendar
import csv
import hashlib
import http.server
import json
import math
import threading
import time
from importlib import resources
from pathlib import Path

RECORDED = Path(__file__).parent / "data_update" / "mempool.json"

FIRST, TIP = 934_542, 970_300
FIRST_TIME = 1769904300  # 2026-02-01 00:05 UTC
NEW_NBITS = {951_552: 0x1702290A, 967_680: 0x17023210, 969_696: 0x17022F3B}
SUBSIDY_SAT = 312_500_000


class Chain:
    """The made-up chain both fakes serve."""

    def __init__(self) -> None:
        text = resources.files("minecalc").joinpath("data/difficulty_epochs.csv").read_text()
        self.nbits = {int(r["height"]): int(r["nbits"], 16) for r in csv.DictReader(
            text.splitlines()) if r["nbits"]}  # fmt: skip
        self.nbits.update(NEW_NBITS)

    @staticmethod
    def time(height: int) -> int:
        return FIRST_TIME + (height - FIRST) * 600 + (height * 7919) % 1201 - 600

    @staticmethod
    def fee_sat(height: int) -> int:
        return 1_500_000 + (height * 104_729) % 2_000_000

    @staticmethod
    def hash(height: int) -> str:
        return hashlib.sha256(f"block {height}".encode()).hexdigest()

    def bits(self, height: int) -> int:
        return self.nbits[height - height % 2016]

    def difficulty(self, height: int) -> float:
        bits = self.bits(height)
        return 0xFFFF / (bits & 0xFFFFFF) * 256.0 ** (29 - (bits >> 24))

    def height_of(self, block_hash: str) -> int:
        return self.heights[block_hash]

    @property
    def heights(self) -> dict[str, int]:
        if not hasattr(self, "_heights"):
            self._heights = {self.hash(h): h for h in range(FIRST, TIP + 1)}
        return self._heights

    def esplora_block(self, height: int) -> dict:
        """``/api/block/{hash}`` as mempool.space answers it."""
        return {
            "id": self.hash(height),
            "height": height,
            "version": 536_870_912,
            "timestamp": self.time(height),
            "tx_count": 3_000 + height % 997,
            "size": 1_600_000 + height % 99_991,
            "weight": 3_993_000 + height % 6_997,
            "merkle_root": hashlib.sha256(f"merkle {height}".encode()).hexdigest(),
            "previousblockhash": self.hash(height - 1),
            "mediantime": self.time(height) - 3_000,
            "nonce": (height * 2_654_435_761) % 2**32,
            "bits": self.bits(height),
            "difficulty": self.difficulty(height),
        }

    def core_header(self, height: int) -> dict:
        """``getblockheader`` as Bitcoin Core answers it."""
        return {
            "hash": self.hash(height),
            "confirmations": TIP - height + 1,
            "height": height,
            "version": 536_870_912,
            "versionHex": "20000000",
            "merkleroot": hashlib.sha256(f"merkle {height}".encode()).hexdigest(),
            "time": self.time(height),
            "mediantime": self.time(height) - 3_000,
            "nonce": (height * 2_654_435_761) % 2**32,
            "bits": f"{self.bits(height):08x}",
            "difficulty": self.difficulty(height),
            "chainwork": f"{height * 2**70:064x}",
            "nTx": 3_000 + height % 997,
            "previousblockhash": self.hash(height - 1),
            "nextblockhash": self.hash(height + 1),
        }

    def reward_stats(self, count: int) -> dict:
        """``/api/v1/mining/reward-stats/{count}``: sums as strings, as MySQL gives them."""
        heights = range(TIP - count + 1, TIP + 1)
        fees = sum(map(self.fee_sat, heights))
        return {
            "startBlock": heights[0],
            "endBlock": TIP,
            "totalReward": str(fees + SUBSIDY_SAT * count),
            "totalFee": str(fees),
            "totalTx": str(sum(3_000 + h % 997 for h in heights)),
        }

    def latest_before(self, timestamp: int) -> dict:
        """``/api/v1/mining/blocks/timestamp/{timestamp}``: the latest block stamped then or
        before."""
        guess = FIRST + (timestamp - FIRST_TIME) // 600
        near = [h for h in range(guess - 10, guess + 10) if self.time(h) <= timestamp]
        height = max(near, key=lambda h: (self.time(h), h))
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(self.time(height)))
        return {"height": height, "hash": self.hash(height), "timestamp": stamp}


def prices() -> dict:
    """``/api/v1/historical-price?currency=USD``: every 3 hours from 2026-07-20, newest
    first (the real reply goes back to 2010; the update reads from August 2026 only)."""
    start, end = 1784505600, Chain.time(TIP)
    rows = []
    for t in range(start, end, 3 * 3600):
        usd = 64_000 * math.exp(0.08 * math.sin(t / 9e5) + 0.02 * math.sin(t / 7e4))
        rows.append({"time": t, "USD": round(usd)})
    return {
        "prices": rows[::-1],
        "exchangeRates": {
            "USDEUR": 0.86,
            "USDGBP": 0.74,
            "USDCAD": 1.38,
            "USDCHF": 0.8,
            "USDAUD": 1.52,
            "USDJPY": 147.9,
        },
    }


def record() -> dict:
    """Every reply the mempool update asks for, from :class:`Chain`."""
    chain, out = Chain(), {}
    out["/api/blocks/tip/height"] = str(TIP)
    for height in [TIP, *range(943_488, TIP - 5, 2016)]:
        out[f"/api/block-height/{height}"] = chain.hash(height)
        out[f"/api/block/{chain.hash(height)}"] = chain.esplora_block(height)
    out["/api/v1/historical-price?currency=USD"] = prices()
    starts = [FIRST]
    for month in range(3, 11):  # the months after 2026-02
        boundary = calendar.timegm((2026, month, 1, 0, 0, 0)) - 1
        reply = chain.latest_before(boundary)
        out[f"/api/v1/mining/blocks/timestamp/{boundary}"] = reply
        starts.append(reply["height"] + 1)
    for start in starts:
        out[f"/api/v1/mining/reward-stats/{TIP - start + 1}"] = chain.reward_stats(TIP - start + 1)
    return out


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.faults: dict[str, tuple] = {}
        self.requests: list[str] = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    def handle_error(self, request, client_address) -> None:
        # a client that gave up (the timeout tests) breaks the pipe; a bug in a handler
        # shows as a client without its reply
        pass

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # quiet tests
        pass

    def reply(self, status: int, body, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def fault(self, key: str) -> bool:
        """Answer with the fault set for ``key``, if any: ``("status", code)``, ``("sleep",
        seconds)`` or ``("body", bytes)``."""
        self.server.requests.append(key)
        kind, value = self.server.faults.get(key, (None, None))
        if kind == "status":
            self.reply(value, json.dumps({"error": "Internal Server Error"}), "text/plain")
        elif kind == "sleep":
            time.sleep(value)
            self.reply(200, b"0", "text/plain")
        elif kind == "body":
            self.reply(200, value)
        return kind is not None


class MempoolHandler(_Handler):
    recorded = None

    def do_GET(self) -> None:
        if self.fault(self.path):
            return
        if MempoolHandler.recorded is None:
            MempoolHandler.recorded = json.loads(RECORDED.read_text())
        body = MempoolHandler.recorded.get(self.path)
        if body is None:
            self.reply(404, "Not Found", "text/plain")
        elif isinstance(body, str):
            self.reply(200, body, "text/plain")
        else:
            self.reply(200, json.dumps(body))


class NodeHandler(_Handler):
    chain = Chain()
    auth = "alice:secret"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        expected = "Basic " + base64.b64encode(self.auth.encode()).decode()
        if self.headers.get("Authorization") != expected:
            self.reply(401, b"", "text/html")
            return
        calls = json.loads(body)
        if self.fault(calls[0]["method"] if isinstance(calls, list) else calls["method"]):
            return
        answers = [self.answer(c) for c in (calls if isinstance(calls, list) else [calls])]
        self.reply(200, json.dumps(answers if isinstance(calls, list) else answers[0]))

    def answer(self, call: dict) -> dict:
        method, params, chain = call["method"], call["params"], self.chain
        if method == "getblockcount":
            result = TIP
        elif method == "getblockhash":
            result = chain.hash(params[0])
        elif method == "getblockheader":
            result = chain.core_header(chain.height_of(params[0]))
        elif method == "getblockstats":
            h = params[0]
            stats = {"height": h, "time": chain.time(h), "totalfee": chain.fee_sat(h)}
            result = {k: stats[k] for k in params[1]}
        else:
            return {"result": None, "error": {"code": -32601, "message": "Method not found"},
                    "id": call["id"]}  # fmt: skip
        return {"result": result, "error": None, "id": call["id"]}


def mempool_server() -> _Server:
    return _Server(MempoolHandler)


def node_server() -> _Server:
    return _Server(NodeHandler)


if __name__ == "__main__":
    RECORDED.parent.mkdir(exist_ok=True)
    RECORDED.write_text(json.dumps(record(), indent=1) + "\n")
