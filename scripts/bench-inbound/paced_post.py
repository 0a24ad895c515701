"""Paced (open-loop) webhook load: POSTs signed webhooks at a fixed rate over keep-alive connections
and records each POST→200 latency. Prints one JSON object.

wrk has no rate control and wrk2 is not packaged in Debian, hence this. Requests are scheduled at
t0 + k/rate whatever the server does; a request due while every connection is busy waits in a
backlog, and `from_schedule` latencies count that wait (no coordinated omission), while
`from_write` latencies start when the bytes are written. Several processes share the rate so
one Python interpreter is not the limit; the achieved rate is reported, not assumed.

usage: paced_post.py --port P --secret S --rate R --duration D [--warmup W] [--connections C]
                     [--procs N] [--embed-time --sent-out FILE] [--run-tag T]
"""
import argparse
import asyncio
import collections
import json
import multiprocessing
import os
import resource
import sys
import time

from common import percentile, post_request, signed_text_webhook


class Connection(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight (as Meta's deliveries are)."""

    def __init__(self, on_response):
        self.on_response = on_response
        self.buffer = b""
        self.transport = None
        self.pending = None  # (index, intended, written)

    def connection_made(self, transport):
        self.transport = transport

    def send(self, index, intended, data):
        self.pending = (index, intended, time.monotonic())
        self.transport.write(data)

    def data_received(self, data):
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length:]
            status = int(head.split(" ", 2)[1])
            pending, self.pending = self.pending, None
            if pending is not None:
                self.on_response(self, pending, status, time.monotonic())

    def connection_lost(self, exc):
        if self.pending is not None:
            pending, self.pending = self.pending, None
            self.on_response(self, pending, 0, time.monotonic())


async def drive(args, share_rate, connections, proc_index, barrier):
    loop = asyncio.get_running_loop()
    host = "127.0.0.1:%d" % args.port
    total = int(share_rate * (args.warmup + args.duration))
    tag = "%s%d" % (args.run_tag, proc_index)
    prebuilt = None
    if not args.embed_time:
        prebuilt = [post_request(host, *signed_text_webhook(args.secret, k, tag, "Hello, where is my order #%d?" % k)[1:])
                    for k in range(total)]
    results = []  # (index, intended, written, done, status)
    sent = []  # (wamid, send_ns) in embed-time mode
    idle = collections.deque()
    backlog = collections.deque()
    state = {"outstanding": 0}

    def build(index):
        if prebuilt is not None:
            return prebuilt[index]
        send_ns = time.time_ns()
        wamid, body, sig = signed_text_webhook(args.secret, index, tag, "bench %d hello from a customer" % send_ns)
        sent.append((wamid, send_ns))
        return post_request(host, body, sig)

    def dispatch(index, intended, conn=None):
        conn = conn or (idle.pop() if idle else None)
        if conn is None:
            backlog.append((index, intended))
            return
        state["outstanding"] += 1
        conn.send(index, intended, build(index))

    def on_response(conn, pending, status, done):
        state["outstanding"] -= 1
        index, intended, written = pending
        results.append((index, intended, written, done, status))
        if status == 0:
            return  # connection lost: it takes no more work
        if backlog:
            dispatch(*backlog.popleft(), conn=conn)
        else:
            idle.append(conn)

    for _ in range(connections):
        _, proto = await loop.create_connection(lambda: Connection(on_response), "127.0.0.1", args.port)
        idle.append(proto)
    await loop.run_in_executor(None, barrier.wait)
    t0 = time.monotonic()
    k = 0
    while k < total:
        due = min(total, int((time.monotonic() - t0) * share_rate) + 1)
        while k < due:
            dispatch(k, t0 + k / share_rate)
            k += 1
        await asyncio.sleep(0.0005)
    deadline = time.monotonic() + 10
    while (state["outstanding"] or backlog) and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    for conn in list(idle):
        conn.transport.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"t0": t0, "results": results, "sent": sent, "total": total, "unfinished": state["outstanding"] + len(backlog),
            "cpu_s": usage.ru_utime + usage.ru_stime}


def worker(args, share_rate, connections, proc_index, barrier, queue):
    queue.put(asyncio.run(drive(args, share_rate, connections, proc_index, barrier)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--secret", required=True)
    p.add_argument("--rate", type=float, required=True)
    p.add_argument("--duration", type=float, required=True, help="measured seconds, after the warm-up")
    p.add_argument("--warmup", type=float, default=1.0)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--procs", type=int, default=2)
    p.add_argument("--embed-time", action="store_true", help="put the send time (ns) in each text body")
    p.add_argument("--sent-out", default=None, help="embed-time mode: write 'wamid send_ns' lines here")
    p.add_argument("--run-tag", default="pace%d" % os.getpid())
    args = p.parse_args()
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(args.procs)
    queue = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(args, args.rate / args.procs, args.connections // args.procs, i, barrier, queue))
             for i in range(args.procs)]
    for proc in procs:
        proc.start()
    outs = [queue.get(timeout=args.warmup + args.duration + 120) for _ in procs]
    for proc in procs:
        proc.join(timeout=10)
    from_schedule, from_write, statuses = [], [], collections.Counter()
    measured, window_end = 0, 0.0
    for out in outs:
        start = out["t0"] + args.warmup
        for index, intended, written, done, status in out["results"]:
            statuses[status] += 1
            if intended < start:
                continue
            measured += 1
            if status == 200:
                from_schedule.append((done - intended) * 1000)
                from_write.append((done - written) * 1000)
            window_end = max(window_end, done - start)
    from_schedule.sort()
    from_write.sort()
    if args.sent_out:
        with open(args.sent_out, "w") as f:
            for out in outs:
                for wamid, send_ns in out["sent"]:
                    f.write("%s %d\n" % (wamid, send_ns))
    summary = {
        "target_rate": args.rate,
        "achieved_rate": round(len(from_write) / window_end, 1) if window_end > 0 else 0.0,
        "measured_requests": measured,
        "ok": len(from_write),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "unfinished": sum(o["unfinished"] for o in outs),
        "connections": (args.connections // args.procs) * args.procs,
        "procs": args.procs,
        "generator_cpu_pct": round(100 * sum(o["cpu_s"] for o in outs) / (args.warmup + args.duration), 1),
    }
    for name, values in (("from_write_ms", from_write), ("from_schedule_ms", from_schedule)):
        summary[name] = {"p50": round(percentile(values, 50), 2), "p90": round(percentile(values, 90), 2),
                         "p99": round(percentile(values, 99), 2), "max": round(values[-1], 2) if values else 0.0}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
