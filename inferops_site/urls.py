from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from frontend import views as frontend_views

urlpatterns = [
    path("", frontend_views.home, name="home"),
    path("healthz", frontend_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include("apps.core.api.urls")),
    path("api/v1/", include("apps.telemetry.api.urls")),
    path("api/v1/", include("apps.dashboards.api.urls")),
    path("api/v1/", include("apps.slo.api.urls")),
    path("api/v1/", include("apps.alerts.api.urls")),
    path("api/v1/", include("apps.cost.api.urls")),
    path("api/v1/", include("apps.audit.api.urls")),
    path("api/v1/", include("apps.anomaly.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="openapi-schema"),
    path("", include("apps.core.urls")),
    path("", include("apps.dashboards.urls")),
    path("", include("apps.telemetry.urls")),
    path("", include("apps.slo.urls")),
    path("", include("apps.alerts.urls")),
    path("", include("apps.cost.urls")),
    path("", include("apps.audit.urls")),
    path("", include("apps.anomaly.urls")),
]
