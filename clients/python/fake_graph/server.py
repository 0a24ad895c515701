"""The fake Graph API server: Meta's send and mark-as-read endpoints plus a control API.

Endpoints:
  POST /{version}/{phone_number_id}/messages   send or mark-as-read, like Meta
  POST /_control/faults      queue one fault object or a list of them (see faults.py)
  GET  /_control/faults      the queue
  DELETE /_control/faults    clear the queue
  GET  /_control/requests    every Graph request received: method, path, headers, body, time
  DELETE /_control/requests  forget them
  GET  /_control/stats       counters
The control API needs no token: the fake is a loopback test tool, never exposed.
"""
import json
import re
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import graph_errors
from .faults import Fault, FaultError, FaultQueue
from .webhooks import StatusPoster

MESSAGES_PATH = re.compile(r"^/(v\d+\.\d+)/([^/?#]+)/messages$")
MAX_BODY = 1 << 20


class FakeGraph:
    def __init__(self, token, host="127.0.0.1", port=0, webhook_url=None, app_secret=None,
                 status_delay_ms=50):
        self.token = token
        self.faults = FaultQueue()
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._requests = []
        self._stats = {"requests": 0, "sent": 0, "read": 0, "unauthorized": 0, "invalid": 0,
                       "not_found": 0, "faults_applied": {}, "webhooks_posted": 0, "webhook_failures": 0}
        self._sequence = 0
        self.poster = None
        if webhook_url and app_secret:
            self.poster = StatusPoster(webhook_url, app_secret, delay_s=status_delay_ms / 1000.0,
                                       on_result=self._webhook_result, stopping=self.stopping)
        self.httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self.httpd.daemon_threads = True
        self._thread = None

    @property
    def port(self):
        return self.httpd.server_address[1]

    @property
    def url(self):
        return "http://%s:%d" % (self.httpd.server_address[0], self.port)

    def start(self):
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self):
        self.httpd.serve_forever()

    def stop(self):
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- state shared by handler threads ---

    def record(self, method, path, headers, body):
        with self._lock:
            self._stats["requests"] += 1
            self._requests.append({"method": method, "path": path, "headers": dict(headers),
                                   "body": body.decode("utf-8", "replace"), "time": time.time()})

    def count(self, key, mode=None):
        with self._lock:
            if mode is None:
                self._stats[key] += 1
            else:
                self._stats[key][mode] = self._stats[key].get(mode, 0) + 1

    def requests(self):
        with self._lock:
            return list(self._requests)

    def clear_requests(self):
        with self._lock:
            n = len(self._requests)
            self._requests = []
            return n

    def stats(self):
        with self._lock:
            out = json.loads(json.dumps(self._stats))
        out["faults_queued"] = len(self.faults.snapshot())
        return out

    def new_wamid(self):
        with self._lock:
            self._sequence += 1
            n = self._sequence
        return "wamid.FAKE%s%06d" % (uuid.uuid4().hex.upper()[:16], n)

    def _webhook_result(self, status, http_status, error):
        self.count("webhooks_posted" if error is None and http_status == 200 else "webhook_failures")


def _handler_for(fake):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as Graph does
        # Headers and body go out in two writes; without TCP_NODELAY, Nagle holds the body until
        # the client's delayed ACK (40 ms), which would make every fake call take 40 ms.
        disable_nagle_algorithm = True
        server_version = "fake_graph"

        def log_message(self, *_):
            pass

        # --- plumbing ---

        def _body(self):
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY:
                self.close_connection = True
                return None
            return self.rfile.read(length) if length else b""

        def _json(self, status, obj):
            data = json.dumps(obj).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _drop(self):
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        # --- verbs ---

        def do_GET(self):
            if self.path == "/_control/requests":
                return self._json(200, {"requests": fake.requests()})
            if self.path == "/_control/stats":
                return self._json(200, fake.stats())
            if self.path == "/_control/faults":
                return self._json(200, {"faults": fake.faults.snapshot()})
            self._body()
            status, body = graph_errors.error_body(100, "Unsupported get request")
            self._json(400, body)

        def do_DELETE(self):
            self._body()
            if self.path == "/_control/faults":
                return self._json(200, {"cleared": fake.faults.clear()})
            if self.path == "/_control/requests":
                return self._json(200, {"cleared": fake.clear_requests()})
            self._json(404, {"error": "not_found"})

        def do_POST(self):
            body = self._body()
            if body is None:
                return self._json(413, {"error": "body_too_large"})
            if self.path == "/_control/faults":
                return self._control_faults(body)
            match = MESSAGES_PATH.match(self.path)
            if not match:
                fake.count("not_found")
                _, err = graph_errors.error_body(100, "Unsupported post request")
                return self._json(400, err)
            fake.record("POST", self.path, self.headers.items(), body)
            fault = fake.faults.take()
            if fault is not None:
                fake.count("faults_applied", fault.mode)
                if self._apply(fault):
                    return
            if self.headers.get("Authorization") != "Bearer " + fake.token:
                fake.count("unauthorized")
                _, err = graph_errors.error_body(190)
                return self._json(401, err)
            self._messages(match.group(2), body)

        def _control_faults(self, body):
            try:
                spec = json.loads(body.decode("utf-8"))
                specs = spec if isinstance(spec, list) else [spec]
                faults = [Fault.from_json(s) for s in specs]
            except (ValueError, UnicodeDecodeError) as e:
                return self._json(400, {"error": "invalid_fault", "message": str(e)})
            queued = fake.faults.add(faults)
            self._json(200, {"queued": queued, "faults": fake.faults.snapshot()})

        def _apply(self, fault):
            """Answers per the fault; True when the request is finished, False to go on normally."""
            if fault.mode == "drop":
                self._drop()
                return True
            if fault.mode == "timeout":
                fake.stopping.wait(fault.delay_ms / 1000.0)
                self._drop()
                return True
            if fault.mode == "slow":
                fake.stopping.wait(fault.delay_ms / 1000.0)
                return False
            if fault.delay_ms:
                fake.stopping.wait(fault.delay_ms / 1000.0)
            if fault.mode == "http500":
                self._json(fault.status or 500, graph_errors.server_error_body())
                return True
            status, err = graph_errors.error_body(fault.code)
            self._json(fault.status or status, err)
            return True

        def _messages(self, phone_number_id, raw):
            try:
                body = json.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                body = None
            problem = _invalid_param(body)
            if problem:
                fake.count("invalid")
                _, err = graph_errors.error_body(100, details=problem)
                return self._json(400, err)
            if body.get("status") == "read":
                fake.count("read")
                return self._json(200, {"success": True})
            wamid = fake.new_wamid()
            to = body["to"]
            fake.count("sent")
            self._json(200, {"messaging_product": "whatsapp",
                             "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
                             "messages": [{"id": wamid}]})
            if fake.poster is not None:
                fake.poster.schedule(wamid, to.lstrip("+"), phone_number_id)

    return Handler


def _invalid_param(body):
    """A minimal version of Graph's checks; returns the problem, or None for a usable body."""
    if not isinstance(body, dict):
        return "The request body must be a JSON object"
    if body.get("messaging_product") != "whatsapp":
        return "Param messaging_product must be 'whatsapp'"
    if body.get("status") is not None:
        if body.get("status") != "read":
            return "Param status must be 'read'"
        if not isinstance(body.get("message_id"), str) or not body["message_id"]:
            return "Param message_id is required"
        return None
    to = body.get("to")
    if not isinstance(to, str) or not to.lstrip("+").isdigit():
        return "Param to must be a phone number"
    type_ = body.get("type", "text")
    if not isinstance(type_, str) or not isinstance(body.get(type_), dict):
        return "Param %s must be an object" % type_
    if type_ == "text" and (not isinstance(body["text"].get("body"), str) or not body["text"]["body"]):
        return "Param text['body'] is required"
    return None
