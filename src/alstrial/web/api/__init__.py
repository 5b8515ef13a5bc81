"""The JSON API (django-ninja) under ``/api/v1/``: see docs/api.md."""
