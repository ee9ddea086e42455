"""Health probes that answer in bounded time whatever hangs: one probe in flight per resource, on a thread."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Probe:
    """Runs `check` on a thread of its own and waits for it at most `wait` seconds.

    A check that hangs (a frozen database, a Redis that accepts and never answers) is not started again
    while it runs: the callers get "timeout" at once instead of piling up threads behind it.
    """

    def __init__(self, check: Callable[[], bool], wait: float):
        self.check = check
        self.wait = wait
        self._lock = threading.Lock()
        self._running: threading.Event | None = None
        self._result: dict = {}

    def __call__(self) -> str:
        """ "ok", "down" (the check failed) or "timeout" (no answer within `wait`)."""
        with self._lock:
            done = self._running
            if done is None:
                done = self._running = threading.Event()
                result: dict = {}
                self._result = result
                threading.Thread(
                    target=self._run, args=(done, result), daemon=True, name="clinicline-probe"
                ).start()
            result = self._result
        if not done.wait(self.wait):
            return "timeout"
        return "ok" if result.get("ok") else "down"

    def _run(self, done: threading.Event, result: dict) -> None:
        try:
            result["ok"] = bool(self.check())
        except Exception:  # a failing check is an unhealthy resource, reported as "down"
            result["ok"] = False
        finally:
            with self._lock:
                self._running = None
            done.set()


def redis_ping(url: str, seconds: float) -> Callable[[], bool]:
    """A check that Redis answers PING, with its own connect and read timeouts."""

    def check() -> bool:
        from redis import Redis

        connection = Redis.from_url(url, socket_timeout=seconds, socket_connect_timeout=seconds)
        try:
            return bool(connection.ping())
        finally:
            connection.close()

    return check
