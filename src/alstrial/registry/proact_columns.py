"""PRO-ACT file names and columns (docs/domain.md, 'PRO-ACT registry format'): the format as data,
shared by the reader (``proact``) and the writer (``synth``)."""

from __future__ import annotations

#: Form name -> accepted file names, lower case: current ``PROACT_<FORM>.csv`` and the 2016
#: archive's ``<form>.csv`` (docs/domain.md, 'PRO-ACT registry format'). Matching is
#: case-insensitive.
FORM_FILES: dict[str, tuple[str, ...]] = {
    form: (f"proact_{form}.csv", f"{form}.csv")
    for form in ("alsfrs", "alshistory", "demographics", "deathdata", "fvc")
}

#: ALSFRS form: PRO-ACT item column -> alstrial item key (docs/domain.md, 'ALSFRS-R' and 'PRO-ACT
#: registry format'). ``Q10_Respiratory`` is the original ALSFRS's single respiratory item, key
#: ``respiratory``.
ALSFRS_ITEM_COLUMNS: dict[str, str] = {
    "Q1_Speech": "speech",
    "Q2_Salivation": "salivation",
    "Q3_Swallowing": "swallowing",
    "Q4_Handwriting": "handwriting",
    "Q5a_Cutting_without_Gastrostomy": "cutting_without_gastrostomy",
    "Q5b_Cutting_with_Gastrostomy": "cutting_with_gastrostomy",
    "Q6_Dressing_and_Hygiene": "dressing_hygiene",
    "Q7_Turning_in_Bed": "turning_in_bed",
    "Q8_Walking": "walking",
    "Q9_Climbing_Stairs": "climbing_stairs",
    "Q10_Respiratory": "respiratory",
    "R_1_Dyspnea": "dyspnea",
    "R_2_Orthopnea": "orthopnea",
    "R_3_Respiratory_Insufficiency": "respiratory_insufficiency",
}
#: Every ALSFRS column, in the order of docs/domain.md, 'PRO-ACT registry format'.
ALSFRS_COLUMNS = (
    "subject_id",
    *ALSFRS_ITEM_COLUMNS,
    "ALSFRS_Total",
    "ALSFRS_R_Total",
    "ALSFRS_Delta",
    "Mode_of_Administration",
    "ALSFRS_Responded_By",
)
ALSHISTORY_COLUMNS = (
    "subject_id",
    "Site_of_Onset",
    "Onset_Delta",
    "Diagnosis_Delta",
    "Site_of_Onset___Bulbar",
    "Site_of_Onset___Limb",
    "Site_of_Onset___Limb_and_Bulbar",
    "Site_of_Onset___Other",
    "Site_of_Onset___Spine",
)
DEMOGRAPHICS_COLUMNS = (
    "subject_id",
    "Demographics_Delta",
    "Age",
    "Date_of_Birth",
    "Ethnicity",
    "Race_Caucasian",
    "Sex",
)
DEATHDATA_COLUMNS = ("subject_id", "Subject_Died", "Death_Days")
FVC_COLUMNS = (
    "subject_id",
    "Forced_Vital_Capacity_Delta",
    "Subject_Liters_Trial_1",
    "Subject_Liters_Trial_2",
    "Subject_Liters_Trial_3",
    "pct_of_Normal_Trial_1",
    "pct_of_Normal_Trial_2",
    "pct_of_Normal_Trial_3",
    "Subject_Normal",
    "Forced_Vital_Capacity_Units",
)
