"""Failover figure for bench-cluster.sh: CLIENTS subscribers on node B, events published on node A
at RATE events/s (batches of 20 over HTTP); node B is killed with SIGKILL after KILL_AFTER seconds;
every client reconnects to node A with `since` and keeps reading. Prints one JSON line: events lost
by the reconnected clients (must be 0), duplicates, and the time from the kill until every client
delivered again. usage: bench-failover.py NODE_A_PORT NODE_B_PORT NODE_B_PID TOKEN API_KEY"""
import asyncio
import json
import os
import signal
import sys
import time
import urllib.request

import websockets

A, B, B_PID, TOKEN, API_KEY = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
CLIENTS = int(os.environ.get("CLIENTS", "200"))
RATE = int(os.environ.get("RATE", "2000"))
KILL_AFTER = float(os.environ.get("KILL_AFTER", "3"))
AFTER_KILL = float(os.environ.get("AFTER_KILL", "4"))
TOPIC = "bench.failover"


def post(batch):
    req = urllib.request.Request(f"http://127.0.0.1:{A}/api/publish", data=json.dumps(batch).encode(), method="POST",
                                 headers={"Authorization": "Bearer " + API_KEY, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())["results"][-1]["seq"]


class Client:
    def __init__(self):
        self.seqs, self.epoch, self.recovered_at, self.recovered = [], None, None, None

    async def run(self, killed_at, stop):
        port = B
        while not stop.is_set():
            try:
                async with websockets.connect(f"ws://127.0.0.1:{port}/ws?token={TOKEN}", compression=None, max_size=None) as ws:
                    req = {"op": "subscribe", "id": 1, "topics": [TOPIC]}
                    if self.seqs:
                        req["since"] = {TOPIC: {"epoch": self.epoch, "seq": self.seqs[-1]}}
                    await ws.send(json.dumps(req))
                    while not stop.is_set():
                        f = json.loads(await asyncio.wait_for(ws.recv(), 2))
                        if f["op"] == "ack":
                            info = f["topics"][TOPIC]
                            self.epoch = info["epoch"]
                            if "recovered" in info:
                                self.recovered = info["recovered"]
                        elif f["op"] == "batch":
                            if port == A and self.recovered_at is None:
                                self.recovered_at = time.monotonic()
                            self.seqs += [e["seq"] for e in f["events"]]
            except Exception:  # noqa: BLE001 - the killed node, or a timeout: move to node A
                port = A
                await asyncio.sleep(0.05)


async def main():
    clients = [Client() for _ in range(CLIENTS)]
    stop = asyncio.Event()
    killed_at = [None]
    tasks = [asyncio.create_task(c.run(killed_at, stop)) for c in clients]
    await asyncio.sleep(1.5)
    start, sent, last_seq = time.monotonic(), 0, 0
    while time.monotonic() - start < KILL_AFTER + AFTER_KILL:
        if killed_at[0] is None and time.monotonic() - start >= KILL_AFTER:
            os.kill(B_PID, signal.SIGKILL)
            killed_at[0] = time.monotonic()
        due = int((time.monotonic() - start) * RATE)
        if due > sent:
            n = min(due - sent, 200)
            last_seq = await asyncio.to_thread(post, [{"topic": TOPIC, "type": "b", "data": {"i": sent + i}} for i in range(n)])
            sent += n
        await asyncio.sleep(0.005)
    await asyncio.sleep(1.5)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    first = min((c.seqs[0] for c in clients if c.seqs), default=1)
    lost = sum(len(set(range(c.seqs[0], last_seq + 1)) - set(c.seqs)) for c in clients if c.seqs)
    dups = sum(len(c.seqs) - len(set(c.seqs)) for c in clients)
    back = [c.recovered_at - killed_at[0] for c in clients if c.recovered_at]
    print(json.dumps({"scenario": "failover", "clients": CLIENTS, "rate": RATE, "published": sent, "first_seq": first,
                      "lost_events": lost, "duplicates": dups, "clients_back": len(back),
                      "recovered_true": sum(1 for c in clients if c.recovered),
                      "all_delivering_after_s": round(max(back), 3) if len(back) == CLIENTS else None}))


asyncio.run(main())
