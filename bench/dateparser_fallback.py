"""Would dateparser, called when core.language reads no date, add accuracy? Measured on the utterance set.

Usage: python bench/dateparser_fallback.py [--data PATH] [--examples N]
(dateparser is no dependency of clinicline any more: `pip install dateparser` to run this.)

For every record the language benchmark scores for its date (same scope and "now" as bench/language_bench.py),
the rules run first; dateparser (French or English, DMY order, future dates, relative to the record's now)
runs only where the rules give no date. Two gates are compared: "any" (every message left without a date)
and "absolute" (only messages naming a month or a numeric date, where the rules are weakest in theory).
A fallback also runs on messages that hold no date at all: what it finds there is a false date, so those
are counted on every record the benchmark reads (the dialogue turns with no annotated date included).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from language_bench import (  # noqa: E402
    DEFAULT_DATA,
    duckling_in_scope,
    implied_date,
    is_duckling,
    reference_now,
)

from core.language import understand  # noqa: E402

ABSOLUTE = re.compile(
    r"\b(?:jan|feb|fev|f[ée]v|mar|apr|avr|may|mai|jun|juin|jul|juil|aug|ao[uû]t|sep|oct|nov|d[ée]c)[a-zéû]*\.?"
    r"|\b\d{1,2}[/-]\d{1,2}\b|\b\d{4}\b",
    re.IGNORECASE,
)


def parse_with_dateparser(text: str, lang: str, now):
    """dateparser's reading of one message, as a date (None when it reads nothing)."""
    import dateparser

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = dateparser.parse(
            text,
            languages=[lang],
            settings={"PREFER_DATES_FROM": "future", "RELATIVE_BASE": now, "DATE_ORDER": "DMY"},
        )
    return found.date() if found else None


def expected_date(record: dict, now):
    """The annotated day the benchmark scores, or None when the record holds no scored date."""
    if is_duckling(record):
        return record["date_canonical"] if duckling_in_scope(record, now) else "skip"
    return record.get("date_canonical")


def main(argv: list[str] | None = None) -> int:
    """Print, per gate, dates gained, dates made wrong, false dates on dateless turns, and time per call."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--examples", type=int, default=8)
    args = parser.parse_args(argv)
    records = [
        json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    rows = []
    start = time.perf_counter()
    for record in records:
        now = reference_now(record)
        result = understand(record["text"], record["lang"], now)
        rows.append((record, now, result))
    rules_seconds = time.perf_counter() - start
    print(f"rules alone: {len(records) / rules_seconds:,.0f} messages/s over {len(records)} records\n")
    speeds: dict = {}
    print(f"{'gate':<10}{'calls':>7}{'ms/call':>9}{'gained':>8}{'wrong':>7}{'false dates':>13}{'scored':>8}")
    for gate in ("any", "absolute"):
        calls = gained = wrong = false_dates = scored = 0
        examples: list[str] = []
        spent = 0.0
        for record, now, result in rows:
            expected = expected_date(record, now)
            if expected == "skip":
                continue
            got = implied_date(result, now) if is_duckling(record) else result.date
            if expected:
                scored += 1
            if got is not None:
                continue
            if gate == "absolute" and not ABSOLUTE.search(record["text"]):
                continue
            calls += 1
            t0 = time.perf_counter()
            fallback = parse_with_dateparser(record["text"], record["lang"], now)
            spent += time.perf_counter() - t0
            if fallback is None:
                continue
            if not expected:
                false_dates += 1
                if len(examples) < args.examples:
                    examples.append(f"   false {fallback}  {record['text'][:90]}")
            elif fallback.isoformat() == expected:
                gained += 1
                if len(examples) < args.examples:
                    examples.append(f"   gained {fallback}  {record['text'][:90]}")
            else:
                wrong += 1
                if len(examples) < args.examples:
                    examples.append(f"   wrong {fallback} (expected {expected})  {record['text'][:90]}")
        ms = 1000 * spent / calls if calls else 0.0
        speeds[gate] = (calls, spent)
        print(f"{gate:<10}{calls:>7}{ms:>9.2f}{gained:>8}{wrong:>7}{false_dates:>13}{scored:>8}")
        for line in examples:
            print(line)
    calls, spent = speeds["any"]
    print(
        f"\nrules + fallback on every dateless message: {len(records) / (rules_seconds + spent):,.0f} messages/s"
        f" ({(rules_seconds + spent) / rules_seconds:.2f}x the rules' time)"
    )
    print_traps()
    return 0


# Said to a Québec clinic (DESIGN.md §4 lists dateparser's French traps); now is Tuesday 2026-12-01 09:00.
TRAPS = [
    ("demain matin", "fr"),
    ("vendredi matin", "fr"),
    ("mardi prochain", "fr"),
    ("le premier décembre", "fr"),
    ("demain 9h", "fr"),
    ("jeudi 14h", "fr"),
    ("3/12", "fr"),
    ("je veux un rdv", "fr"),
    ("après jeudi", "fr"),
    ("le 3e jour d'octobre", "fr"),
    ("tmrw am", "en"),
    ("a quarter past 3pm", "en"),
]


def print_traps() -> None:
    """Rules and dateparser side by side on phrasings the clinic hears."""
    import datetime as dt

    now = dt.datetime(2026, 12, 1, 9, 0)
    print(f"\n{'message':<24}{'rules':<32}dateparser")
    for text, lang in TRAPS:
        result = understand(text, lang, now)
        rules = " ".join(
            str(v)
            for v in (result.date, result.time and result.time.strftime("%H:%M"), result.part_of_day)
            if v
        )
        if result.not_before:
            rules += f" (from {result.not_before})"
        import dateparser

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = dateparser.parse(
                text,
                languages=[lang],
                settings={"PREFER_DATES_FROM": "future", "RELATIVE_BASE": now, "DATE_ORDER": "DMY"},
            )
        print(f"{text:<24}{rules or '-':<32}{found.strftime('%Y-%m-%d %H:%M') if found else '-'}")


if __name__ == "__main__":
    raise SystemExit(main())
