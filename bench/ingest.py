"""Ingest: residents filing requests through the real HTTP stack, and PostgreSQL's own limit.

`run_ingest` starts what production runs — gunicorn on the WSGI app with the production
settings, and the task worker — and drives POST /api/v1/tickets from `wrk` (a separate
process, on loopback, bounded in time) with logged-in residents: real sessions and CSRF
tokens, the phone page's JSON, one Idempotency-Key per request. A warm-up run is not counted;
the measured run gives tickets/s and latency percentiles, and every 201 is checked against the
database (the run's Idempotency-Keys share a tag, so the tickets it created are counted
exactly). Meanwhile the memory of each web worker and of the task worker is sampled.

Then `pgbench` writes the same rows one submission writes (ticket, its number, the submitted
event, the audit row under the chain head's lock, the requester's notice) in one transaction
at the same concurrency: the database's own limit. ingest ratio = app tickets/s ÷ pgbench
tickets/s.

Alone: `python -m bench.ingest --url postgres://…/db --seconds 20` (from the repo root, on a
database with a demo city: `manage.py migrate` and `manage.py demo_city`).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.env import ROOT, VAR, BenchError, db_name, pg_args, python

HERE = Path(__file__).resolve().parent
LUA = HERE / "ingest.lua"
FLOOR_LUA = HERE / "floor.lua"
PGBENCH_SQL = HERE / "pgbench_ingest.sql"
RESULT_PREFIX = "INGEST_RESULT "
FLOOR_PREFIX = "FLOOR_RESULT "
FLOOR_SECONDS = 15
BENCH_USERNAME = "bench-r{pk}"  # accounts made here for residents who have none yet

# Chosen on this 2-core machine: the app is CPU-bound, so 4 sync workers (2 per core: one runs
# while another waits on PostgreSQL) and 2 connections per worker keep both cores busy; more
# connections only queue (16 doubled p50/p99 for the same tickets/s) and --threads 2 spread the
# tail (p99 x3) with no gain.
DEFAULTS: dict[str, int] = {
    "seconds": 60,
    "warmup": 5,
    "connections": 8,
    "workers": 4,
    "threads": 1,
    "residents": 2000,
    "port": 8765,
}


# ---------------------------------------------------------------------------------------------
# preparation (in-process, through the ORM)


def _resident_users(count: int) -> list[Any]:
    """`count` active resident accounts living in a building; accounts are made for residents
    who have none when the city has too few (the demo city makes a handful)."""
    from grassroots.accounts.models import Role, User
    from grassroots.territory.models import Resident

    def ready() -> list[Any]:
        return list(
            User.objects.filter(
                role=Role.RESIDENT, is_active=True, resident__household__isnull=False
            )
            .select_related("resident__household__building")
            .order_by("pk")[:count]
        )

    users = ready()
    missing = count - len(users)
    if missing <= 0:
        return users
    taken = set(
        User.objects.filter(role=Role.RESIDENT)
        .exclude(mobile_digest="")
        .values_list("mobile_digest", flat=True)
    )
    chosen: list[Any] = []
    candidates = (
        Resident.objects.filter(user__isnull=True, household__isnull=False)
        .exclude(mobile_digest="")
        .order_by("pk")
    )
    for resident in candidates.iterator(chunk_size=2000):
        if resident.mobile_digest in taken:
            continue
        taken.add(resident.mobile_digest)
        chosen.append(resident)
        if len(chosen) == missing:
            break
    made = []
    for resident in chosen:
        user = User(
            username=BENCH_USERNAME.format(pk=resident.pk),
            name=resident.name,
            role=Role.RESIDENT,
            mobile=resident.mobile,
        )
        user.set_unusable_password()
        made.append(user)
    made = User.objects.bulk_create(made, batch_size=1000)
    for resident, user in zip(chosen, made, strict=True):
        resident.user = user
    Resident.objects.bulk_update(chosen, ["user"], batch_size=1000)
    users = ready()
    if len(users) < count:
        raise BenchError(
            f"only {len(users)} residents with a home and a mobile number could sign in; "
            f"the ingest run asks for {count} (load a bigger city or pass fewer --residents)."
        )
    return users


def _sessions(users: list[Any]) -> list[tuple[str, str]]:
    """(session key, CSRF secret) per user: the session exactly as `login` leaves it for a
    resident (auth keys, the resident's expiry), the CSRF secret as the csrftoken cookie
    holds it."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.middleware.csrf import _get_new_csrf_string
    from django.utils.module_loading import import_string

    store_class = import_string(settings.SESSION_ENGINE + ".SessionStore")
    backend = "grassroots.accounts.backends.ResidentMobileBackend"
    if backend not in settings.AUTHENTICATION_BACKENDS:
        raise BenchError(f"{backend} is no longer a login backend: update bench/ingest.py")
    out = []
    for user in users:
        store = store_class()
        store[SESSION_KEY] = user._meta.pk.value_to_string(user)
        store[BACKEND_SESSION_KEY] = backend
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.set_expiry(settings.RESIDENT_SESSION_SECONDS)
        store.create()
        assert store.session_key is not None
        out.append((store.session_key, _get_new_csrf_string()))
    return out


def _drop_sessions(keys: list[str]) -> None:
    from django.conf import settings
    from django.utils.module_loading import import_string

    store_class = import_string(settings.SESSION_ENGINE + ".SessionStore")
    for key in keys:
        store_class(session_key=key).delete()


def _categories() -> list[tuple[str, float, str]]:
    """(code, weight, typical description) of every leaf a resident may choose, weighted as
    the demo city's requests are."""
    from grassroots.core.errors import ValidationFailed
    from grassroots.tickets.demo import CATEGORY_WEIGHTS, DESCRIPTIONS
    from grassroots.tickets.models import Category
    from grassroots.tickets.services.submit import _category

    out = []
    for category in Category.objects.filter(is_active=True, numchild=0).order_by("path"):
        try:
            _category(category.code)
        except ValidationFailed:
            continue
        text = DESCRIPTIONS.get(category.code) or f"{category.name}，请帮忙处理。"
        out.append((category.code, float(CATEGORY_WEIGHTS.get(category.code, 1)), text))
    if not out:
        raise BenchError("no request category a resident may choose: load the demo city first")
    return out


def _clean(text: str) -> str:
    """One field of a TSV line that ends up inside a JSON string."""
    return re.sub(r"[\t\r\n\"\\]", " ", text)


def prepare(work: Path, residents: int) -> dict[str, Any]:
    """Write residents.tsv and categories.tsv for ingest.lua; return what pgbench needs."""
    users = _resident_users(residents)
    sessions = _sessions(users)
    work.mkdir(parents=True, exist_ok=True)
    lines = []
    for user, (key, csrf) in zip(users, sessions, strict=True):
        building = user.resident.household.building
        lines.append(f"{key}\t{csrf}\t{_clean(building.code)}\t{_clean(building.name)}\n")
    path = work / "residents.tsv"
    path.write_text("".join(lines), encoding="utf-8")
    path.chmod(0o600)  # live session keys
    categories = _categories()
    (work / "categories.tsv").write_text(
        "".join(f"{code}\t{weight}\t{_clean(text)}\n" for code, weight, text in categories),
        encoding="utf-8",
    )
    return {
        "users": [u.pk for u in users],
        "sessions": [key for key, _ in sessions],
        "categories": categories,
    }


# ---------------------------------------------------------------------------------------------
# processes


def _venv_bin(name: str) -> str:
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    found = shutil.which(name)
    if found is None:
        raise BenchError(f"`{name}` was not found next to {sys.executable} nor on PATH")
    return found


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _wait_http(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(
                f"gunicorn exited with {proc.returncode} while starting (is port {port} "
                f"taken?):\n{_tail(log)}"
            )
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request(
                "GET",
                "/api/v1/tickets",  # 401 without a session: the app is up, no template
                headers={"Host": f"127.0.0.1:{port}", "X-Forwarded-Proto": "https"},
            )
            status = conn.getresponse().status
            conn.close()
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(
        f"gunicorn did not answer on 127.0.0.1:{port} within {timeout:.0f} s:\n{_tail(log)}"
    )


def _stop(proc: subprocess.Popen[bytes] | None, sig: int, timeout: float = 30.0) -> int | None:
    if proc is None or proc.poll() is not None:
        return None if proc is None else proc.returncode
    proc.send_signal(sig)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(10)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(p) for p in text.split()]
    except OSError:
        pass
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def _status_kb(pid: int, field: str, file: str = "status") -> int | None:
    try:
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _cpu_seconds(pid: int) -> float:
    """utime + stime of one process, in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_backends(database: str) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if cmd.startswith(b"postgres: ") and f" {database} ".encode() in cmd:
                out.append(int(entry.name))
    return out


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


class CpuMeter:
    """Where the CPU went during the measured run: the web workers, the task worker, this
    database's PostgreSQL backends, and the machine as a whole (the load generator and
    anything else running at the same time are the rest). Processes are read at every
    sample of `sampler`, so a backend that ends during the run (Django closes connections
    older than CONN_MAX_AGE) still counts up to its last sample."""

    def __init__(self, sampler: MemorySampler) -> None:
        self.sampler = sampler

    def start(self) -> None:
        self.base = self.sampler.cpu_now()
        self.machine = _machine_ticks()
        self.at = time.monotonic()

    def stop(self, tickets: int) -> dict[str, Any]:
        seen = self.sampler.cpu_now()
        busy, total = (a - b for a, b in zip(_machine_ticks(), self.machine, strict=True))
        wall = time.monotonic() - self.at

        def spent(kind: str) -> float:
            return sum(
                v - self.base.get(pid, 0.0)
                for pid, v in seen.items()
                if self.sampler.kind.get(pid) == kind
            )

        cpus = os.cpu_count() or 1
        per = 1000 / tickets if tickets else 0.0
        web, pg = spent("web_worker"), spent("postgres")
        machine = busy / total * cpus * wall if total else 0.0
        return {
            "machine_busy_pct": round(100 * busy / total, 1) if total else None,
            "web_workers_s": round(web, 2),
            "postgres_s": round(pg, 2),
            "task_worker_s": round(spent("task_worker"), 2),
            "machine_s": round(machine, 2),
            "ms_per_ticket": {
                "web": round(web * per, 2),
                "postgres": round(pg * per, 2),
                "machine": round(machine * per, 2),
            },
        }


class MemorySampler(threading.Thread):
    """VmRSS of the gunicorn workers (the master's children) and of the task worker every
    half second; `finish` adds each process's VmHWM, the kernel's own peak."""

    def __init__(self, master: int, task_worker: int, database: str, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.master, self.task_worker, self.interval = master, task_worker, interval
        self.database = database
        self.peak: dict[int, int] = {}
        self.kind: dict[int, str] = {self.master: "web_master", self.task_worker: "task_worker"}
        self.cpu_seen: dict[int, float] = {}
        self.samples = 0
        self._lock = threading.Lock()
        self._stop_event = threading.Event()

    def cpu_now(self) -> dict[int, float]:
        """Each process's CPU seconds as last seen (read now for the live ones)."""
        with self._lock:
            pids = self._pids()
            for pid in _postgres_backends(self.database):
                self.kind.setdefault(pid, "postgres")
                pids.append(pid)
            for pid in pids:
                cpu = _cpu_seconds(pid)
                if cpu:
                    self.cpu_seen[pid] = max(cpu, self.cpu_seen.get(pid, 0.0))
            return dict(self.cpu_seen)

    def _pids(self) -> list[int]:
        workers = _children(self.master)
        for pid in workers:
            self.kind.setdefault(pid, "web_worker")
        return [self.master, self.task_worker, *workers]

    def _sample(self, field: str = "VmRSS") -> None:
        for pid in self._pids():
            kb = _status_kb(pid, field)
            if kb is not None:
                self.peak[pid] = max(self.peak.get(pid, 0), kb)

    def run(self) -> None:
        while not self._stop_event.is_set():
            self._sample()
            self.cpu_now()
            self.samples += 1
            self._stop_event.wait(self.interval)

    def finish(self) -> dict[str, Any]:
        self._stop_event.set()
        self.join(5)
        self._sample("VmHWM")
        # PSS splits shared pages among the processes sharing them: the sum is what the web
        # server as a whole holds (RSS counts the shared libraries once per worker).
        pss = {pid: _status_kb(pid, "Pss", "smaps_rollup") or 0 for pid in self._pids()}

        def mb(kb: int) -> float:
            return round(kb / 1024, 1)

        web = sorted((mb(kb) for pid, kb in self.peak.items() if self.kind[pid] == "web_worker"))
        return {
            "web_worker_peak": max(web, default=0.0),
            "task_worker_peak": mb(self.peak.get(self.task_worker, 0)),
            "web_master_peak": mb(self.peak.get(self.master, 0)),
            "web_workers": web,
            "web_pss_total_now": mb(
                sum(kb for pid, kb in pss.items() if self.kind[pid] in ("web_worker", "web_master"))
            ),
            "task_worker_pss_now": mb(pss.get(self.task_worker, 0)),
            "samples": self.samples,
        }


@contextmanager
def servers(
    env: dict[str, str],
    work: Path,
    *,
    port: int,
    workers: int,
    threads: int,
    gunicorn_args: tuple[str, ...] = (),
) -> Iterator[dict[str, Any]]:
    """The task worker and gunicorn, as production runs them; stopped cleanly on the way out.
    Yields a dict the caller reads the processes from and that gets the stop results."""
    state: dict[str, Any] = {}
    logs = {name: open(work / f"{name}.log", "wb") for name in ("worker", "gunicorn")}  # noqa: SIM115
    worker = web = None
    try:
        worker = subprocess.Popen(
            [python(), str(ROOT / "manage.py"), "run_huey"],
            env=env,
            cwd=ROOT,
            stdout=logs["worker"],
            stderr=subprocess.STDOUT,
        )
        web = subprocess.Popen(
            [
                _venv_bin("gunicorn"),
                "grassroots.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--log-level",
                "warning",
                *gunicorn_args,
            ],
            env=env,
            cwd=ROOT,
            stdout=logs["gunicorn"],
            stderr=subprocess.STDOUT,
        )
        _wait_http(port, web, work / "gunicorn.log")
        if worker.poll() is not None:
            raise BenchError(f"the task worker exited ({worker.returncode}): see {work}/worker.log")
        state.update(web=web, worker=worker)
        yield state
    finally:
        # gunicorn: SIGTERM is its graceful stop; huey: SIGINT lets running tasks finish.
        state["web_exit"] = _stop(web, signal.SIGTERM)
        state["worker_exit"] = _stop(worker, signal.SIGINT)
        for log in logs.values():
            log.close()


# ---------------------------------------------------------------------------------------------
# the load


def _wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise BenchError("`wrk` was not found: install it with `apt-get install -y wrk`")
    return found


def run_wrk(work: Path, *, port: int, seconds: int, connections: int, tag: str) -> dict[str, Any]:
    """One bounded wrk run; the parsed JSON line of ingest.lua's `done`, plus the numbers of
    the tickets it was answered 201 for."""
    threads = 1  # one wrk thread drives thousands of requests/s; leave the CPUs to the server
    cmd = [
        _wrk(),
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{port}",
        "--",
        str(work),
        tag,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120, check=False)
    line = next(
        (x for x in done.stdout.splitlines() if x.startswith(RESULT_PREFIX)),
        None,
    )
    if done.returncode != 0 or line is None:
        raise BenchError(
            f"wrk failed (exit {done.returncode}): {done.stderr.strip() or done.stdout[-2000:]}"
        )
    result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
    created = work / f"created-{tag}.txt"
    result["numbers"] = created.read_text().split()
    created.unlink()
    return result


def run_floor(work: Path, *, port: int, seconds: int, connections: int) -> dict[str, Any]:
    """The floor: the same sessions on a signed-in read that writes nothing (floor.lua)."""
    cmd = [
        _wrk(), "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
        "-s", str(FLOOR_LUA), f"http://127.0.0.1:{port}", "--", str(work),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith(FLOOR_PREFIX)), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk (floor) failed (exit {done.returncode}): {done.stderr.strip()}")
    result: dict[str, Any] = json.loads(line[len(FLOOR_PREFIX) :])
    return result


def _tickets_with_tag(tag: str) -> list[str]:
    from grassroots.tickets.models import Channel, Ticket

    return list(
        Ticket.objects.filter(
            submit_key__startswith=tag + "-", channel=Channel.RESIDENT_APP
        ).values_list("number", flat=True)
    )


def verify(run: dict[str, Any], tag: str, connections: int) -> dict[str, Any]:
    """Every 201 wrk saw is a ticket in the database, and nothing else failed. The tickets
    the database holds beyond those are requests still in flight when wrk stopped (wrk does
    not wait for their answers): at most one per connection."""
    seen = run["numbers"]
    time.sleep(1.0)  # let the requests in flight at wrk's stop finish
    stored = set(_tickets_with_tag(tag))
    missing = [n for n in seen if n not in stored]
    statuses = {int(k): v for k, v in run["statuses"].items()}
    socket = {k: v for k, v in run["socket_errors"].items() if k != "status"}
    non_201 = {str(k): v for k, v in statuses.items() if k != 201}
    unanswered = len(stored) - (len(seen) - len(missing))
    errors = {
        "non_201": non_201,
        "socket": {k: v for k, v in socket.items() if v},
        "missing_in_db": len(missing),
        "duplicate_numbers": len(seen) - len(set(seen)),
        "unanswered_beyond_connections": max(0, unanswered - connections),
    }
    total = (
        sum(non_201.values())
        + sum(socket.values())
        + errors["missing_in_db"]
        + errors["duplicate_numbers"]
        + errors["unanswered_beyond_connections"]
    )
    return {
        "created_in_db": len(stored),
        "answered_201": statuses.get(201, 0),
        "in_flight_at_stop": unanswered,
        "errors": errors,
        "error_count": total,
        "error_samples": run.get("samples", []),
    }


def _fresh_chain_head() -> dict[str, Any]:
    """VACUUM the audit chain head before each phase. Every audited write updates its one
    row; with autovacuum off (as on this machine's server) or between autovacuum rounds its
    dead versions pile up and each lookup walks them, so the phase that comes second would
    start slower. Production's autovacuum keeps it small; so does this, for both phases."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("VACUUM core_auditchainhead")
        cur.execute("SELECT current_setting('autovacuum'), current_setting('synchronous_commit')")
        autovacuum, synchronous_commit = cur.fetchone()
    return {"autovacuum": autovacuum, "synchronous_commit": synchronous_commit}


def _queue() -> dict[str, int]:
    from huey.contrib.djhuey import HUEY

    return {"pending": HUEY.pending_count(), "scheduled": HUEY.scheduled_count()}


# ---------------------------------------------------------------------------------------------
# pgbench


def _pgbench_setup(users: list[int], categories: list[tuple[str, float, str]]) -> None:
    """Two small tables pgbench draws from: the submitters as the app would write them (home
    building, street, contact as stored) and the categories, repeated by weight."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_ingest_submitter, bench_ingest_category")
        cur.execute(
            """
            CREATE TABLE bench_ingest_submitter AS
            SELECT row_number() OVER (ORDER BY u.id) AS n, u.id AS user_id,
                   b.id AS building_id, b.path AS area_path, b.name AS address,
                   h.street_id, r.name AS contact_name,
                   u.mobile AS contact_mobile, u.mobile_digest AS contact_mobile_digest,
                   u.username, coalesce(nullif(u.name, ''), u.username) AS actor_label
            FROM accounts_user u
            JOIN territory_resident r ON r.user_id = u.id
            JOIN territory_household h ON h.id = r.household_id
            JOIN territory_area b ON b.id = h.building_id
            WHERE u.id = ANY(%s)
            """,
            [users],
        )
        cur.execute("ALTER TABLE bench_ingest_submitter ADD PRIMARY KEY (n)")
        cur.execute(
            "CREATE TABLE bench_ingest_category "
            "(n int PRIMARY KEY, id bigint, code text, text text)"
        )
        rows: list[tuple[int, int, str, str]] = []
        cur.execute(
            "SELECT code, id FROM tickets_category WHERE code = ANY(%s)",
            [[c for c, _, _ in categories]],
        )
        ids = dict(cur.fetchall())
        for code, weight, text in categories:
            for _ in range(max(1, round(weight * 2))):
                rows.append((len(rows) + 1, ids[code], code, text))
        cur.executemany("INSERT INTO bench_ingest_category VALUES (%s, %s, %s, %s)", rows)
        cur.execute("ANALYZE bench_ingest_submitter")
        cur.execute("ANALYZE bench_ingest_category")


def _pgbench_teardown() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_ingest_submitter, bench_ingest_category")


def run_pgbench(url: str, *, connections: int, seconds: int) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM bench_ingest_submitter")
        submitters = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM bench_ingest_category")
        categories = cur.fetchone()[0]
    cmd = [
        "pgbench",
        "-n",
        "-f",
        str(PGBENCH_SQL),
        "-c",
        str(connections),
        "-j",
        "2",
        "-T",
        str(seconds),
        "-D",
        f"submitters={submitters}",
        "-D",
        f"categories={categories}",
        *pg_args(url),
        db_name(url),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120, check=False)
    if done.returncode != 0:
        raise BenchError(f"pgbench failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    out = done.stdout

    def number(pattern: str) -> float | None:
        found = re.search(pattern, out)
        return float(found.group(1)) if found else None

    tps = number(r"tps = ([\d.]+) \(without initial connection time\)") or number(r"tps = ([\d.]+)")
    failed = number(r"number of failed transactions: (\d+)") or 0
    return {
        "tickets_per_s": round(tps or 0.0, 1),
        "latency_avg_ms": number(r"latency average = ([\d.]+) ms"),
        "transactions": int(number(r"number of transactions actually processed: (\d+)") or 0),
        "failed": int(failed),
        "connections": connections,
        "seconds": seconds,
    }


# ---------------------------------------------------------------------------------------------
# the whole run


def _ms(us: float) -> float:
    return round(us / 1000, 1)


def run_ingest(
    env: dict[str, str],
    url: str,
    *,
    seconds: int = DEFAULTS["seconds"],
    warmup: int = DEFAULTS["warmup"],
    connections: int = DEFAULTS["connections"],
    workers: int = DEFAULTS["workers"],
    threads: int = DEFAULTS["threads"],
    residents: int = DEFAULTS["residents"],
    port: int = DEFAULTS["port"],
    pgbench: bool = True,
    gunicorn_args: tuple[str, ...] = (),
    floor_seconds: int = FLOOR_SECONDS,
) -> dict[str, Any]:
    """The ingest benchmark on `url` (Django already set up on it, in this process), then
    the floor (`run_floor`, `floor_seconds`; 0 skips it). `gunicorn_args` are added to
    gunicorn's command line (e.g. ("--preload",)) for trials."""
    _wrk()
    if shutil.which("pgbench") is None and pgbench:
        raise BenchError("`pgbench` was not found (Debian: apt-get install postgresql-contrib)")
    from django.db import connections as django_connections

    work = VAR / db_name(url) / "ingest"
    prepared = prepare(work, residents)
    run_id = uuid.uuid4().hex[:8]
    config = {
        "seconds": seconds,
        "warmup": warmup,
        "connections": connections,
        "workers": workers,
        "threads": threads,
        "residents": len(prepared["users"]),
        "categories": len(prepared["categories"]),
        "wrk_threads": 1,
        "gunicorn_args": list(gunicorn_args),
        "cpus": os.cpu_count(),
        "loadavg_before": [round(x, 2) for x in os.getloadavg()],
    }
    result: dict[str, Any] = {"config": config}
    try:
        config["postgres"] = _fresh_chain_head()
        django_connections.close_all()
        queue_before = _queue()
        with servers(
            env, work, port=port, workers=workers, threads=threads, gunicorn_args=gunicorn_args
        ) as procs:
            sampler = MemorySampler(procs["web"].pid, procs["worker"].pid, db_name(url))
            sampler.start()
            try:
                warm: dict[str, Any] | None = None
                if warmup > 0:
                    warm_tag = f"bw{run_id}"
                    warm_run = run_wrk(
                        work, port=port, seconds=warmup, connections=connections, tag=warm_tag
                    )
                    warm = verify(warm_run, warm_tag, connections)
                tag = f"bi{run_id}"
                meter = CpuMeter(sampler)
                meter.start()
                run = run_wrk(work, port=port, seconds=seconds, connections=connections, tag=tag)
                cpu = meter.stop(len(run["numbers"]))
                checked = verify(run, tag, connections)
                if floor_seconds > 0:
                    meter.start()
                    floor = run_floor(
                        work, port=port, seconds=floor_seconds, connections=connections
                    )
                    floor_cpu = meter.stop(floor["statuses"].get("200", 0))
            finally:
                rss = sampler.finish()
            # Submissions queue no job today (notify.submitted writes the inbox row in the
            # transaction and sends no SMS); should one appear, give the worker time for it.
            deadline = time.monotonic() + 30
            queue_after = _queue()
            while queue_after["pending"] > queue_before["pending"] and time.monotonic() < deadline:
                time.sleep(0.5)
                queue_after = _queue()
        duration = run["duration_us"] / 1e6
        lat = run["latency_us"]
        answered = checked["answered_201"]
        result["app"] = {
            "requests": run["requests"],
            "seconds": round(duration, 2),
            "tickets_per_s": round(answered / duration, 1) if duration else 0.0,
            "p50_ms": _ms(lat["p50"]),
            "p90_ms": _ms(lat["p90"]),
            "p95_ms": _ms(lat["p95"]),
            "p99_ms": _ms(lat["p99"]),
            "max_ms": _ms(lat["max"]),
            "mean_ms": _ms(lat["mean"]),
            **checked,
            "warmup": None
            if warm is None
            else {"created_in_db": warm["created_in_db"], "error_count": warm["error_count"]},
        }
        result["rss_mb"] = rss
        result["cpu"] = cpu
        if floor_seconds > 0:
            answered_200 = floor["statuses"].get("200", 0)
            floor_s = floor["duration_us"] / 1e6
            result["floor"] = {
                "what": "GET /api/v1/auth/tokens as the same residents (no write)",
                "seconds": round(floor_s, 2),
                "requests_per_s": round(answered_200 / floor_s, 1) if floor_s else 0.0,
                "p50_ms": _ms(floor["latency_us"]["p50"]),
                "p99_ms": _ms(floor["latency_us"]["p99"]),
                "non_200": {k: v for k, v in floor["statuses"].items() if k != "200"},
                "socket_errors": floor["socket_errors"],
                "ms_per_request": floor_cpu["ms_per_ticket"],
            }
        result["queue"] = {
            "before": queue_before,
            "after": queue_after,
            "web_exit": procs.get("web_exit"),
            "worker_exit": procs.get("worker_exit"),
        }
        if pgbench:
            _pgbench_setup(prepared["users"], prepared["categories"])
            _fresh_chain_head()
            try:
                result["pgbench"] = run_pgbench(url, connections=connections, seconds=seconds)
            finally:
                _pgbench_teardown()
            pg_tps = result["pgbench"]["tickets_per_s"]
            result["ingest_ratio"] = (
                round(result["app"]["tickets_per_s"] / pg_tps, 3) if pg_tps else None
            )
        config["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
        result["ok"] = (
            result["app"]["error_count"] == 0
            and (warm is None or warm["error_count"] == 0)
            and (not pgbench or result["pgbench"]["failed"] == 0)
        )
    finally:
        _drop_sessions(prepared["sessions"])
        django_connections.close_all()
    return result


def main(argv: list[str] | None = None) -> int:
    from bench.env import bench_env, database_url, require_postgres

    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument("--url", default=None, help="PostgreSQL URL (default BENCH_DATABASE_URL)")
    for name, value in DEFAULTS.items():
        parser.add_argument(f"--{name}", type=int, default=value)
    parser.add_argument("--no-pgbench", action="store_true", help="only the app side")
    parser.add_argument(
        "--floor-seconds", type=int, default=FLOOR_SECONDS, help="the floor run (0: none)"
    )
    parser.add_argument(
        "--gunicorn-arg", action="append", default=[], help="extra gunicorn argument (repeat)"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the result here")
    args = parser.parse_args(argv)
    url = args.url or database_url()
    require_postgres(url)
    env = bench_env(url)
    os.environ.update(env)
    import django

    django.setup()
    result = run_ingest(
        env,
        url,
        **{name: getattr(args, name) for name in DEFAULTS},
        pgbench=not args.no_pgbench,
        gunicorn_args=tuple(args.gunicorn_arg),
        floor_seconds=args.floor_seconds,
    )
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0 if result.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
