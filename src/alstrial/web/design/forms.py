"""The design simulator's form: a shipped design, its parameters, and the power curve to draw.

What a valid design is, the design decides: the form builds the changed design with
:meth:`alstrial.simulation.designs.Design.with_changes` and shows each error it raises (named by
TOML key, e.g. ``enrolment.min_lead_in_decline``) next to the field that set that key. The form
itself only bounds the cost of a request (:data:`MAX_TRIALS_PER_POINT` and friends), so that the
page answers in a few seconds on a shared server.
"""

from __future__ import annotations

import math

from django import forms

from alstrial.domain.errors import ValidationError
from alstrial.simulation.designs import ANALYSES, Design, list_designs, load_design
from alstrial.simulation.power import CURVE_PARAMETERS, parse_values
from alstrial.web.design.simulator import MODELS, CurveRequest

#: Cost bounds of one request (the vectorized engine simulates about 1,000 trials of 30 + 30
#: subjects per second and core; a page should answer in a few seconds on 2 shared cores).
MAX_TRIALS_PER_POINT = 2000
MAX_POINTS = 6
MAX_TRIALS_PER_REQUEST = 8000
MAX_SUBJECTS_PER_ARM = 200
MAX_FOLLOW_UP_MONTHS = 24.0
#: ALSFRS-R declines by about 1 point/month (docs/domain.md, 'Natural history'): larger effects are
#: typos.
MAX_ABS_EFFECT = 5.0

DEFAULT_DESIGN = "kim2009"
DEFAULT_TRIALS = 500
DEFAULT_SEED = 1

#: The form field that sets each design key named by ``Design.with_changes`` errors.
FIELD_FOR_KEY = {
    "n": "n",
    "arms.treated": "n",
    "arms.control": "n",
    "matching.pool": "n",
    "follow_up_months": "follow_up_months",
    "schedule.follow_up_visits": "follow_up_months",
    "enrolment.min_lead_in_decline": "min_lead_in_decline",
    "enrolment.max_lead_in_decline": "max_lead_in_decline",
    "enrolment.max_months_since_onset": "max_months_since_onset",
    "dropout.per_month": "dropout_per_month",
    "effect.delay_months": "effect_delay_months",
    "analysis.alpha": "alpha",
    "analysis.primary": "primary",
    "analysis.multiplicity": "multiplicity",
    "analysis.prognostic_correlation": "prognostic_correlation",
    "arms.control_source": "prognostic_correlation",
}


def _finite_or_none(value: float) -> float | None:
    """An open bound (infinite) is a blank field."""
    return value if math.isfinite(value) else None


def default_values(over: str, n: int, follow_up_months: float) -> str:
    """Curve points around the current value of ``over`` (the form's initial text)."""
    if over == "n":
        points = sorted({max(2, min(MAX_SUBJECTS_PER_ARM, round(n * f))) for f in (0.5, 1, 1.5, 2)})
        return ",".join(str(p) for p in points)
    if over == "effect":
        return "0,0.25,0.5,0.75,1"
    months = [
        follow_up_months * k for k in (1, 2, 3, 4) if follow_up_months * k <= MAX_FOLLOW_UP_MONTHS
    ]
    return ",".join(f"{m:g}" for m in months)


def curve_points_field(over: str, n: str, follow_up_months: str) -> forms.BoundField:
    """The curve points field preset for ``over`` around the form's current ``n`` and
    follow-up (texts as typed; unreadable ones fall back to the default design's)."""
    fallback = load_design(DEFAULT_DESIGN)
    try:
        subjects = int(n)
    except ValueError:
        subjects = fallback.n_treated
    try:
        months = float(follow_up_months)
    except ValueError:
        months = fallback.follow_up_months
    if not 0 < months <= MAX_FOLLOW_UP_MONTHS:
        months = fallback.follow_up_months
    if over not in CURVE_PARAMETERS:
        over = "n"
    form = SimulatorForm(initial={"values": default_values(over, subjects, months)})
    return form["values"]


class SimulatorForm(forms.Form):
    design = forms.ChoiceField(label="Design (designs/)")
    primary = forms.ChoiceField(
        label="Primary analysis",
        required=False,
        choices=[("", "the design's own")]
        + [(k, f"{k}: {a.description}") for k, a in ANALYSES.items()],
        help_text="Decides each trial (mixed_model_slope_change: the two-arm piecewise mixed "
        "model, REML, fitted in every simulated trial). Blank: the design's own.",
    )
    model = forms.ChoiceField(
        label="Natural-history model",
        choices=[(key, label) for key, (label, _) in MODELS.items()],
        help_text="Literature: skewed slopes, acceleration, floor, deaths and dropout. Linear: "
        "normal slopes, straight lines, no death or dropout; Edland's closed form describes it "
        "(without lead-in selection, dropout or registry controls).",
    )
    over = forms.ChoiceField(
        label="Power curve over",
        choices=[(key, f"{key} ({unit})") for key, unit in CURVE_PARAMETERS.items()],
    )
    values = forms.CharField(
        label="Curve points",
        help_text=f"e.g. 20,40,60 or 20:80:20 (start:stop:step); at most {MAX_POINTS} points.",
    )
    effect = forms.FloatField(
        label="Effect, points/month",
        min_value=-MAX_ABS_EFFECT,
        max_value=MAX_ABS_EFFECT,
        help_text="Slope change of the treated from the first dose (0 = type I error). "
        "Ignored when the curve is over the effect.",
    )
    n = forms.IntegerField(
        label="Subjects per arm",
        max_value=MAX_SUBJECTS_PER_ARM,
        help_text="Both arms when the design has controls; a multi-arm design: the control "
        "arm, the dose arms keeping their ratio.",
    )
    follow_up_months = forms.FloatField(
        label="Follow-up, months after the first dose", max_value=MAX_FOLLOW_UP_MONTHS
    )
    min_lead_in_decline = forms.FloatField(
        label="Entry rule: lead-in decline at least, points/month",
        required=False,
        help_text="Blank: no lower bound.",
    )
    max_lead_in_decline = forms.FloatField(
        label="Entry rule: lead-in decline at most, points/month",
        required=False,
        help_text="Blank: no upper bound.",
    )
    max_months_since_onset = forms.FloatField(
        label="Entry rule: months since onset at most", required=False, help_text="Blank: any."
    )
    dropout_per_month = forms.FloatField(
        label="Dropout hazard per month",
        help_text="Besides the model's own deaths and dropouts.",
    )
    effect_delay_months = forms.FloatField(label="Effect starts after, months")
    alpha = forms.FloatField(label="Significance level (two-sided)")
    multiplicity = forms.ChoiceField(
        label="Multiplicity rule (multi-arm designs)",
        required=False,
        choices=[("", "the design's own"), ("dunnett", "Dunnett"), ("holm", "Bonferroni-Holm")],
        help_text="Each dose arm against the control, familywise level alpha. Blank: the "
        "design's own (none for two arms).",
    )
    prognostic_correlation = forms.FloatField(
        label="Prognostic-score correlation (PROCOVA)",
        required=False,
        help_text="rho of a prognostic score with the outcome under control; the between-arm "
        "t analyses adjust for it (ANCOVA). Blank or 0: no score.",
    )
    trials = forms.IntegerField(
        label="Trials per point",
        min_value=1,
        max_value=MAX_TRIALS_PER_POINT,
        help_text=f"At most {MAX_TRIALS_PER_POINT:,} per point and "
        f"{MAX_TRIALS_PER_REQUEST:,} per request.",
    )
    seed = forms.IntegerField(label="Seed", min_value=0, max_value=2**32 - 1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["design"].choices = [(name, name) for name in list_designs()]
        self.fields["primary"].choices = [("", "the design's own")] + [
            (key, f"{key}: {spec.description}") for key, spec in ANALYSES.items()
        ]
        self.curve_request: CurveRequest | None = None

    @classmethod
    def for_design(cls, name: str) -> SimulatorForm:
        """An unbound form showing design ``name``'s own parameters (unknown: the default)."""
        if name not in list_designs():
            name = DEFAULT_DESIGN
        design = load_design(name)
        rules = design.enrolment
        return cls(
            initial={
                "design": name,
                "primary": design.primary,
                "model": "literature",
                "over": "n",
                "values": default_values("n", design.n_treated, design.follow_up_months),
                "effect": design.effect,
                # A multi-arm design's n is its control arm (the dose arms keep their ratio).
                "n": design.n_control if design.is_multi_arm else design.n_treated,
                "follow_up_months": design.follow_up_months,
                "min_lead_in_decline": _finite_or_none(rules.min_lead_in_decline),
                "max_lead_in_decline": _finite_or_none(rules.max_lead_in_decline),
                "max_months_since_onset": _finite_or_none(rules.max_months_since_onset),
                "dropout_per_month": design.dropout_per_month,
                "effect_delay_months": design.effect_delay_months,
                "alpha": design.alpha,
                "multiplicity": design.multiplicity,
                "prognostic_correlation": design.prognostic_correlation or None,
                "trials": DEFAULT_TRIALS,
                "seed": DEFAULT_SEED,
            }
        )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        values = self._curve_values(data)
        design = self._changed_design(data)
        if values is None or design is None:
            return data
        self._check_points(design, data["over"], values)
        if not self.errors:
            self.curve_request = CurveRequest(
                design=design,
                model=data["model"],
                over=data["over"],
                values=tuple(values),
                trials=data["trials"],
                seed=data["seed"],
                effect=data["effect"],
            )
        return data

    def _curve_values(self, data) -> list[float] | None:
        """The curve points, within the request's cost bounds."""
        try:
            values = parse_values(data["values"])
        except ValueError:
            self.add_error(
                "values",
                "write numbers separated by commas, or start:stop:step (start <= stop, step > 0)",
            )
            return None
        if not values:
            self.add_error("values", "give at least one point")
        elif len(values) > MAX_POINTS:
            self.add_error("values", f"at most {MAX_POINTS} points, got {len(values)}")
        elif len(values) * data["trials"] > MAX_TRIALS_PER_REQUEST:
            self.add_error(
                "trials",
                f"{len(values)} points x {data['trials']:,} trials exceeds "
                f"{MAX_TRIALS_PER_REQUEST:,} trials per request",
            )
        elif not all(math.isfinite(v) for v in values):
            self.add_error("values", "points must be finite numbers")
        elif data["over"] == "n" and any(v != int(v) for v in values):
            self.add_error("values", "subjects per arm must be whole numbers")
        elif data["over"] == "n" and max(values) > MAX_SUBJECTS_PER_ARM:
            self.add_error("values", f"at most {MAX_SUBJECTS_PER_ARM} subjects per arm")
        elif data["over"] == "effect" and max(abs(v) for v in values) > MAX_ABS_EFFECT:
            self.add_error("values", f"effects are at most {MAX_ABS_EFFECT:g} points/month")
        elif data["over"] == "follow_up" and max(values) > MAX_FOLLOW_UP_MONTHS:
            self.add_error("values", f"at most {MAX_FOLLOW_UP_MONTHS:g} months of follow-up")
        else:
            return values
        return None

    def _changed_design(self, data) -> Design | None:
        """The chosen design with the form's parameters, validated by the design itself."""
        rules = {
            "min_lead_in_decline": _bound(data["min_lead_in_decline"], -math.inf),
            "max_lead_in_decline": _bound(data["max_lead_in_decline"], math.inf),
            "max_months_since_onset": _bound(data["max_months_since_onset"], math.inf),
        }
        design = load_design(data["design"])
        primary = data.get("primary") or design.primary
        analyses = {
            "primary": primary,
            "secondary": tuple(a for a in design.secondary if a != primary),
        }
        try:
            return design.with_changes(
                **analyses,
                n=data["n"],
                follow_up_months=data["follow_up_months"],
                dropout_per_month=data["dropout_per_month"],
                effect_delay_months=data["effect_delay_months"],
                alpha=data["alpha"],
                multiplicity=data.get("multiplicity") or design.multiplicity,
                prognostic_correlation=data.get("prognostic_correlation") or 0.0,
                enrolment=rules,
            )
        except ValidationError as error:
            self._add_design_errors(error)
            return None

    def _check_points(self, design: Design, over: str, values: list[float]) -> None:
        """Each point of a curve over ``n`` or follow-up is a design of its own: check it."""
        changes = {"n": "n", "follow_up": "follow_up_months"}
        if over not in changes:
            return
        for value in values:
            try:
                design.with_changes(**{changes[over]: int(value) if over == "n" else value})
            except ValidationError as error:
                for message in error.by_field().values():
                    self.add_error("values", f"point {value:g}: {'; '.join(message)}")

    def _add_design_errors(self, error: ValidationError) -> None:
        for key, messages in error.by_field().items():
            field = FIELD_FOR_KEY.get(key)
            for message in messages:
                self.add_error(field, message)


def _bound(value: float | None, open_bound: float) -> float:
    """A blank bound is an open one (infinite)."""
    return open_bound if value is None else value
