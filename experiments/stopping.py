"""Stop signals (Ctrl-C's SIGINT, a scheduler's SIGTERM): one policy for every process.

A stop signal must end a run within seconds, keep every finished task and
never be taken for a task's failure. Python's defaults do none of that
reliably: SIGTERM kills the driver outright and leaves its worker processes
running; SIGINT raises :class:`KeyboardInterrupt` wherever the interpreter
happens to be, including inside a worker's idle loop (which kills the
worker) and inside numba-compiled code, whose dispatcher turns it into
``SystemError: CPUDispatcher(...) returned a result with an exception set``
(which looked like a failed task).

So every process that runs tasks installs :func:`on_stop_signal` for both
signals. The handler records the first signal in :data:`STATE` and raises
:class:`KeyboardInterrupt` only where raising is wanted (``STATE.raising``):
in the main program outside the model. Elsewhere the flag is polled
instead: by the runner's loop in the driver, which stops its workers,
commits what they finished and says how to resume, and by every worker and
every model loop between one run (or step) and the next. A task is never
interrupted by an exception: a :class:`KeyboardInterrupt` raised inside
the model's compiled code can crash the process (a segmentation fault in
the compiled week was seen, with Python's own handler too), so a worker
finishes the run in progress, and the driver kills workers that are not
back within :data:`experiments.runner.STOP_GRACE_SECONDS`. A task that
raises anything while the flag is set still counts as interrupted, which
is what catches numba's ``SystemError`` should an interrupt come through
anyway (from code whose handler is Python's default).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any

STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)


@dataclass
class StopState:
    """What this process knows of stop signals.

    Attributes:
        signum: The first stop signal received, or ``None``.
        raising: Whether the handler raises :class:`KeyboardInterrupt` now
            (otherwise it only records the signal, for a loop to poll).
        depth: Nesting depth of :func:`handling_stop_signals` contexts.
    """

    signum: int | None = None
    raising: bool = True
    depth: int = 0


STATE = StopState()


def on_stop_signal(signum: int, frame: FrameType | None) -> None:
    """Record a stop signal; raise :class:`KeyboardInterrupt` for the first, if raising.

    Later signals are only recorded: the stop is under way, and a second
    Ctrl-C must not break the commit of what was finished.
    """
    first = STATE.signum is None
    if first:
        STATE.signum = signum
    if first and STATE.raising:
        raise KeyboardInterrupt


def stop_requested() -> bool:
    """Whether a stop signal has arrived."""
    return STATE.signum is not None


def exit_status(signum: int | None) -> int:
    """The shell's status for a stop by ``signum``: 130 for SIGINT, 143 for SIGTERM."""
    return 128 + int(signum if signum is not None else signal.SIGINT)


def caused_by_interrupt(exc: BaseException) -> bool:
    """Whether ``exc`` is, or was raised because of, a stop.

    True for :class:`KeyboardInterrupt`, for any exception whose cause or
    context chain holds one (numba's ``SystemError``), and for any
    exception raised while a stop signal is recorded.
    """
    if stop_requested():
        return True
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


@contextlib.contextmanager
def handling_stop_signals(*, raising: bool = True) -> Iterator[StopState]:
    """Install :func:`on_stop_signal` for SIGINT and SIGTERM while inside.

    Nested use keeps the outer handlers; the outermost context resets the
    state on entry and restores the previous handlers on exit. A signal the
    process was started with ignored stays ignored (a shell starts
    background jobs with SIGINT ignored, so that Ctrl-C spares them).
    Outside the main thread signals cannot be handled, and this does nothing.

    Args:
        raising: Initial ``STATE.raising`` for the outermost context.
    """
    if threading.current_thread() is not threading.main_thread():
        yield STATE
        return
    previous: dict[signal.Signals, Any] = {}
    if STATE.depth == 0:
        STATE.signum = None
        STATE.raising = raising
        for sig in STOP_SIGNALS:
            if signal.getsignal(sig) is not signal.SIG_IGN:
                previous[sig] = signal.signal(sig, on_stop_signal)
    STATE.depth += 1
    try:
        yield STATE
    finally:
        STATE.depth -= 1
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def raising_stops(raising: bool) -> Iterator[None]:
    """Set ``STATE.raising`` while inside (a task: True; the runner's loop: False)."""
    before = STATE.raising
    STATE.raising = raising
    try:
        yield
    finally:
        STATE.raising = before


def install_in_worker(signals: tuple[signal.Signals, ...] = STOP_SIGNALS) -> None:
    """Make a worker process stop its task on ``signals``, and only its task.

    Called by the pool's initializer. The worker only records the signal:
    its batch ends after the task in progress and returns what it finished.

    Args:
        signals: The signals to handle so. A local pool's workers handle
            SIGINT only: their pool ends them with SIGTERM when it breaks,
            and waits for them to die while it holds its lock.
    """
    STATE.signum = None
    STATE.raising = False
    STATE.depth = 1
    for sig in signals:
        signal.signal(sig, on_stop_signal)
