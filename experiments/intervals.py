"""Confidence intervals of a mean over replications that respect an outcome's range.

Every interval of ``sixerrors compare`` (scenario levels, paired differences
and time-series bands) comes from here, by one rule:

* **Levels of a bounded outcome** (a share in [0, 1], a count at or above 0:
  :func:`experiments.scales.outcome_range`) get a **percentile bootstrap**
  interval of the mean over replications. Every bootstrap mean is a mean of
  observed values, so the interval never leaves the range of the data, and
  hence never the outcome's: a stability interval cannot reach 1.01 nor a
  count's fall below 0. A Student-t interval can, and cutting it back at the
  bound (what this project did before) is not an interval method: three
  stability values of 1, 1 and 0.8 gave [0.65, 1], whose upper end is the
  cut, not the data.
* **Paired differences** (remedy minus error, common random numbers) get
  the **Student-t interval** of the differences, the standard for paired
  comparisons, wherever it lies inside the difference's possible range
  (:func:`experiments.scales.difference_range`, -1..1 for a share), which it
  nearly always does; where it does not, the paired percentile bootstrap of
  the differences.
* **Time-series bands** follow the same rule as paired differences, step by
  step, against the outcome's range: the t interval where it fits, the
  bootstrap where it would leave the range (near 0 or 1, where the t
  interval is least trustworthy). Bootstrapping every step would cost
  about 7 s for the 78,000 bands of 30 scenarios x 261 steps x 10 outcomes
  (2-core machine), for a band drawn a few pixels wide; the rule costs
  under a second at 30 replications, a few seconds at 8 in the worst case
  (half the runs at a bound in every week).
* An outcome without a bound (none is declared today) keeps the t interval.

Why these choices:

* **Expanded percentiles.** A plain percentile bootstrap is too narrow with
  few replications (its spread is that of the sample with divisor ``n``, and
  it uses normal rather than t quantiles); classrooms and quick comparisons
  run 3 to 8. The percentiles are therefore widened as in Hesterberg (2015,
  "What teachers should know about the bootstrap", *The American
  Statistician* 69(4)), his expanded percentile interval: level ``Phi(-sqrt(n/(n-1)) t_{n-1})``
  in place of 2.5 %. At 30 replications this is the 1.9 % and 98.1 %
  percentiles and the interval is close to the t interval where that fits;
  at 3 it is about the range of the data. No interval that stays inside the
  data can cover the true mean 95 % of the time below 6 replications (it
  misses whenever all of them fall on one side, probability ``2**(1-n)``
  for a symmetric outcome): run more replications for a publishable level.
* **Reproducible.** The resamples depend only on a seed (derived from the
  spec's root seed by :func:`bootstrap_seed`), the number of values and the
  number of resamples, and each sample is sorted first, so an interval is a
  function of the values, not of their order or of the other groups (but
  for rounding in the last bit): the same results folder always gives the
  same intervals.
* **Fast.** One matrix of resample counts is drawn per sample size (and
  cached), and a bootstrap is a matrix product with it: a time series'
  steps near a bound are resampled in one product (:func:`band_bounds`);
  levels and differences take one product per group, and the scenario
  levels of 30 scenarios x 10 outcomes x 2 statistics at 30 replications
  take under half a second.
* **No spread.** Where every replication has the same value, the interval
  is that value (e.g. [1, 1] for a stability every run kept): there is no
  spread over replications, which is not to say the mean is known exactly.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Final, Literal, NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import stats

from experiments.scales import difference_range, outcome_range

FloatArray = npt.NDArray[np.float64]
Method = Literal["t", "bootstrap"]

CONFIDENCE: Final = 0.95
"""Confidence level of every interval of a comparison."""

RESAMPLES: Final = 4000
"""Bootstrap resamples: the lower bound is then about the 75th smallest of 4,000
means at 30 replications (the 23rd at 8), and a bound moves by about 1 % of the
interval's width from one seed to another (measured at 8 and 30 replications)."""

T: Final[Method] = "t"
BOOTSTRAP: Final[Method] = "bootstrap"

_STREAM: Final = 0xB0075
"""Mixed into every bootstrap seed, so resamples never share a stream with a run's seed."""

_CHUNK: Final = 1 << 22
"""Bootstrap means computed at once (rows x resamples): about 32 MiB of floats."""


def bootstrap_seed(root_seed: int) -> int:
    """The bootstrap's seed for a comparison whose root seed is ``root_seed``.

    Derived, not equal: the same number seeds the runs, and a separate
    stream keeps the resamples independent of every run's draws.
    """
    state = np.random.SeedSequence([_STREAM, int(root_seed)]).generate_state(2, np.uint32)
    return int(state[0]) << 32 | int(state[1])


def expanded_level(n: int, confidence: float = CONFIDENCE) -> float:
    """Lower percentile (as a probability) of the expanded percentile interval for ``n`` values.

    ``Phi(-sqrt(n / (n - 1)) * t_{(1 + confidence) / 2, n - 1})``
    (Hesterberg 2015): the bootstrap distribution's spread has divisor ``n``
    and a normal shape, and these two factors give back the t interval's
    width, so few replications do not give a falsely narrow interval.
    """
    if n < 2:
        return math.nan
    t = float(stats.t.ppf(0.5 + confidence / 2, n - 1))
    return float(stats.norm.cdf(-math.sqrt(n / (n - 1)) * t))


@functools.lru_cache(maxsize=64)
def resample_counts(n: int, resamples: int, seed: int) -> FloatArray:
    """How often each of ``n`` sorted values is drawn in each resample, shape (n, resamples).

    Read-only and cached: every group of ``n`` values in a comparison uses
    the same resamples, which makes the intervals a function of the values
    only and costs one draw per sample size.
    """
    rng = np.random.default_rng([_STREAM, seed, n, resamples])
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=resamples).T.astype(np.float64)
    counts.setflags(write=False)
    return counts


def bootstrap_bounds(
    samples: FloatArray,
    *,
    seed: int,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
) -> tuple[FloatArray, FloatArray]:
    """Expanded percentile bootstrap interval of the mean of each row of ``samples``.

    Args:
        samples: Shape (groups, n), finite values, one group per row, n >= 2.
        seed: The bootstrap seed (:func:`bootstrap_seed`).
        confidence: Confidence level.
        resamples: Bootstrap resamples.

    Returns:
        Lower and upper bounds, one per row, each between the row's smallest
        and largest value (a row of equal values gives that value twice).
    """
    values = np.sort(np.asarray(samples, dtype=np.float64), axis=1)
    groups, n = values.shape
    low = np.full(groups, math.nan)
    high = np.full(groups, math.nan)
    if groups == 0 or n < 2:
        return low, high
    counts = resample_counts(n, resamples, seed)
    level = expanded_level(n, confidence)
    k_low = max(0, math.floor(level * (resamples - 1)))
    k_high = resamples - 1 - k_low
    step = max(1, _CHUNK // resamples)
    for start in range(0, groups, step):
        block = values[start : start + step]
        means = (block @ counts) / n
        # A full sort: with ties (few distinct means at a few replications)
        # it is several times faster than a partition at two places.
        means.sort(axis=1)
        low[start : start + step] = means[:, k_low]
        high[start : start + step] = means[:, k_high]
    # Each bound is a mean of observed values; the clamp only undoes rounding
    # in the last bit, so a row of equal values gives exactly that value.
    np.clip(low, values[:, 0], values[:, -1], out=low)
    np.clip(high, values[:, 0], values[:, -1], out=high)
    return low, high


def resampled_means(samples: FloatArray, *, seed: int, resamples: int = RESAMPLES) -> FloatArray:
    """Bootstrap resamples of the mean of ``samples``' rows, shape (resamples, columns).

    For a statistic of a mean that is not itself a mean (the growth rate of
    the mean yearly count of many cities): resample the rows (cities), take
    the mean, and compute the statistic on each resample. Rows are drawn
    whole, from the stream :func:`bootstrap_bounds` draws from, so for one
    column in ascending order the resampled means are that function's.
    """
    values = np.asarray(samples, dtype=np.float64)
    n = values.shape[0]
    return np.asarray((resample_counts(n, resamples, seed).T @ values) / n)


def resampled_bounds(
    statistics: FloatArray, n: int, confidence: float = CONFIDENCE
) -> tuple[float, float]:
    """Expanded percentile interval of a statistic computed on resamples of ``n`` rows.

    The percentiles :func:`bootstrap_bounds` takes for a mean of ``n``
    values (:func:`expanded_level`), so that few rows (four runs) give a
    wide interval, not a falsely narrow one. NaN statistics (a resample
    with nothing to measure) are left out.
    """
    values = np.sort(np.asarray(statistics, dtype=np.float64))
    values = values[np.isfinite(values)]
    if values.size == 0 or n < 2:
        return math.nan, math.nan
    level = expanded_level(n, confidence)
    k_low = max(0, math.floor(level * (values.size - 1)))
    return float(values[k_low]), float(values[values.size - 1 - k_low])


def bootstrap_interval(
    values: Sequence[float] | FloatArray,
    *,
    seed: int,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
) -> tuple[float, float]:
    """Expanded percentile bootstrap interval of the mean of ``values`` (NaN skipped).

    NaN bounds with fewer than two values: one replication shows no spread.
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size < 2:
        return math.nan, math.nan
    low, high = bootstrap_bounds(x[None, :], seed=seed, confidence=confidence, resamples=resamples)
    return float(low[0]), float(high[0])


def t_bounds(
    mean: FloatArray, sd: FloatArray, n: FloatArray, confidence: float = CONFIDENCE
) -> tuple[FloatArray, FloatArray]:
    """Student-t intervals ``mean -+ t sd / sqrt(n)``, element by element; NaN where n < 2."""
    n = np.asarray(n, dtype=np.float64)
    t = np.where(n >= 2, stats.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1)), np.nan)
    half = t * np.asarray(sd, dtype=np.float64) / np.sqrt(np.maximum(n, 1))
    return mean - half, mean + half


def t_interval(
    values: Sequence[float] | FloatArray, confidence: float = CONFIDENCE
) -> dict[str, float]:
    """Mean, standard deviation and Student-t interval of ``values`` (NaN skipped).

    With fewer than two values the spread is unknown and the interval NaN:
    an interval from one replication would be a pretence.
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = int(x.size)
    mean = float(x.mean()) if n else math.nan
    if n < 2:
        return {"n": n, "mean": mean, "sd": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    return {"n": n, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half}


def _bounded(limits: tuple[float, float]) -> bool:
    return math.isfinite(limits[0]) or math.isfinite(limits[1])


def _inside(low: float, high: float, limits: tuple[float, float]) -> bool:
    return limits[0] <= low and high <= limits[1]


def level_interval(
    values: Sequence[float] | FloatArray,
    outcome: str,
    *,
    seed: int,
    confidence: float = CONFIDENCE,
) -> dict[str, float | int | str | None]:
    """Mean over replications of ``outcome`` and its interval: bootstrap if the outcome is bounded.

    Returns:
        ``n``, ``mean``, ``sd``, ``ci_low``, ``ci_high`` and ``ci_method``
        (``"bootstrap"`` or ``"t"``; ``None`` with fewer than two values,
        where the interval is NaN).
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    summary: dict[str, float | int | str | None] = {**t_interval(x, confidence), "ci_method": None}
    if x.size < 2:
        return summary
    method = BOOTSTRAP if _bounded(outcome_range(outcome)) else T
    if x.min() == x.max():  # no spread: the value itself, not a rounded mean of copies
        value = float(x[0])
        return summary | {
            "mean": value,
            "sd": 0.0,
            "ci_low": value,
            "ci_high": value,
            "ci_method": method,
        }
    if method == T:
        return summary | {"ci_method": T}
    low, high = bootstrap_interval(x, seed=seed, confidence=confidence)
    return summary | {"ci_low": low, "ci_high": high, "ci_method": BOOTSTRAP}


def difference_interval(
    differences: Sequence[float] | FloatArray,
    outcome: str,
    *,
    seed: int,
    confidence: float = CONFIDENCE,
) -> dict[str, float | int | str | None]:
    """Mean paired difference and its interval: t where it fits the range, else bootstrap.

    Returns:
        ``n``, ``mean``, ``sd``, ``ci_low``, ``ci_high`` and ``ci_method``
        (``"t"`` or ``"bootstrap"``; ``None`` with fewer than two pairs).
    """
    x = np.asarray(differences, dtype=np.float64)
    x = x[np.isfinite(x)]
    t = t_interval(x, confidence)
    summary: dict[str, float | int | str | None] = {**t, "ci_method": None}
    if x.size < 2:
        return summary
    if _inside(t["ci_low"], t["ci_high"], difference_range(outcome)):
        return summary | {"ci_method": T}
    low, high = bootstrap_interval(x, seed=seed, confidence=confidence)
    return summary | {"ci_low": low, "ci_high": high, "ci_method": BOOTSTRAP}


class Bands(NamedTuple):
    """One outcome's band, row by row (step by step): what :func:`band_bounds` returns.

    Attributes:
        n: Replications with a value.
        mean: Their mean (NaN without any).
        low: Lower bound (NaN where fewer than two values give no interval).
        high: Upper bound.
        method: :data:`T` or :data:`BOOTSTRAP`, ``None`` where there is no interval.
    """

    n: FloatArray
    mean: FloatArray
    low: FloatArray
    high: FloatArray
    method: npt.NDArray[np.object_]


def band_bounds(
    samples: FloatArray,
    limits: tuple[float, float],
    *,
    seed: int,
    confidence: float = CONFIDENCE,
) -> Bands:
    """Bands of one outcome, one row of ``samples`` per step (NaN = missing replication).

    The t interval where it lies inside ``limits``, the bootstrap of that
    row where it does not (:mod:`experiments.intervals`'s rule for bands);
    the count and mean it is centred on come with it.
    """
    values = np.asarray(samples, dtype=np.float64)
    finite = np.isfinite(values)
    n = finite.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.nansum(values, axis=1) / np.maximum(n, 1), np.nan)
        deviation = np.where(finite, values - mean[:, None], 0.0)
        sd = np.sqrt((deviation**2).sum(axis=1) / np.maximum(n - 1, 1))
    low, high = t_bounds(mean, sd, n, confidence)
    method = np.full(n.shape, None, dtype=object)
    method[n >= 2] = T
    outside = (n >= 2) & ~((low >= limits[0]) & (high <= limits[1]))
    for size in np.unique(n[outside]).astype(int):
        rows = np.flatnonzero(outside & (n == size))
        # NaN sorts last: the first ``size`` columns are the row's values.
        block = np.sort(values[rows], axis=1)[:, :size]
        low[rows], high[rows] = bootstrap_bounds(block, seed=seed, confidence=confidence)
        method[rows] = BOOTSTRAP
    return Bands(n, mean, low, high, method)


__all__ = [
    "BOOTSTRAP",
    "CONFIDENCE",
    "RESAMPLES",
    "Bands",
    "T",
    "band_bounds",
    "bootstrap_bounds",
    "bootstrap_interval",
    "bootstrap_seed",
    "difference_interval",
    "expanded_level",
    "level_interval",
    "t_bounds",
    "t_interval",
]
