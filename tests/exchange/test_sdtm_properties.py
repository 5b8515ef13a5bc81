"""Property tests (hypothesis): for any trial the schedule allows (visits done or missed, 5a or
5b scored, adverse events open or resolved, doses given or not), the SDTM datasets pass every
conformance check, QS item sums equal the QS totals, every dose appears once in EX, and the
Dataset-JSON rows match."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alstrial.domain.alsfrs_items import ITEM_KEYS
from alstrial.domain.protocol import bundled_protocol
from alstrial.exchange.dataset_json import dataset_json
from alstrial.exchange.sdtm import build_sdtm
from alstrial.exchange.sdtm_checks import check_sdtm
from alstrial.exchange.trial_data import TrialData, frame_of

PROTOCOL = bundled_protocol("kim2009")
SCHEDULE = PROTOCOL.schedule()

subject_strategy = st.fixed_dictionaries(
    {
        "day_zero": st.dates(date(2020, 1, 1), date(2026, 1, 1)),
        "done": st.lists(st.booleans(), min_size=len(SCHEDULE), max_size=len(SCHEDULE)),
        "items": st.lists(st.integers(0, 4), min_size=12, max_size=12),
        "gastrostomy": st.booleans(),
        "shift": st.integers(-3, 3),
        "aes": st.lists(
            st.tuples(st.integers(-120, 120), st.one_of(st.none(), st.integers(0, 30))),
            max_size=3,
        ),
        "status": st.sampled_from(["enrolled", "withdrawn", "completed", "screen_failed"]),
    }
)


def trial_from(draws: list[dict]) -> TrialData:
    subjects, visits, alsfrs, admins, aes = [], [], [], [], []
    for number, draw in enumerate(draws, start=1):
        sid, zero = f"SEO-{number:04d}-K", draw["day_zero"]
        subjects.append(
            {
                "subject_id": sid,
                "site": "seoul",
                "status": draw["status"],
                "sex": "M",
                "age_years": 60,
                "consent_date": zero - timedelta(days=130),
                "screening_date": zero - timedelta(days=105),
                "day_zero_date": None if draw["status"] == "screen_failed" else zero,
                "withdrawal_date": zero + timedelta(days=5)
                if draw["status"] == "withdrawn"
                else None,
            }
        )
        for sequence, (row, done) in enumerate(zip(SCHEDULE, draw["done"], strict=True), 1):
            # A screen failure never gets past screening (the app refuses its later visits).
            done = done and (draw["status"] != "screen_failed" or row.epoch == "SCREENING")
            when = zero + timedelta(days=row.day + draw["shift"]) if done else None
            visits.append(
                {
                    "subject_id": sid,
                    "visit_code": row.visit,
                    "visit_name": row.name,
                    "visit_num": sequence,
                    "epoch": row.epoch,
                    "status": "done" if done else "missed",
                    "visit_date": when,
                    "administration": row.administration,
                }
            )
            if not done:
                continue
            if "alsfrs_r" in row.forms:
                items = dict(zip(ITEM_KEYS[:4] + ITEM_KEYS[6:], draw["items"][:12], strict=False))
                items[
                    "cutting_with_gastrostomy"
                    if draw["gastrostomy"]
                    else "cutting_without_gastrostomy"
                ] = draw["items"][4]
                total = sum(v for v in items.values() if v is not None)
                alsfrs.append(
                    {
                        "subject_id": sid,
                        "visit_code": row.visit,
                        "visit_date": when,
                        **items,
                        "total": total,
                    }
                )
            if row.administration:
                admins.append(
                    {
                        "subject_id": sid,
                        "visit_code": row.visit,
                        "dose_number": row.administration,
                        "route": "intrathecal",
                        "administered_at": datetime.combine(when, datetime.min.time(), UTC),
                        "cells_given": 7e7 + number,
                        "volume_ml": 2.0,
                        "lot_code": f"LOT-{sid}",
                    }
                )
        for ae_number, (onset, duration) in enumerate(draw["aes"], start=1):
            start = zero + timedelta(days=onset)
            aes.append(
                {
                    "subject_id": sid,
                    "ae_id": number * 10 + ae_number,
                    "verbatim_term": "pain",
                    "term": "Pain",
                    "onset_date": start,
                    "resolution_date": None if duration is None else start + timedelta(duration),
                    "grade": 1,
                    "serious": False,
                    "seriousness_criteria": [],
                    "relatedness_cell_product": "possible",
                    "outcome": "recovered",
                    "action_taken": "none",
                }
            )
    frames = {
        "subjects": frame_of("subjects", subjects),
        "visits": frame_of("visits", visits),
        "alsfrs": frame_of("alsfrs", alsfrs),
        "administrations": frame_of("administrations", admins),
        "adverse_events": frame_of("adverse_events", aes),
    }
    return TrialData(study_id="KIM2009", title="t", protocol=PROTOCOL, frames=frames)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(subject_strategy, min_size=1, max_size=3))
def test_any_trial_gives_conformant_sdtm(draws):
    data = trial_from(draws)
    datasets = build_sdtm(data)
    assert check_sdtm(datasets) == []
    qs = datasets["QS"]
    totals = qs[qs["QSTESTCD"] == "ALSRTOT"].set_index(["USUBJID", "VISITNUM"])["QSSTRESN"]
    sums = qs[qs["QSTESTCD"] != "ALSRTOT"].groupby(["USUBJID", "VISITNUM"])["QSSTRESN"].sum()
    assert totals.sort_index().to_dict() == sums.sort_index().to_dict()
    assert len(totals) == len(data.alsfrs)
    ex = datasets["EX"]
    assert sorted(ex["EXDOSE"]) == sorted(data.administrations["cells_given"])
    for domain, frame in datasets.items():
        assert dataset_json(domain, frame, "KIM2009")["records"] == len(frame)
