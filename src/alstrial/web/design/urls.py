from django.urls import path

from alstrial.web.design import views

app_name = "design"
urlpatterns = [
    path("", views.simulator, name="simulator"),
    path("curve-points/", views.curve_points, name="curve_points"),
]
