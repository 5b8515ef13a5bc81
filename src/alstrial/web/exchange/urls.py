from django.urls import path

from alstrial.web.exchange import views

app_name = "exchange"
urlpatterns = [
    path("<slug:slug>/<str:kind>/", views.download, name="download"),
]
