"""RFC 6455 behaviour of the real server: handshake, framing errors, limits, close, shutdown."""
import asyncio
import signal
import struct
import time

import requests
import websockets

from wsraw import RawWS


def test_echo_text_and_binary(server):
    async def run():
        async with websockets.connect(server.ws_base + "/echo", max_size=None) as ws:
            await ws.send("héllo wörld")
            assert await ws.recv() == "héllo wörld"
            blob = bytes(range(256)) * 1000
            await ws.send(blob)
            assert await ws.recv() == blob
    asyncio.run(run())


def test_bad_upgrade_400(server):
    r = requests.get(server.base + "/echo", headers={"Upgrade": "websocket", "Connection": "Upgrade",
                                                     "Sec-WebSocket-Version": "13"})  # no key
    assert r.status_code == 400
    assert r.json()["error"]["code"]
    r = requests.get(server.base + "/echo")  # a plain GET
    assert r.status_code == 400


def test_wrong_version_426(server):
    r = requests.get(server.base + "/echo", headers={
        "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "8"})
    assert r.status_code == 426
    assert r.headers["Sec-WebSocket-Version"] == "13"


def test_accept_header(server):
    ws = RawWS(server.port, "/echo")
    assert ws.status == 101
    assert "Sec-WebSocket-Accept:" in ws.head
    ws.close()


def test_unmasked_frame_closes_1002(server):
    ws = RawWS(server.port, "/echo")
    ws.send_frame(1, b"hi", mask=False)
    code, _ = ws.recv_until_close()
    assert code == 1002
    ws.close()


def test_invalid_utf8_closes_1007(server):
    ws = RawWS(server.port, "/echo")
    ws.send_frame(1, b"ok \xc3\x28 bad")
    code, _ = ws.recv_until_close()
    assert code == 1007


def test_invalid_utf8_across_fragments_1007(server):
    ws = RawWS(server.port, "/echo")
    ws.send_frame(1, b"caf\xc3", fin=False)     # valid so far (incomplete code point)
    ws.send_frame(0, b"\xa9 ok", fin=False)     # completes é
    ws.send_frame(0, b"\xff", fin=True)         # invalid
    code, _ = ws.recv_until_close()
    assert code == 1007


def test_fragmented_message_with_interleaved_ping(server):
    ws = RawWS(server.port, "/echo")
    ws.send_frame(1, b"frag", fin=False)
    ws.send_frame(9, b"ping!")
    ws.send_frame(0, b"mented", fin=True)
    op, p = ws.recv_frame()
    assert (op, p) == (10, b"ping!")
    op, p = ws.recv_frame()
    assert (op, p) == (1, b"fragmented")
    ws.close()


def test_bad_close_code_1002(server):
    ws = RawWS(server.port, "/echo")
    ws.send_frame(8, struct.pack("!H", 1005))
    code, _ = ws.recv_until_close()
    assert code == 1002


def test_close_handshake_echoes_code(server):
    ws = RawWS(server.port, "/echo")
    ws.send_frame(8, struct.pack("!H", 1000) + b"bye")
    code, _ = ws.recv_until_close()
    assert code == 1000
    assert ws.sock.recv(10) == b""  # server closed TCP after the handshake


def test_control_frame_too_long_1002(server):
    ws = RawWS(server.port, "/echo")
    ws.send_frame(9, b"x" * 126)
    code, _ = ws.recv_until_close()
    assert code == 1002


def test_message_too_big_1009(server_factory):
    srv = server_factory(env={"SWITCHBOARD_AUTH_SECRET": "s" * 32}).start()
    import jwt_helper
    tok = jwt_helper.token("s" * 32, "agent", ["inbox"])
    ws = RawWS(srv.port, "/ws?token=" + tok)
    assert ws.status == 101
    ws.send_frame(1, b"a" * ((1 << 20) + 1))  # default limit 1 MiB
    code, _ = ws.recv_until_close()
    assert code == 1009


def test_server_pings_quiet_peer(server_factory):
    srv = server_factory(args=["--echo-path", "/echo"], env={"SWITCHBOARD_WS_PING_INTERVAL_S": "0.3"}).start()
    ws = RawWS(srv.port, "/echo")
    op, _ = ws.recv_frame()
    assert op == 9
    ws.close()


def test_idle_peer_closed(server_factory):
    srv = server_factory(args=["--echo-path", "/echo"], env={
        "SWITCHBOARD_WS_PING_INTERVAL_S": "0.2", "SWITCHBOARD_WS_IDLE_TIMEOUT_S": "1"}).start()
    ws = RawWS(srv.port, "/echo")
    t0 = time.time()
    code, frames = ws.recv_until_close()  # we never answer the pings
    assert code == 1001
    assert all(op == 9 for op, _ in frames)
    assert time.time() - t0 < 4


def test_graceful_shutdown_closes_websockets_1001(server_factory):
    srv = server_factory(args=["--echo-path", "/echo"]).start()
    ws = RawWS(srv.port, "/echo")
    ws.send_text("before")
    assert ws.recv_frame() == (1, b"before")
    t0 = time.time()
    srv.proc.send_signal(signal.SIGTERM)
    code, _ = ws.recv_until_close()
    assert code == 1001
    assert srv.proc.wait(timeout=15) == 0
    assert time.time() - t0 < 12
