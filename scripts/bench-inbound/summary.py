"""Prints the inbound benchmark's summary block: each figure next to its target from issue 4,
PASS or MISS, plus the checks that make the figures trustworthy (every 200 durably stored,
achieved vs asked rate, load generator CPU).

usage: summary.py ON_JSON OFF_JSON PACED_JSON E2E_JSON PACED_SENDER_JSON
"""
import json
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def verdict(ok):
    return "PASS" if ok else "MISS"


def main(argv):
    on, off, paced, e2e, e2e_sender = (load(p) for p in argv[1:6])
    ratio = on["acked_per_s"] / off["acked_per_s"] if off["acked_per_s"] else float("inf")
    p99_post = paced["from_schedule_ms"]["p99"]
    paced_ok = paced["achieved_rate"] >= 0.95 * paced["target_rate"] and paced["unfinished"] == 0
    e2e_ok = e2e["matched"] == e2e["sent"] and e2e_sender["achieved_rate"] >= 950
    print("==================== inbound benchmark summary ====================")
    print("1. peak durably acknowledged signed webhooks/s, 64 connections (wrk)")
    print("     group commit ON : %8.1f /s   (200s %d, inbox rows %d)" % (on["acked_per_s"], on["acked_200"], on["inbox_rows"]))
    print("     group commit OFF: %8.1f /s   (200s %d, inbox rows %d)" % (off["acked_per_s"], off["acked_200"], off["inbox_rows"]))
    print("     ratio ON/OFF    : %8.1f x    target >= 20x            %s" % (ratio, verdict(ratio >= 20)))
    print("2. POST->200 at 50%% of peak (%.0f/s asked, %.1f/s achieved), group commit ON" % (paced["target_rate"], paced["achieved_rate"]))
    print("     p99 %.2f ms (from schedule; %.2f ms from write)   target <= 25 ms   %s%s"
          % (p99_post, paced["from_write_ms"]["p99"], verdict(p99_post <= 25),
             "" if paced_ok else "  (rate NOT sustained: figure not valid)"))
    print("3. webhook sent -> message.received on WebSocket at 1000/s (%.1f/s achieved)" % e2e_sender["achieved_rate"])
    print("     p50 %.2f ms  p99 %.2f ms  max %.2f ms  matched %d/%d   target p99 <= 50 ms   %s%s"
          % (e2e["p50"], e2e["p99"], e2e["max"], e2e["matched"], e2e["sent"], verdict(e2e["p99"] <= 50 and e2e_ok),
             "" if e2e_ok else "  (not every webhook matched or rate not sustained)"))
    durable = on["inbox_rows"] >= on["acked_200"] and off["inbox_rows"] >= off["acked_200"]
    print("checks: every 200 has an inbox row: %s; load-tool CPU: wrk ON %.0f%% / OFF %.0f%%, paced %.0f%%, e2e sender %.0f%% (of one core)"
          % ("yes" if durable else "NO", on["wrk_cpu_pct"], off["wrk_cpu_pct"], paced["generator_cpu_pct"],
             e2e_sender["generator_cpu_pct"]))
    print("====================================================================")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
