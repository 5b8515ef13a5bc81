"""Password hashing: Argon2id with the OWASP Password Storage Cheat Sheet's parameters.

Django's own Argon2 defaults (100 MiB, 2 passes, 8 lanes) cost about 0.35 s of CPU per log-in
on the 2-core reference machine, so the 50 coordinators of the load benchmark logging in at
the start of a shift held the server for over 15 s (bench/bench_load.py). OWASP's first
recommended Argon2id setting (19 MiB of memory, 2 passes, 1 lane) costs about 40 ms and is
still memory-hard. Hashes made with other parameters are re-hashed at the next log-in
(Django's ``must_update``); django-axes limits guessing online either way.
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id, m = 19 MiB, t = 2, p = 1 (OWASP Password Storage Cheat Sheet, 2023+)."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
