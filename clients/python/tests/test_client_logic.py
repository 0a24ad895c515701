"""Pure logic of the switchboard client, no server: topic patterns, batch splitting, since
bookkeeping, duplicate and gap detection, backoff bounds, the tail CLI's line format."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from switchboard import StreamTracker, backoff_delay, is_valid_pattern, is_valid_topic, matches  # noqa: E402
from switchboard.streams import UNKNOWN_EPOCH  # noqa: E402
from switchboard.tail import event_line, parse_args  # noqa: E402


def batch(topic, *seqs, epoch=None):
    frame = {"op": "batch", "topic": topic,
             "events": [{"seq": s, "type": "t", "ts": 1000 + s, "data": {"n": s}} for s in seqs]}
    if epoch is not None:
        frame["epoch"] = epoch
    return frame


# --- topics -----------------------------------------------------------------------------------

def test_topic_grammar():
    assert is_valid_topic("inbox") and is_valid_topic("conversation.155501") and is_valid_topic("a.b-c_d+e@f:g")
    for bad in ["", ".a", "a.", "a..b", "a b", "a.*", "é", "a/b", "x" * 201]:
        assert not is_valid_topic(bad), bad
    assert is_valid_topic("x" * 200)


def test_patterns_and_matching():
    assert is_valid_pattern("conversation.*") and is_valid_pattern("inbox")
    assert not is_valid_pattern("*") and not is_valid_pattern(".*") and not is_valid_pattern("a.*.b")
    assert matches("conversation.*", "conversation.1")
    assert matches("conversation.*", "conversation.a.b")
    assert not matches("conversation.*", "conversation")
    assert not matches("conversation.*", "conversations.1")
    assert matches("inbox", "inbox") and not matches("inbox", "inbox.x")


# --- batches ----------------------------------------------------------------------------------

def test_batch_is_split_into_events_in_order_with_topic():
    t = StreamTracker()
    t.apply_ack({"inbox": {"epoch": "e1", "seq": 0}}, {})
    events, gap = t.accept_batch(batch("inbox", 1, 2, 3))
    assert not gap
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert events[0] == {"topic": "inbox", "seq": 1, "type": "t", "ts": 1001, "data": {"n": 1}, "meta": None}
    assert t.position("inbox") == ("e1", 3)


def test_duplicates_are_dropped_and_gaps_reported():
    t = StreamTracker()
    t.apply_ack({"inbox": {"epoch": "e1", "seq": 5}}, {})
    events, gap = t.accept_batch(batch("inbox", 4, 5, 6))
    assert [e["seq"] for e in events] == [6] and not gap
    events, gap = t.accept_batch(batch("inbox", 9, 10))
    assert [e["seq"] for e in events] == [9, 10] and gap
    assert t.position("inbox") == ("e1", 10)


def test_gap_inside_one_batch_is_reported():
    t = StreamTracker()
    t.apply_ack({"inbox": {"epoch": "e1", "seq": 0}}, {})
    events, gap = t.accept_batch(batch("inbox", 1, 3))
    assert gap and [e["seq"] for e in events] == [1, 3]


def test_first_batch_of_a_wildcard_topic_is_accepted_without_gap():
    t = StreamTracker()
    events, gap = t.accept_batch(batch("conversation.7", 12, 13))
    assert not gap and [e["seq"] for e in events] == [12, 13]
    assert t.position("conversation.7") == (None, 13)


def test_batch_with_a_new_epoch_is_a_gap():
    t = StreamTracker()
    t.apply_ack({"inbox": {"epoch": "e1", "seq": 7}}, {})
    events, gap = t.accept_batch(batch("inbox", 1, epoch="e2"))
    assert gap and [e["seq"] for e in events] == [1]
    assert t.position("inbox") == ("e2", 1)


def test_malformed_batches_change_nothing():
    t = StreamTracker()
    t.apply_ack({"inbox": {"epoch": "e1", "seq": 2}}, {})
    for frame in [{"op": "batch"}, {"op": "batch", "topic": 3, "events": []},
                  {"op": "batch", "topic": "inbox", "events": [{"seq": "3"}]},
                  {"op": "batch", "topic": "inbox", "events": [{"seq": True}]},
                  {"op": "batch", "topic": "inbox", "events": {}}]:
        assert t.accept_batch(frame) == ([], False)
    assert t.position("inbox") == ("e1", 2)


# --- acks and since ---------------------------------------------------------------------------

def test_recovered_true_keeps_the_since_position_so_the_replay_is_delivered():
    t = StreamTracker({"inbox": {"epoch": "e1", "seq": 41}})
    plan, dropped = t.resubscribe_plan(["inbox"])
    assert plan == [("inbox", {"inbox": {"epoch": "e1", "seq": 41}})] and dropped == []
    gaps = t.apply_ack({"inbox": {"epoch": "e1", "seq": 57, "recovered": True}}, plan[0][1])
    assert gaps == []
    events, gap = t.accept_batch(batch("inbox", *range(42, 58)))
    assert not gap and [e["seq"] for e in events] == list(range(42, 58))


def test_recovered_false_is_a_gap_and_continues_from_the_ack():
    t = StreamTracker({"inbox": {"epoch": "old", "seq": 41}})
    gaps = t.apply_ack({"inbox": {"epoch": "new", "seq": 3, "recovered": False}}, {"inbox": {"epoch": "old", "seq": 41}})
    assert gaps == ["inbox"]
    assert t.position("inbox") == ("new", 3)
    events, gap = t.accept_batch(batch("inbox", 4))
    assert not gap and [e["seq"] for e in events] == [4]


def test_wildcard_ack_entry_is_ignored_and_malformed_entries_skipped():
    t = StreamTracker()
    gaps = t.apply_ack({"conversation.*": {"wildcard": True}, "x": {"epoch": 1, "seq": 2}, "y": "z"}, {})
    assert gaps == [] and t.positions() == {}
    assert t.apply_ack(["not", "an", "object"], {}) == []


def test_unknown_epoch_is_sent_as_placeholder_only_on_reconnect():
    t = StreamTracker()
    t.accept_batch(batch("conversation.7", 3))
    plan, _ = t.resubscribe_plan(["conversation.*"])
    assert plan == [("conversation.*", {"conversation.7": {"epoch": UNKNOWN_EPOCH, "seq": 3}})]
    plan, _ = t.resubscribe_plan(["conversation.*"], include_unknown=False)
    assert plan == [("conversation.*", {})]


def test_each_topic_goes_under_the_first_matching_pattern_only():
    t = StreamTracker({"conversation.1": {"epoch": "a", "seq": 1}, "inbox": {"epoch": "b", "seq": 2}})
    plan, _ = t.resubscribe_plan(["conversation.*", "conversation.1", "inbox"])
    assert plan == [("conversation.*", {"conversation.1": {"epoch": "a", "seq": 1}}),
                    ("conversation.1", {}), ("inbox", {"inbox": {"epoch": "b", "seq": 2}})]


def test_since_is_capped_and_the_least_recent_topics_become_gaps():
    t = StreamTracker()
    for i in range(5):
        t.apply_ack({f"c.{i}": {"epoch": "e", "seq": 1}}, {})
    t.accept_batch(batch("c.0", 2))  # c.0 is now the most recent
    plan, dropped = t.resubscribe_plan(["c.*"], limit=2)
    assert set(plan[0][1]) == {"c.0", "c.4"}
    assert sorted(dropped) == ["c.1", "c.2", "c.3"]
    assert t.position("c.1") is None


def test_ack_without_since_for_a_topic_seen_behind_is_a_gap():
    t = StreamTracker()
    t.accept_batch(batch("conversation.7", 3))
    assert t.apply_ack({"conversation.7": {"epoch": "e", "seq": 3}}, {}) == []
    assert t.position("conversation.7") == ("e", 3)
    assert t.apply_ack({"conversation.7": {"epoch": "e", "seq": 5}}, {}) == ["conversation.7"]
    assert t.apply_ack({"conversation.7": {"epoch": "f", "seq": 5}}, {}) == ["conversation.7"]


def test_forget_unmatched_drops_positions_of_unsubscribed_topics():
    t = StreamTracker({"inbox": {"epoch": "a", "seq": 1}, "conversation.2": {"epoch": "b", "seq": 2}})
    t.forget_unmatched(["conversation.*"])
    assert list(t.positions()) == ["conversation.2"]


def test_restored_positions_ignore_malformed_entries():
    t = StreamTracker({"inbox": {"epoch": "a", "seq": 1}, "x": {"epoch": "a"}, "y": 5, "z": {"epoch": 1, "seq": 1}})
    assert t.positions() == {"inbox": {"epoch": "a", "seq": 1}}


# --- backoff ----------------------------------------------------------------------------------

def test_backoff_is_full_jitter_between_zero_and_the_capped_exponential():
    assert backoff_delay(0, rand=lambda: 1.0) == 0.25
    assert backoff_delay(3, rand=lambda: 1.0) == 2.0
    assert backoff_delay(6, rand=lambda: 1.0) == 10.0
    assert backoff_delay(10_000, rand=lambda: 1.0) == 10.0
    assert backoff_delay(5, rand=lambda: 0.0) == 0.0
    assert backoff_delay(-3, rand=lambda: 1.0) == 0.25
    for attempt in range(20):
        d = backoff_delay(attempt)
        assert 0.0 <= d <= min(10.0, 0.25 * 2 ** attempt)


# --- CLI --------------------------------------------------------------------------------------

def test_tail_line_has_exactly_the_documented_members():
    line = event_line({"topic": "inbox", "seq": 1, "type": "t", "ts": 5, "data": {"a": "é"}, "meta": {"x": 1}})
    assert line == '{"topic":"inbox","seq":1,"type":"t","ts":5,"data":{"a":"é"}}'


def test_tail_arguments():
    args = parse_args(["inbox", "conversation.*", "--token", "T", "--since-file", "/tmp/f"])
    assert args.topics == ["inbox", "conversation.*"] and args.token == "T" and args.since_file == "/tmp/f"
    assert parse_args(["inbox"]).url == "ws://127.0.0.1:8080/ws"
