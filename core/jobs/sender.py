"""Outbound SMS and calls through Twilio's REST API: the only module that imports the REST client."""

from __future__ import annotations

import datetime as dt
import logging

import requests
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.rest.api.v2010.account import call as _calls  # noqa: F401  loaded up front, not on first send
from twilio.rest.api.v2010.account import message as _messages  # noqa: F401

from core.config import Config
from core.twilio_errors import TRANSIENT_SEND, error_code

log = logging.getLogger(__name__)

HTTP_TIMEOUT_SECONDS = 10.0
LOOKBACK_RECORDS = 50  # how far back a crash-recovery lookup reads the number's recent messages or calls

FAILED_REMOTE_STATUSES = {"failed", "undelivered", "canceled", "busy", "no-answer"}
# Answering-machine detection on every call we place (see voicebot/voicemail.py): Twilio fetches the call's
# URL once it knows who answered and, for a machine, only after its greeting ended (DetectMessageEnd), so
# a voicemail left then is recorded whole. A long greeting needs longer than the default 30 s to end.
MACHINE_DETECTION = "DetectMessageEnd"
MACHINE_DETECTION_TIMEOUT = 45


class SendError(Exception):
    """Twilio did not take the message; `code` is Twilio's error code when it gave one."""

    def __init__(self, message: str, code: int | None = None, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.status = status


class TransientSendError(SendError):
    """Worth trying again later: network trouble, Twilio 5xx, rate limits, an unreachable handset."""


class PermanentSendError(SendError):
    """Trying again will not help: opted out, invalid or landline number, a refused request."""


def _classify(exc: Exception) -> SendError:
    if isinstance(exc, requests.RequestException):
        return TransientSendError(f"network: {exc.__class__.__name__}")
    code = error_code(getattr(exc, "code", None))
    status = getattr(exc, "status", None)
    message = str(getattr(exc, "msg", None) or getattr(exc, "detail", None) or exc)[:200]
    if code in TRANSIENT_SEND or status is None or status >= 500 or status == 429:
        return TransientSendError(message, code, status)
    return PermanentSendError(message, code, status)


class Sender:
    """Twilio's REST client pointed at the configured API base URL (a local fake in tests)."""

    def __init__(self, config: Config, timeout: float = HTTP_TIMEOUT_SECONDS):
        self.client = Client(
            config.twilio_account_sid,
            config.twilio_auth_token,
            http_client=TwilioHttpClient(timeout=timeout),
        )
        # Every API domain keeps its base URL in a public attribute; Messages and Calls live on `api`.
        self.client.api.base_url = config.twilio_api_base_url

    def send_sms(self, to: str, from_: str, body: str, status_callback: str | None) -> str:
        """Create a message; returns its sid."""
        try:
            message = self.client.messages.create(
                to=to,
                from_=from_,
                body=body,
                **({"status_callback": status_callback} if status_callback else {}),
            )
        except (TwilioException, requests.RequestException) as exc:
            raise _classify(exc) from exc
        return message.sid

    def place_call(
        self,
        to: str,
        from_: str,
        url: str,
        status_callback: str | None,
        machine_detection: str | None = MACHINE_DETECTION,
    ) -> str:
        """Create an outbound call that fetches its TwiML from `url`; returns its sid.

        With `machine_detection`, `url` is asked with `AnsweredBy` (human, machine_end_beep, fax, unknown…).
        """
        extra = {}
        if status_callback:
            extra = {
                "status_callback": status_callback,
                "status_callback_event": ["completed"],
                "status_callback_method": "POST",
            }
        if machine_detection:
            extra["machine_detection"] = machine_detection
            extra["machine_detection_timeout"] = MACHINE_DETECTION_TIMEOUT
        try:
            call = self.client.calls.create(to=to, from_=from_, url=url, method="POST", **extra)
        except (TwilioException, requests.RequestException) as exc:
            raise _classify(exc) from exc
        return call.sid

    def find_sms(self, to: str, from_: str, body: str, since: dt.datetime, exclude: set[str]) -> str | None:
        """A message an earlier attempt got accepted: same number, sender and text, created since then."""
        try:
            recent = self.client.messages.list(to=to, from_=from_, limit=LOOKBACK_RECORDS)
        except (TwilioException, requests.RequestException) as exc:
            raise _classify(exc) from exc
        for message in recent:
            if (
                message.sid not in exclude
                and message.body == body
                and message.status not in FAILED_REMOTE_STATUSES
                and (message.date_created is None or message.date_created >= since)
            ):
                return message.sid
        return None

    def find_call(self, to: str, from_: str, since: dt.datetime, exclude: set[str]) -> str | None:
        """A call an earlier attempt got accepted: same number and caller, created since then."""
        try:
            recent = self.client.calls.list(to=to, from_=from_, limit=LOOKBACK_RECORDS)
        except (TwilioException, requests.RequestException) as exc:
            raise _classify(exc) from exc
        for call in recent:
            if call.sid not in exclude and (call.date_created is None or call.date_created >= since):
                return call.sid
        return None
