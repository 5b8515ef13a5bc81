"""History of the user model (django-simple-history), kept in this app's tables.

Role grants are audited by ``SiteMembership``'s own history (``alstrial.web.core``); this adds
the account itself: ``is_active``, ``is_staff``, ``is_superuser``, names, e-mail, and a row
for each password change or log-in (``last_login``), with ``history_user`` set by
``HistoryRequestMiddleware`` when the change came through the admin. The password hash is
excluded: a history of hashes would let an attacker try old passwords offline. The history is
append-only on PostgreSQL (``protect_history("accounts")`` in the migration).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from simple_history import register

#: Never copied into the history (see the module docstring).
EXCLUDED_FIELDS = ["password"]

register(get_user_model(), app=__package__, excluded_fields=EXCLUDED_FIELDS)
