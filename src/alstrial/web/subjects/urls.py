from django.urls import path

from alstrial.web.subjects import views, views_edit

app_name = "subjects"
urlpatterns = [
    path("", views.subject_list, name="list"),
    path("screen/", views.screen, name="screen"),
    path("<int:pk>/", views.subject_detail, name="detail"),
    path("<int:pk>/enrol/", views.enrol, name="enrol"),
    path("visits/<int:pk>/", views.visit_detail, name="visit"),
    path("<int:pk>/correct/", views_edit.correct, name="correct"),
    path("<int:pk>/identity/", views_edit.identity, name="identity"),
    path("<int:pk>/withdraw/", views_edit.withdraw, name="withdraw"),
]
