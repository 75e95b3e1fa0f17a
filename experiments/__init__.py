"""Everything that runs many models.

The ``sixerrors`` command, comparisons, sweeps, sensitivity analysis, the
results store and the classroom app; it imports ``model``, never the reverse.
"""
