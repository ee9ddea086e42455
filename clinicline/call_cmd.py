"""`clinicline call`: a terminal phone that calls a running clinicline server the way Twilio would."""

from __future__ import annotations

import re
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from urllib.parse import urljoin, urlsplit

import click
import requests
from twilio.request_validator import RequestValidator

from core.config import Config
from core.services.patients import TWILIO_ANONYMOUS, is_hidden_caller_id

KEYS = re.compile(r"^[0-9*#]+$")
MAX_REQUESTS = 300  # a call that goes on longer than this is a loop


class Phone:
    """One call: posts Twilio-shaped webhooks, follows the TwiML, talks to the terminal."""

    def __init__(self, base_url: str, params: dict[str, str], config: Config, dial_status: str, out, stdin):
        self.base_url = base_url.rstrip("/")
        self.params = params
        self.config = config
        self.dial_status = dial_status
        self.out = out
        self.stdin = stdin
        self.session = requests.Session()
        self.requests = 0
        self.started = time.monotonic()

    def _signed_url(self, url: str) -> str:
        """The URL Twilio would have signed: the server's public base URL when it has one."""
        if not self.config.public_base_url:
            return url
        parts = urlsplit(url)
        return self.config.public_base_url + parts.path + (f"?{parts.query}" if parts.query else "")

    def post(self, url: str, extra: dict[str, str]) -> tuple[str, ET.Element | None]:
        """One webhook; returns the document URL and its parsed <Response> (None when the call must end)."""
        self.requests += 1
        if self.requests > MAX_REQUESTS:
            self.out(f"[stopped after {MAX_REQUESTS} requests: the call goes round in circles]")
            return url, None
        data = dict(self.params, **extra)
        headers = {}
        if self.config.twilio_auth_token:
            validator = RequestValidator(self.config.twilio_auth_token)
            headers["X-Twilio-Signature"] = validator.compute_signature(self._signed_url(url), data)
        try:
            response = self.session.post(url, data=data, headers=headers, timeout=15)
        except requests.RequestException as exc:
            raise click.ClickException(f"cannot reach {url}: {exc}") from exc
        if response.status_code != 200:
            self.out(f"[HTTP {response.status_code} from {urlsplit(url).path}: the call drops]")
            return url, None
        try:
            root = ET.fromstring(response.content)
        except ET.ParseError:
            self.out("[the answer is not TwiML: the call drops]")
            return url, None
        return url, root

    def run(self, path: str = "/voice") -> None:
        """Place the call and follow it to its end."""
        url, root = self.post(self.base_url + path, {})
        while root is not None:
            url, root = self.follow(url, list(root))
        self.out("[call ended]")
        duration = str(int(time.monotonic() - self.started))
        self.session.post(
            self.base_url + "/voice/status",
            data=dict(self.params, CallStatus="completed", CallDuration=duration),
            headers=self._status_headers(duration),
            timeout=15,
        )

    def _status_headers(self, duration: str) -> dict[str, str]:
        if not self.config.twilio_auth_token:
            return {}
        data = dict(self.params, CallStatus="completed", CallDuration=duration)
        url = self._signed_url(self.base_url + "/voice/status")
        return {
            "X-Twilio-Signature": RequestValidator(self.config.twilio_auth_token).compute_signature(url, data)
        }

    def follow(self, url: str, verbs: list[ET.Element]) -> tuple[str, ET.Element | None]:
        """Run a document's verbs until one of them leads to another request or ends the call."""
        for verb in verbs:
            if verb.tag == "Say":
                self.say(verb)
            elif verb.tag == "Gather":
                for inner in verb:
                    if inner.tag == "Say":
                        self.say(inner)
                extra = self.listen(verb)
                if extra is None:  # EOF: the caller hangs up
                    return url, None
                if extra:
                    return self.post(urljoin(url, verb.get("action") or url), extra)
                continue  # silence: Twilio goes on with the next verb
            elif verb.tag == "Redirect":
                return self.post(urljoin(url, (verb.text or "").strip()), {})
            elif verb.tag == "Dial":
                number = (verb.text or "").strip()
                self.out(f"[transfer to {number}: {self.dial_status}]")
                action = verb.get("action")
                if action:
                    return self.post(urljoin(url, action), {"DialCallStatus": self.dial_status})
                if self.dial_status == "completed":
                    return url, None
            elif verb.tag == "Hangup":
                return url, None
        return url, None

    def say(self, element: ET.Element) -> None:
        # itertext: a slowed-down <Say> holds its words in an SSML <prosody> child
        text = " ".join("".join(element.itertext()).split())
        if text:
            self.out(text)

    def listen(self, gather: ET.Element) -> dict[str, str] | None:
        """The caller's answer: keys, speech, {} for silence, None when stdin ends (hang up)."""
        interactive = self.stdin.isatty()
        if interactive:
            click.echo("> ", nl=False)
        line = self.stdin.readline()
        if not line:
            return None
        line = line.strip()
        if not interactive:
            self.out(f"> {line}")
        if not line:
            return {}
        if KEYS.match(line):
            finish = gather.get("finishOnKey", "#")
            keys = line[: line.index(finish)] if finish and finish in line else line
            if gather.get("numDigits", "").isdigit():
                keys = keys[: int(gather.get("numDigits"))]
            return {"Digits": keys}
        if line.startswith("~"):
            return {"SpeechResult": line[1:].strip(), "Confidence": "0.3"}
        return {"SpeechResult": line, "Confidence": "0.9"}


@click.command("call")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="The clinicline server.")
@click.option(
    "--from", "from_", default="+15145551234", show_default=True, help='The caller; "anonymous" hides it.'
)
@click.option("--to", default="+15145550100", show_default=True, help="The clinic's Twilio number.")
@click.option("--forwarded-from", default=None, help="The clinic line that forwarded the call (busy lines).")
@click.option(
    "--dial-status",
    default="completed",
    show_default=True,
    type=click.Choice(["completed", "no-answer", "busy", "failed"]),
    help="How a transfer to the reception ends.",
)
def call_command(url: str, from_: str, to: str, forwarded_from: str | None, dial_status: str) -> None:
    """Call a running clinicline server from the terminal.

    Each line you type is your turn: keys ("1", "5145551234#", "*") are pressed on the keypad, anything else
    is heard as speech ("~text" as doubtful speech), an empty line is silence; end of input hangs up.
    """
    caller = TWILIO_ANONYMOUS if is_hidden_caller_id(from_) else from_
    params = {
        "AccountSid": "AC" + "0" * 32,
        "ApiVersion": "2010-04-01",
        "CallSid": "CA" + uuid.uuid4().hex,
        "CallStatus": "in-progress",
        "Direction": "inbound",
        "From": caller,
        "Caller": caller,
        "To": to,
        "Called": to,
    }
    if forwarded_from:
        params["ForwardedFrom"] = forwarded_from
    phone = Phone(url, params, Config.from_env(), dial_status, click.echo, sys.stdin)
    phone.run()
