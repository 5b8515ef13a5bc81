"""Sites and the roles a user holds at each site.

A user may hold several roles at one site and different roles at different sites; every page
and query is narrowed to the sites where the user holds a role (``alstrial.web.core.access``).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

from alstrial.domain.errors import FieldError
from alstrial.domain.safety_clock import as_timezone


class Role(models.TextChoices):
    """What a user may do at a site (docs/interfaces.md, 'Demo users'; docs/web.md role table)."""

    COORDINATOR = "coordinator", "Study coordinator"
    INVESTIGATOR = "investigator", "Investigator"
    CELL_LAB = "cell_lab", "Cell laboratory"
    SAFETY_MONITOR = "safety_monitor", "Safety monitor"
    STATISTICIAN = "statistician", "Statistician (read-only, de-identified)"
    AUDITOR = "auditor", "Auditor (read-only)"
    ADMIN = "admin", "Site administrator"
    # Unblinded roles of a randomised, blinded trial (docs/web.md "Roles", docs/randomisation.md
    # "Blinding"): they see the arm; every other role is blinded to it.
    UNBLINDED_PHARMACY = "unblinded_pharmacy", "Unblinded cell laboratory / pharmacy"
    DSMB_STATISTICIAN = "dsmb_statistician", "DSMB statistician (unblinded, read-only)"
    # Data management (docs/datamanagement.md): the monitor (CRA) raises and closes queries and
    # verifies forms against source; the data manager also freezes subjects and locks the trial.
    MONITOR = "monitor", "Monitor (CRA)"
    DATA_MANAGER = "data_manager", "Data manager"


#: Roles that enter or change clinical data on the subject and assessment pages.
DATA_ENTRY_ROLES = (Role.COORDINATOR, Role.INVESTIGATOR, Role.ADMIN)
#: Roles that never write anything.
READ_ONLY_ROLES = (Role.STATISTICIAN, Role.AUDITOR, Role.DSMB_STATISTICIAN)
#: Roles that may read the audit trail.
AUDIT_ROLES = (Role.AUDITOR, Role.ADMIN, Role.INVESTIGATOR, Role.COORDINATOR, Role.SAFETY_MONITOR)
#: Roles that may download the trial's (de-identified) analysis data.
ANALYSIS_ROLES = (Role.STATISTICIAN, Role.INVESTIGATOR, Role.ADMIN)
#: Roles that see the arm of a randomised, blinded trial (``access.can_see_arm``). The plain
#: cell laboratory is blinded: in a blinded trial the unblinded pharmacy prepares active and
#: placebo lots (docs/randomisation.md "Blinding").
UNBLINDED_ROLES = (Role.UNBLINDED_PHARMACY, Role.DSMB_STATISTICIAN)
#: Roles that see de-identified data only (no identity, free text or calendar dates).
DEIDENTIFIED_ROLES = (Role.STATISTICIAN,)


#: A name some systems' zone lists carry that means "the server's zone": the very fallback a
#: site's zone exists to avoid (docs/NOTES.md "Site time zones").
SERVER_ZONE_NAMES = frozenset({"localtime"})


def validate_time_zone(name: str) -> None:
    """Django validator of ``Site.time_zone``: a name in zoneinfo's IANA list (``Asia/Seoul``),
    not merely a file zoneinfo can open, and never the server's own zone."""
    if name in SERVER_ZONE_NAMES or name not in available_timezones():
        raise ValidationError(f"{name!r} is not an IANA time zone such as Asia/Seoul")


class Site(models.Model):
    """A clinical site. ``code`` (``seoul``) is used in URLs; ``prefix`` starts subject IDs.

    ``time_zone`` is the site's one IANA time zone (docs/web.md "Sites"). It decides what
    "today" is at the site (a visit dated today in Seoul is not in the future even while it is
    still yesterday in UTC) and the local day 0 of its SAE reporting clocks. It has no default:
    whoever creates a site chooses it. Timestamps stay in UTC; read the zone with :attr:`zone`.
    """

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    prefix = models.CharField(
        max_length=3,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{3}$", "three capital letters, e.g. SEO")],
        help_text="Three capital letters that begin this site's subject IDs (SEO-0007-K).",
    )
    time_zone = models.CharField(
        max_length=64,
        validators=[validate_time_zone],
        help_text="IANA time zone of the site, e.g. Asia/Seoul: the site's dates and the local "
        "day 0 of its SAE reporting clocks.",
    )

    class Meta:
        ordering = ("code",)

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        """The site's time zone; a FieldError on ``time_zone`` when none or no valid one is
        stored, never the server's zone instead (a wrong zone moves an SAE clock's day 0)."""
        if not self.time_zone:
            raise FieldError(
                "time_zone",
                f"site {self.code} has no time zone: an administrator sets it on the site",
            )
        return as_timezone(self.time_zone)


class SiteMembership(models.Model):
    """One role held by one user at one site. Grants and removals are kept in its history
    (who gave or took which role, when): access control is part of the audit trail."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="site_memberships"
    )
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    history = HistoricalRecords()

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["user", "site", "role"], name="unique_site_role"),
        )
        ordering = (
            "site__code",
            "role",
        )

    def __str__(self) -> str:
        return f"{self.user} - {self.get_role_display()} at {self.site.code}"
