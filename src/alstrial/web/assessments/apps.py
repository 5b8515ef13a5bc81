from django.apps import AppConfig
from django.utils.text import capfirst

from alstrial.web.core.visit_forms import VisitForm, register_visit_form, visit_url


class AssessmentsConfig(AppConfig):
    """Per-visit case report forms: ALSFRS-R, FVC, weight, vital signs, MRI, conmeds, endpoints."""

    name = "alstrial.web.assessments"
    label = "assessments"

    def ready(self) -> None:
        # Models, and modules that import them, load only once the app registry is ready:
        # Django imports this module while it is still filling the registry.
        from alstrial.web.assessments.models import VISIT_ASSESSMENTS

        for key, model in VISIT_ASSESSMENTS.items():
            register_visit_form(
                VisitForm(
                    key=key,
                    label=str(capfirst(model._meta.verbose_name)),
                    is_done=lambda visit, model=model: model.objects.filter(visit=visit).exists(),
                    done_visits=lambda ids, model=model: model.objects.filter(visit_id__in=ids),
                    url=visit_url("assessments:visit_form", key),
                )
            )
