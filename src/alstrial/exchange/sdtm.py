"""SDTM datasets (DM, AE with SUPPAE, EX, PR, QS, VS, CM, DS) from a trial's data
(docs/domain.md, 'CDISC mapping'; CM holds the pre-specified ALS treatments of the conmed form).

- USUBJID = STUDYID-SUBJID, SUBJID = the pseudonymous subject code: no identifying data.
- RFSTDTC = the date of the done visit that carries administration 1 (the schedule's day 0,
  the first administration in both shipped protocols); RFXSTDTC/RFXENDTC = the first and last
  administration recorded by the product app (EX). Study days follow SDTMIG 4.4.4:
  ``--DY = date - RFSTDTC + 1`` on or after the reference start, ``date - RFSTDTC`` before it,
  so there is no day 0. (The trial's own schedule counts
  from day 0 = first administration; SDTM day 1 is that day.)
- EPOCH: a record collected at a visit takes the visit's epoch from the protocol phase
  (SCREENING, RUN-IN, TREATMENT, FOLLOW-UP); a dated record without a visit (adverse event,
  disposition) takes the epoch of the subject's last visit done on or before that date
  (SCREENING before the first visit).
- Dates are ISO 8601: ``YYYY-MM-DD``; times (administration, harvest, in UTC) ``YYYY-MM-DDThh:mm``.
- QS: ALSFRS-R items and the total under the sponsor-defined QSCAT ``ALSFRS-R`` with the test
  codes of ``sdtm_spec.QS_TESTS`` (the total is flagged QSDRVFL = Y, derived as the item sum).
- EX route: the CDISC term of the administration route (``INTRATHECAL``, C38267).
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd

from alstrial.domain.protocol_model import ROUTE_CDISC
from alstrial.exchange.sdtm_arms import assigned_arm, dm_arms, exposure, procedure_name
from alstrial.exchange.sdtm_flags import last_before_exposure
from alstrial.exchange.sdtm_long_text import split_long_text
from alstrial.exchange.sdtm_spec import (
    QS_CATEGORY,
    QS_TESTS,
    QS_TOTAL,
    VS_TESTS,
    column_names,
    variables,
)
from alstrial.exchange.sdtm_supp import build_suppae
from alstrial.exchange.trial_data import TrialData

DOMAINS = ("DM", "AE", "EX", "PR", "QS", "VS", "CM", "DS")
#: Pre-specified ALS treatments asked at each conmed visit (yes/no): field -> CMTRT.
PRESPECIFIED_MEDICATIONS = {"riluzole": "RILUZOLE", "edaravone": "EDARAVONE"}
TREATMENT_NAME = "AUTOLOGOUS BONE MARROW MESENCHYMAL STEM CELLS"
ARM = ("MSC", "Autologous bone marrow MSC")
AE_OUTCOME = {
    "recovered": "RECOVERED/RESOLVED",
    "recovering": "RECOVERING/RESOLVING",
    "not_recovered": "NOT RECOVERED/NOT RESOLVED",
    "recovered_with_sequelae": "RECOVERED/RESOLVED WITH SEQUELAE",
    "fatal": "FATAL",
    "unknown": "UNKNOWN",
}
AE_ACTION = {
    "none": "DOSE NOT CHANGED",
    "treatment_delayed": "DRUG INTERRUPTED",
    "treatment_withdrawn": "DRUG WITHDRAWN",
    "not_applicable": "NOT APPLICABLE",
    "unknown": "UNKNOWN",
}
SERIOUSNESS_FLAGS = {
    "AESCONG": "congenital_anomaly",
    "AESDISAB": "disability",
    "AESDTH": "death",
    "AESHOSP": "hospitalisation",
    "AESLIFE": "life_threatening",
    "AESMIE": "medically_important",
}
#: Procedure of the route (docs/domain.md, 'Adverse events'): lumbar puncture or intraspinal
#: surgery.
ROUTE_PROCEDURE = {
    "intrathecal": ("LUMBAR PUNCTURE", "LUMBAR SPINE"),
    "intraspinal": ("INTRASPINAL CELL IMPLANTATION (SURGERY)", "THORACIC SPINAL CORD"),
}


def text(value) -> str:
    """A cell as text; empty for None or NaN."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def iso_date(value) -> str:
    """ISO 8601 date of a date or datetime; empty for missing."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    return value.isoformat() if isinstance(value, date) else str(value)


def iso_datetime(value) -> str:
    """ISO 8601 date and time to the minute (UTC) of a datetime; empty for missing."""
    if not isinstance(value, datetime):
        return iso_date(value)
    return value.strftime("%Y-%m-%dT%H:%M")


def study_day(when, reference) -> float:
    """SDTM study day (no day 0); NaN without both dates."""
    if not iso_date(when) or not iso_date(reference):
        return np.nan
    a = when.date() if isinstance(when, datetime) else when
    b = reference.date() if isinstance(reference, datetime) else reference
    days = (a - b).days
    return float(days + 1 if days >= 0 else days)


class _Context:
    """Per-subject lookups shared by the domain builders."""

    def __init__(self, data: TrialData):
        self.data = data
        self.study_id = data.study_id
        admins = data.administrations.sort_values(["subject_id", "administered_at"])
        self.first_dose = admins.groupby("subject_id")["administered_at"].first().to_dict()
        self.last_dose = admins.groupby("subject_id")["administered_at"].last().to_dict()
        visits = data.visits
        first_visits = visits.loc[(visits["administration"] == 1) & visits["visit_date"].notna()]
        #: Reference start: the done visit carrying administration 1 (the schedule's day 0),
        #: else the first administration recorded by the product app.
        self.reference = {
            **{sid: d.date() for sid, d in self.first_dose.items()},
            **dict(zip(first_visits["subject_id"], first_visits["visit_date"], strict=True)),
        }
        self.visit_num = {(r.subject_id, r.visit_code): r.visit_num for r in visits.itertuples()}
        self.visit_name = {(r.subject_id, r.visit_code): r.visit_name for r in visits.itertuples()}
        self.visit_epoch = {(r.subject_id, r.visit_code): r.epoch for r in visits.itertuples()}
        done = visits.loc[visits["visit_date"].notna()].sort_values(["subject_id", "visit_date"])
        self.epochs_by_date = {
            sid: list(zip(g["visit_date"], g["epoch"], strict=True))
            for sid, g in done.groupby("subject_id")
        }

    def usubjid(self, subject_id: str) -> str:
        return f"{self.study_id}-{subject_id}"

    def dy(self, subject_id: str, when) -> float:
        return study_day(when, self.reference.get(subject_id))

    def epoch_on(self, subject_id: str, when) -> str:
        day = when.date() if isinstance(when, datetime) else when
        if not iso_date(day):
            return ""
        epoch = "SCREENING"
        for visit_date, visit_epoch in self.epochs_by_date.get(subject_id, ()):
            if visit_date <= day:
                epoch = visit_epoch
        return epoch

    def visit(self, subject_id: str, visit_code) -> dict:
        key = (subject_id, visit_code)
        return {
            "VISITNUM": float(self.visit_num[key]) if key in self.visit_num else np.nan,
            "VISIT": self.visit_name.get(key, ""),
        }


def build_sdtm(data: TrialData) -> dict[str, pd.DataFrame]:
    """The seven SDTM datasets and SUPPAE, columns in ``sdtm_spec`` order, --SEQ per subject
    from 1; AE text over 200 bytes continues in SUPPAE (``sdtm_long_text``)."""
    ctx = _Context(data)
    builders = {
        "DM": _dm,
        "AE": _ae,
        "EX": _ex,
        "PR": _pr,
        "QS": _qs,
        "VS": _vs,
        "CM": _cm,
        "DS": _ds,
    }
    datasets = {domain: _finish(domain, builders[domain](ctx), ctx) for domain in DOMAINS}
    for domain in ("QS", "VS"):
        datasets[domain][f"{domain}LOBXFL"] = last_before_exposure(
            datasets[domain], domain, datasets["DM"]
        )
    suppae = build_suppae(datasets["AE"], data.adverse_events, data.study_id)
    datasets["AE"], datasets["SUPPAE"] = split_long_text("AE", datasets["AE"], suppae)
    return datasets


def _finish(domain: str, rows: list[dict], ctx: _Context) -> pd.DataFrame:
    frame = pd.DataFrame(rows).reindex(columns=column_names(domain))
    frame["STUDYID"] = ctx.study_id
    frame["DOMAIN"] = domain
    if f"{domain}SEQ" in frame:
        frame[f"{domain}SEQ"] = frame.groupby("USUBJID", sort=False).cumcount() + 1
    for variable in variables(domain):
        column = frame[variable.name]
        if variable.type == "Num":
            frame[variable.name] = pd.to_numeric(column).astype(float)
        else:
            frame[variable.name] = column.astype(object).fillna("").astype(str)
    return frame.reset_index(drop=True)


def _dm(ctx: _Context) -> list[dict]:
    rows = []
    for s in ctx.data.subjects.itertuples():
        first, last = ctx.first_dose.get(s.subject_id), ctx.last_dose.get(s.subject_id)
        screen_failed = s.status == "screen_failed"
        treated = s.subject_id in ctx.first_dose
        planned = assigned_arm(ctx.data.protocol, ctx.data.arms, s.subject_id, ARM, s.status)
        arms = dm_arms(planned, screen_failed=screen_failed, treated=treated, treatment=ARM[1])
        contacts = (s.consent_date, s.screening_date, s.withdrawal_date, s.death_date)
        ends = [d for d in contacts if iso_date(d)] + _visit_dates(ctx, s.subject_id)
        # RFPENDTC: the last contact, for every subject (a screen failure's screening too);
        # RFENDTC: the end of treatment (last dose), else of participation, only for a subject
        # with an arm (SDTMIG 3.4 DM: null for screen failures and subjects not assigned).
        end_of_participation = iso_date(max(ends, default=None))
        reference_end = (iso_datetime(last) or end_of_participation) if arms["ARMCD"] else ""
        rows.append(
            {
                "USUBJID": ctx.usubjid(s.subject_id),
                "SUBJID": s.subject_id,
                "RFSTDTC": iso_date(ctx.reference.get(s.subject_id)),
                "RFENDTC": reference_end,
                "RFXSTDTC": iso_datetime(first),
                "RFXENDTC": iso_datetime(last),
                "RFICDTC": iso_date(s.consent_date),
                "RFPENDTC": end_of_participation,
                "DTHDTC": iso_date(s.death_date),
                "DTHFL": "Y" if iso_date(s.death_date) else "",
                "SITEID": s.site,
                "AGE": float(s.age_years) if pd.notna(s.age_years) else np.nan,
                "AGEU": "YEARS" if pd.notna(s.age_years) else "",
                "SEX": s.sex if s.sex in ("M", "F") else "U",
                **arms,
            }
        )
    return rows


def _visit_dates(ctx: _Context, subject_id: str) -> list:
    return [d for d, _ in ctx.epochs_by_date.get(subject_id, ())]


def _yn(flag: bool) -> str:
    return "Y" if flag else "N"


def _ae(ctx: _Context) -> list[dict]:
    rows = []
    for ae in ctx.data.adverse_events.itertuples():
        listed = ae.seriousness_criteria
        criteria = set(listed) if isinstance(listed, list | tuple) else set()
        rows.append(
            {
                "USUBJID": ctx.usubjid(ae.subject_id),
                "AESPID": str(ae.ae_id),
                "AETERM": ae.verbatim_term,
                "AEDECOD": (text(ae.coded_term) or text(ae.term)).upper(),
                "AETOXGR": str(int(ae.grade)),
                "AESER": _yn(bool(ae.serious)),
                "AEACN": AE_ACTION.get(ae.action_taken, "UNKNOWN"),
                "AEREL": text(ae.relatedness_cell_product).upper(),
                "AEOUT": AE_OUTCOME.get(ae.outcome, "UNKNOWN"),
                **{flag: _yn(key in criteria) for flag, key in SERIOUSNESS_FLAGS.items()},
                "EPOCH": ctx.epoch_on(ae.subject_id, ae.onset_date),
                "AESTDTC": iso_date(ae.onset_date),
                "AEENDTC": iso_date(ae.resolution_date),
                "AESTDY": ctx.dy(ae.subject_id, ae.onset_date),
                "AEENDY": ctx.dy(ae.subject_id, ae.resolution_date),
            }
        )
    return rows


def _ex(ctx: _Context) -> list[dict]:
    rows = []
    for a in ctx.data.administrations.sort_values(["subject_id", "dose_number"]).itertuples():
        rows.append(
            {
                "USUBJID": ctx.usubjid(a.subject_id),
                "EXLOT": a.lot_code,
                **exposure(
                    ctx.data.protocol,
                    ctx.data.arms,
                    a.subject_id,
                    TREATMENT_NAME,
                    a.cells_given,
                    a.volume_ml,
                ),
                "EXDOSU": "CELLS",
                "EXDOSFRM": "SUSPENSION",
                "EXROUTE": ROUTE_CDISC.get(a.route, str(a.route).upper()),
                "EXVAMTU": "mL",
                **ctx.visit(a.subject_id, a.visit_code),
                "EPOCH": ctx.visit_epoch.get((a.subject_id, a.visit_code))
                or ctx.epoch_on(a.subject_id, a.administered_at),
                "EXSTDTC": iso_datetime(a.administered_at),
                "EXENDTC": iso_datetime(a.administered_at),
                "EXSTDY": ctx.dy(a.subject_id, a.administered_at),
                "EXENDY": ctx.dy(a.subject_id, a.administered_at),
            }
        )
    return rows


def _procedure(ctx, subject_id, visit_code, name, category, location, when) -> dict:
    return {
        "USUBJID": ctx.usubjid(subject_id),
        "PRTRT": name,
        "PRCAT": category,
        "PRLOC": location,
        **ctx.visit(subject_id, visit_code),
        "EPOCH": ctx.visit_epoch.get((subject_id, visit_code)) or ctx.epoch_on(subject_id, when),
        "PRSTDTC": iso_datetime(when),
        "PRSTDY": ctx.dy(subject_id, when),
    }


def _pr(ctx: _Context) -> list[dict]:
    data, rows = ctx.data, []
    for h in data.harvests.itertuples():
        rows.append(
            _procedure(
                ctx,
                h.subject_id,
                h.visit_code,
                "BONE MARROW ASPIRATION",
                "CELL PRODUCT HARVEST",
                text(h.anatomical_site).upper(),
                h.aspirated_at,
            )
        )
    for a in data.administrations.itertuples():
        if a.route in ROUTE_PROCEDURE:
            name, location = ROUTE_PROCEDURE[a.route]
            rows.append(
                _procedure(
                    ctx,
                    a.subject_id,
                    a.visit_code,
                    procedure_name(ctx.data.protocol, ctx.data.arms, a.subject_id, name),
                    "CELL ADMINISTRATION",
                    location,
                    a.administered_at,
                )
            )
    for m in data.mri.itertuples():
        rows.append(
            _procedure(
                ctx,
                m.subject_id,
                m.visit_code,
                "MRI OF THE SPINE",
                "SAFETY IMAGING",
                "SPINAL CORD",
                m.visit_date,
            )
        )
    rows.sort(key=lambda r: (r["USUBJID"], r["PRSTDTC"], r["PRTRT"]))
    return rows


def _finding(ctx, record, prefix: str, extra: dict) -> dict:
    return {
        "USUBJID": ctx.usubjid(record.subject_id),
        **extra,
        **ctx.visit(record.subject_id, record.visit_code),
        "EPOCH": ctx.visit_epoch.get((record.subject_id, record.visit_code), ""),
        f"{prefix}DTC": iso_date(record.visit_date),
        f"{prefix}DY": ctx.dy(record.subject_id, record.visit_date),
    }


def _qs(ctx: _Context) -> list[dict]:
    rows = []
    for record in ctx.data.alsfrs.itertuples():
        tests = [(key, *QS_TESTS[key], False) for key in QS_TESTS]
        tests.append(("total", *QS_TOTAL, True))
        for key, code, name, subcategory, derived in tests:
            value = getattr(record, key)
            if value is None or pd.isna(value):
                continue  # 5a or 5b: the one not scored at this visit is not a finding
            text = str(int(value))
            extra = {
                "QSTESTCD": code,
                "QSTEST": name,
                "QSCAT": QS_CATEGORY,
                "QSSCAT": subcategory,
                "QSORRES": text,
                "QSSTRESC": text,
                "QSSTRESN": float(value),
                "QSDRVFL": "Y" if derived else "",
            }
            rows.append(_finding(ctx, record, "QS", extra))
    return rows


def _vs(ctx: _Context) -> list[dict]:
    rows = []
    sources = [(ctx.data.vitals, list(VS_TESTS)[:5]), (ctx.data.weight, ["weight_kg"])]
    for frame, fields in sources:
        for record in frame.itertuples():
            for field in fields:
                value = getattr(record, field)
                if value is None or pd.isna(value):
                    continue
                code, name, unit = VS_TESTS[field]
                text = f"{float(value):g}"
                extra = {
                    "VSTESTCD": code,
                    "VSTEST": name,
                    "VSORRES": text,
                    "VSORRESU": unit,
                    "VSSTRESC": text,
                    "VSSTRESN": float(value),
                    "VSSTRESU": unit,
                }
                rows.append(_finding(ctx, record, "VS", extra))
    rows.sort(key=lambda r: (r["USUBJID"], r["VSDTC"], r["VSTESTCD"]))
    return rows


def _cm(ctx: _Context) -> list[dict]:
    """Pre-specified ALS treatments: CMPRESP = Y, CMOCCUR = Y or N as answered at the visit.
    The form's free-text "other medication" is not exported (free text stays in the EDC)."""
    rows = []
    for record in ctx.data.conmed.itertuples():
        for field, name in PRESPECIFIED_MEDICATIONS.items():
            taken = getattr(record, field)
            if taken is None or pd.isna(taken):
                continue
            extra = {
                "CMTRT": name,
                "CMCAT": "ALS TREATMENT",
                "CMPRESP": "Y",
                "CMOCCUR": _yn(bool(taken)),
            }
            rows.append(_finding(ctx, record, "CM", extra))
    return rows


def _ds(ctx: _Context) -> list[dict]:
    rows = []
    for s in ctx.data.subjects.itertuples():
        events = []
        if iso_date(s.consent_date):
            events.append(("INFORMED CONSENT OBTAINED", "PROTOCOL MILESTONE", s.consent_date, None))
        if s.status == "screen_failed":
            events.append(("SCREEN FAILURE", "DISPOSITION EVENT", s.screening_date, None))
        if iso_date(s.death_date):
            events.append(("DEATH", "DISPOSITION EVENT", s.death_date, None))
        elif s.status == "withdrawn":
            # The withdrawal reason is free text, not coded: DSDECOD OTHER rather than a guess
            # (withdrawal by subject, physician decision...); the reason stays in the EDC.
            term = "WITHDRAWN (REASON NOT CODED)"
            events.append((term, "DISPOSITION EVENT", s.withdrawal_date, "OTHER"))
        elif s.status == "completed":
            last = max(_visit_dates(ctx, s.subject_id), default=None)
            events.append(("COMPLETED", "DISPOSITION EVENT", last, None))
        for term, category, when, decoded in events:
            rows.append(
                {
                    "USUBJID": ctx.usubjid(s.subject_id),
                    "DSTERM": term,
                    "DSDECOD": decoded or term,
                    "DSCAT": category,
                    "EPOCH": ctx.epoch_on(s.subject_id, when),
                    "DSSTDTC": iso_date(when),
                    "DSSTDY": ctx.dy(s.subject_id, when),
                }
            )
    return rows
