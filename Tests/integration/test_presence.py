"""Presence on one node (no Redis): presence frames between connections, the presence request,
GET /api/presence/{topic} and its access rules, the node id in /health."""
import json
import time

import pytest
import requests

import jwt_helper
from wsraw import RawWS

SECRET = "integration-secret-0123456789abcdef"
API_KEY = "integration-api-key-0123456789"
ENV = {"SWITCHBOARD_AUTH_SECRET": SECRET, "SWITCHBOARD_API_KEY": API_KEY, "SWITCHBOARD_NODE_ID": "node-test-1"}


@pytest.fixture(scope="module")
def srv():
    from conftest import ServerProcess
    s = ServerProcess(env=ENV).start()
    yield s
    s.stop()


def connect(srv, sub, topics=("inbox", "conversation.*"), role="agent"):
    ws = RawWS(srv.port, "/ws?token=" + jwt_helper.token(SECRET, role, list(topics), sub=sub))
    assert ws.status == 101, ws.head
    return ws


def request(ws, req):
    ws.send_text(json.dumps(req))
    return next_json(ws)


def next_json(ws, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        op, p = ws.recv_frame()
        if op == 1:
            return json.loads(p)
    raise AssertionError("no text frame")


def join(ws, topic, rid=1):
    ack = request(ws, {"op": "subscribe", "id": rid, "topics": [topic], "presence": True})
    assert ack["op"] == "ack", ack
    own = next_json(ws)
    assert own["op"] == "presence" and own["topic"] == topic and own["left"] == [], own
    return own["joined"][0]


def test_join_and_leave_reach_other_watchers_and_counts_group_by_sub(srv):
    a = connect(srv, "alice")
    me_a = join(a, "conversation.1")
    assert me_a["sub"] == "alice" and me_a["node"] == "node-test-1"
    b1 = connect(srv, "bob")
    me_b1 = join(b1, "conversation.1")
    assert next_json(a) == {"op": "presence", "topic": "conversation.1", "joined": [me_b1], "left": []}
    b2 = connect(srv, "bob")
    me_b2 = join(b2, "conversation.1")
    assert me_b2["conn"] != me_b1["conn"]
    assert next_json(a)["joined"] == [me_b2]
    answer = request(a, {"op": "presence", "id": "q", "topic": "conversation.1"})
    assert answer == {"op": "presence", "id": "q", "topic": "conversation.1",
                      "members": [{"sub": "alice", "connections": 1}, {"sub": "bob", "connections": 2}]}
    b1.close()
    for watcher in (a, b2):
        assert next_json(watcher) == {"op": "presence", "topic": "conversation.1", "joined": [], "left": [me_b1]}
    assert request(b2, {"op": "unsubscribe", "id": 9, "topics": ["conversation.1"]}) == {"op": "ack", "id": 9}
    assert next_json(a)["left"] == [me_b2]
    r = requests.get(srv.base + "/api/presence/conversation.1", headers={"Authorization": "Bearer " + API_KEY})
    assert r.status_code == 200 and r.json() == {"topic": "conversation.1", "members": [{"sub": "alice", "connections": 1}]}
    a.close()
    b2.close()


def test_subscribers_without_presence_neither_appear_nor_receive_frames(srv):
    quiet = connect(srv, "carol")
    ack = request(quiet, {"op": "subscribe", "id": 1, "topics": ["conversation.2"]})
    assert ack["op"] == "ack"
    loud = connect(srv, "dave")
    join(loud, "conversation.2")
    # Nothing was queued to `quiet`: its next frame is the pong.
    assert request(quiet, {"op": "ping", "id": 2}) == {"op": "pong", "id": 2}
    assert request(quiet, {"op": "presence", "id": 3, "topic": "conversation.2"})["members"] == [{"sub": "dave", "connections": 1}]
    quiet.close()
    loud.close()


def test_presence_needs_read_access(srv):
    ws = connect(srv, "erin", topics=("inbox",))
    err = request(ws, {"op": "presence", "id": 1, "topic": "conversation.3"})
    assert err["op"] == "error" and err["code"] == "forbidden" and err["id"] == 1
    err = request(ws, {"op": "subscribe", "id": 2, "topics": ["conversation.3"], "presence": True})
    assert err["code"] == "forbidden"
    assert request(ws, {"op": "presence", "id": 3, "topic": "conversation.3"})["code"] == "forbidden"
    ws.close()


def test_http_presence_access_rules(srv):
    url = srv.base + "/api/presence/inbox"
    assert requests.get(url).status_code == 401
    ops_all = jwt_helper.token(SECRET, "ops", ["*"], sub="ops")
    ops_alerts = jwt_helper.token(SECRET, "ops", ["alerts"], sub="ops")
    agent = jwt_helper.token(SECRET, "agent", ["inbox"], sub="a")
    assert requests.get(url, headers={"Authorization": "Bearer " + ops_all}).json() == {"topic": "inbox", "members": []}
    assert requests.get(url, headers={"Authorization": "Bearer " + ops_alerts}).status_code == 403
    assert requests.get(url, headers={"Authorization": "Bearer " + agent}).status_code == 403
    r = requests.get(srv.base + "/api/presence/conversation.*", headers={"Authorization": "Bearer " + API_KEY})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"


def test_health_names_the_node(srv):
    body = requests.get(srv.base + "/health").json()
    assert body["node"] == "node-test-1"
    assert body["services"]["hub"]["details"]["node"] == "node-test-1"
