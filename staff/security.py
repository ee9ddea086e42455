"""Sign-in and the console's protections, each done by a kept library.

- Flask-Login keeps who is signed in. The id in the cookie is "account:version"; the version is bumped at
  logout, password change and disabling, so a copied or older cookie no longer signs anyone in.
- Flask-WTF checks a CSRF token on every form the console posts (only on the console: webhooks are signed
  by Twilio instead).
- Flask-Limiter throttles wrong passwords per account and per address, in memory or on Redis (REDIS_URL), so
  several processes share the count.
- Idle sessions end after `staff_idle_minutes` (30 by default); cookies are `Secure` behind https; every
  console page carries a content security policy and the usual headers.
"""

from __future__ import annotations

import datetime as dt
import time

from flask import Flask, current_app, g, redirect, request, session, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user, logout_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import IntegerConverter

from core.services import accounts, audit

WRONG_PASSWORDS_PER_ACCOUNT = "5 per minute"  # the 6th wrong password within a minute is refused
WRONG_PASSWORDS_PER_ADDRESS = "20 per minute"  # a clinic's receptionists often share one address
FAILED_SIGN_IN = 401

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for older browsers
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # health information stays out of shared and browser caches
}


class RowId(IntegerConverter):
    """A database id in a URL, at most 18 digits (below 2**63, which SQLite cannot even compare): a longer
    number matches no route, whatever the method, so it is a 404 rather than an overflow."""

    regex = r"\d{1,18}"


class StaffUser(UserMixin):
    """The signed-in account as the console needs it for one request."""

    def __init__(self, account):
        self.account_id = account.id
        self.login = account.login
        self.display_name = account.display_name
        self.roles = accounts.clinic_roles(account)
        self._id = accounts.session_id(account)

    def get_id(self) -> str:
        return self._id

    @property
    def actor(self) -> str:
        """How the audit log names this person (next to the account id)."""
        return self.display_name[:80]

    def may(self, clinic_id: str, role: str = "reception") -> bool:
        held = self.roles.get(clinic_id)
        return held == "manager" or (held == "reception" and role == "reception")

    def clinic_ids(self, role: str = "reception") -> list[str]:
        return sorted(c for c in self.roles if self.may(c, role))


def _runtime():
    return current_app.extensions["clinicline"]


def _account_key() -> str:
    """The login typed in, so guesses at one account are counted wherever they come from."""
    return "account:" + accounts.normalize_login(request.form.get("login", ""))


def _address_key() -> str:
    return "address:" + (get_remote_address() or "unknown")


def _failed(response) -> bool:
    return response.status_code == FAILED_SIGN_IN


def retry_in_seconds() -> int:
    """Seconds until the breached sign-in limit lets the next attempt through."""
    limiter = current_app.extensions["staff_limiter"]
    limit = limiter.current_limit
    if limit is None:
        return 60
    return max(1, int(limit.reset_at - time.time()))


def init_app(app: Flask) -> None:
    """Wire sign-in, CSRF, the throttle and the session rules into the app (called when staff is registered)."""
    config = app.extensions["clinicline"].config
    app.config.update(
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=config.staff_idle_minutes),
        SESSION_COOKIE_SECURE=(config.public_base_url or "").startswith("https://"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_CHECK_DEFAULT=False,  # checked on the console's own requests only (see staff.routes)
        WTF_CSRF_TIME_LIMIT=None,  # a token lives as long as its session, which idles out on its own
        RATELIMIT_STORAGE_URI=config.redis_url or "memory://",
        RATELIMIT_STRATEGY="moving-window",  # "in a minute" means any 60 seconds, not the clock's minute
        RATELIMIT_KEY_PREFIX="clinicline-sign-in",
        RATELIMIT_HEADERS_ENABLED=True,  # Retry-After on the 429
        RATELIMIT_SWALLOW_ERRORS=True,
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,  # Redis down: sign-in is still throttled, per process
    )
    login_manager = LoginManager(app)
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load(user_id: str):
        with _runtime().session_factory() as s:
            account = accounts.from_session_id(s, user_id)
            return StaffUser(account) if account is not None and account.roles else None

    @login_manager.unauthorized_handler
    def _sign_in_first():
        return redirect(url_for("staff.login", next=request.path))

    CSRFProtect(app)
    limiter = Limiter(get_remote_address, app=app)
    app.extensions["staff_limiter"] = limiter
    view = app.view_functions["staff.login"]
    for key, rate in (
        (_address_key, WRONG_PASSWORDS_PER_ADDRESS),
        (_account_key, WRONG_PASSWORDS_PER_ACCOUNT),
    ):
        view = limiter.limit(rate, key_func=key, methods=["POST"], deduct_when=_failed)(view)
    app.view_functions["staff.login"] = view


def idle_check(touch: bool = True) -> bool:
    """False (and signed out) when the session was idle too long; else note this request's time.

    `touch=False` (a page polling by itself) checks without counting the request as the person's activity.
    """
    if not current_user.is_authenticated:
        return True
    now = _runtime().now().timestamp()
    seen = session.get("seen")
    idle = _runtime().config.staff_idle_minutes * 60
    if seen is not None and now - float(seen) > idle:
        logout_user()
        session.clear()
        return False
    if touch or seen is None:
        session["seen"] = now
        session.permanent = True
    return True


def act_as_signed_in() -> None:
    """Audit entries recorded during this request carry the signed-in account's id."""
    if current_user.is_authenticated:
        g.audit_token = audit.acting_account.set(current_user.account_id)


def stop_acting(_exc=None) -> None:
    token = g.pop("audit_token", None)
    if token is not None:
        audit.acting_account.reset(token)


def add_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
