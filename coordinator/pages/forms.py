"""Form posts as the dicts the intake schemas take, and validation results as field messages.

The rules live in ApplicationIn/HostIn; this module only reshapes HTML form data (strings,
repeated keys, ticked boxes) into the schema's input and the schema's errors back onto the
form's fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from marshmallow import Schema, ValidationError
from werkzeug.datastructures import MultiDict

from coordinator.models import Application, Host
from coordinator.models.application import MAX_CHOICES
from coordinator.pages.messages import N_, flatten, translate


class FieldSpec(NamedTuple):
    name: str  # the schema key and the form field's name
    label: str  # msgid, translated when rendered
    anchor: str  # id of the element the error summary links to


APPLICATION_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", N_("Your name"), "name"),
    FieldSpec("email", N_("Your email address"), "email"),
    FieldSpec("organisation", N_("Your workplace"), "organisation"),
    FieldSpec("org_level", N_("Type of workplace"), "org_level"),
    FieldSpec("municipality_code", N_("Municipality of your workplace"), "municipality_code"),
    FieldSpec("learning_goal", N_("What do you want to learn?"), "learning_goal"),
    FieldSpec("topics", N_("Topics"), "topics"),
    FieldSpec("host_choices", N_("Hosts you would like to visit"), "host_choice_1"),
    FieldSpec("open_to_any", N_("Open to any host"), "open_to_any"),
    FieldSpec("weeks", N_("Weeks you can travel"), "weeks_1"),
    FieldSpec("max_km", N_("How far will you travel (km)?"), "max_km"),
    FieldSpec("language", N_("Language for emails and the visit"), "language"),
    FieldSpec("team_mate_email", N_("Email address of a colleague to go with"),
              "team_mate_email"),
    FieldSpec("manager_name", N_("Your manager's name"), "manager_name"),
    FieldSpec("manager_email", N_("Your manager's email address"), "manager_email"),
)

HOST_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("organisation", N_("Organisation"), "organisation"),
    FieldSpec("org_level", N_("Type of workplace"), "org_level"),
    FieldSpec("municipality_code", N_("Municipality"), "municipality_code"),
    FieldSpec("innovation_title", N_("Title of the innovation"), "innovation_title"),
    FieldSpec("innovation_description", N_("Describe the innovation"),
              "innovation_description"),
    FieldSpec("topics", N_("Topics"), "topics"),
    FieldSpec("language", N_("Language of the visit"), "language"),
    FieldSpec("capacity", N_("How many visitors can you take?"), "capacity"),
    FieldSpec("min_visitors", N_("Fewest visitors worth a visit"), "min_visitors"),
    FieldSpec("weeks", N_("Weeks you can receive visitors"), "weeks_1"),
    FieldSpec("visit_days", N_("Length of the visit (days)"), "visit_days"),
    FieldSpec("contact_name", N_("Contact person's name"), "contact_name"),
    FieldSpec("contact_email", N_("Contact person's email address"), "contact_email"),
    FieldSpec("contact_phone", N_("Contact person's phone number"), "contact_phone"),
)

APPLICATION_TEXT = ("name", "email", "organisation", "org_level", "municipality_code",
                    "learning_goal", "language", "team_mate_email", "manager_name",
                    "manager_email")
HOST_TEXT = ("organisation", "org_level", "municipality_code", "innovation_title",
             "innovation_description", "language", "contact_name", "contact_email",
             "contact_phone")
HOST_NUMBERS = ("capacity", "min_visitors", "visit_days")
# Where a key of the schema has no input of its own on the form.
ALIASES = {"lat": "municipality_code", "lon": "municipality_code"}


@dataclass
class FormState:
    """What a form shows: the values to fill in and the messages per field."""

    values: dict[str, Any]
    fields: tuple[FieldSpec, ...]
    errors: dict[str, list[str]] = field(default_factory=dict)
    invalid: set[str] = field(default_factory=set)  # element ids beyond the field's own
    general: list[str] = field(default_factory=list)  # messages that belong to no field

    def add(self, name: str, message: str) -> None:
        name = ALIASES.get(name, name)
        if name not in {spec.name for spec in self.fields}:
            if message not in self.general:
                self.general.append(message)
            return
        messages = self.errors.setdefault(name, [])
        if message not in messages:
            messages.append(message)

    def add_errors(self, flat: dict[str, list[str]]) -> None:
        """Put dotted schema/service error keys ("host_choices.0") on the form's fields."""
        positions = self.values.get("_choice_positions", [])
        for key, texts in flat.items():
            head, _, rest = key.partition(".")
            if head == "host_choices" and rest.isdigit() and int(rest) < len(positions):
                self.invalid.add(f"host_choice_{positions[int(rest)]}")
            for text in texts:
                self.add(head, translate(text))

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.general)


def split_topics(raw: str) -> list[str]:
    return [topic.strip() for topic in raw.split(",") if topic.strip()]


def _number(raw: str) -> int | str:
    # A string that is no number goes through, so the schema says what is wrong with it.
    try:
        return int(raw)
    except ValueError:
        return raw


def _texts(form: MultiDict[str, str], names: tuple[str, ...], data: dict[str, Any],
           values: dict[str, Any]) -> None:
    for name in names:
        value = form.get(name, "").strip()
        values[name] = value
        # An empty input counts as not given: the schema then says "required", not "too short".
        if value:
            data[name] = value


def application_from_form(form: MultiDict[str, str],
                          fields: tuple[FieldSpec, ...] = APPLICATION_FIELDS,
                          ) -> tuple[dict[str, Any], FormState]:
    """The ApplicationIn input for a posted form, and the form state to re-render it with."""
    data: dict[str, Any] = {}
    values: dict[str, Any] = {}
    _texts(form, APPLICATION_TEXT, data, values)
    values["topics"] = form.get("topics", "")
    data["topics"] = split_topics(values["topics"])
    choices: list[int | str] = []
    positions: list[int] = []
    for rank in range(1, MAX_CHOICES + 1):
        raw = form.get(f"host_choice_{rank}", "").strip()
        values[f"host_choice_{rank}"] = raw
        if raw:
            choices.append(_number(raw))
            positions.append(rank)
    data["host_choices"] = choices
    values["_choice_positions"] = positions
    data["open_to_any"] = values["open_to_any"] = form.get("open_to_any") == "yes"
    data["weeks"] = values["weeks"] = [week for week in form.getlist("weeks") if week]
    values["max_km"] = form.get("max_km", "").strip()
    if values["max_km"]:
        data["max_km"] = _number(values["max_km"])
    return data, FormState(values, fields)


def host_from_form(form: MultiDict[str, str],
                   fields: tuple[FieldSpec, ...] = HOST_FIELDS) -> tuple[dict[str, Any], FormState]:
    """The HostIn input for a posted form, and the form state to re-render it with."""
    data: dict[str, Any] = {}
    values: dict[str, Any] = {}
    _texts(form, HOST_TEXT, data, values)
    values["topics"] = form.get("topics", "")
    data["topics"] = split_topics(values["topics"])
    data["weeks"] = values["weeks"] = [week for week in form.getlist("weeks") if week]
    for name in HOST_NUMBERS:
        values[name] = form.get(name, "").strip()
        if values[name]:
            data[name] = _number(values[name])
    return data, FormState(values, fields)


def validate(schema: Schema, data: dict[str, Any]) -> tuple[dict[str, Any] | None,
                                                            dict[str, list[str]]]:
    """The loaded data, or None and every message as dotted keys (the schema names them all)."""
    try:
        return schema.load(data), {}
    except ValidationError as exc:
        return None, flatten(exc.messages)


def application_values(application: Application) -> dict[str, Any]:
    """A stored application as form values, for its edit form."""
    values: dict[str, Any] = {name: getattr(application, name) or "" for name in APPLICATION_TEXT}
    values["topics"] = ", ".join(application.topics or [])
    for rank in range(1, MAX_CHOICES + 1):
        values[f"host_choice_{rank}"] = ""
    for choice in application.choices:
        values[f"host_choice_{choice.rank}"] = str(choice.host_id)
    values["open_to_any"] = bool(application.open_to_any)
    values["weeks"] = list(application.weeks or [])
    values["max_km"] = str(application.max_km or "")
    return values


def host_values(host: Host) -> dict[str, Any]:
    """A stored host offer as form values, for its edit form."""
    values: dict[str, Any] = {name: getattr(host, name) or "" for name in HOST_TEXT}
    values["topics"] = ", ".join(host.topics or [])
    values["weeks"] = list(host.weeks or [])
    for name in HOST_NUMBERS:
        values[name] = str(getattr(host, name) or "")
    return values
