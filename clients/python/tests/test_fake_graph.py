"""Tests for fake_graph: Meta-like answers, the bearer check, each fault mode and the queue, the
request log, and signed status webhooks posted to a tiny receiver. Everything runs in-process on
loopback ports chosen by the OS."""
import hashlib
import hmac
import http.client
import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from fake_graph import FakeGraph, Fault, FaultError, FaultQueue  # noqa: E402
from fake_graph.__main__ import parse_args  # noqa: E402

TOKEN = "TEST-TOKEN"
SEND = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "15551234567",
        "type": "text", "text": {"body": "olá"}}


@pytest.fixture
def fake():
    f = FakeGraph(TOKEN).start()
    yield f
    f.stop()


def call(fake, method, path, body=None, token=TOKEN, timeout=5):
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = "Bearer " + token
    data = json.dumps(body).encode() if body is not None else None
    try:
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, (json.loads(raw) if raw else None)
    finally:
        conn.close()


def send(fake, body=SEND, **kw):
    return call(fake, "POST", "/v21.0/106540352242922/messages", body, **kw)


def add_faults(fake, spec):
    status, out = call(fake, "POST", "/_control/faults", spec)
    assert status == 200, out
    return out


# --- Meta-like answers --------------------------------------------------------------------------

def test_send_success_has_meta_shape_and_unique_wamids(fake):
    status, body = send(fake)
    assert status == 200
    assert body["messaging_product"] == "whatsapp"
    assert body["contacts"] == [{"input": "15551234567", "wa_id": "15551234567"}]
    wamid = body["messages"][0]["id"]
    assert wamid.startswith("wamid.FAKE")
    _, again = send(fake)
    assert again["messages"][0]["id"] != wamid


def test_mark_as_read_answers_success_true(fake):
    status, body = send(fake, {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X"})
    assert (status, body) == (200, {"success": True})
    assert fake.stats()["read"] == 1


@pytest.mark.parametrize("token", [None, "wrong"])
def test_missing_or_wrong_token_is_401_code_190(fake, token):
    status, body = send(fake, token=token)
    assert status == 401
    assert body["error"]["code"] == 190
    assert body["error"]["type"] == "OAuthException"
    assert fake.stats()["unauthorized"] == 1


@pytest.mark.parametrize("bad", [
    {"to": "1", "type": "text", "text": {"body": "x"}},                                   # no messaging_product
    {"messaging_product": "whatsapp", "to": "abc", "type": "text", "text": {"body": "x"}},
    {"messaging_product": "whatsapp", "to": "1", "type": "image"},
    {"messaging_product": "whatsapp", "to": "1", "type": "text", "text": {"body": ""}},
    {"messaging_product": "whatsapp", "status": "read"},
    [1, 2],
])
def test_invalid_body_is_400_code_100(fake, bad):
    status, body = send(fake, bad)
    assert status == 400
    assert body["error"]["code"] == 100
    assert body["error"]["error_data"]["details"]


# --- faults -------------------------------------------------------------------------------------

def test_http500_for_a_count_then_healthy(fake):
    add_faults(fake, {"mode": "http500", "count": 2})
    assert send(fake)[0] == 500
    status, body = send(fake)
    assert status == 500 and "code" not in body["error"]
    assert send(fake)[0] == 200
    assert fake.stats()["faults_applied"] == {"http500": 2}


def test_error_code_fault_uses_code_and_typical_status(fake):
    add_faults(fake, {"mode": "error_code", "code": 131056})
    status, body = send(fake)
    assert status == 400
    assert body["error"]["code"] == 131056
    assert body["error"]["error_data"]["messaging_product"] == "whatsapp"
    add_faults(fake, {"mode": "error_code", "code": 131000, "status": 503})
    assert send(fake)[0] == 503


def test_drop_closes_without_answer(fake):
    add_faults(fake, {"mode": "drop"})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        send(fake)
    assert send(fake)[0] == 200


def test_timeout_holds_the_request_past_the_client_timeout(fake):
    add_faults(fake, {"mode": "timeout", "delay_ms": 1500})
    started = time.monotonic()
    with pytest.raises((socket.timeout, TimeoutError)):
        send(fake, timeout=0.3)
    assert time.monotonic() - started < 1.4
    assert fake.stats()["faults_applied"] == {"timeout": 1}


def test_slow_answers_normally_but_late(fake):
    add_faults(fake, {"mode": "slow", "delay_ms": 300})
    started = time.monotonic()
    status, body = send(fake)
    assert status == 200 and body["messages"][0]["id"]
    assert time.monotonic() - started >= 0.29


def test_time_window_fault_applies_until_it_expires(fake):
    add_faults(fake, {"mode": "http500", "seconds": 0.3})
    assert send(fake)[0] == 500
    assert send(fake)[0] == 500
    time.sleep(0.35)
    assert send(fake)[0] == 200


def test_faults_queue_in_order_and_delete_clears(fake):
    out = add_faults(fake, [{"mode": "http500"}, {"mode": "error_code", "code": 130429, "count": 2}])
    assert out["queued"] == 2
    assert [send(fake)[0] for _ in range(4)] == [500, 400, 400, 200]
    add_faults(fake, {"mode": "http500", "count": 5})
    assert call(fake, "DELETE", "/_control/faults")[1] == {"cleared": 1}
    assert send(fake)[0] == 200


@pytest.mark.parametrize("spec,field", [
    ({"mode": "explode"}, "mode"),
    ({"mode": "error_code"}, "code"),
    ({"mode": "http500", "count": 0}, "count"),
    ({"mode": "http500", "count": 1, "seconds": 1}, "not both"),
    ({"mode": "slow", "delay_ms": -1}, "delay_ms"),
])
def test_invalid_fault_specs_are_refused(fake, spec, field):
    status, body = call(fake, "POST", "/_control/faults", spec)
    assert status == 400
    assert field in body["message"]


def test_fault_queue_count_and_window_with_fake_clock():
    now = [0.0]
    q = FaultQueue(clock=lambda: now[0])
    q.add([Fault.from_json({"mode": "drop", "count": 1}), Fault.from_json({"mode": "slow", "seconds": 10})])
    now[0] = 100.0
    assert q.take().mode == "drop"
    # The window starts when the slow fault became head (t=100), not when it was queued (t=0).
    now[0] = 105.0
    assert q.take().mode == "slow"
    now[0] = 109.9
    assert q.take().mode == "slow"
    now[0] = 110.1
    assert q.take() is None
    with pytest.raises(FaultError):
        Fault.from_json("http500")


# --- control: request log and stats -------------------------------------------------------------

def test_request_log_records_path_headers_body_and_time(fake):
    before = time.time()
    send(fake)
    status, log = call(fake, "GET", "/_control/requests")
    assert status == 200
    (entry,) = log["requests"]
    assert entry["method"] == "POST"
    assert entry["path"] == "/v21.0/106540352242922/messages"
    assert entry["headers"]["Authorization"] == "Bearer " + TOKEN
    assert json.loads(entry["body"]) == SEND
    assert before <= entry["time"] <= time.time()
    assert call(fake, "DELETE", "/_control/requests")[1] == {"cleared": 1}
    stats = call(fake, "GET", "/_control/stats")[1]
    assert stats["requests"] == 1 and stats["sent"] == 1


def test_cli_requires_webhook_url_and_secret_together():
    assert parse_args(["--token", "t", "--port", "9"]).port == 9
    with pytest.raises(SystemExit):
        parse_args(["--token", "t", "--webhook-url", "http://127.0.0.1:1/"])


# --- status webhooks ----------------------------------------------------------------------------

class Receiver:
    """Collects webhook POSTs: (headers, raw body)."""

    def __init__(self):
        self.received = []
        self.done = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), raw))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if len(receiver.received) >= 3:
                    receiver.done.set()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self):
        return "http://127.0.0.1:%d/webhooks/whatsapp" % self.httpd.server_address[1]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_status_webhooks_are_posted_signed_in_order():
    receiver = Receiver()
    secret = "app-secret-ü"
    fake = FakeGraph(TOKEN, webhook_url=receiver.url, app_secret=secret, status_delay_ms=10).start()
    try:
        _, body = send(fake)
        wamid = body["messages"][0]["id"]
        assert receiver.done.wait(5), receiver.received
        statuses = []
        for headers, raw in receiver.received:
            expected = "sha256=" + hmac.new(secret.encode("utf-8"), raw, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(headers["X-Hub-Signature-256"], expected)
            assert raw == raw.decode("ascii").encode("ascii")  # Meta wire style: ASCII only
            delivery = json.loads(raw)
            value = delivery["entry"][0]["changes"][0]["value"]
            assert value["metadata"]["phone_number_id"] == "106540352242922"
            (st,) = value["statuses"]
            assert st["id"] == wamid and st["recipient_id"] == "15551234567"
            statuses.append(st["status"])
        assert statuses == ["sent", "delivered", "read"]
        deadline = time.monotonic() + 2
        while fake.stats()["webhooks_posted"] < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert fake.stats()["webhooks_posted"] == 3
    finally:
        fake.stop()
        receiver.stop()
