"""``alstrial simulate``: operating characteristics of a trial design by simulation.

Contract: docs/interfaces.md, 'Simulation output' (``alstrial simulate``); user guide:
``docs/simulation.md``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from alstrial.domain.errors import ValidationError

# Imports rule: alstrial.simulation and alstrial.registry (numpy, scipy, pandas, matplotlib,
# joblib, dask) are imported inside the command that runs them, so `alstrial --help` and the
# other commands start without loading them. See docs/DEVELOPING.md, "Errors".

MODELS = ("literature", "linear")


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _write_atomically(path: Path, write) -> None:
    """Write through a temporary file in the same folder, so a file is whole or absent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _model(name: str, calibrate: Path | None):
    """The natural-history model and its label: named, or calibrated from a PRO-ACT folder."""
    from alstrial.simulation import natural_history

    if calibrate is not None:
        from alstrial.registry.proact import read_registry
        from alstrial.registry.proact_csv import RegistryFormatError

        if not calibrate.is_dir():
            raise _fail(f"--calibrate: {calibrate} is not a folder")
        try:
            registry = read_registry(calibrate)
        except RegistryFormatError as error:
            raise _fail(f"--calibrate: {error}") from None
        rejected = registry.counts()["rejected_rows"]
        if rejected:
            typer.echo(f"note: {rejected} registry row(s) rejected and left out", err=True)
        return natural_history.calibrate(registry), f"calibrated from {calibrate}"
    if name not in MODELS:
        raise _fail(f"--model must be one of {', '.join(MODELS)}, got {name!r}")
    model = natural_history.NaturalHistory.literature()
    if name == "linear":
        model = natural_history.NaturalHistory.linear()
    return model, name


def simulate(
    design: Annotated[str, typer.Argument(help="A design name in designs/ or a TOML file.")],
    trials: Annotated[int, typer.Option("--trials", min=1, help="Simulated trials.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed.")] = 0,
    effect: Annotated[
        float | None,
        typer.Option(
            "--effect", help="Treatment's slope change, points/month (default: the design's, 0)."
        ),
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", help="vectorized (default) or reference.")
    ] = "vectorized",
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Dask scheduler address, or 'local' for a LocalCluster."),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs", min=-1, help="Workers here (joblib or LocalCluster); -1: all cores."
        ),
    ] = 2,
    per_trial: Annotated[
        Path | None,
        typer.Option("--per-trial", help="CSV: trial, estimate, p_value, reject."),
    ] = None,
    model_name: Annotated[
        str, typer.Option("--model", help="Natural history: literature (default) or linear.")
    ] = "literature",
    calibrate: Annotated[
        Path | None,
        typer.Option("--calibrate", help="Estimate the natural history from a PRO-ACT folder."),
    ] = None,
    curve: Annotated[
        str | None,
        typer.Option("--curve", help="Power curve over n, effect or follow_up (months)."),
    ] = None,
    values: Annotated[
        str | None,
        typer.Option("--values", help="Curve values: '20,30,40' or start:stop:step."),
    ] = None,
    curve_table: Annotated[
        Path | None, typer.Option("--curve-table", help="Write the power curve as CSV.")
    ] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write the power curve figure (png/pdf/svg).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
) -> None:
    """Simulate a trial design: rejection rate (type I error at effect 0, power otherwise)."""
    from alstrial.simulation.designs import load_design
    from alstrial.simulation.engines import ENGINES, Simulation, SimulationInterrupted

    if engine not in ENGINES:
        raise _fail(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if jobs == 0:
        raise _fail("--jobs must be at least 1, or -1 for every core")
    try:
        chosen = load_design(design)
    except ValidationError as error:
        for field_error in error.errors:
            typer.echo(f"error: {field_error.message}", err=True)
        raise typer.Exit(2) from None
    model, model_label = _model(model_name, calibrate)
    if curve is not None:
        run = {
            "trials": trials,
            "seed": seed,
            "effect": effect,
            "engine": engine,
            "n_jobs": jobs,
            "scheduler": scheduler,
        }
        _power_curve(chosen, model, curve, values, run, curve_table, plot, as_json)
        return
    simulation = Simulation(
        chosen,
        model=model,
        effect=effect,
        engine=engine,
        n_jobs=jobs,
        scheduler=scheduler,
        progress=not as_json,
        model_name=model_label,
    )
    try:
        result = simulation.run(trials, seed)
    except SimulationInterrupted as stop:
        raise _fail(str(stop), 130) from None
    if per_trial is not None:
        _write_atomically(per_trial, lambda p: result.per_trial().to_csv(p, index=False))
    closed_form = _closed_form(chosen, model, result.effect)
    if as_json:
        typer.echo(json.dumps({**result.to_dict(), "closed_form": closed_form}))
        return
    _print_result(result)
    if closed_form["applies"] and "multi_arm" in closed_form:
        power = closed_form["multi_arm"]
        arms = " / ".join(f"{p:.4f}" for p in power["arm_power"])
        typer.echo(
            f"closed form       {power['rule']}: per dose arm {arms}, any {power['any_power']:.4f}"
            " (normal, linear model)"
        )
    elif closed_form["applies"]:
        typer.echo(
            f"Edland power      {closed_form['edland_power']:.4f} (normal), "
            f"{closed_form['edland_power_t']:.4f} (t): closed form, linear model"
        )


def _closed_form(design, model, effect: float) -> dict:
    """Edland's closed-form power for the run, or why it does not apply."""
    from alstrial.simulation.edland import edland_power, edland_problems

    problems = edland_problems(design, model)
    if problems:
        return {"applies": False, "why_not": problems}
    if design.is_multi_arm:
        from alstrial.simulation.multi_arm import multi_arm_power

        sizes = (design.n_control, *design.dose_arms)
        effects = tuple(design.comparison_effect(effect, k) for k in range(len(sizes) - 1))
        power = multi_arm_power(design, model, sizes, effects, rule=design.multiplicity)
        return {"applies": True, "multi_arm": power.to_dict()}
    rho = design.prognostic_correlation
    return {
        "applies": True,
        "edland_power": edland_power(design, model, effect, prognostic_correlation=rho),
        "edland_power_t": edland_power(
            design, model, effect, distribution="t", prognostic_correlation=rho
        ),
    }


def _print_result(result) -> None:
    primary = result.primary
    low, high = primary.rejection_rate_ci
    kind = "type I error" if result.effect == 0 else "power"
    typer.echo(f"design            {result.design.name}: {result.design.title}")
    typer.echo(f"model             {result.model}; engine {result.engine}; seed {result.seed}")
    typer.echo(f"effect            {result.effect:+.3f} points/month from the first dose")
    comparison = f", {primary.comparison} vs control" if primary.comparison else ""
    typer.echo(
        f"analysis          {primary.analysis}{comparison} (two-sided, alpha "
        f"{result.design.alpha}; unadjusted)"
        if comparison
        else f"analysis          {primary.analysis} (two-sided, alpha {result.design.alpha})"
    )
    typer.echo(
        f"rejection rate    {primary.rejection_rate:.4f} ({kind}); 95% CI (Wilson) "
        f"{low:.4f}-{high:.4f}; {result.trials} trials"
    )
    typer.echo(f"declared effective {primary.declared_effective_rate:.4f} (rejected, estimate > 0)")
    typer.echo(
        f"mean estimate     {primary.mean_estimate:+.4f} (target {primary.target:+.4f}, "
        f"bias {primary.bias:+.4f}, Monte Carlo SE {primary.mean_estimate_se:.4f})"
    )
    if result.multiplicity is not None:
        rule = result.multiplicity
        for comparison, rate in zip(rule.comparisons, rule.rejection_rates, strict=True):
            typer.echo(f"  {comparison} vs control, {rule.rule}: rejection rate {rate:.4f}")
        a_low, a_high = rule.any_rate_ci
        typer.echo(
            f"  any dose arm, {rule.rule}: rejection rate {rule.any_rate:.4f} "
            f"({a_low:.4f}-{a_high:.4f}; familywise error at effect 0)"
        )
    for other in result.analyses[1:]:
        o_low, o_high = other.rejection_rate_ci
        label = f"{other.analysis} ({other.comparison})" if other.comparison else other.analysis
        typer.echo(
            f"  {'primary' if other.analysis == primary.analysis else 'secondary'} {label}: "
            f"rejection rate {other.rejection_rate:.4f} "
            f"({o_low:.4f}-{o_high:.4f}), mean estimate {other.mean_estimate:+.4f}"
        )
    if result.short_trials:
        typer.echo(f"short trials      {result.short_trials} could not fill every place")
    typer.echo(f"engine time       {result.seconds:.3f} s")


def _power_curve(design, model, over, values, run: dict, table, plot, as_json) -> None:
    """``--curve``: simulate each point (``run``: keyword arguments of ``power_curve``)."""
    from alstrial.simulation.power import CURVE_PARAMETERS, parse_values, power_curve

    if over not in CURVE_PARAMETERS:
        raise _fail(f"--curve must be one of {', '.join(CURVE_PARAMETERS)}, got {over!r}")
    if not values:
        raise _fail("--values is required with --curve (e.g. 20,30,40 or 10:60:10)")
    try:
        points = parse_values(values)
    except ValueError as error:
        raise _fail(f"--values: {error}") from None
    from alstrial.simulation.engines import SimulationInterrupted

    try:
        frame = power_curve(design, over, points, model=model, **run)
    except ValidationError as error:
        raise _fail(str(error)) from None
    except SimulationInterrupted as stop:
        raise _fail(str(stop), 130) from None
    if table is not None:
        _write_atomically(table, lambda p: frame.to_csv(p, index=False))
    if plot is not None:
        from alstrial.simulation.plots import plot_power_curve

        figure = plot_power_curve(frame, title=design.title, alpha=design.alpha)
        suffix = plot.suffix.lstrip(".") or "png"
        _write_atomically(plot, lambda p: figure.savefig(p, format=suffix))
    if as_json:
        records = json.loads(frame.to_json(orient="records"))
        typer.echo(json.dumps({"design": design.name, "over": over, "points": records}))
        return
    typer.echo(frame.to_string(index=False))


def register(app: typer.Typer) -> None:
    """Add ``alstrial simulate``."""
    app.command("simulate")(simulate)
