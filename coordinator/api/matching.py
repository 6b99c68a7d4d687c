"""Solver runs for coordinators: list, compare, re-run with pinned/forbidden pairs, cancel;
and the jobs that failed after their last retry."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_login import current_user
from marshmallow import Schema, fields, validate
from redis import Redis

from coordinator import db
from coordinator.api.blueprint import Blueprint
from coordinator.api.writes import transactional
from coordinator.auth import coordinator_required
from coordinator.models import SolverRun
from coordinator.services import job_queue, matching, offers
from coordinator.services.errors import NotFound
from coordinator.services.rounds import get_round

blp = Blueprint("matching", __name__, url_prefix="/api",
                description="Solver runs and failed jobs (coordinators only)")
blp.before_request(coordinator_required(lambda: None))

Pair = fields.List(fields.Integer(), validate=validate.Length(equal=2))


class RunRequest(Schema):
    fixed = fields.List(Pair, load_default=list)
    forbidden = fields.List(Pair, load_default=list)
    objective = fields.String(load_default="canonical",
                              validate=validate.OneOf(["canonical", "minimax_rank"]))
    time_limit_s = fields.Float(load_default=None, allow_none=True,
                                validate=validate.Range(min=1, max=600))


class RunSummaryOut(Schema):
    id = fields.Int()
    round_id = fields.Int()
    status = fields.Str()
    phase = fields.Str(allow_none=True)
    objective = fields.Raw(allow_none=True)
    bound = fields.Raw(allow_none=True)
    elapsed_s = fields.Float(allow_none=True)
    settings = fields.Raw(allow_none=True)
    placed = fields.Int()
    unplaced = fields.Int()
    created_at = fields.Str(allow_none=True)
    finished_at = fields.Str(allow_none=True)


class RunOut(RunSummaryOut):
    result = fields.Raw(allow_none=True)


class RunQueuedOut(Schema):
    event_id = fields.Int()
    run_id = fields.Int()
    status = fields.Str()


class FailedJobOut(Schema):
    queue = fields.Str()
    job_id = fields.Str()
    function = fields.Str(allow_none=True)
    args = fields.List(fields.Raw(), allow_none=True)
    error = fields.Str(allow_none=True)


class PublishedOut(Schema):
    round_id = fields.Int()
    run_id = fields.Int()
    offered = fields.Int()
    status = fields.Str()


class PlacementOut(Schema):
    id = fields.Int()
    run_id = fields.Int()
    application_id = fields.Int()
    host_id = fields.Int()
    week = fields.Str(allow_none=True)
    rank = fields.Int(allow_none=True)
    km = fields.Int(allow_none=True)
    status = fields.Str()
    deadline_at = fields.Str(allow_none=True)
    consents = fields.Dict(keys=fields.Str(), values=fields.Str())


def _run(round_id: int, run_id: int) -> SolverRun:
    run = db.session().get(SolverRun, run_id)
    if run is None or run.round_id != round_id:
        raise NotFound("run")
    return run


@blp.route("/rounds/<int:round_id>/runs")
class Runs(MethodView):
    @blp.response(200, RunSummaryOut(many=True))
    @coordinator_required
    def get(self, round_id: int) -> Any:
        get_round(db.session(), round_id)
        return [matching.run_summary(r) for r in matching.runs_for_round(db.session(), round_id)]

    @blp.arguments(RunRequest)
    @blp.response(202, RunQueuedOut)
    @blp.alt_response(409, description="The round is not in review or matching")
    @coordinator_required
    @transactional
    def post(self, args: dict[str, Any], round_id: int) -> Any:
        """Ask for another run; the previous runs stay for comparison. The run is listed at
        once as ``queued`` and can be cancelled before a worker takes it."""
        session = db.session()
        round_ = get_round(session, round_id)
        settings = {k: v for k, v in args.items() if v is not None}
        run = matching.request_run(session, round_, settings, current_user.id)
        return {"event_id": run.event_id, "run_id": run.id, "status": run.status}, 202


@blp.route("/rounds/<int:round_id>/runs/<int:run_id>")
class RunById(MethodView):
    @blp.response(200, RunOut)
    @coordinator_required
    def get(self, round_id: int, run_id: int) -> Any:
        run = _run(round_id, run_id)
        return {**matching.run_summary(run), "result": run.result}


@blp.route("/rounds/<int:round_id>/runs/<int:run_id>/cancel")
class RunCancel(MethodView):
    @blp.response(200, RunSummaryOut)
    @blp.alt_response(409, description="The run has already finished")
    @coordinator_required
    @transactional
    def post(self, round_id: int, run_id: int) -> Any:
        """Cancel a queued or running run. A queued one is taken off the queue; a running one
        stops its solver within a second and discards the result."""
        session = db.session()
        run = _run(round_id, run_id)
        matching.cancel_run(session, run, current_user.id)
        session.commit()
        matching.drop_queued_job(current_app.config["REDIS_URL"], session, run)
        return matching.run_summary(run)


@blp.route("/jobs/failed")
class FailedJobs(MethodView):
    @blp.response(200, FailedJobOut(many=True))
    @coordinator_required
    def get(self) -> Any:
        """Jobs that failed after their last retry, per queue, oldest first."""
        redis = Redis.from_url(current_app.config["REDIS_URL"])
        try:
            return job_queue.failed_jobs(redis)
        finally:
            redis.close()


@blp.route("/rounds/<int:round_id>/runs/<int:run_id>/publish")
class RunPublish(MethodView):
    @blp.response(200, PublishedOut)
    @blp.alt_response(409, description="The round is not in review, or this is not its latest run")
    @coordinator_required
    @transactional
    def post(self, round_id: int, run_id: int) -> Any:
        """Offer the latest run's placements; any other run is a 409."""
        session = db.session()
        round_ = get_round(session, round_id)
        count = offers.publish_run(session, round_, run_id, current_user.id)
        return {"round_id": round_id, "run_id": run_id, "offered": count,
                "status": round_.status}


@blp.route("/rounds/<int:round_id>/placements")
class Placements(MethodView):
    @blp.response(200, PlacementOut(many=True))
    @coordinator_required
    def get(self, round_id: int) -> Any:
        get_round(db.session(), round_id)
        return [{"id": p.id, "run_id": p.run_id, "application_id": p.application_id,
                 "host_id": p.host_id, "week": p.week, "rank": p.rank, "km": p.km,
                 "status": p.status, "deadline_at": p.deadline_at.isoformat(),
                 "consents": {c.party: c.status for c in p.consents}}
                for p in offers.current_placements(db.session(), round_id)]
