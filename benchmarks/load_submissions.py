"""Load: application submissions to gunicorn + PostgreSQL, driven from a second process.

Creates a fresh PostgreSQL database (migrated) and claims an empty Redis database, opens a
round with hosts, starts gunicorn as the Procfile's ``web`` line does (with ``--workers`` of
this script's choosing; rate limits off through ``RATELIMIT_ENABLED=false``), then

1. **max throughput**: ``wrk`` (Debian's package) with ``load_submissions.lua``, which POSTs a
   new valid application per request over ``--connections`` keep-alive connections;
2. **fixed rate**: an open-loop generator here (``--rate`` requests/s on a schedule; latency
   counted from each request's scheduled time, so a stall is not hidden by waiting for it),

and checks afterwards that the database holds exactly one application, one event and one
queued email per 201 answer. Prints a table and one JSON line.

    .venv/bin/python benchmarks/load_submissions.py --workers 4 --duration 20 --rate 200
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import psycopg
import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.load_server import (  # noqa: E402
    clean_up,
    create_database,
    measured,
    start_gunicorn,
)
from benchmarks.open_loop import run_open_loop  # noqa: E402
from coordinator import create_app, db, migrate  # noqa: E402
from coordinator.auth import create_user  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
LUA = Path(__file__).with_suffix(".lua")
HOSTS = 10


def claim_redis(base: str) -> str:
    for number in range(15, 0, -1):
        client = redis.Redis.from_url(f"{base}/{number}")
        if client.dbsize() == 0 and client.set("load-bench-claim", "1", nx=True, ex=3600):
            return f"{base}/{number}"
    raise SystemExit("no free Redis database")


def application_body(tag: str, number: int, host_ids: list[int]) -> bytes:
    """The same application the Lua script sends, for the fixed-rate run."""
    return json.dumps({
        "name": f"Rate Test {number}", "email": f"rate-{tag}-{number}@example.org",
        "organisation": "Odense Kommune", "org_level": "municipality", "municipality_code": "461",
        "learning_goal": "How to scale screen visits to the whole municipality.",
        "topics": ["welfare technology"], "host_choices": host_ids[:5], "weeks": ["2027-W37"],
        "max_km": 300, "language": "da", "manager_name": "Lone Hansen",
        "manager_email": f"manager-rate-{tag}-{number}@example.org"}).encode()


def seed(config: dict[str, Any]) -> tuple[int, list[int]]:
    """An open round with ``HOSTS`` hosts, made through the API in-process."""
    app = create_app(config)
    with app.app_context():
        create_user(db.session(), "load@example.org", "load benchmark password")
        db.session().commit()
    client = app.test_client()
    signed_in = client.post("/api/auth/login", json={"email": "load@example.org",
                                                     "password": "load benchmark password"})
    assert signed_in.status_code == 200, signed_in.json
    created = client.post("/api/rounds", json={"name": "Load", "weeks": ["2027-W37", "2027-W38"]})
    round_id = created.json["id"]
    assert client.post(f"/api/rounds/{round_id}/open").status_code == 200
    host_ids = []
    for number in range(HOSTS):
        host = client.post(f"/api/public/rounds/{round_id}/hosts/offers", json={
            "organisation": f"Host {number}", "org_level": "municipality",
            "municipality_code": "751", "innovation_title": f"Innovation {number}",
            "innovation_description": "Screen visits and sensors.", "topics": ["welfare"],
            "language": "da", "capacity": 3, "min_visitors": 1, "weeks": ["2027-W37"],
            "visit_days": 3, "contact_name": "Karen Jensen",
            "contact_email": f"host{number}@example.org"})
        assert host.status_code == 201, host.json
        host_ids.append(host.json["id"])
    app.extensions["db_engine"].dispose()
    return round_id, host_ids


def run_wrk(args: argparse.Namespace, path: str, host_ids: list[int], tag: str) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk not found: apt-get install wrk")
    command = [wrk, f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{args.duration}s",
               "--timeout", "10s", "-s", str(LUA), f"http://127.0.0.1:{args.port}",
               "--", path, json.dumps(host_ids[:5]), tag]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    match = re.search(r"^RESULT (\{.*\})$", done.stdout, re.MULTILINE)
    if match is None:
        raise SystemExit(f"no RESULT line from wrk:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(match.group(1))
    errors = sum(raw[k] for k in ("connect_errors", "read_errors", "write_errors",
                                  "status_errors", "timeouts"))
    seconds = raw["duration_us"] / 1e6
    return {"mode": f"max (wrk -t{args.wrk_threads} -c{args.connections})",
            "requests": raw["requests"], "ok": raw["requests"] - raw["status_errors"],
            "errors": errors, "seconds": round(seconds, 2),
            "per_s": round((raw["requests"] - errors) / seconds, 1),
            "p50_ms": raw["p50_us"] / 1000, "p99_ms": raw["p99_us"] / 1000,
            "max_ms": raw["max_us"] / 1000,
            # The load generator's share of the 2 cores (the fixed phase's runs in this process).
            "wrk_cpu_ms": round(wrk_cpu_s * 1000 / max(raw["requests"], 1), 2)}


def run_fixed_rate(args: argparse.Namespace, path: str, host_ids: list[int],
                   tag: str) -> dict[str, Any]:
    """``args.rate`` requests per second for ``args.duration`` s, open loop."""
    return run_open_loop(args.port, path, lambda index: application_body(tag, index, host_ids),
                         rate=args.rate, duration_s=args.duration,
                         connections=args.rate_threads)


def verify(db_url: str, round_id: int, tag: str) -> dict[str, int]:
    """Rows of the round: applications per phase (by email prefix), events, queued emails."""
    with psycopg.connect(db_url) as conn:
        def count(sql: str) -> int:
            return conn.execute(sql, {"round": round_id, "max": f"load-{tag}-%",
                                      "rate": f"rate-{tag}-%"}).fetchone()[0]

        mine = "FROM applications WHERE round_id = %(round)s"
        return {
            "applications": count(f"SELECT count(*) {mine}"),
            "max_phase": count(f"SELECT count(*) {mine} AND email LIKE %(max)s"),
            "rate_phase": count(f"SELECT count(*) {mine} AND email LIKE %(rate)s"),
            "distinct_emails": count(f"SELECT count(DISTINCT email) {mine}"),
            "submitted_events": count("SELECT count(*) FROM events WHERE round_id = %(round)s "
                                      "AND kind = 'application.submitted'"),
            "queued_emails": count("SELECT count(*) FROM messages WHERE round_id = %(round)s "
                                   "AND template = 'application_received'"),
        }


def rows_problems(rows: dict[str, int], results: list[dict[str, Any]],
                  connections: int) -> list[str]:
    """What does not add up. wrk stops counting with up to one request per connection still
    in flight; those complete on the server, so the max phase may hold that many more rows."""
    max_ok, rate_ok = results[0]["ok"], results[1]["ok"]
    problems = []
    if not max_ok <= rows["max_phase"] <= max_ok + connections:
        problems.append(f"max phase: {rows['max_phase']} rows for {max_ok} answers 201")
    if rows["rate_phase"] != rate_ok:
        problems.append(f"fixed phase: {rows['rate_phase']} rows for {rate_ok} answers 201")
    for name in ("distinct_emails", "submitted_events", "queued_emails"):
        if rows[name] != rows["applications"]:
            problems.append(f"{name}: {rows[name]} for {rows['applications']} applications")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--duration", type=int, default=20, help="seconds per phase")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--rate", type=int, default=200, help="requests/s of the fixed phase")
    parser.add_argument("--rate-threads", type=int, default=32)
    parser.add_argument("--port", type=int, default=5077)
    parser.add_argument("--pg-admin-url", default=PG_ADMIN)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    args = parser.parse_args()

    name, db_url = create_database(args.pg_admin_url, "load_bench")
    redis_url = claim_redis(args.redis)
    instance = Path(tempfile.mkdtemp(prefix="load-bench-"))
    server = None
    try:
        migrate.upgrade(db_url)
        secret = secrets.token_urlsafe(32)
        round_id, host_ids = seed({"DATABASE_URL": db_url, "REDIS_URL": redis_url,
                                   "SECRET_KEY": secret, "INSTANCE_PATH": str(instance),
                                   "RATELIMIT_ENABLED": False})
        env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url,
               "SECRET_KEY": secret, "RATELIMIT_ENABLED": "false", "EMAIL_BACKEND": "outbox"}
        server = start_gunicorn(args, env, instance / "gunicorn.log")
        path = f"/api/public/rounds/{round_id}/applications"
        tag = uuid.uuid4().hex[:6]
        # A short warm-up, so every worker has its connections and every backend exists.
        run_fixed_rate(argparse.Namespace(**{**vars(args), "rate": 50, "duration": 2}),
                       path, host_ids, f"{tag}w")
        results = [measured(lambda: run_wrk(args, path, host_ids, tag), server, db_url),
                   measured(lambda: run_fixed_rate(args, path, host_ids, tag), server, db_url)]
        rows = verify(db_url, round_id, tag)
        problems = rows_problems(rows, results, args.connections)
        print(f"gunicorn --workers {args.workers} --worker-class {args.worker_class} "
              f"--threads {args.threads}; load average {os.getloadavg()[0]:.2f}")
        print(f"{'phase':48} {'requests':>8} {'201':>7} {'errors':>6} {'per s':>7} "
              f"{'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'CPU ms/req web+pg':>18}")
        for r in results:
            cpu = f"{r['gunicorn_cpu_ms']}+{r['postgres_cpu_ms']}"
            print(f"{r['mode']:48} {r['requests']:>8} {r['ok']:>7} {r['errors']:>6} "
                  f"{r['per_s']:>7} {r['p50_ms']:>7} {r['p99_ms']:>7} {r['max_ms']:>7} "
                  f"{cpu:>18}")
        print(f"wrk CPU ms per request (max phase): {results[0]['wrk_cpu_ms']}")
        print(f"rows: {rows}; {'; '.join(problems) or 'every 201 answer has its rows'}")
        print(json.dumps({"results": results, "rows": rows, "problems": problems}))
        if problems:
            raise SystemExit("rows in the database do not match the answers")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        clean_up(args.pg_admin_url, name, redis_url, instance)


if __name__ == "__main__":
    main()
