"""The web form and the API record an ALSFRS-R through one service: for the same input they
store the same assessment (items, total, visit date, audit trail) and show the same score.

The expected totals and stages are worked by hand from the rules in docs/domain.md (subscores:
items 1-3, 4-6, 7-9, 10-12; King's, Balendra 2014; MiToS, Chio 2015), not by the code."""

from __future__ import annotations

import re

import pytest
from api_support import open_visit_with
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from alstrial.domain.alsfrs_items import ITEM_KEYS
from alstrial.web.assessments.models import AlsfrsAssessment
from alstrial.web.assessments.services import alsfrs_score, record_alsfrs

pytestmark = pytest.mark.django_db

#: (items, total, subscores, King's stage, MiToS stage), worked by hand.
CASES = {
    # 5b scored (gastrostomy) and respiration intact: King's 4A; dressing 1 loses movement.
    "gastrostomy": (
        {
            "speech": 3,
            "salivation": 2,
            "swallowing": 4,
            "handwriting": 1,
            "cutting_without_gastrostomy": None,
            "cutting_with_gastrostomy": 2,
            "dressing_hygiene": 1,
            "turning_in_bed": 3,
            "walking": 2,
            "climbing_stairs": 1,
            "dyspnea": 3,
            "orthopnea": 4,
            "respiratory_insufficiency": 4,
        },
        30,
        {"bulbar": 9, "fine_motor": 4, "gross_motor": 6, "respiratory": 11},
        "4A",
        1,
    ),
    # Bulbar (speech 3) and lower limb (walking 3) involved: King's 2; no MiToS domain lost.
    "two_regions": (
        {
            **dict.fromkeys(ITEM_KEYS, 4),
            "cutting_with_gastrostomy": None,
            "speech": 3,
            "walking": 3,
        },
        46,
        {"bulbar": 11, "fine_motor": 12, "gross_motor": 11, "respiratory": 12},
        "2",
        0,
    ),
}


def _form_post(items: dict, visit_date) -> dict:
    """The web form's POST: radio values as text, an unscored item as the empty choice."""
    data = {key: "" if value is None else str(value) for key, value in items.items()}
    return {**data, "visit_date": visit_date.isoformat(), "reason": ""}


def _panel(html: str) -> dict:
    """The score panel's total and stages as the page shows them."""

    def shown(testid: str) -> str:
        found = re.search(rf'data-testid="{testid}">\s*([0-9AB]+)', html)
        assert found, f"{testid} not on the page"
        return found.group(1)

    return {
        "total": int(shown("alsfrs-total")),
        "kings_stage": shown("kings-stage"),
        "mitos_stage": int(shown("mitos-stage")),
    }


def _stored(assessment: AlsfrsAssessment) -> dict:
    visit = assessment.visit
    last = assessment.history.latest("history_date")
    return {
        "items": assessment.items(),
        "total": assessment.total,
        "version": assessment.version,
        "visit_status": visit.status,
        "visit_date": visit.visit_date,
        "created_by": assessment.created_by.get_username(),
        "reason": last.history_change_reason,
        "visit_reason": visit.history.latest("history_date").history_change_reason,
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_form_and_the_api_store_and_show_the_same_assessment(
    case, enrolled_subject, users, client, api
):
    items, total, subscores, kings, mitos = CASES[case]
    by_form, by_api = enrolled_subject("seoul"), enrolled_subject("seoul")
    form_visit = open_visit_with(by_form, "alsfrs_r")
    api_visit = open_visit_with(by_api, "alsfrs_r")
    assert form_visit.code == api_visit.code  # the same visit of two subjects
    day = form_visit.earliest_date

    client.force_login(users["coordinator.seoul"])
    url = reverse("assessments:visit_form", args=[form_visit.pk, "alsfrs_r"])
    assert client.post(url, _form_post(items, day)).status_code == 302
    response = api(users["coordinator.seoul"]).post(
        "assessments/alsfrs", {"visit_id": api_visit.pk, "visit_date": str(day), **items}
    )
    assert response.status_code == 201, response.content
    shown_by_api = response.json()

    from_form = AlsfrsAssessment.objects.get(visit=form_visit)
    from_api = AlsfrsAssessment.objects.get(visit=api_visit)
    assert _stored(from_form) == _stored(from_api)
    assert from_form.items() == items
    assert from_form.total == total
    assert from_form.visit.visit_date == day

    panel = _panel(client.get(url).content.decode())
    assert panel == {"total": total, "kings_stage": kings, "mitos_stage": mitos}
    assert {k: shown_by_api[k] for k in panel} == panel
    assert shown_by_api["subscores"] == subscores
    assert shown_by_api["items"] == items


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_score_display_matches_the_hand_worked_score(case):
    items, total, subscores, kings, mitos = CASES[case]
    as_typed = {key: "" if value is None else str(value) for key, value in items.items()}
    for given in (items, as_typed):  # the API's integers and the form's text alike
        score = alsfrs_score(given)
        assert score.complete
        assert score.to_dict() == {
            "total": total,
            "subscores": subscores,
            "kings_stage": kings,
            "mitos_stage": mitos,
        }


def test_an_incomplete_form_shows_the_points_so_far_and_what_is_missing():
    score = alsfrs_score({"speech": "3", "salivation": "2", "walking": ""})
    assert not score.complete
    assert score.total == 5
    assert any("swallowing" in problem.lower() for problem in score.problems)


def test_only_a_data_entry_role_records_and_nothing_is_written_otherwise(enrolled_subject, users):
    subject = enrolled_subject("seoul")
    visit = open_visit_with(subject, "alsfrs_r")
    items = CASES["two_regions"][0]
    for name in ("statistician", "celllab.seoul", "coordinator.novara"):
        with pytest.raises(PermissionDenied):
            record_alsfrs(
                AlsfrsAssessment(subject=subject, visit=visit),
                items,
                users[name],
                visit_date=visit.earliest_date,
            )
    visit.refresh_from_db()
    assert visit.status == "scheduled"
    assert not AlsfrsAssessment.objects.filter(visit=visit).exists()
