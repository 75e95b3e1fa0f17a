"""Process 11, ``send_reinforcements``: higher levels come to a district its crowds overwhelm.

A district's own control can reach only so many protesters a week
(``Districts.arrest_capacity``). In China, a mass incident that outgrows the
local police does not go on for months: county and city leaders come, and
the People's Armed Police and police of other districts are sent in, until
the crowd is dispersed or settled (Tanner 2004 on the PAP's role in
handling unrest; Cai 2008 on local governments' repression of popular
resistance and its limits). Without this, a district whose crowd outgrew
its control would stay in the street, because Epstein's arrest probability
falls as the crowd grows.

What higher levels send is control effort that arrests by the city's
``repression``, or by higher levels' own ``forces_repression`` as far as
``forces_autonomy`` says they follow their own orders
(``Districts.arrest_probability``, :func:`model.cadres.district_effort`):
following a tolerant city's policy, they deter little; on their own orders,
they arrest where the city would not.
It has the costs of any control: arrests make victims and backlash. The
forces are paid from above (the People's Armed Police has its own budget),
not from the city's livelihood budget. It can fail:
the forces arrive the week after the incident that called them, and a
crowd they arrest turns its neighbours against the state.
"""

from __future__ import annotations

from model.types import FloatArray, IntArray

FORCES_GONE = 0.01
"""Control effort per district below which the last of the forces goes home.

A hundredth of a case a week deters no one; without this cut, forces that
withdraw by a share each week would never reach zero, and the model would
recompute every district's effort every week for nothing.
"""


def send_reinforcements(
    forces: FloatArray,
    crowd: IntArray,
    arrest_capacity: FloatArray,
    *,
    reinforcement: float,
    withdrawal: float,
) -> FloatArray:
    """The outside forces in each district next week.

    Each week a share ``withdrawal`` of the forces present leaves; and
    where this week's mass incidents held more protesters than the
    district's control could reach (its arrest capacity, forces present
    included), higher levels send ``reinforcement`` units of control effort
    per protester beyond that reach. Forces below :data:`FORCES_GONE` go
    home. The districts are few, so this is plain array code, called by
    the model in a step with an incident or with forces present.

    Args:
        forces: Control effort sent from above and present this week, per district.
        crowd: Protesters in this week's mass incidents, per district,
            counted as the incidents formed (``Incidents.protesters_by_district``).
        arrest_capacity: Residents each district's control, forces
            included, could reach this week.
        reinforcement: Control effort sent per protester beyond the district's reach.
        withdrawal: Share of the forces present that leaves each week.

    Returns:
        The forces per district from next week on.
    """
    beyond_reach = (crowd - arrest_capacity).clip(min=0.0)
    staying = forces * (1.0 - withdrawal) + reinforcement * beyond_reach
    staying[staying < FORCES_GONE] = 0.0
    return staying
