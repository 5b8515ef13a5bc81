"""Read and check a protocol's ``[[checks]]`` section (format: docs/protocols.md, "[[checks]]").

Each entry names a kind from the closed vocabulary of :mod:`alstrial.domain.edit_checks` and
exactly the parameters that kind takes; a parameter of another kind is refused so that a typo
cannot silently turn a check off. The section is optional: a protocol without it has no edit
checks beyond field validation.
"""

from __future__ import annotations

from alstrial.domain.edit_checks import CHECK_KINDS, EditCheck
from alstrial.domain.protocol_model import Phase
from alstrial.domain.protocol_reader import Errors, Table

#: The parameters each kind requires (all others are refused); ``within_days`` is optional.
PARAMETERS = {
    "alsfrs_drop": ("points",),
    "visit_out_of_window": (),
    "fvc_below_without_respiratory_ae": ("percent", "within_days"),
    "dose_out_of_window": (),
    "ae_onset_before_consent": (),
}
#: The ALSFRS-R total runs 0-48, so a drop of 48 or more can never happen.
MAX_ALSFRS_DROP = 47
#: A respiratory AE more than a year from the FVC explains nothing.
MAX_WITHIN_DAYS = 365


def read_check(t: Table) -> EditCheck | None:
    """One ``[[checks]]`` entry, or None when it has an error (every error is recorded)."""
    before = len(t.errors)
    with t:
        code = t.string("code", code=True)
        kind = t.string("kind", choices=CHECK_KINDS)
        description = t.string("description", required=False) or ""
        wanted = PARAMETERS.get(kind, ())
        points = (
            t.number("points", integer=True, minimum=1, maximum=MAX_ALSFRS_DROP)
            if "points" in wanted
            else None
        )
        percent = t.number("percent", positive=True, maximum=100) if "percent" in wanted else None
        within = (
            t.number(
                "within_days", required=False, integer=True, minimum=0, maximum=MAX_WITHIN_DAYS
            )
            if "within_days" in wanted
            else None
        )
        if kind is not None:
            for name in ("points", "percent", "within_days"):
                if name in t.data and name not in wanted:
                    t.number(name, required=False)  # read, so it is not also "unknown"
                    t.errors.add(t.key(name), f"does not apply to kind {kind!r}")
    if len(t.errors) > before:
        return None
    return EditCheck(
        code=code,
        kind=kind,
        description=description,
        points=points,
        percent=float(percent) if percent is not None else None,
        within_days=within,
    )


def read_checks(tables: list[Table]) -> tuple[EditCheck, ...] | None:
    """Every entry, codes distinct; None when any entry has an error."""
    checks = [read_check(t) for t in tables]
    if any(c is None for c in checks):
        return None
    seen: set[str] = set()
    ok = True
    for t, check in zip(tables, checks, strict=True):
        if check.code in seen:
            t.errors.add(t.key("code"), f"{check.code!r} is used by two checks")
            ok = False
        seen.add(check.code)
    return tuple(checks) if ok else None


def check_edit_checks(checks: tuple[EditCheck, ...], phases: list[Phase], errors: Errors) -> None:
    """Rules across sections: a check must have something to read (FVC checks need an ``fvc``
    form somewhere in the schedule, ALSFRS-R checks an ``alsfrs_r`` form)."""
    forms = {form for phase in phases for visit in phase.visits for form in visit.forms}
    needs = {"fvc_below_without_respiratory_ae": "fvc", "alsfrs_drop": "alsfrs_r"}
    for index, check in enumerate(checks):
        form = needs.get(check.kind)
        if form is not None and form not in forms:
            message = f"no visit of the schedule collects the {form} form"
            errors.add(f"checks[{index}].kind", message)
