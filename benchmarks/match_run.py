"""Benchmark runner: this solver (CLI end to end, JSON in and out) against the flow floor,
greedy and stable matching, on the same generated instances, in one run.

    python benchmarks/match_run.py [--quick] [--workers 2] [--out docs/match_bench.json]

Each method runs in its own subprocess so that its peak memory (ru_maxrss) is its own;
``seconds`` of a baseline is its solve time after decoding, of the solver the whole CLI run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

SCENARIOS = {
    "100k ranked, no side constraints": dict(n=100_000, allow_unranked=False, open_any=0.0, limit=60),
    "10k unranked allowed, no side constraints": dict(n=10_000, limit=60),
    "1k side constraints, ranked only": dict(n=1_000, allow_unranked=False, open_any=0.0, side=True, limit=30),
    "1k side constraints, unranked allowed": dict(n=1_000, side=True, limit=30),
    "10k side constraints, ranked only": dict(n=10_000, allow_unranked=False, open_any=0.0, side=True, limit=60),
    "10k side constraints, unranked allowed": dict(n=10_000, side=True, limit=60),
}
QUICK = ("1k side constraints, ranked only", "1k side constraints, unranked allowed")


def _instance(spec: dict, seed: int) -> dict:
    from match_generate import generate

    side = dict(teams=0.08, min_visitors=0.15, fixed=0.01, forbidden=0.01) if spec.get("side") else {}
    return generate(spec["n"], seed=seed, allow_unranked=spec.get("allow_unranked", True),
                    open_any=spec.get("open_any", 0.1), **side)


def _run_child(cmd: list[str]) -> tuple[float, float, str, int, float]:
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    if proc.stdout:
        proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage, unlike RUSAGE_CHILDREN
    proc.returncode = os.waitstatus_to_exitcode(status)
    # CPU seconds beside wall time: on a shared 2-core machine the wall time mostly measures
    # the other processes' load.
    return (time.monotonic() - start, usage.ru_maxrss / 1024, out, proc.returncode,
            usage.ru_utime + usage.ru_stime)


def measure_baseline(method: str, path: str) -> None:
    """Child process: run one baseline on one instance, print its metrics as JSON."""
    import match_baselines as mb

    from solver.match.check import check_match_json
    from solver.match.codec import decode_instance, encode_result
    from solver.match.index import build_index
    from solver.match.report import blocking_pairs, build_result
    from solver.status import Status

    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    start = time.monotonic()
    ix = build_index(decode_instance(doc))
    place = getattr(mb, method)(ix)
    seconds = time.monotonic() - start
    obj = place.objective(ix)
    problems = None
    if method != "floor":
        result = encode_result(build_result(ix, place, Status.FEASIBLE, None, {}, seconds))
        problems = len(check_match_json(doc, result))
    print(json.dumps({"placed": obj.placed, "rank_cost": obj.rank_cost, "total_km": obj.total_km,
                      "blocking_pairs": blocking_pairs(ix, place), "seconds": round(seconds, 2),
                      "check_problems": problems}))


def generate_child(name: str, seed: str, path: str) -> None:
    Path(path).write_text(json.dumps(_instance(SCENARIOS[name], int(seed))), encoding="utf-8")


def check_child(inst: str, res: str) -> None:
    """Child process: check a solver result and print its summary (keeps the parent small)."""
    from solver.match.check import check_match_json

    result = json.loads(Path(res).read_text(encoding="utf-8"))
    problems = check_match_json(json.loads(Path(inst).read_text(encoding="utf-8")), result)
    print(json.dumps({"status": result["status"], **result["objective"], "bound": result["bound"],
                      "blocking_pairs": result["stability"]["blocking_pairs"],
                      "solve_seconds": result["stats"]["seconds"],
                      "solver_method": result["stats"]["method"], "check_problems": len(problems)}))


def run(names: list[str], workers: int, seed: int) -> list[dict]:
    """The parent only starts children and reads small JSON lines, so that every child's
    ru_maxrss (which starts from the parent's size at fork) is its own."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            spec = SCENARIOS[name]
            inst, out = Path(tmp) / "instance.json", Path(tmp) / "result.json"
            _run_child([sys.executable, __file__, "--generate", name, str(seed), str(inst)])
            secs, mb, _, code, cpu = _run_child([sys.executable, "-m", "solver", "match", str(inst), "-o",
                                                 str(out), "--workers", str(workers),
                                                 "--time-limit", str(spec["limit"])])
            summary = json.loads(_run_child([sys.executable, __file__, "--check", str(inst), str(out)])[2])
            bound = summary["bound"]
            gap = summary["rank_cost"] - bound["rank_cost"]
            rows.append({"scenario": name, "method": "solver (CLI end to end)", **summary,
                         "rank_gap_pct": round(100 * gap / max(1, bound["rank_cost"]), 3),
                         "km_gap_pct": round(100 * (summary["total_km"] - bound["total_km"])
                                             / max(1, bound["total_km"]), 3),
                         "seconds": round(secs, 2), "cpu_seconds": round(cpu, 2), "peak_mb": round(mb),
                         "exit": code, "load": round(os.getloadavg()[0], 1)})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
            for method in ("floor", "greedy", "stable"):
                secs, mb, text, code, _ = _run_child([sys.executable, __file__, "--child", method, str(inst)])
                row = {"scenario": name, "method": method, **json.loads(text), "wall_seconds": round(secs, 2),
                       "peak_mb": round(mb)}
                rows.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| scenario | method | status | placed | rank cost | km | blocking | s | CPU s | peak MB |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        status = r.get("status", "relaxation" if r["method"] == "floor" else "feasible"
                       if r.get("check_problems") == 0 else f"{r.get('check_problems')} problems")
        if r.get("bound") and r.get("status") != "OPTIMAL":
            # The levels are lexicographic: a km gap says something only at the bound's rank.
            km = f", km {r['km_gap_pct']} %" if r["rank_cost"] == r["bound"]["rank_cost"] else ""
            status += (f" (bound {r['bound']['placed']}/{r['bound']['rank_cost']}/"
                       f"{r['bound']['total_km']}, rank {r['rank_gap_pct']} %{km})")
        lines.append(f"| {r['scenario']} | {r['method']} | {status} | {r['placed']} | {r['rank_cost']} | "
                     f"{r['total_km']} | {r['blocking_pairs']} | {r['seconds']} | {r.get('cpu_seconds', '')} | "
                     f"{r['peak_mb']} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--child", nargs=2, metavar=("METHOD", "INSTANCE"), help=argparse.SUPPRESS)
    ap.add_argument("--generate", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--check", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="only the 1k scenarios")
    ap.add_argument("--only", action="append", help="scenario name (repeatable)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", help="also write the rows as JSON here")
    a = ap.parse_args()
    if a.child or a.generate or a.check:
        if a.child:
            measure_baseline(*a.child)
        elif a.generate:
            generate_child(*a.generate)
        else:
            check_child(*a.check)
        return
    names = a.only or (list(QUICK) if a.quick else list(SCENARIOS))
    rows = run(names, a.workers, a.seed)
    if a.out:
        Path(a.out).write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print(table(rows))


if __name__ == "__main__":
    main()
