"""PRO-ACT reader: structural errors name the file; line numbers stay true; fuzzed rows never
crash the reader (each data line is either read or rejected, never both, never lost)."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alstrial.registry.proact import RegistryFormatError, read_registry
from alstrial.registry.proact_columns import ALSFRS_COLUMNS
from alstrial.registry.synth import synthesize, write_proact

VALID_ROW = "1,4,4,4,3,3,,3,3,3,3,,4,4,4,,42,{day},,"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_proact(synthesize(20, seed=4), tmp_path)
    return tmp_path


def set_alsfrs(folder: Path, text: str | bytes) -> Path:
    path = folder / "PROACT_ALSFRS.csv"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def format_error(folder: Path) -> RegistryFormatError:
    with pytest.raises(RegistryFormatError) as info:
        read_registry(folder)
    return info.value


def test_empty_folder(tmp_path):
    error = format_error(tmp_path)
    assert error.file == str(tmp_path)
    assert "no PRO-ACT files" in str(error)


def test_not_a_folder(folder):
    error = format_error(folder / "PROACT_FVC.csv")
    assert "is not a folder" in str(error)


def test_missing_file_is_named(folder):
    (folder / "PROACT_DEATHDATA.csv").unlink()
    assert "missing file(s): PROACT_DEATHDATA.csv" in str(format_error(folder))


def test_broken_link_counts_as_missing(folder):
    (folder / "PROACT_DEMOGRAPHICS.csv").unlink()
    (folder / "PROACT_DEMOGRAPHICS.csv").symlink_to(folder / "nowhere.csv")
    assert "PROACT_DEMOGRAPHICS.csv" in str(format_error(folder))


def test_fvc_is_optional(folder):
    (folder / "PROACT_FVC.csv").unlink()
    registry = read_registry(folder)
    assert registry.fvc.empty
    assert list(registry.fvc.columns) == ["subject_id", "day", "fvc_percent", "line"]


def test_two_files_for_one_form(folder):
    (folder / "alsfrs.csv").write_bytes((folder / "PROACT_ALSFRS.csv").read_bytes())
    assert "several files for the alsfrs form" in str(format_error(folder))


def test_missing_column_names_file_line_and_column(folder):
    header = ",".join(c for c in ALSFRS_COLUMNS if c != "Q3_Swallowing")
    set_alsfrs(folder, header + "\n")
    error = format_error(folder)
    assert (error.file, error.line, error.column) == ("PROACT_ALSFRS.csv", 1, "Q3_Swallowing")


def test_duplicate_column(folder):
    set_alsfrs(folder, ",".join((*ALSFRS_COLUMNS, "q1_speech")) + "\n")
    error = format_error(folder)
    assert error.file == "PROACT_ALSFRS.csv"
    assert "appears twice" in str(error)


@pytest.mark.parametrize(("delimiter", "word"), [(";", "semicolons"), ("\t", "tabs")])
def test_wrong_delimiter(folder, delimiter, word):
    set_alsfrs(folder, delimiter.join(ALSFRS_COLUMNS) + "\n")
    error = format_error(folder)
    assert (error.file, error.line) == ("PROACT_ALSFRS.csv", 1)
    assert word in str(error)


def test_latin1_bytes_are_not_utf8(folder):
    text = ",".join(ALSFRS_COLUMNS) + "\n" + VALID_ROW.format(day=0).replace("1,", "Jos\xe9,", 1)
    set_alsfrs(folder, text.encode("latin-1"))
    error = format_error(folder)
    assert error.file == "PROACT_ALSFRS.csv"
    assert "not UTF-8" in str(error)


def test_utf16_file(folder):
    set_alsfrs(folder, (",".join(ALSFRS_COLUMNS) + "\n").encode("utf-16"))
    assert "NUL bytes" in str(format_error(folder))


@pytest.mark.parametrize(
    ("content", "what"),
    [(b"PK\x03\x04rest-of-a-workbook", "ZIP archive"), (b"%PDF-1.7\n", "PDF"), (b"", "empty")],
)
def test_other_formats_and_empty_files(folder, content, what):
    set_alsfrs(folder, content)
    error = format_error(folder)
    assert error.file == "PROACT_ALSFRS.csv"
    assert what in str(error)


def test_rows_with_too_many_or_too_few_fields_are_rejected(folder):
    rows = [VALID_ROW.format(day=0) + ",extra", VALID_ROW.format(day=9)[:-1], VALID_ROW]
    set_alsfrs(folder, ",".join(ALSFRS_COLUMNS) + "\n" + "\n".join(rows[:2]) + "\n")
    registry = read_registry(folder)
    bad = registry.rejected.loc[registry.rejected["file"] == "PROACT_ALSFRS.csv"]
    assert bad[["line", "column", "value"]].values.tolist() == [
        [2, "(row)", "21"],
        [3, "(row)", "19"],
    ]
    assert bad["reason"].str.endswith("where the header has 20").all()
    assert registry.alsfrs.empty


def test_line_numbers_survive_blank_lines_crlf_bom_and_quoted_line_breaks(folder):
    header = ",".join(c.upper() for c in ALSFRS_COLUMNS)  # any case is accepted
    rows = [
        VALID_ROW.format(day=0),  # line 2
        "",  # line 3: blank
        VALID_ROW.format(day=30)[:-2] + ',"In\nPerson",',  # lines 4-5
        VALID_ROW.format(day=60).replace("42", "41"),  # line 6: wrong total
    ]
    for newline in ("\n", "\r\n"):
        set_alsfrs(folder, "\ufeff" + header + newline + newline.join(rows) + newline)
        registry = read_registry(folder)
        assert registry.alsfrs.loc[registry.alsfrs["subject_id"] == "1", "line"].tolist() == [2, 4]
        bad = registry.rejected.loc[registry.rejected["file"] == "PROACT_ALSFRS.csv"]
        assert bad[["line", "column"]].values.tolist() == [[6, "ALSFRS_R_Total"]]


CELL = st.one_of(
    st.integers(-2, 6).map(str),
    st.sampled_from(["", "", "", "NA", " 3", "2.0", "3.5", "1e0", "inf", "-", "Yes"]),
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=6),
)


@pytest.mark.slow
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.lists(CELL, min_size=20, max_size=20), min_size=1, max_size=12))
def test_fuzzed_alsfrs_rows_are_read_or_rejected(folder, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ALSFRS_COLUMNS)
    for row in rows:
        writer.writerow(["1", *row[1:]] if row[0] == "" else row)
    set_alsfrs(folder, buffer.getvalue())
    registry = read_registry(folder)
    accepted = set(registry.alsfrs["line"])
    rejected = set(registry.rejected.loc[registry.rejected["file"] == "PROACT_ALSFRS.csv", "line"])
    assert not accepted & rejected
    # Every non-blank record is accounted for, by the line where it starts.
    starts, end = [], 1
    reader = csv.reader(io.StringIO(buffer.getvalue(), newline=""))
    next(reader)
    for record in reader:
        if any(cell.strip() for cell in record):
            starts.append(end + 1)
        end = reader.line_num
    assert accepted | rejected == set(starts)
    a = registry.alsfrs
    items = a[["speech", "walking", "dyspnea", "respiratory"]].to_numpy(float)
    seen = items[~np.isnan(items)]
    assert ((seen >= 0) & (seen <= 4) & (seen == np.round(seen))).all()
    assert a["total"].notna().all()
    assert (a["total"] <= np.where(a["scale"] == "R", 48, 40)).all()


SUBJECT_FORMS = {
    "PROACT_DEMOGRAPHICS.csv": ("subject_id", "Demographics_Delta", "Age", "Date_of_Birth", "Sex"),
    "PROACT_ALSHISTORY.csv": (
        "subject_id",
        "Site_of_Onset",
        "Onset_Delta",
        "Diagnosis_Delta",
        "Site_of_Onset___Bulbar",
        "Site_of_Onset___Limb",
    ),
    "PROACT_DEATHDATA.csv": ("subject_id", "Subject_Died", "Death_Days"),
    "PROACT_FVC.csv": (
        "subject_id",
        "Forced_Vital_Capacity_Delta",
        "pct_of_Normal_Trial_1",
        "Subject_Liters_Trial_1",
        "Subject_Normal",
    ),
}
SUBJECT_CELL = st.one_of(
    st.sampled_from(["", "1", "2", "-30", "-400", "0.5", "55", "Male", "f", "Yes", "no", "NA"]),
    st.sampled_from(["Onset: Bulbar", "Onset: Limb", "Onset: Limb and Bulbar", "9e9", "-1e300"]),
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=5),
)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(sorted(SUBJECT_FORMS)),
    rows=st.lists(st.lists(SUBJECT_CELL, min_size=6, max_size=6), min_size=1, max_size=10),
)
def test_fuzzed_subject_rows_never_crash_and_keep_the_invariants(name, rows):
    with tempfile.TemporaryDirectory() as fresh:
        folder = Path(fresh)
        write_proact(synthesize(20, seed=4), folder)
        check_fuzzed_subject_rows(folder, name, rows)


def check_fuzzed_subject_rows(folder: Path, name: str, rows: list[list[str]]) -> None:
    columns = SUBJECT_FORMS[name]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(row[: len(columns)])
    (folder / name).write_text(buffer.getvalue(), encoding="utf-8", newline="")
    registry = read_registry(folder)
    s = registry.subjects
    assert s["subject_id"].is_unique
    assert set(s["sex"].dropna()) <= {"M", "F"}
    assert set(s["onset_site"].dropna()) <= {"bulbar", "spinal", "other"}
    assert s["died"].dtype == bool
    assert not (s["death_day"].notna() & ~s["died"]).any()
    assert ((s["age_years"] >= 0) & (s["age_years"] <= 120) | s["age_years"].isna()).all()
    known = s["onset_day"].notna() & s["diagnosis_day"].notna()
    assert (s.loc[known, "onset_day"] <= s.loc[known, "diagnosis_day"]).all()
    assert (s["onset_day"].dropna() <= 0).all()
    assert registry.fvc["fvc_percent"].between(0, 200).all()
    assert set(registry.rejected["file"]) <= {name, "PROACT_ALSFRS.csv", "PROACT_FVC.csv"}


def test_a_bare_carriage_return_splits_a_record_as_the_csv_module_does(folder):
    # A stray CR inside a line ends a record for the csv module (and for Excel): both halves
    # are rejected for their field counts and the next row keeps its line number.
    broken = VALID_ROW.format(day=0).replace(",42,", ",42\r,")
    text = ",".join(ALSFRS_COLUMNS) + "\n" + broken + "\n" + VALID_ROW.format(day=30) + "\n"
    set_alsfrs(folder, text)
    registry = read_registry(folder)
    bad = registry.rejected.loc[registry.rejected["file"] == "PROACT_ALSFRS.csv"]
    assert bad[["line", "column", "value"]].values.tolist() == [
        [2, "(row)", "17"],
        [3, "(row)", "4"],
    ]
    assert registry.alsfrs.loc[registry.alsfrs["subject_id"] == "1", "line"].tolist() == [4]
