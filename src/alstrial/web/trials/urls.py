from django.urls import path

from alstrial.web.trials import views

app_name = "trials"
urlpatterns = [
    path("<slug:slug>/", views.dashboard, name="dashboard"),
    path("<slug:slug>/analysis/<slug:table>.csv", views.analysis_csv, name="analysis_csv"),
]
