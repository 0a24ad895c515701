"""Connection lifecycle against the real server: a stalled request body is answered 408 and
closed at SWITCHBOARD_BODY_TIMEOUT_S, and waiting for it costs no CPU. (On 604f184 the
connection was never closed, and once the idle timeout passed the loop re-armed its timer with
zero delay on every turn: one stalled client kept a core at 100 %.)"""
import os
import socket
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User plus system CPU time of a process, from /proc/PID/stat (fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def read_until_close(s, timeout):
    """Everything the server sends until it closes; (bytes, closed)."""
    s.settimeout(timeout)
    got = b""
    try:
        while True:
            b = s.recv(4096)
            if not b:
                return got, True
            got += b
    except ConnectionResetError:
        return got, True
    except socket.timeout:
        return got, False


def test_stalled_body_gets_408_and_close_without_spinning(server_factory):
    # The idle timeout is shorter than the body timeout on purpose: it must neither cut the
    # request short nor spin once it has passed.
    srv = server_factory(env={"SWITCHBOARD_BODY_TIMEOUT_S": "3", "SWITCHBOARD_IDLE_TIMEOUT_S": "1"}).start()
    s = socket.create_connection(("127.0.0.1", srv.port))
    cpu_before = cpu_seconds(srv.proc.pid)
    started = time.monotonic()
    s.sendall(b"POST /api/logging/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: 1000\r\n\r\n[")
    got, closed = read_until_close(s, timeout=12)
    waited = time.monotonic() - started
    cpu_used = cpu_seconds(srv.proc.pid) - cpu_before
    s.close()

    assert got.startswith(b"HTTP/1.1 408"), got[:120]
    assert b'"code":"request_timeout"' in got and b"request body" in got
    assert b"Connection: close" in got
    assert closed, "the server kept the stalled connection open"
    assert waited >= 2.9, f"answered before the body timeout ({waited:.2f} s)"
    # A CPU budget, not a latency: a spinning loop burns ~1 s of CPU per second of stall.
    assert cpu_used < 0.5, f"server used {cpu_used:.2f} s of CPU while the body stalled"


def test_body_timeout_counts_from_the_end_of_the_headers(server_factory):
    # Headers trickle in for 2 s (under the 10 s header timeout); the 2 s body timeout starts
    # only when they are complete, so the 408 comes about 2 s after the last header byte.
    srv = server_factory(env={"SWITCHBOARD_BODY_TIMEOUT_S": "2"}).start()
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"POST /api/logging/batch HTTP/1.1\r\nHost: x\r\n")
    for _ in range(4):
        time.sleep(0.5)
        s.sendall(b"X-Slow: y\r\n")
    s.sendall(b"Content-Type: application/json\r\nContent-Length: 10\r\n\r\n[")
    headers_done = time.monotonic()
    got, closed = read_until_close(s, timeout=10)
    s.close()
    assert got.startswith(b"HTTP/1.1 408"), got[:120]
    assert closed
    assert time.monotonic() - headers_done >= 1.9


def test_complete_body_after_a_pause_is_answered(server_factory):
    # A body that pauses but completes within the body timeout is served, and the connection
    # stays open for the next request.
    srv = server_factory(env={"SWITCHBOARD_BODY_TIMEOUT_S": "5"}).start()
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.settimeout(5)
    body = b'[{"level":"info","message":"hello"}]'
    s.sendall(b"POST /api/logging/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:5])
    time.sleep(1)
    s.sendall(body[5:])
    first = s.recv(4096)
    assert first.startswith(b"HTTP/1.1 2"), first[:120]
    s.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    rest, closed = read_until_close(s, timeout=5)
    s.close()
    assert rest.startswith(b"HTTP/1.1 200"), rest[:120]
    assert closed
