"""The blinding predicate ``can_see_arm`` and the unblinded roles (docs/randomisation.md
"Blinding", docs/web.md "Roles")."""

from __future__ import annotations

import pytest

from alstrial.web.core.access import can_see_arm, is_deidentified

BLINDED = [
    "coordinator.seoul",
    "investigator.seoul",
    "celllab.seoul",
    "safety.monitor",
    "statistician",
]


@pytest.mark.parametrize("username", BLINDED)
def test_blinded_roles_do_not_see_the_arm(users, sites, username):
    assert can_see_arm(users[username], sites["seoul"]) is False


@pytest.mark.parametrize("username", ["unblinded.seoul", "dsmb.statistician"])
def test_unblinded_roles_see_the_arm_at_their_own_site_only(users, sites, username):
    assert can_see_arm(users[username], sites["seoul"]) is True
    assert can_see_arm(users[username], sites["novara"]) is False


def test_a_blinded_role_beside_an_unblinded_one_does_not_hide_it(make_user, sites):
    both = make_user("both", {"seoul": ["coordinator", "unblinded_pharmacy"]})
    assert can_see_arm(both, sites["seoul"]) is True


def test_the_auditor_is_blinded(make_user, sites):
    auditor = make_user("auditor", {"seoul": ["auditor"]})
    assert can_see_arm(auditor, sites["seoul"]) is False


def test_the_dsmb_statistician_sees_de_identified_data(users, sites):
    assert is_deidentified(users["dsmb.statistician"], sites["seoul"]) is True
    assert is_deidentified(users["unblinded.seoul"], sites["seoul"]) is False
