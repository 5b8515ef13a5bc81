"""The NinjaAPI instance: ``/api/v1/``, bearer-token auth on every route but the token one,
one router per resource, one error shape (:mod:`alstrial.web.api.errors`)."""

from __future__ import annotations

from ninja import NinjaAPI

from alstrial.web.api import (
    administrations,
    adverse_events,
    alsfrs,
    auth,
    lots,
    queries,
    randomisation,
    subjects,
    trial_lock,
    visits,
)
from alstrial.web.api.errors import install_error_handlers

api = NinjaAPI(
    title="alstrial API",
    version="1",
    description=(
        "Trial data of autologous MSC therapy in ALS. Obtain a token with POST /api/v1/auth/token"
        " and send 'Authorization: Bearer TOKEN'. Every list and object is limited to the sites "
        "where you hold a role; another site's object answers 404. See docs/api.md."
    ),
    auth=auth.BearerAuth(),
    urls_namespace="api-v1",
)
install_error_handlers(api)

api.add_router("/auth", auth.router)
api.add_router("/subjects", subjects.router)
# Randomisation routes sit under /subjects/{id}/ and /unblinding/ (docs/api.md).
api.add_router("", randomisation.router)
api.add_router("/visits", visits.router)
api.add_router("/assessments/alsfrs", alsfrs.router)
api.add_router("/adverse-events", adverse_events.router)
api.add_router("/lots", lots.router)
api.add_router("/administrations", administrations.router)
api.add_router("/queries", queries.router)
api.add_router("/trials", trial_lock.router)
