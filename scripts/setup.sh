#!/usr/bin/env bash
# Sets up sixerrors in ./.venv: finds a Python >= 3.12, creates the virtual
# environment and installs the pinned dependencies (constraints.txt) and the
# package itself. Safe to run again: it does nothing when nothing changed.
#
#   bash scripts/setup.sh          # what users need to run the model
#   bash scripts/setup.sh --dev    # plus the test, lint and browser tools
#
# Set SIXERRORS_PYTHON=/path/to/python to choose the interpreter yourself.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    *) echo "setup.sh: unknown option '$arg' (use --dev or nothing)" >&2; exit 2 ;;
  esac
done

is_suitable() {  # a command that runs Python 3.12 or newer, with venv
  "$@" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

find_python() {
  local candidate
  if [ -n "${SIXERRORS_PYTHON:-}" ]; then
    if is_suitable "$SIXERRORS_PYTHON"; then echo "$SIXERRORS_PYTHON"; return 0; fi
    echo "setup.sh: SIXERRORS_PYTHON=$SIXERRORS_PYTHON is not a Python 3.12 or newer with venv" >&2
    return 1
  fi
  # Prefer 3.12: the lock file was made with it.
  for candidate in python3.12 python3.13 python3.14 python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 && is_suitable "$candidate"; then
      command -v "$candidate"; return 0
    fi
  done
  # pyenv installs that are not the active version (their shims refuse to run).
  local root="${PYENV_ROOT:-$HOME/.pyenv}"
  for candidate in "$root"/versions/3.12*/bin/python3 "$root"/versions/3.1[3-9]*/bin/python3 \
                   /usr/local/bin/python3.1[2-9] /opt/homebrew/bin/python3.1[2-9]; do
    if [ -x "$candidate" ] && is_suitable "$candidate"; then echo "$candidate"; return 0; fi
  done
  return 1
}

if [ -x .venv/bin/python ] && is_suitable .venv/bin/python; then
  python=.venv/bin/python
else
  if ! base=$(find_python); then
    echo "setup.sh: sixerrors needs Python 3.12 or newer and none was found (tried python3.12, python3.13, python3, python and pyenv's versions)." >&2
    echo "setup.sh: install one (Debian/Ubuntu: 'apt install python3.12 python3.12-venv'; macOS: 'brew install python@3.12'; any system: 'pyenv install 3.12') and run this again, or set SIXERRORS_PYTHON." >&2
    exit 2
  fi
  rm -rf .venv
  echo "setup.sh: creating .venv with $base ($("$base" --version 2>&1))"
  "$base" -m venv .venv
  python=.venv/bin/python
fi

extras=""
[ "$dev" = 1 ] && extras="[dev]" || extras=""
stamp=".venv/.installed-$dev"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  echo "setup.sh: installing sixerrors$extras with pinned versions (constraints.txt)"
  "$python" -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 | grep -v "is ignored" || true
  "$python" -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".$extras" 2>&1 \
    | grep -v "is ignored: it is neither" || true
  "$python" -c "import model, experiments" || { echo "setup.sh: installation failed; see the pip messages above" >&2; exit 1; }
  # Compile the model's hot loops once (cached on disk) so runs start fast.
  "$python" -m experiments.warmup
  touch "$stamp"
fi

if [ "$dev" = 1 ] && [ -f scripts/setup-browser.sh ]; then
  bash scripts/setup-browser.sh
fi
echo "setup.sh: ready ($(.venv/bin/python --version)); the command is .venv/bin/sixerrors"
