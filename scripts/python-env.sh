#!/usr/bin/env bash
# Creates the test virtualenv (once) and installs the Python packages the tests use.
set -euo pipefail
VENV="${1:-.venv}"
REQ="$(dirname "$0")/../Tests/integration/requirements.txt"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
stamp="$VENV/.req-$(sha256sum "$REQ" | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQ"
  if [ -f "$(dirname "$0")/../clients/python/pyproject.toml" ]; then
    "$VENV/bin/pip" install -q --disable-pip-version-check -e "$(dirname "$0")/../clients/python"
  fi
  touch "$stamp"
fi
