"""The ALSFRS-R page writes its radio inputs itself (``AlsfrsForm.item_choices``, for speed):
they must be exactly what Django's ``RadioSelect`` would write for the same form, whether new,
saved, bound to a refused submission or read-only."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from alstrial.domain.alsfrs_items import ITEMS
from alstrial.web.assessments.forms import AlsfrsForm
from alstrial.web.assessments.models import AlsfrsAssessment
from alstrial.web.core.forms import make_read_only


class RadioInputs(HTMLParser):
    """Every ``<input type="radio">`` of a document, as a sorted tuple of its attributes."""

    def __init__(self, html: str):
        super().__init__()
        self.inputs: list[tuple] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "input" and dict(attrs).get("type") == "radio":
            self.inputs.append(tuple(sorted(attrs, key=lambda pair: pair[0])))


def django_radios(form: AlsfrsForm) -> list[tuple]:
    """The radio inputs Django's own widget templates render for ``form``'s items."""
    html = "".join(str(radio.tag()) for item in ITEMS for radio in form[item.key])
    return RadioInputs(html).inputs


def page_radios(response) -> list[tuple]:
    return RadioInputs(response.content.decode()).inputs


@pytest.fixture
def visit(enrolled_subject, client, users):
    return enrolled_subject("seoul", days_ago=200).visits.get(code="FU3")


def url(visit):
    return reverse("assessments:visit_form", args=[visit.pk, "alsfrs_r"])


def items(**changes) -> dict[str, str]:
    values = {item.key: "3" for item in ITEMS}
    values["cutting_with_gastrostomy"] = ""
    return {**values, **changes}


def save(client, visit, **changes):
    body = {**items(**changes), "visit_date": visit.target_date.isoformat(), "reason": "entry"}
    return client.post(url(visit), {**body, "version": ""})


@pytest.mark.django_db
def test_new_record(client, users, visit):
    client.force_login(users["coordinator.seoul"])
    blank = AlsfrsAssessment(subject=visit.subject, visit=visit)
    expected = django_radios(AlsfrsForm(instance=blank, initial={"version": None}))
    radios = page_radios(client.get(url(visit)))
    assert len(radios) == 13 * 5 + 2  # 5a and 5b apart, each also "not scored"
    assert radios == expected
    checked = [dict(r)["name"] for r in radios if "checked" in dict(r)]
    assert checked == ["cutting_without_gastrostomy", "cutting_with_gastrostomy"]  # not scored


@pytest.mark.django_db
def test_saved_record(client, users, visit):
    client.force_login(users["coordinator.seoul"])
    assert save(client, visit, speech="2", walking="4").status_code == 302
    record = AlsfrsAssessment.objects.get(visit=visit)
    expected = django_radios(AlsfrsForm(instance=record, initial={"version": record.version}))
    radios = page_radios(client.get(url(visit)))
    assert radios == expected
    checked = {dict(r)["name"]: dict(r)["value"] for r in radios if "checked" in dict(r)}
    assert checked["speech"] == "2"
    assert checked["walking"] == "4"


@pytest.mark.django_db
def test_refused_submission_keeps_what_was_typed(client, users, visit):
    client.force_login(users["coordinator.seoul"])
    response = save(client, visit, speech="7", cutting_with_gastrostomy="2")  # both refused
    assert response.status_code == 400
    body = {**items(speech="7", cutting_with_gastrostomy="2"), "version": ""}
    blank = AlsfrsAssessment(subject=visit.subject, visit=visit)
    expected = django_radios(AlsfrsForm(body, instance=blank, initial={"version": None}))
    assert page_radios(response) == expected
    checked = {
        dict(r)["name"]: dict(r)["value"] for r in page_radios(response) if "checked" in dict(r)
    }
    assert "speech" not in checked
    assert checked["cutting_with_gastrostomy"] == "2"


@pytest.mark.django_db
def test_read_only_reader(client, users, visit):
    client.force_login(users["coordinator.seoul"])
    assert save(client, visit).status_code == 302
    client.force_login(users["safety.monitor"])
    record = AlsfrsAssessment.objects.get(visit=visit)
    form = AlsfrsForm(instance=record, initial={"version": record.version})
    make_read_only(form)
    radios = page_radios(client.get(url(visit)))
    assert radios == django_radios(form)
    assert all("disabled" in dict(r) for r in radios)
