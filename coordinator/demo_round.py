"""The whole round for `make demo`: close, solve with a real (in-process) RQ worker, publish,
simulate answers (most accept, some decline, one expires), re-solve, confirm, summarise."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import Any

from flask import Flask
from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator import db
from coordinator.demo import WEEKS
from coordinator.models import (
    Application,
    Consent,
    Event,
    Host,
    Invitation,
    Message,
    Placement,
    Round,
    RoundStatus,
    WorkshopSession,
)
from coordinator.services import invitations, matching, offers, rsvp
from coordinator.services.rounds import transition_round
from solver.geo import haversine_km
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
            consents = list(session.scalars(select(Consent).where(
                Consent.placement_id == placement.id).order_by(Consent.id)))
            if decline:  # the visitor says no
                visitor = next(c for c in consents if c.party == "visitor")
                refused += offers.respond(session, visitor, False) == "recorded"
                continue
            for consent in consents:
                # A host answers once for its whole group: the others are "already recorded".
                offers.respond(session, consent, True)
        session.commit()
    return refused


def solve_and_publish(app: Flask, redis_conn: Redis, round_id: int,
                      time_limit_s: float) -> dict[str, Any]:
    """Close an open round, let the worker solve it within ``time_limit_s``, publish that run
    and let the worker send its offers; returns the run's result."""
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
        run = matching.latest_run(session, round_id)
        offers.publish_run(session, session.get(Round, round_id), run.id, None)
        session.commit()
        result = run.result
    drain(app, redis_conn)
    return result


def play_round(app: Flask, redis_conn: Redis, round_id: int, *, random_seed: int = 37,
               time_limit_s: float = 10) -> list[str]:
    rng = random.Random(random_seed)
    set_app(app)
    first_result = solve_and_publish(app, redis_conn, round_id, time_limit_s)
    refused = 0
    for attempt in range(6):
        refused += _answer_all(app, round_id, rng, expire_one=attempt == 0)
        drain(app, redis_conn)
        with app.app_context():
            if db.session().get(Round, round_id).status != RoundStatus.OFFERS:
                break
    moved = _one_group_cannot_come(app, round_id)
    drain(app, redis_conn)
    return _summary(app, round_id, first_result, refused, moved)


def _one_group_cannot_come(app: Flask, round_id: int) -> int | None:
    """A visitor answers "I can't" to their first preparation workshop: that group moves."""
    with app.app_context():
        session = db.session()
        for invitation in session.scalars(select(Invitation).join(
                WorkshopSession, WorkshopSession.id == Invitation.session_id).where(
                Invitation.round_id == round_id, WorkshopSession.kind == "prep")
                .order_by(Invitation.id)):
            people = invitations.group_people(session, invitation)
            if len(people) > 1:
                rsvp.answer(session, invitation, people[1].key, coming=False)
                session.commit()
                return invitation.id
    return None


def _unplaced_reasons(session: Session, round_id: int,
                      placements: list[Placement]) -> Counter[str]:
    """Why each applicant without an accepted placement has none (first reason given)."""
    placed = {p.application_id for p in placements if p.status == "accepted"}
    refused = {p.application_id: f"offer {p.status}" for p in placements
               if p.status in ("declined", "expired")}
    latest = matching.latest_run(session, round_id)
    solver = {u["application_id"]: u["reasons"][0] if u["reasons"] else "no reason given"
              for u in (latest.result or {}).get("unassigned", [])} if latest else {}
    reasons: Counter[str] = Counter()
    for app_id in session.scalars(select(Application.id).where(
            Application.round_id == round_id, Application.status != "withdrawn")):
        if app_id not in placed:
            reasons[refused.get(app_id) or solver.get(app_id) or "not placed"] += 1
    return reasons


def _can_use(applicant: Application, host: Host) -> bool:
    """The solver's hard rules for one pair: ranked (or open to any), in reach, a shared week."""
    return ((applicant.open_to_any or host.id in applicant.ranked_host_ids)
            and haversine_km(applicant.lat, applicant.lon, host.lat, host.lon) <= applicant.max_km
            and bool(set(applicant.weeks or WEEKS) & set(host.weeks or WEEKS)))


def _could_take_a_freed_seat(session: Session, first_result: dict,
                             placements: list[Placement]) -> tuple[int, int]:
    """(first-run unplaced who could use a seat a decline freed, first-run unplaced).

    Why a re-solve may offer nobody new: seats free up where people declined, and the
    first run's unplaced are mostly unplaced for reasons no seat changes (distance, weeks,
    a team without a host both ranked). A team counts only if one host suits both; free
    seats are not counted, so this is an upper bound on who a re-solve could offer to.
    """
    freed = [session.get(Host, host_id) for host_id in sorted(
        {p.host_id for p in placements if p.status in ("declined", "expired")})]
    unplaced = [session.get(Application, u["application_id"])
                for u in first_result["unassigned"]]
    by_email = {a.email: a for a in unplaced}
    able = 0
    for applicant in unplaced:
        mate = by_email.get(applicant.team_mate_email or "")
        if any(_can_use(applicant, host) and (mate is None or _can_use(mate, host))
               for host in freed):
            able += 1
    return able, len(unplaced)


def _summary(app: Flask, round_id: int, first_result: dict, refused: int,
             moved: int | None) -> list[str]:
    with app.app_context():
        session = db.session()
        round_ = session.get(Round, round_id)
        placements = offers.current_placements(session, round_id)
        status = Counter(p.status for p in placements)
        runs = matching.runs_for_round(session, round_id)
        resolves = [r for r in runs if (r.settings or {}).get("resolve")]
        emails = Counter(session.scalars(select(Message.template).where(
            Message.round_id == round_id)))
        reasons = _unplaced_reasons(session, round_id, placements)
        lines = [f"round {round_id}: {round_.status}",
                 f"first run: placed {len(first_result['assignments'])}, "
                 f"unplaced {len(first_result['unassigned'])}, "
                 f"objective {first_result['objective']}",
                 f"placements: {dict(sorted(status.items()))}",
                 f"placed (all three accepted): {status['accepted']} in "
                 f"{len({(p.host_id, p.week) for p in placements if p.status == 'accepted'})} "
                 f"groups",
                 f"declines and expiries: {status['declined'] + status['expired']} "
                 f"({refused} refused answers); re-solves: {len(resolves)}, new offers from "
                 f"them: {sum(1 for p in placements if p.run_id in {r.id for r in resolves})}",
                 "first-run unplaced who could take a seat a decline freed: "
                 "{} of {}".format(*_could_take_a_freed_seat(session, first_result, placements)),
                 f"unplaced: {sum(reasons.values())}"]
        for reason, count in reasons.most_common():
            lines.append(f"  {count:3} {reason}")
        lines += _workshop_lines(session, round_id, moved)
        lines.append("emails by template: " + ", ".join(
            f"{name} {count}" for name, count in sorted(emails.items())))
        return lines


def _workshop_lines(session: Session, round_id: int, moved: int | None) -> list[str]:
    loads = session.execute(
        select(WorkshopSession.kind, WorkshopSession.venue, WorkshopSession.date,
               WorkshopSession.capacity, func.coalesce(func.sum(Invitation.people), 0),
               func.count(Invitation.id))
        .outerjoin(Invitation, (Invitation.session_id == WorkshopSession.id)
                   & Invitation.rsvp.in_(("pending", "accepted")))
        .where(WorkshopSession.round_id == round_id)
        .group_by(WorkshopSession.id).order_by(WorkshopSession.date)).all()
    lines = [f"workshops: {len(loads)} sessions"]
    for kind, venue, date, capacity, load, groups in loads:
        lines.append(f"  {kind:8} {date} {venue:10} {load:3}/{capacity} people, {groups} groups")
    if moved is not None:
        old = session.get(Invitation, moved)
        new = session.scalars(select(Invitation).where(
            Invitation.round_id == round_id, Invitation.host_id == old.host_id,
            Invitation.week == old.week, Invitation.id > old.id)).first()
        where = (f"moved to session {new.session_id}" if new is not None
                 else f"no other session: {old.rsvp}")
        lines.append(f"workshop RSVP: one visitor could not come to session {old.session_id}; "
                     f"their group {where}, every other group unchanged")
    return lines
