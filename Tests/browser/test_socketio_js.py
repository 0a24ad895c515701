"""The official Socket.IO JS client (socket.io.min.js v4.8.1, shipped in NiceGUI's wheel on PyPI;
scripts/python-env.sh extracts it) in headless Chromium against /socket.io/: default transports
(polling, then the upgrade) and WebSocket only, subscribe with ack, renamed events with offsets,
and connection state recovery after the engine drops (`socket.recovered`, nothing lost or repeated).
"""
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from browser_support import free_port, stop_group
from test_js_client import API_KEY, BIN, SECRET, Browser, Reports, mint_token

HERE = os.path.dirname(os.path.abspath(__file__))
BUNDLE = os.path.join(sys.prefix, "share", "socketio", "socket.io.min.js")


@pytest.fixture(scope="module")
def pages():
    """Serves the harness and the bundle, takes reports, and hands out one command per run."""
    if not os.path.exists(BUNDLE):
        pytest.fail(f"{BUNDLE} missing: run scripts/python-env.sh")
    reports, commands = Reports(), {}
    files = {"/socketio_harness.html": os.path.join(HERE, "socketio_harness.html"), "/socket.io.min.js": BUNDLE}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            path, _, query = self.path.partition("?")
            if path == "/command":
                run = urllib.parse.parse_qs(query).get("run", [""])[0]
                body = commands.pop(run, "").encode()
            elif path in files:
                body = open(files[path], "rb").read()
            else:
                return self.send_error(404)
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript" if path.endswith(".js") else "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            report = json.loads(self.rfile.read(length))
            reports.queue_for(str(report.get("run"))).put(report)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield {"base": f"http://127.0.0.1:{httpd.server_address[1]}", "reports": reports, "commands": commands}
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def sio_server(pages):
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="sb-sio-browser-")
    env = dict(os.environ, SWITCHBOARD_AUTH_SECRET=SECRET, SWITCHBOARD_API_KEY=API_KEY, SWITCHBOARD_CORS_ORIGINS=pages["base"],
               SWITCHBOARD_SOCKETIO_EVENT_NAMES="message.received=new_message")
    with open(os.path.join(data_dir, "server.log"), "ab") as log:
        proc = subprocess.Popen([BIN, "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", data_dir],
                                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 15
        while True:
            try:
                urllib.request.urlopen(base + "/health/live", timeout=1)
                break
            except OSError:
                assert time.time() < deadline, "server did not become ready"
                time.sleep(0.05)
        yield base
    finally:
        stop_group(proc)
        shutil.rmtree(data_dir, ignore_errors=True)


def publish(base, topic, i):
    body = json.dumps({"topic": topic, "type": "message.received", "data": {"i": i}}).encode()
    req = urllib.request.Request(base + "/api/publish", data=body, method="POST",
                                 headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.status == 202


@pytest.mark.parametrize("transports", ["", "websocket"])
def test_official_js_client_events_and_recovery(sio_server, pages, transports):
    run, topic = secrets.token_hex(6), "conversation.sio" + secrets.token_hex(4)
    query = urllib.parse.urlencode({"run": run, "server": sio_server, "topic": topic, "transports": transports,
                                    "token": mint_token("browser", "agent", [topic])})
    reports = pages["reports"]
    with Browser(f"{pages['base']}/socketio_harness.html?{query}"):
        subscribed = reports.wait(run, "subscribed", 20)
        assert topic in subscribed["ack"]["topics"] and subscribed["id"] and subscribed["recovered"] is False
        for i in range(1, 4):
            publish(sio_server, topic, i)
        seen = [reports.wait(run, "event", 10) for _ in range(3)]
        assert [e["seq"] for e in seen] == [1, 2, 3]
        assert seen[-1]["offset"].endswith("-" + topic)
        if not transports:
            # polling first, then the upgrade: later events arrive over WebSocket
            deadline = time.time() + 10
            while True:
                publish(sio_server, topic, 0)
                if reports.wait(run, "event", 10)["transport"] == "websocket":
                    break
                assert time.time() < deadline, "never upgraded to websocket"
        pages["commands"][run] = "drop"
        reports.wait(run, "dropped", 10)
        for i in range(4, 7):
            publish(sio_server, topic, i)
        again = reports.wait(run, "reconnected", 15)
        assert again["recovered"] is True and again["id"] == subscribed["id"]
        later = [reports.wait(run, "event", 10)["seq"] for _ in range(3)]
        assert later == [4, 5, 6]
