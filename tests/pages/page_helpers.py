"""Form posts as a browser sends them (strings, one key per input, repeated weeks)."""

from __future__ import annotations

from typing import Any


def application_form(host_ids: list[int], **overrides: Any) -> dict[str, Any]:
    """What the application form posts: strings, one key per input, repeated weeks."""
    form: dict[str, Any] = {
        "name": "Mads Nielsen",
        "email": "mads@odense.example",
        "organisation": "Odense Kommune",
        "org_level": "municipality",
        "municipality_code": "461",
        "learning_goal": "Hvordan man skalerer skærmbesøg til hele kommunen.",
        "topics": "velfærdsteknologi, ældre",
        "weeks": ["2027-W37"],
        "max_km": "200",
        "language": "da",
        "team_mate_email": "",
        "manager_name": "Lone Hansen",
        "manager_email": "lone@odense.example",
    }
    for rank in range(1, 6):
        form[f"host_choice_{rank}"] = str(host_ids[rank - 1]) if rank <= len(host_ids) else ""
    form.update(overrides)
    return form


def host_form(**overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "organisation": "Aarhus Kommune",
        "org_level": "municipality",
        "municipality_code": "751",
        "innovation_title": "Velfærdsteknologi i hjemmeplejen",
        "innovation_description": "Skærmbesøg og sensorer, der giver borgerne mere frihed.",
        "topics": "velfærdsteknologi, ældre",
        "language": "da",
        "capacity": "2",
        "min_visitors": "1",
        "weeks": ["2027-W37", "2027-W38"],
        "visit_days": "3",
        "contact_name": "Karen Jensen",
        "contact_email": "karen@aarhus.example",
        "contact_phone": "",
    }
    form.update(overrides)
    return form

