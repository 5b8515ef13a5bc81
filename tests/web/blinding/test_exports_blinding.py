"""Exports of a randomised trial (docs/exchange.md, "Arms"): SDTM DM arms, EX placebo records
and PR sham procedures for an unblinded export; none of them, nor a dose that differs between
arms, in a blinded one; the randomisation list for the unblinded DSMB statistician only."""

from __future__ import annotations

import csv
import io
import math
import zipfile

from alstrial.exchange.csv_export import tidy_frames
from alstrial.exchange.sdtm import build_sdtm
from alstrial.web.exchange.extract import trial_data
from alstrial.web.randomisation.models import Allocation


def _by_subject(frame, subject):
    return frame.loc[frame["SUBJID"] == subject.code] if "SUBJID" in frame else frame


def test_unblinded_sdtm_carries_arms_placebo_and_sham(rct_trial, both_arms, rct_given):
    sdtm = build_sdtm(trial_data(rct_trial, unblinded=True))
    dm = sdtm["DM"].set_index("SUBJID")
    for arm, subject in both_arms.items():
        assert dm.loc[subject.code, "ARMCD"] == arm
        assert dm.loc[subject.code, "ACTARMCD"] == arm
        assert dm.loc[subject.code, "ARM"] != ""
    ex = sdtm["EX"]
    placebo = ex.loc[ex["USUBJID"].str.endswith(both_arms["SHAM"].code)]
    active = ex.loc[ex["USUBJID"].str.endswith(both_arms["MSC"].code)]
    assert list(placebo["EXTRT"]) == ["PLACEBO"]
    assert list(placebo["EXDOSE"]) == [0.0]
    assert active["EXTRT"].iloc[0].startswith("AUTOLOGOUS")
    assert active["EXDOSE"].iloc[0] == rct_given["MSC"].dose_cells
    pr = sdtm["PR"]
    sham = pr.loc[pr["USUBJID"].str.endswith(both_arms["SHAM"].code), "PRTRT"]
    real = pr.loc[pr["USUBJID"].str.endswith(both_arms["MSC"].code), "PRTRT"]
    assert "SHAM LUMBAR PUNCTURE" in set(sham)
    assert "LUMBAR PUNCTURE" in set(real)
    # both arms are aspirated (the blind holds)
    assert "BONE MARROW ASPIRATION" in set(sham)
    assert "BONE MARROW ASPIRATION" in set(real)


def test_a_not_yet_randomised_subject_is_not_assigned(rct_trial, rct_subject):
    waiting = rct_subject()
    dm = build_sdtm(trial_data(rct_trial, unblinded=True))["DM"].set_index("SUBJID")
    # SDTMIG 3.4: no pseudo-arm; empty arm variables and the reason in ARMNRS.
    assert dm.loc[waiting.code, "ARMCD"] == ""
    assert dm.loc[waiting.code, "ACTARMCD"] == ""
    assert dm.loc[waiting.code, "ARMNRS"] == "NOT ASSIGNED"


def test_blinded_sdtm_and_csv_carry_nothing_derived_from_the_arm(rct_trial, both_arms, rct_given):
    data = trial_data(rct_trial)
    sdtm = build_sdtm(data)
    dm = sdtm["DM"]
    assert set(dm["ARMCD"]) == {"BLINDED"}
    assert set(dm["ACTARMCD"]) == {"BLINDED"}
    assert set(dm["ARM"]) == {"Blinded treatment"}
    ex = sdtm["EX"]
    assert len(ex) == 2
    assert set(ex["EXTRT"]) == {"BLINDED STUDY TREATMENT"}
    assert all(math.isnan(v) for v in ex["EXDOSE"])
    assert all(math.isnan(v) for v in ex["EXVAMT"])
    text = "".join(frame.to_csv() for frame in sdtm.values())
    for revealing in ("PLACEBO", "SHAM", ",MSC,", "Autologous BM-MSCs"):
        assert revealing not in text
    given = tidy_frames(data)["administration"]
    assert given["cells_given"].isna().all()
    assert given["volume_ml"].isna().all()


def test_an_open_trial_export_is_unchanged(enrolled_subject, kim_trial):
    enrolled_subject("seoul")
    dm = build_sdtm(trial_data(kim_trial))["DM"]
    assert set(dm["ARMCD"]) == {"MSC"}


def test_the_randomisation_list_for_the_dsmb_statistician(rct_trial, both_arms, client, users):
    client.force_login(users["dsmb.statistician"])
    answer = client.get(f"/exchange/{rct_trial.slug}/randomisation/")
    assert answer.status_code == 200, answer.content
    rows = list(csv.DictReader(io.StringIO(answer.content.decode())))
    assert list(rows[0]) == ["subject", "randomisation_number", "stratum", "arm", "randomised_at"]
    made = {a.subject.code: a for a in Allocation.objects.select_related("subject")}
    assert {r["subject"] for r in rows} == set(made)
    for arm, subject in both_arms.items():
        (row,) = [r for r in rows if r["subject"] == subject.code]
        assert row["arm"] == arm
        assert int(row["randomisation_number"]) == made[subject.code].randomisation_number


def test_blinded_roles_may_not_download_the_list(rct_trial, both_arms, client, users):
    for username in ("coordinator.seoul", "investigator.seoul", "statistician", "admin"):
        client.force_login(users[username])
        assert client.get(f"/exchange/{rct_trial.slug}/randomisation/").status_code == 403


def test_an_open_trial_has_no_list(kim_trial, client, users):
    client.force_login(users["dsmb.statistician"])
    assert client.get(f"/exchange/{kim_trial.slug}/randomisation/").status_code == 404


def test_the_investigators_sdtm_download_is_blinded(rct_trial, both_arms, rct_given, client, users):
    client.force_login(users["investigator.seoul"])
    answer = client.get(f"/exchange/{rct_trial.slug}/sdtm/")
    assert answer.status_code == 200, answer.content[:300]
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        dm = archive.read("dm.csv").decode()
        ex = archive.read("ex.csv").decode()
    assert "PLACEBO" not in ex
    assert "SHAM" not in dm
    for subject in both_arms.values():
        assert subject.code in dm
