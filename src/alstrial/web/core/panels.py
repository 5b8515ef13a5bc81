"""Dashboard panels other apps add to the trial dashboard (e.g. open adverse events).

In ``AppConfig.ready()``::

    register_dashboard_panel(DashboardPanel("safety/panel.html", context))

``context(request, trial) -> dict`` is rendered into ``template``; it must itself narrow its
data to ``visible_to(request.user)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DashboardPanel:
    template: str
    context: Callable[[object, object], dict]


_PANELS: list[DashboardPanel] = []


def register_dashboard_panel(panel: DashboardPanel) -> None:
    if panel not in _PANELS:
        _PANELS.append(panel)


def dashboard_panels() -> list[DashboardPanel]:
    return list(_PANELS)
