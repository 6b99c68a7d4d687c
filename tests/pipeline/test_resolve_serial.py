"""Two declines at once: their re-solves run one after the other (the round row is held for
the whole re-solve), and the round ends consistent. PostgreSQL only: it is the database that
runs several workers; on SQLite the deployment runs one worker, which serialises anyway."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpers import drain, visitor_declines
from redis import Redis
from sqlalchemy import select
from test_offers import _published

from coordinator import db
from coordinator.models import Event, Host, Placement, SolverRun
from coordinator.services import offers
from workers import jobs_resolve


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_declines_resolve_one_after_the_other(
        app: Flask, coordinator_client: FlaskClient, redis_conn: Redis) -> None:
    round_id = _published(app, coordinator_client, redis_conn)
    with app.app_context():
        session = db.session()
        first, second = [p for p in offers.current_placements(session, round_id)
                         if p.status == "offered"][:2]
        for placement in (first, second):
            visitor_declines(session, placement.id)
        session.commit()
        events = list(session.scalars(select(Event.id).where(
            Event.kind == "placement.declined").order_by(Event.id)))
        refused = {first.application_id, second.application_id}
    assert len(events) == 2
    # Two workers take the two events at the same moment.
    results: dict[int, dict] = {}
    start = threading.Barrier(2)

    def work(event_id: int) -> None:
        start.wait()
        results[event_id] = jobs_resolve.resolve_after_decline(event_id)

    threads = [threading.Thread(target=work, args=(e,)) for e in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert all("run_id" in results[e] for e in events), results
    with app.app_context():
        session = db.session()
        runs = sorted((session.get(SolverRun, results[e]["run_id"]) for e in events),
                      key=lambda r: r.created_at)
        assert all(r.status == "done" and r.settings.get("resolve") for r in runs)
        # One after the other: the second run began after the first had finished.
        assert runs[1].created_at >= runs[0].finished_at
    drain(app, redis_conn)
    with app.app_context():
        session = db.session()
        live = [p for p in offers.current_placements(session, round_id)
                if p.status in ("offered", "accepted")]
        # Consistent: one live placement per visitor, no host over capacity in a week, and
        # the two who said no are not offered anything again.
        assert len({p.application_id for p in live}) == len(live)
        assert not refused & {p.application_id for p in live}
        load = Counter((p.host_id, p.week) for p in live)
        for (host_id, _week), count in load.items():
            assert count <= session.get(Host, host_id).capacity
        assert session.scalars(select(Placement).where(
            Placement.application_id.in_(refused),
            Placement.status == "declined")).all()
