"""The demo users of docs/interfaces.md, 'Demo users' and their roles per site (demo data only)."""

from __future__ import annotations

#: ``{username: {site code: [roles]}}``; ``admin`` is also a superuser.
DEMO_ROLES: dict[str, dict[str, list[str]]] = {
    "admin": {"seoul": ["admin"], "novara": ["admin"]},
    "coordinator.seoul": {"seoul": ["coordinator"]},
    "investigator.seoul": {"seoul": ["investigator"]},
    "celllab.seoul": {"seoul": ["cell_lab"]},
    "coordinator.novara": {"novara": ["coordinator"]},
    "celllab.novara": {"novara": ["cell_lab"]},
    "safety.monitor": {"seoul": ["safety_monitor"], "novara": ["safety_monitor"]},
    "statistician": {"seoul": ["statistician"], "novara": ["statistician"]},
    # The unblinded roles of the randomised msc_rct demo (docs/randomisation.md "Blinding").
    "unblinded.seoul": {"seoul": ["unblinded_pharmacy"]},
    "dsmb.statistician": {"seoul": ["dsmb_statistician"]},
    # Data management (docs/datamanagement.md): the Seoul monitor (CRA) and a trial-wide data
    # manager.
    "cra.seoul": {"seoul": ["monitor"]},
    "dm.trials": {"seoul": ["data_manager"], "novara": ["data_manager"]},
}
