"""Console fixtures: staff accounts of two clinics, a signed-in test client, the form token."""

from __future__ import annotations

import html
import re

import pytest
from argon2 import PasswordHasher

from clinicline.app import create_app
from core.jobs import attach_queue
from core.services import accounts
from tests.conftest import make_runtime
from tests.support.apps import MARIE, PARC
from tests.support.twilio_requests import Texter

PASSWORD = "correct-horse-battery"
# login -> (name, clinic, role)
STAFF = {
    "julie": ("Julie Tremblay", "parc", "reception"),
    "marc": ("Marc Gagnon", "parc", "manager"),
    "will": ("Will Brown", "westmount", "reception"),
    "wendy": ("Wendy Clark", "westmount", "manager"),
}


@pytest.fixture(autouse=True)
def quick_argon2(monkeypatch):
    """Still Argon2id, at the smallest cost: the real one (64 MiB, 3 passes) takes most of a second here."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def add_staff(runtime, logins=tuple(STAFF)) -> dict[str, int]:
    """The accounts of both demo clinics (same password); login -> account id."""
    ids = {}
    with runtime.session_factory.begin() as s:
        for login in logins:
            name, clinic, role = STAFF[login]
            ids[login] = accounts.create(s, login, name, PASSWORD, {clinic: role}, runtime.now()).id
    return ids


def twilio_runtime(url, clock, tmp_path, fake_twilio):
    """The demo clinics; webhooks signed and outbound SMS sent to the fake Twilio."""
    rt = make_runtime(
        url,
        clock,
        tmp_path,
        twilio_account_sid=fake_twilio.account_sid,
        twilio_auth_token=fake_twilio.auth_token,
        twilio_api_base_url=fake_twilio.base_url,
    )
    return rt


@pytest.fixture
def runtime(sqlite_url, clock, tmp_path, fake_twilio):
    """On SQLite (modules that must hold on PostgreSQL too use `both_databases`)."""
    rt = twilio_runtime(sqlite_url, clock, tmp_path, fake_twilio)
    yield rt
    rt.dispose()


@pytest.fixture
def both_databases(database_url, clock, tmp_path, fake_twilio):
    """The same runtime on SQLite and on PostgreSQL: a module overrides `runtime` with this."""
    rt = twilio_runtime(database_url, clock, tmp_path, fake_twilio)
    yield rt
    rt.dispose()


@pytest.fixture
def texter(app, fake_twilio):
    """Marie's phone texting Clinique du Parc through the same app the console runs on."""
    return Texter(app.test_client(), fake_twilio.auth_token, MARIE, PARC, max_segments=2)


@pytest.fixture
def staff_ids(runtime):
    return add_staff(runtime)


@pytest.fixture
def app(runtime, staff_ids):
    attach_queue(runtime, background=False)
    return create_app(runtime=runtime)


@pytest.fixture
def console(app):
    return app.test_client()


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def form_token(client, path="/staff/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, login="julie", password=PASSWORD, **extra):
    """Post the sign-in form (with its token) and return the response."""
    token = form_token(client)
    return client.post(
        "/staff/login", data={"login": login, "password": password, "csrf_token": token}, **extra
    )


def csrf(client, path="/staff/parc/") -> str:
    return form_token(client, path)
