"""Things that arrive twice: a webhook batch SendGrid retries, two coordinators publishing
the same run at the same moment, every event of a round relayed and run again."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from fault_checks import assert_nothing_lost_nothing_twice
from fault_round import (
    accept_every_open_offer,
    publish_latest,
    run_round_to_workshops,
    seed_matching_round,
)
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import func, select, update
from test_email_webhook import PUBLIC_KEY, signed_post

from coordinator import access, db
from coordinator.auth import create_user
from coordinator.models import Consent, Event, Invitation, Message, MessageEvent, Placement
from coordinator.services import matching
from workers.drive import drain


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "SENDGRID_WEBHOOK_PUBLIC_KEY": PUBLIC_KEY}


def _at_once(*calls: Any) -> list[Any]:
    """Run the calls in threads released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Any) -> None:
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def _counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        session = db.session()
        return {model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in (Placement, Consent, Invitation, Message, MessageEvent)}


@pytest.mark.slow
def test_duplicate_webhook_batches_are_recorded_once(app: Flask, redis_conn: Redis) -> None:
    round_id = seed_matching_round(app, time_limit_s=1)
    run_round_to_workshops(app, redis_conn, round_id)
    with app.app_context():
        sent = list(db.session().scalars(select(Message).where(Message.status == "sent")))
    now = int(time.time())
    batch = [{"email": m.recipient, "event": kind, "timestamp": now,
              "sg_event_id": f"ev-{kind}-{m.id}", "sg_message_id": f"{m.provider_id}.filter0",
              "message_id": str(m.id)} for m in sent for kind in ("processed", "delivered")]
    body = json.dumps(batch).encode()
    first = signed_post(app.test_client(), body)
    assert first.status_code == 200 and first.json["stored"] == len(batch)
    # SendGrid retries the batch: once after it, twice while another copy is in flight.
    again = [signed_post(app.test_client(), body)]
    again += _at_once(lambda: signed_post(app.test_client(), body),
                      lambda: signed_post(app.test_client(), body))
    assert [r.status_code for r in again] == [200, 200, 200]
    assert all(r.json["duplicates"] == len(batch) for r in again)
    assert _counts(app)["MessageEvent"] == len(batch)
    assert_nothing_lost_nothing_twice(app, round_id, "workshops")


@pytest.mark.slow
def test_two_coordinators_publishing_at_once_make_one_set_of_offers(
        app: Flask, coordinator_client: FlaskClient, coordinator_user: dict[str, Any],
        redis_conn: Redis) -> None:
    round_id = seed_matching_round(app, time_limit_s=1)
    drain(app, redis_conn)
    with app.app_context():
        session = db.session()
        run_id = matching.latest_run(session, round_id).id
        second = create_user(session, "coord2@example.org", coordinator_user["password"])
        session.flush()
        for user_id in (coordinator_user["id"], second.id):  # both coordinate this round
            access.assign_coordinator(session, round_id, user_id, None)
        session.commit()
    other = app.test_client()
    login = other.post("/api/auth/login", json={"email": "coord2@example.org",
                                                "password": coordinator_user["password"]})
    assert login.status_code == 200, login.json
    url = f"/api/rounds/{round_id}/runs/{run_id}/publish"
    answers = _at_once(lambda: coordinator_client.post(url), lambda: other.post(url))
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 409], [a.json for a in answers]
    refused = next(a for a in answers if a.status_code == 409)
    assert "offers" in json.dumps(refused.json), refused.json  # names the state it found
    offered = next(a for a in answers if a.status_code == 200).json["offered"]
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Placement)) == offered
    drain(app, redis_conn)
    accept_every_open_offer(app, round_id)
    drain(app, redis_conn)
    assert_nothing_lost_nothing_twice(app, round_id, "workshops")


def _replay_every_event(app: Flask, redis_conn: Redis) -> None:
    """As if the relay crashed before marking its rows and Redis lost the jobs: every event
    goes out again and every job runs a second time."""
    with app.app_context():
        session = db.session()
        session.execute(update(Event).values(dispatched_at=None))
        session.commit()
    redis_conn.flushdb()
    drain(app, redis_conn)


@pytest.mark.slow
def test_every_event_relayed_twice_changes_nothing(app: Flask, redis_conn: Redis) -> None:
    round_id = seed_matching_round(app, time_limit_s=1)
    drain(app, redis_conn)
    _replay_every_event(app, redis_conn)
    publish_latest(app, round_id)
    drain(app, redis_conn)
    offered = _counts(app)
    _replay_every_event(app, redis_conn)
    assert _counts(app) == offered
    accept_every_open_offer(app, round_id)
    drain(app, redis_conn)
    done = _counts(app)
    _replay_every_event(app, redis_conn)
    assert _counts(app) == done
    assert_nothing_lost_nothing_twice(app, round_id, "workshops")
