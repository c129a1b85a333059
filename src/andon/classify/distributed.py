"""Where classification runs: in this process, on a local process pool, or on a Dask cluster.

All three hand :func:`andon.classify.engine.classify_source` the same thing - a
``concurrent.futures.Executor`` (or none) and a worker count - so one code path serves them:

* :func:`local_pool` - a ``ProcessPoolExecutor`` whose processes are *spawned* (not forked: the
  caller may hold threads, e.g. boto3's or a test's emulator). Processes start on the first
  task, so an unused pool costs nothing.
* :func:`dask_executor` - ``distributed.Client(address).get_executor(pure=False)``: the tasks
  are the same :func:`~andon.classify.engine.classify_batch` calls, shipped with cloudpickle;
  the client is never made the process-wide default. Workers must be able to import
  ``andon`` (same version) and to reach the objects: the same paths for local trees, and for
  S3 the endpoint plus credentials of their own (profile, environment or instance role) unless
  the target carries explicit keys - which then travel to the workers with each task, as does
  the subject key. Use a ``tls://`` scheduler address outside a trusted network.

:func:`executor_for` picks one from command-line style settings.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from andon.core.errors import ConfigError

DASK_CONNECT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Execution:
    """An executor (``None``: this process) and the number of workers behind it."""

    executor: cf.Executor | None
    workers: int
    where: str

    @property
    def distributed(self) -> bool:
        return self.where.startswith("dask")


def default_workers() -> int:
    """Worker processes by default: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@contextmanager
def local_pool(workers: int) -> Iterator[Execution]:
    """A pool of ``workers`` spawned processes, shut down (pending tasks cancelled) on exit."""
    if workers < 1:
        raise ConfigError(f"workers must be at least 1, not {workers}")
    pool = cf.ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn")
    )
    try:
        yield Execution(pool, workers, f"local pool of {workers} processes")
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def dask_executor(address: str, *, timeout: float = DASK_CONNECT_TIMEOUT) -> Iterator[Execution]:
    """An executor on the Dask cluster whose scheduler listens at ``address``.

    Raises :class:`ConfigError` when ``distributed`` is not installed, the scheduler cannot be
    reached, or no worker joins within ``timeout`` seconds.
    """
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - the classify extra installs it
        raise ConfigError(
            "--dask needs the 'distributed' package (pip install 'andon[classify]')"
        ) from exc
    try:
        dist: Any = distributed  # partly typed: calls into it are checked by tests
        client = dist.Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    try:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise ConfigError(
                f"the Dask cluster at {address} has no worker (waited {timeout:.0f} s)"
            ) from exc
        workers = max(1, sum(client.nthreads().values()))
        executor = client.get_executor(pure=False)
        yield Execution(executor, workers, f"dask cluster at {address} ({workers} threads)")
    finally:
        client.close()


@contextmanager
def executor_for(workers: int | None = None, dask: str | None = None) -> Iterator[Execution]:
    """Dask when ``dask`` is given; else a local pool of ``workers`` processes (default: one
    per CPU); ``workers=1`` runs in this process."""
    if dask:
        with dask_executor(dask) as execution:
            yield execution
        return
    count = default_workers() if workers is None or workers <= 0 else workers
    if count == 1:
        yield Execution(None, 1, "this process")
        return
    with local_pool(count) as execution:
        yield execution
