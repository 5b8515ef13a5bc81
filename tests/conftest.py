"""Shared pytest set-up. Web fixtures live in tests/web/conftest.py."""
