"""A throw-away production server on loopback, for the load benchmark and the fault tests.

:class:`ThrowawayDatabase` makes a fresh SQLite file or PostgreSQL database (and drops it
afterwards); :class:`ProductionServer` runs ``alstrial serve --production`` (gunicorn) on a free
127.0.0.1 port against it, in its own process group so that a test can kill every process of
the server at once (SIGKILL, a power cut for the application).
"""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

#: Seconds a server may take to answer its first request.
START_TIMEOUT_SECONDS = 60


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThrowawayDatabase:
    """A new empty database: a SQLite file in ``folder``, or, when ``postgres_url`` is given
    (``postgres://user@host:port/db``), a new database on that server. ``env`` points a
    subprocess at it; :meth:`drop` removes a PostgreSQL one."""

    def __init__(self, folder: Path, postgres_url: str | None = None):
        self.postgres_url = postgres_url
        if postgres_url:
            self.name = f"alstrial_tmp_{uuid.uuid4().hex[:12]}"
            self._admin("CREATE DATABASE {}")
            self.env = {"DATABASE_URL": postgres_url.rsplit("/", 1)[0] + "/" + self.name}
        else:
            self.name = str(Path(folder) / f"alstrial-{uuid.uuid4().hex[:12]}.sqlite3")
            self.env = {"ALSTRIAL_DB": self.name}

    @property
    def vendor(self) -> str:
        return "postgresql" if self.postgres_url else "sqlite"

    def _admin(self, statement: str) -> None:
        import psycopg
        from psycopg import sql

        # The server's maintenance database: the one named in the URL may not exist (pytest-django
        # works in test_<name>).
        maintenance = self.postgres_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(sql.SQL(statement).format(sql.Identifier(self.name)))

    def drop(self) -> None:
        if self.postgres_url:
            self._admin("DROP DATABASE IF EXISTS {} WITH (FORCE)")


def environment(database: ThrowawayDatabase, **extra: str) -> dict[str, str]:
    """The environment of a process working on ``database`` (production settings allowed on
    plain-HTTP loopback)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ALSTRIAL_DB")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(database.env)
    env.update(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        ALSTRIAL_ALLOWED_HOSTS="127.0.0.1",
        ALSTRIAL_PLAIN_HTTP="1",
    )
    env.update(extra)
    return env


def run_python(env: dict, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python ARGS`` with ``env``; raises with its output when it fails."""
    done = subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done


class ProductionServer:
    """``alstrial serve --production`` on a free loopback port; a context manager."""

    def __init__(self, env: dict, workers: int = 2, log: Path | None = None):
        self.env = env
        self.workers = workers
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> ProductionServer:
        alstrial = Path(sys.executable).with_name("alstrial")
        command = [str(alstrial), "serve", "--production", "--port", str(self.port)]
        output = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [*command, "--workers", str(self.workers)],
            env=self.env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() reaches every worker
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}); see {self.log}")
            if self._answers():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not answer within {START_TIMEOUT_SECONDS} s")

    def _answers(self) -> bool:
        """The log-in page answers (any status: a TLS-only server redirects plain HTTP)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            connection.request("GET", "/accounts/login/")
            return connection.getresponse().status < 500
        except OSError:
            return False
        finally:
            connection.close()

    def kill(self) -> None:
        """SIGKILL to the master and every worker at once: no clean-up runs."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """A graceful stop (SIGTERM), then SIGKILL when it takes longer than 30 s."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> ProductionServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
