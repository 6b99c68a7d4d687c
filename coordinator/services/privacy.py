"""One person's data: export everything that names them; erase it everywhere.

A person is identified by an email address. They may be a visitor (the address of an
application), a visitor's manager, a team mate, a host's contact person, a coordinator, or
only a recipient of messages. Erasure anonymises the columns known to hold them, then
sweeps every text, JSON and binary column of every table and every Redis key for their
address, names and phone number (see ``privacy_scrub``). Rows stay, so the round's
statistics (counts, ranks, km, statuses) stay too. The caller commits.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import asdict, dataclass
from typing import Any

from flask import current_app
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator.models import (
    Application,
    AuditEntry,
    Consent,
    Host,
    Message,
    MessageAttachment,
    MessageEvent,
)
from coordinator.services.audit import record_audit
from coordinator.services.privacy_export import export_person
from coordinator.services.privacy_records import PersonRecords, find_person
from coordinator.services.privacy_redis import scrub_redis
from coordinator.services.privacy_scrub import PLACEHOLDER, Needles, sweep_tables

__all__ = ["ErasureReport", "erase_person", "export_person", "subject_hash"]

ERASE_ACTION = "privacy.erase"


def erased_address(kind: str, row_id: int) -> str:
    """A unique, obviously fake address for an erased one (``.invalid`` never resolves)."""
    return f"erased+{kind}{row_id}@erased.invalid"


def subject_hash(email: str) -> str:
    """A keyed hash of the address: tells two erasures of one person apart from others',
    without storing who it was (nobody without the secret key can test a guess)."""
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(key, email.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()[:32]


@dataclass
class ErasureReport:
    subject: str
    applications: int = 0
    hosts: int = 0
    consents: int = 0
    messages: int = 0
    attachments: int = 0
    message_events: int = 0
    undeliverable: int = 0
    users: int = 0
    swept_cells: int = 0
    redis_values: int = 0
    audit_id: int | None = None

    @property
    def changed(self) -> int:
        return sum(v for k, v in asdict(self).items() if isinstance(v, int) and k != "audit_id")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# ----------------------------------------------------------------------------- erasure


def anonymise_application(application: Application) -> None:
    """Everything that says who the visitor (and their manager) is; the facts stay."""
    application.name = PLACEHOLDER
    application.email = erased_address("a", application.id)
    application.organisation = PLACEHOLDER
    application.learning_goal = PLACEHOLDER
    application.team_mate_email = None
    application.manager_name = PLACEHOLDER
    application.manager_email = erased_address("m", application.id)


def anonymise_host_contact(host: Host) -> None:
    host.contact_name = PLACEHOLDER
    host.contact_email = erased_address("h", host.id)
    host.contact_phone = None


def anonymise_consent(consent: Consent) -> None:
    consent.email = erased_address("c", consent.id)
    consent.reason = None  # the decline reason may be in the person's own words


def anonymise_message(session: Session, message: Message) -> tuple[int, int]:
    """The rendered copy and its attachments go; template, status and times stay.

    Returns (attachments, provider events) emptied.
    """
    message.recipient = erased_address("msg", message.id)
    message.subject = message.body_text = message.body_html = PLACEHOLDER
    message.context = {}
    message.last_error = None
    attachments = events = 0
    for attachment in session.scalars(select(MessageAttachment).where(
            MessageAttachment.message_id == message.id)):
        attachment.content = b""
        attachments += 1
    for event in session.scalars(select(MessageEvent).where(
            MessageEvent.message_id == message.id, MessageEvent.reason.is_not(None))):
        event.reason = None
        events += 1
    return attachments, events


def erase_person(session: Session, redis: Redis | None, email: str,
                 actor_id: int | None = None) -> ErasureReport:
    """Remove the person from the database and Redis; idempotent. The caller commits.

    The manager a visitor named is in the system only through that application: unless
    they have a role of their own (an application, a host, another visitor they manage, an
    account), their address and name go with it.

    Redis is scrubbed before the commit: if the commit then fails, running it again finishes
    the job (masking is idempotent), whereas the other order could leave Redis unscrubbed.
    """
    person = find_person(session, email)
    report = ErasureReport(subject=subject_hash(person.email))
    managers = {a.manager_email.strip().lower(): a.manager_name for a in person.visitor_apps}
    emails, names = [person.email], list(person.needles().values)
    _erase_records(session, person, report)
    session.flush()
    for manager_email, manager_name in managers.items():
        manager = find_person(session, manager_email)
        if manager.visitor_apps or manager.manager_apps or manager.hosts or manager.users:
            continue
        _erase_records(session, manager, report)
        emails.append(manager_email)
        names.append(manager_name)
    session.flush()
    needles = Needles.of(emails, names)
    report.swept_cells = sweep_tables(session, needles)
    if redis is not None:
        # The rate limiter keys an account by the same keyed hash (coordinator/limits.py).
        report.redis_values = scrub_redis(redis, Needles((*needles.values, report.subject)))
    _record_erasure(session, report, actor_id)
    return report


def _erase_records(session: Session, person: PersonRecords, report: ErasureReport) -> None:
    """Anonymise the columns known to hold ``person`` (the sweep does the rest)."""
    for application in person.visitor_apps:
        anonymise_application(application)
        report.applications += 1
    for application in person.manager_apps:
        application.manager_name = PLACEHOLDER
        application.manager_email = erased_address("m", application.id)
        report.applications += 1
    for application in person.teammate_apps:
        application.team_mate_email = None
        report.applications += 1
    for host in person.hosts:
        anonymise_host_contact(host)
        report.hosts += 1
    for consent in person.consents:
        anonymise_consent(consent)
        report.consents += 1
    for message in person.messages:
        attachments, events = anonymise_message(session, message)
        report.attachments += attachments
        report.message_events += events
        report.messages += 1
    for address in person.undeliverable:
        session.delete(address)
        report.undeliverable += 1
    for user in person.users:
        user.email = erased_address("u", user.id)
        user.active = False
        user.password_hash = "!erased"
        report.users += 1


def _record_erasure(session: Session, report: ErasureReport, actor_id: int | None) -> None:
    """One audit row per erasure that changed something (or the first for an address)."""
    earlier = session.scalars(select(AuditEntry).where(AuditEntry.action == ERASE_ACTION))
    seen = any((row.after or {}).get("subject") == report.subject for row in earlier)
    if seen and report.changed == 0:
        return
    entry = record_audit(session, actor_id, ERASE_ACTION, "person", 0, None, report.as_dict())
    session.flush()
    report.audit_id = entry.id

