"""Import a PRO-ACT registry into the database: one reader, one transaction, idempotent.

``import_registry(directory)`` reads the folder with the one PRO-ACT reader
(:func:`alstrial.registry.proact.read_registry`: both file-name generations, original and
revised ALSFRS told apart, totals recomputed, duplicates, swapped onset/diagnosis days and
impossible values rejected per row), then writes patients, ALSFRS rows and FVC rows inside ONE
transaction. A structural error (:class:`RegistryFormatError`) or, with ``strict=True``, any
rejected row (:class:`RegistryRejectedRows`) refuses the import before anything is written; an
error while writing rolls everything back.

Idempotence: the import's content hash (SHA-256 over the files' names and bytes) is stored; the
same files again change nothing. Other files holding patients already in the database are
compared with the stored rows by natural key (patient ``subject_id``; ALSFRS row: day and
scale; FVC row: day): identical patients are skipped, and a patient whose stored data differ
refuses the whole import (:class:`RegistryConflictError`), so a registry is never half-updated.

Rows go in through the database driver in batches (``executemany`` on SQLite, ``COPY`` on
PostgreSQL): a million ALSFRS rows as Django model instances would cost more than the whole
read; ``bench/bench_import.py`` measures it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection, transaction

from alstrial.registry.proact import SUBJECT_COLUMNS, Registry, read_registry
from alstrial.registry.proact_csv import find_files
from alstrial.web.registry.models import (
    RegistryAlsfrs,
    RegistryFvc,
    RegistryImport,
    RegistryPatient,
)

#: progress(step, done, total): a callback for the command line's progress bar.
Progress = Callable[[str, int, int], None]

PATIENT_FIELDS = tuple(c for c in SUBJECT_COLUMNS if c != "subject_id")
ALSFRS_FIELDS = ("day", "scale", *RegistryAlsfrs.ITEM_KEYS, "total", "stored_total")
FVC_FIELDS = ("day", "fvc_percent")
INTEGER_COLUMNS = {
    "onset_day",
    "diagnosis_day",
    "death_day",
    "day",
    "total",
    "stored_total",
    "line",
    *RegistryAlsfrs.ITEM_KEYS,
}
BATCH_ROWS = 20_000
#: Columns of the row tuples of ``_rows``: the patient, the fields, the CSV line.
ROW_COLUMNS = {
    RegistryAlsfrs: ("patient_id", *ALSFRS_FIELDS, "line"),
    RegistryFvc: ("patient_id", *FVC_FIELDS, "line"),
}


class RegistryConflictError(ValueError):
    """Patients already in the database hold other data than the files: nothing imported."""

    def __init__(self, subject_ids: list[str]):
        self.subject_ids = subject_ids
        shown = ", ".join(subject_ids[:10])
        more = f" and {len(subject_ids) - 10} more" if len(subject_ids) > 10 else ""
        super().__init__(
            f"{len(subject_ids)} registry patient(s) already imported with different data: "
            f"{shown}{more}; nothing was imported (import a changed registry into a new database)"
        )


@dataclass(frozen=True)
class ImportResult:
    """What an import did. ``status`` is ``imported`` or ``unchanged`` (same files again)."""

    status: str
    content_hash: str
    counts: dict[str, int]
    added: dict[str, int]
    already_present: int
    rejected: pd.DataFrame = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "content_hash": self.content_hash,
            "counts": dict(self.counts),
            "added": dict(self.added),
            "already_present": self.already_present,
        }


def content_hash(directory: Path) -> tuple[str, dict[str, str]]:
    """SHA-256 over the PRO-ACT files' lower-case names and bytes, and each file's own hash."""
    files = find_files(Path(directory))
    whole = hashlib.sha256()
    per_file: dict[str, str] = {}
    for form in sorted(files):
        path = files[form]
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda handle=handle: handle.read(1 << 20), b""):
                digest.update(block)
        per_file[path.name] = digest.hexdigest()
        whole.update(path.name.lower().encode() + b"\0" + digest.digest())
    return whole.hexdigest(), per_file


def import_registry(
    directory: str | Path, *, strict: bool = False, progress: Progress | None = None
) -> ImportResult:
    """Read ``directory`` with ``read_registry`` and write it in one transaction.

    Raises ``RegistryFormatError`` (structural), ``RegistryRejectedRows`` (strict mode) or
    :class:`RegistryConflictError` with nothing written.
    """
    report = progress or (lambda step, done, total: None)
    report("reading", 0, 1)
    registry = read_registry(directory, strict=strict)
    digest, file_hashes = content_hash(Path(directory))
    report("reading", 1, 1)
    counts = registry.counts()
    with transaction.atomic():
        if RegistryImport.objects.filter(content_hash=digest).exists():
            added = {"patients": 0, "alsfrs_rows": 0, "fvc_rows": 0}
            return ImportResult("unchanged", digest, counts, added, 0, registry.rejected)
        registry, present = _without_identical_patients(registry)
        record = RegistryImport.objects.create(
            content_hash=digest,
            source=str(Path(directory).resolve()),
            files=file_hashes,
            counts=counts,
            added={},
        )
        ids = _insert_patients(registry.subjects, record, report)
        alsfrs = _rows(registry.alsfrs, ids, ALSFRS_FIELDS)
        columns = ROW_COLUMNS[RegistryAlsfrs]
        n_alsfrs = _insert(
            RegistryAlsfrs, columns, alsfrs, len(registry.alsfrs), "ALSFRS rows", report
        )
        fvc = _rows(registry.fvc, ids, FVC_FIELDS)
        n_fvc = _insert(
            RegistryFvc, ROW_COLUMNS[RegistryFvc], fvc, len(registry.fvc), "FVC rows", report
        )
        record.added = {"patients": len(ids), "alsfrs_rows": n_alsfrs, "fvc_rows": n_fvc}
        record.save(update_fields=["added"])
    return ImportResult("imported", digest, counts, record.added, present, registry.rejected)


def _insert_patients(subjects: pd.DataFrame, record: RegistryImport, report: Progress) -> dict:
    """Insert the patients; returns subject_id -> primary key."""
    names = ("subject_id", *PATIENT_FIELDS)
    columns = {name: _column(subjects[name], name) for name in names}
    for name in ("sex", "onset_site"):
        columns[name] = np.array([v or "" for v in columns[name]], dtype=object)
    rows = zip(*columns.values(), [record.pk] * len(subjects), strict=True)
    names = (*names, "registry_import_id")
    _insert(RegistryPatient, names, rows, len(subjects), "patients", report)
    return dict(record.patients.values_list("subject_id", "id"))


def _column(series: pd.Series, name: str) -> np.ndarray:
    """A column as Python values with None for missing (what the database drivers bind)."""
    if name in INTEGER_COLUMNS:
        return series.astype("Int64").to_numpy(dtype=object, na_value=None)
    if series.dtype == bool:
        return series.to_numpy(dtype=object)
    return series.to_numpy(dtype=object, na_value=None)


def _rows(frame: pd.DataFrame, ids: dict, fields: tuple[str, ...]) -> Iterator[tuple]:
    """(patient_id, *fields, line) tuples of the rows whose patient is being inserted."""
    frame = frame.loc[frame["subject_id"].isin(ids.keys())]
    columns = [frame["subject_id"].map(ids).to_numpy(dtype=object)]
    columns += [_column(frame[name], name) for name in (*fields, "line")]
    return zip(*columns, strict=True)


def _insert(model, names, rows: Iterable[tuple], total: int, step: str, report: Progress) -> int:
    """Insert ``rows`` (tuples of the fields ``names``) through the driver, in batches."""
    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(meta.get_field(n).column) for n in names)
    done = 0
    report(step, 0, total)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    done += 1
                    if done % BATCH_ROWS == 0:
                        report(step, done, total)
        else:
            placeholders = ", ".join(["%s"] * len(names))
            sql = f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})"
            iterator = iter(rows)
            while batch := list(islice(iterator, BATCH_ROWS)):
                cursor.executemany(sql, batch)
                done += len(batch)
                report(step, done, total)
    report(step, done, total)
    return done


def _without_identical_patients(registry: Registry) -> tuple[Registry, int]:
    """Drop patients already stored with identical data; refuse when any differ."""
    incoming = sorted(set(registry.subjects["subject_id"]))
    stored = _values_in(RegistryPatient, "subject_id", incoming, ("subject_id", "id"))
    if not stored:
        return registry, 0
    ids = {p["subject_id"]: p["id"] for p in stored}
    differing = _differing_patients(registry, ids)
    if differing:
        raise RegistryConflictError(sorted(differing))
    keep = lambda frame: frame.loc[~frame["subject_id"].isin(ids.keys())]  # noqa: E731
    trimmed = Registry(
        alsfrs=keep(registry.alsfrs),
        subjects=keep(registry.subjects),
        fvc=keep(registry.fvc),
        rejected=registry.rejected,
        files=registry.files,
    )
    return trimmed, len(ids)


def _differing_patients(registry: Registry, ids: dict[str, int]) -> set[str]:
    """subject_ids whose stored patient, ALSFRS or FVC rows differ from the files'."""
    by_pk = {pk: subject_id for subject_id, pk in ids.items()}
    differing: set[str] = set()
    patients = pd.DataFrame(
        _values_in(RegistryPatient, "id", list(by_pk), ("subject_id", *PATIENT_FIELDS)),
        columns=["subject_id", *PATIENT_FIELDS],
    )
    checks = (
        (patients, registry.subjects, ("subject_id",), PATIENT_FIELDS),
        (
            _stored(RegistryAlsfrs, by_pk, ALSFRS_FIELDS),
            registry.alsfrs,
            ("subject_id", "day", "scale"),
            ALSFRS_FIELDS,
        ),
        (_stored(RegistryFvc, by_pk, FVC_FIELDS), registry.fvc, ("subject_id", "day"), FVC_FIELDS),
    )
    for stored, incoming, keys, fields in checks:
        incoming = incoming.loc[incoming["subject_id"].isin(ids.keys())]
        differing |= _compare(stored, incoming, list(keys), ["subject_id", *fields])
    return differing


def _stored(model, by_pk: dict[int, str], fields: tuple[str, ...]) -> pd.DataFrame:
    rows = _values_in(model, "patient_id", list(by_pk), ("patient_id", *fields))
    frame = pd.DataFrame(rows, columns=["patient_id", *fields])
    frame.insert(0, "subject_id", frame.pop("patient_id").map(by_pk))
    return frame


def _values_in(model, name: str, keys: list, fields: tuple[str, ...]) -> list[dict]:
    """``model.objects.filter(name__in=keys).values(*fields)`` in chunks (bound-parameter
    limits: SQLite allows 32,766 per statement)."""
    step = 5_000
    return [
        row
        for start in range(0, len(keys), step)
        for row in model.objects.filter(**{f"{name}__in": keys[start : start + step]}).values(
            *fields
        )
    ]


def _canonical(frame: pd.DataFrame, columns: list[str], keys: list[str]) -> pd.DataFrame:
    out = frame.loc[:, columns].copy()
    for name in columns:
        if name in INTEGER_COLUMNS:
            out[name] = out[name].astype("Int64")
        elif name in ("sex", "onset_site"):
            out[name] = out[name].fillna("").astype(str)
        elif name in ("age_years", "fvc_percent"):
            out[name] = out[name].astype(float)
        elif name == "died":
            out[name] = out[name].astype(bool)
        else:
            out[name] = out[name].astype(str)
    return out.sort_values(keys, ignore_index=True)


def _compare(stored: pd.DataFrame, incoming: pd.DataFrame, keys: list[str], columns) -> set[str]:
    """Subjects whose rows (matched by ``keys``) differ in any of ``columns``."""
    a = _canonical(stored, columns, keys)
    b = _canonical(incoming, columns, keys)
    merged = a.merge(b, on=keys, how="outer", suffixes=("_db", "_file"), indicator=True)
    bad = merged["_merge"] != "both"
    for name in columns:
        if name in keys:
            continue
        left, right = merged[f"{name}_db"], merged[f"{name}_file"]
        same = (left == right).fillna(False).astype(bool) | (left.isna() & right.isna())
        bad |= ~same.to_numpy()
    return set(merged.loc[bad, "subject_id"])
