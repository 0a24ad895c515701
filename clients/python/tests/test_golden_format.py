"""Checks, without a server, that every golden example is well formed and that the matcher used
to replay them accepts what it should and refuses what it should."""
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from golden import _placeholder, match, scenario_paths, substitute  # noqa: E402

STEP_KEYS = {"connect", "connect_refused", "disconnect", "send", "send_raw", "expect", "expect_events",
             "publish", "sleep_ms"}
REQUIRED = {"subscribe-ack", "subscribe-since-recovered", "subscribe-since-wrong-epoch", "unsubscribe",
            "publish-ack", "publish-forbidden", "ping-pong", "malformed-json", "unknown-op",
            "subscribe-forbidden", "batch-several-events", "wildcard-subscribe", "presence"}


def names_in(value, out):
    ph = _placeholder(value)
    if ph is not None and ph[1]:
        out.add(ph[1])
    elif isinstance(value, dict):
        for v in value.values():
            names_in(v, out)
    elif isinstance(value, list):
        for v in value:
            names_in(v, out)
    return out


def test_every_required_scenario_exists():
    present = {os.path.basename(p)[:-5] for p in scenario_paths()}
    assert REQUIRED <= present, REQUIRED - present


@pytest.mark.parametrize("path", scenario_paths(), ids=lambda p: os.path.basename(p)[:-5])
def test_scenario_is_well_formed(path):
    with open(path, encoding="utf-8") as f:
        scenario = json.load(f)
    assert isinstance(scenario["description"], str) and scenario["description"]
    bound, connected = set(), False
    for step in scenario["steps"]:
        keys = set(step) - {"expect_http"}
        assert len(keys) == 1 and keys <= STEP_KEYS, step
        if "connect" in step:
            connected = True
            assert step["connect"]["role"] in ("agent", "ops", "service")
        if "disconnect" in step:
            connected = False
        if keys & {"send", "send_raw", "expect", "expect_events"}:
            assert connected, f"{step} needs a connection"
        if "send" in step:
            assert names_in(step["send"], set()) <= bound, f"{step} uses a name bound nowhere before"
            assert step["send"].get("op") in ("subscribe", "unsubscribe", "publish", "ping", "presence", "frobnicate", None)
        for key in ("expect", "expect_events", "expect_http"):
            if key in step:
                names_in(step[key], bound)


def test_match_binds_and_checks_placeholders():
    b = {}
    match({"epoch": "<epoch:e>", "seq": "<seq>", "ts": "<ts>"}, {"epoch": "abc", "seq": 0, "ts": 5}, b)
    assert b == {"e": "abc"}
    match({"epoch": "<epoch:e>"}, {"epoch": "abc"}, b)
    with pytest.raises(AssertionError):
        match({"epoch": "<epoch:e>"}, {"epoch": "other"}, b)
    with pytest.raises(AssertionError):
        match("<epoch>", "", {})
    with pytest.raises(AssertionError):
        match("<seq>", True, {})
    with pytest.raises(AssertionError):
        match("<ts>", -1, {})
    assert substitute({"since": {"inbox": {"epoch": "<epoch:e>", "seq": 1}}}, b) == {"since": {"inbox": {"epoch": "abc", "seq": 1}}}


def test_match_is_strict_about_members_types_and_lengths():
    with pytest.raises(AssertionError):
        match({"op": "ack", "id": 1}, {"op": "ack", "id": 1, "extra": 0}, {})
    with pytest.raises(AssertionError):
        match({"op": "ack", "id": 1}, {"op": "ack"}, {})
    with pytest.raises(AssertionError):
        match({"id": 1}, {"id": "1"}, {})
    with pytest.raises(AssertionError):
        match({"recovered": True}, {"recovered": 1}, {})
    with pytest.raises(AssertionError):
        match([1, 2], [1, 2, 3], {})
    match({"seq": 1, "type": "t", "ts": "<ts>", "data": {}}, {"seq": 1, "type": "t", "ts": 9, "data": {}, "meta": {"a": 1}}, {})
    with pytest.raises(AssertionError):
        match({"op": "pong"}, {"op": "pong", "meta": {}}, {})
