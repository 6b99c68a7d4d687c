"""Which dispatched events still have work to do, read from the state their jobs leave.

The relay's sweep asks this after Redis lost its jobs (or after a job's result expired,
which looks the same from Redis). Every handler is idempotent, so sending a finished event
again is safe, but it is work: a solve job loads its round, a confirmation job locks the
round row, and a busy round has thousands of events. The database says whether an event's
effect happened, so only the events whose effect is missing go out again.

One check per event kind, each a few bulk queries. A kind with a route but no check here
counts as unfinished: sending it again is the safe mistake.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple, TypeVar

from redis import Redis
from rq.job import Job
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator.models import (
    Application,
    Event,
    Host,
    Invitation,
    Message,
    Placement,
    Round,
    RoundStatus,
    SolverRun,
)
from coordinator.services.demo_import import IMPORTABLE

# Enough ids per IN (...) for few round trips, few enough for SQLite's variable limit.
CHUNK = 500
SOLVES = ("round.matching", "round.solve_requested")
RESOLVES = ("placement.declined", "placement.expired")
CONFIRMS = ("placement.accepted", "round.resolved")
# A run in one of these states will not change by running its job again. Not "failed": the
# solve job retries a failed run itself (RQ's retry may have been lost with Redis).
SETTLED_RUNS = ("done", "empty")

T = TypeVar("T")


class Dispatched(NamedTuple):
    id: int
    kind: str
    subject_id: int
    round_id: int | None


def _chunks(values: Iterable[T]) -> Iterator[list[T]]:
    items = list(dict.fromkeys(values))
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def _round_states(session: Session, round_ids: Iterable[int | None]) -> dict[int, str]:
    states: dict[int, str] = {}
    for chunk in _chunks(r for r in round_ids if r is not None):
        states.update(session.execute(select(Round.id, Round.status)
                                      .where(Round.id.in_(chunk))).all())
    return states


def _unsent_messages(session: Session, redis: Redis, events: Sequence[Dispatched]) -> set[int]:
    """``send_message``: its effect is the row leaving pending/sending (sent or failed)."""
    open_ids: set[int] = set()
    for chunk in _chunks(e.subject_id for e in events):
        open_ids.update(session.scalars(select(Message.id).where(
            Message.id.in_(chunk), Message.status.in_(("pending", "sending")))))
    return {e.id for e in events if e.subject_id in open_ids}


def _unfinished_solves(session: Session, redis: Redis, events: Sequence[Dispatched]) -> set[int]:
    """``solve_round``: done once the event's run is settled (a cancelled one once closed)."""
    runs: dict[int, tuple[str, str | None]] = {}
    for chunk in _chunks(e.id for e in events):
        for event_id, status, phase in session.execute(
                select(SolverRun.event_id, SolverRun.status, SolverRun.phase)
                .where(SolverRun.event_id.in_(chunk))):
            runs[event_id] = (status, phase)
    left = set()
    for event in events:
        status, phase = runs.get(event.id, ("queued", None))
        if status in SETTLED_RUNS or (status == "cancelled" and phase == "cancelled"):
            continue
        left.add(event.id)
    return left


def _unfinished_resolves(session: Session, redis: Redis,
                         events: Sequence[Dispatched]) -> set[int]:
    """``resolve_after_decline``: acts only in ``offers``, once per event (its run row)."""
    states = _round_states(session, (e.round_id for e in events))
    settled: set[int] = set()
    for chunk in _chunks(e.id for e in events):
        settled.update(session.scalars(select(SolverRun.event_id).where(
            SolverRun.event_id.in_(chunk), SolverRun.status.in_(SETTLED_RUNS))))
    return {e.id for e in events
            if states.get(e.round_id or 0) == RoundStatus.OFFERS and e.id not in settled}


def _undecided_offers(session: Session, redis: Redis, events: Sequence[Dispatched]) -> set[int]:
    """``schedule_deadlines``: its effect lives in Redis (the scheduled expiry), so an offer
    still open whose expiry job is gone needs it again; an answered one never does."""
    offered: set[int] = set()
    for chunk in _chunks(e.subject_id for e in events):
        offered.update(session.scalars(select(Placement.id).where(
            Placement.id.in_(chunk), Placement.status == "offered")))
    return {e.id for e in events if e.subject_id in offered
            and not redis.exists(Job.key_for(f"expire-{e.subject_id}"))}


def _latest_confirmations(session: Session, redis: Redis,
                          events: Sequence[Dispatched]) -> set[int]:
    """``confirm_if_final`` reads the whole round, so per round still in ``offers`` only
    its latest such event matters: an older one would look at the same state."""
    states = _round_states(session, (e.round_id for e in events))
    open_rounds = [r for r, status in states.items() if status == RoundStatus.OFFERS]
    latest: set[int] = set()
    for chunk in _chunks(open_rounds):
        latest.update(session.scalars(select(func.max(Event.id)).where(
            Event.round_id.in_(chunk), Event.kind.in_(CONFIRMS)).group_by(Event.round_id)))
    return {e.id for e in events if e.id in latest}


def _unscheduled_rounds(session: Session, redis: Redis,
                        events: Sequence[Dispatched]) -> set[int]:
    """``schedule_workshops`` moves the round from ``confirmed`` to ``workshops``."""
    states = _round_states(session, (e.round_id for e in events))
    return {e.id for e in events if states.get(e.round_id or 0) == RoundStatus.CONFIRMED}


def _unhandled_rsvps(session: Session, redis: Redis, events: Sequence[Dispatched]) -> set[int]:
    """``reschedule_group`` moves a ``declined`` invitation to ``moved`` or ``cancelled``."""
    declined: set[int] = set()
    for chunk in _chunks(e.subject_id for e in events):
        declined.update(session.scalars(select(Invitation.id).where(
            Invitation.id.in_(chunk), Invitation.rsvp == "declined")))
    return {e.id for e in events if e.subject_id in declined}


def _unseeded_demo_rounds(session: Session, redis: Redis,
                          events: Sequence[Dispatched]) -> set[int]:
    """``import_demo`` acts only on an importable round with nobody in it yet."""
    states = _round_states(session, (e.subject_id for e in events))
    left = set()
    for event in events:
        if states.get(event.subject_id) not in IMPORTABLE:
            continue
        has_people = session.scalar(select(Host.id).where(Host.round_id == event.subject_id)
                                    .limit(1)) or session.scalar(
            select(Application.id).where(Application.round_id == event.subject_id).limit(1))
        if not has_people:
            left.add(event.id)
    return left


Check = Callable[[Session, Redis, Sequence[Dispatched]], set[int]]
CHECKS: dict[str, Check] = {
    "message.queued": _unsent_messages,
    **dict.fromkeys(SOLVES, _unfinished_solves),
    **dict.fromkeys(RESOLVES, _unfinished_resolves),
    "placement.offered": _undecided_offers,
    **dict.fromkeys(CONFIRMS, _latest_confirmations),
    "round.confirmed": _unscheduled_rounds,
    "invitation.declined": _unhandled_rsvps,
    "round.demo_import_requested": _unseeded_demo_rounds,
}


def events_with_work_left(session: Session, redis: Redis,
                          events: Sequence[Dispatched]) -> set[int]:
    """The ids among ``events`` whose effect the database does not show as done."""
    by_check: dict[Check | None, list[Dispatched]] = {}
    for event in events:
        by_check.setdefault(CHECKS.get(event.kind), []).append(event)
    left = {e.id for e in by_check.pop(None, [])}
    for check, group in by_check.items():
        assert check is not None
        left |= check(session, redis, group)
    return left
