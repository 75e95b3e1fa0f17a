"""The threshold-contagion reference mode: Watts (2002) cascades and Granovetter's (1978) riot.

``ThresholdCascade`` runs the main model's protest rule with contagion
alone, the way :class:`model.CivilViolence` runs it with Epstein's
deterrence alone (ODD.md pattern P5). The main model's resident protests when
``G - R P > T - contagion x share`` (``model.submodels.stance.stance_of``);
with no grievance, risk or arrest (``G = R = P = 0``) that is
``contagion x share > T``: a resident joins once the share of its
neighbours who have joined exceeds ``T / contagion``. Each resident's call
goes through the compiled scalar :func:`model.submodels.stance.activates`,
the rule itself, not a copy.

Two deliberate departures from the main model, both the classic models' own:

* **Joining is for good.** Watts' and Granovetter's actors never leave once
  they have joined, so the final set does not depend on the order of
  updates; the main model lets every resident decide afresh each week.
  Residents here join in synchronous rounds (round ``r`` sees who had joined
  by round ``r - 1``), which gives the same final set as any other order.
* **"At least", not "more than".** Watts' node adopts when the share of
  adopting neighbours is *at least* its threshold ``phi``, and Granovetter's
  actor with threshold ``t`` joins once ``t`` others have; ``activates`` is
  strict (``>``). The mode passes ``T = contagion x (phi - TIE_MARGIN)``, so
  a share equal to ``phi`` joins. The margin (1e-9) is far smaller than the
  gap between any two distinct shares ``m/k`` of degrees below 30,000
  (``1/k^2 > 1e-9``), so for thresholds that are such shares (Watts' 0.18 =
  9/50, Granovetter's ``t/(N - 1)``) the rule is exactly the classic ``>=``.
  Without it Granovetter's riot would stop at its instigator: the person of
  threshold 1 sees a share of exactly ``1/(N - 1)`` and would need more.

Networks come from :func:`model.network.build_network` (``erdos_renyi`` for
Watts; the complete graph, which ``erdos_renyi`` gives when the mean degree
is ``N - 1``, for Granovetter's crowd, where everyone sees everyone). The
spreading loop is compiled (numba) and touches each tie at most twice, so a
cascade over 10,000 residents costs microseconds; every run is reproducible
from one seed (:func:`trial_generator`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from model.jit import jit
from model.network import build_network
from model.params import ParameterError
from model.submodels.stance import activates
from model.types import BoolArray, FloatArray, IntArray

TIE_MARGIN = 1e-9
"""Subtracted from each threshold so that a share equal to it joins (see the module docs)."""

GLOBAL_SHARE = 0.2
"""Share of the network a cascade must reach to count as global.

Watts calls a cascade global when it takes a finite fraction of an infinite
network; on a finite network any fixed share well above the clusters that a
seed reaches without a giant component will do. At the percolation point
(mean degree 1) the largest cluster of ``n`` residents holds of the order of
``n^(2/3)``: some 460 (5 %) of 10,000 and 210 (7 %) of 3,000, and a few
per cent of single-seed trials at 3,000 residents do pass 10 %. A fifth lies
well above that and well below the giant component inside the window (80 %
of the network at mean degree 2).
"""


@dataclass(frozen=True)
class Cascade:
    """The end of one cascade.

    Attributes:
        joined: True for every resident who joined.
        joined_round: Round in which each resident joined (0 for the seeds
            and for anyone whose threshold needs nobody), -1 for those who
            never did.
        size: Residents who joined.
        share: ``size`` over the population.
        rounds: Rounds until nobody else joined.
    """

    joined: BoolArray
    joined_round: IntArray
    size: int
    share: float
    rounds: int


class ThresholdCascade:
    """Threshold contagion on a network: the main model's protest rule and nothing else.

    Args:
        adjacency: The network, as :func:`model.network.build_network`
            returns it (symmetric CSR, no self-ties).
        thresholds: Each resident's threshold ``phi``, the share of its
            neighbours who must have joined (one number for everyone, or
            one per resident); 0 means it joins unprompted.
        contagion: The main model's ``contagion``, the fall of the protest
            threshold when every neighbour protests. The rule depends on
            ``T / contagion`` only, so any positive value gives the same
            cascades; it is here to show the nesting.

    Raises:
        ParameterError: Thresholds outside [0, 1], of the wrong length, or
            a contagion that is not positive.
    """

    def __init__(
        self,
        adjacency: sp.csr_array,
        thresholds: FloatArray | float,
        *,
        contagion: float = 1.0,
    ) -> None:
        n = adjacency.shape[0]
        phi = np.ascontiguousarray(np.broadcast_to(np.asarray(thresholds, dtype=np.float64), (n,)))
        if phi.size and not (phi.min() >= 0.0 and phi.max() <= 1.0):
            raise ParameterError("cascade thresholds must lie in [0, 1] (shares of neighbours)")
        if not contagion > 0.0:
            raise ParameterError(f"contagion={contagion!r} must be positive for contagion to act")
        self.n = n
        self.indptr = np.ascontiguousarray(adjacency.indptr, dtype=np.int64)
        self.indices = np.ascontiguousarray(adjacency.indices, dtype=np.int64)
        self.thresholds = phi
        self.contagion = float(contagion)
        # The main model's protest threshold T that makes "share > T / contagion"
        # Watts' "share >= phi".
        self.protest_threshold = self.contagion * (phi - TIE_MARGIN)

    @classmethod
    def erdos_renyi(
        cls,
        n: int,
        mean_degree: int,
        threshold: float,
        rng: np.random.Generator,
    ) -> ThresholdCascade:
        """Watts' setting: one threshold for all on an Erdős–Rényi graph G(n, n z / 2)."""
        adjacency = build_network(
            "erdos_renyi",
            n,
            mean_degree=mean_degree,
            long_range_share=0.0,
            position=np.zeros((n, 2)),
            rng=rng,
        )
        return cls(adjacency, threshold)

    @classmethod
    def crowd(cls, people_thresholds: Sequence[int] | IntArray) -> ThresholdCascade:
        """Granovetter's crowd: everyone sees everyone; thresholds count other people.

        A person with threshold ``t`` joins once ``t`` others have, i.e. once
        the share of the other ``N - 1`` who have joined reaches
        ``t / (N - 1)``.
        """
        t = np.asarray(people_thresholds, dtype=np.int64)
        n = int(t.size)
        if n < 2 or t.min() < 0 or t.max() > n - 1:
            raise ParameterError(
                f"a crowd needs at least 2 people with thresholds in 0..{max(n - 1, 1)}"
            )
        adjacency = build_network(
            "erdos_renyi",
            n,
            mean_degree=n - 1,
            long_range_share=0.0,
            position=np.zeros((n, 2)),
            rng=np.random.default_rng(0),  # complete: no chance
        )
        return cls(adjacency, t / (n - 1))

    def run(self, seeds: Sequence[int] | IntArray = ()) -> Cascade:
        """Spread from ``seeds`` (residents made to join first) until nobody else joins."""
        seed_mask = np.zeros(self.n, dtype=np.bool_)
        seed_mask[np.asarray(seeds, dtype=np.int64)] = True
        joined_round, rounds = _spread(
            self.indptr, self.indices, self.protest_threshold, self.contagion, seed_mask
        )
        joined = joined_round >= 0
        size = int(joined.sum())
        return Cascade(joined, joined_round, size, size / max(self.n, 1), int(rounds))


@jit
def _joins(protest_threshold: float, contagion: float, joined_neighbours: int, degree: int) -> bool:
    """The main model's rule with contagion only: ``0 - 0 x 0 > T - contagion x share``."""
    share = joined_neighbours / degree if degree > 0 else 0.0
    return activates(0.0, 0.0, 0.0, protest_threshold - contagion * share)


@jit
def _spread(
    indptr: NDArray[np.int64],
    indices: NDArray[np.int64],
    protest_threshold: FloatArray,
    contagion: float,
    seeds: BoolArray,
) -> tuple[NDArray[np.int64], int]:
    """Synchronous rounds of joining; returns each resident's round (-1: never) and the rounds.

    Only neighbours of those who joined last round can newly join (their
    count of joined neighbours is all that changed), so each round visits
    the ties of the newest joiners once.
    """
    n = seeds.size
    joined_round = np.full(n, -1, dtype=np.int64)
    count = np.zeros(n, dtype=np.int64)
    frontier = np.empty(n, dtype=np.int64)
    candidates = np.empty(n, dtype=np.int64)
    queued = np.zeros(n, dtype=np.bool_)
    size = 0
    for i in range(n):
        if seeds[i] or _joins(protest_threshold[i], contagion, 0, indptr[i + 1] - indptr[i]):
            joined_round[i] = 0
            frontier[size] = i
            size += 1
    rounds = 0
    while size > 0:
        n_candidates = 0
        for f in range(size):
            v = frontier[f]
            for e in range(indptr[v], indptr[v + 1]):
                u = indices[e]
                if joined_round[u] < 0:
                    count[u] += 1
                    if not queued[u]:
                        queued[u] = True
                        candidates[n_candidates] = u
                        n_candidates += 1
        rounds += 1
        size = 0
        for c in range(n_candidates):
            u = candidates[c]
            queued[u] = False
            if _joins(protest_threshold[u], contagion, count[u], indptr[u + 1] - indptr[u]):
                joined_round[u] = rounds
                frontier[size] = u
                size += 1
        if size == 0:
            rounds -= 1  # the last round changed nothing
    return joined_round, rounds


def trial_generator(seed: int, *key: int) -> np.random.Generator:
    """The generator of one trial, a function of the root seed and the trial's identity only."""
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=tuple(key)))


def cascade_window(
    n: int,
    mean_degrees: Sequence[int],
    threshold: float,
    trials: int,
    seed: int,
) -> pd.DataFrame:
    """Watts' Figure 1 experiment: global cascades from one random seed, by mean degree.

    Each trial draws a fresh Erdős–Rényi graph and one random seed resident
    (both from :func:`trial_generator` of ``(mean_degree, trial)``, so a
    trial's result does not depend on which other degrees are run).

    Returns:
        One row per mean degree: ``trials``, ``global_cascades`` (reaching
        :data:`GLOBAL_SHARE`), their ``frequency``, the ``mean_global_size``
        (share of the network, NaN without any) and ``mean_size`` over all
        trials.
    """
    rows = []
    for z in mean_degrees:
        shares = np.empty(trials)
        for trial in range(trials):
            rng = trial_generator(seed, int(z), trial)
            mode = ThresholdCascade.erdos_renyi(n, int(z), threshold, rng)
            shares[trial] = mode.run([int(rng.integers(n))]).share
        big = shares >= GLOBAL_SHARE
        rows.append(
            {
                "mean_degree": int(z),
                "trials": int(trials),
                "global_cascades": int(big.sum()),
                "frequency": float(big.mean()),
                "mean_global_size": float(shares[big].mean()) if big.any() else float("nan"),
                "mean_size": float(shares.mean()),
            }
        )
    return pd.DataFrame(rows)


def granovetter_thresholds(n: int = 100, *, perturbed: bool = False) -> IntArray:
    """Granovetter's uniform crowd, thresholds 0..n-1; ``perturbed``: threshold 1 becomes 2."""
    thresholds = np.arange(n, dtype=np.int64)
    if perturbed:
        thresholds[1] = 2
    return thresholds
