"""TLS output path: an orderly close sends close_notify (HTTP Connection: close, WebSocket close
handshake), so a strict client can tell it from a truncation; and frames of every size, gathered
into shared records when many are queued in one turn, arrive whole and in order."""
import asyncio
import os
import socket
import ssl
import struct

import pytest
import websockets

from test_tls import pki, tls_server  # noqa: F401  (fixtures)


def strict_tls_socket(srv, version=None):
    """A TLS socket on which an EOF without close_notify raises SSLEOFError instead of reading b""."""
    ctx = srv.context()
    if version:
        ctx.minimum_version = ctx.maximum_version = version
    raw = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    return ctx.wrap_socket(raw, server_hostname="localhost", suppress_ragged_eofs=False)


def read_to_orderly_eof(s):
    data = b""
    while chunk := s.recv(65536):  # SSLEOFError here means the server closed without close_notify
        data += chunk
    return data


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3], ids=["tls1.2", "tls1.3"])
def test_connection_close_response_ends_with_close_notify(tls_server, version):
    srv = tls_server()
    with strict_tls_socket(srv, version) as s:
        s.sendall(b"GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        assert read_to_orderly_eof(s).startswith(b"HTTP/1.1 200")


def test_websocket_close_handshake_ends_with_close_notify(tls_server):
    srv = tls_server()
    with strict_tls_socket(srv) as s:
        s.sendall(b"GET /echo HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            head += s.recv(4096)
        assert b" 101 " in head
        payload = struct.pack("!H", 1000)
        s.sendall(bytes([0x88, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)  # masked close, zero mask
        rest = head.split(b"\r\n\r\n", 1)[1] + read_to_orderly_eof(s)
        assert rest[:2] == bytes([0x88, 2]) and rest[2:4] == payload


@pytest.mark.parametrize("compression", ["deflate", None])
def test_bursts_of_small_and_large_frames_arrive_whole_and_in_order(tls_server, compression):
    """Sizes straddle the 16 KiB record and the 64 KiB per-pass budget, sent without waiting so
    the server queues many frames per turn."""
    srv = tls_server()
    sizes = [1, 5, 125, 126, 300, 4000, 16383, 16384, 16385, 40000, 65535, 65536, 70000, 200_000] * 3 + [7] * 400
    messages = [os.urandom(n) for n in sizes]

    async def run():
        async with websockets.connect(srv.ws_base + "/echo", ssl=srv.context(), compression=compression,
                                      max_size=None) as ws:
            async def send_all():
                for m in messages:
                    await ws.send(m)
            sender = asyncio.create_task(send_all())
            for i, m in enumerate(messages):
                got = await asyncio.wait_for(ws.recv(), 10)
                assert got == m, f"message {i} of {len(m)} bytes"
            await sender
    asyncio.run(run())
