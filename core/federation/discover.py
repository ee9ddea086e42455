"""Discovery: read the neighbours' SMART Scheduling Links manifests on the job tick, and keep what they say.

A turn never fetches anything: it reads the federation_resources table this job fills. A neighbour that
does not answer in time, or answers nonsense, is marked down (shown in /healthz) and its last good data is
kept until it is too old to offer (slots in the past are dropped). Polls send `_since` (the last
`transactionTime`) and `If-None-Match`; every FULL_EVERY the whole set is read again without `_since`, so
that a publisher that honours `_since` (sending only what changed) cannot leave vanished slots behind.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

import requests
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.federation import fhir
from core.models import FederationFeed, FederationResource

log = logging.getLogger(__name__)

TIMEOUT = (2.0, 5.0)  # seconds to connect, seconds between bytes: a slow neighbour costs little
MAX_BYTES = 20 * 1024 * 1024
MAX_LINES = 100_000
MIN_INTERVAL = dt.timedelta(seconds=55)  # the guide: no more than one request a minute per file
FULL_EVERY = dt.timedelta(minutes=15)


class FeedError(Exception):
    """A neighbour that is down or breaks the manifest rules; the message is shown in /healthz."""


@dataclass
class Read:
    """What one poll of a neighbour brought back."""

    transaction_time: str | None
    etag: str | None
    full: bool
    unchanged: bool
    rows: list[dict]


# ---- which neighbours --------------------------------------------------------------------------------------


def set_file_neighbours(session: Session, urls: list[str]) -> None:
    """The clinics file's `neighbours`, kept in the database so every process polls the same list."""
    current = {f.url: f for f in session.scalars(select(FederationFeed))}
    for url in urls:
        feed = current.get(url)
        if feed is None:
            session.add(FederationFeed(url=url, source="file", status="new"))
        elif feed.source != "file":
            feed.source = "file"
    for url, feed in current.items():
        if feed.source == "file" and url not in urls:
            session.delete(feed)


def feeds(session: Session, env_urls: tuple[str, ...] = ()) -> list[FederationFeed]:
    """Every neighbour to poll: the clinics file's and CLINICLINE_NEIGHBOURS'."""
    current = {f.url: f for f in session.scalars(select(FederationFeed))}
    wanted = [u.rstrip("/") for u in env_urls]
    for url in wanted:
        if url not in current:
            feed = FederationFeed(url=url, source="env", status="new")
            session.add(feed)
            current[url] = feed
    for url, feed in list(current.items()):
        if feed.source == "env" and url not in wanted:
            session.delete(feed)
            del current[url]
    session.flush()
    return sorted(current.values(), key=lambda f: f.url)


# ---- reading one neighbour -------------------------------------------------------------------------------------


def _get(http, url: str, **kwargs) -> requests.Response:
    try:
        response = http.get(url, timeout=TIMEOUT, stream=True, **kwargs)
    except requests.RequestException as exc:
        raise FeedError(f"{type(exc).__name__} on {url}") from exc
    if response.status_code == 304:
        return response
    if response.status_code != 200:
        raise FeedError(f"HTTP {response.status_code} on {url}")
    body, size = [], 0
    try:
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > MAX_BYTES:
                raise FeedError(f"{url} is larger than {MAX_BYTES // (1024 * 1024)} MB")
            body.append(chunk)
    except requests.RequestException as exc:
        raise FeedError(f"{type(exc).__name__} reading {url}") from exc
    response._content = b"".join(body)
    return response


def check_manifest(manifest: object) -> list[tuple[str, str]]:
    """The (type, url) outputs of a manifest that follows the rules; FeedError says which rule it breaks."""
    if not isinstance(manifest, dict):
        raise FeedError("manifest is not a JSON object")
    stamp = manifest.get("transactionTime")
    if not isinstance(stamp, str) or parse_instant(stamp) is None:
        raise FeedError("manifest has no valid transactionTime")
    if not isinstance(manifest.get("request"), str):
        raise FeedError("manifest has no request URL")
    outputs = manifest.get("output")
    if not isinstance(outputs, list):
        raise FeedError("manifest has no output list")
    found = []
    for item in outputs:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("type"), str)
            or not isinstance(item.get("url"), str)
        ):
            raise FeedError("a manifest output has no type or url")
        if not item["url"].startswith(("http://", "https://")):
            raise FeedError(f"output url {item['url']!r} is not a full URL")
        if item["type"] in fhir.TYPES:  # other types (PractitionerRole…) are ignored, as the guide says
            found.append((item["type"], item["url"]))
    return found


def parse_instant(value: object) -> dt.datetime | None:
    """A FHIR instant (with an offset) as aware UTC, or None."""
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(dt.UTC) if moment.tzinfo else None


def _ext(resource: dict, *urls: str) -> object:
    for ext in resource.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") in urls:
            for key in ("valueString", "valueInteger", "valueUrl"):
                if key in ext:
                    return ext[key]
    return None


def _reference_id(ref: object, kind: str) -> str | None:
    if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
        head, _, tail = ref["reference"].rpartition(f"{kind}/")
        return tail[:64] if tail and (not head or head.endswith("/")) else None
    return None


def row_of(kind: str, resource: dict) -> dict | None:
    """The few fields a turn needs from one resource (None when the resource is unusable)."""
    if not isinstance(resource, dict) or resource.get("resourceType") != kind or not resource.get("id"):
        return None
    rid = str(resource["id"])[:64]
    if kind == "Location":
        phones = [
            t.get("value")
            for t in resource.get("telecom") or []
            if isinstance(t, dict) and t.get("system") == "phone"
        ]
        position = resource.get("position") or {}
        address = resource.get("address") or {}
        return {
            "type": kind, "resource_id": rid, "parent_id": None, "free": False, "starts_at": None, "ends_at": None,
            "data": {
                "name": str(resource.get("name") or "")[:120], "phone": phones[0] if phones else None,
                "latitude": position.get("latitude"), "longitude": position.get("longitude"),
                "postal_code": address.get("postalCode"), "city": address.get("city"),
            },
        }  # fmt: skip
    if kind == "Schedule":
        actors = [_reference_id(a, "Location") for a in resource.get("actor") or []]
        location = next((a for a in actors if a), None)
        if location is None:
            return None
        return {"type": kind, "resource_id": rid, "parent_id": location, "free": False, "starts_at": None,
                "ends_at": None, "data": {}}  # fmt: skip
    schedule = _reference_id(resource.get("schedule"), "Schedule")
    start, end = parse_instant(resource.get("start")), parse_instant(resource.get("end"))
    if schedule is None or start is None or end is None:
        return None
    codes = [
        c.get("code")
        for c in ((resource.get("appointmentType") or {}).get("coding") or [])
        if isinstance(c, dict)
    ]
    capacity = _ext(resource, fhir.SLOT_CAPACITY)
    return {
        "type": kind, "resource_id": rid, "parent_id": schedule, "free": resource.get("status") == "free",
        "starts_at": start, "ends_at": end,
        "data": {
            "phone": _ext(resource, fhir.BOOKING_PHONE, fhir.BOOKING_PHONE_SMART),
            "capacity": capacity if isinstance(capacity, int) and not isinstance(capacity, bool) else None,
            "walkin": "WALKIN" in codes,
        },
    }  # fmt: skip


def read_feed(http, feed: FederationFeed, now: dt.datetime) -> Read:
    """Fetch a neighbour's manifest and (when it changed) its Location, Schedule and Slot files."""
    full = feed.full_at is None or feed.transaction_time is None or now - feed.full_at >= FULL_EVERY
    params = {} if full else {"_since": feed.transaction_time}
    headers = {"Accept": "application/json"}
    if feed.etag and not full:
        headers["If-None-Match"] = feed.etag
    response = _get(http, feed.url, params=params, headers=headers)
    if response.status_code == 304:
        return Read(feed.transaction_time, feed.etag, False, True, [])
    try:
        manifest = json.loads(response.content)
    except ValueError as exc:
        raise FeedError("manifest is not JSON") from exc
    outputs = check_manifest(manifest)
    stamp = manifest["transactionTime"]
    etag = response.headers.get("ETag")
    if not full and stamp == feed.transaction_time:
        return Read(stamp, etag, False, True, [])
    rows: list[dict] = []
    for kind, url in outputs:
        body = _get(http, url, headers={"Accept": "application/fhir+ndjson"}).content
        for number, line in enumerate(body.decode("utf-8", errors="replace").splitlines()):
            if number >= MAX_LINES:
                raise FeedError(f"{url} has more than {MAX_LINES} lines")
            if not line.strip():
                continue
            try:
                row = row_of(kind, json.loads(line))
            except ValueError:
                row = None
            if row is not None:
                rows.append(row)
    return Read(stamp, etag, full, False, rows)


def store(session: Session, feed: FederationFeed, read: Read, now: dt.datetime) -> None:
    """Keep what was read: the whole set replaces the old one, a `_since` answer is merged into it."""
    if read.full:
        session.execute(delete(FederationResource).where(FederationResource.feed_id == feed.id))
        existing: dict = {}
    else:
        existing = {
            (r.type, r.resource_id): r
            for r in session.scalars(select(FederationResource).where(FederationResource.feed_id == feed.id))
        }
    for row in read.rows:
        current = existing.get((row["type"], row["resource_id"]))
        if current is None:
            current = FederationResource(feed_id=feed.id, type=row["type"], resource_id=row["resource_id"])
            session.add(current)
            existing[(row["type"], row["resource_id"])] = current
        for key in ("parent_id", "free", "starts_at", "ends_at", "data"):
            setattr(current, key, row[key])
    session.flush()
    session.execute(
        delete(FederationResource).where(
            FederationResource.feed_id == feed.id,
            FederationResource.type == "Slot",
            FederationResource.ends_at < now,
        )
    )
    if read.full:
        feed.full_at = now


def poll_neighbours(runtime, http=None, force: bool = False) -> dict[str, str]:
    """Poll every neighbour due for it; returns url -> status. Never raises for a neighbour's fault."""
    http = http or requests.Session()
    now = runtime.now()
    with runtime.session_factory.begin() as session:
        due = [
            (f.id, f.url)
            for f in feeds(session, runtime.config.neighbours)
            if force or f.checked_at is None or now - f.checked_at >= MIN_INTERVAL
        ]
    result = {}
    for feed_id, url in due:
        result[url] = _poll_one(runtime, http, feed_id, now)
    return result


def _poll_one(runtime, http, feed_id: int, now: dt.datetime) -> str:
    with runtime.session_factory() as session:
        feed = session.get(FederationFeed, feed_id)
        if feed is None:
            return "gone"
        session.expunge(feed)
    try:
        read = read_feed(http, feed, now)  # the network, outside any transaction
        error = None
    except FeedError as exc:
        read, error = None, str(exc)[:200]
    except Exception as exc:  # a neighbour's bad data must never take the tick down
        log.exception("reading neighbour %s failed", feed.url)
        read, error = None, f"unreadable: {type(exc).__name__}"[:200]
    with runtime.session_factory.begin() as session:
        # Locked: two workers polling the same neighbour at once store one after the other, and the
        # later one of the same round leaves the first one's rows alone.
        row = session.get(FederationFeed, feed_id, with_for_update=True, populate_existing=True)
        if row is None:
            return "gone"
        if row.checked_at is not None and row.checked_at > feed_checked(feed) and row.checked_at >= now:
            return row.status
        row.checked_at = now
        if read is None:
            log.warning("neighbour %s is down: %s", row.url, error)
            row.status, row.error = "down", error
            return "down"
        if not read.unchanged:
            store(session, row, read, now)
        row.status, row.error, row.ok_at = "ok", None, now
        row.transaction_time, row.etag = read.transaction_time, read.etag
    return "ok"


def feed_checked(feed: FederationFeed) -> dt.datetime:
    """When a feed was last checked (the distant past when never)."""
    return feed.checked_at or dt.datetime.min.replace(tzinfo=dt.UTC)


def poll_job() -> dict[str, str]:
    """The job the tick enqueues: poll the neighbours that are due."""
    from core.jobs.context import current_runtime

    return poll_neighbours(current_runtime())


def health(session: Session) -> list[dict]:
    """Each neighbour and how its last poll went, for /healthz."""
    return [
        {
            "url": f.url,
            "status": f.status,
            "checked_at": f.checked_at.isoformat() if f.checked_at else None,
            "ok_at": f.ok_at.isoformat() if f.ok_at else None,
            "error": f.error,
        }
        for f in session.scalars(select(FederationFeed).order_by(FederationFeed.url))
    ]
