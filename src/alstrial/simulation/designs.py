"""Trial designs for simulation: declared in TOML files (``designs/``), read into :class:`Design`.

A design is data, not code (docs/DEVELOPING.md, 'Patterns a new module follows'): who is enrolled,
when they are seen, who the controls are, how the treatment acts and which analysis decides. The
file format is documented in ``docs/simulation.md``; every key is checked here and a bad one raises
a :class:`~alstrial.domain.errors.ValidationError` naming the file and the key.

Time in a design is in months relative to the first dose (month 0 = baseline, the last lead-in
visit). A slope is signed points/month (docs/domain.md, 'Slopes'): negative is decline.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.simulation.analyses import ANALYSES as ANALYSES  # the designs' vocabulary
from alstrial.simulation.analyses import AnalysisSpec as AnalysisSpec

#: Where the shipped designs live: ``designs/`` at the top of the repository.
DESIGNS_DIR = Path(__file__).resolve().parents[3] / "designs"

#: Multiplicity rules of a multi-arm design's primary analysis (:mod:`.multiplicity`).
MULTIPLICITY_RULES = ("dunnett", "holm")

#: Who the controls are: none (single arm), randomized concurrent controls, or untreated
#: patients matched from a natural-history registry.
CONTROL_SOURCES = ("none", "randomized", "registry")


#: Patient covariates that registry controls can be matched on (natural-history ``Patients``).
MATCHING_COVARIATES = ("age_years", "months_since_onset", "baseline_total")
#: Default distance scales: about one between-patient SD (docs/domain.md, 'Natural history': age SD
#: 11 years, baseline ALSFRS-R SD 4-6 points; disease duration at entry, about a year).
DEFAULT_SCALES = {"age_years": 10.0, "months_since_onset": 12.0, "baseline_total": 5.0}


@dataclass(frozen=True)
class Enrolment:
    """Who is enrolled, checked at baseline (month 0) after the lead-in.

    ``min_lead_in_decline``/``max_lead_in_decline`` bound the lead-in OLS decline in points/month
    (decline = minus the slope, so 0.5 means "losing at least 0.5 points/month"); ALSUMMIT's
    entry rule, a 17-week decline of 1.03 points/month +-50% (docs/domain.md, 'The reference
    studies'), is ``0.515``..``1.545``. ``max_screened`` is how many candidates are screened per
    place to fill; a trial that cannot fill from ``n * max_screened`` candidates runs short and is
    counted.
    """

    min_lead_in_decline: float = -math.inf
    max_lead_in_decline: float = math.inf
    min_baseline_total: float = 0.0
    max_months_since_onset: float = math.inf
    max_screened: int = 4


@dataclass(frozen=True)
class Matching:
    """Registry controls: greedy nearest-neighbour matching without replacement.

    Each treated subject in enrolment order takes the nearest unused registry patient, the
    distance being Euclidean on the covariates each divided by its scale in ``scales`` (fixed,
    so the matching of a trial never depends on other trials). ``pool`` registry patients are
    drawn per trial.
    """

    pool: int = 200
    covariates: tuple[str, ...] = ("age_years", "months_since_onset")
    scales: tuple[float, ...] = (10.0, 12.0)


@dataclass(frozen=True)
class Design:
    """One simulated trial design (see ``docs/simulation.md`` for the TOML format).

    ``lead_in_visits`` end with 0 (baseline); ``follow_up_visits`` are > 0; both in months from
    the first dose. The treatment changes the slope by ``effect`` points/month from
    ``effect_delay_months`` after the first dose; ``effect`` is given at run time (the design's
    own ``effect`` is the default). With a finite ``effect_duration_months`` the change lasts
    that long after each dose (from its delay) and stops when no dose covers the time: the
    repeated-dose model of :func:`.trials.treatment_shift`. ``dropout_per_month`` is a constant
    hazard of leaving after baseline, on top of the natural-history model's own death and
    dropout.
    """

    name: str
    title: str
    source: str
    n_treated: int
    n_control: int
    control_source: str
    lead_in_visits: tuple[float, ...]
    follow_up_visits: tuple[float, ...]
    doses: tuple[float, ...]
    primary: str
    secondary: tuple[str, ...] = ()
    alpha: float = 0.05
    effect: float = 0.0
    effect_delay_months: float = 0.0
    effect_duration_months: float = math.inf
    dropout_per_month: float = 0.0
    enrolment: Enrolment = field(default_factory=Enrolment)
    matching: Matching = field(default_factory=Matching)
    dose_arms: tuple[int, ...] = ()
    dose_effects: tuple[float, ...] = ()
    multiplicity: str = ""
    prognostic_correlation: float = 0.0

    @property
    def is_multi_arm(self) -> bool:
        """Several dose arms against one randomized control (``arms.dose_arms``)."""
        return len(self.dose_arms) >= 2

    @property
    def comparisons(self) -> tuple[str, ...]:
        """The comparisons each analysis makes, treated minus control: one for a two-arm
        design (``""``), ``dose 1``, ``dose 2``, ... for a multi-arm one."""
        if not self.is_multi_arm:
            return ("",)
        return tuple(f"dose {k + 1}" for k in range(len(self.dose_arms)))

    @property
    def outcome_rows(self) -> tuple[tuple[str, int], ...]:
        """``(analysis, comparison index)`` of each row of the engines' outcome arrays: every
        comparison of the primary analysis, then of each secondary one (for a two-arm design,
        one row per analysis)."""
        return tuple((name, k) for name in self.analyses for k in range(len(self.comparisons)))

    def comparison_effect(self, effect: float, comparison: int) -> float:
        """The slope change of a comparison's dose arm when the run's effect is ``effect``
        (points/month): ``effect`` times the arm's ``effect.dose_arm_fractions`` entry."""
        if not self.is_multi_arm:
            return effect
        return effect * self.dose_effects[comparison]

    @property
    def analyses(self) -> tuple[str, ...]:
        """The primary analysis first, then the secondary ones."""
        return (self.primary, *self.secondary)

    @property
    def visit_months(self) -> tuple[float, ...]:
        """Every visit, months from the first dose (lead-in, baseline 0, follow-up)."""
        return (*self.lead_in_visits, *self.follow_up_visits)

    @property
    def follow_up_months(self) -> float:
        """Length of follow-up after the first dose, months."""
        return self.follow_up_visits[-1]

    @property
    def lead_in_months(self) -> float:
        """Length of the lead-in before baseline, months (0 without a lead-in)."""
        return -self.lead_in_visits[0]

    def with_changes(self, **changes: Any) -> Design:
        """A copy with some fields changed (``n``, ``follow_up_months`` are understood too).

        ``n`` sets both arms (a multi-arm design: the control arm, the dose arms keeping their
        ratio; ``n_control`` too when the design has controls; a registry pool
        grows with it, keeping its size per control, so matching stays as close);
        ``follow_up_months`` keeps the follow-up visits up to that month, adding it as the last
        visit if needed, at the design's visit spacing. ``enrolment`` and ``matching`` may be
        dicts of the fields to change (``enrolment={"min_lead_in_decline": 0.5}``). The copy is
        validated; a bad value or unknown field raises :class:`ValidationError` naming it (the
        TOML key, e.g. ``enrolment.min_lead_in_decline``), so a web form can show it in place.
        """
        errors = [
            FieldError(key, f"{key} is not a design parameter")
            for key in changes
            if key not in _CHANGEABLE
        ]
        for table, kind in (("enrolment", Enrolment), ("matching", Matching)):
            if isinstance(changes.get(table), dict):
                known = {f.name for f in fields(kind)}
                errors += [
                    FieldError(f"{table}.{k}", f"{table}.{k} is not a design parameter")
                    for k in changes[table]
                    if k not in known
                ]
                if not errors:
                    changes[table] = replace(getattr(self, table), **changes[table])
        if errors:
            raise ValidationError(errors)
        if "n" in changes:
            n = int(changes.pop("n"))
            changes["n_treated"] = n
            if self.is_multi_arm:
                # n is the control arm's size; the dose arms keep the design's ratio.
                ratio = n / self.n_control
                changes["dose_arms"] = tuple(max(2, round(k * ratio)) for k in self.dose_arms)
                changes["n_treated"] = sum(changes["dose_arms"])
            if self.control_source != "none":
                changes["n_control"] = n
            if self.control_source == "registry" and self.n_control:
                per_control = self.matching.pool / self.n_control
                pool = max(self.matching.pool, math.ceil(per_control * n))
                changes["matching"] = replace(self.matching, pool=pool)
        if "follow_up_months" in changes:
            changes["follow_up_visits"] = _stretch_follow_up(
                self.follow_up_visits, float(changes.pop("follow_up_months"))
            )
        design = replace(self, **changes)
        errors = _check(design)
        if errors:
            raise ValidationError(errors)
        return design

    def to_dict(self) -> dict[str, Any]:
        """The design as plain data (for JSON outputs)."""
        return {
            "name": self.name,
            "title": self.title,
            "n_treated": self.n_treated,
            "n_control": self.n_control,
            "control_source": self.control_source,
            "lead_in_visits": list(self.lead_in_visits),
            "follow_up_visits": list(self.follow_up_visits),
            "doses": list(self.doses),
            "primary": self.primary,
            "secondary": list(self.secondary),
            "alpha": self.alpha,
            "effect_delay_months": self.effect_delay_months,
            "effect_duration_months": (
                self.effect_duration_months if math.isfinite(self.effect_duration_months) else None
            ),
            "dropout_per_month": self.dropout_per_month,
            **(
                {"dose_arms": list(self.dose_arms), "dose_arm_fractions": list(self.dose_effects)}
                if self.dose_arms
                else {}
            ),
            # Only when set, so that a design without them reads as before.
            **({"multiplicity": self.multiplicity} if self.multiplicity else {}),
            **(
                {"prognostic_correlation": self.prognostic_correlation}
                if self.prognostic_correlation
                else {}
            ),
        }


#: What :meth:`Design.with_changes` accepts: the fields, plus ``n`` and ``follow_up_months``.
_CHANGEABLE = frozenset({f.name for f in fields(Design)} | {"n", "follow_up_months"})


def _stretch_follow_up(visits: tuple[float, ...], months: float) -> tuple[float, ...]:
    """Follow-up visits up to ``months``, extending at the last visit spacing if longer."""
    if months <= 0:
        raise ValidationError([FieldError("follow_up_months", "must be > 0 months")])
    step = visits[-1] - visits[-2] if len(visits) > 1 else visits[-1]
    kept = [v for v in visits if v < months - 1e-9]
    while kept and kept[-1] + step < months - 1e-9:
        kept.append(kept[-1] + step)
    if not kept:
        start = visits[0]
        kept = [start * k for k in range(1, int(months / start) + 1) if start * k < months - 1e-9]
    return (*kept, months)


def list_designs() -> list[str]:
    """Names of the shipped designs in ``designs/``."""
    return sorted(p.stem for p in DESIGNS_DIR.glob("*.toml"))


def load_design(name_or_path: str | Path) -> Design:
    """A design by name (a file in ``designs/``) or by path to a TOML file."""
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        path = DESIGNS_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        known = ", ".join(list_designs())
        raise ValidationError(
            [FieldError("design", f"no design file {str(name_or_path)!r} (shipped: {known})")]
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ValidationError([FieldError("design", f"{path}: not valid TOML: {error}")]) from None
    return design_from_dict(data, source_name=str(path))


def design_from_dict(data: dict[str, Any], source_name: str = "design") -> Design:
    """Build and validate a design from the parsed TOML tables; errors name ``file: key``."""
    reader = _Reader(data, source_name)
    arms = reader.table("arms")
    schedule = reader.table("schedule")
    enrolment = reader.table("enrolment")
    matching = reader.table("matching")
    effect = reader.table("effect")
    analysis = reader.table("analysis")
    dropout = reader.table("dropout")
    covariates = tuple(reader.get(matching, "matching.covariates", list, list(Matching.covariates)))
    dose_arms = tuple(reader.get(arms, "arms.dose_arms", list, []))
    # A multi-arm design's treated subjects are its dose arms' (arms.treated may be left out).
    n_treated_default = sum(dose_arms) if dose_arms and _all_ints(dose_arms) else None
    design = Design(
        name=reader.get(data, "name", str, None),
        title=reader.get(data, "title", str, ""),
        source=reader.get(data, "source", str, ""),
        n_treated=reader.get(arms, "arms.treated", int, n_treated_default),
        n_control=reader.get(arms, "arms.control", int, 0),
        control_source=reader.get(arms, "arms.control_source", str, "none"),
        lead_in_visits=tuple(reader.get(schedule, "schedule.lead_in_visits", list, [0.0])),
        follow_up_visits=tuple(reader.get(schedule, "schedule.follow_up_visits", list, None)),
        doses=tuple(reader.get(schedule, "schedule.doses", list, [0.0])),
        primary=reader.get(analysis, "analysis.primary", str, None),
        secondary=tuple(reader.get(analysis, "analysis.secondary", list, [])),
        alpha=reader.get(analysis, "analysis.alpha", float, 0.05),
        effect=reader.get(effect, "effect.slope_change", float, 0.0),
        effect_delay_months=reader.get(effect, "effect.delay_months", float, 0.0),
        effect_duration_months=reader.get(effect, "effect.duration_months", float, math.inf),
        dropout_per_month=reader.get(dropout, "dropout.per_month", float, 0.0),
        dose_arms=dose_arms,
        dose_effects=tuple(reader.get(effect, "effect.dose_arm_fractions", list, [])),
        multiplicity=reader.get(analysis, "analysis.multiplicity", str, ""),
        prognostic_correlation=reader.get(analysis, "analysis.prognostic_correlation", float, 0.0),
        enrolment=Enrolment(
            min_lead_in_decline=reader.get(
                enrolment, "enrolment.min_lead_in_decline", float, -math.inf
            ),
            max_lead_in_decline=reader.get(
                enrolment, "enrolment.max_lead_in_decline", float, math.inf
            ),
            min_baseline_total=reader.get(enrolment, "enrolment.min_baseline_total", float, 0.0),
            max_months_since_onset=reader.get(
                enrolment, "enrolment.max_months_since_onset", float, math.inf
            ),
            max_screened=reader.get(enrolment, "enrolment.max_screened", int, 4),
        ),
        matching=Matching(
            pool=reader.get(matching, "matching.pool", int, 200),
            covariates=covariates,
            scales=tuple(
                reader.get(
                    matching,
                    "matching.scales",
                    list,
                    [DEFAULT_SCALES.get(c, 1.0) for c in covariates],
                )
            ),
        ),
    )
    reader.errors.extend(_check(design, source_name))
    if reader.errors:
        raise ValidationError(reader.errors)
    return design


def _all_ints(values) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


class _Reader:
    """Reads typed values from the TOML tables, collecting every error before raising."""

    def __init__(self, data: dict[str, Any], source_name: str):
        self.data = data
        self.source_name = source_name
        self.errors: list[FieldError] = []

    def table(self, name: str) -> dict[str, Any]:
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            self.errors.append(FieldError(name, f"{self.source_name}: [{name}] must be a table"))
            return {}
        return value

    def get(self, table: dict[str, Any], key: str, kind: type, default: Any) -> Any:
        value = table.get(key.rsplit(".", 1)[-1], default)
        if value is None:
            self.errors.append(FieldError(key, f"{self.source_name}: {key} is required"))
            return kind() if kind is not float else 0.0
        if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if kind is list and isinstance(value, list):
            return value
        if isinstance(value, kind) and not isinstance(value, bool):
            return value
        self.errors.append(
            FieldError(key, f"{self.source_name}: {key} must be {kind.__name__}, got {value!r}")
        )
        return kind() if kind is not float else 0.0


def _check(design: Design, where: str = "design") -> list[FieldError]:
    """Every inconsistency in a design, as errors naming ``where: key``."""
    errors: list[FieldError] = []

    def bad(key: str, message: str) -> None:
        errors.append(FieldError(key, f"{where}: {key} {message}"))

    if design.n_treated < 2:
        bad("arms.treated", f"must be at least 2, got {design.n_treated}")
    if design.control_source not in CONTROL_SOURCES:
        bad("arms.control_source", f"must be one of {', '.join(CONTROL_SOURCES)}")
    elif design.control_source == "none" and design.n_control:
        bad("arms.control", "must be 0 when control_source is 'none'")
    elif design.control_source != "none" and design.n_control < 2:
        bad("arms.control", f"must be at least 2, got {design.n_control}")
    for key, visits in (
        ("schedule.lead_in_visits", design.lead_in_visits),
        ("schedule.follow_up_visits", design.follow_up_visits),
        ("schedule.doses", design.doses),
    ):
        if not visits or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in visits
        ):
            bad(key, "must be a non-empty list of months")
            return errors
        if any(b <= a for a, b in itertools.pairwise(visits)):
            bad(key, "must be strictly increasing")
    if design.lead_in_visits[-1] != 0:
        bad("schedule.lead_in_visits", "must end with 0 (baseline, the day of the first dose)")
    if design.follow_up_visits[0] <= 0:
        bad("schedule.follow_up_visits", "must be after month 0")
    if design.doses[0] != 0:
        bad("schedule.doses", "must start with 0 (the first dose defines month 0)")
    for name in design.analyses:
        if name not in ANALYSES:
            bad("analysis.primary", f"names an unknown analysis {name!r} ({', '.join(ANALYSES)})")
        elif ANALYSES[name].needs_controls and design.control_source == "none":
            bad("analysis.primary", f"{name!r} needs a control arm")
        elif ANALYSES[name].needs_lead_in and len(design.lead_in_visits) < 2:
            bad("analysis.primary", f"{name!r} needs at least 2 lead-in visits")
    if not 0 < design.alpha < 1:
        bad("analysis.alpha", "must be between 0 and 1")
    if design.effect_delay_months < 0:
        bad("effect.delay_months", "must be >= 0")
    if not design.effect_duration_months > 0:
        bad("effect.duration_months", "must be > 0 months (leave it out for a lasting effect)")
    if design.dropout_per_month < 0:
        bad("dropout.per_month", "must be >= 0")
    errors.extend(_check_arms(design, where))
    if not 0 <= design.prognostic_correlation < 1:
        bad("analysis.prognostic_correlation", "must be >= 0 and < 1")
    elif design.prognostic_correlation and (design.is_multi_arm or not design.n_control):
        bad("analysis.prognostic_correlation", "needs a two-arm design with controls")
    rules = design.enrolment
    if rules.max_screened < 1:
        bad("enrolment.max_screened", "must be at least 1")
    if rules.min_lead_in_decline > rules.max_lead_in_decline:
        bad("enrolment.min_lead_in_decline", "must not exceed max_lead_in_decline")
    if len(design.lead_in_visits) < 2 and (
        math.isfinite(rules.min_lead_in_decline) or math.isfinite(rules.max_lead_in_decline)
    ):
        bad("enrolment.min_lead_in_decline", "needs at least 2 lead-in visits")
    match = design.matching
    if design.control_source == "registry":
        unknown = [c for c in match.covariates if c not in MATCHING_COVARIATES]
        if unknown or not match.covariates:
            bad("matching.covariates", f"must be among {', '.join(MATCHING_COVARIATES)}")
        if len(match.scales) != len(match.covariates) or not all(
            isinstance(s, int | float) and s > 0 for s in match.scales
        ):
            bad("matching.scales", "must give one positive scale per covariate")
        if design.n_control > design.n_treated:
            bad("arms.control", "must not exceed arms.treated (one match per treated subject)")
        if match.pool < design.n_control:
            bad("matching.pool", f"must be at least arms.control ({design.n_control})")
    return errors


def _check_arms(design: Design, where: str) -> list[FieldError]:
    """A multi-arm design's keys: dose arm sizes summing to ``arms.treated``, one effect
    fraction per arm, randomized controls, a stated multiplicity rule, between-arm analyses."""
    errors: list[FieldError] = []

    def bad(key: str, message: str) -> None:
        errors.append(FieldError(key, f"{where}: {key} {message}"))

    if not design.dose_arms:
        if design.dose_effects:
            bad("effect.dose_arm_fractions", "needs arms.dose_arms")
        if design.multiplicity:
            bad("analysis.multiplicity", "applies only to a multi-arm design (arms.dose_arms)")
        return errors
    if len(design.dose_arms) < 2 or not _all_ints(design.dose_arms) or min(design.dose_arms) < 2:
        bad("arms.dose_arms", "must list at least 2 dose arms of at least 2 subjects each")
        return errors
    if sum(design.dose_arms) != design.n_treated:
        bad("arms.treated", f"must equal the sum of arms.dose_arms ({sum(design.dose_arms)})")
    if design.control_source != "randomized":
        bad("arms.control_source", "must be 'randomized' for a multi-arm design")
    if len(design.dose_effects) != len(design.dose_arms) or not all(
        isinstance(f, int | float) and not isinstance(f, bool) and math.isfinite(f)
        for f in design.dose_effects
    ):
        bad("effect.dose_arm_fractions", "must give one number per dose arm")
    if design.multiplicity not in MULTIPLICITY_RULES:
        bad("analysis.multiplicity", f"must be one of {', '.join(MULTIPLICITY_RULES)}")
    for name in design.analyses:
        if name in ANALYSES and not ANALYSES[name].needs_controls:
            bad("analysis.primary", f"{name!r} is not a between-arm analysis")
    return errors
