"""Retention: a round's personal data is erased ``retention_days`` after the round ended.

A round has ended when it reached ``done`` (the time of that move, from the audit log), or,
for a round abandoned on the way, at its last activity. Everything that belongs to the
round is anonymised (applications, host contacts, consents, messages); the addresses and
names of its people are then swept from every other table and from Redis, except those of
people who also take part in a round that is still kept, whose later data must stay.
A round is erased once: the audit row of the erasure marks it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from redis import Redis
from sqlalchemy import String, cast, func, literal, select, update
from sqlalchemy.orm import Session

from coordinator.models import (
    Application,
    AuditEntry,
    Consent,
    Event,
    Host,
    Message,
    MessageAttachment,
    MessageEvent,
    Placement,
    Round,
    RoundStatus,
    UndeliverableAddress,
)
from coordinator.services.audit import record_audit
from coordinator.services.privacy import (
    anonymise_application,
    anonymise_consent,
    anonymise_host_contact,
)
from coordinator.services.privacy_redis import scrub_redis
from coordinator.services.privacy_scrub import PLACEHOLDER, Needles, sweep_tables

RETENTION_ACTION = "privacy.retention"


@dataclass
class RoundErasure:
    round_id: int
    applications: int = 0
    hosts: int = 0
    consents: int = 0
    messages: int = 0
    swept_cells: int = 0
    redis_values: int = 0


def round_ended_at(session: Session, round_: Round) -> dt.datetime:
    """When the round was done, or else its last recorded activity."""
    if round_.status == RoundStatus.DONE:
        done_at = session.scalar(select(func.max(AuditEntry.at)).where(
            AuditEntry.object_type == "round", AuditEntry.object_id == round_.id,
            AuditEntry.action == f"round.{RoundStatus.DONE}"))
        return _aware(done_at) if done_at else round_.updated_at
    moments = [round_.updated_at]
    for query in (
        select(func.max(Application.updated_at)).where(Application.round_id == round_.id),
        select(func.max(Host.updated_at)).where(Host.round_id == round_.id),
        select(func.max(Event.created_at)).where(Event.round_id == round_.id),
        select(func.max(Message.created_at)).where(Message.round_id == round_.id),
        select(func.max(Placement.decided_at)).where(Placement.round_id == round_.id),
        select(func.max(AuditEntry.at)).where(AuditEntry.object_type == "round",
                                              AuditEntry.object_id == round_.id),
    ):
        moment = session.scalar(query)
        if moment is not None:
            moments.append(_aware(moment))
    return max(moments)


def _aware(moment: dt.datetime) -> dt.datetime:
    # Aggregates bypass the column type, so SQLite hands back a naive value (it was UTC).
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def already_erased(session: Session, round_id: int) -> bool:
    return session.scalar(select(AuditEntry.id).where(
        AuditEntry.action == RETENTION_ACTION, AuditEntry.object_type == "round",
        AuditEntry.object_id == round_id).limit(1)) is not None


def expired_rounds(session: Session, now: dt.datetime, retention_days: int) -> list[Round]:
    cutoff = now - dt.timedelta(days=retention_days)
    rounds = session.scalars(select(Round).where(Round.status != RoundStatus.DRAFT)
                             .order_by(Round.id))
    return [r for r in rounds
            if not already_erased(session, r.id) and round_ended_at(session, r) < cutoff]


def _round_people(session: Session, round_id: int) -> tuple[set[str], set[str]]:
    apps = list(session.scalars(select(Application).where(Application.round_id == round_id)))
    hosts = list(session.scalars(select(Host).where(Host.round_id == round_id)))
    emails = {a.email for a in apps} | {a.manager_email for a in apps}
    emails |= {a.team_mate_email for a in apps if a.team_mate_email}
    emails |= {h.contact_email for h in hosts}
    emails |= set(session.scalars(select(Message.recipient).where(Message.round_id == round_id)))
    names = {a.name for a in apps} | {a.manager_name for a in apps}
    names |= {h.contact_name for h in hosts} | {h.contact_phone for h in hosts if h.contact_phone}
    return {e.lower() for e in emails if e}, {n for n in names if n}


def _kept_rounds(session: Session, round_id: int) -> list[int]:
    return [r for r in session.scalars(select(Round.id).where(Round.id != round_id))
            if not already_erased(session, r)]


def _kept_people(session: Session, kept_rounds: list[int]) -> tuple[set[str], set[str]]:
    """Addresses and names in rounds that are kept: the sweep leaves them alone, so another
    person of the same name (or the same person in a later round) loses nothing."""
    emails: set[str] = set()
    names: set[str] = set()
    if not kept_rounds:
        return emails, names
    for round_id in kept_rounds:
        more_emails, more_names = _round_people(session, round_id)
        emails |= more_emails
        names |= more_names
    return emails, names


def erase_round(session: Session, redis: Redis | None, round_: Round) -> RoundErasure:
    """Anonymise everything personal about one round; the caller commits."""
    report = RoundErasure(round_id=round_.id)
    emails, names = _round_people(session, round_.id)
    kept, kept_names = _kept_people(session, _kept_rounds(session, round_.id))
    for application in session.scalars(select(Application).where(
            Application.round_id == round_.id)):
        anonymise_application(application)
        report.applications += 1
    for host in session.scalars(select(Host).where(Host.round_id == round_.id)):
        anonymise_host_contact(host)
        report.hosts += 1
    for consent in session.scalars(select(Consent).join(Placement).where(
            Placement.round_id == round_.id)):
        anonymise_consent(consent)
        report.consents += 1
    report.messages = _anonymise_round_messages(session, round_.id)
    gone = emails - kept
    if gone:
        for address in session.scalars(select(UndeliverableAddress).where(
                func.lower(UndeliverableAddress.email).in_(gone))):
            session.delete(address)
    session.flush()
    needles = Needles.of(gone, names - kept_names)
    report.swept_cells = sweep_tables(session, needles)
    if redis is not None:
        report.redis_values = scrub_redis(redis, needles)
    record_audit(session, None, RETENTION_ACTION, "round", round_.id, None, asdict(report))
    session.flush()
    return report


def _anonymise_round_messages(session: Session, round_id: int) -> int:
    """What ``anonymise_message`` does, for all of a round's messages in four statements."""
    of_round = select(Message.id).where(Message.round_id == round_id)
    session.execute(update(MessageAttachment).where(MessageAttachment.message_id.in_(of_round))
                    .values(content=b"").execution_options(synchronize_session=False))
    session.execute(update(MessageEvent).where(MessageEvent.message_id.in_(of_round))
                    .values(reason=None).execution_options(synchronize_session=False))
    result = session.execute(
        update(Message).where(Message.round_id == round_id)
        .values(recipient=literal("erased+msg") + cast(Message.id, String)
                + literal("@erased.invalid"),
                subject=PLACEHOLDER, body_text=PLACEHOLDER, body_html=PLACEHOLDER,
                context={}, last_error=None)
        .execution_options(synchronize_session=False))
    return result.rowcount


def erase_expired_rounds(session: Session, redis: Redis | None, now: dt.datetime,
                         retention_days: int) -> list[dict[str, Any]]:
    """Erase every round that ended more than ``retention_days`` before ``now``; commits
    after each round, so a crash halfway keeps the rounds already done."""
    reports = []
    for round_ in expired_rounds(session, now, retention_days):
        reports.append(asdict(erase_round(session, redis, round_)))
        session.commit()
    return reports
