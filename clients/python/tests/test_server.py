"""Tests against the REAL server: run only when SWITCHBOARD_BIN points at the built binary.
Replays every Protocol/examples scenario, receives HTTP-published events through the client,
survives a killed socket without loss or duplicates, and checks switchboard-tail's output."""
import asyncio
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

from golden import Replayer, http_post, scenario_paths, sign_token  # noqa: E402
from switchboard import Client  # noqa: E402

BIN = os.environ.get("SWITCHBOARD_BIN")
SECRET = "golden-test-secret-0123456789abcdef"
API_KEY = "golden-test-api-key"

pytestmark = pytest.mark.skipif(not BIN, reason="set SWITCHBOARD_BIN to the server binary to run these")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self):
        self.port = free_port()
        self.data_dir = tempfile.mkdtemp(prefix="sb-pyclient-")
        self.env = dict(os.environ, SWITCHBOARD_AUTH_SECRET=SECRET, SWITCHBOARD_API_KEY=API_KEY)
        self.log = open(os.path.join(self.data_dir, "server.log"), "ab")
        self.proc = subprocess.Popen([BIN, "serve", "--host", "127.0.0.1", "--port", str(self.port),
                                      "--data-dir", self.data_dir], env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 15
        while True:
            assert self.proc.poll() is None, f"server exited with {self.proc.returncode}"
            try:
                with urllib.request.urlopen(f"{self.http}/health/live", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.time() < deadline, "server did not become ready"
            time.sleep(0.05)

    @property
    def http(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self):
        return f"ws://127.0.0.1:{self.port}/ws"

    def publish(self, events):
        return http_post(f"{self.http}/api/publish", events, {"Authorization": f"Bearer {API_KEY}"})

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.stop()


def agent_token(topics=("inbox", "conversation.*")):
    return sign_token(SECRET, "agent-1", "agent", list(topics))


@pytest.mark.parametrize("path", scenario_paths(), ids=lambda p: os.path.basename(p)[:-5])
def test_golden_scenario(server, path):
    with open(path, encoding="utf-8") as f:
        scenario = json.load(f)
    asyncio.run(Replayer(server.ws, server.http, SECRET, API_KEY).run(scenario))


def test_client_receives_events_published_over_http(server):
    async def main():
        got, gaps = [], []
        client = Client(server.ws, agent_token(), on_gap=gaps.append)
        await client.connect()
        ack = await client.subscribe("conversation.*", got.append)
        assert ack == {"conversation.*": {"wildcard": True}}
        status, body = await asyncio.to_thread(server.publish, [
            {"topic": "conversation.1", "type": "m", "data": {"i": i}} for i in range(5)])
        assert status == 202 and [r["seq"] for r in body["results"]] == [1, 2, 3, 4, 5]
        for _ in range(100):
            if len(got) == 5:
                break
            await asyncio.sleep(0.02)
        assert [(e["topic"], e["seq"], e["data"]) for e in got] == [("conversation.1", i + 1, {"i": i}) for i in range(5)]
        assert gaps == []
        await client.close()
    asyncio.run(main())


def test_reconnect_mid_stream_loses_nothing_and_repeats_nothing(server):
    async def main():
        got, gaps = [], []
        client = Client(server.ws, agent_token(), on_gap=gaps.append, backoff_base=0.05, backoff_cap=0.2)
        await client.connect()
        await client.subscribe("inbox", got.append)
        total = 60
        for i in range(total):
            await asyncio.to_thread(server.publish, {"topic": "inbox", "type": "n", "data": {"i": i}})
            if i in (15, 40):
                client._ws.transport.abort()  # the network drops: no close frame (1006)
            await asyncio.sleep(0.005)
        for _ in range(300):
            if len(got) >= total:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
        assert [e["seq"] for e in got] == list(range(1, total + 1))
        assert [e["data"]["i"] for e in got] == list(range(total))
        assert gaps == [] and client.reconnects == 2
        await client.close()
    asyncio.run(main())


def test_publish_over_the_socket_needs_role_service(server):
    async def main():
        from switchboard import SwitchboardError
        service = Client(server.ws, sign_token(SECRET, "svc", "service", ["*"]))
        await service.connect()
        assert await service.publish("inbox", "note.added", {"x": 1}) == 1
        await service.close()
        agent = Client(server.ws, agent_token())
        await agent.connect()
        with pytest.raises(SwitchboardError) as e:
            await agent.publish("inbox", "note.added", {})
        assert e.value.code == "forbidden"
        assert await agent.ping() >= 0
        await agent.close()
    asyncio.run(main())


def test_switchboard_tail_prints_json_lines_and_exits_on_sigint(server, tmp_path):
    since_file = tmp_path / "since.json"
    env = dict(os.environ, SWITCHBOARD_TOKEN=agent_token())
    proc = subprocess.Popen([sys.executable, "-m", "switchboard.tail", "inbox", "--url", server.ws,
                             "--since-file", str(since_file)],
                            cwd=os.path.join(os.path.dirname(__file__), ".."), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # It says on stderr when it is live, so a quiet stream does not look like a hang.
        ready, _, _ = select.select([proc.stderr], [], [], 20)
        assert ready, "no 'connected, subscribed' line on stderr within 20 s"
        assert proc.stderr.readline().startswith("switchboard-tail: connected, subscribed to inbox")
        assert server.publish([{"topic": "inbox", "type": "t", "data": {"k": "é"}},
                               {"topic": "inbox", "type": "t", "data": {"k": 2}}])[0] == 202
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(l["topic"], l["seq"], l["type"], l["data"]) for l in lines] == [("inbox", 1, "t", {"k": "é"}), ("inbox", 2, "t", {"k": 2})]
    assert all(set(l) == {"topic", "seq", "type", "ts", "data"} for l in lines)
    assert json.loads(since_file.read_text())["inbox"]["seq"] == 2


def test_wildcard_topic_resumes_without_gap(server):
    """Batch frames carry their topic's epoch, so a topic learned through a wildcard is resumed
    with `since` on every reconnect: nothing lost, nothing repeated, no gap reported."""
    async def main():
        got, gaps = [], []
        client = Client(server.ws, agent_token(), on_gap=gaps.append, backoff_base=0.05, backoff_cap=0.2)
        await client.connect()
        await client.subscribe("conversation.*", got.append)

        async def publish_and_drop(n):
            await asyncio.to_thread(server.publish, {"topic": "conversation.9", "type": "m", "data": n})
            await wait_for(lambda: got and got[-1]["seq"] == n)
            client._ws.transport.abort()
            await asyncio.to_thread(server.publish, {"topic": "conversation.9", "type": "m", "data": n + 1})

        await publish_and_drop(1)
        await wait_for(lambda: client.reconnects == 1 and client.connected)
        assert client.positions()["conversation.9"]["epoch"] not in (None, "unknown")
        await publish_and_drop(3)
        await wait_for(lambda: got and got[-1]["seq"] == 4)
        assert [e["seq"] for e in got] == [1, 2, 3, 4]
        assert gaps == []
        await client.close()
    asyncio.run(main())


async def wait_for(predicate, timeout=5.0):
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


def test_presence_changes_reach_on_presence_and_presence_lists_members(server):
    async def main():
        changes = []
        watcher = Client(server.ws, sign_token(SECRET, "alice", "agent", ["inbox"]), on_presence=changes.append)
        await watcher.connect()
        await watcher.subscribe("inbox", lambda e: None, presence=True)
        other = Client(server.ws, sign_token(SECRET, "bob", "agent", ["inbox"]))
        await other.connect()
        await other.subscribe("inbox", lambda e: None, presence=True)
        for _ in range(100):
            if len(changes) == 2:
                break
            await asyncio.sleep(0.02)
        assert [(c["topic"], [m["sub"] for m in c["joined"]], c["left"]) for c in changes] == [
            ("inbox", ["alice"], []), ("inbox", ["bob"], [])]
        assert await watcher.presence("inbox") == [{"sub": "alice", "connections": 1}, {"sub": "bob", "connections": 1}]
        await other.close()
        for _ in range(100):
            if len(changes) == 3:
                break
            await asyncio.sleep(0.02)
        assert [m["sub"] for m in changes[2]["left"]] == ["bob"] and changes[2]["joined"] == []
        with pytest.raises(Exception) as refused:
            await watcher.subscribe("inbox.*", lambda e: None, presence=True)
        assert getattr(refused.value, "code", None) == "bad_request"
        await watcher.close()
    asyncio.run(main())
