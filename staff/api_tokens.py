"""The console page where a manager creates and revokes the read API's tokens (GET/POST /staff/api-tokens).

Who may use it is decided by `may_manage_tokens`: today any signed-in console user; with named accounts and
roles it must be a manager of the clinic (the one line to change when the console's accounts land).
"""

from __future__ import annotations

import hmac

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from sqlalchemy import select

from core.federation import tokens
from core.models import ApiToken, Clinic
from core.webhooks import runtime

bp = Blueprint("staff_api_tokens", __name__, url_prefix="/staff/api-tokens", template_folder="templates")


def may_manage_tokens(clinic_id: str | None) -> str | None:
    """The signed-in account's name when it may create or revoke this clinic's tokens, else None."""
    return session.get("staff")


def _guard(clinic_id: str | None = None) -> str:
    who = may_manage_tokens(clinic_id)
    if who is None:
        abort(redirect(url_for("staff.login", next=request.path)))
    if request.method == "POST" and not hmac.compare_digest(
        request.form.get("csrf", ""), session.get("csrf", "")
    ):
        abort(400)
    return who


@bp.get("/")
def page():
    _guard()
    rt = runtime()
    with rt.session_factory() as s:
        clinics = s.scalars(select(Clinic).order_by(Clinic.id)).all()
        rows = tokens.list_tokens(s)
        return render_template("staff/api_tokens.html", clinics=clinics, tokens=rows, created=None)


@bp.post("/")
def create():
    clinic_id = request.form.get("clinic", "")
    who = _guard(clinic_id)
    rt = runtime()
    with rt.session_factory.begin() as s:
        try:
            row, token = tokens.create_token(
                s, clinic_id, request.form.get("name", "api").strip(), who, rt.now()
            )
        except tokens.TokenError:
            abort(404)
        clinics = s.scalars(select(Clinic).order_by(Clinic.id)).all()
        rows = tokens.list_tokens(s)
        # The token is shown on this one answer and never again (only its hash is kept).
        return render_template("staff/api_tokens.html", clinics=clinics, tokens=rows, created=(row, token))


@bp.post("/<int:token_id>/revoke")
def revoke(token_id: int):
    rt = runtime()
    with rt.session_factory.begin() as s:
        row = s.get(ApiToken, token_id)
        who = _guard(row.clinic_id if row else None)
        try:
            tokens.revoke_token(s, token_id, who, rt.now())
        except tokens.TokenError:
            abort(404)
    return redirect(url_for("staff_api_tokens.page"))
