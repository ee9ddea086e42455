"""Staff accounts: Argon2id passwords, roles per clinic, and the version that ends older sessions."""

from __future__ import annotations

import datetime as dt
import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import DomainError
from core.models import Clinic, StaffAccount, StaffRole

ROLES = ("reception", "manager")
LOGIN_MAX = 120
NAME_MAX = 120
PASSWORD_MIN = 10

# argon2-cffi's defaults are RFC 9106's low-memory choice for Argon2id (64 MiB, 3 passes).
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the login is unknown: the same cost as a real check (made on first need)."""
    return _hasher.hash(secrets.token_urlsafe(16))


class AccountError(DomainError):
    """A staff account could not be created or changed; the message says why."""


def normalize_login(login: str) -> str:
    """Logins compare without case or surrounding spaces."""
    return " ".join((login or "").split()).lower()[:LOGIN_MAX]


def hash_password(password: str) -> str:
    """An Argon2id hash (salt and parameters included)."""
    return _hasher.hash(password)


def make_password() -> str:
    """A password to hand out once: 16 random URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)


def find(session: Session, login: str) -> StaffAccount | None:
    """The account with this login, if any."""
    return session.scalar(select(StaffAccount).where(StaffAccount.login == normalize_login(login)))


def authenticate(session: Session, login: str, password: str) -> StaffAccount | None:
    """The active account whose password this is, else None (same cost whether the login exists or not)."""
    account = find(session, login) if login else None
    try:
        _hasher.verify(account.password_hash if account else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if account is None or not account.active or not account.roles:
        return None
    if _hasher.check_needs_rehash(account.password_hash):  # parameters were raised since it was set
        account.password_hash = hash_password(password)
    return account


def parse_roles(session: Session, specs: list[str]) -> dict[str, str]:
    """["parc:manager", "westmount:reception"] -> {clinic id: role}, each clinic known, each role valid."""
    roles: dict[str, str] = {}
    for spec in specs:
        clinic_id, _, role = spec.partition(":")
        role = role or "reception"
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
        if session.get(Clinic, clinic_id) is None:
            raise AccountError(f"unknown clinic {clinic_id!r}")
        roles[clinic_id] = role
    return roles


def create(
    session: Session, login: str, display_name: str, password: str, roles: dict[str, str], now: dt.datetime
) -> StaffAccount:
    """A new account with its roles; the login must be free and the password long enough."""
    login = normalize_login(login)
    if not login:
        raise AccountError("a login is needed")
    if find(session, login) is not None:
        raise AccountError(f"the login {login!r} is taken")
    if not roles:
        raise AccountError("give at least one role, e.g. --role parc:reception")
    _check_password(password)
    account = StaffAccount(
        login=login,
        display_name=" ".join(display_name.split())[:NAME_MAX] or login,
        password_hash=hash_password(password),
        active=True,
        session_version=1,
        created_at=now,
        password_changed_at=now,
    )
    account.roles = [StaffRole(clinic_id=c, role=r) for c, r in sorted(roles.items())]
    session.add(account)
    session.flush()
    return account


def change_password(account: StaffAccount, password: str, now: dt.datetime) -> None:
    """A new password; every session signed in with the old one ends."""
    _check_password(password)
    account.password_hash = hash_password(password)
    account.password_changed_at = now
    end_sessions(account)


def disable(account: StaffAccount) -> None:
    """The account can no longer sign in, and its open sessions end."""
    account.active = False
    end_sessions(account)


def end_sessions(account: StaffAccount) -> None:
    """Every cookie issued so far for this account stops working (its id carries the old version)."""
    account.session_version += 1


def session_id(account: StaffAccount) -> str:
    """The id a signed-in cookie carries: account and session version."""
    return f"{account.id}:{account.session_version}"


def from_session_id(session: Session, value: str) -> StaffAccount | None:
    """The active account a cookie's id names, if its version is still the current one."""
    account_id, _, version = (value or "").partition(":")
    if not (account_id.isdigit() and version.isdigit()) or len(account_id) > 18:
        return None
    account = session.get(StaffAccount, int(account_id))
    if account is None or not account.active or account.session_version != int(version):
        return None
    return account


def clinic_roles(account: StaffAccount) -> dict[str, str]:
    """clinic id -> role of this account."""
    return {r.clinic_id: r.role for r in account.roles}


def may(account: StaffAccount, clinic_id: str, role: str = "reception") -> bool:
    """Whether the account works at this clinic with at least this role (a manager is also reception)."""
    held = clinic_roles(account).get(clinic_id)
    return held == "manager" or (held == "reception" and role == "reception")


def accounts_of_clinics(session: Session, clinic_ids: list[str]) -> list[StaffAccount]:
    """The accounts that hold a role in any of these clinics, by name."""
    return list(
        session.scalars(
            select(StaffAccount)
            .where(
                StaffAccount.id.in_(select(StaffRole.account_id).where(StaffRole.clinic_id.in_(clinic_ids)))
            )
            .order_by(StaffAccount.display_name)
        )
    )


def all_accounts(session: Session) -> list[StaffAccount]:
    return list(session.scalars(select(StaffAccount).order_by(StaffAccount.login)))


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(StaffAccount)) or 0


def first_manager(
    session: Session, now: dt.datetime, login: str = "admin"
) -> tuple[StaffAccount, str] | None:
    """On an instance without accounts: a manager of every clinic, with a password to show once."""
    if count(session):
        return None
    clinic_ids = session.scalars(select(Clinic.id).order_by(Clinic.id)).all()
    if not clinic_ids:
        return None
    password = make_password()
    account = create(session, login, "Administrator", password, dict.fromkeys(clinic_ids, "manager"), now)
    return account, password


def _check_password(password: str) -> None:
    if len(password or "") < PASSWORD_MIN:
        raise AccountError(f"a password needs at least {PASSWORD_MIN} characters")
