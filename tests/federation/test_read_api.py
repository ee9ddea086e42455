"""The read API for a clinic's own systems: one clinic per token, hashed at rest, revocable, every read audited."""

from __future__ import annotations

import re

from click.testing import CliRunner
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select

from clinicline.cli import main
from core.federation import tokens
from core.models import ApiToken, AuditEntry
from tests.support.arrange import book


def make_token(runtime, clinic_id="parc") -> tuple[int, str]:
    with runtime.session_factory.begin() as session:
        row, token = tokens.create_token(session, clinic_id, "agenda", "test", runtime.now())
        return row.id, token


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_slots_of_one_schedule_from_a_day_on_as_a_fhir_bundle(client, signed_rt):
    _, token = make_token(signed_rt)
    response = client.get(
        "/fhir/Slot?schedule=Schedule/parc-appointments&start=ge2026-12-08&start=lt2026-12-09",
        headers=bearer(token),
    )
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    bundle = Bundle.model_validate_json(response.data)
    assert bundle.type == "searchset"
    assert bundle.total == len(bundle.entry) == 2 * 8 * 4  # 2 practitioners, 8 h
    assert {e.resource.start.date().isoformat() for e in bundle.entry} == {"2026-12-08"}
    free = client.get("/fhir/Slot?schedule=parc-walkin&status=free", headers=bearer(token)).get_json()
    assert free["total"] == 1


def test_appointments_of_the_tokens_clinic_only(client, signed_rt):
    _, token = make_token(signed_rt)
    book(signed_rt, "+15145551234", person="Marie")
    book(signed_rt, "+15145559876", clinic="westmount", person="John")
    bundle = Bundle.model_validate_json(client.get("/fhir/Appointment", headers=bearer(token)).data)
    assert [e.resource.participant[0].actor.display for e in bundle.entry] == ["Marie"]
    assert bundle.entry[0].resource.status == "booked"


def test_another_clinics_schedule_is_refused(client, signed_rt):
    _, token = make_token(signed_rt)
    response = client.get("/fhir/Slot?schedule=Schedule/westmount-appointments", headers=bearer(token))
    assert response.status_code == 400
    assert response.get_json()["resourceType"] == "OperationOutcome"


def test_no_token_a_wrong_one_or_a_revoked_one_gets_401(client, signed_rt):
    token_id, token = make_token(signed_rt)
    assert client.get("/fhir/Slot").status_code == 401
    assert client.get("/fhir/Slot", headers=bearer(token + "x")).status_code == 401
    assert client.get("/fhir/Slot", headers=bearer(token)).status_code == 200
    with signed_rt.session_factory.begin() as session:
        tokens.revoke_token(session, token_id, "test", signed_rt.now())
    response = client.get("/fhir/Slot", headers=bearer(token))
    assert response.status_code == 401
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_tokens_are_kept_as_hashes_and_every_read_is_audited(client, signed_rt):
    _, token = make_token(signed_rt)
    client.get("/fhir/Appointment", headers=bearer(token))
    with signed_rt.session_factory() as session:
        row = session.scalars(select(ApiToken)).one()
        assert token not in (row.token_hash, row.prefix)
        assert row.token_hash != token
        assert row.last_used_at is not None
        actions = [a.action for a in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert actions[-2:] == ["api_token.created", "api.read"]


def test_the_token_command_creates_lists_and_revokes(signed_rt, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", signed_rt.config.database_url)
    monkeypatch.setenv("CLINICLINE_INSTANCE", str(tmp_path))
    runner = CliRunner()
    created = runner.invoke(main, ["token", "create", "--clinic", "parc", "--name", "agenda"])
    assert created.exit_code == 0, created.output
    token = created.output.strip().splitlines()[-1]
    assert re.fullmatch(r"clt_[A-Za-z0-9_-]{43}", token)
    listed = runner.invoke(main, ["token", "list"])
    assert "agenda" in listed.output
    assert token not in listed.output
    assert "active" in listed.output
    token_id = listed.output.split()[0]
    revoked = runner.invoke(main, ["token", "revoke", token_id])
    assert revoked.exit_code == 0
    assert "revoked" in revoked.output
    assert runner.invoke(main, ["token", "revoke", token_id]).exit_code != 0
    assert runner.invoke(main, ["token", "create", "--clinic", "nowhere"]).exit_code != 0


def test_the_publish_command_writes_the_same_files_for_a_static_host(signed_rt, monkeypatch, tmp_path):
    import json

    from tests.federation.fhir_checks import check_manifest, parse_ndjson

    monkeypatch.setenv("DATABASE_URL", signed_rt.config.database_url)
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["publish", str(out), "--base-url", "https://static.example.org/parc"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "fhir" / "$bulk-publish").read_text())
    urls = check_manifest(manifest, "https://static.example.org/parc/fhir/$bulk-publish")
    for kind, (url,) in urls.items():
        name = url.rsplit("/", 1)[1]
        assert parse_ndjson(kind, (out / "fhir" / name).read_text())
    assert CliRunner().invoke(main, ["publish", str(out)]).exit_code != 0  # no base URL: refused
