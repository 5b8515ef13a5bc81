"""Dataset-JSON 1.1 files: the attributes the specification requires, column data types from
its list, ``records`` equal to the rows, string lengths covering every value, keys numbered,
and the rows equal to the SDTM dataset (read back independently with ``json``)."""

from __future__ import annotations

import json

import pandas as pd
from exchange_trial import build_trial_data

from alstrial.exchange.dataset_json import dataset_json, read_dataset_json
from alstrial.exchange.sdtm import build_sdtm
from alstrial.exchange.sdtm_write import write_sdtm

REQUIRED = (
    "datasetJSONCreationDateTime",
    "datasetJSONVersion",
    "itemGroupOID",
    "records",
    "name",
    "label",
    "columns",
)
DATA_TYPES = {
    "string",
    "integer",
    "decimal",
    "float",
    "double",
    "boolean",
    "datetime",
    "date",
    "time",
    "URI",
}


def test_every_dataset_follows_the_specification(tmp_path):
    data = build_trial_data()
    write_sdtm(data, tmp_path)
    datasets = build_sdtm(data)
    for domain, frame in datasets.items():
        document = json.loads((tmp_path / f"{domain.lower()}.json").read_text())
        assert all(key in document for key in REQUIRED), domain
        assert document["datasetJSONVersion"].startswith("1.1")
        assert document["name"] == domain
        assert document["records"] == len(document["rows"]) == len(frame)
        assert [c["name"] for c in document["columns"]] == list(frame.columns)
        keys = sorted(c["keySequence"] for c in document["columns"] if "keySequence" in c)
        assert keys == list(range(1, len(keys) + 1))
        for position, column in enumerate(document["columns"]):
            assert column["dataType"] in DATA_TYPES
            values = [row[position] for row in document["rows"]]
            if column["dataType"] == "string":
                assert all(v is None or isinstance(v, str) for v in values)
                assert all(len(v) <= column["length"] for v in values if v is not None)
            else:
                assert "length" not in column
                assert all(v is None or isinstance(v, int | float) for v in values)
        back = read_dataset_json(tmp_path / f"{domain.lower()}.json")
        expected = frame.replace("", None)
        pd.testing.assert_frame_equal(
            back.astype(object).where(back.notna(), None).reset_index(drop=True),
            expected.astype(object).where(expected.notna(), None).reset_index(drop=True),
            check_dtype=False,
        )


def test_an_empty_dataset_is_well_formed():
    frame = build_sdtm(build_trial_data())["EX"].iloc[0:0]
    document = dataset_json("EX", frame, "KIM2009")
    assert document["records"] == 0
    assert document["rows"] == []
    assert all(c.get("length", 1) >= 1 for c in document["columns"])
