"""The FHIR face of clinicline: the public SMART Scheduling Links files, and a token-protected read API.

GET /fhir/$bulk-publish                  the manifest (public, cached, ETag / If-None-Match)
GET /fhir/Location.ndjson, Schedule.ndjson, Slot.ndjson
GET /fhir/Slot?schedule=…&start=ge…      one clinic's slots     (Authorization: Bearer <token>)
GET /fhir/Appointment?date=ge…           one clinic's appointments
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, request

from core.federation import api, publish, tokens
from core.models import Clinic
from core.webhooks import runtime

bp = Blueprint("fhir", __name__, url_prefix="/fhir")

FHIR_JSON = "application/fhir+json"
CACHE_SECONDS = 60  # the guide's hint to clients: poll about once a minute


def _cache() -> publish.PublicationCache:
    return current_app.extensions.setdefault("clinicline_publication", publish.PublicationCache())


def _base_url() -> str:
    return runtime().config.public_base_url or request.url_root.rstrip("/")


def _published(name: str, mimetype: str) -> Response:
    rt = runtime()
    publication = _cache().get(rt.session_factory, rt.now(), _base_url())
    etag = publication.etags[name]
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={CACHE_SECONDS}"}
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        return Response(status=304, headers=headers)
    return Response(publication.files[name], mimetype=mimetype, headers=headers)


@bp.get("/$bulk-publish")
def manifest():
    """The manifest; `_since` is accepted and ignored, as the guide allows (clients get the full set)."""
    return _published(publish.MANIFEST, "application/json")


@bp.get("/<any(Location, Schedule, Slot):kind>.ndjson")
def ndjson(kind: str):
    return _published(publish.FILES[kind], publish.NDJSON)


def _outcome(status: int, code: str, text: str) -> Response:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": text}],
    }
    headers = {"WWW-Authenticate": 'Bearer realm="clinicline"'} if status == 401 else {}
    return Response(json.dumps(body), status=status, mimetype=FHIR_JSON, headers=headers)


def _search(what: str, run) -> Response:
    rt = runtime()
    presented = request.headers.get("Authorization", "")
    presented = presented[7:].strip() if presented.lower().startswith("bearer ") else None
    with rt.session_factory.begin() as session:
        token = tokens.authenticate(session, presented, rt.now())
        if token is None:
            return _outcome(401, "login", "a valid API token is needed (Authorization: Bearer …)")
        clinic = session.get(Clinic, token.clinic_id)
        try:
            found = run(session, clinic, rt.now())
        except api.BadSearch as exc:
            return _outcome(400, "invalid", str(exc))
        tokens.record_read(session, token, what, len(found), request.query_string.decode(errors="replace"))
        bundle = api.fhir.searchset(found, _base_url() + "/fhir")
    return Response(api.fhir.to_json(bundle), mimetype=FHIR_JSON)


@bp.get("/Slot")
def slots():
    return _search(
        "Slot",
        lambda session, clinic, now: api.search_slots(
            session,
            clinic,
            now,
            schedule=request.args.get("schedule"),
            start=request.args.getlist("start"),
            status=request.args.get("status"),
        ),
    )


@bp.get("/Appointment")
def appointments():
    return _search(
        "Appointment",
        lambda session, clinic, now: api.search_appointments(
            session, clinic, now, date=request.args.getlist("date"), status=request.args.get("status")
        ),
    )
