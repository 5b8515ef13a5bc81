"""``alstrial protocol``: check a protocol file and show its visit schedule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

# Imports rule: rich and alstrial.domain.protocol (numpy, through the randomisation lists) are
# imported inside the command that uses them, so `alstrial --help` and the other commands start
# without loading them. See docs/DEVELOPING.md, "Errors".

protocol_app = typer.Typer(
    name="protocol",
    help="Trial protocols (TOML files; see docs/protocols.md).",
    no_args_is_help=True,
)


def _schedule_table(protocol):
    from rich.table import Table

    table = Table(title=f"Visit schedule: {protocol.slug} (day 0 = {protocol.day_zero})")
    for column, justify in (
        ("visit", "left"),
        ("name", "left"),
        ("phase / epoch", "left"),
        ("target day", "right"),
        ("window (days)", "right"),
        ("forms", "left"),
    ):
        table.add_column(column, justify=justify)
    for row in protocol.schedule():
        marks = []
        if row.harvest:
            marks.append("harvest")
        if row.administration:
            marks.append(f"dose {row.administration}")
        name = f"{row.name} [{', '.join(marks)}]" if marks else row.name
        table.add_row(
            row.visit,
            name,
            f"{row.phase} / {row.epoch}",
            str(row.day),
            f"{row.earliest_day} to {row.latest_day}",
            ", ".join(row.forms),
        )
    return table


def _count(cells: float) -> str:
    """A cell count in millions, as cell labs write it: ``0.9 x 10^6``, ``60 x 10^6``."""
    if cells < 1e4:
        return f"{cells:g}"
    return f"{cells / 1e6:.4g} x 10^6"


def _interventions_summary(protocol) -> list[str]:
    iv = protocol.interventions
    dose, route, admin = iv.dose, iv.route, iv.administrations
    route_text = route.name
    if route.level:
        route_text += f" ({route.level})"
    if route.pump_rate_ul_per_min:
        route_text += f", pump {route.pump_rate_ul_per_min:g} µl/min"
    gaps = admin.gaps()
    if not gaps:
        interval = ""
    elif len(set(gaps)) == 1:
        interval = f", {gaps[0]} days apart"
    else:
        interval = f", {' then '.join(str(g) for g in gaps)} days apart"
    return [
        f"Harvest: {iv.harvest.procedure.replace('_', ' ')} from the {iv.harvest.site}, "
        f"{iv.harvest.volume_ml:g} ml, at {', '.join(iv.harvest.visits)}",
        f"Product: {iv.product.description}; expansion: {iv.product.expansion_method}; "
        f"at most {iv.product.passages_max} passages; expires {iv.product.expiry_hours:g} h "
        "after formulation",
        f"Dose ({dose.rule}): {_count(dose.target)} {dose.unit} "
        f"(allowed {_count(dose.minimum)} to {_count(dose.maximum)}) in "
        f"{iv.vehicle.volume_ml:g} ml {iv.vehicle.name}",
        f"Route: {route_text}",
        f"Administrations: {admin.count}{interval}, at {', '.join(admin.visits)}",
        *(
            [f"Randomisation: {protocol.randomisation.describe()}"]
            if protocol.randomisation is not None
            else []
        ),
    ]


def check(
    file: Annotated[Path, typer.Argument(help="Protocol file (TOML).", show_default=False)],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the checked protocol and schedule as JSON.")
    ] = False,
) -> None:
    """Validate a protocol file; print its visit schedule and interventions."""
    from rich.console import Console

    from alstrial.domain.protocol import ProtocolError, load_protocol

    try:
        protocol = load_protocol(file)
    except ProtocolError as error:
        for message in error.messages():
            typer.echo(f"error: {message}", err=True)
        typer.echo(f"{file}: {len(error.errors)} problem(s); nothing loaded.", err=True)
        raise typer.Exit(1) from None
    if as_json:
        rows = [row.to_dict() for row in protocol.schedule()]
        typer.echo(json.dumps({"protocol": protocol.to_dict(), "schedule": rows}, indent=2))
        return
    console = Console()
    console.print(f"{protocol.title} (version {protocol.version})", highlight=False)
    console.print(f"Reference: {protocol.reference}", highlight=False)
    console.print(_schedule_table(protocol))
    for line in _interventions_summary(protocol):
        console.print(line, highlight=False)
    console.print(f"{file}: OK ({len(protocol.schedule())} visits)", highlight=False)


def list_protocols() -> None:
    """List the shipped protocols (in protocols/, or the directory $ALSTRIAL_PROTOCOLS names)."""
    from rich.console import Console
    from rich.table import Table

    from alstrial.domain.protocol import ProtocolError, bundled_protocols, protocols_dir

    try:
        protocols = bundled_protocols()
    except ProtocolError as error:
        for message in error.messages():
            typer.echo(f"error: {message}", err=True)
        raise typer.Exit(1) from None
    table = Table(title=f"Protocols in {protocols_dir()}")
    for column in ("slug", "version", "title", "route", "file"):
        table.add_column(column)
    for slug, protocol in protocols.items():
        table.add_row(
            slug,
            protocol.version,
            protocol.title,
            protocol.interventions.route.name,
            Path(protocol.source).name,
        )
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``alstrial protocol ...`` to ``app``."""
    protocol_app.command("check")(check)
    protocol_app.command("list")(list_protocols)
    app.add_typer(protocol_app, name="protocol")
