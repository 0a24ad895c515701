"""Replays Protocol/examples scenarios against a running server and matches replies with the
placeholders described in Protocol/examples/README.md. Used by test_server.py; the matcher is
also unit-tested without a server."""
import asyncio
import base64
import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request

import websockets
from websockets.asyncio.client import connect as ws_connect

EXAMPLES_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "Protocol", "examples")
_KINDS = {"epoch", "string", "ts", "seq", "any"}


def scenario_paths():
    return sorted(os.path.join(EXAMPLES_DIR, n) for n in os.listdir(EXAMPLES_DIR) if n.endswith(".json"))


def sign_token(secret, sub, role, topics, ttl=600):
    def b64(raw):
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    header = b64(b'{"alg":"HS256","typ":"JWT"}')
    claims = {"sub": sub, "role": role, "topics": topics, "exp": int(time.time()) + ttl}
    payload = b64(json.dumps(claims, separators=(",", ":")).encode())
    mac = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(mac)}"


def _placeholder(value):
    if isinstance(value, str) and value.startswith("<") and value.endswith(">"):
        kind, _, name = value[1:-1].partition(":")
        if kind in _KINDS:
            return kind, name or None
    return None


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def match(expected, actual, bindings, path="$"):
    """Raises AssertionError naming the first difference; binds `<kind:NAME>` placeholders."""
    ph = _placeholder(expected)
    if ph is not None:
        kind, name = ph
        ok = {"epoch": lambda v: isinstance(v, str) and v != "", "string": lambda v: isinstance(v, str),
              "ts": lambda v: _is_int(v) and v >= 0, "seq": lambda v: _is_int(v) and v >= 0,
              "any": lambda v: True}[kind](actual)
        assert ok, f"{path}: {actual!r} is not a {kind}"
        if name is not None:
            if name in bindings:
                assert bindings[name] == actual, f"{path}: {actual!r} != bound {name}={bindings[name]!r}"
            else:
                bindings[name] = actual
        return
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        extra = set(actual) - set(expected)
        if "seq" in expected and "type" in expected:
            extra.discard("meta")  # meta is optional in events
        assert not extra and set(expected) <= set(actual), \
            f"{path}: members {sorted(actual)} != expected {sorted(expected)}"
        for key, value in expected.items():
            match(value, actual[key], bindings, f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{path}: {actual!r} vs {expected!r}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            match(e, a, bindings, f"{path}[{i}]")
    elif isinstance(expected, bool) or expected is None:
        assert actual is expected, f"{path}: {actual!r} != {expected!r}"
    else:
        assert not isinstance(actual, bool) and actual == expected and type(actual) in (int, float, str), \
            f"{path}: {actual!r} != {expected!r}"


def substitute(value, bindings):
    ph = _placeholder(value)
    if ph is not None and ph[1] is not None:
        return bindings[ph[1]]
    if isinstance(value, dict):
        return {k: substitute(v, bindings) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, bindings) for v in value]
    return value


def http_post(url, body, headers, timeout=5):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers=dict(headers, **{"Content-Type": "application/json"}))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, (json.loads(raw) if raw else None)


class Replayer:
    """Runs one scenario. `ws_url` like ws://127.0.0.1:PORT/ws, `http_base` like http://127.0.0.1:PORT."""

    def __init__(self, ws_url, http_base, secret, api_key, timeout=5.0):
        self.ws_url, self.http_base, self.secret, self.api_key = ws_url, http_base, secret, api_key
        self.timeout = timeout
        self.bindings = {}
        self.ws = None

    async def run(self, scenario):
        try:
            for index, step in enumerate(scenario["steps"]):
                try:
                    await self.step(step)
                except AssertionError as e:
                    raise AssertionError(f"step {index} {json.dumps(step)[:200]}: {e}") from None
        finally:
            await self.disconnect()

    async def disconnect(self):
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    async def next_frame(self):
        raw = await asyncio.wait_for(self.ws.recv(), self.timeout)
        return json.loads(raw)

    async def step(self, step):
        if "connect" in step:
            await self.disconnect()
            claims = step["connect"]
            token = sign_token(self.secret, "golden", claims["role"], claims["topics"])
            self.ws = await ws_connect(self.ws_url, additional_headers={"Authorization": f"Bearer {token}"},
                                       compression=None, open_timeout=self.timeout)
        elif "connect_refused" in step:
            token = step["connect_refused"]["token"]
            headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
            try:
                ws = await ws_connect(self.ws_url, additional_headers=headers, compression=None,
                                      open_timeout=self.timeout)
            except websockets.exceptions.InvalidStatus as e:
                response = e.response
                want = step["expect_http"]
                assert response.status_code == want["status"], f"HTTP {response.status_code}"
                match(want["body"], json.loads(response.body or b"null"), self.bindings, "$body")
            else:
                await ws.close()
                raise AssertionError("the upgrade was accepted")
        elif "disconnect" in step:
            await self.disconnect()
        elif "send" in step:
            await self.ws.send(json.dumps(substitute(step["send"], self.bindings)))
        elif "send_raw" in step:
            await self.ws.send(step["send_raw"])
        elif "expect" in step:
            match(step["expect"], await self.next_frame(), self.bindings)
        elif "expect_events" in step:
            want = step["expect_events"]
            got = []
            while len(got) < len(want["events"]):
                frame = await self.next_frame()
                assert frame.get("op") == "batch" and frame.get("topic") == want["topic"], f"unexpected {frame!r}"
                got.extend(frame.get("events", []))
            match(want["events"], got, self.bindings, "$events")
        elif "publish" in step:
            status, body = await asyncio.to_thread(
                http_post, self.http_base + "/api/publish", step["publish"], {"Authorization": f"Bearer {self.api_key}"})
            want = step.get("expect_http", {"status": 202})
            assert status == want["status"], f"publish answered {status}: {body!r}"
            if "body" in want:
                match(want["body"], body, self.bindings, "$body")
        elif "sleep_ms" in step:
            await asyncio.sleep(step["sleep_ms"] / 1000)
        else:
            raise AssertionError(f"unknown step {step!r}")
