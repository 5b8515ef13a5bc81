"""``alstrial demo``, ``alstrial serve`` and ``alstrial manage``: the trial operations web app.

Django and alstrial.web are imported inside the commands (after ``--db`` has set ``ALSTRIAL_DB``),
and so is the synthetic registry (pandas), so the rest of the command line starts fast and the
database choice is made before settings are read (docs/DEVELOPING.md, "Errors").
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Annotated

import typer

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db", help="SQLite database file (default: $ALSTRIAL_DB or var/alstrial.sqlite3)."
    ),
]


def setup_django(db: Path | None = None) -> None:
    """Point the settings at ``db`` (when given) and start Django."""
    if db is not None:
        os.environ["ALSTRIAL_DB"] = str(Path(db).expanduser().resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alstrial.web.settings")
    import django

    django.setup()


#: Table the demo adds to its database, so that a later demo may replace it (and only it).
DEMO_MARKER_TABLE = "alstrial_demo_marker"


def _is_replaceable(path: Path) -> bool:
    """True for a missing file, a database without subjects, or one an earlier demo made."""
    if not path.exists():
        return True
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master")}
            if DEMO_MARKER_TABLE in tables or "subjects_subject" not in tables:
                return True
            return con.execute("SELECT COUNT(*) FROM subjects_subject").fetchone()[0] == 0
    except sqlite3.DatabaseError:
        return False


def _fresh_sqlite(path: Path) -> None:
    """The demo starts from an empty SQLite file (its WAL and shared-memory files too).

    A database with real subjects (one no demo made) is never deleted: exit 1 instead.
    """
    if not _is_replaceable(path):
        typer.echo(
            f"error: {path} holds subjects and was not made by the demo; "
            "give the demo its own --db PATH",
            err=True,
        )
        raise typer.Exit(1)
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _mark_demo_database() -> None:
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {DEMO_MARKER_TABLE} (made_at TEXT)")
            cursor.execute(f"INSERT INTO {DEMO_MARKER_TABLE} VALUES (datetime('now'))")


def _serve(host: str, port: int) -> None:
    from django.core.management import call_command

    typer.echo(f"Serving at http://{host}:{port}/ (Ctrl-C stops)")
    # insecure_serving: runserver also serves the static files when DEBUG is off (local use).
    call_command("runserver", f"{host}:{port}", use_reloader=False, insecure_serving=True)


def demo(
    out: Annotated[Path, typer.Option("--out", help="Where the demo report goes.")] = Path(
        "out/demo"
    ),
    db: DbOption = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Set up, then exit.")] = False,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
) -> None:
    """Create the demo database (sites, users, both trials, a synthetic cohort), write the
    analysis data and report to OUT, then serve the app."""
    os.environ["ALSTRIAL_DEMO"] = "1"
    if db is None and not os.environ.get("DATABASE_URL"):
        from alstrial.web.db import sqlite_path

        db = sqlite_path()
    if db is not None and not os.environ.get("DATABASE_URL"):
        _fresh_sqlite(Path(db).expanduser().resolve())
    setup_django(db)
    from django.core.management import call_command
    from django.utils import timezone

    from alstrial.web.core.demo import DEMO_PASSWORD, DemoContext, load_all_demo_data
    from alstrial.web.subjects.models import Subject
    from alstrial.web.trials.outputs import write_trial_outputs

    call_command("migrate", verbosity=0)
    if Subject.objects.exists():
        typer.echo("error: the database already holds subjects; give a new --db", err=True)
        raise typer.Exit(1)
    _mark_demo_database()
    ctx = load_all_demo_data(DemoContext(today=timezone.localdate(), log=typer.echo))
    registry = _demo_registry(Path(out) / "registry", ctx.seed)
    # The registry configuration of this process, so the served app's report button draws the
    # same controls as this report (docs/report.md).
    os.environ["ALSTRIAL_REPORT_REGISTRY"] = str(registry.resolve())
    written = write_trial_outputs(ctx.trials["kim2009"], out).files
    typer.echo(f"wrote {len(written)} files to {out} (report: {out}/report.html)")
    if no_serve:
        typer.echo(
            f"serve with ALSTRIAL_REPORT_REGISTRY={registry.resolve()} for the report button "
            "to draw the same registry controls"
        )
    typer.echo("")
    typer.echo(f"Demo users (password '{DEMO_PASSWORD}', demo data only):")
    for username in ctx.users:
        typer.echo(f"  {username}")
    if not no_serve:
        _serve(host, port)


def report(
    trial: Annotated[str, typer.Option("--trial", help="Trial slug, e.g. kim2009.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    db: DbOption = None,
    registry: Annotated[
        Path | None,
        typer.Option(
            "--registry",
            help="PRO-ACT folder for this run's matched external controls (default: "
            "$ALSTRIAL_REPORT_REGISTRY, as the web app; only for a matched_external protocol).",
        ),
    ] = None,
) -> None:
    """The trial's analysis data, tables and HTML/PDF report, from the database (the same
    function as the web app's report button; docs/report.md)."""
    setup_django(db)
    from alstrial.web.trials.models import Trial
    from alstrial.web.trials.outputs import write_trial_outputs

    found = Trial.objects.filter(slug=trial).first()
    if found is None:
        known = ", ".join(Trial.objects.values_list("slug", flat=True)) or "none"
        typer.echo(f"error: no trial {trial!r} in the database (known: {known})", err=True)
        raise typer.Exit(1)
    try:
        written = write_trial_outputs(found, out, registry).files
    except ValueError as error:  # a registry that cannot be read or matched, named
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"wrote {len(written)} files to {out}")


#: Size of the synthetic natural-history registry the demo draws matched controls from.
DEMO_REGISTRY_PATIENTS = 5000


def _demo_registry(folder: Path, seed: int) -> Path:
    """A synthetic PRO-ACT registry (``alstrial.registry.synth``) for Kim's matched controls."""
    from alstrial.registry.synth import synthesize, write_proact

    write_proact(synthesize(DEMO_REGISTRY_PATIENTS, seed), folder)
    return folder


def serve(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    db: DbOption = None,
    production: Annotated[
        bool,
        typer.Option(
            "--production",
            help="gunicorn with the production settings (docs/operations.md); needs "
            "DJANGO_SECRET_KEY and ALSTRIAL_ALLOWED_HOSTS; does not migrate.",
        ),
    ] = False,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="gunicorn worker processes (--production).")
    ] = 4,
) -> None:
    """Apply pending migrations and serve the web app (``--production``: gunicorn)."""
    if production:
        _serve_production(host, port, db, workers)
        return
    setup_django(db)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    _serve(host, port)


def _serve_production(host: str, port: int, db: Path | None, workers: int) -> None:
    """gunicorn with ``alstrial.web.production`` (alstrial.web.serving); configuration errors
    (a missing secret key, unapplied migrations) stop it with a message, not a traceback."""
    from django.core.exceptions import ImproperlyConfigured

    if db is not None:
        os.environ["ALSTRIAL_DB"] = str(Path(db).expanduser().resolve())
    from alstrial.web.serving import PendingMigrations, serve_production

    try:
        serve_production(host, port, workers)
    except (ImproperlyConfigured, PendingMigrations) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def manage(ctx: typer.Context, db: DbOption = None) -> None:
    """Run a Django management command, e.g. ``alstrial manage check --deploy``."""
    setup_django(db)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["alstrial manage", *ctx.args])


def register(app: typer.Typer) -> None:
    """Add this area's commands to ``app``."""
    app.command("demo")(demo)
    app.command("serve")(serve)
    app.command("report")(report)
    app.command(
        "manage",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )(manage)
