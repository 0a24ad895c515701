"""Helpers of scripts/bench-socketio.sh.

  pyserver PORT          python-socketio's own server (asyncio + aiohttp), the comparison point:
                         a client's `subscribe` event joins the room of each topic; POST /api/publish
                         with {"topic","type","data"} (or a list) emits one event per item to the
                         topic's room, as a Node or Python Socket.IO app does today.
  poll BASE TOKEN TOPIC N DURATION RATE API_KEY
                         N Engine.IO polling clients on /socket.io/ (raw HTTP/1.1 keep-alive over
                         asyncio streams, no upgrade) subscribed to TOPIC, while one publisher
                         posts RATE events/s for DURATION s; prints one JSON line: delivered,
                         expected, latency percentiles (publish to receipt), polls answered.
"""
import asyncio
import json
import sys
import time


def pyserver(port):
    import socketio
    from aiohttp import web

    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins=[])
    app = web.Application()
    sio.attach(app)

    @sio.event
    async def subscribe(sid, data):
        for t in data.get("topics", []):
            await sio.enter_room(sid, t)
        return {"topics": {t: {} for t in data.get("topics", [])}}

    async def publish(request):
        body = await request.json()
        items = body if isinstance(body, list) else [body]
        for e in items:
            await sio.emit(e["type"], {"topic": e["topic"], "type": e["type"], "data": e["data"]}, room=e["topic"])
        return web.json_response({"results": [{"topic": e["topic"], "seq": 0} for e in items]}, status=202)

    async def live(request):
        return web.Response(text="ok")

    app.router.add_post("/api/publish", publish)
    app.router.add_get("/health/live", live)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


class Poller:
    """One polling client over one keep-alive connection (plus one for its POSTs)."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.received = []  # (receive time, publish time)
        self.polls = 0

    async def request(self, rw, method, path, body=b""):
        reader, writer = rw
        writer.write(f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
                     "Content-Type: text/plain;charset=UTF-8\r\n\r\n".encode() + body)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return status, await reader.readexactly(length)

    async def run(self, token, topic, until):
        get = await asyncio.open_connection(self.host, self.port)
        post = await asyncio.open_connection(self.host, self.port)
        _, opened = await self.request(get, "GET", "/socket.io/?EIO=4&transport=polling")
        sid = json.loads(opened[1:])["sid"]
        q = f"/socket.io/?EIO=4&transport=polling&sid={sid}"
        await self.request(post, "POST", q, b"40" + json.dumps({"token": token}).encode())
        await self.request(post, "POST", q, b'421["subscribe",{"topics":["%s"]}]' % topic.encode())
        while time.time() < until:
            status, body = await self.request(get, "GET", q)
            if status != 200:
                break
            self.polls += 1
            now = time.time()
            for packet in body.split(b"\x1e"):
                if packet == b"2":
                    await self.request(post, "POST", q, b"3")
                elif packet.startswith(b"42[\"bench\""):
                    # `"data":{"t":<publish time>}`: found, not parsed, so the client keeps up
                    i = packet.find(b'"data":{"t":') + 12
                    self.received.append((now, float(packet[i:packet.find(b"}", i)])))
        for _, w in (get, post):
            w.close()


async def poll_main(base, token, topic, n, duration, rate, api_key):
    host, port = base.split("//")[1].split(":")
    port = int(port)
    pollers = [Poller(host, port) for _ in range(n)]
    start = time.time()
    until = start + 3 + duration + 3
    tasks = [asyncio.create_task(p.run(token, topic, until)) for p in pollers]
    await asyncio.sleep(3)  # everyone subscribed
    # The publisher runs in its own process, so its pace does not depend on this busy loop.
    proc = await asyncio.create_subprocess_exec(sys.executable, __file__, "publish", base, api_key, topic, str(duration), str(rate),
                                                stdout=asyncio.subprocess.PIPE)
    published = int((await proc.communicate())[0])
    deadline = time.time() + 10  # the last events arrive (or the client gives up)
    while time.time() < deadline and sum(len(p.received) for p in pollers) < published * n:
        await asyncio.sleep(0.1)
    for t in tasks:
        t.cancel()  # a held poll would otherwise wait for the next ping
    await asyncio.gather(*tasks, return_exceptions=True)
    lat = sorted((r - s) * 1000 for p in pollers for r, s in p.received)
    pct = lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))], 2) if lat else None
    print(json.dumps({"clients": n, "rate": rate, "published": published, "expected": published * n,
                      "delivered": len(lat), "polls": sum(p.polls for p in pollers),
                      "lat_ms": {"p50": pct(0.5), "p90": pct(0.9), "p99": pct(0.99), "max": lat[-1] if lat else None}}))


def publish_main(base, api_key, topic, duration, rate):
    import http.client
    host, port = base.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port))
    published, t0 = 0, time.time()
    while time.time() < t0 + duration:
        while published < int((time.time() - t0) * rate):
            body = json.dumps({"topic": topic, "type": "bench", "data": {"t": time.time()}})
            conn.request("POST", "/api/publish", body, {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"})
            conn.getresponse().read()
            published += 1
        time.sleep(0.001)
    print(published)


if __name__ == "__main__":
    if sys.argv[1] == "pyserver":
        pyserver(int(sys.argv[2]))
    elif sys.argv[1] == "publish":
        base, key, topic, duration, rate = sys.argv[2:7]
        publish_main(base, key, topic, float(duration), float(rate))
    elif sys.argv[1] == "poll":
        base, token, topic, n, duration, rate, key = sys.argv[2:9]
        asyncio.run(poll_main(base, token, topic, int(n), float(duration), float(rate), key))
