"""A trial, declared by its protocol file.

The protocol's source text and its SHA-256 are stored with the trial, so what the trial
declares (visits, windows, forms, eligibility, release criteria) can be traced to the exact
file it was created from; the schedule is always recomputed from that stored text
(``alstrial.domain.protocol``), never from a second copy.
"""

from __future__ import annotations

import hashlib
import tomllib
from functools import cached_property

from django.db import models
from simple_history.models import HistoricalRecords

from alstrial.domain.protocol import Protocol, protocol_from_dict
from alstrial.web.core.access import SiteScopedQuerySet
from alstrial.web.core.models import Site


def sha256_text(text: str) -> str:
    """Hex SHA-256 of the UTF-8 bytes of ``text``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Trial(models.Model):
    """One trial run at one or more sites, declared by the protocol in ``protocol_source``."""

    site_lookup = "sites"

    slug = models.SlugField(max_length=64, unique=True)
    title = models.CharField(max_length=300)
    reference = models.CharField(max_length=300, blank=True)
    protocol_version = models.CharField(max_length=32)
    protocol_filename = models.CharField(max_length=300)
    protocol_source = models.TextField(help_text="The protocol file (TOML) as loaded.")
    protocol_sha256 = models.CharField(max_length=64)
    sites = models.ManyToManyField(Site, related_name="trials")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        ordering = ("slug",)

    def __str__(self) -> str:
        return self.slug

    @cached_property
    def protocol(self) -> Protocol:
        """The protocol parsed from the stored source (checked again; it cannot drift)."""
        if sha256_text(self.protocol_source) != self.protocol_sha256:
            raise ValueError(f"trial {self.slug}: stored protocol text does not match its hash")
        return protocol_from_dict(
            tomllib.loads(self.protocol_source),
            source=f"{self.protocol_filename} (sha256 {self.protocol_sha256[:12]})",
        )
