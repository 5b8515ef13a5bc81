"""Site isolation helpers."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from alstrial.web.core.access import (
    get_for_user_or_404,
    has_role,
    is_deidentified,
    require_role,
    sites_for,
)
from alstrial.web.subjects.models import Subject, Visit


def test_sites_for_follows_memberships(users, sites):
    assert list(sites_for(users["coordinator.seoul"])) == [sites["seoul"]]
    assert set(sites_for(users["safety.monitor"])) == set(sites.values())
    assert list(sites_for(users["safety.monitor"], "coordinator")) == []


def test_visible_to_hides_the_other_site(enrolled_subject, users):
    seoul = enrolled_subject("seoul")
    novara = enrolled_subject("novara")
    coordinator = users["coordinator.seoul"]
    assert list(Subject.objects.visible_to(coordinator)) == [seoul]
    assert set(Visit.objects.visible_to(coordinator).values_list("subject", flat=True)) == {
        seoul.pk
    }
    assert set(Subject.objects.visible_to(users["statistician"])) == {seoul, novara}
    assert list(Subject.objects.visible_to(users["statistician"], "coordinator")) == []


def test_other_sites_object_is_404_not_403(enrolled_subject, users):
    novara = enrolled_subject("novara")
    with pytest.raises(Http404):
        get_for_user_or_404(Subject, users["coordinator.seoul"], pk=novara.pk)
    assert get_for_user_or_404(Subject, users["coordinator.novara"], pk=novara.pk) == novara


def test_role_at_site(enrolled_subject, users, sites):
    assert has_role(users["coordinator.seoul"], sites["seoul"], "coordinator")
    assert not has_role(users["coordinator.seoul"], sites["novara"], "coordinator")
    with pytest.raises(PermissionDenied):
        require_role(users["statistician"], sites["seoul"], "coordinator", "investigator")


def test_statistician_is_deidentified_and_others_are_not(users):
    assert is_deidentified(users["statistician"])
    assert not is_deidentified(users["coordinator.seoul"])
    assert not is_deidentified(users["safety.monitor"])


def test_superuser_sees_every_site(make_user, sites):
    root = make_user("root", {})
    root.is_superuser = True
    root.save()
    assert set(sites_for(root)) == set(sites.values())


def test_role_grants_are_audited(make_user, sites):
    from alstrial.web.core.models import SiteMembership

    user = make_user("new.monitor", {"seoul": ["safety_monitor"]})
    grant = SiteMembership.objects.get(user=user)
    assert grant.history.get().history_type == "+"
    grant_id = grant.id
    grant.delete()
    assert [h.history_type for h in SiteMembership.history.filter(id=grant_id)] == ["-", "+"]
