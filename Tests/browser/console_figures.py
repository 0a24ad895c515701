"""Measurements of the ops console, shared by its browser test and scripts/bench-console.py:
alert.firing publish -> row in the page's DOM, and bytes transferred on a first load."""
import json
import statistics
import time


def wait_live(page, timeout=20):
    page.wait_for("document.getElementById('connection').textContent === 'live'", timeout=timeout, what="socket live")


def log_in(page, base, token):
    page.navigate(base + "/console")
    page.wait_for("document.readyState === 'complete' && document.activeElement?.id === 'token'", what="login form focused")
    page.type_text(token)
    page.press("Enter")


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(p * len(sorted_values)))]


def alert_latency(page, server, n=20):
    """Publishes `n` alert.firing events on `alerts` (as the alert rules do, through the hub) and
    returns {alerts, p50_ms, p99_ms, max_ms} from publish to the alert's row in #alerts-firing.
    Both clocks are this machine's wall clock. Each alert is resolved again after it shows."""
    page.evaluate("""window.__seen = {};
        new MutationObserver(() => {
          const now = performance.timeOrigin + performance.now();
          for (const li of document.querySelectorAll('#alerts-firing li[data-alert-key^="bench."]')) {
            window.__seen[li.dataset.alertKey] ??= now;
          }
        }).observe(document.getElementById('alerts-firing'), { childList: true });""")
    latencies = []
    for i in range(n):
        key = f"bench.{i}.{int(time.time() * 1000)}"
        alert = {"key": key, "severity": "warning", "summary": "latency probe", "labels": {},
                 "firing_since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        sent = time.time() * 1000
        status, body = server.publish({"topic": "alerts", "type": "alert.firing", "data": alert})
        assert status == 202, body
        seen = page.wait_for(f"window.__seen[{json.dumps(key)}]", timeout=10, what=key)
        latencies.append(seen - sent)
        server.publish({"topic": "alerts", "type": "alert.resolved", "data": {**alert, "resolved_at": alert["firing_since"]}})
        page.pump(0.05)
    latencies.sort()
    return {"alerts": n, "p50_ms": round(statistics.median(latencies), 1), "p99_ms": round(percentile(latencies, 0.99), 1),
            "max_ms": round(latencies[-1], 1)}
