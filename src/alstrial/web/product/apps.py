from django.apps import AppConfig
from django.db.models import Exists, OuterRef
from django.urls import reverse

from alstrial.web.core.panels import DashboardPanel, register_dashboard_panel
from alstrial.web.core.visit_forms import VisitForm, register_visit_form


class ProductConfig(AppConfig):
    """The autologous cell product: harvest, manufacturing, QC, release, dose, administration."""

    name = "alstrial.web.product"
    label = "product"

    def ready(self) -> None:
        # Models, and modules that import them, load only once the app registry is ready:
        # Django imports this module while it is still filling the registry.
        from alstrial.web.product.models import Administration, Harvest
        from alstrial.web.product.panel import dashboard_panel_context
        from alstrial.web.product.views import VIEWERS
        from alstrial.web.subjects.models import Visit

        def subject_page(visit) -> str:
            return reverse("product:subject", args=[visit.subject_id])

        # A dose's visit is done when the subject has that dose's administration record.
        dose_given = Administration.objects.filter(
            subject_id=OuterRef("subject_id"), dose_number=OuterRef("administration")
        )

        register_visit_form(
            VisitForm(
                "harvest",
                "Bone marrow harvest",
                lambda visit: Harvest.objects.filter(visit=visit).exists(),
                subject_page,
                done_visits=lambda ids: Harvest.objects.filter(visit_id__in=ids),
                roles=VIEWERS,
            )
        )
        register_visit_form(
            VisitForm(
                "administration",
                "Cell administration",
                lambda visit: Administration.objects.filter(
                    subject_id=visit.subject_id, dose_number=visit.administration
                ).exists(),
                subject_page,
                done_visits=lambda ids: Visit.objects.filter(pk__in=ids).filter(Exists(dose_given)),
                done_visit_field="pk",
                roles=VIEWERS,
            )
        )
        register_dashboard_panel(DashboardPanel("product/panel.html", dashboard_panel_context))
