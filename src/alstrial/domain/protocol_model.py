"""A trial protocol as data: the frozen dataclasses and the vocabularies they draw from.

The TOML file format is documented in ``docs/protocols.md``; ``protocol_parse`` reads and checks
it. Days are relative to the protocol's explicit day-0 anchor (``Protocol.day_zero``); volumes are
in ml, cell doses in cells/kg of body weight (``per_kg``) or cells (``fixed``), percentages in %.
Sources: docs/domain.md, 'The reference studies' (studies), 'Cell product' (release criteria, ISCT /
Dominici 2006), 8 (expected adverse events) and 9 (SDTM epochs and routes).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta

from alstrial.domain.analysis_plan import AnalysisPlan
from alstrial.domain.edit_checks import EditCheck
from alstrial.domain.randomisation import RandomisationScheme

#: Case report forms a visit can require. The web app builds its forms from this list.
FORMS: tuple[str, ...] = (
    "consent",
    "eligibility",
    "alsfrs_r",
    "fvc",
    "vitals",
    "weight",
    "mri_spine",
    "conmed",
    "adverse_events",
    "harvest",
    "administration",
    "death",
    "tracheostomy",
    "ventilation",
)

#: How each form is named to users (the keys are :data:`FORMS`).
FORM_LABELS: dict[str, str] = {
    "consent": "Informed consent",
    "eligibility": "Eligibility",
    "alsfrs_r": "ALSFRS-R",
    "fvc": "Forced vital capacity",
    "vitals": "Vital signs",
    "weight": "Body weight",
    "mri_spine": "MRI of the spine",
    "conmed": "Concomitant medication",
    "adverse_events": "Adverse events",
    "harvest": "Bone marrow harvest",
    "administration": "Cell administration",
    "death": "Death",
    "tracheostomy": "Tracheostomy",
    "ventilation": "Permanent ventilation",
}

#: SDTM epochs in the order a subject passes through them (docs/domain.md, 'CDISC mapping'; RUN-IN =
#: lead-in).
EPOCHS: tuple[str, ...] = ("SCREENING", "RUN-IN", "TREATMENT", "FOLLOW-UP")

#: Events that can anchor day 0 of the schedule.
DAY_ZERO_EVENTS: tuple[str, ...] = ("first_administration", "harvest", "enrolment")

PRODUCT_TYPES: tuple[str, ...] = ("autologous_bone_marrow_msc",)

#: Procedures whose relatedness is assessed separately (docs/domain.md, 'Adverse events'), plus the
#: product.
PROCEDURES: tuple[str, ...] = ("bone_marrow_aspiration", "lumbar_puncture", "spinal_surgery")
CELL_PRODUCT = "cell_product"

#: Known routes, the CDISC route term for each and the procedure each route needs (if any).
ROUTES: tuple[str, ...] = ("intrathecal", "intraspinal", "intravenous", "intramuscular")
ROUTE_CDISC: dict[str, str] = {
    "intrathecal": "INTRATHECAL",
    "intraspinal": "INTRASPINAL",
    "intravenous": "INTRAVENOUS",
    "intramuscular": "INTRAMUSCULAR",
}
ROUTE_PROCEDURE: dict[str, str | None] = {
    "intrathecal": "lumbar_puncture",
    "intraspinal": "spinal_surgery",
    "intravenous": None,
    "intramuscular": None,
}

DOSE_RULES: tuple[str, ...] = ("per_kg", "fixed")
DOSE_UNITS: dict[str, str] = {"per_kg": "cells/kg", "fixed": "cells"}

#: El Escorial diagnostic categories (revised criteria, Brooks et al. 2000).
EL_ESCORIAL: tuple[str, ...] = ("definite", "probable", "probable_laboratory_supported", "possible")

#: ISCT minimal criteria (Dominici et al. 2006): positive markers >= 95 %, negative <= 2 %.
#: ``X_or_Y`` means either marker may be tested. A protocol may be stricter, never laxer.
ISCT_POSITIVE_MIN_PERCENT: dict[str, float] = {"CD105": 95.0, "CD73": 95.0, "CD90": 95.0}
ISCT_NEGATIVE_MAX_PERCENT: dict[str, float] = {
    "CD45": 2.0,
    "CD34": 2.0,
    "CD14_or_CD11b": 2.0,
    "CD79a_or_CD19": 2.0,
    "HLA-DR": 2.0,
}
TEST_RESULTS: tuple[str, ...] = ("negative", "not_tested")

STOPPING_EVENTS: tuple[str, ...] = (
    "related_adverse_event",
    "related_serious_adverse_event",
    "related_death",
)
STOPPING_ACTIONS: tuple[str, ...] = ("halt_enrolment", "halt_dosing", "halt_trial", "dsmb_review")

PRIMARY_OUTCOMES: tuple[str, ...] = ("alsfrs_r", "safety", "cafs")
CONTROL_TYPES: tuple[str, ...] = ("none", "matched_external", "randomised")
MATCHING_VARIABLES: tuple[str, ...] = (
    "age",
    "disease_duration",
    "sex",
    "onset_site",
    "baseline_alsfrs_r",
    "delta_fs",
)
#: Pre-treatment slope definitions of docs/domain.md, 'Slopes'.
LEAD_IN_SLOPE_METHODS: tuple[str, ...] = ("onset_anchored", "two_point", "ols")


class _Dict:
    def to_dict(self) -> dict:
        """Plain JSON-ready dict (tuples become lists)."""
        return asdict(self)  # type: ignore[call-overload]


@dataclass(frozen=True)
class Visit(_Dict):
    """One planned visit: target ``day`` (relative to day 0) and its window, in days."""

    code: str
    name: str
    day: int
    window_before_days: int
    window_after_days: int
    forms: tuple[str, ...]

    @property
    def earliest_day(self) -> int:
        return self.day - self.window_before_days

    @property
    def latest_day(self) -> int:
        return self.day + self.window_after_days


@dataclass(frozen=True)
class Phase(_Dict):
    """A phase of the trial (screening, lead-in, treatment, follow-up) and its SDTM epoch."""

    code: str
    name: str
    epoch: str
    visits: tuple[Visit, ...]


@dataclass(frozen=True)
class Harvest(_Dict):
    """Bone marrow harvest: procedure, anatomical site, aspirate volume (ml) per harvest, and the
    visits that carry one: a single harvest, or one per administration (Oh 2015 harvested twice,
    26 days apart, each expanded for 28 days)."""

    procedure: str
    site: str
    volume_ml: float
    visits: tuple[str, ...]


@dataclass(frozen=True)
class Product(_Dict):
    """The cell product; ``expiry_hours`` counts from formulation (suspension in the vehicle);
    ``expansion_days`` is the planned culture time from harvest to formulation."""

    type: str
    description: str
    expansion_method: str
    passages_max: int
    expiry_hours: float
    expansion_days: int | None = None


@dataclass(frozen=True)
class DoseRule(_Dict):
    """Cells per administration: ``per_kg`` (cells/kg body weight) or ``fixed`` (cells)."""

    rule: str
    target: float
    minimum: float
    maximum: float

    @property
    def unit(self) -> str:
        return DOSE_UNITS[self.rule]

    def cells_range(self, weight_kg: float | None = None) -> tuple[float, float, float]:
        """(minimum, target, maximum) in cells for one administration.

        ``weight_kg`` (body weight, kg) is required for a ``per_kg`` rule and ignored otherwise.
        """
        if self.rule == "fixed":
            return (self.minimum, self.target, self.maximum)
        if weight_kg is None or not weight_kg > 0:
            raise ValueError(f"a per_kg dose needs a body weight > 0 kg, got {weight_kg!r}")
        return (self.minimum * weight_kg, self.target * weight_kg, self.maximum * weight_kg)


@dataclass(frozen=True)
class Vehicle(_Dict):
    """What the cells are suspended in, and the volume given per administration (ml)."""

    name: str
    volume_ml: float


@dataclass(frozen=True)
class Route(_Dict):
    """Route of administration; intraspinal needs a cord ``level`` and a pump rate (µl/min)."""

    name: str
    level: str | None = None
    pump_rate_ul_per_min: float | None = None

    @property
    def cdisc(self) -> str:
        """The CDISC SDTM route term (e.g. ``INTRATHECAL``, C38267)."""
        return ROUTE_CDISC[self.name]

    @property
    def procedure(self) -> str | None:
        """The procedure an administration by this route involves (for AE relatedness)."""
        return ROUTE_PROCEDURE[self.name]


@dataclass(frozen=True)
class Administrations(_Dict):
    """How many administrations, ``interval_days`` between consecutive ones (one number, or one
    per gap for an uneven schedule), and their visits."""

    count: int
    interval_days: int | tuple[int, ...] | None
    visits: tuple[str, ...]

    def gaps(self) -> tuple[int, ...] | None:
        """The days between consecutive administrations, one per gap (None when not stated)."""
        if self.interval_days is None:
            return None
        if isinstance(self.interval_days, tuple):
            return self.interval_days
        return (self.interval_days,) * (self.count - 1)


@dataclass(frozen=True)
class Interventions(_Dict):
    harvest: Harvest
    product: Product
    dose: DoseRule
    vehicle: Vehicle
    route: Route
    administrations: Administrations

    def causes(self) -> tuple[str, ...]:
        """What an adverse event can be related to in this protocol: the cell product, the
        harvest procedure and the route's procedure (docs/domain.md, 'Adverse events')."""
        return causes_of(self.harvest, self.route)


def causes_of(harvest: Harvest, route: Route) -> tuple[str, ...]:
    """The cell product, the harvest procedure and the route's procedure, if any."""
    return (CELL_PRODUCT, harvest.procedure, *((route.procedure,) if route.procedure else ()))


@dataclass(frozen=True)
class Eligibility(_Dict):
    """Entry criteria. ALSFRS-R in points (0-48), FVC in % predicted, duration in months from
    symptom onset, age in years, lead-in decline in points/month (positive = decline)."""

    el_escorial: tuple[str, ...]
    alsfrs_r_min: int
    alsfrs_r_max: int
    fvc_percent_predicted_min: float
    disease_duration_months_max: float
    age_min_years: float
    age_max_years: float
    lead_in_decline_min_points_per_month: float | None = None
    lead_in_decline_max_points_per_month: float | None = None


@dataclass(frozen=True)
class MarkerCriterion(_Dict):
    """A flow-cytometry release criterion: ``marker`` >= percent (``min``) or <= percent (``max``).

    ``marker`` ``CD14_or_CD11b`` means either marker may be tested (ISCT, Dominici 2006).
    """

    marker: str
    limit: str
    percent: float

    @property
    def alternatives(self) -> tuple[str, ...]:
        return tuple(self.marker.split("_or_"))


@dataclass(frozen=True)
class ReleaseCriteria(_Dict):
    """Lot release criteria (docs/domain.md, 'Cell product'). The viable count range is per
    administration, in the dose rule's unit (``viable_count_unit``: cells/kg or cells)."""

    viability_min_percent: float
    viable_count_min: float
    viable_count_max: float
    viable_count_unit: str
    markers: tuple[MarkerCriterion, ...]
    sterility: str
    mycoplasma: str
    endotoxin_max_eu_per_kg: float
    appearance: str
    karyotype: str | None = None
    potency: str | None = None


@dataclass(frozen=True)
class ExpectedEvent(_Dict):
    """An adverse event term expected for ``procedure`` (or the cell product)."""

    term: str
    procedure: str


@dataclass(frozen=True)
class StoppingRule(_Dict):
    """Take ``action`` once ``subjects`` subjects have had ``event`` (of grade >= ``min_grade``,
    CTCAE v5, when given). "Related" means possibly related or more (docs/domain.md, 'Adverse
    events')."""

    event: str
    subjects: int
    action: str
    min_grade: int | None = None
    description: str = ""


@dataclass(frozen=True)
class Safety(_Dict):
    expected_events: tuple[ExpectedEvent, ...]
    stopping_rules: tuple[StoppingRule, ...]

    def expected_terms(self, procedure: str | None = None) -> tuple[str, ...]:
        """Expected AE terms, for one procedure or all of them (lower case, file order)."""
        return tuple(
            e.term for e in self.expected_events if procedure is None or e.procedure == procedure
        )


@dataclass(frozen=True)
class AnalysisSettings(_Dict):
    """Efficacy analysis settings: lead-in length (months), follow-up after day 0 (days)."""

    primary_outcome: str
    lead_in_months: float
    follow_up_days: int
    control: str
    matched_on: tuple[str, ...] = ()
    lead_in_slope: str = "ols"
    #: The estimand, primary and secondary analyses (None: a safety-primary protocol that
    #: pre-specifies no efficacy analysis); docs/analysis.md, "Analysis plan".
    plan: AnalysisPlan | None = None


@dataclass(frozen=True)
class ScheduledVisit(_Dict):
    """One row of the computed visit schedule; days relative to day 0."""

    visit: str
    name: str
    phase: str
    epoch: str
    day: int
    earliest_day: int
    latest_day: int
    forms: tuple[str, ...]
    administration: int | None
    harvest: bool

    @property
    def window(self) -> str:
        """The window as text, e.g. ``-7/+7``."""
        return f"-{self.day - self.earliest_day}/+{self.latest_day - self.day}"


@dataclass(frozen=True)
class PlannedVisit(_Dict):
    """One visit of one subject's calendar: the target date and the window's first and last
    dates (both allowed), from the subject's day-0 date."""

    visit: str
    day: int
    target_date: date
    earliest_date: date
    latest_date: date


@dataclass(frozen=True)
class Protocol(_Dict):
    """A whole trial protocol, as loaded and checked from a TOML file (``source``)."""

    slug: str
    title: str
    reference: str
    version: str
    product_type: str
    day_zero: str
    day_zero_visit: str
    phases: tuple[Phase, ...]
    interventions: Interventions
    eligibility: Eligibility
    release: ReleaseCriteria
    safety: Safety
    analysis: AnalysisSettings
    source: str = "<dict>"
    #: The allocation scheme of a randomised trial (``analysis.control = "randomised"``).
    randomisation: RandomisationScheme | None = None
    #: Edit checks across records (``[[checks]]``; docs/protocols.md), in file order.
    checks: tuple[EditCheck, ...] = ()

    def visits(self) -> tuple[Visit, ...]:
        """Every visit in schedule order."""
        return tuple(v for phase in self.phases for v in phase.visits)

    def visit(self, code: str) -> Visit:
        """The visit with this code (KeyError if there is none)."""
        for v in self.visits():
            if v.code == code:
                return v
        raise KeyError(code)

    def phase_of(self, code: str) -> Phase:
        """The phase that holds visit ``code`` (KeyError if there is none)."""
        for phase in self.phases:
            if any(v.code == code for v in phase.visits):
                return phase
        raise KeyError(code)

    def schedule(self) -> tuple[ScheduledVisit, ...]:
        """The visit schedule: phase, epoch, target/earliest/latest day and forms of each visit.

        ``administration`` is the administration number (1, 2, ...) a visit carries, if any.
        """
        admin_visits = self.interventions.administrations.visits
        rows = []
        for phase in self.phases:
            for v in phase.visits:
                rows.append(
                    ScheduledVisit(
                        visit=v.code,
                        name=v.name,
                        phase=phase.code,
                        epoch=phase.epoch,
                        day=v.day,
                        earliest_day=v.earliest_day,
                        latest_day=v.latest_day,
                        forms=v.forms,
                        administration=(
                            admin_visits.index(v.code) + 1 if v.code in admin_visits else None
                        ),
                        harvest=v.code in self.interventions.harvest.visits,
                    )
                )
        return tuple(rows)

    def forms_at(self, code: str) -> tuple[str, ...]:
        """The forms visit ``code`` requires."""
        return self.visit(code).forms

    def visit_on_day(self, day: int) -> ScheduledVisit | None:
        """The visit whose window holds ``day`` (days from day 0), or None. Windows never
        overlap in a checked protocol, so there is at most one."""
        for row in self.schedule():
            if row.earliest_day <= day <= row.latest_day:
                return row
        return None

    def calendar(self, day_zero: date) -> tuple[PlannedVisit, ...]:
        """Every visit's target date and window for a subject whose day 0 (the event named by
        ``day_zero``) falls on ``day_zero``."""
        return tuple(
            PlannedVisit(
                visit=row.visit,
                day=row.day,
                target_date=day_zero + timedelta(days=row.day),
                earliest_date=day_zero + timedelta(days=row.earliest_day),
                latest_date=day_zero + timedelta(days=row.latest_day),
            )
            for row in self.schedule()
        )
