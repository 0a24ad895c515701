"""Switchboard on PostgreSQL (issue 10): start-up errors, several nodes on one database (shared
inbox, duplicates across nodes, kill -9 takeover within the lease), and a database outage
(503s, health, alert, recovery). Runs against the throwaway server of scripts/with-postgres.sh;
the outage test starts one of its own, since it stops it."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest
import requests

import jwt_helper
from conftest import BIN, ServerProcess
from helpers import events_until, pg_rows, wait_for
from wsraw import RawWS

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "clients", "python"))
from switchboard_sim import payloads, sign, wire  # noqa: E402

APP_SECRET = "whatsapp-app-secret"
SECRET = "integration-secret-0123456789abcdef"
API_KEY = "integration-api-key-0123456789"
ENV = {"SWITCHBOARD_AUTH_SECRET": SECRET, "SWITCHBOARD_API_KEY": API_KEY, "SWITCHBOARD_WA_APP_SECRET": APP_SECRET}
THROWAWAY = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "pg-throwaway.sh")


def post(srv, raw):
    h = {"Content-Type": "application/json", "X-Hub-Signature-256": sign.signature(APP_SECRET, raw)}
    return requests.post(srv.base + "/webhooks/whatsapp", data=raw, headers=h, timeout=10)


def fresh_schema():
    return "nodes_" + os.urandom(6).hex()


def node(server_factory, url, schema, **env):
    return server_factory(env={**ENV, "SWITCHBOARD_DATABASE_URL": url, "SWITCHBOARD_DATABASE_SCHEMA": schema, **env})


def count(url, schema, sql):
    return pg_rows(url, schema, sql)[0][0]


def drain(ws, seconds):
    """Every event of the batch frames that arrive within `seconds`."""
    events = []
    ws.sock.settimeout(0.3)
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            op, payload = ws.recv_frame()
        except TimeoutError:
            continue
        if op == 1:
            frame = json.loads(payload)
            if frame.get("op") == "batch":
                events += frame["events"]
    return events


def test_bad_database_url_stops_startup_with_one_line_without_the_password():
    for url in ["postgresql://someone:pw-s3cret@127.0.0.1:1/db", "mysql://someone:pw-s3cret@host/db"]:
        data = tempfile.mkdtemp(prefix="sb-test-")
        env = {**os.environ, **ENV, "SWITCHBOARD_DATABASE_URL": url}
        out = subprocess.run([BIN, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", data],
                             env=env, capture_output=True, text=True, timeout=30)
        assert out.returncode != 0
        lines = [line for line in (out.stdout + out.stderr).splitlines() if "SWITCHBOARD_DATABASE_URL" in line]
        assert len(lines) == 1, out.stdout + out.stderr
        assert "pw-s3cret" not in out.stdout + out.stderr


def test_two_nodes_share_the_inbox_absorb_duplicates_and_apply_each_row_once(server_factory, pg_url):
    schema = fresh_schema()
    a = node(server_factory, pg_url, schema).start()
    b = node(server_factory, pg_url, schema).start()
    watchers = []
    for srv in (a, b):
        ws = RawWS(srv.port, "/ws?token=" + jwt_helper.token(SECRET, "agent", ["conversation.*"]))
        ws.send_text(json.dumps({"op": "subscribe", "id": 1, "topics": ["conversation.*"]}))
        assert json.loads(ws.recv_frame()[1])["op"] == "ack"
        watchers.append(ws)
    bodies = [wire.dumps(payloads.envelope([payloads.text_message(f"1555000{i % 7:04d}", f"m{i}")])) for i in range(60)]
    for i, raw in enumerate(bodies):
        assert post((a, b)[i % 2], raw).status_code == 200
        if i % 5 == 0:  # the same delivery again, to the other node
            assert post((b, a)[i % 2], raw).status_code == 200
    wait_for(lambda: count(pg_url, schema, "SELECT count(*) FROM inbox WHERE status <> 'done'") == 0, timeout=30,
             what="every row applied")
    assert count(pg_url, schema, "SELECT count(*) FROM inbox") == 60 + 12
    assert count(pg_url, schema, "SELECT count(*) FROM messages") == 60
    assert count(pg_url, schema, "SELECT coalesce(sum(unread_count), 0) FROM conversations") == 60
    # Each message.received published once in the cluster (by the node that applied its row).
    received = sum(1 for ws in watchers for e in drain(ws, seconds=1.5) if e["type"] == "message.received")
    assert received == 60
    # Reads answer the same on both nodes.
    admin = {"Authorization": "Bearer " + API_KEY}
    agent = {"Authorization": "Bearer " + jwt_helper.token(SECRET, "agent", ["inbox", "conversation.*"])}
    lists = [requests.get(s.base + "/api/conversations", headers=agent).json() for s in (a, b)]
    assert lists[0] == lists[1]
    letters = [requests.get(s.base + "/api/admin/dead-letters", headers=admin) for s in (a, b)]
    assert letters[0].status_code == letters[1].status_code == 200 and letters[0].json() == letters[1].json()


def test_a_node_killed_with_kill_9_has_its_work_taken_over_within_the_lease(server_factory, pg_url):
    schema = fresh_schema()
    lease_s = 3
    a = node(server_factory, pg_url, schema, SWITCHBOARD_LEASE_S=str(lease_s)).start()
    # a starts first and holds the inbox lease once it has polled.
    wait_for(lambda: count(pg_url, schema, "SELECT count(*) FROM leases WHERE name = 'inbox'") == 1, what="a holds the lease")
    b = node(server_factory, pg_url, schema, SWITCHBOARD_LEASE_S=str(lease_s)).start()
    with open(os.path.join(a.data_dir, "node_id")) as f:
        a_id = f.read().strip()
    assert pg_rows(pg_url, schema, "SELECT holder FROM leases WHERE name = 'inbox'") == [(a_id,)]
    # Freeze a: from now on it applies nothing, but its lease and any claim stay in the table.
    os.kill(a.proc.pid, signal.SIGSTOP)
    acknowledged = 0
    for i in range(40):
        raw = wire.dumps(payloads.envelope([payloads.text_message(f"1555111{i % 5:04d}", f"k{i}")]))
        if post(b, raw).status_code == 200:
            acknowledged += 1
    assert acknowledged == 40
    killed_at = time.time()
    a.kill9()
    wait_for(lambda: count(pg_url, schema, "SELECT count(*) FROM inbox WHERE status <> 'done'") == 0,
             timeout=lease_s + 20, what="b applied everything")
    takeover_s = time.time() - killed_at
    assert takeover_s < lease_s + 5, takeover_s
    assert count(pg_url, schema, "SELECT count(*) FROM messages") == 40
    assert count(pg_url, schema, "SELECT coalesce(sum(unread_count), 0) FROM conversations") == 40
    assert pg_rows(pg_url, schema, "SELECT holder FROM leases WHERE name = 'inbox'") != [(a_id,)]


def test_database_outage_answers_503_raises_the_alert_and_recovers_by_itself(server_factory):
    pg_dir = tempfile.mkdtemp(prefix="sb-pg-outage-")
    url = subprocess.run(["bash", THROWAWAY, "start", pg_dir], check=True, capture_output=True, text=True).stdout.strip()
    try:
        srv = server_factory(env={**ENV, "SWITCHBOARD_DATABASE_URL": url, "SWITCHBOARD_HEALTH_INTERVAL_S": "0.3",
                                  "SWITCHBOARD_ALERT_INTERVAL_S": "0.3", "SWITCHBOARD_ALERT_FOR_S": "0",
                                  "SWITCHBOARD_HEALTH_DB_TIMEOUT_MS": "1000"}).start()
        ws = RawWS(srv.port, "/ws?token=" + jwt_helper.token(SECRET, "ops", ["*"]))
        ws.send_text(json.dumps({"op": "subscribe", "id": 1, "topics": ["alerts"]}))
        assert json.loads(ws.recv_frame()[1])["op"] == "ack"
        first = wire.dumps(payloads.envelope([payloads.text_message("15552220000", "before")]))
        assert post(srv, first).status_code == 200
        wait_for(lambda: requests.get(srv.base + "/health").status_code == 200, what="healthy")

        subprocess.run(["bash", THROWAWAY, "pause", pg_dir], check=True)
        during = wire.dumps(payloads.envelope([payloads.text_message("15552220000", "during")]))
        codes = [post(srv, during).status_code for _ in range(5)]
        assert 200 not in codes and set(codes) == {503}, codes
        body = wait_for(lambda: (lambda r: r.json() if r.status_code == 503 else None)(requests.get(srv.base + "/health")),
                        timeout=20, what="health 503")
        assert body["services"]["database"]["status"] == "error"
        fired = events_until(ws, lambda g: any(e["type"] == "alert.firing" and e["data"]["key"] == "database.unhealthy"
                                               for _, e in g), timeout=20)
        assert fired

        subprocess.run(["bash", THROWAWAY, "resume", pg_dir], check=True)
        after = wire.dumps(payloads.envelope([payloads.text_message("15552220000", "after")]))
        wait_for(lambda: post(srv, after).status_code == 200, timeout=20, what="webhooks accepted again")
        wait_for(lambda: requests.get(srv.base + "/health").status_code == 200, timeout=20, what="healthy again")
        wait_for(lambda: pg_rows(url, "switchboard", "SELECT count(*) FROM messages")[0][0] == 2, timeout=20,
                 what="both acknowledged messages applied")
    finally:
        subprocess.run(["bash", THROWAWAY, "stop", pg_dir], check=False)
