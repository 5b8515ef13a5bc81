"""Safety pages: site isolation (another site's object is 404), roles (403), the report form,
the board and the tables, whose counts are checked against a hand count."""

from __future__ import annotations

import io
from datetime import timedelta

import pandas as pd
import pytest
from django.urls import reverse

from alstrial.web.safety import services
from alstrial.web.safety.models import AdverseEvent, Notification, StoppingTrigger

pytestmark = pytest.mark.django_db


@pytest.fixture
def seoul_sae(site_zones, enrolled_subject, users, sae_data):
    """A serious, related, unexpected event (a SUSAR) of a Seoul subject."""
    subject = enrolled_subject("seoul")
    return services.record_adverse_event(subject, sae_data(subject), users["coordinator.seoul"])


@pytest.fixture
def novara_monitor(make_user):
    return make_user("monitor.novara", {"novara": ["safety_monitor"]})


def pages(ae):
    """Every GET page that shows one Seoul event or its trial."""
    slug = ae.subject.trial.slug
    return [
        reverse("safety:detail", args=[ae.pk]),
        reverse("safety:follow_up", args=[ae.pk]),
        reverse("safety:tables", args=[slug]),
        reverse("safety:table_csv", args=[slug, "by_term"]),
        reverse("safety:panel", args=[slug]),
    ]


def test_another_sites_event_answers_404_on_every_page(client, seoul_sae, users, novara_monitor):
    client.force_login(users["coordinator.novara"])
    for url in pages(seoul_sae):
        assert client.get(url).status_code == 404, url
    client.force_login(novara_monitor)
    for url in [reverse("safety:detail", args=[seoul_sae.pk])]:
        assert client.get(url).status_code == 404
    submit = reverse("safety:submit", args=[seoul_sae.pk, "sponsor"])
    assert client.post(submit).status_code == 404
    code = reverse("safety:code", args=[seoul_sae.pk])
    assert client.post(code, {"term": "headache"}).status_code == 404
    trigger = StoppingTrigger.objects.get()  # kim2009: any related SAE goes to the DSMB
    response = client.post(reverse("safety:lift", args=[trigger.pk]), {"reason": "x"})
    assert response.status_code == 404
    trigger.refresh_from_db()
    assert trigger.active
    assert not seoul_sae.submissions.exists()


def test_lists_and_board_show_only_the_users_sites(client, seoul_sae, users, novara_monitor):
    client.force_login(novara_monitor)
    for name in ("safety:list", "safety:board"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert seoul_sae.subject.code not in response.content.decode()
    client.force_login(users["safety.monitor"])
    for name in ("safety:list", "safety:board"):
        assert seoul_sae.subject.code in client.get(reverse(name)).content.decode()


def test_another_users_notification_answers_404(client, seoul_sae, users):
    note = Notification.objects.filter(user=users["safety.monitor"]).first()
    client.force_login(users["coordinator.seoul"])
    assert client.get(reverse("safety:open_notification", args=[note.pk])).status_code == 404


def test_roles(client, seoul_sae, users):
    detail = reverse("safety:detail", args=[seoul_sae.pk])
    client.force_login(users["statistician"])
    assert client.get(detail).status_code == 403
    assert client.get(reverse("safety:new")).status_code == 403
    slug = seoul_sae.subject.trial.slug
    assert client.get(reverse("safety:tables", args=[slug])).status_code == 200
    # listings carry event detail and dates: not for the de-identified view
    assert client.get(reverse("safety:table_csv", args=[slug, "sae_listing"])).status_code == 404
    client.force_login(users["celllab.seoul"])
    assert client.get(reverse("safety:list")).status_code == 403
    client.force_login(users["coordinator.seoul"])
    submit = reverse("safety:submit", args=[seoul_sae.pk, "sponsor"])
    assert client.post(submit).status_code == 403
    client.force_login(users["safety.monitor"])
    assert client.get(reverse("safety:follow_up", args=[seoul_sae.pk])).status_code == 403
    assert not seoul_sae.submissions.exists()


def form_post(subject, **changes):
    onset = subject.consent_date + timedelta(days=10)
    data = {
        "subject": subject.code,
        "term": "low back pain",
        "onset_date": onset.isoformat(),
        "resolution_date": (onset + timedelta(days=3)).isoformat(),
        "grade": "1",
        "serious": "no",
        "relatedness_cell_product": "unrelated",
        "relatedness_bone_marrow_aspiration": "unrelated",
        "relatedness_lumbar_puncture": "probable",
        "action_taken": "none",
        "outcome": "recovered",
    }
    data.update(changes)
    return data


def test_form_shows_domain_errors_next_to_fields_and_saves_nothing(
    client, site_zones, enrolled_subject, users
):
    subject = enrolled_subject("seoul")
    client.force_login(users["coordinator.seoul"])
    onset = subject.consent_date + timedelta(days=10)
    bad = form_post(subject, resolution_date=(onset - timedelta(days=1)).isoformat())
    response = client.post(reverse("safety:new"), bad)
    assert response.status_code == 200
    assert "is before the onset date" in response.context["form"].errors["resolution_date"][0]
    bad = form_post(subject, serious="yes")
    response = client.post(reverse("safety:new"), bad)
    assert "at least one criterion" in response.context["form"].errors["seriousness_criteria"][0]
    assert AdverseEvent.objects.count() == 0
    response = client.post(reverse("safety:new"), form_post(subject))
    assert response.status_code == 302
    ae = AdverseEvent.objects.get()
    assert (ae.term, ae.expected, ae.related) == ("low back pain", True, True)


def test_follow_up_with_a_stale_version_is_refused(client, site_zones, enrolled_subject, users):
    subject = enrolled_subject("seoul")
    client.force_login(users["coordinator.seoul"])
    client.post(reverse("safety:new"), form_post(subject))
    ae = AdverseEvent.objects.get()
    url = reverse("safety:follow_up", args=[ae.pk])
    data = form_post(subject, grade="2", reason="worse", version="1")
    del data["subject"]
    assert client.post(url, data).status_code == 302
    response = client.post(url, {**data, "grade": "1", "reason": "typo"})  # still version 1
    assert response.status_code == 409
    ae.refresh_from_db()
    assert (ae.grade, ae.version, ae.follow_up_number) == (2, 2, 1)


def test_monitor_sees_the_sae_due_and_marks_it_sent(client, seoul_sae, users):
    client.force_login(users["safety.monitor"])
    detail = client.get(reverse("safety:detail", args=[seoul_sae.pk])).content.decode()
    assert "is not on the protocol&#x27;s list of expected events" in detail
    board = client.get(reverse("safety:board")).content.decode()
    assert "SAE report to the sponsor" in board
    assert "SUSAR report to the authorities" in board
    # deadlines in site time: aware at 09:30 KST on consent + 11 days (00:30 UTC)
    aware_day = seoul_sae.subject.consent_date + timedelta(days=11)
    sponsor_due = f"{aware_day + timedelta(days=1)} 09:30 (Asia/Seoul)"
    assert sponsor_due in board
    assert f"{aware_day + timedelta(days=1)} 00:30 UTC" in board
    assert f"end of {aware_day + timedelta(days=15)} (Asia/Seoul)" in board  # day 15
    assert f"{aware_day + timedelta(days=15)} 15:00 UTC" in board  # 00:00 KST next day
    submit = reverse("safety:submit", args=[seoul_sae.pk, "sponsor"])
    response = client.post(submit, {"reference": "SPONSOR-1", "next": reverse("safety:board")})
    assert response.status_code == 302
    assert response.url == reverse("safety:board")
    sent = seoul_sae.submissions.get()
    assert (sent.kind, sent.reference, sent.submitted_by) == (
        "sponsor",
        "SPONSOR-1",
        users["safety.monitor"],
    )
    response = client.get(reverse("safety:notifications"))
    assert "New SUSAR" in response.content.decode()
    assert response.context["unread"] == 2  # the SUSAR and the DSMB-review rule


def test_tables_page_and_csv_match_a_hand_count(
    client, site_zones, enrolled_subject, users, ae_data
):
    # Two subjects: A has two headaches (grades 1 and 2), B one low back pain (grade 1).
    # by_term: any term 2 subjects / 3 events; headache 1 subject (50.0%) / 2 events.
    user = users["coordinator.seoul"]
    a, b = enrolled_subject("seoul"), enrolled_subject("seoul")
    services.record_adverse_event(a, ae_data(a), user)
    later = a.consent_date + timedelta(days=20)
    services.record_adverse_event(
        a, ae_data(a, grade="2", onset_date=later, resolution_date=later), user
    )
    services.record_adverse_event(b, ae_data(b, term="lumbago"), user)
    client.force_login(users["investigator.seoul"])
    slug = a.trial.slug
    response = client.get(reverse("safety:table_csv", args=[slug, "by_term"]))
    table = pd.read_csv(io.StringIO(response.content.decode())).set_index("term")
    assert tuple(table.loc["any term", ["subjects", "percent", "events"]]) == (2, 100.0, 3)
    assert tuple(table.loc["headache", ["subjects", "percent", "events"]]) == (1, 50.0, 2)
    assert tuple(table.loc["headache", ["grade_1", "grade_2"]]) == (1, 1)
    assert table.loc["low back pain", "events"] == 1  # "lumbago" coded to its preferred term
    page = client.get(reverse("safety:tables", args=[slug])).content.decode()
    assert "Time to resolution" in page
    assert "N = 2" in page


def test_trial_dashboard_shows_the_safety_panel(client, seoul_sae, users):
    client.force_login(users["investigator.seoul"])
    page = client.get(reverse("trials:dashboard", args=[seoul_sae.subject.trial.slug]))
    html = page.content.decode()
    assert 'id="safety-panel"' in html
    assert '<div class="stat" data-testid="saes">1</div>' in html
    # kim2009's rule "any related SAE goes to the DSMB" counts this subject
    assert "1 of 1 subject" in html
    assert "triggered" in html


def test_mri_tables_read_the_spinal_cord_mri_form(client, site_zones, enrolled_subject, users):
    # One Mazzini subject: SCR 10.0 ml, M3 10.2 ml (+2.0%), M6 proliferation seen, no volume.
    from alstrial.web.assessments.models import MriSpine
    from alstrial.web.core.records import save_clinical
    from alstrial.web.subjects.services import record_visit

    user = users["coordinator.novara"]
    subject = enrolled_subject("novara", days_ago=300)
    for code, volume, proliferation in (
        ("SCR", 10.0, False),
        ("M3", 10.2, False),
        ("M6", None, True),
    ):
        visit = subject.visits.get(code=code)
        if visit.status != "done":
            record_visit(visit, user, visit_date=visit.target_date)
            visit.refresh_from_db()
        save_clinical(
            MriSpine(
                subject=subject,
                visit=visit,
                cord_volume_ml=volume,
                abnormal_proliferation=proliferation,
            ),
            user,
        )
    client.force_login(users["safety.monitor"])
    url = reverse("safety:table_csv", args=[subject.trial.slug, "mri_by_subject"])
    row = pd.read_csv(io.StringIO(client.get(url).content.decode())).iloc[0]
    assert (row["subject_id"], row["scans"], row["measured_scans"]) == (subject.code, 3, 2)
    assert row["change_percent"] == pytest.approx(2.0)
    assert bool(row["abnormal_proliferation"])
    url = reverse("safety:table_csv", args=[subject.trial.slug, "mri_summary"])
    summary = pd.read_csv(io.StringIO(client.get(url).content.decode())).iloc[0]
    assert summary["subjects_with_proliferation"] == 1


def test_safety_population_is_subjects_exposed_to_a_procedure(enrolled_subject, users, site_zones):
    from alstrial.web.safety.board import trial_frames
    from alstrial.web.subjects.services import record_visit

    user = users["coordinator.seoul"]
    harvested, waiting = enrolled_subject("seoul", days_ago=200), enrolled_subject("seoul")
    visit = harvested.visits.get(code="HARV1")
    record_visit(visit, user, visit_date=visit.target_date)
    _, subjects, _ = trial_frames(harvested.trial)
    assert list(subjects["subject_id"]) == [harvested.code]  # not the one still in lead-in
    assert waiting.status == "enrolled"


def test_safety_badge_tag_counts_unread_notifications(seoul_sae, users):
    from django.template import Context, Template

    template = Template("{% load safety %}{% safety_badge %}")
    html = template.render(Context({"user": users["safety.monitor"]}))
    assert ">2 safety</a>" in html  # the SUSAR and the DSMB-review rule
    assert template.render(Context({"user": users["coordinator.seoul"]})) == ""


def test_every_page_shows_the_safety_monitor_the_unread_badge(client, seoul_sae, users):
    client.force_login(users["safety.monitor"])
    for url in ("/", reverse("subjects:list")):
        html = client.get(url).content.decode()
        assert 'id="safety-badge">2 safety</a>' in html
    client.force_login(users["coordinator.seoul"])
    assert 'id="safety-badge"' not in client.get("/").content.decode()


def test_submission_never_redirects_off_site(client, seoul_sae, users):
    client.force_login(users["safety.monitor"])
    submit = reverse("safety:submit", args=[seoul_sae.pk, "sponsor"])
    response = client.post(submit, {"next": "https://evil.example/phish"})
    assert response.status_code == 302
    assert response.url == reverse("safety:board")


def test_the_deidentified_view_never_shows_free_text_terms(
    client, site_zones, enrolled_subject, users, ae_data
):
    subject = enrolled_subject("seoul")
    data = ae_data(subject, term="pain where Mr Kim fell at home")
    services.record_adverse_event(subject, data, users["coordinator.seoul"])
    url = reverse("safety:table_csv", args=[subject.trial.slug, "by_term"])
    client.force_login(users["statistician"])
    text = client.get(url).content.decode()
    assert "Mr Kim" not in text
    assert "(term not yet coded)" in text
    client.force_login(users["investigator.seoul"])
    assert "mr kim" in client.get(url).content.decode()  # readers see the verbatim term


def test_each_site_reads_and_shows_times_in_its_own_zone(
    client, site_zones, enrolled_subject, users, sae_data
):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    subject = enrolled_subject("novara")  # mazzini2003: spinal surgery, no lumbar puncture
    data = sae_data(subject, relatedness_lumbar_puncture="", relatedness_spinal_surgery="possible")
    ae = services.record_adverse_event(subject, data, users["coordinator.novara"])
    rome = ZoneInfo("Europe/Rome")
    aware_day = subject.consent_date + timedelta(days=11)
    local = datetime(aware_day.year, aware_day.month, aware_day.day, 9, 30, tzinfo=rome)
    assert ae.awareness_at == local  # 09:30 read as Rome time, not Seoul or UTC
    sponsor_due = (local.astimezone(UTC) + timedelta(hours=24)).astimezone(rome)
    client.force_login(users["safety.monitor"])
    board = client.get(reverse("safety:board")).content.decode()
    assert f"{sponsor_due:%Y-%m-%d %H:%M} (Europe/Rome)" in board
