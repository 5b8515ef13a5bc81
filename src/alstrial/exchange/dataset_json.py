"""CDISC Dataset-JSON 1.1: the SDTM datasets as JSON (one file per dataset).

Top-level attributes as the Dataset-JSON 1.1 specification names them (creation time,
``datasetJSONVersion`` 1.1.0, file, study and metadata OIDs, ``itemGroupOID``, ``records``,
``name``, ``label``), ``columns`` with ``itemOID``, ``name``, ``label``, ``dataType`` (string;
integer for --SEQ and --DY; double for other numbers), ``length`` for strings and
``keySequence`` for the dataset keys, and ``rows`` as arrays in column order (empty and NaN
become null). ``metaDataRef`` names the export's ``define.xml`` (Define-XML 2.1), whose study,
MetaDataVersion, ItemGroupDef and ItemDef OIDs the file repeats.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from alstrial.exchange.define import STRUCTURES
from alstrial.exchange.odm import oid
from alstrial.exchange.sdtm_spec import DATASETS

VERSION = "1.1.0"


def _data_type(name: str, type_: str) -> str:
    if type_ == "Char":
        return "string"
    return "integer" if name.endswith(("SEQ", "DY")) else "double"


def _cell(value, data_type: str):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if data_type == "string":
        return str(value) if value != "" else None
    if data_type == "integer":
        return int(value)
    return float(value)


def dataset_json(
    domain: str, frame: pd.DataFrame, study_id: str, created: datetime | None = None
) -> dict:
    created = created or datetime.now(UTC)
    label, variables = DATASETS[domain]
    keys = STRUCTURES[domain][2]
    columns = []
    for v in variables:
        column = {
            "itemOID": f"IT.{domain}.{v.name}",
            "name": v.name,
            "label": v.label,
            "dataType": _data_type(v.name, v.type),
        }
        if v.type == "Char":
            lengths = frame[v.name].astype(str).str.len()
            column["length"] = max(1, int(lengths.max()) if len(lengths) else 1)
        if v.name in keys:
            column["keySequence"] = keys.index(v.name) + 1
        columns.append(column)
    types = [c["dataType"] for c in columns]
    rows = [
        [_cell(value, t) for value, t in zip(row, types, strict=True)]
        for row in frame.itertuples(index=False, name=None)
    ]
    stamp = created.strftime("%Y-%m-%dT%H:%M:%S")
    return {
        "datasetJSONCreationDateTime": stamp,
        "datasetJSONVersion": VERSION,
        "fileOID": f"alstrial.{study_id}.{domain}",
        "dbLastModifiedDateTime": stamp,
        "originator": "alstrial",
        "sourceSystem": {"name": "alstrial", "version": "0.1.0"},
        "studyOID": oid("ST", study_id),
        "metaDataVersionOID": "MDV.SDTM",
        "metaDataRef": "define.xml",
        "itemGroupOID": f"IG.{domain}",
        "records": len(rows),
        "name": domain,
        "label": label,
        "columns": columns,
        "rows": rows,
    }


def write_dataset_json(domain: str, frame: pd.DataFrame, study_id: str, path: Path) -> Path:
    document = dataset_json(domain, frame, study_id)
    path.write_text(json.dumps(document, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_dataset_json(path: str | Path) -> pd.DataFrame:
    """A Dataset-JSON file back as a frame (columns by name), for round-trip checks."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    names = [c["name"] for c in document["columns"]]
    return pd.DataFrame(document["rows"], columns=names)
