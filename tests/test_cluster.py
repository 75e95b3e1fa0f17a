"""The runner on real cluster executors: Dask (LocalCluster) and MPI (mpiexec -n 3).

Both must give results bit-identical to an in-process run, because seeds
come from the tasks' identity, not from where or when they ran.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from experiments.runner import choose_executor, make_tasks, run_tasks
from experiments.store import ResultsStore
from experiments.tasks import probe_task

ROOT = Path(__file__).resolve().parents[1]
TASKS = make_tasks([{"rows": 1 + p % 3} for p in range(30)], 2)


def reference(tmp_path):
    return run_tasks(
        TASKS,
        probe_task,
        ResultsStore.create(tmp_path, "ref", {"root_seed": 11}),
        workers=0,
        progress=False,
    )


def test_dask_local_cluster_gives_identical_results(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        # through the CLI helper, by address, as `--dask ADDRESS` does
        with choose_executor(dask=cluster.scheduler_address) as choice:
            assert choice.workers == 2 and choice.description.startswith("dask ")
            store = ResultsStore.create(tmp_path, "dask", {"root_seed": 11})
            via_address = run_tasks(
                TASKS,
                probe_task,
                store,
                executor=choice.executor,
                workers=choice.workers,
                batch_size=4,
                progress=False,
            )
        workers = set(store.run_table()["worker"])
        assert len(workers) == 2 and all(str(os.getpid()) not in w for w in workers)
        # and a Client passed directly
        with distributed.Client(cluster) as client:
            store2 = ResultsStore.create(tmp_path, "client", {"root_seed": 11})
            via_client = run_tasks(TASKS, probe_task, store2, executor=client, progress=False)
    expected = reference(tmp_path)
    pd.testing.assert_frame_equal(via_address, expected, check_exact=True)
    pd.testing.assert_frame_equal(via_client, expected, check_exact=True)


MPI_JOB = textwrap.dedent("""
    import sys
    from experiments.runner import choose_executor, make_tasks, run_tasks
    from experiments.store import ResultsStore
    from experiments.tasks import probe_task

    if __name__ == "__main__":
        tasks = make_tasks([{"rows": 1 + p % 3} for p in range(30)], 2)
        with choose_executor(mpi=True) as choice:
            store = ResultsStore.create(sys.argv[1], "mpi", {"root_seed": 11})
            run_tasks(tasks, probe_task, store, executor=choice.executor,
                      workers=choice.workers, batch_size=3, progress=False)
        print(store.folder)
        print(choice.description)
""")


def find_mpiexec() -> str | None:
    local = Path(sys.executable).parent / "mpiexec"
    if local.exists():
        return str(local)
    return shutil.which("mpiexec")


def test_mpi_pool_with_mpiexec_gives_identical_results(tmp_path):
    pytest.importorskip("mpi4py")
    mpiexec = find_mpiexec()
    if mpiexec is None:
        pytest.skip("no mpiexec found next to the Python interpreter or on PATH")
    script = tmp_path / "mpi_job.py"
    script.write_text(MPI_JOB)
    done = subprocess.run(
        [
            mpiexec,
            "-n",
            "3",
            sys.executable,
            "-m",
            "mpi4py.futures",
            str(script),
            str(tmp_path / "out"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    folder, description = done.stdout.strip().splitlines()[-2:]
    assert description == "mpi4py.futures (2 workers)"
    store = ResultsStore.open(folder)
    assert len(set(store.run_table()["worker"])) == 2  # both worker ranks took tasks
    pd.testing.assert_frame_equal(store.read_results(), reference(tmp_path), check_exact=True)
