"""Topic names and subscription patterns of wire protocol v1 (see Protocol/README.md)."""
import re

MAX_TOPIC_BYTES = 200
_SEGMENT = r"[A-Za-z0-9_+@:\-]+"
_NAME = re.compile(rf"{_SEGMENT}(?:\.{_SEGMENT})*")


def is_valid_topic(name):
    """True for a concrete topic name: dotted non-empty segments, at most 200 bytes."""
    return (isinstance(name, str) and len(name.encode("utf-8")) <= MAX_TOPIC_BYTES
            and _NAME.fullmatch(name) is not None)


def is_wildcard(pattern):
    return pattern.endswith(".*")


def is_valid_pattern(pattern):
    """An exact name, or `prefix.*` whose prefix is itself a valid name."""
    if not isinstance(pattern, str):
        return False
    if is_wildcard(pattern):
        return is_valid_topic(pattern[:-2])
    return is_valid_topic(pattern)


def matches(pattern, topic):
    """`prefix.*` matches every name below `prefix.` at any depth, never `prefix` itself."""
    if is_wildcard(pattern):
        prefix = pattern[:-1]  # keeps the dot
        return len(topic) > len(prefix) and topic.startswith(prefix)
    return topic == pattern
