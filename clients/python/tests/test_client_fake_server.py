"""The client's I/O against a small in-process stand-in of the protocol (not the real server):
request/reply matching, resubscribe with since after close codes 4008/1006, replay without loss
or duplicates, recovered:false → on_gap, and no reconnect after 4001/4003."""
import asyncio
import json
import os
import sys

import pytest
from websockets.asyncio.server import serve

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from switchboard import Client, SwitchboardError  # noqa: E402


class FakeHub:
    """Exact topics only; each topic keeps its whole history; `epoch` is shared."""

    def __init__(self):
        self.epoch = "e1"
        self.history = {}
        self.conns = set()
        self.subscribe_frames = []
        self.connections = 0

    def publish(self, topic, data):
        events = self.history.setdefault(topic, [])
        event = {"seq": len(events) + 1, "type": "t", "ts": 1, "data": data}
        events.append(event)
        return event

    async def broadcast(self, topic, event):
        for ws, topics in list(self.conns):
            if topic in topics:
                await ws.send(json.dumps({"op": "batch", "topic": topic, "events": [event]}))

    async def handler(self, ws):
        self.connections += 1
        topics = set()
        entry = (ws, frozenset())
        try:
            async for raw in ws:
                frame = json.loads(raw)
                if frame["op"] == "subscribe":
                    self.subscribe_frames.append(frame)
                    ack, replays = {}, []
                    for t in frame["topics"]:
                        if t == "secret":
                            await ws.send(json.dumps({"op": "error", "id": frame["id"], "code": "forbidden", "message": "no"}))
                            break
                        events = self.history.get(t, [])
                        ack[t] = {"epoch": self.epoch, "seq": len(events)}
                        since = frame.get("since", {}).get(t)
                        if since is not None:
                            ok = since["epoch"] == self.epoch and since["seq"] <= len(events)
                            ack[t]["recovered"] = ok
                            if ok and events[since["seq"]:]:
                                replays.append({"op": "batch", "topic": t, "events": events[since["seq"]:]})
                        topics.add(t)
                    else:
                        await ws.send(json.dumps({"op": "ack", "id": frame["id"], "topics": ack}))
                        for r in replays:
                            await ws.send(json.dumps(r))
                        self.conns.discard(entry)
                        entry = (ws, frozenset(topics))
                        self.conns.add(entry)
                elif frame["op"] == "ping":
                    await ws.send(json.dumps({"op": "pong", "id": frame["id"]}))
                elif frame["op"] == "publish":
                    event = self.publish(frame["topic"], frame["data"])
                    await ws.send(json.dumps({"op": "ack", "id": frame["id"], "topic": frame["topic"], "seq": event["seq"]}))
                    await self.broadcast(frame["topic"], event)
        finally:
            self.conns.discard(entry)

    async def close_all(self, code):
        for ws, _ in list(self.conns):
            await ws.close(code)


async def start(hub):
    server = await serve(hub.handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"ws://127.0.0.1:{port}/ws"


async def wait_for(predicate, timeout=5.0):
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


def test_resumes_after_4008_and_1006_without_loss_or_duplicates():
    async def main():
        hub = FakeHub()
        server, url = await start(hub)
        got, gaps = [], []
        client = Client(url, "tok", on_gap=gaps.append, backoff_base=0.01, backoff_cap=0.05)
        await client.connect()
        assert await client.subscribe("inbox", got.append) == {"inbox": {"epoch": "e1", "seq": 0}}
        for i in range(30):
            await hub.broadcast("inbox", hub.publish("inbox", i))
            if i == 10:
                await hub.close_all(4008)
            if i == 20:
                client._ws.transport.abort()
            await asyncio.sleep(0.002)
        await wait_for(lambda: len(got) >= 30)
        await asyncio.sleep(0.05)
        assert [e["seq"] for e in got] == list(range(1, 31))
        assert gaps == [] and client.reconnects == 2
        resumed = [f for f in hub.subscribe_frames if "since" in f]
        assert len(resumed) == 2 and all(f["since"]["inbox"]["epoch"] == "e1" for f in resumed)
        assert client.positions() == {"inbox": {"epoch": "e1", "seq": 30}}
        await client.close()
        server.close()
    asyncio.run(main())


def test_new_epoch_on_reconnect_reports_a_gap_and_continues():
    async def main():
        hub = FakeHub()
        server, url = await start(hub)
        got, gaps = [], []
        client = Client(url, "tok", on_gap=gaps.append, backoff_base=0.01, backoff_cap=0.05)
        await client.connect()
        await client.subscribe("inbox", got.append)
        await hub.broadcast("inbox", hub.publish("inbox", "a"))
        await wait_for(lambda: len(got) == 1)
        hub.epoch, hub.history = "e2", {}  # the server "restarted": history lost
        hub.publish("inbox", "lost")
        await hub.close_all(4009)
        await wait_for(lambda: gaps == ["inbox"])
        await wait_for(lambda: client.connected)
        await hub.broadcast("inbox", hub.publish("inbox", "b"))
        await wait_for(lambda: len(got) == 2)
        assert [(e["seq"], e["data"]) for e in got] == [(1, "a"), (2, "b")]
        assert client.positions() == {"inbox": {"epoch": "e2", "seq": 2}}
        await client.close()
        server.close()
    asyncio.run(main())


@pytest.mark.parametrize("code", [4001, 4003])
def test_auth_close_codes_stop_the_client(code):
    async def main():
        hub = FakeHub()
        server, url = await start(hub)
        client = Client(url, "tok", backoff_base=0.01, backoff_cap=0.05)
        await client.connect()
        await client.subscribe("inbox", lambda e: None)
        await hub.close_all(code)
        await asyncio.wait_for(client.wait_stopped(), 5)
        assert client.fatal_error.code == ("unauthorized" if code == 4001 else "forbidden")
        assert hub.connections == 1
        with pytest.raises(SwitchboardError):
            await client.ping()
        await client.close()
        server.close()
    asyncio.run(main())


def test_requests_match_replies_and_errors_raise_with_code():
    async def main():
        hub = FakeHub()
        server, url = await start(hub)
        got = []
        client = Client(url, "tok")
        await client.connect()
        await client.subscribe("inbox", got.append)
        assert await client.publish("inbox", "t", {"x": 1}) == 1
        assert await client.ping() >= 0
        with pytest.raises(SwitchboardError) as e:
            await client.subscribe("secret", got.append)
        assert e.value.code == "forbidden"
        with pytest.raises(SwitchboardError) as e:
            await client.subscribe("bad topic", got.append)
        assert e.value.code == "bad_request"
        await wait_for(lambda: len(got) == 1)
        assert got[0]["data"] == {"x": 1}
        await client.close()
        server.close()
    asyncio.run(main())
