#!/usr/bin/env bash
# The whole test suite: lint and format (ruff), types (mypy) and tests (pytest).
# Fails on the first of them that fails. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
echo "== ruff"; "$py" -m ruff check model experiments tests scripts
"$py" -m ruff format --check model experiments tests scripts
echo "== mypy"; "$py" -m mypy
echo "== pytest"; "$py" -m pytest -n "${SIXERRORS_TEST_WORKERS:-2}" "$@"
