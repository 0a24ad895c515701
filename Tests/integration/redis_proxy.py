"""A loopback TCP proxy in front of a throwaway redis-server, for faults Redis itself cannot
make: `drop_after(marker)` lets the next command chunk that contains `marker` reach Redis, waits
for Redis to answer it (so the command did run), then closes that client connection without
passing the answer on. The node sees a drop with its command's outcome unknown."""
import socket
import threading
import time

from conftest import free_port


class RedisProxy:
    def __init__(self, redis_port):
        self.redis_port = redis_port
        self.port = free_port()
        self.lock = threading.Lock()
        self.marker = None
        self.dropped = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.listener.settimeout(0.2)
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def drop_after(self, marker: bytes):
        with self.lock:
            self.marker = marker
            self.dropped.clear()

    def _accept(self):
        while self.running:
            try:
                client, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            pair = _Pair(client, socket.create_connection(("127.0.0.1", self.redis_port)))
            for target in (self._client_to_redis, self._redis_to_client):
                threading.Thread(target=target, args=(pair,), daemon=True).start()

    def _client_to_redis(self, pair):
        try:
            while True:
                data = pair.client.recv(65536)
                if not data:
                    break
                with self.lock:
                    trip = self.marker is not None and self.marker in data
                    if trip:
                        self.marker = None
                        pair.muted = True  # the reader thread passes nothing on from now
                pair.upstream.sendall(data)
                if trip:
                    time.sleep(0.3)  # Redis runs the command and answers; the answer goes nowhere
                    pair.close()
                    self.dropped.set()
                    return
        except OSError:
            pass
        pair.close()

    def _redis_to_client(self, pair):
        try:
            while True:
                data = pair.upstream.recv(65536)
                if not data:
                    break
                with self.lock:
                    if pair.muted:
                        continue
                pair.client.sendall(data)
        except OSError:
            pass
        pair.close()

    def stop(self):
        self.running = False
        self.listener.close()


class _Pair:
    def __init__(self, client, upstream):
        self.client, self.upstream, self.muted = client, upstream, False

    def close(self):
        for s in (self.client, self.upstream):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
