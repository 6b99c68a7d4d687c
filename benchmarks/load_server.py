"""The server side of the load benchmark: a fresh database, gunicorn as the Procfile runs it,
and the CPU its workers and PostgreSQL backends spend per request."""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import redis

ROOT = Path(__file__).resolve().parents[1]
# The Procfile's: a line per request is part of what a request costs.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


def create_database(pg_admin_url: str, prefix: str) -> tuple[str, str]:
    """A new, empty database next to ``pg_admin_url``'s: its name and URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, pg_admin_url.rsplit("/", 1)[0] + f"/{name}"


def clean_up(pg_admin_url: str, name: str, redis_url: str, instance: Path) -> None:
    """Drop the database, empty the claimed Redis database, remove the instance folder."""
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    redis.Redis.from_url(redis_url).flushdb()
    shutil.rmtree(instance, ignore_errors=True)


def start_gunicorn(args: argparse.Namespace, env: dict[str, str], log: Path) -> subprocess.Popen:
    """The Procfile's web command, with the worker settings of this run."""
    command = [str(Path(sys.executable).with_name("gunicorn")),
               "--bind", f"127.0.0.1:{args.port}", "--workers", str(args.workers),
               "--worker-class", args.worker_class, "--threads", str(args.threads),
               "--access-logfile", "-", "--access-logformat", ACCESS_LOG_FORMAT,
               "coordinator:create_app()"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"),
                              stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300  # a worker imports the app first: slow on a busy machine
    problem = "no answer"
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
            conn.request("GET", "/healthz")
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return server
            problem = f"status {status}"
        except OSError as exc:
            problem = repr(exc)
        time.sleep(0.5)
    server.kill()
    tail = log.read_text(errors="replace")[-3000:]
    raise SystemExit(f"gunicorn did not answer on /healthz in 300 s ({problem}):\n{tail}")


TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far (what a busy machine cannot inflate)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total * TICK_S


def server_pids(server: subprocess.Popen, db_url: str) -> dict[str, list[int]]:
    """The gunicorn workers, and the PostgreSQL backends serving this database."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    name = db_url.rsplit("/", 1)[1]
    with psycopg.connect(db_url) as conn:
        backends = [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,))]
    return {"gunicorn": [int(pid) for pid in children], "postgres": backends}


def measured(phase: Any, server: subprocess.Popen, db_url: str) -> dict[str, Any]:
    """Run ``phase`` and add the server's CPU milliseconds per request to its result."""
    before = server_pids(server, db_url)
    start = {name: cpu_seconds(pids) for name, pids in before.items()}
    result = phase()
    after = server_pids(server, db_url)
    for name in before:
        # Backends opened during the phase count from zero; ones that closed are lost
        # (the pool keeps them open, so there are none in practice).
        pids = sorted(set(before[name]) | set(after[name]))
        used = cpu_seconds(pids) - start[name]
        result[f"{name}_cpu_ms"] = round(used * 1000 / max(result["requests"], 1), 2)
    return result
