"""Production serving: gunicorn running the WSGI app with :mod:`alstrial.web.production`.

``alstrial serve --production`` calls :func:`serve_production`. Several such servers may share
one PostgreSQL database behind a reverse proxy (docs/operations.md); each is stateless apart
from the database (sessions, log-in throttling and the audit trail all live there).
"""

from __future__ import annotations

import os

import django
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.urls import get_resolver
from gunicorn.app.base import BaseApplication

PRODUCTION_SETTINGS = "alstrial.web.production"

#: Seconds a worker may spend on one request before gunicorn replaces it. Longer than SQLite's
#: busy timeout (20 s), so a writer waiting for the lock answers (saved, or 503) before it is
#: killed; a report download may take a few seconds more.
WORKER_TIMEOUT_SECONDS = 60


class PendingMigrations(RuntimeError):
    """The database schema is older than the code; migrate once per release before serving."""


class _Gunicorn(BaseApplication):
    """gunicorn's documented custom-application hook, with our WSGI app and options."""

    def __init__(self, application, options: dict):
        self.application = application
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.application


def check_ready() -> None:
    """Refuse to serve a database with unapplied migrations (several servers must not race to
    migrate one database); gather static files for the reverse proxy."""
    executor = MigrationExecutor(connections["default"])
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in pending[:5])
        raise PendingMigrations(
            f"{len(pending)} unapplied migration(s) ({names}); run 'alstrial manage migrate' "
            "once for this release, then start the servers"
        )
    call_command("collectstatic", interactive=False, verbosity=0)


def gunicorn_options(host: str, port: int, workers: int) -> dict:
    """The gunicorn settings we rely on (documented in docs/operations.md)."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "sync",
        "timeout": WORKER_TIMEOUT_SECONDS,
        "graceful_timeout": 30,
        # Recycle workers now and then so a slow leak cannot grow without bound.
        "max_requests": 5000,
        "max_requests_jitter": 500,
        "accesslog": "-",
        # gunicorn's default line plus the time the worker spent on the request (ms).
        "access_log_format": '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms',
        "errorlog": "-",
        # Only the local reverse proxy may set X-Forwarded-* headers.
        "forwarded_allow_ips": "127.0.0.1,::1",
        # gunicorn 24+ opens a control socket at one fixed path per user; several servers on
        # one machine would fight over it, and we manage workers through signals instead.
        "control_socket_disable": True,
    }


def import_views() -> None:
    """Import every view module (and pandas, scipy, matplotlib behind them) in the master
    process, before gunicorn forks its workers. Django imports them at a worker's first
    request otherwise: about 3 s during which that worker's first users wait, again each time
    a worker is recycled, and a copy of every module per worker instead of one shared."""
    get_resolver().url_patterns  # noqa: B018 - the property imports the URLconf and views


def serve_production(host: str, port: int, workers: int) -> None:
    """Check the database, then run gunicorn in this process until it is stopped."""
    os.environ["DJANGO_SETTINGS_MODULE"] = PRODUCTION_SETTINGS
    django.setup()

    check_ready()
    application = get_wsgi_application()
    import_views()
    # Forked workers must open their own database connections.
    connections.close_all()
    _Gunicorn(application, gunicorn_options(host, port, workers)).run()
