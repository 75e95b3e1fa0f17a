"""Everything that runs many models: the ``sixerrors`` command, comparisons,
sweeps, sensitivity analysis, the results store and the classroom app."""
