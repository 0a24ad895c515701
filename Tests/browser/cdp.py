"""A headless Chromium page driven over the DevTools protocol, for the console's browser tests and
its bench script: navigate, evaluate, wait for a condition, press keys, size the viewport,
screenshot, and collect what would show in the browser console (exceptions, console.error and
warnings, the browser's own error log entries) and the bytes the network transferred.

Chromium runs in its own process group and is stopped by pid when the `with` block ends.
"""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

from browser_support import stop_group

CHROMIUM = os.environ.get("CHROMIUM_BIN", shutil.which("chromium") or "/usr/bin/chromium")


class Chromium:
    """One headless Chromium; `page()` opens tabs in it (each its own DevTools session)."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="sb-console-chromium-")
        self.proc = None
        self.port = None

    def __enter__(self):
        args = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", f"--user-data-dir={self.profile}",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                "--disable-backgrounding-occluded-windows", "--window-size=1280,800", "about:blank"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + 30
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if time.time() > deadline or self.proc.poll() is not None:
                stop_group(self.proc)
                raise AssertionError("Chromium did not open its DevTools port")
            time.sleep(0.1)
        self.port = int(open(port_file).read().split()[0])
        return self

    def __exit__(self, *exc):
        stop_group(self.proc)
        shutil.rmtree(self.profile, ignore_errors=True)

    def page(self):
        """A new tab showing about:blank, ready to `navigate`."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/json/new?about:blank", method="PUT")
        with urllib.request.urlopen(request, timeout=10) as r:
            target = json.loads(r.read())
        return Page(target["webSocketDebuggerUrl"], target["id"], self.port)


class Page:
    def __init__(self, ws_url, target_id, port):
        from websockets.sync.client import connect
        self.target_id = target_id
        self.port = port
        self.ws = connect(ws_url, open_timeout=10, max_size=None)
        self.next_id = 0
        self.problems = []  # what the browser console would show as errors or warnings
        self.network_errors = []  # failed HTTP answers the browser logs (4xx/5xx), kept apart
        self.encoded_bytes = 0  # bytes the network transferred since the last navigate
        self.requests = {}
        for domain in ("Runtime", "Log", "Network", "Page"):
            self.call(f"{domain}.enable")

    def close(self):
        try:
            self.ws.close()
        finally:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/close/{self.target_id}", timeout=5).read()
            except OSError:
                pass

    # --- protocol plumbing -------------------------------------------------------------------

    def call(self, method, params=None, timeout=15):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params or {}}))
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError(f"no answer to {method} within {timeout}s")
            message = json.loads(self.ws.recv(timeout=left))
            if message.get("id") == my_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._event(message)

    def pump(self, seconds=0.0):
        """Handles the events that arrived (waiting up to `seconds` for more)."""
        deadline = time.time() + seconds
        while True:
            try:
                message = json.loads(self.ws.recv(timeout=max(0.0, deadline - time.time())))
            except TimeoutError:
                return
            self._event(message)

    def _event(self, message):
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = params.get("exceptionDetails", {})
            self.problems.append("exception: " + (d.get("exception", {}).get("description") or d.get("text", "")))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            self.problems.append(f"console.{params['type']}: {text}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") in ("error", "warning"):
            entry = params["entry"]
            target = self.network_errors if entry.get("source") == "network" else self.problems
            target.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".strip())
        elif method == "Network.loadingFinished":
            self.encoded_bytes += int(params.get("encodedDataLength", 0))
        elif method == "Network.webSocketCreated":
            self.requests[params.get("requestId")] = params.get("url")

    # --- what the tests use --------------------------------------------------------------------

    def navigate(self, url):
        self.encoded_bytes = 0
        self.call("Page.navigate", {"url": url})

    def evaluate(self, expression, await_promise=False):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": await_promise})
        if "exceptionDetails" in result:
            raise AssertionError(f"evaluating {expression!r}: {result['exceptionDetails'].get('text')}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression, timeout=20, what=None):
        deadline = time.time() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.time() > deadline:
                raise AssertionError(f"page never satisfied {what or expression} within {timeout}s; "
                                     f"problems: {self.problems}; text: {self.text('body')[:1500]!r}")
            self.pump(0.1)

    def text(self, selector):
        return self.evaluate(f"document.querySelector({json.dumps(selector)})?.innerText ?? ''") or ""

    def visible(self, selector):
        return bool(self.evaluate(f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
                                  f" return !!e && !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length); }})()"))

    def type_text(self, text):
        self.call("Input.insertText", {"text": text})

    def press(self, key):
        """A real key press (Enter, Tab, ...) as the keyboard sends it, to the focused element."""
        codes = {"Enter": 13, "Tab": 9, "Space": 32}
        text = {"Enter": "\r", "Space": " "}.get(key, "")
        base = {"key": " " if key == "Space" else key, "code": key, "windowsVirtualKeyCode": codes.get(key, 0)}
        self.call("Input.dispatchKeyEvent", {"type": "keyDown", **base, **({"text": text} if text else {})})
        self.call("Input.dispatchKeyEvent", {"type": "keyUp", **base})

    def viewport(self, width, height, mobile=False):
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})

    def screenshot(self, path, full_page=False):
        params = {"format": "png"}
        if full_page:
            size = self.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params.update({"captureBeyondViewport": True,
                           "clip": {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}})
        data = self.call("Page.captureScreenshot", params, timeout=30)["data"]
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path
