"""A round's mail through the real sendgrid client to the recording server, with faults:
the email worker SIGKILLed while the provider takes its time, and the provider answering
429, 500 or not at all. Every message reaches the provider once (one flagged duplicate at
most), or after its last attempt is failed and shown to coordinators."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from email_fake_sendgrid import RecordingSendGrid
from fault_checks import assert_nothing_lost_nothing_twice
from fault_round import publish_latest, run_round_to_workshops, seed_matching_round
from fault_services import ForkingWorker, wait_until
from flask import Flask
from flask.testing import FlaskCliRunner
from redis import Redis
from sqlalchemy import func, select

from coordinator import db
from coordinator.models import Message
from workers import relay
from workers.drive import drain
from workers.jobs_email import send_message


@pytest.fixture
def app_config(app_config: dict[str, Any], sendgrid_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, **sendgrid_config}


def _unsent(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(Message).where(
            Message.status.in_(("pending", "sending")))) or 0


def _drain_mail(app: Flask, redis_conn: Redis, timeout_s: float = 30) -> None:
    """Drain until no message waits; retries wait for their backoff or the provider's reset
    (their scheduled jobs are not run here: the relay's sweep hands due rows out again)."""
    deadline = time.monotonic() + timeout_s
    while True:
        drain(app, redis_conn)
        if not _unsent(app):
            return
        assert time.monotonic() < deadline, "messages still unsent"
        time.sleep(0.3)


def _solved_round(app: Flask, redis_conn: Redis) -> int:
    round_id = seed_matching_round(app, time_limit_s=1)
    _drain_mail(app, redis_conn)
    return round_id


@pytest.mark.slow
@pytest.mark.parametrize("provider", ["accepts_late", "never_accepts"])
def test_email_worker_killed_mid_send(
        app: Flask, app_config: dict[str, Any], redis_conn: Redis,
        sendgrid_server: RecordingSendGrid, tmp_path: Path, provider: str) -> None:
    round_id = _solved_round(app, redis_conn)
    before = len(sendgrid_server.requests)
    # The first offer hangs at the provider: "hang" counts as delivered (it accepted, the
    # answer never came back), "stall" does not (the sender died before it was taken).
    sendgrid_server.script.append(("hang" if provider == "accepts_late" else "stall", 30))
    publish_latest(app, round_id)
    with app.app_context():
        relay.relay_once(db.session(), redis_conn)
    # The worker waits long for the provider, so it is surely killed while sending.
    worker = ForkingWorker({**app_config, "SENDGRID_TIMEOUT_SECONDS": 60}, ["email"],
                           tmp_path / "worker.log").start()
    try:
        wait_until(lambda: len(sendgrid_server.requests) > before, 30,
                   lambda: f"the worker to reach the provider\n{worker.output()}")
    finally:
        worker.kill_all()
    with app.app_context():
        sending = list(db.session().scalars(select(Message.id).where(
            Message.status == "sending")))
    assert len(sending) == 1
    time.sleep(1.1)  # the claim's lease (EMAIL_LEASE_SECONDS=1) runs out
    _drain_mail(app, redis_conn)
    run_round_to_workshops(app, redis_conn, round_id)
    _drain_mail(app, redis_conn)
    with app.app_context():
        killed = db.session().get(Message, sending[0])
        assert (killed.status, killed.possible_duplicate) == ("sent", True)
    copies = sendgrid_server.delivered_ids().count(str(sending[0]))
    assert copies == (2 if provider == "accepts_late" else 1)
    assert_nothing_lost_nothing_twice(app, round_id, "workshops",
                                      delivered_ids=sendgrid_server.delivered_ids())


@pytest.mark.slow
def test_provider_429_500_and_hanging_each_message_sent_once(
        app: Flask, redis_conn: Redis, sendgrid_server: RecordingSendGrid) -> None:
    round_id = _solved_round(app, redis_conn)
    # Offers meet a rate limit (reset in 2 s; the header carries whole seconds of Unix time),
    # server errors and one hung answer.
    reset = int(time.time() + 2)
    sendgrid_server.script.extend([
        ("429", reset), "500", ("429", reset), "500", "500", ("hang", 1.0), "500"])
    publish_latest(app, round_id)
    _drain_mail(app, redis_conn)
    limited = [(at, message_id) for at, message_id, answer in sendgrid_server.answered
               if isinstance(answer, tuple) and answer[0] == "429"]
    assert len(limited) == 2
    for limited_at, message_id in limited:
        again = [at for at, other, _ in sendgrid_server.answered
                 if other == message_id and at > limited_at]
        assert again and min(again) >= reset, "a 429 was retried before its reset"
    assert not sendgrid_server.script, "not every scripted answer was used"
    run_round_to_workshops(app, redis_conn, round_id)
    _drain_mail(app, redis_conn)
    with app.app_context():
        flagged = db.session().scalar(select(func.count()).select_from(Message).where(
            Message.possible_duplicate.is_(True)))
    assert flagged == 1  # the hung request: the provider took it, the client gave up
    assert_nothing_lost_nothing_twice(app, round_id, "workshops",
                                      delivered_ids=sendgrid_server.delivered_ids())


@pytest.fixture
def few_attempts(app: Flask) -> None:
    app.config["EMAIL_MAX_ATTEMPTS"] = 3


@pytest.mark.slow
def test_after_the_last_attempt_a_message_is_failed_and_shown(
        app: Flask, few_attempts: None, runner: FlaskCliRunner, redis_conn: Redis,
        sendgrid_server: RecordingSendGrid) -> None:
    round_id = _solved_round(app, redis_conn)
    publish_latest(app, round_id)
    with app.app_context():
        first = db.session().scalars(select(Message.id).where(Message.status == "pending")
                                     .order_by(Message.id)).first()
    sendgrid_server.script.extend(["500", "500", "500"])
    statuses = [send_message(first) for _ in range(3)]  # three attempts, each answered 500
    assert statuses == ["pending", "pending", "failed"]
    _drain_mail(app, redis_conn)
    with app.app_context():
        failed = db.session().scalars(select(Message).where(Message.status == "failed")).one()
        assert (failed.id, failed.attempts, failed.last_error[:8]) == (first, 3, "HTTP 500")
    shown = runner.invoke(args=["emails", "list", "--status", "failed"])
    assert shown.exit_code == 0, shown.output
    assert [line.split("\t")[:2] for line in shown.output.splitlines()] == [
        [str(failed.id), "failed"]]
    assert sendgrid_server.delivered_ids().count(str(failed.id)) == 0
    assert_nothing_lost_nothing_twice(app, round_id, "offers", failed_ok=1,
                                      delivered_ids=sendgrid_server.delivered_ids())
