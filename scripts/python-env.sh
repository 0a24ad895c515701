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
# The official Socket.IO JS client bundle (v4.8.1), for the browser test of /socket.io/: no Debian
# package ships it; NiceGUI's wheel on PyPI does (nicegui/static/socket.io.min.js). Only the wheel
# is fetched (no dependencies), and only that file is kept.
SIO_JS="$VENV/share/socketio/socket.io.min.js"
if [ ! -f "$SIO_JS" ]; then
  tmp=$(mktemp -d)
  "$VENV/bin/pip" download -q --disable-pip-version-check --no-deps -d "$tmp" nicegui==3.18.0
  mkdir -p "$(dirname "$SIO_JS")"
  "$VENV/bin/python" -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("nicegui/static/socket.io.min.js"))' \
      "$tmp"/nicegui-3.18.0-py3-none-any.whl >"$SIO_JS.part"
  mv "$SIO_JS.part" "$SIO_JS"
  rm -rf "$tmp"
fi
