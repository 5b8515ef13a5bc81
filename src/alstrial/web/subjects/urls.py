from django.urls import path

from alstrial.web.subjects import views

app_name = "subjects"
urlpatterns = [
    path("", views.subject_list, name="list"),
]
