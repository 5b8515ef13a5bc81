"""PRO-ACT reader: hand-written files, each bad-row kind rejected with its file/line/column/reason.

Expected values are worked out by hand from the rows written here (docs/domain.md, 'PRO-ACT registry
format' rules).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alstrial.domain.alsfrs_items import ITEM_KEYS as DOMAIN_ITEM_KEYS
from alstrial.registry.proact import (
    ALSFRS_FRAME_COLUMNS,
    SUBJECT_COLUMNS,
    RegistryRejectedRows,
    read_registry,
)
from alstrial.registry.proact_columns import ALSFRS_COLUMNS, ALSFRS_ITEM_COLUMNS

ALSFRS_HEADER = ",".join(ALSFRS_COLUMNS)
# Item order of ALSFRS_COLUMNS: Q1..Q4, Q5a, Q5b, Q6..Q9, Q10, R_1..R_3, then the totals.
ALSFRS_ROWS = [
    # line 2: revised, items sum to 42, stored 42: accepted
    "1,4,4,4,3,3,,3,3,3,3,,4,4,4,,42,0,,",
    # line 3: revised, items sum to 41 but stored 40: rejected (total)
    "1,4,4,4,3,3,,3,3,3,2,,4,4,4,,40,30,,",
    # line 4: both 5a and 5b: rejected
    "1,4,4,4,3,3,3,3,3,3,2,,4,4,4,,,60,,",
    # line 5: original with a decimal item 3.5: rejected, not rounded
    "2,4,4,4,3,3.5,,3,3,3,2,4,,,,36.5,,0,,",
    # line 6: original, items sum to 33: accepted with stored 33
    "2,4,4,4,3,3,,3,3,3,2,4,,,,33,,7,,",
    # line 7: Q10 and R_1 on one row: the scales are mixed, rejected
    "2,4,4,4,3,3,,3,3,3,2,4,4,,,,,10,,",
    # lines 8-9: identical total-only rows: line 9 is a duplicate of line 8
    "3,,,,,,,,,,,,,,,,30,5,,",
    "3,,,,,,,,,,,,,,,,30,5,,",
    # lines 10-11: same subject and day, different totals: both rejected
    "4,,,,,,,,,,,,,,,,30,5,,",
    "4,,,,,,,,,,,,,,,,31,5,,",
    # line 12: item out of range
    "5,5,4,4,3,3,,3,3,3,3,,4,4,4,,,0,,",
    # line 13: day not a whole number
    "5,4,4,4,3,3,,3,3,3,3,,4,4,4,,,1.5,,",
    # line 14: revised, items complete, no stored total: total = item sum 42
    "5,4,4,4,3,3,,3,3,3,3,,4,4,4,,,14,,",
    # line 15: revised total only, out of range
    "6,,,,,,,,,,,,,,,,49,0,,",
    # line 16: no scale at all
    "6,4,4,4,3,3,,3,3,3,3,,,,,,,3,,",
    # line 17: gastrostomy (5b), 4+4+2+3+3+3+3+3+3+4+4+3 = 39: accepted
    "6,4,4,2,3,,3,3,3,3,3,,4,4,3,,,20,,",
    # line 18: subject 1 died on day 300 (DEATHDATA): a visit on day 400 is rejected
    "1,4,4,4,3,3,,3,3,3,3,,4,4,4,,42,400,,",
]


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture
def registry_dir(tmp_path: Path) -> Path:
    write(tmp_path, "PROACT_ALSFRS.csv", ALSFRS_HEADER + "\n" + "\n".join(ALSFRS_ROWS) + "\n")
    write(
        tmp_path,
        "PROACT_DEMOGRAPHICS.csv",
        "subject_id,Demographics_Delta,Age,Date_of_Birth,Ethnicity,Race_Caucasian,Sex\n"
        "1,0,55,,,1,Male\n"  # 2
        "2,0,,-20089,,1,female\n"  # 3: age from Date_of_Birth = 20089 / 365.25 = 55.0
        "3,0,,,,,X\n"  # 4: bad sex
        "4,0,130,,,,M\n"  # 5: age out of range
        "5,0,60,,,,F\n"  # 6
        "5,0,61,,,,F\n",  # 7: conflicting duplicate of line 6
    )
    write(
        tmp_path,
        "PROACT_ALSHISTORY.csv",
        "subject_id,Site_of_Onset,Onset_Delta,Diagnosis_Delta\n"
        "1,Onset: Limb,-400,-200\n"  # 2
        "1,,-400,\n"  # 3: agrees with line 2 where filled
        "2,Onset: Bulbar,-300,-350\n"  # 4: onset after diagnosis
        "3,Onset: Limb and Bulbar,-100,-50\n"  # 5: disagrees with line 6 on the site
        "3,Onset: Bulbar,-100,-50\n"  # 6
        "5,Onset: Bulbar,-500,-450\n"  # 7
        "6,Onset: Limb,10,20\n",  # 8: onset after time 0
    )
    write(
        tmp_path,
        "PROACT_DEATHDATA.csv",
        "subject_id,Subject_Died,Death_Days\n"
        "1,No,\n"  # 2: an earlier contact; line 3 says Yes
        "1,Yes,300\n"  # 3
        "2,Yes,200\n"  # 4: disagrees with line 5
        "2,Yes,210\n"  # 5
        "3,Maybe,\n"  # 6
        "5,No,40\n"  # 7: a death day for a living subject
        "6,Yes,-5\n",  # 8: a death before time 0
    )
    write(
        tmp_path,
        "PROACT_FVC.csv",
        "subject_id,Forced_Vital_Capacity_Delta,Subject_Liters_Trial_1,Subject_Liters_Trial_2,"
        "Subject_Liters_Trial_3,pct_of_Normal_Trial_1,pct_of_Normal_Trial_2,"
        "pct_of_Normal_Trial_3,Subject_Normal,Forced_Vital_Capacity_Units\n"
        "1,0,3.1,3.3,3.2,80,85,82,3.9,L\n"  # 2: best percentage 85
        "1,30,3.0,3.2,,,,,4.0,L\n"  # 3: no percentage: 100 * 3.2 / 4.0 = 80
        "2,0,,,,,,,,L\n",  # 4: no value
    )
    return tmp_path


def rejected_at(registry, file: str, line: int) -> pd.DataFrame:
    r = registry.rejected
    return r.loc[(r["file"] == file) & (r["line"] == line)]


def test_accepted_alsfrs_rows_and_totals(registry_dir):
    registry = read_registry(registry_dir)
    a = registry.alsfrs
    assert list(a.columns) == list(ALSFRS_FRAME_COLUMNS)
    got = a[["subject_id", "day", "scale", "total", "stored_total", "line"]]
    expected = pd.DataFrame(
        {
            "subject_id": ["1", "2", "3", "5", "6"],
            "day": [0, 7, 5, 14, 20],
            "scale": ["R", "original", "R", "R", "R"],
            "total": [42.0, 33.0, 30.0, 42.0, 39.0],
            "stored_total": [42.0, 33.0, 30.0, np.nan, np.nan],
            "line": [2, 6, 8, 14, 17],
        }
    )
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), expected, check_dtype=False, check_index_type=False
    )
    gastrostomy = a.loc[a["subject_id"] == "6"].iloc[0]
    assert np.isnan(gastrostomy["cutting_without_gastrostomy"])
    assert gastrostomy["cutting_with_gastrostomy"] == 3
    original = a.loc[a["scale"] == "original"].iloc[0]
    assert original["respiratory"] == 4
    assert original[["dyspnea", "orthopnea", "respiratory_insufficiency"]].isna().all()
    assert a["day"].dtype == np.int64


@pytest.mark.parametrize(
    ("line", "column", "value", "reason"),
    [
        (3, "ALSFRS_R_Total", "40", "stored total 40 differs from the item sum 41"),
        (4, "Q5b_Cutting_with_Gastrostomy", "3", "5a (without gastrostomy) and 5b"),
        (5, "Q5a_Cutting_without_Gastrostomy", "3.5", "must be a whole number"),
        (7, "Q10_Respiratory", "4", "never mixed"),
        (9, "ALSFRS_Delta", "5", "duplicate of line 8"),
        (10, "ALSFRS_Delta", "5", "conflicting rows for the same subject, day and scale"),
        (11, "ALSFRS_Delta", "5", "(lines 10, 11)"),
        (12, "Q1_Speech", "5", "must be between 0 and 4"),
        (13, "ALSFRS_Delta", "1.5", "must be a whole number"),
        (15, "ALSFRS_R_Total", "49", "must be between 0 and 48"),
        (16, "ALSFRS_R_Total", "", "scale (original or revised) is unknown"),
        (18, "ALSFRS_Delta", "400", "day 400 is after the death on day 300"),
    ],
)
def test_each_bad_alsfrs_row_is_rejected_with_its_reason(registry_dir, line, column, value, reason):
    rows = rejected_at(read_registry(registry_dir), "PROACT_ALSFRS.csv", line)
    match = rows.loc[(rows["column"] == column) & rows["reason"].str.contains(reason, regex=False)]
    assert len(match) == 1, rows.to_string()
    assert match.iloc[0]["value"] == value


def test_subjects_are_reconciled_and_bad_subject_rows_reported(registry_dir):
    registry = read_registry(registry_dir)
    s = registry.subjects.set_index("subject_id")
    assert list(registry.subjects.columns) == list(SUBJECT_COLUMNS)
    # Subject 4 has no accepted row in any file (conflicting ALSFRS rows, age 130).
    assert list(s.index) == ["1", "2", "3", "5", "6"]
    assert s.loc["1", "age_years"] == 55
    assert s.loc["2", "age_years"] == pytest.approx(20089 / 365.25)
    assert s.loc["1", "sex"] == "M"
    assert s.loc["2", "sex"] == "F"
    assert pd.isna(s.loc["3", "sex"])
    assert pd.isna(s.loc["5", "age_years"])  # conflicting demographics rows
    assert (s.loc["1", "onset_site"], s.loc["1", "onset_day"]) == ("spinal", -400)
    assert s.loc["1", "diagnosis_day"] == -200
    assert pd.isna(s.loc["2", "onset_day"])  # its only history row was rejected
    assert pd.isna(s.loc["3", "onset_site"])  # conflicting sites
    assert s.loc["3", "onset_day"] == -100  # the agreeing field is kept
    assert s.loc["5", "onset_site"] == "bulbar"
    assert s.loc["1", "died"]
    assert s.loc["1", "death_day"] == 300
    assert s.loc["2", "died"]
    assert pd.isna(s.loc["2", "death_day"])
    assert not s.loc["6", "died"]
    r = registry.rejected
    expected = {
        ("PROACT_DEMOGRAPHICS.csv", 4, "Sex"),
        ("PROACT_DEMOGRAPHICS.csv", 5, "Age"),
        ("PROACT_DEMOGRAPHICS.csv", 6, "subject_id"),
        ("PROACT_DEMOGRAPHICS.csv", 7, "subject_id"),
        ("PROACT_ALSHISTORY.csv", 4, "Onset_Delta"),
        ("PROACT_ALSHISTORY.csv", 5, "Site_of_Onset"),
        ("PROACT_ALSHISTORY.csv", 6, "Site_of_Onset"),
        ("PROACT_ALSHISTORY.csv", 8, "Onset_Delta"),
        ("PROACT_DEATHDATA.csv", 4, "Death_Days"),
        ("PROACT_DEATHDATA.csv", 5, "Death_Days"),
        ("PROACT_DEATHDATA.csv", 6, "Subject_Died"),
        ("PROACT_DEATHDATA.csv", 7, "Death_Days"),
        ("PROACT_DEATHDATA.csv", 8, "Death_Days"),
        ("PROACT_FVC.csv", 4, "pct_of_Normal_Trial_1"),
    }
    subject_level = r.loc[r["file"] != "PROACT_ALSFRS.csv", ["file", "line", "column"]]
    assert set(subject_level.itertuples(index=False, name=None)) == expected
    onset = rejected_at(registry, "PROACT_ALSHISTORY.csv", 4).iloc[0]
    assert onset["reason"] == "Onset_Delta -300 is after Diagnosis_Delta -350"
    after_entry = rejected_at(registry, "PROACT_ALSHISTORY.csv", 8).iloc[0]
    assert after_entry["reason"] == "Onset_Delta (days) must be between -36525 and 0"
    assert pd.isna(s.loc["6", "onset_day"])


def test_fvc_best_trial_and_litres(registry_dir):
    fvc = read_registry(registry_dir).fvc
    assert fvc[["subject_id", "day", "fvc_percent"]].values.tolist() == [
        ["1", 0, 85.0],
        ["1", 30, 80.0],
    ]


def test_strict_mode_refuses_and_lists_rows(registry_dir):
    with pytest.raises(RegistryRejectedRows) as info:
        read_registry(registry_dir, strict=True)
    assert "PROACT_ALSFRS.csv:3 ALSFRS_R_Total='40'" in str(info.value)
    assert len(info.value.rejected) == len(read_registry(registry_dir).rejected)


def test_archive_names_and_any_case_are_found(registry_dir):
    renames = {
        "PROACT_ALSFRS.csv": "alsfrs.csv",
        "PROACT_DEMOGRAPHICS.csv": "DEMOGRAPHICS.CSV",
        "PROACT_ALSHISTORY.csv": "AlsHistory.csv",
        "PROACT_DEATHDATA.csv": "proact_deathdata.csv",
        "PROACT_FVC.csv": "Fvc.csv",
    }
    before = read_registry(registry_dir)
    for old, new in renames.items():
        (registry_dir / old).rename(registry_dir / new)
    after = read_registry(registry_dir)
    pd.testing.assert_frame_equal(before.alsfrs, after.alsfrs)
    pd.testing.assert_frame_equal(before.subjects, after.subjects)
    assert after.files["alsfrs"] == "alsfrs.csv"
    assert set(after.rejected["file"]) == {
        "alsfrs.csv",
        "DEMOGRAPHICS.CSV",
        "AlsHistory.csv",
        "proact_deathdata.csv",
        "Fvc.csv",
    }


def test_item_columns_map_onto_the_domain_item_keys():
    keys = set(ALSFRS_ITEM_COLUMNS.values())
    assert keys == {*DOMAIN_ITEM_KEYS, "respiratory"}
    assert list(ALSFRS_ITEM_COLUMNS)[4:6] == [
        "Q5a_Cutting_without_Gastrostomy",
        "Q5b_Cutting_with_Gastrostomy",
    ]


def test_months_from_onset_counts_and_settings(registry_dir):
    registry = read_registry(registry_dir)
    months = registry.months_from_onset()
    first = registry.alsfrs.index[registry.alsfrs["line"] == 2][0]
    assert months[first] == pytest.approx(400 / 30.4375)  # day 0, onset day -400
    by_subject = dict(zip(registry.alsfrs["subject_id"], months, strict=True))
    assert by_subject["3"] == pytest.approx((5 + 100) / 30.4375)
    assert np.isnan(by_subject["2"])  # its only history row was rejected: onset unknown
    summary = registry.to_dict()
    assert summary["settings"] == {"days_per_month": 30.4375}
    assert summary["counts"]["alsfrs_rows"] == 5
    assert summary["counts"]["alsfrs_original_rows"] == 1
    assert summary["counts"]["deaths"] == 2
    rejected_rows = registry.rejected[["file", "line"]].drop_duplicates()
    assert summary["counts"]["rejected_rows"] == len(rejected_rows)
    assert summary["files"]["alsfrs"] == "PROACT_ALSFRS.csv"


def test_onset_site_from_the_one_hot_columns(registry_dir):
    write(
        registry_dir,
        "PROACT_ALSHISTORY.csv",
        "subject_id,Onset_Delta,Diagnosis_Delta,Site_of_Onset___Bulbar,Site_of_Onset___Limb,"
        "Site_of_Onset___Spine,Site_of_Onset___Other\n"
        "1,-400,-200,1,,,\n"
        "2,-400,-200,,1,,\n"
        "3,-400,-200,,,1,\n"
        "5,-400,-200,1,1,,\n"
        "6,-400,-200,,,,1\n",
    )
    sites = read_registry(registry_dir).subjects.set_index("subject_id")["onset_site"]
    assert sites.to_dict() == {
        "1": "bulbar",
        "2": "spinal",
        "3": "spinal",
        "5": "other",
        "6": "other",
    }
