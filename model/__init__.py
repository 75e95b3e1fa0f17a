"""sixerrors: an agent-based model of social-management policy.

Public API (the names users and scripts rely on; README.md, Python use)::

    from model import SocialManagementModel, Params, Levers, REGIMES, ERRORS
    from model import CivilViolence   # the Epstein (2002) reference mode
    from model import ThresholdCascade  # Watts (2002) / Granovetter (1978) contagion mode
    from model import mechanisms_only, HYPOTHESES   # the assumed payoffs, switched off
    from model import to_networkx   # a run's network (model.adjacency) as a networkx graph
"""

from model.cascades import ThresholdCascade
from model.epstein import CivilViolence
from model.model import SocialManagementModel, run_model, simulate
from model.network import to_networkx
from model.outcomes import OUTCOMES
from model.params import (
    DECLARATIONS,
    HYPOTHESES,
    Levers,
    ParameterError,
    Params,
    hypothesis_off,
    mechanisms_only,
)
from model.regimes import ERRORS, REGIMES, VARIANT_PAIRS

__all__ = [
    "DECLARATIONS",
    "ERRORS",
    "HYPOTHESES",
    "OUTCOMES",
    "REGIMES",
    "VARIANT_PAIRS",
    "CivilViolence",
    "Levers",
    "ParameterError",
    "Params",
    "SocialManagementModel",
    "ThresholdCascade",
    "hypothesis_off",
    "mechanisms_only",
    "run_model",
    "simulate",
    "to_networkx",
]
