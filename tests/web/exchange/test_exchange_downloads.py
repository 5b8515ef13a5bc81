"""Export downloads from the trial dashboard: who may download what, for which sites.

Statisticians get the de-identified exports (CSV, dictionary) but not SDTM (calendar dates) or
ODM (audit trail); investigators and admins get all four; a role without analysis rights gets
403; another site's trial 404 (existence does not leak)."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse

from alstrial.exchange.odm import validate_odm


@pytest.fixture
def trial_with_subject(kim_trial, enrolled_subject):
    enrolled_subject("seoul")
    return kim_trial


def _get(client, user, kind, slug="kim2009"):
    client.force_login(user)
    return client.get(reverse("exchange:download", args=[slug, kind]))


def _names(response) -> set[str]:
    return set(zipfile.ZipFile(io.BytesIO(response.content)).namelist())


def test_statistician_gets_deidentified_exports_only(client, users, trial_with_subject):
    statistician = users["statistician"]
    response = _get(client, statistician, "csv")
    assert response.status_code == 200
    assert {"alsfrs_r.csv", "subjects.csv", "visits.csv"} <= _names(response)
    assert _get(client, statistician, "dictionary").status_code == 200
    assert _get(client, statistician, "sdtm").status_code == 403
    assert _get(client, statistician, "odm").status_code == 403


def test_investigator_gets_sdtm_and_valid_odm(client, users, trial_with_subject):
    investigator = users["investigator.seoul"]
    sdtm = _get(client, investigator, "sdtm")
    assert sdtm.status_code == 200
    assert {"dm.xpt", "qs.csv", "define.xml", "dm.json"} <= _names(sdtm)
    dm = zipfile.ZipFile(io.BytesIO(sdtm.content)).read("dm.csv").decode()
    assert "SEO-0001" in dm
    odm = _get(client, investigator, "odm")
    assert odm.status_code == 200
    assert validate_odm(odm.content) == []
    dashboard = client.get(reverse("trials:dashboard", args=["kim2009"]))
    assert reverse("exchange:download", args=["kim2009", "odm"]) in dashboard.content.decode()


def test_other_roles_and_sites_are_refused(client, users, make_user, trial_with_subject):
    assert _get(client, users["coordinator.seoul"], "csv").status_code == 403
    novara = make_user("investigator.novara.only", {"novara": ["investigator"]})
    assert _get(client, novara, "sdtm").status_code == 404
    assert _get(client, users["investigator.seoul"], "nonsense").status_code == 404
    client.force_login(users["coordinator.seoul"])
    dashboard = client.get(reverse("trials:dashboard", args=["kim2009"]))
    assert dashboard.status_code == 200
    assert "/exchange/kim2009/" not in dashboard.content.decode()
