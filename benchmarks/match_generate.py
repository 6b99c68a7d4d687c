"""Realistic synthetic Danish matching instances (internship-match/1) for the benchmarks.

Hosts and visitors live in municipalities drawn by population (coordinates jittered a few km);
visitors rank five hosts, mostly near home and biased towards popular hosts; some are open to
any host (empty ranking); teams of two colleagues; week windows; minimum fills; fixed and
forbidden pairs.

    python benchmarks/match_generate.py 10000 --teams 0.08 --min-visitors 0.15 -o inst.json
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
STATE = ["Styrelsen for Digitalisering", "Skattestyrelsen", "Erhvervsstyrelsen", "Sundhedsstyrelsen",
         "Miljøstyrelsen", "Rigspolitiet", "Udbetaling Danmark", "Energistyrelsen"]


def municipalities() -> dict[str, np.ndarray]:
    with open(HERE / "match_municipalities.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {"name": np.array([r["name"] for r in rows]), "region": np.array([r["region"] for r in rows]),
            "lat": np.array([float(r["lat"]) for r in rows]), "lon": np.array([float(r["lon"]) for r in rows]),
            "pop": np.array([float(r["population"]) for r in rows])}


def _orgs(rng: np.random.Generator, muni: dict, where: np.ndarray) -> tuple[list[str], list[str]]:
    roll = rng.random(len(where))
    orgs, levels = [], []
    for m, r in zip(where.tolist(), roll.tolist(), strict=True):
        if r < 0.7:
            orgs.append(f"{muni['name'][m]} Kommune")
            levels.append("municipality")
        elif r < 0.85:
            orgs.append(str(muni["region"][m]))
            levels.append("region")
        else:
            orgs.append(STATE[int(r * 1000) % len(STATE)])
            levels.append("state")
    return orgs, levels


def generate(n_visitors: int, *, seed: int = 1, teams: float = 0.0, min_visitors: float = 0.0,
             fixed: float = 0.0, forbidden: float = 0.0, open_any: float = 0.1,
             allow_unranked: bool = True, weeks: bool = True) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    muni = municipalities()
    n_m, n_hosts = len(muni["name"]), max(1, n_visitors // 2)
    p = muni["pop"] / muni["pop"].sum()
    h_m = rng.choice(n_m, size=n_hosts, p=p)
    v_m = rng.choice(n_m, size=n_visitors, p=p)
    jitter = 0.04
    h_lat = muni["lat"][h_m] + rng.normal(0, jitter, n_hosts)
    h_lon = muni["lon"][h_m] + rng.normal(0, jitter * 1.7, n_hosts)
    v_lat = muni["lat"][v_m] + rng.normal(0, jitter, n_visitors)
    v_lon = muni["lon"][v_m] + rng.normal(0, jitter * 1.7, n_visitors)
    cap = rng.choice([1, 2, 3], size=n_hosts, p=[0.4, 0.4, 0.2])
    low = np.where((rng.random(n_hosts) < min_visitors / 0.6) & (cap >= 2), 2, 0)
    # Choices: municipality by popularity x distance decay, then a host there by popularity.
    dlat = np.radians(muni["lat"][:, None] - muni["lat"][None, :])
    dlon = np.radians(muni["lon"][:, None] - muni["lon"][None, :]) * np.cos(np.radians(56))
    dist = 6371 * np.hypot(dlat, dlon)
    hosts_in = np.bincount(h_m, minlength=n_m).astype(float)
    pref = hosts_in[None, :] * np.exp(-dist / 60.0)
    cum = np.cumsum(pref / pref.sum(axis=1, keepdims=True), axis=1)
    popularity = rng.lognormal(0, 1, n_hosts)
    order = np.argsort(h_m, kind="stable")
    starts = np.searchsorted(h_m[order], np.arange(n_m + 1))
    pop_cum = np.cumsum(popularity[order])
    rankings: list[list[int]] = []
    picks_m = np.minimum((cum[v_m][:, None, :] < rng.random((n_visitors, 5))[:, :, None]).sum(axis=2), n_m - 1)
    for v in range(n_visitors):
        chosen: list[int] = []
        for m in picks_m[v].tolist():
            a, b = starts[m], starts[m + 1]
            if a == b:
                continue
            base = pop_cum[a - 1] if a else 0.0
            k = a + int(np.searchsorted(pop_cum[a:b], base + rng.random() * (pop_cum[b - 1] - base)))
            h = int(order[min(k, b - 1)])
            if h not in chosen:
                chosen.append(h)
        rankings.append(chosen)
    is_open = rng.random(n_visitors) < open_any
    h_org, h_level = _orgs(rng, muni, h_m)
    v_org, v_level = _orgs(rng, muni, v_m)
    wk = ["2027-W37", "2027-W38", "2027-W39"]
    h_weeks = [[wk[0]] if r < 0.6 else wk[:2] if r < 0.85 else [wk[1], wk[2]] if r < 0.95 else []
               for r in rng.random(n_hosts).tolist()] if weeks else [[] for _ in range(n_hosts)]
    v_weeks = [[] if r < 0.7 else [wk[0]] if r < 0.85 else [wk[1]] if r < 0.95 else wk[1:]
               for r in rng.random(n_visitors).tolist()] if weeks else [[] for _ in range(n_visitors)]
    max_km = rng.choice([60, 100, 150, 250], size=n_visitors, p=[0.15, 0.25, 0.3, 0.3])
    team = [None] * n_visitors
    for i in range(0, int(n_visitors * teams) - 1, 2):  # colleagues: same place, same wishes
        j = i + 1
        team[i] = team[j] = f"t{i}"
        v_lat[j], v_lon[j], v_org[j], v_level[j] = v_lat[i], v_lon[i], v_org[i], v_level[i]
        rankings[j], is_open[j], v_weeks[j], max_km[j] = rankings[i], is_open[i], v_weeks[i], max_km[i]
    hosts = [{"id": f"h{i}", "organisation": h_org[i], "org_level": h_level[i],
              "lat": round(float(h_lat[i]), 5), "lon": round(float(h_lon[i]), 5),
              "capacity": int(cap[i]), "min_visitors": int(low[i]), "weeks": h_weeks[i], "ranking": []}
             for i in range(n_hosts)]
    visitors = [{"id": f"v{i}", "organisation": v_org[i], "org_level": v_level[i],
                 "lat": round(float(v_lat[i]), 5), "lon": round(float(v_lon[i]), 5),
                 "max_km": int(max_km[i]), "weeks": v_weeks[i],
                 "ranking": [] if is_open[i] and allow_unranked else [f"h{h}" for h in rankings[i]],
                 "team": team[i]} for i in range(n_visitors)]
    # Hosts rank some of the visitors who chose them (for the stability report).
    for i, r in enumerate(rankings):
        if visitors[i]["ranking"] and rng.random() < 0.5:
            hosts[r[0]]["ranking"].append(f"v{i}")
    doc: dict[str, Any] = {"format": "internship-match/1", "hosts": hosts, "visitors": visitors,
                           "settings": {"allow_unranked": allow_unranked, "unranked_cost": 10}}
    _pairs(doc, rng, rankings, fixed, forbidden)
    return doc


def _pairs(doc: dict, rng: np.random.Generator, rankings: list[list[int]], fixed: float,
           forbidden: float) -> None:
    """Forbidden pairs among ranked choices; fixed pairs that are feasible on their own."""
    from solver.match.arcs import evaluate
    from solver.match.codec import decode_instance
    from solver.match.index import build_index

    n = len(doc["visitors"])
    cand = [i for i in range(n) if doc["visitors"][i]["team"] is None and doc["visitors"][i]["ranking"]]
    picks = rng.permutation(cand)
    n_forbid, n_fix = int(n * forbidden), int(n * fixed)
    doc["forbidden"] = [[f"v{i}", doc["visitors"][i]["ranking"][-1]] for i in picks[:n_forbid].tolist()]
    if not n_fix:
        return
    ix = build_index(decode_instance(doc))
    vs = picks[n_forbid:n_forbid + 4 * n_fix]
    hs = np.array([ix.hid[doc["visitors"][i]["ranking"][0]] for i in vs.tolist()], dtype=np.int64)
    ok = evaluate(ix, vs.astype(np.int64), hs)
    load = np.zeros(ix.n_hosts, dtype=np.int64)
    doc["fixed"] = []
    for v, h in zip(ok.v.tolist(), ok.h.tolist(), strict=True):
        if len(doc["fixed"]) < n_fix and load[h] < ix.cap[h] and ix.min_visitors[h] == 0:
            load[h] += 1
            doc["fixed"].append([f"v{v}", f"h{h}"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("visitors", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--teams", type=float, default=0.0)
    ap.add_argument("--min-visitors", type=float, default=0.0)
    ap.add_argument("--fixed", type=float, default=0.0)
    ap.add_argument("--forbidden", type=float, default=0.0)
    ap.add_argument("--ranked-only", action="store_true")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    doc = generate(a.visitors, seed=a.seed, teams=a.teams, min_visitors=a.min_visitors, fixed=a.fixed,
                   forbidden=a.forbidden, allow_unranked=not a.ranked_only)
    Path(a.output).write_text(json.dumps(doc), encoding="utf-8")


if __name__ == "__main__":
    main()
