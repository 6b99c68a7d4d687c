"""Command line of spec/solver-v1.md.

    python -m solver match INSTANCE.json [-o OUT.json] [--time-limit S] [--workers N]
    python -m solver workshops INSTANCE.json [-o OUT.json] [--time-limit S]
    python -m solver check INSTANCE.json OUT.json

Exit codes: 0 a solution was written (OPTIMAL or FEASIBLE), 3 INFEASIBLE / nothing placed,
2 invalid input (every bad field on stderr by JSON path), 1 anything else.
Progress goes to stderr as JSON lines; stdout carries only the result (when no ``-o``).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import sys
from pathlib import Path
from typing import Any

from solver.errors import InvalidInput
from solver.progress import stderr_progress

EXIT_OK, EXIT_ERROR, EXIT_INVALID, EXIT_INFEASIBLE = 0, 1, 2, 3


def _reject_constant(name: str) -> float:
    # NaN / Infinity are not JSON; Python's json accepts them unless told otherwise.
    raise ValueError(f"{name} is not valid JSON")


def load_json(path: str) -> Any:
    """Read a JSON document; raise InvalidInput with a clear message when it is not JSON."""
    try:
        text = Path(path).read_text(encoding="utf-8") if path != "-" else sys.stdin.read()
    except OSError as exc:
        raise InvalidInput([f"$: cannot read {path}: {exc.strerror}"]) from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput([f"$: {path} is not UTF-8"]) from exc
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InvalidInput([f"$: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"]) from exc
    except ValueError as exc:
        raise InvalidInput([f"$: {exc}"]) from exc


def _write(result: dict[str, Any], out: str | None) -> None:
    # Indented JSON goes through Python's slow encoder; big results (100k placements: 1.7 s)
    # are written compact by the C encoder instead.
    big = len(result.get("assignments", ())) + len(result.get("schedule", ())) > 20_000
    text = json.dumps(result, ensure_ascii=False, indent=None if big else 1)
    if out and out != "-":
        Path(out).write_text(text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")


def _positive(value: str) -> float:
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise argparse.ArgumentTypeError("must be a positive number")
    return number


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m solver", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    match = sub.add_parser("match", help="match visitors to hosts (internship-match/1)")
    match.add_argument("instance")
    match.add_argument("-o", "--output")
    match.add_argument("--time-limit", type=_positive)
    match.add_argument("--workers", type=int)
    shops = sub.add_parser("workshops", help="schedule workshops (internship-workshops/1)")
    shops.add_argument("instance")
    shops.add_argument("-o", "--output")
    shops.add_argument("--time-limit", type=_positive)
    shops.add_argument("--workers", type=int)
    check = sub.add_parser("check", help="independently check a result against its instance")
    check.add_argument("instance")
    check.add_argument("result")
    return parser


def _run_check(instance: Any, result: Any) -> int:
    fmt = instance.get("format") if isinstance(instance, dict) else None
    if fmt == "internship-match/1":
        from solver.match.check import check_match_json

        problems = check_match_json(instance, result)
    elif fmt == "internship-workshops/1":
        from solver.workshops.check import check_workshops_json

        problems = check_workshops_json(instance, result)
    else:
        raise InvalidInput([f"format: expected 'internship-match/1' or 'internship-workshops/1', got {fmt!r}"])
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"check: {len(problems)} problem(s)", file=sys.stderr)
        return EXIT_ERROR
    print("check: ok", file=sys.stderr)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        instance = load_json(args.instance)
        # The parsed document is millions of objects that live to the end: out of the cyclic
        # collector's reach, its passes stop re-walking them (100k visitors: -0.6 s of 6.5 s).
        gc.freeze()
        if args.command == "check":
            return _run_check(instance, load_json(args.result))
        if args.command == "match":
            from solver.match.api import solve_match_json

            result = solve_match_json(
                instance, time_limit_s=args.time_limit, workers=args.workers, progress=stderr_progress
            )
            nothing_done = result["objective"]["placed"] == 0
        else:
            from solver.workshops.api import solve_workshops_json

            result = solve_workshops_json(
                instance, time_limit_s=args.time_limit, workers=args.workers, progress=stderr_progress
            )
            nothing_done = result["objective"]["scheduled"] == 0
        _write(result, args.output)
        return EXIT_INFEASIBLE if nothing_done or result["status"] == "INFEASIBLE" else EXIT_OK
    except InvalidInput as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - the CLI promises exit 1, never a traceback dump
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR
