"""Demo hook: adverse events that reproduce the reference studies' safety results.

- kim2009 (Seoul, intrathecal injection after lumbar puncture): transient headache, low back
  pain and myalgia (Kim et al. 2009), grade 1-2, resolving in 1-4 days, related (probable) to
  the lumbar puncture, expected; no serious event. The paper gives no counts per term: the
  numbers of subjects here (headache 6, low back pain 4, myalgia 3 of 22) are illustrative.
- mazzini2003 (Novara, intraspinal implantation): intercostal pain in 4 subjects resolving after
  a mean of 3 days (2, 3, 3, 4) and leg dysesthesia in 5 subjects resolving after a mean of
  6 weeks (38-46 days, mean 42); no serious event, no death (Mazzini et al. 2003). The MRI
  follow-up (no volume change, no proliferation) comes from the assessments hook.
Every event goes through :func:`record_adverse_event`, as a coordinator would enter it.
"""

from __future__ import annotations

from datetime import timedelta

from alstrial.web.safety.services import record_adverse_event

#: (term, number of treated subjects, grade, durations in days cycled over the subjects)
KIM_EVENTS = (
    ("headache", 6, 1, (1, 2, 3, 2, 1, 3)),
    ("low back pain", 4, 1, (2, 3, 4, 2)),
    ("myalgia", 3, 2, (2, 1, 3)),
)
#: Mazzini: durations chosen so that the means are the paper's (3 days; 6 weeks = 42 days).
MAZZINI_INTERCOSTAL_DAYS = (2, 3, 3, 4)
MAZZINI_DYSESTHESIA_DAYS = (38, 40, 42, 44, 46)


def _report(subject, term, onset, days, grade, relatedness, user) -> None:
    data = {
        "term": term,
        "onset_date": onset,
        "resolution_date": onset + timedelta(days=days),
        "grade": grade,
        "serious": "no",
        "seriousness_criteria": [],
        "action_taken": "none",
        "outcome": "recovered",
        **relatedness,
    }
    record_adverse_event(subject, data, user)


def _first_dose_date(subject):
    visit = subject.visits.filter(administration=1, visit_date__isnull=False).first()
    return visit.visit_date if visit else None


def load_demo(ctx) -> None:
    """The demo events; their SAE clocks run on the time zones the core hook gave the sites."""
    lumbar = {
        "relatedness_cell_product": "unlikely",
        "relatedness_bone_marrow_aspiration": "unrelated",
        "relatedness_lumbar_puncture": "probable",
    }
    treated = [s for s in ctx.subjects.get("kim2009", []) if _first_dose_date(s)]
    rng = ctx.rng("safety")
    user = ctx.users["coordinator.seoul"]
    for term, count, grade, durations in KIM_EVENTS:
        for subject, days in zip(rng.sample(treated, count), durations, strict=True):
            onset = _first_dose_date(subject) + timedelta(days=1)
            if onset + timedelta(days=days) <= ctx.today:
                _report(subject, term, onset, days, grade, lumbar, user)

    surgery = {
        "relatedness_cell_product": "possible",
        "relatedness_bone_marrow_aspiration": "unrelated",
        "relatedness_spinal_surgery": "probable",
    }
    implanted = [s for s in ctx.subjects.get("mazzini2003", []) if _first_dose_date(s)]
    # the longest-lasting events go to the earliest implantations, so all have resolved
    implanted.sort(key=_first_dose_date, reverse=True)
    user = ctx.users["coordinator.novara"]
    if len(implanted) < len(MAZZINI_DYSESTHESIA_DAYS):
        raise ValueError(f"the mazzini2003 demo needs 5 implanted subjects, has {len(implanted)}")
    for subject, days in zip(implanted[:5], MAZZINI_DYSESTHESIA_DAYS, strict=True):
        onset = _first_dose_date(subject) + timedelta(days=1)
        _report(subject, "leg dysesthesia", onset, days, 1, surgery, user)
    for subject, days in zip(implanted[1:5], MAZZINI_INTERCOSTAL_DAYS, strict=True):
        onset = _first_dose_date(subject) + timedelta(days=1)
        _report(subject, "intercostal pain", onset, days, 2, surgery, user)
    ctx.log(f"demo: safety: {len(treated)} kim2009 and {len(implanted)} mazzini2003 subjects")
