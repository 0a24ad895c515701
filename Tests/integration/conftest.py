"""Starts the real switchboard binary on a free loopback port for integration tests."""
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

BIN = os.environ.get("SWITCHBOARD_BIN", os.path.abspath(".build/release/switchboard"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class ServerProcess:
    def __init__(self, env=None, args=None, data_dir=None, preexec=None):
        self.port = free_port()
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="sb-test-")
        self.env = dict(os.environ)
        self.env.update({"SWITCHBOARD_LOG_FORMAT": "json"})
        self.env.update(env or {})
        self.args = args or []
        self.preexec = preexec
        self.proc = None
        self.log_path = os.path.join(self.data_dir, "server.log")

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self):
        return f"ws://127.0.0.1:{self.port}"

    def start(self, wait=True):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", self.data_dir] + self.args,
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=self.preexec)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.logs()[-2000:]}")
            try:
                with urllib.request.urlopen(self.base + "/health/live", timeout=1) as r:
                    if r.status == 200:
                        return
            except Exception:
                time.sleep(0.05)
        raise RuntimeError("server did not become ready: " + self.logs()[-2000:])

    def logs(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def logs_with(self, *needles, timeout=10):
        """The output once it holds every needle: the first-start tokens are written to stdout
        just after the listener accepts, so a test that reads right after start() can race them."""
        deadline = time.time() + timeout
        while True:
            out = self.logs()
            if all(n in out for n in needles) or time.time() > deadline:
                return out
            time.sleep(0.05)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def server_factory():
    started = []

    def make(**kw):
        s = ServerProcess(**kw)
        started.append(s)
        return s

    yield make
    for s in started:
        s.stop(signal.SIGKILL if s.proc and s.proc.poll() is None else signal.SIGTERM)


@pytest.fixture(scope="module")
def server():
    s = ServerProcess(args=["--echo-path", "/echo"], env={"SWITCHBOARD_CORS_ORIGINS": "http://app.example"}).start()
    yield s
    s.stop()


def raw_exchange(port, data, read_timeout=2.0, until_close=False):
    """Sends raw bytes and returns what the server answered (until close or quiet)."""
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(read_timeout)
    s.sendall(data)
    chunks = []
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
            if not until_close and b"\r\n\r\n" in b"".join(chunks):
                # read a little more for bodies
                s.settimeout(0.3)
    except socket.timeout:
        pass
    s.close()
    return b"".join(chunks)


# --- PostgreSQL backend (issue 10) ---------------------------------------------------------
# With SWITCHBOARD_IT_BACKEND=postgres (and SWITCHBOARD_TEST_DATABASE_URL from
# scripts/with-postgres.sh), every server the tests start uses PostgreSQL instead of SQLite: a
# schema of its own per data dir (so a restart on the same data dir finds its data again, and
# servers never see each other's rows unless a test shares a schema on purpose).
PG_BACKEND = os.environ.get("SWITCHBOARD_IT_BACKEND") == "postgres"


def pg_schema_for(data_dir):
    import hashlib
    return "it_" + hashlib.sha1(os.path.realpath(data_dir).encode()).hexdigest()[:16]


_plain_init = ServerProcess.__init__


def _init_with_backend(self, env=None, args=None, data_dir=None, preexec=None):
    _plain_init(self, env=env, args=args, data_dir=data_dir, preexec=preexec)
    if PG_BACKEND and "SWITCHBOARD_DATABASE_URL" not in (env or {}):
        self.env["SWITCHBOARD_DATABASE_URL"] = os.environ["SWITCHBOARD_TEST_DATABASE_URL"]
        self.env.setdefault("SWITCHBOARD_DATABASE_SCHEMA", pg_schema_for(self.data_dir))


ServerProcess.__init__ = _init_with_backend


@pytest.fixture
def pg_url():
    """The throwaway PostgreSQL's URL; tests that need one fail (not skip) under make test."""
    url = os.environ.get("SWITCHBOARD_TEST_DATABASE_URL")
    if not url:
        if os.environ.get("SWITCHBOARD_TEST_REQUIRE_POSTGRES") == "1":
            pytest.fail("SWITCHBOARD_TEST_DATABASE_URL is not set")
        pytest.skip("no PostgreSQL (run under scripts/with-postgres.sh)")
    return url


# test_postgres.py needs a PostgreSQL: without one (a plain pytest run) it is not collected,
# rather than collected and skipped; `make test` runs it under scripts/with-postgres.sh.
collect_ignore = [] if os.environ.get("SWITCHBOARD_TEST_DATABASE_URL") else ["test_postgres.py"]
