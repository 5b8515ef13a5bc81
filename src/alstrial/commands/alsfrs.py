"""``alstrial alsfrs``: score one ALSFRS-R visit on the command line."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from alstrial.domain.alsfrs import AlsfrsR, delta_fs
from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.staging import kings_stage, mitos_stage


def score_visit(
    scores: list[str], gastrostomy: bool = False, onset_months: float | None = None
) -> dict:
    """The documented JSON object for one visit (docs/interfaces.md, 'Command line', ``alstrial
    alsfrs``)."""
    visit = AlsfrsR.from_sequence(scores, gastrostomy=gastrostomy)
    kings = kings_stage(visit)
    result = {
        "total": visit.total,
        **visit.subscores(),
        "kings_stage": kings.stage,
        "kings_flags": list(kings.flags),
        "mitos_stage": mitos_stage(visit),
    }
    if onset_months is not None:
        result["delta_fs"] = round(delta_fs(visit.total, onset_months), 4)
    return result


def alsfrs(
    items: Annotated[
        list[str], typer.Argument(help="Twelve item scores 0-4 in order 1..12.", show_default=False)
    ],
    gastrostomy: Annotated[
        bool, typer.Option("--gastrostomy", help="Item 5 is 5b (with gastrostomy).")
    ] = False,
    onset_months: Annotated[
        float | None, typer.Option("--onset-months", help="Months from symptom onset, for dFS.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
) -> None:
    """Score one ALSFRS-R visit: total, subscores, King's and MiToS stages, dFS."""
    # Unknown options reach here as items (so that "-1" gets the item message): name them.
    unknown = [item for item in items if item.startswith("--")]
    if unknown:
        typer.echo(f"error: no such option: {', '.join(unknown)}", err=True)
        raise typer.Exit(2)
    try:
        result = score_visit(items, gastrostomy, onset_months)
    except ValidationError as error:
        for field_error in error.errors:
            typer.echo(f"error: {field_error.message}", err=True)
        raise typer.Exit(2) from None
    except FieldError as error:  # e.g. --onset-months 0: dFS needs time since onset
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(result))
        return
    flags = f" ({', '.join(result['kings_flags'])})" if result["kings_flags"] else ""
    typer.echo(f"ALSFRS-R total      {result['total']:>3} / 48")
    for key, label in (
        ("bulbar", "bulbar"),
        ("fine_motor", "fine motor"),
        ("gross_motor", "gross motor"),
        ("respiratory", "respiratory"),
    ):
        typer.echo(f"  {label:<17} {result[key]:>3} / 12")
    typer.echo(f"King's stage        {result['kings_stage']}{flags}")
    typer.echo(f"MiToS stage         {result['mitos_stage']}")
    if "delta_fs" in result:
        typer.echo(f"dFS                 {result['delta_fs']:.3f} points/month")


def register(app: typer.Typer) -> None:
    # A negative score (``-1``) must reach the item check, which names the item, rather than be
    # rejected by the option parser as an unknown option.
    app.command("alsfrs", context_settings={"ignore_unknown_options": True})(alsfrs)
