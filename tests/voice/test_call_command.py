"""`clinicline call`: a terminal phone calling a real server over HTTP, driven by piped input."""

from __future__ import annotations

import threading

import pytest
from click.testing import CliRunner
from werkzeug.serving import make_server

from clinicline.app import create_app
from clinicline.call_cmd import call_command
from core.models import CallRecord
from tests.support.apps import TOKEN


@pytest.fixture
def server(signed_rt):
    """The app on a real HTTP server thread, on a free port."""
    httpd = make_server("127.0.0.1", 0, create_app(runtime=signed_rt), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(5)


def run_call(server: str, stdin: str, *args: str, token: str | None = TOKEN):
    env = {"TWILIO_AUTH_TOKEN": token, "PUBLIC_BASE_URL": None, "TWILIO_ACCOUNT_SID": None}
    return CliRunner().invoke(call_command, ["--url", server, *args], input=stdin, env=env)


def test_a_call_from_the_terminal_hears_the_greeting_switches_to_english_and_hangs_up(server, signed_rt):
    result = run_call(server, "9\n")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "Clinique du Parc" in lines[0]
    assert "> 9" in lines
    assert lines[-1] == "[call ended]"
    with signed_rt.session_factory() as session:
        (record,) = session.query(CallRecord).all()
        assert record.status == "completed"
        assert record.clinic_id == "parc"


def test_an_unsigned_terminal_call_to_a_signed_server_is_refused(server):
    result = run_call(server, "1\n", token=None)
    assert result.exit_code == 0
    assert "[HTTP 403 from /voice: the call drops]" in result.output


def test_a_number_of_no_clinic_hears_the_bilingual_goodbye(server):
    result = run_call(server, "", "--to", "+15145550999")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 3
    assert lines[-1] == "[call ended]"


def test_silence_follows_the_redirect_and_the_call_goes_on(server):
    result = run_call(server, "\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("> ") == 1
    greeting, retry = result.output.split("> \n")
    assert "Clinique du Parc" in greeting
    assert retry.strip()
    assert retry.strip() != greeting.strip()


def test_the_slower_voice_is_printed_like_any_other(server):
    result = run_call(server, "8\n")
    assert result.exit_code == 0, result.output
    after_key = result.output.split("> 8\n", 1)[1]
    spoken = [line for line in after_key.splitlines() if line != "[call ended]"]
    assert any("1" in line for line in spoken), result.output
