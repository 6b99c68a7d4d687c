"""SendGrid's signed event webhook: ``POST /webhooks/sendgrid``.

The signature covers the raw body, so it is checked before anything parses it. SendGrid
retries whole batches; each event is stored once (message id + event + timestamp is unique),
so a repeated batch changes nothing.
"""

from __future__ import annotations

import json
import time
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from sendgrid.helpers.eventwebhook import EventWebhook
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coordinator import db
from coordinator.models import Message, MessageEvent, UndeliverableAddress

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
MAX_AGE_SECONDS = 300
# Events after which the address cannot be reached by email.
UNDELIVERABLE = {"bounce", "dropped"}

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


def _refuse(reason: str) -> ResponseReturnValue:
    return jsonify({"error": "forbidden", "message": reason}), 403


def signature_is_valid(public_key: str, payload: str, signature: str, timestamp: str) -> bool:
    """Any failure at all (bad key, bad base64, bad DER) is simply "not valid"."""
    try:
        verifier = EventWebhook()
        key = verifier.convert_public_key_to_ecdsa(public_key)
        return bool(verifier.verify_signature(payload, signature, timestamp, public_key=key))
    except Exception:  # noqa: BLE001 - a forged request must never become a 500
        return False


@bp.post("/sendgrid")
def sendgrid_events() -> ResponseReturnValue:
    public_key = current_app.config.get("SENDGRID_WEBHOOK_PUBLIC_KEY") or ""
    signature = request.headers.get(SIGNATURE_HEADER, "")
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    try:
        payload = request.get_data(cache=False).decode("utf-8")
    except UnicodeDecodeError:
        return _refuse("body is not UTF-8")
    if not (public_key and signature and timestamp):
        return _refuse("unsigned request")
    if not signature_is_valid(public_key, payload, signature, timestamp):
        return _refuse("bad signature")
    try:
        age = time.time() - int(timestamp)
    except ValueError:
        return _refuse("bad timestamp")
    # A replayed request keeps its valid signature; only its age gives it away.
    if abs(age) > MAX_AGE_SECONDS:
        return _refuse("timestamp too old")
    try:
        events = json.loads(payload)
    except ValueError:
        return jsonify({"error": "bad_request", "message": "body is not JSON"}), 400
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        return jsonify({"error": "bad_request", "message": "expected a list of events"}), 400
    session = db.session()
    stored = sum(record_event(session, event) for event in events)
    session.commit()
    return jsonify({"received": len(events), "stored": stored,
                    "duplicates": len(events) - stored})


def record_event(session: Session, event: dict[str, Any]) -> bool:
    """Store one event and apply it; false for a duplicate or one we cannot key."""
    sg_id, kind = str(event.get("sg_message_id") or ""), str(event.get("event") or "")
    try:
        stamp = int(event.get("timestamp") or 0)
    except (TypeError, ValueError):
        return False
    if not sg_id or not kind:
        return False
    message_id = _our_message_id(session, event, sg_id)
    try:
        with session.begin_nested():
            session.add(MessageEvent(sg_message_id=sg_id[:200], event=kind[:40], timestamp=stamp,
                                     message_id=message_id, reason=_reason(event)))
    except IntegrityError:
        return False
    if kind in UNDELIVERABLE:
        _mark_undeliverable(session, event, kind, message_id)
    return True


def _our_message_id(session: Session, event: dict[str, Any], sg_id: str) -> int | None:
    raw = event.get("message_id")  # our custom_arg, sent back at the top level of each event
    if isinstance(raw, str | int) and str(raw).isdigit() and int(raw) < 2**31:
        return int(raw)
    # Otherwise match the provider's id: sg_message_id is "<X-Message-Id>.<suffix>".
    prefix = sg_id.split(".", 1)[0]
    return session.scalar(select(Message.id).where(Message.provider_id == prefix))


def _reason(event: dict[str, Any]) -> str | None:
    reason = event.get("reason") or event.get("response")
    return str(reason)[:1000] if reason else None


def _mark_undeliverable(session: Session, event: dict[str, Any], kind: str,
                        message_id: int | None) -> None:
    message = session.get(Message, message_id) if message_id is not None else None
    if message is not None:
        message.status = "bounced"
        message.last_error = f"{kind}: {_reason(event) or ''}".strip()
    email = str(event.get("email") or (message.recipient if message else "")).strip().lower()
    if not email:
        return
    existing = session.scalar(select(UndeliverableAddress).where(
        UndeliverableAddress.email == email))
    if existing is None:
        try:
            with session.begin_nested():
                session.add(UndeliverableAddress(email=email[:254], event=kind,
                                                 reason=_reason(event), message_id=message_id))
        except IntegrityError:
            pass  # recorded by a concurrent request


def init_app(app: Any) -> None:
    from coordinator.security import csrf

    # Signed by SendGrid, not by a browser session: CSRF tokens do not apply.
    csrf.exempt(bp)
    app.register_blueprint(bp)
