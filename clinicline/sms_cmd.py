"""`clinicline sms`: chat with a running server as a patient would by text, one line per message."""

from __future__ import annotations

import sys
import uuid
import xml.etree.ElementTree as ET

import click
import requests
from twilio.request_validator import RequestValidator

from core.config import Config
from smsbot.segments import segments

PLACEHOLDER_ACCOUNT_SID = "AC" + "0" * 32


def message_form(from_: str, to: str, body: str, account_sid: str | None) -> dict[str, str]:
    """The fields Twilio posts for an incoming SMS, with a fresh MessageSid."""
    sid = "SM" + uuid.uuid4().hex
    return {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "AccountSid": account_sid or PLACEHOLDER_ACCOUNT_SID,
        "From": from_,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": str(max(1, segments(body).segments)),
        "SmsStatus": "received",
        "FromCountry": "CA",
        "ToCountry": "CA",
        "ApiVersion": "2010-04-01",
    }


def reply_messages(xml: str) -> list[str]:
    """The texts of the <Message> elements of a MessagingResponse."""
    root = ET.fromstring(xml)
    texts = []
    for message in root.iter("Message"):
        body = message.find("Body")
        texts.append((body.text if body is not None else message.text) or "")
    return texts


def send(session: requests.Session, url: str, sign_url: str, form: dict, token: str | None) -> list[str]:
    """Post one message like Twilio does (signed when a token is configured) and return the replies."""
    headers = {}
    if token:
        headers["X-Twilio-Signature"] = RequestValidator(token).compute_signature(sign_url, form)
    try:
        response = session.post(url, data=form, headers=headers, timeout=30)
    except requests.ConnectionError as exc:
        raise click.ClickException(f"cannot reach {url}: is `clinicline serve` running?") from exc
    if response.status_code == 403:
        raise click.ClickException(
            "the server refused the signature: use the same TWILIO_AUTH_TOKEN (and PUBLIC_BASE_URL) as the server"
        )
    if response.status_code != 200:
        raise click.ClickException(f"the server answered HTTP {response.status_code}")
    return reply_messages(response.text)


@click.command("sms")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="The clinicline server.")
@click.option("--from", "from_", default="+15145551234", show_default=True, help="The patient's number.")
@click.option("--to", default="+15145550100", show_default=True, help="The clinic's Twilio number.")
def sms_command(url: str, from_: str, to: str) -> None:
    """Text a running server as a patient: each line read is one SMS, each reply is printed with its segments.

    Requests are signed with TWILIO_AUTH_TOKEN when it is set (over PUBLIC_BASE_URL when that is set).
    """
    config = Config.from_env()
    base = url.rstrip("/")
    endpoint, sign_url = base + "/sms", (config.public_base_url or base) + "/sms"
    interactive = sys.stdin.isatty()
    if interactive:
        click.echo(f"texting {to} from {from_} via {endpoint} (Ctrl-D to quit)")
    with requests.Session() as http:
        while True:
            if interactive:
                click.echo("> ", nl=False)
            line = sys.stdin.readline()
            if not line:
                break
            body = line.rstrip("\r\n")
            if not body.strip():
                continue
            if not interactive:
                click.echo(f"> {body}")
            form = message_form(from_, to, body, config.twilio_account_sid)
            replies = send(http, endpoint, sign_url, form, config.twilio_auth_token)
            if not replies:
                click.echo("(no reply)")
            for text in replies:
                count = segments(text)
                plural = "" if count.segments == 1 else "s"
                click.echo(text)
                click.echo(
                    f"[{count.segments} segment{plural}, {count.encoding}, {count.characters} characters]"
                )
    if interactive:
        click.echo()
