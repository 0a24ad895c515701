"""Waiting helpers shared by the integration tests: polling a condition, collecting hub events
from a raw WebSocket, and reading the server's SQLite file directly."""
import json
import os
import sqlite3
import time


def wait_for(fn, timeout=15, what="condition"):
    """Polls fn until it returns something truthy (beware: a requests.Response with an error
    status is falsy; return its body or a tuple instead)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def events_until(ws, pred, timeout=15):
    """Reads batch frames from a RawWS, collecting (topic, event) pairs until pred(collected)."""
    got = []
    deadline = time.time() + timeout
    while not pred(got):
        assert time.time() < deadline, f"events so far: {[(t, e['type']) for t, e in got]}"
        try:
            op, p = ws.recv_frame()
        except TimeoutError:
            continue  # a quiet topic for a while: keep waiting until the deadline
        if op == 1:
            f = json.loads(p)
            if f.get("op") == "batch":
                got.extend((f["topic"], e) for e in f["events"])
    return got


def db_rows(srv, sql, args=()):
    """Rows from the server's real SQLite file (WAL lets us read beside the running writer)."""
    con = sqlite3.connect(os.path.join(srv.data_dir, "switchboard.db"), timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


# --- PostgreSQL backend (issue 10) ---------------------------------------------------------
# Under SWITCHBOARD_IT_BACKEND=postgres the servers keep their rows in PostgreSQL (a schema per
# data dir, see conftest.py): db_rows then asks psql instead of opening the SQLite file. The
# tests' SQL is plain enough to run on both; `?` placeholders become quoted literals here.
_sqlite_db_rows = db_rows


def _pg_literal(value):
    if value is None:
        return "NULL"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def pg_rows(url, schema, sql, args=()):
    """Rows of one query through psql, as tuples with their JSON types (numbers stay numbers,
    text stays text, even when it is all digits)."""
    import subprocess
    parts = sql.split("?")
    assert len(parts) == len(args) + 1, "one argument per ? placeholder"
    text = parts[0] + "".join(_pg_literal(a) + p for a, p in zip(args, parts[1:]))
    wrapped = f"SELECT row_to_json(q) FROM ({text}) q"
    out = subprocess.run(
        ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url,
         "-c", f'SET search_path TO "{schema}"', "-c", wrapped],
        check=True, capture_output=True, text=True).stdout
    return [tuple(v for _, v in json.loads(line, object_pairs_hook=list)) for line in out.splitlines() if line]


def db_rows(srv, sql, args=()):  # noqa: F811 (chooses the backend the server runs on)
    url = srv.env.get("SWITCHBOARD_DATABASE_URL")
    if not url:
        return _sqlite_db_rows(srv, sql, args)
    return pg_rows(url, srv.env["SWITCHBOARD_DATABASE_SCHEMA"], sql, args)
