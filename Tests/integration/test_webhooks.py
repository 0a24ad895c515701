"""WhatsApp inbound against the real server: verification, signatures over raw bytes, the durable
inbox, processing into conversations, events after commit, dead letters, REST, crash safety."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import requests

import jwt_helper
from helpers import db_rows, events_until, wait_for
from wsraw import RawWS

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "clients", "python"))
from switchboard_sim import payloads, sign, wire  # noqa: E402

APP_SECRET = "whatsapp-app-secret"
SECRET = "integration-secret-0123456789abcdef"
API_KEY = "integration-api-key-0123456789"
ENV = {"SWITCHBOARD_AUTH_SECRET": SECRET, "SWITCHBOARD_API_KEY": API_KEY, "SWITCHBOARD_WA_APP_SECRET": APP_SECRET,
       "SWITCHBOARD_WA_VERIFY_TOKEN": "verify-me"}
ADMIN = {"Authorization": "Bearer " + API_KEY}


@pytest.fixture
def wa(server_factory):
    def make(**env):
        return server_factory(env={**ENV, **env}).start()
    return make


def post(srv, body_obj=None, raw=None, secret=APP_SECRET, headers=None):
    body = raw if raw is not None else wire.dumps(body_obj)
    h = {"Content-Type": "application/json", "X-Hub-Signature-256": sign.signature(secret, body)}
    h.update(headers or {})
    return requests.post(srv.base + "/webhooks/whatsapp", data=body, headers=h)








def subscriber(srv, topics=("inbox", "conversation.*")):
    ws = RawWS(srv.port, "/ws?token=" + jwt_helper.token(SECRET, "agent", ["inbox", "conversation.*"]))
    ws.send_text(json.dumps({"op": "subscribe", "id": 1, "topics": list(topics)}))
    assert json.loads(ws.recv_frame()[1])["op"] == "ack"
    return ws


def test_verification_handshake(wa):
    srv = wa()
    r = requests.get(srv.base + "/webhooks/whatsapp", params={"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"})
    assert r.status_code == 200 and r.text == "1158201444"
    r = requests.get(srv.base + "/webhooks/whatsapp", params={"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"})
    assert r.status_code == 403
    r = requests.get(srv.base + "/webhooks/whatsapp", params={"hub.mode": "unsubscribe", "hub.verify_token": "verify-me", "hub.challenge": "1"})
    assert r.status_code == 403
    assert requests.get(srv.base + "/webhooks/whatsapp").status_code == 403


def test_signature_over_raw_bytes(wa):
    srv = wa()
    obj = payloads.envelope([payloads.text_message("15551234567", "Olá café / ação 😀")])
    raw = wire.dumps(obj)
    assert b"\\u00e9" in raw and b"\\/" in raw
    assert post(srv, raw=raw).status_code == 200
    # the same JSON re-serialised differently, sent with the signature of the wire bytes: rejected
    reserialised = json.dumps(obj, ensure_ascii=False).encode()
    r = requests.post(srv.base + "/webhooks/whatsapp", data=reserialised,
                      headers={"X-Hub-Signature-256": sign.signature(APP_SECRET, raw)})
    assert r.status_code == 401
    # upper-case hex is accepted
    upper = "sha256=" + sign.signature(APP_SECRET, raw).split("=", 1)[1].upper()
    obj2 = payloads.envelope([payloads.text_message("15551234567", "second")])
    raw2 = wire.dumps(obj2)
    upper = "sha256=" + sign.signature(APP_SECRET, raw2).split("=", 1)[1].upper()
    assert requests.post(srv.base + "/webhooks/whatsapp", data=raw2, headers={"X-Hub-Signature-256": upper}).status_code == 200
    assert db_rows(srv, "SELECT COUNT(*) FROM inbox")[0][0] == 2


def test_rejections_store_nothing(wa, server_factory):
    srv = wa()
    body = wire.dumps(payloads.envelope([payloads.text_message("15551234567", "hi")]))
    r = requests.post(srv.base + "/webhooks/whatsapp", data=body)
    assert r.status_code == 401 and r.json()["error"]["code"]
    assert post(srv, raw=body, secret="not-the-secret").status_code == 401
    assert requests.post(srv.base + "/webhooks/whatsapp", data=body, headers={"X-Hub-Signature-256": "sha256=zz"}).status_code == 401
    big = b'{"object":"whatsapp_business_account","pad":"' + b"x" * (4 << 20) + b'"}'
    r = post(srv, raw=big[: (3 << 20) + (600 << 10)] + b'"}')
    assert r.status_code == 413
    assert db_rows(srv, "SELECT COUNT(*) FROM inbox")[0][0] == 0
    # no app secret configured: fail closed
    env = dict(ENV)
    del env["SWITCHBOARD_WA_APP_SECRET"]
    closed = server_factory(env=env).start()
    r = post(closed, raw=body)
    assert r.status_code == 503
    assert db_rows(closed, "SELECT COUNT(*) FROM inbox")[0][0] == 0


ALL_TYPES = [
    lambda w: payloads.text_message(w, "hello"),
    lambda w: payloads.image_message(w, caption="look"),
    lambda w: payloads.video_message(w),
    lambda w: payloads.audio_message(w),
    lambda w: payloads.document_message(w),
    lambda w: payloads.sticker_message(w, animated=True),
    lambda w: payloads.location_message(w, name="Lisbon"),
    lambda w: payloads.contacts_message(w),
    lambda w: payloads.interactive_message(w),
    lambda w: payloads.interactive_message(w, kind="list_reply"),
    lambda w: payloads.button_message(w),
    lambda w: payloads.order_message(w),
    lambda w: payloads.system_message(w, "15559990000"),
    lambda w: payloads.unsupported_message(w),
    lambda w: payloads.unknown_message(w),
    lambda w: payloads.new_type_message(w, "poll"),
]


def test_every_message_type_becomes_events_after_commit(wa):
    srv = wa()
    ws = subscriber(srv)
    wa_id = "15557654321"
    msgs = [make(wa_id) for make in ALL_TYPES]
    for m in msgs:
        assert post(srv, payloads.envelope([m])).status_code == 200
    got = events_until(ws, lambda g: sum(1 for t, e in g if e["type"] == "message.received") >= len(msgs))
    received = [e for t, e in got if e["type"] == "message.received"]
    assert [e["data"]["wamid"] for e in received] == [m["id"] for m in msgs]
    assert all(t.startswith("conversation.") for t, e in got if e["type"] == "message.received")
    assert any(t == "inbox" and e["type"] == "conversation.updated" for t, e in got)
    # the event's ids resolve over REST, and each stored type is kept (unknown ones as unsupported)
    r = requests.get(srv.base + f"/api/conversations/{received[0]['data']['wa_id']}/messages?limit=100", headers=ADMIN)
    assert r.status_code == 200
    stored = {m["wamid"]: m for m in r.json()["items"]}
    assert set(stored) >= {m["id"] for m in msgs}
    # correlation ids: the event meta carries the id of the webhook request that brought it
    assert all(e.get("meta", {}).get("correlation_id") for e in received)


def test_reaction_event(wa):
    srv = wa()
    ws = subscriber(srv)
    target = payloads.text_message("15550001111", "react to me")
    post(srv, payloads.envelope([target]))
    post(srv, payloads.envelope([payloads.reaction_message("15550001111", target["id"], emoji="👍")]))
    got = events_until(ws, lambda g: any(e["type"] == "message.reaction" for t, e in g))
    reaction = [e for t, e in got if e["type"] == "message.reaction"][0]
    assert reaction["data"]["emoji"] == "👍"


def test_duplicates_absorbed(wa):
    srv = wa()
    ws = subscriber(srv, ["conversation.*"])
    body = wire.dumps(payloads.envelope([payloads.text_message("15550002222", "once")]))
    for _ in range(3):
        assert post(srv, raw=body).status_code == 200
    post(srv, payloads.envelope([payloads.text_message("15550002222", "marker")]))
    got = events_until(ws, lambda g: any(e["data"].get("preview", "").startswith("marker") for t, e in g if e["type"] == "message.received"))
    assert sum(1 for t, e in got if e["type"] == "message.received") == 2
    assert db_rows(srv, "SELECT COUNT(*) FROM messages")[0][0] == 2
    wait_for(lambda: db_rows(srv, "SELECT COUNT(*) FROM inbox WHERE status='done'")[0][0] == 4, what="all rows done")


def test_out_of_order_statuses_are_monotonic(wa):
    srv = wa()
    wa_id = "15550003333"
    m = payloads.text_message(wa_id, "status target")
    post(srv, payloads.envelope([m]))
    for st in ["read", "delivered", "sent"]:
        assert post(srv, payloads.envelope([payloads.status(m["id"], st, wa_id)])).status_code == 200
    wait_for(lambda: db_rows(srv, "SELECT COUNT(*) FROM statuses WHERE wamid=?", (m["id"],))[0][0] == 3, what="statuses stored")
    assert db_rows(srv, "SELECT status FROM messages WHERE wamid=?", (m["id"],))[0][0] == "read"
    # failed is final, and a duplicate status changes nothing
    m2 = payloads.text_message(wa_id, "second")
    post(srv, payloads.envelope([m2]))
    post(srv, payloads.envelope([payloads.status(m2["id"], "failed", wa_id)]))
    post(srv, payloads.envelope([payloads.status(m2["id"], "read", wa_id)]))
    post(srv, payloads.envelope([payloads.status(m2["id"], "read", wa_id)]))
    wait_for(lambda: db_rows(srv, "SELECT COUNT(*) FROM inbox WHERE status='done'")[0][0] == 8, what="rows done")
    assert db_rows(srv, "SELECT status FROM messages WHERE wamid=?", (m2["id"],))[0][0] == "failed"


def test_batch_with_several_entries_and_changes(wa):
    srv = wa()
    a, b, c = "15550004441", "15550004442", "15550004443"
    ma, mb, mc, md = (payloads.text_message(a, "a"), payloads.text_message(b, "b"), payloads.text_message(c, "c"),
                      payloads.text_message(a, "a2"))
    body = {"object": "whatsapp_business_account", "entry": [
        payloads.entry([payloads.change(payloads.messages_value([ma])), payloads.change(payloads.messages_value([mb]))]),
        payloads.entry([payloads.change(payloads.messages_value([mc, md])), payloads.template_status_change()]),
    ]}
    assert post(srv, body).status_code == 200
    wait_for(lambda: db_rows(srv, "SELECT COUNT(*) FROM messages")[0][0] == 4, what="4 messages")
    assert db_rows(srv, "SELECT COUNT(DISTINCT wa_id) FROM conversations")[0][0] == 3


def test_invalid_json_dead_lettered_and_replayed(wa):
    srv = wa()
    ops = RawWS(srv.port, "/ws?token=" + jwt_helper.token(SECRET, "ops", ["*"]))
    ops.send_text(json.dumps({"op": "subscribe", "topics": ["alerts"]}))
    ops.recv_frame()
    assert post(srv, raw=b'{"object": not json').status_code == 200
    letters = wait_for(lambda: requests.get(srv.base + "/api/admin/dead-letters", headers=ADMIN).json()["items"], what="dead letter")
    assert "invalid_json" in letters[0]["error"]
    alert = events_until(ops, lambda g: len(g) >= 1)[0]
    assert alert[0] == "alerts" and alert[1]["type"] == "alert.firing"
    assert requests.get(srv.base + "/api/admin/dead-letters").status_code == 401
    r = requests.post(srv.base + f"/api/admin/dead-letters/{letters[0]['id']}/replay", headers=ADMIN)
    assert r.status_code == 202
    # replayed, it fails again (still not JSON) and is listed again, never lost
    wait_for(lambda: len(requests.get(srv.base + "/api/admin/dead-letters?include_replayed=true", headers=ADMIN).json()["items"]) == 2, what="second letter")
    assert requests.post(srv.base + f"/api/admin/dead-letters/{letters[0]['id']}/replay", headers=ADMIN).status_code == 404


def test_rest_conversations_pagination_and_read(wa):
    srv = wa()
    for i in range(5):
        post(srv, payloads.envelope([payloads.text_message(f"1555100000{i}", f"m{i}", timestamp=1700000000 + i)]))
    wait_for(lambda: db_rows(srv, "SELECT COUNT(*) FROM inbox WHERE status='done'")[0][0] == 5, what="processed")
    tok = {"Authorization": "Bearer " + jwt_helper.token(SECRET, "agent", ["inbox", "conversation.*"])}
    page1 = requests.get(srv.base + "/api/conversations?limit=2", headers=tok).json()
    assert [c["wa_id"] for c in page1["items"]] == ["15551000004", "15551000003"]
    page2 = requests.get(srv.base + "/api/conversations?limit=2&before=" + page1["next_cursor"], headers=tok).json()
    assert [c["wa_id"] for c in page2["items"]] == ["15551000002", "15551000001"]
    assert requests.get(srv.base + "/api/conversations?limit=0", headers=tok).status_code == 400
    assert requests.get(srv.base + "/api/conversations?before=%%%", headers=tok).status_code == 400
    assert requests.get(srv.base + "/api/conversations").status_code == 401
    ws = subscriber(srv, ["inbox"])
    r = requests.post(srv.base + "/api/conversations/15551000004/read", headers=tok)
    assert r.status_code == 200 and r.json()["items"][0]["unread_count"] == 0
    got = events_until(ws, lambda g: any(e["type"] == "conversation.updated" for t, e in g))
    assert got[0][1]["data"]["unread_count"] == 0
    assert requests.post(srv.base + "/api/conversations/19999999999/read", headers=tok).status_code == 404


def test_sigkill_loses_no_acknowledged_webhook(wa, tmp_path):
    srv = wa()
    ledger = tmp_path / "ledger.jsonl"
    sim = subprocess.Popen([sys.executable, "-m", "switchboard_sim", "--url", srv.base + "/webhooks/whatsapp",
                            "--secret", APP_SECRET, "--rate", "400", "--duration", "6", "--concurrency", "16",
                            "--duplicates", "0.1", "--out-of-order", "0.2", "--seed", "7", "--types", "text,image,reaction",
                            "--ledger", str(ledger)],
                           cwd=os.path.join(os.path.dirname(__file__), "..", "..", "clients", "python"),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2.5)
    srv.kill9()
    sim.wait(timeout=30)
    acked = [json.loads(l) for l in ledger.read_text().splitlines() if l.strip()]
    assert len(acked) > 50
    srv.start()  # same data directory
    wamids = {w for d in acked for w in d.get("wamids", [])}
    wait_for(lambda: db_rows(srv, "SELECT COUNT(*) FROM inbox WHERE status NOT IN ('done','dead')")[0][0] == 0, timeout=30, what="inbox drained")
    stored = {r[0] for r in db_rows(srv, "SELECT wamid FROM messages WHERE wamid IS NOT NULL")}
    missing = wamids - stored
    assert not missing, f"{len(missing)} acknowledged messages lost"
    dupes = db_rows(srv, "SELECT wamid, COUNT(*) FROM messages GROUP BY wamid HAVING COUNT(*) > 1")
    assert dupes == []
    assert db_rows(srv, "SELECT COUNT(*) FROM inbox WHERE status='dead'")[0][0] == 0
