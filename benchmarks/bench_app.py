"""Benchmark: how long the web page takes to answer a change, on the server.

Issue 18 asks for the headline figures within 300 ms of a change for a single scenario.
This times one session's page (``minecalc.app.page.Page``, no browser) as a control
changes: the headline (validation, the run, the summary and the figures), then the charts
that follow on the next tick, for pk2000mw and for pk2000mw_options (whose options
comparison is drawn with the charts). The browser's own round trip (a websocket message
each way on loopback) comes on top; tests/test_app_browser.py records it.

Usage: python benchmarks/bench_app.py [--repeats N]
"""

import argparse
import io
import statistics
import time

from minecalc.app.page import Page


class NextTick:
    """Stands for the session's document: keeps what the change leaves for the next tick."""

    def __init__(self):
        self.pending = []

    def add_next_tick_callback(self, work):
        self.pending.append(work)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    for example in ("pk2000mw", "pk2000mw_options"):
        page = Page(example)
        page.doc = NextTick()
        tariff = page.widgets["tariff.energy_price_per_kwh"]
        headline, charts = [], []
        for k in range(args.repeats):
            start = time.perf_counter()
            tariff.value = 20.0 + k  # the headline is recomputed in the change's callback
            headline.append(time.perf_counter() - start)
            start = time.perf_counter()
            while page.doc.pending:  # what the next tick draws, rendered as the pane would
                page.doc.pending.pop()()
            for pane in [*page.chart_panes, *page.option_panes]:
                if pane.object is not None and pane.visible:
                    pane.object.savefig(io.BytesIO(), format="png", dpi=96)
            charts.append(time.perf_counter() - start)
        print(
            f"{example:<18} headline {1e3 * statistics.median(headline):6.0f} ms "
            f"(max {1e3 * max(headline):.0f})  charts {1e3 * statistics.median(charts):6.0f} ms "
            f"(median of {args.repeats} changes)"
        )


if __name__ == "__main__":
    main()
