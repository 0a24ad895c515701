"""`switchboard-tail TOPIC...`: prints every event of the topics as one JSON line on stdout (gap
notices on stderr), resuming from a since-file when given. Ctrl-C exits cleanly (status 0)."""
import argparse
import asyncio
import json
import os
import signal
import sys

from .client import Client
from .errors import SwitchboardError

DEFAULT_URL = "ws://127.0.0.1:8080/ws"


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="switchboard-tail", description=__doc__)
    parser.add_argument("topics", nargs="+", metavar="TOPIC", help="topic or pattern (prefix.*)")
    parser.add_argument("--url", default=DEFAULT_URL, help=f"WebSocket URL (default {DEFAULT_URL})")
    parser.add_argument("--token", default=None, help="access token (default: env SWITCHBOARD_TOKEN)")
    parser.add_argument("--since-file", default=None,
                        help="JSON file of positions: read at start to resume, rewritten at exit")
    return parser.parse_args(argv)


def event_line(event):
    """The stdout line for one event: compact JSON with topic, seq, type, ts, data."""
    return json.dumps({k: event.get(k) for k in ("topic", "seq", "type", "ts", "data")},
                      separators=(",", ":"), ensure_ascii=False)


def load_since(path):
    """Positions from a since-file; a missing or unreadable file means "start from now"."""
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        print(f"switchboard-tail: ignoring since-file {path}: {e}", file=sys.stderr)
        return None
    return data if isinstance(data, dict) else None


def save_since(path, positions):
    """Written to a temporary file and renamed, so a crash never leaves half a file."""
    if not path:
        return
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(positions, f, separators=(",", ":"))
    os.replace(tmp, path)


async def run(args, out=sys.stdout, err=sys.stderr):
    token = args.token or os.environ.get("SWITCHBOARD_TOKEN")
    if not token:
        print("switchboard-tail: no token (use --token or SWITCHBOARD_TOKEN)", file=err)
        return 2

    def on_event(event):
        out.write(event_line(event) + "\n")
        out.flush()

    def on_gap(topic):
        print(json.dumps({"gap": topic, "message": "events may be missing; reload this topic's state"}),
              file=err, flush=True)

    client = Client(args.url, token, on_gap=on_gap, since=load_since(args.since_file))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    status = 0
    try:
        await client.connect()
        for topic in args.topics:
            await client.subscribe(topic, on_event)
        # A quiet stream prints nothing on stdout: say on stderr that we are live, so waiting
        # for the first event does not look like a hang.
        print(f"switchboard-tail: connected, subscribed to {', '.join(args.topics)} ({args.url})", file=err, flush=True)
        stopped = asyncio.create_task(client.wait_stopped())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({stopped, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if client.fatal_error is not None:
            print(f"switchboard-tail: {client.fatal_error}", file=err)
            status = 1
    except (SwitchboardError, OSError) as e:
        print(f"switchboard-tail: {e}", file=err)
        status = 1
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await client.close()
        save_since(args.since_file, client.positions())
    return status


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
