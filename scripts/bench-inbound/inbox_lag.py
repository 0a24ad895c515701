"""Where the webhook→WebSocket time goes, from the server's own inbox table: for processed rows,
received_at_ms (stored when the webhook arrived) to processed_at_ms (taken when the worker's
apply transaction ran). What remains of the end-to-end figure is commit + hub batching + socket.

usage: inbox_lag.py DB_PATH   (prints one JSON object)
"""
import json
import sqlite3
import sys

from common import percentile


def main(argv):
    con = sqlite3.connect(argv[1], timeout=30)
    lags = sorted(float(r[0]) for r in con.execute(
        "SELECT processed_at_ms - received_at_ms FROM inbox WHERE processed_at_ms IS NOT NULL"))
    pending = con.execute("SELECT COUNT(*) FROM inbox WHERE processed_at_ms IS NULL").fetchone()[0]
    print(json.dumps({"processed": len(lags), "unprocessed": pending,
                      "received_to_apply_ms": {"p50": percentile(lags, 50), "p99": percentile(lags, 99),
                                               "max": lags[-1] if lags else 0.0}}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
