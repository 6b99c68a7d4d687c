"""Run the pipeline to quiescence in this process: relay, then a burst SimpleWorker.

Used by `make demo` and the tests; production runs the relay and `rq worker` instead.
"""

from __future__ import annotations

from flask import Flask
from redis import Redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer

from coordinator import db
from workers import relay

QUEUES = ("solve", "default", "email")


def drain(app: Flask, redis_conn: Redis, passes: int = 30) -> int:
    """Relay and work until no event is undispatched and no queue holds a job; job count."""
    queues = [Queue(n, connection=redis_conn, serializer=JSONSerializer) for n in QUEUES]
    done = 0
    for _ in range(passes):
        # A fresh app context each time: the jobs get their own session, not the caller's.
        with app.app_context():
            sent = relay.relay_once(db.session(), redis_conn, limit=1000)
            swept = relay.sweep_messages(db.session(), redis_conn)
        if not sent and not swept and not any(q.count for q in queues):
            return done
        done += sum(q.count for q in queues)
        with app.app_context():
            SimpleWorker(queues, connection=redis_conn, serializer=JSONSerializer).work(
                burst=True, logging_level="WARNING")
    raise RuntimeError("the pipeline did not settle")
