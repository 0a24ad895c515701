"""The Redis connection drops after the publish script ran but before its reply arrived: the node
resends the batch of internal events (it cannot know whether it ran), and no subscriber, on any
node, sees those events twice; history holds them once."""
import os
import sys

import pytest
import requests

from conftest import ServerProcess
from redis_proxy import RedisProxy
from test_cluster import API_KEY, SECRET, collect, connect, recover_all, redis, request, wait_for  # noqa: F401 (redis: fixture)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "clients", "python"))
from switchboard_sim import payloads, sign, wire  # noqa: E402

APP_SECRET = "whatsapp-app-secret"


@pytest.fixture
def proxy(redis):
    p = RedisProxy(redis.port)
    yield p
    p.stop()


def node(node_id, redis_url):
    return ServerProcess(env={"SWITCHBOARD_AUTH_SECRET": SECRET, "SWITCHBOARD_API_KEY": API_KEY,
                              "SWITCHBOARD_REDIS_URL": redis_url, "SWITCHBOARD_NODE_ID": node_id,
                              "SWITCHBOARD_THREADS": "2", "SWITCHBOARD_WA_APP_SECRET": APP_SECRET}).start()


def ready(n):
    return requests.get(n.base + "/health/ready").status_code == 200


def test_internal_batch_resent_after_a_drop_is_not_published_twice(redis, proxy):
    a = node("node-a", proxy.url)   # reaches Redis through the proxy that drops
    b = node("node-b", redis.url)   # reaches Redis directly and watches
    try:
        for n in (a, b):
            wait_for(lambda: ready(n), timeout=15)
        ws = connect(b)
        assert request(ws, {"op": "subscribe", "id": 1, "topics": ["inbox"]})["op"] == "ack"

        wa_id = "15550002222"
        proxy.drop_after(wa_id.encode())  # the first command naming it: the webhook's publish script
        body = wire.dumps(payloads.envelope([payloads.text_message(wa_id, "sent once")]))
        r = requests.post(a.base + "/webhooks/whatsapp", data=body, timeout=5, headers={
            "Content-Type": "application/json", "X-Hub-Signature-256": sign.signature(APP_SECRET, body)})
        assert r.status_code == 200
        assert proxy.dropped.wait(10), "the publish script never went through the proxy"

        # A marker published after the resend (which goes first when Redis is back): once node b
        # has the marker, it has had every copy of the webhook's events it will ever get. Until
        # node a is connected again it refuses the marker with 503 without sending it.
        def publish_marker():
            r = requests.post(a.base + "/api/publish", json={"topic": "inbox", "type": "marker", "data": {}},
                              headers={"Authorization": "Bearer " + API_KEY}, timeout=5)
            assert r.status_code in (202, 503), r.text
            return r.status_code == 202
        wait_for(publish_marker, timeout=15, step=0.1)
        inbox = collect(ws, {"inbox": 2})["inbox"]
        while inbox[-1]["type"] != "marker":
            inbox += collect(ws, {"inbox": 1})["inbox"]
        assert [(e["seq"], e["type"]) for e in inbox] == [(1, "conversation.updated"), (2, "marker")], inbox

        history = recover_all(a, "conversation." + wa_id)
        assert [e["type"] for e in history].count("message.received") == 1, history
        assert [e["seq"] for e in history] == list(range(1, len(history) + 1))
        assert redis.command("XLEN", "sb:h:inbox").startswith(b":2\r\n")
    finally:
        a.stop()
        b.stop()
