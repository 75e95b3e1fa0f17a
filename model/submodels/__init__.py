"""One module per process of ODD.md section 3: the compiled process functions the week runs.

Each module holds the process function(s) that :func:`model.schedule.week`
calls, written once, with every effect of its process inside. They take the
model's records by name (:class:`~model.population.Residents`, the network,
the districts, the organization table, the coefficients of
:class:`~model.params.Coefficients`) and change them in place; none imports
Mesa, and every draw is a counter-based uniform of :mod:`model.draws`, so the
tests call the same functions, with the same draws, as a model step.
"""
