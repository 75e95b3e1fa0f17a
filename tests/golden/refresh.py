"""Refresh the golden values after an intended change in model behaviour.

Run ``python -m tests.golden.refresh`` (from the project folder), then
record the behaviour change in CHANGELOG.md. Tests never write this file.
"""

from tests.golden.cases import VALUES, compute

if __name__ == "__main__":
    compute().to_csv(VALUES, float_format="%.17g")
    print(f"wrote {VALUES}; record the change under 'Model behaviour' in CHANGELOG.md")
