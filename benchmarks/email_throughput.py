"""Email throughput: N messages through the ``sendgrid`` backend with real RQ workers.

The real SendGrid client talks to the local recording server of the tests (checks the v3
payload, answers 202). Reports messages per second and lost / duplicate counts.

    .venv/bin/python benchmarks/email_throughput.py --messages 5000 --workers 8
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import redis
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "email")]

from email_fake_sendgrid import RecordingSendGrid  # noqa: E402

from coordinator import create_app, db, migrate  # noqa: E402
from coordinator.models import Message  # noqa: E402
from coordinator.services.mail import queue_message  # noqa: E402
from workers.jobs_email import QUEUE, send_message, send_pending  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
WORKER = """
import json, sys
from redis import Redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer as J
from coordinator import create_app
from workers.context import set_app
config = json.loads(sys.argv[1])
set_app(create_app(config))
conn = Redis.from_url(config["REDIS_URL"])
SimpleWorker([Queue("email", connection=conn, serializer=J)], connection=conn,
             serializer=J).work(burst=True)
"""


def free_redis(base: str) -> str:
    for number in range(15, 0, -1):
        client = redis.Redis.from_url(f"{base}/{number}")
        if client.dbsize() == 0 and client.set("email-bench-claim", "1", nx=True, ex=3600):
            return f"{base}/{number}"
    raise SystemExit("no free Redis database")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--mode", choices=("per-message", "batch"), default="batch",
                        help="one send_message job per message, or send_pending jobs of 100")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    args = parser.parse_args()

    server = RecordingSendGrid().start()
    name = f"email_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db_url = args.pg_admin_url.rsplit("/", 1)[0] + f"/{name}"
    redis_url = free_redis(args.redis)
    conn = redis.Redis.from_url(redis_url)
    try:
        migrate.upgrade(db_url)
        config = {"DATABASE_URL": db_url, "REDIS_URL": redis_url, "EMAIL_BACKEND": "sendgrid",
                  "SENDGRID_API_KEY": "SG.bench", "SENDGRID_API_HOST": server.url,
                  "SENDGRID_TIMEOUT_SECONDS": 10, "EMAIL_RETRY_BASE_SECONDS": 0,
                  "SECRET_KEY": "bench", "INSTANCE_PATH": f"/tmp/{name}"}
        app = create_app(config)
        with app.app_context():
            ids = []
            for n in range(args.messages):
                ids.append(queue_message(
                    db.session(), template="application_received", language="da",
                    recipient=f"person{n}@example.org",
                    context={"name": f"Person {n}", "edit_url": f"http://x/e/{n}",
                             "reason": "submitted"},
                    dedup_key=f"bench:{n}", round_id=None).id)
            db.session().commit()
        queue = Queue(QUEUE, connection=conn, serializer=JSONSerializer)
        with conn.pipeline() as pipe:
            if args.mode == "per-message":
                for message_id in ids:
                    queue.enqueue(send_message, message_id, job_id=f"email-{message_id}",
                                  pipeline=pipe, result_ttl=60)
            else:
                # Each sweep claims 100 rows with SKIP LOCKED: the workers never overlap.
                for n in range(-(-len(ids) // 100)):
                    queue.enqueue(send_pending, 100, job_id=f"email-sweep-{n}",
                                  pipeline=pipe, result_ttl=60)
            pipe.execute()
        start = time.perf_counter()
        workers = [subprocess.Popen([sys.executable, "-c", WORKER, json.dumps(config)],
                                    cwd=ROOT, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL) for _ in range(args.workers)]
        for worker in workers:
            worker.wait()
        elapsed = time.perf_counter() - start
        with app.app_context():
            sent = db.session().scalar(
                select(func.count()).select_from(Message).where(Message.status == "sent"))
        delivered = server.delivered_ids()
        lost = args.messages - len(set(delivered))
        duplicates = len(delivered) - len(set(delivered))
        print(f"mode {args.mode}, messages {args.messages}, workers {args.workers}: {elapsed:.1f} s, "
              f"{args.messages / elapsed:.0f} messages/s; rows sent {sent}; "
              f"lost {lost}, duplicates {duplicates}, payload problems {len(server.problems)}")
        app.extensions["db_engine"].dispose()
    finally:
        server.stop()
        conn.flushdb()
        with psycopg.connect(args.pg_admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
