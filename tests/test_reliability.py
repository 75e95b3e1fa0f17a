"""Results that stay right under concurrent resumes, interrupts, dead workers and huge specs.

Process-level where the behaviour is about processes: real signals sent to
real drivers (alone, as a scheduler does, or to the whole process group,
as a terminal's Ctrl-C does), real concurrent writers, workers killed for
real. Every wait is bounded; no assertion is about how fast anything was.
"""

from __future__ import annotations

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
from experiments.runner import make_tasks, run_tasks
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
    reference = run_tasks(
        tasks,
        probe_task,
        ResultsStore.create(tmp_path, "ref", {"root_seed": 4}),
        workers=0,
        progress=False,
    )
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


def test_ctrl_c_in_process_stops_and_is_no_task_failure(tmp_path):
    got, err, folder, _ = interrupt_sweep(
        tmp_path, signal.SIGINT, group=True, executor=["--workers", "0"]
    )
    assert got == 130, err
    assert_kept_and_resumable(err, folder, f"sixerrors sweep {tmp_path / 'sweep.toml'} --workers 0")


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


def test_a_stop_signal_stops_a_dask_run(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    ) as cluster:
        address = cluster.scheduler_address
        got, err, folder, _ = interrupt_sweep(
            tmp_path, signal.SIGINT, group=False, executor=["--dask", address]
        )
    assert got == 130, err
    assert_kept_and_resumable(
        err, folder, f"sixerrors sweep {tmp_path / 'sweep.toml'} --dask {address}"
    )


def find_mpiexec() -> str | None:
    local = Path(sys.executable).parent / "mpiexec"
    return str(local) if local.exists() else shutil.which("mpiexec")


def test_a_stop_signal_stops_an_mpi_run(tmp_path):
    pytest.importorskip("mpi4py")
    mpiexec = find_mpiexec()
    if mpiexec is None:
        pytest.skip("no mpiexec found next to the Python interpreter or on PATH")
    spec = write_sweep(tmp_path)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            mpiexec,
            "-n",
            "3",
            sys.executable,
            "-m",
            "mpi4py.futures",
            "-m",
            "experiments.cli",
            "sweep",
            str(spec),
            "--mpi",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        wait_for(lambda: out.is_dir() and committed(out) >= 2, proc, "two committed batches")
        os.kill(proc.pid, signal.SIGINT)  # mpiexec forwards it to every rank
        code, _, err = finish(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert code == 130, err
    folder = only_folder(out)
    ours = "\n".join(line for line in err.splitlines() if line.startswith("sixerrors:"))
    assert_kept_and_resumable(  # MPICH adds an "Abort(130)" line of its own after ours
        ours, folder, f"mpiexec -n 3 python -m mpi4py.futures -m experiments.cli sweep {spec} --mpi"
    )


STARTING = textwrap.dedent("""
    import runpy, sys
    if __name__ == "__main__":  # the pool's workers import this file again
        print("interpreter ready", flush=True)  # Python's own start-up (site.py) is over
        sys.argv = ["sixerrors", *sys.argv[1:]]
        runpy.run_module("experiments.cli", run_name="__main__")
""")


def test_ctrl_c_while_starting_is_one_line(tmp_path):
    spec = write_sweep(tmp_path)
    script = tmp_path / "starting.py"
    script.write_text(STARTING)
    for delay in (0.05, 0.4, 1.0):
        proc = start([str(script), "sweep", str(spec), "--out", str(tmp_path / "out")], tmp_path)
        assert proc.stdout is not None and proc.stdout.readline() == "interpreter ready\n"
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGINT)
        code, _, err = finish(proc)
        assert code == 130, err
        assert last_line(err).startswith("sixerrors: interrupted"), err
        if not (tmp_path / "out").exists():  # stopped before the run began: that line only
            assert len(err.strip().splitlines()) == 1, err


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

WORKER_DEATHS = textwrap.dedent("""
    import os, signal, sys, time
    from pathlib import Path
    import pandas as pd
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
    reference = run_tasks(
        tasks,
        probe_task,
        ResultsStore.create(tmp_path, "ref", {"root_seed": 2}),
        workers=0,
        progress=False,
    )
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
    assert "peak memory roughly" in err


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
