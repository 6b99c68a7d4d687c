"""Round A and round B with one of everything each, their coordinators, an admin, signed links.

Round A belongs to coordinator A, round B to coordinator B; the admin created neither.
Every person's name and email in round A carries a marker, so a test can assert that none
of round A's personal data shows up in an answer to someone who may not see it.
(A module of its own, not conftest.py: ``from conftest import`` gets whichever conftest
pytest imported last.)
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator import auth, db
from coordinator.models import (
    Consent,
    Invitation,
    Message,
    Placement,
    RoundStatus,
    SolverRun,
    WorkshopSession,
)
from coordinator.schemas.intake import ApplicationIn, HostIn
from coordinator.services import intake
from coordinator.services import rounds as round_service
from coordinator.services.links import make_token

PASSWORD = "correct horse battery staple"


@dataclass
class RoundObjects:
    """The ids of one round's objects, and the signed links that open them."""

    round_id: int
    round_name: str
    owner_id: int
    host_id: int
    application_id: int
    run_id: int
    placement_id: int
    consent_id: int
    message_id: int
    session_id: int
    invitation_id: int
    tokens: dict[str, str] = field(default_factory=dict)
    # Private to the round's coordinators: never in a public answer or another's.
    markers: tuple[str, ...] = ()


@dataclass
class World:
    users: dict[str, dict[str, Any]]
    a: RoundObjects
    b: RoundObjects


def _round_objects(session: Session, payloads: ModuleType, label: str,
                   owner_id: int) -> RoundObjects:
    marker = f"zq{label}{uuid.uuid4().hex[:6]}"
    round_ = round_service.create_round(
        session, {"name": f"Round {marker}", "weeks": ["2027-W37"]}, owner_id)
    round_service.transition_round(session, round_, RoundStatus.OPEN, owner_id)
    host = intake.submit_host_offer(session, round_.id, HostIn().load(payloads.host_payload(
        contact_name=f"Contact {marker}", contact_email=f"contact.{marker}@example.org")))
    application = intake.submit_application(session, round_.id, ApplicationIn().load(
        payloads.application_payload(
            [host.id], name=f"Visitor {marker}", email=f"visitor.{marker}@example.org",
            manager_email=f"manager.{marker}@example.org")))
    run = SolverRun(round_id=round_.id, status="done", settings={}, result={"placements": []})
    session.add(run)
    session.flush()
    placement = Placement(round_id=round_.id, run_id=run.id, application_id=application.id,
                          host_id=host.id, week="2027-W37", rank=1, km=10, status="offered",
                          deadline_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=5))
    session.add(placement)
    session.flush()
    consent = Consent(placement_id=placement.id, party="visitor", email=application.email)
    workshop = WorkshopSession(round_id=round_.id, kind="prep", date=dt.date(2027, 8, 20),
                               venue=f"Venue {label}", lat=56.15, lon=10.2, capacity=20,
                               language="da")
    session.add_all([consent, workshop])
    session.flush()
    invitation = Invitation(round_id=round_.id, session_id=workshop.id, host_id=host.id,
                            week="2027-W37", people=2)
    session.add(invitation)
    session.flush()
    message_id = session.scalar(select(func.min(Message.id)).where(Message.round_id == round_.id))
    assert message_id is not None, "a submission queues a message tied to its round"
    return RoundObjects(
        round_id=round_.id, round_name=round_.name, owner_id=owner_id, host_id=host.id,
        application_id=application.id, run_id=run.id, placement_id=placement.id,
        consent_id=consent.id, message_id=message_id, session_id=workshop.id,
        invitation_id=invitation.id,
        tokens={"application-edit": make_token("application-edit", application.id),
                "host-edit": make_token("host-edit", host.id),
                "offer-response": make_token("offer-response", consent.id),
                # An RSVP link is per person of the group: here the host contact.
                "workshop-rsvp": make_token("workshop-rsvp", invitation.id, f"h{host.id}")},
        markers=(f"visitor.{marker}", f"manager.{marker}", f"contact.{marker}",
                 f"Visitor {marker}"))


def build_world(app: Flask, payloads: ModuleType) -> World:
    users: dict[str, dict[str, Any]] = {}
    with app.test_request_context():
        session = db.session()
        for name, role in (("admin", "admin"), ("coord_a", "coordinator"),
                           ("coord_b", "coordinator")):
            user = auth.create_user(session, f"{name}@example.org", PASSWORD, role)
            users[name] = {"id": user.id, "email": user.email, "password": PASSWORD}
        a = _round_objects(session, payloads, "a", users["coord_a"]["id"])
        b = _round_objects(session, payloads, "b", users["coord_b"]["id"])
        session.commit()
    return World(users=users, a=a, b=b)


def table_counts(app: Flask) -> dict[str, int]:
    engine = app.extensions["db_engine"]
    with engine.connect() as conn:
        return {table.name: conn.scalar(select(func.count()).select_from(table)) or 0
                for table in db.Base.metadata.sorted_tables}
