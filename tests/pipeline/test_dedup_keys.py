"""Dedup keys carry ids only: no address sits in a key, and keys written by older code
(``confirmed-<placement>-<email>``, ``invite-<invitation>-<email>``) neither break
exactly-once nor survive an erasure."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import func, select
from test_rsvp import _workshops_round

from coordinator import db
from coordinator.models import Application, Event, Invitation, Message, Placement
from coordinator.services.privacy import erase_person
from workers.jobs_offers import confirm_if_final
from workers.jobs_workshops import schedule_workshops


def _keys_and_recipients(app: Flask) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [(m.dedup_key, m.recipient, m.template) for m in db.session().scalars(
            select(Message).order_by(Message.id))]


def _as_older_code_wrote_them(app: Flask, round_id: int) -> None:
    """Rewrite the round's confirmation and invitation keys in the pre-RSVP format."""
    with app.app_context():
        session = db.session()
        invitation_ids = list(session.scalars(select(Invitation.id).where(
            Invitation.round_id == round_id)))
        placement_ids = list(session.scalars(select(Placement.id).where(
            Placement.round_id == round_id, Placement.status == "accepted")))
        for n, message in enumerate(session.scalars(select(Message).where(
                Message.template.in_(("placement_confirmed", "workshop_invitation"))))):
            prefix = "confirmed" if message.template == "placement_confirmed" else "invite"
            ids = placement_ids if prefix == "confirmed" else invitation_ids
            message.dedup_key = f"{prefix}-{ids[n % len(ids)]}-{n}-{message.recipient}"
        session.commit()


def test_keys_hold_ids_only_and_old_keys_neither_resend_nor_outlive_erasure(
        app: Flask, coordinator_client: FlaskClient, redis_conn: Redis) -> None:
    round_id = _workshops_round(app, coordinator_client, redis_conn)
    messages = _keys_and_recipients(app)
    templates = {template for _key, _to, template in messages}
    assert {"offer_visitor", "placement_confirmed", "workshop_invitation"} <= templates
    leaking = [(key, to) for key, to, _t in messages if "@" in key or to.lower() in key.lower()]
    assert leaking == []

    # Keys written by older code: the confirmation and the invitations are guarded by the
    # round's state, not by the key, so running their jobs again queues nothing new.
    _as_older_code_wrote_them(app, round_id)
    with app.app_context():
        session = db.session()
        accepted = session.scalar(select(func.max(Event.id)).where(
            Event.round_id == round_id, Event.kind == "placement.accepted"))
        confirmed = session.scalar(select(Event.id).where(
            Event.round_id == round_id, Event.kind == "round.confirmed"))
        before = session.scalar(select(func.count()).select_from(Message))
        session.commit()
    assert confirm_if_final(accepted) == "not yet"
    assert schedule_workshops(confirmed) == {"skipped": "round not confirmed"}
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Message)) == before

    # Erasure masks an address wherever an old key still holds it.
    with app.app_context():
        session = db.session()
        email = session.scalar(select(Application.email).join(
            Placement, Placement.application_id == Application.id).where(
            Placement.round_id == round_id, Placement.status == "accepted").limit(1))
        assert session.scalar(select(func.count()).select_from(Message).where(
            func.lower(Message.dedup_key).contains(email.lower()))) > 0
        erase_person(session, None, email)
        session.commit()
        assert session.scalar(select(func.count()).select_from(Message).where(
            func.lower(Message.dedup_key).contains(email.lower()))) == 0
