"""Locking a trial's analysis plan: what is frozen and hashed, who may lock, a second lock and
any change refused, deviations from a changed protocol, the dashboard button and the command
(docs/analysis.md, "Analysis plan")."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from alstrial.domain.errors import FieldError
from alstrial.domain.protocol import load_protocol
from alstrial.web.core.models import Role
from alstrial.web.sap import services
from alstrial.web.sap.models import PlanLock, PlanLockChanged
from alstrial.web.trials.models import Trial, sha256_text

pytestmark = pytest.mark.django_db
FEW = 40  # simulated trials: enough to exercise the lock, small enough for a fast test


@pytest.fixture
def statistician(make_user):
    return make_user("plan_statistician", {"seoul": [Role.STATISTICIAN]})


@pytest.fixture
def coordinator(make_user):
    return make_user("plan_coordinator", {"seoul": [Role.COORDINATOR]})


def test_the_lock_freezes_protocol_plan_settings_and_simulation(kim_trial, statistician):
    lock = services.lock_plan(kim_trial, statistician, trials=FEW, seed=7, effect=0.5)
    content = lock.content
    assert content["protocol_sha256"] == kim_trial.protocol_sha256
    assert content["plan"]["primary"] == "change_vs_control"
    assert content["settings"]["follow_up_days"] == 98  # FU3's window ends on day 98
    oc = content["operating_characteristics"]
    assert (oc["design"], oc["analysis"], oc["trials"], oc["seed"]) == (
        "kim2009",
        "welch_change",
        FEW,
        7,
    )
    assert 0 <= oc["type_i_error"] <= 1
    assert 0 <= oc["power"] <= 1
    # The hash recomputed independently: canonical JSON, SHA-256 of its UTF-8 bytes.
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert lock.sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert lock.locked_from == "web"
    assert lock.locked_by == statistician
    assert PlanLock.history.filter(trial=kim_trial).count() == 1  # audited


def test_a_locked_plan_cannot_change(kim_trial, statistician):
    lock = services.lock_plan(kim_trial, statistician, trials=FEW)
    with pytest.raises(FieldError, match="already locked"):
        services.lock_plan(kim_trial, statistician, trials=FEW)
    lock.content = {**lock.content, "plan": {"primary": "slope_vs_control"}}
    with pytest.raises(PlanLockChanged):
        lock.save()
    with pytest.raises(PlanLockChanged):
        lock.delete()
    stored = PlanLock.objects.get(trial=kim_trial)
    assert stored.content["plan"]["primary"] == "change_vs_control"
    assert PlanLock.objects.count() == 1


def test_only_the_statistician_locks(kim_trial, coordinator):
    with pytest.raises(PermissionDenied):
        services.lock_plan(kim_trial, coordinator, trials=FEW)
    assert not PlanLock.objects.exists()


def test_a_protocol_without_primary_cannot_be_locked(mazzini_trial):
    with pytest.raises(FieldError, match="names no primary"):
        services.lock_plan(mazzini_trial, trials=FEW)
    assert not PlanLock.objects.exists()


def test_a_changed_protocol_is_a_deviation(kim_trial):
    services.lock_plan(kim_trial, trials=FEW)
    assert services.lock_deviations(kim_trial) == []
    text = kim_trial.protocol_source.replace("follow_up_days = 98", "follow_up_days = 120")
    Trial.objects.filter(pk=kim_trial.pk).update(
        protocol_source=text, protocol_sha256=sha256_text(text)
    )
    changed = services.lock_deviations(Trial.objects.get(pk=kim_trial.pk))
    assert any(d.startswith("protocol changed since the lock") for d in changed), changed


def test_the_locked_content_is_checked_against_its_hash(kim_trial):
    lock = services.lock_plan(kim_trial, trials=FEW)
    PlanLock.objects.filter(pk=lock.pk).update(content={**lock.content, "trial": "other"})
    with pytest.raises(FieldError, match="does not match its sha256"):
        services.locked_plan(kim_trial)


def test_the_dashboard_button_locks_for_the_statistician_only(
    client, kim_trial, statistician, coordinator, monkeypatch
):
    monkeypatch.setattr(services, "DEFAULT_TRIALS", FEW)
    url = reverse("sap:lock", args=[kim_trial.slug])
    client.force_login(coordinator)
    page = client.get(reverse("trials:dashboard", args=[kim_trial.slug]))
    assert b'data-testid="sap-lock"' not in page.content
    assert client.post(url, {"confirm": kim_trial.slug}).status_code == 403
    client.force_login(statistician)
    page = client.get(reverse("trials:dashboard", args=[kim_trial.slug]))
    assert b'data-testid="sap-lock"' in page.content
    assert client.post(url).status_code == 302  # unconfirmed: nothing locked
    assert not PlanLock.objects.exists()
    assert client.post(url, {"confirm": kim_trial.slug}).status_code == 302
    lock = PlanLock.objects.get(trial=kim_trial)
    assert lock.content["operating_characteristics"]["trials"] == FEW
    page = client.get(reverse("trials:dashboard", args=[kim_trial.slug]))
    assert lock.sha256.encode() in page.content
    assert b'data-testid="sap-lock"' not in page.content


def test_the_command_locks_once(kim_trial):
    from typer.testing import CliRunner

    from alstrial.cli import app

    args = ["sap", "lock", "--trial", "kim2009", "--trials", str(FEW), "--seed", "3"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    lock = PlanLock.objects.get(trial=kim_trial)
    assert f"sha256 {lock.sha256}" in first.output
    assert lock.locked_from == "command line"
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 2
    assert "already locked" in second.output
    shown = CliRunner().invoke(app, ["sap", "show", "--trial", "kim2009"])
    assert shown.exit_code == 0
    assert lock.sha256 in shown.output


def test_the_shipped_rct_primary_is_simulated_as_the_mmrm():
    from alstrial.simulation.plan_characteristics import SIMULATED_AS

    assert SIMULATED_AS[load_protocol("protocols/msc_rct.toml").analysis.plan.primary] == "mmrm"
