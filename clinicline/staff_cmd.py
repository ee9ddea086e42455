"""`clinicline staff add|passwd|disable|list`: named console accounts with roles per clinic."""

from __future__ import annotations

import sys

import click

import prompts
from core.config import Config
from core.db import make_engine, make_session_factory, upgrade
from core.models import utcnow
from core.services import accounts


def _sessions():
    engine = make_engine(Config.from_env().database_url)
    upgrade(engine)
    return engine, make_session_factory(engine)


def _password(from_stdin: bool) -> tuple[str, bool]:
    """The password read from stdin (one line), else a new random one to print once."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    return accounts.make_password(), True


@click.group("staff")
def staff_command() -> None:
    """Staff console accounts: roles per clinic (reception, manager)."""


@staff_command.command("add")
@click.argument("login")
@click.option("--name", "display_name", default="", help="The name shown in the console and the audit log.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    metavar="CLINIC:ROLE",
    help="e.g. parc:reception or westmount:manager; repeat for several clinics.",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin instead of making one up.")
def add(login: str, display_name: str, roles: tuple[str, ...], password_stdin: bool) -> None:
    """Create an account (a made-up password is printed once)."""
    password, made_up = _password(password_stdin)
    engine, sessions = _sessions()
    try:
        with sessions.begin() as s:
            wanted = accounts.parse_roles(s, list(roles))
            account = accounts.create(s, login, display_name or login, password, wanted, utcnow())
            summary = _describe(account)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    click.echo(f"added {summary}")
    if made_up:
        click.echo(f"password (shown once): {password}")


@staff_command.command("passwd")
@click.argument("login")
@click.option(
    "--password-stdin", is_flag=True, help="Read the new password from stdin instead of making one up."
)
def passwd(login: str, password_stdin: bool) -> None:
    """Give an account a new password; its open sessions end."""
    password, made_up = _password(password_stdin)
    engine, sessions = _sessions()
    try:
        with sessions.begin() as s:
            account = accounts.find(s, login) or _unknown(login)
            accounts.change_password(account, password, utcnow())
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    click.echo(f"new password for {accounts.normalize_login(login)}; its open sessions are ended")
    if made_up:
        click.echo(f"password (shown once): {password}")


@staff_command.command("disable")
@click.argument("login")
def disable(login: str) -> None:
    """Stop an account from signing in; its open sessions end."""
    engine, sessions = _sessions()
    try:
        with sessions.begin() as s:
            account = accounts.find(s, login) or _unknown(login)
            accounts.disable(account)
    finally:
        engine.dispose()
    click.echo(f"disabled {accounts.normalize_login(login)}")


@staff_command.command("list")
def list_accounts() -> None:
    """Every account, its roles and whether it is active."""
    engine, sessions = _sessions()
    try:
        with sessions() as s:
            rows = [_describe(a) for a in accounts.all_accounts(s)]
    finally:
        engine.dispose()
    if not rows:
        click.echo("no staff accounts: clinicline staff add LOGIN --role CLINIC:ROLE")
    for row in rows:
        click.echo(row)


def _describe(account) -> str:
    roles = ", ".join(f"{r.clinic_id}:{r.role}" for r in account.roles) or "no role"
    state = "active" if account.active else "disabled"
    return f"{account.login:<24} {account.display_name} [{state}] {roles}"


def _unknown(login: str):
    raise click.ClickException(f"no account {accounts.normalize_login(login)!r}")


def first_manager_notice(config: Config, console_url: str) -> str | None:
    """On an instance without accounts: create a manager of every clinic; the words that show its password once."""
    engine = make_engine(config.database_url)
    try:
        with make_session_factory(engine).begin() as s:
            created = accounts.first_manager(s, utcnow())
            if created is None:
                return None
            account, password = created
            login = account.login
    finally:
        engine.dispose()
    return prompts.render("staff_first_manager", "en", login=login, password=password, url=console_url)
