"""``alstrial backup`` and ``alstrial restore``: the whole database, audit trail included
(alstrial.web.backup; docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from alstrial.commands.web import DbOption, setup_django

# Imports rule: Django and alstrial.web are imported inside each command, after setup_django()
# has configured the database from --db / DATABASE_URL (a model imported earlier would bind
# the wrong database). See docs/DEVELOPING.md, "Errors".


def _fail(error: Exception) -> None:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(1)


def backup(
    out: Annotated[Path, typer.Option("--out", help="The backup file to write.")],
    db: DbOption = None,
) -> None:
    """Back up the database (SQLite online backup; pg_dump for PostgreSQL) to OUT, with a
    SHA-256 checksum file beside it."""
    setup_django(db)
    from alstrial.web.backup import BackupError
    from alstrial.web.backup import backup as run_backup

    try:
        result = run_backup(out)
    except BackupError as error:
        _fail(error)
    typer.echo(f"backed up {result.tables} tables ({result.vendor}) to {result.path}")
    typer.echo(f"sha256 {result.sha256}")


def restore(
    path: Annotated[Path, typer.Argument(help="A backup written by 'alstrial backup'.")],
    db: DbOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that already holds tables.")
    ] = False,
) -> None:
    """Restore a backup into the database, after checking the backup's integrity. Refuses a
    database that is not empty unless --force. Stop the app servers first."""
    setup_django(db)
    from alstrial.web.backup import BackupError
    from alstrial.web.backup import restore as run_restore

    try:
        result = run_restore(path, force=force)
    except BackupError as error:
        _fail(error)
    typer.echo(f"restored {result.tables} tables ({result.vendor}) from {result.path}")


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)
