"""Lot labels: the QR code decodes (zxing-cpp, an independent decoder) to the payload, and the
decoded text, typed into the administration by a scanner, identifies the lot."""

from __future__ import annotations

import io

from PIL import Image

from alstrial.domain.product_identity import normalise, scanned_fields
from alstrial.web.product import services
from alstrial.web.product.labels import AUTOLOGOUS_WARNING, lot_label


def decode(png: bytes) -> list[str]:
    import zxingcpp

    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_the_qr_code_reads_back_as_the_label(product_world, lot_at):
    alice = product_world["alice"]
    lot = lot_at(alice, "released")
    label = lot_label(lot)
    (text,) = decode(label.qr_png())
    assert text == label.payload
    assert normalise(text) == lot.code
    fields = scanned_fields(text)
    assert fields["DONOR"] == alice.code
    # the test site keeps UTC: the expiry is its wall clock with zone and offset
    assert fields["EXPIRES"] == f"{lot.expires_at:%Y-%m-%d %H:%M} UTC (+00:00)"
    assert "7e+07 cells in 2 ml autologous cerebrospinal fluid" in fields["DOSE"]
    assert text.endswith(AUTOLOGOUS_WARNING)
    assert label.qr_svg.startswith("<svg")


def test_the_label_shows_the_expiry_on_the_seoul_clock(product_world, lot_at):
    from datetime import timedelta

    alice = product_world["alice"]
    alice.site.time_zone = "Asia/Seoul"
    alice.site.save()
    lot = lot_at(alice, "released")
    local = lot.expires_at + timedelta(hours=9)  # Seoul keeps UTC+9 all year
    expected = f"{local:%Y-%m-%d %H:%M} KST (+09:00)"
    assert lot_label(lot).expires == expected
    assert scanned_fields(lot_label(lot).payload)["EXPIRES"] == expected


def test_a_scanned_label_gives_the_dose_to_its_donor_only(product_world, users, lot_at):
    alice, bob = product_world["alice"], product_world["bob"]
    lot = lot_at(alice, "released")
    (scanned,) = decode(lot_label(lot).qr_png())
    investigator = users["investigator.seoul"]
    refused = None
    try:
        services.administer_dose(
            bob, investigator, scanned_subject_id=bob.code, scanned_lot_id=scanned,
            route="intrathecal",
        )  # fmt: skip
    except services.AdministrationRefused as error:
        refused = error
    assert refused is not None
    given = services.administer_dose(
        alice, investigator, scanned_subject_id=alice.code, scanned_lot_id=scanned,
        route="intrathecal",
    )  # fmt: skip
    assert given.lot == lot


def test_a_label_before_preparation_says_so(product_world, lot_at):
    label = lot_label(lot_at(product_world["alice"], "qc_pending"))
    assert label.dose == "dose not yet prepared"
    assert label.expires == "not yet formulated"
    (text,) = decode(label.qr_png())
    assert normalise(text) == label.lot_id
