from django.urls import path

from alstrial.web.randomisation import views

app_name = "randomisation"
urlpatterns = [
    path("subjects/<int:pk>/randomise/", views.randomise, name="randomise"),
    path(
        "subjects/<int:pk>/unblinding/",
        views.request_unblinding_view,
        name="request_unblinding",
    ),
    path("unblinding/<int:pk>/approve/", views.approve_unblinding_view, name="approve"),
]
