"""Computing dask-backed results: one place that knows the schedulers and reports progress.

``scheduler`` means the same everywhere (``sweep --chunks``, ``montecarlo --chunks``):
the name of a local dask scheduler (``"threads"``, the default, ``"processes"`` or
``"synchronous"``), or the address of a running ``dask.distributed`` scheduler
(``"tcp://host:8786"``), which needs the ``scale`` extra.
"""

from __future__ import annotations

import time

from .errors import InputError, require
from .progress import Progress, dask_progress, tell

LOCAL_SCHEDULERS = ("threads", "processes", "synchronous")


def check_scheduler(scheduler: str | None) -> None:
    """Refuse a scheduler that is neither a local name nor an address."""
    if scheduler is None or scheduler in LOCAL_SCHEDULERS or "://" in scheduler:
        return
    raise InputError(
        f"scheduler: expected {', '.join(LOCAL_SCHEDULERS)} or the address of a "
        f"dask.distributed scheduler (tcp://host:8786), got {scheduler!r}",
        option="scheduler",
    )


def compute(
    *collections,
    scheduler: str | None = None,
    progress: Progress | None = None,
    message: str = "computing",
):
    """Compute dask collections (Datasets, delayed writes) on ``scheduler``, with progress.

    Parameters
    ----------
    *collections
        What ``dask.compute`` takes.
    scheduler : str, optional
        See the module docstring; default ``"threads"``.
    progress : callable, optional
        ``progress(message, fraction)``; see :mod:`minecalc.progress`.
    message : str
        What the progress line says.

    Returns
    -------
    tuple
        The computed results, as ``dask.compute`` returns them.
    """
    check_scheduler(scheduler)
    dask = require("dask", extra="scale", feature="chunks")
    if scheduler is None or "://" not in scheduler:
        with dask_progress(progress, message), dask.config.set(scheduler=scheduler or "threads"):
            return dask.compute(*collections)
    distributed = require("distributed", extra="scale", feature="scheduler")
    try:
        client = distributed.Client(scheduler, timeout="10s")
    except OSError as err:
        raise InputError(
            f"scheduler: expected a reachable dask.distributed scheduler, got "
            f"{scheduler!r} ({err})",
            option="scheduler",
        ) from None
    with client:
        futures = client.compute(list(collections))
        while not all(f.done() for f in futures):
            tell(progress, f"{message} on {scheduler}")
            time.sleep(0.5)
        return tuple(client.gather(futures))
