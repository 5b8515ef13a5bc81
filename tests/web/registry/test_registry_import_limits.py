"""``alstrial registry import`` with day offsets that overflow (1e23, 2**63) and a formula in a
value: the rows are rejected and listed (file, line, column), nothing wraps round to
-9223372036854775808 in the database, and the report is safe to open in a spreadsheet."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from alstrial.cli import app
from alstrial.registry.proact_columns import ALSFRS_COLUMNS
from alstrial.registry.proact_csv import MAX_DAYS
from alstrial.registry.synth import synthesize, write_proact
from alstrial.web.registry.models import RegistryAlsfrs

VALID_ROW = "1,4,4,4,3,3,,3,3,3,3,,4,4,4,,42,{day},,"


def test_overflowing_days_are_rejected_rows_and_never_stored(db, tmp_path):
    folder = tmp_path / "registry"
    write_proact(synthesize(10, seed=5), folder)
    rows = [VALID_ROW.format(day=d) for d in (0, "1e23", 2**63, "=1+2")]
    text = ",".join(ALSFRS_COLUMNS) + "\n" + "\n".join(rows) + "\n"
    (folder / "PROACT_ALSFRS.csv").write_text(text, encoding="utf-8")
    report = tmp_path / "rejected.csv"
    result = CliRunner().invoke(app, ["registry", "import", str(folder), "--report", str(report)])
    assert result.exit_code == 0, result.output
    days = list(RegistryAlsfrs.objects.values_list("day", flat=True))
    assert days == [0]
    assert max(abs(d) for d in days) <= MAX_DAYS
    listed = pd.read_csv(report, dtype=str)
    assert listed[["line", "column"]].values.tolist() == [
        ["3", "ALSFRS_Delta"],
        ["4", "ALSFRS_Delta"],
        ["5", "ALSFRS_Delta"],
    ]
    assert listed["value"].tolist() == ["1e23", str(2**63), "'=1+2"]
