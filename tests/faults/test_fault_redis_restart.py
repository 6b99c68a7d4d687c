"""Redis restarted without persistence in the middle of a round, twice, while the relay
(`flask events relay`) and a forking `rq worker` run as the Procfile runs them.

Queued jobs, scheduled deadline jobs and job results are gone each time; the database is
the truth, so the relay notices the empty Redis, dispatches again what was lost, and the
idempotent jobs finish the round: nothing lost, nothing twice.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fault_checks import assert_nothing_lost_nothing_twice
from fault_round import (
    accept_every_open_offer,
    publish_latest,
    round_status,
    seed_matching_round,
)
from fault_services import ForkingWorker, RedisServer, Relay, wait_until
from flask import Flask
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from rq.job import Job
from sqlalchemy import func, select

from coordinator import db
from coordinator.models import Message, Placement
from workers.redis_client import RetryingRedis

QUEUES = ["solve", "default", "email"]


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    # A row a dying horse leaves in "sending" is taken again after 2 s, not 5 minutes.
    return {**app_config, "EMAIL_LEASE_SECONDS": 2}


def _messages(app: Flask, *statuses: str) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(Message).where(
            Message.status.in_(statuses))) or 0


def _by_status(app: Flask) -> list[Any]:
    with app.app_context():
        return list(db.session().execute(select(Message.status, func.count())
                                         .group_by(Message.status)))


def _deadlines_booked(app: Flask, redis_url: str, round_id: int) -> bool:
    """Every offered placement has its expiry job in Redis (booked by schedule_deadlines)."""
    with app.app_context():
        offered = list(db.session().scalars(select(Placement.id).where(
            Placement.round_id == round_id, Placement.status == "offered")))
    try:
        with Redis.from_url(redis_url) as conn:
            return bool(offered) and all(conn.exists(Job.key_for(f"expire-{p}"))
                                         for p in offered)
    except RedisError:
        return False


@pytest.mark.slow
def test_redis_restarted_mid_round_loses_nothing(
        app: Flask, app_config: dict[str, Any], redis_conn: Redis,
        private_redis: RedisServer, tmp_path: Path) -> None:
    round_id = seed_matching_round(app, time_limit_s=1)
    relay = Relay(app_config, tmp_path / "relay.log").start()
    worker = ForkingWorker(app_config, QUEUES, tmp_path / "worker.log")
    try:
        # 1. The solve job is in Redis, no worker has taken it yet: Redis dies.
        wait_until(lambda: redis_conn.exists("rq:queue:solve"), 60,
                   lambda: f"the relay to enqueue the solve\n{relay.output()}")
        private_redis.restart()
        worker.start()
        wait_until(lambda: round_status(app, round_id) == "review", 180,
                   lambda: f"the solve after the restart\n{relay.output()}\n{worker.output()}")

        # 2. Offers are going out and their deadlines are being booked: Redis dies again.
        publish_latest(app, round_id)
        wait_until(lambda: _messages(app, "sent") > 0 and _messages(app, "pending", "sending"), 120,
                   lambda: f"the offers to start going out {_by_status(app)}\n{relay.output()}\n"
                   f"{worker.output()}")
        private_redis.restart()
        wait_until(lambda: not _messages(app, "pending", "sending")
                   and _deadlines_booked(app, private_redis.url, round_id), 180,
                   lambda: f"the offers and deadlines after the restart {_by_status(app)}"
                   f"\n{relay.output()}\n{worker.output()}")

        # 3. Everyone accepts; the round goes on to confirmed and workshops.
        accept_every_open_offer(app, round_id)
        wait_until(lambda: round_status(app, round_id) == "workshops"
                   and not _messages(app, "pending", "sending"), 240,
                   lambda: f"the workshops\n{relay.output()}\n{worker.output()}")
    finally:
        worker.kill_all()
        relay.kill_all()
    assert_nothing_lost_nothing_twice(app, round_id, "workshops")


def test_the_worker_connection_waits_through_a_redis_restart(
        private_redis: RedisServer) -> None:
    # The rq worker quit for good when Redis restarted as it wrote its state after a job
    # (`Redis.from_url` connections never retry); the Procfile's connection class waits.
    client = RetryingRedis.from_url(private_redis.url)
    assert client.ping()
    private_redis.kill()
    with pytest.raises(RedisConnectionError):
        Redis.from_url(private_redis.url).ping()
    restart = threading.Timer(1.0, private_redis.start)
    restart.start()
    try:
        started = time.monotonic()
        assert client.hset("rq:worker:probe", "state", "idle") == 1
        assert time.monotonic() - started >= 0.5
    finally:
        restart.join()
    assert client.hget("rq:worker:probe", "state") == b"idle"
