"""Typed SQLAlchemy 2 mappings; one module per aggregate."""

from coordinator.models.application import Application, ApplicationChoice
from coordinator.models.audit import AuditEntry
from coordinator.models.event import Event
from coordinator.models.host import Host
from coordinator.models.idempotency import IdempotentRequest
from coordinator.models.message import (
    Message,
    MessageAttachment,
    MessageEvent,
    UndeliverableAddress,
)
from coordinator.models.placement import Consent, Placement
from coordinator.models.round import Round, RoundStatus
from coordinator.models.round_access import RoundCoordinator as RoundCoordinator
from coordinator.models.solver_run import SolverRun
from coordinator.models.user import User
from coordinator.models.workshop import Invitation, WorkshopSession

__all__ = [
    "Application",
    "ApplicationChoice",
    "AuditEntry",
    "Consent",
    "Event",
    "Host",
    "IdempotentRequest",
    "Invitation",
    "Message",
    "MessageAttachment",
    "MessageEvent",
    "Placement",
    "Round",
    "RoundStatus",
    "SolverRun",
    "UndeliverableAddress",
    "User",
    "WorkshopSession",
]
