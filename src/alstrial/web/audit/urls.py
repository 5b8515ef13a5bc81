from django.urls import path

from alstrial.web.audit import views

app_name = "audit"
urlpatterns = [
    path("subject/<int:pk>/", views.subject_audit, name="subject"),
    path("subject/<int:pk>/csv/", views.subject_audit_csv, name="subject_csv"),
    path("trial/<slug:slug>/csv/", views.trial_audit_csv, name="trial_csv"),
]
