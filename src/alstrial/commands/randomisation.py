"""``alstrial randomisation``: the statistician's dry run of a protocol's allocation scheme."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from alstrial.domain.errors import ValidationError

# Imports rule: alstrial.domain.protocol and alstrial.domain.randomisation (numpy) are imported
# inside the command that uses them: at the top they were most of the start-up time of every
# `alstrial` command. See docs/DEVELOPING.md, "Errors".

randomisation_app = typer.Typer(
    name="randomisation",
    help="Randomisation schemes (the protocol's [randomisation] section; docs/randomisation.md).",
    no_args_is_help=True,
)

#: The dry run's columns (a public contract: docs/interfaces.md).
COLUMNS = ("randomisation_number", "stratum", "block", "arm")


def stratum_code(levels: tuple[str, ...]) -> str:
    """A stratum as it is written in files: its levels joined by ``/`` (``all`` without
    stratification), e.g. ``bulbar/fast``."""
    return "/".join(levels) if levels else "all"


def generate(
    protocol: Annotated[Path, typer.Option("--protocol", help="Protocol file (TOML).")],
    subjects: Annotated[
        int,
        typer.Option(
            "--subjects",
            help="Subjects per stratum list (permuted blocks), or subjects in all (minimisation).",
            min=1,
        ),
    ],
    seed: Annotated[int, typer.Option("--seed", help="Seed (a whole number >= 0).", min=0)],
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
) -> None:
    """Write what the scheme would allocate, one row per subject per stratum list.

    The same protocol, subjects and seed always give the same file. Nothing is written when
    the protocol or the arguments are refused (exit 2).
    """
    from alstrial.domain.protocol import ProtocolError, load_protocol
    from alstrial.domain.randomisation import dry_run

    try:
        scheme = load_protocol(protocol).randomisation
        if scheme is None:
            typer.echo(f"error: {protocol}: the protocol has no [randomisation] section", err=True)
            raise typer.Exit(2)
        allocations = dry_run(scheme, seed, subjects)
    except ProtocolError as error:
        for message in error.messages():
            typer.echo(f"error: {message}", err=True)
        raise typer.Exit(2) from None
    except ValidationError as error:
        for field, messages in error.by_field().items():
            for message in messages:
                typer.echo(f"error: --{field}: {message}", err=True)
        raise typer.Exit(2) from None
    _write_atomically(
        out,
        (
            (a.randomisation_number, stratum_code(a.stratum), a.block or "", a.arm)
            for a in allocations
        ),
    )
    typer.echo(
        f"{out}: {len(allocations)} allocations ({scheme.describe()}); seed {seed}",
    )


def _write_atomically(out: Path, rows) -> None:
    """Write the CSV beside ``out`` and rename it into place, so a failure leaves nothing."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(COLUMNS)
            writer.writerows(rows)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def register(app: typer.Typer) -> None:
    """Add ``alstrial randomisation ...`` to ``app``."""
    randomisation_app.command("generate")(generate)
    app.add_typer(randomisation_app, name="randomisation")
