"""Serialises JSON the way Meta puts it on the wire, so signatures are computed over realistic bytes.

Meta sends compact JSON with every non-ASCII character escaped as \\uXXXX (astral characters as
UTF-16 surrogate pairs) and every '/' escaped as '\\/'. A server that re-serialises before
checking the signature will fail on these bytes, which is the point.
"""
import json


def dumps(obj) -> bytes:
    """Compact, ASCII-only JSON with '/' escaped, as bytes ready to sign and send."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    # '/' can only occur inside strings (keys or values) in JSON text, so this never touches
    # structure; '\\/' is a valid JSON escape that decodes back to '/'.
    return text.replace("/", "\\/").encode("ascii")
