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
from typing import Any, NoReturn


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


EXIT_BAD_INPUT = 2
"""Exit status of a command given bad input (one line on stderr names the problem)."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``PROG: error: ...; see '...'``), exit 2.

    argparse's default prints the whole usage block before the error; the
    project's contract is one line naming the problem and the fix. Every
    ``--help`` shows its defaults (:class:`DefaultsHelpFormatter`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", DefaultsHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        """Print one line and exit with :data:`EXIT_BAD_INPUT`."""
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}; see '{self.prog} --help'\n")


def _whole_number(text: str, least: int, bound: str) -> int:
    """``text`` as a whole number of at least ``least``; ``bound`` words the limit."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"{value} must be {bound}")
    return value


def positive_int(text: str) -> int:
    """An option's whole number of at least 1 (argparse ``type``)."""
    return _whole_number(text, 1, "at least 1")


def non_negative_int(text: str) -> int:
    """An option's whole number of zero or more (argparse ``type``)."""
    return _whole_number(text, 0, "zero or more")


def positive_ints(text: str) -> list[int]:
    """A comma-separated list of whole numbers of at least 1 (argparse ``type``)."""
    return [positive_int(part) for part in text.split(",") if part.strip()] or [positive_int(text)]
