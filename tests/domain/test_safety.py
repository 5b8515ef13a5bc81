"""Adverse event validation and the derived facts (docs/domain.md, 'Adverse events')."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import product

import pytest

from alstrial.domain.errors import ValidationError
from alstrial.domain.safety import (
    Cause,
    Grade,
    Relatedness,
    Seriousness,
    is_fatal_or_life_threatening,
    is_susar,
    validate_adverse_event,
)

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
CONSENT = date(2026, 1, 5)
LP_TERMS = ("headache", "low back pain", "myalgia", "fever", "meningism")


def report(**changes):
    data = {
        "subject_id": "SEO-0001-X",
        "term": "Headache",
        "onset_date": "2026-03-02",
        "resolution_date": "2026-03-04",
        "grade": 1,
        "seriousness_criteria": [],
        "relatedness_cell_product": "unlikely",
        "relatedness_bone_marrow_aspiration": "unrelated",
        "relatedness_lumbar_puncture": "probable",
        "action_taken": "none",
        "outcome": "recovered",
    }
    data.update(changes)
    return data


def validate(data, consent=CONSENT, **kw):
    causes = kw.pop(
        "causes", (Cause.CELL_PRODUCT, Cause.BONE_MARROW_ASPIRATION, Cause.LUMBAR_PUNCTURE)
    )
    return validate_adverse_event(
        data,
        consent_date=consent,
        now=NOW,
        site_timezone="Asia/Seoul",
        reference_terms=LP_TERMS,
        causes=causes,
        **kw,
    )


def fields(excinfo) -> dict[str, list[str]]:
    return excinfo.value.by_field()


def test_a_valid_expected_non_serious_event():
    ae = validate(report())
    assert ae.term == "headache"
    assert ae.coded.code == "ALS-AE-001"
    assert ae.expected
    assert not ae.is_serious
    assert ae.related_causes == (Cause.LUMBAR_PUNCTURE,)
    assert not ae.is_susar
    assert ae.duration_days == 2
    assert ae.to_dict()["relatedness"]["lumbar_puncture"] == "probable"


@pytest.mark.parametrize(
    ("criteria", "levels", "expected", "susar"),
    [
        ({Seriousness.HOSPITALISATION}, ["possible"], False, True),
        ({Seriousness.HOSPITALISATION}, ["certain", "unrelated"], False, True),
        ({Seriousness.HOSPITALISATION}, ["unlikely", "unrelated"], False, False),
        ({Seriousness.HOSPITALISATION}, ["probable"], True, False),
        (set(), ["certain"], False, False),
    ],
)
def test_susar_is_serious_and_related_and_unexpected(criteria, levels, expected, susar):
    assert is_susar(criteria, levels, expected) is susar


def test_susar_truth_table_matches_the_definition():
    # Every combination, against the definition written out in words.
    for serious, level, expected in product([False, True], list(Relatedness), [False, True]):
        criteria = {Seriousness.MEDICALLY_IMPORTANT} if serious else set()
        want = serious and level in ("certain", "probable", "possible") and not expected
        assert is_susar(criteria, [level], expected) is want, (serious, level, expected)


def test_an_unexpected_related_serious_event_is_derived_a_susar():
    ae = validate(
        report(
            term="CSF leak",
            grade=3,
            seriousness_criteria=["hospitalisation"],
            awareness_at="2026-03-03T10:00",
            relatedness_lumbar_puncture="possible",
        )
    )
    assert ae.coded.code == "ALS-AE-013"
    assert not ae.expected
    assert ae.is_serious
    assert ae.is_susar
    assert not ae.is_fatal_or_life_threatening
    # naive awareness is read in the site's zone (Seoul, UTC+9)
    assert ae.awareness_at.utcoffset().total_seconds() == 9 * 3600


def test_related_to_a_procedure_only_still_counts_as_related():
    ae = validate(
        report(
            term="meningitis",
            grade=3,
            seriousness_criteria=["hospitalisation"],
            awareness_at="2026-03-03T10:00",
            relatedness_cell_product="unrelated",
            relatedness_lumbar_puncture="possible",
        )
    )
    assert ae.is_susar


def test_an_expected_term_above_its_expected_grade_is_unexpected():
    # ICH E2A II.C: greater severity than the reference information describes.
    assert validate(report(grade=2)).expected
    assert not validate(report(grade=3)).expected


def test_free_text_is_kept_and_flagged_for_coding_and_unexpected():
    ae = validate(report(term="Odd tingling in the scalp"))
    assert ae.coded.needs_coding
    assert ae.coded.verbatim == "Odd tingling in the scalp"
    assert not ae.expected
    assert any("needs coding" in w for w in ae.warnings)


def test_resolution_before_onset_is_refused_by_field():
    with pytest.raises(ValidationError) as excinfo:
        validate(report(onset_date="2026-03-05", resolution_date="2026-03-04"))
    assert "before the onset date" in fields(excinfo)["resolution_date"][0]


def test_grade_5_without_a_fatal_outcome_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        validate(
            report(
                grade=5,
                seriousness_criteria=["death"],
                awareness_at="2026-03-03T10:00",
                outcome="recovered",
            )
        )
    assert "fatal" in fields(excinfo)["outcome"][0]


def test_fatal_outcome_needs_grade_5_and_the_death_criterion():
    with pytest.raises(ValidationError) as excinfo:
        validate(report(grade=3, outcome="fatal", resolution_date=None))
    errors = fields(excinfo)
    assert "grade 5" in errors["grade"][0]
    assert "results in death" in errors["seriousness_criteria"][0]


def test_serious_without_a_criterion_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        validate(report(serious=True, seriousness_criteria=[]))
    assert fields(excinfo) == {
        "seriousness_criteria": ["a serious event needs at least one criterion"]
    }


def test_criteria_ticked_on_a_non_serious_event_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        validate(report(serious="no", seriousness_criteria=["disability"], awareness_at=NOW))
    assert "serious" in fields(excinfo)


def test_a_serious_event_needs_the_awareness_time():
    with pytest.raises(ValidationError) as excinfo:
        validate(report(seriousness_criteria=["hospitalisation"]))
    assert "awareness_at" in fields(excinfo)


def test_an_event_of_a_subject_not_yet_consented_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        validate(report(), consent=None)
    assert "has not given consent" in fields(excinfo)["subject_id"][0]


def test_onset_before_consent_is_medical_history():
    with pytest.raises(ValidationError) as excinfo:
        validate(report(onset_date="2026-01-04", resolution_date="2026-01-06"))
    assert "before informed consent" in fields(excinfo)["onset_date"][0]


def test_every_bad_field_is_reported_at_once():
    with pytest.raises(ValidationError) as excinfo:
        validate(
            report(
                term=" ",
                grade=7,
                onset_date="2026-13-01",
                action_taken="shrug",
                outcome=None,
                relatedness_lumbar_puncture="maybe",
            )
        )
    assert set(fields(excinfo)) == {
        "term",
        "grade",
        "onset_date",
        "action_taken",
        "outcome",
        "relatedness_lumbar_puncture",
    }


def test_relatedness_is_required_for_each_cause_of_the_protocol_only():
    data = report()
    del data["relatedness_lumbar_puncture"]
    with pytest.raises(ValidationError) as excinfo:
        validate(data)
    assert list(fields(excinfo)) == ["relatedness_lumbar_puncture"]
    # spinal surgery is not a procedure of this protocol: not required, and refused if given
    assert Cause.SPINAL_SURGERY not in validate(report()).relatedness
    with pytest.raises(ValidationError) as excinfo:
        validate(report(relatedness_spinal_surgery="possible"))
    assert "not a procedure of this protocol" in fields(excinfo)["relatedness_spinal_surgery"][0]


def test_ongoing_event_has_no_resolution_date_and_resolved_needs_one():
    with pytest.raises(ValidationError) as excinfo:
        validate(report(outcome="recovering"))
    assert "resolution_date" in fields(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        validate(report(resolution_date=None))
    assert "resolution_date" in fields(excinfo)
    assert validate(report(outcome="not_recovered", resolution_date="")).duration_days is None


def test_dates_in_the_future_are_refused_in_the_site_zone():
    # 2026-03-20 09:00 UTC is 18:00 in Seoul: the 21st is still in the future there.
    with pytest.raises(ValidationError) as excinfo:
        validate(report(onset_date="2026-03-21", resolution_date=None, outcome="recovering"))
    assert "future" in fields(excinfo)["onset_date"][0]


def test_awareness_cannot_precede_onset():
    with pytest.raises(ValidationError) as excinfo:
        validate(
            report(
                seriousness_criteria=["hospitalisation"],
                awareness_at="2026-03-01T23:00",
            )
        )
    assert "before the onset date" in fields(excinfo)["awareness_at"][0]


def test_grade_4_not_marked_serious_is_a_warning_not_an_error():
    ae = validate(report(grade=4, term="meningitis"))
    assert ae.grade == Grade.LIFE_THREATENING
    assert any("grade 4" in w for w in ae.warnings)


def test_fatal_or_life_threatening_picks_the_7_day_susar_clock():
    ae = validate(
        report(
            term="meningitis",
            grade=4,
            seriousness_criteria=["life_threatening", "hospitalisation"],
            awareness_at="2026-03-03T10:00",
            outcome="recovering",
            resolution_date=None,
        )
    )
    assert ae.is_fatal_or_life_threatening
    assert ae.is_susar
    assert not is_fatal_or_life_threatening(["hospitalisation", "disability"])
