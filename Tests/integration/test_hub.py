"""The hub against the real server: batching windows, encode-once fan-out, wildcards, recovery,
slow consumers, access control and HTTP publishing."""
import asyncio
import json
import subprocess
import time

import pytest
import requests
import websockets

import jwt_helper
from conftest import BIN
from wsraw import RawWS

SECRET = "integration-secret-0123456789abcdef"
API_KEY = "integration-api-key-0123456789"
ENV = {"SWITCHBOARD_AUTH_SECRET": SECRET, "SWITCHBOARD_API_KEY": API_KEY}


def agent(topics=("inbox", "conversation.*")):
    return jwt_helper.token(SECRET, "agent", list(topics))


def publish(srv, events, expect=202):
    r = requests.post(srv.base + "/api/publish", json=events, headers={"Authorization": "Bearer " + API_KEY})
    assert r.status_code == expect, r.text
    return r.json()


def sub(srv, topics, token=None, since=None, rcvbuf=None):
    ws = RawWS(srv.port, "/ws?token=" + (token or agent()), rcvbuf=rcvbuf)
    assert ws.status == 101, ws.head
    req = {"op": "subscribe", "id": 1, "topics": topics}
    if since:
        req["since"] = since
    ws.send_text(json.dumps(req))
    op, p = ws.recv_frame()
    ack = json.loads(p)
    assert ack["op"] == "ack", ack
    return ws, ack


def frames(ws, until_events, timeout=5):
    """Reads batch frames until `until_events` events arrived; returns the decoded frames."""
    got, n = [], 0
    deadline = time.time() + timeout
    while n < until_events:
        assert time.time() < deadline, f"only {n} of {until_events} events"
        op, p = ws.recv_frame()
        if op != 1:
            continue
        f = json.loads(p)
        if f["op"] == "batch":
            got.append((f, p))
            n += len(f["events"])
    return got


@pytest.fixture
def hub(server_factory):
    def make(**env):
        return server_factory(env={**ENV, **env}).start()
    return make


def test_time_window_batches_separate_publishes(hub):
    srv = hub(SWITCHBOARD_BATCH_WINDOW_MS="300")
    ws, ack = sub(srv, ["inbox"])
    for i in range(5):  # five separate requests inside one 300 ms window
        publish(srv, {"topic": "inbox", "type": "t", "data": {"i": i}})
    got = frames(ws, 5)
    assert len(got) == 1
    assert [e["seq"] for e in got[0][0]["events"]] == [1, 2, 3, 4, 5]
    assert [e["data"]["i"] for e in got[0][0]["events"]] == [0, 1, 2, 3, 4]


def test_window_zero_flushes_each_turn(hub):
    srv = hub(SWITCHBOARD_BATCH_WINDOW_MS="0")
    ws, _ = sub(srv, ["inbox"])
    for i in range(3):
        publish(srv, {"topic": "inbox", "type": "t", "data": i})
        time.sleep(0.05)
    got = frames(ws, 3)
    assert len(got) == 3


def test_size_window_max_events(hub):
    srv = hub(SWITCHBOARD_BATCH_MAX_EVENTS="3", SWITCHBOARD_BATCH_WINDOW_MS="200")
    ws, _ = sub(srv, ["inbox"])
    publish(srv, [{"topic": "inbox", "type": "t", "data": i} for i in range(10)])
    got = frames(ws, 10)
    assert [len(f["events"]) for f, _ in got] == [3, 3, 3, 1]
    seqs = [e["seq"] for f, _ in got for e in f["events"]]
    assert seqs == list(range(1, 11))


def test_size_window_max_bytes(hub):
    srv = hub(SWITCHBOARD_BATCH_MAX_BYTES="1000", SWITCHBOARD_BATCH_WINDOW_MS="200")
    ws, _ = sub(srv, ["inbox"])
    publish(srv, [{"topic": "inbox", "type": "t", "data": "x" * 200} for _ in range(10)])
    got = frames(ws, 10)
    assert len(got) >= 3
    assert all(len(p) < 2000 for _, p in got)


def test_encode_once_same_bytes_for_every_subscriber(hub):
    srv = hub()
    a, _ = sub(srv, ["inbox"])
    b, _ = sub(srv, ["inbox"])
    c, _ = sub(srv, ["conversation.*"], token=agent())
    publish(srv, [{"topic": "inbox", "type": "t", "data": {"n": i}} for i in range(20)])
    fa = frames(a, 20)
    fb = frames(b, 20)
    assert [p for _, p in fa] == [p for _, p in fb]


def test_wildcard_subscription(hub):
    srv = hub()
    ws, ack = sub(srv, ["conversation.*"])
    assert ack["topics"]["conversation.*"] == {"wildcard": True}
    publish(srv, [{"topic": "conversations.x", "type": "t", "data": 0},
                  {"topic": "conversation", "type": "t", "data": 0},
                  {"topic": "conversation.155501", "type": "t", "data": 1},
                  {"topic": "conversation.a.b", "type": "t", "data": 2}])
    got = frames(ws, 2)
    topics = sorted(f["topic"] for f, _ in got)
    assert topics == ["conversation.155501", "conversation.a.b"]


def test_recovery_after_reconnect_no_gap_no_duplicate(hub):
    srv = hub()
    ws, ack = sub(srv, ["inbox"])
    epoch = ack["topics"]["inbox"]["epoch"]
    publish(srv, [{"topic": "inbox", "type": "t", "data": i} for i in range(1, 6)])
    got = frames(ws, 5)
    last = got[-1][0]["events"][-1]["seq"]
    assert last == 5
    ws.close()
    publish(srv, [{"topic": "inbox", "type": "t", "data": i} for i in range(6, 11)])
    time.sleep(0.1)  # past the batch window: 6..10 are history now, so they come back as replay
    ws2, ack2 = sub(srv, ["inbox"], since={"inbox": {"epoch": epoch, "seq": last}})
    assert ack2["topics"]["inbox"]["recovered"] is True
    assert ack2["topics"]["inbox"]["seq"] == 10
    publish(srv, [{"topic": "inbox", "type": "t", "data": 11}])
    got2 = frames(ws2, 6)
    seqs = [e["seq"] for f, _ in got2 for e in f["events"]]
    assert seqs == [6, 7, 8, 9, 10, 11]


def test_recovery_impossible_other_epoch(hub):
    srv = hub()
    ws, ack = sub(srv, ["inbox"], since={"inbox": {"epoch": "not-the-epoch", "seq": 3}})
    assert ack["topics"]["inbox"]["recovered"] is False
    assert ack["topics"]["inbox"]["epoch"] != "not-the-epoch"


def test_recovery_impossible_history_evicted(hub):
    srv = hub(SWITCHBOARD_HISTORY_MAX="3")
    ws, ack = sub(srv, ["inbox"])
    epoch = ack["topics"]["inbox"]["epoch"]
    ws.close()
    publish(srv, [{"topic": "inbox", "type": "t", "data": i} for i in range(10)])
    time.sleep(0.1)
    ws2, ack2 = sub(srv, ["inbox"], since={"inbox": {"epoch": epoch, "seq": 0}})
    assert ack2["topics"]["inbox"]["recovered"] is False
    assert ack2["topics"]["inbox"]["seq"] == 10
    ws3, ack3 = sub(srv, ["inbox"], since={"inbox": {"epoch": epoch, "seq": 7}})
    assert ack3["topics"]["inbox"]["recovered"] is True
    assert [e["seq"] for f, _ in frames(ws3, 3) for e in f["events"]] == [8, 9, 10]


def test_recovery_across_server_restart_is_refused(server_factory):
    srv = server_factory(env=ENV).start()
    ws, ack = sub(srv, ["inbox"])
    publish(srv, {"topic": "inbox", "type": "t", "data": 1})
    frames(ws, 1)
    epoch = ack["topics"]["inbox"]["epoch"]
    srv.stop()
    srv.start()
    ws2, ack2 = sub(srv, ["inbox"], since={"inbox": {"epoch": epoch, "seq": 1}})
    assert ack2["topics"]["inbox"]["recovered"] is False
    assert ack2["topics"]["inbox"]["epoch"] != epoch


def test_recovery_for_concrete_topic_under_wildcard(hub):
    srv = hub()
    publish(srv, [{"topic": "conversation.77", "type": "t", "data": i} for i in range(4)])
    time.sleep(0.1)
    pos = requests.Session()
    ws, ack = sub(srv, ["conversation.*"])
    ws.close()
    # learn the epoch from a first subscribe with since=0 of some other epoch
    ws1, ack1 = sub(srv, ["conversation.*"], since={"conversation.77": {"epoch": "x", "seq": 0}})
    epoch = ack1["topics"]["conversation.77"]["epoch"]
    ws2, ack2 = sub(srv, ["conversation.*"], since={"conversation.77": {"epoch": epoch, "seq": 2}})
    assert ack2["topics"]["conversation.77"]["recovered"] is True
    assert [e["seq"] for f, _ in frames(ws2, 2) for e in f["events"]] == [3, 4]


def test_replay_that_would_overflow_the_connection_buffer_is_not_recovered(hub):
    """Replayed history counts against the per-connection buffer: a replay larger than it is
    answered recovered:false (reload over REST) instead of being queued past the bound."""
    srv = hub(SWITCHBOARD_MAX_CONN_BUFFER="65536", SWITCHBOARD_BATCH_WINDOW_MS="0")
    blob = "r" * 4000
    publish(srv, [{"topic": "inbox", "type": "t", "data": blob} for _ in range(30)])  # ~120 KB of history
    _, ack = sub(srv, ["inbox"])
    epoch, last = ack["topics"]["inbox"]["epoch"], ack["topics"]["inbox"]["seq"]
    assert last == 30
    ws, ack = sub(srv, ["inbox"], since={"inbox": {"epoch": epoch, "seq": 0}})
    assert ack["topics"]["inbox"] == {"epoch": epoch, "seq": 30, "recovered": False}
    publish(srv, {"topic": "inbox", "type": "t", "data": "live"})
    got = frames(ws, 1)
    assert [e["seq"] for f, _ in got for e in f["events"]] == [31], "no replay, live events continue"
    # A replay that fits is still recovered.
    ws2, ack2 = sub(srv, ["inbox"], since={"inbox": {"epoch": epoch, "seq": 25}})
    assert ack2["topics"]["inbox"]["recovered"] is True
    assert [e["seq"] for f, _ in frames(ws2, 6) for e in f["events"]] == [26, 27, 28, 29, 30, 31]


def test_slow_consumer_closed_4008_others_unaffected(hub):
    srv = hub(SWITCHBOARD_MAX_CONN_BUFFER="262144", SWITCHBOARD_BATCH_WINDOW_MS="1")
    stalled, _ = sub(srv, ["inbox"], rcvbuf=4096)
    healthy, _ = sub(srv, ["inbox"])
    blob = "y" * 4000
    total = 0
    for _ in range(40):
        publish(srv, [{"topic": "inbox", "type": "t", "data": blob} for _ in range(50)])
        total += 50
        got = frames(healthy, 50, timeout=10)
    # the stalled reader now reads: it finds data, then the 4008 close
    code, _ = stalled.recv_until_close(limit=1000000)
    assert code == 4008
    # the healthy subscriber kept everything
    publish(srv, {"topic": "inbox", "type": "t", "data": "last"})
    last = frames(healthy, 1)[-1][0]["events"][-1]
    assert last["seq"] == total + 1


def test_overload_refuses_publishers_and_keeps_the_readers(hub):
    """A publisher that outruns every subscriber gets 429 `overloaded` (and a socket publisher an
    `overloaded` error) instead of the readers being cut with 4008; once they catch up publishing
    is accepted again, and the reader has every accepted event."""
    import threading
    srv = hub(SWITCHBOARD_MAX_CONN_BUFFER=str(16 << 20), SWITCHBOARD_BATCH_WINDOW_MS="1")
    reader, _ = sub(srv, ["inbox"], rcvbuf=65536)
    svc = RawWS(srv.port, "/ws?token=" + jwt_helper.token(SECRET, "service", ["*"]))
    slow = threading.Event()
    slow.set()

    def read_slowly():  # keeps reading, about 1.6 MB/s: behind, never stalled
        while slow.is_set():
            try:
                reader.buf += reader.sock.recv(16384)
            except OSError:
                pass
            time.sleep(0.01)

    t = threading.Thread(target=read_slowly)
    t.start()
    try:
        blob = "z" * 30000
        accepted, refused = 0, None
        for _ in range(200):
            r = requests.post(srv.base + "/api/publish", json=[{"topic": "inbox", "type": "t", "data": blob}] * 20,
                              headers={"Authorization": "Bearer " + API_KEY})
            if r.status_code == 429:
                refused = r
                break
            assert r.status_code == 202, r.text
            accepted += 20
        assert refused is not None, "never refused"
        assert refused.headers["Retry-After"] == "1"
        assert refused.json()["error"]["code"] == "overloaded"
        svc.send_text(json.dumps({"op": "publish", "id": 5, "topic": "inbox", "type": "t", "data": 1}))
        err = json.loads(svc.recv_frame()[1])
        assert (err["op"], err["id"], err["code"]) == ("error", 5, "overloaded"), err
    finally:
        slow.clear()
        t.join()
    # The reader catches up: publishing is accepted again.
    deadline = time.time() + 20
    while True:
        r = requests.post(srv.base + "/api/publish", json={"topic": "inbox", "type": "t", "data": "after"},
                          headers={"Authorization": "Bearer " + API_KEY})
        if r.status_code == 202:
            break
        assert r.status_code == 429 and time.time() < deadline, r.text
        # drain what is there so the backlog drops
        reader.sock.settimeout(0.2)
        try:
            reader.buf += reader.sock.recv(1 << 20)
        except OSError:
            pass
    last = r.json()["results"][0]["seq"]
    reader.sock.settimeout(5)
    seqs = []
    while not seqs or seqs[-1] < last:
        op, p = reader.recv_frame()
        assert op == 1, (op, p[:50])
        seqs += [e["seq"] for e in json.loads(p)["events"]]
    assert seqs == list(range(1, last + 1)), "the reader kept its connection and lost nothing"
    assert last == accepted + 1


def test_missing_and_bad_tokens_401(hub):
    srv = hub()
    for path in ["/ws", "/ws?token=garbage", "/ws?token=" + jwt_helper.token(SECRET, "agent", ["inbox"], exp=1000),
                 "/ws?token=" + jwt_helper.token("another-secret-xxxxxxxxxxxx", "agent", ["inbox"])]:
        ws = RawWS(srv.port, path)
        assert ws.status == 401, path
        body = ws.buf.decode(errors="replace")
        assert '"code":"unauthorized"' in body
    ws = RawWS(srv.port, "/ws", headers={"Authorization": "Bearer " + agent()})
    assert ws.status == 101


def test_forbidden_topic_keeps_connection(hub):
    srv = hub()
    ws = RawWS(srv.port, "/ws?token=" + agent(["inbox"]))
    ws.send_text(json.dumps({"op": "subscribe", "id": 7, "topics": ["conversation.1"]}))
    err = json.loads(ws.recv_frame()[1])
    assert err == {"op": "error", "id": 7, "code": "forbidden", "message": err["message"]}
    ws.send_text(json.dumps({"op": "subscribe", "id": 8, "topics": ["alerts"]}))
    assert json.loads(ws.recv_frame()[1])["code"] == "forbidden"
    ws.send_text(json.dumps({"op": "ping", "id": 9}))
    assert json.loads(ws.recv_frame()[1]) == {"op": "pong", "id": 9}


def test_ops_may_read_alerts_agent_may_not(hub):
    srv = hub()
    ws, ack = sub(srv, ["alerts", "system.*"], token=jwt_helper.token(SECRET, "ops", ["*"]))
    assert "alerts" in ack["topics"]
    ws2 = RawWS(srv.port, "/ws?token=" + jwt_helper.token(SECRET, "agent", ["alerts"]))
    ws2.send_text(json.dumps({"op": "subscribe", "topics": ["alerts"]}))
    assert json.loads(ws2.recv_frame()[1])["code"] == "forbidden"


def test_malformed_frames_get_bad_request(hub):
    srv = hub()
    ws = RawWS(srv.port, "/ws?token=" + agent())
    for bad in ["not json", "[]", '{"op":"fly"}', '{"op":"subscribe","id":3}', '{"op":"subscribe","topics":"inbox"}',
                '{"op":"subscribe","topics":["bad topic"]}', '{"op":"subscribe","topics":["inbox"],"since":{"inbox":{"seq":"x"}}}']:
        ws.send_text(bad)
        reply = json.loads(ws.recv_frame()[1])
        assert reply["op"] == "error" and reply["code"] == "bad_request", (bad, reply)
    ws.send_frame(2, b"\x00\x01")
    assert json.loads(ws.recv_frame()[1])["code"] == "bad_request"
    ws.send_text(json.dumps({"op": "ping", "id": "still-open"}))
    assert json.loads(ws.recv_frame()[1])["id"] == "still-open"


def test_publish_over_websocket_only_service(hub):
    srv = hub()
    svc = RawWS(srv.port, "/ws?token=" + jwt_helper.token(SECRET, "service", ["*"]))
    reader, _ = sub(srv, ["inbox"])
    svc.send_text(json.dumps({"op": "publish", "id": 3, "topic": "inbox", "type": "x", "data": {"a": [1, 2]}}))
    assert json.loads(svc.recv_frame()[1]) == {"op": "ack", "id": 3, "topic": "inbox", "seq": 1}
    ev = frames(reader, 1)[0][0]["events"][0]
    assert ev["data"] == {"a": [1, 2]} and ev["type"] == "x" and ev["seq"] == 1 and ev["ts"] > 1.7e12
    ag = RawWS(srv.port, "/ws?token=" + agent())
    ag.send_text(json.dumps({"op": "publish", "id": 4, "topic": "inbox", "type": "x", "data": {}}))
    assert json.loads(ag.recv_frame()[1])["code"] == "forbidden"


def test_http_publish_validation(hub):
    srv = hub()
    r = requests.post(srv.base + "/api/publish", json={"topic": "inbox", "type": "t", "data": 1})
    assert r.status_code == 401
    r = requests.post(srv.base + "/api/publish", json={"topic": "inbox", "type": "t", "data": 1},
                      headers={"Authorization": "Bearer wrong-key-0000000000"})
    assert r.status_code == 401
    r = requests.post(srv.base + "/api/publish", data=b"{nope", headers={"Authorization": "Bearer " + API_KEY})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
    r = requests.post(srv.base + "/api/publish", json=[{"topic": "inbox", "type": "t", "data": 1}, {"topic": "bad topic", "type": "t", "data": 1}],
                      headers={"Authorization": "Bearer " + API_KEY})
    assert r.status_code == 400 and "[1].topic" in r.json()["error"]["message"]
    assert publish(srv, {"topic": "inbox", "type": "t", "data": 1}) == {"results": [{"topic": "inbox", "seq": 1}]}  # nothing from the bad request


def test_token_command(hub, tmp_path):
    env = {"SWITCHBOARD_AUTH_SECRET": SECRET, "PATH": "/usr/bin:/bin"}
    r = subprocess.run([BIN, "token", "--sub", "alice", "--role", "agent", "--topics", "inbox,conversation.*", "--ttl", "60"],
                       capture_output=True, text=True, env=env, timeout=20)
    assert r.returncode == 0, r.stderr
    tok = r.stdout.strip()
    srv = hub()
    ws, ack = sub(srv, ["inbox", "conversation.*"], token=tok)
    r = subprocess.run([BIN, "token", "--sub", "a", "--role", "king", "--topics", "x"], capture_output=True, text=True, env=env, timeout=20)
    assert r.returncode != 0 and "--role" in r.stderr


def test_generated_secret_and_printed_tokens(server_factory):
    srv = server_factory(env={"SWITCHBOARD_LOG_FORMAT": "text"}).start()
    logs = srv.logs_with("ops token", "agent token")
    assert "ops token" in logs and "agent token" in logs
    import os
    assert oct(os.stat(os.path.join(srv.data_dir, "auth_secret")).st_mode & 0o777) == "0o600"
    tok = [l for l in logs.splitlines() if "agent token" in l][0].split(": ")[-1].strip()
    ws = RawWS(srv.port, "/ws?token=" + tok)
    assert ws.status == 101
    assert RawWS(srv.port, "/ws").status == 401  # never open to anonymous clients


def test_subscriptions_per_connection_are_capped(hub):
    srv = hub()
    ws = RawWS(srv.port, "/ws?token=" + agent())
    for batch in range(10):
        topics = [f"conversation.{batch * 100 + i}" for i in range(100)]
        ws.send_text(json.dumps({"op": "subscribe", "id": batch, "topics": topics}))
        assert json.loads(ws.recv_frame()[1])["op"] == "ack"
    ws.send_text(json.dumps({"op": "subscribe", "id": 99, "topics": ["conversation.extra"]}))
    err = json.loads(ws.recv_frame()[1])
    assert err["op"] == "error" and err["code"] == "bad_request" and err["id"] == 99
    ws.send_text(json.dumps({"op": "unsubscribe", "id": 100, "topics": ["conversation.0"]}))
    assert json.loads(ws.recv_frame()[1]) == {"op": "ack", "id": 100}
    ws.send_text(json.dumps({"op": "subscribe", "id": 101, "topics": ["conversation.extra"]}))
    assert json.loads(ws.recv_frame()[1])["op"] == "ack"
