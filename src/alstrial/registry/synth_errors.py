"""Realistic blemishes for a synthetic ALSFRS form: original-scale rows and injected errors.

Real PRO-ACT mixes trials that used the original ALSFRS (10 items, 0-40) with ALSFRS-R trials,
and holds rows a careful reader must reject (docs/domain.md, 'PRO-ACT registry format'). A synthetic
registry with both exercises the reader, the import's rejected-rows report and every analysis that
must keep the two scales apart. Each injected error is listed with its CSV line and kind, so a test
can check that the reader rejects exactly those rows and no others.

Error kinds (one per chosen row; at most one kind per subject and day):

* ``total_mismatch``: the stored total is off by one from the item sum;
* ``both_5a_5b``: the empty one of items 5a/5b is filled in too;
* ``decimal_item``: item 1 holds a half point (x.5), as in old rows;
* ``out_of_range``: item 2 holds 5;
* ``duplicate``: an identical copy of the row is appended (the copy is rejected);
* ``conflicting_duplicate``: a copy with item 1 and the total one point lower is appended
  (both the row and the copy are rejected).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ERROR_KINDS = (
    "total_mismatch",
    "both_5a_5b",
    "decimal_item",
    "out_of_range",
    "duplicate",
    "conflicting_duplicate",
)
R_ITEMS = ["R_1_Dyspnea", "R_2_Orthopnea", "R_3_Respiratory_Insufficiency"]


def original_respiratory(dyspnea, insufficiency) -> np.ndarray:
    """Original ALSFRS Q10 (Cedarbaum 1999 anchors) from the revised R-1 and R-3 items.

    4 normal, 3 short of breath on minimal exertion, 2 at rest (dyspnea 3/2/<=1 map to these
    when no ventilation is used); 1 intermittent ventilatory assistance (R-3 of 1-3); 0
    ventilator dependent (R-3 = 0).
    """
    dyspnea = np.asarray(dyspnea, dtype=int)
    insufficiency = np.asarray(insufficiency, dtype=int)
    unassisted = np.select([dyspnea >= 4, dyspnea == 3], [4, 3], default=2)
    return np.select([insufficiency == 0, insufficiency < 4], [0, 1], default=unassisted)


def to_original_scale(form: pd.DataFrame, subjects: np.ndarray) -> pd.DataFrame:
    """Rewrite the rows of ``subjects`` as original-scale rows (Q10 and ALSFRS_Total)."""
    rows = form["subject_id"].isin(subjects).to_numpy()
    out = form.copy()
    q10 = original_respiratory(
        form.loc[rows, "R_1_Dyspnea"], form.loc[rows, "R_3_Respiratory_Insufficiency"]
    )
    respiratory = form.loc[rows, R_ITEMS].astype(int).sum(axis=1).to_numpy()
    out.loc[rows, "Q10_Respiratory"] = q10
    out.loc[rows, "ALSFRS_Total"] = form.loc[rows, "ALSFRS_R_Total"].to_numpy() - respiratory + q10
    for column in [*R_ITEMS, "ALSFRS_R_Total"]:
        out[column] = out[column].astype("Int8")
        out.loc[rows, column] = pd.NA
    return out


def inject_errors(
    form: pd.DataFrame, share: float, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(form with errors, injected: ``line``, ``kind``, ``source_line`` for copies).

    ``share`` of the revised-scale rows get one error each, kinds in equal proportions. Lines
    are CSV lines (header = 1); copies are appended at the end of the file.
    """
    revised = np.flatnonzero(form["ALSFRS_R_Total"].notna().to_numpy())
    chosen = rng.choice(revised, size=round(share * len(revised)), replace=False)
    kinds = np.asarray(ERROR_KINDS)[np.arange(len(chosen)) % len(ERROR_KINDS)]
    out = form.copy()
    for column in ("Q1_Speech", "Q2_Salivation"):
        out[column] = out[column].astype(object)
    speech = form["Q1_Speech"].to_numpy(dtype=float)
    copies = []
    records = []
    for row, kind in zip(chosen, kinds, strict=True):
        line = int(row) + 2
        if kind == "total_mismatch":
            total = int(form.at[row, "ALSFRS_R_Total"])
            out.at[row, "ALSFRS_R_Total"] = total - 1 if total == 48 else total + 1
        elif kind == "both_5a_5b":
            a, b = "Q5a_Cutting_without_Gastrostomy", "Q5b_Cutting_with_Gastrostomy"
            empty, filled = (b, a) if pd.isna(form.at[row, b]) else (a, b)
            out.at[row, empty] = form.at[row, filled]
        elif kind == "decimal_item":
            out.at[row, "Q1_Speech"] = f"{speech[row] - 0.5 if speech[row] > 0 else 0.5:g}"
        elif kind == "out_of_range":
            out.at[row, "Q2_Salivation"] = 5
        elif kind == "duplicate" or (kind == "conflicting_duplicate" and speech[row] == 0):
            kind = "duplicate"
            copies.append(form.loc[[row]])
        else:
            copy = form.loc[[row]].copy()
            copy["Q1_Speech"] = copy["Q1_Speech"] - 1
            copy["ALSFRS_R_Total"] = copy["ALSFRS_R_Total"] - 1
            copies.append(copy)
        records.append((line, kind))
    first_copy_line = len(out) + 2
    if copies:
        out = pd.concat([out, *copies], ignore_index=True)
    injected = pd.DataFrame(records, columns=["line", "kind"])
    injected["source_line"] = injected["line"]
    is_copy = injected["kind"].isin(["duplicate", "conflicting_duplicate"]).to_numpy()
    copy_lines = pd.DataFrame(
        {
            "line": first_copy_line + np.arange(is_copy.sum()),
            "kind": injected.loc[is_copy, "kind"].to_numpy(),
            "source_line": injected.loc[is_copy, "line"].to_numpy(),
        }
    )
    injected = pd.concat(
        [injected.loc[injected["kind"] != "duplicate"], copy_lines], ignore_index=True
    )
    return out, injected.sort_values("line", ignore_index=True)
