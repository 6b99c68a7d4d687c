"""Filling an empty draft or open round with the demo hosts and applications (the dashboard
asks, workers.jobs_demo seeds).

The demo seeding (coordinator.demo) creates its own open round through the real intake
services; the rows are then moved into the coordinator's round, whose weeks grow to cover
the demo weeks, and the scratch round is removed. Everything happens in the caller's
transaction: either the whole demo lands in the round or nothing does.

Seeding takes seconds, so the page only asks for it (``request_demo_import``: an event and an
audit row in one transaction); the job ``workers.jobs_demo.import_demo`` does the seeding. The
audit trail tells whether a request is still waiting: a request newer than its outcome.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from coordinator.demo import WEEKS, seed_demo_round
from coordinator.models import (
    Application,
    AuditEntry,
    Event,
    Host,
    Message,
    Round,
    RoundStatus,
)
from coordinator.services.audit import record_audit
from coordinator.services.errors import Conflict
from coordinator.services.events import record_event

# (applications, hosts): "small" solves in seconds, for trying the pages and the browser tests.
DEMO_SIZES = {"small": (24, 12), "full": (120, 60)}
IMPORTABLE = (RoundStatus.DRAFT, RoundStatus.OPEN)
DEMO_IMPORT_REQUESTED = "round.demo_import_requested"
# Audit actions that end a request: seeded, skipped (round no longer empty/importable), failed.
DEMO_IMPORT_OUTCOMES = ("round.demo_import", "round.demo_import_skipped",
                        "round.demo_import_failed")


def round_is_empty(session: Session, round_id: int) -> bool:
    hosts = session.scalar(select(func.count()).select_from(Host).where(Host.round_id == round_id))
    apps = session.scalar(select(func.count()).select_from(Application)
                          .where(Application.round_id == round_id))
    return not hosts and not apps


def _latest_audit_id(session: Session, round_id: int, actions: tuple[str, ...]) -> int:
    return session.scalar(select(func.coalesce(func.max(AuditEntry.id), 0)).where(
        AuditEntry.object_type == "round", AuditEntry.object_id == round_id,
        AuditEntry.action.in_(actions))) or 0


def demo_import_queued(session: Session, round_id: int) -> bool:
    """A demo import was asked for and its job has not finished (nor given up) yet."""
    requested = _latest_audit_id(session, round_id, (DEMO_IMPORT_REQUESTED,))
    return requested > _latest_audit_id(session, round_id, DEMO_IMPORT_OUTCOMES)


def _check_importable(session: Session, round_: Round) -> None:
    if round_.status not in IMPORTABLE:
        raise Conflict(f"demo data can only go into a draft or open round, not '{round_.status}'",
                       state=round_.status)
    if not round_is_empty(session, round_.id):
        raise Conflict("the round already has hosts or applications", state=round_.status)


def request_demo_import(session: Session, round_: Round, size: str,
                        actor_id: int | None) -> None:
    """Ask a worker to seed the demo into ``round_``: one event, one audit row, same commit."""
    _check_importable(session, round_)
    if demo_import_queued(session, round_.id):
        raise Conflict("a demo import for this round is already queued", state=round_.status)
    if size not in DEMO_SIZES:
        raise Conflict(f"unknown demo size '{size}'", state=round_.status)
    record_event(session, DEMO_IMPORT_REQUESTED, "round", round_.id, round_.id,
                 {"size": size, "actor_id": actor_id})
    record_audit(session, actor_id, DEMO_IMPORT_REQUESTED, "round", round_.id, None,
                 {"size": size})


def record_demo_outcome(session: Session, round_id: int, action: str, reason: str) -> None:
    """End a request without seeding (``round.demo_import_skipped`` or ``..._failed``)."""
    record_audit(session, None, action, "round", round_id, None, {"reason": reason})


def import_demo_data(session: Session, round_: Round, size: str, actor_id: int | None) -> int:
    """Seed the demo into ``round_``; returns how many applications it got."""
    _check_importable(session, round_)
    applications, hosts = DEMO_SIZES[size]
    summary = seed_demo_round(session, applications=applications, hosts=hosts,
                              name=f"scratch for round {round_.id}")
    scratch = summary.round_id
    for model in (Host, Application, Message, Event):
        session.execute(update(model).where(model.round_id == scratch)
                        .values(round_id=round_.id).execution_options(synchronize_session=False))
    session.execute(delete(Round).where(Round.id == scratch))
    before = {"weeks": list(round_.weeks)}
    round_.weeks = sorted(set(round_.weeks) | set(WEEKS))
    session.flush()
    session.expire_all()
    record_audit(session, actor_id, "round.demo_import", "round", round_.id, before,
                 {"weeks": round_.weeks, "applications": summary.applications,
                  "hosts": summary.hosts})
    return summary.applications
