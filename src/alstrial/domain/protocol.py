"""Trial protocols as data: load, check and query a protocol file (TOML).

``protocol_from_dict(data, source)`` turns a parsed document into a frozen :class:`Protocol`
(pure); ``protocol_from_toml(text, source)`` parses TOML text first (pure);
``load_protocol(path)`` reads a TOML file. Either checks the whole document and
raises one :class:`ProtocolError` listing every problem (file, key path, reason), so nothing is
half-loaded. ``bundled_protocol(slug)`` finds the protocols shipped in the repository's
``protocols/`` directory (the ``ALSTRIAL_PROTOCOLS`` environment variable overrides it).

The format is documented in ``docs/protocols.md``; the dataclasses live in ``protocol_model``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.protocol_checks import (
    check_analysis,
    check_day_zero,
    check_eligibility,
    check_interventions,
    check_release,
    check_safety,
    check_schedule,
)
from alstrial.domain.protocol_edit_checks import check_edit_checks, read_checks
from alstrial.domain.protocol_model import (
    CONTROL_TYPES,
    DAY_ZERO_EVENTS,
    DOSE_RULES,
    EL_ESCORIAL,
    EPOCHS,
    FORM_LABELS,
    FORMS,
    ISCT_NEGATIVE_MAX_PERCENT,
    ISCT_POSITIVE_MIN_PERCENT,
    PROCEDURES,
    ROUTES,
    STOPPING_ACTIONS,
    STOPPING_EVENTS,
    Administrations,
    AnalysisSettings,
    DoseRule,
    Eligibility,
    ExpectedEvent,
    Harvest,
    Interventions,
    MarkerCriterion,
    Phase,
    PlannedVisit,
    Product,
    Protocol,
    ReleaseCriteria,
    Route,
    Safety,
    ScheduledVisit,
    StoppingRule,
    Vehicle,
    Visit,
)
from alstrial.domain.protocol_parse import (
    read_administrations,
    read_analysis,
    read_dose,
    read_eligibility,
    read_harvest,
    read_identity,
    read_phase,
    read_product,
    read_release,
    read_route,
    read_safety,
    read_vehicle,
)
from alstrial.domain.protocol_randomisation import check_randomisation, read_randomisation
from alstrial.domain.protocol_reader import Errors, Table

__all__ = [
    "CONTROL_TYPES",
    "DAY_ZERO_EVENTS",
    "DOSE_RULES",
    "EL_ESCORIAL",
    "EPOCHS",
    "FORMS",
    "FORM_LABELS",
    "ISCT_NEGATIVE_MAX_PERCENT",
    "ISCT_POSITIVE_MIN_PERCENT",
    "PROCEDURES",
    "ROUTES",
    "STOPPING_ACTIONS",
    "STOPPING_EVENTS",
    "Administrations",
    "AnalysisSettings",
    "DoseRule",
    "Eligibility",
    "ExpectedEvent",
    "Harvest",
    "Interventions",
    "MarkerCriterion",
    "Phase",
    "PlannedVisit",
    "Product",
    "Protocol",
    "ProtocolError",
    "ReleaseCriteria",
    "Route",
    "Safety",
    "ScheduledVisit",
    "StoppingRule",
    "Vehicle",
    "Visit",
    "bundled_protocol",
    "bundled_protocols",
    "load_protocol",
    "protocol_from_dict",
    "protocol_from_toml",
    "protocols_dir",
]

#: Environment variable naming the directory of protocol files (overrides ``protocols/``).
PROTOCOLS_ENV = "ALSTRIAL_PROTOCOLS"
#: Key used for problems with the file as a whole (unreadable, not TOML).
FILE_KEY = "(file)"


class ProtocolError(ValidationError):
    """Every problem found in one protocol file. ``errors[i].field`` is the key path."""

    def __init__(self, errors: Iterable[FieldError], source: str):
        self.source = source
        super().__init__(errors)
        self.args = ("\n".join(self.messages()),)

    def messages(self) -> list[str]:
        """``"FILE: KEY: REASON"`` for each problem: problems with single keys in file order,
        then those of rules spanning sections (schedule, administrations, day 0, safety)."""
        return [f"{self.source}: {e.field}: {e.message}" for e in self.errors]

    def __str__(self) -> str:
        return "\n".join(self.messages())


def _read_interventions(t: Table) -> tuple[Interventions | None, dict[str, Any]]:
    """The interventions, and each of its sections (None where a section had an error)."""
    readers = {
        "harvest": read_harvest,
        "product": read_product,
        "dose": read_dose,
        "vehicle": read_vehicle,
        "route": read_route,
        "administrations": read_administrations,
    }
    parts: dict[str, Any] = {}
    with t:
        for key, reader in readers.items():
            table = t.table(key)
            parts[key] = reader(table) if table is not None else None
    if any(value is None for value in parts.values()):
        return None, parts
    return Interventions(**parts), parts


def protocol_from_dict(data: Mapping[str, Any], source: str = "<dict>") -> Protocol:
    """Check a parsed protocol document and build the :class:`Protocol` (pure; no I/O).

    ``source`` names the document in messages (usually its file path). Raises
    :class:`ProtocolError` listing every problem found.
    """
    errors = Errors()
    if not isinstance(data, Mapping):
        raise ProtocolError([FieldError(FILE_KEY, "a protocol must be a TOML table")], source)
    root = Table(dict(data), "", errors)

    def section(key: str, reader):
        table = root.table(key)
        return reader(table) if table is not None else None

    with root:
        identity = section("trial", read_identity)
        phase_tables = root.tables("phases") or []
        read = [read_phase(t) for t in phase_tables]
        interventions_table = root.table("interventions")
        interventions, parts = (
            _read_interventions(interventions_table)
            if interventions_table is not None
            else (None, {})
        )
        eligibility = section("eligibility", read_eligibility)
        release_table = root.table("release")
        release = (
            read_release(release_table, parts.get("dose")) if release_table is not None else None
        )
        safety = section("safety", read_safety)
        analysis = section("analysis", read_analysis)
        randomisation_table = root.table("randomisation", required=False)
        randomisation = (
            read_randomisation(randomisation_table) if randomisation_table is not None else None
        )
        check_tables = root.tables("checks", required=False)
        checks = read_checks(check_tables) if check_tables else ()

    # Order and windows can be checked once every visit's timing was read; rules that depend
    # on forms and codes need the whole schedule clean, or they would report knock-on errors.
    timing_ok = bool(read) and all(phase is not None for phase, _ in read)
    schedule_clean = timing_ok and all(ok for _, ok in read)
    phases = [phase for phase, _ in read if phase is not None]
    if timing_ok:
        check_schedule(phases, errors)
    if schedule_clean:
        check_interventions(phases, parts, errors)
        if identity is not None:
            check_day_zero(identity, phases, parts, errors)
        if analysis is not None:
            check_analysis(analysis, phases, parts.get("administrations"), errors)
        if eligibility is not None:
            check_eligibility(eligibility, phases, errors)
    if safety is not None:
        check_safety(safety, parts, errors)
    if release is not None:
        check_release(release, parts.get("route"), errors)
    if analysis is not None:
        present = randomisation_table is not None
        check_randomisation(randomisation, analysis, phases, parts.get("route"), present, errors)
    if checks and schedule_clean:
        check_edit_checks(checks, phases, errors)
    if len(errors):
        raise ProtocolError(errors.items, source)
    return Protocol(
        **identity,
        phases=tuple(phases),
        interventions=interventions,
        eligibility=eligibility,
        release=release,
        safety=safety,
        analysis=analysis,
        source=source,
        randomisation=randomisation,
        checks=checks,
    )


def protocol_from_toml(text: str, source: str = "<text>") -> Protocol:
    """Parse TOML text and check it (pure; no I/O). A syntax error is a :class:`ProtocolError`
    on key ``(file)`` whose message carries tomllib's line and column."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # tomllib's message carries the line and column, e.g. "(at line 3, column 7)".
        raise ProtocolError([FieldError(FILE_KEY, f"not valid TOML: {error}")], source) from None
    except RecursionError:
        # tomllib parses nested arrays and inline tables recursively: thousands of levels
        # exhaust Python's stack. No protocol nests more than a few levels.
        raise ProtocolError(
            [FieldError(FILE_KEY, "not a protocol: arrays or tables nested too deeply")], source
        ) from None
    return protocol_from_dict(data, source=source)


def load_protocol(path: str | os.PathLike) -> Protocol:
    """Read and check a protocol TOML file (UTF-8); :class:`ProtocolError` names the file and
    keys."""
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ProtocolError([FieldError(FILE_KEY, "file not found")], source) from None
    except OSError as error:
        raise ProtocolError([FieldError(FILE_KEY, f"cannot read: {error}")], source) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProtocolError([FieldError(FILE_KEY, f"not UTF-8 text: {error}")], source) from None
    return protocol_from_toml(text, source=source)


def protocols_dir() -> Path:
    """The directory of shipped protocols: ``$ALSTRIAL_PROTOCOLS`` or the repository's
    ``protocols/`` (beside ``src/``)."""
    override = os.environ.get(PROTOCOLS_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "protocols"


def bundled_protocols() -> dict[str, Protocol]:
    """Every ``*.toml`` protocol in :func:`protocols_dir`, by slug (sorted by file name).

    A broken file raises its :class:`ProtocolError`; two files with one slug are an error.
    """
    found: dict[str, Protocol] = {}
    for path in sorted(protocols_dir().glob("*.toml")):
        protocol = load_protocol(path)
        if protocol.slug in found:
            raise ProtocolError(
                [
                    FieldError(
                        "trial.slug",
                        f"slug {protocol.slug!r} is also used by {found[protocol.slug].source}",
                    )
                ],
                str(path),
            )
        found[protocol.slug] = protocol
    return found


def bundled_protocol(slug: str) -> Protocol:
    """The shipped protocol with this slug (``KeyError`` naming the known slugs otherwise)."""
    directory = protocols_dir()
    candidate = directory / f"{slug}.toml"
    if candidate.is_file():
        protocol = load_protocol(candidate)
        if protocol.slug == slug:
            return protocol
    protocols = bundled_protocols()
    if slug not in protocols:
        known = ", ".join(sorted(protocols)) or "none"
        raise KeyError(f"no protocol {slug!r} in {directory} (known: {known})")
    return protocols[slug]
