"""Computing dask-backed results: one place that knows the schedulers and reports progress.

``scheduler`` means the same everywhere (``sweep --chunks``, ``montecarlo --chunks``):
the name of a local dask scheduler (``"threads"``, the default, ``"processes"`` or
``"synchronous"``), or the address of a running ``dask.distributed`` scheduler
(``"tcp://host:8786"``), which needs the ``scale`` extra.

A computation that fails or is interrupted (Ctrl-C, SIGTERM) returns only once none of its
tasks runs any more, so that whatever they write (a chunk of a Zarr store) is not written
after the caller has removed its temporaries.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from contextlib import suppress
from typing import Any

from .errors import InputError, require
from .progress import Progress, dask_progress, tell

LOCAL_SCHEDULERS = ("threads", "processes", "synchronous")

#: Seconds to wait for a ``dask.distributed`` scheduler to answer.
CONNECT_TIMEOUT_S = 5.0

#: Seconds to wait, after a failure or an interruption, for a cluster's workers to finish
#: the tasks they are running (a task cannot be stopped half-way).
STOP_TIMEOUT_S = 60.0


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

    Raises
    ------
    InputError
        If no ``dask.distributed`` scheduler answers at the address ``scheduler`` within
        :data:`CONNECT_TIMEOUT_S`.
    ConnectionError
        If the connection to that scheduler is lost while computing.

    Notes
    -----
    On a failure or an interruption the tasks not started are cancelled and the running
    ones are waited for (on a cluster, for up to :data:`STOP_TIMEOUT_S`).
    """
    check_scheduler(scheduler)
    dask = require("dask", extra="scale", feature="chunks")
    if scheduler is not None and "://" in scheduler:
        return _compute_on_cluster(collections, scheduler, progress, message)
    name = scheduler or "threads"
    if name == "synchronous":  # its tasks run in this thread: none outlives the call
        with dask_progress(progress, message):
            return dask.compute(*collections, scheduler=name)
    pool = _pool(name)
    try:
        with dask_progress(progress, message):
            # one task at a time per worker (not dask's batches of 6 for processes): an
            # interruption then waits for one chunk on each, not for a batch
            return dask.compute(*collections, scheduler=name, pool=pool, chunksize=1)
    finally:
        # dask's own pools outlive an exception in the waiting thread: their running tasks
        # would go on writing after the caller has cleaned up.
        pool.shutdown(wait=True, cancel_futures=True)


def each(
    function: Callable[[Any], Any],
    items: Iterable[Any],
    *,
    scheduler: str | None = None,
    progress: Progress | None = None,
    message: str = "computing",
) -> list[Any]:
    """``function(item)`` for every item, on every core, in the items' order.

    Without ``scheduler``, a thread per core of this machine (no dask needed): the work
    must release the GIL (numpy, the compiled kernels) to gain from it. With one, the items
    are dask tasks on it (:func:`compute`). A failure or an interruption cancels the items
    not started and waits for the running ones.
    """
    items = list(items)
    if scheduler is not None:
        dask = require("dask", extra="scale", feature="scheduler")
        tasks = [dask.delayed(function)(item) for item in items]
        return list(compute(*tasks, scheduler=scheduler, progress=progress, message=message))
    from threadpoolctl import threadpool_limits

    results: list[Any] = [None] * len(items)
    pool = ThreadPoolExecutor(max(1, min(len(items), os.cpu_count() or 1)))
    # the workers take the cores: BLAS's own threads (a matrix product in the IRR) would
    # only contend with them
    with threadpool_limits(1, user_api="blas"):
        try:
            futures = {pool.submit(function, item): i for i, item in enumerate(items)}
            for done, future in enumerate(as_completed(futures), 1):
                results[futures[future]] = future.result()
                tell(progress, message, done / len(items))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return results


def _pool(scheduler: str) -> Executor:
    """A pool of this computation's own for a local scheduler, as many workers as dask's."""
    import dask
    import dask.system

    workers = dask.config.get("num_workers", None) or dask.system.CPU_COUNT
    if scheduler == "threads":
        return ThreadPoolExecutor(workers)
    import dask.multiprocessing

    return ProcessPoolExecutor(
        workers, mp_context=dask.multiprocessing.get_context(), initializer=_ignore_ctrl_c
    )


def _ignore_ctrl_c() -> None:
    """In a worker process: Ctrl-C reaches the whole process group, but only the parent
    should answer it (else every idle worker prints a traceback); the parent then waits for
    the workers' running tasks and stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _compute_on_cluster(collections, scheduler: str, progress, message: str):
    """:func:`compute` on the ``dask.distributed`` scheduler at the address ``scheduler``."""
    distributed = require("distributed", extra="scale", feature="scheduler")
    with _client(distributed, scheduler) as client:
        futures = client.compute(list(collections))
        try:
            while not all(f.done() for f in futures):
                tell(progress, f"{message} on {scheduler}")
                time.sleep(0.5)
            return tuple(client.gather(futures))
        except BaseException as err:
            lost = client.status != "running"  # its futures are cancelled: nothing to wait for
            if not lost:
                tell(progress, f"{message} on {scheduler}: stopping the running tasks")
                client.cancel(futures)
                _wait_until_stopped(client)
            if lost and isinstance(err, Exception):
                raise ConnectionError(
                    f"scheduler {scheduler}: the connection was lost while computing"
                ) from err
            raise


def _client(distributed, scheduler: str):
    """A ``distributed.Client`` of the scheduler at ``scheduler``, or :class:`InputError`."""
    reason = _no_scheduler_at(distributed, scheduler)
    if reason is None:
        try:
            return distributed.Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
        except OSError as err:
            reason = str(err)
    raise InputError(
        f"scheduler: expected the address of a reachable dask.distributed scheduler, got "
        f"{scheduler!r} ({reason})",
        option="scheduler",
    )


def _no_scheduler_at(distributed, scheduler: str) -> str | None:
    """Why no ``dask.distributed`` scheduler answers at ``scheduler`` in time, or None.

    ``Client`` bounds the connection but not the handshake after it: at an address where
    something else listens (a dashboard's port, a web server) it waits for ever
    (dask/distributed#8071). This handshake is bounded as a whole.
    """
    from distributed.comm import connect

    args = distributed.Security().get_connection_args("client")

    async def handshake():
        comm = await asyncio.wait_for(
            connect(scheduler, timeout=CONNECT_TIMEOUT_S, **args), CONNECT_TIMEOUT_S
        )
        await comm.close()

    # a loop of its own, on a thread of its own: the caller's may run one already (Jupyter)
    with ThreadPoolExecutor(1) as thread:
        try:
            thread.submit(asyncio.run, handshake()).result()
        except (TimeoutError, asyncio.TimeoutError):
            return f"no answer within {CONNECT_TIMEOUT_S:g} s"
        except (OSError, ValueError) as err:  # refused, unknown host, a malformed address
            return str(err) or type(err).__name__
        except Exception as err:  # garbage where a message's length should be, and the like
            return f"something else answers there: {type(err).__name__}"
    return None


def _wait_until_stopped(client) -> None:
    """Wait until the workers no longer run the tasks they were running (cancelled ones
    run to their end), for up to :data:`STOP_TIMEOUT_S`."""

    def running() -> set:
        return {key for tasks in client.call_stack().values() for key in tasks}

    deadline = time.monotonic() + STOP_TIMEOUT_S
    # the scheduler may go while waiting: then there is no one left to ask
    with suppress(OSError):
        left = running()
        while left and time.monotonic() < deadline:
            time.sleep(0.1)
            left &= running()
