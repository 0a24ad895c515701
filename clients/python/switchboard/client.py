"""The asyncio WebSocket client of wire protocol v1: requests matched to replies by id, events
delivered one by one, and reconnects that resume every topic from where it stopped."""
import asyncio
import inspect
import json
import logging
import time

import websockets
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from .backoff import BASE_SECONDS, CAP_SECONDS, backoff_delay
from .errors import SwitchboardError
from .streams import StreamTracker
from .topics import is_valid_pattern, is_valid_topic, matches

log = logging.getLogger("switchboard")

# The token is no longer good (4001) or never allowed this (4003): reconnecting cannot help.
FATAL_CLOSE_CODES = frozenset({4001, 4003})
ABNORMAL_CLOSE = 1006


async def _call(callback, *args):
    """Runs a sync or async callback; its exceptions are logged, never fatal to the reader."""
    if callback is None:
        return
    try:
        result = callback(*args)
        if inspect.isawaitable(result):
            await result
    except Exception:  # noqa: BLE001 - one bad handler must not stop the stream
        log.exception("switchboard callback failed")


class Client:
    """`Client(url, token)`; `await connect()` opens the first connection (raising if it cannot),
    then a background task keeps one open until `close()`.

    `on_gap(topic)` is called when the client cannot prove it saw every event of `topic`
    (recovered:false, a seq gap, a new epoch): reload that topic's state over REST.
    `since` restores positions saved from `positions()` by an earlier run.
    `on_presence(change)` gets each `{"topic", "joined", "left"}` presence change of the topics
    subscribed with `presence=True`.
    """

    def __init__(self, url, token, *, on_gap=None, on_presence=None, since=None, request_timeout=10.0,
                 backoff_base=BASE_SECONDS, backoff_cap=CAP_SECONDS, max_message_bytes=16 << 20):
        self.url = url
        self.token = token
        self.on_gap = on_gap
        self.on_presence = on_presence
        self._presence_topics = set()  # exact topics subscribed with presence (rejoined on reconnect)
        self.request_timeout = request_timeout
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_message_bytes = max_message_bytes
        self._tracker = StreamTracker(since)
        self._subscriptions = {}  # pattern -> on_event, in subscription order
        self._pending = {}        # request id -> (future or None, sent since)
        self._next_id = 0
        self._ws = None
        self._runner = None
        self._connected = asyncio.Event()
        self._stopped = asyncio.Event()
        self._closing = False
        self.fatal_error = None
        self.reconnects = 0

    # --- public API ------------------------------------------------------------------------

    @property
    def connected(self):
        return self._ws is not None and self._connected.is_set()

    def positions(self):
        """`{topic: {"epoch", "seq"}}`: save it and pass it back as `since` to resume later."""
        return self._tracker.positions()

    async def connect(self):
        if self._runner is not None:
            raise SwitchboardError("bad_request", "connect() was already called")
        self._ws = await self._open()
        self._connected.set()
        self._runner = asyncio.create_task(self._run())

    async def subscribe(self, topic_or_pattern, on_event, *, presence=False):
        """Subscribes and returns the ack's `topics` object. `on_event(event)` (sync or async)
        gets each event dict (topic, seq, type, ts, data, meta) in order. The subscription
        survives reconnects; a `forbidden` or `bad_request` reply removes it and raises.
        `presence=True` (exact topics only) joins the topic's presence: `on_presence` then gets
        its joins and leaves, this connection's own join first."""
        if not is_valid_pattern(topic_or_pattern):
            raise SwitchboardError("bad_request", f"invalid topic or pattern: {topic_or_pattern!r}")
        if presence and not is_valid_topic(topic_or_pattern):
            raise SwitchboardError("bad_request", "presence needs an exact topic, not a pattern")
        self._subscriptions[topic_or_pattern] = on_event
        if presence:
            self._presence_topics.add(topic_or_pattern)
        plan, _ = self._tracker.resubscribe_plan([topic_or_pattern], include_unknown=False)
        since = plan[0][1] if plan else {}
        frame = {"op": "subscribe", "topics": [topic_or_pattern]}
        if since:
            frame["since"] = since
        if presence:
            frame["presence"] = True
        try:
            reply = await self._request(frame, since)
        except SwitchboardError as e:
            if e.code in ("forbidden", "bad_request", "unauthorized"):
                self._subscriptions.pop(topic_or_pattern, None)
                self._presence_topics.discard(topic_or_pattern)
                raise
            if e.code == "connection_lost":
                return {}  # still registered: the next connection subscribes it again
            raise
        return reply.get("topics", {})

    async def unsubscribe(self, topic_or_pattern):
        self._subscriptions.pop(topic_or_pattern, None)
        self._presence_topics.discard(topic_or_pattern)
        self._tracker.forget_unmatched(list(self._subscriptions))
        await self._request({"op": "unsubscribe", "topics": [topic_or_pattern]})

    async def publish(self, topic, type, data):  # noqa: A002 - the protocol's field name
        """Publishes one event (token role `service` only) and returns its seq. Not retried: a
        `connection_lost` error means the event may or may not have been published."""
        if not is_valid_topic(topic):
            raise SwitchboardError("bad_request", f"invalid topic: {topic!r}")
        reply = await self._request({"op": "publish", "topic": topic, "type": type, "data": data})
        seq = reply.get("seq")
        if not isinstance(seq, int):
            raise SwitchboardError("bad_reply", f"publish ack without seq: {reply!r}")
        return seq

    async def presence(self, topic):
        """Who is present on `topic` now: `[{"sub", "connections"}]`, sorted by sub. The token
        must allow reading the topic (else `forbidden`); it need not be subscribed."""
        if not is_valid_topic(topic):
            raise SwitchboardError("bad_request", f"invalid topic: {topic!r}")
        reply = await self._request({"op": "presence", "topic": topic})
        members = reply.get("members")
        if not isinstance(members, list):
            raise SwitchboardError("bad_reply", f"presence answer without members: {reply!r}")
        return members

    async def ping(self):
        """Round trip through the server's protocol layer; returns seconds."""
        start = time.monotonic()
        await self._request({"op": "ping"})
        return time.monotonic() - start

    async def close(self):
        self._closing = True
        ws = self._ws
        if ws is not None:
            await ws.close(1000)
        if self._runner is not None:
            self._runner.cancel()
            try:
                await self._runner
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass
        self._fail_pending(SwitchboardError("closed", "client closed"))
        self._stopped.set()

    async def wait_stopped(self):
        """Returns when the client stops for good: after close(), or after a 4001/4003 close or
        a 401 on reconnect (then `fatal_error` says why)."""
        await self._stopped.wait()

    # --- connection lifecycle --------------------------------------------------------------

    async def _open(self):
        try:
            return await ws_connect(self.url, additional_headers={"Authorization": f"Bearer {self.token}"},
                                    compression=None, max_size=self.max_message_bytes,
                                    open_timeout=self.request_timeout)
        except InvalidStatus as e:
            status = e.response.status_code
            if status in (401, 403):
                raise SwitchboardError("unauthorized" if status == 401 else "forbidden",
                                       f"server refused the connection with HTTP {status}") from e
            raise

    async def _run(self):
        attempt = 0
        first = True
        try:
            while not self._closing:
                if not first:
                    try:
                        self._ws = await self._open()
                    except SwitchboardError as e:
                        self.fatal_error = e
                        break
                    except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException) as e:
                        log.warning("switchboard reconnect failed: %s", e)
                        await asyncio.sleep(self._delay(attempt))
                        attempt += 1
                        continue
                    self.reconnects += 1
                    await self._resubscribe()
                    self._connected.set()
                first = False
                code, received = await self._read(self._ws)
                self._ws = None
                self._connected.clear()
                self._fail_pending(SwitchboardError("connection_lost", f"connection closed ({code})"))
                if received:
                    attempt = 0
                if code in FATAL_CLOSE_CODES:
                    self.fatal_error = SwitchboardError("unauthorized" if code == 4001 else "forbidden",
                                                        f"server closed the connection with {code}")
                    break
                if self._closing:
                    break
                await asyncio.sleep(self._delay(attempt))
                attempt += 1
        finally:
            self._connected.clear()
            self._fail_pending(SwitchboardError("closed", "client stopped"))
            self._stopped.set()

    def _delay(self, attempt):
        return backoff_delay(attempt, base=self.backoff_base, cap=self.backoff_cap)

    async def _read(self, ws):
        """Handles frames until the connection ends; returns (close code, whether any frame came)."""
        received = False
        try:
            async for message in ws:
                received = True
                await self._handle(message)
        except ConnectionClosed as e:
            return (e.rcvd.code if e.rcvd is not None else ABNORMAL_CLOSE), received
        close = ws.protocol.close_rcvd
        return (close.code if close is not None else ABNORMAL_CLOSE), received

    async def _resubscribe(self):
        patterns = list(self._subscriptions)
        if not patterns:
            return
        plan, dropped = self._tracker.resubscribe_plan(patterns)
        for topic in dropped:
            await _call(self.on_gap, topic)
        for pattern, since in plan:
            frame = {"op": "subscribe", "id": self._take_id(), "topics": [pattern]}
            if since:
                frame["since"] = since
            if pattern in self._presence_topics:
                frame["presence"] = True
            self._pending[frame["id"]] = (None, since)
            await self._ws.send(json.dumps(frame))

    # --- requests and replies --------------------------------------------------------------

    def _take_id(self):
        self._next_id += 1
        return self._next_id

    async def _request(self, frame, since=None):
        if self._closing or self._stopped.is_set():
            raise SwitchboardError("closed", "client closed")
        if self._runner is None:
            raise SwitchboardError("not_connected", "call connect() first")
        try:
            await asyncio.wait_for(self._connected.wait(), self.request_timeout)
        except asyncio.TimeoutError:
            raise SwitchboardError("timeout", "not connected") from None
        ws = self._ws
        if ws is None:
            raise SwitchboardError("connection_lost", "not connected")
        request_id = self._take_id()
        frame = dict(frame, id=request_id)
        future = asyncio.get_running_loop().create_future()
        self._pending[request_id] = (future, since or {})
        try:
            await ws.send(json.dumps(frame))
            return await asyncio.wait_for(future, self.request_timeout)
        except ConnectionClosed:
            raise SwitchboardError("connection_lost", "connection closed before the reply") from None
        except asyncio.TimeoutError:
            raise SwitchboardError("timeout", f"no reply to {frame['op']} within {self.request_timeout}s") from None
        finally:
            self._pending.pop(request_id, None)

    def _fail_pending(self, error):
        pending, self._pending = self._pending, {}
        for future, _ in pending.values():
            if future is not None and not future.done():
                future.set_exception(error)

    async def _handle(self, message):
        try:
            frame = json.loads(message)
        except (TypeError, ValueError):
            log.warning("switchboard: ignoring a frame that is not JSON")
            return
        if not isinstance(frame, dict):
            return
        op = frame.get("op")
        if op == "batch":
            await self._deliver(frame)
            return
        if op == "presence" and "id" not in frame:
            await self._presence_changed(frame)
            return
        request_id = frame.get("id")
        entry = self._pending.pop(request_id, None) if isinstance(request_id, (int, str)) else None
        if op == "error":
            error = SwitchboardError(str(frame.get("code", "error")), str(frame.get("message", "")))
            if entry is None:
                log.warning("switchboard server error: %s", error)
            elif entry[0] is None:
                self._resubscribe_failed(error)
            elif not entry[0].done():
                entry[0].set_exception(error)
            return
        if entry is None:
            return
        future, since = entry
        if op == "ack" and isinstance(frame.get("topics"), dict):
            for topic in self._tracker.apply_ack(frame["topics"], since):
                await _call(self.on_gap, topic)
        if future is not None and not future.done():
            future.set_result(frame)

    async def _presence_changed(self, frame):
        topic = frame.get("topic")
        if topic not in self._presence_topics:
            return

        def members(key):
            value = frame.get(key)
            return [m for m in value if isinstance(m, dict) and isinstance(m.get("sub"), str)] if isinstance(value, list) else []

        await _call(self.on_presence, {"topic": topic, "joined": members("joined"), "left": members("left")})

    def _resubscribe_failed(self, error):
        # A resubscription the server now refuses (e.g. narrower token): nothing to retry.
        log.warning("switchboard resubscribe refused: %s", error)

    async def _deliver(self, frame):
        events, gap = self._tracker.accept_batch(frame)
        if gap:
            await _call(self.on_gap, frame.get("topic"))
        for event in events:
            seen = set()
            for pattern, on_event in list(self._subscriptions.items()):
                if matches(pattern, event["topic"]) and id(on_event) not in seen:
                    seen.add(id(on_event))
                    await _call(on_event, event)
