"""Workshops of a confirmed round: groups from accepted placements, sessions (the round's,
or proposed by the solver's helper), the schedule, invitations and their emails."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator.models import (
    Application,
    Host,
    Invitation,
    Placement,
    Round,
    RoundStatus,
    WorkshopSession,
)
from coordinator.services.rounds import transition_round

# Where the national workshops are usually held, when a round has no sessions of its own.
VENUES = [
    {"id": "kbh", "name": "København", "lat": 55.6761, "lon": 12.5683},
    {"id": "aarhus", "name": "Aarhus", "lat": 56.1629, "lon": 10.2039},
    {"id": "odense", "name": "Odense", "lat": 55.4038, "lon": 10.4024},
    {"id": "aalborg", "name": "Aalborg", "lat": 57.0488, "lon": 9.9217},
]
SESSION_CAPACITY = 80
SESSIONS_PER_KIND = 3
GAP_DAYS = 7


def _week_days(week: str) -> tuple[dt.date, dt.date]:
    year, number = week.split("-W")
    return (dt.date.fromisocalendar(int(year), int(number), 1),
            dt.date.fromisocalendar(int(year), int(number), 7))


def build_groups(session: Session, round_id: int) -> dict[str, Any]:
    """One group per host and week: the host contact and the accepted visitors."""
    by_group: dict[tuple[int, str], list[Application]] = defaultdict(list)
    for placement in session.scalars(select(Placement).where(
            Placement.round_id == round_id, Placement.status == "accepted")):
        by_group[(placement.host_id, placement.week or "")].append(
            session.get(Application, placement.application_id))
    groups = []
    for (host_id, week), visitors in sorted(by_group.items()):
        host = session.get(Host, host_id)
        people = [{"id": f"h{host.id}", "lat": host.lat, "lon": host.lon, "unavailable": []}]
        people += [{"id": f"a{a.id}", "lat": a.lat, "lon": a.lon, "unavailable": []}
                   for a in visitors]
        groups.append({"id": f"h{host_id}@{week}", "host": f"h{host_id}", "week": week,
                       "people": people})
    return {"groups": groups, "settings": {"min_days_before": GAP_DAYS,
                                           "min_days_after": GAP_DAYS}}


def candidate_dates(weeks: list[str]) -> dict[str, list[str]]:
    first = min(_week_days(w)[0] for w in weeks)
    last = max(_week_days(w)[1] for w in weeks)
    return {"prep": [(first - dt.timedelta(days=d)).isoformat() for d in (10, 14)],
            "followup": [(last + dt.timedelta(days=d)).isoformat() for d in (10, 14)]}


def ensure_sessions(session: Session, round_: Round, groups: list[dict[str, Any]],
                    settings: dict[str, Any]) -> list[WorkshopSession]:
    existing = list(session.scalars(select(WorkshopSession).where(
        WorkshopSession.round_id == round_.id).order_by(WorkshopSession.id)))
    if existing:
        return existing
    from solver.workshops.propose import propose_sessions

    proposal = propose_sessions(groups, VENUES, candidate_dates(round_.weeks),
                                SESSIONS_PER_KIND, SESSION_CAPACITY, settings=settings,
                                time_limit_s=10)
    rows = [WorkshopSession(round_id=round_.id, kind=s["kind"],
                            date=dt.date.fromisoformat(s["date"]),
                            venue=s.get("venue", s["id"]), lat=s["lat"], lon=s["lon"],
                            capacity=s["capacity"], language=s.get("language"))
            for s in proposal.sessions]
    session.add_all(rows)
    session.flush()
    return rows


def schedule(session: Session, round_: Round) -> dict[str, Any]:
    """Solve and store invitations; returns the solver's result (ids are ours)."""
    from solver.workshops.api import solve_workshops_json

    instance = build_groups(session, round_.id)
    rows = ensure_sessions(session, round_, instance["groups"], instance["settings"])
    instance["format"] = "internship-workshops/1"
    instance["sessions"] = [{"id": f"s{r.id}", "kind": r.kind, "date": r.date.isoformat(),
                             "lat": r.lat, "lon": r.lon, "capacity": r.capacity,
                             "language": r.language} for r in rows]
    instance["settings"]["time_limit_s"] = 10
    result = solve_workshops_json(instance, time_limit_s=10, workers=1)
    sizes = {g["id"]: len(g["people"]) for g in instance["groups"]}
    for item in result["schedule"]:
        host_part, week = item["group"].split("@")
        for kind in ("prep", "followup"):
            session.add(Invitation(round_id=round_.id, session_id=int(item[kind][1:]),
                                   host_id=int(host_part[1:]), week=week,
                                   people=sizes[item["group"]], rsvp="pending"))
    session.flush()
    if round_.status == RoundStatus.CONFIRMED:
        transition_round(session, round_, RoundStatus.WORKSHOPS, None)
    return result
