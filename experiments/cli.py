"""The ``sixerrors`` command: every verb, from ``run`` and ``compare`` to ``validate``.

The exit statuses in README.md (Running experiments) are the contract this
module keeps: every verb exits 0 on success and 2 on bad input, printing one
line ``sixerrors: error: ...`` that names the problem and the fix, never a
traceback; ``validate`` exits 1 when a check fails (the battery ran, the
model did not pass). A run in which some tasks failed exits 3, with the
count on the last line. Ctrl-C (SIGINT) exits 130 and SIGTERM 143, at any
moment, after saying what was kept and the exact ``--resume`` command that
finishes the job; but a Ctrl-C before any task finished (while the command
starts, loads or calibrates) exits 2, as bad input does: nothing was
computed, nothing is left to resume, and the line says how to start again.
Verbs are thin: they parse options,
validate (``experiments.specs``) and call the function that does the work
(``experiments.compare``, the engine's ``experiments.sweep`` and
``experiments.sensitivity``), so everything the command does can also be done
from Python and tested without a subprocess.
"""

from __future__ import annotations

import signal
import sys
import threading

# While the libraries load, a stop signal is only recorded: a KeyboardInterrupt
# raised inside a library's import can be swallowed by it (the command then
# ran to the end regardless), or break it into an ImportError. main() reads
# the record first. Signals the process was started with ignored stay so.
_STOPPED_WHILE_STARTING: list[int] = []
_BEFORE_START: dict[signal.Signals, object] = {}
if threading.current_thread() is threading.main_thread():
    for _sig in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(_sig) is not signal.SIG_IGN:
            _BEFORE_START[_sig] = signal.signal(
                _sig, lambda signum, frame: _STOPPED_WHILE_STARTING.append(signum)
            )

try:  # Ctrl-C while the libraries load must give one line, not a traceback
    import argparse
    import dataclasses
    import importlib
    import importlib.util
    import runpy
    import shlex
    import time
    import tomllib
    from collections.abc import Callable, Sequence
    from pathlib import Path
    from typing import Any, NoReturn

    from experiments import compare, specs, stopping
    from experiments.budget import BudgetError
    from experiments.compare import ComparisonError, Interrupted
    from experiments.helptext import (
        EXIT_BAD_INPUT,
        DefaultsHelpFormatter,
        non_negative_int,
        positive_int,
    )
    from experiments.run_summary import run_summary_lines
    from experiments.runner import (
        MPI_LAUNCH,
        RESUME_COMMAND,
        RunInterrupted,
        RunnerError,
        TasksFailed,
        WriteFailed,
        mpi_world_size,
    )
    from experiments.specs import SpecError
    from experiments.store import StoreError
    from model.params import DECLARATIONS, ParameterError, check_names
except KeyboardInterrupt:  # nothing has started, so nothing needs cleaning up
    import os
    import shlex

    _signum = _STOPPED_WHILE_STARTING[0] if _STOPPED_WHILE_STARTING else signal.SIGINT
    print(
        "sixerrors: interrupted while starting: nothing was computed and there is nothing to "
        f"resume; start again with: sixerrors {shlex.join(sys.argv[1:])}",
        file=sys.stderr,
        flush=True,
    )
    # Not SystemExit: an interrupt caught inside a half-done import can still
    # make the interpreter end itself by SIGINT on the way out.
    os._exit(2 if _signum == signal.SIGINT else 128 + _signum)
finally:
    for _restored, _handler in _BEFORE_START.items():
        signal.signal(_restored, _handler)  # type: ignore[arg-type]

PROG = "sixerrors"
DEFAULT_OUT = Path("results")
RUN_STEPS = 260
RUN_SEED = 0

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_TASKS_FAILED = 3  # EXIT_BAD_INPUT (2) comes from experiments.helptext
EXIT_INTERRUPTED = 130
"""Exit statuses: 0 every task succeeded, 1 a validation check failed (the
command worked; the model missed a pattern), 2 bad input (nothing computed
is lost), or Ctrl-C before any task finished (nothing was computed), 3 some
or all tasks failed, 130 Ctrl-C once a task finished (143 for SIGTERM, at any
moment: a job scheduler reads it)."""

EXPERIMENT_VERBS = ("compare", "sweep", "sensitivity", "discover")
"""Verbs that run tasks into a results folder, and so can say what was computed."""


class CommandError(Exception):
    """Bad input found by the command itself (one-line message with the fix)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``sixerrors: error: ...``), exit 2.

    argparse's default prints the whole usage block before the error; the
    contract wants one line naming the problem and the fix. Every verb's
    ``--help`` shows its description and its defaults
    (:class:`experiments.helptext.DefaultsHelpFormatter`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", DefaultsHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        verb = self.prog.removeprefix(PROG).strip()
        help_hint = f"{PROG} {verb} --help" if verb else f"{PROG} --help"
        self.exit(EXIT_BAD_INPUT, f"{PROG}: error: {message}; see '{help_hint}'\n")


# --------------------------------------------------------------------------- options


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse ``name=value`` from ``--set`` into a validated parameter value.

    The value is read as a TOML value (so ``0.8``, ``12``, ``true`` and
    ``erdos_renyi`` mean what they look like) and then checked against the
    parameter's declaration, so the command line and scenario files accept
    exactly the same things.

    Raises:
        CommandError: No ``=``.
        ParameterError: Unknown name (with the closest valid one) or bad value.
    """
    name, sep, raw = text.partition("=")
    name, raw = name.strip(), raw.strip()
    if not sep or not name:
        raise CommandError(f"--set {text!r} must look like name=value, e.g. --set tolerance=0.8")
    check_names([name])
    if name == "n_residents":
        raise CommandError("set the population size with --residents N, not --set n_residents")
    try:
        value: Any = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # a bare word such as erdos_renyi
    return name, DECLARATIONS[name].check(value)


def _executor_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("where to run")
    group.add_argument(
        "--workers",
        type=non_negative_int,
        default=None,
        metavar="W",
        help="local worker processes (default: one per core; 0: in this process)",
    )
    group.add_argument("--dask", metavar="ADDRESS", help="run on the Dask scheduler at ADDRESS")
    group.add_argument(
        "--mpi",
        action="store_true",
        help="run on MPI ranks (start with mpiexec -n N python -m mpi4py.futures -m "
        "experiments.cli ...)",
    )
    group.add_argument(
        "--resume",
        metavar="DIR",
        type=Path,
        help="finish the interrupted experiment in results folder DIR (its spec is reused)",
    )
    group.add_argument(
        "--allow-large",
        action="store_true",
        help="run even beyond 1,000,000 tasks or the machine's available memory",
    )


def _out_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        metavar="DIR",
        help="parent folder of the new results folder",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every verb (also used to print ``--help``)."""
    parser = _Parser(
        prog=PROG,
        description="Agent-based model of social-management policy: the six errors.",
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    verbs.required = True

    run_help = "one model run: outcomes table, figure and manifest"
    run = verbs.add_parser(
        "run",
        help=run_help,
        description=f"{run_help[0].upper()}{run_help[1:]}, in a new results folder; ends with "
        "a short summary of the outcomes (final week and time average over weeks 1..T).",
    )
    run.add_argument("--regime", default="baseline", metavar="NAME", help="a named regime")
    run.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a parameter or lever (repeatable), e.g. --set tolerance=0.8",
    )
    run.add_argument(
        "--residents",
        type=positive_int,
        default=None,
        metavar="N",
        help="residents (households); default: the model's declared default",
    )
    run.add_argument(
        "--steps",
        type=positive_int,
        default=RUN_STEPS,
        metavar="T",
        help="weekly steps to run (at least 1)",
    )
    run.add_argument(
        "--seed", type=non_negative_int, default=RUN_SEED, metavar="S", help="the run's seed"
    )
    _out_option(run)
    run.set_defaults(handler=_cmd_run)

    compare_help = "compare scenarios with paired replications; tables, figures, HTML report"
    compare = verbs.add_parser(
        "compare",
        help=compare_help,
        description="Compare scenarios with paired replications (common random numbers); "
        "writes tables, figures and a self-contained report.html.",
    )
    compare.add_argument(
        "scenarios",
        nargs="?",
        type=Path,
        metavar="SCENARIOS.toml",
        help="scenario file (default: every named regime and the six error pairs)",
    )
    for size, metavar, what in (
        ("replications", "R", "paired replications per scenario"),
        ("steps", "T", "weekly steps per run"),
        ("residents", "N", "residents per run"),
    ):
        compare.add_argument(
            f"--{size}",
            type=positive_int,
            default=None,
            metavar=metavar,
            help=f"{what}; default: the scenario file's",
        )
    compare.add_argument(
        "--seed",
        type=non_negative_int,
        default=None,
        metavar="S",
        help="root seed; default: the scenario file's",
    )
    _out_option(compare)
    _executor_options(compare)
    compare.set_defaults(handler=_cmd_compare)

    for name, helptext, handler in (
        ("sweep", "a factorial or Latin hypercube sweep from a spec file", _cmd_sweep),
        ("sensitivity", "Sobol or Morris sensitivity analysis from a spec file", _cmd_sensitivity),
        ("discover", "scenario discovery: where each pair's claim reverses (PRIM)", _cmd_discover),
    ):
        sub = verbs.add_parser(
            name, help=helptext, description=f"{helptext[0].upper()}{helptext[1:]}."
        )
        sub.add_argument(
            "spec",
            nargs="?",
            type=Path,
            metavar="SPEC.toml",
            default=specs.DEFAULT_DISCOVERY if name == "discover" else None,
            help="the spec file"
            + (
                " (default: experiments/scenarios/discover.toml, all six pairs)"
                if name == "discover"
                else ""
            ),
        )
        sub.add_argument(
            "--seed",
            type=non_negative_int,
            default=None,
            metavar="S",
            help="root seed; default: the spec's",
        )
        if name == "discover":
            for size in ("samples", "replications", "steps", "residents"):
                sub.add_argument(
                    f"--{size}",
                    type=positive_int,
                    default=None,
                    metavar="N",
                    help=f"replace the spec's {size}",
                )
        _out_option(sub)
        _executor_options(sub)
        sub.set_defaults(handler=handler)

    validate_help = "the pattern battery: named checks against stylized facts (exit 1 if one fails)"
    validate = verbs.add_parser(
        "validate",
        help=validate_help,
        description=f"{validate_help[0].upper()}{validate_help[1:]}.",
    )
    validate.add_argument(
        "--reduced",
        action="store_true",
        help="the test suite's reduced sizes (seconds) instead of the full battery",
    )
    validate.add_argument(
        "--check",
        dest="checks",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this check (repeatable; see --list)",
    )
    validate.add_argument("--list", action="store_true", help="list every check and exit")
    validate.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a world parameter for every run of every check (repeatable); a check's own "
        "settings win, e.g. --set reinforcement=0",
    )
    validate.add_argument(
        "--seed",
        type=non_negative_int,
        default=None,
        metavar="S",
        help=f"root seed; default: {specs.DEFAULT_SEED}",
    )
    _out_option(validate)
    validate.set_defaults(handler=_cmd_validate)

    bench = verbs.add_parser(
        "bench",
        help="benchmarks: model speed, Epstein, runner",
        description="Benchmarks: model speed, the Epstein mode, the runner, compare, the "
        "classroom, discovery. Arguments after the name go to the benchmark.",
    )
    bench.add_argument(
        "which",
        nargs="?",
        default="model",
        choices=sorted(BENCHMARKS),
        help="which benchmark",
    )
    bench.add_argument("args", nargs=argparse.REMAINDER, help="passed to the benchmark")
    bench.set_defaults(handler=_cmd_bench)

    classroom = verbs.add_parser(
        "classroom",
        help="the teaching app in the browser",
        description="The teaching app: an error and its remedy side by side, in the browser "
        "(works offline). Open the address it prints; Ctrl-C stops it.",
    )
    classroom.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to listen on: 127.0.0.1 is this computer only, 0.0.0.0 every "
        "network interface (pupils' own devices)",
    )
    classroom.add_argument("--port", type=positive_int, default=8765, help="TCP port")
    classroom.set_defaults(handler=_cmd_classroom)
    return parser


# --------------------------------------------------------------------------- verbs


def _cmd_run(args: argparse.Namespace) -> int:
    overrides = dict(parse_assignment(a) for a in args.assignments)
    folder = compare.run_single(
        args.regime,
        overrides=overrides,
        steps=args.steps,
        residents=args.residents,
        seed=args.seed,
        out=args.out,
    )
    for line in run_summary_lines(folder):
        print(line)
    print(folder)
    return EXIT_OK


def _cmd_compare(args: argparse.Namespace) -> int:
    if args.resume is not None:
        # The folder keeps its spec; a file given as well must be that spec.
        check = None
        if args.scenarios is not None:
            check = compare.load_spec(args.scenarios).with_settings(
                replications=args.replications,
                steps=args.steps,
                residents=args.residents,
                seed=args.seed,
            )
        folder = compare.resume_comparison(
            args.resume,
            workers=args.workers,
            dask=args.dask,
            mpi=args.mpi,
            expect=check,
            allow_large=args.allow_large,
        )
    else:
        spec = compare.load_spec(args.scenarios).with_settings(
            replications=args.replications,
            steps=args.steps,
            residents=args.residents,
            seed=args.seed,
        )
        folder = compare.run_comparison(
            spec,
            out=args.out,
            workers=args.workers,
            dask=args.dask,
            mpi=args.mpi,
            allow_large=args.allow_large,
        )
    print(folder)
    return EXIT_OK


def _engine_verb(
    module: str,
    function: str,
    loader: str,
    args: argparse.Namespace,
    *,
    summary: Callable[[Path], Sequence[str]] | None = None,
) -> int:
    """Validate a spec here, then hand it to the engine's sweep, sensitivity or discovery.

    The engine resumes by checking the spec against the folder's manifest, so
    ``--resume DIR`` needs the same spec file as the interrupted run.
    ``summary`` gives lines printed before the folder (which stays last).
    """
    verb = module.rsplit(".", 1)[-1]
    if args.spec is None:
        raise CommandError(
            f"give a SPEC.toml file (with --resume DIR, the same file as the first run); "
            f"see '{PROG} {verb} --help'"
        )
    spec: Any = getattr(specs, loader)(args.spec)
    sizes = {
        k: getattr(args, k, None) for k in ("samples", "replications", "steps", "residents", "seed")
    }
    if hasattr(spec, "with_sizes"):
        spec = spec.with_sizes(**sizes)
    elif args.seed is not None:
        spec = dataclasses.replace(spec, seed=args.seed)
    with stopping.raising_stops(False):  # not inside the engine's imports (see the top)
        engine = importlib.import_module(module)
    if stopping.stop_requested():
        raise KeyboardInterrupt
    run: Callable[..., Any] = getattr(engine, function)
    result = run(
        spec,
        out=args.out,
        workers=args.workers,
        dask=args.dask,
        mpi=args.mpi,
        resume=args.resume,
        allow_large=args.allow_large,
    )
    for line in summary(Path(result)) if summary is not None else ():
        print(line)
    print(result)
    return EXIT_OK


def resume_command(args: argparse.Namespace, folder: Path) -> str:
    """The exact command that finishes the experiment in ``folder``, where it ran.

    A comparison keeps its spec in the folder; a sweep, sensitivity
    analysis or discovery is checked against its spec file, so the file
    and the sizes given with it (``--seed``, ``--samples`` ...: they are
    part of the spec's hash) must come again. The executor options come
    again too, and an MPI run's launcher.
    """
    words = [PROG, args.verb]
    if args.verb != "compare":
        words.append(str(args.spec))
        for size in ("samples", "replications", "steps", "residents", "seed"):
            if getattr(args, size, None) is not None:
                words += [f"--{size}", str(getattr(args, size))]
    if args.workers is not None:
        words += ["--workers", str(args.workers)]
    if args.dask:
        words += ["--dask", args.dask]
    if args.mpi:
        launcher = MPI_LAUNCH.removesuffix(" ...").replace("-n N", f"-n {mpi_world_size()}")
        words = [launcher, *words[1:], "--mpi"]
    return " ".join([*words, "--resume", str(folder)])


def start_command(args: argparse.Namespace, argv: Sequence[str]) -> str:
    """The command as it was typed (``argv``), to start an experiment again from scratch.

    An MPI run's launcher comes first, as in :func:`resume_command`.
    """
    typed = f"{PROG} {shlex.join(argv)}"
    if getattr(args, "mpi", False):
        launcher = MPI_LAUNCH.removesuffix(" ...").replace("-n N", f"-n {mpi_world_size()}")
        typed = f"{launcher} {shlex.join(argv)}"
    return typed


def _cmd_sweep(args: argparse.Namespace) -> int:
    return _engine_verb("experiments.sweep", "run_sweep", "load_sweep", args)


def _cmd_sensitivity(args: argparse.Namespace) -> int:
    return _engine_verb("experiments.sensitivity", "run_sensitivity", "load_sensitivity", args)


def _discovery_headline(folder: Path) -> list[str]:
    from experiments.discover import headline_lines  # noqa: PLC0415 - heavy; this verb only

    return headline_lines(folder)


def _cmd_discover(args: argparse.Namespace) -> int:
    return _engine_verb(
        "experiments.discover", "run_discovery", "load_discovery", args, summary=_discovery_headline
    )


def _cmd_validate(args: argparse.Namespace) -> int:
    from experiments.validation import battery  # noqa: PLC0415 - the checks load their modes

    if args.list:
        for chosen in battery.select_checks(args.checks):
            print(f"{chosen.name} ({chosen.pattern}): {chosen.title} [{chosen.source}]")
        return EXIT_OK
    world = dict(parse_assignment(a) for a in args.assignments)
    levers = [name for name in world if DECLARATIONS[name].is_lever]
    if levers:
        raise CommandError(
            f"--set {levers[0]}: validate's --set takes world parameters; "
            f"{levers[0]} is a lever, which each check's regimes set"
        )
    folder, table = battery.run_battery(
        args.checks,
        reduced=args.reduced,
        seed=specs.DEFAULT_SEED if args.seed is None else args.seed,
        out=args.out,
        report=lambda lines: print(lines, flush=True),
        world=world,
    )
    failed = table.loc[table["status"] != "pass", "check"].tolist()
    size = "reduced" if args.reduced else "full"
    unsettled = int((table["settled"] == False).sum())  # noqa: E712 (None is not False)
    open_verdicts = f"; {unsettled} verdict(s) not settled by their interval" if unsettled else ""
    print(
        f"validate ({size}): {len(table) - len(failed)} of {len(table)} checks passed"
        f"{open_verdicts}"
    )
    print(folder)
    if failed:
        print(
            f"{PROG}: {len(failed)} check(s) failed: {', '.join(failed)}; "
            f"see {folder / 'summaries' / 'checks.csv'}",
            file=sys.stderr,
        )
        return EXIT_CHECK_FAILED
    return EXIT_OK


BENCHMARKS = {
    "model": "experiments.bench.model",
    "epstein": "experiments.bench.epstein",
    "runner": "experiments.bench.runner",
    "compare": "experiments.bench.compare",
    "classroom": "experiments.bench.classroom",
    "discover": "experiments.bench.discover",
}
"""``sixerrors bench WHICH`` -> module run as ``python -m MODULE``."""


def _cmd_bench(args: argparse.Namespace) -> int:
    module = BENCHMARKS[args.which]
    if importlib.util.find_spec(module) is None:
        raise CommandError(f"benchmark module {module} is not installed yet; update the package")
    saved = sys.argv
    sys.argv = [module, *args.args]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    finally:
        sys.argv = saved
    return EXIT_OK


def _cmd_classroom(args: argparse.Namespace) -> int:
    from experiments.classroom.address import AddressError, check_address  # noqa: PLC0415

    # Before the web framework loads: a port in use is one line, at once.
    try:
        check_address(args.host, args.port)
    except AddressError as exc:
        raise CommandError(str(exc)) from None
    try:
        app = importlib.import_module("experiments.classroom.app")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("experiments.classroom"):
            raise CommandError(
                "the classroom app is not part of this version yet; "
                "update sixerrors or use the notebooks in notebooks/"
            ) from None
        raise
    serve: Callable[[str, int], Any] | None = getattr(app, "serve", None)
    if serve is None:
        raise CommandError("the classroom app has no serve(); update sixerrors")
    code = serve(args.host, args.port)
    return code if isinstance(code, int) else EXIT_OK


# --------------------------------------------------------------------------- main


BAD_INPUT: tuple[type[BaseException], ...] = (
    CommandError,
    BudgetError,
    ParameterError,
    SpecError,
    StoreError,
    RunnerError,
    ComparisonError,
    FileNotFoundError,
    NotADirectoryError,
    PermissionError,
)
"""Exceptions that mean bad input (exit 2), from every layer that may raise them."""


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror or exc}; check the path"
    text = str(exc).strip().replace("\n", " ")
    return text or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sixerrors`` command; return its exit status.

    Args:
        argv: Arguments without the program name (default: ``sys.argv[1:]``).
    """
    if _STOPPED_WHILE_STARTING:
        typed = sys.argv[1:] if argv is None else argv
        print(
            f"{PROG}: interrupted while starting: nothing was computed and there is nothing to "
            f"resume; start again with: {PROG} {shlex.join(typed)}",
            file=sys.stderr,
        )
        signum = _STOPPED_WHILE_STARTING[0]
        return EXIT_BAD_INPUT if signum == signal.SIGINT else stopping.exit_status(signum)
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    handler: Callable[[argparse.Namespace], int] = args.handler
    with stopping.handling_stop_signals():
        return _run_verb(handler, args, argv)


def _run_verb(
    handler: Callable[[argparse.Namespace], int],
    args: argparse.Namespace,
    argv: Sequence[str] = (),
) -> int:
    """Run a verb and turn how it ended into one line and an exit status.

    While it runs, the runner knows the exact command that resumes it
    (:data:`experiments.runner.RESUME_COMMAND`), for the messages it gives
    itself: under MPI, and when a cluster loses its workers.
    """
    started = time.monotonic()
    token = RESUME_COMMAND.set(lambda folder: resume_command(args, folder))
    try:
        return handler(args)
    except (KeyboardInterrupt, Exception) as exc:
        ending = _ending(exc, args, time.monotonic() - started, argv)
        if ending is None:
            raise
        line, status = ending
        print(f"{PROG}: {line}", file=sys.stderr)
        return status
    finally:
        RESUME_COMMAND.reset(token)


def _ending(
    exc: BaseException,
    args: argparse.Namespace,
    seconds: float,
    argv: Sequence[str] = (),
) -> tuple[str, int] | None:
    """The last line and exit status for a verb that raised ``exc`` (None: a bug)."""
    if isinstance(exc, KeyboardInterrupt | Interrupted):
        return _interrupted(exc, args, seconds, argv)
    if isinstance(exc, TasksFailed):
        return (
            f"{exc}; fix the cause, then finish with: {resume_command(args, exc.folder)}",
            EXIT_TASKS_FAILED,
        )
    if isinstance(exc, WriteFailed):
        return (
            f"error: {exc}; free space or fix the folder, then finish with: "
            f"{resume_command(args, exc.folder)}",
            EXIT_BAD_INPUT,
        )
    if isinstance(exc, BAD_INPUT + _engine_errors()):
        return f"error: {_one_line(exc)}", EXIT_BAD_INPUT
    return None


def _interrupted(
    exc: BaseException,
    args: argparse.Namespace,
    seconds: float,
    argv: Sequence[str],
) -> tuple[str, int]:
    """The last line and exit status of a verb a stop signal ended.

    Ctrl-C before any task finished exits 2: nothing was computed, so there
    is nothing to resume, only a command to start again. Once a task has
    finished it exits 130 with the resume command; SIGTERM always exits 143,
    which is what a job scheduler looks for.
    """
    nothing = "nothing was computed and there is nothing to resume; start again with"
    if isinstance(exc, RunInterrupted):
        if exc.nothing_done and exc.signum == signal.SIGINT:
            again = start_command(args, argv) if exc.removed else resume_command(args, exc.folder)
            return f"interrupted before any task finished: {nothing}: {again}", EXIT_BAD_INPUT
        return (
            f"interrupted; {exc.kept} of {exc.total} tasks are kept in {exc.folder}; "
            f"finish with: {resume_command(args, exc.folder)}",
            stopping.exit_status(exc.signum),
        )
    if isinstance(exc, Interrupted):  # `run` says what it kept
        return str(exc), stopping.exit_status(stopping.STATE.signum)
    signum = stopping.STATE.signum or signal.SIGINT
    if args.verb in EXPERIMENT_VERBS:  # no session began: no task ran
        status = EXIT_BAD_INPUT if signum == signal.SIGINT else stopping.exit_status(signum)
        return f"interrupted before any task ran: {nothing}: {start_command(args, argv)}", status
    return f"interrupted after {seconds:.0f} s; nothing was kept", stopping.exit_status(signum)


def _engine_errors() -> tuple[type[BaseException], ...]:
    """One-line errors of engine modules, if loaded (importing SALib just to catch is slow)."""
    found: list[type[BaseException]] = []
    for module, name in (
        ("experiments.designs", "DesignError"),
        ("experiments.sensitivity", "AnalysisError"),
        ("experiments.validation.battery", "ValidationError"),
    ):
        kind = getattr(sys.modules.get(module), name, None)
        if isinstance(kind, type) and issubclass(kind, BaseException):
            found.append(kind)
    return tuple(found)


if __name__ == "__main__":
    sys.exit(main())
