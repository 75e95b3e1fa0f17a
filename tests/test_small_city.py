"""Small and large cities work: no district without cadres, no capacity floored away.

Issue "Remedies that can fail", item 4: at 300 residents every district had
rounded to zero cadres, so every pair showed exactly no difference.
"""

from __future__ import annotations

import numpy as np
import pytest

from model import ERRORS, SocialManagementModel
from model.cadres import cadres_per_district
from model.params import Params


@pytest.mark.parametrize("residents", [50, 300, 500, 2_000, 20_000])
def test_every_district_with_residents_has_a_cadre_and_effort_per_resident(residents):
    model = SocialManagementModel("baseline", n_residents=residents, rng=1)
    size = model.districts.size
    count, capacity = cadres_per_district(size, model.params)
    lived = size > 0
    assert np.all(count[lived] >= 1)
    # Effort in proportion to the residents, whatever the city's size.
    effort = count * capacity
    per_resident = effort[lived] / size[lived]
    p = Params()
    assert np.allclose(per_resident, p.cadres_per_1000 / 1000 * p.cadre_capacity)
    assert np.all(model.districts.service_capacity[lived] > 0)
    assert np.all(model.districts.arrest_capacity[lived] > 0)


def test_incidents_are_also_counted_per_ten_thousand():
    model = SocialManagementModel("baseline", n_residents=300, rng=2)
    model.run_for(3)
    table = model.outcome_table()
    assert np.allclose(table["incidents_per_10k"], table["mass_incidents"] * 10_000 / 300)
    assert np.allclose(table["largest_incident_per_10k"], table["largest_incident"] * 10_000 / 300)


@pytest.mark.parametrize("error", [1, 6])
def test_a_small_city_still_tells_the_two_sides_of_a_pair_apart(error):
    """At 300 residents Error 1 and Error 6's sides differ in trust (they were identical)."""
    pair = ERRORS[error]
    differences = []
    for seed in range(4):
        trust = {}
        for regime in (pair.error_regime, pair.remedy_regime):
            m = SocialManagementModel(regime, n_residents=300, rng=seed)
            m.run_for(104)
            trust[regime] = m.outcome_table()["mean_legitimacy"].iloc[1:].mean()
        differences.append(trust[pair.remedy_regime] - trust[pair.error_regime])
    assert all(d != 0 for d in differences)
    assert np.mean(differences) > 0
