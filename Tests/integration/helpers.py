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
