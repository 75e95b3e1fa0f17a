"""Model runs for the main model's checks: many seeds, in parallel, with what the checks need.

Checks measure patterns over seeds and settings; each run here is one
model, one seed, and returns its per-step outcome table, plus (where asked)
the size of every mass incident of every step, as it formed (the outcome
table keeps only the largest; ``SocialManagementModel.incidents``). Seeds
are derived from the battery's seed, the check's stream (its name) and the
run's place in the list, so a battery run is reproducible, no two checks
share cities, and none uses the calibration's seeds (docs/calibration.md
uses 1000 onward).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from experiments.runner import default_workers, local_pool

SEED_OFFSET = 7_000
"""Battery seeds start here above the battery's root seed, clear of the calibration's."""

CITIES = 20
"""Cities (seeds) the full battery averages for yearly counts and densities: as many as
the calibration (``python -m experiments.calibrate``, docs/calibration.md). One city's
waves of protest swing a ten-year count and its founding of organizations is rare,
so six cities could pass or fail a check by which seeds they were."""


@dataclass(frozen=True)
class Run:
    """One model run a check asks for.

    Attributes:
        regime: The regime.
        residents: City size.
        steps: Steps.
        overrides: Parameters and levers.
        incident_sizes: Also record the size of every mass incident.
    """

    regime: str
    residents: int
    steps: int
    overrides: Mapping[str, Any] = field(default_factory=dict)
    incident_sizes: bool = False


@dataclass(frozen=True)
class Result:
    """What one run gave: its outcome table, and the incident sizes if asked for."""

    table: pd.DataFrame
    incident_sizes: np.ndarray


def execute(run: Run, seed: int) -> Result:
    """Run one model (a worker's task)."""
    from model import SocialManagementModel  # noqa: PLC0415 (imported in the worker)

    model = SocialManagementModel(run.regime, n_residents=run.residents, rng=seed, **run.overrides)
    sizes: list[float] = []
    if run.incident_sizes:
        for _ in range(run.steps):
            model.step()
            sizes.extend(model.incidents.sizes.tolist())
    elif run.steps:
        model.run_for(run.steps)
    return Result(model.outcome_table(), np.array(sizes))


def run_all(
    runs: Sequence[Run],
    seeds: Sequence[int],
    *,
    world: Mapping[str, Any],
    workers: int | None = None,
) -> list[Result]:
    """Every run in ``runs`` with the seed at the same place in ``seeds``, in parallel.

    ``world`` (the battery's ``--set``, :attr:`CheckContext.world`) is
    the world every run starts from; a run's own overrides win, because
    they are what its check is about (a negative control that switches a
    mechanism off must stay off). It is required, so that no check can
    forget it.
    """
    placed = [replace(run, overrides={**world, **run.overrides}) for run in runs]
    with local_pool(workers or default_workers()) as pool:
        futures = [pool.submit(execute, run, seed) for run, seed in zip(placed, seeds, strict=True)]
        return [f.result() for f in futures]


STREAM_SPACING = 1_000
"""Seeds between the starts of two streams: room for any check's runs and offsets."""

STREAMS = 1_000_000
"""Streams a name can map to (a CRC-32 of the name, reduced): collisions are rare."""


def seeds_for(root: int, count: int, *, stream: str, offset: int = 0) -> list[int]:
    """``count`` battery seeds of the stream ``stream``, clear of the calibration's seeds.

    A check's stream is its name, so that no two checks draw the same
    cities (they test different patterns, and a battery of shared cities
    is fewer independent tests than it looks). A negative control takes
    the stream of the check it controls (the same cities, its mechanism
    off), as does a check that reads another check's runs in another way.
    ``offset`` separates the settings within one check.
    """
    start = root + SEED_OFFSET + STREAM_SPACING * (zlib.crc32(stream.encode()) % STREAMS)
    return [start + offset + k for k in range(count)]


def last_half(table: pd.DataFrame) -> pd.DataFrame:
    """The steps of the second half of a run (the first, at step 0, is the initial state)."""
    steps = len(table) - 1
    return table.iloc[1 + steps // 2 :]


def mean_last_half(results: Sequence[Result], outcome: str) -> float:
    """Mean of an outcome over the last half of every run, then over runs."""
    return float(np.nanmean([last_half(r.table)[outcome].mean() for r in results]))
