"""Joins the sender's "wamid send_ns" lines with the subscriber's "wamid send_ns arrival_ns" lines:
webhook sent → message.received delivered latencies (ms), matched vs sent. Prints one JSON object.

usage: e2e_join.py SENT_FILE ARRIVALS_FILE
"""
import json
import sys

from common import percentile


def main(argv):
    sent = {}
    with open(argv[1]) as f:
        for line in f:
            wamid, send_ns = line.split()
            sent[wamid] = int(send_ns)
    latencies, unknown, duplicates, seen = [], 0, 0, set()
    with open(argv[2]) as f:
        for line in f:
            wamid, embedded_ns, arrival_ns = line.split()
            if wamid not in sent:
                unknown += 1
                continue
            if wamid in seen:
                duplicates += 1
                continue
            seen.add(wamid)
            # the embedded time and the sender's ledger must agree: the event carries our send time
            start = int(embedded_ns) if int(embedded_ns) > 0 else sent[wamid]
            latencies.append((int(arrival_ns) - start) / 1e6)
    latencies.sort()
    print(json.dumps({"sent": len(sent), "matched": len(latencies), "unknown": unknown, "duplicates": duplicates,
                      "p50": round(percentile(latencies, 50), 2), "p90": round(percentile(latencies, 90), 2),
                      "p99": round(percentile(latencies, 99), 2),
                      "max": round(latencies[-1], 2) if latencies else 0.0}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
