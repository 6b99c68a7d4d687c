"""The whole round for `make demo`: close, solve with a real (in-process) RQ worker, publish,
simulate answers (most accept, some decline, one expires), re-solve, confirm, summarise."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from flask import Flask
from redis import Redis
from sqlalchemy import func, select

from coordinator import db
from coordinator.models import (
    Consent,
    Event,
    Invitation,
    Message,
    Round,
    RoundStatus,
    SolverRun,
    WorkshopSession,
)
from coordinator.services import matching, offers
from coordinator.services.rounds import transition_round
from workers.context import set_app
from workers.drive import drain

DECLINE_SHARE = 0.08


def _answer_all(app: Flask, round_id: int, rng: random.Random, expire_one: bool) -> int:
    """Answer every open offer; returns how many placements were declined or expired."""
    refused = 0
    with app.app_context():
        session = db.session()
        open_ = [p for p in offers.current_placements(session, round_id) if p.status == "offered"]
        if expire_one and open_:
            lapsed = open_.pop()
            lapsed.deadline_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            session.commit()
            offers.expire_placement(session, lapsed.id)
            refused += 1
        for placement in open_:
            decline = rng.random() < DECLINE_SHARE
            for consent in session.scalars(select(Consent).where(
                    Consent.placement_id == placement.id).order_by(Consent.id)):
                if offers.respond(session, consent, not decline) != "recorded":
                    break
                if decline:
                    refused += 1
                    break
        session.commit()
    return refused


def play_round(app: Flask, redis_conn: Redis, round_id: int, *, random_seed: int = 37,
               time_limit_s: float = 10) -> list[str]:
    rng = random.Random(random_seed)
    set_app(app)
    with app.app_context():
        session = db.session()
        round_ = session.get(Round, round_id)
        transition_round(session, round_, RoundStatus.CLOSED, None)
        transition_round(session, round_, RoundStatus.MATCHING, None)
        event = session.scalars(select(Event).where(
            Event.round_id == round_id, Event.kind == "round.matching")).one()
        event.payload = {**event.payload, "time_limit_s": time_limit_s}
        session.commit()
    drain(app, redis_conn)
    with app.app_context():
        session = db.session()
        first = matching.latest_run(session, round_id)
        offers.publish_run(session, session.get(Round, round_id), first.id, None)
        session.commit()
        first_result = first.result
    drain(app, redis_conn)
    refused = 0
    for attempt in range(6):
        refused += _answer_all(app, round_id, rng, expire_one=attempt == 0)
        drain(app, redis_conn)
        with app.app_context():
            if db.session().get(Round, round_id).status == RoundStatus.CONFIRMED:
                break
    return _summary(app, round_id, first_result, refused)


def _summary(app: Flask, round_id: int, first_result: dict, refused: int) -> list[str]:
    with app.app_context():
        session = db.session()
        round_ = session.get(Round, round_id)
        placements = offers.current_placements(session, round_id)
        status = Counter(p.status for p in placements)
        runs = session.scalar(select(func.count()).select_from(SolverRun).where(
            SolverRun.round_id == round_id))
        placed = {p.application_id for p in placements if p.status == "accepted"}
        reasons = {u["application_id"]: u["reasons"][0] for u in first_result["unassigned"]}
        emails = Counter(session.scalars(select(Message.template).where(
            Message.round_id == round_id)))
        lines = [f"round {round_id}: {round_.status}",
                 f"first run: placed {len(first_result['assignments'])}, "
                 f"objective {first_result['objective']}",
                 f"placements: {dict(sorted(status.items()))}",
                 f"accepted placements: {len(placed)}; refused answers: {refused}; "
                 f"solver runs (first + re-solves): {runs}",
                 f"unplaced after the first run: {len(reasons)}"]
        for app_id, reason in sorted(reasons.items())[:8]:
            lines.append(f"  application {app_id}: {reason}")
        if len(reasons) > 8:
            lines.append(f"  ... and {len(reasons) - 8} more")
        loads = session.execute(
            select(WorkshopSession.kind, WorkshopSession.venue, WorkshopSession.date,
                   WorkshopSession.capacity, func.coalesce(func.sum(Invitation.people), 0))
            .outerjoin(Invitation, Invitation.session_id == WorkshopSession.id)
            .where(WorkshopSession.round_id == round_id)
            .group_by(WorkshopSession.id).order_by(WorkshopSession.date)).all()
        lines.append(f"workshops: {len(loads)} sessions")
        for kind, venue, date, capacity, load in loads:
            lines.append(f"  {kind:8} {date} {venue:10} {load}/{capacity} people")
        lines.append("emails by template: " + ", ".join(
            f"{name} {count}" for name, count in sorted(emails.items())))
        return lines
