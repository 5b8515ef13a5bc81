"""The reliability tests' fixtures live in reliability_helpers.py (importable by name)."""

from reliability_helpers import throwaway  # noqa: F401 - a pytest fixture
