"""The real server with the fake Graph API, set up for the console's browser tests and bench:
short alert, health and breaker timings so a breaker opens and an alert fires within seconds.
Both processes listen on 127.0.0.1; the server is stopped by pid (its own process group)."""
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
from fake_graph.faults import Fault  # noqa: E402
from fake_graph.server import FakeGraph  # noqa: E402
from switchboard_sim import payloads, sign  # noqa: E402

from browser_support import free_port, signed_token, stop_group  # noqa: E402

BIN = os.environ.get("SWITCHBOARD_BIN", os.path.join(ROOT, ".build", "release", "switchboard"))
SECRET = "console-browser-secret-" + secrets.token_hex(8)
API_KEY = "console-browser-key-" + secrets.token_hex(8)
APP_SECRET = "console-app-secret"
GRAPH_TOKEN = "fake-graph-token"
PHONE_ID = "1234567890"
BREAKER_OPEN_S = 3

SETTINGS = {
    "SWITCHBOARD_AUTH_SECRET": SECRET, "SWITCHBOARD_API_KEY": API_KEY, "SWITCHBOARD_WA_APP_SECRET": APP_SECRET,
    "SWITCHBOARD_WA_ACCESS_TOKEN": GRAPH_TOKEN, "SWITCHBOARD_WA_PHONE_NUMBER_ID": PHONE_ID,
    "SWITCHBOARD_BREAKER_FAILURES": "2", "SWITCHBOARD_BREAKER_OPEN_S": str(BREAKER_OPEN_S),
    "SWITCHBOARD_SEND_MAX_ATTEMPTS": "50", "SWITCHBOARD_PAIR_INTERVAL_MS": "0", "SWITCHBOARD_GRAPH_TIMEOUT_MS": "2000",
    "SWITCHBOARD_ALERT_INTERVAL_S": "0.2", "SWITCHBOARD_ALERT_FOR_S": "0", "SWITCHBOARD_HEALTH_INTERVAL_S": "0.5",
    "SWITCHBOARD_INBOX_MAX_ATTEMPTS": "1", "SWITCHBOARD_LOG_FORMAT": "json",
}


def mint_token(role, topics=("*",), ttl=3600, secret=SECRET, sub="console-test", exp=None):
    return signed_token(secret, {"sub": sub, "role": role, "topics": list(topics),
                                 "exp": exp if exp is not None else int(time.time()) + ttl})


class ConsoleServer:
    def __init__(self, extra_env=None):
        self.fake = FakeGraph(token=GRAPH_TOKEN).start()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.data_dir = tempfile.mkdtemp(prefix="sb-console-")
        self.log_path = os.path.join(self.data_dir, "server.log")
        env = dict(os.environ, SWITCHBOARD_GRAPH_BASE_URL=self.fake.url, **SETTINGS, **(extra_env or {}))
        if not os.access(BIN, os.X_OK):
            raise AssertionError(f"server binary not found: {BIN} (set SWITCHBOARD_BIN)")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([BIN, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", self.data_dir],
                                         env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 20
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode}: {open(self.log_path).read()[-2000:]}")
            try:
                with urllib.request.urlopen(self.base + "/health/live", timeout=1) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.time() > deadline:
                raise AssertionError("server did not become ready")
            time.sleep(0.05)

    def stop(self):
        stop_group(self.proc, timeout=15)
        self.fake.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    # --- acting on it --------------------------------------------------------------------------

    def request(self, method, path, body=None, headers=None):
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        h = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json", **(headers or {})}
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def send_message(self, to, text="hello"):
        return self.request("POST", "/api/messages", {"to": to, "type": "text", "text": {"body": text}})

    def fail_graph(self, seconds=60):
        self.fake.faults.add([Fault.from_json({"mode": "http500", "seconds": seconds})])

    def heal_graph(self):
        self.fake.faults.clear()

    def post_webhook(self, raw):
        request = urllib.request.Request(self.base + "/webhooks/whatsapp", data=raw, method="POST", headers={
            "Content-Type": "application/json", "X-Hub-Signature-256": sign.signature(APP_SECRET, raw)})
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status

    def post_inbound_messages(self, n, wa_id="15557770000"):
        """`n` signed webhooks, each one customer text message."""
        for i in range(n):
            raw = json.dumps(payloads.envelope([payloads.text_message(wa_id, f"hello {i}")])).encode()
            assert self.post_webhook(raw) == 200

    def publish(self, events):
        return self.request("POST", "/api/publish", events)
