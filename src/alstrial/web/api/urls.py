"""Mounted at ``api/v1/`` by ``alstrial.web.urls.APP_URLS``."""

from django.urls import path

from alstrial.web.api.main import api

urlpatterns = [path("", api.urls)]
