"""`clinicline understand`: read patient messages from the command line and print what they mean as JSON."""

from __future__ import annotations

import datetime as dt
import json
import sys

import click

from core.language import understand


def parse_now(value: str | None, default: dt.datetime | None = None) -> dt.datetime:
    """Local naive datetime from "YYYY-MM-DD" or an ISO datetime; `default` (else the clock) when empty."""
    if not value:
        return default or dt.datetime.now()
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        parsed = parsed.replace(tzinfo=None)
    return parsed


def _dump(result) -> str:
    """One JSON line for an Understanding."""
    return json.dumps(result.as_dict(), ensure_ascii=False)


@click.command("understand")
@click.option("--lang", default=None, help="Known language of the patient (fr or en); default: detect.")
@click.option("--now", "now_", default=None, help="ISO local datetime, default: now")
@click.option(
    "--jsonl", is_flag=True, help='Read {"text","lang","now"} lines on stdin, write one result per line.'
)
@click.argument("text", required=False)
def understand_command(lang, now_, jsonl, text):
    """Print the intent, date, time and language found in TEXT (or in each --jsonl line)."""
    try:
        default_now = parse_now(now_) if now_ else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--now") from exc
    if not jsonl:
        if text is None:
            raise click.UsageError("give TEXT, or use --jsonl to read lines on stdin")
        click.echo(_dump(understand(text, lang, default_now or dt.datetime.now())))
        return
    stream = sys.stdin
    out = []
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            now = parse_now(record.get("now"), default_now)
        except ValueError as exc:
            raise click.ClickException(f"line {number}: {exc}") from exc
        out.append(_dump(understand(record.get("text") or "", record.get("lang") or lang, now)))
    if out:
        sys.stdout.write("\n".join(out) + "\n")
    sys.stdout.flush()
