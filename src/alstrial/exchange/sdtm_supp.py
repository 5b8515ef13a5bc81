"""SUPPAE: the causality of each adverse event to the trial's procedures (docs/domain.md, 'Adverse
events': relatedness is assessed separately for the cell product and for each procedure). AEREL
holds the causality to the cell product; the procedures' go to supplemental qualifiers, one row per
assessed procedure, linked to the parent record by AESEQ.
"""

from __future__ import annotations

import pandas as pd

from alstrial.exchange.sdtm_spec import column_names

#: Procedure -> (QNAM <= 8, QLABEL <= 40).
PROCEDURE_QUALIFIERS = {
    "bone_marrow_aspiration": ("AERELBMA", "Causality to Bone Marrow Aspiration"),
    "lumbar_puncture": ("AERELLP", "Causality to Lumbar Puncture"),
    "spinal_surgery": ("AERELSS", "Causality to Spinal Surgery"),
}


def build_suppae(ae: pd.DataFrame, adverse_events: pd.DataFrame, study_id: str) -> pd.DataFrame:
    """SUPPAE rows for the AE dataset ``ae`` (built, with AESEQ) from the source events."""
    seq = dict(zip(zip(ae["USUBJID"], ae["AESPID"], strict=True), ae["AESEQ"], strict=True))
    rows = []
    for event in adverse_events.itertuples():
        usubjid = f"{study_id}-{event.subject_id}"
        for procedure, (qnam, qlabel) in PROCEDURE_QUALIFIERS.items():
            value = getattr(event, f"relatedness_{procedure}")
            if not isinstance(value, str) or not value:
                continue
            rows.append(
                {
                    "STUDYID": study_id,
                    "RDOMAIN": "AE",
                    "USUBJID": usubjid,
                    "IDVAR": "AESEQ",
                    "IDVARVAL": str(int(seq[(usubjid, str(event.ae_id))])),
                    "QNAM": qnam,
                    "QLABEL": qlabel,
                    "QVAL": value.upper(),
                    "QORIG": "CRF",
                    "QEVAL": "INVESTIGATOR",
                }
            )
    frame = pd.DataFrame(rows, columns=column_names("SUPPAE"))
    return frame.fillna("").astype(str)
