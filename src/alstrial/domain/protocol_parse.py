"""Read each section of a protocol document into its dataclass, collecting every error.

Each ``read_*`` function takes a :class:`~alstrial.domain.protocol_reader.Table`, reads all its
keys (so that every error in the section is reported) and returns the dataclass, or ``None`` when
the section had an error; cross-section rules live in ``protocol_checks``. The format is
documented in ``docs/protocols.md``.
"""

from __future__ import annotations

from dataclasses import replace

from alstrial.domain.analysis_plan import ANALYSES, AnalysisPlan, plan_problems
from alstrial.domain.protocol_model import (
    CELL_PRODUCT,
    CONTROL_TYPES,
    DAY_ZERO_EVENTS,
    DOSE_RULES,
    DOSE_UNITS,
    EL_ESCORIAL,
    EPOCHS,
    FORMS,
    ISCT_NEGATIVE_MAX_PERCENT,
    ISCT_POSITIVE_MIN_PERCENT,
    LEAD_IN_SLOPE_METHODS,
    MATCHING_VARIABLES,
    PRIMARY_OUTCOMES,
    PROCEDURES,
    PRODUCT_TYPES,
    ROUTES,
    STOPPING_ACTIONS,
    STOPPING_EVENTS,
    TEST_RESULTS,
    Administrations,
    AnalysisSettings,
    DoseRule,
    Eligibility,
    ExpectedEvent,
    Harvest,
    MarkerCriterion,
    Phase,
    Product,
    ReleaseCriteria,
    Route,
    Safety,
    StoppingRule,
    Vehicle,
    Visit,
)
from alstrial.domain.protocol_reader import Table

ALSFRS_R_MAX = 48
#: Longest analysis follow-up a protocol may set: 20 years of days (no ALS trial follows
#: anyone longer; a larger number is a typing slip, e.g. 10^18).
MAX_FOLLOW_UP_DAYS = 20 * 366
CTCAE_GRADES = (1, 2, 3, 4, 5)


def _ordered(table: Table, low_key: str, low, high_key: str, high) -> None:
    """Record ``low_key`` > ``high_key`` (an impossible range) as an error on ``low_key``."""
    if low is not None and high is not None and low > high:
        table.errors.add(
            table.key(low_key), f"{low_key} ({low:g}) is greater than {high_key} ({high:g})"
        )


class _Section:
    """Context manager: reads a table, reports unknown keys, and tells whether it was clean."""

    def __init__(self, table: Table):
        self.table = table
        self.before = len(table.errors)

    def __enter__(self) -> Table:
        return self.table

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            self.table.finish()

    @property
    def clean(self) -> bool:
        return len(self.table.errors) == self.before


def read_identity(t: Table) -> dict | None:
    section = _Section(t)
    with section:
        values = {
            "slug": t.string("slug", code=True),
            "title": t.string("title"),
            "reference": t.string("reference"),
            "version": t.string("version"),
            "product_type": t.string("product_type", choices=PRODUCT_TYPES),
            "day_zero": t.string("day_zero", choices=DAY_ZERO_EVENTS),
            "day_zero_visit": t.string("day_zero_visit"),
        }
    return values if section.clean else None


def read_visit(t: Table) -> tuple[Visit | None, bool]:
    """The visit, and whether it was read cleanly.

    A visit whose code, day and window are valid is returned even if another key (its forms, its
    name) is wrong, so that the schedule order and windows can still be checked and reported.
    """
    section = _Section(t)
    with section:
        code = t.string("code", code=True)
        name = t.string("name")
        day = t.number("day", integer=True)
        before = t.number("window_before_days", integer=True, minimum=0)
        after = t.number("window_after_days", integer=True, minimum=0)
        forms = t.string_list("forms", choices=FORMS)
    if None in (code, day, before, after):
        return None, False
    return Visit(code, name or code, day, before, after, forms or ()), section.clean


def read_phase(t: Table) -> tuple[Phase | None, bool]:
    """The phase (with every visit whose timing could be read), and whether all was clean."""
    section = _Section(t)
    with section:
        code = t.string("code", code=True)
        name = t.string("name")
        epoch = t.string("epoch", choices=EPOCHS)
        visits = [read_visit(v) for v in t.tables("visits") or []]
    if code is None or epoch is None or not visits or any(v is None for v, _ in visits):
        return None, False
    return Phase(code, name or code, epoch, tuple(v for v, _ in visits)), section.clean


def read_harvest(t: Table) -> Harvest | None:
    section = _Section(t)
    with section:
        harvest = Harvest(
            procedure=t.string("procedure", choices=("bone_marrow_aspiration",)),
            site=t.string("site"),
            volume_ml=t.number("volume_ml", positive=True),
            visits=t.string_list("visits"),
        )
    return harvest if section.clean else None


def read_product(t: Table) -> Product | None:
    section = _Section(t)
    with section:
        product = Product(
            type=t.string("type", choices=PRODUCT_TYPES),
            description=t.string("description"),
            expansion_method=t.string("expansion_method"),
            passages_max=t.number("passages_max", integer=True, minimum=0),
            expiry_hours=t.number("expiry_hours", positive=True),
            expansion_days=t.number("expansion_days", required=False, integer=True, minimum=1),
        )
    return product if section.clean else None


def read_dose(t: Table) -> DoseRule | None:
    section = _Section(t)
    with section:
        dose = DoseRule(
            rule=t.string("rule", choices=DOSE_RULES),
            target=t.number("target", positive=True),
            minimum=t.number("minimum", positive=True),
            maximum=t.number("maximum", positive=True),
        )
        _ordered(t, "minimum", dose.minimum, "maximum", dose.maximum)
        if None not in (dose.target, dose.minimum, dose.maximum) and not (
            dose.minimum <= dose.target <= dose.maximum
        ):
            t.errors.add(
                t.key("target"),
                f"target {dose.target:g} is outside minimum-maximum "
                f"({dose.minimum:g}-{dose.maximum:g})",
            )
    return dose if section.clean else None


def read_vehicle(t: Table) -> Vehicle | None:
    section = _Section(t)
    with section:
        vehicle = Vehicle(name=t.string("name"), volume_ml=t.number("volume_ml", positive=True))
    return vehicle if section.clean else None


def read_route(t: Table) -> Route | None:
    section = _Section(t)
    with section:
        name = t.string("name", choices=ROUTES)
        intraspinal = name == "intraspinal"
        level = t.string("level", required=intraspinal)
        rate = t.number("pump_rate_ul_per_min", required=intraspinal, positive=True)
        if rate is not None and name is not None and not intraspinal:
            t.errors.add(t.key("pump_rate_ul_per_min"), f"applies to intraspinal only, not {name}")
    return Route(name, level, rate) if section.clean else None


def _intervals(t: Table, count: int | None) -> int | tuple[int, ...] | None:
    """``interval_days``: one whole number of days between consecutive administrations, or an
    array of ``count - 1`` gaps for an uneven schedule (e.g. months 0, 1 and 4: [30, 92])."""
    if isinstance(t.data.get("interval_days"), list):
        gaps = t.integer_list("interval_days", minimum=1)
        if gaps is not None and count is not None and len(gaps) != count - 1:
            t.errors.add(
                t.key("interval_days"),
                f"lists {len(gaps)} gap(s) but {count} administrations have {count - 1}",
            )
        return gaps
    interval = t.number("interval_days", required=bool(count and count > 1), integer=True)
    if interval is not None and interval <= 0:
        t.errors.add(t.key("interval_days"), f"must be greater than 0, got {interval}")
    return interval


def read_administrations(t: Table) -> Administrations | None:
    section = _Section(t)
    with section:
        count = t.number("count", integer=True, minimum=1)
        interval = _intervals(t, count)
        visits = t.string_list("visits")
        if count is not None and visits is not None and len(visits) != count:
            t.errors.add(
                t.key("visits"),
                f"lists {len(visits)} visit(s) but count is {count}: one visit per administration",
            )
    return Administrations(count, interval, visits) if section.clean else None


def read_eligibility(t: Table) -> Eligibility | None:
    section = _Section(t)
    with section:
        e = Eligibility(
            el_escorial=t.string_list("el_escorial", choices=EL_ESCORIAL),
            alsfrs_r_min=t.number("alsfrs_r_min", integer=True, minimum=0, maximum=ALSFRS_R_MAX),
            alsfrs_r_max=t.number("alsfrs_r_max", integer=True, minimum=0, maximum=ALSFRS_R_MAX),
            fvc_percent_predicted_min=t.number("fvc_percent_predicted_min", minimum=0),
            disease_duration_months_max=t.number("disease_duration_months_max", positive=True),
            age_min_years=t.number("age_min_years", minimum=0, maximum=120),
            age_max_years=t.number("age_max_years", minimum=0, maximum=120),
            lead_in_decline_min_points_per_month=t.number(
                "lead_in_decline_min_points_per_month", required=False, minimum=0
            ),
            lead_in_decline_max_points_per_month=t.number(
                "lead_in_decline_max_points_per_month", required=False, positive=True
            ),
        )
        _ordered(t, "alsfrs_r_min", e.alsfrs_r_min, "alsfrs_r_max", e.alsfrs_r_max)
        _ordered(t, "age_min_years", e.age_min_years, "age_max_years", e.age_max_years)
        _ordered(
            t,
            "lead_in_decline_min_points_per_month",
            e.lead_in_decline_min_points_per_month,
            "lead_in_decline_max_points_per_month",
            e.lead_in_decline_max_points_per_month,
        )
    return e if section.clean else None


def _read_markers(t: Table) -> tuple[MarkerCriterion, ...] | None:
    """ISCT markers: ``positive_min_percent`` and ``negative_max_percent`` tables of marker = %."""
    section = _Section(t)
    markers: list[MarkerCriterion] = []
    with section:
        for key, isct, limit in (
            ("positive_min_percent", ISCT_POSITIVE_MIN_PERCENT, "min"),
            ("negative_max_percent", ISCT_NEGATIVE_MAX_PERCENT, "max"),
        ):
            table = t.table(key)
            if table is None:
                continue
            for marker in isct:
                if marker not in table.data:
                    table.errors.add(table.key(marker), "ISCT marker is missing")
            for marker in table.data:
                value = table.number(marker, minimum=0, maximum=100)
                if marker not in isct:
                    table.errors.add(
                        table.key(marker),
                        f"unknown marker; expected one of {', '.join(isct)}",
                    )
                elif value is not None and (
                    value < isct[marker] if limit == "min" else value > isct[marker]
                ):
                    bound = ">=" if limit == "min" else "<="
                    table.errors.add(
                        table.key(marker),
                        f"laxer than the ISCT minimum ({bound} {isct[marker]:g} %), got {value:g}",
                    )
                elif value is not None:
                    markers.append(MarkerCriterion(marker, limit, float(value)))
    return tuple(markers) if section.clean else None


def read_release(t: Table, dose: DoseRule | None) -> ReleaseCriteria | None:
    """Release criteria; the viable count range defaults to the dose range (same unit)."""
    section = _Section(t)
    with section:
        viability = t.number("viability_min_percent", minimum=0, maximum=100)
        count_min = t.number("viable_count_min", required=False, positive=True)
        count_max = t.number("viable_count_max", required=False, positive=True)
        _ordered(t, "viable_count_min", count_min, "viable_count_max", count_max)
        markers_table = t.table("markers")
        markers = _read_markers(markers_table) if markers_table is not None else None
        sterility = t.string("sterility", choices=TEST_RESULTS)
        mycoplasma = t.string("mycoplasma", choices=TEST_RESULTS)
        endotoxin = t.number("endotoxin_max_eu_per_kg", positive=True)
        appearance = t.string("appearance")
        karyotype = t.string("karyotype", required=False, choices=("normal",))
        potency = t.string("potency", required=False)
    if not section.clean or dose is None:
        return None
    count_min = dose.minimum if count_min is None else count_min
    count_max = dose.maximum if count_max is None else count_max
    # A released lot outside the dose range could never be given: the release range must lie
    # inside it.
    for key, value in (("viable_count_min", count_min), ("viable_count_max", count_max)):
        if not dose.minimum <= value <= dose.maximum:
            t.errors.add(
                t.key(key),
                f"{value:g} {dose.unit} is outside the dose range "
                f"{dose.minimum:g}-{dose.maximum:g} {dose.unit}",
            )
    if not section.clean:
        return None
    return ReleaseCriteria(
        viability_min_percent=viability,
        viable_count_min=count_min,
        viable_count_max=count_max,
        viable_count_unit=DOSE_UNITS[dose.rule],
        markers=markers,
        sterility=sterility,
        mycoplasma=mycoplasma,
        endotoxin_max_eu_per_kg=endotoxin,
        appearance=appearance,
        karyotype=karyotype,
        potency=potency,
    )


def read_safety(t: Table) -> Safety | None:
    section = _Section(t)
    events: list[ExpectedEvent] = []
    rules: list[StoppingRule] = []
    with section:
        for e in t.tables("expected_events") or []:
            with e:
                term = e.string("term")
                procedure = e.string("procedure", choices=(*PROCEDURES, CELL_PRODUCT))
            if term is not None and term != term.lower():
                e.errors.add(e.key("term"), f"write terms in lower case, got {term!r}")
            events.append(ExpectedEvent(term, procedure))
        for r in t.tables("stopping_rules") or []:
            with r:
                event = r.string("event", choices=STOPPING_EVENTS)
                grade = r.number("min_grade", required=False, integer=True, minimum=1, maximum=5)
                rule = StoppingRule(
                    event=event,
                    subjects=r.number("subjects", integer=True, minimum=1),
                    action=r.string("action", choices=STOPPING_ACTIONS),
                    min_grade=grade,
                    description=r.string("description", required=False) or "",
                )
            if event == "related_death" and grade is not None:
                r.errors.add(r.key("min_grade"), "a death is grade 5; leave min_grade out")
            elif event in ("related_adverse_event",) and grade is None:
                r.errors.add(r.key("min_grade"), "required for related_adverse_event")
            rules.append(rule)
    return Safety(tuple(events), tuple(rules)) if section.clean else None


def read_analysis(t: Table) -> AnalysisSettings | None:
    section = _Section(t)
    with section:
        control = t.string("control", choices=CONTROL_TYPES)
        a = AnalysisSettings(
            primary_outcome=t.string("primary_outcome", choices=PRIMARY_OUTCOMES),
            lead_in_months=t.number("lead_in_months", minimum=0),
            follow_up_days=t.number(
                "follow_up_days", integer=True, minimum=1, maximum=MAX_FOLLOW_UP_DAYS
            ),
            control=control,
            matched_on=t.string_list(
                "matched_on", required=control == "matched_external", choices=MATCHING_VARIABLES
            )
            or (),
            lead_in_slope=t.string("lead_in_slope", required=False, choices=LEAD_IN_SLOPE_METHODS)
            or "ols",
        )
        if a.matched_on and control not in (None, "matched_external"):
            t.errors.add(t.key("matched_on"), "applies to control = 'matched_external' only")
        plan = _read_plan(t, a.primary_outcome, control)
    return replace(a, plan=plan) if section.clean else None


def _read_plan(t: Table, primary_outcome: str | None, control: str | None) -> AnalysisPlan | None:
    """The keys ``estimand``, ``primary`` and ``secondaries`` (docs/protocols.md): required
    unless the primary outcome is safety, whose protocol may pre-specify no efficacy analysis."""
    required = primary_outcome not in (None, "safety")
    estimand = t.string("estimand", required=required)
    primary = t.string("primary", required=required, choices=tuple(ANALYSES))
    secondaries = (
        t.string_list("secondaries", required=False, choices=tuple(ANALYSES), allow_empty=True)
        or ()
    )
    if primary is None and (estimand is not None or secondaries):
        t.errors.add(t.key("primary"), "required with estimand or secondaries")
        return None
    if estimand is None and primary is not None:
        t.errors.add(t.key("estimand"), "required with primary")
        return None
    if primary is None or control is None:
        return None
    for key, message in plan_problems(primary, secondaries, control):
        t.errors.add(t.key(key), message)
    return AnalysisPlan(estimand, primary, secondaries)
