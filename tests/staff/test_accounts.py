"""Named accounts: Argon2id passwords, throttled sign-in, sessions that really end, and the command line."""

from __future__ import annotations

import re

import pytest
from argon2 import Type
from click.testing import CliRunner
from sqlalchemy import select

from clinicline.app import create_app
from clinicline.cli import main, prepare_embedded
from clinicline.staff_cmd import first_manager_notice
from core.config import Config
from core.jobs import attach_queue
from core.models import AuditEntry, StaffAccount
from core.services import accounts
from tests.staff.conftest import PASSWORD, csrf, sign_in, text_of

REAL_HASHER = accounts._hasher  # before the tests' quicker one replaces it


def test_passwords_are_stored_as_argon2id_with_a_memory_hard_cost():
    assert REAL_HASHER.type is Type.ID
    assert REAL_HASHER.memory_cost >= 64 * 1024
    assert REAL_HASHER.time_cost >= 3
    stored = REAL_HASHER.hash("correct-horse-battery")
    assert stored.startswith("$argon2id$")
    assert "correct-horse" not in stored


def test_a_signed_in_account_is_named_in_the_audit_log(console, runtime, staff_ids):
    sign_in(console, "julie")
    console.post("/staff/parc/queue/join", data={"csrf_token": csrf(console), "phone": "5145552222"})
    with runtime.session_factory() as s:
        joined = s.scalar(select(AuditEntry).where(AuditEntry.action == "walkin.joined"))
        assert (joined.account_id, joined.actor) == (staff_ids["julie"], "Julie Tremblay")


def test_the_sixth_wrong_password_in_a_minute_is_refused_and_says_when_to_retry(console, app):
    for _ in range(5):
        assert sign_in(console, "julie", "wrong-password").status_code == 401
    refused = sign_in(console, "julie", PASSWORD)  # even the right one, until the minute has passed
    assert refused.status_code == 429
    assert re.search(r"Réessayez dans \d+ s", text_of(refused))
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert console.get("/staff/parc/").status_code == 302  # not signed in
    other = app.test_client()
    assert sign_in(other, "marc").status_code == 302, "another account from elsewhere still signs in"


def test_wrong_passwords_from_one_address_are_throttled_across_accounts(app, console):
    logins = ["julie", "marc", "will", "wendy", "nobody"]
    statuses = [sign_in(console, logins[i % 5], "wrong-password").status_code for i in range(21)]
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429


def test_the_throttle_counts_across_processes_through_redis(runtime, staff_ids, redis_url):
    """Two web processes (two apps) on one Redis share the count of wrong passwords."""
    runtime.config = runtime.config.with_(redis_url=redis_url)
    first, second = create_app(runtime=runtime).test_client(), create_app(runtime=runtime).test_client()
    login = f"julie{id(first)}"  # a fresh key: the Redis server outlives this test
    with runtime.session_factory.begin() as s:
        accounts.create(s, login, "Julie bis", PASSWORD, {"parc": "reception"}, runtime.now())
    for client in (first, second, first, second, first):
        assert sign_in(client, login, "wrong-password").status_code == 401
    assert sign_in(second, login, PASSWORD).status_code == 429


def test_logout_kills_the_session_and_any_copy_of_its_cookie(app, console):
    sign_in(console, "julie")
    cookie = console.get_cookie("session").value
    console.post("/staff/logout", data={"csrf_token": csrf(console)})
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    response = thief.get("/staff/parc/")
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]


def test_a_password_change_ends_the_sessions_signed_in_with_the_old_one(console, runtime):
    sign_in(console, "julie")
    assert console.get("/staff/parc/").status_code == 200
    with runtime.session_factory.begin() as s:
        accounts.change_password(accounts.find(s, "julie"), "another-long-password", runtime.now())
    assert console.get("/staff/parc/").status_code == 302
    assert sign_in(console, "julie", PASSWORD).status_code == 401
    assert sign_in(console, "julie", "another-long-password").status_code == 302


def test_an_idle_session_ends_after_thirty_minutes(console, clock):
    sign_in(console, "julie")
    clock.advance(minutes=29)
    assert console.get("/staff/parc/").status_code == 200
    clock.advance(minutes=29)  # 29 minutes since the last page: still alive
    assert console.get("/staff/parc/").status_code == 200
    clock.advance(minutes=31)
    expired = console.get("/staff/parc/", follow_redirects=True)
    assert "expiré après une période d'inactivité" in text_of(expired)
    assert console.get("/staff/parc/").status_code == 302


def test_a_disabled_account_is_signed_out_and_cannot_sign_in(console, runtime):
    sign_in(console, "julie")
    with runtime.session_factory.begin() as s:
        accounts.disable(accounts.find(s, "julie"))
    assert console.get("/staff/parc/").status_code == 302
    assert sign_in(console, "julie").status_code == 401


def test_cookies_are_secure_behind_https_and_pages_carry_security_headers(runtime, staff_ids):
    runtime.config = runtime.config.with_(public_base_url="https://clinique.example")
    attach_queue(runtime, background=False)
    client = create_app(runtime=runtime).test_client()
    response = sign_in(client, "julie")
    assert "Secure" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]
    page = client.get("/staff/parc/")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["Cache-Control"] == "no-store"


def test_the_sign_in_form_needs_its_token(console):
    response = console.post("/staff/login", data={"login": "julie", "password": PASSWORD})
    assert response.status_code == 400
    assert "rechargez la page" in text_of(response)


def test_sign_in_goes_back_to_the_page_asked_for_but_never_to_another_site(console):
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', console.get("/staff/login").get_data(as_text=True)
    )[1]
    response = console.post(
        "/staff/login?next=//evil.example/staff/",
        data={"login": "julie", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/staff/"


def test_managers_add_accounts_for_their_clinic_and_see_the_password_once(console, runtime):
    sign_in(console, "marc")
    page = console.post(
        "/staff/parc/accounts",
        data={"csrf_token": csrf(console), "login": "Sophie", "name": "Sophie Roy", "role": "reception"},
    )
    password = re.search(r"Mot de passe de sophie : (\S+) —", text_of(page))[1]
    assert sign_in(runtime_client := console.application.test_client(), "sophie", password).status_code == 302
    assert runtime_client.get("/staff/parc/").status_code == 200
    with runtime.session_factory() as s:
        assert password not in s.scalar(
            select(StaffAccount.password_hash).where(StaffAccount.login == "sophie")
        )


# ---- the command line --------------------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CLINICLINE_INSTANCE", str(tmp_path))
    prepare_embedded(Config.from_env())
    return url


def run(*args, stdin=None):
    result = CliRunner().invoke(main, ["staff", *args], input=stdin)
    return result


def test_staff_add_list_passwd_disable_from_the_command_line(cli_env):
    added = run("add", "julie@parc.example", "--name", "Julie Tremblay", "--role", "parc:reception")
    assert added.exit_code == 0, added.output
    password = re.search(r"password \(shown once\): (\S+)", added.output)[1]
    assert "julie@parc.example" in run("list").output
    assert "parc:reception" in run("list").output
    assert run("add", "julie@parc.example", "--role", "parc:reception").exit_code != 0  # taken
    assert "unknown clinic" in run("add", "x", "--role", "nowhere:manager").output
    assert "unknown role" in run("add", "x", "--role", "parc:boss").output
    assert (
        "at least 10" in run("add", "x", "--role", "parc:manager", "--password-stdin", stdin="short\n").output
    )

    from core.db import make_engine, make_session_factory

    engine = make_engine(cli_env)
    sessions = make_session_factory(engine)
    with sessions() as s:
        assert accounts.authenticate(s, "Julie@Parc.example", password) is not None
    assert (
        run("passwd", "julie@parc.example", "--password-stdin", stdin="a-brand-new-password\n").exit_code == 0
    )
    with sessions() as s:
        assert accounts.authenticate(s, "julie@parc.example", password) is None
        assert accounts.authenticate(s, "julie@parc.example", "a-brand-new-password") is not None
    assert run("disable", "julie@parc.example").exit_code == 0
    assert "[disabled]" in run("list").output
    with sessions() as s:
        assert accounts.authenticate(s, "julie@parc.example", "a-brand-new-password") is None
    engine.dispose()


def test_serve_creates_a_first_manager_on_an_empty_instance_and_shows_its_password_once(cli_env):
    config = Config.from_env()
    notice = first_manager_notice(config, "http://127.0.0.1:5000/staff/")
    password = re.search(r"password: (\S+) \(shown once", notice)[1]
    assert "login: admin" in notice
    assert first_manager_notice(config, "http://127.0.0.1:5000/staff/") is None  # once
    listed = run("list").output
    assert "parc:manager" in listed
    assert "westmount:manager" in listed
    from core.db import make_engine, make_session_factory

    engine = make_engine(cli_env)
    with make_session_factory(engine)() as s:
        assert accounts.authenticate(s, "admin", password) is not None
    engine.dispose()
