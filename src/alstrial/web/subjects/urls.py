from django.urls import path

from alstrial.web.subjects import views

app_name = "subjects"
urlpatterns = [
    path("", views.subject_list, name="list"),
    path("screen/", views.screen, name="screen"),
    path("<int:pk>/", views.subject_detail, name="detail"),
    path("<int:pk>/enrol/", views.enrol, name="enrol"),
    path("visits/<int:pk>/", views.visit_detail, name="visit"),
]
