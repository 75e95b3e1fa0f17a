"""``--help`` that shows every option's default: one formatter for every command.

``sixerrors`` and each of its benchmarks (``sixerrors bench WHICH``) print
their options with argparse. Its own :class:`argparse.ArgumentDefaultsHelpFormatter`
shows ``(default: None)`` where the default is "taken from elsewhere" (which
the option's help says) and ``(default: False)`` for every switch, noise a
reader learns to skip; the formatter here shows a default only where there
is one to show. It lives apart from ``experiments.cli`` so that a benchmark
can use it without importing the whole command line.
"""

from __future__ import annotations

import argparse


class DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` with every option's default, except where there is none to show.

    ``None`` means "from the spec file" or "the model's default", which the
    option's own help says; ``False`` is a switch that is off; a help text
    that already names its default is left alone. Defaults are compared by
    identity, not equality: ``0 == False`` in Python, and a seed of 0 is a
    default worth showing.
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        none_to_show = (
            default is None or default is False or default is argparse.SUPPRESS or default == []
        )
        if none_to_show or "default" in text:
            return text
        return super()._get_help_string(action)
