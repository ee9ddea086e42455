"""All configuration read from the environment, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_TWILIO_API = "https://api.twilio.com"


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
    secret_key: str | None = None  # unset: made up per process (set it when several processes serve)
    clinics_file: Path | None = None
    metrics_token: str | None = None  # GET /metrics wants "Authorization: Bearer <token>"; unset: 404
    staff_idle_minutes: int = 30  # a console session left idle this long ends
    hold_minutes: int = 5
    conversation_idle_minutes: int = 30
    slot_horizon_days: int = 30
    retention_days: int = 30
    testing: bool = False
    neighbours: tuple[str, ...] = ()  # CLINICLINE_NEIGHBOURS: other instances' $bulk-publish URLs
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
        )
        values.update(overrides)
        return cls(**values)
