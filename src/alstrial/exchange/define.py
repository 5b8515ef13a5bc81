"""Define metadata for the SDTM export: ``define.json`` and ``define_variables.csv`` here,
``define.xml`` (Define-XML 2.1, ``define_xml``) from the same metadata. Content: each dataset
(label, class, structure, keys), each variable (label, type, SDTMIG core, origin, codelist)
and each codelist, the sponsor-defined ALSFRS-R test codes marked as such (ALSFRS-R has no
CDISC controlled terminology, docs/domain.md, 'CDISC mapping'), with the settings (months = days /
30.4375) written in as every alstrial output.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from alstrial.domain.protocol_model import EPOCHS
from alstrial.domain.safety import Relatedness
from alstrial.domain.time import DAYS_PER_MONTH
from alstrial.exchange.sdtm_spec import DATASETS, QS_CATEGORY, QS_TESTS, QS_TOTAL, VS_TESTS
from alstrial.exchange.sdtm_supp import PROCEDURE_QUALIFIERS
from alstrial.exchange.spreadsheet import write_csv
from alstrial.exchange.terminology import CODELIST_NCI_CODES, CT_VERSION, TERM_NCI_CODES

STRUCTURES = {
    "DM": ("Special Purpose", "One record per subject", ["STUDYID", "USUBJID"]),
    "AE": ("Events", "One record per adverse event per subject", ["USUBJID", "AESEQ"]),
    "EX": ("Interventions", "One record per administration per subject", ["USUBJID", "EXSEQ"]),
    "PR": ("Interventions", "One record per procedure per subject", ["USUBJID", "PRSEQ"]),
    "QS": ("Findings", "One record per item per visit per subject", ["USUBJID", "QSSEQ"]),
    "VS": ("Findings", "One record per test per visit per subject", ["USUBJID", "VSSEQ"]),
    "CM": ("Interventions", "One record per medication per visit", ["USUBJID", "CMSEQ"]),
    "DS": ("Events", "One record per disposition event per subject", ["USUBJID", "DSSEQ"]),
    "SUPPAE": (
        "Relationship",
        "One record per supplemental qualifier per AE record",
        ["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM"],
    ),
}


def codelists() -> dict[str, dict]:
    """Codelists referenced by the variables; ``sponsor_defined`` marks those not in CDISC CT."""
    qs_codes = {code: name for code, name, _ in QS_TESTS.values()}
    qs_codes[QS_TOTAL[0]] = QS_TOTAL[1]
    return {
        "QSTESTCD_ALSFRSR": {
            "sponsor_defined": True,
            "description": "ALSFRS-R items (Cedarbaum 1999) and total; no CDISC terminology",
            "terms": qs_codes,
        },
        "QSTEST_ALSFRSR": {
            "sponsor_defined": True,
            "terms": {name: name for name in qs_codes.values()},
        },
        "QSCAT_ALSTRIAL": {"sponsor_defined": True, "terms": {QS_CATEGORY: QS_CATEGORY}},
        "EPOCH": {
            "sponsor_defined": False,
            "nci_code": CODELIST_NCI_CODES["EPOCH"],
            "terms": {e: e for e in EPOCHS},
        },
        "ROUTE": {
            "sponsor_defined": False,
            "nci_code": CODELIST_NCI_CODES["ROUTE"],
            "terms": {"INTRATHECAL": "Intrathecal", "INTRASPINAL": "Intraspinal"},
            "nci_term_codes": TERM_NCI_CODES["ROUTE"],
        },
        "VSTESTCD": {
            "sponsor_defined": False,
            "nci_code": CODELIST_NCI_CODES["VSTESTCD"],
            "terms": {code: name for code, name, _ in VS_TESTS.values()},
        },
        "QNAM_ALSTRIAL": {
            "sponsor_defined": True,
            "terms": {qnam: label for qnam, label in PROCEDURE_QUALIFIERS.values()},
        },
        "NY": {
            "sponsor_defined": False,
            "nci_code": CODELIST_NCI_CODES["NY"],
            "terms": {"Y": "Yes", "N": "No"},
        },
        "REL_ALSTRIAL": {
            "sponsor_defined": True,
            "description": "Causality to the cell product (WHO-UMC-like categories)",
            "terms": {r.value.upper(): r.value for r in Relatedness},
        },
    }


def define_metadata(study_id: str, title: str, counts: dict[str, int]) -> dict:
    datasets = []
    for domain, (label, variables) in DATASETS.items():
        klass, structure, keys = STRUCTURES[domain]
        datasets.append(
            {
                "name": domain,
                "label": label,
                "class": klass,
                "structure": structure,
                "keys": keys,
                "records": counts.get(domain, 0),
                "file": f"{domain.lower()}.xpt",
                "variables": [
                    {
                        "name": v.name,
                        "label": v.label,
                        "type": v.type,
                        "core": v.core,
                        "origin": v.origin,
                        "codelist": v.codelist or None,
                    }
                    for v in variables
                ],
            }
        )
    return {
        "study": {"study_id": study_id, "title": title},
        "standard": "SDTMIG 3.4 (the same metadata as define.xml, Define-XML 2.1.0)",
        "controlled_terminology": f"CDISC SDTM CT {CT_VERSION}",
        "settings": {"days_per_month": DAYS_PER_MONTH},
        "datasets": datasets,
        "codelists": codelists(),
    }


def write_define(out_dir: Path, study_id: str, title: str, counts: dict[str, int]) -> list[Path]:
    meta = define_metadata(study_id, title, counts)
    json_path = Path(out_dir) / "define.json"
    json_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    rows = [
        {"dataset": d["name"], **{k: v for k, v in var.items()}}
        for d in meta["datasets"]
        for var in d["variables"]
    ]
    csv_path = Path(out_dir) / "define_variables.csv"
    write_csv(pd.DataFrame(rows), csv_path)
    return [json_path, csv_path]
