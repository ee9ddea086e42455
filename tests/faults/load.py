"""Twilio-shaped SMS traffic against a real server process: a rush, a race for slots, a steady load.

Each simulated patient is a keep-alive HTTP client of its own (one connection, as Twilio's fetchers
hold). A request that takes longer than Twilio's 15 s counts as a timeout. Used by tests/faults and
bench/serve_rush.py.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field

import aiohttp

TWILIO_WAIT_SECONDS = 15.0
CLINIC = "+15145550100"
_sids = itertools.count(1)


def phone(n: int) -> str:
    """A distinct Montréal mobile number per simulated patient."""
    return f"+1438{200 + n // 10_000:03d}{n % 10_000:04d}"  # exchanges 200-999: valid NANP numbers


@dataclass
class Figures:
    """Latencies (seconds) of answered requests, and the requests that failed or waited past Twilio's patience."""

    latencies: list[float] = field(default_factory=list)
    timeouts: int = 0
    errors: int = 0
    bodies: list[str] = field(default_factory=list)
    answers: list[tuple[str, str, float]] = field(default_factory=list)  # (patient, reply text, seconds)
    wall: float = 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    def line(self, name: str) -> str:
        n = len(self.latencies) + self.timeouts + self.errors
        return (
            f"{name}: {n} requests in {self.wall:.1f} s, timeouts {self.timeouts}, errors {self.errors}, "
            f"p50 {self.percentile(50):.3f} s, p99 {self.percentile(99):.3f} s, max "
            f"{max(self.latencies, default=float('nan')):.3f} s"
        )


def _form(sender: str, body: str) -> dict[str, str]:
    n = next(_sids)
    return {
        "MessageSid": f"SM{n:032x}",
        "SmsSid": f"SM{n:032x}",
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": CLINIC,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
    }


async def _text(
    session: aiohttp.ClientSession, base: str, sender: str, body: str, figures: Figures
) -> str | None:
    start = time.monotonic()
    try:
        async with session.post(
            base + "/sms", data=_form(sender, body), timeout=aiohttp.ClientTimeout(total=TWILIO_WAIT_SECONDS)
        ) as response:
            text = await response.text()
            if response.status != 200:
                figures.errors += 1
                return None
    except TimeoutError:
        figures.timeouts += 1
        return None
    except aiohttp.ClientError:
        figures.errors += 1
        return None
    elapsed = time.monotonic() - start
    figures.latencies.append(elapsed)
    figures.bodies.append(text)
    figures.answers.append((sender, text, elapsed))
    return text


def _client() -> aiohttp.ClientSession:
    # One keep-alive connection per patient; no limit on how long a connect may wait beyond Twilio's.
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1, force_close=False))


async def _rush(base: str, texts: int, seconds: float, clients: int, body: str, first: int) -> Figures:
    figures = Figures()
    per_client = texts // clients
    start = time.monotonic()

    async def patient_client(c: int) -> None:
        async with _client() as session:
            for i in range(per_client):
                # Evenly spread: text k of the rush leaves at k * seconds / texts.
                k = i * clients + c
                delay = start + k * seconds / texts - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                await _text(session, base, phone(first + k), body, figures)

    await asyncio.gather(*(patient_client(c) for c in range(clients)))
    figures.wall = time.monotonic() - start
    return figures


def rush(
    base: str,
    texts: int = 1000,
    seconds: float = 10.0,
    clients: int = 100,
    body: str = "SANS RDV",
    first: int = 0,
) -> Figures:
    """`texts` texts from distinct patients, evenly spread over `seconds`, on `clients` keep-alive connections."""
    return asyncio.run(_rush(base, texts, seconds, clients, body, first))


async def _race(base: str, patients: int, first: int, conversation: tuple[str, ...]) -> Figures:
    figures = Figures()
    start = time.monotonic()
    ready = asyncio.Event()

    async def patient_client(n: int) -> None:
        async with _client() as session:
            await ready.wait()  # everybody's first text leaves at once
            for body in conversation:
                if await _text(session, base, phone(first + n), body, figures) is None:
                    return

    tasks = [asyncio.create_task(patient_client(n)) for n in range(patients)]
    await asyncio.sleep(0)
    ready.set()
    await asyncio.gather(*tasks)
    figures.wall = time.monotonic() - start
    return figures


BOOKING = ("RDV demain matin", "1", "Marie Tremblay", "OUI")


def race(
    base: str, patients: int = 200, first: int = 100_000, conversation: tuple[str, ...] = BOOKING
) -> Figures:
    """`patients` patients texting the same booking conversation at the same moment."""
    return asyncio.run(_race(base, patients, first, conversation))


async def _steady(base: str, clients: int, requests_each: int, first: int, body: str) -> Figures:
    figures = Figures()
    start = time.monotonic()

    async def patient_client(c: int) -> None:
        async with _client() as session:
            for _ in range(requests_each):
                await _text(session, base, phone(first + c), body, figures)

    await asyncio.gather(*(patient_client(c) for c in range(clients)))
    figures.wall = time.monotonic() - start
    return figures


def steady(
    base: str, clients: int = 100, requests_each: int = 10, first: int = 200_000, body: str = "AIDE"
) -> Figures:
    """`clients` keep-alive patients, each texting back-to-back `requests_each` times (a closed loop)."""
    return asyncio.run(_steady(base, clients, requests_each, first, body))


def text(base: str, sender: str, body: str, session=None) -> tuple[int, str, float]:
    """One SMS webhook, synchronously: (status, reply TwiML, seconds)."""
    import requests

    start = time.monotonic()
    response = (session or requests).post(
        base + "/sms", data=_form(sender, body), timeout=TWILIO_WAIT_SECONDS
    )
    return response.status_code, response.text, time.monotonic() - start
