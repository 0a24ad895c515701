"""The demo page over HTTPS and the JS client over WSS with permessage-deflate, in headless
Chromium. A CA and server certificate are made at test time; Chromium trusts the server's key for
this run only (--ignore-certificate-errors-spki-list with its SPKI hash, in a throwaway profile).
The test drives Chromium over the DevTools protocol: it records the WebSocket handshake answer
(Network domain) to check that deflate was negotiated, and reads the page's event list after
publishing batches large enough to be sent compressed."""
import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import pytest
import requests
import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import tls_certs  # noqa: E402
from test_js_client import API_KEY, BIN, CHROMIUM, SECRET, free_port, mint_token, stop_group  # noqa: E402


@pytest.fixture(scope="module")
def tls_server():
    pki = tempfile.mkdtemp(prefix="sb-browser-tls-")
    ca = tls_certs.make_ca(pki)
    cert, key = tls_certs.make_server_cert(pki)
    port = free_port()
    data_dir = os.path.join(pki, "data")
    env = dict(os.environ, SWITCHBOARD_AUTH_SECRET=SECRET, SWITCHBOARD_API_KEY=API_KEY, SWITCHBOARD_LOG_FORMAT="json",
               SWITCHBOARD_BATCH_WINDOW_MS="20")
    log_path = os.path.join(pki, "server.log")
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([BIN, "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", data_dir,
                                 "--tls-cert", cert, "--tls-key", key],
                                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"https://localhost:{port}"
    try:
        deadline = time.time() + 15
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}: {open(log_path).read()[-2000:]}")
            try:
                if requests.get(base + "/health/live", verify=ca, timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.time() > deadline:
                pytest.fail("server did not become ready")
            time.sleep(0.05)
        yield {"base": base, "ca": ca, "spki": tls_certs.spki_sha256_base64(cert)}
    finally:
        stop_group(proc)
        shutil.rmtree(pki, ignore_errors=True)


class DevTools:
    """Headless Chromium with a DevTools endpoint; one page, driven over its WebSocket."""

    def __init__(self, spki):
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="sb-chromium-tls-")
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             f"--remote-debugging-port={self.port}", f"--user-data-dir={self.profile}", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
             f"--ignore-certificate-errors-spki-list={spki}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.next_id = 0
        self.events = []

    def page_ws_url(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=1) as r:
                    pages = [t for t in json.loads(r.read()) if t.get("type") == "page"]
                    if pages:
                        return pages[0]["webSocketDebuggerUrl"]
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("Chromium's DevTools endpoint did not come up")

    async def call(self, ws, method, **params):
        self.next_id += 1
        mine = self.next_id
        await ws.send(json.dumps({"id": mine, "method": method, "params": params}))
        while True:
            msg = json.loads(await asyncio.wait_for(ws.recv(), 15))
            if msg.get("id") == mine:
                assert "error" not in msg, msg
                return msg.get("result", {})
            self.events.append(msg)

    async def pump(self, ws, seconds):
        end = time.time() + seconds
        while time.time() < end:
            try:
                self.events.append(json.loads(await asyncio.wait_for(ws.recv(), max(0.01, end - time.time()))))
            except asyncio.TimeoutError:
                break

    def close(self):
        stop_group(self.proc)
        shutil.rmtree(self.profile, ignore_errors=True)


def publish(server, events):
    r = requests.post(server["base"] + "/api/publish", json=events, verify=server["ca"],
                      headers={"Authorization": "Bearer " + API_KEY})
    assert r.status_code == 202, r.text


def test_demo_over_https_and_wss_with_deflate(tls_server):
    topic = "conversation.tls" + secrets.token_hex(3)
    token = mint_token("agent-tls", "agent", ["conversation.*"])
    url = f"{tls_server['base']}/demo?" + urllib.parse.urlencode({"token": token, "topic": topic})
    browser = DevTools(tls_server["spki"])

    async def run():
        async with websockets.connect(browser.page_ws_url(), max_size=None) as ws:
            await browser.call(ws, "Network.enable")
            await browser.call(ws, "Page.enable")
            await browser.call(ws, "Page.navigate", url=url)
            status = ""
            deadline = time.time() + 30
            while not status.startswith("subscribed"):
                assert time.time() < deadline, f"demo never subscribed (status {status!r})"
                await browser.pump(ws, 0.2)
                r = await browser.call(ws, "Runtime.evaluate", expression="document.getElementById('status')?.textContent ?? ''")
                status = r["result"].get("value", "")
            # Batches well over SWITCHBOARD_WS_COMPRESS_MIN_BYTES: they reach Chromium compressed.
            text = "Hola, quisiera saber el estado de mi pedido número 4411, gracias. " * 6
            for i in range(1, 4):
                await asyncio.to_thread(publish, tls_server, [{"topic": topic, "type": "message.received",
                                                              "data": {"text": text, "n": i * 10 + k}} for k in range(5)])
            deadline = time.time() + 15
            while True:
                r = await browser.call(ws, "Runtime.evaluate", returnByValue=True,
                                       expression="[...document.querySelectorAll('#events .event')].map(e => e.textContent)")
                lines = r["result"]["value"]
                if len(lines) >= 15:
                    break
                assert time.time() < deadline, f"only {len(lines)} events shown: {lines[:3]}"
                await browser.pump(ws, 0.2)
            return lines

    try:
        lines = asyncio.run(run())
    finally:
        browser.close()
    assert all(text_n in " ".join(lines) for text_n in ['"n":10', '"n":24', '"n":34'])
    handshakes = [e["params"]["response"] for e in browser.events if e.get("method") == "Network.webSocketHandshakeResponseReceived"]
    assert handshakes, "no WebSocket handshake seen"
    headers = {k.lower(): v for k, v in handshakes[-1]["headers"].items()}
    assert handshakes[-1]["status"] == 101
    assert "permessage-deflate" in headers.get("sec-websocket-extensions", "")
    assert "server_no_context_takeover" in headers["sec-websocket-extensions"]
    frames = [e["params"] for e in browser.events if e.get("method") == "Network.webSocketFrameReceived"]
    assert any('"op":"batch"' in f["response"]["payloadData"] and f'"n":34' in f["response"]["payloadData"] for f in frames)
