"""API bearer tokens: only a SHA-256 digest of each token is stored, with an expiry and a
revocation time, so a copy of the database gives no usable token."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """One bearer token of one user. The token itself is shown once, when issued."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    digest = models.CharField(
        max_length=64, unique=True, help_text="SHA-256 of the token, hexadecimal."
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True, help_text="Issued to.")
    password_stamp = models.CharField(
        max_length=128,
        blank=True,
        help_text="The user's session auth hash at issue: a password change ends the token.",
    )

    class Meta:
        ordering = ("-created_at",)
        indexes = (models.Index(fields=["user", "revoked_at"]),)

    def __str__(self) -> str:
        return f"API token of {self.user} issued {self.created_at:%Y-%m-%d %H:%M} UTC"
