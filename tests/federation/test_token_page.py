"""The console page of the read API's tokens: shown once, listed by prefix, revoked with the form's token."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.models import ApiToken, AuditEntry

PASSWORD = "console-secret"


def signed_in(fed_runtime):
    from clinicline.app import create_app

    fed_runtime.config = fed_runtime.config.with_(staff_password=PASSWORD)
    client = create_app(runtime=fed_runtime).test_client()
    client.post("/staff/login", data={"name": "Julie", "password": PASSWORD})
    return client


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_a_manager_creates_a_token_sees_it_once_and_revokes_it(fed_runtime):
    console = signed_in(fed_runtime)
    page = console.get("/staff/api-tokens/").get_data(as_text=True)
    created = console.post(
        "/staff/api-tokens/", data={"csrf": csrf(page), "clinic": "parc", "name": "agenda"}
    )
    html = created.get_data(as_text=True)
    token = re.search(r"<code>(clt_[^<]+)</code>", html).group(1)
    assert token not in console.get("/staff/api-tokens/").get_data(as_text=True)  # never shown again
    assert console.get("/fhir/Slot", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with fed_runtime.session_factory() as session:
        row = session.scalars(select(ApiToken)).one()
        created_by = (
            session.scalars(select(AuditEntry).where(AuditEntry.action == "api_token.created")).one().actor
        )
    assert created_by == "Julie"
    revoked = console.post(f"/staff/api-tokens/{row.id}/revoke", data={"csrf": csrf(html)})
    assert revoked.status_code == 302
    assert console.get("/fhir/Slot", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_the_page_needs_a_signed_in_account_and_the_forms_token(fed_runtime):
    from clinicline.app import create_app

    fed_runtime.config = fed_runtime.config.with_(staff_password=PASSWORD)
    anonymous = create_app(runtime=fed_runtime).test_client()
    assert anonymous.get("/staff/api-tokens/").status_code == 302
    console = signed_in(fed_runtime)
    assert console.post("/staff/api-tokens/", data={"clinic": "parc"}).status_code == 400
