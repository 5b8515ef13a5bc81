"""Site isolation and role checks: the only way views reach site-owned data.

Rules (docs/web.md, "Roles" and "Site isolation"):
- A user sees only objects of the sites where they hold a role; a superuser holds every role
  at every site.
- An object of another site answers 404, never 403, so its existence does not leak.
- An object of the user's own site that their role may not change answers 403.

Every site-owned model declares ``site_lookup`` (the ORM path from the model to its Site, e.g.
``"site"`` or ``"subject__site"``) and uses :class:`SiteScopedQuerySet` as its manager.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404

from alstrial.domain.errors import MisuseError
from alstrial.web.core.models import UNBLINDED_ROLES, Role, Site, SiteMembership

_CACHE_ATTR = "_alstrial_site_roles"


def _role_map(user) -> dict[int, frozenset[str]]:
    """``{site_id: roles}`` for ``user``, computed once per user object (one per request)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return {}
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    if user.is_superuser:
        every = frozenset(Role.values)
        result = {site_id: every for site_id in Site.objects.values_list("id", flat=True)}
    else:
        grouped: dict[int, set[str]] = {}
        for site_id, role in SiteMembership.objects.filter(user=user).values_list(
            "site_id", "role"
        ):
            grouped.setdefault(site_id, set()).add(role)
        result = {site_id: frozenset(roles) for site_id, roles in grouped.items()}
    setattr(user, _CACHE_ATTR, result)
    return result


def forget_roles(user) -> None:
    """Drop the cached roles of ``user`` (after memberships change within one request)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def site_ids_for(user, *roles: str) -> list[int]:
    """IDs of the sites where ``user`` holds any role, or one of ``roles`` when given."""
    wanted = set(roles)
    return sorted(
        site_id for site_id, held in _role_map(user).items() if not wanted or wanted & held
    )


def sites_for(user, *roles: str) -> models.QuerySet[Site]:
    """The sites where ``user`` holds any role, or one of ``roles`` when given."""
    return Site.objects.filter(id__in=site_ids_for(user, *roles))


def roles_at(user, site: Site | int) -> frozenset[str]:
    """The roles ``user`` holds at ``site`` (empty when none)."""
    site_id = site if isinstance(site, int) else site.pk
    return _role_map(user).get(site_id, frozenset())


def has_role(user, site: Site | int, *roles: str) -> bool:
    """True when ``user`` holds one of ``roles`` at ``site``."""
    return bool(roles_at(user, site) & set(roles))


def has_any_role(user, *roles: str) -> bool:
    """True when ``user`` holds one of ``roles`` at any site."""
    return bool(site_ids_for(user, *roles))


def require_role(user, site: Site | int, *roles: str) -> None:
    """Raise PermissionDenied (403) unless ``user`` holds one of ``roles`` at ``site``.

    Call it after :func:`get_for_user_or_404`, so that another site's object has already
    answered 404.
    """
    if not has_role(user, site, *roles):
        raise PermissionDenied("Your role at this site does not allow this.")


def is_deidentified(user, site: Site | int | None = None) -> bool:
    """True when ``user`` must see de-identified data (a statistician and nothing more).

    With ``site``, the roles at that site decide; without, the roles at every site.
    """
    if site is not None:
        held = roles_at(user, site)
    else:
        held = frozenset().union(*_role_map(user).values())
    analysts = {Role.STATISTICIAN, Role.DSMB_STATISTICIAN}
    return bool(held) and held <= {*analysts, Role.AUDITOR} and bool(held & analysts)


def can_see_arm(user, site: Site | int) -> bool:
    """True when ``user`` may see the arm of randomised subjects at ``site``: the one blinding
    predicate (docs/randomisation.md "Blinding", docs/web.md "Roles").

    Only the unblinded roles (``UNBLINDED_ROLES``: the unblinded cell laboratory / pharmacy and
    the unblinded DSMB statistician) see it; every other role, the plain cell laboratory
    included, is blinded, and so is a user holding a blinded role beside no unblinded one. A
    superuser holds every role, so sees it. Trials without randomisation have no arm: nothing
    is hidden there, so their pages do not ask.
    """
    return has_role(user, site, *UNBLINDED_ROLES)


def is_blinded_trial(trial) -> bool:
    """True when ``trial``'s protocol randomises (a ``[randomisation]`` section): its arm, and
    everything derived from it, is hidden from blinded roles. Uncontrolled and open trials
    (kim2009, mazzini2003) have no arm and hide nothing."""
    return trial.protocol.randomisation is not None


def hides_arm(user, trial, site: Site | int) -> bool:
    """True when ``user`` must not see ``trial``'s arm, or what reveals it, at ``site``: the
    product's preparation, cell counts, viability, QC, dose volumes and culture records of every
    lot of the trial (docs/randomisation.md "Blinding")."""
    return is_blinded_trial(trial) and not can_see_arm(user, site)


class SiteScopedQuerySet(models.QuerySet):
    """A queryset whose model declares ``site_lookup``, the path to its Site."""

    def visible_to(self, user, *roles: str) -> SiteScopedQuerySet:
        """The rows of the sites where ``user`` holds any role (or one of ``roles``)."""
        lookup = getattr(self.model, "site_lookup", None)
        if not lookup:
            raise MisuseError(f"{self.model.__name__} declares no site_lookup")
        return self.filter(**{f"{lookup}__in": site_ids_for(user, *roles)})


def get_for_user_or_404(queryset_or_model, user, **lookups):
    """The one object matching ``lookups`` among those ``user`` may see, else Http404.

    Another site's object and a missing object give the same 404.
    """
    queryset = (
        queryset_or_model._default_manager.all()
        if isinstance(queryset_or_model, type)
        else queryset_or_model
    )
    if not isinstance(queryset, SiteScopedQuerySet):
        queryset = SiteScopedQuerySet(model=queryset.model, query=queryset.query)
    try:
        return queryset.visible_to(user).get(**lookups)
    except queryset.model.DoesNotExist:
        raise Http404(f"No {queryset.model._meta.verbose_name} found") from None


def role_required(*roles: str) -> Callable:
    """View decorator: logged in, and holding one of ``roles`` at some site (else 403).

    Site-level checks on the object itself follow in the view (:func:`get_for_user_or_404`
    then :func:`require_role`).
    """
    allowed: Iterable[str] = roles or tuple(Role.values)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_any_role(request.user, *allowed):
                raise PermissionDenied("Your role does not allow this page.")
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator
