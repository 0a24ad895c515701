"""Builders for WhatsApp Cloud API webhook payloads, in the shapes Meta documents.

Message builders return one `messages[]` object, `status()` one `statuses[]` object, and
`envelope()` wraps them into a full delivery. `PayloadFactory` generates random but realistic
ones (seeded) for the simulator.
"""
import base64
import itertools
import random
import secrets
import time

OBJECT = "whatsapp_business_account"
MESSAGE_TYPES = (
    "text", "image", "video", "audio", "document", "sticker", "location", "contacts",
    "interactive", "button", "reaction", "order", "system", "unsupported", "unknown", "poll",
)
MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")
INTERACTIVE_TYPES = ("button_reply", "list_reply", "nfm_reply")
STATUS_TYPES = ("sent", "delivered", "read", "failed", "played")

_counter = itertools.count(1)
_PROCESS_TAG = secrets.token_hex(4)


def new_wamid(wa_id: str = "15550000000", run_tag: str = None, sequence: int = None) -> str:
    """An id shaped like Meta's: 'wamid.HBgL' + base64 of the number and a unique tail.

    Unique across runs too (the run tag is random by default), so a second simulator session
    against the same server never collides with the first one's ids."""
    tail = "%s%s%08d" % (wa_id, run_tag or _PROCESS_TAG, next(_counter) if sequence is None else sequence)
    return "wamid.HBgL" + base64.b64encode(tail.encode("ascii")).decode("ascii")


def _ts(timestamp) -> str:
    return str(int(time.time() if timestamp is None else timestamp))


def _message(wa_id, type_, body, *, wamid=None, timestamp=None, context=None, **extra) -> dict:
    msg = {"from": wa_id, "id": wamid or new_wamid(wa_id), "timestamp": _ts(timestamp), "type": type_}
    if body is not None:
        msg[type_] = body
    if context is not None:
        msg["context"] = context
    msg.update(extra)
    return msg


def text_message(wa_id, body, **kw) -> dict:
    return _message(wa_id, "text", {"body": body}, **kw)


def media_message(kind, wa_id, *, media_id="1003383421387256", mime_type=None, caption=None,
                  filename=None, voice=None, animated=None, **kw) -> dict:
    if kind not in MEDIA_TYPES:
        raise ValueError("unknown media kind %r" % kind)
    default_mime = {"image": "image/jpeg", "video": "video/mp4", "audio": "audio/ogg; codecs=opus",
                    "document": "application/pdf", "sticker": "image/webp"}[kind]
    body = {"mime_type": mime_type or default_mime,
            "sha256": base64.b64encode(media_id.encode() * 2).decode()[:44], "id": media_id}
    if caption is not None and kind in ("image", "video", "document"):
        body["caption"] = caption
    if kind == "document":
        body["filename"] = filename or "file.pdf"
    if kind == "audio" and voice is not None:
        body["voice"] = bool(voice)
    if kind == "sticker" and animated is not None:
        body["animated"] = bool(animated)
    return _message(wa_id, kind, body, **kw)


def image_message(wa_id, **kw):
    return media_message("image", wa_id, **kw)


def video_message(wa_id, **kw):
    return media_message("video", wa_id, **kw)


def audio_message(wa_id, voice=True, **kw):
    return media_message("audio", wa_id, voice=voice, **kw)


def document_message(wa_id, filename="invoice.pdf", **kw):
    return media_message("document", wa_id, filename=filename, **kw)


def sticker_message(wa_id, animated=False, **kw):
    return media_message("sticker", wa_id, animated=animated, **kw)


def location_message(wa_id, latitude=38.7223, longitude=-9.1393, name=None, address=None, url=None, **kw):
    body = {"latitude": latitude, "longitude": longitude}
    for key, value in (("name", name), ("address", address), ("url", url)):
        if value is not None:
            body[key] = value
    return _message(wa_id, "location", body, **kw)


def contacts_message(wa_id, names=("Carla Dias",), **kw):
    cards = [{"name": {"formatted_name": n, "first_name": n.split(" ")[0]},
              "phones": [{"phone": "+1 555 123 %04d" % i, "type": "CELL"}],
              "emails": [{"email": "c%d@example.com" % i, "type": "WORK"}],
              "org": {"company": "Acme"}, "urls": [], "addresses": [], "birthday": "1990-01-01"}
             for i, n in enumerate(names)]
    return _message(wa_id, "contacts", None, contacts=cards, **kw)


def interactive_message(wa_id, kind="button_reply", reply_id="opt-1", title="Yes",
                        description=None, response_json='{"flow_token":"t"}', **kw):
    if kind == "button_reply":
        reply = {"id": reply_id, "title": title}
    elif kind == "list_reply":
        reply = {"id": reply_id, "title": title, "description": description or ""}
    elif kind == "nfm_reply":
        reply = {"response_json": response_json, "body": "Sent", "name": "flow"}
    else:
        raise ValueError("unknown interactive kind %r" % kind)
    return _message(wa_id, "interactive", {"type": kind, kind: reply}, **kw)


def button_message(wa_id, payload="STOP_PROMOS", text="Stop promotions", **kw):
    return _message(wa_id, "button", {"payload": payload, "text": text}, **kw)


def reaction_message(wa_id, message_id, emoji=None, **kw):
    """`emoji=None` builds a reaction removal (Meta omits the emoji field)."""
    body = {"message_id": message_id}
    if emoji is not None:
        body["emoji"] = emoji
    return _message(wa_id, "reaction", body, **kw)


def order_message(wa_id, catalog_id="cat-1", text=None, items=1, **kw):
    body = {"catalog_id": catalog_id, "product_items": [
        {"product_retailer_id": "sku-%d" % i, "quantity": "1", "item_price": "9.99", "currency": "EUR"}
        for i in range(items)]}
    if text is not None:
        body["text"] = text
    return _message(wa_id, "order", body, **kw)


def system_message(wa_id, new_wa_id, **kw):
    body = {"body": "User changed their number to %s" % new_wa_id, "wa_id": new_wa_id,
            "type": "user_changed_number"}
    return _message(wa_id, "system", body, **kw)


_UNSUPPORTED_ERROR = {"code": 131051, "title": "Message type unknown", "message": "Message type unknown",
                      "error_data": {"details": "Message type is currently not supported."}}


def unsupported_message(wa_id, inner_type="edit", **kw):
    return _message(wa_id, "unsupported", {"type": inner_type}, errors=[dict(_UNSUPPORTED_ERROR)], **kw)


def unknown_message(wa_id, **kw):
    return _message(wa_id, "unknown", None, errors=[dict(_UNSUPPORTED_ERROR)], **kw)


def new_type_message(wa_id, type_="poll", body=None, **kw):
    """A type Switchboard has never heard of: it must be stored as unsupported, never fail."""
    return _message(wa_id, type_, body if body is not None else {"question": "Which day?", "options": ["Mon", "Tue"]}, **kw)


def status(wamid, status_, recipient_id, *, timestamp=None, errors=None, conversation=True) -> dict:
    st = {"id": wamid, "status": status_, "timestamp": _ts(timestamp), "recipient_id": recipient_id}
    if conversation and status_ in ("sent", "delivered"):
        # The 24-hour service window counts from the status itself, as Meta's does. (It used the
        # wall clock, so two plans with one seed differed whenever a second ticked between them.)
        expires = int(st["timestamp"]) + 24 * 3600
        st["conversation"] = {"id": "CONV" + recipient_id, "expiration_timestamp": str(expires),
                              "origin": {"type": "service"}}
        st["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "service"}
    if status_ == "failed":
        st["errors"] = errors if errors is not None else [{
            "code": 131047, "title": "Re-engagement message", "message": "Re-engagement message",
            "error_data": {"details": "More than 24 hours have passed since the customer last replied."},
            "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]
    elif errors is not None:
        st["errors"] = errors
    return st


def messages_value(items, *, phone_number_id="106540352242922", display_phone_number="15550009999",
                   profile_names=None) -> dict:
    """The `value` of a `messages` change; messages and statuses are told apart by their keys,
    and a contacts[] entry is added for every message sender (except `system` messages)."""
    messages = [i for i in items if "status" not in i]
    statuses = [i for i in items if "status" in i]
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": display_phone_number, "phone_number_id": phone_number_id}}
    senders = []
    for m in messages:
        if m.get("type") != "system" and m.get("from") and m["from"] not in senders:
            senders.append(m["from"])
    if senders:
        names = profile_names or {}
        value["contacts"] = [{"profile": {"name": names.get(s, "Customer %s" % s[-4:])}, "wa_id": s} for s in senders]
    if messages:
        value["messages"] = messages
    if statuses:
        value["statuses"] = statuses
    return value


def change(value, field="messages") -> dict:
    return {"field": field, "value": value}


def entry(changes, waba_id="102290129340398") -> dict:
    return {"id": waba_id, "changes": list(changes)}


def envelope(items, **value_kw) -> dict:
    """A full delivery. `items` is either a list of entries (dicts with "changes") or a list of
    message/status objects, which are wrapped into one entry with one `messages` change."""
    items = list(items)
    if items and all("changes" in i for i in items):
        return {"object": OBJECT, "entry": items}
    return {"object": OBJECT, "entry": [entry([change(messages_value(items, **value_kw))])]}


def template_status_change(name="order_update", event="APPROVED") -> dict:
    """A non-`messages` field arriving at the same URL; the server must store it, not fail."""
    return change({"event": event, "message_template_id": 594425479261596,
                   "message_template_name": name, "message_template_language": "en_US",
                   "reason": None}, field="message_template_status_update")


def wamids_in(delivery: dict):
    """The ids of inbound messages in a delivery, in order."""
    return [m.get("id") for e in delivery.get("entry", []) for c in e.get("changes", [])
            for m in c.get("value", {}).get("messages", []) if isinstance(c.get("value"), dict)]


def statuses_in(delivery: dict):
    """(wamid, status) pairs of a delivery, in order."""
    return [[s.get("id"), s.get("status")] for e in delivery.get("entry", []) for c in e.get("changes", [])
            if isinstance(c.get("value"), dict) for s in c["value"].get("statuses", [])]


class PayloadFactory:
    """Random, realistic payload pieces from a seeded generator and small id pools."""

    TEXTS = ("Hello, is my order ready?", "Olá! Já chegou a encomenda?", "Café at 10? ☕",
             "Thanks 😀👍", "See https://example.com/track/123", "Ça marche, à demain",
             "Где мой заказ?", "注文はどこですか", "line one\nline two", "quote \"this\" \\ that")

    def __init__(self, rng: random.Random, customers=50, phone_numbers=3, run_tag=None):
        self.rng = rng
        # Not drawn from rng, so the seeded sequence of choices is the same whatever the tag.
        self.run_tag = run_tag or secrets.token_hex(4)
        self.sequence = 0
        self.customers = ["1555123%04d" % (i + 1) for i in range(customers)]
        self.phone_numbers = [("10654035224%04d" % (i + 1), "1555000%04d" % (i + 1)) for i in range(phone_numbers)]
        self.recent = []  # wamids that reactions and replies can point at

    def customer(self) -> str:
        return self.rng.choice(self.customers)

    def phone_number(self):
        return self.rng.choice(self.phone_numbers)

    def wamid(self, wa_id) -> str:
        self.sequence += 1
        return new_wamid(wa_id, self.run_tag, self.sequence)

    def message(self, type_, wa_id=None, timestamp=None) -> dict:
        r = self.rng
        wa_id = wa_id or self.customer()
        kw = {"wamid": self.wamid(wa_id), "timestamp": timestamp}
        if self.recent and r.random() < 0.15 and type_ not in ("reaction", "system"):
            kw["context"] = {"from": self.phone_number()[1], "id": r.choice(self.recent)}
        elif r.random() < 0.05 and type_ in ("text", "image"):
            kw["context"] = {"forwarded": True}
        if type_ == "text":
            msg = text_message(wa_id, r.choice(self.TEXTS), **kw)
        elif type_ in MEDIA_TYPES:
            extra = {"media_id": str(r.randrange(10**15, 10**16))}
            if type_ in ("image", "video", "document") and r.random() < 0.6:
                extra["caption"] = r.choice(self.TEXTS)
            if type_ == "document":
                extra["filename"] = r.choice(("invoice.pdf", "fatura-2024.pdf", "résumé.pdf"))
            if type_ == "audio":
                extra["voice"] = r.random() < 0.7
            if type_ == "sticker":
                extra["animated"] = r.random() < 0.3
            msg = media_message(type_, wa_id, **extra, **kw)
        elif type_ == "location":
            msg = location_message(wa_id, round(r.uniform(-90, 90), 6), round(r.uniform(-180, 180), 6),
                                   name=r.choice((None, "Praça do Comércio", "Home")), **kw)
        elif type_ == "contacts":
            msg = contacts_message(wa_id, names=r.sample(("Carla Dias", "Dan", "Zoé Ñúñez"), r.randint(1, 3)), **kw)
        elif type_ == "interactive":
            msg = interactive_message(wa_id, r.choice(INTERACTIVE_TYPES), reply_id="opt-%d" % r.randint(1, 5),
                                      title=r.choice(("Yes", "No", "Tuesday 10:00")), description="slot", **kw)
        elif type_ == "button":
            msg = button_message(wa_id, **kw)
        elif type_ == "reaction":
            target = r.choice(self.recent) if self.recent else self.wamid(wa_id)
            msg = reaction_message(wa_id, target, emoji=r.choice(("👍", "❤️", "😂", None)), **kw)
        elif type_ == "order":
            msg = order_message(wa_id, text=r.choice((None, "gift wrap please")), items=r.randint(1, 4), **kw)
        elif type_ == "system":
            msg = system_message(wa_id, self.customer(), **{k: v for k, v in kw.items() if k != "context"})
        elif type_ == "unsupported":
            msg = unsupported_message(wa_id, **kw)
        elif type_ == "unknown":
            msg = unknown_message(wa_id, **kw)
        else:
            msg = new_type_message(wa_id, type_, **kw)
        self.recent.append(msg["id"])
        del self.recent[:-100]
        return msg
