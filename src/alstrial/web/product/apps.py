from django.apps import AppConfig


class ProductConfig(AppConfig):
    """The autologous cell product: harvest, manufacturing, QC, release, dose, administration."""

    name = "alstrial.web.product"
    label = "product"

    def ready(self) -> None:
        from django.urls import reverse

        from alstrial.web.core.panels import DashboardPanel, register_dashboard_panel
        from alstrial.web.core.visit_forms import VisitForm, register_visit_form
        from alstrial.web.product.models import Administration, Harvest
        from alstrial.web.product.panel import dashboard_panel_context

        def subject_page(visit) -> str:
            return reverse("product:subject", args=[visit.subject_id])

        register_visit_form(
            VisitForm(
                "harvest",
                "Bone marrow harvest",
                lambda visit: Harvest.objects.filter(visit=visit).exists(),
                subject_page,
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
            )
        )
        register_dashboard_panel(DashboardPanel("product/panel.html", dashboard_panel_context))
