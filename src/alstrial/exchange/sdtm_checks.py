"""Conformance checks of SDTM datasets, in place of CDISC's rules engine (which needs a
network connection for its rules cache; see docs/exchange.md).

Checked for every dataset: the variables and their order match ``sdtm_spec``; required
(``Req``) variables are never empty; names <= 8 characters and labels <= 40; --DTC values are
ISO 8601 (date, or date and time to the minute); study days (--DY) are never 0 and agree with
the dates and RFSTDTC; --SEQ is unique within each USUBJID; USUBJID = STUDYID-SUBJID and every
USUBJID of a domain is in DM; EPOCH values are the protocol epochs; QS test codes belong to the
sponsor-defined codelist; DM arms and reference dates follow SDTMIG 3.4 (``sdtm_dm_rules``);
every supplemental qualifier has its parent record; no character
value is over 200 bytes (``sdtm_long_text`` moves longer AE text to SUPPAE; elsewhere the
problem names the dataset, variable and subject). Returns a list of problems (empty =
conformant).
"""

from __future__ import annotations

import re

import pandas as pd

from alstrial.domain.protocol_model import EPOCHS
from alstrial.exchange.sdtm_dm_rules import check_dm_arms
from alstrial.exchange.sdtm_long_text import MAX_TEXT_BYTES, utf8_length
from alstrial.exchange.sdtm_spec import QS_TESTS, QS_TOTAL, column_names, variables

ISO_8601 = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$")


def check_sdtm(datasets: dict[str, pd.DataFrame]) -> list[str]:
    problems: list[str] = []
    dm = datasets.get("DM")
    if dm is None:
        return ["DM is missing"]
    subjects = set(dm["USUBJID"])
    bad_ids = dm.loc[dm["USUBJID"] != dm["STUDYID"] + "-" + dm["SUBJID"], "USUBJID"]
    problems += [f"DM: USUBJID {u} is not STUDYID-SUBJID" for u in bad_ids]
    problems += check_dm_arms(dm)
    reference = dict(zip(dm["USUBJID"], dm["RFSTDTC"].str[:10], strict=True))
    for domain, frame in datasets.items():
        problems += _check_domain(domain, frame, subjects, reference)
        if domain.startswith("SUPP"):
            problems += _check_supp(domain, frame, datasets)
    return problems


def _check_supp(domain: str, frame: pd.DataFrame, datasets: dict) -> list[str]:
    """Every supplemental qualifier points at an existing parent record."""
    problems = []
    for (parent_domain, idvar), rows in frame.groupby(["RDOMAIN", "IDVAR"]):
        parent = datasets.get(parent_domain)
        if parent is None or idvar not in parent:
            problems.append(f"{domain}: parent {parent_domain}.{idvar} does not exist")
            continue
        keys = set(zip(parent["USUBJID"], parent[idvar].map(lambda v: str(int(v))), strict=True))
        for row in rows.itertuples():
            if (row.USUBJID, row.IDVARVAL) not in keys:
                problems.append(f"{domain}: {row.USUBJID} {idvar}={row.IDVARVAL} has no parent")
    return problems


def _check_domain(domain: str, frame: pd.DataFrame, subjects: set, reference: dict) -> list[str]:
    problems = []
    if list(frame.columns) != column_names(domain):
        return [f"{domain}: variables {list(frame.columns)} differ from the specification"]
    for variable in variables(domain):
        column = frame[variable.name]
        if len(variable.name) > 8 or len(variable.label) > 40:
            problems.append(f"{domain}.{variable.name}: name or label too long")
        if variable.core == "Req" and (column.isna() | (column.astype(str) == "")).any():
            problems.append(f"{domain}.{variable.name}: required but empty in some rows")
        if variable.name.endswith("DTC"):
            filled = column[column != ""]
            for value in filled[~filled.str.match(ISO_8601)]:
                problems.append(f"{domain}.{variable.name}: {value!r} is not ISO 8601")
        if variable.name.endswith("DY") and (column == 0).any():
            problems.append(f"{domain}.{variable.name}: study day 0 (SDTM has no day 0)")
        if variable.type == "Char":
            problems += _check_length(domain, variable.name, frame)
    if domain != "DM":
        unknown = set(frame["USUBJID"]) - subjects
        problems += [f"{domain}: USUBJID {u} is not in DM" for u in sorted(unknown)]
        seq = f"{domain}SEQ"
        if seq in frame and frame.duplicated(["USUBJID", seq]).any():
            problems.append(f"{domain}: {seq} is not unique within USUBJID")
        problems += _check_days(domain, frame, reference)
    if "EPOCH" in frame:
        bad = set(frame["EPOCH"]) - set(EPOCHS) - {""}
        problems += [f"{domain}.EPOCH: {e!r} is not a protocol epoch" for e in sorted(bad)]
    if domain == "QS":
        codes = {code for code, _, _ in QS_TESTS.values()} | {QS_TOTAL[0]}
        bad = set(frame["QSTESTCD"]) - codes
        problems += [f"QS.QSTESTCD: {c!r} is not in the sponsor codelist" for c in sorted(bad)]
    return problems


def _check_length(domain: str, name: str, frame: pd.DataFrame) -> list[str]:
    lengths = frame[name].map(utf8_length)
    return [
        f"{domain}.{name}: subject {frame.at[i, 'USUBJID']}: a value of {lengths[i]} bytes "
        f"exceeds {MAX_TEXT_BYTES}"
        for i in frame.index[lengths > MAX_TEXT_BYTES]
    ]


def _check_days(domain: str, frame: pd.DataFrame, reference: dict) -> list[str]:
    """Each --DY recomputed from its --DTC and RFSTDTC, independently of the builder."""
    problems = []
    pairs = [(c, c[:-2] + "DTC") for c in frame.columns if c.endswith("DY")]
    for day_column, date_column in pairs:
        if date_column not in frame:
            continue
        start = pd.to_datetime(frame["USUBJID"].map(reference), errors="coerce")
        when = pd.to_datetime(frame[date_column].str[:10], errors="coerce")
        delta = (when - start).dt.days
        expected = delta.where(delta < 0, delta + 1)
        got = frame[day_column]
        mismatch = ~((expected.isna() & got.isna()) | (expected == got))
        for row in frame.loc[mismatch].itertuples():
            problems.append(f"{domain}.{day_column}: row {row.Index} disagrees with {date_column}")
    return problems
