"""The runner: seeds by identity, any executor, failures recorded, resume after SIGKILL."""

from __future__ import annotations

import concurrent.futures as cf
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.runner import (
    InlineExecutor,
    RunnerError,
    choose_executor,
    make_tasks,
    run_tasks,
    task_seed,
)
from experiments.store import ResultsStore
from experiments.tasks import probe_task

ROOT = Path(__file__).resolve().parents[1]


def new_store(tmp_path, name="t", seed=11):
    return ResultsStore.create(tmp_path, name, {"root_seed": seed})


def test_task_seed_depends_on_identity_only():
    seeds = {task_seed(7, p, r) for p in range(50) for r in range(4)}
    assert len(seeds) == 200
    assert task_seed(7, 3, 1) == task_seed(7, 3, 1)
    assert task_seed(7, 3, 1) != task_seed(8, 3, 1)
    assert task_seed(7, 3, 1) != task_seed(7, 1, 3)
    assert 0 <= task_seed(7, 3, 1) < 2**63
    # common random numbers: replicate r shares its seed across points
    assert task_seed(7, 0, 2, common_random_numbers=True) == task_seed(
        7, 9, 2, common_random_numbers=True
    )


def test_make_tasks_ids_follow_the_design():
    tasks = make_tasks([{"a": 1}, {"a": 2}, {"a": 3}], 2)
    assert [(t.task_id, t.point, t.replicate) for t in tasks] == [
        (0, 0, 0),
        (1, 0, 1),
        (2, 1, 0),
        (3, 1, 1),
        (4, 2, 0),
        (5, 2, 1),
    ]
    assert tasks[3].settings == {"a": 2}


def test_results_bit_identical_across_executors_workers_and_batches(tmp_path):
    tasks = make_tasks([{"rows": 1 + p % 4} for p in range(40)], 3)
    inline = run_tasks(
        tasks, probe_task, new_store(tmp_path, "a"), workers=0, batch_size=1, progress=False
    )
    one = run_tasks(
        tasks, probe_task, new_store(tmp_path, "b"), workers=1, batch_size=7, progress=False
    )
    two = run_tasks(tasks, probe_task, new_store(tmp_path, "c"), workers=2, progress=False)
    with cf.ThreadPoolExecutor(3) as pool:
        threads = run_tasks(
            tasks, probe_task, new_store(tmp_path, "d"), executor=pool, batch_size=5, progress=False
        )
    assert len(inline) == sum(1 + p % 4 for p in range(40)) * 3
    for other in (one, two, threads):
        pd.testing.assert_frame_equal(inline, other, check_exact=True)
    # and the values are those of the task's own seed, whoever ran it
    t = tasks[17]
    own = probe_task(t, task_seed(11, t.point, t.replicate))["value"].to_numpy()
    assert np.array_equal(inline.loc[inline.task_id == 17, "value"].to_numpy(), own)
    assert list(inline.columns[:3]) == ["task_id", "point", "replicate"]


def test_a_failed_task_is_recorded_and_the_sweep_goes_on(tmp_path):
    tasks = make_tasks([{"fail": p == 3} for p in range(10)], 2)
    store = new_store(tmp_path)
    results = run_tasks(tasks, probe_task, store, workers=2, batch_size=4, progress=False)
    table = store.run_table().set_index("task_id")
    assert set(table.index[table.status == "failed"]) == {6, 7}
    assert table.loc[6, "error"] == "ValueError: probe task 6 asked to fail"
    assert (table.loc[table.status == "done", "error"] == "").all()
    assert sorted(results.task_id.unique()) == [t for t in range(20) if t not in (6, 7)]
    # resume retries the failed ones only
    fixed = make_tasks([{"fail": False} for _ in range(10)], 2)
    run_tasks(fixed, probe_task, ResultsStore.open(store.folder), workers=0, progress=False)
    attempts = store.run_table(latest=False)
    assert len(attempts) == 22
    assert store.run_table().status.eq("done").all()


def test_resume_runs_only_missing_tasks(tmp_path):
    tasks = make_tasks([{} for _ in range(30)], 1)
    store = new_store(tmp_path)
    run_tasks(tasks[:12], probe_task, store, workers=0, progress=False)
    resumed = run_tasks(
        tasks, probe_task, ResultsStore.open(store.folder), workers=0, progress=False
    )
    assert len(store.run_table(latest=False)) == 30
    reference = run_tasks(tasks, probe_task, new_store(tmp_path, "ref"), workers=0, progress=False)
    pd.testing.assert_frame_equal(resumed, reference, check_exact=True)


KILL_SCRIPT = textwrap.dedent("""
    import sys
    from experiments.runner import make_tasks, run_tasks
    from experiments.store import ResultsStore
    from experiments.tasks import probe_task
    if __name__ == "__main__":
        store = ResultsStore.create(sys.argv[1], "killed", {"root_seed": 5})
        print(store.folder, flush=True)
        tasks = make_tasks([{"sleep": 0.01, "rows": 2} for _ in range(150)], 1)
        run_tasks(tasks, probe_task, store, workers=2, batch_size=2, progress=False)
        print("finished", flush=True)
""")


def test_sigkill_then_resume_equals_an_uninterrupted_run(tmp_path):
    script = tmp_path / "kill_me.py"
    script.write_text(KILL_SCRIPT)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "out")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        folder = Path(proc.stdout.readline().strip())
        deadline = time.monotonic() + 60
        while len(list((folder / "runs").glob("*.parquet"))) < 5:
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and its pool, mid-sweep
        proc.wait(10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    store = ResultsStore.open(folder)
    done_before = len(store.done_task_ids())
    assert 10 <= done_before < 150
    tasks = make_tasks([{"sleep": 0.01, "rows": 2} for _ in range(150)], 1)
    resumed = run_tasks(tasks, probe_task, store, workers=2, progress=False)
    assert len(store.run_table(latest=False)) == 150  # nothing ran twice
    reference = run_tasks(
        tasks,
        probe_task,
        ResultsStore.create(tmp_path, "ref", {"root_seed": 5}),
        workers=2,
        progress=False,
    )
    pd.testing.assert_frame_equal(resumed, reference, check_exact=True)


def test_plain_progress_lines_when_not_a_terminal(tmp_path, capsys):
    tasks = make_tasks([{} for _ in range(25)], 1)
    run_tasks(tasks, probe_task, new_store(tmp_path), workers=0, batch_size=5, progress=True)
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("runs: 25/25 runs, ")
    assert "runs/s" in err[-1] and "left" in err[-1]
    run_tasks(tasks, probe_task, new_store(tmp_path, "quiet"), workers=0, progress=False)
    assert capsys.readouterr().err == ""


def test_tiny_tasks_are_batched(tmp_path):
    # What keeps the framework's overhead per task small is batching: many
    # tiny tasks travel and are stored together. (The overhead itself is a
    # benchmark figure, `sixerrors bench runner`, not a timed test.)
    tasks = make_tasks([{"rows": 1} for _ in range(3000)], 1)
    store = new_store(tmp_path)
    run_tasks(tasks, probe_task, store, workers=2, progress=False, collect=False)
    parts = list((store.folder / "parts").glob("*.parquet"))
    assert len(store.run_table()) == 3000
    assert 1 <= len(parts) <= 300, f"{len(parts)} parts for 3000 tiny tasks"


def test_choose_executor_options():
    with choose_executor(workers=0) as choice:
        assert isinstance(choice.executor, InlineExecutor)
    with choose_executor(workers=3) as choice:
        assert choice.executor is None and choice.workers == 3
        assert "3 workers" in choice.description
    with (
        pytest.raises(RunnerError, match="exclude each other"),
        choose_executor(dask="tcp://x:1", mpi=True),
    ):
        pass
    with pytest.raises(RunnerError, match="negative"), choose_executor(workers=-1):
        pass


def test_duplicate_ids_and_missing_seed_are_refused(tmp_path):
    tasks = make_tasks([{}], 1)
    with pytest.raises(RunnerError, match="not unique"):
        run_tasks(tasks + tasks, probe_task, new_store(tmp_path), workers=0)
    bare = ResultsStore.create(tmp_path, "bare", {})
    with pytest.raises(RunnerError, match="root seed"):
        run_tasks(tasks, probe_task, bare, workers=0)


def test_summary_task_equals_the_summary_of_the_series_task():
    """The sensitivity path (no per-step table) gives the numbers of the table path."""
    from experiments.tasks import simulate_task, summarize_run

    settings = {"regime": "grid_control", "steps": 30, "residents": 300, "overrides": {}}
    series_task, summary_task = make_tasks(
        [{**settings, "record": "series"}, {**settings, "record": "summary"}], 1
    )
    series = simulate_task(series_task, 7)
    summary = simulate_task(summary_task, 7)
    outcomes = [name for name in series.columns if name != "step"]
    expected = summarize_run(series, outcomes)
    pd.testing.assert_frame_equal(summary, expected, check_exact=True)
    assert np.isfinite(
        summary.filter(like="_mean").drop(columns=["time_to_first_incident_mean"])
    ).all(axis=None)
