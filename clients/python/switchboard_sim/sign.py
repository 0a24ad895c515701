"""The X-Hub-Signature-256 header: HMAC-SHA256 of the exact body bytes under the app secret."""
import hashlib
import hmac

HEADER = "X-Hub-Signature-256"


def _key(secret) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)


def signature(secret, body: bytes) -> str:
    """The header value for `body`: 'sha256=' followed by lower-case hex."""
    return "sha256=" + hmac.new(_key(secret), body, hashlib.sha256).hexdigest()
