"""Labels of a blinded trial (docs/product.md "Placebo"): an active lot's label and a placebo
lot's differ only in lot code, subject and dates; an open trial's label keeps its dose."""

from __future__ import annotations

from web.product.conftest import lot_at, product_world  # noqa: F401

from alstrial.web.product.labels import lot_label


def test_active_and_placebo_labels_read_the_same(rct_lots):
    active, placebo = (lot_label(rct_lots[arm]) for arm in ("MSC", "SHAM"))
    assert active.product == placebo.product
    assert active.dose == placebo.dose == "2 ml autologous cerebrospinal fluid"
    assert active.warning == placebo.warning
    assert "cells" not in active.dose
    assert active.lot_id != placebo.lot_id
    assert active.donor_subject_id != placebo.donor_subject_id


def test_an_open_trial_label_keeps_the_cell_count(product_world, lot_at):  # noqa: F811
    label = lot_label(lot_at(product_world["alice"]))
    assert "cells in" in label.dose
