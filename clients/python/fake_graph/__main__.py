"""python -m fake_graph --port P --token TOKEN [--webhook-url URL --app-secret S]"""
import argparse
import sys

from .server import FakeGraph


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="fake_graph", description="A fake WhatsApp Cloud (Graph) API on loopback.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8090)
    p.add_argument("--token", required=True, help="the access token clients must send as Bearer")
    p.add_argument("--webhook-url", help="post signed status webhooks (sent, delivered, read) here")
    p.add_argument("--app-secret", help="HMAC key for X-Hub-Signature-256 (needed with --webhook-url)")
    p.add_argument("--status-delay-ms", type=int, default=50, help="pause before each status webhook")
    args = p.parse_args(argv)
    if bool(args.webhook_url) != bool(args.app_secret):
        p.error("--webhook-url and --app-secret go together")
    return args


def main(argv=None):
    args = parse_args(argv)
    fake = FakeGraph(args.token, host=args.host, port=args.port, webhook_url=args.webhook_url,
                     app_secret=args.app_secret, status_delay_ms=args.status_delay_ms)
    print("fake_graph listening on %s" % fake.url, file=sys.stderr, flush=True)
    try:
        fake.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stopping.set()
        fake.httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
