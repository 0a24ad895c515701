"""Errors the client raises. Each carries a stable `code` (the protocol's, or the client's own)."""


class SwitchboardError(Exception):
    """An error reply from the server (`bad_request`, `forbidden`, `unauthorized`) or a client
    condition: `connection_lost` (the socket dropped before the reply), `closed` (the client
    was closed), `timeout`."""

    def __init__(self, code, message=""):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
