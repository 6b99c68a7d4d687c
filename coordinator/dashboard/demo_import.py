"""Filling an empty draft or open round with the demo hosts and applications.

The demo seeding (coordinator.demo) creates its own open round through the real intake
services; the rows are then moved into the coordinator's round, whose weeks grow to cover
the demo weeks, and the scratch round is removed. Everything happens in the caller's
transaction: either the whole demo lands in the round or nothing does.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from coordinator.demo import WEEKS, seed_demo_round
from coordinator.models import Application, Event, Host, Message, Round, RoundStatus
from coordinator.services.audit import record_audit
from coordinator.services.errors import Conflict

# (applications, hosts): "small" solves in seconds, for trying the pages and the browser tests.
DEMO_SIZES = {"small": (24, 12), "full": (120, 60)}
IMPORTABLE = (RoundStatus.DRAFT, RoundStatus.OPEN)


def round_is_empty(session: Session, round_id: int) -> bool:
    hosts = session.scalar(select(func.count()).select_from(Host).where(Host.round_id == round_id))
    apps = session.scalar(select(func.count()).select_from(Application)
                          .where(Application.round_id == round_id))
    return not hosts and not apps


def import_demo_data(session: Session, round_: Round, size: str, actor_id: int | None) -> int:
    """Seed the demo into ``round_``; returns how many applications it got."""
    if round_.status not in IMPORTABLE:
        raise Conflict(f"demo data can only go into a draft or open round, not '{round_.status}'",
                       state=round_.status)
    if not round_is_empty(session, round_.id):
        raise Conflict("the round already has hosts or applications", state=round_.status)
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
