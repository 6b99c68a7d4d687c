"""Dashboard pages: pictures. The map of Denmark with hosts, visitors and one line per placement,
the travel distances, the choices obtained and the workshop sessions' loads, each an inline SVG
with a title, a description and the same numbers as a table."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, select

from coordinator import db
from coordinator.dashboard import matching_queries as q
from coordinator.dashboard.blueprint import bp
from coordinator.dashboard.helpers import round_for_view
from coordinator.dashboard.svg import Bar, Load, bar_chart, histogram, load_chart, rank_colour
from coordinator.dashboard.svg_map import MapLabels, MapLink, MapPoint, denmark_map
from coordinator.models import Invitation, SolverRun, WorkshopSession

RANKS = (1, 2, 3, 4, 5)


@bp.get("/rounds/<int:round_id>/pictures", endpoint="pictures")
def pictures_page(round_id: int) -> ResponseReturnValue:
    session = db.session()
    round_ = round_for_view(round_id)
    raw = request.args.get("run", "")
    if raw.isdigit():
        run = session.get(SolverRun, int(raw))
        if run is None or run.round_id != round_id:
            abort(404)
    else:
        run = q.latest_finished_run(session, round_id)
    apps, hosts = q.names(session, round_id)
    rows = q.run_with_rows(session, round_id, run, apps, hosts)
    return render_template("dashboard/pictures_page.html", round_=round_, run=run, rows=rows,
                           map_svg=_map(rows, apps, hosts), **_distance_chart(rows),
                           **_rank_chart(rows), **_workshop_chart(round_id))


def _map(rows: list[q.Row], apps: dict[int, Any], hosts: dict[int, Any]) -> Any:
    host_points = {h.id: MapPoint(h.lat, h.lon, h.organisation)
                   for h in hosts.values() if h.status != "withdrawn"}
    visitor_points = {a.id: MapPoint(a.lat, a.lon, f"{a.name}, {a.organisation}")
                      for a in apps.values() if a.status != "withdrawn"}
    links = []
    for row in rows:
        app, host = apps.get(row.application_id), hosts.get(row.host_id)
        if app is None or host is None:
            continue
        choice = (_("choice %(rank)s", rank=row.rank) if row.rank else _("not ranked"))
        links.append(MapLink(MapPoint(app.lat, app.lon, row.visitor),
                             MapPoint(host.lat, host.lon, row.host), row.rank,
                             f"{row.visitor} → {row.host} ({choice}, {row.km} km)"))
    labels = MapLabels(
        title=_("Map of the placements"),
        desc=_("Denmark with %(hosts)s hosts (squares), %(visitors)s visitors (circles) and "
               "%(links)s placements drawn as lines from the visitor's workplace to the host, "
               "coloured by the visitor's choice obtained. The table below has the same data.",
               hosts=len(host_points), visitors=len(visitor_points), links=len(links)),
        hosts=_("Hosts"), visitors=_("Visitors"), rank=_("Choice %(rank)s", rank="{rank}"),
        unranked=_("Not ranked"))
    return denmark_map(list(host_points.values()), list(visitor_points.values()), links, labels)


def _distance_chart(rows: list[q.Row]) -> dict[str, Any]:
    distances = [row.km for row in rows if row.km is not None]
    width = 25 if not distances or max(distances) <= 250 else 50
    svg, bins = histogram(
        distances, bin_width=width, chart_id="distances", title=_("Travel distances"),
        desc=_("How many visitors travel how far (km, in bins of %(width)s km); the table "
               "below has the same counts.", width=width),
        y_label=_("Visitors"))
    return {"distance_svg": svg, "distance_bins": bins}


def _rank_chart(rows: list[q.Row]) -> dict[str, Any]:
    counts = Counter(row.rank for row in rows)
    bars = [Bar(_("Choice %(rank)s", rank=rank), counts.get(rank, 0), rank_colour(rank))
            for rank in RANKS]
    bars.append(Bar(_("Not ranked"), counts.get(None, 0), rank_colour(None)))
    svg = bar_chart(bars, chart_id="ranks", title=_("Choices obtained"),
                    desc=_("How many visitors got their first, second... choice, and how many "
                           "were placed at a host they did not rank; the table below has the "
                           "same counts."), y_label=_("Visitors"))
    return {"rank_svg": svg, "rank_bars": bars}


def _workshop_chart(round_id: int) -> dict[str, Any]:
    session = db.session()
    people = dict(session.execute(
        select(Invitation.session_id, func.coalesce(func.sum(Invitation.people), 0))
        .where(Invitation.round_id == round_id).group_by(Invitation.session_id)).all())
    sessions = session.scalars(select(WorkshopSession).where(WorkshopSession.round_id == round_id)
                               .order_by(WorkshopSession.date, WorkshopSession.id)).all()
    kinds = {"prep": _("Preparation"), "followup": _("Follow-up")}
    loads = [Load(f"{kinds.get(s.kind, s.kind)} {s.date.isoformat()} {s.venue}",
                  int(people.get(s.id, 0)), s.capacity) for s in sessions]
    svg = load_chart(loads, chart_id="workshops", title=_("Workshop sessions and their loads"),
                     desc=_("People invited to each workshop session against its capacity; "
                            "red bars are over capacity. The table below has the same "
                            "numbers.")) if loads else None
    return {"workshop_svg": svg, "workshop_loads": loads}
