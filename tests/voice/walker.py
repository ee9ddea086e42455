"""A small stand-in for Twilio's voice engine: it follows TwiML the way Twilio does, over the Flask test client.

It posts signed, Twilio-shaped requests, parses every answer as XML, checks each verb and attribute against
what Twilio documents, and walks the document: <Say> is heard, <Gather> waits for the test to press keys,
speak or stay silent (silence falls through to the next verb, which must be a <Redirect>), <Redirect> is
followed, <Dial> waits for the test to say how the transfer ended, <Hangup> or the end of the document
ends the call.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urljoin

from prompts import render
from tests.support.twilio_requests import ACCOUNT_SID, TEST_CLIENT_BASE, new_sid, signed_post

# Verbs and attributes of Twilio's TwiML voice reference (<Say>, <Gather>, <Redirect>, <Hangup>, <Pause>,
# <Dial>/<Number>): anything else is a mistake Twilio would reject or silently ignore.
ATTRIBUTES = {
    "Response": set(),
    "Say": {"voice", "language", "loop"},
    "Gather": {
        "action",
        "actionOnEmptyResult",
        "bargeIn",
        "debug",
        "enhanced",
        "finishOnKey",
        "hints",
        "input",
        "language",
        "maxSpeechTime",
        "method",
        "numDigits",
        "partialResultCallback",
        "partialResultCallbackMethod",
        "profanityFilter",
        "speechModel",
        "speechTimeout",
        "timeout",
    },
    "Redirect": {"method"},
    "Hangup": set(),
    "Pause": {"length"},
    "Dial": {
        "action",
        "answerOnBridge",
        "callerId",
        "hangupOnStar",
        "method",
        "record",
        "ringTone",
        "timeLimit",
        "timeout",
        "trim",
    },
    "prosody": {"rate", "pitch", "volume"},  # SSML inside <Say> (Polly voices)
    "Number": {
        "sendDigits",
        "url",
        "method",
        "statusCallback",
        "statusCallbackEvent",
        "statusCallbackMethod",
    },
}
CHILDREN = {
    "Response": {"Say", "Gather", "Redirect", "Hangup", "Pause", "Dial"},
    "Gather": {"Say", "Pause"},
    "Say": {"prosody"},
    "Dial": {"Number"},
}
LANGUAGE_TAGS = {"fr-CA", "en-US", "en-CA"}
VOICE = re.compile(r"^(Polly|Google)\.[A-Za-z0-9-]+$")
E164 = re.compile(r"^\+[1-9]\d{7,14}$")
POSITIVE = re.compile(r"^[1-9]\d*$")


class TwimlError(AssertionError):
    pass


def _fail(message: str, xml: str) -> None:
    raise TwimlError(f"{message}\n{xml}")


def check_twiml(xml: str) -> ET.Element:
    """Parse a TwiML voice response and check it uses only documented verbs, attributes and values."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise TwimlError(f"not XML ({exc}): {xml!r}") from exc
    if root.tag != "Response":
        _fail("the root is not <Response>", xml)
    for parent in root.iter():
        allowed = CHILDREN.get(parent.tag, set())
        for child in parent:
            if child.tag not in allowed:
                _fail(f"<{child.tag}> is not allowed inside <{parent.tag}>", xml)
    for element in root.iter():
        unknown = set(element.attrib) - ATTRIBUTES.get(element.tag, set())
        if unknown:
            _fail(f"<{element.tag}> has unknown attributes {sorted(unknown)}", xml)
        _check_values(element, xml)
    verbs = list(root)
    for i, verb in enumerate(verbs):
        if verb.tag == "Gather" and (i + 1 >= len(verbs) or verbs[i + 1].tag != "Redirect"):
            _fail("a <Gather> must be followed by a <Redirect> so silence comes back to us", xml)
    return root


def _check_values(element: ET.Element, xml: str) -> None:
    a = element.attrib
    tag = element.tag
    if tag == "Say":
        if not "".join(element.itertext()).strip():
            _fail("an empty <Say>", xml)
        if "voice" in a and not VOICE.match(a["voice"]):
            _fail(f"unknown voice {a['voice']!r}", xml)
    if tag in ("Say", "Gather") and "language" in a and a["language"] not in LANGUAGE_TAGS:
        _fail(f"unexpected language {a['language']!r}", xml)
    if tag == "Gather":
        if a.get("input", "dtmf") not in ("dtmf", "speech", "dtmf speech"):
            _fail(f"bad input {a.get('input')!r}", xml)
        for name in ("timeout", "numDigits", "speechTimeout"):
            if name in a and not POSITIVE.match(a[name]):
                _fail(f"{name} must be a positive number of seconds/keys (never 'auto'): {a[name]!r}", xml)
        if "finishOnKey" in a and a["finishOnKey"] not in set("0123456789#*") | {""}:
            _fail(f"bad finishOnKey {a['finishOnKey']!r}", xml)
        if a.get("actionOnEmptyResult", "false") not in ("true", "false"):
            _fail("actionOnEmptyResult is true or false", xml)
        if "speech" in a.get("input", "") and "language" not in a:
            _fail("a speech gather names its language", xml)
    if tag in ("Gather", "Redirect", "Dial") and a.get("method", "POST") not in ("GET", "POST"):
        _fail(f"bad method {a.get('method')!r}", xml)
    if tag == "Redirect" and not (element.text or "").strip():
        _fail("a <Redirect> without a URL", xml)
    if tag == "Dial":
        if "timeout" in a and not POSITIVE.match(a["timeout"]):
            _fail("Dial timeout must be a positive number", xml)
        number = (element.text or "").strip()
        if number and not E164.match(number):
            _fail(f"Dial to {number!r}, not an E.164 number", xml)


def words(text: str) -> int:
    """Words a voice reads: digits and numbers count as words."""
    return len(re.findall(r"[\w'’-]+", text))


@dataclass
class Request:
    """One webhook Twilio made during the call, and what was said in answer."""

    path: str
    params: dict[str, str]
    status: int
    xml: str
    said: list[str] = field(default_factory=list)


class Call:
    """A phone call to clinicline, driven by the test the way a caller and Twilio would drive it."""

    def __init__(
        self,
        client,
        *,
        auth_token: str | None = "test-token",
        from_: str = "+15145551234",
        to: str = "+15145550100",
        forwarded_from: str | None = None,
        call_sid: str | None = None,
        direction: str = "inbound",
        base_url: str = TEST_CLIENT_BASE,
        allow_apology: bool = False,
    ):
        self.client = client
        self.auth_token = auth_token
        self.base_url = base_url
        self.sid = call_sid or new_sid("CA")
        self.params = {
            "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
            "CallSid": self.sid,
            "CallStatus": "in-progress",
            "Direction": direction,
            "From": from_,
            "To": to,
            "Caller": from_,
            "Called": to,
            "FromCountry": "CA",
            "ToCountry": "CA",
        }
        if forwarded_from:
            self.params["ForwardedFrom"] = forwarded_from
        self.allow_apology = allow_apology
        self.requests: list[Request] = []
        self.transcript: list[tuple[str, str]] = []  # ("bot" | "caller", text)
        self.heard: list[str] = []  # said since the caller's last input
        self.heard_langs: list[str] = []  # the language tag each of those was said in
        self.state = "new"  # "gather", "dial", "ended"
        self.gather: dict[str, str] = {}
        self.dialled: str | None = None
        self._rest: list[ET.Element] = []
        self._url = ""
        self._dial: ET.Element | None = None

    # ---- what the test does -------------------------------------------------------------------------
    def start(self, path: str = "/voice") -> Call:
        """Twilio answers the call and asks the voice URL what to do."""
        self._fetch(path, {})
        return self

    def press(self, keys: str) -> Call:
        """Keys on the keypad, as the current <Gather> collects them."""
        self._expect("gather")
        if "dtmf" not in self.gather.get("input", "dtmf"):
            raise AssertionError("this gather does not listen to the keypad")
        finish = self.gather.get("finishOnKey", "#")
        if finish and finish in keys:
            keys = keys[: keys.index(finish)]
        if "numDigits" in self.gather:
            keys = keys[: int(self.gather["numDigits"])]
        self.transcript.append(("caller", f"[{keys}]"))
        self._submit({"Digits": keys, "FinishedOnKey": finish if finish else ""})
        return self

    def say(self, text: str, confidence: float = 0.92) -> Call:
        """Speech the recogniser transcribed, with its confidence."""
        self._expect("gather")
        if "speech" not in self.gather.get("input", "dtmf"):
            raise AssertionError("this gather does not listen to speech")
        self.transcript.append(("caller", text))
        self._submit({"SpeechResult": text, "Confidence": f"{confidence:.2f}"})
        return self

    def silence(self) -> Call:
        """Nothing heard: Twilio goes on with the verbs after the <Gather>."""
        self._expect("gather")
        self.transcript.append(("caller", "[silence]"))
        self._forget()
        self.state = "running"
        self._run(self._rest)
        return self

    def transfer_ends(self, dial_status: str = "completed", duration: int = 60) -> Call:
        """The <Dial> ends: answered and finished ("completed"), or "no-answer", "busy", "failed"."""
        self._expect("dial")
        action = self._dial.get("action")
        self._forget()
        if action:
            extra = {"DialCallStatus": dial_status, "DialCallSid": new_sid("CA")}
            if dial_status == "completed":
                extra["DialCallDuration"] = str(duration)
            self._fetch(urljoin(self._url, action), extra)
        else:
            self.state = "running"
            self._run(self._rest)
        return self

    def hang_up(self, duration: int = 42) -> Request:
        """The caller hangs up (or the call ended): Twilio posts the status callback."""
        self.state = "ended"
        return self.status("completed", duration)

    def status(self, status: str, duration: int | None = None) -> Request:
        """A call status callback for this call."""
        params = dict(self.params, CallStatus=status)
        if duration is not None:
            params["CallDuration"] = str(duration)
        response = signed_post(self.client, "/voice/status", params, self.auth_token, base_url=self.base_url)
        request = Request("/voice/status", params, response.status_code, response.get_data(as_text=True))
        assert response.status_code == 200, request.xml
        return request

    # ---- what the test reads ------------------------------------------------------------------------
    @property
    def text(self) -> str:
        """All that was said since the caller's last input, as one string."""
        return " ".join(self.heard)

    @property
    def ended(self) -> bool:
        return self.state == "ended"

    @property
    def bot_words(self) -> int:
        return sum(words(text) for text in self.bot_said)

    @property
    def bot_said(self) -> list[str]:
        """Every sentence the bot said during the call (transfers aside)."""
        return [text for who, text in self.transcript if who == "bot" and not text.startswith("[")]

    @property
    def turns(self) -> int:
        """Webhooks Twilio made for the call's dialog (the status callback aside)."""
        return len(self.requests)

    # ---- how Twilio does it -------------------------------------------------------------------------
    def said_in(self, tag: str) -> list[str]:
        """What was said since the caller's last input in one language ("fr-CA", "en-US")."""
        return [text for text, lang in zip(self.heard, self.heard_langs, strict=True) if lang == tag]

    def _forget(self) -> None:
        self.heard, self.heard_langs = [], []

    def _expect(self, state: str) -> None:
        if self.state != state:
            raise AssertionError(f"the call is {self.state!r}, not waiting on a {state}: heard {self.text!r}")

    def _submit(self, extra: dict[str, str]) -> None:
        action = self.gather.get("action") or self._url
        self._forget()
        self._fetch(urljoin(self._url, action), extra)

    def _fetch(self, url: str, extra: dict[str, str]) -> None:
        path = url[len(self.base_url) :] if url.startswith(self.base_url) else url
        params = dict(self.params, **extra)
        response = signed_post(self.client, path, params, self.auth_token, base_url=self.base_url)
        xml = response.get_data(as_text=True)
        request = Request(path, params, response.status_code, xml)
        self.requests.append(request)
        if response.status_code != 200:
            raise AssertionError(f"POST {path} answered {response.status_code}: {xml}")
        assert response.mimetype in ("text/xml", "application/xml"), response.mimetype
        root = check_twiml(xml)
        self._url = urljoin(self.base_url + "/", path)
        self.state = "running"
        self._run(list(root), request)
        if not self.allow_apology:
            apology = render("voice_application_error", "fr", "voice")
            if apology in self.heard:
                raise AssertionError(f"the caller heard the apology for a broken line at {path}: see the log")

    def _hear(self, element: ET.Element, request: Request | None) -> None:
        text = " ".join("".join(element.itertext()).split())  # the words, inside SSML <prosody> too
        self.heard.append(text)
        self.heard_langs.append(element.get("language", ""))
        self.transcript.append(("bot", text))
        if request is not None:
            request.said.append(text)

    def _run(self, verbs: list[ET.Element], request: Request | None = None) -> None:
        for i, verb in enumerate(verbs):
            if verb.tag == "Say":
                self._hear(verb, request)
            elif verb.tag == "Pause":
                continue
            elif verb.tag == "Gather":
                for inner in verb:
                    if inner.tag == "Say":
                        self._hear(inner, request)
                self.gather = dict(verb.attrib)
                self._rest = verbs[i + 1 :]
                self.state = "gather"
                return
            elif verb.tag == "Redirect":
                self._fetch(urljoin(self._url, verb.text.strip()), {})
                return
            elif verb.tag == "Dial":
                self.dialled = (verb.text or "").strip() or None
                self._dial = verb
                self._rest = verbs[i + 1 :]
                self.transcript.append(("bot", f"[transfer to {self.dialled}]"))
                self.state = "dial"
                return
            elif verb.tag == "Hangup":
                self.state = "ended"
                return
        self.state = "ended"  # Twilio hangs up when the document runs out
