"""Who may call which route: the classification of every route, and how to fill its URL.

Shared by the access matrix (tests/security/test_access_matrix.py) and the CSP check in the
browser. Classify a new route here (BY_ENDPOINT, or its blueprint in BY_BLUEPRINT).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from security_world import RoundObjects
from werkzeug.routing import Rule

from coordinator import create_app


@dataclass(frozen=True)
class Kind:
    name: str
    purpose: str | None = None  # for signed links: the token's purpose


PUBLIC = Kind("public")
COORDINATOR = Kind("coordinator")
ADMIN = Kind("admin")
WEBHOOK = Kind("webhook")


def link(purpose: str) -> Kind:
    return Kind("link", purpose)


# Blueprints whose every route is of one kind. A route added to one of them is classified
# already, and the checks below still prove it behaves that way.
BY_BLUEPRINT: dict[str, Kind] = {
    "rounds": COORDINATOR,
    "records": COORDINATOR,
    "matching": COORDINATOR,
    "emails": COORDINATOR,
    "dashboard": COORDINATOR,
    "round_coordinators": ADMIN,
    # Export and erasure of one person across every round: not for a round's coordinator.
    "privacy": ADMIN,
    "public": PUBLIC,
    "api-docs": PUBLIC,
    "offers": link("offer-response"),
    "rsvp": link("workshop-rsvp"),
    "webhooks": WEBHOOK,
}
# Everything else, endpoint by endpoint (blueprints that mix kinds, like the pages).
BY_ENDPOINT: dict[str, Kind] = {
    "static": PUBLIC,
    "healthz": PUBLIC,
    "readyz": PUBLIC,
    "auth.Login": PUBLIC,
    "auth.Logout": PUBLIC,
    "auth.Me": COORDINATOR,
    "pages.index": PUBLIC,
    "pages.login": PUBLIC,
    "pages.logout": PUBLIC,
    "pages.application_form": PUBLIC,
    "pages.application_submitted": PUBLIC,
    "pages.host_form": PUBLIC,
    "pages.host_submitted": PUBLIC,
    "pages.application_link": link("application-edit"),
    "pages.application_withdraw": link("application-edit"),
    "pages.host_link": link("host-edit"),
    "pages.host_withdraw": link("host-edit"),
}
# Routes known not to behave as classified yet, by blueprint or endpoint, with the reason.
# Remove the entry when the route is fixed (the test then checks it for real).
KNOWN_GAPS: dict[str, str] = {}
# How to fill each URL argument from one round's objects (coord_b gets round A's).
OBJECT_ARGUMENTS = {
    "round_id": "round_id", "host_id": "host_id", "application_id": "application_id",
    "run_id": "run_id", "placement_id": "placement_id", "consent_id": "consent_id",
    "message_id": "message_id", "session_id": "session_id", "invitation_id": "invitation_id",
    "workshop_id": "session_id", "other_run_id": "run_id",
}
# Arguments that name no object of a round.
PLAIN_ARGUMENTS: dict[str, Any] = {"to_status": "closed", "filename": "missing.css",
                                   "format": "csv", "fmt": "csv", "kind": "placements",
                                   "what": "placements", "queue_name": "solve",
                                   "job_id": "no-such-job"}
# Plain arguments naming something the world does not have (a failed job): a 404 there is
# "no such job", not a refusal, so it is accepted from someone who may get in.
ABSENT_ARGUMENTS = frozenset({"job_id"})
SKIPPED_METHODS = {"HEAD", "OPTIONS"}


def classify(rule: Rule) -> Kind | None:
    if rule.endpoint in BY_ENDPOINT:
        return BY_ENDPOINT[rule.endpoint]
    blueprint = rule.endpoint.rpartition(".")[0]
    return BY_BLUEPRINT.get(blueprint)


def _rules_of_a_fresh_app() -> list[Rule]:
    instance = Path("/tmp") / f"access-matrix-{time.monotonic_ns()}"
    app = create_app({"TESTING": True, "SECRET_KEY": "collection-only",
                      "DATABASE_URL": f"sqlite:///{instance / 'unused.sqlite3'}",
                      "INSTANCE_PATH": str(instance), "RATELIMIT_ENABLED": False})
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
    app.extensions["db_engine"].dispose()
    return rules


RULES = _rules_of_a_fresh_app()


def url_values(rule: Rule, objects: RoundObjects, token: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in rule.arguments:
        if name == "token":
            values[name] = token
        elif name == "user_id":
            values[name] = objects.owner_id
        elif name in OBJECT_ARGUMENTS:
            values[name] = getattr(objects, OBJECT_ARGUMENTS[name])
        elif name in PLAIN_ARGUMENTS:
            values[name] = PLAIN_ARGUMENTS[name]
        else:
            pytest.fail(f"{rule.endpoint}: URL argument {name!r} is unknown to the access matrix; "
                        "add it to OBJECT_ARGUMENTS (an object of a round) or PLAIN_ARGUMENTS "
                        "in tests/security/route_table.py")
    return values


def url_for_rule(rule: Rule, values: dict[str, Any]) -> str:
    path = rule.rule
    for name, value in values.items():
        path = path.replace(f"<{name}>", str(value))
        for converter in ("int", "string", "path"):
            path = path.replace(f"<{converter}:{name}>", str(value))
    assert "<" not in path, (rule.rule, values)
    return path
