"""Twilio-shaped webhook requests for the Flask test client, signed like Twilio signs them, and TwiML parsing.

X-Twilio-Signature is computed with twilio's own RequestValidator over the URL Twilio called (the test
client's http://localhost + path, or PUBLIC_BASE_URL + path) and the POST parameters.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from twilio.request_validator import RequestValidator

from smsbot.segments import segments

ACCOUNT_SID = "AC" + "0" * 32
TEST_CLIENT_BASE = "http://localhost"
_sids = itertools.count(1)


def new_sid(prefix: str = "SM") -> str:
    """A fresh 34-character Twilio-style SID (SM… messages, CA… calls)."""
    return f"{prefix}{next(_sids):032x}"


def sign(url: str, params: dict[str, str], auth_token: str) -> str:
    """The X-Twilio-Signature Twilio would send for this URL and these POST parameters."""
    return RequestValidator(auth_token).compute_signature(url, params)


def signed_post(
    client,
    path: str,
    params: dict[str, str],
    auth_token: str | None,
    *,
    base_url: str = TEST_CLIENT_BASE,
    signature: str | None = None,
    headers: dict[str, str] | None = None,
):
    """POST form parameters with a valid signature (or the one given, or none without a token)."""
    headers = dict(headers or {})
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    elif auth_token:
        headers["X-Twilio-Signature"] = sign(base_url + path, params, auth_token)
    return client.post(path, data=params, headers=headers)


def sms_form(from_: str, to: str, body: str, message_sid: str | None = None, **extra: str) -> dict[str, str]:
    """The form fields of an incoming SMS, as Twilio posts them."""
    sid = message_sid or new_sid("SM")
    form = {
        "ToCountry": "CA",
        "ToState": "QC",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "MONTREAL",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "QC",
        "SmsStatus": "received",
        "FromCity": "MONTREAL",
        "Body": body,
        "FromCountry": "CA",
        "To": to,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": from_,
        "ApiVersion": "2010-04-01",
    }
    form.update(extra)
    return form


def status_form(message_sid: str, status: str, error_code: str | None = None, **extra: str) -> dict[str, str]:
    """The form fields of a message status callback."""
    form = {
        "MessageSid": message_sid,
        "SmsSid": message_sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
    }
    if error_code:
        form["ErrorCode"] = error_code
    form.update(extra)
    return form


def twiml_root(xml: str | bytes) -> ET.Element:
    """The parsed <Response> element (fails on anything else)."""
    root = ET.fromstring(xml)
    assert root.tag == "Response", f"not TwiML: {xml!r}"
    return root


def message_texts(xml: str | bytes) -> list[str]:
    """The text of each <Message> of a MessagingResponse."""
    texts = []
    for message in twiml_root(xml).iter("Message"):
        body = message.find("Body")
        texts.append((body.text if body is not None else message.text) or "")
    return texts


@dataclass
class SmsExchange:
    """One message sent and what came back."""

    sent: str
    status: int
    xml: str
    messages: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """All reply messages as one text ('' when nothing is sent back)."""
        return "\n".join(self.messages)

    @property
    def choices(self) -> list[str]:
        """The numbered choice lines offered ('1) …')."""
        return [
            line for line in self.text.splitlines() if line[:2].rstrip(")").isdigit() and ") " in line[:4]
        ]


class Texter:
    """A patient's phone texting a clinic's Twilio number through the Flask test client."""

    def __init__(
        self,
        client,
        auth_token: str | None,
        from_: str,
        to: str,
        base_url: str = TEST_CLIENT_BASE,
        max_segments: int | None = None,
    ):
        self.client, self.auth_token, self.from_, self.to = client, auth_token, from_, to
        self.base_url, self.max_segments = base_url, max_segments
        self.history: list[SmsExchange] = []

    def send(self, body: str, *, message_sid: str | None = None, **extra: str) -> SmsExchange:
        """Text the clinic; returns the reply."""
        form = sms_form(self.from_, self.to, body, message_sid, **extra)
        response = signed_post(self.client, "/sms", form, self.auth_token, base_url=self.base_url)
        xml = response.get_data(as_text=True)
        exchange = SmsExchange(body, response.status_code, xml, message_texts(xml) if xml else [])
        self.history.append(exchange)
        if self.max_segments is not None:
            for text in exchange.messages:
                count = segments(text)
                assert count.segments <= self.max_segments, f"reply to {body!r} costs {count}: {text!r}"
        return exchange

    __call__ = send
