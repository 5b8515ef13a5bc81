"""A small hand-built kim2009 trial (no database) for the exchange tests (a helper module,
not a conftest, so that its name is unique across tests/): two treated subjects
on the protocol's schedule and one screen failure; the numbers are chosen by hand so that the
tests can state what SDTM must contain."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from alstrial.domain.alsfrs_items import ITEM_KEYS
from alstrial.domain.protocol import bundled_protocol
from alstrial.exchange.trial_data import TrialData, frame_of

DAY_ZERO = {"SEO-0001-X": date(2025, 3, 10), "SEO-0002-Y": date(2025, 4, 1)}
#: Item scores per visit (5a used; 5b empty), totals by hand: 48 - number of points lost.
LOSSES = {"SCR": 2, "LI0": 3, "LI1": 4, "HARV1": 5, "INJ1": 6, "INJ2": 6, "FU2": 7, "FU3": 8}
CELLS = {1: 6.93e7, 2: 7.1e7}


def items_with_loss(points: int) -> dict:
    values = dict.fromkeys(ITEM_KEYS, 4)
    values["cutting_with_gastrostomy"] = None
    order = [k for k in ITEM_KEYS if k != "cutting_with_gastrostomy"]
    for i in range(points):
        values[order[i % len(order)]] -= 1
    return values


def build_trial_data() -> TrialData:
    protocol = bundled_protocol("kim2009")
    subjects, visits, alsfrs, admins, aes, vitals, conmed = [], [], [], [], [], [], []
    for sid, zero in DAY_ZERO.items():
        subjects.append(
            {
                "subject_id": sid,
                "site": "seoul",
                "status": "enrolled",
                "sex": "F",
                "age_years": 51,
                "onset_site": "spinal",
                "consent_date": zero - timedelta(days=120),
                "screening_date": zero - timedelta(days=105),
                "enrolment_date": zero - timedelta(days=100),
                "day_zero_date": zero,
            }
        )
        for number, row in enumerate(protocol.schedule(), start=1):
            when = zero + timedelta(days=row.day)
            visits.append(
                {
                    "subject_id": sid,
                    "visit_code": row.visit,
                    "visit_name": row.name,
                    "visit_num": number,
                    "epoch": row.epoch,
                    "status": "done",
                    "visit_date": when,
                    "administration": row.administration,
                }
            )
            if row.visit in LOSSES:
                values = items_with_loss(LOSSES[row.visit])
                alsfrs.append(
                    {
                        "subject_id": sid,
                        "visit_code": row.visit,
                        "visit_date": when,
                        **values,
                        "total": 48 - LOSSES[row.visit],
                    }
                )
            vitals.append(
                {
                    "subject_id": sid,
                    "visit_code": row.visit,
                    "visit_date": when,
                    "systolic_mmhg": 120,
                    "diastolic_mmhg": 80,
                    "heart_rate_bpm": 70,
                    "respiratory_rate": None,
                    "temperature_c": 36.6,
                }
            )
            if "conmed" in row.forms:
                conmed.append(
                    {
                        "subject_id": sid,
                        "visit_code": row.visit,
                        "visit_date": when,
                        "riluzole": True,
                        "edaravone": False,
                    }
                )
            if row.administration:
                admins.append(
                    {
                        "subject_id": sid,
                        "visit_code": row.visit,
                        "dose_number": row.administration,
                        "route": "intrathecal",
                        "administered_at": datetime.combine(when, datetime.min.time(), UTC)
                        + timedelta(hours=9, minutes=30),
                        "cells_given": CELLS[row.administration],
                        "volume_ml": 2.0,
                        "lot_code": f"LOT-{sid}-0{row.administration}-Q",
                        "vehicle": "autologous CSF",
                        "cells_per_kg": 1e6,
                    }
                )
        # An AE the day before day 0 (study day -1) and one on day 0 (study day 1).
        for ae_id, offset, term in ((1, -1, "Back pain"), (2, 0, "Headache")):
            aes.append(
                {
                    "subject_id": sid,
                    "ae_id": ae_id + (10 if sid.endswith("Y") else 0),
                    "verbatim_term": term.lower(),
                    "term": term,
                    "onset_date": zero + timedelta(days=offset),
                    "resolution_date": zero + timedelta(days=offset + 2),
                    "grade": 1,
                    "serious": False,
                    "seriousness_criteria": [],
                    "relatedness_cell_product": "unlikely",
                    "relatedness_lumbar_puncture": "probable",
                    "outcome": "recovered",
                    "action_taken": "none",
                }
            )
    subjects.append(
        {
            "subject_id": "SEO-0003-Z",
            "site": "seoul",
            "status": "screen_failed",
            "sex": "M",
            "age_years": 70,
            "consent_date": date(2025, 1, 5),
            "screening_date": date(2025, 1, 6),
        }
    )
    frames = {
        "subjects": frame_of("subjects", subjects),
        "visits": frame_of("visits", visits),
        "alsfrs": frame_of("alsfrs", alsfrs),
        "vitals": frame_of("vitals", vitals),
        "conmed": frame_of("conmed", conmed),
        "administrations": frame_of("administrations", admins),
        "adverse_events": frame_of("adverse_events", aes),
    }
    return TrialData(study_id="KIM2009", title=protocol.title, protocol=protocol, frames=frames)
