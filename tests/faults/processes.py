"""Real clinicline processes for the fault tests: started, waited on until ready, always cleaned up.

Readiness is waited on with generous deadlines (a busy 2-core machine can take many seconds to import and
migrate); every process runs in a session of its own so that it and its children are killed together.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
READY_SECONDS = 120.0  # how long a server may take to start on a loaded machine

# Open every day, all day, with room for a rush: the tests run on the real clock, whatever the hour.
CLINICS_FILE = """
[[clinic]]
id = "essai"
name = "Clinique Essai"
default_lang = "fr"
timezone = "America/Toronto"
twilio_numbers = ["+15145550100"]
phone = "+15145550199"
slot_minutes = 5

[[clinic.practitioner]]
key = "dre-tremblay"
name = "Dre Tremblay"

[[clinic.practitioner]]
key = "dr-roy"
name = "Dr Roy"

[clinic.appointments.hours]
"mon-sun" = ["00:00-23:55"]

[clinic.walkin]
days = "mon-sun"
opens = "00:00"
closes = "23:59"
capacity = {capacity}
minutes_per_patient = 1

[clinic.settings]
notice_places = 3
reminder_days_before = [1]
"""


def clinics_file(folder: Path, capacity: int = 30) -> Path:
    path = folder / "clinics.toml"
    path.write_text(CLINICS_FILE.format(capacity=capacity))
    return path


def base_env(**extra: str) -> dict[str, str]:
    """The environment of a child process: ours without Twilio or clinicline settings, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CLINICLINE_", "TWILIO_", "DATABASE_URL", "REDIS_URL"))
    }
    env |= {"PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "PYTHONUNBUFFERED": "1"}
    env |= extra
    return env


def log_of(path: Path) -> str:
    return path.read_text(errors="replace")[-6000:] if path.exists() else ""


def wait_healthy(base: str, process: subprocess.Popen, log: Path, seconds: float = READY_SECONDS) -> None:
    """Until GET /healthz answers 200 (each try may take 10 s; the whole wait `seconds`)."""
    deadline = time.monotonic() + seconds
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args[0]} exited with {process.returncode}:\n{log_of(log)}")
        try:
            health = requests.get(base + "/healthz", timeout=10)
            if health.status_code == 200:
                return
            last = f"{health.status_code} {health.text}"
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(0.2)
    raise AssertionError(f"/healthz not ready after {seconds:.0f} s ({last}):\n{log_of(log)}")


def stop(process: subprocess.Popen, timeout: float = 20) -> int | None:
    """SIGTERM the process's group, SIGKILL whatever is left after `timeout`; never raises."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            continue
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:  # children of the group (gunicorn's workers) go too
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return process.returncode
            time.sleep(0.05)
    return process.poll()


@contextmanager
def running(args: list[str], env: dict[str, str], log: Path, base: str | None = None):
    """A process in a session of its own, ready once /healthz answers (when `base` is given); stopped after."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        if base is not None:
            wait_healthy(base, process, log)
        yield process
    finally:
        stop(process)


def procfile_web(env: dict[str, str], port: int, workers: int | None = None) -> list[str]:
    """The Procfile's `web:` line as its runner executes it, bound to a local port (and a number of workers)."""
    import re
    import shlex

    line = next(
        text.partition(":")[2].strip()
        for text in (ROOT / "Procfile").read_text().splitlines()
        if text.partition(":")[0].strip() == "web"
    )
    words = [re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), w) for w in shlex.split(line)]
    result, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word in ("-b", "--bind", "-w", "--workers"):
            skip = True
        elif not word.startswith(("--bind=", "--workers=")):
            result.append(word)
    result += ["--bind", f"127.0.0.1:{port}"]
    if workers is not None:
        result += ["--workers", str(workers)]
    return result


def deploy(env: dict[str, str], folder: Path, capacity: int = 30) -> None:
    """`clinicline db upgrade` and `clinicline clinics load` as an operator runs them."""
    for args in (["db", "upgrade"], ["clinics", "load", str(clinics_file(folder, capacity))]):
        done = subprocess.run(
            ["clinicline", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, f"clinicline {' '.join(args)} failed:\n{done.stdout}{done.stderr}"


def postgres_processes(data_dir: Path) -> list[int]:
    """The postmaster of a cluster and every process it started (its backends and helpers)."""
    postmaster = int((data_dir / "postmaster.pid").read_text().split()[0])
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == postmaster:
            children.append(int(stat.parent.name))
    return [postmaster, *children]


@contextmanager
def frozen(data_dir: Path):
    """PostgreSQL hangs: SIGSTOP the postmaster and its backends; SIGCONT on leaving, whatever happened."""
    stopped = []
    try:
        for pid in postgres_processes(data_dir):
            try:
                os.kill(pid, signal.SIGSTOP)
                stopped.append(pid)
            except ProcessLookupError:
                pass
        yield stopped
    finally:
        for pid in stopped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
