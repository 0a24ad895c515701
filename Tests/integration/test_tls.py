"""TLS on the listening port: HTTPS and WSS (with and without permessage-deflate) with a CA made
at test time, TLS 1.2 and 1.3, ALPN http/1.1, plain HTTP and stalled handshakes closed, SIGHUP
reloading the certificate without dropping connections, and bad certificates stopping start-up
with one line."""
import asyncio
import json
import os
import shutil
import signal
import socket
import ssl
import tempfile
import time

import pytest
import requests
import websockets

import jwt_helper
import tls_certs
from conftest import ServerProcess

SECRET = "integration-secret-0123456789abcdef"
API_KEY = "integration-api-key-0123456789"
ENV = {"SWITCHBOARD_AUTH_SECRET": SECRET, "SWITCHBOARD_API_KEY": API_KEY, "SWITCHBOARD_BATCH_WINDOW_MS": "0"}


class TLSServer(ServerProcess):
    def __init__(self, ca, **kw):
        super().__init__(**kw)
        self.ca = ca

    @property
    def base(self):
        return f"https://localhost:{self.port}"

    @property
    def ws_base(self):
        return f"wss://localhost:{self.port}"

    def context(self):
        return ssl.create_default_context(cafile=self.ca)

    def wait_ready(self, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.logs()[-2000:]}")
            try:
                if requests.get(self.base + "/health/live", verify=self.ca, timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError("server did not become ready: " + self.logs()[-2000:])


@pytest.fixture(scope="module")
def pki():
    d = tempfile.mkdtemp(prefix="sb-tls-")
    ca = tls_certs.make_ca(d)
    cert, key = tls_certs.make_server_cert(d)
    yield {"dir": d, "ca": ca, "cert": cert, "key": key}
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def tls_server(pki):
    started = []

    def make(env=None, cert=None, key=None, wait=True):
        s = TLSServer(pki["ca"], env={**ENV, **(env or {})},
                      args=["--echo-path", "/echo", "--tls-cert", cert or pki["cert"], "--tls-key", key or pki["key"]])
        started.append(s)
        return s.start(wait=wait)

    yield make
    for s in started:
        s.stop(signal.SIGKILL if s.proc and s.proc.poll() is None else signal.SIGTERM)


def agent():
    return jwt_helper.token(SECRET, "agent", ["inbox"])


def test_https_requests_and_api(tls_server):
    srv = tls_server()
    r = requests.get(srv.base + "/health/live", verify=srv.ca)
    assert r.status_code == 200 and r.json()["status"] == "ok"
    r = requests.post(srv.base + "/api/publish", verify=srv.ca, headers={"Authorization": "Bearer " + API_KEY},
                      json={"topic": "inbox", "type": "t", "data": {"x": 1}})
    assert r.status_code == 202
    # Keep-alive over one TLS connection.
    with requests.Session() as s:
        for _ in range(5):
            assert s.get(srv.base + "/health/live", verify=srv.ca).status_code == 200


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_tls_versions_and_alpn(tls_server, version):
    srv = tls_server()
    ctx = srv.context()
    ctx.minimum_version = version
    ctx.maximum_version = version
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    with ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.port), timeout=5), server_hostname="localhost") as s:
        assert s.version() == {ssl.TLSVersion.TLSv1_2: "TLSv1.2", ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version]
        assert s.selected_alpn_protocol() == "http/1.1"
        s.sendall(b"GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(4096):
            data += chunk
        assert data.startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize("compression", ["deflate", None])
def test_wss_hub_with_and_without_compression(tls_server, compression):
    srv = tls_server()

    async def run():
        async with websockets.connect(srv.ws_base + "/ws?token=" + agent(), ssl=srv.context(), compression=compression) as ws:
            ext = ws.response_headers.get("Sec-WebSocket-Extensions")
            assert (ext is not None and "server_no_context_takeover" in ext) == (compression == "deflate")
            await ws.send(json.dumps({"op": "subscribe", "id": 1, "topics": ["inbox"]}))
            assert json.loads(await ws.recv())["op"] == "ack"
            events = [{"topic": "inbox", "type": "message.received", "data": {"text": "hello " * 100, "i": i}} for i in range(10)]
            r = await asyncio.to_thread(requests.post, srv.base + "/api/publish", verify=srv.ca,
                                        headers={"Authorization": "Bearer " + API_KEY}, json=events)
            assert r.status_code == 202
            got = []
            while len(got) < 10:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
                assert frame["op"] == "batch"
                got += [e["data"]["i"] for e in frame["events"]]
            assert got == list(range(10))
        async with websockets.connect(srv.ws_base + "/echo", ssl=srv.context(), compression=compression) as ws:
            big = "x" * 200_000
            await ws.send(big)
            assert await ws.recv() == big
    asyncio.run(run())


def test_plain_http_on_the_tls_port_is_closed(tls_server):
    srv = tls_server()
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
        s.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            data = s.recv(4096)
        except ConnectionResetError:
            data = b""
        assert not data.startswith(b"HTTP/"), "no plaintext answer on the TLS port"
    assert srv.proc.poll() is None
    assert requests.get(srv.base + "/health/live", verify=srv.ca).status_code == 200


def test_stalled_handshake_closed_by_header_timeout(tls_server):
    srv = tls_server(env={"SWITCHBOARD_HEADER_TIMEOUT_S": "1"})
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
        s.sendall(b"\x16\x03\x01\x00")  # the start of a ClientHello, then nothing
        start = time.monotonic()
        assert s.recv(100) == b""
        assert 0.5 < time.monotonic() - start < 4


def test_sighup_reloads_the_certificate_without_dropping_connections(tls_server, pki):
    d = tempfile.mkdtemp(prefix="sb-tls-reload-", dir=pki["dir"])
    cert, key = os.path.join(d, "live.pem"), os.path.join(d, "live.key")
    shutil.copy(pki["cert"], cert)
    shutil.copy(pki["key"], key)
    srv = tls_server(cert=cert, key=key)

    def served_cn():
        with srv.context().wrap_socket(socket.create_connection(("127.0.0.1", srv.port), timeout=5), server_hostname="localhost") as s:
            return dict(x[0] for x in s.getpeercert()["subject"])["commonName"]

    async def run():
        async with websockets.connect(srv.ws_base + "/echo", ssl=srv.context()) as ws:
            await ws.send("before")
            assert await ws.recv() == "before"
            assert served_cn() == "localhost"
            new_cert, new_key = tls_certs.make_server_cert(pki["dir"], name="renewed", cn="renewed.localhost")
            shutil.copy(new_cert, cert)
            shutil.copy(new_key, key)
            srv.proc.send_signal(signal.SIGHUP)
            deadline = time.time() + 5
            while served_cn() != "renewed.localhost":
                assert time.time() < deadline, "the new certificate was not served after SIGHUP"
                await asyncio.sleep(0.05)
            await ws.send("after")  # the connection made before the reload is still up
            assert await ws.recv() == "after"
    asyncio.run(run())
    # A bad file on reload keeps the running certificate.
    with open(cert, "w") as f:
        f.write("not a certificate")
    srv.proc.send_signal(signal.SIGHUP)
    time.sleep(0.3)
    assert served_cn() == "renewed.localhost"
    assert srv.proc.poll() is None


def test_bad_certificates_stop_start_up_with_one_line(tls_server, pki):
    expired_cert, expired_key = tls_certs.make_server_cert(pki["dir"], name="expired", days=-1)
    other_cert, other_key = tls_certs.make_server_cert(pki["dir"], name="other")
    cases = [
        (dict(cert=os.path.join(pki["dir"], "missing.pem")), "is missing"),
        (dict(cert=expired_cert, key=expired_key), "has expired"),
        (dict(cert=pki["cert"], key=other_key), "does not match the key"),
        (dict(cert=pki["key"]), "is not a PEM certificate"),
        (dict(key=pki["cert"]), "is not a PEM private key"),
    ]
    for kw, expected in cases:
        srv = tls_server(wait=False, **kw)
        assert srv.proc.wait(timeout=10) != 0, expected
        lines = [l for l in srv.logs().splitlines() if l.strip()]
        assert len(lines) == 1 and expected in lines[0], (expected, lines)


def test_cert_without_key_is_a_configuration_error(server_factory, pki):
    srv = server_factory(env={**ENV, "SWITCHBOARD_TLS_CERT": pki["cert"]}).start(wait=False)
    assert srv.proc.wait(timeout=10) != 0
    assert "SWITCHBOARD_TLS_KEY" in srv.logs()
