from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    """Per-visit case report forms: ALSFRS-R, FVC, weight, vital signs, MRI, conmeds, endpoints."""

    name = "alstrial.web.assessments"
    label = "assessments"
