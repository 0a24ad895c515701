"""GET /api/ops/summary names when an open breaker lets its probe through (`outbound.
breaker_open_until`, wall-clock ms), the same instant as the `breaker.state_changed` event, so the
console counts down without that event in history; null while closed."""
import requests

import jwt_helper
from helpers import events_until, wait_for
from test_outbound import SECRET, has, outbound, send, subscriber  # noqa: F401 (outbound is a fixture)


def summary(srv):
    r = requests.get(srv.base + "/api/ops/summary", timeout=5,
                     headers={"Authorization": "Bearer " + jwt_helper.token(SECRET, "ops", ["*"])})
    assert r.status_code == 200, r.text
    return r.json()["outbound"]


def test_summary_carries_the_open_breakers_open_until(outbound):
    srv, fake = outbound(SWITCHBOARD_BREAKER_FAILURES=2, SWITCHBOARD_BREAKER_OPEN_S=30, SWITCHBOARD_SEND_MAX_ATTEMPTS=50)
    before = summary(srv)
    assert before["breaker"] == "closed" and before["breaker_open_until"] is None
    health = subscriber(srv, ["system.health"], role="ops", patterns=["*"])
    fake.fault({"mode": "http500", "seconds": 60})
    assert send(srv, "4970", "trips the breaker").status_code == 202
    got = events_until(health, has("breaker.state_changed", to="open"), timeout=20)
    opened = next(e for _, e in got if e["type"] == "breaker.state_changed" and e["data"]["to"] == "open")["data"]
    now = wait_for(lambda: (lambda o: o if o["breaker"] == "open" else None)(summary(srv)))
    assert now["breaker_open_until"] == opened["open_until"], (now, opened)
    health.close()
