"""The PRO-ACT ALSFRS form: original and revised rows told apart, totals recomputed and checked.

Rules (docs/domain.md, 'ALSFRS-R' and 'PRO-ACT registry format'), each row-level problem rejecting
the row with its reason:

* ``subject_id`` and ``ALSFRS_Delta`` (whole days) are required.
* Scale: a row with ``R_1..R_3`` or ``ALSFRS_R_Total`` is revised ('R', 0-48); a row with
  ``Q10_Respiratory`` or ``ALSFRS_Total`` is original ('original', 0-40). A row with both is
  rejected (the scales are never mixed), a row with neither too (its scale is unknown).
* Items are whole numbers 0-4. Decimal items, found in old PRO-ACT rows, are rejected, not
  rounded: an item score is an integer by definition (Cedarbaum 1999) and rounding would invent
  a score nobody recorded. Items 5a and 5b both scored: rejected.
* Total: with complete items (items 1-4, 6-9, exactly one of 5a/5b, and R_1..R_3 or Q10) the
  total is the item sum; a stored total that differs is rejected with both numbers. With
  incomplete items the stored total is used (whole number, 0-48 or 0-40); with neither, the
  row is rejected.
* Duplicates (same subject, day and scale): identical rows keep the first; rows that disagree
  are all rejected.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from alstrial.domain.alsfrs_items import ALL_SCALES_ITEM_KEYS
from alstrial.registry.proact_columns import ALSFRS_COLUMNS, ALSFRS_ITEM_COLUMNS
from alstrial.registry.proact_csv import (
    RegistryFormatError,
    Rejections,
    RowChecker,
    messages,
    read_text_table,
)

ORIGINAL_FIELDS = ("Q10_Respiratory", "ALSFRS_Total")
REVISED_FIELDS = ("R_1_Dyspnea", "R_2_Orthopnea", "R_3_Respiratory_Insufficiency", "ALSFRS_R_Total")
COMMON_ITEMS = tuple(c for c in ALSFRS_ITEM_COLUMNS if c.startswith("Q") and c != "Q10_Respiratory")
CUTTING = ("Q5a_Cutting_without_Gastrostomy", "Q5b_Cutting_with_Gastrostomy")
#: Registry.alsfrs item columns: the revised items, then the original's respiratory item.
ITEM_KEYS = ALL_SCALES_ITEM_KEYS
ALSFRS_FRAME_COLUMNS = ("subject_id", "day", "scale", *ITEM_KEYS, "total", "stored_total", "line")


def read_alsfrs(path: Path, rejections: Rejections) -> pd.DataFrame:
    """The accepted ALSFRS rows as the ``Registry.alsfrs`` frame (one row per subject-day-scale)."""
    required = ("subject_id", "ALSFRS_Delta", *COMMON_ITEMS)
    table = read_text_table(path, required, optional=ALSFRS_COLUMNS)
    if not any(c in table for c in ORIGINAL_FIELDS + REVISED_FIELDS):
        raise RegistryFormatError(
            path.name,
            "has neither the revised (R_1_Dyspnea.., ALSFRS_R_Total) nor the original "
            "(Q10_Respiratory, ALSFRS_Total) columns",
            line=1,
        )
    check = RowChecker(table, path.name, rejections)
    subject = check.text("subject_id", required=True)
    day = check.day("ALSFRS_Delta", required=True, what="ALSFRS_Delta (days)")
    items = {
        column: check.number(column, whole=True, low=0, high=4, what=f"item {column}")
        for column in ALSFRS_ITEM_COLUMNS
    }
    original = np.logical_or.reduce([check.present(c) for c in ORIGINAL_FIELDS])
    revised = np.logical_or.reduce([check.present(c) for c in REVISED_FIELDS])
    mixed_column = "Q10_Respiratory" if "Q10_Respiratory" in table else "ALSFRS_Total"
    check.reject(
        original & revised,
        mixed_column,
        "row has both original (Q10_Respiratory, ALSFRS_Total) and revised (R_1..R_3, "
        "ALSFRS_R_Total) fields; the two scales are never mixed",
    )
    check.reject(
        ~original & ~revised,
        "ALSFRS_R_Total",
        "no respiratory item and no total: the scale (original or revised) is unknown",
    )
    check.reject(
        check.present(CUTTING[0]) & check.present(CUTTING[1]),
        CUTTING[1],
        "items 5a (without gastrostomy) and 5b (with gastrostomy) are both scored; "
        "exactly one is allowed",
    )
    stored_r = check.number("ALSFRS_R_Total", whole=True, low=0, high=48, what="ALSFRS_R_Total")
    stored_o = check.number("ALSFRS_Total", whole=True, low=0, high=40, what="ALSFRS_Total")
    stored = np.where(revised, stored_r, stored_o)
    item_sum, complete = _item_sum(items, revised)
    total_column = np.where(revised, "ALSFRS_R_Total", "ALSFRS_Total")
    differs = complete & ~np.isnan(stored) & (stored != item_sum)
    reasons = messages(
        differs, "stored total {:g} differs from the item sum {:g}", stored, item_sum
    )
    for column in ("ALSFRS_R_Total", "ALSFRS_Total"):
        check.reject(differs & (total_column == column), column, reasons)
    total = np.where(complete, item_sum, stored)
    no_total = np.isnan(total) & ~check.rejected
    for column in ("ALSFRS_R_Total", "ALSFRS_Total"):
        check.reject(
            no_total & (total_column == column),
            column,
            "no total: the items are incomplete and no total is stored",
        )
    frame = pd.DataFrame(
        {
            "subject_id": subject,
            "day": day,
            "scale": np.where(revised, "R", "original"),
            **{ALSFRS_ITEM_COLUMNS[c]: v for c, v in items.items()},
            "total": total,
            "stored_total": stored,
            "line": check.lines,
        }
    )
    kept = frame.loc[~check.rejected]
    check.reject_duplicates(
        kept.drop(columns=["total"]),
        ["subject_id", "day", "scale"],
        "ALSFRS_Delta",
        "subject, day and scale",
    )
    out = frame.loc[~check.rejected].astype({"day": np.int64})
    out["subject_id"] = out["subject_id"].astype(str)
    return out.sort_values(["subject_id", "day", "scale"], kind="stable", ignore_index=True)


def _item_sum(items: dict[str, np.ndarray], revised: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(item sum, items complete) per row: 1-4, 6-9, one of 5a/5b, and R_1..R_3 or Q10."""
    common = [items[c] for c in COMMON_ITEMS if c not in CUTTING]
    cutting = np.where(np.isnan(items[CUTTING[0]]), items[CUTTING[1]], items[CUTTING[0]])
    respiratory_r = items["R_1_Dyspnea"] + items["R_2_Orthopnea"]
    respiratory_r = respiratory_r + items["R_3_Respiratory_Insufficiency"]
    respiratory = np.where(revised, respiratory_r, items["Q10_Respiratory"])
    total = np.sum(common, axis=0) + cutting + respiratory
    return total, ~np.isnan(total)
