"""Which job each event kind becomes: queue, function path, deterministic job id.

Functions are named by dotted path so the relay needs no import of the job modules
(and the email jobs may be deployed separately). Job ids derive from the event, so
enqueueing the same event twice yields one job in Redis.
"""

from __future__ import annotations

from dataclasses import dataclass

from coordinator.models import Event

# The solver's time limit stays well below this (STYLE.md: RQ's 180 s default kills solves).
SOLVE_JOB_TIMEOUT_S = 900
SOLVE_TIME_LIMIT_S = 60


@dataclass(frozen=True)
class Route:
    queue: str
    func: str
    timeout_s: int = 180
    retries: int = 2


ROUTES: dict[str, Route] = {
    "message.queued": Route("email", "workers.jobs_email.send_message", 120, 0),
    "round.matching": Route("solve", "workers.jobs_round.solve_round", SOLVE_JOB_TIMEOUT_S),
    "placement.offered": Route("default", "workers.jobs_offers.schedule_deadlines"),
    "placement.accepted": Route("default", "workers.jobs_offers.confirm_if_final"),
    "placement.declined": Route("solve", "workers.jobs_resolve.resolve_after_decline",
                                SOLVE_JOB_TIMEOUT_S),
    "placement.expired": Route("solve", "workers.jobs_resolve.resolve_after_decline",
                               SOLVE_JOB_TIMEOUT_S),
    "round.resolved": Route("default", "workers.jobs_offers.confirm_if_final"),
    "round.confirmed": Route("solve", "workers.jobs_workshops.schedule_workshops",
                             SOLVE_JOB_TIMEOUT_S),
    "round.solve_requested": Route("solve", "workers.jobs_round.solve_round",
                                   SOLVE_JOB_TIMEOUT_S),
    "invitation.declined": Route("solve", "workers.jobs_workshops.reschedule_group"),
    "round.demo_import_requested": Route("default", "workers.jobs_demo.import_demo", 600),
}


def route_for(event: Event) -> Route | None:
    return ROUTES.get(event.kind)


def job_id_for(event: Event) -> str:
    """Stable per subject: a duplicate event for the same message maps to the same job."""
    if event.kind == "message.queued":
        return f"message-{event.subject_id}"
    return f"event-{event.id}-{event.kind.replace('.', '-')}"


def job_args_for(event: Event) -> list[int]:
    if event.kind == "message.queued":
        return [event.subject_id]
    return [event.id]
