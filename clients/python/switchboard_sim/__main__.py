"""Command line: python -m switchboard_sim --url URL --secret S [--rate N --duration S --count N ...]

Exit status 0 when every delivery got 200, 1 otherwise, 2 on bad arguments.
"""
import argparse
import json
import sys

from .simulator import Simulator, SimulatorConfig


def _share(text):
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="switchboard_sim", description="Simulate WhatsApp Cloud API webhook deliveries.")
    p.add_argument("--url", required=True, help="webhook URL, e.g. http://127.0.0.1:8080/webhooks/whatsapp")
    p.add_argument("--secret", required=True, help="app secret used to sign bodies (X-Hub-Signature-256)")
    p.add_argument("--rate", type=float, default=100.0, help="deliveries per second, all workers together")
    p.add_argument("--duration", type=float, default=None, help="seconds to run (default 10 when --count is absent)")
    p.add_argument("--count", type=int, default=None, help="stop after this many deliveries")
    p.add_argument("--concurrency", type=int, default=8, help="workers, each with one keep-alive connection")
    p.add_argument("--duplicates", type=_share, default=0.0, help="share of deliveries sent twice")
    p.add_argument("--out-of-order", type=_share, default=0.0, help="share of status chains sent in reverse")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--types", default=None, help="comma-separated message types and/or status names")
    p.add_argument("--report", choices=("text", "json"), default="text")
    p.add_argument("--ledger", default=None, help="append one JSON line per delivery answered 200")
    p.add_argument("--timeout", type=float, default=10.0, help="per-request timeout in seconds")
    args = p.parse_args(argv)
    if args.duration is None and args.count is None:
        args.duration = 10.0
    if (args.count is not None and args.count < 0) or (args.duration is not None and args.duration <= 0):
        p.error("--count must be >= 0 and --duration > 0")
    if args.rate <= 0 or args.concurrency < 1:
        p.error("--rate must be > 0 and --concurrency >= 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    types = [t.strip() for t in args.types.split(",") if t.strip()] if args.types else None
    config = SimulatorConfig(url=args.url, secret=args.secret, rate=args.rate, duration=args.duration,
                             count=args.count, concurrency=args.concurrency, duplicates=args.duplicates,
                             out_of_order=args.out_of_order, seed=args.seed, types=types,
                             ledger=args.ledger, timeout=args.timeout)
    try:
        summary = Simulator(config).run()
    except ValueError as error:
        print("switchboard_sim: %s" % error, file=sys.stderr)
        return 2
    if args.report == "json":
        print(json.dumps(summary.as_dict(), sort_keys=True))
    else:
        print(summary.text())
    return 0 if summary.sent == summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
