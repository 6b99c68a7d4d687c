"""What applicants and hosts send, and what coordinators read back."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate, validates_schema

from coordinator.models.application import MAX_CHOICES
from coordinator.schemas.common import (
    LANGUAGES,
    ORG_LEVELS,
    LocatedSchema,
    check_location,
    collect,
    email_field,
    raise_unless_empty,
    strict_bool,
    text_field,
    topics_field,
    unique_items,
    weeks_field,
)


class ApplicationIn(LocatedSchema):
    name = text_field(200)
    email = email_field()
    organisation = text_field(200)
    org_level = fields.Str(required=True, validate=validate.OneOf(ORG_LEVELS))
    learning_goal = text_field(2000)
    topics = topics_field()
    host_choices = fields.List(
        fields.Int(strict=True, validate=validate.Range(min=1, max=2**31 - 1)),
        load_default=list,
        validate=validate.Length(max=MAX_CHOICES, error=f"at most {MAX_CHOICES} ranked hosts"),
        metadata={"description": "Host ids, best first."},
    )
    open_to_any = strict_bool(load_default=False)
    weeks = weeks_field()
    # Absent: the round's default_max_km (filled in by the service).
    max_km = fields.Int(strict=True, load_default=None, validate=validate.Range(min=10, max=1000))
    language = fields.Str(load_default="da", validate=validate.OneOf(LANGUAGES))
    team_mate_email = email_field(required=False)
    manager_name = text_field(200)
    manager_email = email_field()

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _check(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        errors: dict[str, Any] = {}
        collect(errors, check_location, data)
        collect(errors, unique_items, data.get("host_choices") or [], "host_choices")
        collect(errors, unique_items, data.get("weeks") or [], "weeks")
        if not data.get("host_choices") and not data.get("open_to_any"):
            errors.setdefault("host_choices", []).append(
                "rank at least one host or say you are open to any")
        mate, own = data.get("team_mate_email"), data.get("email")
        if mate and own and mate.strip().lower() == own.strip().lower():
            errors.setdefault("team_mate_email", []).append("your team-mate cannot be yourself")
        manager = data.get("manager_email")
        if manager and own and manager.strip().lower() == own.strip().lower():
            errors.setdefault("manager_email", []).append("your manager must be someone else")
        raise_unless_empty(errors, data, original)


class ApplicationOut(Schema):
    id = fields.Int()
    round_id = fields.Int()
    status = fields.Str()
    name = fields.Str()
    email = fields.Str()
    organisation = fields.Str()
    org_level = fields.Str()
    municipality_code = fields.Str(allow_none=True)
    lat = fields.Float()
    lon = fields.Float()
    learning_goal = fields.Str()
    topics = fields.List(fields.Str())
    host_choices = fields.List(fields.Int(), attribute="ranked_host_ids")
    open_to_any = fields.Bool()
    weeks = fields.List(fields.Str())
    max_km = fields.Int()
    language = fields.Str()
    team_mate_email = fields.Str(allow_none=True)
    manager_name = fields.Str()
    manager_email = fields.Str()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class HostIn(LocatedSchema):
    organisation = text_field(200)
    org_level = fields.Str(required=True, validate=validate.OneOf(ORG_LEVELS))
    innovation_title = text_field(200)
    innovation_description = text_field(4000)
    topics = topics_field()
    language = fields.Str(load_default="da", validate=validate.OneOf(LANGUAGES))
    capacity = fields.Int(strict=True, required=True, validate=validate.Range(min=1, max=3))
    min_visitors = fields.Int(strict=True, load_default=1, validate=validate.Range(min=1, max=3))
    weeks = weeks_field()
    visit_days = fields.Int(strict=True, load_default=3, validate=validate.Range(min=2, max=5))
    contact_name = text_field(200)
    contact_email = email_field()
    contact_phone = fields.Str(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"\+?[0-9 ()-]{6,20}\Z", error="not a phone number"),
    )

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _check(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        errors: dict[str, Any] = {}
        collect(errors, check_location, data)
        collect(errors, unique_items, data.get("weeks") or [], "weeks")
        capacity, minimum = data.get("capacity"), data.get("min_visitors")
        if capacity is not None and minimum is not None and minimum > capacity:
            errors.setdefault("min_visitors", []).append("must not exceed capacity")
        raise_unless_empty(errors, data, original)


class PublicHostOut(Schema):
    """What applicants may see of a host when choosing: no contact details."""

    id = fields.Int()
    organisation = fields.Str()
    org_level = fields.Str()
    municipality_code = fields.Str(allow_none=True)
    lat = fields.Float()
    lon = fields.Float()
    innovation_title = fields.Str()
    innovation_description = fields.Str()
    topics = fields.List(fields.Str())
    language = fields.Str()
    weeks = fields.List(fields.Str())
    visit_days = fields.Int()


class HostOut(PublicHostOut):
    """All of a host, for coordinators: what applicants see, and its round, status, capacity,
    contact and times (a field added to the public view is shown here too, not the reverse)."""

    round_id = fields.Int()
    status = fields.Str()
    capacity = fields.Int()
    min_visitors = fields.Int()
    contact_name = fields.Str()
    contact_email = fields.Str()
    contact_phone = fields.Str(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class SubmissionOut(Schema):
    id = fields.Int()
    status = fields.Str()
    message = fields.Str()
