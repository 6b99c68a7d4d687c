"""How long this disk takes to make a small write durable: the wait every commit has.

PostgreSQL acknowledges a commit after its WAL record is flushed (``fdatasync`` here, the
default ``wal_sync_method`` on Linux), so a slow flush stalls every submission in flight at
that moment. This writes 8 KB and calls ``fdatasync`` in a loop (5 ms apart, like a trickle of
commits) for ``--seconds`` and prints the latency percentiles and the slowest flushes.

    .venv/bin/python benchmarks/fsync_latency.py --seconds 20 --dir /var/lib/postgresql
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time


def measure(directory: str, seconds: float, pause_s: float) -> list[float]:
    """Milliseconds of each ``fdatasync`` of an 8 KB append to a file in ``directory``."""
    latencies: list[float] = []
    with tempfile.NamedTemporaryFile(dir=directory, prefix="fsync-probe-") as probe:
        block = b"x" * 8192
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            os.write(probe.fileno(), block)
            start = time.perf_counter()
            os.fdatasync(probe.fileno())
            latencies.append((time.perf_counter() - start) * 1000)
            time.sleep(pause_s)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--dir", default=tempfile.gettempdir(),
                        help="a folder on the disk to test (PostgreSQL's data disk)")
    parser.add_argument("--pause-ms", type=float, default=5.0)
    args = parser.parse_args()
    latencies = sorted(measure(args.dir, args.seconds, args.pause_ms / 1000))
    count = len(latencies)

    def at(share: float) -> float:
        return latencies[min(count - 1, int(count * share))]

    print(f"{count} flushes in {args.seconds:g} s on {args.dir}: p50 {at(0.5):.2f} ms, "
          f"p99 {at(0.99):.2f} ms, p99.9 {at(0.999):.2f} ms, max {latencies[-1]:.2f} ms")
    print("slowest:", ", ".join(f"{value:.0f}" for value in latencies[-5:][::-1]), "ms; over "
          f"100 ms: {sum(value > 100 for value in latencies)}")


if __name__ == "__main__":
    main()
