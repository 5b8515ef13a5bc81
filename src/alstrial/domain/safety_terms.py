"""Adverse event terms: alstrial's shipped coding list and expectedness against a reference list.

MedDRA is licensed (docs/domain.md, 'Adverse events'), so alstrial codes a reported (verbatim) term
against its own list, ``domain/data/ae_terms.csv``: one row per preferred term with an alstrial
code, a body system, the procedures (or the cell product) for which the term is expected, the
highest CTCAE v5 grade the expectation covers, and synonyms. A verbatim term that matches no term or
synonym is kept as entered and flagged for coding; it is never silently mapped.

Expectedness (ICH E2A, section II.C): an event is expected when its term is in the protocol's
reference list. An event more severe than the reference information describes is unexpected, so a
grade above the term's ``max_expected_grade`` is unexpected, and an uncoded term is unexpected
until a coder maps it (the conservative choice: it may make the event a SUSAR).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from alstrial.domain.errors import FieldError

TERMS_FILE = "ae_terms.csv"
_SPACES = re.compile(r"[\s\-_/]+")


def normalise(text: str) -> str:
    """Lower case, with runs of spaces, dashes, underscores and slashes collapsed to one space."""
    return _SPACES.sub(" ", (text or "").strip().lower()).strip()


@dataclass(frozen=True)
class Term:
    """One preferred term of the shipped list. ``max_expected_grade`` is None when no procedure
    expects the term (it is listed only so that it can be coded)."""

    code: str
    term: str
    body_system: str
    expected_for: tuple[str, ...]
    max_expected_grade: int | None
    synonyms: tuple[str, ...]

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "term": self.term,
            "body_system": self.body_system,
            "expected_for": list(self.expected_for),
            "max_expected_grade": self.max_expected_grade,
            "synonyms": list(self.synonyms),
        }


@dataclass(frozen=True)
class CodedTerm:
    """A verbatim term and what it was coded to; ``code`` is None when it needs coding."""

    verbatim: str
    term: str
    code: str | None
    body_system: str | None

    @property
    def needs_coding(self) -> bool:
        return self.code is None


class TermList:
    """The coding list: look a verbatim term up by term or synonym (case and spacing ignored)."""

    def __init__(self, terms: Iterable[Term]):
        self.terms: tuple[Term, ...] = tuple(terms)
        self._lookup: dict[str, Term] = {}
        for term in self.terms:
            for name in (term.term, *term.synonyms):
                key = normalise(name)
                other = self._lookup.get(key)
                if other is not None and other.code != term.code:
                    raise FieldError(
                        "synonyms", f"{name!r} names both {other.term!r} and {term.term!r}"
                    )
                self._lookup[key] = term

    def __iter__(self):
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    def get(self, text: str) -> Term | None:
        """The term ``text`` names (as a term or a synonym), or None."""
        return self._lookup.get(normalise(text))

    def code(self, verbatim: str) -> CodedTerm:
        """Code a verbatim term; an unknown term is kept as entered and needs coding."""
        text = (verbatim or "").strip()
        if not text:
            raise FieldError("term", "the adverse event term is required")
        found = self.get(text)
        if found is None:
            return CodedTerm(verbatim=text, term=normalise(text), code=None, body_system=None)
        return CodedTerm(text, found.term, found.code, found.body_system)

    def expected_for(self, causes: Iterable[str]) -> tuple[str, ...]:
        """Terms the shipped list expects for any of ``causes`` (procedures or ``cell_product``)."""
        wanted = set(causes)
        return tuple(t.term for t in self.terms if wanted & set(t.expected_for))

    def choices(self) -> list[tuple[str, str]]:
        """``(term, label)`` pairs for a form's term list, alphabetical."""
        return [(t.term, t.term) for t in sorted(self.terms, key=lambda t: t.term)]


def _parse_grade(text: str, line: int) -> int | None:
    if not text.strip():
        return None
    grade = int(text)
    if not 1 <= grade <= 5:
        raise FieldError(f"{TERMS_FILE}:{line}:max_expected_grade", f"grade 1-5, got {grade}")
    return grade


def read_terms(text: str) -> TermList:
    """Parse a term list in the ``ae_terms.csv`` format (header row; ``;`` separates lists)."""
    rows = csv.DictReader(io.StringIO(text))
    needed = {"code", "term", "body_system", "expected_for", "max_expected_grade", "synonyms"}
    missing = needed - set(rows.fieldnames or ())
    if missing:
        raise FieldError(TERMS_FILE, f"missing column(s): {', '.join(sorted(missing))}")
    terms = []
    for line, row in enumerate(rows, start=2):

        def split(value: str | None) -> tuple[str, ...]:
            return tuple(p.strip() for p in (value or "").split(";") if p.strip())

        terms.append(
            Term(
                code=row["code"].strip(),
                term=normalise(row["term"]),
                body_system=row["body_system"].strip(),
                expected_for=split(row["expected_for"]),
                max_expected_grade=_parse_grade(row["max_expected_grade"] or "", line),
                synonyms=split(row["synonyms"]),
            )
        )
    return TermList(terms)


@lru_cache(maxsize=1)
def shipped_terms() -> TermList:
    """The term list shipped with alstrial (``alstrial/domain/data/ae_terms.csv``)."""
    text = resources.files("alstrial.domain").joinpath("data", TERMS_FILE).read_text("utf-8")
    return read_terms(text)


def expectedness(
    coded: CodedTerm,
    grade: int,
    reference_terms: Iterable[str],
    terms: TermList | None = None,
) -> tuple[bool, str]:
    """Expectedness of one event against the protocol's reference list (ICH E2A II.C), and why.

    ``reference_terms`` are the protocol's expected terms (names or synonyms from the list).
    Expected only when the coded term is in that list and ``grade`` (CTCAE v5) does not exceed
    the term's ``max_expected_grade`` in the term list; uncoded terms are unexpected.
    """
    terms = terms or shipped_terms()
    if coded.needs_coding:
        return False, "the term is not coded yet"
    reference = set()
    for name in reference_terms:
        found = terms.get(name)
        reference.add(found.term if found else normalise(name))
    if coded.term not in reference:
        return False, f"{coded.term!r} is not on the protocol's list of expected events"
    listed = terms.get(coded.term)
    ceiling = listed.max_expected_grade if listed else None
    if ceiling is not None and grade > ceiling:
        return False, f"grade {grade} is more severe than the expected grade {ceiling} or less"
    return True, f"{coded.term!r} is on the protocol's list of expected events"


def is_expected(
    coded: CodedTerm,
    grade: int,
    reference_terms: Iterable[str],
    terms: TermList | None = None,
) -> bool:
    """True when the event is expected (see :func:`expectedness`)."""
    return expectedness(coded, grade, reference_terms, terms)[0]


def reference_list(protocol_terms: Iterable[str] | None, causes: Iterable[str]) -> tuple[str, ...]:
    """The protocol's reference list, or (when it lists none) the shipped list for ``causes``."""
    listed = tuple(protocol_terms or ())
    return listed if listed else shipped_terms().expected_for(causes)
