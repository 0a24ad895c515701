#!/usr/bin/env bash
# Autobahn TestSuite fuzzingclient against a WebSocket server that echoes (adapted from the team tools).
#
# usage: autobahn.sh ws://127.0.0.1:9001[/path] [CASES]
#   CASES: comma list of case patterns ('*' wildcard; items starting with '-' are excluded) and presets:
#          fast (default)  = 1.* .. 7.*, 10.*   (247 cases, ~15 s; no 9.* limits/perf, no 12.*/13.* deflate)
#          limits          = 9.*                (54 cases, ~70 s)
#          deflate-smoke   = 12.1.1-6, 12.2.1-2, 13.1-13.7 .1-2 (22 small permessage-deflate cases, ~1 min)
#          deflate-lite    = 12.G.1-6, 13.G.1-6 (72 small permessage-deflate cases, ~2.5 min)
#          deflate         = 12.*, 13.*         (216 cases, ~65 min with CPython 2.7 wstest)
#          all             = *                  (~517 cases, ~67 min)
#          e.g. 'fast,limits'  'fast,deflate-lite'  '*,-12.*,-13.*'  '6.4.*'  '7.1.5'
# env: AUTOBAHN_AGENT (name in the report, default "testee"), AUTOBAHN_OUT (default /tmp/autobahn/run-<ts>),
#      AUTOBAHN_FAIL_BY_DROP (true|false, default false), AUTOBAHN_TIMEOUT (s, default 7200)
# prints: autobahn: N ok, N non-strict, N informational, N unimplemented, N failed
# exit:   0 if no FAILED case, 1 if any FAILED, 2 on usage/setup/run error or when no case ran.
#
# wstest is Python-2-only: it runs from a Python 2.7 virtualenv ($AUTOBAHN_VENV, default ~/.cache/autobahn-py27), created if missing
# from pyenv's 2.7.18 with virtualenv 20.21.1 (last virtualenv that can create 2.7 environments).
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
VENV="${AUTOBAHN_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/autobahn-py27}"
PY27="${PY27:-/root/.pyenv/versions/2.7.18/bin/python2.7}"

URL="${1:-}"
CASES="${2:-fast}"
if [[ ! "$URL" =~ ^wss?:// ]]; then
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi

setup() {
  [[ -x "$VENV/bin/wstest" ]] && return 0
  echo "autobahn.sh: creating $VENV (Python 2.7)" >&2
  [[ -x "$PY27" ]] || { echo "autobahn.sh: no Python 2.7 at $PY27 (set PY27=...)" >&2; return 1; }
  python3 -m venv /tmp/venv-virtualenv && /tmp/venv-virtualenv/bin/pip install -q 'virtualenv==20.21.1' \
    && /tmp/venv-virtualenv/bin/virtualenv -q -p "$PY27" "$VENV" \
    && "$VENV/bin/pip" install -q --no-python-version-warning -r "$HERE/autobahn-requirements-py27.txt"
}
setup || exit 2

OUT="${AUTOBAHN_OUT:-/tmp/autobahn/run-$(date +%Y%m%d-%H%M%S)-$$}"
AGENT="${AUTOBAHN_AGENT:-testee}"
FBD="${AUTOBAHN_FAIL_BY_DROP:-false}"
mkdir -p "$OUT"

python3 - "$URL" "$CASES" "$OUT" "$AGENT" "$FBD" > "$OUT/spec.json" <<'EOF'
import json, sys
url, cases, out, agent, fbd = sys.argv[1:6]
presets = {
    "fast": ["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "10.*"],
    "limits": ["9.*"],
    "deflate-lite": [f"12.{g}.{k}" for g in range(1, 6) for k in range(1, 7)]
                    + [f"13.{g}.{k}" for g in range(1, 8) for k in range(1, 7)],
    "deflate-smoke": [f"12.1.{k}" for k in range(1, 7)] + ["12.2.1", "12.2.2"]
                     + [f"13.{g}.{k}" for g in range(1, 8) for k in (1, 2)],
    "deflate": ["12.*", "13.*"],
    "all": ["*"],
}
inc, exc = [], []
for c in (c.strip() for c in cases.split(",")):
    if not c:
        continue
    if c.startswith("-"):
        exc.append(c[1:])
    else:
        inc.extend(presets.get(c, [c]))
print(json.dumps({
    "options": {"failByDrop": fbd.lower() == "true"},
    "outdir": out + "/reports",
    "servers": [{"agent": agent, "url": url}],
    "cases": inc or ["*"],
    "exclude-cases": exc,
    "exclude-agent-cases": {},
}, indent=2))
EOF

START=$(date +%s)
( cd "$OUT" && timeout "${AUTOBAHN_TIMEOUT:-7200}" "$VENV/bin/wstest" -m fuzzingclient -s "$OUT/spec.json" ) > "$OUT/wstest.log" 2>&1
RC=$?
ELAPSED=$(( $(date +%s) - START ))
INDEX="$OUT/reports/index.json"
if [[ ! -s "$INDEX" ]]; then
  echo "autobahn: no report (wstest rc=$RC after ${ELAPSED}s, see $OUT/wstest.log)" >&2
  tail -5 "$OUT/wstest.log" >&2
  exit 2
fi

python3 - "$INDEX" "$ELAPSED" <<'EOF'
import json, sys
idx = json.load(open(sys.argv[1]))
res = {}
for agent, cases in idx.items():
    for cid, r in cases.items():
        res[cid] = r["behavior"]
n = lambda b: sum(1 for v in res.values() if v == b)
def key(c): return [int(x) for x in c.split(".")]
failed = sorted((c for c, v in res.items() if v == "FAILED"), key=key)
other = sorted((c for c, v in res.items() if v not in ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED")), key=key)
if not res:
    print("autobahn: 0 cases ran (server unreachable or no case matched; see wstest.log)", file=sys.stderr)
    sys.exit(2)
if failed:
    print("autobahn: FAILED cases: " + " ".join(failed[:40]) + (" ..." if len(failed) > 40 else ""), file=sys.stderr)
if other:
    print("autobahn: other behaviors: " + " ".join(f"{c}={res[c]}" for c in other[:20]), file=sys.stderr)
print(f"autobahn: {n('OK')} ok, {n('NON-STRICT')} non-strict, {n('INFORMATIONAL')} informational, "
      f"{n('UNIMPLEMENTED')} unimplemented, {n('FAILED')} failed")
print(f"autobahn: {len(res)} cases in {sys.argv[2]}s, report {sys.argv[1].rsplit('/', 1)[0]}/index.html", file=sys.stderr)
sys.exit(1 if failed or other else 0)
EOF
PRC=$?
if [[ $PRC == 2 ]]; then grep -m3 -iE "fail|error|refused" "$OUT/wstest.log" >&2; fi
exit $PRC
