"""Subject access: every row that names one person, as one JSON document."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator.models import (
    AuditEntry,
    Event,
    IdempotentRequest,
    Invitation,
    Message,
    MessageAttachment,
    MessageEvent,
    Placement,
    SolverRun,
    WorkshopSession,
)
from coordinator.services.privacy_records import PersonRecords, find_person, row_dict
from coordinator.services.privacy_redis import jobs_by_id
from coordinator.services.privacy_scrub import contains


def export_person(session: Session, email: str, redis: Redis | None = None) -> dict[str, Any]:
    """Every row that names the person, JSON-ready (what a subject access request returns)."""
    person = find_person(session, email)
    app_ids = {a.id for a in person.visitor_apps}
    host_ids = {h.id for h in person.hosts}
    placements = _placements(session, person, app_ids, host_ids)
    placement_ids = {p.id for p in placements}
    message_ids = {m.id for m in person.messages}
    invitations = _invitations(session, host_ids, placements, app_ids)
    objects = {"application": app_ids | {a.id for a in person.manager_apps},
               "host": host_ids, "placement": placement_ids,
               "consent": {c.id for c in person.consents}, "message": message_ids,
               "invitation": {i.id for i in invitations}}
    export = {
        "subject": {"email": person.email},
        "generated_at": dt.datetime.now(dt.UTC).isoformat(),
        "applications": [{**row_dict(a), "choices": [
            {"rank": c.rank, "host_id": c.host_id} for c in a.choices]}
            for a in person.visitor_apps],
        "applications_as_manager": [
            {"id": a.id, "round_id": a.round_id, "status": a.status,
             "manager_name": a.manager_name, "manager_email": a.manager_email}
            for a in person.manager_apps],
        "applications_as_team_mate": [
            {"id": a.id, "round_id": a.round_id, "team_mate_email": a.team_mate_email}
            for a in person.teammate_apps],
        "hosts": [row_dict(h) for h in person.hosts],
        "placements": [row_dict(p) for p in placements],
        "consents": [row_dict(c) for c in person.consents],
        "invitations": [row_dict(i) for i in invitations],
        "workshop_sessions": [row_dict(s) for s in session.scalars(select(WorkshopSession).where(
            WorkshopSession.id.in_({i.session_id for i in invitations})))],
        "messages": [_message_export(session, m) for m in person.messages],
        "messages_mentioning": [
            {"id": m.id, "template": m.template, "round_id": m.round_id, "status": m.status,
             "subject": m.subject, "created_at": m.created_at.isoformat()}
            for m in _mentioning(session, Message, person) if m.id not in message_ids],
        "events": [row_dict(e) for e in _events(session, objects)],
        "audit": [row_dict(a) for a in _audit(session, objects, person)],
        "solver_runs": _runs(session, app_ids, host_ids),
        "undeliverable_addresses": [row_dict(u) for u in person.undeliverable],
        "accounts": [row_dict(u, exclude=("password_hash",)) for u in person.users],
        "remembered_responses": [row_dict(r) for r in _mentioning(
            session, IdempotentRequest, person)],
    }
    if redis is not None:
        export["jobs"] = jobs_by_id(redis, _job_ids(session, message_ids, placement_ids,
                                                    objects))
    return export


def _placements(session: Session, person: PersonRecords, app_ids: set[int],
                host_ids: set[int]) -> list[Placement]:
    consent_placements = {c.placement_id for c in person.consents}
    return list(session.scalars(select(Placement).where(
        Placement.application_id.in_(app_ids) | Placement.host_id.in_(host_ids)
        | Placement.id.in_(consent_placements)).order_by(Placement.id)))


def _invitations(session: Session, host_ids: set[int], placements: list[Placement],
                 app_ids: set[int]) -> list[Invitation]:
    groups = {(p.host_id, p.week) for p in placements
              if p.application_id in app_ids and p.status == "accepted"}
    rows = session.scalars(select(Invitation).where(
        Invitation.host_id.in_(host_ids | {h for h, _ in groups})).order_by(Invitation.id))
    return [i for i in rows if i.host_id in host_ids or (i.host_id, i.week) in groups]


def _message_export(session: Session, message: Message) -> dict[str, Any]:
    attachments = session.scalars(select(MessageAttachment).where(
        MessageAttachment.message_id == message.id).order_by(MessageAttachment.id))
    events = session.scalars(select(MessageEvent).where(
        MessageEvent.message_id == message.id).order_by(MessageEvent.id))
    return {**row_dict(message),
            "attachments": [{"id": a.id, "filename": a.filename, "mimetype": a.mimetype,
                             "size": len(a.content or b""),
                             "sha256": hashlib.sha256(a.content or b"").hexdigest()}
                            for a in attachments],
            "events": [row_dict(e) for e in events]}


def _mentioning(session: Session, model: Any, person: PersonRecords) -> list[Any]:
    matcher = person.needles().matcher
    if matcher is None:
        return []
    rows = session.scalars(select(model).order_by(model.id))
    return [row for row in rows if contains(row_dict(row), matcher)]


def _events(session: Session, objects: dict[str, set[int]]) -> list[Event]:
    rows = []
    for subject_type, ids in objects.items():
        if ids:
            rows += session.scalars(select(Event).where(
                Event.subject_type == subject_type, Event.subject_id.in_(ids)))
    return sorted(rows, key=lambda e: e.id)


def _audit(session: Session, objects: dict[str, set[int]],
           person: PersonRecords) -> list[AuditEntry]:
    rows = {a.id: a for a in _mentioning(session, AuditEntry, person)}
    for object_type, ids in objects.items():
        if ids:
            rows.update((a.id, a) for a in session.scalars(select(AuditEntry).where(
                AuditEntry.object_type == object_type, AuditEntry.object_id.in_(ids))))
    user_ids = {u.id for u in person.users}
    if user_ids:
        rows.update((a.id, a) for a in session.scalars(select(AuditEntry).where(
            AuditEntry.actor_id.in_(user_ids))))
    return [rows[k] for k in sorted(rows)]


def _runs(session: Session, app_ids: set[int], host_ids: set[int]) -> list[dict[str, Any]]:
    """Each run's stored result, cut down to the entries that name the person's rows."""
    if not app_ids and not host_ids:
        return []
    out = []
    for run in session.scalars(select(SolverRun).where(SolverRun.result.is_not(None))
                               .order_by(SolverRun.id)):
        result = run.result or {}
        mine = [a for a in result.get("assignments", [])
                if a.get("application_id") in app_ids or a.get("host_id") in host_ids]
        unplaced = [u for u in result.get("unassigned", []) if u.get("application_id") in app_ids]
        if mine or unplaced:
            out.append({"id": run.id, "round_id": run.round_id, "status": run.status,
                        "created_at": run.created_at.isoformat(), "assignments": mine,
                        "unassigned": unplaced})
    return out


def _job_ids(session: Session, message_ids: set[int], placement_ids: set[int],
             objects: dict[str, set[int]]) -> list[str]:
    """The deterministic ids the relay and the jobs give to work about these rows."""
    from workers.routing import job_id_for  # ids only; no job code runs here

    ids = [f"message-{m}" for m in sorted(message_ids)]
    ids += [f"{kind}-{p}" for p in sorted(placement_ids) for kind in ("remind", "expire")]
    ids += [job_id_for(e) for e in _events(session, objects)]
    return list(dict.fromkeys(ids))
