#!/usr/bin/env bash
# Re-pin every dependency deliberately: build a clean venv from pyproject.toml
# without constraints, then freeze it into constraints.txt. Review the diff,
# run the tests, and record notable upgrades in CHANGELOG.md.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${SIXERRORS_PYTHON:-python3.12}
tmp=$(mktemp -d)
"$python" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --upgrade pip
"$tmp/venv/bin/pip" install --quiet -e ".[dev]"
{
  echo "# Pinned versions of every dependency, made with Python 3.12 on Linux (pip freeze)."
  echo "# scripts/setup.sh installs with \"-c constraints.txt\" so a fresh install in a year"
  echo "# resolves the same. Refresh deliberately: scripts/refresh-constraints.sh"
  "$tmp/venv/bin/pip" freeze --exclude-editable | grep -vi '^sixerrors'
} > constraints.txt
rm -rf "$tmp"
echo "constraints.txt refreshed; review 'git diff constraints.txt'"
