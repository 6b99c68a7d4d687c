"""Publishing a run as offers, three-way consent, deadlines.

A placement is accepted when host, visitor and the visitor's manager have all accepted;
any decline declines it; the deadline passing counts as a decline ("expired"). Every
decision is final: a repeated answer is "already recorded", an answer to a placement that
is no longer open changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from coordinator.models import (
    Application,
    Consent,
    Host,
    Placement,
    Round,
    RoundStatus,
    SolverRun,
)
from coordinator.models._types import utcnow
from coordinator.services import matching
from coordinator.services.audit import record_audit
from coordinator.services.errors import Conflict, InvalidData
from coordinator.services.events import record_event
from coordinator.services.links import external_url, make_token
from coordinator.services.mail import queue_message
from coordinator.services.rounds import transition_round

REMINDER_BEFORE = dt.timedelta(hours=48)
OFFER_TEMPLATES = {"host": "offer_host", "visitor": "offer_visitor", "manager": "offer_manager"}


def queue_and_announce(session: Session, round_id: int, **kwargs: Any) -> None:
    """Queue a message and write the event the relay turns into a send job."""
    if "@" in kwargs["dedup_key"]:
        # Keys are unique-indexed and copied into logs; ids say the same without an address.
        raise ValueError(f"dedup key with an address: {kwargs['template']}")
    message = queue_message(session, round_id=round_id, **kwargs)
    session.flush()
    record_event(session, "message.queued", "message", message.id, round_id)


def publish_run(session: Session, round_: Round, run_id: int, actor_id: int | None) -> int:
    """Offer every placement of the round's latest finished run; returns how many."""
    # Two coordinators publishing at once: the second waits here for the first to commit,
    # then finds the round in 'offers' (a 409), instead of offering the run a second time.
    # A no-op UPDATE takes the row's write lock on PostgreSQL and SQLite alike (SQLite has
    # no FOR UPDATE; its write lock is what serialises writers there).
    session.execute(update(Round).where(Round.id == round_.id).values(status=Round.status)
                    .execution_options(synchronize_session=False))
    session.refresh(round_)
    if round_.status != RoundStatus.REVIEW:
        raise Conflict(f"a round in state '{round_.status}' cannot be published",
                       state=round_.status)
    latest = matching.latest_run(session, round_.id)
    if latest is None or latest.id != run_id:
        raise Conflict("only the latest run can be published", state=round_.status,
                       latest_run=latest.id if latest else None)
    if latest.status != "done":
        raise Conflict(f"run {run_id} is '{latest.status}'", state=round_.status)
    count = offer_assignments(session, round_, latest, latest.result["assignments"])
    transition_round(session, round_, RoundStatus.OFFERS, actor_id)
    record_audit(session, actor_id, "run.publish", "solver_run", run_id, None,
                 {"placements": count})
    return count


def offer_assignments(session: Session, round_: Round, run: SolverRun,
                      assignments: list[dict[str, Any]]) -> int:
    """Offer ``assignments`` as placements: visitor and manager each get their own offer, the
    host one offer per placement group (all its visitors of one week together)."""
    deadline = utcnow() + dt.timedelta(days=round_.response_days or 5)
    groups: dict[tuple[int, str | None], list[Placement]] = {}
    for item in assignments:
        placement = Placement(round_id=round_.id, run_id=run.id,
                              application_id=item["application_id"], host_id=item["host_id"],
                              week=item.get("week"), rank=item.get("rank"), km=item.get("km"),
                              status="offered", deadline_at=deadline)
        session.add(placement)
        session.flush()
        send_offer(session, round_, placement)
        record_event(session, "placement.offered", "placement", placement.id, round_.id)
        groups.setdefault((placement.host_id, placement.week), []).append(placement)
    for group in groups.values():
        send_host_offer(session, round_, group)
    return sum(len(group) for group in groups.values())


def _people(session: Session, placement: Placement) -> tuple[Application, Host]:
    return (session.get(Application, placement.application_id),
            session.get(Host, placement.host_id))


def _respond_by(placement: Placement) -> str:
    return placement.deadline_at.strftime("%Y-%m-%d %H:%M UTC")


def offer_url(consent_id: int) -> str:
    return external_url(f"/offers/{make_token('offer-response', consent_id)}")


def send_offer(session: Session, round_: Round, placement: Placement) -> None:
    """The visitor's and the manager's offers, and the host's consent row (its email goes
    out once per group, see ``send_host_offer``)."""
    app, host = _people(session, placement)
    session.add(Consent(placement_id=placement.id, party="host", email=host.contact_email,
                        status="pending"))
    recipients = {"visitor": (app.email, app.name), "manager": (app.manager_email,
                                                                app.manager_name)}
    for party, (email, name) in recipients.items():
        consent = Consent(placement_id=placement.id, party=party, email=email,
                          status="pending")
        session.add(consent)
        session.flush()
        url = offer_url(consent.id)
        queue_and_announce(
            session, round_.id, template=OFFER_TEMPLATES[party], language=app.language,
            recipient=email, dedup_key=f"offer-{consent.id}",
            context={"name": name, "round_name": round_.name, "week": placement.week or "",
                     "visitors": [{"name": app.name, "organisation": app.organisation}],
                     "visitor_name": app.name, "visit_days": host.visit_days,
                     "host_organisation": host.organisation,
                     "innovation_title": host.innovation_title,
                     "municipality": host.municipality_code or "",
                     "respond_by": _respond_by(placement), "accept_url": url,
                     "decline_url": url})
    session.flush()


def host_group(session: Session, placement: Placement) -> list[Placement]:
    """The placements offered to one host together: same run (batch), host and week."""
    return list(session.scalars(select(Placement).where(
        Placement.run_id == placement.run_id, Placement.host_id == placement.host_id,
        Placement.week.is_(None) if placement.week is None else Placement.week == placement.week)
        .order_by(Placement.id)))


def host_consent(session: Session, placement: Placement) -> Consent:
    return session.scalars(select(Consent).where(Consent.placement_id == placement.id,
                                                 Consent.party == "host")).one()


def send_host_offer(session: Session, round_: Round, group: list[Placement]) -> None:
    """One email to the host for the whole group; its link answers for every visitor in it."""
    first = group[0]
    host = session.get(Host, first.host_id)
    visitors = [session.get(Application, p.application_id) for p in group]
    url = offer_url(host_consent(session, first).id)
    queue_and_announce(
        session, round_.id, template=OFFER_TEMPLATES["host"], language=host.language,
        recipient=host.contact_email,
        dedup_key=f"offer-host-{first.run_id}-{host.id}-{first.week or ''}",
        context={"name": host.contact_name, "round_name": round_.name,
                 "week": first.week or "", "visit_days": host.visit_days,
                 "visitors": [{"name": a.name, "organisation": a.organisation}
                              for a in visitors],
                 "respond_by": _respond_by(first), "accept_url": url, "decline_url": url})


def consents_answered_together(session: Session, consent: Consent) -> list[Consent]:
    """A host answers for its whole group; a visitor or manager for their own placement."""
    if consent.party != "host":
        return [consent]
    return [host_consent(session, p) for p in host_group(session, consent.placement)]


# Common reasons for declining an offer; "other" asks for the person's own words.
DECLINE_REASONS = ("week", "workload", "distance", "topic", "other")
DECLINE_TEXT_MAX = 500


def decline_reason(code: str | None, text: str | None) -> str | None:
    """The reason as stored on the consent ("<code>" or "<code>: <text>"), or None.

    Both parts are optional; words without a code count as "other".
    """
    code = (code or "").strip()
    text = " ".join((text or "").split())  # newlines and control whitespace fold to spaces
    errors: dict[str, list[str]] = {}
    if code and code not in DECLINE_REASONS:
        errors["reason"] = ["Choose one of the listed reasons."]
    if len(text) > DECLINE_TEXT_MAX:
        errors["reason_text"] = [f"At most {DECLINE_TEXT_MAX} characters."]
    if any(not ch.isprintable() for ch in text):
        errors["reason_text"] = ["Only printable characters, please."]
    if errors:
        raise InvalidData(errors)
    if not code and not text:
        return None
    code = code or "other"
    return f"{code}: {text}" if text else code


def respond(session: Session, consent: Consent, accept: bool, reason: str | None = None) -> str:
    """Record an answer: 'recorded', 'already recorded' or 'no longer open'.

    A host's answer covers every still-open placement of its group; a decline's ``reason``
    (from ``decline_reason``) goes on every consent it covers.
    """
    session.get(Placement, consent.placement_id, with_for_update=True)
    session.refresh(consent)
    if consent.status != "pending":
        return "already recorded"
    recorded = 0
    for member in consents_answered_together(session, consent):
        placement = session.get(Placement, member.placement_id, with_for_update=True)
        if member.status != "pending" or placement.status != "offered" \
                or placement.deadline_at <= utcnow():
            continue
        _record(session, member, placement, accept)
        if not accept:
            member.reason = reason
        recorded += 1
    return "recorded" if recorded else "no longer open"


def _record(session: Session, consent: Consent, placement: Placement, accept: bool) -> None:
    consent.status = "accepted" if accept else "declined"
    consent.responded_at = utcnow()
    record_audit(session, None, f"consent.{consent.status}", "consent", consent.id,
                 {"status": "pending"}, {"status": consent.status, "party": consent.party})
    if not accept:
        decide(session, placement, "declined")
    elif all(c.status == "accepted" for c in placement.consents):
        decide(session, placement, "accepted")


def decide(session: Session, placement: Placement, status: str) -> None:
    before = placement.status
    placement.status = status
    placement.decided_at = utcnow()
    record_audit(session, None, f"placement.{status}", "placement", placement.id,
                 {"status": before}, {"status": status})
    record_event(session, f"placement.{status}", "placement", placement.id,
                 placement.round_id)


def expire_placement(session: Session, placement_id: int) -> bool:
    """At the deadline an open placement counts as declined; idempotent."""
    placement = session.get(Placement, placement_id, with_for_update=True)
    if placement is None or placement.status != "offered":
        return False
    if placement.deadline_at > utcnow():
        return False  # an early run (clock skew): the scheduled job comes again
    decide(session, placement, "expired")
    return True


def current_placements(session: Session, round_id: int) -> list[Placement]:
    return list(session.scalars(select(Placement).where(
        Placement.round_id == round_id, Placement.status != "withdrawn")
        .order_by(Placement.id)))


def all_final(session: Session, round_id: int) -> bool:
    return not any(p.status == "offered" for p in current_placements(session, round_id))
