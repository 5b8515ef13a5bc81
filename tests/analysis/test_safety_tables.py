"""Safety tables on a small hand-made trial; every expected count was worked out by hand.

The trial: N = 5 subjects (S1-S5); S5 had no event. LP = lumbar puncture, CP = cell product.

| id | subj | term          | gr | serious          | LP / CP             | expected | days |
|----|------|---------------|----|------------------|---------------------|----------|------|
| 1  | S1   | headache      | 1  | -                | probable/unrelated  | yes      | 2    |
| 2  | S1   | headache      | 2  | -                | possible/unrelated  | yes      | 1    |
| 3  | S2   | headache      | 3  | hospitalisation  | possible/unlikely   | no (>2)  | 6    |
| 4  | S2   | low back pain | 1  | -                | unlikely/unrelated  | yes      | -    |
| 5  | S3   | meningitis    | 4  | hosp.; life-thr. | probable/possible   | no       | 15   |
| 6  | S4   | pneumonia     | 5  | death            | unrelated/unrelated | no       | 5    |
"""

from __future__ import annotations

import math
from collections import defaultdict

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from alstrial.analysis import safety_tables as st
from alstrial.domain.errors import FieldError

HOSP = "hospitalisation"
ROWS = [
    (1, "S1", "headache", 1, "", "probable", "unrelated", True, "03-01", "03-03", "recovered"),
    (2, "S1", "headache", 2, "", "possible", "unrelated", True, "03-10", "03-11", "recovered"),
    (3, "S2", "headache", 3, HOSP, "possible", "unlikely", False, "03-02", "03-08", "recovered"),
    (4, "S2", "low back pain", 1, "", "unlikely", "unrelated", True, "03-02", None, "recovering"),
    (5, "S3", "meningitis", 4, f"{HOSP};life_threatening", "probable", "possible", False,
     "03-05", "03-20", "recovered"),
    (6, "S4", "pneumonia", 5, "death", "unrelated", "unrelated", False, "03-07", "03-12", "fatal"),
]  # fmt: skip
COLUMNS = [
    "event_id",
    "subject_id",
    "term",
    "grade",
    "seriousness_criteria",
    "relatedness_lumbar_puncture",
    "relatedness_cell_product",
    "expected",
    "onset_date",
    "resolution_date",
    "outcome",
]
AE = pd.DataFrame(ROWS, columns=COLUMNS)
for _column in ("onset_date", "resolution_date"):
    AE[_column] = AE[_column].map(lambda md: f"2026-{md}" if md else None)
SUBJECTS = pd.DataFrame({"subject_id": ["S1", "S2", "S3", "S4", "S5"]})


def row(frame, column, value):
    found = frame[frame[column] == value]
    assert len(found) == 1, value
    return found.iloc[0]


def test_derived_columns_follow_the_domain_rules():
    events = st.prepare_events(AE, SUBJECTS).set_index("event_id")
    assert list(events["serious"]) == [False, False, True, False, True, True]
    assert list(events["related"]) == [True, True, True, False, True, False]
    # SUSAR: serious, related, unexpected -> events 3 and 5; event 6 is unrelated
    assert list(events["susar"]) == [False, False, True, False, True, False]
    assert events.loc[5, "related_to"] == "cell_product;lumbar_puncture"
    assert list(events["duration_days"].fillna(-1)) == [2, 1, 6, -1, 15, 5]


def test_overview_counts():
    table = st.overview(AE, SUBJECTS).set_index("category")
    assert table.attrs["N"] == 5
    # any AE: S1-S4 = 4 subjects (80.0%), 6 events
    assert tuple(table.loc["any adverse event"]) == (4, 80.0, 6)
    # related: events 1,2 (S1), 3 (S2), 5 (S3) -> 3 subjects, 4 events
    assert tuple(table.loc["related (possible or more)"]) == (3, 60.0, 4)
    # grade >= 3: events 3, 5, 6 -> S2, S3, S4
    assert tuple(table.loc["grade 3 or more"]) == (3, 60.0, 3)
    assert tuple(table.loc["serious (SAE)"]) == (3, 60.0, 3)
    assert tuple(table.loc["SUSAR"]) == (2, 40.0, 2)
    assert tuple(table.loc["fatal (grade 5)"]) == (1, 20.0, 1)


def test_by_term_counts_subjects_once_and_events_by_grade():
    table = st.by_term(AE, SUBJECTS)
    assert list(table["term"]) == [
        "any term",
        "headache",  # 2 subjects
        "low back pain",  # then 1 subject each, alphabetically
        "meningitis",
        "pneumonia",
    ]
    headache = row(table, "term", "headache")
    assert (headache["subjects"], headache["percent"], headache["events"]) == (2, 40.0, 3)
    assert [headache[f"grade_{g}"] for g in range(1, 6)] == [1, 1, 1, 0, 0]
    assert (headache["serious"], headache["related"]) == (1, 3)
    total = row(table, "term", "any term")
    assert (total["subjects"], total["events"]) == (4, 6)  # distinct subjects, not 2+1+1+1
    assert [total[f"grade_{g}"] for g in range(1, 6)] == [2, 1, 1, 1, 1]


def test_worst_grade_counts_each_subject_once_per_term():
    table = st.by_worst_grade(AE, SUBJECTS)
    headache = row(table, "term", "headache")
    # S1 worst headache grade 2, S2 grade 3
    assert [headache[f"grade_{g}"] for g in range(1, 6)] == [0, 1, 1, 0, 0]
    total = row(table, "term", "any term")
    # worst over all terms: S1 2, S2 3, S3 4, S4 5
    assert [total[f"grade_{g}"] for g in range(1, 6)] == [0, 1, 1, 1, 1]


def test_relatedness_by_cause_and_category():
    table = st.by_relatedness(AE, SUBJECTS).set_index(["cause", "relatedness"])
    lp = table.loc["lumbar puncture"]
    assert tuple(lp.loc["probable", ["subjects", "events"]]) == (2, 2)  # S1 (1), S3 (5)
    assert tuple(lp.loc["possible", ["subjects", "events"]]) == (2, 2)  # S1 (2), S2 (3)
    assert tuple(lp.loc["unlikely", ["subjects", "events"]]) == (1, 1)
    assert tuple(lp.loc["unrelated", ["subjects", "events"]]) == (1, 1)
    assert tuple(lp.loc["certain", ["subjects", "events"]]) == (0, 0)
    assert lp["events"].sum() == 6
    product = table.loc["cell product"]
    assert tuple(product.loc["possible", ["subjects", "events"]]) == (1, 1)
    # a cause nobody assessed (not a procedure of the trial) is left out
    unassessed = AE.assign(relatedness_spinal_surgery="")
    causes = set(st.by_relatedness(unassessed, SUBJECTS)["cause"])
    assert causes == {"lumbar puncture", "cell product"}


def test_seriousness_counts_an_event_under_each_criterion():
    table = st.by_seriousness(AE, SUBJECTS).set_index("criterion")
    assert tuple(table.loc["requires or prolongs hospitalisation", ["subjects", "events"]]) == (
        2,
        2,
    )
    assert tuple(table.loc["is life-threatening", ["subjects", "events"]]) == (1, 1)
    assert tuple(table.loc["results in death", ["subjects", "events"]]) == (1, 1)
    assert table.loc["congenital anomaly or birth defect", "events"] == 0


def test_time_to_resolution_over_resolved_events():
    table = st.time_to_resolution(AE)
    headache = row(table, "term", "headache")
    # durations 2, 1, 6: mean 3, median 2, range 1-6
    assert (headache["events"], headache["resolved"], headache["unresolved"]) == (3, 3, 0)
    assert headache["mean_days"] == pytest.approx(3.0)
    assert headache["median_days"] == pytest.approx(2.0)
    assert (headache["min_days"], headache["max_days"]) == (1, 6)
    assert headache["mean_weeks"] == pytest.approx(3 / 7)
    back = row(table, "term", "low back pain")
    assert (back["resolved"], back["unresolved"]) == (0, 1)
    assert math.isnan(back["mean_days"])


def test_sae_and_death_listings():
    saes = st.sae_listing(AE)
    assert list(saes["event_id"]) == [3, 5, 6]
    assert saes.loc[1, "seriousness_criteria"] == "hospitalisation; life_threatening"
    assert list(saes["susar"]) == [True, True, False]
    deaths = st.death_listing(AE)
    assert list(deaths["subject_id"]) == ["S4"]
    assert deaths.loc[0, "death_date"] == pd.Timestamp("2026-03-12")
    assert deaths.loc[0, "related_to"] == ""


def test_empty_trial_gives_zero_counts_not_errors():
    empty = AE.iloc[0:0]
    table = st.overview(empty, SUBJECTS)
    assert list(table["subjects"]) == [0] * 6
    assert list(st.by_term(empty, SUBJECTS)["term"]) == ["any term"]
    assert st.sae_listing(empty).empty


@pytest.mark.parametrize(
    "empty",
    [AE.iloc[0:0], pd.DataFrame([], columns=AE.columns)],
    ids=["typed", "as_the_web_builds"],
)
def test_every_table_of_a_trial_without_events_is_built(empty):
    """A trial with no adverse event yet (the web builds its frame from no rows, every column
    of object dtype) gets every table, with zero counts: the safety page once answered 500."""
    tables = st.report_tables(empty, SUBJECTS)
    assert tables
    seriousness = st.by_seriousness(empty, SUBJECTS)
    assert list(seriousness["subjects"]) == [0] * len(seriousness)
    assert list(seriousness["events"]) == [0] * len(seriousness)


def test_bad_input_names_the_column():
    with pytest.raises(FieldError) as excinfo:
        st.overview(AE.drop(columns=["expected"]), SUBJECTS)
    assert "expected" in excinfo.value.message
    bad = AE.copy()
    bad.loc[2, "grade"] = 6
    with pytest.raises(FieldError) as excinfo:
        st.by_term(bad, SUBJECTS)
    assert excinfo.value.field == "grade"
    assert "row 3" in excinfo.value.message
    bad = AE.copy()
    bad.loc[0, "relatedness_cell_product"] = "maybe"
    with pytest.raises(FieldError) as excinfo:
        st.by_term(bad, SUBJECTS)
    assert excinfo.value.field == "relatedness_cell_product"
    with pytest.raises(FieldError) as excinfo:
        st.by_term(AE, SUBJECTS.iloc[1:])
    assert "S1" in excinfo.value.message


MRI = pd.DataFrame(
    {
        "subject_id": ["S1", "S1", "S1", "S2", "S2", "S3", "S3"],
        "scan_date": ["2026-01-01", "2026-07-01", "2026-04-01", "2026-01-02", "2026-06-01",
                      "2026-01-03", "2026-05-03"],
        "cord_volume_ml": [10.0, 9.5, 9.8, 8.0, 8.4, 9.0, None],
        "abnormal_proliferation": [False, False, False, False, True, False, False],
    }
)  # fmt: skip


def test_mri_change_from_baseline_per_subject():
    table = st.mri_by_subject(MRI).set_index("subject_id")
    # S1: baseline 10.0 (Jan), last 9.5 (Jul; scans are sorted by date) -> -0.5 ml, -5%
    assert table.loc["S1", "scans"] == 3
    assert table.loc["S1", "change_ml"] == pytest.approx(-0.5)
    assert table.loc["S1", "change_percent"] == pytest.approx(-5.0)
    assert table.loc["S2", "change_percent"] == pytest.approx(5.0)
    assert bool(table.loc["S2", "abnormal_proliferation"])
    # S3: the second scan has no volume, so there is no follow-up volume: no change (not 0.0)
    assert (table.loc["S3", "scans"], table.loc["S3", "measured_scans"]) == (2, 1)
    assert table.loc["S3", "baseline_volume_ml"] == 9.0
    assert pd.isna(table.loc["S3", "change_ml"])
    assert pd.isna(table.loc["S3", "change_percent"])
    assert pd.isna(table.loc["S3", "last_date"])


def test_mri_summary_for_the_trial():
    summary = st.mri_summary(MRI).iloc[0]
    assert summary["subjects_scanned"] == 3
    assert summary["subjects_with_follow_up"] == 2  # S3 has only a measured baseline
    assert summary["mean_change_percent"] == pytest.approx(0.0)  # (-5 + 5) / 2
    assert summary["min_change_percent"] == pytest.approx(-5.0)
    assert summary["max_change_percent"] == pytest.approx(5.0)
    assert summary["subjects_with_proliferation"] == 1


def test_mri_bad_volume_names_the_column():
    bad = MRI.copy()
    bad.loc[3, "cord_volume_ml"] = 0
    with pytest.raises(FieldError) as excinfo:
        st.mri_summary(bad)
    assert excinfo.value.field == "cord_volume_ml"
    assert "row 4" in excinfo.value.message


def test_report_tables_in_order_with_and_without_listings():
    full = st.report_tables(AE, SUBJECTS, MRI)
    assert list(full)[:2] == ["Overview of adverse events", "Subjects and events by term and grade"]
    assert "Serious adverse events" in full
    assert list(full["Deaths"]["subject_id"]) == ["S4"]
    aggregate = st.report_tables(AE, SUBJECTS, MRI, listings=False)
    assert "Serious adverse events" not in aggregate
    assert "Spinal cord MRI by subject" not in aggregate
    assert "Spinal cord MRI: summary" in aggregate
    assert "Spinal cord MRI: summary" not in st.report_tables(AE, SUBJECTS)


# --- property test: the tables against a plain-Python count of random trials -------------------

EVENT = hs.fixed_dictionaries(
    {
        "subject_id": hs.sampled_from(["S1", "S2", "S3", "S4", "S5", "S6"]),
        "term": hs.sampled_from(["headache", "myalgia", "fever"]),
        "grade": hs.integers(1, 5),
        "criteria": hs.sets(hs.sampled_from(["hospitalisation", "disability"])),
        "lp": hs.sampled_from(["certain", "probable", "possible", "unlikely", "unrelated"]),
        "expected": hs.booleans(),
        "days": hs.one_of(hs.none(), hs.integers(0, 60)),
    }
)


def frame_of(events):
    rows = []
    for i, e in enumerate(events, start=1):
        criteria = set(e["criteria"]) | ({"death"} if e["grade"] == 5 else set())
        onset = pd.Timestamp("2026-01-01") + pd.Timedelta(days=i)
        end = None if e["days"] is None else onset + pd.Timedelta(days=e["days"])
        rows.append(
            {
                "event_id": i,
                "subject_id": e["subject_id"],
                "term": e["term"],
                "grade": e["grade"],
                "seriousness_criteria": ";".join(sorted(criteria)),
                "relatedness_lumbar_puncture": e["lp"],
                "expected": e["expected"],
                "onset_date": onset,
                "resolution_date": end,
                "outcome": "recovered" if end is not None else "recovering",
            }
        )
    return pd.DataFrame(rows, columns=[*COLUMNS])


@settings(max_examples=150, deadline=None)
@given(events=hs.lists(EVENT, max_size=25))
def test_tables_agree_with_a_plain_count(events):
    subjects = pd.DataFrame({"subject_id": ["S1", "S2", "S3", "S4", "S5", "S6", "S7"]})
    ae = frame_of(events)
    by_subject_term = defaultdict(set)
    grades = defaultdict(lambda: [0] * 5)
    serious_subjects, susar_events = set(), 0
    for e in events:
        by_subject_term[e["term"]].add(e["subject_id"])
        grades[e["term"]][e["grade"] - 1] += 1
        serious = bool(e["criteria"]) or e["grade"] == 5
        related = e["lp"] in ("certain", "probable", "possible")
        if serious:
            serious_subjects.add(e["subject_id"])
        susar_events += serious and related and not e["expected"]

    table = st.by_term(ae, subjects).set_index("term")
    assert table.loc["any term", "subjects"] == len({e["subject_id"] for e in events})
    assert table.loc["any term", "events"] == len(events)
    for term, who in by_subject_term.items():
        assert table.loc[term, "subjects"] == len(who)
        assert table.loc[term, "percent"] == round(100 * len(who) / 7, 1)
        assert [table.loc[term, f"grade_{g}"] for g in range(1, 6)] == grades[term]

    overview = st.overview(ae, subjects).set_index("category")
    assert overview.loc["serious (SAE)", "subjects"] == len(serious_subjects)
    assert overview.loc["SUSAR", "events"] == susar_events

    worst = st.by_worst_grade(ae, subjects).set_index("term")
    for term, who in by_subject_term.items():
        assert sum(worst.loc[term, f"grade_{g}"] for g in range(1, 6)) == len(who)

    resolution = st.time_to_resolution(ae).set_index("term")
    for term in by_subject_term:
        days = [e["days"] for e in events if e["term"] == term and e["days"] is not None]
        assert resolution.loc[term, "resolved"] == len(days)
        if days:
            assert resolution.loc[term, "mean_days"] == pytest.approx(sum(days) / len(days))
            assert resolution.loc[term, "max_days"] == max(days)
