"""The region: clinicline instances that publish their availability as SMART Scheduling Links and read
each other's, so a full clinic can point a patient to a nearby one with no central server.

publish   this instance's clinics as a manifest and NDJSON files (staff/fhir.py serves them)
discover  the neighbours' manifests, polled on the job tick into a table (turns never fetch)
offers    up to three nearby clinics with availability, for the dialog
places    postal areas (FSA) and distances, from a table shipped with the project
tokens    API tokens of the read API for a clinic's own systems
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def neighbour_health(runtime) -> list[dict]:
    """How each neighbour answered its last poll, for /healthz; never raises (health must answer)."""
    from core.federation.discover import health

    try:
        with runtime.session_factory() as session:
            return health(session)
    except Exception:
        log.exception("could not read the neighbours' status")
        return []
