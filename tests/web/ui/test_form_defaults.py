"""Sane defaults and readable errors (docs/web.md, 'Forms' and 'Errors you can see'): no clinical
choice is pre-selected, and a domain error about a value no field shows names it as a clinician
reads it."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.web.core.forms import add_domain_errors, readable_name
from alstrial.web.subjects.forms import ScreeningForm


class _Selects(HTMLParser):
    """The value each <select> starts with, as a browser shows it: the option marked selected,
    else the first option."""

    def __init__(self):
        super().__init__()
        self.options: dict[str, list[tuple[str, bool]]] = {}
        self._current: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select":
            self._current = attrs.get("name")
            self.options[self._current] = []
        elif tag == "option" and self._current:
            self.options[self._current].append((attrs.get("value", ""), "selected" in attrs))

    def handle_endtag(self, tag):
        if tag == "select":
            self._current = None

    def shown(self, name: str) -> str:
        options = self.options[name]
        return next((value for value, chosen in options if chosen), options[0][0])


def shown_values(html: str) -> _Selects:
    parser = _Selects()
    parser.feed(html)
    return parser


@pytest.mark.parametrize(
    ("url_name", "fields"),
    [
        ("subjects:screen", ["sex", "onset_site", "el_escorial"]),
        ("safety:new", ["outcome"]),
    ],
)
def test_no_clinical_choice_is_preselected(client, users, kim_trial, url_name, fields):
    client.force_login(users["coordinator.seoul"])
    selects = shown_values(client.get(reverse(url_name)).content.decode())
    for name in fields:
        assert selects.shown(name) == "", name
        assert len(selects.options[name]) > 2, name  # the real choices follow the blank one


def test_a_screening_without_sex_is_refused_naming_the_field(client, users, kim_trial):
    client.force_login(users["coordinator.seoul"])
    response = client.post(
        reverse("subjects:screen"),
        {"trial": "", "onset_site": "spinal", "el_escorial": "probable", "age_years": "50"},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "sex" in form.errors
    assert "onset_site" not in form.errors


def test_a_domain_error_on_a_derived_value_reads_as_a_clinician_names_it():
    form = ScreeningForm(data={}, trial_choices=[])
    form.is_valid()
    add_domain_errors(
        form,
        ValidationError(
            [
                FieldError("disease_duration_months", "above the protocol's 24"),
                FieldError("age_years", "below 18"),
            ]
        ),
    )
    top = " ".join(form.non_field_errors())
    assert "disease_duration_months" not in top
    assert "Disease duration (months" in top
    assert "below 18" in form.errors["age_years"]
    assert readable_name("visit_date") == "Visit date"
    assert readable_name("age_years", form) == "Age (years)"
