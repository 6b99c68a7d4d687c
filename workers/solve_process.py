"""Run the matching solver in a child process, so that a cancelled run stops at once.

OR-Tools does not stop for a signal or a flag in the middle of a search (or-tools #1886), and
the solver reports progress only between its phases, which are seconds apart on big rounds. A
child process (``python -m solver match``, the same CLI one runs by hand) can be killed the
moment a coordinator cancels. Progress arrives as the CLI's JSON lines on stderr.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from solver.errors import InvalidInput
from solver.progress import Progress

ROOT = Path(__file__).resolve().parents[1]
EXIT_OK, EXIT_INVALID, EXIT_INFEASIBLE = 0, 2, 3
PR_SET_PDEATHSIG = 1


class SolveCancelled(Exception):
    """The run was cancelled; the solver process was killed."""


def _die_with_parent() -> None:
    # A worker killed with SIGKILL takes its solver along instead of leaving it running.
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _read_lines(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _progress(line: str) -> Progress | None:
    try:
        data = json.loads(line)
        return Progress(phase=data["phase"], elapsed_s=data["elapsed_s"],
                        objective=data.get("objective"), bound=data.get("bound"),
                        detail=data.get("detail") or {})
    except (ValueError, KeyError, TypeError):
        return None


def solve_match_in_child(instance: dict[str, Any], *, time_limit_s: float,
                         on_progress: Callable[[Progress], None],
                         should_stop: Callable[[], bool], poll_s: float = 0.2) -> dict[str, Any]:
    """The solver's result JSON; SolveCancelled when ``should_stop`` said so first."""
    with tempfile.TemporaryDirectory(prefix="solve-") as tmp:
        source, target = Path(tmp) / "instance.json", Path(tmp) / "result.json"
        source.write_text(json.dumps(instance), encoding="utf-8")
        command = [sys.executable, "-m", "solver", "match", str(source), "-o", str(target),
                   "--time-limit", str(time_limit_s), "--workers", "1"]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
        lines: queue.Queue[str | None] = queue.Queue()
        errors: list[str] = []
        with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True, env=env, preexec_fn=_die_with_parent) as child:
            reader = threading.Thread(target=_read_lines, args=(child.stderr, lines),
                                      daemon=True)
            reader.start()
            finished = False
            while not finished:
                deadline = time.monotonic() + poll_s
                while (wait := deadline - time.monotonic()) > 0:
                    try:
                        line = lines.get(timeout=wait)
                    except queue.Empty:
                        break
                    if line is None:
                        finished = True
                        break
                    progress = _progress(line)
                    if progress is not None:
                        on_progress(progress)
                    else:
                        errors.append(line.rstrip())
                if not finished and should_stop():
                    child.kill()
                    child.wait()
                    reader.join()
                    raise SolveCancelled()
            reader.join()
            code = child.wait()
        if code in (EXIT_OK, EXIT_INFEASIBLE):
            return json.loads(target.read_text(encoding="utf-8"))
        if code == EXIT_INVALID:
            raise InvalidInput(errors)
        raise RuntimeError(f"the solver exited with {code}: {' | '.join(errors[-3:])}")
