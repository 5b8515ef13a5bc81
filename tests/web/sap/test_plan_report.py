"""The kim2009 demo report, after its plan is locked, opens with the locked primary: the
statement names the protocol's primary analysis with the numbers of the result it reads, the
lock's hash and the simulated type I error, and lists no deviation (docs/report.md, "The primary
first")."""

from __future__ import annotations

import pytest
from django.utils import timezone

from alstrial.registry.synth import synthesize, write_proact
from alstrial.web.sap import services
from alstrial.web.trials.outputs import write_trial_outputs

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture
def demo(db, settings, tmp_path):
    from alstrial.web.core.demo import DemoContext, load_all_demo_data

    settings.ALSTRIAL_REPORTS_DIR = str(tmp_path / "reports")
    return load_all_demo_data(DemoContext(today=timezone.localdate(), log=lambda text: None))


def test_the_demo_reports_first_efficacy_statement_is_its_locked_primary(demo, tmp_path):
    trial = demo.trials["kim2009"]
    lock = services.lock_plan(trial, trials=40, seed=5)
    registry = tmp_path / "registry"
    write_proact(synthesize(3000, seed=demo.seed), registry)
    result = write_trial_outputs(trial, tmp_path / "out", registry=registry)
    primary = result.to_dict()["primary"]
    assert primary["name"] == "change_vs_control"
    assert primary["locked_sha256"] == lock.sha256
    assert primary["estimate"] == result.to_dict()["between_arms"]["change"]["difference"]
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    start = html.index('<section id="primary">')
    assert start < html.index('<section id="settings">')
    first = html[start : html.index("</p>", start)]
    assert "Change in ALSFRS-R over follow-up, treated minus control (Welch t" in first
    assert f"{abs(primary['estimate']):.2f}" in first
    type_i = lock.content["operating_characteristics"]["type_i_error"]
    assert f"simulated type I error of this analysis is {type_i:.3f}" in first
    assert lock.sha256 in html
    assert "no deviation" in html
    assert result.to_dict()["analysis_plan"]["deviations"] == []
