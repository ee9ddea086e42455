"""`clinicline sms` chats with a real server over HTTP, signing its requests like Twilio."""

from __future__ import annotations

import threading

import pytest
from click.testing import CliRunner
from werkzeug.serving import make_server

import prompts
from clinicline.cli import main
from tests.support.apps import TOKEN


@pytest.fixture
def server_url(app):
    """The app served by a real HTTP server in a thread, on a free port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def run_sms(url: str, lines: str, token: str | None = TOKEN, *args: str):
    env = {"TWILIO_AUTH_TOKEN": token or "", "PUBLIC_BASE_URL": "", "TWILIO_ACCOUNT_SID": ""}
    return CliRunner().invoke(main, ["sms", "--url", url, *args], input=lines, env=env)


def test_the_command_is_registered():
    result = CliRunner().invoke(main, ["sms", "--help"])
    assert result.exit_code == 0
    assert "--from" in result.output
    assert "--to" in result.output
    assert "--url" in result.output


def test_a_piped_message_gets_the_reply_and_its_segments(server_url):
    result = run_sms(server_url, "RDV\n", TOKEN, "--to", "+15145559999")  # a number no clinic owns
    assert result.exit_code == 0, result.output
    assert "> RDV" in result.output
    assert prompts.render("sms_unknown_number", "fr") in result.output
    assert "[2 segments, GSM-7," in result.output


def test_without_the_servers_token_the_command_says_why_it_was_refused(server_url):
    result = run_sms(server_url, "RDV\n", "wrong-token")
    assert result.exit_code != 0
    assert "TWILIO_AUTH_TOKEN" in result.output


def test_an_unreachable_server_is_reported_plainly():
    result = run_sms("http://127.0.0.1:1", "RDV\n")
    assert result.exit_code != 0
    assert "cannot reach" in result.output
    assert "Traceback" not in result.output


def test_a_conversation_reaches_the_clinic_through_the_dialog(server_url):
    result = run_sms(server_url, "AIDE\n\nHELP\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("> ") == 2  # the empty line is not sent
    assert result.output.count("segment") == 2
