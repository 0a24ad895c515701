"""Tests for the pure parts of switchboard_sim: wire bytes, signatures, payload shapes, and the
seeded shares of duplicates and out-of-order statuses. No server needed (one test starts a tiny
local one to check the ledger and keep-alive accounting)."""
import hashlib
import hmac
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from switchboard_sim import DeliveryPlan, Simulator, SimulatorConfig, payloads, sign, wire  # noqa: E402
from switchboard_sim.__main__ import parse_args  # noqa: E402


# --- wire -------------------------------------------------------------------------------------

def test_wire_escapes_non_ascii_slash_and_emoji_like_meta():
    body = wire.dumps({"name": "Zoé", "url": "http://a/b", "e": "😀"})
    assert body == b'{"name":"Zo\\u00e9","url":"http:\\/\\/a\\/b","e":"\\ud83d\\ude00"}'
    assert json.loads(body) == {"name": "Zoé", "url": "http://a/b", "e": "😀"}


def test_wire_is_compact_ascii_and_round_trips_slashes_in_keys():
    obj = {"a/b": [1, 2.5, None, True], "q": "say \"hi\"\n\\"}
    body = wire.dumps(obj)
    assert body == b'{"a\\/b":[1,2.5,null,true],"q":"say \\"hi\\"\\n\\\\"}'
    assert json.loads(body) == obj


def test_wire_refuses_nan():
    with pytest.raises(ValueError):
        wire.dumps({"x": float("nan")})


# --- signature --------------------------------------------------------------------------------

def test_signature_is_hmac_of_exact_bytes():
    body = wire.dumps(payloads.envelope([payloads.text_message("15551230001", "Café 😀 https://x.y/z")]))
    expected = "sha256=" + hmac.new(b"app-secret", body, hashlib.sha256).hexdigest()
    assert sign.signature("app-secret", body) == expected
    assert sign.signature(b"app-secret", body) == expected
    # Re-serialised JSON (same data, different bytes) gets a different signature.
    reserialised = json.dumps(json.loads(body)).encode()
    assert reserialised != body
    assert sign.signature("app-secret", reserialised) != expected


def test_signature_known_vector():
    msg = b"The quick brown fox jumps over the lazy dog"
    assert sign.signature("key", msg) == "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    assert sign.HEADER == "X-Hub-Signature-256"


# --- payload shapes ---------------------------------------------------------------------------

WA = "15551230001"


def _common(msg, type_):
    assert msg["from"] == WA
    assert msg["id"].startswith("wamid.HBgL")
    assert msg["type"] == type_
    assert msg["timestamp"].isdigit()


def test_text_and_media_shapes():
    m = payloads.text_message(WA, "hello", timestamp=1700000000)
    _common(m, "text")
    assert m["text"] == {"body": "hello"} and m["timestamp"] == "1700000000"
    for kind in payloads.MEDIA_TYPES:
        m = payloads.media_message(kind, WA, caption="cap")
        _common(m, kind)
        assert set(m[kind]) >= {"id", "mime_type", "sha256"}
    assert payloads.audio_message(WA)["audio"]["voice"] is True
    assert payloads.document_message(WA, filename="a.pdf")["document"]["filename"] == "a.pdf"
    assert payloads.sticker_message(WA, animated=True)["sticker"]["animated"] is True
    assert payloads.image_message(WA, caption="c")["image"]["caption"] == "c"
    with pytest.raises(ValueError):
        payloads.media_message("hologram", WA)


def test_other_message_shapes():
    loc = payloads.location_message(WA, 1.5, 2.5, name="Home")
    assert loc["location"] == {"latitude": 1.5, "longitude": 2.5, "name": "Home"}
    cards = payloads.contacts_message(WA, names=("A B", "C"))
    assert "contacts" not in cards or isinstance(cards["contacts"], list)
    assert len(cards["contacts"]) == 2 and set(cards["contacts"][0]) >= {"name", "phones", "emails", "org", "urls", "addresses", "birthday"}
    for kind in payloads.INTERACTIVE_TYPES:
        m = payloads.interactive_message(WA, kind)
        assert m["interactive"]["type"] == kind and kind in m["interactive"]
    assert "response_json" in payloads.interactive_message(WA, "nfm_reply")["interactive"]["nfm_reply"]
    assert payloads.button_message(WA)["button"] == {"payload": "STOP_PROMOS", "text": "Stop promotions"}
    assert payloads.reaction_message(WA, "wamid.X", "👍")["reaction"] == {"message_id": "wamid.X", "emoji": "👍"}
    assert payloads.reaction_message(WA, "wamid.X")["reaction"] == {"message_id": "wamid.X"}
    order = payloads.order_message(WA, text="t", items=3)["order"]
    assert order["catalog_id"] and order["text"] == "t" and len(order["product_items"]) == 3
    system = payloads.system_message(WA, "15559999999")["system"]
    assert system["wa_id"] == "15559999999" and system["type"] == "user_changed_number"
    unsupported = payloads.unsupported_message(WA)
    assert unsupported["unsupported"] == {"type": "edit"} and unsupported["errors"][0]["code"] == 131051
    unknown = payloads.unknown_message(WA)
    assert "unknown" not in unknown and unknown["errors"][0]["code"] == 131051
    poll = payloads.new_type_message(WA)
    assert poll["type"] == "poll" and "poll" in poll


def test_status_shapes():
    for s in payloads.STATUS_TYPES:
        st = payloads.status("wamid.A", s, WA, timestamp=5)
        assert st["id"] == "wamid.A" and st["status"] == s and st["timestamp"] == "5" and st["recipient_id"] == WA
    assert "conversation" in payloads.status("wamid.A", "sent", WA) and "pricing" in payloads.status("wamid.A", "sent", WA)
    failed = payloads.status("wamid.A", "failed", WA)
    assert failed["errors"][0]["code"] == 131047 and "details" in failed["errors"][0]["error_data"]


def test_envelope_wraps_items_and_adds_contacts():
    m1 = payloads.text_message(WA, "a")
    m2 = payloads.text_message("15551230002", "b")
    st = payloads.status("wamid.OUT", "read", WA)
    env = payloads.envelope([m1, m2, st])
    assert env["object"] == "whatsapp_business_account"
    value = env["entry"][0]["changes"][0]["value"]
    assert env["entry"][0]["changes"][0]["field"] == "messages"
    assert value["messaging_product"] == "whatsapp" and set(value["metadata"]) == {"display_phone_number", "phone_number_id"}
    assert [c["wa_id"] for c in value["contacts"]] == [WA, "15551230002"]
    assert value["messages"] == [m1, m2] and value["statuses"] == [st]
    assert payloads.wamids_in(env) == [m1["id"], m2["id"]]
    assert payloads.statuses_in(env) == [["wamid.OUT", "read"]]
    # System messages carry no contacts entry.
    assert "contacts" not in payloads.envelope([payloads.system_message(WA, "1")])["entry"][0]["changes"][0]["value"]
    # A list of entries passes through.
    entries = [payloads.entry([payloads.template_status_change()], "W1"), payloads.entry([payloads.change(payloads.messages_value([m1]))], "W2")]
    assert payloads.envelope(entries)["entry"] == entries


def test_wamids_are_unique():
    ids = {payloads.new_wamid(WA) for _ in range(2000)}
    assert len(ids) == 2000


def test_factory_generates_every_type_in_documented_shape():
    import random
    factory = payloads.PayloadFactory(random.Random(3))
    for type_ in payloads.MESSAGE_TYPES:
        for _ in range(20):
            m = factory.message(type_)
            assert m["type"] == type_ and m["id"].startswith("wamid.") and m["from"].isdigit()
            if type_ == "contacts":
                assert isinstance(m["contacts"], list) and m["contacts"]
            elif type_ == "unknown":
                assert m["errors"]
            else:
                assert isinstance(m[type_], dict)
            wire.dumps(m)  # always serialisable


# --- delivery plan ----------------------------------------------------------------------------

def _take(plan, n):
    return [next(plan) for _ in range(n)]


def test_plan_is_deterministic_for_a_seed():
    a = _take(DeliveryPlan(7, 0.1, 0.2, run_tag="t"), 200)
    b = _take(DeliveryPlan(7, 0.1, 0.2, run_tag="t"), 200)
    assert [d.body for d in a] == [d.body for d in b]
    c = _take(DeliveryPlan(8, 0.1, 0.2, run_tag="t"), 200)
    assert [d.body for d in a] != [d.body for d in c]


def test_plan_bodies_are_wire_bytes_and_cover_every_type():
    seen_types, seen_status, batches, other = set(), set(), 0, 0
    for d in _take(DeliveryPlan(1, 0.0, 0.0), 3000):
        obj = json.loads(d.body)
        assert wire.dumps(obj) == d.body
        assert obj["object"] == "whatsapp_business_account"
        batches += len(obj["entry"]) > 1 or len(obj["entry"][0]["changes"]) > 1
        for e in obj["entry"]:
            for ch in e["changes"]:
                if ch["field"] != "messages":
                    other += 1
                    continue
                seen_types.update(m["type"] for m in ch["value"].get("messages", []))
                seen_status.update(s["status"] for s in ch["value"].get("statuses", []))
    assert seen_types == set(payloads.MESSAGE_TYPES)
    assert seen_status == set(payloads.STATUS_TYPES)
    assert batches > 0 and other > 0


def test_wamids_unique_across_plan_except_duplicates():
    seen = {}
    for d in _take(DeliveryPlan(2, 0.3, 0.0), 2000):
        for w in d.wamids:
            if d.duplicate:
                assert w in seen
            else:
                assert w not in seen
                seen[w] = d.id


def test_duplicate_share_follows_the_setting():
    deliveries = _take(DeliveryPlan(1, 0.1, 0.0), 5000)
    dups = [d for d in deliveries if d.duplicate]
    share = len(dups) / len([d for d in deliveries if not d.duplicate])
    assert 0.08 < share < 0.12
    originals = {d.id: d.body for d in deliveries if not d.duplicate}
    assert all(originals[d.id] == d.body for d in dups if d.id in originals)
    assert not any(d.duplicate for d in _take(DeliveryPlan(1, 0.0, 0.0), 2000))


def test_out_of_order_share_and_direction():
    plan = DeliveryPlan(1, 0.0, 0.2, types=["text", "sent", "delivered", "read"])
    chains = {}
    for d in _take(plan, 6000):
        for wamid, status in d.statuses:
            chains.setdefault(wamid, []).append((status, d.out_of_order))
    full = [c for c in chains.values() if len(c) == 3]
    reversed_ = [c for c in full if [s for s, _ in c] == ["read", "delivered", "sent"]]
    in_order = [c for c in full if [s for s, _ in c] == ["sent", "delivered", "read"]]
    assert len(reversed_) + len(in_order) == len(full) and len(full) > 300
    assert 0.15 < len(reversed_) / len(full) < 0.25
    assert all(flag for c in reversed_ for _, flag in c)
    assert not any(flag for c in in_order for _, flag in c)
    # Timestamps still tell the true order even when arrival is reversed.
    assert all(d.out_of_order is False for d in _take(DeliveryPlan(1, 0.0, 0.0), 1000))


def test_types_filter():
    plan = DeliveryPlan(1, types=["reaction"])
    for d in _take(plan, 200):
        obj = json.loads(d.body)
        for e in obj["entry"]:
            for ch in e["changes"]:
                if ch["field"] == "messages":
                    assert {m["type"] for m in ch["value"].get("messages", [])} <= {"reaction"}
                    assert "statuses" not in ch["value"]
    with pytest.raises(ValueError):
        DeliveryPlan(1, types=["hologram"])
    with pytest.raises(ValueError):
        DeliveryPlan(1, duplicates=1.5)


# --- CLI and a tiny local server --------------------------------------------------------------

def test_cli_defaults_are_bounded():
    args = parse_args(["--url", "http://127.0.0.1:1/x", "--secret", "s"])
    assert args.duration == 10.0 and args.count is None
    args = parse_args(["--url", "http://h/x", "--secret", "s", "--count", "5", "--out-of-order", "0.2", "--report", "json"])
    assert args.duration is None and args.count == 5 and args.out_of_order == 0.2
    with pytest.raises(SystemExit):
        parse_args(["--url", "http://h/x", "--secret", "s", "--duplicates", "2"])
    with pytest.raises(ValueError):
        Simulator(SimulatorConfig(url="http://h/x", secret="s", duration=None, count=None))


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    secret = b"S"
    seen = []
    connections = set()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        good = hmac.compare_digest(self.headers.get(sign.HEADER, ""), sign.signature(self.secret, body))
        _Recorder.seen.append(body)
        _Recorder.connections.add(self.client_address)
        # Every third delivery is refused, so the ledger must leave it out.
        code = 200 if good and len(_Recorder.seen) % 3 else 503
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_simulator_posts_signed_bodies_keeps_alive_and_writes_ledger(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        ledger = tmp_path / "ledger.jsonl"
        config = SimulatorConfig(url="http://127.0.0.1:%d/webhooks/whatsapp" % server.server_port, secret="S",
                                 rate=1000, duration=5, count=30, concurrency=2, duplicates=0.2, seed=4,
                                 ledger=str(ledger))
        summary = Simulator(config).run()
    finally:
        server.shutdown()
        server.server_close()
    assert summary.sent == 30 == len(_Recorder.seen)
    assert summary.ok == 20 and summary.non_200 == {"503": 10}
    assert len(_Recorder.connections) == 2   # one keep-alive connection per worker
    lines = [json.loads(l) for l in ledger.read_text().splitlines()]
    assert len(lines) == 20
    assert all(set(l) == {"delivery", "duplicate", "kind", "wamids", "statuses"} for l in lines)
    d = summary.as_dict()
    assert d["latency_ms"]["max"] >= d["latency_ms"]["p99"] >= d["latency_ms"]["p50"] > 0


def test_status_payload_does_not_depend_on_the_wall_clock(monkeypatch):
    """Regression: the conversation's expiration_timestamp came from time.time(), so two plans
    with one seed differed whenever a second ticked between them (a flaky determinism test)."""
    import switchboard_sim.payloads as p
    monkeypatch.setattr(p.time, "time", lambda: 1_000_000_000.0)
    a = p.status("wamid.X", "sent", "15551230027", timestamp=1700000000)
    monkeypatch.setattr(p.time, "time", lambda: 2_000_000_000.0)
    b = p.status("wamid.X", "sent", "15551230027", timestamp=1700000000)
    assert a == b
    assert a["conversation"]["expiration_timestamp"] == str(1700000000 + 24 * 3600)
