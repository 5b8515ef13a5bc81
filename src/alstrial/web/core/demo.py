"""The demo hook every app may provide: ``<app>/demo.py`` with ``load_demo(ctx: DemoContext)``.

``alstrial demo`` creates the database, then calls each app's hook in the order of
``settings.ALSTRIAL_APPS`` inside one transaction (so a failing hook leaves nothing behind).
Hooks write through the same service functions as the UI (``save_clinical`` and the apps' own
services), so demo data has a normal audit trail.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from alstrial.web.core.demo_users import DEMO_ROLES
from alstrial.web.core.models import Site, SiteMembership

DEMO_PASSWORD = "demo-password"


@dataclass
class DemoContext:
    """What earlier hooks created, handed to later ones.

    - ``today``: the demo's reference date (schedules are laid out around it);
    - ``seed``: seed for every random generator (same seed, same demo);
    - ``sites``: ``{"seoul": Site, "novara": Site}`` (core);
    - ``users``: ``{"coordinator.seoul": User, ...}`` (core; docs/interfaces.md, 'Demo users');
    - ``trials``: ``{"kim2009": Trial, "mazzini2003": Trial}`` (trials);
    - ``subjects``: ``{trial slug: [Subject, ...]}`` (subjects);
    - ``data``: anything one hook leaves for a later one (documented by the hook that sets it);
    - ``log``: prints one line of progress.
    """

    today: date
    seed: int = 2009
    sites: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    trials: dict = field(default_factory=dict)
    subjects: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    log: Callable[[str], None] = print

    def rng(self, name: str) -> random.Random:
        """A generator of its own for ``name``, so one hook's draws do not shift another's."""
        return random.Random(f"{self.seed}:{name}")


def load_demo(ctx: DemoContext) -> None:
    """Core's own hook: the sites and the demo users of docs/interfaces.md, 'Demo users'."""
    for code, name, prefix, zone in (
        ("seoul", "Seoul", "SEO", "Asia/Seoul"),
        ("novara", "Novara", "NOV", "Europe/Rome"),
    ):
        ctx.sites[code], _ = Site.objects.get_or_create(
            code=code, defaults={"name": name, "prefix": prefix, "time_zone": zone}
        )
    user_model = get_user_model()
    for username, roles in DEMO_ROLES.items():
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model.objects.create_user(username=username, password=DEMO_PASSWORD)
        if username == "admin":
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        for site_code, site_roles in roles.items():
            for role in site_roles:
                SiteMembership.objects.get_or_create(
                    user=user, site=ctx.sites[site_code], role=role
                )
        ctx.users[username] = user


def demo_hooks() -> list[tuple[str, Callable[[DemoContext], None]]]:
    """``(app, load_demo)`` for every installed alstrial app that has a ``demo`` module."""
    hooks = []
    for app in settings.ALSTRIAL_APPS:
        try:
            module = importlib.import_module(f"{app}.demo")
        except ModuleNotFoundError as error:
            if error.name != f"{app}.demo":
                raise
            continue
        hook = getattr(module, "load_demo", None)
        if hook is not None:
            hooks.append((app, hook))
    return hooks


def load_all_demo_data(ctx: DemoContext) -> DemoContext:
    """Run every app's ``load_demo`` in order, atomically."""
    with transaction.atomic():
        for app, hook in demo_hooks():
            ctx.log(f"demo: {app}")
            hook(ctx)
    return ctx
