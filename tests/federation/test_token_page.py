"""The console page of the read API's tokens: managers only, their clinics only, shown once, revocable."""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from core.models import ApiToken, AuditEntry
from core.services import accounts

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def quick_argon2(monkeypatch):
    """Still Argon2id, at the smallest cost."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def console_as(signed_rt, login: str, name: str, roles: dict[str, str]):
    """A test client signed in as a new account with these roles."""
    from clinicline.app import create_app

    with signed_rt.session_factory.begin() as s:
        accounts.create(s, login, name, PASSWORD, roles, signed_rt.now())
    client = create_app(runtime=signed_rt).test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    signed = client.post("/staff/login", data={"login": login, "password": PASSWORD, "csrf_token": token})
    assert signed.status_code == 302
    return client


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_a_manager_creates_a_token_sees_it_once_and_revokes_it(signed_rt):
    console = console_as(signed_rt, "marc", "Marc Gagnon", {"parc": "manager"})
    page = console.get("/staff/api-tokens/").get_data(as_text=True)
    created = console.post(
        "/staff/api-tokens/", data={"csrf_token": csrf(page), "clinic": "parc", "name": "agenda"}
    )
    html = created.get_data(as_text=True)
    token = re.search(r"<code>(clt_[^<]+)</code>", html).group(1)
    assert token not in console.get("/staff/api-tokens/").get_data(as_text=True)  # never shown again
    assert console.get("/fhir/Slot", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with signed_rt.session_factory() as session:
        row = session.scalars(select(ApiToken)).one()
        created_by = (
            session.scalars(select(AuditEntry).where(AuditEntry.action == "api_token.created")).one().actor
        )
    assert created_by == "Marc Gagnon"
    revoked = console.post(f"/staff/api-tokens/{row.id}/revoke", data={"csrf_token": csrf(html)})
    assert revoked.status_code == 302
    assert console.get("/fhir/Slot", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_the_page_needs_a_signed_in_manager_and_the_forms_token(signed_rt):
    from clinicline.app import create_app

    anonymous = create_app(runtime=signed_rt).test_client()
    assert anonymous.get("/staff/api-tokens/").status_code == 302
    reception = console_as(signed_rt, "julie", "Julie Tremblay", {"parc": "reception"})
    assert reception.get("/staff/api-tokens/").status_code == 404
    manager = console_as(signed_rt, "marc", "Marc Gagnon", {"parc": "manager"})
    assert manager.post("/staff/api-tokens/", data={"clinic": "parc"}).status_code == 400


def test_a_manager_of_one_clinic_cannot_touch_another_clinics_tokens(signed_rt):
    with signed_rt.session_factory.begin() as s:
        from core.federation import tokens

        other, _secret = tokens.create_token(s, "westmount", "agenda", "Wendy", signed_rt.now())
        other_id = other.id
    manager = console_as(signed_rt, "marc", "Marc Gagnon", {"parc": "manager"})
    page = manager.get("/staff/api-tokens/").get_data(as_text=True)
    assert "westmount" not in page
    assert (
        manager.post("/staff/api-tokens/", data={"csrf_token": csrf(page), "clinic": "westmount"}).status_code
        == 404
    )
    assert (
        manager.post(f"/staff/api-tokens/{other_id}/revoke", data={"csrf_token": csrf(page)}).status_code
        == 404
    )
