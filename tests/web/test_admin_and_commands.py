"""The admin cannot change clinical data or history; trials come from protocol files."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.urls import reverse

from alstrial.web.subjects.models import Subject
from alstrial.web.trials.models import Trial, sha256_text


@pytest.fixture
def superuser(make_user):
    user = make_user("root", {})
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def test_admin_shows_clinical_data_read_only(client, superuser, screen):
    subject = screen("seoul")
    client.force_login(superuser)
    url = reverse("admin:subjects_subject_change", args=[subject.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"status": "withdrawn"})
    assert Subject.objects.get(pk=subject.pk).status == "screening"
    delete = reverse("admin:subjects_subject_delete", args=[subject.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Subject.objects.filter(pk=subject.pk).exists()


def test_no_history_model_is_in_the_admin():
    assert not [m for m in admin.site._registry if m.__name__.startswith("Historical")]


def test_trial_stores_protocol_text_and_hash(kim_trial):
    from alstrial.domain.protocol import protocols_dir

    text = (protocols_dir() / "kim2009.toml").read_text(encoding="utf-8")
    assert kim_trial.protocol_source == text
    assert kim_trial.protocol_sha256 == sha256_text(text)
    assert kim_trial.protocol.visit("INJ1").day == 0


def test_tampered_protocol_text_is_detected(kim_trial):
    Trial.objects.filter(pk=kim_trial.pk).update(
        protocol_source=kim_trial.protocol_source + "\n# edited"
    )
    with pytest.raises(ValueError, match="does not match its hash"):
        _ = Trial.objects.get(pk=kim_trial.pk).protocol


def test_create_trial_command(sites, tmp_path):
    from alstrial.domain.protocol import protocols_dir

    call_command("create_trial", str(protocols_dir() / "mazzini2003.toml"), site=["novara"])
    assert list(Trial.objects.get(slug="mazzini2003").sites.all()) == [sites["novara"]]
    broken = tmp_path / "broken.toml"
    broken.write_text('[trial]\nslug = "x"\n', encoding="utf-8")
    with pytest.raises(CommandError, match="trial"):
        call_command("create_trial", str(broken), site=["novara"])
    assert Trial.objects.count() == 1
    with pytest.raises(CommandError, match="no site"):
        call_command("create_trial", str(broken), site=["tokyo"])


def test_report_command_names_the_known_trials(kim_trial, tmp_path):
    from typer.testing import CliRunner

    from alstrial.cli import app

    result = CliRunner().invoke(app, ["report", "--trial", "kim2008", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "no trial 'kim2008'" in result.output
    assert "kim2009" in result.output
    assert not any(tmp_path.iterdir())
