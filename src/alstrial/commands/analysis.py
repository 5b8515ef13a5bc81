"""``alstrial analyse``: the efficacy analysis of docs/interfaces.md, 'Analysis data'."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from alstrial.domain.errors import FieldError, ValidationError

# Imports rule: alstrial.analysis, alstrial.registry and alstrial.domain.protocol (numpy, pandas,
# scipy, matplotlib) are imported inside the command that runs them, so `alstrial --help` and the
# other commands start without loading them (docs/DEVELOPING.md, "Errors").

#: Exit status for bad input (unreadable or invalid files, bad options), as ``alstrial alsfrs``.
EXIT_BAD_INPUT = 2


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_BAD_INPUT)


def analyse(
    subjects: Annotated[Path, typer.Option("--subjects", help="subjects.csv", show_default=False)],
    visits: Annotated[Path, typer.Option("--visits", help="visits.csv", show_default=False)],
    registry: Annotated[
        Path | None,
        typer.Option("--registry", help="PRO-ACT folder: draw matched external controls."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write tables (CSV) and figures here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result object.")] = False,
    follow_up_days: Annotated[
        int | None,
        typer.Option(
            "--follow-up-days", help="Follow-up window after index_day (days; default 90)."
        ),
    ] = None,
    protocol: Annotated[
        Path | None,
        typer.Option(
            "--protocol",
            help="Protocol TOML: the follow-up window and time point from its visit windows.",
        ),
    ] = None,
    pre_slope: Annotated[
        str, typer.Option("--pre-slope", help="Lead-in slope definition: ols, two_point, onset.")
    ] = "ols",
    report: Annotated[
        bool, typer.Option("--report", help="Also write the HTML and PDF report into --out.")
    ] = False,
    design: Annotated[
        str,
        typer.Option(
            "--design",
            help="single_arm_lead_in, or randomised (adds the MMRM, ANCOVA and survival).",
        ),
    ] = "single_arm_lead_in",
    df_method: Annotated[
        str,
        typer.Option("--df-method", help="MMRM degrees of freedom: satterthwaite, kenward_roger."),
    ] = "satterthwaite",
    rmst_tau: Annotated[
        float | None,
        typer.Option(
            "--rmst-tau", help="RMST horizon (days; default: the last day both arms are followed)."
        ),
    ] = None,
) -> None:
    """Efficacy analysis: ALSFRS-R slopes, within- and between-arm tests, mixed model."""
    from alstrial.analysis.data import AnalysisDataError, read_analysis_data
    from alstrial.analysis.pipeline import RANDOMISED, ReportRequest, run_pipeline
    from alstrial.analysis.randomised import RandomisedSettings
    from alstrial.analysis.settings import AnalysisSettings, settings_from_protocol
    from alstrial.domain.protocol import load_protocol

    if report and out is None:
        raise _fail("--report needs --out DIR")
    if protocol is not None and follow_up_days is not None:
        raise _fail("give --follow-up-days or --protocol (whose visit windows set it), not both")
    plan = None
    try:
        if protocol is not None:
            declared = load_protocol(protocol)
            settings = settings_from_protocol(declared, pre_slope=pre_slope)
            plan = declared.analysis.plan
        else:
            settings = AnalysisSettings(follow_up_days=follow_up_days or 90, pre_slope=pre_slope)
    except ValueError as error:
        raise _fail(str(error)) from None
    except (FieldError, ValidationError, OSError) as error:
        raise _fail(f"protocol {protocol}: {error}") from None
    try:
        randomised = RandomisedSettings(df_method=df_method, rmst_tau_days=rmst_tau)
    except FieldError as error:
        raise _fail(str(error)) from None
    try:
        data = read_analysis_data(subjects, visits)
    except AnalysisDataError as error:
        typer.echo(f"error: {len(error.errors)} problem(s) in the analysis data:", err=True)
        for problem in error.errors:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    proact = _read_registry(registry) if registry is not None else None
    try:
        result = run_pipeline(
            data,
            settings=settings,
            registry=proact,
            out=out,
            report=ReportRequest() if report else None,
            design=design,
            randomised=randomised,
            plan=plan,
        )
    except AnalysisDataError as error:
        raise _fail(str(error)) from None
    except (FieldError, ValidationError) as error:
        raise _fail(f"registry {registry}: {error}" if registry else str(error)) from None
    if out is not None and not as_json:
        typer.echo(f"wrote {len(result.files)} files to {out}")
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2, allow_nan=False))
    elif out is None:
        planned = result.to_dict()["analysis_plan"]
        if planned is not None:  # the protocol's pre-specified analyses lead
            _print_planned(planned)
            typer.echo("exploratory:")
        elif design == RANDOMISED:  # the randomised comparisons lead; slopes are exploratory
            _print_randomised(result.randomised)
            typer.echo("exploratory:")
        _print_summary(result.efficacy)


def _print_randomised(result) -> None:
    """The randomised analyses in a few lines (docs/analysis.md, "Randomised trials")."""
    d, mmrm = result.mmrm.treatment_difference, result.mmrm
    adjusted = ", KR-adjusted SE" if mmrm.se_adjusted else ""
    typer.echo(
        f"MMRM, change from baseline at {d.visit}, treated - control: {d.estimate:.3f} points "
        f"(95% CI {d.ci_low:.3f} to {d.ci_high:.3f}; SE {d.se:.3f}{adjusted}, "
        f"{mmrm.df_method} df {d.df:.1f}, p = {d.p:.4g})"
    )
    a = result.ancova
    typer.echo(
        f"ANCOVA at {a.visit}: {a.estimate:.3f} points (SE {a.se:.3f}, df {a.df:.0f}, "
        f"p = {a.p:.4g}){' with stratum' if a.stratified else ''}"
    )
    s = result.survival
    typer.echo(
        f"death, tracheostomy or permanent ventilation: events treated {s.events['treated']}, "
        f"control {s.events['control']}; log-rank p = {s.log_rank_p:.4g}; Cox hazard ratio "
        f"{s.cox['hazard_ratio']:.3f} (95% CI {s.cox['ci_low']:.3f} to {s.cox['ci_high']:.3f}, "
        f"p = {s.cox['p']:.4g}); RMST to {s.rmst.tau_days:g} days: difference "
        f"{s.rmst.difference:.1f} days (SE {s.rmst.se:.1f}, p = {s.rmst.p:.4g})"
    )


def _print_planned(planned: dict) -> None:
    """The primary, then the secondaries, as the protocol's analysis plan orders them."""
    for row in planned["results"]:
        low, high, p = row["ci_low"], row["ci_high"], row["p"]
        if row["estimate"] is None:  # e.g. a comparison with controls when none were given
            typer.echo(f"{row['role']}: {row['label']}: not computable from these data")
            continue
        interval = "" if low is None or high is None else f" (95% CI {low:.3f} to {high:.3f})"
        tested = "p not computable" if p is None else f"p = {p:.4g}"
        typer.echo(f"{row['role']}: {row['label']}: {row['estimate']:.3f}{interval}, {tested}")
    if planned["locked_sha256"] is None:
        typer.echo("(analysis plan not locked: the protocol names these analyses)")


def _read_registry(folder: Path):
    """The PRO-ACT registry in ``folder``, or exit 2 naming it."""
    from alstrial.registry.proact import read_registry

    try:
        return read_registry(folder)
    except (OSError, ValueError) as error:
        raise _fail(f"registry {folder}: {error}") from None


def _print_summary(result) -> None:
    """A short text summary; the full numbers are in --json and --out."""
    settings = result.settings
    typer.echo(
        f"ALSFRS-R efficacy analysis (slopes in points/month, negative = decline; months = "
        f"days / {settings.days_per_month}; follow-up {settings.follow_up_days} days; lead-in "
        f"slope {settings.pre_slope})"
    )
    columns = {
        "arm": "arm",
        "n": "n",
        "mean_lead_in_slope": "lead-in slope",
        "mean_follow_up_slope": "follow-up slope",
        "mean_change": "change (points)",
        "paired_t_p": "paired t p",
        "wilcoxon_p": "Wilcoxon p",
    }
    arms = result.summary()
    arms = arms[arms["n"] > 0][list(columns)].rename(columns=columns)
    typer.echo(arms.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    both_arms = all(summary.n > 0 for summary in result.arms.values())
    for outcome, comparison in result.between_arms.items() if both_arms else ():
        d = comparison.difference
        typer.echo(
            f"treated - control, {outcome}: {d.estimate:.3f} (95% CI {d.ci_low:.3f} to "
            f"{d.ci_high:.3f}); Welch p = {comparison.welch_t.p_value:.4g}, Mann-Whitney p = "
            f"{comparison.mann_whitney.p_value:.4g}"
        )
    mixed = result.mixed_treated
    flags = ", singular" if mixed.singular else ""
    typer.echo(
        f"mixed model (treated): slope change {mixed.estimate:.3f} points/month (SE "
        f"{mixed.se:.3f}, p = {mixed.p_value:.4g}; optimizer {mixed.optimizer or '-'}{flags})"
        + (f" {mixed.note}" if mixed.note else "")
    )
    if result.cafs is not None:
        typer.echo(f"CAFS: Mann-Whitney p = {result.cafs.test.p_value:.4g}")
    counts = {k: v for k, v in result.slopes.exclusion_counts().items() if v}
    if counts:
        typer.echo(
            "exclusions and truncations: " + ", ".join(f"{r} {n}" for r, n in counts.items())
        )


def register(app: typer.Typer) -> None:
    app.command("analyse")(analyse)
