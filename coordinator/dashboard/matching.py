"""Dashboard pages: matching. Start a solver run, watch it, read its result, pin or forbid pairs
and run again, compare two runs, cancel, publish.

The pages only validate, store the request (an event the relay turns into a solve job) and
answer; the solver runs in a worker. Progress comes from the run row the job updates.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from coordinator import db
from coordinator.dashboard import matching_queries as q
from coordinator.dashboard.blueprint import bp
from coordinator.dashboard.helpers import round_for_view, state_label
from coordinator.models import Event, RoundStatus, SolverRun
from coordinator.services import matching, offers
from coordinator.services.errors import Conflict

FINISHED = ("done", "empty", "failed", "cancelled")


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


@bp.get("/rounds/<int:round_id>/matching", endpoint="matching")
def matching_page(round_id: int) -> ResponseReturnValue:
    return _render_page(round_id, form={}, errors={})


def _render_page(round_id: int, form: dict[str, Any], errors: dict[str, list[str]],
                 status: int = 200) -> ResponseReturnValue:
    session = db.session()
    round_ = round_for_view(round_id)
    runs = matching.runs_for_round(session, round_id)
    event_id = _int_arg("event")
    waiting_event = None
    if event_id is not None:
        started = matching.run_for_event_id(session, round_id, event_id)
        event = session.get(Event, event_id)
        if started is not None:
            run = started
        elif event is not None and event.round_id == round_id:
            run, waiting_event = None, event
        else:
            abort(404)
    else:
        run = q.find_run(session, round_id, _int_arg("run"))
        if run is None and _int_arg("run") is not None:
            abort(404)
    apps, hosts = q.names(session, round_id)
    sort = request.args.get("sort", "visitor")
    descending = request.args.get("dir") == "desc"
    rows = q.sort_rows(q.run_with_rows(session, round_id, run, apps, hosts), sort, descending)
    settings = (run.settings if run is not None else {}) or {}
    pinned = {f"{a}:{h}" for a, h in settings.get("fixed", [])}
    forbidden = [{"pair": f"{a}:{h}", "visitor": apps[a].name if a in apps else f"#{a}",
                  "host": hosts[h].organisation if h in hosts else f"#{h}"}
                 for a, h in settings.get("forbidden", [])]
    chosen_fixed = set(form.getlist("fixed")) if form else pinned
    chosen_forbidden = (set(form.getlist("forbidden")) if form
                        else {f["pair"] for f in forbidden})
    # As publishing judges it: a cancelled run never hides the finished run before it.
    latest = next((r for r in reversed(runs) if r.status != "cancelled"), None)
    can_publish = (run is not None and latest is not None and run.id == latest.id
                   and run.status == "done" and round_.status == RoundStatus.REVIEW)
    return render_template(
        "dashboard/matching_page.html", round_=round_, runs=runs, run=run,
        waiting_event=waiting_event, rows=rows, sort=sort, descending=descending,
        unplaced=q.unplaced_rows(run.result or {}, apps) if run is not None else [],
        chosen_fixed=chosen_fixed, chosen_forbidden=chosen_forbidden, forbidden=forbidden,
        objectives=q.OBJECTIVES, progress=progress_info(run),
        can_request=round_.status in matching.RUN_FROM, can_publish=can_publish,
        finished=FINISHED, form=form, errors=errors, settings=settings,
        time_limit_range=q.TIME_LIMIT_RANGE), status


@bp.post("/rounds/<int:round_id>/matching/runs")
def matching_request_run(round_id: int) -> ResponseReturnValue:
    """Ask for a run with the form's objective, time limit, pinned and forbidden pairs."""
    session = db.session()
    round_ = round_for_view(round_id)
    apps, hosts = q.names(session, round_id)
    apps = {k: v for k, v in apps.items() if v.status != "withdrawn"}
    errors: dict[str, list[str]] = {}
    objective = request.form.get("objective", "canonical")
    if objective not in q.OBJECTIVES:
        errors["objective"] = [_("Choose one of the objectives in the list.")]
    time_limit = _time_limit(request.form.get("time_limit_s", "").strip(), errors)
    fixed = q.parse_pairs(request.form.getlist("fixed"), "fixed", apps, hosts, errors,
                          _("Pinned pair %(value)s is not a visitor and host of this round.",
                            value="{value}"))
    forbidden = q.parse_pairs(request.form.getlist("forbidden"), "forbidden", apps, hosts,
                              errors, _("Forbidden pair %(value)s is not a visitor and host of "
                                        "this round.", value="{value}"))
    both = {tuple(p) for p in fixed} & {tuple(p) for p in forbidden}
    if both:
        errors.setdefault("forbidden", []).append(
            _("A pair cannot be both pinned and forbidden: %(pairs)s",
              pairs=", ".join(f"{a}:{h}" for a, h in sorted(both))))
    visitors = [a for a, _h in fixed]
    if len(visitors) != len(set(visitors)):
        errors.setdefault("fixed", []).append(_("Pin each visitor to one host only."))
    if round_.status not in matching.RUN_FROM:
        errors.setdefault("round", []).append(
            _("A round in state “%(state)s” cannot be solved.", state=state_label(round_.status)))
    if errors:
        return _render_page(round_id, form=request.form, errors=errors, status=400)
    settings: dict[str, Any] = {"fixed": fixed, "forbidden": forbidden, "objective": objective}
    if time_limit is not None:
        settings["time_limit_s"] = time_limit
    run = matching.request_run(session, round_, settings, current_user.id)
    session.commit()
    flash(_("The solver run has been requested. It starts when a worker is free."))
    return redirect(url_for("dashboard.matching", round_id=round_id, event=run.event_id))


def _time_limit(raw: str, errors: dict[str, list[str]]) -> float | None:
    if not raw:
        return None
    low, high = q.TIME_LIMIT_RANGE
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        errors["time_limit_s"] = [_("Enter a number of seconds from %(low)d to %(high)d.",
                                    low=low, high=high)]
        return None
    return value


@bp.get("/rounds/<int:round_id>/matching/progress")
def matching_progress(round_id: int) -> ResponseReturnValue:
    """Small JSON for the progress bar: by the request's event (before the run row exists)
    or by run id."""
    session = db.session()
    round_for_view(round_id)
    event_id, run_id = _int_arg("event"), _int_arg("run")
    if event_id is not None:
        run = matching.run_for_event_id(session, round_id, event_id)
        event = session.get(Event, event_id)
        if run is None and (event is None or event.round_id != round_id):
            abort(404)
    elif run_id is not None:
        run = q.find_run(session, round_id, run_id)
        if run is None:
            abort(404)
    else:
        abort(400, description="give event or run")
    response = jsonify(progress_info(run))
    response.headers["Cache-Control"] = "no-store"  # polled every second: always fresh
    return response


def progress_info(run: SolverRun | None) -> dict[str, Any]:
    """What the progress bar shows; elapsed against the time limit is the best guess of how far
    the solver is (it may prove optimality sooner)."""
    if run is None:
        return {"state": "queued", "state_label": state_label("queued"), "run_id": None,
                "phase": None, "elapsed_s": 0, "time_limit_s": None, "percent": 0,
                "objective": None, "bound": None, "finished": False, "url": None}
    limit = float((run.settings or {}).get("time_limit_s") or 0) or None
    finished = run.status in FINISHED
    percent = 100 if finished else (
        min(99, round(100 * (run.elapsed_s or 0) / limit)) if limit else 0)
    return {"state": run.status, "state_label": state_label(run.status), "run_id": run.id,
            "phase": run.phase, "elapsed_s": run.elapsed_s, "time_limit_s": limit,
            "percent": percent, "objective": run.best_objective, "bound": run.bound,
            "finished": finished,
            "url": url_for("dashboard.matching", round_id=run.round_id, run=run.id)}


@bp.route("/rounds/<int:round_id>/matching/runs/<int:run_id>/cancel", methods=["GET", "POST"])
def matching_cancel(round_id: int, run_id: int) -> ResponseReturnValue:
    """GET asks for confirmation; POST cancels the run: a queued one is taken off the queue,
    a running one stops its solver and drops its result."""
    session = db.session()
    round_ = round_for_view(round_id)
    run = q.find_run(session, round_id, run_id)
    if run is None:
        abort(404)
    if run.status not in ("queued", "running"):
        return _confirm(round_, run, "cancel",
                        _("Run %(id)d is already “%(status)s”.", id=run.id, status=state_label(run.status)),
                        409)
    if request.method == "GET":
        return _confirm(round_, run, "cancel")
    matching.cancel_run(session, run, current_user.id)
    session.commit()
    matching.drop_queued_job(current_app.config["REDIS_URL"], session, run)
    flash(_("Run %(id)d was cancelled.", id=run.id))
    return redirect(url_for("dashboard.matching", round_id=round_id, run=run.id))


@bp.route("/rounds/<int:round_id>/matching/runs/<int:run_id>/publish", methods=["GET", "POST"])
def matching_publish(round_id: int, run_id: int) -> ResponseReturnValue:
    """GET asks for confirmation; POST offers the run's placements (only the latest run)."""
    session = db.session()
    round_ = round_for_view(round_id)
    run = q.find_run(session, round_id, run_id)
    if run is None:
        abort(404)
    latest = matching.latest_run(session, round_id)
    problem = None
    if latest is None or latest.id != run.id:
        problem = _("Only the latest run (%(id)s) can be published.",
                    id=latest.id if latest else "–")
    elif run.status != "done" or round_.status != RoundStatus.REVIEW:
        problem = _("This run cannot be published now (run “%(run)s”, round “%(round)s”).",
                    run=state_label(run.status), round=state_label(round_.status))
    if problem:
        return _confirm(round_, run, "publish", problem, 409)
    if request.method == "GET":
        return _confirm(round_, run, "publish")
    try:
        count = offers.publish_run(session, round_, run.id, current_user.id)
    except Conflict as exc:  # another coordinator was quicker
        session.rollback()
        return _confirm(round_, run, "publish", exc.message, 409)
    session.commit()
    flash(_("%(count)d placements were offered; the emails are on their way.", count=count))
    return redirect(url_for("dashboard.matching", round_id=round_id, run=run.id))


def _confirm(round_: Any, run: Any, action: str, problem: str | None = None,
             status: int = 200) -> ResponseReturnValue:
    placed = len((run.result or {}).get("assignments", []))
    return render_template("dashboard/matching_confirm.html", round_=round_, run=run,
                           action=action, problem=problem, placed=placed), status


@bp.get("/rounds/<int:round_id>/matching/compare")
def matching_compare(round_id: int) -> ResponseReturnValue:
    """Two runs side by side: who was added, removed, moved host or week; rank and km deltas."""
    session = db.session()
    round_ = round_for_view(round_id)
    runs = [r for r in matching.runs_for_round(session, round_id) if r.result]
    ids = [r.id for r in runs]
    a_id, b_id = _int_arg("a"), _int_arg("b")
    if a_id is None and b_id is None and len(ids) >= 2:
        a_id, b_id = ids[-2], ids[-1]
    comparison = None
    if a_id is not None and b_id is not None:
        if a_id not in ids or b_id not in ids:
            abort(404)
        apps, hosts = q.names(session, round_id)
        by_id = {r.id: r for r in runs}
        comparison = q.compare_rows(q.run_with_rows(session, round_id, by_id[a_id], apps, hosts),
                                    q.run_with_rows(session, round_id, by_id[b_id], apps, hosts))
    return render_template("dashboard/matching_compare.html", round_=round_, runs=runs,
                           a_id=a_id, b_id=b_id, comparison=comparison)
