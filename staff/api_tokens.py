"""The console page where a manager creates and revokes the read API's tokens (GET/POST /staff/api-tokens).

Only a signed-in manager, and only for the clinics they manage: another clinic's token is not found.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from core.federation import tokens
from core.models import ApiToken, Clinic
from core.webhooks import runtime
from staff import security

bp = Blueprint("staff_api_tokens", __name__, url_prefix="/staff/api-tokens", template_folder="templates")


@bp.before_request
def _guard():
    """A signed-in manager (not idle too long); every post carries the form's token."""
    if request.method == "POST":
        current_app.extensions["csrf"].protect()
    if not current_user.is_authenticated:
        return redirect(url_for("staff.login", next=request.path))
    if not security.idle_check():
        return redirect(url_for("staff.login", notice="session_expired"))
    if not current_user.clinic_ids("manager"):
        abort(404)
    return None


def _managed(s) -> tuple[list[Clinic], list[ApiToken]]:
    """The clinics the account manages and their tokens."""
    ids = current_user.clinic_ids("manager")
    clinics = s.scalars(select(Clinic).where(Clinic.id.in_(ids)).order_by(Clinic.id)).all()
    return clinics, [row for row in tokens.list_tokens(s) if row.clinic_id in ids]


@bp.get("/")
def page():
    rt = runtime()
    with rt.session_factory() as s:
        clinics, rows = _managed(s)
        return render_template("staff/api_tokens.html", clinics=clinics, tokens=rows, created=None)


@bp.post("/")
def create():
    clinic_id = request.form.get("clinic", "")
    if not current_user.may(clinic_id, "manager"):
        abort(404)
    rt = runtime()
    with rt.session_factory.begin() as s:
        try:
            row, token = tokens.create_token(
                s, clinic_id, request.form.get("name", "api").strip()[:80], current_user.actor, rt.now()
            )
        except tokens.TokenError:
            abort(404)
        clinics, rows = _managed(s)
        # The token is shown on this one answer and never again (only its hash is kept).
        return render_template("staff/api_tokens.html", clinics=clinics, tokens=rows, created=(row, token))


@bp.post("/<int:token_id>/revoke")
def revoke(token_id: int):
    rt = runtime()
    with rt.session_factory.begin() as s:
        row = s.get(ApiToken, token_id)
        if row is None or not current_user.may(row.clinic_id, "manager"):
            abort(404)
        try:
            tokens.revoke_token(s, token_id, current_user.actor, rt.now())
        except tokens.TokenError:
            abort(404)
    return redirect(url_for("staff_api_tokens.page"))
