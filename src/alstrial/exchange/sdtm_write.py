"""Write a trial's SDTM datasets: CSV and Dataset-JSON 1.1 always, XPT v5 with ``xpt=True``,
and the define metadata (define.xml, validated against Define-XML 2.1, and define.json).

All or nothing: the files are written into a temporary folder moved into place when complete
(``staging``); a failure raises :class:`SdtmConformanceError` naming the dataset, variable and
subject, and leaves nothing. The CSV files are for spreadsheets (``spreadsheet.write_csv``);
XPT and Dataset-JSON keep the true values.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from alstrial.exchange.dataset_json import write_dataset_json
from alstrial.exchange.define import write_define
from alstrial.exchange.define_xml import build_define_xml, validate_define
from alstrial.exchange.sdtm import build_sdtm
from alstrial.exchange.sdtm_checks import check_sdtm
from alstrial.exchange.spreadsheet import write_csv
from alstrial.exchange.staging import final_paths, staged_folder
from alstrial.exchange.trial_data import TrialData
from alstrial.exchange.xpt import XptLimitError, write_xpt


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Numeric columns holding whole numbers only are written as integers (1, not 1.0)."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype.kind == "f" and (values.dropna() % 1 == 0).all():
            out[column] = values.astype("Int64")
    return out


class SdtmConformanceError(ValueError):
    """The built datasets fail the conformance checks: nothing is written."""


def write_sdtm(data: TrialData, out_dir: str | Path, *, xpt: bool = False) -> list[Path]:
    """Build, check, then write every dataset (``dm.csv``... and ``dm.xpt``...)."""
    datasets = build_sdtm(data)
    problems = check_sdtm(datasets)
    if problems:
        raise SdtmConformanceError("SDTM checks failed:\n  " + "\n  ".join(problems[:50]))
    define_xml = build_define_xml(datasets, data.study_id, data.title)
    problems = validate_define(define_xml)
    if problems:  # a defect of alstrial's metadata, never of the trial's data
        raise SdtmConformanceError("define.xml fails the Define-XML 2.1 schema: " + problems[0])
    with staged_folder(out_dir) as folder:
        try:
            written = _write_files(data, datasets, folder, xpt)
        except XptLimitError as error:
            raise SdtmConformanceError(str(error)) from None
        (folder / "define.xml").write_bytes(define_xml)
        written.append(folder / "define.xml")
    return final_paths(written, folder, out_dir)


def _write_files(data: TrialData, datasets: dict, out: Path, xpt: bool) -> list[Path]:
    written = []
    for domain, frame in datasets.items():
        path = out / f"{domain.lower()}.csv"
        write_csv(csv_frame(frame), path)
        written.append(path)
        if xpt:
            written.append(write_xpt(domain, frame, out / f"{domain.lower()}.xpt"))
        path = out / f"{domain.lower()}.json"
        written.append(write_dataset_json(domain, frame, data.study_id, path))
    counts = {domain: len(frame) for domain, frame in datasets.items()}
    written += write_define(out, data.study_id, data.title, counts)
    return written
