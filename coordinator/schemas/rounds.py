"""Rounds as coordinators create, edit and read them."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from coordinator.models.round import RoundStatus
from coordinator.schemas.common import (
    ORG_LEVELS,
    printable,
    text_field,
    unique_items,
    weeks_field,
)


class RoundIn(Schema):
    name = text_field(200)
    weeks = weeks_field(required=True)
    applications_close_on = fields.Date(load_default=None, allow_none=True)
    response_days = fields.Int(strict=True, load_default=5, validate=validate.Range(min=1, max=60))
    default_max_km = fields.Int(strict=True, load_default=250,
                                validate=validate.Range(min=10, max=1000))

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        weeks = data.get("weeks")
        if weeks is not None and not weeks:
            raise ValidationError("give at least one week", "weeks")
        unique_items(weeks or [], "weeks")


class RoundPatch(RoundIn):
    """The same rules for a partial update (loaded with ``partial=True``)."""


class RoundOut(Schema):
    id = fields.Int()
    name = fields.Str()
    status = fields.Str(validate=validate.OneOf([s.value for s in RoundStatus]))
    weeks = fields.List(fields.Str())
    applications_close_on = fields.Date(allow_none=True)
    response_days = fields.Int()
    default_max_km = fields.Int()
    counts = fields.Dict(keys=fields.Str(), values=fields.Int())
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ListArgs(Schema):
    # printable: a NUL byte in ?status= reached PostgreSQL, which refuses it (a 500).
    status = fields.Str(load_default=None, validate=[validate.Length(max=20), printable])
    municipality_code = fields.Str(load_default=None, validate=[validate.Length(max=4), printable])
    org_level = fields.Str(load_default=None, validate=validate.OneOf(ORG_LEVELS))
    topic = fields.Str(load_default=None, validate=[validate.Length(max=60), printable])
    q = fields.Str(load_default=None, validate=[validate.Length(max=100), printable],
                   metadata={"description": "Search in names and organisations."})
