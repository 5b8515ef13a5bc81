from django.urls import path

from alstrial.web.sap import views

app_name = "sap"
urlpatterns = [
    path("<slug:slug>/lock/", views.lock, name="lock"),
]
