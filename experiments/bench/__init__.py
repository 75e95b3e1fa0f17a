"""Benchmarks, one module each, run as ``sixerrors bench WHICH`` or ``python -m``.

``model`` (speed and memory of the main model), ``epstein`` (the reference
mode against Mesa's example), ``runner`` (overhead of the experiment
machinery and the Sobol job), ``compare`` (the default ``sixerrors compare``)
``classroom`` (one tick of the teaching app) and ``discover`` (scenario
discovery for the six pairs). They live apart from the
``model`` package and from the experiment modules they measure, so that
what a run imports holds no timing code; none is imported by a run.
"""
