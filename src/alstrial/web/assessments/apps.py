from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    """Per-visit case report forms: ALSFRS-R, FVC, weight, vital signs, MRI, conmeds, endpoints."""

    name = "alstrial.web.assessments"
    label = "assessments"

    def ready(self) -> None:
        from django.urls import reverse
        from django.utils.text import capfirst

        from alstrial.web.assessments.models import VISIT_ASSESSMENTS
        from alstrial.web.core.visit_forms import VisitForm, register_visit_form

        for key, model in VISIT_ASSESSMENTS.items():
            register_visit_form(
                VisitForm(
                    key=key,
                    label=str(capfirst(model._meta.verbose_name)),
                    is_done=lambda visit, model=model: model.objects.filter(visit=visit).exists(),
                    done_visit_ids=lambda ids, model=model: set(
                        model.objects.filter(visit_id__in=ids).values_list("visit_id", flat=True)
                    ),
                    url=lambda visit, key=key: reverse(
                        "assessments:visit_form", args=[visit.pk, key]
                    ),
                )
            )
