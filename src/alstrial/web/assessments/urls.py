from django.urls import path

from alstrial.web.assessments import views

app_name = "assessments"
urlpatterns = [
    path("visit/<int:visit_pk>/<slug:form_key>/", views.visit_form, name="visit_form"),
    path(
        "visit/<int:visit_pk>/<slug:form_key>/delete/",
        views.visit_form_delete,
        name="visit_form_delete",
    ),
    path("alsfrs/preview/", views.alsfrs_preview, name="alsfrs_preview"),
    path("subject/<int:subject_pk>/endpoint/", views.endpoint_form, name="endpoint_new"),
    path("subject/<int:subject_pk>/endpoint/<int:pk>/", views.endpoint_form, name="endpoint_edit"),
]
