"""Console fixtures: staff accounts of two clinics, a signed-in test client, the form token."""

from __future__ import annotations

import html
import re

import pytest
from argon2 import PasswordHasher

from clinicline.app import create_app
from core.jobs import attach_queue
from core.services import accounts

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
    return client.post("/staff/login", data={"login": login, "password": password, "csrf_token": token}, **extra)


def csrf(client, path="/staff/parc/") -> str:
    return form_token(client, path)
