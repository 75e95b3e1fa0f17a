"""PRIM boxes for scenario discovery (EMA Workbench), the choice of a box, and figures.

The Patient Rule Induction Method (Friedman & Fisher 1999) peels a box of
input space step by step, each step removing a thin slice (``peel_alpha``
of the points) along the one edge whose removal raises the share of points
of interest inside the most, then pastes back what it can; the sequence of
boxes is its *peeling trajectory*, which trades **coverage** (share of all
points of interest that lie in the box) against **density** (share of the
box's points that are of interest). Scenario discovery (Bryant & Lempert
2010) reads the boxes as the conditions under which a policy fails. The
peeling itself is EMA Workbench's (:class:`ema_workbench.analysis.prim.Prim`,
the field's standard implementation); this module chooses the box on each
trajectory by a stated rule, so that results need no one at a screen
(:func:`choose_step`: the best balance of coverage and density among the
boxes whose density reaches ``min_density``; among all boxes, flagged, when
none does). Boxes are sought one after the other on the
points not yet covered (PRIM's covering), keeping a further box only if it
reaches ``min_density``.

EMA Workbench 3.0 fails to paste integer-typed columns under pandas 3, so
every input is passed as a float; integer parameters keep integral limits
because PRIM cuts at observed values.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from numpy.typing import NDArray

from experiments.specs import PrimSettings


@dataclass(frozen=True)
class Box:
    """One chosen PRIM box.

    Attributes:
        number: 1 for the first box found, 2 for the next (covering), ...
        step: Its step on the box's peeling trajectory.
        coverage: Share of all points of interest inside the box.
        density: Share of the box's points that are of interest.
        mass: Share of all points inside the box.
        restricted: Number of parameters the box restricts.
        points: Points inside the box.
        cases: Points of interest inside the box.
        meets_density: Whether ``density >= min_density``.
        limits: One row per parameter: ``low``, ``high``, ``restricted``
            (either end moved in from the data's range) and ``quasi_p``, the
            larger of the two one-sided binomial quasi-p-values of Bryant and
            Lempert (2010) for the restricted ends (NaN if unrestricted).
        trajectory: The whole peeling trajectory (``step``, ``coverage``,
            ``density``, ``mass``, ``restricted``, ``chosen``).
    """

    number: int
    step: int
    coverage: float
    density: float
    mass: float
    restricted: int
    points: int
    cases: int
    meets_density: bool
    limits: pd.DataFrame
    trajectory: pd.DataFrame


def restricted_limits(limits: pd.DataFrame) -> pd.DataFrame:
    """The rows of one box's limits that narrow a parameter, narrowest first.

    The one rule by which the documents and the classroom word a box: PRIM's
    own ``restricted`` flag where the table has it (:func:`find_boxes`
    writes it), else the limits compared with the sampled range (tables
    written before it did). ``kept_share`` is the share of the sampled range
    the box keeps, by which the rows are ordered.
    """
    if "restricted" in limits.columns:
        mask = limits["restricted"].astype(bool)
    else:
        tol = 1e-12
        mask = (limits["low"] > limits["range_low"] + tol) | (
            limits["high"] < limits["range_high"] - tol
        )
    kept = limits[mask].copy()
    width = (kept["range_high"] - kept["range_low"]).where(lambda w: w > 0, 1.0)
    kept["kept_share"] = (kept["high"] - kept["low"]) / width
    return kept.sort_values("kept_share", kind="stable")


def choose_step(trajectory: pd.DataFrame, min_density: float) -> int:
    """The step to keep: the best balance of coverage and density, dense enough if possible.

    The balance is their harmonic mean (the F1 score of the box as a
    classifier of the points of interest): the most covering box that just
    reaches ``min_density`` is often a loose one, and a few more peels buy
    much density for little coverage. Among the boxes with ``density >=
    min_density`` (all of them if none is), the highest harmonic mean wins;
    ties go to the earlier, larger box.
    """
    frame = trajectory.reset_index(drop=True)
    dense = frame[frame["density"] >= min_density]
    pool = dense if len(dense) else frame
    c, d = pool["coverage"].to_numpy(dtype=float), pool["density"].to_numpy(dtype=float)
    balance = np.divide(2 * c * d, c + d, out=np.zeros_like(c), where=(c + d) > 0)
    return int(pool.index[int(np.argmax(balance))])


def _prim_class() -> Any:
    """EMA Workbench's Prim, imported quietly (its package warns about optional extras)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim  # noqa: PLC0415 - a 5 s import, only when used
    logging.getLogger("ema_workbench").setLevel(logging.WARNING)
    return prim.Prim


def _limits(box: Any, step: int, initial: pd.DataFrame) -> pd.DataFrame:
    lims: pd.DataFrame = box.box_lims[step]
    quasi: Mapping[str, list[float]] = box.p_values[step]
    rows = []
    for name in lims.columns:
        low, high = float(lims[name].iloc[0]), float(lims[name].iloc[1])
        restricted = bool(low > float(initial[name].iloc[0]) or high < float(initial[name].iloc[1]))
        p = [v for v in quasi.get(name, []) if v >= 0]
        rows.append(
            {
                "parameter": str(name),
                "low": low,
                "high": high,
                "restricted": restricted,
                "quasi_p": max(p) if p else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def _whole_space(x: pd.DataFrame, cases: int) -> Box:
    """The box of a space where every point is of interest: nothing to peel."""
    limits = pd.DataFrame(
        {
            "parameter": list(x.columns),
            "low": x.min().to_numpy(dtype=float),
            "high": x.max().to_numpy(dtype=float),
            "restricted": False,
            "quasi_p": float("nan"),
        }
    )
    trajectory = pd.DataFrame(
        {
            "step": [0],
            "coverage": [1.0],
            "density": [1.0],
            "mass": [1.0],
            "restricted": [0],
            "chosen": [True],
        }
    )
    return Box(1, 0, 1.0, 1.0, 1.0, 0, len(x), cases, True, limits, trajectory)


def find_boxes(
    x: pd.DataFrame,
    of_interest: NDArray[np.bool_],
    settings: PrimSettings,
) -> list[Box]:
    """PRIM boxes where ``of_interest`` points gather, chosen by :func:`choose_step`.

    Args:
        x: One row per point, one numeric column per parameter.
        of_interest: True at the points of interest (claim reversed or failed).
        settings: Peeling, pasting, least mass, least density, most boxes.

    Returns:
        The boxes, first found first; empty when no point is of interest.
    """
    y = np.asarray(of_interest, dtype=bool)
    if not y.any():
        return []
    if y.all():
        return [_whole_space(x, int(y.sum()))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' deprecation warnings inside EMA Workbench
        prim = _prim_class()(
            x.astype(float).reset_index(drop=True),
            y.astype(int),
            peel_alpha=settings.peel_alpha,
            paste_alpha=settings.paste_alpha,
            mass_min=settings.mass_min,
        )
    boxes: list[Box] = []
    for number in range(1, settings.max_boxes + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            box = prim.find_box()
        if box is None:
            break
        trajectory = box.peeling_trajectory
        step = choose_step(trajectory, settings.min_density)
        row = trajectory.iloc[step]
        meets = bool(row["density"] >= settings.min_density)
        if number > 1 and not meets:
            break  # a further box that is not dense is not a region of failure
        box.select(step)
        table = pd.DataFrame(
            {
                "step": np.arange(len(trajectory)),
                "coverage": trajectory["coverage"].to_numpy(dtype=float),
                "density": trajectory["density"].to_numpy(dtype=float),
                "mass": trajectory["mass"].to_numpy(dtype=float),
                "restricted": trajectory["res_dim"].to_numpy(dtype=np.int64),
            }
        )
        table["chosen"] = table["step"] == step
        boxes.append(
            Box(
                number=number,
                step=step,
                coverage=float(row["coverage"]),
                density=float(row["density"]),
                mass=float(row["mass"]),
                restricted=int(row["res_dim"]),
                points=int(row["n"]),
                cases=int(row["k"]),
                meets_density=meets,
                limits=_limits(box, step, prim.box_init),
                trajectory=table,
            )
        )
    return boxes


# --------------------------------------------------------------------------- figures
def plot_peeling(boxes: list[Box], path: Path, *, title: str) -> Path:
    """Coverage against density along each box's peeling trajectory; chosen boxes ringed."""
    fig = Figure(figsize=(6.5, 4.5), layout="constrained")
    ax = fig.add_subplot()
    most = max(int(b.trajectory["restricted"].max()) for b in boxes)
    for b in boxes:
        t = b.trajectory
        marks = ax.scatter(
            t["coverage"],
            t["density"],
            c=t["restricted"],
            cmap="viridis",
            vmin=0,
            vmax=max(most, 1),
            s=18,
            marker="o" if b.number == 1 else "^",
            label=f"box {b.number} trajectory",
        )
        ax.scatter(
            [b.coverage], [b.density], s=140, facecolors="none", edgecolors="C3", linewidths=1.6
        )
        ax.annotate(
            f"box {b.number}",
            (b.coverage, b.density),
            xytext=(6, -12),
            textcoords="offset points",
            color="C3",
            fontsize="small",
        )
    fig.colorbar(marks, ax=ax, label="parameters restricted")
    ax.set_xlabel("coverage (share of all points of interest in the box)")
    ax.set_ylabel("density (share of the box's points of interest)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title)
    ax.legend(fontsize="small", loc="lower left")
    fig.savefig(path, dpi=120)
    return path


def plot_box_limits(
    boxes: list[Box],
    ranges: Mapping[str, tuple[float, float]],
    path: Path,
    *,
    title: str,
) -> Path:
    """Each box's limits on every parameter, as a share of its sampled range.

    Restricted parameters are drawn in colour with their limits written at
    the ends; unrestricted ones as a thin grey line across the whole range.
    """
    names = list(ranges)
    fig = Figure(figsize=(7.5, 1.2 + 0.5 * len(names)), layout="constrained")
    ax = fig.add_subplot()
    height = 0.8 / len(boxes)
    for k, b in enumerate(boxes):
        limits = {str(r["parameter"]): r for r in b.limits.to_dict("records")}
        label: str | None = f"box {b.number}: coverage {b.coverage:.2f}, density {b.density:.2f}"
        for i, name in enumerate(names):
            lo_range, hi_range = ranges[name]
            span = (hi_range - lo_range) or 1.0
            low, high = float(limits[name]["low"]), float(limits[name]["high"])
            lo, hi = (low - lo_range) / span, (high - lo_range) / span
            y = i + (k - (len(boxes) - 1) / 2) * height
            if not bool(limits[name]["restricted"]):
                ax.plot([0, 1], [y, y], color="0.75", linewidth=1)
                continue
            ax.barh(y, hi - lo, height * 0.9, left=lo, color=f"C{k}", label=label)
            label = None  # one legend entry per box
            ax.text(lo, y, f"{low:.3g} ", ha="right", va="center", fontsize="x-small")
            ax.text(hi, y, f" {high:.3g}", ha="left", va="center", fontsize="x-small")
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlim(-0.25, 1.25)
    ax.set_xlabel("share of the sampled (plausible) range")
    ax.set_title(title)
    if any(b.restricted for b in boxes):
        ax.legend(fontsize="small", loc="lower right")
    fig.savefig(path, dpi=120)
    return path
