"""Sends a DeliveryPlan to a webhook URL over persistent keep-alive connections, paced to a
target rate, bounded by a duration and/or a count, recording status and latency per delivery."""
import http.client
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional
from urllib.parse import urlsplit

from . import sign
from .plan import DeliveryPlan


@dataclass
class SimulatorConfig:
    url: str
    secret: str
    rate: float = 100.0
    duration: Optional[float] = 10.0
    count: Optional[int] = None
    concurrency: int = 8
    duplicates: float = 0.0
    out_of_order: float = 0.0
    seed: int = 1
    types: Optional[List[str]] = None
    ledger: Optional[str] = None
    timeout: float = 10.0


@dataclass
class Summary:
    sent: int = 0
    ok: int = 0
    non_200: Dict[str, int] = field(default_factory=dict)   # status code (or error name) -> count
    duplicates_sent: int = 0
    latencies_ms: List[float] = field(default_factory=list)
    elapsed_s: float = 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, int(round(p / 100.0 * len(ordered) + 0.5)) - 1))
        return ordered[index]

    def as_dict(self) -> dict:
        return {
            "sent": self.sent, "ok_200": self.ok, "non_200": dict(sorted(self.non_200.items())),
            "duplicates_sent": self.duplicates_sent,
            "latency_ms": {"p50": round(self.percentile(50), 3), "p99": round(self.percentile(99), 3),
                           "max": round(max(self.latencies_ms), 3) if self.latencies_ms else 0.0},
            "elapsed_s": round(self.elapsed_s, 3),
            "achieved_rate": round(self.sent / self.elapsed_s, 1) if self.elapsed_s > 0 else 0.0,
        }

    def text(self) -> str:
        d = self.as_dict()
        failures = ", ".join("%s: %d" % kv for kv in d["non_200"].items()) or "none"
        return ("sent %(sent)d (duplicates %(duplicates_sent)d), 200: %(ok_200)d, " % d
                + "non-200: %s\n" % failures
                + "latency ms p50 %(p50).1f p99 %(p99).1f max %(max).1f\n" % d["latency_ms"]
                + "elapsed %(elapsed_s).2f s, achieved %(achieved_rate).1f deliveries/s" % d)


class Simulator:
    """Runs one bounded session. Thread-safe hand-out of deliveries: one plan, one pacing clock
    shared by all workers, one connection per worker."""

    def __init__(self, config: SimulatorConfig, plan: Optional[DeliveryPlan] = None):
        if config.duration is None and config.count is None:
            raise ValueError("a run must be bounded: give a duration, a count, or both")
        if config.rate <= 0 or config.concurrency < 1:
            raise ValueError("rate must be > 0 and concurrency >= 1")
        parts = urlsplit(config.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("url must be http(s)://host[:port]/path")
        self.config = config
        self.scheme, self.host, self.port = parts.scheme, parts.hostname, parts.port
        self.path = (parts.path or "/") + ("?" + parts.query if parts.query else "")
        self.plan = plan or DeliveryPlan(config.seed, config.duplicates, config.out_of_order, config.types)
        self.summary = Summary()
        self._lock = threading.Lock()
        self._ledger_lock = threading.Lock()
        self._index = 0
        self._start = 0.0

    def _next(self):
        """The next delivery and the moment it is due, or None when the run is over."""
        with self._lock:
            if self.config.count is not None and self._index >= self.config.count:
                return None
            due = self._start + self._index / self.config.rate
            if self.config.duration is not None and due >= self._start + self.config.duration:
                return None
            self._index += 1
            return next(self.plan), due

    def _connect(self):
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        return cls(self.host, self.port, timeout=self.config.timeout)

    def _post(self, conn, delivery):
        headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua",
                   sign.HEADER: sign.signature(self.config.secret, delivery.body)}
        conn.request("POST", self.path, body=delivery.body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, response.will_close

    def _worker(self, ledger):
        conn = self._connect()
        try:
            while True:
                item = self._next()
                if item is None:
                    return
                delivery, due = item
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                began = time.monotonic()
                try:
                    status, will_close = self._post(conn, delivery)
                    outcome = str(status)
                except (OSError, http.client.HTTPException) as error:
                    status, will_close, outcome = None, True, type(error).__name__
                latency_ms = (time.monotonic() - began) * 1000.0
                if will_close:
                    conn.close()
                    conn = self._connect()
                self._record(delivery, status, outcome, latency_ms, ledger)
        finally:
            conn.close()

    def _record(self, delivery, status, outcome, latency_ms, ledger):
        with self._lock:
            s = self.summary
            s.sent += 1
            s.duplicates_sent += delivery.duplicate
            s.latencies_ms.append(latency_ms)
            if status == 200:
                s.ok += 1
            else:
                s.non_200[outcome] = s.non_200.get(outcome, 0) + 1
        if status == 200 and ledger is not None:
            line = json.dumps({"delivery": delivery.id, "duplicate": delivery.duplicate, "kind": delivery.kind,
                               "wamids": delivery.wamids, "statuses": delivery.statuses}, ensure_ascii=False)
            with self._ledger_lock:
                ledger.write(line + "\n")
                ledger.flush()

    def run(self) -> Summary:
        ledger = open(self.config.ledger, "a", encoding="utf-8") if self.config.ledger else None
        try:
            self._start = time.monotonic()
            workers = [threading.Thread(target=self._worker, args=(ledger,), daemon=True)
                       for _ in range(self.config.concurrency)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            self.summary.elapsed_s = time.monotonic() - self._start
        finally:
            if ledger:
                ledger.close()
        return self.summary
