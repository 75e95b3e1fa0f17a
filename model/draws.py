"""Counter-based random draws: one uniform per (run, step, stream, resident).

Why not a generator that is drawn from in sequence: then which number a
resident receives depends on how many numbers were drawn before it, that is
on the state of everyone else. Two regimes run from one seed would share
their draws only until their states first differ, and results would depend
on the order of the loops and on the number of threads. Here every draw is
a pure function of its coordinates, so

- common random numbers are exact: resident ``i`` sees the same shock, the
  same queue position and the same coin for acceptance at step ``t`` in
  every regime and every parameter setting that share a seed (paired
  differences measure the levers, not the dice);
- compiled loops may run in any order and on any number of threads with
  bit-identical results;
- a draw that is not needed costs nothing.

The function is SplitMix64 (Steele, Lea and Flood 2014; the generator
behind Java's ``SplittableRandom``) evaluated at position
``((step x STREAMS + stream) x 2^32 + index)`` of the sequence seeded by
the run's key: a bijective 64-bit mix of a Weyl sequence, which passes
BigCrush. This is the counter-based design of Salmon et al. (2011,
"Parallel random numbers: as easy as 1, 2, 3"), with SplitMix64 as the
bijection. Indices must stay below 2^32 (four billion residents).
"""

from __future__ import annotations

import numpy as np

from model.jit import jit

STREAMS = 64
"""Streams per step; each random decision of the model has its own."""

(
    SHOCK,  # whether any domain of a resident is shocked
    SHOCK_DOMAIN,  # five streams, one per livelihood domain: SHOCK_DOMAIN + d
    _SHOCK_DOMAIN_1,
    _SHOCK_DOMAIN_2,
    _SHOCK_DOMAIN_3,
    _SHOCK_DOMAIN_4,
    PARTICIPATE,
    PROJECT_DISPUTE,
    PROJECT_DISPUTE_SIZE,
    PETITION_QUEUE,
    PETITION_ACCEPT,
    PETITION_DETAIN,
    PETITION_RESOLVE,
    PETITION_TERM,
    PETITION_ESCALATE,
    INTERCEPT_QUEUE,
    INTERCEPT,
    UPPER_QUEUE,
    UPPER_ACCEPT,
    PROTEST_QUEUE,
    PROTEST_ARREST,
    DIALOGUE_QUEUE,
    DIALOGUE,
    DIALOGUE_RESOLVE,
    PROTEST_TERM,
    PREVENTION_QUEUE,
    GRID_DETECT,
    GRID_INFORM,
    GRID_QUEUE,
    ORG_LEAVE,
    ORG_APPLY,
    ORG_APPROVE,
    ORG_KIND,
    RECRUIT_OPEN,
    RECRUIT_PICK,
    RECRUIT_ACCEPT,
    ORG_CLOSURE,  # indexed by organization
    SERVICE_LIMIT,  # the capacity streams are indexed by district (or office)
    CONTROL_LIMIT,
    DIALOGUE_LIMIT,
    UPPER_LIMIT,
    PREVENTION_LIMIT,
    INTERCEPT_LIMIT,
    COLLECTIVE_SHOCK,  # the collective shocks are indexed by their epicentre
    COLLECTIVE_SIZE,
    COLLECTIVE_DOMAIN,
    INCIDENT_SETTLE,  # indexed by the incident's first member
    INCIDENT_RESOLVE,
) = range(48)
"""The stream of each random decision."""

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11, _S32 = (np.uint64(s) for s in (30, 27, 31, 11, 32))
_UNIT = 1.0 / 9007199254740992.0  # 2^-53


@jit
def uniform(key: np.uint64, step: int, stream: int, index: int) -> float:
    """The uniform draw in [0, 1) at these coordinates (53 random bits)."""
    counter = (np.uint64(step * STREAMS + stream) << _S32) + np.uint64(index)
    z = key + counter * _GAMMA
    z = (z ^ (z >> _S30)) * _MIX_1
    z = (z ^ (z >> _S27)) * _MIX_2
    z = z ^ (z >> _S31)
    return float(z >> _S11) * _UNIT


@jit
def gap_to_next(key: np.uint64, step: int, stream: int, event: int, chance: float) -> int:
    """Trials before the next success of a run of trials each succeeding with ``chance``.

    Geometric: ``floor(log(1 - u) / log(1 - chance))`` for the uniform of
    the ``event``-th success. Rare events over many residents (projects'
    disputes, applications to found organizations) then cost one draw per
    event, not one per resident, with exactly the law of one independent
    draw per resident.
    """
    if chance >= 1.0:
        return 0
    if chance <= 0.0:
        return 2**62
    u = uniform(key, step, stream, event)
    gap = np.floor(np.log1p(-u) / np.log1p(-chance))
    # A chance so small that the gap overflows (or log1p rounds it to zero)
    # means no success among any number of residents a model can hold.
    if not gap < 2.0**62:
        return 2**62
    return int(gap)


def run_key(rng: np.random.Generator) -> np.uint64:
    """A run's key, drawn once from the run's generator (so one seed fixes all)."""
    return np.uint64(rng.integers(0, 2**64, dtype=np.uint64))
