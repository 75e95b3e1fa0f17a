"""The results store and provenance: never overwrite, atomic parts, resume hygiene."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pandas as pd
import pytest

from experiments.provenance import git_state, package_versions, spec_hash, stable_json
from experiments.store import ResultsStore, RunRecord, StoreError

STAMP = dt.datetime(2024, 5, 1, 12, 30, 45)


def record(task_id: int, status: str = "done", error: str = "") -> RunRecord:
    return RunRecord(
        task_id,
        task_id // 2,
        task_id % 2,
        status,
        error,
        "host:1",
        0.1,
        f"2024-05-01T12:00:{task_id:02d}",
    )


def rows(task_id: int, n: int = 2) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "task_id": [task_id] * n,
            "point": [task_id // 2] * n,
            "replicate": [task_id % 2] * n,
            "step": list(range(n)),
            "value": [task_id + 0.5 * i for i in range(n)],
        }
    )


def test_create_names_folder_and_writes_manifest(tmp_path):
    store = ResultsStore.create(tmp_path, "my sweep", {"root_seed": 3}, timestamp=STAMP)
    assert store.folder.name == "my_sweep-20240501-123045"
    manifest = json.loads((store.folder / "manifest.json").read_text())
    assert manifest["root_seed"] == 3
    assert manifest["started"] and manifest["finished"] is None
    for sub in ("parts", "runs", "summaries", "figures"):
        assert (store.folder / sub).is_dir()


def test_create_never_overwrites(tmp_path):
    first = ResultsStore.create(tmp_path, "x", {"root_seed": 1}, timestamp=STAMP)
    first.write_summary("keep", pd.DataFrame({"a": [1]}))
    second = ResultsStore.create(tmp_path, "x", {"root_seed": 2}, timestamp=STAMP)
    third = ResultsStore.create(tmp_path, "x", {"root_seed": 3}, timestamp=STAMP)
    assert second.folder.name.endswith("-2") and third.folder.name.endswith("-3")
    assert first.manifest["root_seed"] == 1
    assert (first.folder / "summaries" / "keep.csv").exists()


def test_parts_round_trip_in_task_order(tmp_path):
    store = ResultsStore.create(tmp_path, "x", {"root_seed": 1})
    store.write_part(pd.concat([rows(3), rows(1)]), [record(3), record(1)])
    store.write_part(rows(0), [record(0), record(2, "failed", "ValueError: bad")])
    data = store.read_results()
    assert data["task_id"].tolist() == [0, 0, 1, 1, 3, 3]
    assert data.loc[data.task_id == 1, "step"].tolist() == [0, 1]
    table = store.run_table()
    assert table["task_id"].tolist() == [0, 1, 2, 3]
    assert table.set_index("task_id").loc[2, "error"] == "ValueError: bad"
    assert store.done_task_ids() == {0, 1, 3}


def test_run_table_prefers_a_later_success(tmp_path):
    store = ResultsStore.create(tmp_path, "x", {"root_seed": 1})
    store.write_part(None, [record(5, "failed", "boom")])
    store.write_part(rows(5), [record(5)])
    assert store.run_table()["status"].tolist() == ["done"]
    assert len(store.run_table(latest=False)) == 2


def test_orphans_and_temporaries_are_ignored_and_cleaned(tmp_path):
    store = ResultsStore.create(tmp_path, "x", {"root_seed": 1})
    store.write_part(rows(0), [record(0)])
    # A writer killed between the result part and its run record:
    rows(1).to_parquet(store.folder / "parts" / "orphan.parquet")
    (store.folder / "parts" / ".tmp-half.parquet.123").write_bytes(b"PAR1 truncated")
    assert store.read_results()["task_id"].unique().tolist() == [0]
    reopened = ResultsStore.open(store.folder)
    names = sorted(p.name for p in (reopened.folder / "parts").iterdir())
    assert len(names) == 1 and not names[0].startswith((".tmp", "orphan"))
    assert reopened.done_task_ids() == {0}


def test_open_rejects_a_folder_without_manifest(tmp_path):
    with pytest.raises(StoreError, match="not a results folder"):
        ResultsStore.open(tmp_path)


def test_summaries_are_parquet_and_csv(tmp_path):
    store = ResultsStore.create(tmp_path, "x", {"root_seed": 1})
    frame = pd.DataFrame({"output": ["a", "b"], "mean": [0.25, 1.5]})
    parquet, csv = store.write_summary("points", frame)
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), frame)
    pd.testing.assert_frame_equal(pd.read_csv(csv), frame, check_dtype=False)


def test_sessions_and_end_time_recorded(tmp_path):
    store = ResultsStore.create(tmp_path, "x", {"root_seed": 1})
    store.mark_started(executor="local")
    store.mark_finished(tasks_done=4)
    store.mark_started(executor="dask")
    manifest = store.manifest
    assert [s["executor"] for s in manifest["sessions"]] == ["local", "dask"]
    assert manifest["sessions"][0]["finished"] and manifest["finished"] is None
    assert manifest["tasks_done"] == 4


def test_git_state_outside_a_checkout_is_unknown(tmp_path):
    assert git_state(tmp_path) == {"commit": "unknown", "dirty": "unknown"}


def test_package_versions_name_every_package():
    versions = package_versions()
    assert {"mesa", "numpy", "scipy", "pandas", "pyarrow", "SALib", "networkx", "sixerrors"} <= set(
        versions
    )
    assert versions["numpy"] != "unknown"


@dataclasses.dataclass(frozen=True)
class Spec:
    name: str
    factors: tuple[str, ...]
    overrides: dict[str, float]


def test_spec_hash_is_stable_and_sensitive():
    a = Spec("s", ("x", "y"), {"a": 1.0, "b": 2.0})
    b = Spec("s", ("x", "y"), {"b": 2.0, "a": 1.0})
    assert spec_hash(a) == spec_hash(b)
    assert len(spec_hash(a)) == 64
    assert spec_hash(a) != spec_hash(Spec("s", ("x", "y"), {"a": 1.0, "b": 2.5}))
    assert stable_json({"n": float("nan")}) == '{"n":"nan"}'
