"""Per-topic stream positions: what a client has seen, what it sends as `since` when it
resubscribes, and where it finds duplicates and gaps. Pure logic, no I/O, so it is tested alone.
"""
from .topics import matches

MAX_SINCE_ENTRIES = 100
# Sent as the epoch of a topic known only through a wildcard: batch frames carry no epoch, so
# the client cannot prove its position; the server answers recovered:false with the real epoch.
UNKNOWN_EPOCH = "unknown"


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


class Position:
    __slots__ = ("epoch", "seq", "touched")

    def __init__(self, epoch, seq, touched=0):
        self.epoch = epoch  # None until an ack (or a batch that carries one) names it
        self.seq = seq      # None when nothing is known yet
        self.touched = touched

    def __repr__(self):
        return f"Position({self.epoch!r}, {self.seq!r})"


class StreamTracker:
    """Holds (epoch, last seq) per concrete topic.

    Invariant: an event is delivered at most once per topic and epoch, in seq order; whenever
    the client cannot prove that nothing was skipped, the topic is reported as a gap.
    """

    def __init__(self, positions=None):
        self._positions = {}
        self._clock = 0
        for topic, entry in (positions or {}).items():
            if isinstance(entry, dict) and isinstance(entry.get("epoch"), str) and _is_int(entry.get("seq")):
                self._positions[topic] = Position(entry["epoch"], entry["seq"])

    def positions(self):
        """`{topic: {"epoch": e, "seq": n}}` for every topic with a known seq (epoch may be None)."""
        return {t: {"epoch": p.epoch, "seq": p.seq} for t, p in self._positions.items() if p.seq is not None}

    def position(self, topic):
        p = self._positions.get(topic)
        return None if p is None else (p.epoch, p.seq)

    def forget_unmatched(self, patterns):
        """Drops positions no subscribed pattern matches any more (after an unsubscribe)."""
        for topic in [t for t in self._positions if not any(matches(p, t) for p in patterns)]:
            del self._positions[topic]

    def resubscribe_plan(self, patterns, include_unknown=True, limit=MAX_SINCE_ENTRIES):
        """One `(pattern, since)` per pattern, each topic under the first pattern matching it.

        Returns `(plan, dropped)`. A request may name at most `limit` since entries; beyond that
        the least recently active topics are dropped from the plan and reported in `dropped`
        (the caller reports them as gaps). Topics with an unknown epoch get UNKNOWN_EPOCH when
        `include_unknown`, else are left out.
        """
        plan, dropped, claimed = [], [], set()
        for pattern in patterns:
            entries = []
            for topic, p in self._positions.items():
                if topic in claimed or p.seq is None or not matches(pattern, topic):
                    continue
                if p.epoch is None and not include_unknown:
                    continue
                claimed.add(topic)
                entries.append((p.touched, topic, p))
            entries.sort(key=lambda e: e[0], reverse=True)
            for _, topic, _ in entries[limit:]:
                dropped.append(topic)
                del self._positions[topic]
            since = {t: {"epoch": p.epoch or UNKNOWN_EPOCH, "seq": p.seq} for _, t, p in entries[:limit]}
            plan.append((pattern, since))
        return plan, dropped

    def apply_ack(self, topics, sent_since):
        """Takes a subscribe ack's `topics` object; returns the topics that have a gap."""
        gaps = []
        if not isinstance(topics, dict):
            return gaps
        for topic, info in topics.items():
            if not isinstance(info, dict) or info.get("wildcard") is True:
                continue
            epoch, seq = info.get("epoch"), info.get("seq")
            if not isinstance(epoch, str) or not _is_int(seq):
                continue
            current = self._positions.get(topic)
            recovered = info.get("recovered")
            if recovered is True:
                asked = sent_since.get(topic, {}).get("seq")
                if current is not None and current.epoch == epoch and current.seq is not None:
                    continue  # keep what we already hold; replayed events at or below it are dropped
                self._positions[topic] = Position(epoch, asked if _is_int(asked) else seq, self._tick())
            elif recovered is False:
                gaps.append(topic)
                self._positions[topic] = Position(epoch, seq, self._tick())
            elif current is None or current.seq is None:
                self._positions[topic] = Position(epoch, seq, self._tick())
            elif current.epoch not in (None, epoch) or current.seq < seq:
                # Events up to `seq` were sent before we subscribed here and we did not see them.
                gaps.append(topic)
                self._positions[topic] = Position(epoch, seq, self._tick())
            else:
                current.epoch = epoch
        return gaps

    def accept_batch(self, frame):
        """Splits a batch frame into events to deliver, in order, without duplicates.

        Returns `(events, gap)`: events are dicts with topic, seq, type, ts, data, meta; `gap` is
        True when the first new event does not follow the last one seen. A malformed frame
        yields `([], False)` and changes nothing.
        """
        topic, raw = frame.get("topic"), frame.get("events")
        if not isinstance(topic, str) or not isinstance(raw, list):
            return [], False
        if not all(isinstance(e, dict) and _is_int(e.get("seq")) for e in raw):
            return [], False
        epoch = frame.get("epoch") if isinstance(frame.get("epoch"), str) else None
        p = self._positions.get(topic)
        gap = False
        if p is not None and epoch is not None and p.epoch not in (None, epoch):
            gap = True
            p = None
        if p is None:
            p = Position(epoch, None)
            self._positions[topic] = p
        elif epoch is not None:
            p.epoch = epoch
        out = []
        for e in raw:
            seq = e["seq"]
            if p.seq is not None:
                if seq <= p.seq:
                    continue
                if seq != p.seq + 1:
                    gap = True
            p.seq = seq
            out.append({"topic": topic, "seq": seq, "type": e.get("type"), "ts": e.get("ts"),
                        "data": e.get("data"), "meta": e.get("meta")})
        if out:
            p.touched = self._tick()
        return out, gap

    def _tick(self):
        self._clock += 1
        return self._clock
