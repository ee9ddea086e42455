"""All configuration read from the environment, in one place."""

from __future__ import annotations

import os
import secrets
import stat
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_TWILIO_API = "https://api.twilio.com"
SECRET_KEY_FILE = "secret_key"
# Twilio waits 15 s; every webhook answers within 5 s: its database work has this long, then the turn
# rolls back and the patient gets the degraded answer.
WEBHOOK_DEADLINE_SECONDS = 3.5


class UnsafeSettings(RuntimeError):
    """A setting that would make the line misbehave in production; the message says what to do."""


@dataclass(frozen=True)
class Config:
    """Settings of one clinicline process."""

    database_url: str
    instance_path: Path
    redis_url: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    public_base_url: str | None = None
    twilio_api_base_url: str = DEFAULT_TWILIO_API
    secret_key: str | None = None  # unset: created once in the instance folder (see secret_key_of)
    clinics_file: Path | None = None
    metrics_token: str | None = None  # GET /metrics wants "Authorization: Bearer <token>"; unset: 404
    staff_idle_minutes: int = 30  # a console session left idle this long ends
    hold_minutes: int = 5
    conversation_idle_minutes: int = 30
    slot_horizon_days: int = 30
    retention_days: int = 30
    testing: bool = False
    neighbours: tuple[str, ...] = ()  # CLINICLINE_NEIGHBOURS: other instances' $bulk-publish URLs
    webhook_deadline_seconds: float = WEBHOOK_DEADLINE_SECONDS
    # Fault injection for tests/faults only: the process SIGKILLs itself right after committing a
    # transaction that inserted into this table (e.g. "appointments"). Never set in production.
    fault_kill_after_commit: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def verify_signatures(self) -> bool:
        """Webhooks must be signed once an auth token is configured."""
        return bool(self.twilio_auth_token)

    @property
    def sends_for_real(self) -> bool:
        """Outbound messages go to Twilio only with credentials; otherwise they are stored and logged."""
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    def with_(self, **changes) -> Config:
        """A copy with some settings changed (tests, command line)."""
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Config:
        """Build the configuration from environment variables."""
        env = os.environ if environ is None else environ
        instance = Path(env.get("CLINICLINE_INSTANCE", "instance")).resolve()
        db_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'clinicline.db'}"
        if db_url.startswith("postgres://"):  # Heroku-style URLs name the old dialect
            db_url = "postgresql+psycopg://" + db_url[len("postgres://") :]
        elif db_url.startswith("postgresql://"):
            db_url = "postgresql+psycopg://" + db_url[len("postgresql://") :]
        clinics = env.get("CLINICLINE_CLINICS")
        values = dict(
            database_url=db_url,
            instance_path=instance,
            redis_url=env.get("REDIS_URL") or None,
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID") or None,
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN") or None,
            public_base_url=(env.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
            twilio_api_base_url=(env.get("TWILIO_API_BASE_URL") or DEFAULT_TWILIO_API).rstrip("/"),
            secret_key=env.get("SECRET_KEY") or None,
            clinics_file=Path(clinics) if clinics else None,
            neighbours=tuple(u for u in env.get("CLINICLINE_NEIGHBOURS", "").replace(",", " ").split() if u),
            metrics_token=env.get("CLINICLINE_METRICS_TOKEN") or None,
            staff_idle_minutes=int(env.get("CLINICLINE_STAFF_IDLE_MINUTES") or 30),
            webhook_deadline_seconds=float(
                env.get("CLINICLINE_WEBHOOK_DEADLINE") or WEBHOOK_DEADLINE_SECONDS
            ),
            fault_kill_after_commit=env.get("CLINICLINE_FAULT_KILL_AFTER_COMMIT") or None,
        )
        values.update(overrides)
        return cls(**values)


def secret_key_of(config: Config) -> str:
    """SECRET_KEY, else the key kept in the instance folder, created once (mode 0600) by the first process.

    Every process of one instance folder (gunicorn's workers, a restart) signs staff sessions with the
    same key, so nobody is signed out at random. Processes on several machines must share SECRET_KEY.
    """
    if config.secret_key:
        return config.secret_key
    path = config.instance_path / SECRET_KEY_FILE
    try:
        config.instance_path.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:  # this process is the first: write the key; the others wait for it below
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
                out.flush()
                os.fsync(out.fileno())
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise UnsafeSettings(
                f"{path} can be read by other users (mode {mode:o}): run `chmod 600 {path}`, or set SECRET_KEY"
            )
        for _ in range(100):  # another process created it a moment ago and may still be writing
            key = path.read_text().strip()
            if key:
                return key
            time.sleep(0.01)
    except OSError as exc:
        raise UnsafeSettings(
            f"SECRET_KEY is not set and the key file {path} cannot be used ({exc.strerror}): set SECRET_KEY "
            "(the same value for every process), or make the instance folder (CLINICLINE_INSTANCE) writable"
        ) from exc
    raise UnsafeSettings(f"{path} is empty: delete it (a new key is created) or set SECRET_KEY")
