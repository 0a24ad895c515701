"""The ops console's server side against the real server, over raw HTTP: GET /console and its
assets (CSP, caching headers, ETag/304), GET /api/ops/summary, and the admin routes the console
calls (dead letters, replay, alerts) accepting an ops token as well as the API key."""
import re
import time

import pytest
import requests

import jwt_helper
from helpers import wait_for

SECRET = "console-secret-0123456789abcdef"
API_KEY = "console-api-key-0123456789"
APP_SECRET = "console-app-secret"
ENV = {"SWITCHBOARD_AUTH_SECRET": SECRET, "SWITCHBOARD_API_KEY": API_KEY, "SWITCHBOARD_WA_APP_SECRET": APP_SECRET,
       "SWITCHBOARD_INBOX_MAX_ATTEMPTS": "1", "SWITCHBOARD_HEALTH_INTERVAL_S": "0.3", "SWITCHBOARD_ALERT_INTERVAL_S": "0.3",
       "SWITCHBOARD_ALERT_FOR_S": "0"}


def bearer(value):
    return {"Authorization": "Bearer " + value}


OPS = bearer(jwt_helper.token(SECRET, "ops", ["*"], ttl=3600))
AGENT = bearer(jwt_helper.token(SECRET, "agent", ["inbox", "conversation.*"], ttl=3600))
SERVICE = bearer(jwt_helper.token(SECRET, "service", ["*"], ttl=3600))
FORGED = bearer(jwt_helper.token("some-other-secret", "ops", ["*"], ttl=3600))
EXPIRED = bearer(jwt_helper.token(SECRET, "ops", ["*"], exp=int(time.time()) - 60))
ADMIN = bearer(API_KEY)


@pytest.fixture(scope="module")
def srv():
    from conftest import ServerProcess
    s = ServerProcess(env=ENV).start()
    yield s
    s.stop()


def error_code(r):
    return r.json()["error"]["code"]


def post_webhook(srv, raw):
    from switchboard_sim import sign
    return requests.post(srv.base + "/webhooks/whatsapp", data=raw, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": sign.signature(APP_SECRET, raw)})


# --- the page and its assets ------------------------------------------------------------------

def test_console_page_has_csp_caching_headers_and_etag(srv):
    r = requests.get(srv.base + "/console")
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/html; charset=utf-8"
    csp = r.headers["Content-Security-Policy"]
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";"))
    assert directives["script-src"] == "'self'" and directives["connect-src"] == "'self'"
    assert directives["default-src"] == "'none'" and "unsafe-inline" not in csp
    assert r.headers["Cache-Control"] == "no-cache" and r.headers["ETag"].startswith('"')
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    again = requests.get(srv.base + "/console", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == r.headers["ETag"] and again.headers["Content-Security-Policy"] == csp
    assert requests.get(srv.base + "/console", headers={"If-None-Match": '"other"'}).status_code == 200


def test_every_module_the_page_loads_is_served_with_its_type(srv):
    html = requests.get(srv.base + "/console").text
    assert "<script>" not in html and "style=" not in html
    entry = re.findall(r'<script type="module" src="([^"]+)"', html)
    assert entry == ["/console/main.js"]
    seen, todo = set(), list(entry) + re.findall(r'href="(/console/[^"]+\.css)"', html)
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        r = requests.get(srv.base + path)
        assert r.status_code == 200, path
        if path.endswith(".js"):
            assert r.headers["Content-Type"] == "application/javascript; charset=utf-8", path
            for imp in re.findall(r"from '([^']+)'", r.text):
                todo.append(imp if imp.startswith("/") else "/console/" + imp.removeprefix("./"))
        else:
            assert r.headers["Content-Type"] == "text/css; charset=utf-8"
    assert {"/console/main.js", "/client/switchboard.js", "/console/panels.js", "/console/console.css"} <= seen


def test_demo_and_console_link_to_each_other(srv):
    assert 'href="/demo"' in requests.get(srv.base + "/console").text
    assert 'href="/console"' in requests.get(srv.base + "/demo").text


# --- GET /api/ops/summary ---------------------------------------------------------------------

def test_summary_for_ops_token_and_api_key_only(srv):
    for headers in (OPS, ADMIN):
        r = requests.get(srv.base + "/api/ops/summary", headers=headers)
        assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store", r.text
        body = r.json()
        assert set(body) == {"now_ms", "inbound", "outbound", "hub", "alerts_firing", "health"}
        assert body["health"]["status"] in ("ok", "degraded", "error") and "database" in body["health"]["services"]
        assert set(body["outbound"]["depth"]) >= {"queued", "retrying", "sending", "failed"}
        assert body["outbound"]["configured"] is False and body["outbound"]["breaker"] == "closed"
    assert requests.get(srv.base + "/api/ops/summary", headers=AGENT).status_code == 403
    assert error_code(requests.get(srv.base + "/api/ops/summary", headers=SERVICE)) == "forbidden"
    for headers in ({}, FORGED, EXPIRED, bearer("not-a-token")):
        r = requests.get(srv.base + "/api/ops/summary", headers=headers)
        assert r.status_code == 401 and error_code(r) == "unauthorized", (headers, r.text)
    assert "expired" in requests.get(srv.base + "/api/ops/summary", headers=EXPIRED).json()["error"]["message"]


def test_summary_counts_webhooks_dead_letters_and_hub_figures(srv):
    before = requests.get(srv.base + "/api/ops/summary", headers=OPS).json()
    assert post_webhook(srv, b"{not json").status_code == 200
    # The dead letter is visible in the store a moment before the worker counts it as processed.
    after = wait_for(lambda: (lambda s: s if s["inbound"]["dead_letters"] > before["inbound"]["dead_letters"]
                              and s["inbound"]["processed"]["dead"] >= 1 else None)(
        requests.get(srv.base + "/api/ops/summary", headers=OPS).json()), what="dead letter counted")
    assert after["inbound"]["webhooks_received"] == before["inbound"]["webhooks_received"] + 1
    assert after["inbound"]["processed"]["dead"] >= 1
    assert after["now_ms"] >= before["now_ms"]
    assert after["alerts_firing"] >= 0 and after["hub"]["topics"] >= 1
    bad = requests.post(srv.base + "/webhooks/whatsapp", data=b"{}", headers={"X-Hub-Signature-256": "sha256=" + "0" * 64})
    assert bad.status_code == 401
    s = requests.get(srv.base + "/api/ops/summary", headers=OPS).json()
    assert s["inbound"]["signature_failures"] == before["inbound"]["signature_failures"] + 1


# --- the admin routes the console calls --------------------------------------------------------

def test_dead_letter_routes_take_an_ops_token_or_the_api_key(srv):
    before = len(requests.get(srv.base + "/api/admin/dead-letters", headers=OPS).json()["items"])
    assert post_webhook(srv, b"[not json either").status_code == 200
    listed = wait_for(lambda: (lambda items: items if len(items) > before else None)(
        requests.get(srv.base + "/api/admin/dead-letters", headers=OPS).json()["items"]), what="a new dead letter")
    assert requests.get(srv.base + "/api/admin/dead-letters", headers=ADMIN).json()["items"] == listed
    for headers, status in ((AGENT, 403), (SERVICE, 403), ({}, 401), (FORGED, 401), (EXPIRED, 401)):
        assert requests.get(srv.base + "/api/admin/dead-letters", headers=headers).status_code == status, headers
    target = listed[-1]["id"]
    path = f"{srv.base}/api/admin/dead-letters/{target}/replay"
    for headers, status in ((AGENT, 403), ({}, 401), (FORGED, 401)):
        assert requests.post(path, headers=headers).status_code == status, headers
    r = requests.post(path, headers=OPS)
    assert r.status_code == 202 and r.json() == {"status": "replaying", "id": target}
    assert requests.post(path, headers=OPS).status_code == 404  # no longer waiting
    ids = [d["id"] for d in requests.get(srv.base + "/api/admin/dead-letters", headers=OPS).json()["items"]]
    assert target not in ids  # a replay that fails again is a new dead letter with a new id


def test_replay_with_the_api_key_still_works(srv):
    assert post_webhook(srv, b"{}}").status_code == 200
    item = wait_for(lambda: requests.get(srv.base + "/api/admin/dead-letters", headers=ADMIN).json()["items"] or None,
                    what="a dead letter")[0]
    r = requests.post(f"{srv.base}/api/admin/dead-letters/{item['id']}/replay", headers=ADMIN)
    assert r.status_code == 202


def test_alerts_route_for_ops_token_and_api_key(srv):
    assert requests.get(srv.base + "/api/alerts", headers=OPS).status_code == 200
    assert requests.get(srv.base + "/api/alerts", headers=ADMIN).status_code == 200
    assert requests.get(srv.base + "/api/alerts", headers=AGENT).status_code == 403
    assert requests.get(srv.base + "/api/alerts").status_code == 401
