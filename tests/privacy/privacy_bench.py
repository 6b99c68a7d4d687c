"""Timing of export, erasure and round retention on PostgreSQL (not a test; run by hand).

    .venv/bin/python tests/privacy/privacy_bench.py

Creates (and drops) a scratch database with 5 demo rounds of 120 applications and 60 hosts,
claims a free Redis database number the way the test fixtures do and fills it with 5,000
RQ-like job hashes, then times ``export_person``, ``erase_person`` and ``erase_round``.
"""

from __future__ import annotations

import os
import secrets
import time
import uuid
import zlib

import psycopg
from redis import Redis
from sqlalchemy import select

from coordinator import create_app, db, migrate
from coordinator.demo import seed_demo_round
from coordinator.models import Application, Round
from coordinator.services.privacy import erase_person, export_person
from coordinator.services.privacy_retention import erase_round

PG_ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")


def _claim_redis() -> tuple[str, str]:
    admin = Redis.from_url(f"{REDIS_BASE}/0")
    for number in range(15, 0, -1):
        key = f"coordinator-test-claim:{number}"
        if admin.set(key, "privacy-bench", nx=True, ex=3600):
            return f"{REDIS_BASE}/{number}", key
    raise SystemExit("no free Redis database number")


def main() -> None:
    name = f"privacy_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    redis_url, claim = _claim_redis()
    redis = Redis.from_url(redis_url)
    try:
        migrate.upgrade(url)
        app = create_app({"DATABASE_URL": url, "REDIS_URL": redis_url, "TESTING": True,
                          "SECRET_KEY": secrets.token_hex(16)})
        pipe = redis.pipeline()
        for i in range(5000):
            pipe.hset(f"rq:job:bench-{i}", mapping={
                "data": zlib.compress(b'["workers.jobs_email.send_message", null, [%d], {}]' % i),
                "status": "finished", "description": f"send_message({i})"})
        pipe.execute()
        with app.app_context():
            session = db.session()
            rounds = [seed_demo_round(session, applications=120, hosts=60, random_seed=k,
                                      name=f"R{k}").round_id for k in range(5)]
            session.commit()
            email = session.scalars(select(Application.email).where(
                Application.round_id == rounds[0])).first()
            start = time.perf_counter()
            export_person(session, email, redis=redis)
            session.rollback()
            print(f"export_person: {time.perf_counter() - start:.2f} s")
            start = time.perf_counter()
            erase_person(session, redis, email)
            session.commit()
            print(f"erase_person: {time.perf_counter() - start:.2f} s "
                  f"(5 rounds in the database, {redis.dbsize()} Redis keys)")
            start = time.perf_counter()
            report = erase_round(session, redis, session.get(Round, rounds[1]))
            session.commit()
            print(f"erase_round: {time.perf_counter() - start:.2f} s "
                  f"({report.applications} applications, {report.hosts} hosts, "
                  f"{report.messages} messages)")
        app.extensions["db_engine"].dispose()
    finally:
        redis.flushdb()
        Redis.from_url(f"{REDIS_BASE}/0").delete(claim)
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
