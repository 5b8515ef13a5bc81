"""Demo hook: the edit checks' queries on the demo trials in every state of the workflow.

The checks already ran at each save of the earlier hooks (as at a real site); this hook runs
them once more in batch as the data manager, then walks the oldest queries of each trial through the
workflow: a third stay open, a third are answered by the site's coordinator and the rest are
answered and closed by the data manager (docs/datamanagement.md, "Queries").
"""

from __future__ import annotations

from alstrial.web.core.models import Role, SiteMembership
from alstrial.web.dataquality.models import Query, QueryStatus
from alstrial.web.dataquality.services import answer_query, close_query, run_trial_checks

MONITOR = "cra.seoul"
DATA_MANAGER = "dm.trials"


def _coordinator(site):
    membership = (
        SiteMembership.objects.filter(site=site, role=Role.COORDINATOR)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return membership.user if membership else None


def load_demo(ctx) -> None:
    manager = ctx.users[DATA_MANAGER]
    for slug, trial in ctx.trials.items():
        run_trial_checks(trial, manager)
        queries = list(
            Query.objects.filter(subject__trial=trial, status=QueryStatus.OPEN)
            .select_related("site")
            .order_by("opened_at", "id")
        )
        for index, query in enumerate(queries):
            if index % 3 == 0:
                continue
            coordinator = _coordinator(query.site)
            if coordinator is None:
                continue
            answer_query(coordinator, query, "checked against the source document: value correct")
            if index % 3 == 2:
                close_query(manager, query, "answer accepted")
        ctx.log(f"demo: {slug}: {len(queries)} check queries")
