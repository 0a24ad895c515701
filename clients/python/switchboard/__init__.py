"""Switchboard wire protocol v1 client (asyncio, on `websockets`). See Protocol/README.md."""
from .backoff import backoff_delay
from .client import Client
from .errors import SwitchboardError
from .streams import StreamTracker
from .topics import is_valid_pattern, is_valid_topic, matches

__all__ = ["Client", "SwitchboardError", "StreamTracker", "backoff_delay",
           "is_valid_pattern", "is_valid_topic", "matches"]
