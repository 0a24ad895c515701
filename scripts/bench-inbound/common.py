"""Shared pieces of the inbound benchmark: realistic signed text-message webhooks and percentiles.

Bodies come from the simulator's own builders (clients/python/switchboard_sim), serialised the way
Meta puts them on the wire, so the server verifies and stores exactly what production would see.
"""
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))
from switchboard_sim import payloads, sign, wire  # noqa: E402

WEBHOOK_PATH = "/webhooks/whatsapp"
# Many customers, so events spread over many conversation topics as in a real inbox.
CUSTOMERS = 200


def customer(i: int) -> str:
    return "1555%07d" % (i % CUSTOMERS)


def signed_text_webhook(secret: str, i: int, run_tag: str, text: str):
    """(wamid, body bytes, signature header value) for one text message with a unique wamid."""
    wa_id = customer(i)
    wamid = payloads.new_wamid(wa_id, run_tag=run_tag, sequence=i)
    msg = payloads.text_message(wa_id, text, wamid=wamid)
    body = wire.dumps(payloads.envelope([msg], profile_names={wa_id: "Bench %d" % (i % CUSTOMERS)}))
    return wamid, body, sign.signature(secret, body)


def post_request(host: str, body: bytes, signature: str) -> bytes:
    """One keep-alive HTTP/1.1 POST as bytes."""
    head = ("POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: facebookexternalua\r\n"
            "Content-Type: application/json\r\nX-Hub-Signature-256: %s\r\nContent-Length: %d\r\n\r\n"
            % (WEBHOOK_PATH, host, signature, len(body)))
    return head.encode("ascii") + body


def percentile(sorted_values, p: float) -> float:
    """Nearest-rank percentile of an already sorted list (p in 0..100); 0.0 when empty."""
    if not sorted_values:
        return 0.0
    rank = min(len(sorted_values), max(1, math.ceil(p * len(sorted_values) / 100)))
    return sorted_values[rank - 1]
