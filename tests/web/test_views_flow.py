"""The pages as a coordinator uses them: screen, enrol, record visits, ALSFRS-R with HTMX."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alstrial.domain.alsfrs_items import ITEMS
from alstrial.web.assessments.models import AlsfrsAssessment
from alstrial.web.subjects.models import Subject, VisitStatus

TODAY = timezone.localdate()
ALL_FOURS = {item.key: "4" for item in ITEMS if item.key != "cutting_with_gastrostomy"}


def alsfrs_post(visit_date, version=None, reason="", **items):
    data = {**ALL_FOURS, "cutting_with_gastrostomy": "", **items}
    data.update(visit_date=visit_date.isoformat(), reason=reason)
    if version is not None:
        data["version"] = str(version)
    return data


@pytest.fixture
def coordinator(client, users):
    client.force_login(users["coordinator.seoul"])
    return client


def test_screen_and_enrol_through_the_pages(coordinator, kim_trial):
    screening = TODAY - timedelta(days=110)
    response = coordinator.post(
        reverse("subjects:screen"),
        {
            "trial": "kim2009:seoul",
            "consent_date": screening.isoformat(),
            "screening_date": screening.isoformat(),
            "sex": "F",
            "age_years": "48",
            "onset_site": "bulbar",
            "symptom_onset_date": (screening - timedelta(days=300)).isoformat(),
            "el_escorial": "definite",
            "alsfrs_r_total": "38",
            "fvc_percent_predicted": "80",
        },
    )
    subject = Subject.objects.get()
    assert response.status_code == 302
    assert subject.code.startswith("SEO-0001-")
    assert subject.eligible
    response = coordinator.post(
        reverse("subjects:enrol", args=[subject.pk]), {"enrolment_date": screening.isoformat()}
    )
    assert response.status_code == 302
    subject.refresh_from_db()
    assert subject.status == "enrolled"
    assert subject.day_zero_date == screening + timedelta(days=105)
    visits = list(subject.visits.order_by("sequence"))
    assert [v.code for v in visits][:3] == ["SCR", "LI0", "LI1"]
    assert visits[1].target_date == subject.day_zero_date - timedelta(days=91)
    page = coordinator.get(reverse("subjects:detail", args=[subject.pk])).content.decode()
    assert 'data-form="alsfrs_r" data-state=' in page


def test_screen_refuses_missing_consent_naming_the_field(coordinator, kim_trial):
    response = coordinator.post(
        reverse("subjects:screen"), {"trial": "kim2009:seoul", "alsfrs_r_total": "60"}
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert ("consent_date" in errors and "alsfrs_r_total" in errors) or "screening_date" in errors
    assert Subject.objects.count() == 0


def test_alsfrs_entry_then_edit_with_reason(coordinator, enrolled_subject):
    subject = enrolled_subject("seoul", days_ago=100)
    visit = subject.visits.get(code="LI0")
    url = reverse("assessments:visit_form", args=[visit.pk, "alsfrs_r"])
    assert coordinator.get(url).status_code == 200
    response = coordinator.post(url, alsfrs_post(visit.earliest_date, walking="3"))
    assert response.status_code == 302, response.context["form"].errors
    saved = AlsfrsAssessment.objects.get(visit=visit)
    assert saved.total == 47
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DONE
    # An edit without a reason is refused and nothing changes.
    response = coordinator.post(url, alsfrs_post(visit.visit_date, version=1, walking="2"))
    assert response.status_code == 400
    assert "reason" in response.context["form"].errors
    assert AlsfrsAssessment.objects.get(visit=visit).walking == 3
    response = coordinator.post(
        url, alsfrs_post(visit.visit_date, version=1, reason="walking re-rated", walking="2")
    )
    assert response.status_code == 302
    saved.refresh_from_db()
    assert (saved.walking, saved.total, saved.version) == (2, 46, 2)


def test_second_editor_gets_a_conflict(coordinator, enrolled_subject, client, users):
    subject = enrolled_subject("seoul", days_ago=100)
    visit = subject.visits.get(code="LI0")
    url = reverse("assessments:visit_form", args=[visit.pk, "alsfrs_r"])
    coordinator.post(url, alsfrs_post(visit.earliest_date))
    first = coordinator.post(url, alsfrs_post(visit.earliest_date, 1, "fix", speech="3"))
    assert first.status_code == 302
    stale = coordinator.post(url, alsfrs_post(visit.earliest_date, 1, "other fix", speech="2"))
    assert stale.status_code == 409
    assert "changed by coordinator.seoul" in stale.content.decode()
    assert AlsfrsAssessment.objects.get(visit=visit).speech == 3


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ({"speech": "5"}, "speech"),
        ({"speech": "two"}, "speech"),
        ({"dyspnea": "2.5"}, "dyspnea"),
        ({"cutting_with_gastrostomy": "2"}, "cutting_with_gastrostomy"),
        ({"cutting_without_gastrostomy": ""}, "cutting_without_gastrostomy"),
        ({"walking": ""}, "walking"),
    ],
)
def test_alsfrs_bad_items_are_refused_naming_the_field(coordinator, enrolled_subject, items, field):
    subject = enrolled_subject("seoul", days_ago=100)
    visit = subject.visits.get(code="LI0")
    url = reverse("assessments:visit_form", args=[visit.pk, "alsfrs_r"])
    response = coordinator.post(url, alsfrs_post(visit.earliest_date, **items))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors
    assert "item" in errors[field][0] or "5a" in errors[field][0]  # the domain's own message
    assert not AlsfrsAssessment.objects.filter(visit=visit).exists()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED  # the visit date was not written either


@pytest.mark.parametrize("when", ["future", "before_consent"])
def test_visit_date_checks(coordinator, enrolled_subject, when):
    subject = enrolled_subject("seoul", days_ago=100)
    visit = subject.visits.get(code="LI0")
    bad = TODAY + timedelta(days=3) if when == "future" else subject.consent_date - timedelta(1)
    url = reverse("assessments:visit_form", args=[visit.pk, "alsfrs_r"])
    response = coordinator.post(url, alsfrs_post(bad))
    assert response.status_code == 400
    assert "visit_date" in response.context["form"].errors
    assert not AlsfrsAssessment.objects.filter(visit=visit).exists()


def test_htmx_preview_shows_total_and_stages(coordinator, users):
    data = {**ALL_FOURS, "walking": "3", "dyspnea": "4"}
    response = coordinator.post(reverse("assessments:alsfrs_preview"), data, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="alsfrs-total">47' in body
    assert 'data-testid="kings-stage">1<' in body  # one region (lower limb) involved


def test_death_before_a_visit_is_refused(coordinator, enrolled_subject):
    subject = enrolled_subject("seoul", days_ago=100)
    visit = subject.visits.get(code="LI0")
    coordinator.post(
        reverse("assessments:visit_form", args=[visit.pk, "alsfrs_r"]),
        alsfrs_post(visit.earliest_date),
    )
    response = coordinator.post(
        reverse("assessments:endpoint_new", args=[subject.pk]),
        {"kind": "death", "event_date": (visit.earliest_date - timedelta(1)).isoformat()},
    )
    assert response.status_code == 400
    assert "event_date" in response.context["form"].errors
    assert not subject.endpoints.exists()


def test_missed_visit_needs_a_reason(coordinator, enrolled_subject):
    subject = enrolled_subject("seoul", days_ago=100)
    visit = subject.visits.get(code="LI0")
    url = reverse("subjects:visit", args=[visit.pk])
    response = coordinator.post(url, {"outcome": "missed", "version": visit.version})
    assert response.status_code == 400
    assert "missed_reason" in response.context["form"].errors
    response = coordinator.post(
        url, {"outcome": "missed", "missed_reason": "hospitalised", "version": visit.version}
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert (visit.status, visit.missed_reason) == ("missed", "hospitalised")


def test_subject_list_shows_the_next_visit(coordinator, enrolled_subject):
    subject = enrolled_subject("seoul", days_ago=100)  # LI0's window closed 9 days ago
    li0 = subject.visits.get(code="LI0")
    page = coordinator.get(reverse("subjects:list")).content.decode()
    row = page[page.index(subject.code) :]
    row = row[: row.index("</tr>")]
    assert f"LI0 {li0.target_date.isoformat()}" in row
    assert "overdue" in row


@pytest.mark.django_db
def test_dashboard_lists_the_first_50_overdue_visits_and_counts_the_rest(
    client, users, enrolled_subject
):
    from alstrial.web.subjects.models import Visit

    for _ in range(8):
        enrolled_subject("seoul", days_ago=300)
    client.force_login(users["coordinator.seoul"])
    page = client.get(reverse("trials:dashboard", args=["kim2009"]))
    overdue = [v for v in Visit.objects.select_related("subject__site") if v.overdue]
    assert len(overdue) > 50
    html = page.content.decode()
    assert f'data-testid="overdue">{len(overdue)}<' in html
    assert f"and {len(overdue) - 50} more" in html
    table = html.split("<h2>Visits overdue</h2>")[1].split("</table>")[0]
    assert table.count("<tr>") == 1 + 50 + 1  # header, 50 visits, "and N more"
