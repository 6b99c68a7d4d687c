"""The one set of assertions every fault test ends with: nothing lost, nothing twice.

- every event is dispatched and every solver run belongs to one event;
- every placement exists once (one live placement per visitor, three consents each, one
  offer message per visitor and manager, one per host group);
- every invitation exists once (one per group and session kind) and invites every person;
- every message is sent, and reached the provider exactly once, except a row flagged as a
  possible duplicate (an ambiguous timeout) which may have reached it twice, at most;
- the round reaches the state the test expects.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from flask import Flask
from sqlalchemy import func, select

from coordinator import db
from coordinator.models import (
    Event,
    Invitation,
    Message,
    Placement,
    Round,
    SolverRun,
    WorkshopSession,
)
from coordinator.services import offers
from coordinator.services.invitations import group_people


def _duplicates(items: Iterable[object]) -> list[object]:
    return [item for item, count in Counter(items).items() if count > 1]


def assert_nothing_lost_nothing_twice(
    app: Flask,
    round_id: int,
    final_status: str,
    *,
    delivered_ids: list[str] | None = None,
    max_flagged: int = 1,
    failed_ok: int = 0,
) -> None:
    """``delivered_ids``: message ids as the provider received them (None: outbox backend)."""
    with app.app_context():
        session = db.session()
        round_ = session.get(Round, round_id)
        assert round_.status == final_status, f"round is {round_.status}, not {final_status}"

        undispatched = session.scalar(select(func.count()).select_from(Event).where(
            Event.dispatched_at.is_(None)))
        assert undispatched == 0, f"{undispatched} events never dispatched"
        runs = list(session.scalars(select(SolverRun).where(SolverRun.round_id == round_id)))
        assert not _duplicates(r.event_id for r in runs), "two runs for one event"
        assert all(r.status in ("done", "empty", "cancelled") for r in runs), \
            [(r.id, r.status, r.phase) for r in runs]

        placements = list(session.scalars(select(Placement).where(
            Placement.round_id == round_id)))
        assert not _duplicates((p.run_id, p.application_id) for p in placements)
        live = [p.application_id for p in placements if p.status in ("offered", "accepted")]
        assert not _duplicates(live), "a visitor holds two live placements"
        assert all(session.get(SolverRun, p.run_id).status == "done" for p in placements)
        for placement in placements:
            parties = sorted(c.party for c in placement.consents)
            assert parties == ["host", "manager", "visitor"], (placement.id, parties)

        messages = list(session.scalars(select(Message).where(Message.round_id == round_id)))
        keys = Counter(m.dedup_key for m in messages)
        # Visitor and manager each get their offer; the host one per group (run, host, week).
        missing = [c.id for p in placements for c in p.consents
                   if c.party != "host" and keys[f"offer-{c.id}"] != 1]
        missing += [key for key in {f"offer-host-{p.run_id}-{p.host_id}-{p.week or ''}"
                                    for p in placements} if keys[key] != 1]
        assert not missing, f"offers not queued exactly once: {missing}"
        if final_status in ("workshops", "done"):
            _assert_invitations_once(session, round_id, keys)

        every = list(session.scalars(select(Message)))
        not_sent = [(m.id, m.status, m.last_error) for m in every if m.status != "sent"]
        assert len(not_sent) <= failed_ok, f"messages not sent: {not_sent[:5]}"
        if delivered_ids is not None:
            _assert_delivered_once(every, delivered_ids, max_flagged)


def _assert_invitations_once(session: object, round_id: int, keys: Counter[str]) -> None:
    invitations = list(session.scalars(select(Invitation).where(
        Invitation.round_id == round_id)))
    kinds = {s.id: s.kind for s in session.scalars(select(WorkshopSession).where(
        WorkshopSession.round_id == round_id))}
    per_group = Counter((i.host_id, i.week, kinds[i.session_id]) for i in invitations)
    assert all(n == 1 for n in per_group.values()), "a group invited twice to one kind"
    groups = {(p.host_id, p.week) for p in offers.current_placements(session, round_id)
              if p.status == "accepted"}
    assert {(h, w) for h, w, _kind in per_group} == groups, "a group not invited"
    assert len(invitations) == 2 * len(groups)
    for invitation in invitations:
        people = {p.key for p in group_people(session, invitation)}
        invited = {k.rsplit("-", 1)[1] for k in keys
                   if k.startswith(f"workshop-invited-{invitation.id}-")}
        assert invited == people, (invitation.id, invited, people)


def _assert_delivered_once(messages: list[Message], delivered_ids: list[str],
                           max_flagged: int) -> None:
    copies = Counter(int(i) for i in delivered_ids)
    flagged = [m.id for m in messages if m.possible_duplicate]
    assert len(flagged) <= max_flagged, f"{len(flagged)} possible duplicates: {flagged}"
    for message in messages:
        allowed = 2 if message.possible_duplicate else 1
        if message.status == "sent":
            assert 1 <= copies[message.id] <= allowed, (message.id, copies[message.id])
        else:
            assert copies[message.id] <= allowed - 1, (message.id, message.status)
    unknown = set(copies) - {m.id for m in messages}
    assert not unknown, f"the provider got messages we do not have: {unknown}"
