"""The report button and ``alstrial report`` take the registry from one configuration and give
the same analysis on the same database: matched controls in both or in neither."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone
from typer.testing import CliRunner

from alstrial.cli import app
from alstrial.registry.synth import synthesize, write_proact
from alstrial.web.reports.models import BuildStatus, ReportBuild
from alstrial.web.reports.services import reports_dir

pytestmark = pytest.mark.slow


@pytest.fixture
def demo(db, settings, tmp_path):
    from alstrial.web.core.demo import DemoContext, load_all_demo_data

    settings.ALSTRIAL_REPORTS_DIR = str(tmp_path / "reports")
    settings.ALSTRIAL_REPORT_REGISTRY = None
    return load_all_demo_data(DemoContext(today=timezone.localdate(), log=lambda text: None))


def _web_analysis(client, user, slug: str) -> tuple[ReportBuild, dict]:
    client.force_login(user)
    client.post(f"/reports/{slug}/build/", HTTP_HX_REQUEST="true")
    build = ReportBuild.objects.filter(trial__slug=slug).latest("pk")
    assert build.status == BuildStatus.DONE, build.error
    analysis = reports_dir() / build.folder / "analysis.json"
    return build, json.loads(analysis.read_text(encoding="utf-8"))


def _cli_analysis(slug: str, out) -> dict:
    result = CliRunner().invoke(app, ["report", "--trial", slug, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads((out / "analysis.json").read_text(encoding="utf-8"))


def test_button_and_command_draw_the_same_registry_controls(client, demo, settings, tmp_path):
    statistician = demo.users["statistician"]
    # No registry configured: neither has controls, and the panel says why.
    build, web = _web_analysis(client, statistician, "kim2009")
    assert web == _cli_analysis("kim2009", tmp_path / "cli-plain")
    assert web["matching"] is None
    assert build.settings["registry"] is None
    panel = client.get("/reports/kim2009/panel/").content.decode()
    assert "no registry is configured" in panel

    registry = tmp_path / "registry"
    write_proact(synthesize(3000, seed=demo.seed), registry)
    settings.ALSTRIAL_REPORT_REGISTRY = str(registry)
    build, web = _web_analysis(client, statistician, "kim2009")
    cli = _cli_analysis("kim2009", tmp_path / "cli")
    assert web == cli
    assert web["matching"] is not None
    assert web["arms"]["control"]["n"] > 0
    assert build.analysed["control"]["n"] == web["arms"]["control"]["n"]
    assert build.settings["registry"] == str(registry.resolve())
    # The data files are the trial's own subjects, the same from both.
    for name in ("subjects.csv", "visits.csv"):
        web_data = (reports_dir() / build.folder / "data" / name).read_text(encoding="utf-8")
        assert web_data == (tmp_path / "cli" / "data" / name).read_text(encoding="utf-8")


def test_a_protocol_without_registry_controls_never_takes_one(client, demo, settings, tmp_path):
    registry = tmp_path / "registry"
    write_proact(synthesize(300, seed=1), registry)
    settings.ALSTRIAL_REPORT_REGISTRY = str(registry)
    assert demo.trials["mazzini2003"].protocol.analysis.control == "none"
    build, web = _web_analysis(client, demo.users["admin"], "mazzini2003")
    assert web["matching"] is None
    assert build.settings["registry"] is None
    assert web == _cli_analysis("mazzini2003", tmp_path / "cli")
    refused = CliRunner().invoke(
        app,
        [
            "report",
            "--trial",
            "mazzini2003",
            "--out",
            str(tmp_path / "x"),
            "--registry",
            str(registry),
        ],
    )
    assert refused.exit_code == 1
    assert "analysis.control = 'none'" in refused.output
    assert not (tmp_path / "x").exists()
