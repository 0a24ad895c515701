"""Observability against the real server: the browser log endpoint, correlation ids from a webhook
to its event and log lines, health,
Prometheus metrics moving with traffic, alerts firing and resolving, the error envelope."""
import json
import os
import sys
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

import jwt_helper
from helpers import events_until, wait_for
from wsraw import RawWS

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "clients", "python"))
from switchboard_sim import payloads, sign, wire  # noqa: E402

APP_SECRET = "whatsapp-app-secret"
SECRET = "integration-secret-0123456789abcdef"
API_KEY = "integration-api-key-0123456789"
ENV = {"SWITCHBOARD_AUTH_SECRET": SECRET, "SWITCHBOARD_API_KEY": API_KEY, "SWITCHBOARD_WA_APP_SECRET": APP_SECRET,
       "SWITCHBOARD_CORS_ORIGINS": "http://app.example", "SWITCHBOARD_HEALTH_INTERVAL_S": "0.3",
       "SWITCHBOARD_ALERT_INTERVAL_S": "0.3", "SWITCHBOARD_ALERT_FOR_S": "0"}
ADMIN = {"Authorization": "Bearer " + API_KEY}


@pytest.fixture
def obs(server_factory):
    def make(data_dir=None, **env):
        return server_factory(env={**ENV, **env}, data_dir=data_dir).start()
    return make


def post_webhook(srv, raw, headers=None):
    h = {"Content-Type": "application/json", "X-Hub-Signature-256": sign.signature(APP_SECRET, raw)}
    h.update(headers or {})
    return requests.post(srv.base + "/webhooks/whatsapp", data=raw, headers=h)




def ops_ws(srv, topics):
    ws = RawWS(srv.port, "/ws?token=" + jwt_helper.token(SECRET, "ops", ["*"]))
    ws.send_text(json.dumps({"op": "subscribe", "id": 1, "topics": list(topics)}))
    assert json.loads(ws.recv_frame()[1])["op"] == "ack"
    return ws




def log_lines(srv):
    out = []
    for line in srv.logs().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def metrics(srv):
    text = requests.get(srv.base + "/metrics").text
    samples = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def assert_envelope(r, status, code=None):
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "request_id"}, body
    assert body["error"]["request_id"] == r.headers["X-Request-ID"]
    if code:
        assert body["error"]["code"] == code


# --- browser logs ---------------------------------------------------------------------------

def test_log_batch_valid_both_shapes_and_lines(obs):
    srv = obs()
    entries = [{"level": "warn", "message": "line one\n{\"level\":\"critical\",\"msg\":\"forged\"}", "timestamp": "2026-01-01T00:00:00Z",
                "data": {"page": "/inbox"}},
               {"level": "bogus", "message": "x" * 10000, "timestamp": 1767225600000}]
    r = requests.post(srv.base + "/api/logging/batch", json=entries, headers={"X-Request-ID": "browser-1"})
    assert r.status_code == 200 and r.json() == {"success": True, "count": 2}
    r = requests.post(srv.base + "/api/logging/batch", json={"logs": [{"level": "error", "message": "wrapped"}]})
    assert r.json() == {"success": True, "count": 1}
    lines = wait_for(lambda: [l for l in log_lines(srv) if l.get("source") == "frontend"] if len(
        [l for l in log_lines(srv) if l.get("source") == "frontend"]) == 3 else None, what="frontend lines")
    first, second, third = lines
    assert first["level"] == "warning" and first["client_ts"] == "2026-01-01T00:00:00Z" and first["correlation_id"] == "browser-1"
    assert "forged" in first["msg"] and json.loads(first["data"]) == {"page": "/inbox"}
    assert not any(l.get("msg") == "forged" for l in log_lines(srv)), "a message must never become its own line"
    assert second["level"] == "info" and second["client_ts"] == "1767225600000"
    assert len(second["msg"].encode()) <= 8192 + 20 and second["msg"].endswith("[truncated]")
    assert third["level"] == "error" and third["msg"] == "wrapped"


def test_log_batch_limits_and_shapes(obs):
    srv = obs()
    assert_envelope(requests.post(srv.base + "/api/logging/batch", json={"level": "info"}), 400, "bad_request")
    assert_envelope(requests.post(srv.base + "/api/logging/batch", data=b"not json"), 400, "bad_request")
    assert_envelope(requests.post(srv.base + "/api/logging/batch", json=[{"message": "m"}] * 501), 413, "payload_too_large")
    big = [{"message": "y" * 8000}] * 140  # > 1 MiB
    assert_envelope(requests.post(srv.base + "/api/logging/batch", json=big), 413, "payload_too_large")


def test_log_batch_flood_gets_429_with_retry_after(obs):
    srv = obs(SWITCHBOARD_LOG_RATE="1", SWITCHBOARD_LOG_BURST="20")
    assert requests.post(srv.base + "/api/logging/batch", json=[{"message": "m"}] * 15).status_code == 200
    r = requests.post(srv.base + "/api/logging/batch", json=[{"message": "m"}] * 15)
    assert_envelope(r, 429, "rate_limited")
    assert int(r.headers["Retry-After"]) >= 1


def test_log_batch_cors_preflight(obs):
    srv = obs()
    r = requests.options(srv.base + "/api/logging/batch", headers={
        "Origin": "http://app.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == "http://app.example"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    r = requests.post(srv.base + "/api/logging/batch", json=[], headers={"Origin": "http://app.example"})
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "http://app.example"
    # a plain OPTIONS is never 405 either
    assert requests.options(srv.base + "/api/logging/batch").status_code == 204


# --- correlation ids ------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["on", "off"])
def test_correlation_id_from_webhook_to_event_and_log_lines(obs, mode):
    srv = obs(SWITCHBOARD_ASYNC_WEBHOOKS=mode, SWITCHBOARD_LOG_LEVEL="debug")
    ws = RawWS(srv.port, "/ws?token=" + jwt_helper.token(SECRET, "agent", ["inbox", "conversation.*"]))
    ws.send_text(json.dumps({"op": "subscribe", "id": 1, "topics": ["inbox"]}))
    assert json.loads(ws.recv_frame()[1])["op"] == "ack"
    raw = wire.dumps(payloads.envelope([payloads.text_message("15551230000", "hello")]))
    r = post_webhook(srv, raw, headers={"X-Request-ID": "corr-" + mode})
    assert r.status_code == 200 and r.headers["X-Request-ID"] == "corr-" + mode
    if mode == "off":
        # synchronous mode: the row was processed before the 200
        lines = [l for l in log_lines(srv) if l.get("msg") == "webhook processed"]
        assert any(l["correlation_id"] == "corr-off" for l in lines)
    got = events_until(ws, lambda g: len(g) >= 1)
    assert got[0][1]["meta"]["correlation_id"] == "corr-" + mode
    mine = wait_for(lambda: [l for l in log_lines(srv) if l.get("correlation_id") == "corr-" + mode and "webhook.id" in l]
                    if any(l.get("msg") == "webhook processed" and l.get("correlation_id") == "corr-" + mode for l in log_lines(srv)) else None,
                    what="worker log line")
    assert {"webhook stored", "webhook processed"} <= {l["msg"] for l in mine}
    for l in mine:
        assert set(l) >= {"ts", "level", "msg", "service", "correlation_id"}
        assert l["ts"].endswith("Z") and len(l["ts"]) == 24


def test_traceparent_becomes_correlation_id(obs):
    srv = obs()
    r = requests.get(srv.base + "/health/live", headers={"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
    assert r.headers["X-Request-ID"] == "4bf92f3577b34da6a3ce929d0e0e4736"


# --- health ---------------------------------------------------------------------------------

def test_health_shape(obs):
    srv = obs()
    assert requests.get(srv.base + "/health/live").json() == {"status": "ok"}
    for path in ("/health", "/health/ready"):
        r = requests.get(srv.base + path)
        assert r.status_code == 200
        h = r.json()
        assert h["status"] == "ok" and h["version"] and isinstance(h["uptime_s"], int) and h["timestamp"].endswith("Z")
        assert set(h["services"]) == {"database", "whatsapp", "inbox", "outbox", "hub"}
        for s in h["services"].values():
            assert s["status"] in ("ok", "degraded", "error") and isinstance(s["details"], dict)
        assert "latency_ms" in h["services"]["database"]["details"]
        assert {"pending", "oldest_age_ms", "dead_letters"} <= set(h["services"]["inbox"]["details"])
        assert {"depth", "oldest_age_ms"} <= set(h["services"]["outbox"]["details"])
        assert {"connections", "topics"} <= set(h["services"]["hub"]["details"])
        assert h["services"]["whatsapp"]["details"]["breaker"] == "closed"


# --- metrics --------------------------------------------------------------------------------

def test_metrics_parse_and_move_with_traffic(obs):
    srv = obs()
    before = metrics(srv)
    for name in ("switchboard_hub_events_published_total", "switchboard_webhooks_received_total",
                 "switchboard_sqlite_commits_total", "switchboard_inbox_oldest_age_seconds", "switchboard_outbox_depth",
                 "switchboard_dead_letters", "switchboard_hub_connections"):
        assert any(k[0] == name for k in before), name
    ws = RawWS(srv.port, "/ws?token=" + jwt_helper.token(SECRET, "agent", ["inbox", "conversation.*"]))
    ws.send_text(json.dumps({"op": "subscribe", "id": 1, "topics": ["inbox"]}))
    ws.recv_frame()
    raw = wire.dumps(payloads.envelope([payloads.text_message("15551239999", "metrics")]))
    assert post_webhook(srv, raw).status_code == 200
    assert requests.post(srv.base + "/webhooks/whatsapp", data=raw, headers={"X-Hub-Signature-256": "sha256=" + "0" * 64}).status_code == 401
    events_until(ws, lambda g: len(g) >= 1)
    requests.get(srv.base + "/api/conversations/123/messages")  # 401, route label is the pattern
    after = metrics(srv)
    assert after[("switchboard_webhooks_received_total", ())] - before.get(("switchboard_webhooks_received_total", ()), 0) == 2
    assert after[("switchboard_webhooks_verified_total", ())] >= 1
    assert after[("switchboard_webhooks_rejected_total", (("reason", "invalid_signature"),))] == 1
    assert after[("switchboard_hub_events_published_total", ())] > before[("switchboard_hub_events_published_total", ())]
    assert after[("switchboard_hub_events_delivered_total", ())] >= 1
    assert after[("switchboard_hub_connections", ())] == 1
    assert after[("switchboard_sqlite_commits_total", ())] > before[("switchboard_sqlite_commits_total", ())]
    assert after[("switchboard_http_requests_total", (("method", "POST"), ("route", "/webhooks/whatsapp"), ("status", "200")))] == 1
    assert after[("switchboard_http_requests_total", (("method", "GET"), ("route", "/api/conversations/{wa_id}/messages"), ("status", "401")))] == 1
    assert not any("123" in dict(k[1]).get("route", "") for k in after)
    assert after[("switchboard_hub_batch_size_count", ())] >= 1
    assert after[("switchboard_sqlite_commit_duration_seconds_count", ())] >= 1
    assert after[("switchboard_inbox_processed_total", (("outcome", "done"),))] >= 1


# --- alerts ---------------------------------------------------------------------------------

def test_dead_letter_alert_fires_once_and_resolves_on_replay(obs):
    srv = obs()
    ws = ops_ws(srv, ["alerts"])
    raw = b"{not json"
    assert post_webhook(srv, raw).status_code == 200
    fired = events_until(ws, lambda g: len(g) >= 1)
    assert fired[0][0] == "alerts" and fired[0][1]["type"] == "alert.firing"
    a = fired[0][1]["data"]
    assert a["key"] == "inbox.dead_letter" and a["severity"] == "warning" and a["labels"]["count"] == "1" and a["firing_since"].endswith("Z")
    listed = requests.get(srv.base + "/api/alerts", headers=ADMIN).json()["alerts"]
    assert [x["key"] for x in listed] == ["inbox.dead_letter"]
    ops = {"Authorization": "Bearer " + jwt_helper.token(SECRET, "ops", ["*"])}
    assert requests.get(srv.base + "/api/alerts", headers=ops).status_code == 200
    agent = {"Authorization": "Bearer " + jwt_helper.token(SECRET, "agent", ["inbox"])}
    assert_envelope(requests.get(srv.base + "/api/alerts", headers=agent), 403, "forbidden")
    assert_envelope(requests.get(srv.base + "/api/alerts"), 401, "unauthorized")
    # a second dead letter changes the count but publishes no second alert.firing
    assert post_webhook(srv, b"{still not json").status_code == 200
    wait_for(lambda: requests.get(srv.base + "/api/alerts", headers=ADMIN).json()["alerts"][0]["labels"]["count"] == "2", what="count 2")
    assert post_webhook(srv, b"[]").status_code == 200  # ignored shape or dead: either way no new firing
    with pytest.raises(Exception):
        events_until(ws, lambda g: any(e["type"] == "alert.firing" for _, e in g), timeout=1.5)


def test_alert_resolves_when_dead_letters_are_gone(obs):
    srv = obs()
    ws = ops_ws(srv, ["alerts"])
    assert post_webhook(srv, b"[1,2]").status_code == 200
    fired = events_until(ws, lambda g: len(g) >= 1)
    assert fired[0][1]["type"] == "alert.firing"
    # the operator deals with the letter: replayed letters no longer count
    import sqlite3
    con = sqlite3.connect(os.path.join(srv.data_dir, "switchboard.db"), timeout=10)
    con.execute("UPDATE dead_letters SET replayed_at_ms = 1")
    con.commit()
    con.close()
    resolved = events_until(ws, lambda g: any(e["type"] == "alert.resolved" for _, e in g))
    r = [e for _, e in resolved if e["type"] == "alert.resolved"][0]["data"]
    assert r["key"] == "inbox.dead_letter" and r["resolved_at"].endswith("Z")
    assert requests.get(srv.base + "/api/alerts", headers=ADMIN).json() == {"alerts": []}


# --- error envelope -------------------------------------------------------------------------

def test_every_status_path_uses_the_envelope(obs, tmp_path):
    import socket
    srv = obs(SWITCHBOARD_LOG_RATE="1", SWITCHBOARD_LOG_BURST="1", SWITCHBOARD_MAX_BODY_BYTES="65536")
    assert_envelope(requests.post(srv.base + "/api/logging/batch", data=b"{"), 400)
    assert_envelope(requests.get(srv.base + "/api/alerts"), 401)
    assert_envelope(requests.get(srv.base + "/api/alerts", headers={"Authorization": "Bearer " + jwt_helper.token(SECRET, "agent", ["inbox"])}), 403)
    assert_envelope(requests.get(srv.base + "/nope"), 404, "not_found")
    assert_envelope(requests.delete(srv.base + "/health"), 405, "method_not_allowed")
    assert_envelope(requests.post(srv.base + "/api/logging/batch", data=b"[" + b"1," * 40000 + b"1]"), 413)
    requests.post(srv.base + "/api/logging/batch", json=[{"message": "a"}])
    assert_envelope(requests.post(srv.base + "/api/logging/batch", json=[{"message": "a"}]), 429, "rate_limited")
    assert_envelope(requests.post(srv.base + "/webhooks/whatsapp", data=b"{}", headers={"X-Hub-Signature-256": "sha256=00"}), 401)

    def raw(req):
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(req)
        data = b""
        s.settimeout(3)
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
        except socket.timeout:
            pass
        s.close()
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split(b" ")[1]), json.loads(body)

    status, body = raw(b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 414 and set(body["error"]) == {"code", "message", "request_id"}
    status, body = raw(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 70000 + b"\r\n\r\n")
    assert status == 431 and set(body["error"]) == {"code", "message", "request_id"}
    env = {k: v for k, v in ENV.items() if k != "SWITCHBOARD_WA_APP_SECRET"}
    from conftest import ServerProcess
    s3 = ServerProcess(env=env).start()
    try:
        assert_envelope(requests.post(s3.base + "/webhooks/whatsapp", data=b"{}"), 503, "webhook_not_configured")
    finally:
        s3.stop()


def test_health_503_when_database_unwritable_and_back(obs):
    """A real write failure: the kernel refuses every write past 1 byte (RLIMIT_FSIZE set on the
    running server with prlimit), so the database check's write fails with EFBIG; then the limit
    is lifted and the check recovers. Each change is a `health.changed` event on system.health."""
    import shutil
    import subprocess
    if shutil.which("prlimit") is None:
        pytest.fail("prlimit (util-linux) is required for this test")
    srv = obs(SWITCHBOARD_HEALTH_INTERVAL_S="1", SWITCHBOARD_HEALTH_DB_TIMEOUT_MS="1000")
    ws = ops_ws(srv, ["system.health"])
    wait_for(lambda: requests.get(srv.base + "/health").status_code == 200, what="healthy")
    pid = str(srv.proc.pid)
    subprocess.run(["prlimit", "--pid", pid, "--fsize=1:unlimited"], check=True)
    try:
        # (a Response with an error status is falsy, so wait for the parsed body instead)
        body = wait_for(lambda: (lambda r: r.json() if r.status_code == 503 else None)(requests.get(srv.base + "/health")),
                        timeout=20, what="503 while the database cannot be written")
        assert body["status"] == "error"
        assert body["services"]["database"]["status"] != "ok"
        assert requests.get(srv.base + "/health/ready").status_code == 503
        assert requests.get(srv.base + "/health/live").status_code == 200  # the process still answers
    finally:
        subprocess.run(["prlimit", "--pid", pid, "--fsize=unlimited:unlimited"], check=True)
    wait_for(lambda: requests.get(srv.base + "/health").status_code == 200, timeout=20, what="recovered")
    got = events_until(ws, lambda g: sum(1 for t, e in g if e["type"] == "health.changed") >= 2, timeout=20)
    changes = [e["data"] for t, e in got if e["type"] == "health.changed"]
    assert changes[0]["status"] == "error" and changes[0]["previous"] == "ok"
    assert changes[-1]["status"] == "ok" and changes[-1]["previous"] == "error"


def test_unconfigured_webhooks_warn_and_do_not_count_as_5xx(server_factory):
    # Meta (or a newcomer's curl) posting before SWITCHBOARD_WA_APP_SECRET is set: every webhook
    # is refused with 503 by design. That is a missing integration, not an outage.
    env = {k: v for k, v in ENV.items() if k != "SWITCHBOARD_WA_APP_SECRET"}
    srv = server_factory(env=env).start()
    ws = ops_ws(srv, ["alerts"])
    session = requests.Session()
    raw = b'{"object":"whatsapp_business_account","entry":[]}'
    for _ in range(60):
        assert_envelope(session.post(srv.base + "/webhooks/whatsapp", data=raw,
                                     headers={"Content-Type": "application/json"}), 503, "webhook_not_configured")
    # Webhooks stop arriving: the warning fires, then resolves; nothing else fires meanwhile.
    got = events_until(ws, lambda g: any(e["type"] == "alert.resolved" for _, e in g))
    transitions = [(e["type"], e["data"]["key"], e["data"]["severity"]) for _, e in got]
    assert transitions == [("alert.firing", "whatsapp.not_configured", "warning"),
                           ("alert.resolved", "whatsapp.not_configured", "warning")], transitions
    time.sleep(1)
    assert requests.get(srv.base + "/api/alerts", headers=ADMIN).json() == {"alerts": []}
    with pytest.raises(AssertionError):
        events_until(ws, lambda g: len(g) > 0, timeout=1)
