"""HS256 tokens for tests, signed the way the protocol specifies (key = the secret's UTF-8 bytes)."""
import base64
import hashlib
import hmac
import json
import time


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(secret, role, topics, sub="test", ttl=600, exp=None):
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"sub": sub, "role": role, "topics": topics, "exp": exp if exp is not None else int(time.time()) + ttl}
    payload = b64(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(sig)}"
