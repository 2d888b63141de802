"""`make bench`: the city-scale benchmarks, end to end, in one run on this machine.

    python -m bench.run [--sizes 10000,100000,1000000] [--ingest-seconds 60] [--smoke]

1. The city: `demo_city --size large` loaded once into a template database (`<name>_city`,
   rebuilt when the migrations change) and copied into a fresh benchmark database each run.
2. For each size N, oldest history added until the city holds N generated tickets
   (bench/generate.py), then the scoped reads (bench/reads.py) and the monthly rates
   (bench/rates.py) are measured.
3. At the largest N, the ingest run (bench/ingest.py): gunicorn and the task worker under a
   load generator, the floor (a signed-in read with no write, through the same gunicorn),
   then pgbench writing the same rows.
4. Results in `bench/results/<date>.json` with a Markdown table beside it; the scale ratios
   (largest N ÷ smallest N) and overhead ratios (app ÷ hand SQL) are computed here.

PostgreSQL is required (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/
grassroots_bench); without it the run stops at once and says so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from .env import (
    ROOT,
    BenchError,
    bench_env,
    database_url,
    db_name,
    manage,
    pg_args,
    require_postgres,
    require_redis,
)

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
# The targets of issue 8.
TARGET_TICKETS_PER_S = 300
TARGET_P99_MS = 500
TARGET_SCALE = 1.5
TARGET_OVERHEAD = 3.0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}Z] {message}", flush=True)


def psql(url: str, sql: str, *, db: str = "postgres") -> str:
    done = subprocess.run(
        ["psql", *pg_args(url), "-d", db, "-Atqc", sql], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def exists(url: str, name: str) -> bool:
    return psql(url, f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"


def with_db(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def city(url: str, size: str, *, rebuild: bool) -> dict[str, Any]:
    """The template database holding the demo city; loaded when missing or asked for (after a
    change to the demo itself). Returns what it cost (0 when it was already there). Each run
    migrates its copy, so new migrations need no reload."""
    name = f"{db_name(url)}_city"
    city_url = with_db(url, name)
    env = bench_env(city_url)
    if exists(url, name) and not rebuild:
        marker = psql(
            url,
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
            f"WHERE datname = '{name}'",
        )
        if marker == f"demo_city {size}":
            log(f"city: reusing {name} ({marker}; --rebuild-city loads it again)")
            return {"database": name, "size": size, "loaded_seconds": 0.0, "reused": True}
    log(f"city: loading demo_city --size {size} into {name} (once; later runs copy it)")
    subprocess.run(["dropdb", *pg_args(url), "--if-exists", name], check=True)
    subprocess.run(["createdb", *pg_args(url), name], check=True)
    started = time.perf_counter()
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "demo_city", "--size", size, "--quiet-accounts")
    seconds = time.perf_counter() - started
    psql(url, f"COMMENT ON DATABASE {name} IS 'demo_city {size}'")
    log(f"city: loaded in {seconds:.0f} s")
    return {"database": name, "size": size, "loaded_seconds": round(seconds, 1), "reused": False}


def fresh_copy(url: str, template: str) -> None:
    name = db_name(url)
    subprocess.run(["dropdb", *pg_args(url), "--if-exists", name], check=True)
    subprocess.run(["createdb", *pg_args(url), "-T", template, name], check=True)


def table_sizes() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples::bigint, pg_total_relation_size(oid) FROM pg_class "
            "WHERE relname IN ('tickets_ticket', 'tickets_ticketevent', 'tickets_review', "
            "'core_auditentry')"
        )
        rows = cursor.fetchall()
        cursor.execute("SELECT pg_database_size(current_database())")
        total = cursor.fetchone()[0]
    return {
        "tables": {name: {"rows": n, "mb": round(size / 2**20, 1)} for name, n, size in rows},
        "database_mb": round(total / 2**20, 1),
    }


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    """Scale ratios (largest N ÷ smallest N) and the targets, pass or miss."""
    steps = result["sizes"]
    first, last = steps[0], steps[-1]
    scale: dict[str, Any] = {}
    for name, read in last["reads"].items():
        base = first["reads"][name]
        scale[name] = {
            "app": ratio(read["app_ms"], base["app_ms"]),
            "sql": ratio(read["sql_ms"], base["sql_ms"]),
            "page": ratio(read["page_ms"], base["page_ms"]),
        }
    scale["rates_snapshot"] = {
        "app": ratio(last["rates"]["snapshot_ms"], first["rates"]["snapshot_ms"])
    }
    scale["rates_raw"] = {"app": ratio(last["rates"]["raw_ms"], first["rates"]["raw_ms"])}
    checks = []
    for name, s in scale.items():
        if name == "rates_raw":
            continue
        checks.append(
            (
                f"scale ratio {name} ≤ {TARGET_SCALE}",
                s["app"],
                s["app"] is not None and s["app"] <= TARGET_SCALE,
            )
        )
    for name, read in last["reads"].items():
        checks.append(
            (
                f"overhead {name} ≤ {TARGET_OVERHEAD}",
                read["overhead"],
                read["overhead"] is not None and read["overhead"] <= TARGET_OVERHEAD,
            )
        )
    ingest = result.get("ingest")
    if ingest:
        app = ingest["app"]
        checks.append(
            (
                f"ingest ≥ {TARGET_TICKETS_PER_S} tickets/s",
                app["tickets_per_s"],
                app["tickets_per_s"] >= TARGET_TICKETS_PER_S,
            )
        )
        checks.append(
            (f"ingest p99 < {TARGET_P99_MS} ms", app["p99_ms"], app["p99_ms"] < TARGET_P99_MS)
        )
        errors = app["error_count"]
        checks.append(("ingest errors = 0", errors, errors == 0))
    return {
        "from_n": first["n"],
        "to_n": last["n"],
        "scale": scale,
        "targets": [{"target": t, "value": v, "met": ok} for t, v, ok in checks],
    }


def markdown(result: dict[str, Any]) -> str:
    s = result["summary"]
    sizes = result["sizes"]
    lines = [
        f"# Grassroots benchmarks {result['started'][:10]}",
        "",
        f"Machine: {result['machine']['cpus']} cores, {result['machine']['postgres']}; "
        f"commit {result['machine']['commit']}; command `{result['command']}`.",
        "",
        "## Data generation",
        "",
        "| N | added | events | reviews | seconds | tickets/s | rows/s | database MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for step in sizes:
        g = step["growth"]
        lines.append(
            f"| {step['n']:,} | {g['added']:,} | {g['events']:,} | {g['reviews']:,} | "
            f"{g['seconds']} | {g['tickets_per_s']:,} | {g['rows_per_s']:,} | "
            f"{step['sizes']['database_mb']:,} |"
        )
    lines += ["", "## Scoped reads (median ms; app = the app's queries, sql = hand SQL)", ""]
    header = (
        "| read | "
        + " | ".join(f"app @{x['n']:,}" for x in sizes)
        + " | scale | sql @max | overhead @max | page @max | page scale |"
    )
    lines += [header, "|---|" + "---:|" * (len(sizes) + 5)]
    last = sizes[-1]
    for name in last["reads"]:
        r = last["reads"][name]
        sc = s["scale"][name]
        lines.append(
            f"| {name} | "
            + " | ".join(f"{x['reads'][name]['app_ms']:.2f}" for x in sizes)
            + f" | {sc['app']} | {r['sql_ms']:.2f} | {r['overhead']} | {r['page_ms']:.1f} "
            + f"| {sc['page']} |"
        )
    lines += ["", "## Monthly 三率, every street and community (median ms)", ""]
    lines += [
        "| N | month | reviews in month | snapshot | raw | monthly job |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for step in sizes:
        r = step["rates"]
        lines.append(
            f"| {step['n']:,} | {r['month']} | {r['reviews_in_month']:,} | "
            f"{r['snapshot_ms']:.2f} | {r['raw_ms']:.2f} | {r['job_ms']:.1f} |"
        )
    lines.append(
        f"\nScale ratio from snapshots {s['scale']['rates_snapshot']['app']}, from raw reviews "
        f"{s['scale']['rates_raw']['app']}."
    )
    ingest = result.get("ingest")
    if ingest:
        a, p = ingest["app"], ingest["pgbench"]
        rss = ingest.get("rss_mb", {})
        lines += [
            "",
            f"## Ingest at N = {last['n']:,}",
            "",
            "| | tickets/s | p50 ms | p95 ms | p99 ms | errors |",
            "|---|---:|---:|---:|---:|---:|",
            f"| app (gunicorn, {ingest['config'].get('workers')} workers) | {a['tickets_per_s']} "
            f"| {a['p50_ms']} | {a['p95_ms']} | {a['p99_ms']} | {a['error_count']} |",
            f"| pgbench (same rows) | {p['tickets_per_s']} | | | | |",
            "",
            f"Ingest ratio {ingest['ingest_ratio']}. Peak RSS: web worker "
            f"{rss.get('web_worker_peak')} MB, task worker {rss.get('task_worker_peak')} MB.",
        ]
        cpu = ingest.get("cpu", {}).get("ms_per_ticket", {})
        floor = ingest.get("floor")
        if cpu:
            lines.append(
                f"CPU per ticket: web {cpu.get('web')} ms, PostgreSQL {cpu.get('postgres')} ms, "
                f"machine {cpu.get('machine')} ms."
            )
        if floor:
            per = floor["ms_per_request"]
            share = (
                round(a["tickets_per_s"] / floor["requests_per_s"], 2)
                if floor["requests_per_s"]
                else "–"
            )
            lines.append(
                f"\nThe floor, {floor['what']}, through the same gunicorn: "
                f"{floor['requests_per_s']} requests/s (p99 {floor['p99_ms']} ms), CPU per "
                f"request web {per.get('web')} ms, PostgreSQL {per.get('postgres')} ms, machine "
                f"{per.get('machine')} ms. Filing runs at {share} of it."
            )
    lines += ["", "## Targets", "", "| target | value | met |", "|---|---:|---|"]
    for t in s["targets"]:
        lines.append(f"| {t['target']} | {t['value']} | {'yes' if t['met'] else '**no**'} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(str(n) for n in DEFAULT_SIZES))
    parser.add_argument("--ingest-seconds", type=int, default=60)
    parser.add_argument(
        "--workers", type=int, default=2, help="processes generating history (default 2)"
    )
    parser.add_argument("--repeat", type=int, default=25, help="runs per read measurement")
    parser.add_argument("--city", default="large", help="demo_city size (default large)")
    parser.add_argument("--rebuild-city", action="store_true", help="reload the city template")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a minute-long check that the whole run works: small city, N = 1,000, 5 s ingest",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        os.environ.setdefault(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/grassroots_bench_smoke"
        )
        args.city, args.sizes, args.repeat = "small", "1000", 5
        args.ingest_seconds = min(args.ingest_seconds, 5)
        if args.out == str(ROOT / "bench" / "results"):
            args.out = str(ROOT / "var" / "bench" / "smoke")
    try:
        sizes = sorted({int(x) for x in args.sizes.split(",") if x.strip()})
    except ValueError:
        raise BenchError(
            f"--sizes must be numbers separated by commas, not {args.sizes!r}"
        ) from None
    url = database_url()
    require_postgres(url)
    require_redis()
    started = datetime.now().astimezone()
    result: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "command": "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "postgres": psql(url, "SELECT version()").split(" on ")[0],
            "commit": subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
            ).stdout.strip()
            or "unknown",
        },
    }
    result["city"] = city(url, args.city, rebuild=args.rebuild_city)
    log(f"copying the city into {db_name(url)}")
    fresh_copy(url, result["city"]["database"])
    env = bench_env(url)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    os.environ.update(env)
    import django

    django.setup()
    from . import generate, rates, reads

    rate = generate.daily_rate()
    result["daily_rate"] = round(rate, 1)
    log(f"the city files {rate:,.0f} requests a day")
    subjects = None
    result["sizes"] = []
    for n in sizes:
        log(f"N = {n:,}: generating")
        growth = generate.grow(
            n,
            rate=rate,
            workers=args.workers,
            progress=lambda have, target, s: log(f"  {have:,}/{target:,} in {s:.0f} s"),
        )
        log(f"N = {n:,}: {growth.tickets_per_s:,.0f} tickets/s; measuring reads")
        subjects = subjects or reads.Subjects.find()
        step = {
            "n": n,
            "growth": growth.as_dict(),
            "sizes": table_sizes(),
            "states": reads.state_counts(),
            "reads": reads.measure(subjects, repeat=args.repeat),
            "rates": rates.measure(repeat=max(3, args.repeat // 3)),
        }
        result["sizes"].append(step)
        for name, r in step["reads"].items():
            log(
                f"  {name}: app {r['app_ms']:.2f} ms, sql {r['sql_ms']:.2f} ms, "
                f"page {r['page_ms']:.1f} ms"
            )
    if args.ingest_seconds > 0:
        from . import ingest

        log(f"ingest: {args.ingest_seconds} s through gunicorn, the floor, then pgbench")
        # A port nobody holds: another server answering on a fixed one would be measured
        # instead (and refuse our residents' sessions).
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        kwargs: dict[str, Any] = {"seconds": args.ingest_seconds, "port": port}
        if args.smoke:
            kwargs.update(warmup=2, residents=50, floor_seconds=5)
        result["ingest"] = ingest.run_ingest(env, url, **kwargs)
    result["finished"] = datetime.now().astimezone().isoformat(timespec="seconds")
    result["summary"] = summarise(result)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = started.strftime("%Y-%m-%d")
    (out / f"{stem}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    table = markdown(result)
    (out / f"{stem}.md").write_text(table)
    print(table)
    log(f"results: {out / (stem + '.json')} and {stem}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
