"""Grids of independent tasks on Dask: one machine by default, any cluster on request (issue 16).

A grid-shaped study (temperatures, sizes, buffers, seeds) is a list of points; each point is a
task ``fn(point)`` that must be a pure function of the point, whose seed comes from
:func:`point_seed` of the sweep's seed and the point's parameters, never from the order or the
place in which tasks run. :func:`run_tasks` runs them on an :class:`Engine`:

- ``Engine(workers=0)``: in this process, one after another (no Dask);
- ``Engine()`` / ``Engine(workers=N)``: an embedded ``distributed.LocalCluster`` of N worker
  processes (default: one per CPU core, or one per GPU through ``dask_cuda.LocalCUDACluster``
  when GPUs are present and the optional ``dask-cuda`` is installed), closed afterwards;
- ``Engine(scheduler="tcp://host:8786")``: an existing cluster (``dask scheduler`` and
  ``dask worker``, dask-jobqueue on SLURM/PBS, dask-kubernetes), left running.

Parameters go out to the workers and each task's (small) result comes back to this process,
where ``on_result`` handles it as soon as it arrives (writes a shard, advances a progress bar):
what finished is kept if the sweep is interrupted. A worker that dies mid-task has the task
rerun elsewhere by the scheduler; since the task is pure, its result is the same.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from gpurg.errors import InputError
from gpurg.validation import SEED, Integer, checked

__all__ = ["WORKERS", "Engine", "point_seed", "run_tasks"]

P = TypeVar("P")
R = TypeVar("R")

WORKERS = Integer(0, 4096)
"""Workers of an embedded cluster: 0 runs the tasks in this process."""


@dataclass(frozen=True)
class Engine:
    """Where the tasks of a grid run.

    Attributes
    ----------
    workers : int or None
        Worker processes of an embedded cluster (None: one per CPU core, or per GPU with
        dask-cuda); 0 runs every task in this process, without Dask.
    scheduler : str or None
        Address of an existing Dask scheduler (``tcp://host:8786``); then ``workers`` must be
        None.
    """

    workers: int | None = None
    scheduler: str | None = None

    def __post_init__(self) -> None:
        if self.workers is not None:
            WORKERS.check("workers", self.workers)
        if self.scheduler is not None and self.workers is not None:
            raise InputError("give --workers or --scheduler, not both")
        if self.scheduler is not None and not str(self.scheduler).strip():
            raise InputError("scheduler address must not be empty")

    @property
    def in_process(self) -> bool:
        return self.workers == 0

    def describe(self) -> str:
        """A short line for tables: where the tasks ran."""
        if self.in_process:
            return "in process"
        if self.scheduler is not None:
            return f"cluster at {self.scheduler}"
        return f"local cluster, {self.workers or 'machine-sized'} workers"


@checked(seed=SEED)
def point_seed(seed: int, **params: Any) -> int:
    """The seed of one grid point: the first 8 bytes (big-endian) of the SHA-256 of the JSON
    text ``{"params": params, "seed": seed}`` (keys sorted, floats as Python's repr), so a
    point's seed depends on the sweep's seed and the point's own parameters only, not on the
    grid around it or on where it runs. In [0, 2^64)."""
    text = json.dumps({"params": params, "seed": int(seed)}, sort_keys=True)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def run_tasks(engine: Engine | None, fn: Callable[[P], R], points: Sequence[P], *,
              on_result: Callable[[int, R], None] | None = None,
              names: Sequence[str] | None = None, keep: bool = True,
              progress: Callable[[int, int], None] | None = None) -> list[R]:
    """``[fn(p) for p in points]``, run on ``engine`` (None: the default :class:`Engine`).

    ``on_result(i, result)`` is called in this process as each task finishes, in the order
    they finish. ``fn`` and the points must be picklable for a cluster (``fn`` a module-level
    function). ``names`` (one per point) become the tasks' keys in Dask's dashboard. Errors
    raised by a task are raised here; KeyboardInterrupt cancels the tasks not yet done.
    With ``keep=False`` each result is dropped once ``on_result`` has handled it (the list
    returned holds None), here and on the worker that held it: for large results (a sweep's
    HDF5 files) that ``on_result`` stores, which would otherwise all stay in memory.
    """
    engine = Engine() if engine is None else engine
    results: list[Any] = [None] * len(points)
    if progress is not None:  # (tasks done, tasks) after each one's on_result
        handle, count = on_result, iter(range(1, len(points) + 1))

        def on_result(i: int, result: Any) -> None:
            if handle is not None:
                handle(i, result)
            progress(next(count), len(points))
    if engine.in_process:
        for i, point in enumerate(points):
            results[i] = fn(point)
            if on_result is not None:
                on_result(i, results[i])
            if not keep:
                results[i] = None
        return results
    from distributed import as_completed  # imported here: Dask's import takes a second

    with _client(engine) as client:
        keys = [f"gpurg-{names[i] if names else i}-{_token(p)}" for i, p in enumerate(points)]
        futures = [client.submit(fn, p, key=k, pure=False) for p, k in zip(points, keys,
                                                                          strict=True)]
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for future in as_completed(futures):
                i = index[future.key]
                results[i] = future.result()
                if on_result is not None:
                    on_result(i, results[i])
                if not keep:
                    results[i] = None
                    future.release()
        finally:
            client.cancel([f for f in futures if not f.done()])
    return results


def _token(point: Any) -> str:
    return hashlib.sha256(repr(point).encode()).hexdigest()[:12]


@contextmanager
def _client(engine: Engine) -> Iterator[Any]:
    """A distributed Client on the engine's cluster: the existing one, or an embedded one made
    for the body and closed after it."""
    from distributed import Client, LocalCluster

    if engine.scheduler is not None:
        _check_reachable(engine.scheduler)
        try:
            client = Client(engine.scheduler, timeout="20s")
        except OSError as err:
            raise InputError(f"no Dask scheduler answers at {engine.scheduler}: {err}") from None
        with client:
            yield client
        return
    with _children_ignore_sigint():
        cluster = _cuda_cluster(engine.workers) or LocalCluster(
            n_workers=engine.workers or (os.cpu_count() or 1), threads_per_worker=1,
            processes=True, dashboard_address=None,
            # no dashboard, and its HTTP server (health routes) on a free port: never a
            # "port 8787 is already in use" warning when another cluster runs
            scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"},
            # each worker's kernels use one core: the workers share the machine's cores
            env={"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"})
    with cluster, Client(cluster) as client:
        yield client


@contextmanager
def _children_ignore_sigint() -> Iterator[None]:
    """SIGINT ignored while the embedded cluster's processes start, so that they (and the
    workers their nannies restart later) inherit the ignoring: a Ctrl-C at the terminal, sent
    to the whole process group, then interrupts this process alone, which cancels the tasks
    and closes the cluster, instead of killing the workers mid-import with tracebacks of
    their own. A Ctrl-C during those seconds of start-up is lost."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """A TCP scheduler address that refuses connections (nothing listens there) fails at once,
    not after the Client's 20 s of retries; other addresses are left to the Client."""
    import socket
    from urllib.parse import urlsplit

    if not address.startswith("tcp://"):
        return
    try:
        parts = urlsplit(address)
        host, port = parts.hostname, parts.port
    except ValueError as err:
        raise InputError(f"bad Dask scheduler address {address!r}: {err}") from None
    if host is None or port is None:
        raise InputError(f"bad Dask scheduler address {address!r}: expected tcp://host:port")
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as err:
        raise InputError(f"no Dask scheduler answers at {address}: {err}") from None


def _cuda_cluster(workers: int | None) -> Any:
    """dask-cuda's LocalCUDACluster (a worker per GPU) when GPUs and dask-cuda are present."""
    try:
        from dask_cuda import LocalCUDACluster
    except ImportError:
        return None
    from gpurg.backend.device import probe_gpu

    cupy, _ = probe_gpu()
    if cupy is None:
        return None
    count = cupy.cuda.runtime.getDeviceCount()
    return LocalCUDACluster(n_workers=min(workers or count, count), dashboard_address=None,
                            scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"})
