"""HTTP/1.1 behaviour of the real server over loopback sockets."""
import json
import re
import socket
import time

import requests

from conftest import raw_exchange


def status_lines(raw):
    """Status lines of consecutive responses (bodies run straight into the next status line)."""
    return re.findall(rb"HTTP/1\.1 \d{3} [A-Za-z ]+(?=\r\n)", raw)


def test_health_live(server):
    r = requests.get(server.base + "/health/live")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert r.headers["X-Request-ID"]


def test_request_id_echoed_and_generated(server):
    r = requests.get(server.base + "/health/live", headers={"X-Request-ID": "abc-123"})
    assert r.headers["X-Request-ID"] == "abc-123"
    a = requests.get(server.base + "/health/live").headers["X-Request-ID"]
    b = requests.get(server.base + "/health/live").headers["X-Request-ID"]
    assert a and b and a != b
    # an unsafe id (control characters / too long) is replaced, never reflected
    r = requests.get(server.base + "/health/live", headers={"X-Request-ID": "x" * 300})
    assert r.headers["X-Request-ID"] != "x" * 300


def test_404_json_envelope(server):
    r = requests.get(server.base + "/no/such/path", headers={"X-Request-ID": "rid-404"})
    assert r.status_code == 404
    body = r.json()
    assert body["error"]["code"] == "not_found"
    assert body["error"]["request_id"] == "rid-404"
    assert body["error"]["message"]


def test_405_with_allow(server):
    r = requests.post(server.base + "/health/live", data=b"x")
    assert r.status_code == 405
    assert "GET" in r.headers["Allow"]
    assert r.json()["error"]["code"] == "method_not_allowed"


def test_head_has_no_body(server):
    raw = raw_exchange(server.port, b"HEAD /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", until_close=True)
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"Content-Length: 15" in head
    assert body == b""


def test_keep_alive_many_requests_one_connection(server):
    with requests.Session() as s:
        for _ in range(20):
            assert s.get(server.base + "/health/live").status_code == 200


def test_pipelined_requests_answered_in_order(server):
    reqs = b"".join(
        f"GET {p} HTTP/1.1\r\nHost: x\r\nX-Request-ID: p{i}\r\n\r\n".encode()
        for i, p in enumerate(["/health/live", "/nope", "/health/live"]))
    reqs += b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Request-ID: p3\r\n\r\n"
    raw = raw_exchange(server.port, reqs, until_close=True)
    statuses = status_lines(raw)
    assert statuses == [b"HTTP/1.1 200 OK", b"HTTP/1.1 404 Not Found", b"HTTP/1.1 200 OK", b"HTTP/1.1 200 OK"]
    ids = [line.split(b": ")[1] for line in raw.split(b"\r\n") if line.startswith(b"X-Request-ID")]
    assert ids == [b"p0", b"p1", b"p2", b"p3"]


def test_request_line_too_long_414(server):
    raw = raw_exchange(server.port, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", until_close=True)
    assert raw.startswith(b"HTTP/1.1 414")
    assert b'"code":"uri_too_long"' in raw


def test_headers_too_large_431(server):
    big = b"X-Big: " + b"v" * 33000 + b"\r\n"
    raw = raw_exchange(server.port, b"GET /health/live HTTP/1.1\r\nHost: x\r\n" + big + b"\r\n", until_close=True)
    assert raw.startswith(b"HTTP/1.1 431")


def test_too_many_headers_431(server):
    hs = b"".join(b"X-H%d: v\r\n" % i for i in range(101))
    raw = raw_exchange(server.port, b"GET /health/live HTTP/1.1\r\nHost: x\r\n" + hs + b"\r\n", until_close=True)
    assert raw.startswith(b"HTTP/1.1 431")


def test_body_too_large_413(server):
    raw = raw_exchange(server.port, b"POST /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n", until_close=True)
    assert raw.startswith(b"HTTP/1.1 413")


def test_chunked_body_too_large_413(server):
    s = socket.create_connection(("127.0.0.1", server.port))
    s.settimeout(5)
    s.sendall(b"POST /health/live HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"100000\r\n" + b"a" * 0x100000 + b"\r\n"
    got = b""
    try:
        for _ in range(6):
            s.sendall(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except (socket.timeout, ConnectionResetError):
        pass
    assert got.startswith(b"HTTP/1.1 413"), got[:100]


def test_smuggling_te_and_cl_400_and_closed(server):
    raw = raw_exchange(server.port,
                       b"POST /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                       until_close=True)
    assert raw.startswith(b"HTTP/1.1 400")
    assert b"Connection: close" in raw


def test_duplicate_content_length_400(server):
    raw = raw_exchange(server.port,
                       b"POST /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
                       until_close=True)
    assert raw.startswith(b"HTTP/1.1 400")


def test_malformed_content_length_400(server):
    for cl in [b"abc", b"-1", b"1,1", b"", b"+5"]:
        raw = raw_exchange(server.port, b"POST /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: " + cl + b"\r\n\r\n",
                           until_close=True)
        assert raw.startswith(b"HTTP/1.1 400"), (cl, raw[:60])


def test_garbage_request_400(server):
    raw = raw_exchange(server.port, b"\x16\x03\x01\x02\x00garbage\r\n\r\n", until_close=True)
    assert raw.startswith(b"HTTP/1.1 400")
    # the server is still fine
    assert requests.get(server.base + "/health/live").status_code == 200


def test_chunked_request_body_accepted(server):
    # a chunked body on a known path with the wrong method still gets parsed fully: 405, connection kept
    raw = raw_exchange(server.port,
                       b"POST /health/live HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       b"5\r\nhello\r\n0\r\n\r\nGET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                       until_close=True)
    statuses = status_lines(raw)
    assert statuses == [b"HTTP/1.1 405 Method Not Allowed", b"HTTP/1.1 200 OK"]


def test_cors_preflight_for_configured_origin(server):
    r = requests.options(server.base + "/health/live", headers={
        "Origin": "http://app.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "content-type"})
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == "http://app.example"
    assert "GET" in r.headers["Access-Control-Allow-Methods"]
    r = requests.options(server.base + "/health/live", headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Origin" not in r.headers
    r = requests.get(server.base + "/health/live", headers={"Origin": "http://app.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "http://app.example"


def test_slowloris_headers_timeout(server_factory):
    srv = server_factory(env={"SWITCHBOARD_HEADER_TIMEOUT_S": "1"}).start()
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.settimeout(6)
    t0 = time.time()
    s.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n")
    got = b""
    # keep trickling header bytes; the deadline counts from the first byte, not the last
    try:
        for _ in range(40):
            s.sendall(b"X-A: b\r\n")
            time.sleep(0.1)
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        while True:
            b = s.recv(4096)
            if not b:
                break
            got += b
    except (socket.timeout, ConnectionResetError):
        pass
    elapsed = time.time() - t0
    assert got.startswith(b"HTTP/1.1 408"), got[:80]
    assert elapsed < 5.5


def test_idle_keepalive_connection_closed(server_factory):
    srv = server_factory(env={"SWITCHBOARD_IDLE_TIMEOUT_S": "1"}).start()
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.settimeout(5)
    s.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.2)
    first = s.recv(4096)
    assert first.startswith(b"HTTP/1.1 200")
    t0 = time.time()
    assert s.recv(4096) == b""  # closed by the server
    assert time.time() - t0 < 4


def test_bad_config_value_stops_startup(server_factory):
    import subprocess
    from conftest import BIN
    r = subprocess.run([BIN, "serve", "--port", "notaport"], capture_output=True, text=True, timeout=20)
    assert r.returncode != 0
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "--port" in lines[0]
    r = subprocess.run([BIN, "serve"], capture_output=True, text=True, timeout=20,
                       env={"SWITCHBOARD_THREADS": "zero", "PATH": "/usr/bin"})
    assert r.returncode != 0 and "SWITCHBOARD_THREADS" in r.stderr


def test_flag_wins_over_variable(server_factory):
    srv = server_factory(env={"SWITCHBOARD_PORT": "1"})  # the flag --port chosen by the fixture wins
    srv.start()
    assert requests.get(srv.base + "/health/live").status_code == 200


def test_survives_descriptor_exhaustion(server_factory):
    import resource

    def low_fd_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    srv = server_factory(args=["--threads", "1"], preexec=low_fd_limit).start()
    socks = []
    for _ in range(100):
        try:
            socks.append(socket.create_connection(("127.0.0.1", srv.port), timeout=2))
        except OSError:
            break
    time.sleep(0.5)
    for s in socks:
        s.close()
    time.sleep(0.5)
    assert srv.proc.poll() is None
    deadline = time.time() + 5
    while True:
        try:
            if requests.get(srv.base + "/health/live", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        assert time.time() < deadline, "server did not recover after EMFILE"
        time.sleep(0.2)


def test_http10_keep_alive(server):
    s = socket.create_connection(("127.0.0.1", server.port))
    s.settimeout(3)
    s.sendall(b"GET /health/live HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    time.sleep(0.2)
    first = s.recv(4096)
    assert first.startswith(b"HTTP/1.1 200") and b"Connection: keep-alive" in first
    s.sendall(b"GET /health/live HTTP/1.0\r\n\r\n")  # no keep-alive: answered, then closed
    data = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        data += b
    assert data.startswith(b"HTTP/1.1 200") and b"Connection: close" in data
