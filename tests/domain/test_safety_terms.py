"""The shipped adverse event term list: coding and expectedness."""

from __future__ import annotations

import pytest

from alstrial.domain.errors import FieldError
from alstrial.domain.protocol_model import CELL_PRODUCT, PROCEDURES
from alstrial.domain.safety import Cause
from alstrial.domain.safety_terms import (
    expectedness,
    is_expected,
    read_terms,
    reference_list,
    shipped_terms,
)


def test_the_shipped_list_holds_every_expected_term_of_domain_section_8():
    terms = shipped_terms()
    lp = set(terms.expected_for(["lumbar_puncture"]))
    surgery = set(terms.expected_for(["spinal_surgery"]))
    assert {"headache", "low back pain", "myalgia", "fever", "meningism"} <= lp
    assert {"intercostal pain", "leg dysesthesia"} <= surgery
    assert "intercostal pain" not in lp


def test_causes_agree_with_the_protocol_vocabulary():
    assert {c.value for c in Cause} == {CELL_PRODUCT, *PROCEDURES}
    for term in shipped_terms():
        assert set(term.expected_for) <= {CELL_PRODUCT, *PROCEDURES}, term.term


@pytest.mark.parametrize(
    ("verbatim", "term"),
    [
        ("Post-dural puncture headache", "headache"),
        ("  LEG DYSAESTHESIA ", "leg dysesthesia"),
        ("back pain", "low back pain"),
        ("muscle_ache", "myalgia"),
    ],
)
def test_synonyms_code_to_the_preferred_term(verbatim, term):
    coded = shipped_terms().code(verbatim)
    assert coded.term == term
    assert not coded.needs_coding


def test_an_unknown_term_is_kept_and_needs_coding():
    coded = shipped_terms().code("Hiccups")
    assert coded.needs_coding
    assert coded.code is None
    assert coded.verbatim == "Hiccups"
    with pytest.raises(FieldError) as excinfo:
        shipped_terms().code("  ")
    assert excinfo.value.field == "term"


def test_expectedness_uses_the_protocol_list_and_the_grade_ceiling():
    terms = shipped_terms()
    headache = terms.code("headache")
    assert is_expected(headache, 2, ["Headache"])
    assert not is_expected(headache, 3, ["headache"])  # more severe than described
    assert not is_expected(headache, 1, ["intercostal pain"])  # not this protocol's list
    assert not is_expected(terms.code("hiccups"), 1, ["hiccups"])  # uncoded: unexpected


def test_reference_list_falls_back_to_the_shipped_list_for_the_protocol_procedures():
    assert reference_list(["headache"], ["spinal_surgery"]) == ("headache",)
    assert "intercostal pain" in reference_list((), ["spinal_surgery"])


def test_a_synonym_naming_two_terms_is_refused():
    text = (
        "code,term,body_system,expected_for,max_expected_grade,synonyms\n"
        "A,headache,nervous,,,pain\n"
        "B,back pain,musculoskeletal,,,pain\n"
    )
    with pytest.raises(FieldError) as excinfo:
        read_terms(text)
    assert excinfo.value.field == "synonyms"


def test_a_term_file_without_a_column_names_it():
    with pytest.raises(FieldError) as excinfo:
        read_terms("code,term\nA,headache\n")
    assert "synonyms" in excinfo.value.message


def test_expectedness_says_why():
    terms = shipped_terms()
    assert expectedness(terms.code("headache"), 3, ["headache"]) == (
        False,
        "grade 3 is more severe than the expected grade 2 or less",
    )
    assert "not on the protocol's list" in expectedness(terms.code("fever"), 1, ["headache"])[1]
    assert expectedness(terms.code("hiccups"), 1, [])[1] == "the term is not coded yet"
