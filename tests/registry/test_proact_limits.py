"""Registry numbers and sizes that overflow: a day offset of 1e23 or 2**63 (which numpy used to
wrap to -9223372036854775808 without a word) and a non-integer day are rejected rows naming
file, line and column; a line, record or row over the documented limits is refused with a clear
error before it fills memory."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alstrial.cli import app
from alstrial.registry.proact import RegistryFormatError, read_registry
from alstrial.registry.proact_columns import ALSFRS_COLUMNS
from alstrial.registry.proact_csv import MAX_DAYS, MAX_FIELDS, MAX_LINE_CHARACTERS
from alstrial.registry.synth import synthesize, write_proact

VALID_ROW = "1,4,4,4,3,3,,3,3,3,3,,4,4,4,,42,{day},,"
HEADER = ",".join(ALSFRS_COLUMNS)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_proact(synthesize(20, seed=4), tmp_path)
    return tmp_path


def set_alsfrs(folder: Path, rows: list[str]) -> None:
    text = HEADER + "\n" + "\n".join(rows) + "\n"
    (folder / "PROACT_ALSFRS.csv").write_text(text, encoding="utf-8", newline="")


@pytest.mark.parametrize(
    "day", ["1e23", str(2**63), "9223372036854775807", "-1e300", str(MAX_DAYS + 1), "12.5"]
)
def test_day_offsets_out_of_range_or_not_whole_are_rejected(folder, day):
    set_alsfrs(folder, [VALID_ROW.format(day=0), VALID_ROW.format(day=day)])
    registry = read_registry(folder)
    assert registry.alsfrs.loc[registry.alsfrs["subject_id"] == "1", "day"].tolist() == [0]
    assert registry.alsfrs["day"].abs().max() <= MAX_DAYS
    bad = registry.rejected.loc[registry.rejected["file"] == "PROACT_ALSFRS.csv"]
    assert bad[["line", "column", "value"]].values.tolist() == [[3, "ALSFRS_Delta", day]]
    expected = "whole number" if day == "12.5" else f"between {-MAX_DAYS} and {MAX_DAYS}"
    assert expected in bad["reason"].iloc[0]


def test_the_day_limit_itself_is_accepted(folder):
    set_alsfrs(folder, [VALID_ROW.format(day=MAX_DAYS), VALID_ROW.format(day=-MAX_DAYS)])
    registry = read_registry(folder)
    days = registry.alsfrs.loc[registry.alsfrs["subject_id"] == "1", "day"]
    assert sorted(days) == [-MAX_DAYS, MAX_DAYS]


def test_other_day_columns_are_bounded_too(folder):
    path = folder / "PROACT_DEATHDATA.csv"
    lines = path.read_text().splitlines()
    subject = lines[1].split(",")[0]
    path.write_text(lines[0] + f"\n{subject},Yes,{2**63}\n", encoding="utf-8")
    registry = read_registry(folder)
    bad = registry.rejected.loc[registry.rejected["file"] == "PROACT_DEATHDATA.csv"]
    assert bad[["line", "column"]].values.tolist() == [[2, "Death_Days"]]


def test_registry_check_reports_the_row(folder):
    set_alsfrs(folder, [VALID_ROW.format(day=0), VALID_ROW.format(day="1e23")])
    report = folder.parent / "rejected.csv"
    result = CliRunner().invoke(app, ["registry", "check", str(folder), "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "-9223372036854775808" not in result.output
    assert "PROACT_ALSFRS.csv,3,ALSFRS_Delta,1e23," in report.read_text()
    strict = CliRunner().invoke(app, ["registry", "check", str(folder), "--strict"])
    assert strict.exit_code == 1


def test_a_line_over_the_limit_is_refused_with_its_number(folder):
    long_line = VALID_ROW.format(day=5)[:-1] + "x" * (MAX_LINE_CHARACTERS + 10)
    set_alsfrs(folder, [VALID_ROW.format(day=0), long_line])
    with pytest.raises(RegistryFormatError) as error:
        read_registry(folder)
    assert error.value.file == "PROACT_ALSFRS.csv"
    assert error.value.line == 3
    assert f"{MAX_LINE_CHARACTERS:,} characters" in str(error.value)


def test_a_header_over_the_limit_is_refused(folder):
    (folder / "PROACT_ALSFRS.csv").write_text(HEADER + "," * (MAX_FIELDS + 5) + "\n1\n")
    with pytest.raises(RegistryFormatError, match="fields, over the limit") as error:
        read_registry(folder)
    assert error.value.line == 1


def test_a_row_with_too_many_fields_is_refused(folder):
    set_alsfrs(folder, [VALID_ROW.format(day=0), "," * MAX_FIELDS])
    with pytest.raises(RegistryFormatError, match=f"{MAX_FIELDS + 1:,} fields") as error:
        read_registry(folder)
    assert error.value.line == 3


def test_a_record_spread_over_quoted_line_breaks_is_bounded(folder):
    # Each line closes a quote, adds 900 fields and opens another quote: one record of many
    # short lines, which the csv module would build whole. Refused at the record limit.
    lines = ['1,"'] + ['",' + "1," * 900 + '"'] * 200
    set_alsfrs(folder, lines)
    with pytest.raises(RegistryFormatError, match="record longer than"):
        read_registry(folder)


@pytest.mark.slow
def test_a_50_mb_line_of_26_million_fields_is_refused_without_the_memory(folder):
    path = folder / "PROACT_ALSFRS.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER + "\n")
        for _ in range(26):
            handle.write("1," * 1_000_000)
        handle.write("\n")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(RegistryFormatError, match="line longer than"):
        read_registry(folder)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 200  # was about 4 GB
