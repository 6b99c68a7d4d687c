"""An open-loop load generator: requests on a fixed schedule, whatever the server does.

A closed loop (like ``wrk``) waits for each answer before the next request, so a stalled
server quietly lowers the rate it is offered. Here request ``i`` is due at ``start + i/rate``
and its latency counts from that moment, so a stall shows up as latency (the coordinated
omission correction), and the achieved rate tells whether the server kept up.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from typing import Any


def run_open_loop(port: int, path: str, body_for: Callable[[int], bytes], *, rate: int,
                  duration_s: float, connections: int) -> dict[str, Any]:
    """POST ``body_for(i)`` to ``path`` ``rate`` times a second for ``duration_s`` seconds
    over ``connections`` keep-alive connections; counts, rate and latency percentiles."""
    total = int(rate * duration_s)
    start = time.monotonic() + 0.5
    lock = threading.Lock()
    next_index = [0]
    latencies: list[float] = []
    statuses: dict[str, int] = {}

    def sender() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while True:
            with lock:
                index = next_index[0]
                next_index[0] += 1
            if index >= total:
                conn.close()
                return
            scheduled = start + index / rate
            delay = scheduled - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            try:
                conn.request("POST", path, body=body_for(index),
                             headers={"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                status = str(response.status)
            except OSError as exc:
                status = type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            finished = time.monotonic()
            with lock:
                latencies.append(finished - scheduled)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=sender) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    latencies.sort()
    ok = statuses.get("201", 0)

    def percentile(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000, 2)

    return {"mode": f"fixed {rate}/s (open loop, {connections} connections)",
            "requests": total, "ok": ok, "errors": total - ok, "seconds": round(elapsed, 2),
            "per_s": round(ok / elapsed, 1), "p50_ms": percentile(50), "p99_ms": percentile(99),
            "max_ms": round(latencies[-1] * 1000, 2), "statuses": statuses}
