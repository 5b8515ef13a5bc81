"""``alstrial export``: SDTM (CSV, XPT, define), ODM 1.3.2 with Dataset-JSON, the data
dictionary and the statisticians' tidy CSV files (docs/exchange.md).

The command line runs as an administrator over every site unless ``--site CODE`` is given.
Exit codes: 0 written; 2 bad input (unknown trial or site) or output that failed its checks,
with a message naming the dataset, variable and subject. Every export is written into a
temporary folder or file moved into place when complete, so a failure leaves nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from alstrial.commands.web import setup_django

# Imports rule: Django and alstrial.web are imported inside each command, after setup_django()
# has configured the database from --db / DATABASE_URL (a model imported earlier would bind
# the wrong database); the exchange writers (pandas, xmlschema) wait for the command that
# uses them, so `alstrial --help` stays fast (docs/DEVELOPING.md, "Errors").

export_app = typer.Typer(
    name="export", help="Export a trial's data (SDTM, ODM, dictionary, CSV).", no_args_is_help=True
)

TrialOption = Annotated[str, typer.Option("--trial", help="Trial slug, e.g. kim2009.")]
DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="SQLite database file (default: $ALSTRIAL_DB or var/...)."),
]
SiteOption = Annotated[
    str | None, typer.Option("--site", help="Only this site's subjects (site code).")
]


def _trial_and_sites(trial_slug: str, db: Path | None, site: str | None):
    """The Trial and the site ids to export (None = every site); exit 2 when unknown."""
    setup_django(db)
    from alstrial.web.core.models import Site
    from alstrial.web.trials.models import Trial

    trial = Trial.objects.filter(slug=trial_slug).first()
    if trial is None:
        known = ", ".join(Trial.objects.values_list("slug", flat=True)) or "none"
        typer.echo(f"error: no trial {trial_slug!r} in the database (trials: {known})", err=True)
        raise typer.Exit(2)
    if site is None:
        return trial, None
    found = Site.objects.filter(code=site).first()
    if found is None:
        typer.echo(f"error: no site {site!r}", err=True)
        raise typer.Exit(2)
    return trial, [found.pk]


def _load(trial_slug: str, db: Path | None, site: str | None, *, audit: bool = False):
    trial, site_ids = _trial_and_sites(trial_slug, db, site)
    from alstrial.web.exchange.extract import trial_data

    return trial, trial_data(trial, site_ids=site_ids, audit=audit)


def _report(paths) -> None:
    for path in paths:
        typer.echo(str(path))


@export_app.command("sdtm")
def sdtm(
    trial: TrialOption,
    out: Annotated[Path, typer.Option("--out", help="Folder for the datasets.")],
    xpt: Annotated[bool, typer.Option("--xpt", help="Also write SAS XPT v5 files.")] = False,
    db: DbOption = None,
    site: SiteOption = None,
) -> None:
    """SDTM DM, AE, SUPPAE, EX, PR, QS, VS, CM, DS as CSV, Dataset-JSON (and XPT), define."""
    from alstrial.exchange.sdtm_write import SdtmConformanceError, write_sdtm

    _, data = _load(trial, db, site)
    try:
        _report(write_sdtm(data, out, xpt=xpt))
    except SdtmConformanceError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


@export_app.command("odm")
def odm(
    trial: TrialOption,
    out: Annotated[Path, typer.Option("--out", help="The ODM XML file to write.")],
    db: DbOption = None,
    site: SiteOption = None,
) -> None:
    """CDISC ODM 1.3.2: study metadata, clinical data and audit records (XSD-checked)."""
    from alstrial.exchange.odm import OdmContentError, build_odm, validate_odm

    found, data = _load(trial, db, site, audit=True)
    from alstrial.exchange.staging import staged_file
    from alstrial.web.exchange.forms import form_specs

    try:
        document = build_odm(data, form_specs(found.protocol))
    except OdmContentError as error:
        typer.echo(f"error: the ODM document cannot be built:\n  {error}", err=True)
        raise typer.Exit(2) from None
    problems = validate_odm(document)
    if problems:
        listed = "\n  ".join(problems[:20])
        typer.echo(f"error: the ODM document fails the ODM 1.3.2 schema:\n  {listed}", err=True)
        raise typer.Exit(2)
    with staged_file(out) as staging:
        staging.write_bytes(document)
    typer.echo(f"{out} (valid against the ODM 1.3.2 schema)")


@export_app.command("dictionary")
def dictionary(
    trial: TrialOption,
    out: Annotated[Path, typer.Option("--out", help="The CSV file to write.")],
    db: DbOption = None,
) -> None:
    """The data dictionary: every form and field (label, type, allowed values, units)."""
    from alstrial.exchange.dictionary import write_dictionary

    found, _ = _trial_and_sites(trial, db, None)
    from alstrial.web.exchange.forms import form_specs

    typer.echo(str(write_dictionary(form_specs(found.protocol), found.protocol, out)))


@export_app.command("csv")
def csv(
    trial: TrialOption,
    out: Annotated[Path, typer.Option("--out", help="Folder for the CSV files.")],
    db: DbOption = None,
    site: SiteOption = None,
) -> None:
    """Tidy CSV per form plus subjects.csv and visits.csv, de-identified (study days)."""
    found, site_ids = _trial_and_sites(trial, db, site)
    from alstrial.web.exchange.statistician import write_statistician_csv

    _report(write_statistician_csv(found, out, site_ids=site_ids))


def register(app: typer.Typer) -> None:
    """Add ``alstrial export ...`` to ``app``."""
    app.add_typer(export_app, name="export")
