"""`clinicline token create|revoke|list`: API tokens for a clinic's own systems (the /fhir read API)."""

from __future__ import annotations

import getpass

import click

from core.config import Config


def _runtime():
    from core.db import upgrade
    from core.runtime import build_runtime

    runtime = build_runtime(Config.from_env())
    upgrade(runtime.engine)
    return runtime


def _operator() -> str:
    """Who ran the command, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"[:80]
    except (KeyError, OSError):
        return "cli"


@click.group("token")
def token_command() -> None:
    """API tokens of the read API (GET /fhir/Slot, /fhir/Appointment) — one clinic each."""


@token_command.command("create")
@click.option("--clinic", "clinic_id", required=True, help="The clinic id the token may read.")
@click.option("--name", default="api", show_default=True, help="What the token is for (shown in lists).")
def token_create(clinic_id: str, name: str) -> None:
    """Create a token; it is printed once and only its hash is kept."""
    from core.federation.tokens import TokenError, create_token

    runtime = _runtime()
    try:
        with runtime.session_factory.begin() as session:
            row, token = create_token(session, clinic_id, name, _operator(), runtime.now())
            token_id = row.id
    except TokenError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        runtime.dispose()
    click.echo(f"token {token_id} for {clinic_id} ({name}); keep it now, it is not shown again:")
    click.echo(token)


@token_command.command("revoke")
@click.argument("token_id", type=int)
def token_revoke(token_id: int) -> None:
    """Revoke a token at once (by the id `token list` shows)."""
    from core.federation.tokens import TokenError, revoke_token

    runtime = _runtime()
    try:
        with runtime.session_factory.begin() as session:
            row = revoke_token(session, token_id, _operator(), runtime.now())
            click.echo(f"revoked token {row.id} ({row.prefix}…) of {row.clinic_id}")
    except TokenError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        runtime.dispose()


@token_command.command("list")
@click.option("--clinic", "clinic_id", default=None)
def token_list(clinic_id: str | None) -> None:
    """The tokens, live and revoked (never the tokens themselves)."""
    from core.federation.tokens import list_tokens

    runtime = _runtime()
    try:
        with runtime.session_factory() as session:
            rows = list_tokens(session, clinic_id)
            for row in rows:
                state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "active"
                used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never"
                click.echo(
                    f"{row.id:>4} {row.clinic_id:<12} {row.prefix}…  {row.name:<20} {state}; last used {used}"
                )
            if not rows:
                click.echo("no tokens")
    finally:
        runtime.dispose()
