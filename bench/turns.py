"""Requests per second of real turns against a bare Flask app, both under the same gunicorn flags.

In one run, for PostgreSQL (a throwaway server this bench starts, as the `postgres` user when root) and for
SQLite (a file), it starts a bare Flask app that answers constant TwiML and clinicline, each with
`gunicorn -w 2 -k sync`, and drives them with wrk (closed loop: 8 connections, each sends its next request
when the last answer came back). Every request is a real turn: a new phone number and a new MessageSid or
CallSid each time, signed as Twilio signs them (TWILIO_AUTH_TOKEN is set, so clinicline checks every
signature). Bare and case slices alternate; each case is reported as a ratio to the mean of the two bare
slices around it, which cancels much of what else the machine is doing meanwhile. It also reads from /proc
the CPU the servers spent (gunicorn's processes, and PostgreSQL's on that database) per request: the bare
app's CPU per request over the case's is the ratio two otherwise idle cores would reach, and it moves far
less than the req/s ratio when other work shares the machine.

Cases:
  sms_first    a first SMS from a new number: "RDV demain matin" (three slots offered)
  sms_aide     a first SMS "AIDE" from a new number
  voice_greet  a new call: the greeting and the menu
  voice_key    key 1 in the menu of a call greeted before the slice (a new call each time)
  sms_oui      "OUI" to the read-back of a held slot: the appointment is written; each request answers a
               conversation of its own, brought to that question before the slice by three real turns

    apt-get install wrk
    .venv/bin/python bench/turns.py                      # both databases, 5-second slices
    .venv/bin/python bench/turns.py --db sqlite --seconds 3 --cases sms_first,sms_aide

wrk was chosen over a Python client because the load generator shares the two cores with the servers: a
Python client costs tens of microseconds of CPU per request, which would slow the bare app (thousands of
requests a second) much more than clinicline and flatter the ratios. The requests are prepared and signed
beforehand and handed to wrk's Lua script in a file, one each, never reused.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"
ACCOUNT_SID = "AC" + "0" * 32
PARC = "+15145550100"
BANC = "+15145550300"  # the bench's own clinic, large enough to hold a slot for every prepared "OUI"
BANC_CLINIC = """
[[clinic]]
id = "banc"
name = "Clinique du Banc"
default_lang = "fr"
timezone = "America/Toronto"
twilio_numbers = ["+15145550300"]
phone = "+15145550300"
slot_minutes = 10

[[clinic.practitioner]]
key = "a"
name = "Dre A"

[clinic.appointments.hours]
"mon-sat" = ["08:00-18:00"]
"""
CONNECTIONS = 8
WRK_THREADS = 2
GUNICORN_FLAGS = ["-w", "2", "-k", "sync", "--timeout", "30", "--log-level", "warning"]
BARE_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>ok</Message></Response>'
CASES = ("sms_first", "sms_aide", "voice_greet", "voice_key", "sms_oui")

LUA = r"""
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  local file, threads = args[1], tonumber(args[2])
  reqs = {}
  local i = 0
  for line in io.lines(file) do
    if i % threads == id then
      local path, signature, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      reqs[#reqs + 1] = wrk.format("POST", path, {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Twilio-Signature"] = signature,
      }, body)
    end
    i = i + 1
  end
  n = 0
end

function request()
  n = n + 1
  if n > #reqs then  -- out of fresh requests: stop rather than replay one (the bench reports it)
    wrk.thread:stop()
    return reqs[#reqs]
  end
  return reqs[n]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "status_errors": %d, ' ..
    '"socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


def bare_app():
    """The reference: a Flask app that answers every POST with the same TwiML, as fast as Flask goes."""
    from flask import Flask, Response

    app = Flask("bare")

    @app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
    @app.route("/<path:path>", methods=["GET", "POST"])
    def constant(path):
        return Response(BARE_TWIML, mimetype="text/xml")

    return app


# ---- requests ----------------------------------------------------------------------------------------------


class Numbers:
    """Fresh valid Québec mobile-looking numbers, never the same twice in a run."""

    def __init__(self):
        import phonenumbers

        self._pn = phonenumbers
        self._next = 0

    def new(self) -> str:
        while True:
            self._next += 1
            exchange, line = divmod(self._next, 10_000)
            number = f"+1438{200 + exchange:03d}{line:04d}"
            if self._pn.is_valid_number(self._pn.parse(number)):
                return number


@dataclass
class Prepared:
    path: str
    form: dict[str, str]


def sms_form(phone: str, body: str, to: str = PARC) -> dict[str, str]:
    sid = "SM" + uuid.uuid4().hex
    return {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": phone,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "FromCountry": "CA",
        "ToCountry": "CA",
        "ApiVersion": "2010-04-01",
    }


def call_form(phone: str, sid: str, **extra: str) -> dict[str, str]:
    form = {
        "CallSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": phone,
        "To": PARC,
        "Caller": phone,
        "Called": PARC,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "FromCountry": "CA",
        "ToCountry": "CA",
        "ApiVersion": "2010-04-01",
    }
    form.update(extra)
    return form


def new_call_sid() -> str:
    return "CA" + uuid.uuid4().hex


def write_requests(path: Path, base_url: str, prepared: list[Prepared]) -> None:
    """One line per request for the Lua script: path, X-Twilio-Signature, urlencoded body."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(TOKEN)
    with path.open("w") as out:
        for p in prepared:
            signature = validator.compute_signature(base_url + p.path, p.form)
            out.write(f"{p.path}\t{signature}\t{urlencode(p.form)}\n")


class Client:
    """Signed POSTs for the untimed preparation of conversations (greetings, held slots)."""

    def __init__(self, base_url: str):
        import requests
        from twilio.request_validator import RequestValidator

        self.base_url = base_url
        self.validator = RequestValidator(TOKEN)
        self.local = threading.local()
        self.requests = requests

    def post(self, path: str, form: dict[str, str]) -> str:
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = self.requests.Session()
        signature = self.validator.compute_signature(self.base_url + path, form)
        response = session.post(
            self.base_url + path, data=form, headers={"X-Twilio-Signature": signature}, timeout=60
        )
        response.raise_for_status()
        return response.text


def in_parallel(fn, items, workers: int = CONNECTIONS) -> list:
    """fn(item) for every item on a few threads; results in order."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, items))


def prepare_case(case: str, count: int, numbers: Numbers, client: Client | None) -> list[Prepared]:
    """`count` fresh requests of a case; conversations that need an earlier turn get it now, untimed."""
    if case == "sms_first":
        return [Prepared("/sms", sms_form(numbers.new(), "RDV demain matin")) for _ in range(count)]
    if case == "sms_aide":
        return [Prepared("/sms", sms_form(numbers.new(), "AIDE")) for _ in range(count)]
    if case == "voice_greet":
        return [Prepared("/voice", call_form(numbers.new(), new_call_sid())) for _ in range(count)]
    calls = [(numbers.new(), new_call_sid()) for _ in range(count)]
    if case == "voice_key":
        if client is not None:
            in_parallel(lambda c: client.post("/voice", call_form(c[0], c[1])), calls)
        return [
            Prepared("/voice/turn?s=1", call_form(phone, sid, CallStatus="in-progress", Digits="1"))
            for phone, sid in calls
        ]
    if case == "sms_oui":
        phones = [phone for phone, _sid in calls]
        if client is not None:

            def bring_to_confirmation(item):
                _index, phone = item
                client.post("/sms", sms_form(phone, "RDV", BANC))  # the first free slots (held ones are not)
                client.post("/sms", sms_form(phone, "1", BANC))
                return client.post("/sms", sms_form(phone, "Marie Tremblay", BANC))

            answers = in_parallel(bring_to_confirmation, list(enumerate(phones)))
            ready = [phone for phone, answer in zip(phones, answers, strict=True) if "OUI" in answer]
            if len(ready) < len(phones):
                print(f"  ({len(phones) - len(ready)} conversations did not reach the read-back)")
            phones = ready
        return [Prepared("/sms", sms_form(phone, "OUI", BANC)) for phone in phones]
    raise ValueError(case)


# ---- servers and wrk -----------------------------------------------------------------------------------------


def wait_ready(url: str, proc: subprocess.Popen, seconds: float = 90) -> None:
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}: {url}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit(f"server not ready: {url}")


def gunicorn(app: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "gunicorn", *GUNICORN_FLAGS, "-b", f"127.0.0.1:{port}"]
    cmd += ["--pythonpath", str(ROOT / "bench"), app]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    wait_ready(f"http://127.0.0.1:{port}/healthz", proc)
    return proc


def tree_cpu_seconds(roots: list[int]) -> float:
    """User + system CPU seconds of these processes and all their descendants (Linux /proc)."""
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parent[pid] = int(fields[1])
        cpu[pid] = (int(fields[11]) + int(fields[12])) / tick
    wanted = set(roots)
    changed = True
    while changed:
        changed = False
        for pid, ppid in parent.items():
            if ppid in wanted and pid not in wanted:
                wanted.add(pid)
                changed = True
    return sum(cpu.get(pid, 0.0) for pid in wanted)


def postmaster_pid(data_dir: Path | None) -> list[int]:
    """The PostgreSQL server's pid (its backends are its children), read as root or as its owner."""
    if data_dir is None:
        return []
    try:
        return [int((data_dir / "postmaster.pid").read_text().split()[0])]
    except (OSError, ValueError, IndexError):
        return []


def stop(proc: subprocess.Popen | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Slice:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    ran_out: bool
    cpu_ms: float = 0.0  # server CPU (gunicorn workers and, on PostgreSQL, the database) per request


def run_wrk(
    base_url: str,
    requests_file: Path,
    script: Path,
    seconds: float,
    name: str,
    count: int,
    servers: list[int],
) -> Slice:
    cpu_before = tree_cpu_seconds(servers)
    cmd = ["wrk", "-t", str(WRK_THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--timeout", "10s"]
    cmd += ["-s", str(script), base_url, "--", str(requests_file), str(WRK_THREADS)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    cpu = tree_cpu_seconds(servers) - cpu_before
    line = next(line for line in out.splitlines() if line.startswith("JSON "))
    data = json.loads(line[5:])
    done = data["requests"]
    return Slice(
        cpu_ms=cpu * 1000 / max(done, 1),
        name=name,
        rps=done / (data["duration_us"] / 1e6),
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        requests=done,
        errors=data["status_errors"] + data["socket_errors"],
        ran_out=done >= count - CONNECTIONS,
    )


def measure(
    db: str, database_url: str, args, tmp: Path, numbers: Numbers, pg_data: Path | None = None
) -> list[tuple]:
    """Alternate bare and case slices on one database; returns (case slice, ratio to the bare around it)."""
    from clinicline.cli import prepare_embedded
    from core.config import Config
    from tests.support.servers import free_port

    instance = tmp / db
    instance.mkdir()
    from core.clinics_file import EXAMPLE_FILE

    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    clinics = tmp / "clinics.toml"
    clinics.write_text(EXAMPLE_FILE.read_text() + BANC_CLINIC)
    bare_port, app_port = free_port(), free_port()
    bare_url, app_url = f"http://127.0.0.1:{bare_port}", f"http://127.0.0.1:{app_port}"
    env.update(
        DATABASE_URL=database_url,
        CLINICLINE_INSTANCE=str(instance),
        TWILIO_AUTH_TOKEN=TOKEN,
        PUBLIC_BASE_URL=app_url,
        SECRET_KEY="bench",
        PYTHONPATH=str(ROOT),
        CLINICLINE_CLINICS=str(clinics),
    )
    prepare_embedded(Config.from_env(env))
    script = tmp / "turns.lua"
    script.write_text(LUA)
    procs = []
    results = []
    try:
        procs.append(gunicorn("turns:bare_app()", bare_port, env, tmp / f"{db}-bare.log"))
        procs.append(gunicorn("clinicline.app:create_app()", app_port, env, tmp / f"{db}-app.log"))
        client = Client(app_url)
        # Warm both workers of each server (imports, caches, the language models) before timing.
        for case in ("sms_first", "sms_aide", "voice_greet"):
            for p in prepare_case(case, 10, numbers, None):
                client.post(p.path, p.form)

        def bare_slice(label: str) -> Slice:
            count = int(args.bare_rate * args.seconds)
            prepared = prepare_case("sms_first", count, numbers, None)
            file = tmp / f"{db}-bare-{label}.req"
            write_requests(file, bare_url, prepared)
            return run_wrk(bare_url, file, script, args.seconds, "bare", count, [procs[0].pid])

        before = bare_slice("0")
        for i, case in enumerate(args.cases):
            count = args.primed if case in ("voice_key", "sms_oui") else int(args.case_rate * args.seconds)
            started = time.monotonic()
            prepared = prepare_case(case, count, numbers, client)
            file = tmp / f"{db}-{case}.req"
            write_requests(file, app_url, prepared)
            if case in ("voice_key", "sms_oui"):
                print(
                    f"  {db} {case}: {len(prepared)} conversations prepared in {time.monotonic() - started:.0f} s"
                )
            seconds = args.seconds
            timed = run_wrk(
                app_url, file, script, seconds, case, len(prepared), [procs[1].pid, *postmaster_pid(pg_data)]
            )
            after = bare_slice(str(i + 1))
            reference = (before.rps + after.rps) / 2
            cpu_ratio = (before.cpu_ms + after.cpu_ms) / 2 / timed.cpu_ms if timed.cpu_ms else 0.0
            results.append((timed, timed.rps / reference, reference, cpu_ratio))
            print(
                f"  {db} {case:<12} {timed.rps:8.1f} req/s  bare {before.rps:7.1f} / {after.rps:7.1f}  "
                f"ratio {timed.rps / reference:.3f}  p50 {timed.p50_ms:6.1f} ms  p99 {timed.p99_ms:6.1f} ms  "
                f"cpu {timed.cpu_ms:.2f} ms/req (bare {before.cpu_ms:.2f} / {after.cpu_ms:.2f}) "
                f"cpu ratio {cpu_ratio:.3f}"
                + (f"  {timed.errors} errors" if timed.errors else "")
                + ("  (ran out of prepared requests)" if timed.ran_out else ""),
                flush=True,
            )
            before = after
    finally:
        for proc in procs:
            stop(proc)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("both", "postgresql", "sqlite"), default="both")
    parser.add_argument("--seconds", type=int, default=5, help="length of each timed slice")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated, from: " + ", ".join(CASES))
    parser.add_argument("--bare-rate", type=float, default=6000, help="requests prepared per bare second")
    parser.add_argument("--case-rate", type=float, default=1500, help="requests prepared per case second")
    parser.add_argument(
        "--primed", type=int, default=800, help="conversations prepared for voice_key and sms_oui slices"
    )
    args = parser.parse_args()
    args.cases = [c for c in args.cases.split(",") if c]
    unknown = set(args.cases) - set(CASES)
    if unknown:
        raise SystemExit(f"unknown cases: {', '.join(sorted(unknown))}")
    if subprocess.run(["which", "wrk"], capture_output=True).returncode != 0:
        raise SystemExit("wrk is needed: apt-get install wrk")
    sys.path.insert(0, str(ROOT))
    from tests.support.servers import PostgresServer

    numbers = Numbers()
    table: dict[str, list] = {}
    with tempfile.TemporaryDirectory(prefix="clinicline-turns-") as tmp_name:
        tmp = Path(tmp_name)
        if args.db in ("both", "postgresql"):
            server = PostgresServer().start()
            try:
                table["PostgreSQL"] = measure("postgresql", server.admin_url, args, tmp, numbers, server.data)
            finally:
                server.stop()
        if args.db in ("both", "sqlite"):
            table["SQLite"] = measure("sqlite", f"sqlite:///{tmp / 'sqlite.db'}", args, tmp, numbers)
    print()
    print(
        f"gunicorn {' '.join(GUNICORN_FLAGS[:4])}, wrk -t {WRK_THREADS} -c {CONNECTIONS}, {args.seconds:g} s slices"
    )
    print(
        "ratio: req/s over the mean of the bare slices around it; cpu ratio: the bare app's CPU per request"
    )
    print(
        "over the case's (gunicorn workers, and the database server on PostgreSQL): what the two cores could"
    )
    print("reach if nothing else ran on them, far less disturbed by other load than the req/s ratio")
    print(
        f"{'database':<11} {'case':<12} {'req/s':>8} {'bare req/s':>10} {'ratio':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'cpu ms':>7} {'cpu ratio':>9}"
    )
    for db, rows in table.items():
        for timed, ratio, reference, cpu_ratio in rows:
            flag = " (ran out)" if timed.ran_out else ""
            print(
                f"{db:<11} {timed.name:<12} {timed.rps:8.1f} {reference:10.1f} {ratio:7.3f} "
                f"{timed.p50_ms:7.1f} {timed.p99_ms:7.1f} {timed.cpu_ms:7.2f} {cpu_ratio:9.3f}{flag}"
            )


if __name__ == "__main__":
    main()
