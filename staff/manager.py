"""What a clinic's managers do besides the day: the audit log, patient rights, and the staff accounts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from flask import Response, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from core.models import AuditEntry, StaffAccount
from core.services import accounts, patient_data
from core.services.patients import try_normalize_phone
from core.timeutil import local_day_bounds, to_local
from core.webhooks import runtime
from staff.routes import audited as _audited
from staff.routes import bp, clinic_or_404

AUDIT_PAGE_ROWS = 500
MANAGER = "manager"


# ---- the audit log ------------------------------------------------------------------------------------------


def _audit_filters(clinic) -> dict:
    """person (account id), phone, day from the query string; a bad value is a 400 that says which."""
    filters: dict = {"person": None, "phone": None, "day": None}
    person = request.args.get("person", "")
    if person:
        if not person.isdigit() or len(person) > 18:
            abort(400, "bad_input")
        filters["person"] = int(person)
    phone = request.args.get("phone", "")
    if phone:
        filters["phone"] = try_normalize_phone(phone[:30]) or abort(400, "bad_phone")
    day = request.args.get("day", "")
    if day:
        try:
            filters["day"] = dt.date.fromisoformat(day[:10])
        except ValueError:
            abort(400, "bad_date")
        if not 2000 <= filters["day"].year <= 2100:
            abort(400, "date_out_of_range")
    return filters


def _audit_rows(s, clinic, filters: dict, limit: int | None) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.clinic_id == clinic.id)
    if filters["person"] is not None:
        query = query.where(AuditEntry.account_id == filters["person"])
    if filters["phone"]:
        subjects = patient_data.audit_subjects(s, filters["phone"], [clinic.id])
        query = query.where(AuditEntry.subject.in_(subjects or ["-"]))
    if filters["day"]:
        start, end = local_day_bounds(filters["day"], clinic.timezone)
        query = query.where(AuditEntry.at >= start, AuditEntry.at < end)
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    return list(s.scalars(query.limit(limit) if limit else query))


@bp.get("/<clinic_id>/audit")
def audit_log(clinic_id: str):
    rt = runtime()
    with rt.session_factory() as s:
        clinic = clinic_or_404(s, clinic_id, MANAGER)
        filters = _audit_filters(clinic)
        rows = _audit_rows(s, clinic, filters, AUDIT_PAGE_ROWS)
        people = accounts.accounts_of_clinics(s, [clinic.id])
        names = {a.id: a.display_name for a in people}
        return render_template(
            "staff/audit.html",
            clinic=clinic,
            rows=rows,
            people=people,
            names=names,
            filters=filters,
            args=request.args,
            local=lambda at: to_local(at, clinic.timezone).strftime("%Y-%m-%d %H:%M:%S"),
            limit=AUDIT_PAGE_ROWS,
        )


@bp.get("/<clinic_id>/audit.csv")
def audit_csv(clinic_id: str):
    rt = runtime()
    with rt.session_factory.begin() as s:
        clinic = clinic_or_404(s, clinic_id, MANAGER)
        filters = _audit_filters(clinic)
        rows = _audit_rows(s, clinic, filters, None)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            ["at_utc", "at_local", "action", "channel", "account_id", "actor", "subject", "detail"]
        )
        for e in rows:
            writer.writerow(
                patient_data.csv_cell(cell)
                for cell in [
                    e.at.isoformat(),
                    to_local(e.at, clinic.timezone).isoformat(),
                    e.action,
                    e.channel,
                    e.account_id or "",
                    e.actor or "",
                    e.subject or "",
                    json.dumps(e.detail or {}, ensure_ascii=False),
                ]
            )
        _audited(
            s,
            "audit.exported",
            clinic,
            rows=len(rows),
            **{k: str(v) for k, v in filters.items() if v is not None},
        )
    return _download(out.getvalue(), f"audit-{clinic_id}.csv", "text/csv")


def _download(body: str, filename: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ---- patient rights --------------------------------------------------------------------------------------------


@bp.get("/<clinic_id>/patient")
def patient_rights(clinic_id: str):
    rt = runtime()
    with rt.session_factory() as s:
        clinic = clinic_or_404(s, clinic_id, MANAGER)
        return render_template("staff/patient.html", clinic=clinic, notice=request.args.get("notice"))


def _confirmed_phone() -> str:
    """The number, typed twice the same way; otherwise a 400 that says so."""
    phone = try_normalize_phone(request.form.get("phone", "")[:30])
    again = try_normalize_phone(request.form.get("phone_again", "")[:30])
    if phone is None:
        abort(400, "bad_phone")
    if phone != again:
        abort(400, "numbers_differ")
    return phone


@bp.post("/<clinic_id>/patient/export")
def patient_export(clinic_id: str):
    """Everything this clinic holds about a number, as JSON or CSV (audited)."""
    rt = runtime()
    kind = "csv" if request.form.get("format") == "csv" else "json"
    with rt.session_factory.begin() as s:
        clinic = clinic_or_404(s, clinic_id, MANAGER)
        phone = _confirmed_phone()
        data = patient_data.export(s, phone, [clinic.id])
        _audited(
            s,
            "patient.exported",
            clinic,
            subject=f"patient:{data['patient']['id']}" if data["patient"] else None,
            format=kind,
        )
    stamp = rt.now().strftime("%Y%m%d")
    if kind == "csv":
        return _download(patient_data.export_csv(data), f"patient-{clinic_id}-{stamp}.csv", "text/csv")
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    return _download(body, f"patient-{clinic_id}-{stamp}.json", "application/json")


@bp.post("/<clinic_id>/patient/erase")
def patient_erase(clinic_id: str):
    """Anonymise what this clinic holds about a number, keeping the counts (audited)."""
    rt = runtime()
    with rt.session_factory.begin() as s:
        clinic = clinic_or_404(s, clinic_id, MANAGER)
        phone = _confirmed_phone()
        done = patient_data.erase(s, phone, [clinic.id], rt.now())
        _audited(
            s,
            "patient.erased",
            clinic,
            subject=f"patient:{done['anonymous_patient']}",
            **done,
        )
    return redirect(url_for("staff.patient_rights", clinic_id=clinic_id, notice="erased"))


# ---- staff accounts -----------------------------------------------------------------------------------------


@bp.get("/<clinic_id>/accounts")
def account_list(clinic_id: str):
    rt = runtime()
    with rt.session_factory() as s:
        clinic = clinic_or_404(s, clinic_id, MANAGER)
        people = accounts.accounts_of_clinics(s, [clinic.id])
        return render_template(
            "staff/accounts.html",
            clinic=clinic,
            people=[(a, accounts.clinic_roles(a).get(clinic.id)) for a in people],
            roles=accounts.ROLES,
            notice=request.args.get("notice"),
            shown=None,
        )


def _shown_password(clinic_id: str, login: str, password: str):
    """The page that shows a new password once (never stored in clear, never sent again)."""
    with runtime().session_factory() as s:
        clinic = clinic_or_404(s, clinic_id, MANAGER)
        people = accounts.accounts_of_clinics(s, [clinic.id])
        return render_template(
            "staff/accounts.html",
            clinic=clinic,
            people=[(a, accounts.clinic_roles(a).get(clinic.id)) for a in people],
            roles=accounts.ROLES,
            notice=None,
            shown={"login": login, "password": password},
        )


@bp.post("/<clinic_id>/accounts")
def account_add(clinic_id: str):
    rt = runtime()
    role = request.form.get("role", "reception")
    if role not in accounts.ROLES:
        abort(400, "bad_input")
    password = accounts.make_password()
    try:
        with rt.session_factory.begin() as s:
            clinic = clinic_or_404(s, clinic_id, MANAGER)
            account = accounts.create(
                s,
                request.form.get("login", ""),
                request.form.get("name", ""),
                password,
                {clinic.id: role},
                rt.now(),
            )
            _audited(
                s,
                "staff.account_added",
                clinic,
                subject=f"account:{account.id}",
                role=role,
            )
            login = account.login
    except accounts.AccountError:
        return redirect(url_for("staff.account_list", clinic_id=clinic_id, notice="account_refused"))
    return _shown_password(clinic_id, login, password)


def _clinic_account(s, clinic, account_id: int) -> StaffAccount:
    """An account that works at this clinic; any other is not found."""
    account = s.get(StaffAccount, account_id)
    if account is None or clinic.id not in accounts.clinic_roles(account):
        abort(404)
    return account


def _managed_everywhere(account: StaffAccount) -> bool:
    """A manager changes only accounts whose every clinic they manage too."""
    return all(current_user.may(c, MANAGER) for c in accounts.clinic_roles(account))


@bp.post("/<clinic_id>/accounts/<id:account_id>/password")
def account_new_password(clinic_id: str, account_id: int):
    rt = runtime()
    password = accounts.make_password()
    with rt.session_factory.begin() as s:
        clinic = clinic_or_404(s, clinic_id, MANAGER)
        account = _clinic_account(s, clinic, account_id)
        if not _managed_everywhere(account):
            return redirect(url_for("staff.account_list", clinic_id=clinic_id, notice="account_shared"))
        accounts.change_password(account, password, rt.now())
        _audited(
            s,
            "staff.password_reset",
            clinic,
            subject=f"account:{account.id}",
        )
        login = account.login
    return _shown_password(clinic_id, login, password)


@bp.post("/<clinic_id>/accounts/<id:account_id>/disable")
def account_disable(clinic_id: str, account_id: int):
    rt = runtime()
    with rt.session_factory.begin() as s:
        clinic = clinic_or_404(s, clinic_id, MANAGER)
        account = _clinic_account(s, clinic, account_id)
        if not _managed_everywhere(account):
            return redirect(url_for("staff.account_list", clinic_id=clinic_id, notice="account_shared"))
        if account.id == current_user.account_id:
            return redirect(url_for("staff.account_list", clinic_id=clinic_id, notice="not_yourself"))
        accounts.disable(account)
        _audited(
            s,
            "staff.account_disabled",
            clinic,
            subject=f"account:{account.id}",
        )
    return redirect(url_for("staff.account_list", clinic_id=clinic_id, notice="done"))
