"""Results that stay right under concurrent resumes, interrupts, dead workers and huge specs.

Process-level where the behaviour is about processes: real signals sent to
real drivers (alone, as a scheduler does, or to the whole process group,
as a terminal's Ctrl-C does), real concurrent writers, workers killed for
real. Every wait is bounded; no assertion is about how fast anything was.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from experiments import cli
from experiments.runner import Task, make_tasks, run_tasks
from experiments.store import FolderBusy, ResultsStore
from experiments.tasks import probe_task
from tests.test_cli import SCENARIO

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120  # seconds any one process may take before the test fails

SWEEP = """\
steps = 30
residents = 1000
replications = 40
outcomes = ["mean_legitimacy"]
[factors]
tolerance = [0.2, 0.5, 0.8]
"""
"""120 real model runs: long enough to interrupt (a few seconds even on a fast machine,
where 300 residents finished before the second batch was committed), short enough to finish."""


# --------------------------------------------------------------------------- helpers


def start(args: list[str], tmp_path: Path, *, group: bool = True) -> subprocess.Popen[str]:
    """Start ``python ARGS`` in the repository, in its own session (a process group)."""
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=group,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def start_cli(verb_args: list[str], tmp_path: Path) -> subprocess.Popen[str]:
    return start(["-m", "experiments.cli", *verb_args], tmp_path)


def wait_for(
    condition: Callable[[], bool],
    proc: subprocess.Popen[str] | None = None,
    what: str = "the condition",
) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the process ended before {what}: {proc.communicate()[1][-2000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def run_in_process(tasks: list[Task], tmp_path: Path, *, root_seed: int) -> pd.DataFrame:
    """The results of ``tasks`` run in this process without a hitch: what a run must keep."""
    store = ResultsStore.create(tmp_path, "ref", {"root_seed": root_seed})
    return run_tasks(tasks, probe_task, store, workers=0, progress=False)


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"the process did not end: {err[-2000:]}")
    return proc.returncode, out, err


def committed(root: Path) -> int:
    """Run-table files committed in the only results folder under ``root``."""
    return sum(1 for _ in root.glob("*/runs/*.parquet"))


def only_folder(root: Path) -> Path:
    (folder,) = [p for p in root.iterdir() if p.is_dir()]
    return folder


def descendants(pid: int) -> list[int]:
    psutil = pytest.importorskip("psutil")
    return [p.pid for p in psutil.Process(pid).children(recursive=True)]


def alive(pid: int) -> bool:
    psutil = pytest.importorskip("psutil")
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def last_line(err: str) -> str:
    assert "Traceback" not in err, err
    return err.strip().splitlines()[-1]


def write_sweep(tmp_path: Path, text: str = SWEEP) -> Path:
    spec = tmp_path / "sweep.toml"
    spec.write_text(text)
    return spec


# --------------------------------------------------------------------------- the lock

HOLD_LOCK = textwrap.dedent("""
    import sys, time
    from experiments.store import ResultsStore
    store = ResultsStore.open(sys.argv[1], clean=False)
    with store.locked():
        print("locked", flush=True)
        time.sleep(120)
""")


def test_a_second_writer_is_refused_and_a_killed_writer_leaves_no_lock(tmp_path, capsys):
    store = ResultsStore.create(tmp_path / "out", "held", {"root_seed": 1})
    script = tmp_path / "hold.py"
    script.write_text(HOLD_LOCK)
    holder = start([str(script), str(store.folder)], tmp_path)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(FolderBusy, match=f"process {holder.pid} on "):
            ResultsStore.open(store.folder)
        # Through the command: one line naming the folder and the process, exit 2.
        code = cli.main(
            ["sweep", str(write_sweep(tmp_path)), "--resume", str(store.folder), "--workers", "0"]
        )
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1, err
        assert str(store.folder) in err[0] and f"process {holder.pid}" in err[0]
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait(TIMEOUT)
    finally:
        if holder.poll() is None:
            os.killpg(holder.pid, signal.SIGKILL)
    ResultsStore.open(store.folder)  # the kernel dropped the lock with its holder


RESUME = textwrap.dedent("""
    import sys, time
    from experiments.runner import make_tasks, run_tasks
    from experiments.store import FolderBusy, ResultsStore
    from experiments.tasks import probe_task
    tasks = make_tasks([{"sleep": 0.05, "rows": 2} for _ in range(80)], 1)
    if __name__ == "__main__":
        try:
            run_tasks(tasks, probe_task, ResultsStore.open(sys.argv[1]), workers=0,
                      progress=False)
        except FolderBusy as exc:
            print(exc, file=sys.stderr)
            sys.exit(2)
""")


def test_two_concurrent_resumes_give_the_uninterrupted_result(tmp_path):
    tasks = make_tasks([{"sleep": 0.05, "rows": 2} for _ in range(80)], 1)
    store = ResultsStore.create(tmp_path / "out", "twice", {"root_seed": 4})
    run_tasks(tasks[:10], probe_task, store, workers=0, progress=False)  # an interrupted run
    script = tmp_path / "resume.py"
    script.write_text(RESUME)
    first, second = (start([str(script), str(store.folder)], tmp_path) for _ in range(2))
    endings = sorted([finish(first), finish(second)], key=lambda e: e[0])
    assert [code for code, _, _ in endings] == [0, 2], endings
    assert "is being written by process" in endings[1][2]
    assert len(store.run_table(latest=False)) == 80  # no task ran twice
    reference = run_in_process(tasks, tmp_path, root_seed=4)
    pd.testing.assert_frame_equal(store.read_results(), reference, check_exact=True)


SCENARIOS = SCENARIO.replace("steps = 30", "steps = 4").replace(
    "replications = 2", "replications = 3"
)
"""Two scenarios, three replications each: six quick runs."""


def test_duplicated_parts_never_enter_a_statistic(tmp_path, capsys):
    path = tmp_path / "mine.toml"
    path.write_text(SCENARIOS)
    assert cli.main(["compare", str(path), "--workers", "0", "--out", str(tmp_path)]) == 0
    folder = Path(capsys.readouterr().out.strip().splitlines()[-1])
    before = {
        name: pd.read_parquet(folder / "summaries" / f"{name}.parquet")
        for name in ("timeseries", "pairs", "runs")
    }
    # Every batch committed a second time, later, as two racing writers would.
    for sub in ("parts", "runs"):
        for part in list((folder / sub).glob("*.parquet")):
            shutil.copy(part, part.with_name(f"99999999999999-{part.stem}.parquet"))
    assert len(ResultsStore.open(folder).run_table(latest=False)) == 12
    assert cli.main(["compare", "--resume", str(folder), "--workers", "0"]) == 0
    for name, table in before.items():
        pd.testing.assert_frame_equal(
            pd.read_parquet(folder / "summaries" / f"{name}.parquet"), table, check_exact=True
        )
    assert set(before["timeseries"]["n"]) == {3}


# --------------------------------------------------------------------------- stop signals


def interrupt_sweep(
    tmp_path: Path, sig: int, *, group: bool, executor: list[str], spec: Path | None = None
) -> tuple[int, str, Path, list[int]]:
    """Start a real sweep, send ``sig`` once some runs are committed; return how it ended."""
    spec = spec or write_sweep(tmp_path)
    out = tmp_path / "out"
    proc = start_cli(["sweep", str(spec), "--out", str(out), *executor], tmp_path)
    try:
        wait_for(lambda: out.is_dir() and committed(out) >= 2, proc, "two committed batches")
        workers = descendants(proc.pid)
        if group:
            os.killpg(proc.pid, sig)  # a terminal's Ctrl-C reaches every process
        else:
            os.kill(proc.pid, sig)  # a scheduler's SIGTERM reaches the driver only
        code, _, err = finish(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    return code, err, only_folder(out), workers


def assert_kept_and_resumable(err: str, folder: Path, command: str) -> None:
    line = last_line(err)
    table = ResultsStore.open(folder, clean=False).run_table()
    kept = int((table["status"] == "done").sum())
    assert line == (
        f"sixerrors: interrupted; {kept} of 120 tasks are kept in {folder}; "
        f"finish with: {command} --resume {folder}"
    )
    assert kept >= 1 and not (table["status"] == "failed").any()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["tasks_done"] == kept
    assert manifest["finished"] is None and manifest["sessions"][-1]["finished"]
    assert manifest["sessions"][-1]["status"] == "interrupted"


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """The summaries of the 120-run sweep run once, uninterrupted, in process."""
    root = tmp_path_factory.mktemp("uninterrupted")
    spec = write_sweep(root)
    assert cli.main(["sweep", str(spec), "--workers", "0", "--out", str(root / "out")]) == 0
    folder = only_folder(root / "out")
    return {name: pd.read_parquet(folder / "summaries" / f"{name}.parquet") for name in SUMMARIES}


SUMMARIES = ("runs", "points")
"""The sweep's summaries that a resume must reproduce bit for bit."""


def assert_resumed_as_uninterrupted(
    folder: Path, uninterrupted: dict[str, pd.DataFrame], first: str = "interrupted"
) -> None:
    """The resumed folder is complete and its summaries equal the uninterrupted run's."""
    manifest = json.loads((folder / "manifest.json").read_text())
    assert (manifest["status"], manifest["tasks_done"]) == ("complete", 120)
    assert [s["status"] for s in manifest["sessions"]] == [first, "complete"]
    for name, table in uninterrupted.items():
        pd.testing.assert_frame_equal(
            pd.read_parquet(folder / "summaries" / f"{name}.parquet"), table, check_exact=True
        )


@pytest.mark.parametrize(
    ("sig", "group", "code"),
    [
        (signal.SIGINT, True, 130),
        (signal.SIGTERM, False, 143),
    ],
)
def test_a_stop_signal_stops_a_local_pool_and_reaps_its_workers(tmp_path, sig, group, code):
    got, err, folder, workers = interrupt_sweep(
        tmp_path, sig, group=group, executor=["--workers", "2"]
    )
    assert got == code, err
    assert_kept_and_resumable(err, folder, f"sixerrors sweep {tmp_path / 'sweep.toml'} --workers 2")
    assert workers, "the pool had no worker processes to check"
    wait_for(lambda: not any(alive(pid) for pid in workers), what="the workers to end")


@pytest.mark.parametrize(
    ("sig", "group", "code"),
    [
        (signal.SIGINT, True, 130),
        (signal.SIGTERM, False, 143),
    ],
)
def test_a_stop_signal_in_process_stops_and_is_no_task_failure(
    tmp_path, capsys, uninterrupted, sig, group, code
):
    got, err, folder, workers = interrupt_sweep(
        tmp_path, sig, group=group, executor=["--workers", "0"]
    )
    assert got == code, err
    command = f"sixerrors sweep {tmp_path / 'sweep.toml'} --workers 0"
    assert_kept_and_resumable(err, folder, command)
    assert not any(alive(pid) for pid in workers)  # nothing of the driver's lives on
    args = command.split()[1:]
    assert cli.main([*args, "--resume", str(folder)]) == 0
    assert_resumed_as_uninterrupted(folder, uninterrupted)


NUMBA_LIKE = textwrap.dedent("""
    import sys, time
    from experiments import stopping
    from experiments.runner import RunInterrupted, make_tasks, run_tasks
    from experiments.store import ResultsStore

    def compiled_like(task, seed):
        time.sleep(0.05)
        if stopping.stop_requested():
            # What numba's dispatcher makes of a KeyboardInterrupt raised
            # while its compiled code ran, should one come through.
            raise SystemError("CPUDispatcher(<function step>) returned a result with an "
                              "exception set") from KeyboardInterrupt()
        import pandas as pd
        return pd.DataFrame({"value": [float(seed % 7)]})

    if __name__ == "__main__":
        store = ResultsStore.create(sys.argv[1], "numba", {"root_seed": 1})
        print(store.folder, flush=True)
        try:
            run_tasks(make_tasks([{}] * 2000, 1), compiled_like, store, workers=0,
                      progress=False)
        except RunInterrupted as exc:
            print(exc.kept, flush=True)
            sys.exit(130)
""")


def test_an_interrupt_surfacing_as_numba_systemerror_is_an_interrupt(tmp_path):
    script = tmp_path / "numba_like.py"
    script.write_text(NUMBA_LIKE)
    proc = start([str(script), str(tmp_path / "out")], tmp_path)
    assert proc.stdout is not None
    folder = Path(proc.stdout.readline().strip())
    wait_for(lambda: len(list((folder / "runs").glob("*.parquet"))) >= 3, proc, "three batches")
    os.killpg(proc.pid, signal.SIGINT)
    code, out, err = finish(proc)
    assert code == 130, err
    table = ResultsStore.open(folder).run_table()
    assert not (table["status"] == "failed").any(), table[table.status == "failed"]
    assert int(out.strip()) == len(table) < 2000


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stop_signal_stops_a_dask_run(tmp_path, capsys, uninterrupted, sig, code):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    ) as cluster:
        address = cluster.scheduler_address
        got, err, folder, _ = interrupt_sweep(
            tmp_path, sig, group=False, executor=["--dask", address]
        )
        assert got == code, err
        command = f"sixerrors sweep {tmp_path / 'sweep.toml'} --dask {address}"
        assert_kept_and_resumable(err, folder, command)
        # The cluster's workers are the cluster's; the run's tasks on them are gone.
        wait_for(lambda: not cluster.scheduler.tasks, what="the cluster to drop the run's tasks")
        assert cli.main([*command.split()[1:], "--resume", str(folder)]) == 0
    assert_resumed_as_uninterrupted(folder, uninterrupted)


def find_mpiexec() -> str | None:
    local = Path(sys.executable).parent / "mpiexec"
    return str(local) if local.exists() else shutil.which("mpiexec")


MPI_MODULE = ("-m", "mpi4py.futures", "-m", "experiments.cli")
MPI_COMMAND = "mpiexec -n 3 python -m mpi4py.futures -m experiments.cli"
"""How the command runs under MPI, and how it says so in its resume command."""


def mpi_sweep(mpiexec: str, args: list[str]) -> subprocess.Popen[str]:
    """Start ``sixerrors ARGS --mpi`` under ``mpiexec -n 3``, in its own session."""
    return subprocess.Popen(
        [mpiexec, "-n", "3", sys.executable, *MPI_MODULE, *args, "--mpi"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def ours(err: str) -> str:
    """Our lines of an MPI job's stderr (MPICH adds lines of its own, e.g. "Abort(130)")."""
    return "\n".join(line for line in err.splitlines() if line.startswith("sixerrors:"))


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stop_signal_stops_an_mpi_run(tmp_path, uninterrupted, sig, code):
    pytest.importorskip("mpi4py")
    mpiexec = find_mpiexec()
    if mpiexec is None:
        pytest.skip("no mpiexec found next to the Python interpreter or on PATH")
    spec = write_sweep(tmp_path)
    out = tmp_path / "out"
    proc = mpi_sweep(mpiexec, ["sweep", str(spec), "--out", str(out)])
    try:
        wait_for(lambda: out.is_dir() and committed(out) >= 2, proc, "two committed batches")
        ranks = descendants(proc.pid)
        os.kill(proc.pid, sig)  # mpiexec forwards it to every rank
        got, _, err = finish(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert got == code, err
    folder = only_folder(out)
    assert_kept_and_resumable(
        ours(err),
        folder,
        f"mpiexec -n 3 python -m mpi4py.futures -m experiments.cli sweep {spec} --mpi",
    )
    wait_for(lambda: not any(alive(pid) for pid in ranks), what="the ranks to end")
    got, _, err = finish(mpi_sweep(mpiexec, ["sweep", str(spec), "--resume", str(folder)]))
    assert got == 0, err
    assert_resumed_as_uninterrupted(folder, uninterrupted)


STARTING = textwrap.dedent("""
    import runpy, sys
    if __name__ == "__main__":  # the pool's workers import this file again
        print("interpreter ready", flush=True)  # Python's own start-up (site.py) is over
        sys.argv = ["sixerrors", *sys.argv[1:]]
        runpy.run_module("experiments.cli", run_name="__main__")
""")


def test_ctrl_c_while_starting_is_one_line_and_exit_2(tmp_path):
    spec = write_sweep(tmp_path)
    script = tmp_path / "starting.py"
    script.write_text(STARTING)
    out = tmp_path / "out"
    for delay in (0.05, 0.4, 1.0):
        proc = start([str(script), "sweep", str(spec), "--out", str(out)], tmp_path)
        assert proc.stdout is not None and proc.stdout.readline() == "interpreter ready\n"
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGINT)
        code, _, err = finish(proc)
        line = last_line(err)
        if code == 130:  # the machine was fast: a task had finished
            assert line.startswith("sixerrors: interrupted; "), err
            continue
        assert code == 2, err
        assert line.endswith(
            ": nothing was computed and there is nothing to resume; start again with: "
            f"sixerrors sweep {spec} --out {out}"
        ), err
        assert line.startswith(
            ("sixerrors: interrupted while starting", "sixerrors: interrupted before any task")
        )
        assert not (out.is_dir() and any(out.iterdir()))  # no folder left to resume
        if "while starting" in line:
            assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 2), (signal.SIGTERM, 143)])
def test_a_stop_before_any_task_finished(tmp_path, capsys, monkeypatch, sig, code):
    """Ctrl-C while the run is prepared: nothing to resume, exit 2; SIGTERM keeps 143."""
    from experiments import budget

    def interrupted_calibration(self):
        os.kill(os.getpid(), sig)  # a real signal, caught by the command's handler
        time.sleep(5)
        pytest.fail("the signal did not interrupt the calibration")

    spec = write_sweep(tmp_path)
    out = tmp_path / "out"
    monkeypatch.setattr(budget.Budget, "calibrated", interrupted_calibration)
    assert cli.main(["sweep", str(spec), "--workers", "0", "--out", str(out)]) == code
    line = last_line(capsys.readouterr().err)
    if sig == signal.SIGINT:
        assert line == (
            "sixerrors: interrupted before any task finished: nothing was computed and there is "
            f"nothing to resume; start again with: sixerrors sweep {spec} --workers 0 --out {out}"
        )
        assert list(out.iterdir()) == []  # the folder it made held nothing, and is gone
    else:
        folder = only_folder(out)
        assert line == (
            f"sixerrors: interrupted; 0 of 120 tasks are kept in {folder}; finish with: "
            f"sixerrors sweep {spec} --workers 0 --resume {folder}"
        )


def test_ctrl_c_while_compare_summarises_says_what_was_kept(tmp_path, capsys, monkeypatch):
    from experiments import compare

    def interrupted_summary(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C, caught by the command's handler
        time.sleep(5)
        pytest.fail("the signal did not interrupt the summary")

    path = tmp_path / "mine.toml"
    path.write_text(SCENARIOS)
    monkeypatch.setattr(compare, "summarise", interrupted_summary)
    code = cli.main(["compare", str(path), "--workers", "0", "--out", str(tmp_path)])
    folder = next(tmp_path.glob("mine-*"))
    assert code == 130
    assert last_line(capsys.readouterr().err) == (
        f"sixerrors: interrupted; 6 of 6 tasks are kept in {folder}; "
        f"finish with: sixerrors compare --workers 0 --resume {folder}"
    )
    monkeypatch.undo()
    assert cli.main(["compare", "--resume", str(folder), "--workers", "0"]) == 0
    manifest = json.loads((folder / "manifest.json").read_text())
    assert [s["status"] for s in manifest["sessions"]] == ["interrupted", "complete"]
    assert manifest["status"] == "complete" and manifest["tasks_done"] == 6
    assert {"started", "finished", "host", "executor", "tasks_done"} <= set(manifest["sessions"][0])
    assert (folder / "summaries" / "pairs.parquet").is_file()


# --------------------------------------------------------------------------- dead workers

MORTAL_TASK = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from experiments.runner import make_tasks, run_tasks
    from experiments.store import ResultsStore
    from experiments.tasks import probe_task

    def mortal(task, seed):
        s = task.settings
        marker = Path(s.get("marker", "/nonexistent"))
        if s.get("die") == "always" or (s.get("die") == "once" and not marker.exists()):
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer does
        return probe_task(task, seed)
""")
"""A task that kills its own worker (SIGKILL, as the OOM killer does) when told to:
``die`` "always", or "once" (a marker file remembers it happened)."""

WORKER_DEATHS = MORTAL_TASK + textwrap.dedent("""
    if __name__ == "__main__":
        out, die = sys.argv[1], sys.argv[2]
        settings = [{"sleep": 0.05, "rows": 2} for _ in range(40)]
        settings[5] = {**settings[5], "die": die, "marker": str(Path(out) / "died")}
        store = ResultsStore.create(out, "deaths", {"root_seed": 2})
        run_tasks(make_tasks(settings, 1), mortal, store, workers=2, batch_size=3,
                  progress=False)
        print(store.folder)
""")


@pytest.mark.parametrize("die", ["once", "always"])
def test_a_killed_worker_costs_only_its_own_task(tmp_path, die):
    script = tmp_path / "deaths.py"
    script.write_text(WORKER_DEATHS)
    code, out, err = finish(start([str(script), str(tmp_path), die], tmp_path))
    assert code == 0, err
    store = ResultsStore.open(out.strip().splitlines()[-1])
    table = store.run_table().set_index("task_id")
    failed = set(table.index[table["status"] == "failed"])
    assert failed == (set() if die == "once" else {5})
    if die == "always":
        assert table.loc[5, "error"].startswith("WorkerDied: the worker process died 2 times")
    tasks = make_tasks([{"sleep": 0.05, "rows": 2} for _ in range(40)], 1)
    reference = run_in_process(tasks, tmp_path, root_seed=2)
    expected = reference[~reference["task_id"].isin(failed)].reset_index(drop=True)
    pd.testing.assert_frame_equal(store.read_results(), expected, check_exact=True)


OUT_OF_MEMORY = textwrap.dedent("""
    import sys
    import pandas as pd
    from experiments.runner import make_tasks, run_tasks
    from experiments.store import ResultsStore

    BROKEN = []  # what a failed allocation can leave behind in a process

    def greedy(task, seed):
        if task.settings.get("huge"):
            BROKEN.append(True)
            raise MemoryError("cannot allocate 80 GiB")
        if BROKEN:
            raise RuntimeError("this process is broken since its MemoryError")
        return pd.DataFrame({"value": [float(seed % 11)]})

    if __name__ == "__main__":
        settings = [{"huge": p == 2} for p in range(30)]
        store = ResultsStore.create(sys.argv[1], "oom", {"root_seed": 3})
        run_tasks(make_tasks(settings, 1), greedy, store, workers=1, batch_size=2,
                  progress=False)
        print(store.folder)
""")


def test_a_worker_that_ran_out_of_memory_is_replaced(tmp_path):
    script = tmp_path / "oom.py"
    script.write_text(OUT_OF_MEMORY)
    code, out, err = finish(start([str(script), str(tmp_path)], tmp_path))
    assert code == 0, err
    table = ResultsStore.open(out.strip().splitlines()[-1]).run_table().set_index("task_id")
    assert list(table.index[table["status"] == "failed"]) == [2]
    assert table.loc[2, "error"] == "MemoryError: cannot allocate 80 GiB"
    assert table["worker"].nunique() >= 2  # the spent process ran nothing more


DASK_DEATHS = MORTAL_TASK + textwrap.dedent("""
    import dask, distributed

    if __name__ == "__main__":
        out, die = sys.argv[1], sys.argv[2]
        dask.config.set({
            # Dask retries a task whose worker died once, then raises KilledWorker.
            "distributed.scheduler.allowed-failures": 1,
            # A LocalCluster gives up a worker that is dead when it looks, 15 s after a
            # death; a cluster's nanny restarts it however often it dies.
            "distributed.deploy.lost-worker-timeout": "1h",
        })
        settings = [{"sleep": 0.05, "rows": 2} for _ in range(40)]
        settings[5] = {**settings[5], "die": die, "marker": str(Path(out) / "died")}
        with distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
            host="127.0.0.1",
        ) as cluster, distributed.Client(cluster) as client:
            store = ResultsStore.create(out, "deaths", {"root_seed": 2})
            run_tasks(make_tasks(settings, 1), probe_task if die == "never" else mortal, store,
                      executor=client, batch_size=3, progress=False)
            print(len(cluster.scheduler.tasks))  # results the cluster still holds
        print(store.folder)
""")


@pytest.mark.parametrize("die", ["once", "always"])
def test_a_dask_worker_killed_mid_task_costs_only_its_own_task(tmp_path, die):
    pytest.importorskip("distributed")
    script = tmp_path / "dask_deaths.py"
    script.write_text(DASK_DEATHS)
    code, out, err = finish(start([str(script), str(tmp_path), die], tmp_path))
    assert code == 0, err[-3000:]
    held, folder = out.strip().splitlines()[-2:]
    assert held == "0"  # every result let go once written: a death reruns no finished batch
    store = ResultsStore.open(folder)
    table = store.run_table().set_index("task_id")
    failed = set(table.index[table["status"] == "failed"])
    assert failed == (set() if die == "once" else {5})
    if die == "always":  # two KilledWorker while alone, each after two deaths
        assert table.loc[5, "error"].startswith("WorkerDied: the worker process died 4 times")
    tasks = make_tasks([{"sleep": 0.05, "rows": 2} for _ in range(40)], 1)
    reference = run_in_process(tasks, tmp_path, root_seed=2)
    expected = reference[~reference["task_id"].isin(failed)].reset_index(drop=True)
    pd.testing.assert_frame_equal(store.read_results(), expected, check_exact=True)


DASK_OUT_OF_MEMORY = textwrap.dedent("""
    import sys
    import distributed
    import pandas as pd
    import experiments.tasks as state  # a real module: its state lives as long as the worker
    from experiments.runner import make_tasks, run_tasks
    from experiments.store import ResultsStore

    def greedy(task, seed):
        if task.settings.get("huge"):
            state.BROKEN_BY_TEST = True  # what a failed allocation can leave behind
            raise MemoryError("cannot allocate 80 GiB")
        if getattr(state, "BROKEN_BY_TEST", False):
            raise RuntimeError("this process is broken since its MemoryError")
        return pd.DataFrame({"value": [float(seed % 11)]})

    if __name__ == "__main__":
        settings = [{"huge": p == 2} for p in range(30)]
        with distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
            host="127.0.0.1",
        ) as cluster, distributed.Client(cluster) as client:
            store = ResultsStore.create(sys.argv[1], "oom", {"root_seed": 3})
            run_tasks(make_tasks(settings, 1), greedy, store, executor=client, batch_size=2,
                      progress=False)
        print(store.folder)
""")


def test_a_dask_worker_that_ran_out_of_memory_is_restarted(tmp_path):
    pytest.importorskip("distributed")
    script = tmp_path / "dask_oom.py"
    script.write_text(DASK_OUT_OF_MEMORY)
    code, out, err = finish(start([str(script), str(tmp_path)], tmp_path))
    assert code == 0, err[-3000:]
    table = ResultsStore.open(out.strip().splitlines()[-1]).run_table().set_index("task_id")
    assert list(table.index[table["status"] == "failed"]) == [2]
    assert table.loc[2, "error"] == "MemoryError: cannot allocate 80 GiB"
    assert table["worker"].nunique() >= 2  # the spent process ran nothing more


def test_no_dask_worker_left_stops_the_run(tmp_path, monkeypatch):
    """Dask keeps tasks for workers that never come; the runner stops instead, in one line."""
    from experiments import runner

    class Deserted(runner.DaskExecutor):
        def submit(self, fn, /, *args, **kwargs):
            return cf.Future()  # never runs: no worker

        def workers(self) -> int:
            return 0

    monkeypatch.setattr(runner, "DASK_NO_WORKERS_SECONDS", 0.3)
    monkeypatch.setattr(runner, "_DASK_LOOK_SECONDS", 0.1)
    store = ResultsStore.create(tmp_path, "deserted", {"root_seed": 1})
    with pytest.raises(runner.RunnerError) as caught:
        run_tasks(
            make_tasks([{}] * 4, 1),
            probe_task,
            store,
            executor=Deserted(None),
            workers=2,
            progress=False,
        )
    assert str(caught.value) == (
        "the Dask cluster has had no worker for 0 s (they died and nothing restarted them); "
        f"finished tasks are kept in {store.folder}; start workers, then finish with: "
        f"the same command with --resume {store.folder}"
    )


def test_a_dead_mpi_rank_is_one_line_with_the_resume_command(tmp_path):
    """Where mpi4py reports a dead rank (a broken pool), the run stops in one line."""
    from experiments import runner

    class DeadRanks(cf.Executor):
        def submit(self, fn, /, *args, **kwargs):
            future: cf.Future[object] = cf.Future()
            future.set_exception(cf.BrokenExecutor("a rank died"))
            return future

    DeadRanks.__module__ = "mpi4py.futures.pool"  # how the runner tells MPI ranks apart
    store = ResultsStore.create(tmp_path, "mpi", {"root_seed": 1})
    token = runner.RESUME_COMMAND.set(lambda folder: f"mpiexec ... --resume {folder}")
    try:
        with pytest.raises(runner.RunnerError) as caught:
            run_tasks(
                make_tasks([{}] * 4, 1),
                probe_task,
                store,
                executor=DeadRanks(),
                workers=2,
                progress=False,
            )
    finally:
        runner.RESUME_COMMAND.reset(token)
    assert str(caught.value) == (
        f"an MPI rank died, and MPI cannot replace a rank; finished tasks are kept in "
        f"{store.folder}; finish with: mpiexec ... --resume {store.folder}"
    )


def test_a_killed_mpi_rank_ends_the_job_and_the_start_said_how_to_resume(
    tmp_path, capsys, uninterrupted
):
    pytest.importorskip("mpi4py")
    psutil = pytest.importorskip("psutil")
    mpiexec = find_mpiexec()
    if mpiexec is None:
        pytest.skip("no mpiexec found next to the Python interpreter or on PATH")
    spec = write_sweep(tmp_path)
    out = tmp_path / "out"
    proc = mpi_sweep(mpiexec, ["sweep", str(spec), "--out", str(out)])
    try:
        wait_for(lambda: out.is_dir() and committed(out) >= 2, proc, "two committed batches")
        folder = only_folder(out)
        driver = json.loads((folder / ".lock").read_text())["pid"]
        ranks = [
            pid
            for pid in descendants(proc.pid)
            if "mpi4py.futures" in " ".join(psutil.Process(pid).cmdline())
        ]
        assert driver in ranks and len(ranks) == 3
        os.kill(next(pid for pid in ranks if pid != driver), signal.SIGKILL)
        code, _, err = finish(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert code != 0, err  # MPI ended the whole job, the driver with it
    command = f"{MPI_COMMAND} sweep {spec} --mpi --resume {folder}"
    assert ours(err).splitlines()[0] == (
        "sixerrors: under MPI a rank that dies ends the whole job at once and this command "
        f"cannot say so then (MPI cannot replace a rank); should that happen, finish with: "
        f"{command}"
    )
    wait_for(lambda: not any(alive(pid) for pid in ranks), what="the ranks to end")
    kept = len(ResultsStore.open(folder).done_task_ids())
    assert 1 <= kept < 120
    # Any executor finishes the job with the same results (seeds by identity).
    assert cli.main(["sweep", str(spec), "--workers", "0", "--resume", str(folder)]) == 0
    said = capsys.readouterr().err
    assert "ended without a word: killed (SIGKILL, out of memory, or a dead MPI rank)" in said
    assert_resumed_as_uninterrupted(folder, uninterrupted, first="killed")


# --------------------------------------------------------------------------- exit status


def test_failed_tasks_exit_3_with_the_count_last(tmp_path, capsys, monkeypatch):
    from experiments import sweep
    from experiments.tasks import simulate_task

    def fails_at_high_tolerance(task, seed):
        if task.settings["overrides"]["tolerance"] > 0.6:
            raise ValueError("the model diverged")
        return simulate_task(task, seed)

    spec = write_sweep(
        tmp_path,
        SWEEP.replace("replications = 40", "replications = 2").replace("steps = 30", "steps = 3"),
    )
    monkeypatch.setattr(sweep, "simulate_task", fails_at_high_tolerance)
    code = cli.main(["sweep", str(spec), "--workers", "0", "--out", str(tmp_path / "out")])
    folder = only_folder(tmp_path / "out")
    assert code == 3
    assert last_line(capsys.readouterr().err) == (
        f"sixerrors: 2 of 6 tasks failed (first: ValueError: the model diverged); see "
        f"{folder}/runs; fix the cause, then finish with: sixerrors sweep {spec} --workers 0 "
        f"--resume "
        f"{folder}"
    )
    manifest = json.loads((folder / "manifest.json").read_text())
    assert (manifest["status"], manifest["tasks_done"], manifest["tasks_failed"]) == (
        "failed",
        4,
        2,
    )
    monkeypatch.setattr(sweep, "simulate_task", lambda task, seed: 1 / 0)
    code = cli.main(["sweep", str(spec), "--workers", "0", "--out", str(tmp_path / "all")])
    assert code == 3
    assert "6 of 6 tasks failed (first: ZeroDivisionError" in last_line(capsys.readouterr().err)


# --------------------------------------------------------------------------- size limits

HUGE = {
    "factorial 1000^3": 'design = "factorial"\n[factors]\n'
    "tolerance = { low = 0.1, high = 0.9, levels = 1000 }\n"
    "repression = { low = 0.1, high = 0.9, levels = 1000 }\n"
    "inflow_rate = { low = 0.01, high = 0.09, levels = 1000 }\n",
    "lhs 1e6 x 1e5": 'design = "lhs"\nsamples = 1000000\nreplications = 100000\n'
    "[factors]\ntolerance = { low = 0.1, high = 0.9 }\n",
}


@pytest.mark.parametrize("name", sorted(HUGE))
def test_enormous_sweeps_are_refused_before_anything_is_built(tmp_path, capsys, name):
    import tracemalloc

    spec = write_sweep(tmp_path, HUGE[name])
    tracemalloc.start()
    try:
        code = cli.main(["sweep", str(spec), "--out", str(tmp_path / "out")])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert "exceed the limit of 1,000,000" in err[0] and "--allow-large" in err[0]
    assert peak < 50 * 2**20
    assert not (tmp_path / "out").exists()


def test_enormous_sobol_is_refused_before_sampling(tmp_path, capsys):
    spec = tmp_path / "sobol.toml"
    spec.write_text(
        "base_samples = 1048576\nsecond_order = true\n[factors]\n"
        "tolerance = {}\nrepression = {}\ninflow_rate = {}\n"
    )
    code = cli.main(["sensitivity", str(spec), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert "10,485,760 tasks" in err[0] and "--allow-large" in err[0]


def test_more_memory_than_available_is_refused_and_the_cost_is_shown(tmp_path, capsys, monkeypatch):
    from experiments import budget

    spec = write_sweep(
        tmp_path,
        SWEEP.replace("replications = 40", "replications = 1").replace("steps = 30", "steps = 2"),
    )
    monkeypatch.setattr(budget, "available_memory", lambda: 2**20)
    code = cli.main(["sweep", str(spec), "--workers", "0", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "available" in err[0] and "--allow-large" in err[0]
    code = cli.main(
        ["sweep", str(spec), "--workers", "0", "--allow-large", "--out", str(tmp_path / "out")]
    )
    err = capsys.readouterr().err
    assert code == 0
    assert "sixerrors: 3 tasks (3 points x 1 replications), roughly " in err
    assert "peak memory roughly" in err and "calibration run;" in err


def sleeper(task, seed):
    """A task of known cost: 20 ms to build, 10 ms a step, whatever the residents."""
    time.sleep(0.02 + 0.01 * task.settings["steps"])
    return pd.DataFrame({"value": [1.0]})


def refuses(task, seed):
    raise RuntimeError("this task cannot run here")


def test_the_time_comes_from_a_bounded_calibration_run_and_scales():
    import dataclasses

    from experiments import budget

    probe = budget.Probe(sleeper, {})
    began = time.perf_counter()
    timing = budget.calibrate(probe, residents=100, steps=1000)
    assert time.perf_counter() - began < 3  # 1,000 steps would take 10 s; a few are timed
    assert timing is not None and timing.measured
    assert timing.step_seconds == pytest.approx(0.01, rel=0.3)
    assert timing.task_seconds(1000) == pytest.approx(10.02, rel=0.3)
    plan = budget.estimate(
        10, 3, residents=100, steps=1000, values_per_task=1, local_workers=2, probe=probe
    )
    plan = dataclasses.replace(plan, timing=timing)
    work = plan.seconds - timing.warmup_seconds
    assert work == pytest.approx(30 * timing.task_seconds(1000) / 2)
    # Tasks, steps and workers scale it as they should ...
    assert dataclasses.replace(plan, points=100).seconds - timing.warmup_seconds == (
        pytest.approx(10 * work)
    )
    longer = dataclasses.replace(plan, steps=2000)
    assert longer.task_seconds - plan.task_seconds == pytest.approx(1000 * timing.step_seconds)
    assert plan.with_workers(4).seconds - timing.warmup_seconds == pytest.approx(work / 2)
    # ... and residents beyond the largest calibrated model scale the time.
    scaled = budget.calibrate(probe, residents=400, steps=1000, max_residents=100)
    assert scaled is not None
    assert scaled.task_seconds(1000) == pytest.approx(4 * timing.task_seconds(1000), rel=0.3)
    assert "timed by a " in plan.describe() and "calibration run" in plan.describe()


def test_a_larger_model_is_estimated_slower():
    from experiments import budget
    from experiments.tasks import simulate_task

    probe = budget.Probe(simulate_task, {"regime": "baseline", "record": "series"})
    small = budget.calibrate(probe, residents=1_000, steps=260)
    large = budget.calibrate(probe, residents=20_000, steps=260)
    assert small is not None and large is not None
    assert large.task_seconds(260) > 3 * small.task_seconds(260)
    assert large.task_seconds(520) > 1.5 * large.task_seconds(260)


def test_where_building_costs_more_than_the_steps_the_calibration_runs_more_steps():
    """A step's cost is not left to the difference of two build-dominated times.

    A task whose build (50 ms) dwarfs its steps (0.1 ms each): the first
    calibration call of several steps costs about as much as the one-step
    call, so their difference is noise. The calibration doubles the steps
    up to :data:`~experiments.budget.CALIBRATION_MAX_STEPS` (it stopped at
    six before, and a busy machine could make the step cost zero).
    """
    import time as clock

    from experiments import budget

    asked: list[int] = []

    def build_heavy(task, worker):
        asked.append(task.settings["steps"])
        clock.sleep(0.05 + 0.0001 * task.settings["steps"])

    calibration = budget.calibrate(budget.Probe(build_heavy, {}), residents=100, steps=260)
    assert calibration is not None
    assert max(asked) == budget.CALIBRATION_MAX_STEPS
    assert calibration.step_seconds > 0.0


def test_without_a_calibration_run_the_constant_stands_in():
    from experiments import budget

    plan = budget.estimate(
        3,
        2,
        residents=3_000_000,
        steps=9,
        values_per_task=1,
        local_workers=1,
        probe=budget.Probe(refuses, {}),
    )
    after = plan.calibrated()
    assert after == plan and not after.timing.measured
    assert after.task_seconds == pytest.approx(10.0)  # 3e6 residents x (9 + 1) steps / 3e6/s
    assert "(rough model, no calibration run; the progress line measures)" in after.describe()


# --------------------------------------------------------------------------- bad input


def test_mpi_without_a_launcher_fails_at_once(tmp_path):
    spec = write_sweep(tmp_path)
    code, _, err = finish(start_cli(["sweep", str(spec), "--mpi"], tmp_path))
    assert code == 2
    assert err.strip().splitlines() == [
        "sixerrors: error: --mpi must be started by an MPI launcher: "
        "mpiexec -n N python -m mpi4py.futures -m experiments.cli ..."
    ]


def one_error(capsys, code: int) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "Traceback" not in err[0], err
    assert err[0].startswith("sixerrors: error: ")
    return err[0]


@pytest.mark.parametrize(
    ("address", "fine"),
    [
        ("tcp://10.0.0.5:8786", True),
        ("127.0.0.1:8786", True),
        ("tls://node-3:8786", True),
        ("tcp://[::1]:8786", True),
        ("127.0.0.1", False),
        ("tcp://10.0.0.5", False),
        ("node-3:", False),
        ("tcp://[::1]", False),
    ],
)
def test_dask_addresses_need_a_port(address, fine):
    from experiments.runner import RunnerError, check_dask_address

    if fine:
        check_dask_address(address)
    else:
        with pytest.raises(RunnerError, match="is not HOST:PORT"):
            check_dask_address(address)


def test_dask_address_without_port(tmp_path, capsys):
    line = one_error(
        capsys,
        cli.main(
            ["sweep", str(write_sweep(tmp_path)), "--dask", "127.0.0.1", "--out", str(tmp_path)]
        ),
    )
    assert "--dask 127.0.0.1 is not HOST:PORT" in line


def test_out_on_a_read_only_file_system(tmp_path, capsys, monkeypatch):
    import errno
    import pathlib

    spec = write_sweep(tmp_path)
    (tmp_path / "ro").mkdir()
    real_mkdir = pathlib.Path.mkdir

    def read_only(self, *args, **kwargs):
        if tmp_path / "ro" in self.parents:  # a file system mounted read-only at ro/
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "mkdir", read_only)
    line = one_error(
        capsys, cli.main(["sweep", str(spec), "--workers", "0", "--out", str(tmp_path / "ro")])
    )
    assert "Read-only file system" in line and "--out" in line


def test_a_damaged_manifest_on_resume(tmp_path, capsys):
    path = tmp_path / "mine.toml"
    path.write_text(SCENARIOS)
    store = ResultsStore.create(tmp_path, "mine", {"kind": "compare"})
    (store.folder / "manifest.json").write_text('{"kind": "compare", "spec": {')
    line = one_error(capsys, cli.main(["compare", "--resume", str(store.folder)]))
    assert "manifest.json is damaged" in line and "without --resume" in line
    line = one_error(
        capsys, cli.main(["sweep", str(write_sweep(tmp_path)), "--resume", str(store.folder)])
    )
    assert "manifest.json is damaged" in line


def test_disk_full_mid_sweep_keeps_every_batch_and_resumes(tmp_path, capsys, monkeypatch):
    import errno

    spec = write_sweep(
        tmp_path,
        SWEEP.replace("replications = 40", "replications = 4").replace("steps = 30", "steps = 3"),
    )
    real_write = ResultsStore.write_part
    written = []

    def fills_up(self, *args, **kwargs):
        if len(written) == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written.append(1)
        return real_write(self, *args, **kwargs)

    monkeypatch.setattr(ResultsStore, "write_part", fills_up)
    code = cli.main(["sweep", str(spec), "--workers", "0", "--out", str(tmp_path / "out")])
    folder = only_folder(tmp_path / "out")
    assert code == 2
    line = last_line(capsys.readouterr().err)  # after the progress lines
    kept = len(ResultsStore.open(folder, clean=False).done_task_ids())
    assert 1 <= kept < 12
    assert line == (
        f"sixerrors: error: cannot write to {folder} (No space left on device); "
        f"{kept} of 12 tasks are kept; free space or fix the folder, then finish with: "
        f"sixerrors sweep {spec} --workers 0 --resume {folder}"
    )
    monkeypatch.undo()
    assert cli.main(["sweep", str(spec), "--workers", "0", "--resume", str(folder)]) == 0
    assert cli.main(["sweep", str(spec), "--workers", "0", "--out", str(tmp_path / "ref")]) == 0
    reference = only_folder(tmp_path / "ref")
    for name in ("runs", "points"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(folder / "summaries" / f"{name}.parquet"),
            pd.read_parquet(reference / "summaries" / f"{name}.parquet"),
            check_exact=True,
        )


# --------------------------------------------------------------------------- the manifest


def test_manifest_and_summaries_are_fsynced_with_their_folder(tmp_path, monkeypatch):
    import experiments.store as store_module

    store = ResultsStore.create(tmp_path, "sync", {"root_seed": 1})
    synced: list[str] = []
    real_fsync_path = store_module._fsync_path

    def recording(path):
        synced.append(str(path))
        real_fsync_path(path)

    monkeypatch.setattr(store_module, "_fsync_path", recording)
    store.update_manifest(note="x")
    store.write_summary("t", pd.DataFrame({"a": [1]}))
    assert str(store.folder) in synced and str(store.folder / "summaries") in synced
    assert sum(".tmp-manifest.json" in p for p in synced) == 1
    assert sum(".tmp-t.csv" in p for p in synced) == 1
    assert sum(".tmp-t.parquet" in p for p in synced) == 1
    assert not list(store.folder.rglob(".tmp-*"))


def test_report_html_is_written_atomically(tmp_path, capsys, monkeypatch):
    import experiments.store as store_module

    synced: list[str] = []
    real_fsync_path = store_module._fsync_path

    def recording(path):
        synced.append(str(path))
        real_fsync_path(path)

    monkeypatch.setattr(store_module, "_fsync_path", recording)
    path = tmp_path / "mine.toml"
    path.write_text(SCENARIOS)
    assert cli.main(["compare", str(path), "--workers", "0", "--out", str(tmp_path)]) == 0
    folder = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert (folder / "report.html").read_text().rstrip().endswith("</html>")
    assert sum(".tmp-report.html" in p for p in synced) == 1  # synced before its rename
    assert str(folder) in synced
    assert not list(folder.rglob(".tmp-*"))
