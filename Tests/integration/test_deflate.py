"""permessage-deflate against the real server: negotiation on /echo and /ws, compressed hub frames
shared by subscribers with the same parameters, small frames uncompressed, the inbound limit on
inflated bytes (deflate bomb → 1009), RSV1 without the extension (→ 1002) and the on/off switch."""
import asyncio
import json
import zlib

import pytest
import requests
import websockets

import jwt_helper
from wsraw import RawWS

SECRET = "integration-secret-0123456789abcdef"
API_KEY = "integration-api-key-0123456789"
ENV = {"SWITCHBOARD_AUTH_SECRET": SECRET, "SWITCHBOARD_API_KEY": API_KEY, "SWITCHBOARD_BATCH_WINDOW_MS": "0"}
OFFER = {"Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits"}


def deflate(data, wbits=15):
    c = zlib.compressobj(6, zlib.DEFLATED, -wbits)
    return (c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH))[:-4]


def inflate(data):
    return zlib.decompressobj(-15).decompress(data + b"\x00\x00\xff\xff")


class DeflateWS(RawWS):
    """RawWS that reports the first byte of each frame (FIN, RSV1, opcode)."""

    def recv_raw(self):
        self._need(1)
        first = self.buf[0]
        op, payload = self.recv_frame()
        return first, op, payload


def extension_header(ws):
    for line in ws.head.split("\r\n"):
        if line.lower().startswith("sec-websocket-extensions:"):
            return line.split(":", 1)[1].strip()
    return None


@pytest.fixture
def srv(server_factory):
    return server_factory(env=ENV, args=["--echo-path", "/echo"]).start()


def agent():
    return jwt_helper.token(SECRET, "agent", ["inbox", "conversation.*"])


def publish(srv, events):
    r = requests.post(srv.base + "/api/publish", json=events, headers={"Authorization": "Bearer " + API_KEY})
    assert r.status_code == 202, r.text


def big_event(i):
    return {"topic": "inbox", "type": "message.received",
            "data": {"wa_id": "15551234567", "text": "Hello, I would like to know the status of my order " * 4, "n": i}}


def test_echo_negotiates_and_round_trips_with_python_websockets(srv):
    async def run():
        async with websockets.connect(srv.ws_base + "/echo", compression="deflate") as ws:
            assert "server_no_context_takeover" in ws.response_headers["Sec-WebSocket-Extensions"]
            for text in ["short", "repeated text " * 500, "ünïcödé " * 100]:
                await ws.send(text)
                assert await ws.recv() == text
            await ws.send(b"\x00\x01" * 5000)
            assert await ws.recv() == b"\x00\x01" * 5000
        async with websockets.connect(srv.ws_base + "/echo", compression=None) as ws:
            assert "Sec-WebSocket-Extensions" not in ws.response_headers
            await ws.send("plain " * 100)
            assert await ws.recv() == "plain " * 100
    asyncio.run(run())


def test_answer_parameters_follow_the_offer(srv):
    ws = DeflateWS(srv.port, "/echo", headers={"Sec-WebSocket-Extensions":
                                                "permessage-deflate; server_max_window_bits=7, "
                                                "permessage-deflate; client_no_context_takeover; server_max_window_bits=10"})
    assert ws.status == 101
    assert extension_header(ws) == "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10"
    ws.close()
    bad = DeflateWS(srv.port, "/echo", headers={"Sec-WebSocket-Extensions": "permessage-deflate; server_max_window_bits=99"})
    assert bad.status == 101 and extension_header(bad) is None, "an offer it cannot honour is declined, not failed"
    bad.close()


def test_compressed_echo_and_client_context_takeover(srv):
    ws = DeflateWS(srv.port, "/echo", headers=OFFER)
    text = b"context takeover works across messages " * 20
    client = zlib.compressobj(6, zlib.DEFLATED, -15)
    for _ in range(3):
        # One stream for all messages: the later ones refer back into the earlier ones.
        ws.send_frame(1, (client.compress(text) + client.flush(zlib.Z_SYNC_FLUSH))[:-4], rsv=4)
        first, op, payload = ws.recv_raw()
        assert first == 0xC1, "large echo goes back compressed (FIN+RSV1+text)"
        assert inflate(payload) == text
    ws.send_frame(1, b"tiny")
    first, op, payload = ws.recv_raw()
    assert (first, payload) == (0x81, b"tiny"), "under SWITCHBOARD_WS_COMPRESS_MIN_BYTES: RSV1 clear"
    ws.close()


def test_hub_frames_compressed_once_and_shared(srv):
    token = agent()
    a = DeflateWS(srv.port, "/ws?token=" + token, headers=OFFER)
    b = DeflateWS(srv.port, "/ws?token=" + token, headers=OFFER)
    plain = DeflateWS(srv.port, "/ws?token=" + token)
    for ws in (a, b, plain):
        ws.send_text(json.dumps({"op": "subscribe", "id": 1, "topics": ["inbox"]}))
        ws.recv_raw()  # ack
    publish(srv, [big_event(i) for i in range(20)])
    fa, _, pa = a.recv_raw()
    fb, _, pb = b.recv_raw()
    fp, _, pp = plain.recv_raw()
    assert fa == fb == 0xC1 and fp == 0x81
    assert pa == pb, "the same compressed bytes for both subscribers"
    assert inflate(pa) == pp
    assert len(pa) * 3 < len(pp)
    batch = json.loads(pp)
    assert batch["op"] == "batch" and batch["events"][0]["data"]["n"] == 0
    for ws in (a, b, plain):
        ws.close()


def test_deflate_bomb_is_closed_1009(srv):
    ws = DeflateWS(srv.port, "/ws?token=" + agent(), headers=OFFER)
    bomb = deflate(b"\x00" * (8 << 20))  # 8 MiB inflated, SWITCHBOARD_WS_MAX_MESSAGE_BYTES is 1 MiB
    assert len(bomb) < 20000
    ws.send_frame(1, bomb, rsv=4)
    code, _ = ws.recv_until_close()
    assert code == 1009
    ws.close()
    assert requests.get(srv.base + "/health/live").status_code == 200


def test_rsv1_without_negotiation_is_1002(srv):
    ws = DeflateWS(srv.port, "/echo")
    assert extension_header(ws) is None
    ws.send_frame(1, deflate(b"hello"), rsv=4)
    code, _ = ws.recv_until_close()
    assert code == 1002
    ws.close()


def test_rsv1_on_a_continuation_is_1002(srv):
    ws = DeflateWS(srv.port, "/echo", headers=OFFER)
    data = deflate(b"abc" * 100)
    ws.send_frame(1, data[:5], fin=False, rsv=4)
    ws.send_frame(0, data[5:], fin=True, rsv=4)
    code, _ = ws.recv_until_close()
    assert code == 1002
    ws.close()


def test_compression_off_declines_every_offer(server_factory):
    srv = server_factory(env={**ENV, "SWITCHBOARD_WS_COMPRESSION": "off"}, args=["--echo-path", "/echo"]).start()
    ws = DeflateWS(srv.port, "/echo", headers=OFFER)
    assert ws.status == 101 and extension_header(ws) is None
    ws.close()


def test_min_bytes_setting(server_factory):
    srv = server_factory(env={**ENV, "SWITCHBOARD_WS_COMPRESS_MIN_BYTES": "0"}, args=["--echo-path", "/echo"]).start()
    ws = DeflateWS(srv.port, "/echo", headers=OFFER)
    ws.send_frame(1, b"tiny")
    first, _, payload = ws.recv_raw()
    assert first == 0xC1 and inflate(payload) == b"tiny"
    ws.close()


@pytest.mark.parametrize("env,expected", [({"SWITCHBOARD_WS_COMPRESSION": "maybe"}, "SWITCHBOARD_WS_COMPRESSION"),
                                          ({"SWITCHBOARD_WS_COMPRESS_MIN_BYTES": "-1"}, "SWITCHBOARD_WS_COMPRESS_MIN_BYTES")])
def test_bad_settings_stop_start_up(server_factory, env, expected):
    srv = server_factory(env={**ENV, **env}).start(wait=False)
    assert srv.proc.wait(timeout=10) != 0
    assert expected in srv.logs()
