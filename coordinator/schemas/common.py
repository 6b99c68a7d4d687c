"""Field rules shared by the intake schemas."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from coordinator.municipalities import in_denmark, municipality_by_code
from solver.weeks import parse_iso_week

ORG_LEVELS = ("municipality", "region", "state", "other")
LANGUAGES = ("da", "en")
_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!?][^>]*>")
# Control characters other than tab and line breaks, and lone surrogates (which JSON can
# spell as "\ud800" but no database can store as UTF-8).
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_ISO_WEEK = re.compile(r"[0-9]{4}-W[0-9]{2}")


def no_markup(value: str) -> None:
    # Text is always escaped on output; rejecting markup on input also keeps it out of
    # the spreadsheets and emails that coordinators forward.
    if _MARKUP.search(value):
        raise ValidationError("must not contain HTML markup")


def printable(value: str) -> None:
    if _UNPRINTABLE.search(value):
        raise ValidationError("must not contain control characters")


class Text(fields.Str):
    """A string with surrounding whitespace removed before it is validated and stored."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


class Email(fields.Email):
    """An email address; surrounding whitespace is removed before it is checked."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str):
            value = value.strip()
            if _UNPRINTABLE.search(value):
                raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Coordinate(fields.Float):
    """A JSON number only: "56.1" (a string) or true is an error, as for the strict ints."""

    def _validated(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class StrictBool(fields.Bool):
    """JSON true or false only: not "yes", "on" or 1 (which equals True in a set lookup)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def strict_bool(**kwargs: Any) -> fields.Bool:
    """true or false only (not "yes", 1 or "on")."""
    return StrictBool(**kwargs)


def no_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("must not be blank")


def text_field(max_length: int, *, required: bool = True, min_length: int = 1) -> fields.Str:
    validators = [validate.Length(min=min_length, max=max_length), printable, no_markup]
    if required:
        validators.append(no_blank)
    return Text(required=required, validate=validators)


def iso_week(value: str) -> None:
    if not _ISO_WEEK.fullmatch(value):
        raise ValidationError(f"{value!r} is not an ISO week like 2027-W37")
    try:
        parse_iso_week(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


MUNICIPALITY_CODE_MAX_LENGTH = 10


def municipality_code(value: str) -> None:
    # Checked before the lookup: a code of thousands of digits made int() raise (a 500).
    if len(value) > MUNICIPALITY_CODE_MAX_LENGTH:
        raise ValidationError(
            f"a municipality code has at most {MUNICIPALITY_CODE_MAX_LENGTH} characters")
    if municipality_by_code(value) is None:
        raise ValidationError(f"unknown municipality code {value!r}")


def email_field(*, required: bool = True) -> fields.Email:
    if required:
        return Email(required=True, validate=validate.Length(max=254))
    return Email(load_default=None, allow_none=True, validate=validate.Length(max=254))


def topics_field() -> fields.List:
    return fields.List(
        Text(validate=[validate.Length(min=1, max=60), printable, no_markup, no_blank]),
        load_default=list,
        validate=validate.Length(max=10),
    )


def weeks_field(*, required: bool = False) -> fields.List:
    week_list = Text(validate=iso_week)
    if required:
        return fields.List(week_list, required=True, validate=validate.Length(max=20))
    return fields.List(week_list, load_default=list, validate=validate.Length(max=20))


class LocatedSchema(Schema):
    """A municipality code or explicit coordinates (inside Denmark)."""

    municipality_code = fields.Str(validate=municipality_code, load_default=None, allow_none=True)
    lat = Coordinate(validate=validate.Range(min=-90, max=90), load_default=None, allow_none=True,
                     allow_nan=False)
    lon = Coordinate(validate=validate.Range(min=-180, max=180), load_default=None,
                     allow_none=True, allow_nan=False)


def check_location(data: dict[str, Any]) -> None:
    """Resolve ``municipality_code`` to coordinates, or require both lat and lon in Denmark."""
    lat, lon = data.get("lat"), data.get("lon")
    if (lat is None) != (lon is None):
        missing = "lon" if lon is None else "lat"
        raise ValidationError("lat and lon go together", missing)
    if lat is None:
        code = data.get("municipality_code")
        if not code:
            raise ValidationError("give a municipality code or lat and lon", "municipality_code")
        place = municipality_by_code(code)
        if place is not None:
            data["lat"], data["lon"] = place.lat, place.lon
            data["municipality_code"] = place.code
        return
    if not in_denmark(lat, lon):
        raise ValidationError("coordinates must lie in Denmark", "lat")
    if data.get("municipality_code"):
        place = municipality_by_code(data["municipality_code"])
        if place is not None:
            data["municipality_code"] = place.code


def collect(errors: dict[str, Any], check: Any, *args: Any) -> None:
    """Run a schema-level check and keep its messages, so one response names every field."""
    try:
        check(*args)
    except ValidationError as exc:
        messages = exc.normalized_messages()
        for key, value in messages.items():
            errors.setdefault(key, []).extend(value if isinstance(value, list) else [value])


def raise_unless_empty(errors: dict[str, Any], data: dict[str, Any], original: Any) -> None:
    """Raise the schema-level ``errors``, leaving out fields that already failed on their own.

    The schema checks run even when some field failed (so one response names every bad
    field); a field that failed is missing from ``data`` and must not also be reported as,
    say, "give a municipality code".
    """
    if not isinstance(original, dict):
        return  # not an object at all: marshmallow already says "Invalid input type"
    failed = {key for key in original if key not in data}
    errors = {key: value for key, value in errors.items() if key not in failed}
    if errors:
        raise ValidationError(errors)


def unique_items(values: list[Any], field: str) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("must not name the same item twice", field)
