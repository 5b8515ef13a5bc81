"""SDTM metadata: each dataset's label and variables (name, label, type, role, codelist).

One declaration feeds the dataset builders (column order), the XPT writer (labels, types),
the define metadata (``define.py``) and the conformance checks (``sdtm_checks.py``). Names and
labels follow the SDTMIG 3.4 domain models; XPT version 5 limits names to 8 characters and
labels to 40. ALSFRS-R has no CDISC controlled terminology (docs/domain.md, 'CDISC mapping'): its
test codes form the sponsor-defined codelist ``QSTESTCD_ALSFRSR`` declared here and in the define
file.
"""

from __future__ import annotations

from dataclasses import dataclass

from alstrial.domain.alsfrs_items import ITEMS


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    type: str = "Char"  # "Char" or "Num"
    core: str = "Req"  # SDTMIG core: Req, Exp, Perm
    codelist: str = ""
    origin: str = "CRF"


def _ident(domain: str) -> tuple[Variable, ...]:
    return (
        Variable("STUDYID", "Study Identifier", origin="Assigned"),
        Variable("DOMAIN", "Domain Abbreviation", origin="Assigned"),
        Variable("USUBJID", "Unique Subject Identifier", origin="Derived"),
        Variable(f"{domain}SEQ", "Sequence Number", "Num", origin="Derived"),
    )


def _last_before_exposure(domain: str) -> Variable:
    """--LOBXFL (SDTMIG 3.4, Expected in Findings; derived by ``sdtm_flags``)."""
    label = "Last Observation Before Exposure Flag"
    return Variable(f"{domain}LOBXFL", label, core="Exp", codelist="NY", origin="Derived")


def _timing(prefix: str, visit: bool = True) -> tuple[Variable, ...]:
    visits = (
        (
            Variable("VISITNUM", "Visit Number", "Num", "Exp", origin="Protocol"),
            Variable("VISIT", "Visit Name", core="Perm", origin="Protocol"),
        )
        if visit
        else ()
    )
    return (
        *visits,
        Variable("EPOCH", "Epoch", core="Perm", codelist="EPOCH", origin="Derived"),
        Variable(f"{prefix}DTC", "Date/Time of Collection", core="Exp"),
        Variable(f"{prefix}DY", "Study Day of Visit/Collection/Exam", "Num", "Perm", "", "Derived"),
    )


DATASETS: dict[str, tuple[str, tuple[Variable, ...]]] = {
    "DM": (
        "Demographics",
        (
            Variable("STUDYID", "Study Identifier", origin="Assigned"),
            Variable("DOMAIN", "Domain Abbreviation", origin="Assigned"),
            Variable("USUBJID", "Unique Subject Identifier", origin="Derived"),
            Variable("SUBJID", "Subject Identifier for the Study"),
            Variable("RFSTDTC", "Subject Reference Start Date/Time", core="Exp", origin="Derived"),
            Variable("RFENDTC", "Subject Reference End Date/Time", core="Exp", origin="Derived"),
            Variable("RFXSTDTC", "Date/Time of First Study Treatment", core="Exp"),
            Variable("RFXENDTC", "Date/Time of Last Study Treatment", core="Exp"),
            Variable("RFICDTC", "Date/Time of Informed Consent", core="Exp"),
            Variable("RFPENDTC", "Date/Time of End of Participation", core="Exp"),
            Variable("DTHDTC", "Date/Time of Death", core="Exp"),
            Variable("DTHFL", "Subject Death Flag", core="Exp", codelist="NY"),
            Variable("SITEID", "Study Site Identifier"),
            Variable("AGE", "Age", "Num", "Exp"),
            Variable("AGEU", "Age Units", core="Exp", codelist="AGEU"),
            Variable("SEX", "Sex", codelist="SEX"),
            # Expected in SDTMIG 3.4: empty when ARMNRS gives the reason there is no arm.
            Variable("ARMCD", "Planned Arm Code", core="Exp", origin="Assigned"),
            Variable("ARM", "Description of Planned Arm", core="Exp", origin="Assigned"),
            Variable("ACTARMCD", "Actual Arm Code", core="Exp", origin="Derived"),
            Variable("ACTARM", "Description of Actual Arm", core="Exp", origin="Derived"),
            Variable("ARMNRS", "Reason Arm and/or Actual Arm is Null", "Char", "Exp", "ARMNULRS"),
            Variable("ACTARMUD", "Description of Unplanned Actual Arm", core="Exp"),
        ),
    ),
    "AE": (
        "Adverse Events",
        (
            *_ident("AE"),
            Variable("AESPID", "Sponsor-Defined Identifier", core="Perm", origin="Assigned"),
            Variable("AETERM", "Reported Term for the Adverse Event"),
            Variable("AEDECOD", "Dictionary-Derived Term", origin="Assigned"),
            Variable("AETOXGR", "Standard Toxicity Grade", core="Perm", codelist="TOXGR"),
            Variable("AESER", "Serious Event", core="Exp", codelist="NY", origin="Derived"),
            Variable("AEACN", "Action Taken with Study Treatment", core="Exp", codelist="ACN"),
            Variable("AEREL", "Causality", core="Exp", codelist="REL_ALSTRIAL"),
            Variable("AEOUT", "Outcome of Adverse Event", core="Perm", codelist="OUT"),
            Variable("AESCONG", "Congenital Anomaly or Birth Defect", core="Perm", codelist="NY"),
            Variable("AESDISAB", "Persist or Signif Disability/Incapacity", "Char", "Perm", "NY"),
            Variable("AESDTH", "Results in Death", core="Perm", codelist="NY"),
            Variable("AESHOSP", "Requires or Prolongs Hospitalization", "Char", "Perm", "NY"),
            Variable("AESLIFE", "Is Life Threatening", core="Perm", codelist="NY"),
            Variable("AESMIE", "Other Medically Important Serious Event", "Char", "Perm", "NY"),
            Variable("EPOCH", "Epoch", core="Perm", codelist="EPOCH", origin="Derived"),
            Variable("AESTDTC", "Start Date/Time of Adverse Event", core="Exp"),
            Variable("AEENDTC", "End Date/Time of Adverse Event", core="Exp"),
            Variable("AESTDY", "Study Day of Start of Adverse Event", "Num", "Perm", "", "Derived"),
            Variable("AEENDY", "Study Day of End of Adverse Event", "Num", "Perm", "", "Derived"),
        ),
    ),
    "EX": (
        "Exposure",
        (
            *_ident("EX"),
            Variable("EXLOT", "Lot Number", core="Perm"),
            Variable("EXTRT", "Name of Treatment", origin="Protocol"),
            Variable("EXDOSE", "Dose", "Num", "Exp"),
            Variable("EXDOSU", "Dose Units", core="Exp", codelist="UNIT"),
            Variable("EXDOSFRM", "Dose Form", core="Exp", codelist="FRM", origin="Protocol"),
            Variable("EXROUTE", "Route of Administration", core="Perm", codelist="ROUTE"),
            Variable("EXVAMT", "Treatment Vehicle Amount", "Num", "Perm"),
            Variable("EXVAMTU", "Treatment Vehicle Amount Units", core="Perm", codelist="UNIT"),
            Variable("VISITNUM", "Visit Number", "Num", "Perm", origin="Protocol"),
            Variable("VISIT", "Visit Name", core="Perm", origin="Protocol"),
            Variable("EPOCH", "Epoch", core="Perm", codelist="EPOCH", origin="Derived"),
            Variable("EXSTDTC", "Start Date/Time of Treatment", core="Exp"),
            Variable("EXENDTC", "End Date/Time of Treatment", core="Exp"),
            Variable("EXSTDY", "Study Day of Start of Treatment", "Num", "Perm", "", "Derived"),
            Variable("EXENDY", "Study Day of End of Treatment", "Num", "Perm", "", "Derived"),
        ),
    ),
    "PR": (
        "Procedures",
        (
            *_ident("PR"),
            Variable("PRTRT", "Reported Name of Procedure"),
            Variable("PRCAT", "Category", core="Perm", origin="Assigned"),
            Variable("PRLOC", "Location of Procedure", core="Perm", codelist="LOC"),
            Variable("VISITNUM", "Visit Number", "Num", "Perm", origin="Protocol"),
            Variable("VISIT", "Visit Name", core="Perm", origin="Protocol"),
            Variable("EPOCH", "Epoch", core="Perm", codelist="EPOCH", origin="Derived"),
            Variable("PRSTDTC", "Start Date/Time of Procedure", core="Exp"),
            Variable("PRSTDY", "Study Day of Start of Procedure", "Num", "Perm", "", "Derived"),
        ),
    ),
    "QS": (
        "Questionnaires",
        (
            *_ident("QS"),
            Variable("QSTESTCD", "Question Short Name", codelist="QSTESTCD_ALSFRSR"),
            Variable("QSTEST", "Question Name", codelist="QSTEST_ALSFRSR"),
            Variable("QSCAT", "Category of Question", codelist="QSCAT_ALSTRIAL"),
            Variable("QSSCAT", "Subcategory for Question", core="Perm", origin="Assigned"),
            Variable("QSORRES", "Finding in Original Units", core="Exp"),
            Variable(
                "QSSTRESC", "Character Result/Finding in Std Format", "Char", "Exp", "", "Derived"
            ),
            Variable("QSSTRESN", "Numeric Finding in Standard Units", "Num", "Exp", "", "Derived"),
            _last_before_exposure("QS"),
            Variable("QSDRVFL", "Derived Flag", core="Perm", codelist="NY", origin="Derived"),
            *_timing("QS"),
        ),
    ),
    "VS": (
        "Vital Signs",
        (
            *_ident("VS"),
            Variable("VSTESTCD", "Vital Signs Test Short Name", codelist="VSTESTCD"),
            Variable("VSTEST", "Vital Signs Test Name", codelist="VSTEST"),
            Variable("VSORRES", "Result or Finding in Original Units", core="Exp"),
            Variable("VSORRESU", "Original Units", core="Exp", codelist="VSRESU"),
            Variable(
                "VSSTRESC", "Character Result/Finding in Std Format", "Char", "Exp", "", "Derived"
            ),
            Variable(
                "VSSTRESN", "Numeric Result/Finding in Standard Units", "Num", "Exp", "", "Derived"
            ),
            Variable("VSSTRESU", "Standard Units", core="Exp", codelist="VSRESU", origin="Derived"),
            _last_before_exposure("VS"),
            *_timing("VS"),
        ),
    ),
    "CM": (
        "Concomitant/Prior Medications",
        (
            *_ident("CM"),
            Variable("CMTRT", "Reported Name of Drug, Med, or Therapy", origin="Protocol"),
            Variable("CMCAT", "Category for Medication", core="Perm", origin="Assigned"),
            Variable("CMPRESP", "CM Pre-specified", core="Perm", codelist="NY", origin="Protocol"),
            Variable("CMOCCUR", "CM Occurrence", core="Perm", codelist="NY"),
            *_timing("CM"),
        ),
    ),
    "DS": (
        "Disposition",
        (
            *_ident("DS"),
            Variable("DSTERM", "Reported Term for the Disposition Event", origin="Derived"),
            Variable(
                "DSDECOD", "Standardized Disposition Term", codelist="NCOMPLT", origin="Derived"
            ),
            Variable("DSCAT", "Category for Disposition Event", core="Exp", codelist="DSCAT"),
            Variable("EPOCH", "Epoch", core="Perm", codelist="EPOCH", origin="Derived"),
            Variable("DSSTDTC", "Start Date/Time of Disposition Event", core="Exp"),
            Variable(
                "DSSTDY", "Study Day of Start of Disposition Event", "Num", "Perm", "", "Derived"
            ),
        ),
    ),
}

DATASETS["SUPPAE"] = (
    "Supplemental Qualifiers for AE",
    (
        Variable("STUDYID", "Study Identifier", origin="Assigned"),
        Variable("RDOMAIN", "Related Domain Abbreviation", origin="Assigned"),
        Variable("USUBJID", "Unique Subject Identifier", origin="Derived"),
        Variable("IDVAR", "Identifying Variable", core="Exp", origin="Assigned"),
        Variable("IDVARVAL", "Identifying Variable Value", core="Exp", origin="Derived"),
        Variable("QNAM", "Qualifier Variable Name", codelist="QNAM_ALSTRIAL", origin="Assigned"),
        Variable("QLABEL", "Qualifier Variable Label", origin="Assigned"),
        Variable("QVAL", "Data Value", codelist="REL_ALSTRIAL"),
        Variable("QORIG", "Origin", origin="Assigned"),
        Variable("QEVAL", "Evaluator", core="Exp", origin="Assigned"),
    ),
)

#: Item names too long for a 40-character QSTEST once numbered.
_SHORT_NAMES = {"5b": "Cutting food, utensils (gastrostomy)"}


def _qs_test(number: str, name: str, domain: str) -> tuple[str, str, str]:
    digits, suffix = number.rstrip("ab"), number[len(number.rstrip("ab")) :]
    code = f"ALSR{int(digits):02d}{suffix.upper()}"
    return code, f"{number}. {_SHORT_NAMES.get(number, name)}", domain.upper().replace("_", " ")


#: Sponsor-defined ALSFRS-R tests: item key -> (QSTESTCD <= 8, QSTEST <= 40, QSSCAT), item order.
QS_TESTS: dict[str, tuple[str, str, str]] = {
    item.key: _qs_test(item.number, item.name, item.domain) for item in ITEMS
}
QS_TOTAL = ("ALSRTOT", "ALSFRS-R Total Score", "TOTAL")
QS_CATEGORY = "ALSFRS-R"

#: Vital signs: field -> (VSTESTCD, VSTEST, unit), CDISC controlled terms (VSTESTCD, VSRESU).
VS_TESTS: dict[str, tuple[str, str, str]] = {
    "systolic_mmhg": ("SYSBP", "Systolic Blood Pressure", "mmHg"),
    "diastolic_mmhg": ("DIABP", "Diastolic Blood Pressure", "mmHg"),
    "heart_rate_bpm": ("PULSE", "Pulse Rate", "beats/min"),
    "respiratory_rate": ("RESP", "Respiratory Rate", "breaths/min"),
    "temperature_c": ("TEMP", "Temperature", "C"),
    "weight_kg": ("WEIGHT", "Weight", "kg"),
}


def variables(domain: str) -> tuple[Variable, ...]:
    return DATASETS[domain][1]


def column_names(domain: str) -> list[str]:
    return [v.name for v in variables(domain)]
