"""Rules every Twilio webhook follows: a signature on every route, and a dialog core that knows no web."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from clinicline.app import create_app
from tests.support.apps import MARIE, PARC, TOKEN, signed_runtime
from tests.support.twilio_requests import signed_post, sms_form


@pytest.fixture
def signed_app(sqlite_url, clock, tmp_path):
    rt = signed_runtime(sqlite_url, clock, tmp_path)
    yield create_app(runtime=rt)
    rt.dispose()


def twilio_routes(app) -> list[str]:
    """Every POST route of the SMS and voice blueprints, with its path parameters filled in."""
    paths = []
    for rule in app.extensions["webhooks"].url_map.iter_rules():
        if rule.endpoint.split(".")[0] in ("smsbot", "voicebot") and "POST" in rule.methods:
            paths.append(re.sub(r"<int:\w+>", "1", rule.rule))
    return sorted(paths)


def test_the_sms_and_voice_blueprints_have_the_routes_twilio_calls(signed_app):
    paths = twilio_routes(signed_app)
    for path in ("/sms", "/sms/status", "/fallback/sms", "/voice", "/voice/status", "/fallback/voice"):
        assert path in paths


def test_every_twilio_route_refuses_a_request_without_a_valid_signature(signed_app):
    client = signed_app.test_client()
    form = sms_form(MARIE, PARC, "RDV", CallSid="CA" + "1" * 32, CallStatus="ringing")
    for path in twilio_routes(signed_app):
        assert client.post(path, data=form).status_code == 403, f"{path} answered an unsigned request"
        forged = signed_post(client, path, form, TOKEN, signature="Zm9yZ2Vk")
        assert forged.status_code == 403, f"{path} answered a forged signature"
        assert signed_post(client, path, form, TOKEN).status_code != 403, f"{path} refused a good one"


def test_the_dialog_engine_imports_neither_flask_nor_twilio():
    code = (
        "import sys, core.dialog, core.replay, core.jobs; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'twilio', 'werkzeug')); "
        "print(' '.join(bad)); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, f"core.dialog pulls in: {done.stdout or done.stderr}"
