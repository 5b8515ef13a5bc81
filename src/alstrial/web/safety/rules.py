"""The bridge from stored records to the domain rules: one function per question.

Nothing here decides a rule: it gathers the protocol, the site's time zone and the subject's
consent date, calls :mod:`alstrial.domain.safety` and writes the domain's answer back.
"""

from __future__ import annotations

from datetime import datetime

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.protocol import Protocol
from alstrial.domain.safety import AdverseEvent as DomainAdverseEvent
from alstrial.domain.safety import Cause, validate_adverse_event
from alstrial.domain.safety_terms import expectedness, reference_list, shipped_terms


def site_time_zone(site) -> str:
    """The IANA name of ``site``'s time zone (``Site.zone``); a FieldError when none is set.

    There is deliberately no fallback to the server's zone: a wrong zone moves day 0.
    """
    return site.zone.key


def trial_causes(protocol: Protocol) -> tuple[str, ...]:
    """What an event can be related to in this protocol (the product, the harvest and the
    route's procedure: ``Interventions.causes``), in :class:`Cause` order."""
    used = set(protocol.interventions.causes())
    return tuple(c.value for c in Cause if c.value in used)


def reference_terms(protocol: Protocol) -> tuple[str, ...]:
    """The protocol's expected terms (or the shipped list for its procedures when it has none)."""
    return reference_list(protocol.safety.expected_terms(), trial_causes(protocol))


def expectedness_reason(ae) -> str:
    """Why the stored event is (un)expected, in words (the same rule as the derivation)."""
    coded = shipped_terms().code(ae.coded_term or ae.verbatim_term)
    return expectedness(coded, ae.grade, reference_terms(ae.subject.trial.protocol))[1]


def domain_data(ae) -> dict:
    """The form/API fields of a stored or edited adverse event, as the domain reads them."""
    data = {
        "subject_id": ae.subject.code,
        # a coder's choice codes the verbatim term; the verbatim text itself is never changed
        "term": ae.coded_term or ae.verbatim_term,
        "onset_date": ae.onset_date,
        "resolution_date": ae.resolution_date,
        "grade": ae.grade,
        "seriousness_criteria": list(ae.seriousness_criteria or ()),
        "action_taken": ae.action_taken,
        "outcome": ae.outcome,
        "awareness_at": ae.awareness_at,
        "follow_up_number": ae.follow_up_number,
    }
    serious_flag = getattr(ae, "_serious_flag", None)
    if serious_flag is not None:
        data["serious"] = serious_flag
    for cause in Cause:
        data[cause.field] = getattr(ae, cause.field)
    return data


def assess(ae, now: datetime) -> DomainAdverseEvent:
    """Validate ``ae`` with the domain and write back normalised values and derived facts.

    Raises ValidationError (every bad field) and writes nothing onto ``ae`` in that case.
    ``ae._information_received_at`` (optional) is when a follow-up's information arrived: it
    starts the SUSAR clock when a follow-up turns an already serious event into a SUSAR.
    """
    subject = ae.subject
    protocol = subject.trial.protocol
    try:
        tz = site_time_zone(subject.site)
    except FieldError as error:
        raise ValidationError([error]) from None
    result = validate_adverse_event(
        domain_data(ae),
        consent_date=subject.consent_date,
        now=now,
        site_timezone=tz,
        reference_terms=reference_terms(protocol),
        causes=trial_causes(protocol),
    )
    was_serious = not ae._state.adding and getattr(ae, "_was_serious", False)
    was_susar = not ae._state.adding and getattr(ae, "_was_susar", False)
    ae.term = result.term
    if not ae.coded_term:
        ae.verbatim_term = result.coded.verbatim
    ae.term_code = result.coded.code or ""
    ae.onset_date = result.onset_date
    ae.resolution_date = result.resolution_date
    ae.grade = int(result.grade)
    ae.seriousness_criteria = sorted(c.value for c in result.seriousness_criteria)
    for cause in Cause:
        level = result.relatedness.get(cause)
        setattr(ae, cause.field, level.value if level else "")
    ae.action_taken = result.action_taken.value
    ae.outcome = result.outcome.value
    ae.awareness_at = result.awareness_at
    ae.serious = result.is_serious
    ae.related = result.is_related
    ae.expected = result.expected
    ae.susar = result.is_susar
    was_fatal_or_lt = not ae._state.adding and getattr(ae, "_was_fatal_or_lt", False)
    received = getattr(ae, "_information_received_at", None)
    if not result.is_susar:
        ae.susar_awareness_at = None
    elif not was_susar or ae.susar_awareness_at is None:
        # ICH E2A III.A.2: the SUSAR clock starts when the information that makes the event
        # a SUSAR is received; for a new or newly serious event that is the awareness time.
        ae.susar_awareness_at = result.awareness_at if not was_serious else (received or now)
    elif result.is_fatal_or_life_threatening and not was_fatal_or_lt:
        # A SUSAR that a follow-up shows to be fatal or life-threatening: the 7-day clock runs
        # from that information (ICH E2A III.A.1), not from the first report.
        ae.susar_awareness_at = received or now
    return result
