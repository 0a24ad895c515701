"""The JS client (clients/js/switchboard.js) in a real headless Chromium against the real server.

Each test starts the server binary on a free loopback port, serves clients/js/ and harness.html
from a small Python HTTP server on another port, and opens the harness in Chromium. The page runs
one scenario and POSTs what happened to /report; the test publishes over HTTP and checks the
reports. Every wait is bounded, and Chromium and the server are stopped by pid (process group).
The node unit tests of the same module (clients/js/test/) run from here too, so `make test`
covers them.
"""
import json
import os
import queue
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from browser_support import free_port, signed_token, stop_group

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
JS_DIR = os.path.join(ROOT, "clients", "js")
HARNESS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "harness.html")
BIN = os.environ.get("SWITCHBOARD_BIN", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".build", "release", "switchboard"))
CHROMIUM = os.environ.get("CHROMIUM_BIN", shutil.which("chromium") or "/usr/bin/chromium")
NODE = os.environ.get("NODE_BIN", shutil.which("node") or "/usr/bin/node")
SECRET = "browser-test-secret-" + secrets.token_hex(8)
API_KEY = "browser-test-key-" + secrets.token_hex(8)


def mint_token(sub, role, topics, ttl=3600, secret=SECRET, exp=None):
    """An HS256 JWT exactly as the server expects it: claims sub, role, topics, exp."""
    return signed_token(secret, {"sub": sub, "role": role, "topics": topics, "exp": exp if exp is not None else int(time.time()) + ttl})


@pytest.fixture(scope="module")
def server():
    if not os.access(BIN, os.X_OK):
        pytest.fail(f"server binary not found: {BIN} (set SWITCHBOARD_BIN)")
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="sb-browser-")
    env = dict(os.environ, SWITCHBOARD_AUTH_SECRET=SECRET, SWITCHBOARD_API_KEY=API_KEY, SWITCHBOARD_LOG_FORMAT="json")
    log_path = os.path.join(data_dir, "server.log")
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([BIN, "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", data_dir],
                                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 15
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}: {open(log_path).read()[-2000:]}")
            try:
                with urllib.request.urlopen(base + "/health/live", timeout=1) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.time() > deadline:
                pytest.fail("server did not become ready")
            time.sleep(0.05)
        yield {"base": base, "ws": f"ws://127.0.0.1:{port}/ws", "log": log_path}
    finally:
        stop_group(proc)
        shutil.rmtree(data_dir, ignore_errors=True)


class Reports:
    """What harness pages POSTed to /report, per run id, waited for with a deadline."""

    def __init__(self):
        self.queues = {}
        self.lock = threading.Lock()

    def queue_for(self, run):
        with self.lock:
            return self.queues.setdefault(run, queue.Queue())

    def wait(self, run, kind, timeout):
        q = self.queue_for(run)
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError(f"no '{kind}' report from the page within {timeout}s")
            try:
                report = q.get(timeout=left)
            except queue.Empty:
                continue
            if report.get("kind") == "page_error":
                raise AssertionError(f"page error: {report.get('message')}")
            if report.get("kind") == kind:
                return report


@pytest.fixture(scope="module")
def page_server():
    """Serves /js/* from clients/js, /harness.html, and accepts POST /report."""
    reports = Reports()
    tokens = {}  # run id -> function minting that run's token, called once, when the page asks
    minted = {}
    files = {"/harness.html": HARNESS}
    for name in os.listdir(JS_DIR):
        if name.endswith((".js", ".html")):
            files["/js/" + name] = os.path.join(JS_DIR, name)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            path, _, query = self.path.partition("?")
            if path == "/token":
                run = urllib.parse.parse_qs(query).get("run", [""])[0]
                if run not in tokens:
                    self.send_error(404)
                    return
                body = minted.setdefault(run, tokens[run]()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            target = files.get(path)
            if target is None:
                self.send_error(404)
                return
            with open(target, "rb") as f:
                body = f.read()
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript" if path.endswith(".js") else "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            if self.path != "/report":
                self.send_error(404)
                return
            length = int(self.headers.get("Content-Length") or 0)
            try:
                report = json.loads(self.rfile.read(min(length, 4 << 20)))
            except ValueError:
                self.send_error(400)
                return
            reports.queue_for(str(report.get("run"))).put(report)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"base": f"http://127.0.0.1:{httpd.server_address[1]}", "reports": reports, "tokens": tokens}
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


class Browser:
    """One headless Chromium showing one harness URL; stopped by pid on exit."""

    def __init__(self, url):
        self.url = url
        self.profile = tempfile.mkdtemp(prefix="sb-chromium-")
        self.proc = None

    def __enter__(self):
        args = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--remote-debugging-port=0", f"--user-data-dir={self.profile}", "--no-first-run",
                "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                "--disable-background-timer-throttling", "--disable-renderer-backgrounding", self.url]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        return self

    def __exit__(self, *exc):
        stop_group(self.proc)
        shutil.rmtree(self.profile, ignore_errors=True)


def open_page(page_server, server, scenario, **params):
    run = secrets.token_hex(6)
    query = urllib.parse.urlencode({"run": run, "ws": server["ws"], "scenario": scenario, **params})
    return run, Browser(f"{page_server['base']}/harness.html?{query}")


def publish(server, events):
    body = json.dumps(events).encode()
    request = urllib.request.Request(server["base"] + "/api/publish", data=body, method="POST", headers={
        "Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as r:
        assert r.status == 202, r.status
        return [entry["seq"] for entry in json.loads(r.read())["results"]]


def test_node_unit_tests_of_the_client():
    result = subprocess.run([NODE, "--test", os.path.join(JS_DIR, "test")], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout


def test_resume_across_a_broken_connection_loses_and_repeats_nothing(server, page_server):
    n, drop = 60, 20
    topic = "conversation.js" + secrets.token_hex(4)
    token = mint_token("agent-js", "agent", ["conversation.*"])
    reports = page_server["reports"]
    run, browser = open_page(page_server, server, "resume", token=token, topic=topic, n=n, drop=drop)
    with browser:
        reports.wait(run, "loaded", 30)
        first = reports.wait(run, "subscribed", 15)
        assert first["topics"][topic]["seq"] == 0
        # Publish past the drop point without waiting: events after `drop` are in flight on the
        # socket the page is about to close, and must come back through `since`.
        seqs = []
        for i in range(1, 31):
            seqs += publish(server, {"topic": topic, "type": "test.event", "data": {"n": i}})
            time.sleep(0.005)
        reports.wait(run, "dropped", 15)
        # Publishing continues while the client backs off and reconnects.
        seqs += publish(server, [{"topic": topic, "type": "test.event", "data": {"n": i}} for i in range(31, 46)])
        for i in range(46, n + 1):
            seqs += publish(server, {"topic": topic, "type": "test.event", "data": {"n": i}})
            time.sleep(0.005)
        assert seqs == list(range(1, n + 1))
        second = reports.wait(run, "subscribed", 15)
        done = reports.wait(run, "done", 30)
    assert second["connection"] == 2
    assert second["topics"][topic]["recovered"] is True
    got = done["got"]
    assert [e["seq"] for e in got] == list(range(1, n + 1))
    assert [e["n"] for e in got] == list(range(1, n + 1))
    assert all(e["type"] == "test.event" for e in got)
    assert done["gaps"] == []
    assert all(e["connection"] == 1 for e in got[:drop])
    assert got[-1]["connection"] == 2
    reconnects = [d for s, d in done["statuses"] if s == "reconnecting"]
    assert len(reconnects) == 1 and reconnects[0]["delayMs"] < 250


def test_wrong_signature_is_retried_with_backoff_not_a_storm(server, page_server):
    # A browser cannot see the 401 of a refused handshake (it reports close 1006), so the client
    # cannot tell a bad signature from an unreachable server: it must back off exponentially.
    token = mint_token("agent-js", "agent", ["inbox"], secret="not-the-server-secret")
    reports = page_server["reports"]
    run, browser = open_page(page_server, server, "watch", token=token, topic="inbox", ms=3000)
    with browser:
        reports.wait(run, "loaded", 30)
        done = reports.wait(run, "done", 15)
    names = [s for s, _ in done["statuses"]]
    assert "open" not in names and "subscribed" not in names
    attempts = names.count("connecting")
    # Full jitter below min(10 s, 250 ms * 2^k): 10 attempts in 3 s has a chance near 1e-4.
    assert 2 <= attempts <= 10, names
    delays_ceiling = [min(10000, 250 * 2 ** k) for k in range(len(names))]
    delays = [d["delayMs"] for s, d in done["statuses"] if s == "reconnecting"]
    assert all(0 <= d < c for d, c in zip(delays, delays_ceiling)), delays


def test_expired_token_gives_unauthorized_without_connecting(server, page_server):
    token = mint_token("agent-js", "agent", ["inbox"], exp=int(time.time()) - 10)
    reports = page_server["reports"]
    run, browser = open_page(page_server, server, "watch", token=token, topic="inbox", ms=1000)
    with browser:
        reports.wait(run, "loaded", 30)
        done = reports.wait(run, "done", 15)
    assert [s for s, _ in done["statuses"]] == ["unauthorized"]


def test_token_expiring_while_connected_ends_unauthorized(server, page_server):
    # The server closes with 4001 when the token expires; either that or the client's own expiry
    # check before reconnecting must end in 'unauthorized' with no reconnect loop. The page gets
    # its token from the token provider option (a fetch of /token), minted when first asked, so
    # the 2 s lifetime does not depend on how long Chromium takes to start.
    reports = page_server["reports"]
    run, browser = open_page(page_server, server, "watch", token_url="/token", topic="inbox", ms=6000)
    page_server["tokens"][run] = lambda: mint_token("agent-js", "agent", ["inbox"], ttl=2)
    with browser:
        reports.wait(run, "loaded", 30)
        done = reports.wait(run, "done", 15)
    names = [s for s, _ in done["statuses"]]
    assert names[:3] == ["connecting", "open", "subscribed"], names
    assert names[-1] == "unauthorized", names
    assert done["statuses"][-1][1].get("code") == 4001, done["statuses"]
    assert names.count("connecting") == 1, names


def test_publish_over_the_socket_needs_role_service(server, page_server):
    topic = "conversation.jspub" + secrets.token_hex(4)
    service = mint_token("backend", "service", ["conversation.*"])
    agent = mint_token("agent-js", "agent", ["conversation.*"])
    reports = page_server["reports"]
    run, browser = open_page(page_server, server, "publish", token=service, agent_token=agent, topic=topic)
    with browser:
        reports.wait(run, "loaded", 30)
        done = reports.wait(run, "done", 15)
    assert done["service"] == {"seq": 1}
    assert done["agent"] == {"code": "forbidden"}


# ---- the demo page as the server serves it ----

class DevToolsPage:
    """Headless Chromium showing one URL, read through the DevTools protocol (the demo page cannot
    POST reports like the harness does). Stopped by pid on exit."""

    def __init__(self, url):
        self.url = url
        self.profile = tempfile.mkdtemp(prefix="sb-chromium-")
        self.proc = None
        self.ws = None
        self.next_id = 0

    def __enter__(self):
        from websockets.sync.client import connect
        args = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", f"--user-data-dir={self.profile}",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", self.url]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + 30
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            assert time.time() < deadline and self.proc.poll() is None, "Chromium did not open its DevTools port"
            time.sleep(0.1)
        port = int(open(port_file).read().split()[0])
        while True:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                pages = [t for t in json.loads(r.read()) if t.get("type") == "page"]
            if pages:
                break
            assert time.time() < deadline, "Chromium shows no page"
            time.sleep(0.1)
        self.ws = connect(pages[0]["webSocketDebuggerUrl"], open_timeout=10, max_size=None)
        return self

    def evaluate(self, expression):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": "Runtime.evaluate",
                                 "params": {"expression": expression, "returnByValue": True}}))
        while True:
            reply = json.loads(self.ws.recv(timeout=10))
            if reply.get("id") == self.next_id:
                return reply.get("result", {}).get("result", {}).get("value")

    def wait_for(self, expression, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"page never satisfied {expression}; events: {self.evaluate(EVENTS_TEXT)!r}, "
                             f"status: {self.evaluate(STATUS_TEXT)!r}")

    def __exit__(self, *exc):
        if self.ws is not None:
            self.ws.close()
        stop_group(self.proc)
        shutil.rmtree(self.profile, ignore_errors=True)


EVENTS_TEXT = "(document.getElementById('events')?.innerText ?? '')"
STATUS_TEXT = "(document.getElementById('status')?.textContent ?? '')"


def test_server_serves_the_client_and_demo_with_etags(server):
    for path, ctype in [("/client/switchboard.js", "application/javascript"), ("/demo", "text/html")]:
        with urllib.request.urlopen(server["base"] + path, timeout=5) as r:
            assert r.status == 200 and r.headers["Content-Type"].startswith(ctype)
            etag, body = r.headers["ETag"], r.read()
            assert r.headers["Cache-Control"] == "no-cache"
        with open(os.path.join(JS_DIR, "switchboard.js" if path.endswith(".js") else "demo.html"), "rb") as f:
            assert body == f.read()
        request = urllib.request.Request(server["base"] + path, headers={"If-None-Match": etag})
        with pytest.raises(urllib.error.HTTPError) as not_modified:
            urllib.request.urlopen(request, timeout=5)
        assert not_modified.value.code == 304


def test_demo_page_shows_history_then_live_events(server):
    # The README's "try it": publish, then open the demo; the event published before is shown
    # (history on subscribe), and so is one published while the page is open.
    topic = "conversation.demo" + secrets.token_hex(4)
    token = mint_token("agent-demo", "agent", ["conversation.*"])
    before = publish(server, {"topic": topic, "type": "demo", "data": {"hello": "before"}})
    assert before == [1]
    query = urllib.parse.urlencode({"token": token, "topic": topic})
    with DevToolsPage(f"{server['base']}/demo?{query}") as page:
        page.wait_for(f"{EVENTS_TEXT}.includes('{topic} #1 demo') && {EVENTS_TEXT}.includes('before')")
        page.wait_for(f"{STATUS_TEXT}.startsWith('subscribed')")
        assert publish(server, {"topic": topic, "type": "demo", "data": {"hello": "live"}}) == [2]
        page.wait_for(f"{EVENTS_TEXT}.includes('{topic} #2 demo') && {EVENTS_TEXT}.includes('live')")
        text = page.evaluate(EVENTS_TEXT)
    assert text.count(f"{topic} #1 ") == 1 and text.count(f"{topic} #2 ") == 1, text
    assert "gap" not in text, text
