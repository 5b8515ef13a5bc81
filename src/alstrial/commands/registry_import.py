"""``alstrial registry import``: PRO-ACT files into the database.

Exit codes: 0 imported (or unchanged: the same files again); 1 refused because of rejected
rows in ``--strict`` mode or patients already stored with other data; 2 a structural error
(missing file or column, unreadable file, another format). Nothing is written unless the whole
import succeeds.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from alstrial.commands.web import setup_django

# Imports rule: Django and alstrial.web are imported inside each command, after setup_django()
# has configured the database from --db / DATABASE_URL (a model imported earlier would bind
# the wrong database); rich's progress bar and alstrial.registry (pandas) wait for the
# command that uses them, so `alstrial --help` stays fast (docs/DEVELOPING.md, "Errors").


def default_report_path() -> Path:
    """``rejected_rows.csv`` beside the SQLite database (PostgreSQL: the working folder)."""
    if os.environ.get("DATABASE_URL"):
        return Path("rejected_rows.csv").resolve()
    from alstrial.web.db import sqlite_path

    return sqlite_path().parent / "rejected_rows.csv"


def run_import(directory: Path, *, db: Path | None, strict: bool, report: Path | None) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    setup_django(db)
    from django.core.management import call_command

    from alstrial.registry.proact import RegistryFormatError, RegistryRejectedRows
    from alstrial.web.registry.importer import RegistryConflictError, import_registry

    call_command("migrate", verbosity=0)
    report_path = Path(report) if report is not None else default_report_path()
    tasks: dict[str, int] = {}
    with Progress(
        TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(), transient=True
    ) as bar:

        def progress(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=max(total, 1))
            bar.update(tasks[step], completed=done, total=max(total, 1))

        try:
            result = import_registry(directory, strict=strict, progress=progress)
        except RegistryFormatError as error:
            typer.echo(f"error: {error}; nothing was imported", err=True)
            raise typer.Exit(2) from None
        except RegistryRejectedRows as error:
            _write_report(error.rejected, report_path)
            typer.echo(f"error: {error}\nnothing was imported (--strict)", err=True)
            typer.echo(f"rejected rows written to {report_path}", err=True)
            raise typer.Exit(1) from None
        except RegistryConflictError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(1) from None
    _write_report(result.rejected, report_path)
    if result.status == "unchanged":
        typer.echo(f"these files were already imported (sha256 {result.content_hash[:16]}):")
        typer.echo("nothing changed")
    for name, count in result.counts.items():
        typer.echo(f"{name:<22} {count:>9}")
    added = result.added
    typer.echo(
        f"added: {added['patients']} patients, {added['alsfrs_rows']} ALSFRS rows, "
        f"{added['fvc_rows']} FVC rows; {result.already_present} patients already present"
    )
    typer.echo(f"rejected rows ({result.counts['rejected_rows']}) listed in {report_path}")


def _write_report(rejected, path: Path) -> None:
    """The rejected rows (file, line, column, value, reason), safe for a spreadsheet: a value
    quoted from the registry is shown as text, never run as a formula."""
    from alstrial.exchange.spreadsheet import write_csv

    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(rejected, path)
