"""Rules that span sections of a protocol: schedule order, windows, administrations, day 0.

Each check runs only on sections that were read cleanly (a broken section has already been
reported), and records every problem with the key path it concerns. Key paths use the position
of the block in the file, 0-based: ``phases[1].visits[2]`` is the third visit of the second phase.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from alstrial.domain.protocol_model import (
    EPOCHS,
    Administrations,
    AnalysisSettings,
    Eligibility,
    Harvest,
    Phase,
    Product,
    ReleaseCriteria,
    Route,
    Safety,
    causes_of,
)
from alstrial.domain.protocol_reader import Errors
from alstrial.domain.time import DAYS_PER_MONTH


def _visit_paths(phases: list[Phase]) -> dict[str, str]:
    return {
        v.code: f"phases[{p}].visits[{i}]"
        for p, phase in enumerate(phases)
        for i, v in enumerate(phase.visits)
    }


def check_schedule(phases: list[Phase], errors: Errors) -> None:
    """Phases in epoch order; visit codes unique; visits in day order; windows not overlapping.

    Two windows that share a day overlap: a visit on that day could belong to either, so the
    latest day of a visit must come strictly before the earliest day of the next one.
    """
    for p in range(1, len(phases)):
        if EPOCHS.index(phases[p].epoch) < EPOCHS.index(phases[p - 1].epoch):
            errors.add(
                f"phases[{p}].epoch",
                f"{phases[p].epoch} comes after {phases[p - 1].epoch} (phases[{p - 1}]); "
                f"phases must follow the order {', '.join(EPOCHS)}",
            )
    codes: dict[str, str] = {}
    for p, phase in enumerate(phases):
        for i, v in enumerate(phase.visits):
            path = f"phases[{p}].visits[{i}]"
            if v.code in codes:
                errors.add(f"{path}.code", f"visit code {v.code!r} is also used by {codes[v.code]}")
            codes.setdefault(v.code, path)
    flat = [
        (f"phases[{p}].visits[{i}]", v)
        for p, phase in enumerate(phases)
        for i, v in enumerate(phase.visits)
    ]
    for (prev_path, prev), (path, v) in pairwise(flat):
        if v.day <= prev.day:
            errors.add(
                f"{path}.day",
                f"visit {v.code} (day {v.day}) must come after visit {prev.code} "
                f"(day {prev.day}, {prev_path}): list visits in day order",
            )
        elif prev.latest_day >= v.earliest_day:
            errors.add(
                f"{prev_path}.window_after_days",
                f"window of visit {prev.code} (days {prev.earliest_day} to {prev.latest_day}) "
                f"overlaps the window of the next visit {v.code} "
                f"(days {v.earliest_day} to {v.latest_day})",
            )


def _check_carriers(
    form: str, key: str, listed: tuple[str, ...], visits: dict, paths: dict, errors: Errors
) -> bool:
    """The visits listed at ``key`` exist and carry ``form``, and no other visit carries it.
    Returns whether every listed visit exists."""
    all_exist = True
    for index, code in enumerate(listed):
        if code not in visits:
            errors.add(f"{key}[{index}]", f"no visit has code {code!r}")
            all_exist = False
        elif form not in visits[code].forms:
            errors.add(f"{paths[code]}.forms", f"visit {code} carries the {form}: add its form")
    for code, v in visits.items():
        if form in v.forms and code not in listed:
            errors.add(
                f"{paths[code]}.forms",
                f"visit {code} has the {form} form but is not listed in {key}",
            )
    return all_exist


def check_interventions(phases: list[Phase], parts: dict[str, Any], errors: Errors) -> None:
    """Administration and harvest visits exist, carry their forms, and follow the interval.

    ``parts`` holds the intervention sections that were read cleanly (others are None), so that
    a broken route does not hide a wrong administration visit.
    """
    paths = _visit_paths(phases)
    visits = {v.code: v for phase in phases for v in phase.visits}
    epoch_of = {v.code: phase.epoch for phase in phases for v in phase.visits}
    admin: Administrations | None = parts.get("administrations")
    admin_ok = False
    if admin is not None:
        key = "interventions.administrations.visits"
        admin_ok = _check_carriers("administration", key, admin.visits, visits, paths, errors)
        for index, code in enumerate(admin.visits):
            if code in visits and epoch_of[code] != "TREATMENT":
                errors.add(
                    f"{key}[{index}]",
                    f"visit {code} is in the {epoch_of[code]} epoch, not TREATMENT",
                )
        if admin_ok and admin.gaps() is not None:
            days = [visits[c].day for c in admin.visits]
            for index, stated in enumerate(admin.gaps(), start=1):
                gap = days[index] - days[index - 1]
                if gap != stated:
                    errors.add(
                        f"{key}[{index}]",
                        f"visit {admin.visits[index]} is {gap} days after "
                        f"{admin.visits[index - 1]}, but interval_days gives {stated}",
                    )
    if parts.get("harvest") is not None:
        _check_harvest(
            parts["harvest"],
            admin if admin_ok else None,
            parts.get("product"),
            visits,
            paths,
            errors,
        )


def _check_harvest(
    harvest: Harvest,
    admin: Administrations | None,
    product: Product | None,
    visits: dict,
    paths: dict,
    errors,
) -> None:
    """Harvest visits exist, carry the harvest form, and each precedes the administration it
    feeds (one harvest for all administrations, or one per administration) by at least the
    product's ``expansion_days``. ``admin`` is None when the administrations could not be
    checked."""
    key = "interventions.harvest.visits"
    _check_carriers("harvest", key, harvest.visits, visits, paths, errors)
    if admin is None:
        return
    if len(harvest.visits) not in (1, admin.count):
        errors.add(
            key,
            f"lists {len(harvest.visits)} harvests: give one, or one per administration "
            f"({admin.count})",
        )
        return
    expansion = product.expansion_days if product is not None else None
    for index, code in enumerate(harvest.visits):
        fed = admin.visits[index] if len(harvest.visits) == admin.count else admin.visits[0]
        if code not in visits:
            continue
        gap = visits[fed].day - visits[code].day
        if gap <= 0:
            errors.add(
                f"{key}[{index}]",
                f"harvest visit {code} must come before administration visit {fed}",
            )
        elif expansion is not None and gap < expansion:
            errors.add(
                f"{key}[{index}]",
                f"harvest visit {code} (day {visits[code].day}) is {gap} days before "
                f"administration visit {fed} (day {visits[fed].day}), fewer than the "
                f"{expansion} expansion days (interventions.product.expansion_days)",
            )


def check_day_zero(
    identity: dict, phases: list[Phase], parts: dict[str, Any], errors: Errors
) -> None:
    """The day-0 visit exists, has day 0 and is the event ``day_zero`` names."""
    code = identity["day_zero_visit"]
    visits = {v.code: v for phase in phases for v in phase.visits}
    if code not in visits:
        errors.add("trial.day_zero_visit", f"no visit has code {code!r}")
        return
    if visits[code].day != 0:
        errors.add(
            f"{_visit_paths(phases)[code]}.day",
            f"visit {code} is the day-0 visit (trial.day_zero_visit) but has day "
            f"{visits[code].day}",
        )
    event = identity["day_zero"]
    if event == "enrolment":
        epoch = next(p.epoch for p in phases for v in p.visits if v.code == code)
        if epoch not in ("SCREENING", "RUN-IN"):
            errors.add("trial.day_zero_visit", f"enrolment visit {code} is in the {epoch} epoch")
        return
    section = parts.get("administrations" if event == "first_administration" else "harvest")
    if section is not None and code != section.visits[0]:
        errors.add(
            "trial.day_zero_visit",
            f"day_zero is {event}, which is visit {section.visits[0]}, not {code}",
        )


def check_safety(safety: Safety, parts: dict[str, Any], errors: Errors) -> None:
    """Expected events name procedures this protocol actually uses."""
    if parts.get("harvest") is None or parts.get("route") is None:
        return
    used = set(causes_of(parts["harvest"], parts["route"]))
    for index, event in enumerate(safety.expected_events):
        if event.procedure not in used:
            errors.add(
                f"safety.expected_events[{index}].procedure",
                f"{event.procedure} is not a procedure of this protocol "
                f"(it uses {', '.join(sorted(used))})",
            )


def check_analysis(
    analysis: AnalysisSettings,
    phases: list[Phase],
    admin: Administrations | None,
    errors: Errors,
) -> None:
    """The analysis settings agree with the schedule (months = days / 30.4375, docs/domain.md,
    'Months').

    - a lead-in needs a RUN-IN phase, and ``lead_in_months`` before the first administration
      must fall in the window of the first lead-in ALSFRS-R visit (where the lead-in starts);
    - ``follow_up_days`` after the first administration must reach the end of the window of the
      last follow-up ALSFRS-R visit, or visits done late in their window would be left out of
      the analysis without anyone deciding so.
    """
    if analysis.lead_in_months > 0 and not any(p.epoch == "RUN-IN" for p in phases):
        errors.add(
            "analysis.lead_in_months",
            f"is {analysis.lead_in_months:g} but no phase has epoch RUN-IN",
        )
        return
    days = {v.code: v.day for phase in phases for v in phase.visits}
    if admin is None or admin.visits[0] not in days:
        return  # reported by the administrations' own checks
    start = days[admin.visits[0]]
    lead_in = _alsfrs_visits(phases, "RUN-IN")
    if analysis.lead_in_months > 0 and lead_in:
        first = lead_in[0]
        wanted = start - analysis.lead_in_months * DAYS_PER_MONTH
        if not first.earliest_day <= wanted <= first.latest_day:
            errors.add(
                "analysis.lead_in_months",
                f"{analysis.lead_in_months:g} months before the first administration is day "
                f"{wanted:.1f}, outside the window of the first lead-in ALSFRS-R visit "
                f"{first.code} (days {first.earliest_day} to {first.latest_day})",
            )
    follow_up = _alsfrs_visits(phases, "FOLLOW-UP")
    if follow_up and start + analysis.follow_up_days < follow_up[-1].latest_day:
        last = follow_up[-1]
        errors.add(
            "analysis.follow_up_days",
            f"{analysis.follow_up_days} days after the first administration (day "
            f"{start + analysis.follow_up_days}) leaves out the end of the window of the last "
            f"follow-up ALSFRS-R visit {last.code} (days {last.earliest_day} to "
            f"{last.latest_day}); use at least {last.latest_day - start}",
        )


def _alsfrs_visits(phases: list[Phase], epoch: str) -> list:
    return [v for p in phases if p.epoch == epoch for v in p.visits if "alsfrs_r" in v.forms]


#: Endotoxin limit for products given into the CSF or the cord (docs/domain.md, 'Cell product'),
#: EU/kg.
NEURAXIAL_ENDOTOXIN_MAX_EU_PER_KG = 0.2
NEURAXIAL_ROUTES = ("intrathecal", "intraspinal")
#: The lowest usual viability release limit (docs/domain.md, 'Cell product': 70-85 %, a protocol
#: setting).
VIABILITY_FLOOR_PERCENT = 70.0


def check_release(release: ReleaseCriteria, route: Route | None, errors: Errors) -> None:
    """Release limits no laxer than docs/domain.md, 'Cell product': viability >= 70 %, and endotoxin
    <= 0.2 EU/kg for an intrathecal or intraspinal product."""
    if release.viability_min_percent < VIABILITY_FLOOR_PERCENT:
        errors.add(
            "release.viability_min_percent",
            f"{release.viability_min_percent:g} % is below the lowest usual limit "
            f"({VIABILITY_FLOOR_PERCENT:g} %)",
        )
    if (
        route is not None
        and route.name in NEURAXIAL_ROUTES
        and release.endotoxin_max_eu_per_kg > NEURAXIAL_ENDOTOXIN_MAX_EU_PER_KG
    ):
        errors.add(
            "release.endotoxin_max_eu_per_kg",
            f"{release.endotoxin_max_eu_per_kg:g} EU/kg is laxer than the "
            f"{NEURAXIAL_ENDOTOXIN_MAX_EU_PER_KG:g} EU/kg limit for an {route.name} product",
        )


def check_eligibility(eligibility: Eligibility, phases: list[Phase], errors: Errors) -> None:
    """A lead-in decline criterion needs a lead-in with at least two ALSFRS-R visits."""
    if (
        eligibility.lead_in_decline_min_points_per_month is None
        and eligibility.lead_in_decline_max_points_per_month is None
    ):
        return
    if len(_alsfrs_visits(phases, "RUN-IN")) < 2:
        key = (
            "lead_in_decline_min_points_per_month"
            if eligibility.lead_in_decline_min_points_per_month is not None
            else "lead_in_decline_max_points_per_month"
        )
        errors.add(
            f"eligibility.{key}",
            "a lead-in decline needs at least two RUN-IN visits with the alsfrs_r form",
        )
