from django.apps import AppConfig


class SubjectsConfig(AppConfig):
    """Subjects (pseudonymous), screening, consent, enrolment and the visit schedule."""

    name = "alstrial.web.subjects"
    label = "subjects"
