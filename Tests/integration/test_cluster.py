"""Several nodes on one throwaway Redis: one sequence per topic across nodes, recovery on another
node, wildcards, presence across nodes, Redis stopped and restarted (empty), and kill -9 of a node."""
import json
import time

import pytest
import requests

import jwt_helper
from conftest import ServerProcess
from redis_server import RedisServer
from wsraw import RawWS

SECRET = "integration-secret-0123456789abcdef"
API_KEY = "integration-api-key-0123456789"


@pytest.fixture
def redis():
    r = RedisServer().start()
    yield r
    r.stop()


@pytest.fixture
def cluster(redis):
    nodes = []

    def make(n=2, env=None):
        for i in range(n):
            e = {"SWITCHBOARD_AUTH_SECRET": SECRET, "SWITCHBOARD_API_KEY": API_KEY, "SWITCHBOARD_REDIS_URL": redis.url,
                 "SWITCHBOARD_NODE_ID": f"node-{len(nodes) + 1}", "SWITCHBOARD_PRESENCE_TTL_S": "3",
                 "SWITCHBOARD_THREADS": "2", "SWITCHBOARD_HEALTH_INTERVAL_S": "1"}
            e.update(env or {})
            nodes.append(ServerProcess(env=e).start())
        for node in nodes:
            wait_for(lambda: requests.get(node.base + "/health").json()["services"]["hub"]["details"].get("redis_connected"))
        return nodes

    yield make
    for node in nodes:
        node.stop()


def wait_for(check, timeout=10, step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            value = check()
            if value:
                return value
        except (OSError, ValueError, KeyError, requests.RequestException):
            pass
        time.sleep(step)
    raise AssertionError("condition not met in time")


def connect(node, sub="agent", topics=("inbox", "conversation.*")):
    ws = RawWS(node.port, "/ws?token=" + jwt_helper.token(SECRET, "agent", list(topics), sub=sub))
    assert ws.status == 101, ws.head
    return ws


def next_json(ws):
    while True:
        op, p = ws.recv_frame()
        if op == 1:
            return json.loads(p)
        if op == 8:
            return {"op": "closed", "code": int.from_bytes(p[:2], "big") if len(p) >= 2 else None}


def request(ws, req):
    ws.send_text(json.dumps(req))
    return next_json(ws)


def publish(node, events, expect=202):
    r = requests.post(node.base + "/api/publish", json=events, headers={"Authorization": "Bearer " + API_KEY}, timeout=5)
    assert r.status_code == expect, r.text
    return r.json()


def collect(ws, wanted, timeout=5):
    """Reads batch frames until each topic in `wanted` ({topic: count}) has that many events."""
    got = {t: [] for t in wanted}
    deadline = time.time() + timeout
    while any(len(got[t]) < n for t, n in wanted.items()):
        assert time.time() < deadline, f"got {({t: len(v) for t, v in got.items()})} of {wanted}"
        f = next_json(ws)
        assert f.get("op") != "closed", f
        if f.get("op") == "batch":
            assert f["topic"] in got, f
            got[f["topic"]].extend(f["events"])
    return got


def events_until(ws, topic, count, timeout=5):
    return collect(ws, {topic: count}, timeout)[topic]


def test_one_sequence_across_nodes_and_cross_node_delivery(cluster):
    a, b = cluster(2)
    ws_a, ws_b = connect(a), connect(b)
    for ws in (ws_a, ws_b):
        ack = request(ws, {"op": "subscribe", "id": 1, "topics": ["inbox", "conversation.*"]})
        assert ack["op"] == "ack" and ack["topics"]["inbox"]["seq"] == 0
    # both nodes name the same epoch: it lives in Redis
    assert request(ws_a, {"op": "subscribe", "id": 3, "topics": ["inbox"]})["topics"]["inbox"]["epoch"] == \
        request(ws_b, {"op": "subscribe", "id": 3, "topics": ["inbox"]})["topics"]["inbox"]["epoch"]
    # Alternate nodes: the seqs still form one sequence.
    seqs = []
    for i in range(10):
        node = a if i % 2 == 0 else b
        seqs += [r["seq"] for r in publish(node, [{"topic": "inbox", "type": "n", "data": {"i": i}},
                                                  {"topic": "conversation.7", "type": "m", "data": {"i": i}}])["results"]]
    assert seqs[0::2] == list(range(1, 11)) and seqs[1::2] == list(range(1, 11))
    for ws in (ws_a, ws_b):
        got = collect(ws, {"inbox": 10, "conversation.7": 10})
        assert [e["seq"] for e in got["inbox"]] == list(range(1, 11))
        assert [e["data"]["i"] for e in got["inbox"]] == list(range(10))
        assert [e["seq"] for e in got["conversation.7"]] == list(range(1, 11))


def test_recovery_on_another_node_and_websocket_publish(cluster):
    a, b = cluster(2)
    ws_a = connect(a)
    ack = request(ws_a, {"op": "subscribe", "id": 1, "topics": ["inbox"]})
    epoch = ack["topics"]["inbox"]["epoch"]
    publish(a, [{"topic": "inbox", "type": "n", "data": {"i": i}} for i in range(3)])
    got = events_until(ws_a, "inbox", 3)
    assert got[-1]["seq"] == 3
    ws_a.close()
    publish(a, [{"topic": "inbox", "type": "n", "data": {"i": i}} for i in range(3, 6)])
    time.sleep(0.1)
    ws_b = connect(b)
    ack = request(ws_b, {"op": "subscribe", "id": 2, "topics": ["inbox"], "since": {"inbox": {"epoch": epoch, "seq": 3}}})
    assert ack["topics"]["inbox"]["recovered"] is True, ack
    assert ack["topics"]["inbox"]["epoch"] == epoch
    replay = events_until(ws_b, "inbox", 3)
    assert [e["seq"] for e in replay] == [4, 5, 6]
    service = RawWS(a.port, "/ws?token=" + jwt_helper.token(SECRET, "service", ["inbox"], sub="svc"))
    assert request(service, {"op": "publish", "id": 9, "topic": "inbox", "type": "x", "data": {}}) == \
        {"op": "ack", "id": 9, "topic": "inbox", "seq": 7}
    assert [e["seq"] for e in events_until(ws_b, "inbox", 1)] == [7]


def test_presence_across_nodes_and_expiry_of_a_killed_node(cluster):
    a, b = cluster(2)
    ws_a = connect(a, sub="alice")
    assert request(ws_a, {"op": "subscribe", "id": 1, "topics": ["conversation.5"], "presence": True})["op"] == "ack"
    me = next_json(ws_a)
    assert me["joined"][0]["node"] == "node-1"
    ws_b = connect(b, sub="bob")
    assert request(ws_b, {"op": "subscribe", "id": 1, "topics": ["conversation.5"], "presence": True})["op"] == "ack"
    assert next_json(ws_b)["joined"][0]["sub"] == "bob"
    seen = next_json(ws_a)
    assert seen["op"] == "presence" and seen["joined"] == [{"sub": "bob", "conn": seen["joined"][0]["conn"], "node": "node-2"}]
    # b learnt alice from a's answer to its hello
    wait_for(lambda: request(ws_b, {"op": "presence", "id": 3, "topic": "conversation.5"})["members"] ==
             [{"sub": "alice", "connections": 1}, {"sub": "bob", "connections": 1}])
    r = requests.get(a.base + "/api/presence/conversation.5", headers={"Authorization": "Bearer " + API_KEY})
    assert r.json()["members"] == [{"sub": "alice", "connections": 1}, {"sub": "bob", "connections": 1}]
    b.kill9()
    # node-2 stops heartbeating: its member leaves within the TTL (3 s here)
    left = next_json(ws_a)
    assert left["op"] == "presence" and left["left"][0]["node"] == "node-2"
    assert request(ws_a, {"op": "presence", "id": 4, "topic": "conversation.5"})["members"] == [{"sub": "alice", "connections": 1}]


def test_health_shows_node_and_backplane(cluster):
    a, b = cluster(2)
    health = wait_for(lambda: (lambda h: h if h["services"]["hub"]["details"]["nodes_seen"] == 1 else None)(
        requests.get(a.base + "/health").json()))
    assert health["node"] == "node-1"
    details = health["services"]["hub"]["details"]
    assert details["redis_connected"] is True and details["lag_ms"] >= 0
    # the node ids, this node first (details hold scalars: one comma-joined string)
    assert details["nodes"] == "node-1,node-2"
    assert wait_for(lambda: requests.get(b.base + "/health").json()["services"]["hub"]["details"]["nodes"] == "node-2,node-1")
    leases = [requests.get(n.base + "/health").json()["services"]["hub"]["details"]["alert_lease"] for n in (a, b)]
    assert sorted(leases) == [False, True]


def test_redis_down_then_back_empty(cluster, redis):
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "clients", "python"))
    from switchboard_sim import payloads, sign, wire

    app_secret = "whatsapp-app-secret"
    env = {"SWITCHBOARD_WA_APP_SECRET": app_secret, "SWITCHBOARD_HEALTH_INTERVAL_S": "1", "SWITCHBOARD_ALERT_INTERVAL_S": "1"}
    a, b = cluster(2, env=env)
    ops = {"Authorization": "Bearer " + jwt_helper.token(SECRET, "ops", ["*"], sub="ops")}
    ws = connect(b)
    ack = request(ws, {"op": "subscribe", "id": 1, "topics": ["inbox", "conversation.*"]})
    old_epoch = ack["topics"]["inbox"]["epoch"]
    publish(a, [{"topic": "inbox", "type": "n", "data": {}}])
    assert events_until(ws, "inbox", 1)[0]["seq"] == 1

    redis.stop()
    # every node closes its WebSockets with 1012 so clients reconnect elsewhere and recover
    assert next_json(ws) == {"op": "closed", "code": 1012}
    r = requests.post(a.base + "/api/publish", json={"topic": "inbox", "type": "n", "data": {}},
                      headers={"Authorization": "Bearer " + API_KEY}, timeout=5)
    assert r.status_code == 503 and r.json()["error"]["code"] == "backplane_unavailable"
    wait_for(lambda: requests.get(a.base + "/health/ready").status_code == 503)
    assert requests.get(a.base + "/health").json()["services"]["hub"]["status"] == "error"
    wait_for(lambda: any(al["key"] == "hub.backplane_down" and al["severity"] == "critical"
                         for al in requests.get(b.base + "/api/alerts", headers=ops).json()["alerts"]))
    # a webhook is still acknowledged after its commit; its events go out when Redis returns
    body = wire.dumps(payloads.envelope([payloads.text_message("15550001111", "while redis was down")]))
    r = requests.post(a.base + "/webhooks/whatsapp", data=body,
                      headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign.signature(app_secret, body)})
    assert r.status_code == 200

    redis.start()  # same port, empty
    for node in (a, b):
        wait_for(lambda: requests.get(node.base + "/health/ready").status_code == 200, timeout=15)
    wait_for(lambda: not any(al["key"] == "hub.backplane_down"
                             for al in requests.get(b.base + "/api/alerts", headers=ops).json()["alerts"]))
    ws = connect(a)
    ack = request(ws, {"op": "subscribe", "id": 2, "topics": ["inbox", "conversation.*"],
                       "since": {"inbox": {"epoch": old_epoch, "seq": 1}}})
    assert ack["topics"]["inbox"]["recovered"] is False and ack["topics"]["inbox"]["epoch"] != old_epoch, ack
    # the webhook's events, held while Redis was away, are published now (history of the new epoch)
    wait_for(lambda: any(e["type"] == "message.received" for e in recover_all(a, "conversation.15550001111")))
    seq = publish(b, [{"topic": "inbox", "type": "n", "data": {}}])["results"][0]["seq"]
    assert seq >= 2  # after the webhook's conversation.updated
    got = collect(ws, {"inbox": 1}, timeout=5)
    assert got["inbox"][-1]["seq"] <= seq


def recover_all(node, topic, role="agent"):
    """Every event of `topic` still in history, read through a fresh subscription with since seq 0."""
    ws = RawWS(node.port, "/ws?token=" + jwt_helper.token(SECRET, role, [topic], sub="reader"))
    ack = request(ws, {"op": "subscribe", "id": 1, "topics": [topic]})
    epoch, seq = ack["topics"][topic]["epoch"], ack["topics"][topic]["seq"]
    if seq == 0:
        ws.close()
        return []
    ack = request(ws, {"op": "subscribe", "id": 2, "topics": [topic], "since": {topic: {"epoch": epoch, "seq": 0}}})
    assert ack["topics"][topic]["recovered"] is True, ack
    events = events_until(ws, topic, seq)
    ws.close()
    return events


def test_kill_9_of_a_node_clients_recover_on_another_with_nothing_lost(cluster):
    a, b = cluster(2)
    ws = connect(b)
    ack = request(ws, {"op": "subscribe", "id": 1, "topics": ["inbox"]})
    epoch = ack["topics"]["inbox"]["epoch"]
    publish(a, [{"topic": "inbox", "type": "n", "data": {"i": i}} for i in range(5)])
    seen = events_until(ws, "inbox", 5)
    b.kill9()
    publish(a, [{"topic": "inbox", "type": "n", "data": {"i": i}} for i in range(5, 10)])
    ws = connect(a)
    ack = request(ws, {"op": "subscribe", "id": 2, "topics": ["inbox"],
                       "since": {"inbox": {"epoch": epoch, "seq": seen[-1]["seq"]}}})
    assert ack["topics"]["inbox"]["recovered"] is True, ack
    rest = events_until(ws, "inbox", 5)
    assert [e["data"]["i"] for e in seen + rest] == list(range(10))
    assert [e["seq"] for e in seen + rest] == list(range(1, 11))


def test_alerts_are_the_same_on_every_node(cluster, redis):
    a, b = cluster(2, env={"SWITCHBOARD_ALERT_INTERVAL_S": "1"})
    ops = {"Authorization": "Bearer " + jwt_helper.token(SECRET, "ops", ["*"], sub="ops")}
    # webhooks refused for want of an app secret fire whatsapp.not_configured on the node that saw them
    for node in (a, b):
        for _ in range(3):
            assert requests.post(node.base + "/webhooks/whatsapp", data=b"{}").status_code == 503
    lists = wait_for(lambda: (lambda l: l if all("whatsapp.not_configured" in [x["key"] for x in ls] for ls in l) else None)(
        [requests.get(n.base + "/api/alerts", headers=ops).json()["alerts"] for n in (a, b)]) , timeout=15)
    assert lists[0] == lists[1]
    # published once for the cluster, by the lease holder
    time.sleep(1.5)
    fired = [e for e in recover_all(a, "alerts", role="ops") if e["type"] == "alert.firing"
             and e["data"]["key"] == "whatsapp.not_configured"]
    assert len(fired) == 1, fired


def test_websocket_publishes_pipeline_and_replies_keep_request_order(cluster):
    a, = cluster(1)
    service = RawWS(a.port, "/ws?token=" + jwt_helper.token(SECRET, "service", ["inbox"], sub="svc"))
    assert service.status == 101
    for i in range(20):
        service.send_text(json.dumps({"op": "publish", "id": i, "topic": "inbox", "type": "n", "data": {"i": i}}))
    service.send_text(json.dumps({"op": "ping", "id": "last"}))
    replies = [next_json(service) for _ in range(21)]
    assert replies[:20] == [{"op": "ack", "id": i, "topic": "inbox", "seq": i + 1} for i in range(20)]
    assert replies[20] == {"op": "pong", "id": "last"}
    # 20 events in fewer round trips (the health report is refreshed every second)
    details = wait_for(lambda: (lambda d: d if d["events_published"] >= 20 else None)(
        requests.get(a.base + "/health").json()["services"]["hub"]["details"]))
    assert details["publish_round_trips"] < details["events_published"], details


def test_a_missed_announcement_is_refilled_from_history_before_later_events(cluster, redis):
    a, = cluster(1)
    ws = connect(a)
    request(ws, {"op": "subscribe", "id": 1, "topics": ["inbox"]})
    publish(a, [{"topic": "inbox", "type": "n", "data": {"i": 1}}])
    assert [e["seq"] for e in events_until(ws, "inbox", 1)] == [1]
    # Event 2 reaches Redis (seq and history) but its announcement is lost: the node must notice
    # the hole when event 3 arrives and fetch 2 from the stream first.
    silent = """
    local seq = redis.call('HINCRBY', 'sb:m:inbox', 's', 1)
    redis.call('XADD', 'sb:h:inbox', seq .. '-1', 'e', '{"seq":' .. seq .. ',"type":"n","ts":1,"data":{"i":2}}', 't', '1')
    return seq
    """
    assert redis.command("EVAL", silent, 0).startswith(b":2")
    assert publish(a, [{"topic": "inbox", "type": "n", "data": {"i": 3}}])["results"][0]["seq"] == 3
    got = events_until(ws, "inbox", 2)
    assert [(e["seq"], e["data"]["i"]) for e in got] == [(2, 2), (3, 3)]


def test_socketio_publish_and_subscribe_across_nodes(cluster):
    """Socket.IO requests go through the backplane too: the publish ack carries the cluster-wide
    seq (not a refusal), and a Socket.IO subscriber on the other node receives the event."""
    import socketio
    a, b = cluster(2)
    received = []
    listener = socketio.Client(reconnection=False)
    listener.on("demo", lambda *args: received.append(args[0]))
    listener.connect(b.base, auth={"token": jwt_helper.token(SECRET, "agent", ["sio.t"])},
                     transports=["websocket"], wait_timeout=10)
    publisher = socketio.Client(reconnection=False)
    publisher.connect(a.base, auth={"token": jwt_helper.token(SECRET, "service", ["*"])},
                      transports=["websocket"], wait_timeout=10)
    try:
        ack = listener.call("subscribe", {"topics": ["sio.t"]}, timeout=10)
        assert set(ack["topics"]["sio.t"]) >= {"epoch", "seq"}
        acks = [publisher.call("publish", {"topic": "sio.t", "type": "demo", "data": {"i": i}}, timeout=10)
                for i in range(3)]
        assert all("seq" in x for x in acks), acks
        assert [x["seq"] for x in acks] == [acks[0]["seq"] + i for i in range(3)]
        wait_for(lambda: len(received) >= 3)
        assert [e["seq"] for e in received] == [x["seq"] for x in acks]
        assert [e["data"]["i"] for e in received] == [0, 1, 2]
    finally:
        listener.disconnect()
        publisher.disconnect()
