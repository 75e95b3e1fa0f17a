"""Run many tasks on any ``concurrent.futures.Executor`` and commit them to a store.

One runner serves every verb that runs many models (``sweep``,
``sensitivity``, ``compare``) and every place they run: a local process pool
(the default, one worker per core), a Dask cluster (``--dask ADDRESS``), or an
MPI job through ``mpi4py.futures`` (``--mpi``). Three decisions make it safe:

* **Seeds by identity.** A task's seed is derived from the root seed and the
  task's (design point, replicate) with :class:`numpy.random.SeedSequence`,
  never from the order of execution, so results are bit-identical whatever
  the executor, the number of workers and the batching (README.md,
  Reproducibility).
* **Batches.** Tasks travel in batches so that pickling, scheduling and
  writing cost well under 5 ms per task even for tasks that cost nothing.
  Unless a size is given, the size adapts: one task per batch until the
  first results show how long a task takes, then about
  ``target_batch_seconds`` of work per batch, never so large that workers
  idle at the end.
* **The driver writes.** Workers return rows; the driving process commits
  each finished batch to the :class:`~experiments.store.ResultsStore`
  atomically. Workers need no shared file system (Dask and MPI clusters
  often have none), and a SIGKILL loses at most the batches in flight.

A task that raises is recorded as failed with its error and the sweep goes
on; ``--resume`` re-runs failed and missing tasks only. What is not a task's
fault is not recorded as its failure: a stop signal (see
:mod:`experiments.stopping`) stops the run, keeping what finished; a worker
that died has its tasks run again; a worker that ran out of memory is
replaced. :func:`run_session` wraps a whole verb: the folder's lock, the
manifest's sessions and status, and exceptions that tell how it ended.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import contextvars
import importlib
import logging
import math
import multiprocessing
import os
import re
import shutil
import signal
import socket
import sys
import threading
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

import numpy as np
import pandas as pd
from tqdm import tqdm

from experiments import stopping
from experiments.provenance import now_iso
from experiments.store import ResultsStore, RunRecord, StoreError

log = logging.getLogger(__name__)

TAG_COLUMNS: tuple[str, ...] = ("task_id", "point", "replicate")
"""Columns the runner puts first in every result row."""


class RunnerError(RuntimeError):
    """The runner cannot start or go on (one-line message naming the fix)."""


@dataclass(frozen=True)
class Task:
    """One model run (or any unit of work) of an experiment.

    Attributes:
        task_id: Identity within the experiment, unique, stable across resumes.
        point: Index of the design point (row of the design).
        replicate: Replicate index at that point (0-based).
        settings: What the task function needs, e.g. regime, overrides,
            steps, residents. Must be picklable; never mutated.
    """

    task_id: int
    point: int
    replicate: int
    settings: Mapping[str, Any] = field(default_factory=dict)


class TaskFunction(Protocol):
    """A top-level (picklable) function ``fn(task, seed) -> DataFrame``."""

    def __call__(self, task: Task, seed: int, /) -> pd.DataFrame:
        """Run one task with its seed and return its result rows."""
        ...


def task_seed(
    root_seed: int,
    point: int,
    replicate: int,
    *,
    common_random_numbers: bool = False,
) -> int:
    """Return the seed of task (point, replicate) under ``root_seed``.

    The seed is the first 63 bits of the state of
    ``SeedSequence(root_seed, spawn_key=(point, replicate))``: a function of
    the task's identity only, and statistically independent between tasks.

    Args:
        root_seed: The experiment's root seed (non-negative).
        point: Design point index.
        replicate: Replicate index.
        common_random_numbers: If true, every design point uses the same
            seed for replicate r (``spawn_key=(replicate,)``). Comparisons of
            scenarios then differ by the scenarios, not by luck.
    """
    key: tuple[int, ...] = (replicate,) if common_random_numbers else (point, replicate)
    sequence = np.random.SeedSequence(int(root_seed), spawn_key=key)
    return int(sequence.generate_state(1, np.uint64)[0] >> np.uint64(1))


def make_tasks(
    points: Sequence[Mapping[str, Any]],
    replicates: int,
) -> list[Task]:
    """Return one task per (point, replicate), ``task_id = point * replicates + r``.

    The id depends only on the design, so a resumed run maps to the same ids.
    """
    return [
        Task(task_id=p * replicates + r, point=p, replicate=r, settings=dict(settings))
        for p, settings in enumerate(points)
        for r in range(replicates)
    ]


# --------------------------------------------------------------------- worker side
@dataclass
class BatchResult:
    """What a worker sends back for one batch.

    Attributes:
        rows: Result rows of the tasks that succeeded (``None`` if none did).
        records: One record per task that ran to an end, done or failed.
            Tasks without a record did not run (the batch stopped early)
            and go back into the queue, or wait for ``--resume``.
        interrupted: A stop signal ended the batch early.
        spent: A task failed with :class:`MemoryError`; the worker process
            may be left in a broken state and should be replaced.
        address: The Dask worker that ran the batch, when it is spent: the
            driver asks Dask to restart that one (a local pool is renewed
            whole).
    """

    rows: pd.DataFrame | None
    records: list[RunRecord]
    interrupted: bool = False
    spent: bool = False
    address: str | None = None


def _tag(frames: list[pd.DataFrame], tasks: list[Task]) -> pd.DataFrame:
    """Concatenate the tasks' frames and put the tag columns first.

    Tagging once per batch rather than once per task keeps the per-task
    overhead to a fraction of a millisecond (column inserts are slow).
    """
    frames = [f.reset_index() if f.index.name is not None else f for f in frames]
    rows = pd.concat(frames, ignore_index=True)
    rows = rows.drop(columns=[c for c in TAG_COLUMNS if c in rows.columns])
    lengths = [len(f) for f in frames]
    tags = pd.DataFrame(
        {
            "task_id": np.repeat(np.array([t.task_id for t in tasks], dtype=np.int64), lengths),
            "point": np.repeat(np.array([t.point for t in tasks], dtype=np.int64), lengths),
            "replicate": np.repeat(np.array([t.replicate for t in tasks], dtype=np.int64), lengths),
        }
    )
    return pd.concat([tags, rows], axis=1)


@dataclass
class _WorkerProcess:
    """This process as a worker: whether it is a pool's, and whether it is spent.

    ``replaceable`` is set in local pool workers (the driver renews the
    pool) and found out in Dask workers (the driver asks Dask to restart
    the worker); never in the driver, nor in MPI ranks, which cannot be
    replaced: there a task after a :class:`MemoryError` runs as usual and,
    should it fail too, is retried by ``--resume``.
    """

    replaceable: bool = False
    spent: bool = False  # a task here ran out of memory: run nothing more here


_THIS_WORKER = _WorkerProcess()


def _one_error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".replace("\n", " ")[:2000]


def _dask_worker_address() -> str | None:
    """The address of the Dask worker running this code, if it runs in one.

    Looked up only when a task ran out of memory, and only if ``distributed``
    is already loaded (a Dask worker has it; importing it elsewhere would
    cost a second).
    """
    distributed = sys.modules.get("distributed")
    if distributed is None:
        return None
    try:
        return str(distributed.get_worker().address)
    except (ValueError, AttributeError):  # not inside a Dask worker
        return None


def run_batch(
    fn: TaskFunction,
    tasks: Sequence[Task],
    root_seed: int,
    common_random_numbers: bool = False,
) -> BatchResult:
    """Run ``tasks`` one after the other in this process (the worker's job).

    Each task's exception is caught and recorded, so one bad design point
    (e.g. parameters that make the model fail) costs one task, not the batch.
    Two things end the batch instead: a stop signal, after the task in
    progress (or whatever exception it surfaced as), after which the unrun
    tasks get no record; and
    :class:`MemoryError` in a pool's worker, after which this process is not
    trusted with more tasks: it hands back every later batch unrun, and the
    driver replaces it. (In the driver itself, ``workers=0``, the run goes on.)
    """
    if _THIS_WORKER.spent:  # every task goes back to the queue
        return BatchResult(None, [], spent=True, address=_dask_worker_address())
    worker = f"{socket.gethostname()}:{os.getpid()}"
    frames: list[pd.DataFrame] = []
    succeeded: list[Task] = []
    records: list[RunRecord] = []
    interrupted = spent = False
    for task in tasks:
        if stopping.stop_requested():
            interrupted = True
            break
        seed = task_seed(
            root_seed, task.point, task.replicate, common_random_numbers=common_random_numbers
        )
        start = time.perf_counter()
        try:
            result = fn(task, seed)  # never interrupted: see experiments.stopping
            if not isinstance(result, pd.DataFrame):
                raise TypeError(f"task function returned {type(result).__name__}, not a DataFrame")
            frames.append(result)
            succeeded.append(task)
            status, error = "done", ""
        except (KeyboardInterrupt, Exception) as exc:  # a task error is recorded, not raised
            if stopping.caused_by_interrupt(exc):
                interrupted = True
                break
            status, error = "failed", _one_error_text(exc)
            if isinstance(exc, MemoryError) and not _THIS_WORKER.replaceable:
                address = _dask_worker_address()
                _THIS_WORKER.replaceable = address is not None
            spent = isinstance(exc, MemoryError) and _THIS_WORKER.replaceable
            _THIS_WORKER.spent = spent
            log.debug("task %s failed:\n%s", task.task_id, traceback.format_exc())
        records.append(
            RunRecord(
                task_id=task.task_id,
                point=task.point,
                replicate=task.replicate,
                status=status,
                error=error,
                worker=worker,
                seconds=time.perf_counter() - start,
                finished=now_iso(),
            )
        )
        if spent:
            break
    rows = _tag(frames, succeeded) if frames else None
    address = _dask_worker_address() if spent else None
    return BatchResult(rows, records, interrupted=interrupted, spent=spent, address=address)


# --------------------------------------------------------------------- executors
class InlineExecutor(cf.Executor):
    """Runs each submitted call at once in the calling process.

    Used for ``workers=0``: debugging, profiling, and tests that need no
    processes. Results are identical to a pool's (seeds by identity).
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        """Run ``fn(*args, **kwargs)`` now and return a finished future."""
        future: cf.Future[Any] = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # delivered through the future
            future.set_exception(exc)
        return future


class DaskExecutor(cf.Executor):
    """Submits to a Dask ``distributed.Client``; lets go of each result once it is back.

    Dask's own ``Client.get_executor()`` keeps a task's result on its
    worker for as long as anything in the driver still refers to the
    task's future, and exceptions (a worker's death among them) make
    reference cycles that keep futures alive until the garbage collector
    runs. A worker that dies then takes results the driver already wrote
    with it, and Dask runs those batches again, each time a worker dies.
    Here each future is released as soon as its outcome is handed over.

    Attributes:
        client: The Dask client (the caller's; not closed here).
    """

    def __init__(self, client: Any) -> None:
        """Wrap ``client``."""
        self.client = client
        self._remote: dict[cf.Future[Any], Any] = {}
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        """Run ``fn(*args, **kwargs)`` on the cluster; return a plain future for it."""
        local: cf.Future[Any] = cf.Future()
        remote = self.client.submit(fn, *args, pure=False, **kwargs)
        with self._lock:
            self._remote[local] = remote
        local.add_done_callback(self._cancel_remote)
        remote.add_done_callback(lambda finished: self._hand_over(local, finished))
        return local

    def _hand_over(self, local: cf.Future[Any], remote: Any) -> None:
        """Move a finished Dask future's outcome to ``local`` and release it on the cluster."""
        try:
            if remote.status == "finished":
                value = remote.result()
                if local.set_running_or_notify_cancel():
                    local.set_result(value)
            elif remote.status == "cancelled":  # by someone else: run_tasks runs it again
                if local.cancel():
                    local.set_running_or_notify_cancel()  # wakes concurrent.futures.wait
            else:
                error = remote.exception()
                if local.set_running_or_notify_cancel():
                    local.set_exception(error)
        except BaseException as exc:  # the result could not be fetched: its worker died
            if not local.done() and local.set_running_or_notify_cancel():
                local.set_exception(exc)
        finally:
            with self._lock:
                self._remote.pop(local, None)
            with contextlib.suppress(Exception):
                remote.release()

    def _cancel_remote(self, local: cf.Future[Any]) -> None:
        if local.cancelled():
            with self._lock:
                remote = self._remote.pop(local, None)
            if remote is not None:
                with contextlib.suppress(Exception):
                    remote.cancel()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Cancel what is still on the cluster; the client itself stays open."""
        with self._lock:
            remote = list(self._remote.values())
            self._remote.clear()
        if remote and (cancel_futures or not wait):
            with contextlib.suppress(Exception):
                self.client.cancel(remote)

    def workers(self) -> int:
        """Worker processes the cluster has now (0 while all are dead or restarting)."""
        return len(self.client.nthreads())


def local_pool(workers: int) -> cf.ProcessPoolExecutor:
    """Return a process pool of ``workers`` processes, started by a fork server.

    Plain fork is faster, but by the time a pool starts the driver already
    runs native threads (Arrow's writer pool, a Dask client, BLAS), and
    forking a multi-threaded process can deadlock the child. A fork server
    forks from a clean process instead; preloading numpy, pandas, the model
    and the task module there (once per driver process) keeps each worker's
    start to milliseconds.
    """
    context: Any
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(_PRELOAD))
        _start_forkserver_deaf_to_ctrl_c()
    else:  # pragma: no cover - Windows
        context = multiprocessing.get_context("spawn")
    return cf.ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_start_pool_worker
    )


def _start_forkserver_deaf_to_ctrl_c() -> None:
    """Start the fork server (and resource tracker) with SIGINT ignored.

    They share the terminal's process group, so a Ctrl-C reaches them too;
    the fork server ignores SIGINT only once it has imported its preload,
    and one interrupted during those seconds died and broke the driver
    (``EOFError``). An ignored signal stays ignored across fork and exec (a
    blocked mask does not survive the spawn), so SIGINT is ignored here for
    the moment of the spawn only, and each worker installs its own handler
    when it starts (:func:`_start_pool_worker`).
    """
    forkserver: Any = importlib.import_module("multiprocessing.forkserver")
    if threading.current_thread() is not threading.main_thread():
        forkserver.ensure_running()
        return
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, before)


def _start_pool_worker() -> None:
    """Set up a local pool worker: Ctrl-C ends its batch only; one compiled thread.

    SIGTERM keeps its default (death): the pool sends it to end workers.
    Compiled parallel loops keep to one thread because the pool already
    fills the cores.
    """
    stopping.install_in_worker((signal.SIGINT,))  # SIGINT came ignored: see the fork server
    _THIS_WORKER.replaceable = True
    import numba  # noqa: PLC0415 (imported in the worker, after its start)

    numba.set_num_threads(1)


def _start_mpi_worker() -> None:
    """Set up an MPI worker rank: stop signals end its batch only.

    ``mpiexec`` forwards Ctrl-C and SIGTERM to every rank; without this an
    idle rank would die of the :class:`KeyboardInterrupt` and take the job
    down before the driver could commit what the others finished.
    """
    stopping.install_in_worker()


_DASK_ADDRESS = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://)?(?:\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]]+):\d{1,5}$"
)
"""``[scheme://]host:port``; IPv6 hosts in brackets."""


def check_dask_address(address: str) -> None:
    """Refuse a ``--dask`` address without a port before trying to connect.

    ``distributed`` would otherwise guess a port, wait for the connection
    timeout and end in a traceback.
    """
    if not _DASK_ADDRESS.match(address):
        raise RunnerError(
            f"--dask {address} is not HOST:PORT; give the scheduler's address with its port, "
            "e.g. --dask tcp://10.0.0.5:8786"
        )


MPI_LAUNCH = "mpiexec -n N python -m mpi4py.futures -m experiments.cli ..."
"""How ``--mpi`` must be started (N - 1 ranks become workers)."""


def mpi_world_size() -> int | None:
    """Ranks of the MPI job this process belongs to, or ``None`` outside one.

    ``python -m mpi4py.futures`` initialises MPI before it runs the
    command, so the ``mpi4py.MPI`` module is already loaded; it is not
    imported here, because initialising MPI outside a launcher makes MPICH
    try to spawn ranks and hang.
    """
    mpi = sys.modules.get("mpi4py.MPI")
    if mpi is None or not mpi.Is_initialized():
        return None
    return int(mpi.COMM_WORLD.Get_size())


def _mpi_executor() -> Any:
    """An ``MPIPoolExecutor`` over this job's ranks; a one-line error outside one.

    The launcher is checked before ``mpi4py.futures`` is imported: importing
    it initialises MPI, which outside a launcher can hang.
    """
    size = mpi_world_size()
    if size is None:
        raise RunnerError(f"--mpi must be started by an MPI launcher: {MPI_LAUNCH}")
    if size < 2:
        raise RunnerError(f"--mpi needs at least 2 ranks (1 driver, 1 worker): {MPI_LAUNCH}")
    mpi_futures: Any = importlib.import_module("mpi4py.futures")
    return mpi_futures.MPIPoolExecutor(initializer=_start_mpi_worker)


_PRELOAD: tuple[str, ...] = (
    "numpy",
    "pandas",
    "pyarrow",
    "model",
    "experiments.runner",
    "experiments.tasks",
)


@dataclass
class ExecutorChoice:
    """An executor chosen from command-line options.

    Attributes:
        executor: The executor, or ``None`` for a local pool that
            :func:`run_tasks` creates (and can restart if a worker dies).
        workers: Number of workers (sets how many batches are kept in flight).
        description: For the manifest, e.g. ``"local process pool (2 workers)"``.
    """

    executor: cf.Executor | None
    workers: int
    description: str


def default_workers() -> int:
    """Return the number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def choose_executor(
    workers: int | None = None,
    dask: str | None = None,
    mpi: bool = False,
) -> Iterator[ExecutorChoice]:
    """Choose and own an executor from CLI-style options; close it on exit.

    Args:
        workers: Local processes (default: one per core; 0 runs in-process).
            Ignored with ``dask`` or ``mpi``, whose workers the cluster sets.
        dask: Address of a Dask scheduler, e.g. ``tcp://10.0.0.1:8786``.
        mpi: Use ``mpi4py.futures.MPIPoolExecutor``; start the program with
            ``mpiexec -n N python -m mpi4py.futures -m experiments.cli ...``
            so that N - 1 ranks become workers.

    Raises:
        RunnerError: Conflicting options, a missing package, a Dask address
            without a port or a scheduler that cannot be reached, ``--mpi``
            outside an MPI launcher.
    """
    if dask and mpi:
        raise RunnerError("--dask and --mpi exclude each other; choose one executor")
    if workers is not None and workers < 0:
        raise RunnerError(f"--workers {workers} is negative; use 0 (in-process) or more")
    if dask:
        check_dask_address(dask)
        try:
            distributed: Any = importlib.import_module("distributed")
        except ImportError as exc:
            raise RunnerError(
                "--dask needs dask.distributed; install it with pip install 'sixerrors[cluster]'"
            ) from exc
        try:
            client = distributed.Client(dask, timeout="15s")
        except Exception as exc:  # OSError, TimeoutError, ValueError: all mean "not reachable"
            raise RunnerError(
                f"cannot reach the Dask scheduler at {dask} ({_one_error_text(exc)}); "
                "start one with `dask scheduler` or check the address"
            ) from exc
        try:
            threads = int(sum(client.nthreads().values())) or 1
            yield ExecutorChoice(DaskExecutor(client), threads, f"dask {dask} ({threads} threads)")
        finally:
            client.close()
        return
    if mpi:
        executor = _mpi_executor()
        ended = False
        try:
            n = int(executor.num_workers) or 1
            yield ExecutorChoice(executor, n, f"mpi4py.futures ({n} workers)")
            ended = True
        finally:
            # After a stop or an error, do not wait for tasks still on the ranks.
            executor.shutdown(wait=ended, cancel_futures=not ended)
        return
    n = default_workers() if workers is None else workers
    if n == 0:
        yield ExecutorChoice(InlineExecutor(), 1, "in-process (0 workers)")
    else:
        yield ExecutorChoice(None, n, f"local process pool ({n} workers)")


# --------------------------------------------------------------------- progress
class _Progress:
    """Runs done, runs per second and time left; tqdm on a terminal, log lines elsewhere."""

    def __init__(
        self, total: int, already: int, label: str, mode: bool | None, stream: TextIO | None = None
    ) -> None:
        self.stream = stream or sys.stderr
        self.total = total
        self.done = already
        self.label = label
        self.start = time.monotonic()
        self.counted = 0
        self.last_line = 0.0
        self.enabled = mode is not False
        self.bar: Any = None
        if self.enabled and self.stream.isatty():
            self.bar = tqdm(
                total=total,
                initial=already,
                desc=label,
                unit="run",
                file=self.stream,
                dynamic_ncols=True,
                smoothing=0.1,
            )

    def update(self, n: int, failed: int) -> None:
        self.done += n
        self.counted += n
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(n)
            if failed:
                self.bar.set_postfix(failed=failed)
            return
        now = time.monotonic()
        if now - self.last_line < 1.0 and self.done < self.total:
            return  # at most one line a second, and always the last one
        self.last_line = now
        elapsed = max(now - self.start, 1e-9)
        rate = self.counted / elapsed
        left = (self.total - self.done) / rate if rate > 0 else math.inf
        eta = "?" if not math.isfinite(left) else time.strftime("%H:%M:%S", time.gmtime(left))
        extra = f", {failed} failed" if failed else ""
        print(
            f"{self.label}: {self.done}/{self.total} runs, {rate:.1f} runs/s, {eta} left{extra}",
            file=self.stream,
            flush=True,
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# --------------------------------------------------------------------- how runs end
class RunInterrupted(KeyboardInterrupt):
    """A stop signal ended the run; every finished task is committed.

    A :class:`KeyboardInterrupt`, so code that handles Ctrl-C handles this.

    Attributes:
        folder: The results folder.
        kept: Tasks of the experiment done and committed.
        total: Tasks of the experiment.
        signum: The signal (``SIGINT`` or ``SIGTERM``).
    """

    def __init__(
        self,
        folder: Path,
        kept: int,
        total: int,
        signum: int,
        *,
        nothing_done: bool = False,
        removed: bool = False,
    ) -> None:
        """Record where the run stopped and how much of it is kept.

        Args:
            folder: The results folder.
            kept: Tasks of the experiment done and committed.
            total: Tasks of the experiment.
            signum: The signal.
            nothing_done: The folder holds no task's record at all, this
                session's or an earlier one's: nothing was computed.
            removed: The folder was this session's own and held nothing, so
                it was removed (see :func:`run_session`).
        """
        super().__init__(f"interrupted; {kept} of {total} tasks are kept in {folder}")
        self.folder, self.kept, self.total, self.signum = folder, kept, total, signum
        self.nothing_done, self.removed = nothing_done, removed


class TasksFailed(RuntimeError):
    """The run ended, but some tasks failed (their errors are in the run table).

    Attributes:
        folder: The results folder.
        failed: Tasks whose latest attempt failed.
        total: Tasks of the experiment.
        first_error: The error of the first failed task.
    """

    def __init__(self, folder: Path, failed: int, total: int, first_error: str) -> None:
        """Record how many tasks failed and the first error."""
        super().__init__(
            f"{failed} of {total} tasks failed (first: {first_error}); see {folder}/runs"
        )
        self.folder, self.failed, self.total, self.first_error = (
            folder,
            failed,
            total,
            first_error,
        )


class WriteFailed(StoreError):
    """The results folder could not be written (disk full, read-only, gone).

    Everything committed before stays; ``--resume`` redoes the rest.

    Attributes:
        folder: The results folder.
        kept: Tasks of the experiment done and committed.
        total: Tasks of the experiment.
        reason: The operating system's words, e.g. ``No space left on device``.
    """

    def __init__(self, folder: Path, kept: int, total: int, reason: str) -> None:
        """Record what could not be written and how much is kept."""
        super().__init__(f"cannot write to {folder} ({reason}); {kept} of {total} tasks are kept")
        self.folder, self.kept, self.total, self.reason = folder, kept, total, reason


@dataclass(frozen=True)
class TaskCounts:
    """Done and failed tasks of one experiment in a store."""

    done: int
    failed: int
    first_error: str

    @classmethod
    def of(cls, store: ResultsStore, ids: set[int]) -> TaskCounts:
        """Count ``ids``' latest outcomes in ``store``'s run table."""
        table = store.run_table()
        table = table[table["task_id"].isin(ids)]
        failed = table[table["status"] == "failed"]
        first = str(failed["error"].iloc[0]) if len(failed) else ""
        return cls(int((table["status"] == "done").sum()), len(failed), first)


@contextlib.contextmanager
def run_session(store: ResultsStore, tasks: Sequence[Task], *, executor: str) -> Iterator[None]:
    """Own ``store`` for one run or resume of ``tasks``: lock, record, say how it ended.

    Holds the folder's write lock throughout (a second writer gets
    :class:`~experiments.store.FolderBusy`), adds a session to the manifest,
    and on the way out records the session's status (``complete``,
    ``interrupted`` or ``failed``) with the task counts, then turns the
    way the body ended into one of this module's exceptions:

    * a stop signal (any :class:`KeyboardInterrupt`): :class:`RunInterrupted`;
    * an :class:`OSError` writing results: :class:`WriteFailed`;
    * failed tasks, whether the body finished or its analysis then gave
      up for lack of them: :class:`TasksFailed`.

    Raises:
        RunInterrupted, WriteFailed, TasksFailed: As above.
    """
    ids = {t.task_id for t in tasks}
    with stopping.handling_stop_signals(), store.locked():
        before = TaskCounts.of(store, ids).done
        killed = store.mark_started(executor=executor, tasks=len(ids))
        _say_at_start(store, executor, killed)
        try:
            yield
        except KeyboardInterrupt:
            signum = stopping.STATE.signum or signal.SIGINT
            nothing = store.run_table(latest=False).empty
            if nothing and signum == signal.SIGINT and len(store.manifest["sessions"]) == 1:
                # Ctrl-C before any task finished, in a folder this session made:
                # nothing to resume, so no folder to resume it in.
                removed = _remove_empty_folder(store)
                raise RunInterrupted(
                    store.folder, 0, len(ids), signum, nothing_done=True, removed=removed
                ) from None
            counts = _end_session(store, ids, "interrupted", before)
            raise RunInterrupted(
                store.folder, counts.done, len(ids), signum, nothing_done=nothing
            ) from None
        except OSError as exc:
            counts = _end_session(store, ids, "failed", before, error=_one_error_text(exc))
            raise WriteFailed(
                store.folder, counts.done, len(ids), exc.strerror or str(exc)
            ) from exc
        except Exception as exc:
            counts = _end_session(store, ids, "failed", before, error=_one_error_text(exc))
            if counts.failed and not isinstance(exc, StoreError | RunnerError):
                raise TasksFailed(
                    store.folder, counts.failed, len(ids), counts.first_error
                ) from exc
            raise
        complete = TaskCounts.of(store, ids)
        status = "complete" if not complete.failed and complete.done == len(ids) else "failed"
        counts = _end_session(store, ids, status, before)
        if counts.failed:
            raise TasksFailed(store.folder, counts.failed, len(ids), counts.first_error)


def _say_at_start(store: ResultsStore, executor: str, killed: Sequence[Mapping[str, Any]]) -> None:
    """Tell a command's user what only the start can tell (only under the command).

    A session the manifest still had as running ended without a word: say
    so on the resume. And under MPI a rank that dies makes the launcher
    kill every rank at once, the driver included (``mpi4py.futures``
    cannot replace a rank, and MPICH and Open MPI end the job), so the
    command can never say how to resume then: it says it now.
    """
    if RESUME_COMMAND.get() is None:
        return
    for old in killed:
        print(
            f"sixerrors: the session started {old.get('started')} (pid {old.get('pid')} on "
            f"{old.get('host')}, {old.get('executor')}) ended without a word: killed (SIGKILL, "
            "out of memory, or a dead MPI rank); what it finished is kept",
            file=sys.stderr,
            flush=True,
        )
    if executor.startswith("mpi4py"):
        print(
            "sixerrors: under MPI a rank that dies ends the whole job at once and this command "
            "cannot say so then (MPI cannot replace a rank); should that happen, finish with: "
            f"{finish_command(store.folder)}",
            file=sys.stderr,
            flush=True,
        )


def _remove_empty_folder(store: ResultsStore) -> bool:
    """Remove a results folder that holds no task's record; whether it is gone."""
    try:
        shutil.rmtree(store.folder)
    except OSError:
        return False
    return True


def _end_session(
    store: ResultsStore,
    ids: set[int],
    status: str,
    before: int,
    *,
    error: str = "",
) -> TaskCounts:
    """Record the session's end (best effort: the disk may be full) and return the counts."""
    counts = TaskCounts.of(store, ids)
    extra = {"session_error": error} if error else {}
    with contextlib.suppress(OSError, StoreError):
        store.mark_finished(
            status,
            tasks=len(ids),
            tasks_done=counts.done,
            tasks_failed=counts.failed,
            session_tasks_done=counts.done - before,
            **extra,
        )
    return counts


# --------------------------------------------------------------------- the runner
_MAX_WORKER_DEATHS = 2
"""A task whose worker process died this often while it ran alone is recorded as failed."""

_MAX_FRUITLESS_RESTARTS = 6
"""Pool restarts in a row with nothing committed in between before the runner gives up."""

STOP_GRACE_SECONDS = 3.0
"""After a stop signal, how long workers may take to hand back what they finished."""

_POLL_SECONDS = 0.2
"""How often the driver's loop looks at the stop flag while it waits."""

DASK_NO_WORKERS_SECONDS = 60.0
"""How long a Dask cluster may have no worker at all before the run stops.

Dask keeps a task whose workers all died waiting for a new one, forever
when nothing (no nanny, no job scheduler) starts one. A nanny restarts a
dead worker within seconds.
"""

_DASK_LOOK_SECONDS = 5.0
"""How often the driver asks a Dask scheduler how many workers it has."""

RESUME_COMMAND: contextvars.ContextVar[Callable[[Path], str] | None] = contextvars.ContextVar(
    "RESUME_COMMAND", default=None
)
"""How to finish an experiment in a folder, as the command line that started it says
(set by :mod:`experiments.cli`; unset, messages name ``--resume DIR`` alone)."""


def finish_command(folder: Path) -> str:
    """The command that finishes the experiment in ``folder`` (see :data:`RESUME_COMMAND`)."""
    make = RESUME_COMMAND.get()
    return make(folder) if make is not None else f"the same command with --resume {folder}"


class _Workers:
    """The executor the runner submits to, and what the runner may do to its workers.

    A local pool the runner owns can be restarted when a worker dies,
    renewed when a worker ran out of memory, signalled to stop and
    killed. An executor passed in belongs to its caller: its futures are
    cancelled, nothing more.
    """

    def __init__(self, executor: cf.Executor | None, workers: int) -> None:
        self.owned = executor is None
        self.workers = workers
        self.executor: cf.Executor = local_pool(workers) if executor is None else executor
        self.retired: list[Any] = []  # processes of pools being replaced
        self.generation = 0  # how many times the pool was replaced
        self.replaced: set[str] = set()  # Dask workers restarted after a MemoryError

    def _processes(self) -> list[Any]:
        current = getattr(self.executor, "_processes", None) or {}
        return [*current.values(), *self.retired]

    def submit(self, *args: Any) -> cf.Future[BatchResult]:
        return self.executor.submit(run_batch, *args)

    @property
    def mpi(self) -> bool:
        """Whether the workers are MPI ranks (which nothing can replace)."""
        return type(self.executor).__module__.startswith("mpi4py")

    @property
    def recovers_from_deaths(self) -> bool:
        """A pool we own is restarted; Dask retries and replaces workers itself; MPI cannot."""
        return self.owned or not self.mpi

    def renew(self, address: str | None = None) -> None:
        """Replace a worker that ran out of memory.

        A local pool: new batches go to a fresh pool; the old one ends after
        its batches. Dask: the worker at ``address`` is restarted by its
        nanny, or, without one, retired from the cluster.

        Raises:
            RunnerError: A Dask worker that could be neither restarted nor
                retired: it would hand back every batch it is sent.
        """
        if isinstance(self.executor, DaskExecutor) and address is not None:
            if address in self.replaced:
                return  # a later batch that the same spent worker handed back
            self.replaced.add(address)
            client = self.executor.client
            try:
                client.restart_workers([address], raise_for_error=True)
            except Exception:
                try:
                    client.retire_workers([address], close_workers=True)
                except Exception as exc:
                    raise RunnerError(
                        f"the Dask worker {address} ran out of memory and can be neither "
                        f"restarted nor retired ({_one_error_text(exc)}); restart it, then resume"
                    ) from exc
            return
        if not self.owned:
            return
        self.retired.extend(self._processes())
        self.executor.shutdown(wait=False)
        self.executor = local_pool(self.workers)
        self.generation += 1

    def restart(self) -> None:
        """Replace a broken pool (a worker died) with a fresh one."""
        self.close(kill=True)
        self.executor = local_pool(self.workers)
        self.generation += 1

    def signal_workers(self, signum: int) -> None:
        """Ask the local workers to stop their tasks and hand back what they finished."""
        for process in self._processes():
            with contextlib.suppress(OSError, ValueError, AttributeError):
                if process.is_alive():
                    os.kill(process.pid, signum)

    def close(self, *, kill: bool) -> None:
        """Shut the owned pool down; with ``kill``, end and reap its processes first.

        On Dask, ``kill`` cancels the batches still on the cluster (the
        client and its workers are the caller's).
        """
        if isinstance(self.executor, DaskExecutor) and kill:
            self.executor.shutdown(wait=False, cancel_futures=True)
        if not self.owned:
            return
        processes = self._processes()
        if kill:
            for process in processes:
                with contextlib.suppress(OSError, ValueError, AttributeError):
                    process.kill()
        self.executor.shutdown(wait=not kill, cancel_futures=True)
        for process in processes:
            with contextlib.suppress(OSError, ValueError, AttributeError, AssertionError):
                process.join(timeout=10)
        self.retired = []


def _worker_died(exc: BaseException) -> bool:
    """Whether a batch was lost with its worker rather than failed by its tasks.

    A local pool that broke, Dask giving up on a task whose workers kept
    dying, or a batch cancelled on the cluster by someone else (the runner
    collects none of the batches it cancels itself).
    """
    return isinstance(exc, cf.BrokenExecutor | cf.CancelledError) or (
        type(exc).__name__ == "KilledWorker"
    )


def _deaths_in(exc: BaseException) -> int:
    """Worker deaths one lost batch stands for: Dask's KilledWorker comes after several."""
    allowed = getattr(exc, "allowed_failures", None)
    return int(allowed) + 1 if isinstance(allowed, int) else 1


class _Run:
    """One call of :func:`run_tasks`: the queue, the batches in flight, the counts."""

    def __init__(
        self,
        store: ResultsStore,
        fn: TaskFunction,
        workers: _Workers,
        *,
        root_seed: int,
        common_random_numbers: bool,
        batch_size: int | None,
        target_batch_seconds: float,
        bar: _Progress,
    ) -> None:
        self.store, self.fn, self.workers, self.bar = store, fn, workers, bar
        self.root_seed, self.crn = root_seed, common_random_numbers
        self.batch_size, self.target = batch_size, target_batch_seconds
        self.queue: deque[Task] = deque()
        self.suspects: deque[Task] = deque()  # in flight when a worker died
        self.deaths: Counter[int] = Counter()  # batches lost while the task ran alone
        self.processes_lost: Counter[int] = Counter()  # worker processes those cost
        self.last_loss = 1  # worker processes the last lost batch cost (Dask: several)
        self.pending: dict[cf.Future[BatchResult], list[Task]] = {}
        self.generation_of: dict[cf.Future[BatchResult], int] = {}
        self.task_seconds: deque[float] = deque(maxlen=200)
        self.failed_total = 0
        self.fruitless_restarts = 0
        self.next_look = 0.0  # when to ask a Dask scheduler for its workers again
        self.no_workers_since: float | None = None

    # ---------------------------------------------------------------- driving
    def drive(self, todo: list[Task]) -> None:
        """Run ``todo`` to the end or to a stop signal; stop the workers either way."""
        self.queue.extend(todo)
        try:
            with stopping.raising_stops(False):
                while (
                    self.queue or self.suspects or self.pending
                ) and not stopping.stop_requested():
                    self._fill()
                    self._collect()
                if stopping.stop_requested():
                    self._stop()
        except BaseException:
            self.workers.close(kill=True)
            raise
        self.workers.close(kill=False)

    def _next_size(self) -> int:
        if self.batch_size is not None:
            return self.batch_size
        if not self.task_seconds:
            return 1  # the first result shows how long a task takes
        mean = max(sum(self.task_seconds) / len(self.task_seconds), 1e-6)
        balance = max(1, math.ceil(len(self.queue) / (2 * self.workers.workers)))
        return int(max(1, min(round(self.target / mean), balance, 10_000)))

    def _fill(self) -> None:
        if self.suspects:
            # After a worker died, tasks that were in flight run one at a
            # time, so a task that kills its worker is found and charged
            # alone instead of failing the tasks that shared the pool.
            if not self.pending:
                self._submit([self.suspects.popleft()])
            return
        while self.queue and len(self.pending) < 2 * self.workers.workers:
            size = min(self._next_size(), len(self.queue))
            self._submit([self.queue.popleft() for _ in range(size)])

    def _submit(self, batch: list[Task]) -> None:
        try:
            future = self.workers.submit(self.fn, batch, self.root_seed, self.crn)
        except cf.BrokenExecutor as exc:  # the pool broke since the last look
            future = cf.Future()
            future.set_exception(exc)  # seen, like its neighbours, by _collect
        self.pending[future] = batch
        self.generation_of[future] = self.workers.generation

    def _collect(self) -> None:
        finished, _ = cf.wait(
            list(self.pending), timeout=_POLL_SECONDS, return_when=cf.FIRST_COMPLETED
        )
        dead: list[list[Task]] = []
        for future in finished:
            batch = self.pending.pop(future)
            result = self._result(future, batch)
            if result is None:
                dead.append(batch)
            else:
                self._commit(batch, result)
                if result.spent and self.generation_of[future] == self.workers.generation:
                    self.workers.renew(result.address)  # once per pool or Dask worker
            del self.generation_of[future]
        if dead:
            self._after_death(dead)
        self._look_for_dask_workers()

    def _look_for_dask_workers(self) -> None:
        """Stop a Dask run whose cluster has had no worker for :data:`DASK_NO_WORKERS_SECONDS`.

        Raises:
            RunnerError: No worker for that long; what finished is kept.
        """
        executor = self.workers.executor
        now = time.monotonic()
        if not isinstance(executor, DaskExecutor) or now < self.next_look:
            return
        self.next_look = now + _DASK_LOOK_SECONDS
        try:
            alive = executor.workers()
        except Exception:  # the scheduler did not answer: the client reconnects, or fails
            return
        if alive:
            self.no_workers_since = None
        elif self.no_workers_since is None:
            self.no_workers_since = now
        elif now - self.no_workers_since >= DASK_NO_WORKERS_SECONDS:
            raise RunnerError(
                f"the Dask cluster has had no worker for {DASK_NO_WORKERS_SECONDS:.0f} s (they "
                f"died and nothing restarted them); finished tasks are kept in "
                f"{self.store.folder}; start workers, then finish with: "
                f"{finish_command(self.store.folder)}"
            )

    def _result(self, future: cf.Future[BatchResult], batch: list[Task]) -> BatchResult | None:
        """The batch's result; ``None`` if its worker died; failures for other errors."""
        try:
            return future.result()
        except KeyboardInterrupt:
            return BatchResult(None, [], interrupted=True)
        except Exception as exc:
            if _worker_died(exc):
                self.last_loss = _deaths_in(exc)
                return None
            if stopping.caused_by_interrupt(exc):
                return BatchResult(None, [], interrupted=True)
            error = _one_error_text(exc)
            return BatchResult(
                None,
                [
                    RunRecord(
                        t.task_id, t.point, t.replicate, "failed", error, "unknown", 0.0, now_iso()
                    )
                    for t in batch
                ],
            )

    def _commit(
        self,
        batch: list[Task],
        result: BatchResult,
        *,
        stopping_now: bool = False,
    ) -> None:
        """Write a finished batch and put back what it did not run."""
        if result.records:
            self.store.write_part(result.rows, result.records)
            self.fruitless_restarts = 0
        failed = sum(r.status == "failed" for r in result.records)
        self.failed_total += failed
        self.task_seconds.extend(r.seconds for r in result.records if r.status == "done")
        self.bar.update(len(result.records), self.failed_total)
        if stopping_now:
            return
        if result.interrupted:
            if not stopping.stop_requested():  # a KeyboardInterrupt not from a signal
                stopping.STATE.signum = signal.SIGINT
            return
        recorded = {r.task_id for r in result.records}
        self.queue.extendleft(reversed([t for t in batch if t.task_id not in recorded]))

    def _after_death(self, dead: list[list[Task]]) -> None:
        """A worker died: restart the pool, retry what was in flight, charge a lone task."""
        if stopping.stop_requested():
            return  # the workers died of the stop (a signal to the whole group); resume redoes
        if self.workers.owned:
            # A broken pool fails every batch it held; gather them all first.
            while self.pending:
                future, batch = self.pending.popitem()
                result = (
                    self._result(future, batch)
                    if future.done() or cf.wait([future], timeout=10).done
                    else None
                )
                if result is None:
                    dead.append(batch)
                else:
                    self._commit(batch, result)
            self.fruitless_restarts += 1
            if self.fruitless_restarts > _MAX_FRUITLESS_RESTARTS:
                raise RunnerError(
                    "worker processes keep dying before they finish anything; finished tasks "
                    f"are saved in {self.store.folder}; fix the cause, then resume"
                )
            self.workers.restart()
        elif not self.workers.recovers_from_deaths:
            what = (
                "an MPI rank died, and MPI cannot replace a rank"
                if self.workers.mpi
                else ("the executor's workers died")
            )
            raise RunnerError(
                f"{what}; finished tasks are kept in {self.store.folder}; finish with: "
                f"{finish_command(self.store.folder)}"
            )
        alone = len(dead) == 1 and len(dead[0]) == 1 and not self.pending
        for task in (t for batch in dead for t in batch):
            if alone:
                self.deaths[task.task_id] += 1
                self.processes_lost[task.task_id] += self.last_loss
                if self.deaths[task.task_id] >= _MAX_WORKER_DEATHS:
                    self._record_death(task)
                    continue
            self.suspects.append(task)

    def _record_death(self, task: Task) -> None:
        error = (
            f"WorkerDied: the worker process died {self.processes_lost[task.task_id]} times "
            "while running this task alone (out of memory? see the system log)"
        )
        record = RunRecord(
            task.task_id, task.point, task.replicate, "failed", error, "unknown", 0.0, now_iso()
        )
        self._commit([task], BatchResult(None, [record]))

    def _stop(self) -> None:
        """Stop every worker, commit what they hand back within the grace period, kill the rest."""
        self.workers.signal_workers(signal.SIGINT)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while self.pending and (left := deadline - time.monotonic()) > 0:
            finished, _ = cf.wait(list(self.pending), timeout=left, return_when=cf.FIRST_COMPLETED)
            for future in finished:
                batch = self.pending.pop(future)
                result = self._result(future, batch)
                if result is not None:
                    self._commit(batch, result, stopping_now=True)
        for future in self.pending:
            future.cancel()
        self.pending.clear()


def run_tasks(
    tasks: Iterable[Task],
    fn: TaskFunction,
    store: ResultsStore,
    *,
    executor: cf.Executor | Any | None = None,
    workers: int | None = None,
    batch_size: int | None = None,
    progress: bool | None = True,
    root_seed: int | None = None,
    common_random_numbers: bool = False,
    target_batch_seconds: float = 3.0,
    label: str = "runs",
    collect: bool = True,
) -> pd.DataFrame:
    """Run every task not yet done in ``store`` and return all results.

    The folder's write lock is held throughout. A stop signal (Ctrl-C,
    SIGTERM) stops the workers within :data:`STOP_GRACE_SECONDS`, commits
    what they finished and raises :class:`RunInterrupted`. A dead worker's
    in-flight tasks run again, one at a time; a task whose worker dies
    :data:`_MAX_WORKER_DEATHS` times alone is recorded as failed. A worker
    whose task ran out of memory is replaced.

    Args:
        tasks: The experiment's tasks (all of them; done ones are skipped,
            which is what makes ``--resume`` work).
        fn: Top-level picklable ``fn(task, seed) -> DataFrame``. The runner
            adds ``task_id``, ``point`` and ``replicate`` as first columns
            (replacing any the function set) and moves a named index into
            a column.
        store: Where batches are committed.
        executor: Any ``concurrent.futures.Executor`` (including
            ``MPIPoolExecutor`` and :class:`DaskExecutor`), or a Dask
            ``distributed.Client`` itself (or its ``get_executor()``, whose
            client is used through :class:`DaskExecutor`). ``None``: a local process pool
            of ``workers`` processes, owned and closed here.
        workers: Workers of the executor (default: cores, or the cluster's
            size as far as it can be found); ``0`` with no executor runs
            everything in this process.
        batch_size: Tasks per batch; ``None`` adapts (see the module docs).
        progress: ``True``/``None``: tqdm on a terminal, a plain line per
            batch (at most one a second) otherwise; ``False``: silent.
        root_seed: Root of all task seeds; default ``store.manifest["root_seed"]``.
        common_random_numbers: Same seed for replicate r at every point.
        target_batch_seconds: Work per batch aimed at by adaptive batching.
            Each batch costs the driver two small Parquet files: at one
            second per batch that was 5 % of a core during the Sobol
            benchmark, taken from the workers on a 2-core machine; at three
            seconds a SIGKILL still loses under ten seconds per worker.
        label: Name shown in the progress output.
        collect: Return the results (all of the store's, not only this
            session's); ``False`` returns an empty frame and saves memory.

    Returns:
        All result rows in the store, ordered by task id, one copy per task.

    Raises:
        RunnerError: No root seed, duplicate task ids, or an executor that
            broke for good. Tasks committed before the error stay committed.
        RunInterrupted: A stop signal.
        experiments.store.FolderBusy: Another process writes the folder.
        OSError: The store could not be written (workers are stopped first).
    """
    all_tasks = list(tasks)
    ids = [t.task_id for t in all_tasks]
    if len(set(ids)) != len(ids):
        raise RunnerError("task ids are not unique; build tasks with make_tasks()")
    if root_seed is None:
        seed_value = store.manifest.get("root_seed")
        if seed_value is None:
            raise RunnerError("no root seed: pass root_seed= or put root_seed in the manifest")
        root_seed = int(seed_value)
    if batch_size is not None and batch_size < 1:
        raise RunnerError(f"batch_size={batch_size} must be at least 1")

    with stopping.handling_stop_signals(), store.locked():
        done_ids = store.done_task_ids()
        todo = [t for t in all_tasks if t.task_id not in done_ids]
        pool = _workers_for(executor, workers)
        bar = _Progress(len(all_tasks), len(all_tasks) - len(todo), label, progress)
        run = _Run(
            store,
            fn,
            pool,
            root_seed=root_seed,
            common_random_numbers=common_random_numbers,
            batch_size=batch_size,
            target_batch_seconds=target_batch_seconds,
            bar=bar,
        )
        try:
            run.drive(todo)
        finally:
            bar.close()
        if stopping.stop_requested():
            kept = len(set(ids) & store.done_task_ids())
            raise RunInterrupted(
                store.folder, kept, len(ids), stopping.STATE.signum or signal.SIGINT
            )
    if run.failed_total:
        log.warning("%d task(s) failed; see the run table in %s", run.failed_total, store.folder)
    return store.read_results() if collect else pd.DataFrame()


def _workers_for(executor: cf.Executor | Any | None, workers: int | None) -> _Workers:
    """The executor to use: the one given, a Dask client's, in-process, or a local pool."""
    if type(executor).__name__ == "ClientExecutor":
        executor = getattr(executor, "_client", executor)  # Dask's: see DaskExecutor
    if (
        executor is not None
        and not isinstance(executor, cf.Executor)
        and hasattr(executor, "get_executor")
    ):  # a dask distributed.Client
        if workers is None:
            with contextlib.suppress(Exception):
                workers = int(sum(executor.nthreads().values()))
        executor = DaskExecutor(executor)
    if executor is None:
        n_workers = default_workers() if workers is None else workers
        if n_workers == 0:
            return _Workers(InlineExecutor(), 1)
        return _Workers(None, n_workers)
    assert isinstance(executor, cf.Executor)
    n = workers or int(getattr(executor, "_max_workers", 0) or 0) or default_workers()
    return _Workers(executor, n)
