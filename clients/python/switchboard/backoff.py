"""Reconnect delays: exponential backoff with full jitter (AWS architecture blog, 2015)."""
import random

BASE_SECONDS = 0.25
CAP_SECONDS = 10.0


def backoff_delay(attempt, base=BASE_SECONDS, cap=CAP_SECONDS, rand=random.random):
    """Seconds to wait before reconnect attempt `attempt` (0 = the first retry).

    Full jitter spreads a crowd of clients that lost the same server over the whole window, so
    a restarted server is not hit by all of them in the same instant.
    """
    if attempt < 0:
        attempt = 0
    # 2**attempt grows without bound; past 64 doublings the cap has long been reached.
    ceiling = min(cap, base * (2 ** min(attempt, 64)))
    return rand() * ceiling
