"""Posts the status webhooks (sent, delivered, read) that Meta would send after a message is
accepted, signed over the exact bytes like Meta does (reusing switchboard_sim's wire and sign)."""
import os
import sys
import threading
import urllib.error
import urllib.request

try:
    from switchboard_sim import payloads, sign, wire
except ImportError:  # run from a checkout without installing: clients/python is the parent
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    from switchboard_sim import payloads, sign, wire

STATUS_SEQUENCE = ("sent", "delivered", "read")


def status_delivery(wamid, status, recipient_id, phone_number_id) -> bytes:
    """The wire bytes of one delivery carrying one status for `wamid`."""
    return wire.dumps(payloads.envelope([payloads.status(wamid, status, recipient_id)],
                                        phone_number_id=phone_number_id))


class StatusPoster:
    """Posts each status on a background thread, `delay_s` apart; outcomes go to `on_result`
    (status, http status or None, error text or None) so the server can count them."""

    def __init__(self, url, app_secret, delay_s=0.05, timeout_s=5.0, on_result=None, stopping=None):
        self.url = url
        self.app_secret = app_secret
        self.delay_s = delay_s
        self.timeout_s = timeout_s
        self.on_result = on_result or (lambda *_: None)
        self.stopping = stopping or threading.Event()

    def schedule(self, wamid, recipient_id, phone_number_id):
        t = threading.Thread(target=self._run, args=(wamid, recipient_id, phone_number_id), daemon=True)
        t.start()
        return t

    def _run(self, wamid, recipient_id, phone_number_id):
        for status in STATUS_SEQUENCE:
            if self.stopping.wait(self.delay_s):
                return
            body = status_delivery(wamid, status, recipient_id, phone_number_id)
            request = urllib.request.Request(self.url, data=body, method="POST", headers={
                "Content-Type": "application/json",
                sign.HEADER: sign.signature(self.app_secret, body),
            })
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    self.on_result(status, response.status, None)
            except urllib.error.HTTPError as e:
                self.on_result(status, e.code, str(e))
            except (OSError, ValueError) as e:
                self.on_result(status, None, str(e))
