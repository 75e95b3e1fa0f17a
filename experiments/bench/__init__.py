"""Benchmarks, one module each, run as ``sixerrors bench WHICH`` or ``python -m``.

``model`` (speed and memory of the main model), ``epstein`` (the reference
mode against Mesa's example), ``runner`` (overhead of the experiment
machinery and the Sobol job), ``compare`` (the default ``sixerrors compare``)
``classroom`` (one tick of the teaching app) and ``discover`` (scenario
discovery for the six pairs). They live apart from the
``model`` package and from the experiment modules they measure, so that
what a run imports holds no timing code; none is imported by a run.
"""

from __future__ import annotations

import argparse

from experiments.helptext import OneLineParser


def description(doc: str | None) -> str:
    """A benchmark's ``--help`` description: its module docstring's first paragraph.

    The docstring is written once for readers of the code; its first
    paragraph says what the benchmark measures, which is what ``--help``
    needs. reStructuredText's double backticks are dropped.
    """
    first = (doc or "").strip().split("\n\n")[0]
    return " ".join(first.replace("``", "").split())


def bench_parser(which: str, doc: str | None) -> argparse.ArgumentParser:
    """The argument parser of ``sixerrors bench WHICH``.

    Every benchmark is documented as a verb of ``sixerrors``, so its
    ``--help`` says ``usage: sixerrors bench WHICH`` (argparse would
    otherwise name the module file, "model.py", when ``sixerrors bench``
    runs it), describes what it measures and shows every option's default;
    a usage error is one line and exit status 2.

    Args:
        which: The benchmark's name (``model``, ``compare``, ...).
        doc: The module's docstring (its first paragraph is the description).
    """
    return OneLineParser(prog=f"sixerrors bench {which}", description=description(doc))
