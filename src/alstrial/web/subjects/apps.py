from django.apps import AppConfig
from django.urls import reverse

from alstrial.web.core.visit_forms import VisitForm, register_visit_form


class SubjectsConfig(AppConfig):
    """Subjects (pseudonymous), screening, consent, enrolment and the visit schedule."""

    name = "alstrial.web.subjects"
    label = "subjects"

    def ready(self) -> None:
        def detail(visit) -> str:
            return reverse("subjects:detail", args=[visit.subject_id])

        # Consent and eligibility are taken on the screening page, once per subject.
        register_visit_form(
            VisitForm("consent", "Consent", lambda v: v.subject.consent_date is not None, detail)
        )
        register_visit_form(
            VisitForm(
                "eligibility", "Eligibility", lambda v: v.subject.eligible is not None, detail
            )
        )
