"""Accounts: the password policy, no self-service password reset, and every account and role
change in the audit trail with who made it (django-simple-history; the password hash is never
copied into the history)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import NoReverseMatch, reverse

pytestmark = pytest.mark.django_db

STRONG = "violet-harbour-lantern-42"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short-pw-1", "at least 12 characters"),
        ("password1234", "too common"),
        ("384920174650", "entirely numeric"),
        ("coordinator.seoul", "too similar"),
    ],
)
def test_weak_passwords_are_refused(password, reason):
    user = get_user_model()(username="coordinator.seoul")
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    assert reason in " ".join(refused.value.messages)
    validate_password(STRONG, user)  # and a good one passes


@pytest.mark.parametrize("name", ["password_reset", "password_reset_confirm", "password_change"])
def test_no_self_service_password_reset(client, name):
    with pytest.raises(NoReverseMatch):
        reverse(name)
    assert client.get("/accounts/password_reset/").status_code == 404


@pytest.fixture
def admin_client(client, make_user):
    superuser = get_user_model().objects.create_superuser("root.admin", password=STRONG)
    client.force_login(superuser)
    return client, superuser


def test_password_set_by_an_admin_is_audited_without_the_hash(admin_client, make_user):
    client, superuser = admin_client
    user = make_user("coordinator.x", {"seoul": ["coordinator"]})
    old_hash = user.password
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    answer = client.post(url, {"password1": STRONG, "password2": STRONG, "usable_password": "true"})
    assert answer.status_code == 302, answer.content[:500]
    user.refresh_from_db()
    assert user.password != old_hash
    latest = user.history.latest()
    assert (latest.history_type, latest.history_user) == ("~", superuser)
    assert not hasattr(latest, "password")
    assert "password" not in {f.name for f in user.history.model._meta.fields}


def test_deactivation_and_role_grants_are_audited_with_who(admin_client, make_user, sites):
    from alstrial.web.core.models import SiteMembership

    client, superuser = admin_client
    user = make_user("investigator.x", {"seoul": ["investigator"]})
    url = reverse("admin:auth_user_change", args=[user.pk])
    form = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "initial-date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "initial-date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }  # is_active left out: unticked, the account is deactivated
    answer = client.post(url, form)
    assert answer.status_code == 302, answer.content[:2000]
    latest = user.history.latest()
    assert (latest.is_active, latest.history_user) == (False, superuser)
    assert user.history.earliest().is_active is True

    grant = reverse("admin:core_sitemembership_add")
    form = {"user": user.pk, "site": sites["novara"].pk, "role": "auditor"}
    assert client.post(grant, form).status_code == 302
    membership = SiteMembership.objects.get(user=user, site=sites["novara"])
    record = membership.history.latest()
    assert (record.history_type, record.role, record.history_user) == ("+", "auditor", superuser)


def test_account_history_is_append_only_on_postgresql(make_user):
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    user = make_user("coordinator.y", {"seoul": ["coordinator"]})
    table = user.history.model._meta.db_table
    for statement in (f"UPDATE {table} SET is_active = false", f"DELETE FROM {table}"):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
