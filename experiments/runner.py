"""Run many tasks on any ``concurrent.futures.Executor`` and commit them to a store.

One runner serves every verb that runs many models (``sweep``,
``sensitivity``, ``compare``) and every place they run: a local process pool
(the default, one worker per core), a Dask cluster (``--dask ADDRESS``), or an
MPI job through ``mpi4py.futures`` (``--mpi``). Three decisions make it safe:

* **Seeds by identity.** A task's seed is derived from the root seed and the
  task's (design point, replicate) with :class:`numpy.random.SeedSequence`,
  never from the order of execution, so results are bit-identical whatever
  the executor, the number of workers and the batching (ARCHITECTURE.md,
  principle 6).
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
on; ``--resume`` re-runs failed and missing tasks only.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import importlib
import logging
import math
import multiprocessing
import os
import socket
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

import numpy as np
import pandas as pd
from tqdm import tqdm

from experiments.provenance import now_iso
from experiments.store import ResultsStore, RunRecord

log = logging.getLogger(__name__)

TAG_COLUMNS: tuple[str, ...] = ("task_id", "point", "replicate")
"""Columns the runner puts first in every result row."""

_MAX_POOL_RESTARTS = 3


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
    root_seed: int, point: int, replicate: int, *, common_random_numbers: bool = False,
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
    points: Sequence[Mapping[str, Any]], replicates: int,
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
    """What a worker sends back for one batch."""

    rows: pd.DataFrame | None
    records: list[RunRecord]


def _tag(frames: list[pd.DataFrame], tasks: list[Task]) -> pd.DataFrame:
    """Concatenate the tasks' frames and put the tag columns first.

    Tagging once per batch rather than once per task keeps the per-task
    overhead to a fraction of a millisecond (column inserts are slow).
    """
    frames = [f.reset_index() if f.index.name is not None else f for f in frames]
    rows = pd.concat(frames, ignore_index=True)
    rows = rows.drop(columns=[c for c in TAG_COLUMNS if c in rows.columns])
    lengths = [len(f) for f in frames]
    tags = pd.DataFrame({
        "task_id": np.repeat(np.array([t.task_id for t in tasks], dtype=np.int64), lengths),
        "point": np.repeat(np.array([t.point for t in tasks], dtype=np.int64), lengths),
        "replicate": np.repeat(np.array([t.replicate for t in tasks], dtype=np.int64), lengths),
    })
    return pd.concat([tags, rows], axis=1)


def run_batch(
    fn: TaskFunction, tasks: Sequence[Task], root_seed: int, common_random_numbers: bool = False,
) -> BatchResult:
    """Run ``tasks`` one after the other in this process (the worker's job).

    Each task's exception is caught and recorded, so one bad design point
    (e.g. parameters that make the model fail) costs one task, not the batch.
    """
    worker = f"{socket.gethostname()}:{os.getpid()}"
    frames: list[pd.DataFrame] = []
    succeeded: list[Task] = []
    records: list[RunRecord] = []
    for task in tasks:
        seed = task_seed(root_seed, task.point, task.replicate,
                         common_random_numbers=common_random_numbers)
        start = time.perf_counter()
        try:
            result = fn(task, seed)
            if not isinstance(result, pd.DataFrame):
                raise TypeError(f"task function returned {type(result).__name__}, not a DataFrame")
            frames.append(result)
            succeeded.append(task)
            status, error = "done", ""
        except Exception as exc:  # any task error is recorded, not raised
            status = "failed"
            error = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:2000]
            log.debug("task %s failed:\n%s", task.task_id, traceback.format_exc())
        records.append(RunRecord(
            task_id=task.task_id, point=task.point, replicate=task.replicate,
            status=status, error=error, worker=worker,
            seconds=time.perf_counter() - start, finished=now_iso(),
        ))
    rows = _tag(frames, succeeded) if frames else None
    return BatchResult(rows=rows, records=records)


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
    else:  # pragma: no cover - Windows
        context = multiprocessing.get_context("spawn")
    return cf.ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_one_thread_per_worker
    )


def _one_thread_per_worker() -> None:
    """Keep compiled parallel loops to one thread: the pool already fills the cores."""
    import numba  # noqa: PLC0415 (imported in the worker, after its start)

    numba.set_num_threads(1)


_PRELOAD: tuple[str, ...] = ("numpy", "pandas", "pyarrow", "model", "experiments.runner",
                             "experiments.tasks")


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
    workers: int | None = None, dask: str | None = None, mpi: bool = False,
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
        RunnerError: Conflicting options, a missing package, or a scheduler
            that cannot be reached.
    """
    if dask and mpi:
        raise RunnerError("--dask and --mpi exclude each other; choose one executor")
    if workers is not None and workers < 0:
        raise RunnerError(f"--workers {workers} is negative; use 0 (in-process) or more")
    if dask:
        try:
            distributed: Any = importlib.import_module("distributed")
        except ImportError as exc:
            raise RunnerError(
                "--dask needs dask.distributed; install it with pip install 'sixerrors[cluster]'"
            ) from exc
        try:
            client = distributed.Client(dask, timeout="15s")
        except (OSError, TimeoutError) as exc:
            raise RunnerError(
                f"cannot reach the Dask scheduler at {dask} ({exc}); "
                "start one with `dask scheduler` or check the address"
            ) from exc
        try:
            threads = int(sum(client.nthreads().values())) or 1
            yield ExecutorChoice(
                client.get_executor(pure=False), threads, f"dask {dask} ({threads} threads)"
            )
        finally:
            client.close()
        return
    if mpi:
        try:
            mpi_futures: Any = importlib.import_module("mpi4py.futures")
        except ImportError as exc:
            raise RunnerError(
                "--mpi needs mpi4py; install it with pip install 'sixerrors[cluster]'"
            ) from exc
        executor = mpi_futures.MPIPoolExecutor()
        try:
            n = int(executor.num_workers) or 1
            yield ExecutorChoice(executor, n, f"mpi4py.futures ({n} workers)")
        finally:
            executor.shutdown(wait=True)
        return
    n = default_workers() if workers is None else workers
    if n == 0:
        yield ExecutorChoice(InlineExecutor(), 1, "in-process (0 workers)")
    else:
        yield ExecutorChoice(None, n, f"local process pool ({n} workers)")


# --------------------------------------------------------------------- progress
class _Progress:
    """Runs done, runs per second and time left; tqdm on a terminal, log lines elsewhere."""

    def __init__(self, total: int, already: int, label: str, mode: bool | None,
                 stream: TextIO | None = None) -> None:
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
            self.bar = tqdm(total=total, initial=already, desc=label, unit="run",
                            file=self.stream, dynamic_ncols=True, smoothing=0.1)

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
        print(f"{self.label}: {self.done}/{self.total} runs, {rate:.1f} runs/s, "
              f"{eta} left{extra}", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# --------------------------------------------------------------------- the runner
def _chunks(tasks: list[Task], start: int, size: int) -> list[Task]:
    return tasks[start:start + size]


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

    Args:
        tasks: The experiment's tasks (all of them; done ones are skipped,
            which is what makes ``--resume`` work).
        fn: Top-level picklable ``fn(task, seed) -> DataFrame``. The runner
            adds ``task_id``, ``point`` and ``replicate`` as first columns
            (replacing any the function set) and moves a named index into
            a column.
        store: Where batches are committed.
        executor: Any ``concurrent.futures.Executor`` (including
            ``MPIPoolExecutor`` and a Dask ``Client.get_executor()``), or a
            Dask ``distributed.Client`` itself. ``None``: a local process pool
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
        All result rows in the store, ordered by task id.

    Raises:
        RunnerError: No root seed, duplicate task ids, or an executor that
            broke for good. Tasks committed before the error stay committed.
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

    done_ids = store.done_task_ids()
    todo = [t for t in all_tasks if t.task_id not in done_ids]
    already = len(all_tasks) - len(todo)

    owned = False
    if executor is not None and not isinstance(executor, cf.Executor) \
            and hasattr(executor, "get_executor"):  # a dask distributed.Client
        if workers is None:
            with contextlib.suppress(Exception):
                workers = int(sum(executor.nthreads().values()))
        executor = executor.get_executor(pure=False)
    if executor is None:
        n_workers = default_workers() if workers is None else workers
        if n_workers == 0:
            executor, n_workers = InlineExecutor(), 1
        else:
            executor, owned = local_pool(n_workers), True
    else:
        n_workers = workers or int(getattr(executor, "_max_workers", 0) or 0) or default_workers()
    assert isinstance(executor, cf.Executor)

    in_flight_cap = 2 * n_workers
    bar = _Progress(len(all_tasks), already, label, progress)
    failed_total = 0
    restarts = 0
    position = 0
    task_seconds: list[float] = []
    pending: dict[cf.Future[BatchResult], list[Task]] = {}

    def next_size() -> int:
        if batch_size is not None:
            return batch_size
        if not task_seconds:
            return 1
        mean = max(sum(task_seconds[-200:]) / len(task_seconds[-200:]), 1e-6)
        remaining = len(todo) - position
        balance = max(1, math.ceil(remaining / (2 * n_workers)))
        return int(max(1, min(round(target_batch_seconds / mean), balance, 10_000)))

    try:
        while position < len(todo) or pending:
            while position < len(todo) and len(pending) < in_flight_cap:
                batch = _chunks(todo, position, next_size())
                position += len(batch)
                future = executor.submit(run_batch, fn, batch, root_seed, common_random_numbers)
                pending[future] = batch
            finished, _ = cf.wait(list(pending), return_when=cf.FIRST_COMPLETED)
            broken = False
            for future in finished:
                batch = pending.pop(future)
                try:
                    result: BatchResult = future.result()
                except Exception as exc:  # the batch never ran to the end
                    broken = broken or isinstance(exc, cf.BrokenExecutor)
                    error = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:2000]
                    result = BatchResult(None, [
                        RunRecord(t.task_id, t.point, t.replicate, "failed", error,
                                  "unknown", 0.0, now_iso()) for t in batch
                    ])
                store.write_part(result.rows, result.records)
                failed = sum(r.status == "failed" for r in result.records)
                failed_total += failed
                task_seconds.extend(r.seconds for r in result.records if r.status == "done")
                bar.update(len(batch), failed_total)
            if broken:
                # A worker died (e.g. killed by the OOM killer). Its batch is
                # recorded as failed; the rest goes on in a fresh pool.
                for future, batch in list(pending.items()):
                    with contextlib.suppress(Exception):
                        result = future.result()
                        store.write_part(result.rows, result.records)
                        failed_total += sum(r.status == "failed" for r in result.records)
                        bar.update(len(batch), failed_total)
                        pending.pop(future)
                requeue = [t for batch in pending.values() for t in batch]
                pending.clear()
                if not owned or restarts >= _MAX_POOL_RESTARTS:
                    raise RunnerError(
                        "the executor's workers died; finished tasks are saved, "
                        f"re-run with --resume {store.folder} to do the rest"
                    )
                restarts += 1
                executor.shutdown(wait=False, cancel_futures=True)
                executor = local_pool(n_workers)
                # Tasks that were in flight go back in at the cursor, to run next.
                todo = todo[:position] + requeue + todo[position:]
    finally:
        bar.close()
        if owned:
            executor.shutdown(wait=True, cancel_futures=True)
    if failed_total:
        log.warning("%d task(s) failed; see the run table in %s", failed_total, store.folder)
    return store.read_results() if collect else pd.DataFrame()
