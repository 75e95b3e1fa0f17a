"""Keep ``ODD.md`` in step with the code.

The parameter and outcome tables of ``ODD.md`` are generated from the
declarations (``model/params.py`` and ``model/outcomes.py``, where each name
is declared once), between marker comments, so they cannot drift.
``python -m experiments.odd`` rewrites them; ``tests/test_odd.py`` fails when
the file is out of date or when a submodel has no section.

Run: ``python -m experiments.odd [--check]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model.outcomes import OUTCOME_INFO
from model.params import DECLARATIONS, HYPOTHESES, Declaration

ODD_PATH = Path(__file__).resolve().parent.parent / "ODD.md"
SUBMODELS_DIR = Path(__file__).resolve().parent.parent / "model" / "submodels"
BLOCKS = ("PARAMETERS", "LEVERS", "OUTCOMES", "HYPOTHESES", "BASIS")


def _range(d: Declaration) -> str:
    if d.kind == "choice":
        return " / ".join(f"`{c}`" for c in d.choices)
    if d.kind == "bool":
        return "true / false"
    return f"{d.low:g} – {d.high:g}"


def _default(d: Declaration) -> str:
    if d.kind == "bool":
        return "true" if d.default else "false"
    if d.kind == "choice":
        return f"`{d.default}`"
    return f"{d.default:g}"


def declaration_table(levers: bool) -> str:
    """Markdown table of every world parameter (or every lever), grouped.

    The label column is the classroom's slider label, so a reader of ODD.md
    can find the parameter a teacher's screen shows.
    """
    rows = [
        "| name | label | group | default | range | unit | meaning |",
        "|---|---|---|---|---|---|---|",
    ]
    for d in DECLARATIONS.values():
        if d.is_lever == levers:
            rows.append(
                f"| `{d.name}` | {d.label} | {d.group} | {_default(d)} | {_range(d)} | {d.unit} "
                f"| {d.meaning} |"
            )
    return "\n".join(rows)


def _plausible(d: Declaration) -> str:
    if d.plausible is None:
        return "—"
    return f"{d.plausible[0]:g} – {d.plausible[1]:g}"


def hypothesis_table() -> str:
    """Markdown table of the hypothesis groups of assumed direct payoffs, with their parameters."""
    rows = ["| group | what it assumes | source | parameters |", "|---|---|---|---|"]
    for h in HYPOTHESES.values():
        names = ", ".join(f"`{d.name}`" for d in DECLARATIONS.values() if d.hypothesis == h.name)
        rows.append(f"| `{h.name}` | {h.claim} | {h.source} | {names} |")
    return "\n".join(rows)


def basis_table() -> str:
    """Markdown table of what every world parameter's default rests on, and its plausible range."""
    rows = [
        "| name | default | plausible range | assumed payoff | basis |",
        "|---|---|---|---|---|",
    ]
    for d in DECLARATIONS.values():
        if not d.is_lever:
            payoff = f"`{d.hypothesis}`" if d.hypothesis else ""
            rows.append(f"| `{d.name}` | {_default(d)} | {_plausible(d)} | {payoff} | {d.basis} |")
    return "\n".join(rows)


def outcome_table() -> str:
    """Markdown table of every outcome column."""
    better = {1: "higher", -1: "lower", 0: "—"}
    rows = ["| column | unit | better | meaning |", "|---|---|---|---|"]
    for o in OUTCOME_INFO.values():
        rows.append(f"| `{o.name}` | {o.unit} | {better[o.better]} | {o.meaning} |")
    return "\n".join(rows)


def generated_blocks() -> dict[str, str]:
    """The generated content of each marked block."""
    return {
        "PARAMETERS": declaration_table(levers=False),
        "LEVERS": declaration_table(levers=True),
        "OUTCOMES": outcome_table(),
        "HYPOTHESES": hypothesis_table(),
        "BASIS": basis_table(),
    }


def render(text: str) -> str:
    """``text`` with every marked block replaced by freshly generated content."""
    for name, content in generated_blocks().items():
        begin, end = f"<!-- BEGIN {name} (generated) -->", f"<!-- END {name} -->"
        if begin not in text or end not in text:
            raise ValueError(f"ODD.md lacks the markers {begin} ... {end}")
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = f"{head}{begin}\n{content}\n{end}{tail}"
    return text


def problems(path: Path = ODD_PATH) -> list[str]:
    """What is missing or stale in ``ODD.md``; empty when it is in step."""
    text = path.read_text(encoding="utf-8")
    found = []
    if render(text) != text:
        found.append("a generated table is stale: run 'python -m experiments.odd'")
    for module in sorted(SUBMODELS_DIR.glob("*.py")):
        if module.stem != "__init__" and f"`{module.stem}`" not in text:
            found.append(f"submodel module '{module.stem}' has no mention in ODD.md")
    return found


def main(argv: list[str] | None = None) -> int:
    """Rewrite the generated tables of ODD.md, or only check them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report what is stale")
    args = parser.parse_args(argv)
    if args.check:
        found = problems()
        for line in found:
            print(line, file=sys.stderr)
        return 1 if found else 0
    ODD_PATH.write_text(render(ODD_PATH.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"rewrote the generated tables of {ODD_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
