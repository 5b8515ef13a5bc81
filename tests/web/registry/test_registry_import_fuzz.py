"""Fuzzed PRO-ACT files (hypothesis): the importer never crashes with anything but a named
structural error, never leaves partial data, and a second import of the same files changes
nothing."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alstrial.registry.proact import RegistryFormatError
from alstrial.registry.synth import FILE_NAMES, synthesize, write_proact
from alstrial.web.registry.importer import import_registry
from alstrial.web.registry.models import (
    RegistryAlsfrs,
    RegistryFvc,
    RegistryImport,
    RegistryPatient,
)

pytestmark = pytest.mark.slow

CELL_TEXT = st.one_of(
    st.text(max_size=6),
    st.sampled_from(["", "NA", "-1", "5", "2.5", "1e3", "Yes", '"', ",", "\n", "\r", ";", "\x00"]),
    st.integers(-(10**6), 10**6).map(str),
)


def counts() -> tuple[int, int, int, int]:
    return (
        RegistryImport.objects.count(),
        RegistryPatient.objects.count(),
        RegistryAlsfrs.objects.count(),
        RegistryFvc.objects.count(),
    )


def wipe() -> None:
    RegistryAlsfrs.objects.all().delete()
    RegistryFvc.objects.all().delete()
    RegistryPatient.objects.all().delete()
    RegistryImport.objects.all().delete()


@pytest.fixture(scope="module")
def small_registry(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz_source")
    write_proact(synthesize(12, seed=5), folder)
    return folder


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    form=st.sampled_from(sorted(FILE_NAMES)),
    edits=st.lists(st.tuples(st.integers(0, 10**6), CELL_TEXT), min_size=1, max_size=4),
    cut=st.one_of(st.none(), st.integers(0, 10**6)),
)
def test_fuzzed_files_never_crash_nor_half_import(db, small_registry, tmp_path, form, edits, cut):
    wipe()
    folder = tmp_path / "fuzzed"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(small_registry, folder)
    path = folder / FILE_NAMES[form]
    text = path.read_text()
    for position, insert in edits:
        at = position % (len(text) + 1)
        text = text[:at] + insert + text[at + 1 :]  # replace one character
    if cut is not None:
        text = text[: cut % (len(text) + 1)]
    path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    try:
        result = import_registry(folder)
    except RegistryFormatError as error:
        refused = str(error)
    else:
        refused = ""
    if refused:
        named = (str(folder), *FILE_NAMES.values())
        assert refused.startswith(named), refused  # names the folder or the file
        assert counts() == (0, 0, 0, 0)
        return
    assert counts() == (
        1,
        result.counts["subjects"],
        result.counts["alsfrs_rows"],
        result.counts["fvc_rows"],
    )
    again = import_registry(folder)
    assert again.status == "unchanged"
    assert counts()[0] == 1
    assert counts()[1:] == (
        result.counts["subjects"],
        result.counts["alsfrs_rows"],
        result.counts["fvc_rows"],
    )
