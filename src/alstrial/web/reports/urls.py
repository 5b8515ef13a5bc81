from django.urls import path

from alstrial.web.reports import views

app_name = "reports"
urlpatterns = [
    path("<slug:slug>/", views.analysis, name="analysis"),
    path("<slug:slug>/build/", views.build, name="build"),
    path("<slug:slug>/panel/", views.panel, name="panel"),
    path("<slug:slug>/<str:name>", views.download, name="download"),
]
