"""Where the benchmarks run: a PostgreSQL database of their own and the production settings.

Everything a run starts (the demo city loader, the generator, gunicorn, the worker) gets the
same environment from `bench_env`: DEBUG off, a Redis queue and cache, and keys made on the
first run and kept in `var/bench/keys.env` (never in the repo), so that the contacts encrypted
when the city was loaded stay readable in every database copied from it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/grassroots_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/7"


class BenchError(SystemExit):
    """A clear reason the benchmark cannot run, printed instead of a traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(f"bench: {message}")


def database_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if urlparse(url).scheme not in ("postgres", "postgresql"):
        raise BenchError(
            f"BENCH_DATABASE_URL must be a PostgreSQL URL (postgres://…), not {url!r}: the "
            "benchmarks measure against PostgreSQL's own limits and do not run on SQLite."
        )
    return url


def pg_args(url: str) -> list[str]:
    """-h/-p/-U/dbname for psql, pgbench, createdb and dropdb."""
    u = urlparse(url)
    args = ["-h", u.hostname or "127.0.0.1", "-p", str(u.port or 5432)]
    if u.username:
        args += ["-U", u.username]
    return args


def db_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def require_postgres(url: str) -> None:
    """Stop with a plain sentence when PostgreSQL or its tools are missing or down."""
    for tool in ("psql", "pgbench", "pg_isready", "createdb", "dropdb"):
        if shutil.which(tool) is None:
            raise BenchError(
                f"`{tool}` was not found. The benchmarks need PostgreSQL and its client tools "
                "(Debian: apt-get install postgresql postgresql-contrib)."
            )
    ready = subprocess.run(["pg_isready", "-q", *pg_args(url)], check=False, capture_output=True)
    if ready.returncode != 0:
        raise BenchError(
            f"PostgreSQL is not answering at {urlparse(url).netloc}. "
            "Start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) "
            "or point BENCH_DATABASE_URL at a running server."
        )


def require_redis() -> None:
    """The production settings queue tasks and cache in Redis: stop plainly when it is down."""
    import redis

    url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        raise BenchError(
            f"Redis is not answering at {url} ({exc}). Start it (redis-server --daemonize yes "
            "--bind 127.0.0.1 --port 6379 --save '' --appendonly no) or set BENCH_REDIS_URL."
        ) from None


def keys(path: Path) -> dict[str, str]:
    """The benchmark database's keys: made once, kept in `path` (under var/, git-ignored)."""
    if path.exists():
        pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
        return {k: v for k, v in pairs}
    from cryptography.fernet import Fernet

    made = {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{k}={v}\n" for k, v in made.items()))
    path.chmod(0o600)
    return made


def bench_env(url: str, *, debug: bool = False) -> dict[str, str]:
    """The environment of every process of a run: production settings on `url`."""
    name = db_name(url)
    data_dir = VAR / name
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(keys(VAR / "keys.env"))
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "grassroots.settings",
            "DATABASE_URL": url,
            "DATA_DIR": str(data_dir),
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS),
            "DEBUG": "1" if debug else "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # TLS ends at the proxy in production: the load generator sends the header the
            # proxy would, so the HTTPS redirect and secure cookies behave as deployed.
            "BEHIND_PROXY": "1",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")])),
        }
    )
    return env


def python() -> str:
    return sys.executable


def manage(env: dict[str, str], *args: str, quiet: bool = False) -> None:
    subprocess.run(
        [python(), str(ROOT / "manage.py"), *args],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL if quiet else None,
    )
