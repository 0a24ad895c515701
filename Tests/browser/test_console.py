"""The ops console (/console) in a real headless Chromium, driven over the DevTools protocol,
against the real server and the fake Graph API: log in; health ok; the Graph API fails until the
breaker opens -> the critical alert and the open breaker appear; recovery -> the alert moves to
resolved; a dead letter is listed -> Replay (by keyboard) -> it leaves the list; wrong, non-ops and
expired tokens are refused with their own messages; a token expiring while open logs out; and the
browser console stays free of errors throughout.

Screenshots go to $CONSOLE_SCREENSHOTS (default: a temp dir); `CONSOLE_SCREENSHOTS=docs` refreshes
the ones the README shows. The alert-latency figure (alert.firing publish -> row in the DOM, 20
alerts) is printed and written to $CONSOLE_SCREENSHOTS/alert-latency.json; it is a measurement,
never asserted.
"""
import json
import os
import re
import subprocess
import tempfile
import time

import pytest

import console_figures as figures
from cdp import Chromium
from console_figures import alert_latency, wait_live
from console_server import BREAKER_OPEN_S, ROOT, ConsoleServer, mint_token

SHOTS = os.environ.get("CONSOLE_SCREENSHOTS") or tempfile.mkdtemp(prefix="sb-console-shots-")
if not os.path.isabs(SHOTS):
    SHOTS = os.path.join(ROOT, SHOTS)
NODE = os.environ.get("NODE_BIN", "node")

FIRING = "#alerts-firing [data-alert-key='{}']"
RESOLVED = "#alerts-resolved [data-alert-key='{}']"


@pytest.fixture(scope="module")
def server():
    s = ConsoleServer()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser():
    with Chromium() as chromium:
        yield chromium


def sel(selector):
    return json.dumps(selector)


def log_in(page, server, token):
    figures.log_in(page, server.base, token)


def assert_clean(page):
    page.pump(0.3)
    assert page.problems == [], page.problems


def test_node_unit_tests_of_the_console_modules():
    result = subprocess.run([NODE, "--test", os.path.join(ROOT, "clients", "console", "test")], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout


def test_wrong_tokens_are_refused_with_their_own_message(server, browser):
    page = browser.page()
    try:
        cases = [
            (mint_token("ops", secret="not-this-servers-secret"), "rejected this token"),
            (mint_token("agent", ["inbox"]), 'role "agent"'),
            (mint_token("ops", exp=int(time.time()) - 5), "expired"),
            ("not a token at all", "not a token"),
        ]
        for token, message in cases:
            log_in(page, server, token)
            page.wait_for(f"document.getElementById('login-error').textContent.includes({sel(message)})", what=message)
            assert page.evaluate("document.getElementById('dashboard').hidden") is True
            assert page.evaluate("sessionStorage.length") == 0
            assert token not in page.evaluate("location.href")
        # The forged token's 401 is logged by the browser as a failed load; nothing else may be.
        assert all("401" in e for e in page.network_errors), page.network_errors
        assert_clean(page)
    finally:
        page.close()


def test_console_shows_health_alerts_breaker_and_replays_dead_letters(server, browser):
    page = browser.page()
    try:
        page.viewport(1280, 800)
        token = mint_token("ops", ttl=3600, sub="alice")
        log_in(page, server, token)
        page.wait_for("!document.getElementById('dashboard').hidden", what="dashboard shown")
        assert token not in page.evaluate("location.href")
        assert page.evaluate("sessionStorage.getItem('switchboard.console.token')") == token
        # live over /ws (connect-src 'self' admits the same-origin socket) and health ok
        wait_live(page)
        page.wait_for("document.getElementById('health-overall').textContent === 'ok'", what="health ok")
        for service in ("database", "whatsapp", "inbox", "outbox", "hub"):
            assert page.visible(f"#health-services [data-service='{service}']"), service
        page.wait_for("Number(document.getElementById('hub-connections').textContent) >= 1", what="own connection counted")
        assert page.text("#breaker-state") == "closed"
        server.post_inbound_messages(12)
        page.wait_for("parseFloat(document.getElementById('webhook-rate').textContent) > 0", what="webhooks per second")

        # Graph fails until the breaker opens: a critical alert and the open breaker, within seconds.
        server.fail_graph(seconds=120)
        for i in range(3):
            status, body = server.send_message(f"1555000{i:04d}")
            assert status == 202, body
        page.wait_for(f"!!document.querySelector({sel(FIRING.format('whatsapp.breaker_open'))})", timeout=30,
                      what="breaker alert firing")
        assert "critical" in page.evaluate(f"document.querySelector({sel(FIRING.format('whatsapp.breaker_open'))}).className")
        page.wait_for("!document.getElementById('critical-banner').hidden", what="critical banner")
        assert "whatsapp.breaker_open" in page.text("#critical-banner")
        page.wait_for("document.getElementById('breaker-state').textContent === 'open'", what="breaker open")
        page.wait_for("/probe in \\d+ s|probe due/.test(document.getElementById('breaker-until').textContent)",
                      what="open_until countdown")
        page.wait_for("Number(document.getElementById('outbox-queued').textContent) + "
                      "Number(document.getElementById('outbox-retrying').textContent) >= 1", what="outbox depth")
        assert page.evaluate("document.title").startswith("(!)")
        # A reload when system.health's history no longer holds the breaker.state_changed (1,000
        # newer events push it out): the countdown comes from the summary's breaker_open_until.
        status, body = server.publish([{"topic": "system.health", "type": "filler", "data": {"i": i}} for i in range(1000)])
        assert status == 202, body
        page.evaluate("window.__beforeReload = true")
        page.navigate(server.base + "/console")  # the token is in sessionStorage: logs in by itself
        page.wait_for("window.__beforeReload === undefined && !!document.getElementById('breaker-state')", what="page reloaded")
        # The first time the reloaded page shows the breaker open, its countdown is already there.
        until = page.wait_for("document.getElementById('breaker-state').textContent === 'open' && "
                              "[document.getElementById('breaker-until').textContent]", what="breaker open after reload")
        assert re.search(r"probe in \d+ s|probe due", until[0]), until
        wait_live(page)
        page.screenshot(os.path.join(SHOTS, "console-desktop.png"))
        page.viewport(390, 844, mobile=True)
        page.pump(0.5)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling at phone width"
        page.screenshot(os.path.join(SHOTS, "console-phone.png"), full_page=True)
        page.viewport(1280, 800)

        # Recovery: the next probe succeeds, the breaker closes and the alert moves to resolved.
        server.heal_graph()
        page.wait_for(f"!!document.querySelector({sel(RESOLVED.format('whatsapp.breaker_open'))})", timeout=BREAKER_OPEN_S * 4 + 15,
                      what="breaker alert resolved")
        assert not page.evaluate(f"!!document.querySelector({sel(FIRING.format('whatsapp.breaker_open'))})")
        page.wait_for("document.getElementById('breaker-state').textContent === 'closed'", what="breaker closed")
        page.wait_for("document.getElementById('critical-banner').hidden", what="banner gone")
        page.wait_for("Number(document.getElementById('outbox-queued').textContent) === 0", timeout=20, what="outbox drained")

        # A dead letter is listed, replayed from the keyboard, and leaves the list.
        assert server.post_webhook(b"{this is not json") == 200
        row = "#dead-letters tbody tr[data-id]"
        page.wait_for(f"!!document.querySelector({sel(row)})", what="dead letter listed")
        dead_id = page.evaluate(f"document.querySelector({sel(row)}).dataset.id")
        assert "{this is not json" not in page.text(row)  # the error is shown, the raw body is not
        page.evaluate(f"document.querySelector({sel(row)} + ' button').focus()")
        page.press("Enter")
        page.wait_for(f"document.getElementById('dead-outcome').textContent.includes('Dead letter {dead_id}: replay started')",
                      what="replay outcome")
        page.wait_for(f"!document.querySelector(\"#dead-letters tbody tr[data-id='{dead_id}']\")", what="replayed row gone")
        # the inbox.dead_letter warning fired meanwhile (it is a warning: no banner)
        assert page.evaluate(f"!!document.querySelector({sel(FIRING.format('inbox.dead_letter'))}) || "
                             f"!!document.querySelector({sel(RESOLVED.format('inbox.dead_letter'))})")

        assert page.network_errors == [], page.network_errors
        assert_clean(page)
    finally:
        page.close()


def test_policy_blocks_inline_script_and_other_origins_but_not_the_own_socket(server, browser):
    page = browser.page()
    try:
        log_in(page, server, mint_token("ops"))
        wait_live(page)  # the page's own ws:// socket to this host passed connect-src 'self'
        page.evaluate("""window.__violations = [];
            document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.effectiveDirective));
            const s = document.createElement('script');
            s.textContent = 'window.__inlineRan = true';
            document.body.append(s);
            try { new WebSocket('ws://127.0.0.2:9/ws'); } catch (e) { window.__violations.push('throw:' + e.name); }
            fetch('http://127.0.0.2:9/x').catch(() => {});""")
        page.wait_for("window.__violations.length >= 3", what="three violations reported")
        violations = page.evaluate("window.__violations")
        assert page.evaluate("window.__inlineRan === undefined")
        assert "script-src-elem" in violations and violations.count("connect-src") + sum(v.startswith("throw:") for v in violations) >= 2, violations
        page.pump(0.3)
        # Chromium logs each refusal to the console; those are the only entries allowed here.
        assert page.problems and all("Content Security Policy" in p or "127.0.0.2" in p for p in page.problems), page.problems
    finally:
        page.close()


def test_token_expiring_while_open_logs_out_cleanly(server, browser):
    page = browser.page()
    try:
        log_in(page, server, mint_token("ops", ttl=4))
        wait_live(page)
        page.wait_for("!document.getElementById('login').hidden && "
                      "/expired|log in again/.test(document.getElementById('login-error').textContent)", timeout=15,
                      what="logged out on expiry")
        assert page.evaluate("document.getElementById('dashboard').hidden") is True
        assert page.evaluate("sessionStorage.length") == 0
        assert_clean(page)
    finally:
        page.close()


def test_alert_publish_to_dom_latency_is_measured(server, browser):
    """20 alert.firing events through the hub; each one's time to its row (printed, not asserted)."""
    page = browser.page()
    try:
        log_in(page, server, mint_token("ops"))
        wait_live(page)
        figures = alert_latency(page, server, n=20)
        os.makedirs(SHOTS, exist_ok=True)
        with open(os.path.join(SHOTS, "alert-latency.json"), "w") as f:
            json.dump(figures, f)
        print("alert.firing publish -> DOM:", figures)
        assert figures["alerts"] == 20
        assert_clean(page)
    finally:
        page.close()
