"""Writes N distinct signed text-message webhooks, one per line ("<signature> <body>"), for webhook.lua.

usage: wrk_bodies.py SECRET COUNT RUN_TAG OUT_FILE
Bodies are compact wire JSON (never contain a newline), each with its own wamid, so the server
stores and processes distinct messages instead of de-duplicating one repeated delivery.
"""
import sys

from common import signed_text_webhook


def main(argv):
    secret, count, run_tag, out = argv[1], int(argv[2]), argv[3], argv[4]
    with open(out, "wb") as f:
        for i in range(count):
            _, body, sig = signed_text_webhook(secret, i, run_tag, "Hello, I would like to know the status of order #%d. Obrigado!" % i)
            f.write(sig.encode("ascii") + b" " + body + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
