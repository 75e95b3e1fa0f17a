"""The results store: one folder per experiment, written so that nothing is lost.

Layout of ``results/<name>-<YYYYmmdd-HHMMSS>/``::

    manifest.json            resolved spec, its hash, root seed, provenance, start/end
    parts/<batch>.parquet    result rows of one finished batch
    runs/<batch>.parquet     run-table rows of the same batch (the commit record)
    summaries/<name>.parquet and .csv
    figures/<name>.png

Why two files per batch: the result rows of a batch are written first and
its run-table rows second, each to a temporary name and then moved into place
with :func:`os.replace`, which is atomic on POSIX. A batch counts as done only
once its run-table file exists. A process killed with SIGKILL can therefore
leave at most a results part without its run record (an orphan); orphans are
ignored when reading and deleted when a writer next takes the folder's lock.
Every file (parts, run records, manifest, summaries) is written to a
temporary name, fsynced, renamed into place, and its folder fsynced, so a
power cut leaves the old or the new file, never half of one.

One writer at a time: a run or resume holds ``.lock`` in the folder with
:func:`fcntl.flock`, a lock the kernel drops when the process dies (even by
SIGKILL), so a stale lock cannot exist; a second writer is refused with the
holder's pid and host. Reading needs no lock, and reading is de-duplicated
by task id anyway (:meth:`ResultsStore.read_results`), so a task committed
twice, however that came about, can never enter a statistic twice.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.provenance import now_iso, to_jsonable

MANIFEST = "manifest.json"
PARTS = "parts"
RUNS = "runs"
SUMMARIES = "summaries"
FIGURES = "figures"
LOCK = ".lock"
_TMP_PREFIX = ".tmp-"

STATUSES = ("running", "complete", "interrupted", "failed")
"""Values of the manifest's ``status``: a session is writing; every task
succeeded (and the summaries are written); a stop signal or an error ended
the last session early (``--resume`` finishes); every task ran but some
failed."""

RUN_COLUMNS: tuple[str, ...] = (
    "task_id",
    "point",
    "replicate",
    "status",
    "error",
    "worker",
    "seconds",
    "finished",
    "batch",
)
"""Columns of the run table, in order."""


class StoreError(RuntimeError):
    """A results folder that cannot be created, opened or resumed (one-line message)."""


class FolderBusy(StoreError):
    """Another live process holds the folder's write lock."""


@dataclass(frozen=True)
class RunRecord:
    """One row of the run table: what happened to one task.

    Attributes:
        task_id: The task's identity within the experiment.
        point: Design point index.
        replicate: Replicate index at that point.
        status: ``"done"`` or ``"failed"``.
        error: ``"ExceptionType: message"`` for a failed task, else ``""``.
        worker: ``host:pid`` of the process that ran it.
        seconds: Wall time of the task itself, measured on the worker.
        finished: ISO time at which the task ended.
    """

    task_id: int
    point: int
    replicate: int
    status: str
    error: str
    worker: str
    seconds: float
    finished: str


def _fsync_path(path: Path) -> None:
    """Flush ``path`` (a file or a folder) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Write ``path`` through ``write(tmp)`` so readers see nothing or all of it.

    The file is fsynced before the rename and the folder after it: without
    the second fsync a crash can lose the rename itself, leaving a run
    record that the batch's result part does not match.
    """
    tmp = path.with_name(f"{_TMP_PREFIX}{path.name}.{os.getpid()}")
    try:
        write(tmp)
        _fsync_path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_path(path.parent)


def _atomic_write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` atomically (see :func:`_atomic_write`)."""
    _atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def _atomic_write_text(text: str, path: Path) -> None:
    """Write ``text`` to ``path`` atomically (see :func:`_atomic_write`)."""
    _atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_text_atomically(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` as the manifest is written: all or nothing, synced.

    For the other files of a results folder, such as ``report.html``: a
    reader, or a stop mid-write, sees the old file or the new one.
    """
    path = Path(path)
    _atomic_write_text(text, path)
    return path


_HELD_LOCKS: dict[str, list[int]] = {}
"""Folder (resolved path) -> [lock file descriptor, nesting depth] held here."""


def _lock_holder(fd: int) -> str:
    """Who holds a lock, from the lock file's contents.

    The holder writes them just after it takes the lock, so a file still
    empty is read again for up to half a second.
    """
    for _ in range(10):
        try:
            data = json.loads(os.pread(fd, 1000, 0).decode("utf-8") or "{}")
            return f"process {data['pid']} on {data['host']} (since {data['since']})"
        except (OSError, ValueError, KeyError, TypeError):
            time.sleep(0.05)
    return "another process"


class ResultsStore:
    """A results folder: manifest, atomic Parquet parts, run table, summaries.

    Create one with :meth:`create` (a new folder, never an existing one) or
    :meth:`open` (an existing folder, to resume or to read).
    """

    def __init__(self, folder: Path) -> None:
        """Wrap an existing folder; use :meth:`create` or :meth:`open` instead."""
        self.folder = folder

    # ------------------------------------------------------------ creation
    @classmethod
    def create(
        cls,
        root: str | Path,
        name: str,
        manifest: Mapping[str, Any],
        *,
        timestamp: _dt.datetime | None = None,
    ) -> ResultsStore:
        """Make ``root/<name>-<YYYYmmdd-HHMMSS>`` and write its manifest.

        Never overwrites: if the folder exists (two runs in the same second),
        ``-2``, ``-3`` ... is appended. :func:`os.mkdir` without ``exist_ok``
        makes the claim atomic even between concurrent processes.

        Args:
            root: Parent folder (created if missing).
            name: Experiment name; path separators are replaced.
            manifest: JSON-able facts (spec, hash, seed, provenance); a
                ``started`` time is added unless given.
            timestamp: Time used in the folder name (tests); default now.
        """
        root = Path(root)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "experiment"
        stamp = (timestamp or _dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create results root {root}: {exc.strerror or exc}; choose another --out"
            ) from exc
        try:
            folder = _claim_folder(root, f"{safe}-{stamp}")
            for sub in (PARTS, RUNS, SUMMARIES, FIGURES):
                (folder / sub).mkdir()
            store = cls(folder)
            data = dict(to_jsonable(dict(manifest)))
            data.setdefault("name", name)
            data.setdefault("started", now_iso())
            data.setdefault("finished", None)
            store.write_manifest(data)
        except OSError as exc:
            raise StoreError(
                f"cannot write results under {root}: {exc.strerror or exc}; "
                "choose a writable folder with --out"
            ) from exc
        return store

    @classmethod
    def open(cls, folder: str | Path, *, clean: bool = True) -> ResultsStore:
        """Open an existing results folder, e.g. for ``--resume``.

        Args:
            folder: The folder made by :meth:`create`.
            clean: Check that no other process writes the folder and remove
                leftovers of a killed writer (temporary files and result
                parts without a run record), taking the folder's lock for
                the moment it takes. ``False`` opens it for reading only.

        Raises:
            StoreError: The folder is missing, has no manifest or cannot be
                written; :class:`FolderBusy` if another process writes it.
        """
        folder = Path(folder)
        if not (folder / MANIFEST).is_file():
            raise StoreError(
                f"{folder} is not a results folder (no {MANIFEST}); "
                "pass the folder printed when the experiment started"
            )
        store = cls(folder)
        if clean:
            with store.locked():
                pass
        return store

    # ------------------------------------------------------------ the write lock
    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder's write lock; nested use in one process is allowed.

        The lock is :func:`fcntl.flock` on ``.lock``: the kernel releases it
        when the process ends, however it ends, so it never goes stale.
        Taking it also removes a killed writer's leftovers, which is safe
        only now that no live writer can be making them.

        Raises:
            FolderBusy: Another process holds the lock (its pid and host
                are in the message).
            StoreError: The folder cannot be written.
        """
        key = str(self.folder.resolve())
        held = _HELD_LOCKS.get(key)
        if held is not None:
            held[1] += 1
        else:
            _HELD_LOCKS[key] = [self._acquire_lock(), 1]
            try:
                self._clean()
            except BaseException:
                self._release_lock(key)
                raise
        try:
            yield
        finally:
            self._release_lock(key)

    def _acquire_lock(self) -> int:
        try:
            for sub in (PARTS, RUNS, SUMMARIES, FIGURES):
                (self.folder / sub).mkdir(exist_ok=True)
            fd = os.open(self.folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(
                f"cannot write to {self.folder}: {exc.strerror or exc}; "
                "check the folder's permissions and free space"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _lock_holder(fd)
            os.close(fd)
            raise FolderBusy(
                f"{self.folder} is being written by {holder}; wait for it to end "
                "(or stop it), then resume"
            ) from None
        me = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": now_iso()})
        os.ftruncate(fd, 0)
        os.pwrite(fd, me.encode("utf-8"), 0)
        return fd

    @staticmethod
    def _release_lock(key: str) -> None:
        held = _HELD_LOCKS[key]
        held[1] -= 1
        if held[1] == 0:
            del _HELD_LOCKS[key]
            os.close(held[0])  # closing the last descriptor drops the flock

    def _clean(self) -> None:
        for sub in (PARTS, RUNS, SUMMARIES, FIGURES, "."):
            for tmp in (self.folder / sub).glob(f"{_TMP_PREFIX}*"):
                tmp.unlink(missing_ok=True)
        committed = {p.stem for p in (self.folder / RUNS).glob("*.parquet")}
        for part in (self.folder / PARTS).glob("*.parquet"):
            if part.stem not in committed:
                part.unlink(missing_ok=True)

    # ------------------------------------------------------------ manifest
    @property
    def manifest(self) -> dict[str, Any]:
        """The manifest as stored on disk.

        Raises:
            StoreError: The file is unreadable or not a JSON object.
        """
        path = self.folder / MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StoreError(
                f"{path} is damaged ({exc}); restore it from a copy, or start afresh "
                "without --resume"
            ) from None
        if not isinstance(data, dict):
            raise StoreError(
                f"{path} is damaged (not a JSON object); restore it from a copy, or start "
                "afresh without --resume"
            )
        return data

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        """Replace the manifest atomically (pretty JSON, sorted keys)."""
        text = json.dumps(to_jsonable(dict(manifest)), indent=2, sort_keys=True) + "\n"
        _atomic_write_text(text, self.folder / MANIFEST)

    def update_manifest(self, **fields: Any) -> None:
        """Set top-level manifest fields, keeping the others."""
        data = self.manifest
        data.update(to_jsonable(fields))
        self.write_manifest(data)

    def mark_started(self, **fields: Any) -> list[dict[str, Any]]:
        """Record a (re)start: appends to ``sessions`` with time, host, pid and fields.

        ``started`` stays the first start; each run or resume adds a session
        so the manifest tells how the folder came to be. A previous session
        still marked ``running`` died without a word (SIGKILL, power cut, an
        MPI job ended by a dead rank): it is marked ``killed``.

        Returns:
            The sessions just marked ``killed``, for the caller to mention.
        """
        data = self.manifest
        sessions = list(data.get("sessions", []))
        killed = []
        for old in sessions:
            if old.get("status") == "running":
                old["status"] = "killed"
                killed.append(dict(old))
        sessions.append(
            to_jsonable(
                {
                    "started": now_iso(),
                    "host": socket.gethostname(),
                    "pid": os.getpid(),
                    "status": "running",
                    **fields,
                }
            )
        )
        data["sessions"] = sessions
        data["status"] = "running"
        data["finished"] = None
        self.write_manifest(data)
        return killed

    def mark_finished(self, status: str = "complete", **fields: Any) -> None:
        """Record the end of the session: time, ``status`` and e.g. task counts.

        The session's ``finished`` is always its end time; the manifest's
        ``finished`` only once the experiment is complete.

        Args:
            status: One of :data:`STATUSES` but ``running``; goes into the
                manifest and into its last session.
            **fields: Top-level fields (e.g. ``tasks_done``); those named
                ``session_*`` go into the last session without the prefix.
        """
        if status not in STATUSES[1:]:
            raise ValueError(f"status {status!r} is not one of {STATUSES[1:]}")
        data = self.manifest
        end = now_iso()
        data["finished"] = end if status == "complete" else None  # not "finished" otherwise
        data["status"] = status
        own = {k.removeprefix("session_"): v for k, v in fields.items() if k.startswith("session_")}
        if data.get("sessions"):
            data["sessions"][-1].update(to_jsonable({"finished": end, "status": status, **own}))
        data.update(to_jsonable({k: v for k, v in fields.items() if not k.startswith("session_")}))
        self.write_manifest(data)

    # ------------------------------------------------------------ parts
    def new_batch_id(self) -> str:
        """Return a batch name unique across workers, sessions and hosts."""
        return f"{_dt.datetime.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:12]}"

    def write_part(
        self,
        rows: pd.DataFrame | None,
        records: Sequence[RunRecord],
        *,
        batch: str | None = None,
    ) -> str:
        """Commit one finished batch: its result rows, then its run records.

        Args:
            rows: Result rows of the batch's successful tasks (may be empty or
                ``None`` when every task failed).
            records: One :class:`RunRecord` per task of the batch.
            batch: Name of the batch; a fresh unique one by default.

        Returns:
            The batch name.
        """
        batch = batch or self.new_batch_id()
        if rows is not None and len(rows):
            _atomic_write_parquet(rows, self.folder / PARTS / f"{batch}.parquet")
        table = pd.DataFrame([asdict(r) for r in records], columns=list(RUN_COLUMNS[:-1]))
        table["batch"] = batch
        table = table.astype(
            {"task_id": "int64", "point": "int64", "replicate": "int64", "seconds": "float64"}
        )
        _atomic_write_parquet(table, self.folder / RUNS / f"{batch}.parquet")
        return batch

    def run_table(self, *, latest: bool = True) -> pd.DataFrame:
        """Return the run table of every committed batch.

        Args:
            latest: Keep one row per task: ``done`` if the task ever
                succeeded, else its latest failure. With ``False``, every
                attempt (a failed task retried on resume shows twice).
        """
        files = sorted((self.folder / RUNS).glob("*.parquet"))
        if not files:
            return pd.DataFrame({c: pd.Series(dtype=_RUN_DTYPES[c]) for c in RUN_COLUMNS})
        table = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
        if latest and len(table):
            done = table[table["status"].eq("done")]
            counted = _counted_attempts(done)
            failed = table[~table["task_id"].isin(counted["task_id"])]
            failed = failed.sort_values(["task_id", "finished", "batch"], kind="mergesort")
            table = pd.concat([counted, failed.drop_duplicates("task_id", keep="last")])
        return table.sort_values("task_id", kind="mergesort").reset_index(drop=True)

    def done_task_ids(self) -> set[int]:
        """Return the ids of tasks that finished successfully (skipped on resume)."""
        table = self.run_table(latest=False)
        return set(table.loc[table["status"] == "done", "task_id"].astype(int).tolist())

    def read_results(self, columns: Iterable[str] | None = None) -> pd.DataFrame:
        """Return the result rows of every committed batch as one DataFrame.

        Rows are ordered by ``task_id`` and, within a task, as the task
        function returned them, so the frame does not depend on which worker
        finished first, how tasks were batched, or whether the run was
        resumed. Orphan parts (no run record) are left out.

        Each task's rows come from one committed batch only (the first, by
        batch name, that finished it), so a task that two writers both ran,
        or a part copied in by hand, never counts twice.
        """
        table = self.run_table(latest=False)
        counted = _counted_attempts(table[table["status"].eq("done")])
        tasks_of = counted.groupby("batch")["task_id"].agg(list).to_dict()
        cols = list(columns) if columns is not None else None
        read = None if cols is None else list(dict.fromkeys(["task_id", *cols]))
        frames = []
        for path in sorted((self.folder / PARTS).glob("*.parquet")):
            if path.stem not in tasks_of:
                continue  # an orphan, or a batch whose every task counts elsewhere
            frame = pd.read_parquet(path, columns=read)
            frame = frame[frame["task_id"].isin(tasks_of[path.stem])]
            frames.append(frame if cols is None else frame[cols])
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame()
        data = pd.concat(frames, ignore_index=True)
        if "task_id" in data.columns:
            data = data.sort_values("task_id", kind="mergesort").reset_index(drop=True)
        return data

    # ------------------------------------------------------------ outputs
    def write_summary(self, name: str, frame: pd.DataFrame) -> tuple[Path, Path]:
        """Write a summary table as ``summaries/<name>.parquet`` and ``.csv``."""
        parquet = self.folder / SUMMARIES / f"{name}.parquet"
        csv = self.folder / SUMMARIES / f"{name}.csv"
        _atomic_write_parquet(frame, parquet)
        _atomic_write(csv, lambda tmp: frame.to_csv(tmp, index=False))
        return parquet, csv

    def read_summary(self, name: str) -> pd.DataFrame:
        """Read back a summary written by :meth:`write_summary`."""
        return pd.read_parquet(self.folder / SUMMARIES / f"{name}.parquet")

    def figure_path(self, name: str) -> Path:
        """Return ``figures/<name>.png`` (the folder exists)."""
        return self.folder / FIGURES / f"{name}.png"


def _counted_attempts(done: pd.DataFrame) -> pd.DataFrame:
    """One ``done`` run record per task: the one of the first batch by name.

    Batch names start with their commit time, so this is the first success,
    and the choice is the same on every read: the rows read and the run
    table agree on which copy of a duplicated task counts.
    """
    ordered = done.sort_values(["task_id", "batch"], kind="mergesort")
    return ordered.drop_duplicates("task_id", keep="first")


def _claim_folder(root: Path, base: str) -> Path:
    """Make ``root/base`` (or ``base-2``, ``-3`` ...) and return it.

    :func:`os.mkdir` without ``exist_ok`` makes the claim atomic even
    between concurrent processes.
    """
    folder, suffix = root / base, 1
    while True:
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            suffix += 1
            folder = root / f"{base}-{suffix}"


_RUN_DTYPES: dict[str, str] = {
    "task_id": "int64",
    "point": "int64",
    "replicate": "int64",
    "status": "object",
    "error": "object",
    "worker": "object",
    "seconds": "float64",
    "finished": "object",
    "batch": "object",
}
