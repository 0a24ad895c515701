"""Injected failures and their queue semantics.

Faults form a FIFO queue; only the head is active. Each request to a Graph endpoint asks the head
for a verdict:

* a count fault (``"count": N``) applies to the next N requests, then leaves the queue;
* a time fault (``"seconds": S``) applies to every request for S seconds, counted from the moment
  it became the head (at once when the queue was empty, otherwise when the fault before it ended);
* with neither, ``count`` is 1.

So faults stack in sequence: ``[{"mode":"http500","count":2}, {"mode":"slow","seconds":5}]``
means two 500s, then five seconds of slow answers, then healthy again. ``DELETE /_control/faults``
empties the queue.
"""
import threading
import time
from dataclasses import dataclass, field
from typing import Optional

MODES = ("http500", "timeout", "drop", "error_code", "slow")

# Default delays: a "timeout" holds the request longer than any sane client timeout, then drops
# the connection; "slow" answers normally but late.
DEFAULT_DELAY_MS = {"timeout": 30000, "slow": 2000}


class FaultError(ValueError):
    """A fault specification that cannot be used; the message names the field."""


@dataclass
class Fault:
    mode: str
    code: Optional[int] = None
    status: Optional[int] = None
    count: Optional[int] = None
    seconds: Optional[float] = None
    delay_ms: int = 0
    applied: int = 0
    started_at: Optional[float] = field(default=None, repr=False)

    @classmethod
    def from_json(cls, spec) -> "Fault":
        if not isinstance(spec, dict):
            raise FaultError("a fault must be a JSON object")
        mode = spec.get("mode")
        if mode not in MODES:
            raise FaultError("mode must be one of %s" % ", ".join(MODES))
        code = spec.get("code")
        if mode == "error_code" and (not isinstance(code, int) or isinstance(code, bool)):
            raise FaultError("code (an integer Graph error code) is required for mode error_code")
        status = spec.get("status")
        if status is not None and (not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599):
            raise FaultError("status must be an HTTP status code")
        count, seconds = spec.get("count"), spec.get("seconds")
        if count is not None and seconds is not None:
            raise FaultError("give count or seconds, not both")
        if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
            raise FaultError("count must be a positive integer")
        if seconds is not None and (not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds <= 0):
            raise FaultError("seconds must be a positive number")
        delay = spec.get("delay_ms", DEFAULT_DELAY_MS.get(mode, 0))
        if not isinstance(delay, (int, float)) or isinstance(delay, bool) or delay < 0:
            raise FaultError("delay_ms must be a non-negative number")
        if count is None and seconds is None:
            count = 1
        return cls(mode=mode, code=code, status=status, count=count, seconds=seconds, delay_ms=int(delay))

    def to_json(self) -> dict:
        out = {"mode": self.mode, "delay_ms": self.delay_ms, "applied": self.applied}
        for key in ("code", "status", "count", "seconds"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out

    def _expired(self, now: float) -> bool:
        if self.count is not None:
            return self.applied >= self.count
        return self.started_at is not None and now - self.started_at >= self.seconds


class FaultQueue:
    """Thread-safe FIFO of faults; `take()` gives the fault for one request, or None."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._faults = []

    def add(self, faults):
        with self._lock:
            was_empty = not self._faults
            self._faults.extend(faults)
            if was_empty and self._faults:
                self._faults[0].started_at = self._clock()
            return len(self._faults)

    def clear(self) -> int:
        with self._lock:
            n = len(self._faults)
            self._faults = []
            return n

    def snapshot(self):
        with self._lock:
            return [f.to_json() for f in self._faults]

    def take(self):
        """The fault that applies to this request (a copy), or None when healthy."""
        with self._lock:
            now = self._clock()
            while self._faults:
                head = self._faults[0]
                if head.started_at is None:
                    head.started_at = now
                if head._expired(now):
                    self._faults.pop(0)
                    if self._faults:
                        self._faults[0].started_at = now
                    continue
                head.applied += 1
                verdict = Fault(mode=head.mode, code=head.code, status=head.status,
                                count=head.count, seconds=head.seconds, delay_ms=head.delay_ms,
                                applied=head.applied)
                if head._expired(now):
                    self._faults.pop(0)
                    if self._faults:
                        self._faults[0].started_at = now
                return verdict
            return None
