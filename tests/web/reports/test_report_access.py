"""Who may build and download a trial's report, without building one: every URL
answers 404 for another site's trial (never 403, so existence does not leak), 403 for a role
of the trial's own site that may not read the report; one build per trial at a time; a failed
build is shown and leaves no files."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from alstrial.web.reports import services
from alstrial.web.reports.models import BuildStatus, ReportBuild

READERS = ["statistician", "investigator.seoul", "admin", "safety.monitor"]
OWN_SITE_NOT_ALLOWED = ["coordinator.seoul", "celllab.seoul"]
OTHER_SITE = ["coordinator.novara", "celllab.novara"]


@pytest.fixture
def reports_dir(settings, tmp_path):
    settings.ALSTRIAL_REPORTS_DIR = str(tmp_path / "reports")
    settings.ALSTRIAL_REPORT_REGISTRY = None
    return tmp_path / "reports"


@pytest.fixture
def built(kim_trial, users, reports_dir):
    """A finished build of kim2009 whose files the test wrote itself (no real build)."""
    folder = reports_dir / "kim2009" / "build-x"
    folder.mkdir(parents=True)
    (folder / "report.html").write_text("<html><body>KIM REPORT</body></html>")
    (folder / "report.pdf").write_bytes(b"%PDF-1.7 KIM")
    # The de-identified copy every build also writes (served to the statistician).
    (folder / "deidentified").mkdir()
    (folder / "deidentified" / "report.html").write_text("<html><body>KIM DEID</body></html>")
    (folder / "deidentified" / "report.pdf").write_bytes(b"%PDF-1.7 KIM DEID")
    now = timezone.now()
    return ReportBuild.objects.create(
        trial=kim_trial,
        status=BuildStatus.DONE,
        started_by=users["statistician"],
        started_at=now - timedelta(seconds=12),
        finished_at=now,
        folder="kim2009/build-x",
        settings={"analysis": {"follow_up_days": 90}, "sites": ["seoul"]},
        analysed={"treated": {"n": 3, "n_paired": 2}},
    )


def _urls(slug: str) -> list[tuple[str, str]]:
    return [
        ("get", f"/reports/{slug}/"),
        ("get", f"/reports/{slug}/panel/"),
        ("post", f"/reports/{slug}/build/"),
        ("get", f"/reports/{slug}/report.html"),
        ("get", f"/reports/{slug}/report.pdf"),
    ]


@pytest.mark.parametrize("username", OTHER_SITE)
def test_another_sites_trial_is_404_on_every_url(client, users, built, username):
    client.force_login(users[username])
    for method, url in _urls("kim2009"):
        assert getattr(client, method)(url).status_code == 404, url
    assert ReportBuild.objects.count() == 1  # the POST started nothing


def test_a_report_reader_of_another_site_gets_404_not_403(client, make_user, built):
    """Holding a report role (statistician) at Novara says nothing about Seoul's trial."""
    client.force_login(make_user("stat.novara", {"novara": ["statistician"]}))
    for method, url in _urls("kim2009"):
        assert getattr(client, method)(url).status_code == 404, url


@pytest.mark.parametrize("username", OWN_SITE_NOT_ALLOWED)
def test_own_site_roles_without_report_access_get_403(client, users, built, username):
    client.force_login(users[username])
    for method, url in _urls("kim2009"):
        assert getattr(client, method)(url).status_code == 403, url
    assert ReportBuild.objects.count() == 1


@pytest.mark.parametrize("username", READERS)
def test_readers_see_the_page_and_download(client, users, built, username):
    client.force_login(users[username])
    page = client.get("/reports/kim2009/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="last-built"' in text
    assert '<span data-testid="analysed-treated">2</span> of 3 treated' in text
    copy = " DEID" if username == "statistician" else ""
    html = client.get("/reports/kim2009/report.html")
    assert html.status_code == 200
    assert f"<body>KIM {'DEID' if copy else 'REPORT'}</body>".encode() in b"".join(
        html.streaming_content
    )
    assert "sandbox" in html["Content-Security-Policy"]
    pdf = client.get("/reports/kim2009/report.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Disposition"].startswith("attachment;")
    assert b"".join(pdf.streaming_content) == f"%PDF-1.7 KIM{copy}".encode()


def test_unknown_trial_and_unknown_file_are_404(client, users, built):
    client.force_login(users["statistician"])
    assert client.get("/reports/nosuchtrial/").status_code == 404
    assert client.get("/reports/kim2009/data.csv").status_code == 404
    assert client.get("/reports/kim2009/..%2Fsecret.html").status_code == 404


def test_anonymous_is_sent_to_log_in(client, built):
    for method, url in _urls("kim2009"):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert "/accounts/login/" in response["Location"]


def test_downloads_before_any_build_are_404(client, users, kim_trial, reports_dir):
    client.force_login(users["statistician"])
    assert 'data-testid="never-built"' in client.get("/reports/kim2009/").content.decode()
    assert client.get("/reports/kim2009/report.html").status_code == 404
    assert client.get("/reports/kim2009/report.pdf").status_code == 404


def test_a_multi_site_report_needs_the_role_at_every_site(client, make_user, built, sites):
    """The report covers the whole trial: a statistician of one of its two sites gets 403."""
    built.trial.sites.add(sites["novara"])
    client.force_login(make_user("stat.seoul", {"seoul": ["statistician"]}))
    for method, url in _urls("kim2009"):
        assert getattr(client, method)(url).status_code == 403, url


def test_dashboard_panel_only_for_report_readers(client, users, built):
    client.force_login(users["statistician"])
    assert 'id="report-panel"' in client.get("/trials/kim2009/").content.decode()
    client.force_login(users["coordinator.seoul"])
    assert 'id="report-panel"' not in client.get("/trials/kim2009/").content.decode()


def test_one_running_build_per_trial_at_the_database(kim_trial, users):
    ReportBuild.objects.create(
        trial=kim_trial, status=BuildStatus.BUILDING, started_by=users["admin"]
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportBuild.objects.create(
            trial=kim_trial, status=BuildStatus.BUILDING, started_by=users["statistician"]
        )


def test_a_second_build_while_one_runs_is_refused(client, users, kim_trial, reports_dir):
    running = ReportBuild.objects.create(
        trial=kim_trial, status=BuildStatus.BUILDING, started_by=users["admin"]
    )
    client.force_login(users["statistician"])
    plain = client.post("/reports/kim2009/build/")
    assert plain.status_code == 409
    assert 'data-testid="refused"' in plain.content.decode()
    htmx = client.post("/reports/kim2009/build/", HTTP_HX_REQUEST="true")
    text = htmx.content.decode()
    assert htmx.status_code == 200  # HTMX swaps the panel with the refusal in it
    assert text.startswith('<section class="card" id="report-panel"')
    assert "started by admin" in text
    assert list(ReportBuild.objects.values_list("pk", flat=True)) == [running.pk]
    assert not reports_dir.exists()


def test_a_build_abandoned_long_ago_no_longer_blocks(kim_trial, users):
    stale = ReportBuild.objects.create(
        trial=kim_trial,
        status=BuildStatus.BUILDING,
        started_by=users["admin"],
        started_at=timezone.now() - services.STALE_AFTER - timedelta(minutes=1),
    )
    fresh = services.start_build(kim_trial, users["statistician"])
    stale.refresh_from_db()
    assert stale.status == BuildStatus.FAILED
    assert "abandoned" in stale.error
    assert fresh.status == BuildStatus.BUILDING
    with pytest.raises(services.BuildRunning) as refused:
        services.start_build(kim_trial, users["admin"])
    assert refused.value.build == fresh


def test_a_failed_build_is_shown_and_leaves_nothing(
    client, users, kim_trial, reports_dir, monkeypatch
):
    """A build that fails half-way (here: after writing the HTML) is recorded as failed with
    its error, its files are removed and the downloads stay 404."""

    def half_written(trial, out, registry=None):
        out.mkdir(parents=True)
        (out / "report.html").write_text("half")
        raise ValueError("visits.csv row 3: day is not a whole number")

    monkeypatch.setattr("alstrial.web.reports.services.write_trial_outputs", half_written)
    client.force_login(users["investigator.seoul"])
    response = client.post("/reports/kim2009/build/", HTTP_HX_REQUEST="true")
    text = response.content.decode()
    build = ReportBuild.objects.get()
    assert build.status == BuildStatus.FAILED
    assert build.error == "ValueError: visits.csv row 3: day is not a whole number"
    assert 'data-testid="failed"' in text
    assert "visits.csv row 3: day is not a whole number" in text
    assert not any(reports_dir.rglob("*.html"))
    assert client.get("/reports/kim2009/report.html").status_code == 404
    # The failure does not block the next build.
    assert services.start_build(kim_trial, users["admin"]).status == BuildStatus.BUILDING


def test_the_panel_polls_while_a_build_runs_and_stops_after(client, users, built):
    client.force_login(users["investigator.seoul"])
    quiet = client.get("/reports/kim2009/panel/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 5s"' not in quiet
    running = ReportBuild.objects.create(
        trial=built.trial, status=BuildStatus.BUILDING, started_by=users["admin"]
    )
    text = client.get("/reports/kim2009/panel/?panel_on=dashboard").content.decode()
    assert text.startswith('<section class="card" id="report-panel"')
    assert 'hx-trigger="every 5s"' in text
    assert 'data-testid="running"' in text
    assert "/reports/kim2009/panel/?panel_on=dashboard" in text
    # A build left running past STALE_AFTER is dead: no more polling.
    running.started_at = timezone.now() - services.STALE_AFTER - timedelta(seconds=1)
    running.save()
    stale = client.get("/reports/kim2009/panel/").content.decode()
    assert "every 5s" not in stale


def test_the_django_admin_lists_builds_read_only(client, django_user_model, built):
    admin_client = client
    admin_client.force_login(django_user_model.objects.create_superuser("root", "", "pw-root"))
    listing = admin_client.get("/admin/reports/reportbuild/")
    assert listing.status_code == 200
    assert "kim2009" in listing.content.decode()
    assert admin_client.get("/admin/reports/reportbuild/add/").status_code == 403
    delete = admin_client.post(f"/admin/reports/reportbuild/{built.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    assert ReportBuild.objects.filter(pk=built.pk).exists()
