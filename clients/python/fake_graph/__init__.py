"""A fake WhatsApp Cloud (Graph) API for Switchboard's integration tests and demos.

It answers the send and mark-as-read endpoints like Meta does, checks the bearer token, fails on
command (500s, timeouts, dropped connections, Graph error codes, slowness) and can post signed
status webhooks back to Switchboard, so a whole round trip runs on loopback::

    from fake_graph import FakeGraph
    fake = FakeGraph(token="T", webhook_url="http://127.0.0.1:8080/webhooks/whatsapp", app_secret="S")
    fake.start()          # fake.url -> "http://127.0.0.1:<port>"
    ...
    fake.stop()
"""
from .faults import Fault, FaultError, FaultQueue
from .server import FakeGraph

__all__ = ["FakeGraph", "Fault", "FaultError", "FaultQueue"]
