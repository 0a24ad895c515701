"""The sequence of deliveries a simulated provider sends: realistic mixes of messages, status
chains (sometimes out of order) and other fields, with a share sent twice, all from one seed."""
import random
from dataclasses import dataclass, field
from typing import List, Optional

from . import payloads, wire


@dataclass
class Delivery:
    """One POST body. A duplicate carries the same `id` and the same bytes as its original."""
    id: str
    body: bytes
    wamids: List[str] = field(default_factory=list)
    statuses: List[list] = field(default_factory=list)
    kind: str = "messages"          # messages | statuses | other
    duplicate: bool = False
    out_of_order: bool = False      # a status sent before one that precedes it


class DeliveryPlan:
    """An endless, deterministic iterator of deliveries.

    `duplicates` is the share of deliveries sent a second time a few deliveries later (Meta
    delivers at least once); `out_of_order` is the share of status chains (sent → delivered →
    read) emitted in reverse. `types` limits message types and/or status names.
    """

    def __init__(self, seed=1, duplicates=0.0, out_of_order=0.0, types=None, customers=50, phone_numbers=3,
                 run_tag=None):
        if not 0 <= duplicates <= 1 or not 0 <= out_of_order <= 1:
            raise ValueError("duplicates and out_of_order are shares between 0 and 1")
        self.rng = random.Random(seed)
        self.factory = payloads.PayloadFactory(self.rng, customers, phone_numbers, run_tag)
        self.duplicates = duplicates
        self.out_of_order = out_of_order
        wanted = set(types) if types else set(payloads.MESSAGE_TYPES) | set(payloads.STATUS_TYPES)
        unknown = wanted - set(payloads.MESSAGE_TYPES) - set(payloads.STATUS_TYPES)
        if unknown:
            raise ValueError("unknown types: %s" % ", ".join(sorted(unknown)))
        self.message_types = [t for t in payloads.MESSAGE_TYPES if t in wanted]
        self.status_types = [t for t in payloads.STATUS_TYPES if t in wanted]
        self.clock = 1_700_000_000
        self.sequence = 0
        self.ready = []      # deliveries generated but not yet emitted (status chains)
        self.delayed = []    # (emit at count, delivery) duplicates waiting their turn
        self.emitted = 0

    def __iter__(self):
        return self

    def __next__(self) -> Delivery:
        for i, (due, delivery) in enumerate(self.delayed):
            if due <= self.emitted:
                del self.delayed[i]
                return self._emit(delivery)
        if not self.ready:
            self.ready.extend(self._generate())
        delivery = self.ready.pop(0)
        if not delivery.duplicate and self.rng.random() < self.duplicates:
            copy = Delivery(delivery.id, delivery.body, list(delivery.wamids), [list(s) for s in delivery.statuses],
                            delivery.kind, True, delivery.out_of_order)
            self.delayed.append((self.emitted + 1 + self.rng.randint(0, 5), copy))
        return self._emit(delivery)

    def _emit(self, delivery):
        self.emitted += 1
        return delivery

    def _tick(self) -> int:
        self.clock += self.rng.randint(0, 3)
        return self.clock

    def _delivery(self, body_obj, kind, out_of_order=False) -> Delivery:
        self.sequence += 1
        return Delivery("d%07d" % self.sequence, wire.dumps(body_obj), payloads.wamids_in(body_obj),
                        payloads.statuses_in(body_obj), kind, False, out_of_order)

    def _generate(self) -> List[Delivery]:
        r = self.rng.random()
        if self.status_types and (not self.message_types or r < 0.3):
            return self._status_chain()
        if 0.30 <= r < 0.33:
            return [self._other_field()]
        return [self._messages()]

    def _messages_value(self, count: int) -> dict:
        pid, display = self.factory.phone_number()
        wa_id = self.factory.customer()
        items = [self.factory.message(self.rng.choice(self.message_types), wa_id, self._tick()) for _ in range(count)]
        return payloads.messages_value(items, phone_number_id=pid, display_phone_number=display)

    def _messages(self) -> Delivery:
        if self.rng.random() < 0.15:   # a batch: several entries, several changes each
            entries = [payloads.entry([payloads.change(self._messages_value(self.rng.randint(1, 2)))
                                       for _ in range(self.rng.randint(1, 2))], waba_id="WABA%d" % e)
                       for e in range(2)]
            return self._delivery({"object": payloads.OBJECT, "entry": entries}, "messages")
        value = self._messages_value(self.rng.choice((1, 1, 1, 2, 3)))
        return self._delivery({"object": payloads.OBJECT, "entry": [payloads.entry([payloads.change(value)])]}, "messages")

    def _other_field(self) -> Delivery:
        changes = [payloads.template_status_change(event=self.rng.choice(("APPROVED", "REJECTED", "PAUSED")))]
        if self.message_types:
            changes.append(payloads.change(self._messages_value(1)))
        return self._delivery({"object": payloads.OBJECT, "entry": [payloads.entry(changes)]},
                              "messages" if len(changes) > 1 else "other")

    def _status_chain(self) -> List[Delivery]:
        """sent → delivered → read (or → failed, or read → played for voice notes) for one
        outbound message, one status per delivery, possibly reversed."""
        wa_id = self.factory.customer()
        pid, display = self.factory.phone_number()
        wamid = self.factory.wamid(wa_id)
        r = self.rng.random()
        chain = ["sent", "failed"] if r < 0.1 else ["sent", "delivered", "read", "played"] if r < 0.2 \
            else ["sent", "delivered", "read"]
        chain = [s for s in chain if s in self.status_types] or [self.rng.choice(self.status_types)]
        stamped = [(s, self._tick()) for s in chain]
        reverse = len(stamped) > 1 and self.rng.random() < self.out_of_order
        if reverse:
            stamped.reverse()
        out = []
        for s, ts in stamped:
            body = payloads.envelope([payloads.status(wamid, s, wa_id, timestamp=ts)],
                                     phone_number_id=pid, display_phone_number=display)
            out.append(self._delivery(body, "statuses", reverse))
        return out
