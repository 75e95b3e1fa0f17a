#!/usr/bin/env bash
# Installs Debian's chromium for the classroom app's browser test
# (tests/test_classroom_browser.py), when it is missing and we can: root with
# apt-get. Playwright's own browser download needs the internet; Debian's
# package comes from the Debian mirror. Safe to run again; prints one line.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "setup-browser.sh: chromium is installed ($(/usr/bin/chromium --version 2>/dev/null | head -n 1))"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-browser.sh: chromium is missing; install Debian's 'chromium' package as root (the browser test is skipped until then)"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; then
  echo "setup-browser.sh: installed $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
else
  echo "setup-browser.sh: could not install chromium with apt-get; the browser test will be skipped"
fi
