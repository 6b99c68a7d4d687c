"""Re-solve after a decline or expiry, so that few people's plans change.

Accepted placements are fixed, every declined or expired pair is forbidden, and the
outstanding offers are passed as ``previous`` with ``keep_previous``. Re-solves of one
round are serialised by locking the round row for the whole job (PostgreSQL; SQLite has
one writer, and the deployment runs one worker). The run row is keyed by the event and
written in the job's one transaction, so a repeated job adds nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from coordinator import db
from coordinator.models import Event, Placement, Round, RoundStatus, SolverRun
from coordinator.services import matching, offers
from coordinator.services.encode import build_match_instance, host_id, visitor_id
from coordinator.services.events import record_event
from coordinator.services.links import external_url
from workers.context import with_app_context
from workers.routing import SOLVE_TIME_LIMIT_S


def _tell_lost(session: Any, round_: Round, placement: Placement, rematched: bool) -> None:
    app, host = offers._people(session, placement)
    offers.queue_and_announce(
        session, round_id=round_.id, template="placement_declined", language=app.language,
        recipient=app.email, dedup_key=f"lost-{placement.id}",
        context={"name": app.name, "round_name": round_.name, "rematched": rematched,
                 "host_organisation": host.organisation,
                 "respond_url": external_url("/")})


def _visitor_side_refused(placement: Placement) -> bool:
    return placement.status == "expired" or any(
        c.status == "declined" and c.party != "host" for c in placement.consents)


@with_app_context
def resolve_after_decline(event_id: int) -> dict[str, Any]:
    session = db.session()
    event = session.get(Event, event_id)
    if event is None:
        return {"skipped": "no event"}
    round_ = session.get(Round, event.round_id, with_for_update=True)
    if round_.status != RoundStatus.OFFERS:
        return {"skipped": f"round is {round_.status}"}
    time_limit = float((event.payload or {}).get("time_limit_s") or SOLVE_TIME_LIMIT_S)
    # The run row is written in the same transaction, under the same round lock, as the
    # placements: a second re-solve waits at the lock above until this one has committed.
    run = session.scalar(select(SolverRun).where(SolverRun.event_id == event_id))
    if run is not None and run.status in ("done", "empty"):
        return {"run_id": run.id, "repeated": True}
    if run is not None and run.status not in matching.LIVE_RUNS:
        # Cancelled (or failed) for good: a coordinator's cancel is never undone by a job.
        return {"run_id": run.id, "status": run.status, "skipped": True}
    if run is None:
        run = SolverRun(round_id=round_.id, event_id=event_id, status="running",
                        settings={"resolve": True, "time_limit_s": time_limit})
        session.add(run)
        session.flush()
    current = offers.current_placements(session, round_.id)
    accepted = [p for p in current if p.status == "accepted"]
    offered = [p for p in current if p.status == "offered"]
    refused = [p for p in current if p.status in ("declined", "expired")]
    instance = build_match_instance(
        session, round_, fixed=[(p.application_id, p.host_id) for p in accepted],
        forbidden=[(p.application_id, p.host_id) for p in refused], time_limit_s=time_limit)
    # A visitor (or their manager) who said no, or let the offer lapse, is not offered again;
    # a visitor whose host said no is re-matched elsewhere.
    gone = {visitor_id(p.application_id) for p in refused if _visitor_side_refused(p)} - {
        visitor_id(p.application_id) for p in accepted + offered}
    instance["visitors"] = [v for v in instance["visitors"] if v["id"] not in gone]
    # A team with a refused member cannot stay a team: its members are matched one by one
    # (an accepted member stays fixed, the other is forbidden at that host).
    broken = {v["team"] for v in instance["visitors"]
              if v["team"] and v["id"] in {visitor_id(p.application_id) for p in refused}}
    for visitor in instance["visitors"]:
        if visitor["team"] in broken:
            visitor["team"] = None
    keep = {visitor_id(p.application_id) for p in offered}
    instance["previous"] = [[visitor_id(p.application_id), host_id(p.host_id)] for p in offered]
    instance["settings"]["keep_previous"] = True
    instance["forbidden"] = [f for f in instance["forbidden"]
                             if f[0] not in gone and f[0] in {v["id"] for v in instance["visitors"]}]
    from solver.match.api import solve_match_json

    result = solve_match_json(instance, time_limit_s=time_limit, workers=1)
    if not matching.finish_run(session, run, result):
        # Cancelled while the solver ran (or settled by a twin job): drop the result, offer
        # and withdraw nothing.
        if run.status == "cancelled":
            matching.settle_after_cancel(session, run)
        session.commit()
        return {"run_id": run.id, "status": run.status, "dropped_result": True}
    new = {a["application_id"]: a for a in run.result["assignments"]}
    by_app = {p.application_id: p for p in accepted + offered}
    changed = []
    for app_id, placement in by_app.items():
        target = new.get(app_id)
        same = target and target["host_id"] == placement.host_id and \
            target.get("week") == placement.week
        if not same and placement.status == "offered":
            offers.decide(session, placement, "withdrawn")
            _tell_lost(session, round_, placement, rematched=target is not None)
    for p in refused:
        if not _visitor_side_refused(p) and p.application_id not in by_app:
            _tell_lost(session, round_, p, rematched=p.application_id in new)
    fresh = [a for app_id, a in new.items()
             if app_id not in by_app or by_app[app_id].status == "withdrawn"]
    changed = offers.offer_assignments(session, round_, run, fresh)
    record_event(session, "round.resolved", "round", round_.id, round_.id,
                 {"run_id": run.id, "new_offers": changed})
    session.commit()
    return {"run_id": run.id, "new_offers": changed, "kept": len(keep)}
