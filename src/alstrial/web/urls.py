"""URL configuration. Each app adds itself with one line in ``APP_URLS``."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from alstrial.web.core import views as core_views

# One line per app: (URL prefix, the app's urls module). The app's urls.py sets app_name.
APP_URLS = [
    ("trials/", "alstrial.web.trials.urls"),
    ("subjects/", "alstrial.web.subjects.urls"),
    ("randomisation/", "alstrial.web.randomisation.urls"),
    ("assessments/", "alstrial.web.assessments.urls"),
    ("product/", "alstrial.web.product.urls"),
    ("audit/", "alstrial.web.audit.urls"),
    ("safety/", "alstrial.web.safety.urls"),
    ("api/v1/", "alstrial.web.api.urls"),
    ("design/", "alstrial.web.design.urls"),
    ("reports/", "alstrial.web.reports.urls"),
    ("exchange/", "alstrial.web.exchange.urls"),
    ("sap/", "alstrial.web.sap.urls"),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    *(path(prefix, include(module)) for prefix, module in APP_URLS),
]

# A busy (locked) database answers 503 + Retry-After even outside a view (alstrial.web.db_busy).
handler500 = "alstrial.web.db_busy.server_error"
handler400 = "alstrial.web.db_busy.bad_request"
