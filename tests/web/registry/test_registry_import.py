"""PRO-ACT import into the database: the generator's subjects and scores recovered from the
tables (checked against the synthetic forms, independently of the reader), idempotence, atomic
refusal of structural errors, strict mode and conflicting re-imports, the command line."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from alstrial.cli import app
from alstrial.registry.proact import RegistryFormatError, RegistryRejectedRows
from alstrial.registry.proact_columns import ALSFRS_ITEM_COLUMNS
from alstrial.registry.synth import FILE_NAMES, synthesize, write_proact
from alstrial.web.registry.importer import RegistryConflictError, import_registry
from alstrial.web.registry.models import (
    RegistryAlsfrs,
    RegistryFvc,
    RegistryImport,
    RegistryPatient,
)

#: PRO-ACT revised-scale item columns -> database columns (the format as data).
PROACT_ITEMS = {c: k for c, k in ALSFRS_ITEM_COLUMNS.items() if c != "Q10_Respiratory"}


@pytest.fixture(scope="module")
def clean_registry(tmp_path_factory):
    synthetic = synthesize(120, seed=81)
    folder = tmp_path_factory.mktemp("clean")
    write_proact(synthetic, folder)
    return synthetic, folder


@pytest.fixture(scope="module")
def dirty_registry(tmp_path_factory):
    synthetic = synthesize(150, seed=82, original_share=0.2, error_share=0.05)
    folder = tmp_path_factory.mktemp("dirty")
    write_proact(synthetic, folder)
    return synthetic, folder


def table_counts() -> tuple[int, int, int, int]:
    return (
        RegistryImport.objects.count(),
        RegistryPatient.objects.count(),
        RegistryAlsfrs.objects.count(),
        RegistryFvc.objects.count(),
    )


def stored_alsfrs() -> pd.DataFrame:
    rows = RegistryAlsfrs.objects.values(
        "patient__subject_id", "day", "scale", "total", *PROACT_ITEMS.values()
    )
    frame = pd.DataFrame(list(rows)).rename(columns={"patient__subject_id": "subject_id"})
    return frame.sort_values(["subject_id", "day"], ignore_index=True)


def test_generator_subjects_and_scores_recovered(db, clean_registry):
    synthetic, folder = clean_registry
    result = import_registry(folder)
    assert result.status == "imported"
    form = synthetic.forms["alsfrs"].sort_values(["subject_id", "ALSFRS_Delta"], ignore_index=True)
    stored = stored_alsfrs()
    assert len(stored) == len(form) > 0
    assert stored["subject_id"].tolist() == form["subject_id"].astype(str).tolist()
    assert stored["day"].tolist() == form["ALSFRS_Delta"].astype(int).tolist()
    assert (stored["scale"] == "R").all()
    assert stored["total"].tolist() == form["ALSFRS_R_Total"].astype(int).tolist()
    for column, key in PROACT_ITEMS.items():
        expected = pd.to_numeric(form[column], errors="coerce")
        got = stored[key].astype(float)
        assert np.array_equal(got.fillna(-1).to_numpy(), expected.fillna(-1).to_numpy()), key
    # Subjects: the generator's ids, sexes, onset days and deaths.
    demo = synthetic.forms["demographics"].set_index("subject_id")
    history = synthetic.forms["alshistory"].set_index("subject_id")
    deaths = synthetic.forms["deathdata"].set_index("subject_id")
    patients = {p.subject_id: p for p in RegistryPatient.objects.all()}
    assert set(patients) == set(synthetic.subject_ids.astype(str))
    for subject_id, patient in patients.items():
        assert patient.sex == str(demo.loc[subject_id, "Sex"])[0].upper()
        assert patient.onset_day == int(history.loc[subject_id, "Onset_Delta"])
        died = str(deaths.loc[subject_id, "Subject_Died"]).lower() == "yes"
        assert patient.died == died
        if died:
            assert patient.death_day == int(deaths.loc[subject_id, "Death_Days"])
        else:
            assert patient.death_day is None
    assert RegistryFvc.objects.count() == len(synthetic.forms["fvc"])


def test_importing_twice_changes_nothing(db, clean_registry):
    _, folder = clean_registry
    first = import_registry(folder)
    before = table_counts()
    snapshot = stored_alsfrs()
    second = import_registry(folder)
    assert second.status == "unchanged"
    assert second.content_hash == first.content_hash
    assert table_counts() == before
    pd.testing.assert_frame_equal(stored_alsfrs(), snapshot)


def test_same_rows_in_other_files_add_nothing(db, clean_registry, tmp_path):
    _, folder = clean_registry
    import_registry(folder)
    before = table_counts()
    shuffled = tmp_path / "shuffled"
    shutil.copytree(folder, shuffled)
    path = shuffled / FILE_NAMES["alsfrs"]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.iloc[::-1].to_csv(path, index=False)  # other bytes, same rows
    result = import_registry(shuffled)
    assert result.status == "imported"
    assert result.added == {"patients": 0, "alsfrs_rows": 0, "fvc_rows": 0}
    assert result.already_present == before[1]
    assert table_counts()[1:] == before[1:]


def test_conflicting_reimport_is_refused_whole(db, clean_registry, tmp_path):
    synthetic, folder = clean_registry
    import_registry(folder)
    before, snapshot = table_counts(), stored_alsfrs()
    changed = tmp_path / "changed"
    shutil.copytree(folder, changed)
    forms = {name: frame.copy() for name, frame in synthetic.forms.items()}
    alsfrs = forms["alsfrs"]
    subject = str(alsfrs.loc[0, "subject_id"])
    alsfrs.loc[0, "ALSFRS_Delta"] = int(alsfrs.loc[0, "ALSFRS_Delta"]) - 1  # a re-dated visit
    alsfrs.to_csv(changed / FILE_NAMES["alsfrs"], index=False)
    with pytest.raises(RegistryConflictError) as caught:
        import_registry(changed)
    assert caught.value.subject_ids == [subject]
    assert table_counts() == before
    pd.testing.assert_frame_equal(stored_alsfrs(), snapshot)


def test_rejected_rows_left_out_and_listed(db, dirty_registry):
    synthetic, folder = dirty_registry
    result = import_registry(folder)
    injected_lines = set(synthetic.injected["line"].astype(int))
    rejected = result.rejected
    assert set(rejected.loc[rejected["file"] == FILE_NAMES["alsfrs"], "line"]) == injected_lines
    stored_lines = set(RegistryAlsfrs.objects.values_list("line", flat=True))
    assert not stored_lines & injected_lines
    assert RegistryAlsfrs.objects.count() == result.counts["alsfrs_rows"]
    original = RegistryAlsfrs.objects.filter(scale="original")
    assert original.count() == result.counts["alsfrs_original_rows"] > 0
    assert all(row.total <= 40 and row.dyspnea is None for row in original)


def test_strict_mode_refuses_everything(db, dirty_registry):
    _, folder = dirty_registry
    with pytest.raises(RegistryRejectedRows):
        import_registry(folder, strict=True)
    assert table_counts() == (0, 0, 0, 0)


@pytest.mark.parametrize("damage", ["missing_column", "semicolons", "missing_file", "zip"])
def test_structural_errors_import_nothing(db, clean_registry, tmp_path, damage):
    _, folder = clean_registry
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    path = broken / FILE_NAMES["alsfrs"]
    text = path.read_text()
    if damage == "missing_column":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame.drop(columns=["ALSFRS_Delta"]).to_csv(path, index=False)
    elif damage == "semicolons":
        path.write_text(text.replace(",", ";"))
    elif damage == "missing_file":
        (broken / FILE_NAMES["deathdata"]).unlink()
    else:
        path.write_bytes(b"PK\x03\x04" + b"\0" * 64)
    with pytest.raises(RegistryFormatError) as caught:
        import_registry(broken)
    assert "PROACT_" in str(caught.value)
    assert table_counts() == (0, 0, 0, 0)


def test_empty_folder_is_a_structural_error(db, tmp_path):
    with pytest.raises(RegistryFormatError, match="no PRO-ACT files"):
        import_registry(tmp_path)
    assert table_counts() == (0, 0, 0, 0)


def test_command_line_summary_report_and_exit_codes(db, dirty_registry, tmp_path):
    _, folder = dirty_registry
    runner = CliRunner()
    report = tmp_path / "out" / "rejected.csv"
    command = ["registry", "import", str(folder), "--report", str(report)]
    strict = runner.invoke(app, [*command, "--strict"])
    assert strict.exit_code == 1, strict.output
    assert table_counts() == (0, 0, 0, 0)
    assert len(pd.read_csv(report)) > 0
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    listed = pd.read_csv(report)
    assert list(listed.columns) == ["file", "line", "column", "value", "reason"]
    rows = listed[["file", "line"]].drop_duplicates()
    assert f"rejected_rows          {len(rows):>9}" in result.output
    again = runner.invoke(app, command)
    assert again.exit_code == 0
    assert "nothing changed" in again.output
    missing = runner.invoke(app, ["registry", "import", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2
    assert "nowhere" in missing.output


def test_archive_file_names_import_the_same_rows(db, clean_registry, tmp_path):
    synthetic, folder = clean_registry
    archive = tmp_path / "archive"
    archive.mkdir()
    for form, name in FILE_NAMES.items():
        shutil.copy(folder / name, archive / f"{form}.csv")  # the 2016 archive's names
    result = import_registry(archive)
    assert result.added["alsfrs_rows"] == len(synthetic.forms["alsfrs"])
    assert result.added["patients"] == len(synthetic.subject_ids)
    assert RegistryImport.objects.get().files.keys() == {f"{f}.csv" for f in FILE_NAMES}
