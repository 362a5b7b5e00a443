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
        self.shown = False

    def __call__(self, message: str, fraction: float | None = None) -> None:
        if not self.enabled:
            return
        done = "" if fraction is None else f" {100 * min(max(fraction, 0.0), 1.0):3.0f} %"
        line = f"{message}{done}  [{time.monotonic() - self.start:.0f} s]"
        width = shutil.get_terminal_size((80, 20)).columns - 1
        self.stream.write("\r" + line[:width].ljust(width))
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        """Clear the status line, leaving the terminal as it was."""
        if self.shown:
            width = shutil.get_terminal_size((80, 20)).columns - 1
            self.stream.write("\r" + " " * width + "\r")
            self.stream.flush()
            self.shown = False


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
