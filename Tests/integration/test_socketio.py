"""Socket.IO v4 at /socket.io/: python-socketio's clients (sync and asyncio, polling with upgrade
and WebSocket only) against the real server, plus raw Engine.IO requests for the error answers,
limits and malformed input."""
import asyncio
import json
import re
import threading
import time

import pytest
import requests
import socketio

import jwt_helper
from conftest import ServerProcess
from helpers import wait_for
from wsraw import RawWS

SECRET = "socketio-secret-0123456789abcdef"
API_KEY = "socketio-api-key-0123456789"
ORIGIN = "http://app.example"
ENV = {"SWITCHBOARD_AUTH_SECRET": SECRET, "SWITCHBOARD_API_KEY": API_KEY, "SWITCHBOARD_CORS_ORIGINS": ORIGIN,
       "SWITCHBOARD_SOCKETIO_EVENT_NAMES": "message.received=new_message,message.status=message_status"}
OPEN = re.compile(r'^0\{"sid":"[A-Za-z0-9_-]{20}","upgrades":\["websocket"\],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000\}$')


@pytest.fixture(scope="module")
def srv():
    s = ServerProcess(env=ENV).start()
    yield s
    s.stop()


def agent(topics=("inbox",), **kw):
    return jwt_helper.token(SECRET, "agent", list(topics), **kw)


def publish(srv, topic, type_=None, data=None):
    """One event (topic, type, data), or a list of event objects as `topic`."""
    body = topic if isinstance(topic, list) else {"topic": topic, "type": type_, "data": data}
    r = requests.post(srv.base + "/api/publish", json=body, headers={"Authorization": "Bearer " + API_KEY})
    assert r.status_code == 202, r.text
    return r.json()["results"][0]["seq"]


def url(srv, query):
    return f"{srv.base}/socket.io/?{query}"


def handshake(srv):
    r = requests.get(url(srv, "EIO=4&transport=polling"))
    assert r.status_code == 200
    assert OPEN.match(r.text), r.text
    return json.loads(r.text[1:])["sid"]


class Collector:
    """Events a client received, by name, with their arguments."""

    def __init__(self):
        self.events = []
        self.lock = threading.Lock()

    def handler(self, name):
        def on(*args):
            with self.lock:
                self.events.append((name, args))
        return on

    def named(self, name):
        with self.lock:
            return [a for n, a in self.events if n == name]


# --- raw Engine.IO ---------------------------------------------------------------------------------

def test_polling_handshake_open_packet_and_headers(srv):
    r = requests.get(url(srv, "EIO=4&transport=polling"), headers={"Origin": ORIGIN})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert r.headers["Access-Control-Allow-Credentials"] == "true"
    assert OPEN.match(r.text), r.text
    other = requests.get(url(srv, "EIO=4&transport=polling"), headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "Access-Control-Allow-Credentials" not in other.headers


@pytest.mark.parametrize("method,query,code,message", [
    ("GET", "EIO=4&transport=polling&sid=nope", 1, "Session ID unknown"),
    ("POST", "EIO=4&transport=polling&sid=nope", 1, "Session ID unknown"),
    ("GET", "EIO=4&transport=carrier-pigeon", 0, "Transport unknown"),
    ("GET", "EIO=4", 0, "Transport unknown"),
    ("GET", "EIO=3&transport=polling", 5, "Unsupported protocol version"),
    ("GET", "transport=polling", 5, "Unsupported protocol version"),
    ("POST", "EIO=4&transport=polling", 2, "Bad handshake method"),
    ("GET", "EIO=4&transport=websocket", 3, "Bad request"),
])
def test_engineio_error_answers(srv, method, query, code, message):
    r = requests.request(method, url(srv, query), data=b"40" if method == "POST" else None)
    assert r.status_code == 400
    assert r.json() == {"code": code, "message": message}


def test_post_over_max_payload_is_413_and_closes(srv):
    sid = handshake(srv)
    r = requests.post(url(srv, f"EIO=4&transport=polling&sid={sid}"), data=b"4" + b"x" * 1_000_000)
    assert r.status_code == 413
    wait_for(lambda: requests.get(url(srv, f"EIO=4&transport=polling&sid={sid}")).status_code == 400, what="session closed")


def test_concurrent_polls_second_gets_400_and_session_closes(srv):
    sid = handshake(srv)
    first = {}
    t = threading.Thread(target=lambda: first.update(r=requests.get(url(srv, f"EIO=4&transport=polling&sid={sid}"), timeout=30)))
    t.start()
    time.sleep(0.3)
    second = requests.get(url(srv, f"EIO=4&transport=polling&sid={sid}"))
    assert second.status_code == 400
    t.join(10)
    assert first["r"].status_code == 200 and first["r"].text == "1"  # the close packet
    r = requests.get(url(srv, f"EIO=4&transport=polling&sid={sid}"))
    assert r.status_code == 400 and r.json()["code"] == 1


def test_malformed_polling_payload_closes_the_session(srv):
    sid = handshake(srv)
    r = requests.post(url(srv, f"EIO=4&transport=polling&sid={sid}"), data=b"9garbage")
    assert r.status_code == 200 and r.text == "ok"
    r = requests.get(url(srv, f"EIO=4&transport=polling&sid={sid}"))
    assert r.status_code == 400 and r.json()["code"] == 1


def test_polling_connect_subscribe_and_receive(srv):
    sid = handshake(srv)
    q = f"EIO=4&transport=polling&sid={sid}"
    assert requests.post(url(srv, q), data=("40" + json.dumps({"token": agent()})).encode()).text == "ok"
    r = requests.get(url(srv, q))
    connect = json.loads(r.text[2:])
    assert r.text.startswith("40") and set(connect) == {"sid", "pid"}
    requests.post(url(srv, q), data=b'421["subscribe",{"topics":["inbox"]}]')
    ack = requests.get(url(srv, q)).text
    assert ack.startswith("431[") and "inbox" in json.loads(ack[3:])[0]["topics"]
    seq = publish(srv, "inbox", "demo", {"n": 1})
    packets = requests.get(url(srv, q), timeout=30).text.split("\x1e")
    name, event, offset = json.loads(packets[0][2:])
    assert name == "demo" and event["seq"] == seq and event["data"] == {"n": 1} and event["topic"] == "inbox"
    assert offset == f"{seq}-{event['epoch']}-inbox"
    assert requests.post(url(srv, q), data=b"1").text == "ok"  # the client closes
    assert requests.get(url(srv, q)).json()["code"] == 1


def test_malformed_socketio_packet_on_websocket_closes(srv):
    ws = RawWS(srv.port, "/socket.io/?EIO=4&transport=websocket")
    assert ws.status == 101
    op, p = ws.recv_frame()
    assert op == 1 and OPEN.sub("", "") == "" and p.startswith(b'0{"sid"')
    assert b'"upgrades":[]' in p
    ws.send_text("4[not json")
    code, frames = ws.recv_until_close()
    assert code == 1000
    ws.close()


def raw_connect(srv, auth):
    ws = RawWS(srv.port, "/socket.io/?EIO=4&transport=websocket")
    ws.recv_frame()  # open
    ws.send_text("40" + json.dumps(auth))
    return ws, ws.recv_frame()[1].decode()


def test_bad_or_expired_token_gets_only_connect_error(srv):
    for token in ["garbage", agent(exp=1000), None]:
        ws, answer = raw_connect(srv, {"token": token} if token else {})
        assert answer == '44{"message":"unauthorized"}'
        ws.sock.settimeout(0.5)
        with pytest.raises(OSError):  # nothing else follows
            ws.recv_frame()
        ws.close()


def test_other_namespace_is_refused(srv):
    ws = RawWS(srv.port, "/socket.io/?EIO=4&transport=websocket")
    ws.recv_frame()
    ws.send_text('40/admin,{"token":"%s"}' % agent())
    assert ws.recv_frame()[1] == b'44/admin,{"message":"Invalid namespace"}'
    ws.close()


def test_token_expiry_mid_session_disconnects(srv):
    ws, answer = raw_connect(srv, {"token": agent(ttl=2)})
    assert answer.startswith("40")
    ws.sock.settimeout(6)
    while True:
        op, p = ws.recv_frame()
        if p == b"41":
            break
    ws.close()


def test_recovery_replays_exactly_what_was_missed(srv):
    ws, answer = raw_connect(srv, {"token": agent()})
    first = json.loads(answer[2:])
    ws.send_text('420["subscribe",{"topics":["inbox"]}]')
    assert ws.recv_frame()[1].startswith(b"430[")
    seqs = [publish(srv, "inbox", "demo", {"i": i}) for i in range(3)]
    got = []
    while len(got) < 3:
        got.append(json.loads(ws.recv_frame()[1][2:]))
    offset = got[0][-1]  # pretend the client processed only the first
    ws.close()  # transport close: recoverable
    time.sleep(0.3)
    later = publish(srv, "inbox", "demo", {"i": 3})
    ws2, answer2 = raw_connect(srv, {"token": agent(), "pid": first["pid"], "offset": offset})
    assert json.loads(answer2[2:]) == first  # same sid and pid: recovered
    replay = [json.loads(ws2.recv_frame()[1][2:]) for _ in range(3)]
    assert [e[1]["seq"] for e in replay] == seqs[1:] + [later]
    ws2.close()
    # A pid is restored once; a stale or foreign one gets a fresh session.
    ws3, answer3 = raw_connect(srv, {"token": agent(), "pid": first["pid"], "offset": offset})
    fresh = json.loads(answer3[2:])
    assert fresh["sid"] != first["sid"] and fresh["pid"] != first["pid"]
    ws3.sock.settimeout(0.5)
    with pytest.raises(OSError):
        ws3.recv_frame()
    ws3.close()


# --- python-socketio clients ----------------------------------------------------------------------

@pytest.mark.parametrize("transports", [None, ["websocket"]])
def test_sync_client_subscribe_events_and_rename(srv, transports):
    c = Collector()
    sio = socketio.Client(reconnection=False)
    for name in ["new_message", "message_status", "other.type"]:
        sio.on(name, c.handler(name))
    sio.connect(srv.base, auth={"token": agent(["inbox", "conversation.*"])}, transports=transports, wait_timeout=10)
    try:
        ack = sio.call("subscribe", {"topics": ["inbox", "conversation.*"]}, timeout=10)
        assert ack["topics"]["conversation.*"] == {"wildcard": True}
        assert set(ack["topics"]["inbox"]) == {"epoch", "seq"}
        publish(srv, "inbox", "message.received", {"text": "hi"})
        publish(srv, "conversation.15551234567", "message.status", {"status": "read"})
        publish(srv, "inbox", "other.type", [1, 2])
        wait_for(lambda: c.named("new_message") and c.named("message_status") and c.named("other.type"), what="events")
        event, offset = c.named("new_message")[0]
        assert event["type"] == "message.received" and event["data"] == {"text": "hi"} and event["topic"] == "inbox"
        assert set(event) >= {"topic", "epoch", "seq", "ts", "type", "data"}
        assert offset == f"{event['seq']}-{event['epoch']}-inbox"
        assert c.named("message_status")[0][0]["topic"] == "conversation.15551234567"
        if transports is None:
            wait_for(lambda: sio.transport() == "websocket", what="upgrade to websocket")
        assert sio.call("unsubscribe", {"topics": ["inbox"]}, timeout=10) == {}
        assert sio.call("subscribe", {"topics": ["alerts"]}, timeout=10)["error"]["code"] == "forbidden"
        assert sio.call("subscribe", {"topics": []}, timeout=10)["error"]["code"] == "bad_request"
        assert sio.call("dance", {"x": 1}, timeout=10)["error"]["code"] == "unknown_event"
        assert sio.call("publish", {"topic": "inbox", "type": "x", "data": {}}, timeout=10)["error"]["code"] == "forbidden"
        err = sio.call("upload", b"\x00\x01binary", timeout=10)
        assert err["error"]["code"] == "bad_request"
        assert sio.connected and sio.call("unsubscribe", {"topics": ["conversation.*"]}, timeout=10) == {}
    finally:
        sio.disconnect()


def test_sync_client_bad_token_fails_to_connect(srv):
    sio = socketio.Client(reconnection=False)
    errors = []
    sio.on("connect_error", lambda data: errors.append(data))
    with pytest.raises(socketio.exceptions.ConnectionError):
        sio.connect(srv.base, auth={"token": "nope"}, wait_timeout=5)
    assert errors == [{"message": "unauthorized"}]


@pytest.mark.parametrize("transports", [None, ["websocket"]])
def test_async_client_batch_mode_and_publish(srv, transports):
    async def run():
        batches, singles = [], []
        sio = socketio.AsyncClient(reconnection=False)
        sio.on("batch", lambda *a: batches.append(a))
        sio.on("demo", lambda *a: singles.append(a))
        service = jwt_helper.token(SECRET, "service", ["*"])
        await sio.connect(srv.base, auth={"token": service, "batch": True}, transports=transports, wait_timeout=10)
        try:
            await sio.call("subscribe", {"topics": ["batch.t"]}, timeout=10)
            acks = [await sio.call("publish", {"topic": "batch.t", "type": "demo", "data": {"i": i}}, timeout=10) for i in range(5)]
            assert [a["seq"] for a in acks] == sorted(a["seq"] for a in acks) and all(set(a) == {"seq"} for a in acks)
            for _ in range(200):
                if sum(len(b[0]["events"]) for b in batches) >= 5:
                    break
                await asyncio.sleep(0.05)
            events = [e for b in batches for e in b[0]["events"]]
            assert [e["seq"] for e in events] == [a["seq"] for a in acks]
            frame, offset = batches[-1]
            assert frame["topic"] == "batch.t" and "epoch" in frame
            assert offset == f"{events[-1]['seq']}-{frame['epoch']}-batch.t"
            assert singles == []
        finally:
            await sio.disconnect()
    asyncio.run(run())


def test_async_client_reconnects_after_server_drops_it(server_factory):
    srv = server_factory(env=ENV).start()

    async def run():
        connects = []
        sio = socketio.AsyncClient(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=0.5)
        sio.on("connect", lambda: connects.append(time.time()))
        await sio.connect(srv.base, auth={"token": agent()}, transports=["websocket"], wait_timeout=10)
        srv.stop()
        srv.start()
        for _ in range(200):
            if len(connects) >= 2:
                break
            await asyncio.sleep(0.05)
        assert len(connects) >= 2
        ack = await sio.call("subscribe", {"topics": ["inbox"]}, timeout=10)
        assert "inbox" in ack["topics"]
        await sio.disconnect()
    asyncio.run(run())


def test_slow_consumer_is_closed_4008_and_others_keep_everything(server_factory):
    srv = server_factory(env=dict(ENV, SWITCHBOARD_MAX_CONN_BUFFER="262144", SWITCHBOARD_BATCH_WINDOW_MS="1")).start()

    def subscriber(**kw):
        ws = RawWS(srv.port, "/socket.io/?EIO=4&transport=websocket", **kw)
        ws.recv_frame()
        ws.send_text("40" + json.dumps({"token": agent()}))
        ws.send_text('420["subscribe",{"topics":["inbox"]}]')
        return ws

    stalled = subscriber(rcvbuf=4096)
    healthy = subscriber()
    assert healthy.recv_frame()[1].startswith(b"40{")
    assert healthy.recv_frame()[1].startswith(b"430[")
    blob = "y" * 4000
    seen = 0
    for round_ in range(1, 41):
        publish(srv, [{"topic": "inbox", "type": "t", "data": blob} for _ in range(50)])
        while seen < round_ * 50:
            if healthy.recv_frame()[1].startswith(b'42["t"'):
                seen += 1
    code, _ = stalled.recv_until_close(limit=1000000)
    assert code == 4008
    assert seen == 2000


def test_heartbeat_ping_every_interval_and_close_without_pong(srv):
    """The real timings (25 s + 20 s, so this test takes 45 s): a pong keeps the session, a
    missing pong closes it."""
    answering = RawWS(srv.port, "/socket.io/?EIO=4&transport=websocket", timeout=60)
    silent = RawWS(srv.port, "/socket.io/?EIO=4&transport=websocket", timeout=60)
    start = time.time()
    for ws in (answering, silent):
        ws.recv_frame()
        ws.send_text("40" + json.dumps({"token": agent()}))
        assert ws.recv_frame()[1].startswith(b"40{")
    assert answering.recv_frame()[1] == b"2"
    assert 24 <= time.time() - start <= 27
    answering.send_text("3")
    assert silent.recv_frame()[1] == b"2"
    code, _ = silent.recv_until_close()
    assert code == 1000
    assert 44 <= time.time() - start <= 48
    answering.send_text('421["subscribe",{"topics":["inbox"]}]')
    assert answering.recv_frame()[1].startswith(b"431[")  # still open
    answering.close()
    silent.close()
