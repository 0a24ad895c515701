"""Cost of one fsync'd SQLite transaction (WAL, synchronous=FULL, one 600-byte insert) on the
filesystem of DIR: the issue's ratio target assumes about 3 ms, and the OFF baseline's ceiling
is one writer doing one of these per webhook. Prints one JSON object.

usage: commit_cost.py DIR [COUNT]
"""
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time


def main(argv):
    work = tempfile.mkdtemp(dir=argv[1])
    count = int(argv[2]) if len(argv) > 2 else 300
    try:
        con = sqlite3.connect(os.path.join(work, "cost.db"), isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        con.execute("CREATE TABLE t (b BLOB)")
        times = []
        for _ in range(count):
            t = time.perf_counter()
            con.execute("BEGIN")
            con.execute("INSERT INTO t VALUES (?)", (b"x" * 600,))
            con.execute("COMMIT")
            times.append((time.perf_counter() - t) * 1000)
        con.close()
        times.sort()
        print(json.dumps({"commit_ms_p50": round(times[len(times) // 2], 3),
                          "commit_ms_mean": round(sum(times) / len(times), 3), "count": count}))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
