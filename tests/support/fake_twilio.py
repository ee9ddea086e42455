"""A local HTTP server that speaks Twilio's Messages and Calls API (2010-04-01) for the real twilio client.

It records every request, creates Twilio-shaped message and call resources, lists them newest first, checks
a call's answering-machine detection parameters as Twilio does (21234 for a value it does not take), and
can answer an error on demand for a given number (21610, 21211, 21614, 30006, 30003 as a 400 with that
code, or 500), or hold a request open until the test lets it go (to kill a worker mid-request).
"""

from __future__ import annotations

import base64
import email.utils
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

ERROR_MESSAGES = {
    21610: "Attempt to send to unsubscribed recipient",
    21211: "The 'To' number is not a valid phone number.",
    21614: "'To' number is not a valid mobile number",
    30006: "Landline or unreachable carrier",
    30003: "Unreachable destination handset",
    21234: "Invalid Machine Detection configuration value",
}
MACHINE_DETECTION = ("Enable", "DetectMessageEnd")
MACHINE_DETECTION_TIMEOUT = range(3, 60)  # seconds


@dataclass
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    form: dict[str, list[str]]
    query: dict[str, list[str]]
    account: str | None
    at: float = field(default_factory=time.time)

    def value(self, name: str) -> str | None:
        values = self.form.get(name) or self.query.get(name)
        return values[0] if values else None


@dataclass
class Hold:
    """Keep requests to a number waiting (after creating the resource, or before) until released."""

    after_create: bool
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


def _rfc2822(instant: float) -> str:
    return email.utils.formatdate(instant, usegmt=True)


class FakeTwilio:
    """Start with `FakeTwilio().start()`; `base_url` goes into TWILIO_API_BASE_URL."""

    def __init__(self, account_sid: str = "AC" + "0" * 32, auth_token: str = "test-token"):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.requests: list[Recorded] = []
        self.messages: list[dict] = []
        self.calls: list[dict] = []
        self._failures: dict[str, list[int]] = {}  # number -> codes to answer, one per request
        self._holds: dict[str, Hold] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = (
                True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
            )

            def log_message(self, *args):  # keep the test output quiet
                pass

            def do_GET(self):
                fake._handle(self, "GET")

            def do_POST(self):
                fake._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        for hold in self._holds.values():
            hold.release.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def fail(self, number: str, code: int, times: int = 1) -> None:
        """Answer the next `times` create requests to this number with this error (500 for a server error)."""
        with self._lock:
            self._failures.setdefault(number, []).extend([code] * times)

    def hold(self, number: str, after_create: bool = True) -> Hold:
        """Keep the next create request to this number open until `hold.release` is set."""
        hold = Hold(after_create=after_create)
        with self._lock:
            self._holds[number] = hold
        return hold

    def set_status(self, sid: str, status: str, error_code: int | None = None) -> None:
        """Change a resource's status as Twilio would after delivery."""
        with self._lock:
            for resource in self.messages + self.calls:
                if resource["sid"] == sid:
                    resource["status"] = status
                    resource["error_code"] = error_code

    def creates(self, kind: str = "Messages", to: str | None = None) -> list[Recorded]:
        """The create requests received, optionally for one number."""
        return [
            r
            for r in self.requests
            if r.method == "POST" and r.path.endswith(f"/{kind}.json") and (to is None or r.value("To") == to)
        ]

    def answer_call(self, sid: str, answered_by: str) -> None:
        """Who picked up a call placed with MachineDetection, as the call resource then shows it."""
        with self._lock:
            for call in self.calls:
                if call["sid"] == sid:
                    call["answered_by"] = answered_by

    def messages_to(self, number: str) -> list[dict]:
        return [m for m in self.messages if m["to"] == number]

    def calls_to(self, number: str) -> list[dict]:
        return [c for c in self.calls if c["to"] == number]

    # -- the API -------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlparse(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length).decode("utf-8") if length else ""
        form = parse_qs(raw, keep_blank_values=True)
        query = parse_qs(url.query, keep_blank_values=True)
        account = self._account(handler.headers.get("Authorization", ""))
        recorded = Recorded(method, url.path, form, query, account)
        with self._lock:
            self.requests.append(recorded)
        prefix = f"/2010-04-01/Accounts/{self.account_sid}/"
        if account != self.account_sid:
            return self._reply(handler, 401, self._error(20003, "Authenticate", 401))
        if not url.path.startswith(prefix):
            return self._reply(handler, 404, self._error(20404, "The requested resource was not found", 404))
        resource = url.path[len(prefix) :]
        if resource in ("Messages.json", "Calls.json"):
            kind = resource[: -len(".json")]
            if method == "GET":
                return self._reply(handler, 200, self._list(kind, query))
            return self._create(handler, kind, recorded)
        return self._reply(handler, 404, self._error(20404, "The requested resource was not found", 404))

    def _account(self, header: str) -> str | None:
        if not header.startswith("Basic "):
            return None
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user if password == self.auth_token else None

    def _create(self, handler, kind: str, recorded: Recorded) -> None:
        to = recorded.value("To") or ""
        with self._lock:
            pending = self._failures.get(to)
            code = pending.pop(0) if pending else None
            hold = self._holds.pop(to, None)
        if hold and not hold.after_create:
            hold.arrived.set()
            hold.release.wait(30)
        if code == 500:
            return self._reply(handler, 500, self._error(20500, "Internal Server Error", 500))
        if code is None and kind == "Calls" and not self._detection_ok(recorded):
            code = 21234
        if code is not None:
            return self._reply(handler, 400, self._error(code, ERROR_MESSAGES.get(code, "Error"), 400))
        now = time.time()
        base = {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "date_created": _rfc2822(now),
            "date_updated": _rfc2822(now),
            "to": to,
            "from": recorded.value("From"),
            "status": "queued",
            "price": None,
            "price_unit": "USD",
        }
        if kind == "Messages":
            sid = "SM" + uuid.uuid4().hex
            resource = base | {
                "sid": sid,
                "body": recorded.value("Body") or "",
                "direction": "outbound-api",
                "date_sent": None,
                "error_code": None,
                "error_message": None,
                "messaging_service_sid": None,
                "num_media": "0",
                "num_segments": "1",
                "subresource_uris": {
                    "media": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}/Media.json"
                },
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            }
            store = self.messages
        else:
            sid = "CA" + uuid.uuid4().hex
            resource = base | {
                "sid": sid,
                "direction": "outbound-api",
                "answered_by": None,
                "caller_name": None,
                "duration": None,
                "start_time": None,
                "end_time": None,
                "forwarded_from": None,
                "parent_call_sid": None,
                "phone_number_sid": None,
                "queue_time": "0",
                "to_formatted": to,
                "from_formatted": recorded.value("From"),
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Calls/{sid}.json",
                "subresource_uris": {},
            }
            store = self.calls
        with self._lock:
            store.append(resource)
        if hold and hold.after_create:
            hold.arrived.set()
            hold.release.wait(30)
        self._reply(handler, 201, resource)

    @staticmethod
    def _detection_ok(recorded: Recorded) -> bool:
        """MachineDetection is Enable or DetectMessageEnd; its timeout, when given, 3 to 59 seconds."""
        detection = recorded.value("MachineDetection")
        timeout = recorded.value("MachineDetectionTimeout")
        if detection is None:
            return timeout is None
        if detection not in MACHINE_DETECTION:
            return False
        return timeout is None or (timeout.isdigit() and int(timeout) in MACHINE_DETECTION_TIMEOUT)

    def _list(self, kind: str, query: dict[str, list[str]]) -> dict:
        store = self.messages if kind == "Messages" else self.calls
        with self._lock:
            found = list(reversed(store))  # newest first, as Twilio lists them
        if query.get("To"):
            found = [r for r in found if r["to"] == query["To"][0]]
        if query.get("From"):
            found = [r for r in found if r["from"] == query["From"][0]]
        size = int((query.get("PageSize") or ["50"])[0])
        page = found[:size]
        uri = f"/2010-04-01/Accounts/{self.account_sid}/{kind}.json"
        return {
            kind.lower(): page,
            "end": max(len(page) - 1, 0),
            "first_page_uri": f"{uri}?PageSize={size}&Page=0",
            "next_page_uri": None,
            "page": 0,
            "page_size": size,
            "previous_page_uri": None,
            "start": 0,
            "uri": f"{uri}?PageSize={size}&Page=0",
        }

    @staticmethod
    def _error(code: int, message: str, status: int) -> dict:
        return {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }

    @staticmethod
    def _reply(handler, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client died while we held the request
            pass
