"""Private services for the fault tests: a Redis and a PostgreSQL cluster we may kill,
and a real forking `rq worker` subprocess configured like the Procfile's.

The shared Redis on 6379 and the shared PostgreSQL on 5432 are never restarted; every
server here runs on a free loopback port and dies with its fixture.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(predicate: Callable[[], Any], timeout_s: float, what: str | Callable[[], str],
               every_s: float = 0.1) -> Any:
    """The predicate's first true value. ``what`` may be a callable, so that a message naming
    a log is read when the wait times out, not when the wait begins."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(every_s)
    raise AssertionError(f"timed out after {timeout_s}s waiting for "
                         f"{what() if callable(what) else what}")


class RedisServer:
    """``redis-server`` without persistence: a restart loses everything, like a crash."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, 10, "redis-server to answer")
        return self

    def _answers(self) -> bool:
        try:
            with Redis(port=self.port, socket_connect_timeout=0.5) as probe:
                return bool(probe.ping())
        except RedisConnectionError:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def restart(self) -> None:
        self.kill()
        self.start()


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class PostgresCluster:
    """A throwaway cluster: initdb in a temporary directory, owned by ``postgres`` when we
    run as root (PostgreSQL refuses to run as root)."""

    def __init__(self) -> None:
        bindir = _postgres_bin()
        if bindir is None:
            raise FileNotFoundError("initdb (/usr/lib/postgresql/*/bin/initdb)")
        self.bindir = bindir
        # Not under pytest's tmp_path: that is private to root, and the server runs as postgres.
        self.directory = Path(tempfile.mkdtemp(prefix="coordinator-pg-fault-"))
        self.data = self.directory / "data"
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = list(args)
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              timeout=120)
        if done.returncode:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stderr.decode()[-2000:]}")

    def init(self) -> PostgresCluster:
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "-A", "trust", "--no-sync", "-E", "UTF8")
        return self

    def _ctl(self, action: str, *extra: str) -> None:
        self._run(str(self.bindir / "pg_ctl"), action, "-D", str(self.data), "-w",
                  "-l", str(self.directory / "server.log"), *extra)

    def start(self) -> PostgresCluster:
        self._ctl("start", "-o", f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
                  " -c fsync=off")
        return self

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every open connection is cut."""
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._ctl("stop", "-m", "immediate")
        shutil.rmtree(self.directory, ignore_errors=True)

    def answers(self) -> bool:
        try:
            psycopg.connect(self.url, connect_timeout=2).close()
            return True
        except psycopg.OperationalError:
            return False


def worker_env(config: dict[str, Any]) -> dict[str, str]:
    """The app's settings for a separate process, through the COORDINATOR_ prefix
    (``from_prefixed_env`` reads JSON values, so numbers stay numbers)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COORDINATOR_")}
    env["PYTHONPATH"] = str(ROOT)
    env["DATABASE_URL"] = config["DATABASE_URL"]
    env["REDIS_URL"] = config["REDIS_URL"]
    for key, value in config.items():
        if isinstance(value, str | int | float | bool):
            env[f"COORDINATOR_{key}"] = json.dumps(value)
    return env


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in
                Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Background:
    """A process of ours (worker, relay) with its output in a log file, killed as a group."""

    def __init__(self, args: list[str], config: dict[str, Any], log: Path) -> None:
        self.args = args
        # Unbuffered, so the log shows what the process did up to a timeout or a kill.
        self.env = {**worker_env(config), "PYTHONUNBUFFERED": "1"}
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Background:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def kill_all(self) -> None:
        """SIGKILL the process and its children at once (a machine losing power).

        RQ puts each work horse in a process group of its own (``os.setpgrp``), so the
        children are killed by pid as well as the group."""
        if self.process is None:
            return
        if self.process.poll() is None:
            for pid in _children(self.process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def wait(self, timeout_s: float) -> int:
        assert self.process is not None
        code = self.process.wait(timeout_s)
        self.process = None
        return code

    def output(self) -> str:
        """The log's last lines, without traceback frames (they crowd out what happened)."""
        if not self.log.exists():
            return ""
        lines = [line for line in self.log.read_text(errors="replace").splitlines()
                 if line and not line[0].isspace() and "cleaning" not in line]
        return "\n".join(lines[-40:])


def procfile_worker(redis_url: str, queues: list[str]) -> list[str]:
    """The Procfile's ``worker:`` command as argv, with this Redis URL and these queues in
    place of its own (the line ends ``--url URL QUEUE...``; anything else is refused)."""
    line = next(text for text in (ROOT / "Procfile").read_text().splitlines()
                if text.startswith("worker:"))
    argv = shlex.split(line.removeprefix("worker:"))
    url = argv.index("--url")
    if argv[:2] != ["rq", "worker"] or any(arg.startswith("-") for arg in argv[url + 2:]):
        raise ValueError(f"the Procfile's worker line is not `rq worker ... --url URL QUEUE...`: "
                         f"{line}")
    return [str(BIN / "rq"), *argv[1:url], "--url", redis_url, *queues]


class ForkingWorker(Background):
    """``rq worker`` as the Procfile runs it: a main process that forks a work horse per job
    (``workers.worker.AppWorker``: the app built once in the parent, inherited by horses)."""

    def __init__(self, config: dict[str, Any], queues: list[str], log: Path,
                 burst: bool = False) -> None:
        args = procfile_worker(config["REDIS_URL"], queues)
        super().__init__([*args, "--burst"] if burst else args, config, log)

    def horses(self) -> list[int]:
        """Pids of the work horses the worker forked (children of its main process)."""
        if self.process is None:
            return []
        # --with-scheduler forks the scheduler too; the log names its pid.
        schedulers = {int(pid) for pid in re.findall(r"Scheduler for .* started with PID (\d+)",
                                                     self.output())}
        return [pid for pid in _children(self.process.pid) if pid not in schedulers]

    def solvers(self) -> list[int]:
        """Pids of the solver processes (``python -m solver match``) the horses started."""
        return [pid for horse in self.horses() for pid in _children(horse)]


class Relay(Background):
    """``flask events relay`` as the Procfile runs it, polling often."""

    def __init__(self, config: dict[str, Any], log: Path) -> None:
        super().__init__([str(BIN / "flask"), "--app", "coordinator:create_app", "events",
                          "relay", "--interval", "0.2"], config, log)
