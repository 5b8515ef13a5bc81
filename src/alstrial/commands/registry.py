"""``alstrial registry``: write synthetic PRO-ACT registries (synth) and check real ones."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from alstrial.commands.registry_import import run_import

# Imports rule: alstrial.registry and alstrial.exchange (numpy, pandas) are imported inside the
# command that uses them, so `alstrial --help` and the other commands start without loading them.
# See docs/DEVELOPING.md, "Errors".

registry_app = typer.Typer(
    name="registry",
    help="Natural-history registries in PRO-ACT format.",
    no_args_is_help=True,
)


@registry_app.command("synth")
def synth(
    patients: Annotated[int, typer.Option("--patients", min=1, help="Number of subjects.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same files).")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the PRO-ACT files into.")],
    original_share: Annotated[
        float,
        typer.Option(
            "--original-share", min=0.0, max=1.0, help="Share of subjects on the original ALSFRS."
        ),
    ] = 0.0,
    error_share: Annotated[
        float,
        typer.Option(
            "--error-share", min=0.0, max=1.0, help="Share of ALSFRS-R rows given an error."
        ),
    ] = 0.0,
) -> None:
    """Write a synthetic natural-history registry in PRO-ACT format."""
    from alstrial.registry.synth import synthesize, write_proact

    started = time.perf_counter()
    registry = synthesize(patients, seed, original_share=original_share, error_share=error_share)
    written = write_proact(registry, out)
    for form, path in written.items():
        typer.echo(f"{path}  {len(registry.forms[form]):>9} rows")
    if len(registry.injected):
        errors = out / "injected_errors.csv"
        registry.injected.to_csv(errors, index=False)
        typer.echo(f"{len(registry.injected)} injected error rows listed in {errors}")
    typer.echo(f"{patients} subjects, seed {seed}, {time.perf_counter() - started:.1f} s")


@registry_app.command("check")
def check(
    directory: Annotated[Path, typer.Argument(help="Folder holding the PRO-ACT CSV files.")],
    strict: Annotated[bool, typer.Option("--strict", help="Fail on any rejected row.")] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the rejected rows to this CSV.")
    ] = None,
) -> None:
    """Read a PRO-ACT folder without importing it: counts and rejected rows."""
    from alstrial.registry.proact import RegistryFormatError, RegistryRejectedRows, read_registry

    try:
        registry = read_registry(directory, strict=strict)
    except RegistryFormatError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    except RegistryRejectedRows as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    for name, count in registry.counts().items():
        typer.echo(f"{name:<22} {count:>9}")
    if len(registry.rejected):
        typer.echo("problems by file and column:")
        by_column = registry.rejected.groupby(["file", "column"]).size()
        for (file, column), count in by_column.sort_values(ascending=False).items():
            typer.echo(f"  {file:<28} {column:<34} {count:>7}")
    if report is not None:
        from alstrial.exchange.spreadsheet import write_csv

        write_csv(registry.rejected, report)
        typer.echo(f"rejected rows written to {report}")


@registry_app.command("import")
def import_(
    directory: Annotated[Path, typer.Argument(help="Folder holding the PRO-ACT CSV files.")],
    db: Annotated[
        Path | None,
        typer.Option("--db", help="SQLite database file (default: $ALSTRIAL_DB or var/...)."),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Refuse the whole import on any rejected row.")
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Rejected rows CSV (default: rejected_rows.csv by the db)."),
    ] = None,
) -> None:
    """Import PRO-ACT files into the database in one transaction (see docs/exchange.md)."""
    run_import(directory, db=db, strict=strict, report=report)


def register(app: typer.Typer) -> None:
    """Add ``alstrial registry ...`` to ``app``."""
    app.add_typer(registry_app, name="registry")
