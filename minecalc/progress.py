"""Progress of long work, told to a callback so that the library never prints.

Long-running functions take ``progress=None`` or a callable ``progress(message, fraction)``:
``message`` names the step ("Monte Carlo, 2,000 paths"), ``fraction`` is the share of that
step done (0 to 1) or None when unknown. The command line passes :class:`StderrProgress`,
which draws one line on standard error only when standard error is a terminal, so
standard output always carries only the result.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager

Progress = Callable[[str, "float | None"], None]
"""``progress(message, fraction)``; see the module docstring."""


def tell(progress: Progress | None, message: str, fraction: float | None = None) -> None:
    """Call ``progress`` if there is one."""
    if progress is not None:
        progress(message, fraction)


class StderrProgress:
    """One self-rewriting status line on a terminal's standard error.

    Parameters
    ----------
    stream : file, optional
        Where to draw (default ``sys.stderr``); nothing is drawn unless it is a terminal.
    enabled : bool
        False silences it (``--quiet``).
    """

    def __init__(self, stream=None, enabled: bool = True):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = time.monotonic()
        self.last = ""
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.ticker: threading.Thread | None = None

    def __call__(self, message: str, fraction: float | None = None) -> None:
        if not self.enabled:
            return
        done = "" if fraction is None else f" {100 * min(max(fraction, 0.0), 1.0):3.0f} %"
        self.last = f"{message}{done}"
        self._draw()
        if self.ticker is None:  # keeps the elapsed time moving during one long step
            self.stop = threading.Event()
            self.ticker = threading.Thread(target=self._tick, daemon=True)
            self.ticker.start()

    def _tick(self) -> None:
        while not self.stop.wait(1.0):
            self._draw()

    def _draw(self, clear: bool = False) -> None:
        width = shutil.get_terminal_size((80, 20)).columns - 1
        line = "" if clear else f"{self.last}  [{time.monotonic() - self.start:.0f} s]"
        with self.lock:
            self.stream.write("\r" + line[:width].ljust(width) + ("\r" if clear else ""))
            self.stream.flush()

    def close(self) -> None:
        """Stop and clear the status line, leaving the terminal as it was."""
        if self.ticker is not None:
            self.stop.set()
            self.ticker.join()
            self.ticker = None
            self._draw(clear=True)


@contextmanager
def dask_progress(progress: Progress | None, message: str):
    """Report a dask computation's share of finished tasks to ``progress``.

    Uses dask's own callback mechanism (``dask.callbacks.Callback``) for the local
    schedulers; a no-op when ``progress`` is None.
    """
    if progress is None:
        yield
        return
    from dask.callbacks import Callback

    class _Tell(Callback):
        def _start_state(self, dsk, state):
            self.total = max(sum(len(state[k]) for k in ("ready", "waiting", "running")), 1)
            self.done = 0
            progress(message, 0.0)

        def _posttask(self, key, result, dsk, state, worker_id):
            self.done += 1
            progress(message, self.done / self.total)

    with _Tell():
        yield
