"""Fixtures of the blinding suite: the randomised msc_rct trial and its subjects, shared with
the randomisation suite (tests/web/randomisation/conftest.py)."""

from web.randomisation.conftest import api, rct_subject, rct_trial  # noqa: F401
