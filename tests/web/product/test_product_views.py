"""The product pages: the cell lab's steps, site isolation, roles, and every wrong-patient path
through the administration form (refused on screen, audited, nothing administered)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alstrial.web.product.demo import GOOD_QC, target_cells
from alstrial.web.product.models import (
    Administration,
    Batch,
    Harvest,
    Lot,
    Passage,
    RefusedAttempt,
)

PASSWORD = "pw-for-tests-only"


def login(client, user):
    client.force_login(user)
    return client


def test_the_cell_lab_goes_from_harvest_to_release(client, product_world, users):
    alice = product_world["alice"]
    lab = login(client, users["celllab.seoul"])
    when = timezone.now() - timedelta(days=30)
    r = lab.post(
        reverse("product:harvest", args=[alice.pk]),
        {
            "aspirated_at": when.strftime("%Y-%m-%dT%H:%M"),
            "volume_ml": "30",
            "anticoagulant": "heparin",
        },
    )
    assert r.status_code == 302
    harvest = Harvest.objects.get(subject=alice)
    r = lab.post(
        reverse("product:batch_create", args=[harvest.pk]),
        {"culture_started_on": when.date().isoformat()},
    )
    batch = Batch.objects.get(harvest=harvest)
    assert r.url == reverse("product:batch", args=[batch.pk])
    day0 = when.date()
    r = lab.post(
        reverse("product:passage", args=[batch.pk]),
        {
            "number": 1,
            "seeded_on": day0.isoformat(),
            "harvested_on": (day0 + timedelta(days=12)).isoformat(),
            "cells_seeded": "1e6",
            "cells_harvested": "8e6",
        },
    )
    assert r.status_code == 302
    page = lab.get(reverse("product:batch", args=[batch.pk])).content.decode()
    assert 'id="cumulative-pd">3.00<' in page  # log2(8e6 / 1e6) = 3
    lab.post(reverse("product:lots_create", args=[batch.pk]), {"dose_numbers": ["1"]})
    lot = Lot.objects.get(batch=batch)
    qc = {k: ("yes" if v is True else v) for k, v in GOOD_QC.items()}
    qc["viable_cells"] = target_cells(alice)
    r = lab.post(reverse("product:qc", args=[lot.pk]), qc)
    assert r.status_code == 302
    lab.post(reverse("product:prepare", args=[lot.pk]))
    r = lab.post(reverse("product:release", args=[lot.pk]), {"password": "wrong"})
    assert r.status_code == 400
    assert "password is not correct" in r.content.decode()
    r = lab.post(reverse("product:release", args=[lot.pk]), {"password": PASSWORD})
    assert r.status_code == 302
    lot.refresh_from_db()
    assert lot.status == "released"
    page = lab.get(reverse("product:lot", args=[lot.pk])).content.decode()
    assert "celllab.seoul" in page
    assert "I release lot" in page
    events = ["harvest", "batch", "passage", "made", "qc", "dose_prepared", "released"]
    assert [e for e in events if f'data-event="{e}"' not in page] == []


def test_bad_form_input_is_shown_next_to_the_field(client, product_world, users):
    alice = product_world["alice"]
    lab = login(client, users["celllab.seoul"])
    r = lab.post(
        reverse("product:harvest", args=[alice.pk]),
        {"aspirated_at": "2020-01-01T10:00", "volume_ml": "900", "anticoagulant": "heparin"},
    )
    assert r.status_code == 400
    assert "at most 200 ml" in r.content.decode()
    assert not Harvest.objects.exists()


def test_qc_preview_evaluates_without_saving(client, product_world, users, lot_at):
    lot = lot_at(product_world["alice"], "qc_pending")
    lab = login(client, users["celllab.seoul"])
    r = lab.post(reverse("product:qc_preview", args=[lot.pk]), {**GOOD_QC, "cd90": "90"})
    page = r.content.decode()
    assert 'data-criterion="cd90" data-outcome="fail"' in page
    lot.refresh_from_db()
    assert lot.qc.cd90 == GOOD_QC["cd90"]


def test_editing_qc_on_a_released_lot_through_the_form_voids_the_release(
    client, product_world, users, lot_at
):
    lot = lot_at(product_world["alice"], "released")
    lab = login(client, users["celllab.seoul"])
    values = {k: ("yes" if v is True else v) for k, v in GOOD_QC.items()}
    values.update(viable_cells=lot.qc.viable_cells, cd105="97", version=lot.qc.version)
    r = lab.post(reverse("product:qc", args=[lot.pk]), values)
    assert r.status_code == 400  # no reason given
    values["reason"] = "corrected CD105"
    r = lab.post(reverse("product:qc", args=[lot.pk]), values)
    assert r.status_code == 302
    lot.refresh_from_db()
    assert lot.status == "qc_pending"
    assert "Voided" in lab.get(reverse("product:lot", args=[lot.pk])).content.decode()


def test_another_sites_lot_answers_404(client, product_world, users, lot_at):
    lot = lot_at(product_world["alice"], "released")
    novara = login(client, users["celllab.novara"])
    for name in ("product:lot", "product:label", "product:qc"):
        assert novara.get(reverse(name, args=[lot.pk])).status_code == 404
    assert (
        novara.post(reverse("product:release", args=[lot.pk]), {"password": PASSWORD}).status_code
        == 404
    )
    assert novara.get(reverse("product:subject", args=[lot.subject_id])).status_code == 404
    page = novara.get(reverse("product:lots")).content.decode()
    assert lot.code not in page
    # a Seoul investigator cannot even reach a Novara subject's administration page
    nina = product_world["nina"]
    seoul = login(client, users["investigator.seoul"])
    r = post_administration(seoul, nina, nina.code, lot.code)
    assert r.status_code == 404
    assert not RefusedAttempt.objects.exists()


def test_roles_are_enforced_on_the_pages(client, product_world, users, lot_at):
    alice = product_world["alice"]
    stats = login(client, users["statistician"])
    assert stats.get(reverse("product:harvest", args=[alice.pk])).status_code == 403
    assert stats.get(reverse("product:administer", args=[alice.pk])).status_code == 403
    investigator = login(client, users["investigator.seoul"])
    r = investigator.post(
        reverse("product:harvest", args=[alice.pk]),
        {"aspirated_at": "2020-01-01T10:00", "volume_ml": "30", "anticoagulant": "heparin"},
    )
    assert r.status_code in (302, 400)  # investigators may record the aspiration they did
    lab = login(client, users["celllab.seoul"])
    assert lab.get(reverse("product:administer", args=[alice.pk])).status_code == 403
    coordinator = login(client, users["coordinator.seoul"])
    lot = lot_at(alice, "qc_pending")
    r = coordinator.post(reverse("product:release", args=[lot.pk]), {"password": PASSWORD})
    assert r.status_code == 403


def test_label_has_the_identity_and_a_qr_code(client, product_world, users, lot_at):
    lot = lot_at(product_world["alice"], "released")
    page = login(client, users["investigator.seoul"]).get(reverse("product:label", args=[lot.pk]))
    text = page.content.decode()
    assert lot.code in text
    assert product_world["alice"].code in text
    assert "FOR AUTOLOGOUS USE ONLY" in text
    assert "<svg" in text
    assert 'class="segno"' in text
    assert lot.expires_at.strftime("%Y-%m-%d %H:%M") in text


# --- every wrong-patient path through the administration form ----------------------------


def post_administration(client, subject, scanned_subject, scanned_lot, **extra):
    route = subject.trial.protocol.interventions.route.name
    data = {"scanned_subject_id": scanned_subject, "scanned_lot_id": scanned_lot, "route": route}
    if route == "intraspinal":
        data.update(spinal_level="T8", pump_rate_ul_per_min="100")
    data.update(extra)
    return client.post(reverse("product:administer", args=[subject.pk]), data)


def assert_refused_on_screen(response, subject, lot, words):
    assert response.status_code == 422
    page = response.content.decode()
    assert "Refused: nothing was administered." in page
    assert words in page
    assert not Administration.objects.filter(subject=subject).exists()
    attempt = RefusedAttempt.objects.get(subject=subject)
    assert attempt.channel == "form"
    if lot is not None:
        assert lot.custody.last().event == "refused"


@pytest.fixture
def investigator(client, users):
    return login(client, users["investigator.seoul"])


def test_form_gives_the_donor_their_lot(investigator, product_world, lot_at):
    alice = product_world["alice"]
    lot = lot_at(alice, "released")
    r = post_administration(investigator, alice, alice.code, lot.code, immediate_reactions="none")
    assert r.status_code == 302
    assert Administration.objects.get(subject=alice).lot == lot
    assert not RefusedAttempt.objects.exists()


def test_form_refuses_another_subjects_lot(investigator, product_world, lot_at):
    alice, bob = product_world["alice"], product_world["bob"]
    lot = lot_at(bob, "released")
    r = post_administration(investigator, alice, alice.code, lot.code)
    assert_refused_on_screen(r, alice, lot, "autologous lots go only to their donor")


@pytest.mark.parametrize(
    ("stage", "words"),
    [
        ("qc_pending", "is not released"),
        ("in_manufacturing", "still in manufacturing"),
        ("expired", "expired at"),
        ("destroyed", "has been destroyed"),
    ],
)
def test_form_refuses_a_lot_not_fit_to_give(investigator, product_world, lot_at, stage, words):
    alice = product_world["alice"]
    lot = lot_at(alice, stage)
    r = post_administration(investigator, alice, alice.code, lot.code)
    assert_refused_on_screen(r, alice, lot, words)


def test_form_refuses_a_used_lot(investigator, product_world, lot_at):
    alice = product_world["alice"]
    lot = lot_at(alice, "released")
    assert post_administration(investigator, alice, alice.code, lot.code).status_code == 302
    r = post_administration(investigator, alice, alice.code, lot.code)
    assert r.status_code == 422
    assert "already been administered" in r.content.decode()
    assert Administration.objects.filter(subject=alice).count() == 1
    assert RefusedAttempt.objects.filter(subject=alice).count() == 1


def test_form_refuses_a_lot_of_another_site(client, product_world, users, lot_at):
    # the admin holds roles at both sites, so the page of a Seoul subject is open to them
    alice, nina = product_world["alice"], product_world["nina"]
    lot = lot_at(nina, "released")
    admin = login(client, users["admin"])
    r = post_administration(admin, alice, alice.code, lot.code)
    assert_refused_on_screen(r, alice, lot, "belongs to site novara")


def test_form_refuses_mismatched_scans(investigator, product_world, lot_at):
    alice, bob = product_world["alice"], product_world["bob"]
    lot = lot_at(alice, "released")
    r = post_administration(investigator, alice, bob.code, lot.code)
    assert_refused_on_screen(r, alice, lot, "is not the subject this administration is for")


def test_form_refuses_a_wrong_check_character(investigator, product_world, lot_at):
    alice = product_world["alice"]
    lot = lot_at(alice, "released")
    wrong = lot.code[:-1] + ("A" if lot.code[-1] != "A" else "B")
    r = post_administration(investigator, alice, alice.code, wrong)
    assert_refused_on_screen(r, alice, None, "wrong check character")
    assert Lot.objects.get(pk=lot.pk).status == "released"


def test_form_accepts_a_scanned_label_payload(investigator, product_world, lot_at):
    from alstrial.web.product.labels import lot_label

    alice = product_world["alice"]
    lot = lot_at(alice, "released")
    r = post_administration(investigator, alice, alice.code, lot_label(lot).payload)
    assert r.status_code == 302
    assert Administration.objects.get(subject=alice).lot == lot


def test_passage_count_from_the_protocol(client, product_world, users, lot_at):
    lot = lot_at(product_world["alice"], "in_manufacturing")
    assert Passage.objects.filter(batch=lot.batch).count() == 2


def test_the_schedule_links_harvest_and_administration_forms(client, product_world, users, lot_at):
    from alstrial.web.core.visit_forms import visit_form

    alice = product_world["alice"]
    harvest_visit = alice.visits.get(code="HARV1")
    dose_visit = alice.visits.get(administration=1)
    assert visit_form("harvest").url(harvest_visit) == reverse("product:subject", args=[alice.pk])
    assert not visit_form("harvest").is_done(harvest_visit)
    lot = lot_at(alice, "released")
    assert visit_form("harvest").is_done(harvest_visit)
    assert not visit_form("administration").is_done(dose_visit)
    post_administration(login(client, users["investigator.seoul"]), alice, alice.code, lot.code)
    assert visit_form("administration").is_done(dose_visit)
    assert Administration.objects.get(subject=alice).visit == dose_visit


def test_the_administration_page_never_shows_the_lot_id_to_copy(
    investigator, product_world, lot_at
):
    alice = product_world["alice"]
    lot = lot_at(alice, "released")
    page = investigator.get(reverse("product:administer", args=[alice.pk])).content.decode()
    assert "dose 1 · expires" in page
    assert lot.code not in page  # read from the bag, not copied from the screen


def test_the_statistician_reads_no_product_pages(client, product_world, users, lot_at):
    """De-identified role: no calendar times or free text, so no product pages (docs/web.md)."""
    lot = lot_at(product_world["alice"], "released")
    stats = login(client, users["statistician"])
    for url in (
        reverse("product:lots"),
        reverse("product:lot", args=[lot.pk]),
        reverse("product:label", args=[lot.pk]),
        reverse("product:subject", args=[lot.subject_id]),
        reverse("product:batch", args=[lot.batch_id]),
    ):
        assert stats.get(url).status_code == 403, url
    auditor_page = login(client, users["safety.monitor"]).get(reverse("product:lot", args=[lot.pk]))
    assert auditor_page.status_code == 200


def test_admin_grants_release_authority_and_shows_the_ledger_read_only(
    client, product_world, users, lot_at
):
    from django.contrib.auth import get_user_model

    lot = lot_at(product_world["alice"], "released")
    root = get_user_model().objects.create_superuser("root", password="pw-for-tests-only")
    admin = login(client, root)
    assert admin.get(reverse("admin:product_releaseauthority_add")).status_code == 200
    assert admin.get(reverse("admin:product_custodyentry_changelist")).status_code == 200
    entry = lot.custody.first()
    change = reverse("admin:product_custodyentry_change", args=[entry.pk])
    admin.post(change, {"note": "rewritten"})
    entry.refresh_from_db()
    assert entry.note != "rewritten"
    assert admin.get(reverse("admin:product_lot_add")).status_code == 403


def test_deviations_are_added_with_author_and_reason(client, product_world, users, lot_at):
    lot = lot_at(product_world["alice"], "in_manufacturing")
    lab = login(client, users["celllab.seoul"])
    url = reverse("product:deviation", args=[lot.batch_id])
    assert lab.post(url, {"description": " "}).status_code == 400
    r = lab.post(url, {"description": "incubator CO2 alarm for 40 minutes"})
    assert r.status_code == 302
    lot.batch.refresh_from_db()
    assert "celllab.seoul: incubator CO2 alarm for 40 minutes" in lot.batch.deviations
    assert lot.batch.history.first().history_change_reason.startswith("deviation recorded")
    assert (
        login(client, users["investigator.seoul"]).post(url, {"description": "x"}).status_code
        == 403
    )


def test_the_trial_dashboard_shows_the_product_panel(client, product_world, users, lot_at):
    alice, bob = product_world["alice"], product_world["bob"]
    lot_at(alice, "released")
    lot_at(bob, "expired")
    lot_at(bob, "qc_pending", dose_number=2)
    investigator = login(client, users["investigator.seoul"])
    post_administration(investigator, alice, bob.code, "LOT-NOPE")  # one refusal
    page = investigator.get(reverse("trials:dashboard", args=["kim2009"])).content.decode()
    assert 'id="product-panel"' in page
    for stage in ("released", "expired", "qc_pending"):
        assert f'data-stage="{stage}">1<' in page
    assert 'data-testid="refused-administrations">1<' in page
    # a released kim2009 dose (24 h expiry) is not yet "expiring"; the statistician sees no panel
    stats = login(client, users["statistician"])
    assert (
        'id="product-panel"'
        not in stats.get(reverse("trials:dashboard", args=["kim2009"])).content.decode()
    )
